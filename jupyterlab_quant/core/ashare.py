"""A-share trading rules as dated data plus pure functions.

Source of every fact and date: ``ashare-rules.md`` (shared/reference), cited by section below:

* §3   lot sizes — :func:`lot_rule`, :func:`round_buy_qty`, :func:`is_valid_sell_qty`
* §4.1–4.2 price-limit bands and no-limit days — :func:`price_limit_pct`, :func:`ipo_no_limit_days`
* §4.3–4.4 limit-price rounding and ticks — :func:`tick_size`, :func:`limit_prices`
* §1   fee schedules and the backtest fee model — :class:`BrokerProfile`, :func:`trade_costs`
* §2   T+1 / T+0 — :class:`InstrumentType`, :func:`can_sell_on_buy_day`, :func:`can_sell`

Money and prices are ``Decimal``; nothing here rounds with binary floats. Dates in the schedules are
exchange dates, ``start``/``end`` inclusive, a new rate applies *on* its start date (reference
"Conventions").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum

from .errors import InvalidInput
from .types import Board, board_of, split_symbol

# ---------------------------------------------------------------------------------------------------
# §4.1–4.2 price-limit bands (public API used by data/quality.py — keep signatures and behaviour)
# ---------------------------------------------------------------------------------------------------

CHINEXT_20PCT_FROM = dt.date(2020, 8, 24)      # §4.1 深证上〔2020〕515号: ChiNext ±20 %, ST included
STAR_LAUNCH = dt.date(2019, 7, 22)             # §4.1 STAR ±20 % from its first day
BSE_OPENING = dt.date(2021, 11, 15)            # §4.1 BSE ±30 %
MAIN_ST_10PCT_FROM = dt.date(2026, 7, 6)       # §4.1 2026 rule revision: main-board ST 5 % → 10 %
MAIN_REGISTRATION_IPO_FROM = dt.date(2023, 4, 10)  # §4.2 main-board IPOs: first 5 days without limit


def price_limit_pct(board: Board | str, day: dt.date, is_st: bool = False) -> float | None:
    """Daily limit as a fraction (0.10 = ±10 %) for a stock on ``day``; None when no band applies
    (indices, ETFs handled elsewhere, futures, B-shares not modelled). Source: §4.1."""
    b = Board(board)
    if b is Board.MAIN:
        return 0.05 if is_st and day < MAIN_ST_10PCT_FROM else 0.10
    if b is Board.CHINEXT:
        if day >= CHINEXT_20PCT_FROM:
            return 0.20
        return 0.05 if is_st else 0.10
    if b is Board.STAR:
        return 0.20
    if b is Board.BSE:
        return 0.30
    if b is Board.ETF:
        return 0.20  # the loosest ETF band: ETFs follow their underlying (10 %, or 20 % on STAR/ChiNext)
    return None


def ipo_no_limit_days(board: Board | str, list_date: dt.date) -> int:
    """How many trading days from the listing day trade without the normal band (§4.2).

    Main-board IPOs 2014-06-13 … 2023-04-09 had a +44 %/−36 % cap on the first day only; that day
    is counted as "no normal band" too, since the normal band does not apply.
    """
    b = Board(board)
    if b is Board.STAR:
        return 5
    if b is Board.CHINEXT:
        return 5 if list_date >= CHINEXT_20PCT_FROM else 1
    if b is Board.MAIN:
        return 5 if list_date >= MAIN_REGISTRATION_IPO_FROM else 1
    if b is Board.BSE:
        return 1
    return 1


# ---------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------

CENT = Decimal("0.01")
_STOCK_BOARDS = (Board.MAIN, Board.CHINEXT, Board.STAR, Board.BSE)


def to_decimal(value: Decimal | float | int | str) -> Decimal:
    """``Decimal`` from a price/amount; floats go through ``str`` (shortest repr), so 10.005 stays
    10.005 instead of its binary expansion 10.00499999…"""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round_half_up(value: Decimal | float | int | str, quantum: Decimal | str = CENT) -> Decimal:
    """Round half-up to ``quantum`` (§4.3 "四舍五入"; §1.6 fees to 0.01 CNY)."""
    return to_decimal(value).quantize(Decimal(quantum), rounding=ROUND_HALF_UP)


def _board(symbol_or_board: Board | str) -> Board:
    if isinstance(symbol_or_board, Board):
        return symbol_or_board
    try:
        return Board(symbol_or_board)
    except ValueError:
        return board_of(symbol_or_board)


# ---------------------------------------------------------------------------------------------------
# §3 lot sizes and order quantities
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LotRule:
    """Order-quantity rule of one board (§3).

    ``min_buy``: smallest buy; ``step``: increment above it; ``odd_lot``: a sell leaving/being a
    residual below this must sell that residual all at once; ``max_order``: largest limit order.
    """

    min_buy: int
    step: int
    odd_lot: int
    max_order: int


LOT_RULES: dict[Board, LotRule] = {
    # §3: SSE/SZSE Trading Rules (2023) §3.3.8; 上证函〔2014〕301号 — multiples of 100, max 1,000,000
    Board.MAIN: LotRule(min_buy=100, step=100, odd_lot=100, max_order=1_000_000),
    Board.CHINEXT: LotRule(min_buy=100, step=100, odd_lot=100, max_order=1_000_000),
    # §3: STAR special rules 6.1.7 (2023) / 6.7 (2026) — ≥200 then 1-share steps; limit orders ≤100,000
    Board.STAR: LotRule(min_buy=200, step=1, odd_lot=200, max_order=100_000),
    # §3: BSE — ≥100 then 1-share steps; max 1,000,000
    Board.BSE: LotRule(min_buy=100, step=1, odd_lot=100, max_order=1_000_000),
}


def lot_rule(symbol_or_board: Board | str) -> LotRule:
    """Lot rule for a stock symbol (``688981.SH``) or board. Only the stock boards of §3 are covered;
    ETFs, bonds and B-shares raise :class:`InvalidInput` (no sourced rule yet)."""
    b = _board(symbol_or_board)
    try:
        return LOT_RULES[b]
    except KeyError:
        raise InvalidInput(f"没有 {b.value} 的申报数量规则 (no lot rule for board {b.value})",
                           "ashare-rules.md §3 只覆盖主板/创业板/科创板/北交所股票") from None


def round_buy_qty(symbol_or_board: Board | str, desired: int) -> int:
    """Largest valid buy quantity ≤ ``desired`` (§3); 0 when ``desired`` is below the minimum.

    Main/ChiNext: multiples of 100. STAR: ≥200 then any integer. BSE: ≥100 then any integer.
    The per-order maximum is not applied here (splitting large orders is the caller's business).
    """
    r = lot_rule(symbol_or_board)
    q = int(desired)
    if q < r.min_buy:
        return 0
    return r.min_buy + (q - r.min_buy) // r.step * r.step


def is_valid_sell_qty(symbol_or_board: Board | str, qty: int, position: int) -> bool:
    """Whether selling ``qty`` out of a sellable ``position`` is a valid order (§3).

    Main/ChiNext: a multiple of 100, or a multiple of 100 plus the whole odd-lot residual
    (position mod 100) — holding 299 one may sell 99, 100, 199, 200, 299 but not 1, 101, 198, 298
    (上证函〔2014〕301号). STAR/BSE: any quantity ≥ the minimum (200/100); below it only the whole
    remaining position ("余额不足 … 应当一次性申报卖出").
    """
    r = lot_rule(symbol_or_board)
    if qty <= 0 or qty > position:
        return False
    if r.step == r.odd_lot:  # round lots of odd_lot shares (main board, ChiNext)
        return qty % r.odd_lot == 0 or qty % r.odd_lot == position % r.odd_lot
    return qty >= r.odd_lot or qty == position


# ---------------------------------------------------------------------------------------------------
# §4.3–4.4 ticks and limit prices
# ---------------------------------------------------------------------------------------------------

STOCK_TICK = Decimal("0.01")   # §4.4 A-shares
FUND_TICK = Decimal("0.001")   # §4.4 funds, ETFs, bonds
ETF_DEFAULT_BAND = 0.10        # ordinary equity ETF; §4.1 has no ETF row — pass ``pct`` for others


def tick_size(symbol_or_board: Board | str) -> Decimal:
    """Minimum price step (§4.4): 0.01 CNY for A-shares, 0.001 CNY for ETFs/funds/bonds."""
    b = _board(symbol_or_board)
    if b in _STOCK_BOARDS or b is Board.B_SHARE:
        return STOCK_TICK
    if b is Board.ETF:
        return FUND_TICK
    raise InvalidInput(f"没有 {b.value} 的最小变动价位 (no tick size for {b.value})",
                       "ashare-rules.md §4.4 只覆盖股票与基金/ETF/债券")


@dataclass(frozen=True)
class LimitPrices:
    """Limit-up / limit-down prices of one day, on the tick."""

    up: Decimal
    down: Decimal
    pct: Decimal
    tick: Decimal


def limit_prices(preclose: Decimal | float | str, symbol_or_board: Board | str, day: dt.date, *,
                 is_st: bool = False, list_date: dt.date | None = None,
                 trading_day_number: int | None = None, pct: float | Decimal | None = None,
                 tick: Decimal | None = None) -> LimitPrices | None:
    """Limit prices for ``day`` (§4.3): ``preclose × (1 ± band)`` rounded half-up to the tick, widened
    to one tick from ``preclose`` when the rounded band is closer than that.

    ``preclose`` must be the exchange's ex-rights reference price (前收盘), not the raw previous close.
    Returns None on a no-limit day (§4.2): pass ``list_date`` and ``trading_day_number`` (1 = the
    listing day, counted in trading days) to apply IPO windows. Main-board IPO listing days from
    2014-06-13 to 2023-04-09 (+44 %/−36 % of the issue price) also return None here. ``pct`` overrides
    the band (e.g. a 20 % ChiNext/STAR ETF); ETFs default to :data:`ETF_DEFAULT_BAND`.
    """
    b = _board(symbol_or_board)
    if (list_date is not None and trading_day_number is not None
            and 1 <= trading_day_number <= ipo_no_limit_days(b, list_date)):
        return None
    if pct is None:
        band = ETF_DEFAULT_BAND if b is Board.ETF else price_limit_pct(b, day, is_st)
        if band is None:
            return None
        pct = band
    t = tick if tick is not None else tick_size(b)
    p = to_decimal(preclose)
    if p <= 0:
        raise InvalidInput(f"前收盘价必须为正 (preclose must be positive): {preclose}", "")
    band_d = to_decimal(pct)
    up = round_half_up(p * (1 + band_d), t)
    down = round_half_up(p * (1 - band_d), t)
    if up - p < t:      # §4.3: less than one tick away → preclose ± 1 tick
        up = p + t
    if p - down < t:
        down = p - t
    return LimitPrices(up=up, down=down, pct=band_d, tick=t)


# ---------------------------------------------------------------------------------------------------
# §2 settlement: T+1 / T+0 by instrument type
# ---------------------------------------------------------------------------------------------------


class InstrumentType(str, Enum):
    """Instrument types of §2. Decide an ETF's type from the exchange's lists, never its name (§2)."""

    STOCK = "stock"                      # A-shares, all boards: T+1
    EQUITY_ETF = "equity_etf"            # ordinary domestic equity ETFs (510300, 159915): T+1
    BOND_ETF = "bond_etf"                # T+0
    GOLD_ETF = "gold_etf"                # 518880: T+0
    MONEY_ETF = "money_etf"              # T+0
    CROSS_BORDER_ETF = "cross_border_etf"  # QDII/cross-border (513100, 159920): T+0
    COMMODITY_ETF = "commodity_etf"      # commodity-futures ETFs: T+0
    BOND = "bond"                        # T+0
    CONVERTIBLE_BOND = "convertible_bond"  # 可转债: T+0
    BOND_REPO = "bond_repo"              # T+0
    FUTURES = "futures"                  # T+0 (§9)


T0_INSTRUMENTS = frozenset({
    InstrumentType.BOND_ETF, InstrumentType.GOLD_ETF, InstrumentType.MONEY_ETF,
    InstrumentType.CROSS_BORDER_ETF, InstrumentType.COMMODITY_ETF, InstrumentType.BOND,
    InstrumentType.CONVERTIBLE_BOND, InstrumentType.BOND_REPO, InstrumentType.FUTURES,
})


def can_sell_on_buy_day(instrument: InstrumentType | str) -> bool:
    """True when shares bought on day D may be sold on day D (T+0), per §2; False for T+1
    (A-shares: SSE Trading Rules §3.1.4 "买入的证券在交收前不得卖出"; ordinary equity ETFs)."""
    return InstrumentType(instrument) in T0_INSTRUMENTS


def can_sell(instrument: InstrumentType | str, bought: dt.date, day: dt.date) -> bool:
    """Whether a holding bought on ``bought`` may be sold on ``day`` (§2)."""
    if day < bought:
        return False
    return day > bought or can_sell_on_buy_day(instrument)


# ---------------------------------------------------------------------------------------------------
# §1 transaction costs
# ---------------------------------------------------------------------------------------------------


class Side(str, Enum):
    BUY = "buy"
    SELL = "sell"


BOTH_SIDES = frozenset({Side.BUY, Side.SELL})
SELL_ONLY = frozenset({Side.SELL})


@dataclass(frozen=True)
class RatePeriod:
    """One row of a dated fee schedule (§1.5): ``start``/``end`` inclusive, None = open-ended."""

    start: dt.date | None
    end: dt.date | None
    rate: Decimal
    sides: frozenset[Side] = BOTH_SIDES
    markets: frozenset[str] = frozenset({"SH", "SZ", "BJ"})
    base: str = "turnover"  # or "par_value"

    def covers(self, day: dt.date, market: str) -> bool:
        return ((self.start is None or self.start <= day) and (self.end is None or day <= self.end)
                and market in self.markets)


def _d(y: int, m: int, d: int) -> dt.date:
    return dt.date(y, m, d)


# §1.2 stamp duty (base turnover; not charged on ETFs or bonds). History before 2007-05-30 not covered.
STAMP_DUTY: tuple[RatePeriod, ...] = (
    RatePeriod(_d(2007, 5, 30), _d(2008, 4, 23), Decimal("0.003"), BOTH_SIDES),
    RatePeriod(_d(2008, 4, 24), _d(2008, 9, 18), Decimal("0.001"), BOTH_SIDES),
    RatePeriod(_d(2008, 9, 19), _d(2023, 8, 27), Decimal("0.001"), SELL_ONLY),
    RatePeriod(_d(2023, 8, 28), None, Decimal("0.0005"), SELL_ONLY),   # MOF/STA 2023 No.39
)

# §1.3 transfer fee 过户费 (both sides). SH before 2015-08-01 is charged on par value.
TRANSFER_FEE: tuple[RatePeriod, ...] = (
    RatePeriod(None, _d(2015, 7, 31), Decimal("0.0003"), markets=frozenset({"SH"}), base="par_value"),
    RatePeriod(None, _d(2015, 7, 31), Decimal("0.0000255"), markets=frozenset({"SZ"})),
    RatePeriod(_d(2015, 8, 1), _d(2022, 4, 28), Decimal("0.00002"), markets=frozenset({"SH", "SZ"})),
    RatePeriod(_d(2021, 11, 15), _d(2022, 4, 28), Decimal("0.000025"), markets=frozenset({"BJ"})),
    RatePeriod(_d(2022, 4, 29), None, Decimal("0.00001")),             # ChinaClear notice, 50 % cut
)

# §1.4 exchange handling fee 经手费 and CSRC regulatory fee 证管费 (usually inside the commission).
HANDLING_FEE: tuple[RatePeriod, ...] = (
    RatePeriod(None, _d(2023, 8, 27), Decimal("0.0000487")),
    RatePeriod(_d(2023, 8, 28), None, Decimal("0.0000341")),           # SZSE notice 2023-08-18
)
REGULATORY_FEE: tuple[RatePeriod, ...] = (RatePeriod(None, None, Decimal("0.00002")),)

COMMISSION_MAX_RATE = Decimal("0.003")       # §1.1/1.5 CSRC: ≤ 3‰
DEFAULT_COMMISSION_RATE = Decimal("0.00025")  # §1.1 typical modelling default 万2.5
DEFAULT_MIN_COMMISSION = Decimal("5.00")      # §1.1 minimum 5 CNY per trade since 2002-05-01


def rate_on(schedule: Sequence[RatePeriod], day: dt.date, market: str) -> RatePeriod | None:
    """The schedule row in force on ``day`` for ``market``; None when no row covers it."""
    for row in schedule:
        if row.covers(day, market):
            return row
    return None


@dataclass(frozen=True)
class BrokerProfile:
    """Commission settings of one account (§1.1, §1.6).

    ``separate_exchange_fees``: charge the handling and regulatory fees (§1.4) as their own lines;
    off by default because the quoted commission usually includes them. ``rounding`` is a
    ``decimal`` rounding mode applied to each fee at 0.01 CNY (§1.6: configurable, default half-up).
    """

    name: str = "default"
    commission_rate: Decimal = DEFAULT_COMMISSION_RATE
    min_commission: Decimal = DEFAULT_MIN_COMMISSION
    separate_exchange_fees: bool = False
    rounding: str = ROUND_HALF_UP

    def __post_init__(self) -> None:
        rate = to_decimal(self.commission_rate)
        minimum = to_decimal(self.min_commission)
        if rate < 0 or rate > COMMISSION_MAX_RATE:
            raise InvalidInput(f"佣金率 {rate} 超出 0–0.003 (commission rate out of range)",
                               "例如 0.00025 表示万2.5 (ashare-rules.md §1.1: ≤ 3‰)")
        if minimum < 0:
            raise InvalidInput(f"最低佣金 {minimum} 不能为负 (negative minimum commission)", "例如 5")
        object.__setattr__(self, "commission_rate", rate)
        object.__setattr__(self, "min_commission", minimum)


DEFAULT_PROFILE = BrokerProfile()


@dataclass(frozen=True)
class FeeBreakdown:
    """Fees of one fill in CNY, each already rounded to 0.01; ``total`` is their sum."""

    commission: Decimal
    stamp_duty: Decimal
    transfer_fee: Decimal
    handling_fee: Decimal = Decimal("0.00")
    regulatory_fee: Decimal = Decimal("0.00")
    total: Decimal = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", self.commission + self.stamp_duty + self.transfer_fee
                           + self.handling_fee + self.regulatory_fee)


def _market(symbol_or_board: Board | str) -> str:
    if isinstance(symbol_or_board, str) and "." in symbol_or_board:
        return split_symbol(symbol_or_board)[1]
    raise InvalidInput(f"需要带交易所后缀的代码 (need CODE.EXCHANGE): {symbol_or_board!r}",
                       "过户费按市场区分，例如 600519.SH")


def trade_costs(side: Side | str, price: Decimal | float | str, qty: int, day: dt.date,
                symbol: str, profile: BrokerProfile = DEFAULT_PROFILE, *,
                instrument: InstrumentType | str = InstrumentType.STOCK,
                par_value: Decimal | str = Decimal("1")) -> FeeBreakdown:
    """Fees of one fill (§1.6 backtest fee model), each rounded to 0.01 CNY with ``profile.rounding``.

    * commission = max(rate × turnover, minimum), both sides (§1.1)
    * stamp duty: dated rate and sides (§1.2); shares only — not ETFs or bonds
    * transfer fee: dated rate by market (§1.3); SH before 2015-08-01 on par value (``par_value``)
    * handling/regulatory fees (§1.4) only with ``profile.separate_exchange_fees``

    ``symbol`` is ``CODE.EXCHANGE`` (the market selects the transfer-fee row). Raises
    :class:`InvalidInput` for non-positive quantity/price and for stock trades before 2007-05-30,
    which the stamp-duty schedule does not cover.
    """
    s = Side(side)
    inst = InstrumentType(instrument)
    market = _market(symbol)
    p = to_decimal(price)
    if qty <= 0 or p <= 0:
        raise InvalidInput(f"成交数量与价格必须为正 (qty {qty}, price {price})", "")
    turnover = p * qty
    mode = profile.rounding

    def money(x: Decimal) -> Decimal:
        return x.quantize(CENT, rounding=mode)

    commission = money(max(profile.commission_rate * turnover, profile.min_commission))

    stamp = Decimal("0.00")
    if inst is InstrumentType.STOCK:
        row = rate_on(STAMP_DUTY, day, market)
        if row is None:
            raise InvalidInput(f"{day} 早于印花税表起点 2007-05-30 (stamp duty not covered before 2007-05-30)",
                               "ashare-rules.md §1.2 不含 2007-05-30 之前的税率")
        if s in row.sides:
            stamp = money(row.rate * turnover)

    transfer = Decimal("0.00")
    row = rate_on(TRANSFER_FEE, day, market)
    if row is not None:
        base = to_decimal(par_value) * qty if row.base == "par_value" else turnover
        transfer = money(row.rate * base)
    elif market in ("SH", "SZ", "BJ"):
        raise InvalidInput(f"{day} {market} 没有过户费费率 (no transfer-fee rate)",
                           "ashare-rules.md §1.3: BSE 自 2021-11-15 起")

    handling = regulatory = Decimal("0.00")
    if profile.separate_exchange_fees:
        h = rate_on(HANDLING_FEE, day, market)
        r = rate_on(REGULATORY_FEE, day, market)
        handling = money(h.rate * turnover) if h else handling
        regulatory = money(r.rate * turnover) if r else regulatory

    return FeeBreakdown(commission=commission, stamp_duty=stamp, transfer_fee=transfer,
                        handling_fee=handling, regulatory_fee=regulatory)
