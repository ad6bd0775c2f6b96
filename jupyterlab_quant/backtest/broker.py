"""A-share broker layer on Backtrader: the rules of ``core.ashare`` applied to every order.

Pinned conventions (tests rely on them; see docs in ``engine.py``):

* A market order fills at the **next bar's open of that symbol** (× (1 ± slippage), rounded to the
  tick against the trader and capped by the bar's high/low).
* A buy is rejected (``limit_up``) when that open ≥ the day's limit-up price; a sell (``limit_down``)
  when it is ≤ limit-down. Limits come from the day's 前收盘 and the board/ST/IPO-window band.
* A market order whose symbol has no bar on its execution day (停牌) is rejected (``suspended``); a
  partly filled one (volume cap) and limit/stop orders wait for the next bar instead.
* Buy sizes round **down** to the lot rule; below the minimum (100, STAR 200) → ``lot_size``. Sells
  must be round lots or include the whole odd-lot residual → otherwise ``lot_size``.
* A buy whose cost plus fees exceeds cash → ``insufficient_cash``; selling more than held →
  ``insufficient_position``; selling shares bought the same day (T+1) → ``t_plus_1``.
* Fees per fill from the dated schedules (commission with minimum, stamp duty, transfer fee), each
  rounded to 0.01 CNY with the profile's rounding mode.
* On an ex-date (除权除息) the holding is scaled by the adjustment-factor ratio f(t)/f(t−1): whole
  shares are kept and the fractional remainder is paid as cash at the day's 前收盘 — so the value of
  the holding at the reference price is preserved (dividends are modelled as reinvested).
* Limit/stop orders get the same suspension, lot, cash and T+1 checks; they are not rejected at the
  limit price but wait (stay pending) on a one-price limit bar.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import backtrader as bt

from ..core.ashare import (
    LOT_RULES,
    BrokerProfile,
    LimitPrices,
    can_sell,
    is_valid_sell_qty,
    limit_prices,
    round_buy_qty,
    tick_size,
    trade_costs,
)
from ..core.calendar import TradingCalendar
from ..core.types import Board
from .feeds import FeedInfo
from .spec import CorporateAction, Fill, Rejection


class AShareCommInfo(bt.CommInfoBase):  # type: ignore[misc]
    """Commission = all fees of one fill (commission + stamp duty + transfer fee) on the broker's day."""

    params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_FIXED), ("percabs", True))

    def __init__(self, broker: AShareBroker, info: FeedInfo) -> None:
        super().__init__()
        self._broker, self._info = broker, info

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        if not size or not price:
            return 0.0
        fees = self._broker.fees(self._info, "buy" if size > 0 else "sell", price, int(abs(size)))
        return float(fees.total)


@dataclass
class _Book:
    """Per-symbol T+1 ledger: shares bought on each day still held (FIFO lots for round trips)."""

    bought_on: dict[dt.date, int] = field(default_factory=dict)
    lots: list[list[Any]] = field(default_factory=list)  # [date, size, price, fee_per_share, bar_index]


