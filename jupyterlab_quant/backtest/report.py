"""Backtest report (回测报告): one self-contained HTML file, plus the labels and tables widgets reuse.

The page works offline: the vendored Apache ECharts (``assets/echarts.min.js``, licence in
``assets/ECHARTS_LICENSE.txt``) is inlined, chart data sits in a ``<script type="application/json">``
block, and every table is rendered here in Python so the numbers read even without JavaScript.
Everything the user typed (strategy names, params, log lines, symbols) goes through ``html.escape``.
Chinese convention by default: gains red, losses green (both configurable).
"""

from __future__ import annotations

import html
import json
import math
import re
from collections import Counter
from dataclasses import replace
from functools import cache
from importlib.resources import files
from pathlib import PurePath
from typing import Any

from ..core.errors import InvalidInput
from .metrics import finalize
from .spec import BacktestResult

UP = "#e03131"
DOWN = "#2f9e44"
STRATEGY_COLOR = "#1c7ed6"   # neutral blue: red/green already mean gain/loss on this page
BENCHMARK_COLOR = "#868e96"
MAX_TABLE_ROWS = 1000        # long trade lists stay in the JSON result; the page shows the first ones
MAX_PRICE_CHARTS = 10        # most-traded symbols only, to keep the file small

_COLOR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\([0-9., %]+\))$")

# --- labels -------------------------------------------------------------------------------------

METRIC_LABELS: dict[str, tuple[str, str]] = {
    "total_return": ("总收益率", "Total return"),
    "annual_return": ("年化收益率", "Annual return"),
    "volatility": ("年化波动率", "Volatility (ann.)"),
    "sharpe": ("夏普比率", "Sharpe ratio"),
    "sortino": ("索提诺比率", "Sortino ratio"),
    "calmar": ("卡玛比率", "Calmar ratio"),
    "max_drawdown": ("最大回撤", "Max drawdown"),
    "max_drawdown_start": ("回撤起点（峰值日）", "Drawdown peak"),
    "max_drawdown_end": ("回撤谷底日", "Drawdown trough"),
    "max_drawdown_recovery": ("回撤修复日", "Drawdown recovery"),
    "max_drawdown_duration": ("回撤持续（交易日）", "Drawdown duration (days)"),
    "alpha": ("阿尔法（年化）", "Alpha (ann.)"),
    "beta": ("贝塔", "Beta"),
    "information_ratio": ("信息比率", "Information ratio"),
    "tracking_error": ("跟踪误差", "Tracking error"),
    "excess_return": ("超额收益", "Excess return"),
    "benchmark_return": ("基准收益率", "Benchmark return"),
    "benchmark_annual_return": ("基准年化收益率", "Benchmark annual return"),
    "win_rate": ("胜率", "Win rate"),
    "profit_loss_ratio": ("盈亏比", "Profit/loss ratio"),
    "turnover": ("年化换手率（倍）", "Turnover (ann., ×)"),
    "trade_count": ("成交笔数", "Fills"),
    "round_trip_count": ("交易回合数", "Round trips"),
    "fees_commission": ("佣金", "Commission"),
    "fees_stamp_duty": ("印花税", "Stamp duty"),
    "fees_transfer_fee": ("过户费", "Transfer fee"),
    "fees_total": ("费用合计", "Total fees"),
    "trading_days": ("交易日数", "Trading days"),
    "start_value": ("初始资产", "Start value"),
    "end_value": ("期末资产", "End value"),
}

REASON_LABELS: dict[str, tuple[str, str]] = {
    "limit_up": ("涨停", "Limit up"),
    "limit_down": ("跌停", "Limit down"),
    "suspended": ("停牌", "Suspended"),
    "lot_size": ("不足一手/申报数量不合规", "Lot size (below one lot / invalid quantity)"),
    "insufficient_cash": ("资金不足", "Insufficient cash"),
    "insufficient_position": ("持仓不足", "Insufficient position"),
    "t_plus_1": ("T+1 当日买入不可卖出", "T+1: shares bought today cannot be sold"),
}

