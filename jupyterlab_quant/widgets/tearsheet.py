"""Backtest tearsheet dashboard (回测报告看板) for Voila: pick one of the latest finished backtest jobs and
read it — header, key-metric cards, equity vs benchmark, drawdown, monthly-returns heatmap, all metrics and
the trades.

Owns the page and the monthly heatmap only. Labels, number formats and tables come from
:mod:`jupyterlab_quant.backtest.report`, the charts from :mod:`.backtest`, the page kit from :mod:`.common`,
so this page, the notebook widget and the HTML report always say the same thing. Jobs and results are
read through :class:`~jupyterlab_quant.backtest.service.BacktestService` (the records the Backtest panel
creates). Any bad input — an unknown ``?report=``, a job that is not done, a damaged result file, an empty
store — becomes a readable message on the page, never a traceback.
"""

from __future__ import annotations

import json
import time
from typing import Any

import bqplot
import ipywidgets as w
import numpy as np
from bqplot.traits import array_dimension_bounds, array_serialization
from traittypes import Array

from ..app import Services, default_services
from ..backtest import report as rpt
from ..backtest.metrics import finalize
from ..backtest.spec import BacktestResult
from ..core.errors import NotFound, QuantError
from ..jobs import JobNotReady, JobRecord
from . import common
from .backtest import drawdown_figure, equity_figure

NAME = "tearsheet"
LIST_LIMIT = 100          # the picker lists the done jobs among the latest 100
TRADES_MAX_HEIGHT = "480px"

TEXT: common.Text = {
    "title": ("回测报告", "Backtest tearsheet"),
    "pick": ("选择回测", "Backtest"),
    "not_found": ("找不到回测报告 {id}", "No backtest report {id}"),
    "not_found_hint": ("从上方列表选择一个回测（链接参数 ?report= 是 12 位任务 ID）。",
                       "Pick one from the list above (?report= takes the 12-character job id)."),
    "empty": ("还没有回测报告", "No backtest reports yet"),
    "empty_hint": ("在 JupyterLab 左侧「回测」面板点「新建回测」提交一个回测，完成后点「刷新」。"
                   "（命令行 jlq backtest run 只在本机运行、不进任务列表；加 --html 可另存一份报告文件。）",
                   "Submit one in JupyterLab's Backtests panel (New backtest), then press Refresh. "
                   "(`jlq backtest run` runs locally and is not listed here; add --html for a report file.)"),
    "not_done": ("回测 {id} 没有可显示的结果：{status}", "Backtest {id} has no result to show: {status}"),
    "queued": ("排队中", "queued"),
    "running": ("运行中 {progress}", "running {progress}"),
    "failed": ("失败", "failed"),
    "cancelled": ("已取消", "cancelled"),
    "wait_hint": ("完成后点「刷新」再打开。", "Press Refresh once it has finished."),
    "failed_hint": ("在「回测」面板查看错误与 traceback，修正策略后重新提交。",
                    "See the error and traceback in the Backtests panel, fix the strategy and resubmit."),
    "cancelled_hint": ("重新提交该回测。", "Submit the backtest again."),
    "bad_result": ("回测 {id} 的结果文件无法读取", "The result file of backtest {id} cannot be read"),
    "missing_result": ("回测 {id} 的结果文件不见了", "The result file of backtest {id} is missing"),
    "result_hint": ("在「回测」面板重新运行该回测。", "Run the backtest again from the Backtests panel."),
    "job": ("任务", "Job"),
    "finished": ("完成于", "Finished"),
    "heatmap_full_year": ("年度收益（策略 vs 基准）", "Yearly returns (strategy vs benchmark)"),
}


def _t(key: str, lang: str, **kw: Any) -> str:
    s = common.tr(TEXT, key, lang)
    return s.format(**kw) if kw else s


class _GridHeatMap(bqplot.GridHeatMap):
    """bqplot's GridHeatMap without squeezing ``color``: the stock trait turns a one-year (1 × 12) grid into a
    flat array, which its own column check and the front end both reject. Same model and view."""

    color = Array(None, allow_none=True).tag(sync=True, scaled=True, rtype="Color", atype="bqplot.ColorAxis",
                                             **array_serialization).valid(array_dimension_bounds(2, 2))


def _month_labels(lang: str) -> list[str]:
    return [str(m) if lang == "en" else f"{m}月" for m in range(1, 13)]


