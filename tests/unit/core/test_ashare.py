"""Table-driven tests of core/ashare.py; every case comes from ashare-rules.md (section in each test)."""

import datetime as dt
from decimal import ROUND_DOWN, Decimal

import pytest

from jupyterlab_quant.core.ashare import (
    BrokerProfile,
    FeeBreakdown,
    InstrumentType,
    LimitPrices,
    can_sell,
    can_sell_on_buy_day,
    ipo_no_limit_days,
    is_valid_sell_qty,
    limit_prices,
    lot_rule,
    price_limit_pct,
    round_buy_qty,
    round_half_up,
    tick_size,
    trade_costs,
)
from jupyterlab_quant.core.errors import InvalidInput
from jupyterlab_quant.core.types import Board

D = Decimal
d = dt.date


# ---- §4.1 bands (existing public API, unchanged behaviour) ------------------------------------------

@pytest.mark.parametrize(
    ("board", "day", "st", "expected"),
    [
        ("main", d(2024, 1, 2), False, 0.10),
        ("main", d(2024, 1, 2), True, 0.05),          # main-board ST 5 %
        ("main", d(2026, 7, 5), True, 0.05),          # last day of ST 5 %
        ("main", d(2026, 7, 6), True, 0.10),          # 2026 revision: ST 10 %
        ("chinext", d(2020, 8, 21), False, 0.10),     # last trading day before the reform
        ("chinext", d(2020, 8, 23), True, 0.05),
        ("chinext", d(2020, 8, 24), False, 0.20),     # 深证上〔2020〕515号
        ("chinext", d(2020, 8, 24), True, 0.20),      # ST included
        ("star", d(2019, 7, 22), True, 0.20),
        ("bse", d(2021, 11, 15), False, 0.30),
        ("etf", d(2024, 1, 2), False, 0.20),
        ("index", d(2024, 1, 2), False, None),
        ("b_share", d(2024, 1, 2), False, None),
    ],
)
def test_price_limit_pct(board: str, day: dt.date, st: bool, expected: float | None) -> None:
    assert price_limit_pct(board, day, st) == expected


@pytest.mark.parametrize(
    ("board", "list_date", "expected"),
    [
        ("star", d(2019, 7, 22), 5),
        ("chinext", d(2020, 8, 21), 1),
        ("chinext", d(2020, 8, 24), 5),
        ("main", d(2023, 4, 9), 1),
        ("main", d(2023, 4, 10), 5),
        ("bse", d(2021, 11, 15), 1),
    ],
)
def test_ipo_no_limit_days(board: str, list_date: dt.date, expected: int) -> None:
    assert ipo_no_limit_days(board, list_date) == expected


# ---- §3 lots ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("symbol", "desired", "expected"),
    [
        ("600519.SH", 0, 0), ("600519.SH", 99, 0), ("600519.SH", 100, 100), ("600519.SH", 199, 100),
        ("600519.SH", 250, 200), ("000001.SZ", 1_234, 1_200),
        ("300750.SZ", 150, 100), ("301001.SZ", 99, 0),
        ("688981.SH", 150, 0), ("688981.SH", 199, 0), ("688981.SH", 200, 200), ("688981.SH", 201, 201),
        ("689009.SH", 257, 257),
        ("920799.BJ", 99, 0), ("920799.BJ", 100, 100), ("920799.BJ", 101, 101), ("830799.BJ", 150, 150),
        (Board.STAR, 333, 333), ("main", 777, 700),
    ],
)
def test_round_buy_qty(symbol: str, desired: int, expected: int) -> None:
    assert round_buy_qty(symbol, desired) == expected


@pytest.mark.parametrize(
    ("symbol", "qty", "position", "ok"),
    [
        # 上证函〔2014〕301号: holding 299 → 99, 100, 199, 200, 299 valid; 1, 101, 198, 298 not
        *[("600519.SH", q, 299, True) for q in (99, 100, 199, 200, 299)],
        *[("600519.SH", q, 299, False) for q in (1, 101, 198, 298)],
        ("000001.SZ", 300, 299, False),           # more than held
        ("000001.SZ", 0, 299, False),
        ("300750.SZ", 50, 50, True), ("300750.SZ", 30, 50, False), ("300750.SZ", 100, 500, True),
        # STAR: residual under 200 sold all at once
        ("688981.SH", 200, 350, True), ("688981.SH", 201, 350, True), ("688981.SH", 350, 350, True),
        ("688981.SH", 150, 350, False), ("688981.SH", 150, 150, True), ("688981.SH", 100, 150, False),
        # BSE (920 codes): residual under 100 sold all at once
        ("920799.BJ", 100, 150, True), ("920799.BJ", 101, 150, True), ("920799.BJ", 50, 150, False),
        ("920799.BJ", 50, 50, True), ("920799.BJ", 40, 50, False),
    ],
)
def test_is_valid_sell_qty(symbol: str, qty: int, position: int, ok: bool) -> None:
    assert is_valid_sell_qty(symbol, qty, position) is ok