TEXT: dict[str, tuple[str, str]] = {
    "title": ("回测报告", "Backtest report"),
    "strategy": ("策略", "Strategy"),
    "symbols": ("标的", "Symbols"),
    "period": ("区间", "Period"),
    "profile": ("券商费率方案", "Broker profile"),
    "cash": ("初始资金", "Start cash"),
    "benchmark": ("基准", "Benchmark"),
    "params": ("参数", "Parameters"),
    "overrides": ("本次覆盖", "Overrides"),
    "elapsed": ("耗时", "Elapsed"),
    "key_metrics": ("关键指标", "Key metrics"),
    "overview": ("概览", "Overview"),
    "returns_tab": ("收益", "Returns"),
    "equity_chart": ("净值曲线（策略 vs 基准）", "Equity vs benchmark"),
    "drawdown_chart": ("回撤", "Drawdown"),
    "monthly": ("月度收益", "Monthly returns"),
    "price_chart": ("交易点位", "Trades on price"),
    "all_metrics": ("指标明细", "All metrics"),
    "yearly": ("年度收益", "Yearly returns"),
    "stress": ("压力情景", "Stress windows"),
    "fees": ("费用明细", "Fees by kind"),
    "trades": ("成交记录", "Trades"),
    "rejections": ("被拒订单", "Rejected orders"),
    "corporate_actions": ("除权除息", "Corporate actions"),
    "positions": ("期末持仓", "End positions"),
    "log": ("策略日志", "Strategy log"),
    "strategy_line": ("策略", "Strategy"),
    "benchmark_line": ("基准", "Benchmark"),
    "buy": ("买入", "Buy"),
    "sell": ("卖出", "Sell"),
    "none": ("无", "None"),
    "year": ("年份", "Year"),
    "month": ("月", "Month"),
    "return": ("收益率", "Return"),
    "benchmark_return": ("基准收益率", "Benchmark return"),
    "excess": ("超额", "Excess"),
    "full_year": ("全年", "Year"),
    "window": ("情景", "Window"),
    "start": ("开始", "Start"),
    "end": ("结束", "End"),
    "max_drawdown": ("最大回撤", "Max drawdown"),
    "coverage": ("覆盖", "Coverage"),
    "partial": ("部分", "partial"),
    "full": ("完整", "full"),
    "kind": ("类别", "Kind"),
    "group": ("分组", "Group"),
    "metric": ("指标", "Metric"),
    "metric_value": ("数值", "Value"),
    "amount": ("金额", "Amount"),
    "datetime": ("时间", "Time"),
    "symbol": ("代码", "Symbol"),
    "side": ("方向", "Side"),
    "price": ("价格", "Price"),
    "size": ("数量", "Size"),
    "value": ("成交额", "Value"),
    "reason": ("原因", "Reason"),
    "detail": ("说明", "Detail"),
    "count": ("次数", "Count"),
    "date": ("日期", "Date"),
    "ratio": ("比例", "Ratio"),
    "shares_before": ("调整前股数", "Shares before"),
    "shares_after": ("调整后股数", "Shares after"),
    "cash_in_lieu": ("零股折现", "Cash in lieu"),
    "shares": ("股数", "Shares"),
    "truncated": ("仅显示前 {n} 条，共 {total} 条（完整记录见 JSON 结果）",
                  "Showing the first {n} of {total} rows (the JSON result has all of them)"),
    "charts_limited": ("仅绘制成交最多的 {n} 只标的", "Only the {n} most-traded symbols are charted"),
    "no_js": ("图表需要启用 JavaScript。", "Charts need JavaScript."),
    "inline_strategy": ("内联策略", "inline strategy"),
}

PCT_KEYS = frozenset({"total_return", "annual_return", "volatility", "max_drawdown", "alpha", "tracking_error",
                      "excess_return", "benchmark_return", "benchmark_annual_return", "win_rate"})
RATIO_KEYS = frozenset({"sharpe", "sortino", "calmar", "beta", "information_ratio", "profit_loss_ratio",
                        "turnover"})