def monthly_grid(monthly: list[dict[str, Any]]) -> tuple[list[int], np.ndarray]:
    """``(years, returns)``: a years × 12 array of monthly returns (NaN where the backtest has no month),
    from ``result.tables["monthly"]`` rows ``{"year", "month", "return"}``."""
    years = sorted({int(r["year"]) for r in monthly})
    grid = np.full((len(years), 12), np.nan)
    for r in monthly:
        v = r.get("return")
        if v is not None:
            grid[years.index(int(r["year"])), int(r["month"]) - 1] = float(v)
    return years, grid


def monthly_heatmap(monthly: list[dict[str, Any]], lang: str = "zh", *, up_color: str = rpt.UP,
                    down_color: str = rpt.DOWN) -> bqplot.Figure:
    """Years × months heatmap of monthly returns in percent (cells read "-2.7", like the HTML report's
    chart): gains shade to ``up_color``, losses to ``down_color``, white at zero (a symmetric scale, so equal
    gains and losses look equally strong)."""
    years, grid = monthly_grid(monthly)
    pct = grid * 100.0
    finite = pct[np.isfinite(pct)]
    span = max(float(np.abs(finite).max()) if finite.size else 0.0, 1.0)
    year_labels, month_labels = [str(y) for y in years], _month_labels(lang)
    # fixed domains: the label mark must not reorder them (a run starting in March would put 3月 first);
    # reverse puts the first year on top
    rows = bqplot.OrdinalScale(domain=year_labels, reverse=True)
    cols = bqplot.OrdinalScale(domain=month_labels)
    color = bqplot.ColorScale(colors=[down_color, "#ffffff", up_color], min=-span, max=span, mid=0.0)
    tooltip = bqplot.Tooltip(fields=["row", "column", "color"], formats=["", "", ".2f"],
                             labels=[rpt.text("year", lang), rpt.text("month", lang), rpt.text("return", lang) + " %"])
    # A month outside the backtest is NaN: its cell gets no fill (the page CSS greys it). The mark's own cell
    # labels would read "NaN" there, so the values are a separate Label mark over the months that exist.
    heat = _GridHeatMap(row=np.array(year_labels), column=np.array(month_labels), color=pct,
                        scales={"row": rows, "column": cols, "color": color}, stroke="#ffffff", tooltip=tooltip)
    cells = np.argwhere(np.isfinite(pct))
    text = bqplot.Label(x=np.array([month_labels[j] for _, j in cells]), y=np.array([year_labels[i] for i, _ in cells]),
                        text=[f"{round(pct[i, j], 1) + 0.0:.1f}" for i, j in cells],   # + 0.0: no "-0.0"
                        scales={"x": cols, "y": rows}, align="middle", default_size=11, font_unit="px",
                        colors=["#212529"], y_offset=4, apply_clip=False)
    axes = [bqplot.Axis(scale=cols), bqplot.Axis(scale=rows, orientation="vertical")]
    height = min(max(90 + 34 * len(years), 190), 560)
    fig = bqplot.Figure(marks=[heat, text], axes=axes,
                        fig_margin={"top": 10, "bottom": 30, "left": 50, "right": 10},
                        layout=w.Layout(width="100%", height=f"{height}px"))
    fig.add_class("jlq-heatmap")
    return fig


def _wide(section: w.VBox) -> w.VBox:
    """A section spanning every column of the grid (wide tables)."""
    section.add_class("jlq-wide")
    return section


def _short_symbols(symbols: list[str]) -> str:
    return ",".join(symbols[:3]) + (f" +{len(symbols) - 3}" if len(symbols) > 3 else "")


def option_label(job: dict[str, Any]) -> str:
    """``label · symbols · period · total return`` of a job from ``BacktestService.list``."""
    spec = job.get("spec") or {}
    symbols = _short_symbols(list(spec.get("symbols") or []))
    start, end = str(spec.get("start", "")), str(spec.get("end", ""))
    label = str(job.get("label") or "")
    # A job submitted without a label is labelled "<strategy> <symbols> <YYYYMMDD>-<YYYYMMDD>" by the service;
    # keep only the strategy part so the option does not say symbols and period twice.
    suffix = f" {symbols} {start.replace('-', '')}-{end.replace('-', '')}"
    if label.endswith(suffix) and len(label) > len(suffix):
        label = label[: -len(suffix)]
    ret = (job.get("summary") or {}).get("total_return")
    return " · ".join([label or job["id"], symbols, f"{start}→{end}", rpt.format_metric("total_return", ret)])


