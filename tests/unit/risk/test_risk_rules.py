"""Each rule: breach, ok and the edge (table-driven), on accounts valued with hand-made quotes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jupyterlab_quant.core.ashare import limit_prices
from jupyterlab_quant.core.live import Severity
from jupyterlab_quant.risk.account import AccountState, Permissions, PositionState
from jupyterlab_quant.risk.rules.base import st_mark
from tests.unit.risk.helpers import NAN, NOW, check_one, q, snap

MT = "600519.SH"   # main board
PA = "000001.SZ"   # main board
CY = "300750.SZ"   # ChiNext
KC = "688981.SH"   # STAR
BJ = "920799.BJ"   # BSE


# ---- account-level ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("cash", "price", "limit", "state", "value"), [
    (20_000, 1000.0, 80, "breach", 100_000 / 120_000 * 100),
    (25_000, 1000.0, 80, "ok", 80.0),            # exactly at the limit is not over it
    (100_000, NAN, 80, "ok", 50.0),              # NaN quote: valued at 前收盘 (1000), no crash
])
def test_total_position(cash: float, price: float, limit: float, state: str, value: float) -> None:
    s = snap([(MT, 100, 900.0)], cash=cash, quotes=[q(MT, price, 1000.0)])
    st, alerts = check_one("total_position", {"max_position_pct": limit}, s)
    assert (st.state, st.value, st.threshold) == (state, pytest.approx(value), limit)
    assert len(alerts) == (state == "breach")


def test_total_position_says_when_a_price_is_not_live() -> None:
    s = snap([(MT, 100, 900.0)], cash=0, quotes=[q(MT, NAN, 1000.0)])
    st, alerts = check_one("total_position", None, s)
    assert st.state == "breach" and "按前收盘价估值" in st.message and MT in alerts[0].message


@pytest.mark.parametrize(("prices", "limit", "breached"), [
    ({MT: 35.0, PA: 35.0}, 30, [MT, PA]),       # 35 % each of 100k
    ({MT: 40.0, PA: 30.0}, 30, [MT]),           # PA exactly 30 % is ok
    ({MT: 10.0, PA: 10.0}, 30, []),
])
def test_single_weight(prices: dict, limit: float, breached: list) -> None:
    cash = 100_000 - 1000 * sum(prices.values())
    s = snap([(MT, 1000, 10.0), (PA, 1000, 10.0)], cash=cash, quotes=[q(k, v) for k, v in prices.items()])
    st, alerts = check_one("single_weight", {"max_weight_pct": limit}, s)
    assert st.state == ("breach" if breached else "ok")
    assert list(st.symbols) == breached
    assert [a.key for a in alerts] == [f"single_weight:1:{x}" for x in breached]
    assert all(a.symbol in breached and a.severity is Severity.WARNING for a in alerts)


@pytest.mark.parametrize(("price", "state", "loss"), [
    (96.0, "breach", 4.0),
    (97.0, "ok", 3.0),          # exactly the limit: not more than it
    (101.0, "ok", -1.0),        # a gain is a negative loss
])
def test_daily_loss_against_preclose(price: float, state: str, loss: float) -> None:
    s = snap([(MT, 1000, 80.0)], cash=0, quotes=[q(MT, price, 100.0)])
    assert s.day_start_source == "preclose" and s.day_start_value == 100_000
    st, alerts = check_one("daily_loss", {"max_loss_pct": 3}, s)
    assert (st.state, st.value) == (state, pytest.approx(loss))
    if state == "breach":
        assert alerts[0].severity is Severity.CRITICAL
        assert alerts[0].title == "当日亏损超限：较昨收亏损 4%，阈值 3%"


@pytest.mark.parametrize(("value", "state", "dd"), [
    (880_000, "breach", 12.0),
    (900_000, "ok", 10.0),
    (1_000_000, "ok", 0.0),
])
def test_drawdown_against_stored_peak(value: float, state: str, dd: float) -> None:
    s = snap(cash=value, state=AccountState(peak_value=1_000_000, peak_at="2026-02-27T15:00:00"))
    st, alerts = check_one("drawdown", {"max_drawdown_pct": 10}, s)
    assert (st.state, st.value, st.threshold) == (state, pytest.approx(dd), 10)
    if state == "breach":
        a = alerts[0]
        assert a.title == "回撤超限：从峰值回撤 12%，阈值 10%"
        assert a.key == "drawdown:1:default" and a.severity is Severity.CRITICAL
        assert "1,000,000.00 元" in a.message and "2026-02-27T15:00:00" in a.message


def test_drawdown_without_any_value_is_no_data() -> None:
    st, alerts = check_one("drawdown", None, snap(cash=0))
    assert st.state == "no_data" and not alerts


@pytest.mark.parametrize(("cash", "state"), [(5_000, "breach"), (10_000, "ok"), (50_000, "ok")])
def test_cash_floor(cash: float, state: str) -> None:
    st, _ = check_one("cash_floor", {"min_cash": 10_000}, snap(cash=cash))
    assert (st.state, st.value, st.threshold) == (state, cash, 10_000)


@pytest.mark.parametrize(("limit", "state"), [(2, "breach"), (3, "ok")])
def test_max_holdings(limit: int, state: str) -> None:
    s = snap([(MT, 100, 1.0), (PA, 100, 1.0), (CY, 100, 1.0)], quotes=[q(MT, 1.0), q(PA, 1.0), q(CY, 1.0)])
    st, _ = check_one("max_holdings", {"max_count": limit}, s)
    assert (st.state, st.value, st.threshold) == (state, 3, limit)


# ---- strategy-level --------------------------------------------------------------------------------
@pytest.mark.parametrize(("price", "state"), [(92.0, "breach"), (91.0, "breach"), (92.01, "ok"), (130.0, "ok")])
def test_stop_loss(price: float, state: str) -> None:
    st, alerts = check_one("stop_loss", {"loss_pct": 8}, snap([(MT, 100, 100.0)], quotes=[q(MT, price)]))
    assert st.state == state
    if state == "breach":
        assert alerts[0].key == "stop_loss:1:600519.SH" and alerts[0].severity is Severity.CRITICAL
        assert "止损价 92" in alerts[0].message


def test_stop_loss_skips_non_positive_cost_and_filters_by_strategy() -> None:
    s = snap([(MT, 100, 0.0, "a"), (PA, 100, 100.0, "b")], quotes=[q(MT, 1.0), q(PA, 50.0)])
    st, _ = check_one("stop_loss", None, s, strategy="a")
    assert st.state == "no_data" and MT in st.message          # cost 0: cannot compute a loss
    st, _ = check_one("stop_loss", None, s, strategy="b")
    assert st.state == "breach" and st.symbols == (PA,)
    st, _ = check_one("stop_loss", None, s, strategy="c")
    assert st.state == "no_data"


def test_stop_loss_uses_last_known_price_of_a_suspended_stock_and_says_so() -> None:
    s = snap([(MT, 100, 100.0)], quotes=[q(MT, NAN, 90.0)])
    st, alerts = check_one("stop_loss", None, s)
    assert st.state == "breach" and "停牌/无成交价，按前收盘价估值" in alerts[0].message


@pytest.mark.parametrize(("price", "state"), [(120.0, "breach"), (119.99, "ok")])
def test_take_profit(price: float, state: str) -> None:
    st, alerts = check_one("take_profit", {"gain_pct": 20}, snap([(MT, 100, 100.0)], quotes=[q(MT, price)]))
    assert st.state == state
    assert [a.severity for a in alerts] == ([Severity.WARNING] if state == "breach" else [])


@pytest.mark.parametrize(("high", "price", "state"), [
    (120.0, 108.0, "breach"),     # exactly 10 % below the high-water mark
    (120.0, 108.01, "ok"),
    (None, 90.0, "breach"),       # no high seen yet: the cost is the first high-water mark
])
def test_trailing_stop(high: float | None, price: float, state: str) -> None:
    st8 = AccountState(positions={MT: PositionState(high=high)}) if high else AccountState()
    st, _ = check_one("trailing_stop", {"trail_pct": 10}, snap([(MT, 100, 100.0)], quotes=[q(MT, price)], state=st8))
    assert st.state == state


def test_trailing_stop_counts_the_day_high_only_for_positions_opened_before_that_day() -> None:
    quote = q(MT, 108.0, 100.0, high=121.0)
    old = snap([(MT, 100, 100.0, None, dt.date(2026, 2, 1))], quotes=[quote])
    new = snap([(MT, 100, 100.0, None, NOW.date())], quotes=[quote])
    assert old.positions[0].high == 121.0 and new.positions[0].high == 108.0
    assert check_one("trailing_stop", None, old)[0].state == "breach"
    assert check_one("trailing_stop", None, new)[0].state == "ok"


def test_strategy_position() -> None:
    s = snap([(MT, 100, 1.0, "a"), (PA, 100, 1.0, "b"), (CY, 100, 1.0)], cash=0,
             quotes=[q(MT, 600.0), q(PA, 100.0), q(CY, 300.0)])
    st, alerts = check_one("strategy_position", {"max_position_pct": 50}, s)
    assert st.state == "breach" and st.value == pytest.approx(60.0)
    assert [a.key for a in alerts] == ["strategy_position:1:a"]
    assert check_one("strategy_position", {"max_position_pct": 50}, s, strategy="b")[0].state == "ok"
    untagged = snap([(CY, 100, 1.0)], quotes=[q(CY, 300.0)])
    assert check_one("strategy_position", None, untagged)[0].state == "no_data"


# ---- market ----------------------------------------------------------------------------------------
JULY = dt.datetime(2026, 7, 6, 10, 0)   # main-board ST band 5 % → 10 % from this day (ashare-rules.md §4.1)


@pytest.mark.parametrize(("symbol", "name", "preclose", "price", "when", "near", "state", "down"), [
    (MT, "贵州茅台", 10.00, 9.00, NOW, 0, "breach", "9.00"),        # main board −10 %
    (MT, "贵州茅台", 10.00, 9.01, NOW, 0, "ok", None),
    (MT, "贵州茅台", 10.00, 9.09, NOW, 1, "breach", "9.00"),        # within 1 % above the limit-down price
    (MT, "贵州茅台", 10.00, 9.10, NOW, 1, "ok", None),
    (CY, "宁德时代", 10.00, 9.00, NOW, 0, "ok", None),              # ChiNext 20 %
    (CY, "宁德时代", 10.00, 8.00, NOW, 0, "breach", "8.00"),
    (KC, "中芯国际", 50.00, 40.00, NOW, 0, "breach", "40.00"),      # STAR 20 %
    (BJ, "", 10.00, 7.00, NOW, 0, "breach", "7.00"),                # BSE 30 %
    (BJ, "", 10.00, 9.00, NOW, 0, "ok", None),
    (PA, "ST平安", 10.00, 9.50, NOW, 0, "breach", "9.50"),          # main-board ST 5 % before 2026-07-06
    (PA, "ST平安", 10.00, 9.50, JULY, 0, "ok", None),               # … 10 % from 2026-07-06
    (PA, "ST平安", 10.00, 9.00, JULY, 0, "breach", "9.00"),
    (PA, "*ST平安", 10.00, 9.00, NOW, 0, "breach", "9.00"),         # below the 5 % band: the ST mark is newer → 10 %
    ("000408.SZ", "*ST金源", 36.15, 32.54, dt.datetime(2025, 4, 7, 15), 0, "breach", "32.54"),  # real sample bar:
    # 36.15 × 0.9 = 32.535 → 32.54 half-up; on that day the stock traded under the 10 % band
    (MT, "贵州茅台", 10.00, 8.00, NOW, 0, "no_data", None),         # below any band: a no-limit day (IPO), skipped
])
def test_limit_down_uses_core_limit_prices(symbol: str, name: str, preclose: float, price: float,
                                           when: dt.datetime, near: float, state: str, down: str | None) -> None:
    s = snap([(symbol, 100, 10.0)], quotes=[q(symbol, price, preclose, name=name, time=when)], now=when)
    st, alerts = check_one("limit_down", {"near_pct": near}, s)
    assert st.state == state, st.message
    if down is not None:
        # the expected price is worked by hand from ashare-rules.md §4.1/§4.3; core agrees for one of the bands
        bands = {limit_prices(preclose, symbol, when.date(), is_st=st).down for st in (False, True)}  # type: ignore
        assert Decimal(down) in bands
        assert f"跌停价 {float(down):g}" in alerts[0].title
        assert alerts[0].severity is Severity.CRITICAL and alerts[0].key == f"limit_down:1:{symbol}"


@pytest.mark.parametrize("quote", [q(MT, NAN, 10.0), q(MT, 9.0, NAN), q(MT, 9.0, 0.0)])
def test_limit_down_skips_suspended_or_missing_preclose(quote) -> None:
    st, alerts = check_one("limit_down", None, snap([(MT, 100, 10.0)], quotes=[quote]))
    assert st.state == "no_data" and MT in st.message and not alerts


@pytest.mark.parametrize(("name", "mark"), [("ST康美", "ST"), ("*ST金源", "*ST"), ("S*ST前锋", "*ST"),
                                            ("ＳＴ全角", "ST"), ("st小写", "ST"), ("万 科Ａ", ""), ("", ""),
                                            ("TCL科技", "")])
def test_st_mark(name: str, mark: str) -> None:
    assert st_mark(name) == mark


def test_st_holding_by_quote_name_and_last_seen_name() -> None:
    s = snap([(MT, 100, 1.0), (PA, 100, 1.0), ("000408.SZ", 100, 1.0), ("000002.SZ", 100, 1.0)],
             quotes=[q(MT, 1.0, name="贵州茅台"), q(PA, 1.0, name="ST平安"), q("000408.SZ", 1.0)],
             state=AccountState(positions={"000408.SZ": PositionState(name="*ST金源")}))
    st, alerts = check_one("st_holding", None, s)
    assert st.state == "breach" and st.symbols == (PA, "000408.SZ")
    assert {a.symbol: a.severity for a in alerts} == {PA: Severity.WARNING, "000408.SZ": Severity.CRITICAL}
    none = snap([(MT, 100, 1.0)], quotes=[q(MT, 1.0)])
    assert check_one("st_holding", None, none)[0].state == "no_data"


@pytest.mark.parametrize(("quotes", "params", "state"), [
    ([q(MT, NAN, 10.0)], None, "breach"),
    ([q(MT, 0.0, 10.0)], None, "breach"),                                           # 0 = no trade too
    ([q(MT, NAN, 10.0, time=dt.datetime(2026, 3, 2, 9, 20))], None, "ok"),         # before 09:25: not judged
    ([q(MT, 10.0, 10.0)], None, "ok"),
    ([], None, "no_data"),
    ([], {"include_missing": True}, "breach"),
])
def test_suspended(quotes: list, params: dict | None, state: str) -> None:
    st, alerts = check_one("suspended", params, snap([(MT, 100, 10.0)], quotes=quotes))
    assert st.state == state
    assert [a.key for a in alerts] == (["suspended:1:600519.SH"] if state == "breach" else [])


# ---- compliance ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("perms", "params", "breached"), [
    (Permissions(), None, [CY, KC]),
    (Permissions(chinext=True), None, [KC]),
    (Permissions(chinext=True, star=True), None, []),
    (Permissions(), {"check_star": False}, [CY]),
])
def test_board_permission(perms: Permissions, params: dict | None, breached: list) -> None:
    s = snap([(MT, 100, 1.0), (CY, 100, 1.0), (KC, 200, 1.0)], perms=perms)
    st, alerts = check_one("board_permission", params, s)
    assert st.state == ("breach" if breached else "ok") and list(st.symbols) == breached
    assert all("jlq risk account permissions" in a.message for a in alerts)


@pytest.mark.parametrize("kind", ["single_weight", "stop_loss", "trailing_stop", "take_profit", "limit_down",
                                  "st_holding", "suspended", "board_permission"])
def test_position_rules_on_an_empty_account(kind: str) -> None:
    st, alerts = check_one(kind, None, snap(cash=1000))
    assert st.state in ("no_data", "ok") and not alerts
