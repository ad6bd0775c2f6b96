"""Holding at limit-down (持仓跌停): the price is at (or within ``near_pct`` % above) the day's limit-down
price. Limit prices come from ``core.ashare.limit_prices`` with the board and ST status (ST from the
quote's name) on the quote's date — main board 10 %, ChiNext/STAR 20 %, BSE 30 %, main-board ST 5 %
until 2026-07-05 and 10 % from 2026-07-06. Critical: a stock sealed at limit-down may not be sellable.

A price below the computed limit-down price cannot trade under that band: with an ST name the band
is retried without ST (the name is newer than the quote), otherwise the day has no limit (IPO days,
relisting — the listing date is not in the account) and the holding is skipped, named in the status."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from ...core.ashare import LimitPrices, limit_prices
from ...core.errors import InvalidInput
from ...core.live import Quote, Severity
from ...core.types import Board
from ..model import Finding, Rule
from .base import RuleContext, RuleType, label_of, pct, percent_param, price, st_mark, text


def _limits(q: Quote, board: Board, is_st: bool) -> LimitPrices | None:
    return _limits_cached(float(q.preclose), board, q.time.date(), is_st)


@lru_cache(maxsize=8192)
def _limits_cached(preclose: float, board: Board, day: dt.date, is_st: bool) -> LimitPrices | None:
    # Decimal rounding is the costly part of a pass and its inputs repeat all day (one 前收盘 per symbol)
    try:
        return limit_prices(preclose, board, day, is_st=is_st)
    except InvalidInput:
        return None


def _inside(price_: float, lp: LimitPrices) -> bool:
    half = float(lp.tick) / 2
    return float(lp.down) - half <= price_ <= float(lp.up) + half


def day_limits(q: Quote, board: Board, name: str) -> tuple[LimitPrices | None, str]:
    """The price band that applies to quote ``q`` and the ST mark used: ``(None, mark)`` when the board
    has no band or the price lies outside every band (IPO/relisting days). A price outside the ST band of
    an ST name means the mark is newer than the quote, so the normal band is tried (shared with the
    monitor dashboard's 涨停/跌停 flags)."""
    mark = st_mark(name)
    lp = _limits(q, board, bool(mark))
    if lp is not None and mark and not _inside(q.price, lp):
        mark, lp = "", _limits(q, board, False)
    if lp is None or not _inside(q.price, lp):
        return None, mark
    return lp, mark


class LimitDown(RuleType):
    kind = "limit_down"
    scope = "market"
    label = text("持仓跌停", "Holding at limit-down")
    description = text("持仓价格达到当日跌停价（或距跌停价不足设定比例）时报警；跌停价按板块与 ST 状态计算。",
                       "Alert when a holding trades at its limit-down price (or within the set distance above "
                       "it); limits follow the board and ST status.")
    params = (percent_param("near_pct", 0.0, "距跌停价（0 表示正好跌停）", "Distance above limit-down", hi=20.0),)
    severity = Severity.CRITICAL

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        near = float(rule.params["near_pct"])
        held = ctx.positions(rule.strategy)
        if not held:
            return [self.none_held(rule.strategy)]
        out: list[Finding] = []
        skipped: list[str] = []
        checked = 0
        worst: tuple[float, str] | None = None
        for p in held:
            q = p.quote
            if q is None or q.suspended or not q.preclose > 0:   # NaN preclose compares False
                skipped.append(p.symbol)
                continue
            lp, mark = day_limits(q, p.board, p.name)
            if lp is None:  # no band for this instrument (B-share), or a day without limits (IPO, relisting)
                skipped.append(p.symbol)
                continue
            checked += 1
            down = float(lp.down)
            band = float(lp.pct) * 100.0
            change = q.pct * 100.0
            if worst is None or change < worst[0]:
                worst = (change, label_of(p))
            if q.price <= down * (1 + near / 100.0) + 1e-9:
                at = "跌停" if q.price <= down + 1e-9 else f"接近跌停（距跌停价 {pct((q.price / down - 1) * 100)}）"
                out.append(self.breach(
                    f"持仓{at}：{label_of(p)} 现价 {price(q.price)}，跌停价 {price(down)}",
                    f"{label_of(p)} 现价 {price(q.price)}，前收盘 {price(q.preclose)}，跌幅 {pct(change)}；"
                    f"跌幅限制 {pct(band)}{'（' + mark + '）' if mark else ''}，跌停价 {price(down)}。"
                    f"跌停封单时可能无法卖出。", change, -band, symbol=p.symbol))
        if out:
            return out
        skip = (f"；{len(skipped)} 只停牌、缺前收盘价或当日无涨跌幅限制，未检查：{'、'.join(skipped[:5])}"
                if skipped else "")
        if worst is None:
            return [self.no_data(f"没有可检查的持仓{skip}")]
        return [self.ok(f"{checked} 只持仓均未跌停；跌幅最大 {worst[1]} {pct(worst[0])}{skip}", worst[0])]


RULE = LimitDown()