class TearsheetDashboard:
    """The tearsheet page. ``widget`` is the root; :meth:`show` switches to another report."""

    def __init__(self, services: Services | None = None, lang: str | None = None,
                 report_id: str | None = None) -> None:
        params = common.request_params()
        self.lang = common.resolve_lang(lang, params)
        self.services = services or default_services()
        self.up_color, self.down_color = common.colors()
        self.report_id: str | None = None
        self.result: BacktestResult | None = None
        self.heatmap: bqplot.Figure | None = None
        self.build_s = 0.0
        self._jobs: list[dict[str, Any]] = []
        self._syncing = False
        self._ready = False

        self.picker = w.Dropdown(options=[], value=None, layout=w.Layout(width="100%", max_width="760px"))
        self.picker.add_class("jlq-picker")
        self.picker.observe(self._on_pick, names="value")
        self.refresh_button = w.Button(description=common.tr(common.COMMON_TEXT, "refresh", self.lang),
                                       icon="refresh", layout=w.Layout(width="auto"))
        self.refresh_button.on_click(lambda _b: self.reload())
        self.list_note = w.HTML()
        self.body = w.VBox(layout=w.Layout(width="100%"))
        style = (f"<style>{rpt.table_css(self.up_color, self.down_color)}"
                 ".jlq-dash-tearsheet .heatmapcell { fill: #f1f3f5; }"   # months outside the backtest (NaN)
                 f".jlq-dash-tearsheet .jlq-trades {{ max-height: {TRADES_MAX_HEIGHT}; overflow: auto; }}</style>")
        controls = w.HBox([w.HTML(f"<b>{common.esc(_t('pick', self.lang))}</b>"), self.picker, self.refresh_button],
                          layout=w.Layout(width="100%", align_items="center", flex_flow="row wrap",
                                          grid_gap="8px"))
        self.widget = common.page(NAME, w.HTML(f"{style}<h2>{common.esc(_t('title', self.lang))}</h2>"),
                                  controls, self.list_note, self.body)

        self._load_list()
        chosen = report_id or params.get("report") or ""
        if chosen:
            self.show(chosen)
        elif self._jobs:
            done = self._done_jobs()
            # newest done report; when none is done, the newest job (its message says why it has no report)
            self.show(done[0]["id"] if done else self._jobs[0]["id"])
        else:
            self._render([self._empty_message()] if not self.list_note.value else [])

    # ---- the list ---------------------------------------------------------------------------------
    def _done_jobs(self) -> list[dict[str, Any]]:
        return [j for j in self._jobs if j.get("status") == "done"]

    def _load_list(self) -> None:
        try:
            listing = self.services.backtests.list(limit=LIST_LIMIT)
            self._jobs = list(listing["jobs"])
            self.list_note.value = ""
        except Exception as exc:  # the page edge: the list fails, the page stays readable
            self._jobs = []
            self.list_note.value = common.error_html(exc, self.lang)
        options = [(option_label(j), j["id"]) for j in self._done_jobs()]
        self._syncing = True
        try:
            self.picker.options = options
            self.picker.value = self.report_id if self.report_id in {v for _, v in options} else None
            self.picker.disabled = not options
        finally:
            self._syncing = False

    def reload(self) -> None:
        """Re-read the job list (the Refresh button); shows the current report again, or the newest one."""
        self._load_list()
        target = self.report_id or next((j["id"] for j in self._done_jobs()), None)
        if target:
            self.show(target)
        elif not self._jobs and not self.list_note.value:
            self._render([self._empty_message()])

    def _on_pick(self, change: dict[str, Any]) -> None:
        if not self._syncing and change.get("new"):
            self.show(str(change["new"]))

    # ---- one report -------------------------------------------------------------------------------
    def show(self, report_id: str) -> None:
        """Render the report of job ``report_id`` (or the message that says why there is none)."""
        t0 = time.perf_counter()
        rid = str(report_id or "").strip()
        self.report_id, self.result, self.heatmap = rid or None, None, None
        try:
            children = self._build(rid)
        except Exception as exc:  # the page edge: every failure becomes a readable message
            children = [w.HTML(common.error_html(exc, self.lang))]
        self._syncing = True
        try:
            values = {v for _, v in self.picker.options}
            self.picker.value = rid if rid in values else None
        finally:
            self._syncing = False
        self._render(children)
        self.build_s = time.perf_counter() - t0

    def _render(self, children: list[w.Widget]) -> None:
        self.body.children = tuple(children)
        if not self._ready:  # once the first report or final message is on the page
            self._ready = True
            self.widget.children = (*self.widget.children, common.ready_marker(NAME))

    def _empty_message(self) -> w.HTML:
        return common.message("info", _t("empty", self.lang), hint=_t("empty_hint", self.lang))

    def _build(self, rid: str) -> list[w.Widget]:
        bt = self.services.backtests
        try:
            rec = bt.record(rid)
        except NotFound:
            hint = _t("not_found_hint", self.lang) if self._done_jobs() else _t("empty_hint", self.lang)
            return [common.message("warn", _t("not_found", self.lang, id=rid), hint=hint)]
        if rec.status != "done":
            return [self._not_done(rec)]
        try:
            text = bt.result_text(rid)
        except JobNotReady:  # the record changed between the two reads
            return [self._not_done(bt.record(rid))]
        except (NotFound, FileNotFoundError):
            return [common.message("error", _t("missing_result", self.lang, id=rid),
                                   hint=_t("result_hint", self.lang))]
        try:
            result = BacktestResult.from_dict(json.loads(text))
            if not result.metrics or not result.tables:
                result = finalize(result)
        except (ValueError, KeyError, TypeError, AttributeError, QuantError) as exc:
            detail = f"{type(exc).__name__}: {exc}"[:300]
            return [common.message("error", _t("bad_result", self.lang, id=rid), detail,
                                   _t("result_hint", self.lang))]
        self.result = result
        return self._report(rec, result)

    def _not_done(self, rec: JobRecord) -> w.HTML:
        status = rec.status
        if status == "running":
            label = _t("running", self.lang, progress=f"{rec.progress:.0%}")
        elif status in ("queued", "failed", "cancelled"):
            label = _t(status, self.lang)
        else:
            label = status
        detail, hint = "", _t("wait_hint", self.lang)
        if status == "failed":
            detail = str((rec.error or {}).get("message") or "")
            hint = _t("failed_hint", self.lang)
        elif status == "cancelled":
            hint = _t("cancelled_hint", self.lang)
        kind = "error" if status == "failed" else "info"
        return common.message(kind, _t("not_done", self.lang, id=rec.id, status=label), detail, hint)

    def _report(self, rec: JobRecord, result: BacktestResult) -> list[w.Widget]:
        lang, m, spec = self.lang, result.metrics, result.spec
        info = [(rpt.text("strategy", lang), rpt.strategy_name(result, lang)),
                (rpt.text("symbols", lang), ", ".join(spec.symbols)),
                (rpt.text("period", lang), f"{spec.start.isoformat()} → {spec.end.isoformat()}"),
                (rpt.text("profile", lang), spec.profile),
                (rpt.text("benchmark", lang), spec.benchmark or "—"),
                (rpt.text("cash", lang), rpt.fmt_num(spec.cash)),
                (_t("job", lang), rec.id),
                (_t("finished", lang), common.local_time(rec.finished))]
        header = w.HTML("<h3>" + common.esc(rec.label or rpt.strategy_name(result, lang)) + "</h3><div>"
                        + " · ".join(f'<span class="muted">{common.esc(k)}</span> {common.esc(v)}' for k, v in info)
                        + "</div>")
        header.add_class("jlq-report-header")
        cards = []
        for k in rpt.CARD_KEYS:
            v = m.get(k)
            css = common.sign_class(v) if k in rpt.SIGNED_KEYS else "down" if k == "max_drawdown" and v else ""
            cards.append(common.card(rpt.metric_label(k, lang), rpt.format_metric(k, v), css, key=k))
        tables = result.tables

        def html(body: str, css: str = "") -> w.HTML:
            return w.HTML(f'<div class="jlq-bt {css}">{body}</div>')

        def heat() -> w.Widget:
            monthly = tables.get("monthly") or []
            if not monthly:
                return html(f'<p class="muted">{common.esc(rpt.text("none", lang))}</p>')
            self.heatmap = monthly_heatmap(monthly, lang, up_color=self.up_color, down_color=self.down_color)
            return self.heatmap

        def untitled(fig: bqplot.Figure) -> bqplot.Figure:
            fig.title = ""  # the section already says what the chart is
            return fig

        grid = common.grid(
            common.section(rpt.text("equity_chart", lang),
                           common.guard(lambda: untitled(equity_figure(result, lang)), lang), name="equity"),
            common.section(rpt.text("drawdown_chart", lang),
                           common.guard(lambda: untitled(drawdown_figure(result, lang, down_color=self.down_color)),
                                        lang), name="drawdown"),
            common.section(rpt.text("monthly", lang), common.guard(heat, lang),
                           html(f"<h4>{common.esc(_t('heatmap_full_year', lang))}</h4>"
                                + rpt.yearly_table_html(tables.get("yearly") or [], lang)), name="monthly"),
            common.section(rpt.text("all_metrics", lang), html(rpt.metrics_table_html(m, lang)), name="metrics"),
            _wide(common.section(rpt.text("trades", lang), html(rpt.trades_table_html(result, lang), "jlq-trades"),
                                 name="trades")),
        )
        return [header, w.HTML(common.cards(cards)), grid]