def test_lot_rule_maxima_and_uncovered_boards() -> None:
    assert lot_rule("688981.SH").max_order == 100_000
    assert lot_rule("600519.SH").max_order == 1_000_000
    with pytest.raises(InvalidInput):
        lot_rule(Board.ETF)


# ---- §4.3–4.4 ticks and limit prices ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "quantum", "expected"),
    [
        ("10.005", "0.01", "10.01"), (10.005, "0.01", "10.01"), ("10.004", "0.01", "10.00"),
        ("1.2345", "0.001", "1.235"), ("2.5", "1", "3"),
    ],
)
def test_round_half_up(value: str | float, quantum: str, expected: str) -> None:
    assert round_half_up(value, quantum) == D(expected)


@pytest.mark.parametrize(
    ("board", "tick"),
    [("600519.SH", "0.01"), ("688981.SH", "0.01"), ("920799.BJ", "0.01"), (Board.ETF, "0.001")],
)
def test_tick_size(board: str, tick: str) -> None:
    assert tick_size(board) == D(tick)


@pytest.mark.parametrize(
    ("preclose", "board", "day", "st", "up", "down"),
    [
        ("10.00", "main", d(2024, 1, 2), False, "11.00", "9.00"),
        (1.15, "main", d(2024, 1, 2), False, "1.27", "1.04"),      # 1.265 → 1.27 (float round gives 1.26)
        (9.15, "main", d(2024, 1, 2), False, "10.07", "8.24"),     # 10.065 → 10.07, 8.235 → 8.24
        (1.9, "main", d(2024, 1, 2), True, "2.00", "1.81"),        # ST 5 %: 1.995 → 2.00, 1.805 → 1.81
        (1.9, "main", d(2026, 7, 6), True, "2.09", "1.71"),        # ST 10 % from 2026-07-06
        ("10.00", "chinext", d(2020, 8, 21), False, "11.00", "9.00"),
        ("10.00", "chinext", d(2020, 8, 24), False, "12.00", "8.00"),
        ("10.00", "chinext", d(2020, 8, 24), True, "12.00", "8.00"),
        ("10.00", "star", d(2024, 1, 2), False, "12.00", "8.00"),
        ("10.00", "920799.BJ", d(2024, 1, 2), False, "13.00", "7.00"),
        ("0.15", "main", d(2024, 1, 2), False, "0.17", "0.14"),     # 0.165 → 0.17
        ("0.05", "main", d(2024, 1, 2), True, "0.06", "0.04"),      # < 1 tick away → preclose ± 1 tick
        ("0.09", "main", d(2024, 1, 2), False, "0.10", "0.08"),     # 0.099 → 0.10; 0.081 → 0.08
        ("3.456", Board.ETF, d(2024, 1, 2), False, "3.802", "3.110"),  # tick 0.001: 3.8016, 3.1104
    ],
)
def test_limit_prices(preclose: str | float, board: str, day: dt.date, st: bool, up: str, down: str) -> None:
    lp = limit_prices(preclose, board, day, is_st=st)
    assert isinstance(lp, LimitPrices)
    assert (lp.up, lp.down) == (D(up), D(down))


@pytest.mark.parametrize(
    ("board", "list_date", "n", "limited"),
    [
        ("star", d(2019, 7, 22), 1, False), ("star", d(2019, 7, 22), 5, False),
        ("star", d(2019, 7, 22), 6, True),
        ("chinext", d(2020, 8, 24), 5, False), ("chinext", d(2020, 8, 24), 6, True),
        ("main", d(2023, 4, 10), 5, False), ("main", d(2023, 4, 10), 6, True),
        ("main", d(2023, 4, 7), 1, False), ("main", d(2023, 4, 7), 2, True),
        ("bse", d(2021, 11, 15), 1, False), ("bse", d(2021, 11, 15), 2, True),
    ],
)
def test_limit_prices_ipo_windows(board: str, list_date: dt.date, n: int, limited: bool) -> None:
    lp = limit_prices("20.00", board, d(2024, 1, 2), list_date=list_date, trading_day_number=n)
    assert (lp is not None) is limited