MONEY_KEYS = frozenset({"fees_commission", "fees_stamp_duty", "fees_transfer_fee", "fees_total",
                        "start_value", "end_value"})
SIGNED_KEYS = frozenset({"total_return", "annual_return", "alpha", "excess_return", "benchmark_return",
                         "benchmark_annual_return"})
CARD_KEYS = ("total_return", "annual_return", "excess_return", "max_drawdown", "sharpe", "volatility",
             "win_rate", "trade_count")
METRIC_GROUPS: tuple[tuple[tuple[str, str], tuple[str, ...]], ...] = (
    (("收益", "Returns"), ("total_return", "annual_return", "benchmark_return", "benchmark_annual_return",
                          "excess_return", "start_value", "end_value", "trading_days")),
    (("风险", "Risk"), ("volatility", "max_drawdown", "max_drawdown_start", "max_drawdown_end",
                        "max_drawdown_recovery", "max_drawdown_duration")),
    (("风险调整", "Risk-adjusted"), ("sharpe", "sortino", "calmar", "alpha", "beta", "information_ratio",
                                    "tracking_error")),
    (("交易", "Trading"), ("win_rate", "profit_loss_ratio", "turnover", "trade_count", "round_trip_count",
                           "fees_total")),
)


def _en(lang: str) -> bool:
    return not lang.lower().startswith("zh")


def text(key: str, lang: str = "zh") -> str:
    """A UI string in ``lang`` (zh by default; anything not zh-* is English)."""
    zh, en = TEXT[key]
    return en if _en(lang) else zh


def metric_label(key: str, lang: str = "zh") -> str:
    zh, en = METRIC_LABELS.get(key, (key, key))
    return en if _en(lang) else zh


def reason_label(reason: str, lang: str = "zh") -> str:
    """A rejection reason code (``limit_up`` …) as the user reads it: 涨停, 跌停, 停牌 …"""
    zh, en = REASON_LABELS.get(reason, (reason, reason))
    return en if _en(lang) else zh


# --- formatting ---------------------------------------------------------------------------------

def fmt_pct(v: Any) -> str:
    return "—" if v is None else f"{float(v) * 100:.2f}%"


def fmt_num(v: Any, digits: int = 2) -> str:
    return "—" if v is None else f"{float(v):,.{digits}f}"


def format_metric(key: str, v: Any) -> str:
    if v is None:
        return "—"
    if key in PCT_KEYS:
        return fmt_pct(v)
    if key in RATIO_KEYS:
        return fmt_num(v)
    if key in MONEY_KEYS:
        return fmt_num(v)
    if isinstance(v, float):
        return fmt_num(v, 4)
    return html.escape(str(v))


def _sign_class(v: Any) -> str:
    if v is None:
        return ""
    return "up" if v > 0 else "down" if v < 0 else ""


def table_css(up_color: str = UP, down_color: str = DOWN) -> str:
    """CSS for the report tables (scoped to ``.jlq-bt``), shared with the notebook widget."""
    _check_color(up_color)
    _check_color(down_color)
    return (".jlq-bt table{border-collapse:collapse;margin:6px 0 14px;font-size:13px}"
            ".jlq-bt th,.jlq-bt td{border:1px solid #dee2e6;padding:3px 8px;text-align:left;white-space:nowrap}"
            ".jlq-bt th{background:#f1f3f5;font-weight:600}.jlq-bt td.num{text-align:right;"
            "font-variant-numeric:tabular-nums}"
            f".jlq-bt .up{{color:{up_color}}}.jlq-bt .down{{color:{down_color}}}"
            ".jlq-bt .muted{color:#868e96;font-size:12px}")


def html_table(headers: list[str], rows: list[list[tuple[str, str]]], *, empty: str = "—") -> str:
    """A table from already-escaped cells; each cell is (html, css class)."""
    if not rows:
        return f'<p class="muted">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="{c}">{v}</td>' if c else f"<td>{v}</td>" for v, c in r)
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def esc(v: Any) -> str:
    """``html.escape`` that also accepts None and non-strings."""
    return html.escape("" if v is None else str(v))


