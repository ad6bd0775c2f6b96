"""HTML report (backtest/report.py) and notebook widget (widgets/backtest.py) on a hand-built result:
offline, escaped, translated, and carrying the numbers."""

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from jupyterlab_quant.backtest.metrics import finalize
from jupyterlab_quant.backtest.report import echarts_js, render_html
from jupyterlab_quant.backtest.spec import (
    REJECTION_REASONS,
    BacktestResult,
    BacktestSpec,
    CorporateAction,
    Fill,
    Rejection,
    RoundTrip,
)
from jupyterlab_quant.core.errors import InvalidInput
from jupyterlab_quant.widgets.backtest import report_widget

EVIL = "<script>alert(1)</script>"
EVIL_LOG = '<img src=x onerror="alert(2)">'


def make_result() -> BacktestResult:
    days = pd.bdate_range("2023-11-01", "2024-03-29")
    rng = np.random.default_rng(3)
    eq = 1_000_000 * np.cumprod(1 + rng.normal(0.0005, 0.01, len(days)))
    eq[0] = 1_000_000.0
    bench = 1_000_000 * np.cumprod(1 + rng.normal(0.0, 0.012, len(days)))
    bench[0] = 1_000_000.0
    iso = [d.date().isoformat() for d in days]
    closes = 1500 + np.cumsum(rng.normal(0, 10, len(days)))
    prices = [(d, float(c - 3), float(c + 8), float(c - 9), float(c)) for d, c in zip(iso, closes, strict=True)]
    spec = BacktestSpec(symbols=("600519.SH",), start=dt.date(2023, 11, 1), end=dt.date(2024, 3, 29),
                        strategy_source="import backtrader as bt", label=EVIL, params={"fast": 5})
    trades = [
        Fill(f"{iso[5]}T00:00:00", "600519.SH", "buy", prices[5][4], 100, 5.0, 0.0, 1.5, prices[5][4] * 100),
        Fill(iso[30], "600519.SH", "sell", prices[30][4], 100, 5.0, 7.5, 1.5, prices[30][4] * 100),
    ]
    rejections = [Rejection(iso[10 + i], "600519.SH", "sell" if "position" in r or r == "t_plus_1" else "buy",
                            100, r, f"detail {EVIL}") for i, r in enumerate(REJECTION_REASONS)]
    rts = [RoundTrip("600519.SH", iso[5], iso[30], 100, prices[5][4], prices[30][4], 1234.5, 1215.5, 25)]
    cas = [CorporateAction(iso[40], "600519.SH", 1.3, 100, 130, 12.34)]
    return BacktestResult(spec=spec, final_value=float(eq[-1]), cash=500_000.0, trades=trades,
                          rejections=rejections, equity_curve=list(zip(iso, map(float, eq), strict=True)),
                          benchmark_curve=list(zip(iso, map(float, bench), strict=True)), round_trips=rts,
                          corporate_actions=cas, positions={"600519.SH": 130}, prices={"600519.SH": prices},
                          log=[EVIL_LOG, "bought 100"], elapsed_s=1.25)


@pytest.fixture(scope="module")
def result():
    return finalize(make_result())


@pytest.fixture(scope="module")
def page(result):
    return render_html(result)


def test_report_is_offline_and_inlines_echarts(page):
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"<link\b", page, re.IGNORECASE)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page)
    assert echarts_js()[:5000] in page and "echarts.init" in page
    assert len(page) < len(echarts_js()) + 300_000  # small apart from echarts


def test_report_escapes_user_strings(page):
    assert EVIL not in page and EVIL_LOG not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the title shows it as text
    assert "&lt;img src=x" in page


def test_report_shows_metrics_and_translated_reasons(result, page):
    m = result.metrics
    assert "总收益率" in page and f"{m['total_return'] * 100:.2f}%" in page
    assert f"{m['max_drawdown'] * 100:.2f}%" in page
    assert f"{m['fees_total']:,.2f}" in page
    for zh in ("涨停", "跌停", "停牌", "不足一手", "资金不足", "持仓不足", "T+1 当日买入不可卖出"):
        assert zh in page
    assert "2015 股灾" not in page  # no stress window in this curve's months
    for section in ("月度收益", "年度收益", "压力情景", "成交记录", "被拒订单", "除权除息", "交易点位"):
        assert section in page
    assert "#e03131" in page and "#2f9e44" in page