def test_limit_prices_none_and_override() -> None:
    assert limit_prices("10", Board.INDEX, d(2024, 1, 2)) is None
    lp = limit_prices("1.000", Board.ETF, d(2024, 1, 2), pct=0.2)
    assert lp is not None and (lp.up, lp.down) == (D("1.200"), D("0.800"))
    with pytest.raises(InvalidInput):
        limit_prices("0", "main", d(2024, 1, 2))


# ---- §1 fees -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("side", "day", "stamp"),
    [
        # §1.2 stamp duty on 100,000 CNY turnover
        ("buy", d(2007, 5, 30), "300.00"), ("sell", d(2008, 4, 23), "300.00"),
        ("buy", d(2008, 4, 24), "100.00"), ("sell", d(2008, 9, 18), "100.00"),
        ("buy", d(2008, 9, 18), "100.00"),                                   # last day of both sides
        ("buy", d(2008, 9, 19), "0.00"), ("sell", d(2008, 9, 19), "100.00"),  # seller only
        ("sell", d(2023, 8, 27), "100.00"), ("sell", d(2023, 8, 28), "50.00"),  # halved on 2023-08-28
        ("buy", d(2023, 8, 28), "0.00"),
    ],
)
def test_stamp_duty_schedule(side: str, day: dt.date, stamp: str) -> None:
    assert trade_costs(side, "100.00", 1000, day, "600519.SH").stamp_duty == D(stamp)


@pytest.mark.parametrize(
    ("symbol", "day", "price", "qty", "transfer"),
    [
        ("600519.SH", d(2015, 7, 31), "100.00", 1000, "0.30"),   # SH 0.3‰ of par (1000 × 1 CNY)
        ("000001.SZ", d(2015, 7, 31), "100.00", 1000, "2.55"),   # SZ 0.0255‰ of turnover
        ("600519.SH", d(2015, 8, 1), "100.00", 1000, "2.00"),    # 0.02‰
        ("000001.SZ", d(2022, 4, 28), "100.00", 1000, "2.00"),
        ("830799.BJ", d(2021, 11, 15), "100.00", 1000, "2.50"),  # BSE 0.025‰
        ("600519.SH", d(2022, 4, 29), "100.00", 1000, "1.00"),   # 0.01‰ (ChinaClear cut)
        ("920799.BJ", d(2022, 4, 29), "100.00", 1000, "1.00"),
        ("600519.SH", d(2024, 1, 2), "10.00", 500, "0.05"),      # 0.05 exactly
        ("600519.SH", d(2024, 1, 2), "10.00", 100, "0.01"),      # 0.01 exactly
        ("600519.SH", d(2024, 1, 2), "5.00", 100, "0.01"),       # 0.005 → 0.01 half-up
    ],
)
def test_transfer_fee_schedule(symbol: str, day: dt.date, price: str, qty: int, transfer: str) -> None:
    assert trade_costs("buy", price, qty, day, symbol).transfer_fee == D(transfer)


@pytest.mark.parametrize(
    ("price", "qty", "profile", "commission"),
    [
        ("10.00", 100, BrokerProfile(), "5.00"),                                   # 0.25 → minimum 5
        ("10.00", 20_000, BrokerProfile(), "50.00"),                               # 万2.5 of 200,000
        ("10.00", 20_000, BrokerProfile(min_commission=D("0")), "50.00"),
        ("10.00", 100, BrokerProfile(min_commission=D("0")), "0.25"),
        ("10.00", 100, BrokerProfile(min_commission=D("1")), "1.00"),
        ("10.03", 100, BrokerProfile(commission_rate=D("0.0005"), min_commission=D("0")), "0.50"),  # 0.5015
        ("10.10", 100, BrokerProfile(commission_rate=D("0.0005"), min_commission=D("0")), "0.51"),  # 0.505
        ("10.10", 100, BrokerProfile(commission_rate=D("0.0005"), min_commission=D("0"),
                                     rounding=ROUND_DOWN), "0.50"),
    ],
)
def test_commission(price: str, qty: int, profile: BrokerProfile, commission: str) -> None:
    assert trade_costs("buy", price, qty, d(2024, 1, 2), "600519.SH", profile).commission == D(commission)