def _pct_cell(v: Any) -> tuple[str, str]:
    return fmt_pct(v), f"num {_sign_class(v)}".strip()


def _truncation_note(total: int, lang: str) -> str:
    if total <= MAX_TABLE_ROWS:
        return ""
    return f'<p class="muted">{esc(text("truncated", lang).format(n=MAX_TABLE_ROWS, total=total))}</p>'


# --- tables (shared with jupyterlab_quant.widgets.backtest) -------------------------------------

def metrics_table_html(metrics: dict[str, Any], lang: str = "zh") -> str:
    """Every metric, grouped, labelled in ``lang``; gains/losses coloured."""
    rows: list[list[tuple[str, str]]] = []
    listed: set[str] = set()
    for (gzh, gen), keys in METRIC_GROUPS:
        group = gen if _en(lang) else gzh
        for k in keys:
            listed.add(k)
            v = metrics.get(k)
            cls = "num " + (_sign_class(v) if k in SIGNED_KEYS else "down" if k == "max_drawdown" and v else "")
            rows.append([(esc(group), ""), (esc(metric_label(k, lang)), ""), (format_metric(k, v), cls.strip())])
    for k, v in metrics.items():  # anything new the engine adds still shows up
        if k not in listed and not k.startswith("fees_"):
            rows.append([("", ""), (esc(metric_label(k, lang)), ""), (format_metric(k, v), "num")])
    return html_table([text("group", lang), text("metric", lang), text("metric_value", lang)], rows,
                      empty=text("none", lang))


def fees_table_html(metrics: dict[str, Any], lang: str = "zh") -> str:
    rows = [[(esc(metric_label(k, lang)), ""), (fmt_num(metrics.get(k)), "num")]
            for k in ("fees_commission", "fees_stamp_duty", "fees_transfer_fee", "fees_total")]
    return html_table([text("kind", lang), text("amount", lang)], rows)


def monthly_table_html(monthly: list[dict[str, Any]], yearly: list[dict[str, Any]], lang: str = "zh") -> str:
    """Year × month grid of returns, with the full-year return in the last column."""
    if not monthly:
        return html_table([], [], empty=text("none", lang))
    grid: dict[int, dict[int, Any]] = {}
    for row in monthly:
        grid.setdefault(int(row["year"]), {})[int(row["month"])] = row["return"]
    year_ret = {int(r["year"]): r["return"] for r in yearly}
    headers = [text("year", lang)] + [str(m) if _en(lang) else f"{m}月" for m in range(1, 13)]
    headers.append(text("full_year", lang))
    rows = []
    for y in sorted(grid):
        cells: list[tuple[str, str]] = [(str(y), "")]
        cells += [_pct_cell(grid[y][m]) if m in grid[y] else ("", "") for m in range(1, 13)]
        cells.append(_pct_cell(year_ret.get(y)))
        rows.append(cells)
    return html_table(headers, rows)


def yearly_table_html(yearly: list[dict[str, Any]], lang: str = "zh") -> str:
    rows = [[(str(r["year"]), ""), _pct_cell(r["return"]), _pct_cell(r.get("benchmark_return")),
             _pct_cell(r.get("excess"))] for r in yearly]
    return html_table([text("year", lang), text("return", lang), text("benchmark_return", lang),
                       text("excess", lang)], rows, empty=text("none", lang))


def stress_table_html(stress: list[dict[str, Any]], lang: str = "zh") -> str:
    rows = []
    for r in stress:
        name = r["name_en"] if _en(lang) else r["name_zh"]
        cov = text("partial", lang) if r.get("partial") else text("full", lang)
        rows.append([(esc(name), ""), (esc(r["start"]), ""), (esc(r["end"]), ""), _pct_cell(r["return"]),
                     _pct_cell(r.get("benchmark_return")), _pct_cell(r.get("excess")),
                     (fmt_pct(r.get("max_drawdown")), "num down" if r.get("max_drawdown") else "num"),
                     (esc(cov), "")])
    return html_table([text("window", lang), text("start", lang), text("end", lang), text("return", lang),
                       text("benchmark_return", lang), text("excess", lang), text("max_drawdown", lang),
                       text("coverage", lang)], rows, empty=text("none", lang))


