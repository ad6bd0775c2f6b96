"""Live monitoring dashboard (实时监控看板) for notebooks and Voila: account, positions with 涨跌停/ST/停牌
flags, risk-rule states, latest alerts, watchlist quotes and an intraday chart, refreshed in place.

Owns :class:`MonitorDashboard` and the pure data → HTML helpers it renders with (``account_html``,
``position_rows``/``positions_html``, ``rules_html``, ``alerts_html``, ``watchlist_rows``/``watchlist_html``,
``limit_state``), which tests assert on directly. Prices come from the bus (live) and fall back to the
store's last daily close, marked as not live; when the bus is down the page says so and keeps showing
stored prices. Every section is built and refreshed on its own: a failing service shows a message in
its section, never a blank page or a traceback.

Refresh: one daemon thread listens to the bus (quotes, alerts, risk) on a connection of its own, so
``stop()`` can close it under a blocking read; another applies the changes (quote bursts coalesced to at
most one refresh per second) plus a full refresh every ``refresh_s`` seconds as the fallback. Widgets are
built once and only their values change, so the browser updates in place.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import bqplot
import ipywidgets as w
import numpy as np
import pandas as pd

from ..core.errors import QuantError
from ..core.live import Alert, Quote, exchange_now
from ..core.types import Board, Freq
from ..risk.rules.limit_down import day_limits
from . import common as c

if TYPE_CHECKING:
    from ..app import Services
    from ..bus import Bus
    from ..data.query import QueryService
    from ..risk.account import AccountSnapshot, PositionValue
    from ..risk.model import Rule

log = logging.getLogger("jupyterlab_quant.dashboards.monitor")

QUOTE_THROTTLE_S = 1.0     # at most one quote-driven refresh per second; bursts coalesce into it
BUS_RETRY_S = 3.0          # how often a dashboard whose bus is down tries again
SERIES_MAX_POINTS = 2000   # intraday points kept per symbol (a session has 240 minutes; quotes come every ~3 s)
ALERTS_SHOWN = 10
SHANGHAI = dt.timedelta(hours=8)
_STOCK_BOARDS = (Board.MAIN, Board.CHINEXT, Board.STAR, Board.BSE)

QUOTE_PARTS = frozenset({"account", "positions", "watchlist", "chart"})
ALL_PARTS = QUOTE_PARTS | {"rules", "alerts"}

TEXT: c.Text = {
    "title": ("实时监控", "Live monitor"),
    "live": ("实时", "Live"),
    "offline": ("离线", "Offline"),
    "offline_title": ("实时行情服务不可用，显示最近收盘价",
                      "Live quote service unavailable; showing the latest stored closes"),
    "offline_hint": ("启动 JupyterLab（会自动运行行情服务），或在终端运行 jlq scheduler；"
                     "使用外部 Redis 时请检查 redis_url。本页每隔几秒自动重连。",
                     "Start JupyterLab (it runs the quote service) or run `jlq scheduler` in a terminal; with an "
                     "external Redis check redis_url. This page reconnects by itself every few seconds."),
    "no_live": ("暂无实时行情（非交易时段或行情服务未运行），显示最近收盘价",
                "No live quotes (outside trading hours or the quote feed is not running); showing the latest "
                "stored closes"),
    "store_error": ("读取本地行情失败", "Could not read stored prices"),
    "sec_account": ("账户", "Account"),
    "sec_positions": ("持仓", "Positions"),
    "sec_rules": ("风控规则", "Risk rules"),
    "sec_alerts": ("最新预警", "Latest alerts"),
    "sec_watchlist": ("自选行情", "Watchlist"),
    "sec_chart": ("分时图", "Intraday chart"),
    "total_value": ("总资产", "Total value"),
    "pnl_today": ("今日盈亏", "P&L today"),
    "market_value": ("持仓市值", "Market value"),
    "cash": ("现金", "Cash"),
    "drawdown": ("回撤", "Drawdown"),
    "peak": ("峰值", "peak"),
    "account_empty": ("账户还没有设置", "The account is not set up yet"),
    "account_empty_detail": ("风控账户没有现金也没有持仓，没有可估值的内容。",
                             "The risk account has no cash and no positions, so there is nothing to value."),
    "account_empty_hint": ("在 JupyterLab 的 风控 面板 → 账户 中填写现金和持仓（可导入 CSV），或在终端运行 "
                           "jlq risk account set-cash 100000 和 jlq risk account add 600519.SH 100 1650",
                           "In JupyterLab open Risk → Account to enter cash and positions (CSV import works too), "
                           "or run `jlq risk account set-cash 100000` and `jlq risk account add 600519.SH 100 1650`"),
    "stale_note": ("未按实时价估值：{symbols}", "Not valued at a live price: {symbols}"),
    "col_symbol": ("代码", "Symbol"),
    "col_name": ("名称", "Name"),
    "col_qty": ("数量", "Qty"),
    "col_price": ("现价", "Price"),
    "col_value": ("市值", "Value"),
    "col_weight": ("仓位", "Weight"),
    "col_pnl": ("浮动盈亏", "P&L"),
    "col_pnl_pct": ("盈亏%", "P&L %"),
    "col_change": ("今日涨跌", "Today"),
    "col_flags": ("状态", "Flags"),
    "col_volume": ("成交量", "Volume"),
    "col_time": ("时间", "Time"),
    "no_positions": ("没有持仓", "No positions"),
    "flag_limit_up": ("涨停", "Limit up"),
    "flag_limit_down": ("跌停", "Limit down"),
    "flag_suspended": ("停牌", "Suspended"),
    "flag_stale": ("非实时", "Not live"),
    "flag_no_quote": ("无行情", "No quote"),
    "close_mark": ("收盘价", "Close"),
    "col_rule": ("规则", "Rule"),
    "col_kind": ("类型", "Kind"),
    "col_state": ("状态", "State"),
    "col_message": ("说明", "Message"),
    "col_checked": ("检查时间", "Checked"),
    "state_ok": ("正常", "OK"),
    "state_breach": ("触发", "Breached"),
    "state_error": ("出错", "Error"),
    "state_disabled": ("已停用", "Disabled"),
    "state_no_data": ("无数据", "No data"),
    "no_rules": ("还没有风控规则", "No risk rules yet"),
    "no_rules_hint": ("在 JupyterLab 的 风控 面板添加规则，或在终端运行 jlq risk rules add --defaults 安装默认规则集",
                      "Add rules in JupyterLab's Risk panel, or run `jlq risk rules add --defaults` to install "
                      "the default set"),
    "col_severity": ("级别", "Severity"),
    "col_alert": ("预警", "Alert"),
    "sev_critical": ("严重", "Critical"),
    "sev_warning": ("警告", "Warning"),
    "sev_info": ("提示", "Info"),
    "no_alerts": ("暂无预警", "No alerts yet"),
    "empty_watchlist": ("自选股为空：在 JupyterLab 的 自选 面板添加代码",
                        "The watchlist is empty: add symbols in JupyterLab's Watchlist panel"),
    "chart_pick": ("代码", "Symbol"),
    "chart_none": ("没有可显示的代码：添加持仓或自选股后在此选择",
                   "Nothing to chart: add a holding or a watchlist symbol"),
    "chart_empty": ("暂无分时数据（收到实时行情后自动绘制）", "No intraday data yet (drawn as live quotes arrive)"),
    "chart_info": ("{day} · {n} 个点 · 前收 {preclose}", "{day} · {n} points · prev close {preclose}"),
    "price_line": ("价格", "Price"),
    "preclose_line": ("前收", "Prev close"),
}

# risk/model.py states → a class of the shared stylesheet
STATE_CSS = {"ok": "ok", "breach": "breach", "error": "error", "disabled": "disabled", "no_data": "no_data"}
SEVERITY_CSS = {"critical": "breach", "warning": "warn", "info": "unknown"}


def _t(key: str, lang: str) -> str:
    return c.tr(TEXT, key, lang)


# --- formatting ----------------------------------------------------------------------------------

def _finite(v: float | None) -> bool:
    return v is not None and isinstance(v, int | float) and math.isfinite(v)


def fmt_price(v: float | None) -> str:
    """2 decimals, 3 when the price has a third (fund/ETF ticks are 0.001)."""
    if not _finite(v):
        return "—"
    assert v is not None
    return f"{v:,.3f}" if abs(round(v, 2) - v) > 1e-9 else f"{v:,.2f}"


def fmt_volume(v: float | None, lang: str) -> str:
    if not _finite(v) or not v:
        return "—"
    assert v is not None
    if lang == "en":
        for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if abs(v) >= div:
                return f"{v / div:,.2f}{unit}"
        return f"{v:,.0f}"
    for div, unit in ((1e8, "亿"), (1e4, "万")):
        if abs(v) >= div:
            return f"{v / div:,.2f}{unit}"
    return f"{v:,.0f}"


def fmt_time(t: dt.datetime | None, today: dt.date | None = None) -> str:
    """HH:MM:SS for today, else YYYY-MM-DD HH:MM (a stored close is dated its day)."""
    if t is None:
        return "—"
    if today is not None and t.date() == today:
        return t.strftime("%H:%M:%S")
    return t.strftime("%Y-%m-%d %H:%M")


def _signed_money(v: float | None) -> str:
    return "—" if not _finite(v) else f"{v:+,.2f}"


def _num_cell(text: str, css: str = "") -> tuple[str, str]:
    return text, f"num {css}".strip()


def _flag(label: str, css: str = "") -> str:
    return f'<span class="jlq-flag {c.esc(css)}">{c.esc(label)}</span>'


def table_html(headers: Sequence[str], rows: Sequence[tuple[Mapping[str, str], Sequence[tuple[str, str]]]], *,
               empty: str, key: str = "") -> str:
    """:func:`common.table` of ``(row attributes, cells)`` pairs (``data-symbol`` for tests and the browser)."""
    return c.table(headers, [cells for _, cells in rows], empty=empty, key=key, row_attrs=[a for a, _ in rows])


# --- A-share flags ---------------------------------------------------------------------------------

def st_mark(name: str) -> str:
    """'*ST', 'ST' or '' from a stock name (the same reading the risk rules use)."""
    from ..risk.rules.base import st_mark as mark

    return mark(name or "")


def limit_state(quote: Quote | None, board: Board, name: str = "") -> str | None:
    """"up"/"down" when the quote's price sits at that day's limit price (涨停/跌停), else None; the band is
    the one the ``limit_down`` risk rule uses (board, ST mark, no limits on IPO days)."""
    if quote is None or quote.suspended or not _finite(quote.preclose) or not quote.preclose > 0:
        return None
    if board not in _STOCK_BOARDS and board is not Board.ETF:
        return None
    lp, _ = day_limits(quote, board, name)
    if lp is None:
        return None
    price, half = float(quote.price), float(lp.tick) / 2
    if price >= float(lp.up) - half:
        return "up"
    if price <= float(lp.down) + half:
        return "down"
    return None


# --- sections: data → HTML -------------------------------------------------------------------------

def account_is_empty(snap: AccountSnapshot) -> bool:
    return not snap.positions and not snap.cash


def account_html(snap: AccountSnapshot, lang: str) -> str:
    """The account cards (总资产, 今日盈亏, 持仓市值, 现金, 回撤), or how to set the account up."""
    if account_is_empty(snap):
        return c.message_html("info", _t("account_empty", lang), _t("account_empty_detail", lang),
                              _t("account_empty_hint", lang))
    total = snap.total_value
    start = snap.day_start_value
    pnl = total - start if start is not None and _finite(start) and _finite(total) else None
    pnl_pct = pnl / start if pnl is not None and start else None
    pnl_text = (f"{c.esc(_signed_money(pnl))}"
                f'<div class="muted">{c.esc(c.fmt_pct(pnl_pct, signed=True))}</div>')
    peak = snap.peak_value
    dd = (peak - total) / peak if _finite(peak) and peak and peak > 0 and _finite(total) else None
    dd = max(dd, 0.0) if dd is not None else None
    dd_text = (f"{c.esc(c.fmt_pct(dd))}"
               f'<div class="muted">{c.esc(_t("peak", lang))} {c.esc(c.fmt_money(peak))}</div>')
    items = [
        c.card(_t("total_value", lang), c.esc(c.fmt_money(total)), key="total_value"),
        c.card(_t("pnl_today", lang), pnl_text, c.sign_class(pnl), key="pnl_today"),
        c.card(_t("market_value", lang), c.esc(c.fmt_money(snap.market_value)), key="market_value"),
        c.card(_t("cash", lang), c.esc(c.fmt_money(snap.cash)), key="cash"),
        c.card(_t("drawdown", lang), dd_text, "down" if dd else "", key="drawdown"),
    ]
    return c.cards(items)


def position_flags(p: PositionValue, live: bool, lang: str) -> list[tuple[str, str]]:
    """(css class, label) flags of one holding: 涨停/跌停, ST/*ST, 停牌, not live (with the quote's time)."""
    out: list[tuple[str, str]] = []
    q = p.quote
    state = limit_state(q, p.board, p.name)
    if state == "up":
        out.append(("limitup", _t("flag_limit_up", lang)))
    elif state == "down":
        out.append(("limit", _t("flag_limit_down", lang)))
    mark = st_mark(p.name)
    if mark:
        out.append(("st", mark))
    if q is not None and q.suspended:
        out.append(("suspended", _t("flag_suspended", lang)))
    if q is None:
        out.append(("", _t("flag_no_quote", lang)))
    elif not live:
        out.append(("", f"{_t('flag_stale', lang)} {fmt_time(q.time)}"))
    return out


def position_rows(snap: AccountSnapshot, live: Iterable[str], lang: str) -> list[dict[str, Any]]:
    """One dict per holding with the numbers and flags the positions table shows. ``live``: symbols whose
    quote came from the bus (the others are stored closes)."""
    live_set = set(live)
    rows = []
    for p in snap.positions:
        q = p.quote
        pnl_pct = p.pnl_pct
        rows.append({
            "symbol": p.symbol, "name": p.name, "quantity": p.quantity,
            "price": p.price if p.price is not None else p.cost, "price_source": p.price_source,
            "value": p.market_value,
            "weight": p.weight / 100.0 if _finite(p.weight) else None,
            "pnl": p.pnl, "pnl_pct": pnl_pct / 100.0 if pnl_pct is not None else None,
            "change_pct": q.pct if q is not None and _finite(q.pct) else None,
            "time": q.time if q is not None else None,
            "live": p.symbol in live_set and q is not None,
            "flags": position_flags(p, p.symbol in live_set, lang),
        })
    return rows


def positions_html(rows: Sequence[Mapping[str, Any]], lang: str) -> str:
    headers = [_t(k, lang) for k in ("col_symbol", "col_name", "col_qty", "col_price", "col_value", "col_weight",
                                     "col_pnl", "col_pnl_pct", "col_change", "col_flags")]
    out = []
    for r in rows:
        flags = "".join(_flag(label, css) for css, label in r["flags"])
        cells = [(c.esc(r["symbol"]), ""), (c.esc(r["name"]), ""),
                 _num_cell(f"{r['quantity']:,}"),
                 _num_cell(c.esc(fmt_price(r["price"])), c.sign_class(r["change_pct"])),
                 _num_cell(c.esc(c.fmt_money(r["value"]))),
                 _num_cell(c.esc(c.fmt_pct(r["weight"]))),
                 _num_cell(c.esc(_signed_money(r["pnl"])), c.sign_class(r["pnl"])),
                 _num_cell(c.esc(c.fmt_pct(r["pnl_pct"], signed=True)), c.sign_class(r["pnl_pct"])),
                 _num_cell(c.esc(c.fmt_pct(r["change_pct"], signed=True)), c.sign_class(r["change_pct"])),
                 (flags, "")]
        attrs = {"data-symbol": r["symbol"], "data-live": "1" if r["live"] else "0"}
        out.append((attrs, cells))
    return table_html(headers, out, empty=_t("no_positions", lang), key="positions")


def stale_html(snap: AccountSnapshot, live: Iterable[str], lang: str) -> str:
    live_set = set(live)
    stale = [p.symbol for p in snap.positions if p.symbol not in live_set or p.stale]
    if not stale:
        return ""
    names = "、".join(stale[:5]) + (f" …(+{len(stale) - 5})" if len(stale) > 5 else "")
    return f'<p class="muted">{c.esc(_t("stale_note", lang).format(symbols=names))}</p>'


def rules_html(rules: Sequence[Rule], lang: str) -> str:
    """Each rule: name, kind, state badge, message, checked_at; how to add rules when there are none."""
    if not rules:
        return c.message_html("info", _t("no_rules", lang), hint=_t("no_rules_hint", lang))
    from ..risk.rules import REGISTRY

    headers = [_t(k, lang) for k in ("col_rule", "col_kind", "col_state", "col_message", "col_checked")]
    rows = []
    for r in rules:
        st = r.current_status()
        state = str(st.get("state") or "no_data")
        rt = REGISTRY.get(r.kind)
        kind = rt.label.get(lang, r.kind) if rt is not None else r.kind
        label = c.tr(TEXT, f"state_{state}", lang) if f"state_{state}" in TEXT else state
        checked = str(st.get("checked_at") or "—").replace("T", " ")
        rows.append(({"data-rule": str(r.id), "data-state": state},
                     [(c.esc(r.name), ""), (c.esc(kind), ""),
                      (c.state_badge(STATE_CSS.get(state, "unknown"), label), ""),
                      (c.esc(st.get("message") or ""), "msg"), (c.esc(checked), "")]))
    return table_html(headers, rows, empty=_t("no_rules", lang), key="rules")


def alerts_html(alerts: Sequence[Mapping[str, Any]], lang: str) -> str:
    """Newest first: time, severity badge, title and the message's first line."""
    if not alerts:
        return f'<p class="muted" data-key="no_alerts">{c.esc(_t("no_alerts", lang))}</p>'
    headers = [_t(k, lang) for k in ("col_time", "col_severity", "col_alert")]
    rows = []
    for a in alerts:
        sev = str(a.get("severity") or "warning")
        label = c.tr(TEXT, f"sev_{sev}", lang) if f"sev_{sev}" in TEXT else sev
        first = str(a.get("message") or "").strip().split("\n", 1)[0]
        body = f"<b>{c.esc(a.get('title') or '')}</b>" + (f'<div class="muted">{c.esc(first)}</div>' if first else "")
        rows.append(({"data-alert": str(a.get("id") or "")},
                     [(c.esc(str(a.get("time") or "—").replace("T", " ")), ""),
                      (c.state_badge(SEVERITY_CSS.get(sev, "unknown"), label), ""), (body, "")]))
    return table_html(headers, rows, empty=_t("no_alerts", lang), key="alerts")


def watchlist_rows(symbols: Sequence[str], quotes: Mapping[str, Quote], live: Iterable[str],
                   lang: str) -> list[dict[str, Any]]:
    live_set = set(live)
    out = []
    for sym in symbols:
        q = quotes.get(sym)
        out.append({"symbol": sym, "name": q.name if q else "", "price": q.price if q else None,
                    "change_pct": q.pct if q is not None and _finite(q.pct) else None,
                    "volume": q.volume if q else None, "time": q.time if q else None,
                    "live": sym in live_set and q is not None, "suspended": bool(q and q.suspended),
                    "has_quote": q is not None})
    return out


def watchlist_html(rows: Sequence[Mapping[str, Any]], lang: str, today: dt.date | None = None) -> str:
    headers = [_t(k, lang) for k in ("col_symbol", "col_name", "col_price", "col_change", "col_volume", "col_time",
                                     "col_flags")]
    out = []
    for r in rows:
        flags = []
        if not r["has_quote"]:
            flags.append(_flag(_t("flag_no_quote", lang)))
        else:
            if r["suspended"]:
                flags.append(_flag(_t("flag_suspended", lang), "suspended"))
            if not r["live"]:
                flags.append(_flag(_t("close_mark", lang)))
        cells = [(c.esc(r["symbol"]), ""), (c.esc(r["name"]), ""),
                 _num_cell(c.esc(fmt_price(r["price"])), c.sign_class(r["change_pct"])),
                 _num_cell(c.esc(c.fmt_pct(r["change_pct"], signed=True)), c.sign_class(r["change_pct"])),
                 _num_cell(c.esc(fmt_volume(r["volume"], lang))),
                 (c.esc(fmt_time(r["time"], today)), ""), ("".join(flags), "")]
        out.append(({"data-symbol": r["symbol"], "data-live": "1" if r["live"] else "0"}, cells))
    return table_html(headers, out, empty=_t("empty_watchlist", lang), key="watchlist")


# --- intraday series ---------------------------------------------------------------------------------

@dataclass
class IntradaySeries:
    """One symbol's prices of one day (bounded): stored 1-minute closes, then live quotes as they come."""

    day: dt.date | None = None
    preclose: float | None = None
    times: deque[dt.datetime] = field(default_factory=lambda: deque(maxlen=SERIES_MAX_POINTS))
    prices: deque[float] = field(default_factory=lambda: deque(maxlen=SERIES_MAX_POINTS))
    seeded: bool = False

    def add_quote(self, q: Quote) -> None:
        day = q.time.date()
        if self.day is not None and day < self.day:
            return
        if self.day is None or day > self.day:   # a new session starts a new series
            self.day, self.preclose = day, None
            self.times.clear()
            self.prices.clear()
        if _finite(q.preclose) and q.preclose > 0:
            self.preclose = float(q.preclose)
        if q.suspended or (self.times and q.time <= self.times[-1]):
            return
        self.times.append(q.time)
        self.prices.append(float(q.price))

    def seed(self, day: dt.date, times: Sequence[dt.datetime], prices: Sequence[float],
             preclose: float | None) -> None:
        """Put stored minute closes of ``day`` before the live points (ignored when live points are newer)."""
        if self.day is not None and day < self.day:
            return
        if self.day is None or day > self.day:
            self.day = day
            self.times.clear()
            self.prices.clear()
        first = self.times[0] if self.times else None
        pts = [(t, p) for t, p in zip(times, prices, strict=True) if first is None or t < first]
        pts += list(zip(self.times, self.prices, strict=True))
        self.times = deque((t for t, _ in pts), maxlen=SERIES_MAX_POINTS)
        self.prices = deque((p for _, p in pts), maxlen=SERIES_MAX_POINTS)
        if self.preclose is None and preclose is not None:
            self.preclose = preclose


def stored_intraday(query: QueryService, symbol: str, hint: dt.date | None = None
                    ) -> tuple[dt.date, list[dt.datetime], list[float], float | None] | None:
    """The store's 1-minute closes of ``symbol``'s latest stored day (``hint`` tried first) and that day's
    前收盘; None when the store has no minute bars for it."""
    df: pd.DataFrame | None = None
    if hint is not None:
        try:
            df = query.bars(symbol, start=hint, end=hint, freq=Freq.M1)
        except QuantError:
            df = None
    if df is None or df.empty:
        try:
            df = query.bars(symbol, freq=Freq.M1)
        except QuantError:
            return None
    ts = pd.to_datetime(df["ts"])
    day = ts.iloc[-1].date()
    mask = (ts.dt.date == day).to_numpy()
    times = [t.to_pydatetime() for t in ts[mask]]
    prices = [float(v) for v in df["close"].to_numpy()[mask]]
    return day, times, prices, _preclose_of(query, symbol, day)


def _preclose_of(query: QueryService, symbol: str, day: dt.date) -> float | None:
    """前收盘 of ``day``: the daily bar's preclose, else the previous bar's close."""
    try:
        d = query.bars(symbol, start=day - dt.timedelta(days=20), end=day)
    except QuantError:
        return None
    dates = pd.to_datetime(d["date"]).dt.date.to_numpy()
    today = d[dates == day]
    if not today.empty and "preclose" in d.columns:
        pc = today["preclose"].iloc[-1]
        if pc is not None and not pd.isna(pc) and float(pc) > 0:
            return float(pc)
    before = d[dates < day]
    return float(before["close"].iloc[-1]) if not before.empty else None


def _utc_ms(times: Iterable[dt.datetime]) -> np.ndarray:
    # bqplot sends datetime64 as epoch ms and the browser shows it in its own zone: exchange-local naive
    # times are shifted to real UTC so a browser in China shows 09:30 as 09:30
    return np.array([np.datetime64(t - SHANGHAI, "ms") for t in times], dtype="datetime64[ms]")


# --- the dashboard -----------------------------------------------------------------------------------

@dataclass
class _Gathered:
    holdings: list[str] = field(default_factory=list)
    holdings_error: BaseException | None = None
    watch: list[str] = field(default_factory=list)
    watch_error: BaseException | None = None
    quotes: dict[str, Quote] = field(default_factory=dict)
    live: set[str] = field(default_factory=set)
    fetched: bool = False


class MonitorDashboard:
    """The live monitoring page (see the module docstring). ``widget`` is the page; ``refresh()`` updates
    every section once; ``start()``/``stop()`` run the background refresh."""

    def __init__(self, services: Services | None = None, lang: str | None = None, *, refresh_s: float = 5.0,
                 autostart: bool = True) -> None:
        if services is None:
            from ..app import default_services

            services = default_services()
        self.services = services
        self.lang = c.resolve_lang(lang, c.request_params() if lang is None else None)
        self.refresh_s = max(0.5, float(refresh_s))
        self._lock = threading.RLock()         # refresh work: tests' refresh() and the thread never interleave
        self._state = threading.Lock()         # small state shared with the listener (series, dirty flags)
        self._wake = threading.Event()
        self._dirty: set[str] = set()
        self._series: dict[str, IntradaySeries] = {}
        self._tracked: set[str] = set()
        self._bus_alerts: deque[dict[str, Any]] = deque(maxlen=ALERTS_SHOWN)
        self._online: bool | None = None
        self._bus_error: BaseException | None = None
        self._store_error: BaseException | None = None
        self._ready = False
        self._stop: threading.Event | None = None
        self._threads: list[threading.Thread] = []
        self._sub_bus: Bus | None = None
        self._setting_options = False
        self._build()
        if autostart:
            self.start()

    # ---- building ---------------------------------------------------------------------------------
    def _build(self) -> None:
        lang = self.lang
        loading = f'<p class="muted">{c.esc(c.tr(TEXT, "loading", lang))}</p>'
        self._header = w.HTML(self._header_html())
        self._status = w.HTML("")
        self._html = {name: w.HTML(loading) for name in ("account", "positions", "rules", "alerts", "watchlist")}
        self._stale = w.HTML("")
        self._dropdown = w.Dropdown(options=[], description=_t("chart_pick", lang),
                                    layout=w.Layout(width="100%", max_width="420px"))
        self._dropdown.observe(self._on_pick, names="value")
        self._chart_note = w.HTML(loading)
        up, down = c.colors()
        self._colors = (up, down)
        xs, ys = bqplot.DateScale(), bqplot.LinearScale()
        empty_t, empty_y = np.array([], dtype="datetime64[ms]"), np.array([], dtype=float)
        self._price_line = bqplot.Lines(x=empty_t, y=empty_y, scales={"x": xs, "y": ys}, colors=[up],
                                        labels=[_t("price_line", lang)])
        self._preclose_line = bqplot.Lines(x=empty_t, y=empty_y, scales={"x": xs, "y": ys}, colors=["#868e96"],
                                           line_style="dashed", labels=[_t("preclose_line", lang)])
        axes = [bqplot.Axis(scale=xs, tick_format="%H:%M"),
                bqplot.Axis(scale=ys, orientation="vertical", tick_format=",.2f")]
        self._figure = bqplot.Figure(marks=[self._preclose_line, self._price_line], axes=axes,
                                     fig_margin={"top": 30, "bottom": 35, "left": 70, "right": 15},
                                     layout=w.Layout(width="100%", height="320px", min_height="240px"))
        sections = [
            c.section(_t("sec_account", lang), self._html["account"], self._stale, name="account"),
            c.section(_t("sec_positions", lang), self._html["positions"], name="positions"),
            c.section(_t("sec_rules", lang), self._html["rules"], name="rules"),
            c.section(_t("sec_alerts", lang), self._html["alerts"], name="alerts"),
            c.section(_t("sec_watchlist", lang), self._html["watchlist"], name="watchlist"),
            c.section(_t("sec_chart", lang), self._dropdown, self._chart_note, self._figure, name="chart"),
        ]
        self.widget: w.VBox = c.page("monitor", self._header, self._status, c.grid(*sections))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display the page when the dashboard object is the cell's result."""
        return self.widget._repr_mimebundle_(**kwargs)

    def _header_html(self, updated: dt.datetime | None = None) -> str:
        lang = self.lang
        if self._online is None:
            badge = ""
        elif self._online:
            badge = c.state_badge("ok", _t("live", lang))
        else:
            badge = c.state_badge("down", _t("offline", lang))
        state = "" if self._online is None else ("live" if self._online else "offline")
        when = (f'<span class="muted" data-key="updated">{c.esc(c.tr(TEXT, "updated", lang))} '
                f'{c.esc(updated.strftime("%Y-%m-%d %H:%M:%S"))}</span>') if updated else ""
        return (f'<div class="jlq-monitor-head" style="display:flex;flex-wrap:wrap;align-items:center;gap:10px">'
                f'<h2>{c.esc(_t("title", lang))}</h2>'
                f'<span data-key="bus_status" data-state="{state}">{badge}</span>{when}</div>')

    # ---- refreshing -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Refresh every section once (synchronously)."""
        self._refresh(ALL_PARTS)

    def _refresh(self, parts: Iterable[str]) -> None:
        todo = set(parts)
        with self._lock:
            g = self._gather(todo)
            steps = (("account", self._show_account), ("positions", self._show_positions),
                     ("rules", self._show_rules), ("alerts", self._show_alerts),
                     ("watchlist", self._show_watchlist), ("chart", self._show_chart))
            snap_box: dict[str, Any] = {}
            for name, step in steps:
                if name not in todo:
                    continue
                try:
                    step(g, snap_box)
                except Exception as exc:  # the edge: one failing service never blanks the page
                    self._section_error(name, exc)
            if todo & QUOTE_PARTS:
                try:
                    self._status.value = self._status_html(g)
                except Exception as exc:
                    self._status.value = c.error_html(exc, self.lang)
            self._header.value = self._header_html(exchange_now())
            if not self._ready:
                self._ready = True
                self.widget.children = (*self.widget.children, c.ready_marker("monitor"))

    def _section_error(self, name: str, exc: BaseException) -> None:
        html = c.error_html(exc, self.lang)
        if name == "chart":
            self._chart_note.value = html
        else:
            self._html[name].value = html
        if name == "account":
            self._stale.value = ""

    def _gather(self, todo: set[str]) -> _Gathered:
        g = _Gathered()
        svc = self.services
        if todo & QUOTE_PARTS:
            try:
                g.holdings = list(svc.risk.watched_symbols())
            except Exception as exc:  # shown in the account/positions sections
                g.holdings_error = exc
            try:
                g.watch = list(svc.watchlist.symbols())
            except Exception as exc:  # shown in the watchlist section
                g.watch_error = exc
            chart = self._dropdown.value
            symbols = list(dict.fromkeys([*g.holdings, *g.watch, *([chart] if chart else [])]))
            g.quotes, g.live = self._fetch_quotes(symbols)
            g.fetched = True
            with self._state:
                self._tracked = set(symbols)
                for sym in [s for s in self._series if s not in self._tracked]:
                    del self._series[sym]   # symbols no longer shown keep no points
                for sym in g.live:
                    self._series_of(sym).add_quote(g.quotes[sym])
        return g

    def _fetch_quotes(self, symbols: list[str]) -> tuple[dict[str, Quote], set[str]]:
        """Live quotes from the bus, the store's last close for the rest (``Services.quote_lookup``)."""
        try:
            lookup = self.services.quote_lookup(symbols)
        except Exception as exc:  # an unreadable store: the sections say so, the thread goes on
            log.warning("monitor: quotes unavailable: %s", exc)
            self._store_error = exc
            return {}, set()
        self._store_error = None
        self._online, self._bus_error = lookup.bus_error is None, lookup.bus_error
        return dict(lookup.quotes), set(lookup.live)

    def _status_html(self, g: _Gathered) -> str:
        lang = self.lang
        parts = []
        if self._online is False:
            detail = self._bus_error.message if isinstance(self._bus_error, QuantError) else ""
            parts.append(c.message_html("warn", _t("offline_title", lang), detail, _t("offline_hint", lang)))
        elif g.fetched and g.quotes and not g.live:
            parts.append(f'<p class="muted" data-key="no_live">{c.esc(_t("no_live", lang))}</p>')
        if self._store_error is not None:
            parts.append(c.error_html(self._store_error, lang, _t("store_error", lang)))
        return "".join(parts)

    def _snapshot(self, g: _Gathered, box: dict[str, Any]) -> AccountSnapshot:
        if g.holdings_error is not None:
            raise g.holdings_error
        if "snap" not in box:
            box["snap"] = self.services.risk.snapshot({s: g.quotes[s] for s in g.holdings if s in g.quotes})
        snap: AccountSnapshot = box["snap"]
        return snap

    def _show_account(self, g: _Gathered, box: dict[str, Any]) -> None:
        snap = self._snapshot(g, box)
        self._html["account"].value = account_html(snap, self.lang)
        self._stale.value = "" if account_is_empty(snap) else stale_html(snap, g.live, self.lang)

    def _show_positions(self, g: _Gathered, box: dict[str, Any]) -> None:
        snap = self._snapshot(g, box)
        self._html["positions"].value = positions_html(position_rows(snap, g.live, self.lang), self.lang)
        names = {p.symbol: p.name for p in snap.positions}
        box["names"] = names

    def _show_rules(self, g: _Gathered, box: dict[str, Any]) -> None:
        self._html["rules"].value = rules_html(self.services.risk.store.list_rules(), self.lang)

    def _show_alerts(self, g: _Gathered, box: dict[str, Any]) -> None:
        stored = self.services.notify.alerts(limit=ALERTS_SHOWN)
        with self._state:
            extra = list(self._bus_alerts)
        # alerts straight from the bus too: the centre may have failed to record one the scheduler announced
        seen = {a.get("id") for a in stored}
        merged = [*stored, *(a for a in extra if a.get("id") not in seen)]
        merged.sort(key=lambda a: str(a.get("time") or ""), reverse=True)
        self._html["alerts"].value = alerts_html(merged[:ALERTS_SHOWN], self.lang)

    def _show_watchlist(self, g: _Gathered, box: dict[str, Any]) -> None:
        if g.watch_error is not None:
            raise g.watch_error
        rows = watchlist_rows(g.watch, g.quotes, g.live, self.lang)
        self._html["watchlist"].value = watchlist_html(rows, self.lang, exchange_now().date())

    # ---- chart ------------------------------------------------------------------------------------
    def _series_of(self, symbol: str) -> IntradaySeries:
        s = self._series.get(symbol)
        if s is None:
            s = self._series[symbol] = IntradaySeries()
        return s

    def _show_chart(self, g: _Gathered, box: dict[str, Any]) -> None:
        names: dict[str, str] = {s: q.name for s, q in g.quotes.items() if q.name}
        names.update({k: v for k, v in box.get("names", {}).items() if v})
        symbols = list(dict.fromkeys([*g.holdings, *g.watch]))
        options = tuple((f"{s} {names.get(s, '')}".strip(), s) for s in symbols)
        if options != tuple(self._dropdown.options):
            keep = self._dropdown.value
            self._setting_options = True
            try:
                self._dropdown.options = options
                # a new options list resets the selection: keep the user's pick, else the first holding
                self._dropdown.value = keep if keep in symbols else (symbols[0] if symbols else None)
            finally:
                self._setting_options = False
        self._draw_chart(g.quotes.get(self._dropdown.value) if self._dropdown.value else None)

    def _on_pick(self, change: dict[str, Any]) -> None:
        if self._setting_options:
            return
        try:
            with self._lock:
                self._draw_chart(None)
        except Exception as exc:  # a widget callback must not raise into the kernel
            self._section_error("chart", exc)

    def _draw_chart(self, quote: Quote | None) -> None:
        lang = self.lang
        sym = self._dropdown.value
        if not sym:
            self._set_lines([], [], None)
            self._chart_note.value = f'<p class="muted">{c.esc(_t("chart_none", lang))}</p>'
            return
        with self._state:
            series = self._series_of(sym)
            need_seed = not series.seeded
        if need_seed:
            hint = quote.time.date() if quote is not None else None
            stored = stored_intraday(self.services.query, sym, hint)
            with self._state:
                series.seeded = True
                if stored is not None:
                    series.seed(*stored)
        with self._state:
            if quote is not None and series.preclose is None and _finite(quote.preclose) and quote.preclose > 0 \
                    and (series.day is None or quote.time.date() == series.day):
                series.preclose = float(quote.preclose)
            times, prices, pc, day = list(series.times), list(series.prices), series.preclose, series.day
        self._set_lines(times, prices, pc)
        if not times:
            self._chart_note.value = f'<p class="muted" data-key="chart_empty">{c.esc(_t("chart_empty", lang))}</p>'
        else:
            info = _t("chart_info", lang).format(day=day.isoformat() if day else "—", n=len(times),
                                                 preclose=fmt_price(pc))
            self._chart_note.value = f'<p class="muted" data-key="chart_info">{c.esc(info)}</p>'

    def _set_lines(self, times: list[dt.datetime], prices: list[float], preclose: float | None) -> None:
        up, down = self._colors
        x = _utc_ms(times)
        color = down if prices and preclose and prices[-1] < preclose else up
        with self._price_line.hold_sync():
            self._price_line.x = x
            self._price_line.y = np.array(prices, dtype=float)
            self._price_line.colors = [color]
        with self._preclose_line.hold_sync():
            if times and preclose:
                self._preclose_line.x = x[[0, -1]]
                self._preclose_line.y = np.array([preclose, preclose], dtype=float)
            else:
                self._preclose_line.x = np.array([], dtype="datetime64[ms]")
                self._preclose_line.y = np.array([], dtype=float)

    # ---- background refresh ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        """Refresh now and then in the background: on bus messages and every ``refresh_s`` seconds."""
        if self._stop is not None and not self._stop.is_set():
            return
        stop = threading.Event()   # a fresh event per run: a lingering old listener keeps seeing its own
        self._stop = stop
        self._wake.clear()
        self._threads = [threading.Thread(target=self._work, args=(stop,), name="jlq-monitor-refresh", daemon=True),
                         threading.Thread(target=self._listen, args=(stop,), name="jlq-monitor-bus", daemon=True)]
        for t in self._threads:
            t.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the background refresh; returns once the refresh thread has ended."""
        stop = self._stop
        if stop is None:
            return
        stop.set()
        self._wake.set()
        deadline = time.monotonic() + timeout_s
        while self.running and time.monotonic() < deadline:
            # closing the listener's connection ends a subscription blocked in a read; again each turn, in
            # case the listener was opening a new one just as the first close ran
            self._close_sub_bus()
            for t in self._threads:
                t.join(0.1)
        if self.running:
            log.warning("monitor: background threads still running after stop()")

    def _work(self, stop: threading.Event) -> None:
        next_full = time.monotonic()     # the first refresh right away
        last_quotes = 0.0
        pending: set[str] = set()
        while not stop.is_set():
            self._wake.clear()
            with self._state:
                pending |= self._dirty
                self._dirty.clear()
            now = time.monotonic()
            try:
                if now >= next_full or "all" in pending:
                    self._refresh(ALL_PARTS)
                    pending.clear()
                    last_quotes = time.monotonic()
                    next_full = last_quotes + self.refresh_s
                else:
                    parts: set[str] = set()
                    if "quotes" in pending and now - last_quotes >= QUOTE_THROTTLE_S:
                        parts |= QUOTE_PARTS
                        pending.discard("quotes")
                        last_quotes = now
                    if "alerts" in pending:
                        parts.add("alerts")
                        pending.discard("alerts")
                    if "risk" in pending:
                        parts.add("rules")
                        pending.discard("risk")
                    if parts:
                        self._refresh(parts)
            except Exception:  # the thread must outlive any failure; the next turn tries again
                log.exception("monitor: refresh failed")
            due = next_full
            if "quotes" in pending:
                due = min(due, last_quotes + QUOTE_THROTTLE_S)
            self._wake.wait(max(0.0, due - time.monotonic()))

    def _mark(self, *parts: str) -> None:
        with self._state:
            self._dirty.update(parts)
        self._wake.set()

    def _listen(self, stop: threading.Event) -> None:
        """Bus messages → dirty flags (and live points of the intraday series). Uses its own connection so
        ``stop()`` can close it; retries every few seconds while the bus is down."""
        from ..bus import Bus

        settings = self.services.settings
        was_down = False
        while not stop.is_set():
            try:
                if self._sub_bus is None:
                    self._sub_bus = Bus(settings.home, settings.redis_url)
                bus = self._sub_bus
                bus.ping()
                if stop.is_set():
                    break
                if was_down:
                    was_down = False
                    self._mark("all")   # back online: refresh everything now, not at the next full refresh
                for channel, payload in bus.subscribe("quotes", "alerts", "risk", timeout_s=0.5, stop=stop):
                    if stop.is_set():
                        break
                    self._on_message(channel, payload)
            except QuantError as exc:
                if not was_down:
                    log.info("monitor: bus unavailable (%s); retrying every %.0f s", exc, BUS_RETRY_S)
                was_down = True
                self._mark("quotes")
            except Exception:  # never let the listener die; try again shortly
                log.exception("monitor: bus listener failed")
            stop.wait(BUS_RETRY_S)
        self._close_sub_bus()

    def _close_sub_bus(self) -> None:
        bus, self._sub_bus = self._sub_bus, None
        if bus is not None:
            try:
                bus.close()
            except Exception:  # closing a broken connection may fail again; nothing to keep
                log.debug("monitor: closing the listener's bus failed", exc_info=True)

    def _on_message(self, channel: str, payload: Mapping[str, Any]) -> None:
        if channel == "quotes":
            rows = payload.get("quotes") or []
            with self._state:
                tracked = self._tracked
                hit = False
                for d in rows:
                    sym = d.get("symbol") if isinstance(d, dict) else None
                    if sym in tracked:
                        try:
                            self._series_of(sym).add_quote(Quote.from_dict(d))
                        except (KeyError, TypeError, ValueError):
                            continue
                        hit = True
            if hit:
                self._mark("quotes")
        elif channel == "alerts":
            a = payload.get("alert")
            if isinstance(a, dict):
                try:
                    d = Alert.from_dict(a).to_dict()
                except (KeyError, TypeError, ValueError):
                    d = None
                if d is not None:
                    with self._state:
                        self._bus_alerts.appendleft(d)
            self._mark("alerts")
        elif channel == "risk":
            self._mark("risk")