def test_fee_breakdown_sell_example_and_total() -> None:
    # §1.6: sell 1,000 × 10.00 on 2023-08-28: commission max(2.50, 5) = 5, stamp 5.00, transfer 0.10
    f = trade_costs("sell", 10.0, 1000, d(2023, 8, 28), "600519.SH")
    assert f == FeeBreakdown(commission=D("5.00"), stamp_duty=D("5.00"), transfer_fee=D("0.10"))
    assert f.total == D("10.10")
    # the day before: stamp 0.1 %
    assert trade_costs("sell", 10.0, 1000, d(2023, 8, 25), "600519.SH").stamp_duty == D("10.00")


@pytest.mark.parametrize(
    ("day", "handling", "regulatory"),
    [(d(2023, 8, 27), "48.70", "20.00"), (d(2023, 8, 28), "34.10", "20.00")],  # §1.4 on 1,000,000
)
def test_separate_exchange_fees(day: dt.date, handling: str, regulatory: str) -> None:
    p = BrokerProfile(separate_exchange_fees=True)
    f = trade_costs("buy", "100.00", 10_000, day, "600519.SH", p)
    assert (f.handling_fee, f.regulatory_fee) == (D(handling), D(regulatory))
    assert f.total == f.commission + f.transfer_fee + f.handling_fee + f.regulatory_fee
    assert trade_costs("buy", "100.00", 10_000, day, "600519.SH").handling_fee == D("0.00")


@pytest.mark.parametrize(
    "instrument", [InstrumentType.EQUITY_ETF, InstrumentType.GOLD_ETF, InstrumentType.CONVERTIBLE_BOND],
)
def test_no_stamp_duty_on_etfs_and_bonds(instrument: InstrumentType) -> None:
    assert trade_costs("sell", "1.000", 100_000, d(2024, 1, 2), "510300.SH",
                       instrument=instrument).stamp_duty == D("0.00")


@pytest.mark.parametrize(
    ("kwargs", "call"),
    [
        ({"commission_rate": D("0.0031")}, None),
        ({"commission_rate": D("-0.0001")}, None),
        ({"min_commission": D("-1")}, None),
        (None, ("buy", "10", 0, d(2024, 1, 2), "600519.SH")),
        (None, ("buy", "-1", 100, d(2024, 1, 2), "600519.SH")),
        (None, ("sell", "10", 100, d(2007, 5, 29), "600519.SH")),   # before the stamp-duty schedule
        (None, ("buy", "10", 100, d(2021, 11, 12), "830799.BJ")),   # before BSE opened
        (None, ("buy", "10", 100, d(2024, 1, 2), "600519")),        # no exchange suffix
    ],
)
def test_fee_bad_input(kwargs: dict | None, call: tuple | None) -> None:
    with pytest.raises(InvalidInput):
        if kwargs is not None:
            BrokerProfile(**kwargs)
        else:
            assert call is not None
            trade_costs(*call)


# ---- §2 T+1 / T+0 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("instrument", "t0"),
    [
        (InstrumentType.STOCK, False), (InstrumentType.EQUITY_ETF, False),
        (InstrumentType.BOND_ETF, True), (InstrumentType.GOLD_ETF, True), (InstrumentType.MONEY_ETF, True),
        (InstrumentType.CROSS_BORDER_ETF, True), (InstrumentType.COMMODITY_ETF, True),
        (InstrumentType.BOND, True), (InstrumentType.CONVERTIBLE_BOND, True),
        (InstrumentType.BOND_REPO, True), (InstrumentType.FUTURES, True), ("stock", False),
    ],
)
def test_can_sell_on_buy_day(instrument: InstrumentType | str, t0: bool) -> None:
    assert can_sell_on_buy_day(instrument) is t0


@pytest.mark.parametrize(
    ("instrument", "bought", "day", "ok"),
    [
        ("stock", d(2024, 1, 2), d(2024, 1, 2), False), ("stock", d(2024, 1, 2), d(2024, 1, 3), True),
        ("equity_etf", d(2024, 1, 2), d(2024, 1, 2), False),
        ("gold_etf", d(2024, 1, 2), d(2024, 1, 2), True),
        ("stock", d(2024, 1, 2), d(2024, 1, 1), False),
    ],
)
def test_can_sell(instrument: str, bought: dt.date, day: dt.date, ok: bool) -> None:
    assert can_sell(instrument, bought, day) is ok