def _side(side: str, lang: str) -> tuple[str, str]:
    s = side.lower()
    if s == "buy":
        return esc(text("buy", lang)), "up"
    if s == "sell":
        return esc(text("sell", lang)), "down"
    return esc(side), ""


def trades_table_html(result: BacktestResult, lang: str = "zh") -> str:
    rows = [[(esc(f.datetime), ""), (esc(f.symbol), ""), _side(f.side, lang), (fmt_num(f.price, 3), "num"),
             (f"{int(f.size):,}", "num"), (fmt_num(f.value or f.price * f.size), "num"),
             (fmt_num(f.commission), "num"), (fmt_num(f.stamp_duty), "num"), (fmt_num(f.transfer_fee), "num")]
            for f in result.trades[:MAX_TABLE_ROWS]]
    headers = [text("datetime", lang), text("symbol", lang), text("side", lang), text("price", lang),
               text("size", lang), text("value", lang), metric_label("fees_commission", lang),
               metric_label("fees_stamp_duty", lang), metric_label("fees_transfer_fee", lang)]
    return html_table(headers, rows, empty=text("none", lang)) + _truncation_note(len(result.trades), lang)


def rejections_table_html(result: BacktestResult, lang: str = "zh") -> str:
    """A count per reason, then the rejected orders with their reasons translated."""
    counts = Counter(r.reason for r in result.rejections)
    summary = html_table([text("reason", lang), text("count", lang)],
                         [[(esc(reason_label(k, lang)), ""), (str(n), "num")] for k, n in counts.most_common()],
                         empty=text("none", lang))
    if not result.rejections:
        return summary
    rows = [[(esc(r.datetime), ""), (esc(r.symbol), ""), _side(r.side, lang), (f"{int(r.size):,}", "num"),
             (esc(reason_label(r.reason, lang)), ""), (esc(r.detail), "")]
            for r in result.rejections[:MAX_TABLE_ROWS]]
    detail = html_table([text("datetime", lang), text("symbol", lang), text("side", lang), text("size", lang),
                         text("reason", lang), text("detail", lang)], rows)
    return summary + detail + _truncation_note(len(result.rejections), lang)


def corporate_actions_table_html(result: BacktestResult, lang: str = "zh") -> str:
    rows = [[(esc(c.date), ""), (esc(c.symbol), ""), (fmt_num(c.ratio, 4), "num"), (f"{c.shares_before:,}", "num"),
             (f"{c.shares_after:,}", "num"), (fmt_num(c.cash_in_lieu), "num")] for c in result.corporate_actions]
    return html_table([text("date", lang), text("symbol", lang), text("ratio", lang), text("shares_before", lang),
                       text("shares_after", lang), text("cash_in_lieu", lang)], rows, empty=text("none", lang))


def positions_table_html(result: BacktestResult, lang: str = "zh") -> str:
    rows = [[(esc(s), ""), (f"{int(n):,}", "num")] for s, n in sorted(result.positions.items()) if n]
    return html_table([text("symbol", lang), text("shares", lang)], rows, empty=text("none", lang))


def cards_html(metrics: dict[str, Any], lang: str = "zh") -> str:
    out = []
    for k in CARD_KEYS:
        v = metrics.get(k)
        cls = _sign_class(v) if k in SIGNED_KEYS else "down" if k == "max_drawdown" and v else ""
        out.append(f'<div class="card"><div class="card-label">{esc(metric_label(k, lang))}</div>'
                   f'<div class="card-value {cls}">{format_metric(k, v)}</div></div>')
    return '<div class="cards">' + "".join(out) + "</div>"


def strategy_name(result: BacktestResult, lang: str = "zh") -> str:
    """What the user calls this run: label, else class name, else file name (unescaped)."""
    spec = result.spec
    if spec.label:
        return spec.label
    if spec.strategy_class:
        return spec.strategy_class
    if spec.strategy_file:
        return PurePath(spec.strategy_file).name
    return text("inline_strategy", lang)