def test_report_embeds_chart_data_as_json(result, page):
    block = re.search(r'<script type="application/json" id="jlq-report-data">(.*?)</script>', page, re.S)
    assert block
    data = json.loads(block.group(1))
    assert data["equity"] == [v for _, v in result.equity_curve]
    assert data["benchmark"] == [v for _, v in result.benchmark_curve]
    assert len(data["drawdown"]) == len(result.equity_curve)
    p = data["prices"][0]
    assert p["symbol"] == "600519.SH" and len(p["ohlc"]) == len(result.prices["600519.SH"])
    o, h, lo, c = result.prices["600519.SH"][0][1:]
    assert p["ohlc"][0] == [o, c, lo, h]
    assert p["buys"][0][0] == result.trades[0].datetime[:10] and len(p["sells"]) == 1
    assert {(cell[0], cell[1]) for cell in data["heat"]} >= {(10, 0), (2, 1)}  # Nov 2023, Mar 2024


def test_report_in_english(result):
    page = render_html(result, lang="en")
    assert '<html lang="en">' in page
    for label in ("Total return", "Max drawdown", "Limit up", "T+1: shares bought today cannot be sold",
                  "Monthly returns", "Rejected orders"):
        assert label in page
    assert "总收益率" not in page and "涨停" not in page


def test_report_colours_are_configurable_and_checked(result):
    page = render_html(result, up_color="#d00000", down_color="#00aa00")
    assert "#d00000" in page and "#00aa00" in page
    with pytest.raises(InvalidInput):
        render_html(result, up_color="red;}</style><script>")


def test_render_unfinalised_result_does_not_mutate_it():
    raw = make_result()
    page = render_html(raw)
    assert raw.metrics == {} and raw.tables == {}
    assert "总收益率" in page


def test_finalized_result_dumps_as_strict_json(result):
    back = json.loads(result.to_json())
    assert back["metrics"]["trade_count"] == 2 and back["metrics"]["win_rate"] == 1.0
    assert back["tables"]["monthly"][0] == {"year": 2023, "month": 11,
                                            "return": pytest.approx(result.tables["monthly"][0]["return"])}


def test_widget_builds_and_holds_the_curves(result):
    import bqplot
    import ipywidgets as w

    tab = report_widget(result)
    assert isinstance(tab, w.Tab) and len(tab.children) == 4
    overview = tab.children[0]
    figures = [c for c in overview.children if isinstance(c, bqplot.Figure)]
    assert len(figures) == 2
    lines = {m.labels[0]: m for m in figures[0].marks}
    assert list(lines["策略"].y) == pytest.approx([v for _, v in result.equity_curve])
    assert list(lines["基准"].y) == pytest.approx([v for _, v in result.benchmark_curve])
    assert str(lines["策略"].x[0])[:10] == result.equity_curve[0][0]
    dd = figures[1].marks[0]
    assert list(dd.y) == pytest.approx([-r["drawdown"] for r in result.tables["drawdown"]])
    assert min(dd.y) == pytest.approx(-result.metrics["max_drawdown"])
    html = "".join(c.value for c in tab.children[1:] if isinstance(c, w.HTML))
    assert "涨停" in html and "月度收益" in html and EVIL not in html


def test_widget_in_english_without_benchmark():
    import ipywidgets as w

    raw = make_result()
    raw.benchmark_curve = []
    tab = report_widget(raw, lang="en")
    assert tab.titles == ("Overview", "Returns", "All metrics", "Trades")
    fig = tab.children[0].children[1]
    assert [m.labels[0] for m in fig.marks] == ["Strategy"]
    assert "Limit up" in "".join(c.value for c in tab.children[1:] if isinstance(c, w.HTML))
    assert raw.metrics == {}


def test_missing_prices_and_benchmark_points_do_not_break_the_page():
    raw = make_result()
    day, *_ = raw.prices["600519.SH"][3]
    raw.prices["600519.SH"][3] = (day, float("nan"), 1.0, 1.0, 1.0)
    raw.benchmark_curve[4] = (raw.benchmark_curve[4][0], float("nan"))
    page = render_html(raw)
    data = json.loads(re.search(r'id="jlq-report-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert day not in data["prices"][0]["dates"] and data["benchmark"][4] is None
