"""Backtest report as notebook/Voila widgets (回测报告组件): bqplot charts plus the report's HTML tables.

Labels, formatting and tables come from :mod:`jupyterlab_quant.backtest.report`, so the widget and
the HTML file always say the same thing. Builds without a frontend (widgets are plain models until
displayed), which is what the tests and Voila's pre-rendering rely on.
"""

from __future__ import annotations

from dataclasses import replace

import bqplot
import ipywidgets as w
import numpy as np

from ..backtest import report as rpt
from ..backtest.metrics import finalize
from ..backtest.spec import BacktestResult


def report_widget(result: BacktestResult, lang: str = "zh", *, up_color: str = rpt.UP,
                  down_color: str = rpt.DOWN) -> w.Tab:
    """A Tab: overview (key metrics, equity vs benchmark, drawdown), returns, metrics, trades."""
    if not result.metrics or not result.tables:
        result = finalize(replace(result))  # a copy: displaying must not change the caller's result
    m, tables = result.metrics, result.tables
    css = f"<style>{rpt.table_css(up_color, down_color)}</style>"

    def html(body: str) -> w.HTML:
        return w.HTML(f'{css}<div class="jlq-bt">{body}</div>')

    def titled(key: str, body: str) -> str:
        return f"<h4>{rpt.text(key, lang)}</h4>{body}"

    name = rpt.strategy_name(result, lang)
    spec = result.spec
    header = (f"<b>{rpt.esc(name)}</b> · {rpt.esc(', '.join(spec.symbols))} · "
              f"{spec.start.isoformat()} → {spec.end.isoformat()} · {rpt.esc(spec.profile)}")
    cards = " ".join(f"{rpt.esc(rpt.metric_label(k, lang))}: <b>{rpt.format_metric(k, m.get(k))}</b>"
                     for k in rpt.CARD_KEYS)
    overview = w.VBox([html(f"{header}<br>{cards}"), equity_figure(result, lang),
                       drawdown_figure(result, lang, down_color=down_color)])
    returns = html(titled("monthly", rpt.monthly_table_html(tables.get("monthly", []), tables.get("yearly", []),
                                                            lang))
                   + titled("yearly", rpt.yearly_table_html(tables.get("yearly", []), lang))
                   + titled("stress", rpt.stress_table_html(tables.get("stress", []), lang)))
    metrics = html(titled("all_metrics", rpt.metrics_table_html(m, lang))
                   + titled("fees", rpt.fees_table_html(m, lang)))
    trades = html(titled("trades", rpt.trades_table_html(result, lang))
                  + titled("rejections", rpt.rejections_table_html(result, lang))
                  + titled("corporate_actions", rpt.corporate_actions_table_html(result, lang)))
    tab = w.Tab(children=[overview, returns, metrics, trades])
    tab.titles = tuple(rpt.text(k, lang) for k in ("overview", "returns_tab", "all_metrics", "trades"))
    return tab


def equity_figure(result: BacktestResult, lang: str = "zh") -> bqplot.Figure:
    """Strategy equity and the benchmark (scaled to the same start cash) on one date axis."""
    xs, ys = bqplot.DateScale(), bqplot.LinearScale()
    marks = [_line(result.equity_curve, xs, ys, rpt.text("strategy_line", lang), rpt.STRATEGY_COLOR)]
    if result.benchmark_curve:
        marks.append(_line(result.benchmark_curve, xs, ys, rpt.text("benchmark_line", lang), rpt.BENCHMARK_COLOR))
    axes = [bqplot.Axis(scale=xs), bqplot.Axis(scale=ys, orientation="vertical", tick_format=",.0f")]
    return bqplot.Figure(marks=marks, axes=axes, title=rpt.text("equity_chart", lang), legend_location="top-left",
                         fig_margin={"top": 40, "bottom": 35, "left": 80, "right": 20},
                         layout=w.Layout(width="100%", height="340px"))


def drawdown_figure(result: BacktestResult, lang: str = "zh", *, down_color: str = rpt.DOWN) -> bqplot.Figure:
    """Drawdown below the running high, as a negative filled area (losses in ``down_color``)."""
    rows = result.tables.get("drawdown", [])
    xs, ys = bqplot.DateScale(), bqplot.LinearScale()
    line = bqplot.Lines(x=np.array([r["date"] for r in rows], dtype="datetime64[ns]"),
                        y=np.array([-float(r["drawdown"]) for r in rows], dtype=float),
                        scales={"x": xs, "y": ys}, colors=[down_color], fill="bottom", fill_opacities=[0.35],
                        labels=[rpt.text("drawdown_chart", lang)])
    axes = [bqplot.Axis(scale=xs), bqplot.Axis(scale=ys, orientation="vertical", tick_format=".0%")]
    return bqplot.Figure(marks=[line], axes=axes, title=rpt.text("drawdown_chart", lang),
                         fig_margin={"top": 40, "bottom": 35, "left": 80, "right": 20},
                         layout=w.Layout(width="100%", height="240px"))


def _line(curve: list[tuple[str, float]], xs: bqplot.DateScale, ys: bqplot.LinearScale, label: str,
          color: str) -> bqplot.Lines:
    return bqplot.Lines(x=np.array([str(d)[:10] for d, _ in curve], dtype="datetime64[ns]"),
                        y=np.array([float(v) for _, v in curve], dtype=float), scales={"x": xs, "y": ys},
                        colors=[color], labels=[label], display_legend=True)