# --- the page -----------------------------------------------------------------------------------

@cache
def echarts_js() -> str:
    """The vendored ECharts bundle (Apache-2.0), read once per process."""
    js = files("jupyterlab_quant.backtest").joinpath("assets", "echarts.min.js").read_text(encoding="utf-8")
    # A literal "</script" would end the inline <script> early; the bundle has none, but stay safe.
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)


def _check_color(c: str) -> None:
    if not _COLOR.match(c):
        raise InvalidInput(f"颜色格式不合法 (invalid colour): {c!r}", "用 #RRGGBB 形式，例如 #e03131")


def _json_for_script(data: Any) -> str:
    # JSON inside <script> must not contain "</script>" or "<!--"; escaping <, >, & as \u00XX keeps
    # the text valid JSON and inert HTML.
    s = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def chart_data(result: BacktestResult, lang: str = "zh") -> dict[str, Any]:
    """Everything the charts draw, JSON-ready (also handy for other front ends)."""
    dates = [str(d)[:10] for d, _ in result.equity_curve]
    bench = {str(d)[:10]: _finite(v) for d, v in result.benchmark_curve}
    monthly = result.tables.get("monthly", [])
    years = sorted({int(r["year"]) for r in monthly})
    heat = [[int(r["month"]) - 1, years.index(int(r["year"])),
             round(r["return"] * 100, 2) if r["return"] is not None else None] for r in monthly]
    fill_count = Counter(f.symbol for f in result.trades)
    charted = [s for s, _ in fill_count.most_common() if result.prices.get(s)][:MAX_PRICE_CHARTS]
    prices = []
    for sym in charted:
        # a bar with a missing price cannot be drawn (and NaN is not JSON): leave the day out
        rows = [r for r in result.prices[sym] if all(_finite(x) is not None for x in r[1:5])]
        fills = [f for f in result.trades if f.symbol == sym]
        prices.append({
            "symbol": sym,
            "dates": [str(r[0])[:10] for r in rows],
            "ohlc": [[r[1], r[4], r[3], r[2]] for r in rows],  # ECharts order: open, close, low, high
            "buys": [[f.datetime[:10], f.price, f.size] for f in fills if f.side.lower() == "buy"],
            "sells": [[f.datetime[:10], f.price, f.size] for f in fills if f.side.lower() == "sell"],
        })
    keys = ("strategy_line", "benchmark_line", "drawdown_chart", "buy", "sell", "return", "month", "year")
    return {
        "dates": dates,
        "equity": [_finite(v) for _, v in result.equity_curve],
        "benchmark": [bench.get(d) for d in dates] if bench else None,
        "drawdown": [round(-r["drawdown"] * 100, 4) for r in result.tables.get("drawdown", [])],
        "years": [str(y) for y in years],
        "months": [str(m) if _en(lang) else f"{m}月" for m in range(1, 13)],
        "heat": heat,
        "prices": prices,
        "more_symbols": max(len([s for s in fill_count if result.prices.get(s)]) - MAX_PRICE_CHARTS, 0),
        "labels": {k: text(k, lang) for k in keys},
    }


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def render_html(result: BacktestResult, *, lang: str = "zh", up_color: str = UP, down_color: str = DOWN) -> str:
    """The whole report as one offline HTML document (ECharts inlined, ~1.1 MB + data)."""
    _check_color(up_color)
    _check_color(down_color)
    if not result.metrics or not result.tables:
        result = finalize(replace(result))  # a copy: rendering must not change the caller's result
    m = result.metrics
    spec = result.spec
    name = strategy_name(result, lang)
    data = chart_data(result, lang)
    data["colors"] = {"up": up_color, "down": down_color, "strategy": STRATEGY_COLOR, "benchmark": BENCHMARK_COLOR}

    overrides = {k: getattr(spec, k) for k in ("commission", "min_commission", "slippage", "volume_cap")
                 if getattr(spec, k) is not None}
    info = [
        (text("strategy", lang), name),
        (text("symbols", lang), ", ".join(spec.symbols)),
        (text("period", lang), f"{spec.start.isoformat()} → {spec.end.isoformat()}"),
        (text("profile", lang), spec.profile),
        (text("cash", lang), fmt_num(spec.cash)),
        (text("benchmark", lang), spec.benchmark or "—"),
    ]
    if overrides:
        info.append((text("overrides", lang), json.dumps(overrides, ensure_ascii=False)))
    if spec.params:
        info.append((text("params", lang), json.dumps(spec.params, ensure_ascii=False, default=str)))
    if result.elapsed_s:
        info.append((text("elapsed", lang), f"{result.elapsed_s:.1f} s"))
    info_html = "".join(f"<div><span class='muted'>{esc(k)}</span> {esc(v)}</div>" for k, v in info)

    price_divs = "".join(f'<h3>{esc(p["symbol"])}</h3><div class="chart" id="price-{i}"></div>'
                         for i, p in enumerate(data["prices"]))
    if data["more_symbols"]:
        price_divs += f'<p class="muted">{esc(text("charts_limited", lang).format(n=MAX_PRICE_CHARTS))}</p>'
    if not data["prices"]:
        price_divs = f'<p class="muted">{esc(text("none", lang))}</p>'
    log_html = ""
    if result.log:
        log_html = (f"<details><summary>{esc(text('log', lang))} ({len(result.log)})</summary>"
                    f"<pre>{esc(chr(10).join(result.log))}</pre></details>")

    def section(key: str, body: str) -> str:
        return f"<section><h2>{esc(text(key, lang))}</h2>{body}</section>"

    tables = result.tables
    body = "".join([
        section("key_metrics", cards_html(m, lang)),
        section("equity_chart", '<div class="chart" id="equity-chart"></div>'),
        section("drawdown_chart", '<div class="chart small" id="drawdown-chart"></div>'),
        section("monthly", '<div class="chart small" id="monthly-chart"></div>'
                + monthly_table_html(tables.get("monthly", []), tables.get("yearly", []), lang)),
        section("price_chart", price_divs),
        section("all_metrics", metrics_table_html(m, lang)),
        section("yearly", yearly_table_html(tables.get("yearly", []), lang)),
        section("stress", stress_table_html(tables.get("stress", []), lang)),
        section("fees", fees_table_html(m, lang)),
        section("trades", trades_table_html(result, lang)),
        section("rejections", rejections_table_html(result, lang)),
        section("corporate_actions", corporate_actions_table_html(result, lang)),
        section("positions", positions_table_html(result, lang)),
        log_html,
    ])
    title = f"{text('title', lang)} · {name}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"en" if _en(lang) else "zh-CN"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_PAGE_CSS}{table_css(up_color, down_color)}</style></head>"
        f'<body class="jlq-bt"><header><h1>{esc(title)}</h1><div class="info">{info_html}</div>'
        f'<noscript><p class="muted">{esc(text("no_js", lang))}</p></noscript></header>'
        f"{body}"
        f'<script type="application/json" id="jlq-report-data">{_json_for_script(data)}</script>'
        f"<script>{echarts_js()}</script>"
        f"<script>{_CHART_JS}</script>"
        "</body></html>\n"
    )