class AShareBroker(bt.brokers.BackBroker):  # type: ignore[misc]
    """BackBroker with A-share execution rules, fee schedules, T+1 and corporate actions."""

    params = (("checksubmit", False),)

    def __init__(self) -> None:
        super().__init__()
        self.profile = BrokerProfile()
        self.slippage = 0.0
        self.volume_cap: float | None = None
        self.calendar: TradingCalendar | None = None
        self.infos: dict[Any, FeedInfo] = {}
        self.fills: list[Fill] = []
        self.rejections: list[Rejection] = []
        self.actions: list[CorporateAction] = []
        self.round_trips: list[dict[str, Any]] = []
        self.day: dt.date | None = None
        self._books: dict[str, _Book] = {}
        self._limits: dict[tuple[str, dt.date], LimitPrices | None] = {}
        self._ex_next: dict[str, int] = {}
        self._stamp: float | None = None
        self._bar_index = 0

    # ---- setup ----------------------------------------------------------------------------------
    def configure(self, profile: BrokerProfile, slippage: float, volume_cap: float | None,
                  calendar: TradingCalendar) -> None:
        self.profile, self.slippage, self.volume_cap, self.calendar = profile, slippage, volume_cap, calendar
        if volume_cap:
            self.set_filler(self._lot_filler)

    def attach(self, data: Any, info: FeedInfo) -> None:
        self.infos[data] = info
        self._books[info.symbol] = _Book()
        self.addcommissioninfo(AShareCommInfo(self, info), name=info.symbol)

    # ---- rules ----------------------------------------------------------------------------------
    def fees(self, info: FeedInfo, side: str, price: float, qty: int) -> Any:
        assert self.day is not None
        return trade_costs(side, Decimal(str(round(price, 4))), qty, self.day, info.symbol, self.profile,
                           instrument=info.instrument)

    def _lot_symbol(self, info: FeedInfo) -> str | Board:
        # ETFs trade in 100-unit lots like main-board shares (exchange trading rules: 股票、基金 100 股(份)
        # 或其整数倍); core.ashare's lot table covers stock boards only, so map ETFs to the main board.
        return Board.MAIN if info.board is Board.ETF else info.symbol

    def limits(self, data: Any, info: FeedInfo) -> LimitPrices | None:
        assert self.day is not None
        key = (info.symbol, self.day)
        if key not in self._limits:
            pre = float(data.preclose[0])
            if not math.isfinite(pre) or pre <= 0:
                self._limits[key] = None
            else:
                n = None
                if info.list_date is not None and self.calendar is not None and info.list_date <= self.day:
                    n = len(self.calendar.between(info.list_date, self.day))
                self._limits[key] = limit_prices(pre, info.board, self.day, is_st=bool(data.is_st[0]),
                                                 list_date=info.list_date, trading_day_number=n)
        return self._limits[key]

    def _reject(self, order: Any, reason: str, detail: str = "", when: dt.date | None = None) -> None:
        info = self.infos[order.data]
        day = when or self.day or order.data.datetime.date(0)
        self.rejections.append(Rejection(day.isoformat(), info.symbol, "buy" if order.isbuy() else "sell",
                                         int(abs(order.created.size)), reason, detail))
        order.reject(self)
        self.notify(order)
        self._ococheck(order)
        self._bracketize(order, cancel=True)

    # ---- order entry: round buys to lots -------------------------------------------------------
    def buy(self, owner: Any, data: Any, size: float, price: float | None = None, plimit: float | None = None,
            exectype: Any = None, valid: Any = None, tradeid: int = 0, oco: Any = None, trailamount: Any = None,
            trailpercent: Any = None, parent: Any = None, transmit: bool = True, histnotify: bool = False,
            _checksubmit: bool = True, **kwargs: Any) -> Any:
        info = self.infos.get(data)
        wanted = int(abs(size))
        rounded = round_buy_qty(self._lot_symbol(info), wanted) if info is not None else wanted
        order = super().buy(owner, data, rounded or max(wanted, 1), price, plimit, exectype, valid, tradeid, oco,
                            trailamount, trailpercent, parent, transmit, histnotify, _checksubmit, **kwargs)
        if info is not None and rounded == 0:
            if order in self.pending:
                self.pending.remove(order)
            rule = LOT_RULES[Board.MAIN if info.board is Board.ETF else info.board]
            self._reject(order, "lot_size", f"{wanted} < 最小买入 {rule.min_buy}")
        return order

    # ---- the day loop ---------------------------------------------------------------------------
    def next(self) -> None:
        stamp = max((d.datetime[0] for d in self.infos if len(d)), default=None)
        if stamp is not None and stamp != self._stamp:
            self._stamp = stamp
            today = bt.num2date(stamp).date()
            self.day = today
            self._bar_index += 1
            self._limits.clear()
            self._corporate_actions(stamp, today)
        super().next()

    def _corporate_actions(self, stamp: float, today: dt.date) -> None:
        """Apply every ex-date (除权除息) a symbol passed since its previous bar to its holding."""
        for data, info in self.infos.items():
            events = info.ex_events
            i = self._ex_next.get(info.symbol, 0)
            if i >= len(events) or not len(data) or data.datetime[0] != stamp or events[i][0] > today:
                continue
            ratio = 1.0
            while i < len(events) and events[i][0] <= today:
                ratio *= events[i][1]
                i += 1
            self._ex_next[info.symbol] = i
            pos = self.positions[data]
            if pos.size <= 0 or abs(ratio - 1) < 1e-9:
                continue
            exact = pos.size * ratio
            new = math.floor(exact + 1e-6)
            ref = float(data.preclose[0]) if math.isfinite(float(data.preclose[0])) else float(data.open[0])
            cash_in_lieu = round((exact - new) * ref, 2)
            before = int(pos.size)
            pos.price = pos.price * before / new if new else pos.price
            pos.size = new
            self.cash += cash_in_lieu
            book = self._books[info.symbol]
            scale = new / before if before else 1.0
            for lot in book.lots:
                lot[1] *= scale
                lot[2] /= scale
                lot[3] /= scale
            for d in list(book.bought_on):
                book.bought_on[d] = int(book.bought_on[d] * scale)
            self.actions.append(CorporateAction(today.isoformat(), info.symbol, round(ratio, 8), before, new,
                                                cash_in_lieu))

    def _try_exec(self, order: Any) -> None:
        data = order.data
        info = self.infos.get(data)
        if info is None or self.day is None:
            return super()._try_exec(order)
        if len(data) and data.datetime[0] <= order.created.dt:
            return None  # created on this bar: executes from the next one
        # The order's day is the trading day after it was created; a symbol without a bar that day is
        # suspended (停牌). With one feed the clock skips that day entirely, so compare dates.
        no_bar = not len(data) or data.datetime.date(0) != self.day
        if order.exectype != bt.Order.Market or order.executed.size:
            # limit/stop orders wait; a partly filled market order (volume cap) continues when trading resumes
            if no_bar:
                return None
        else:
            created = bt.num2date(order.created.dt).date()
            due = (self.calendar.next(created) if self.calendar is not None else None) or self.day
            if no_bar or self.day > due:
                return self._reject(order, "suspended", f"{due} 停牌 (no bar)", when=due)
        remaining = int(abs(order.executed.remsize))
        if order.isbuy():
            lim = self.limits(data, info)
            if order.exectype == bt.Order.Market and lim is not None and Decimal(str(data.open[0])) >= lim.up:
                return self._reject(order, "limit_up", f"开盘 {data.open[0]:.3f} ≥ 涨停 {lim.up}")
            price = self._exec_price(data, info, buy=True)
            fees = self.fees(info, "buy", price, remaining)
            need = price * remaining + float(fees.total)
            if order.exectype == bt.Order.Market and need > self.cash + 1e-6:
                return self._reject(order, "insufficient_cash", f"需要 {need:,.2f}，可用 {self.cash:,.2f}")
        else:
            lim = self.limits(data, info)
            if order.exectype == bt.Order.Market and lim is not None and Decimal(str(data.open[0])) <= lim.down:
                return self._reject(order, "limit_down", f"开盘 {data.open[0]:.3f} ≤ 跌停 {lim.down}")
            held = int(self.positions[data].size)
            if remaining > held:
                return self._reject(order, "insufficient_position", f"卖出 {remaining}，持有 {held}")
            book = self._books[info.symbol]
            locked = sum(q for d, q in book.bought_on.items() if not can_sell(info.instrument, d, self.day))
            if remaining > held - locked:
                return self._reject(order, "t_plus_1", f"今日买入 {locked} 股不可卖出")
            if not is_valid_sell_qty(self._lot_symbol(info), remaining, held):
                return self._reject(order, "lot_size", f"卖出 {remaining} 不是整手且不是全部零股 (持有 {held})")
        before = len(order.executed.exbits)
        super()._try_exec(order)
        for bit in list(order.executed.exbits)[before:]:
            self._record_fill(order, info, bit)
        return None

    def _try_exec_market(self, order: Any, popen: float, phigh: float, plow: float) -> None:
        info = self.infos.get(order.data)
        if info is None:
            return super()._try_exec_market(order, popen, phigh, plow)
        price = self._exec_price(order.data, info, buy=order.isbuy())
        self._execute(order, ago=0, price=price)
        return None

    def _exec_price(self, data: Any, info: FeedInfo, *, buy: bool) -> float:
        """Next open with slippage against the trader, rounded to the tick outward, within [low, high]."""
        p = float(data.open[0])
        if self.slippage:
            tick = tick_size(info.board)
            raw = Decimal(str(p * (1 + self.slippage if buy else 1 - self.slippage)))
            q = (raw / tick).to_integral_value(ROUND_CEILING if buy else ROUND_FLOOR) * tick
            p = min(float(q), float(data.high[0])) if buy else max(float(q), float(data.low[0]))
        return p

    def _lot_filler(self, order: Any, price: float, ago: int) -> int:
        """Volume-participation cap: at most ``volume_cap`` × bar volume, rounded down to the lot rule."""
        info = self.infos[order.data]
        cap = int(float(order.data.volume[ago]) * (self.volume_cap or 1.0))
        want = int(abs(order.executed.remsize))
        size = min(want, cap)
        if order.isbuy():
            return round_buy_qty(self._lot_symbol(info), size)
        held = int(self.positions[order.data].size)
        if size == want or is_valid_sell_qty(self._lot_symbol(info), size, held):
            return size
        return (size // 100) * 100

    def _record_fill(self, order: Any, info: FeedInfo, bit: Any) -> None:
        size = int(abs(bit.size))
        if not size:
            return
        side = "buy" if order.isbuy() else "sell"
        fees = self.fees(info, side, bit.price, size)
        assert self.day is not None
        self.fills.append(Fill(self.day.isoformat(), info.symbol, side, round(float(bit.price), 4), size,
                               float(fees.commission), float(fees.stamp_duty), float(fees.transfer_fee),
                               round(float(bit.price) * size, 2)))
        book = self._books[info.symbol]
        per_share = float(fees.total) / size
        if side == "buy":
            book.bought_on[self.day] = book.bought_on.get(self.day, 0) + size
            book.lots.append([self.day, float(size), float(bit.price), per_share, self._bar_index])
            return
        left = size
        for d in sorted(book.bought_on):  # release the oldest sellable shares first
            take = min(left, book.bought_on[d])
            book.bought_on[d] -= take
            left -= take
            if book.bought_on[d] == 0:
                del book.bought_on[d]
            if not left:
                break
        left_f = float(size)
        while left_f > 1e-9 and book.lots:
            lot = book.lots[0]
            take_f = min(left_f, lot[1])
            gross = (float(bit.price) - lot[2]) * take_f
            self.round_trips.append({
                "symbol": info.symbol, "open_date": lot[0].isoformat(), "close_date": self.day.isoformat(),
                "size": round(take_f), "entry_price": round(lot[2], 4), "exit_price": round(float(bit.price), 4),
                "pnl": round(gross, 2), "pnl_net": round(gross - (lot[3] + per_share) * take_f, 2),
                "bars_held": self._bar_index - lot[4]})
            lot[1] -= take_f
            left_f -= take_f
            if lot[1] <= 1e-9:
                book.lots.pop(0)