_PAGE_CSS = (
    "body{font-family:-apple-system,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;"
    "margin:0 auto;max-width:1200px;padding:16px 24px;color:#212529}"
    "h1{font-size:22px;margin:4px 0 8px}h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid #dee2e6;"
    "padding-bottom:4px}h3{font-size:14px;margin:10px 0 2px}"
    ".info{display:flex;flex-wrap:wrap;gap:4px 20px;font-size:13px}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:10px}"
    ".card{border:1px solid #dee2e6;border-radius:6px;padding:8px 12px}"
    ".card-label{font-size:12px;color:#868e96}.card-value{font-size:20px;font-weight:600}"
    ".chart{width:100%;height:360px}.chart.small{height:260px}"
    "pre{font-size:12px;background:#f8f9fa;padding:8px;max-height:400px;overflow:auto}"
    "section{overflow-x:auto}"
)

# Plain ES5 so the page also opens in older embedded browsers (WeChat, tablets).
_CHART_JS = r"""
(function () {
  var D = JSON.parse(document.getElementById('jlq-report-data').textContent);
  var C = D.colors, L = D.labels, charts = [];
  function mk(id, option) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === 'undefined') { return; }
    var c = echarts.init(el); c.setOption(option); charts.push(c);
  }
  function pct(v) { return v === null || v === undefined ? '—' : v.toFixed(2) + '%'; }
  var zoom = [{type: 'inside'}, {type: 'slider', height: 18}];
  var eqSeries = [{name: L.strategy_line, type: 'line', data: D.equity, showSymbol: false,
                   lineStyle: {width: 1.5}, itemStyle: {color: C.strategy}}];
  if (D.benchmark) {
    eqSeries.push({name: L.benchmark_line, type: 'line', data: D.benchmark, showSymbol: false,
                   connectNulls: true, lineStyle: {width: 1.2}, itemStyle: {color: C.benchmark}});
  }
  mk('equity-chart', {tooltip: {trigger: 'axis'}, legend: {top: 0}, grid: {left: 70, right: 20, top: 30, bottom: 60},
      xAxis: {type: 'category', data: D.dates}, yAxis: {type: 'value', scale: true}, dataZoom: zoom,
      series: eqSeries});
  mk('drawdown-chart', {tooltip: {trigger: 'axis', valueFormatter: pct},
      grid: {left: 70, right: 20, top: 10, bottom: 30},
      xAxis: {type: 'category', data: D.dates}, yAxis: {type: 'value', axisLabel: {formatter: '{value}%'}},
      series: [{name: L.drawdown_chart, type: 'line', data: D.drawdown, showSymbol: false,
                itemStyle: {color: C.down}, lineStyle: {width: 1}, areaStyle: {opacity: 0.35}}]});
  var maxAbs = 0.01;
  D.heat.forEach(function (c) { if (c[2] !== null) { maxAbs = Math.max(maxAbs, Math.abs(c[2])); } });
  mk('monthly-chart', {tooltip: {formatter: function (p) {
        return D.years[p.value[1]] + '-' + D.months[p.value[0]] + ': ' + pct(p.value[2]); }},
      grid: {left: 60, right: 90, top: 10, bottom: 30},
      xAxis: {type: 'category', data: D.months, splitArea: {show: true}},
      yAxis: {type: 'category', data: D.years, splitArea: {show: true}},
      visualMap: {min: -maxAbs, max: maxAbs, calculable: true, orient: 'vertical', right: 0, top: 'center',
                  itemHeight: 120, inRange: {color: [C.down, '#ffffff', C.up]}, formatter: function (v) {
                    return v.toFixed(1) + '%'; }},
      series: [{type: 'heatmap', data: D.heat, label: {show: D.years.length <= 12, fontSize: 10,
                formatter: function (p) { return p.value[2] === null ? '' : p.value[2].toFixed(1); }}}]});
  D.prices.forEach(function (p, i) {
    function marks(rows, name, color, rotate) {
      return {name: name, type: 'scatter', symbol: 'triangle', symbolSize: 11, symbolRotate: rotate,
              itemStyle: {color: color, borderColor: '#212529', borderWidth: 0.5}, z: 5,
              data: rows.map(function (r) { return {value: [r[0], r[1]], size: r[2]}; }),
              tooltip: {formatter: function (q) {
                return name + ' ' + q.data.value[0] + ' @ ' + q.data.value[1] + ' × ' + q.data.size; }}};
    }
    mk('price-' + i, {tooltip: {trigger: 'item'}, legend: {top: 0},
        grid: {left: 70, right: 20, top: 30, bottom: 60},
        xAxis: {type: 'category', data: p.dates}, yAxis: {type: 'value', scale: true}, dataZoom: zoom,
        series: [{name: p.symbol, type: 'candlestick', data: p.ohlc,
                  itemStyle: {color: C.up, color0: C.down, borderColor: C.up, borderColor0: C.down}},
                 marks(p.buys, L.buy, C.up, 0), marks(p.sells, L.sell, C.down, 180)]});
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
})();
"""
