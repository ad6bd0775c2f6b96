"""The account: valuation with NaN/missing quotes, manual edits, and CSV import (all or nothing)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from jupyterlab_quant.core.errors import ImportFormatError, InvalidInput, NotFound
from jupyterlab_quant.risk.account import AccountState, AccountStore, Position, PositionState
from tests.unit.risk.helpers import NAN, NOW, q, snap

MT, PA = "600519.SH", "000001.SZ"


# ---- valuation ---------------------------------------------------------------------------------------
def test_value_account_prices_live_preclose_last_and_cost_and_never_raises() -> None:
    state = AccountState(positions={"000002.SZ": PositionState(last_price=8.0, name="万 科Ａ")})
    s = snap([(MT, 100, 1500.0), (PA, 1000, 10.0), ("000002.SZ", 1000, 9.0), ("300750.SZ", 100, 200.0)],
             cash=10_000, quotes=[q(MT, 1600.0, 1550.0, name="贵州茅台"), q(PA, NAN, 11.0)], state=state)
    by = {p.symbol: p for p in s.positions}
    assert [(by[x].price_source, by[x].price) for x in (MT, PA, "000002.SZ", "300750.SZ")] == [
        ("live", 1600.0), ("preclose", 11.0), ("last", 8.0), ("cost", None)]
    assert by["000002.SZ"].name == "万 科Ａ"                      # last name seen, quote missing
    assert s.market_value == 160_000 + 11_000 + 8_000 + 20_000
    assert s.total_value == 10_000 + s.market_value
    assert sum(p.weight for p in s.positions) == pytest.approx(s.market_value / s.total_value * 100)
    assert [p.symbol for p in s.stale_positions()] == [PA, "000002.SZ", "300750.SZ"]
    assert "按前收盘价估值" in s.stale_note()
    d = s.to_dict()
    assert set(d) >= {"name", "cash", "value", "positions", "permissions"}
    pos = {p["symbol"]: p for p in d["positions"]}
    assert set(pos[MT]) >= {"symbol", "name", "quantity", "cost", "price", "value", "weight", "pnl", "strategy"}
    assert pos["300750.SZ"]["price"] is None and pos["300750.SZ"]["pnl"] is None
    assert pos[MT]["pnl"] == 10_000 and pos[MT]["pnl_ratio"] == pytest.approx(100 / 1500, abs=1e-6)
    assert pos[MT]["weight"] == pytest.approx(160_000 / s.total_value, abs=1e-6)      # a fraction on the wire


def test_all_nan_quotes_and_a_zero_account_stay_finite_or_none() -> None:
    s = snap([(MT, 100, 0.0)], cash=0, quotes=[q(MT, NAN, NAN)])
    assert s.total_value == 0 and math.isnan(s.positions[0].weight) and s.peak_value is None
    assert s.to_dict()["positions"][0]["weight"] is None


def test_peak_includes_the_current_value() -> None:
    assert snap(cash=5.0, state=AccountState(peak_value=3.0)).peak_value == 5.0
    assert snap(cash=2.0, state=AccountState(peak_value=3.0)).peak_value == 3.0


def test_day_start_falls_back_to_checks_when_a_preclose_is_missing() -> None:
    prev = AccountState(last_value=100.0, last_date=dt.date(2026, 2, 27))
    s = snap([(MT, 1, 10.0)], cash=0, quotes=[q(MT, 90.0)], state=prev)
    assert (s.day_start_value, s.day_start_source) == (100.0, "previous_check")
    today = AccountState(day_date=NOW.date(), day_start_value=95.0, last_value=100.0, last_date=NOW.date())
    assert snap([(MT, 1, 10.0)], quotes=[q(MT, 90.0)], state=today).day_start_source == "day_state"
    first = snap([(MT, 1, 10.0)], quotes=[q(MT, 90.0)])
    assert (first.day_start_value, first.day_start_source) == (90.0, "first_check")


# ---- manual edits ----------------------------------------------------------------------------------
def test_store_edits_and_normalises(tmp_path: Path) -> None:
    st = AccountStore(tmp_path)
    assert st.get().positions == () and st.accounts() == ["default"]
    st.set_cash(100_000)
    st.set_permissions(chinext=True)
    st.upsert_position("sh600519", 100, 1650.5, strategy=" momo ", opened="2026-01-05")
    st.upsert_position("1", "200", "10.5")                      # Excel dropped the zeros: 000001.SZ
    acc = st.get()
    assert acc.cash == 100_000 and acc.permissions.chinext and not acc.permissions.star
    assert acc.positions == (Position(PA, 200, 10.5), Position(MT, 100, 1650.5, "momo", dt.date(2026, 1, 5)))
    st.upsert_position(MT, 300, 1600)                           # replace; opened kept
    assert st.get().positions[1] == Position(MT, 300, 1600.0, None, dt.date(2026, 1, 5))
    st.remove_position("600519")
    assert st.get().symbols() == [PA]
    with pytest.raises(NotFound):
        st.remove_position(MT)


@pytest.mark.parametrize(("call", "needle"), [
    (lambda st: st.set_cash(-1), "cash"),
    (lambda st: st.set_cash(float("nan")), "cash"),
    (lambda st: st.upsert_position(MT, 0, 10), "quantity"),
    (lambda st: st.upsert_position(MT, 10.5, 10), "quantity"),
    (lambda st: st.upsert_position(MT, True, 10), "quantity"),
    (lambda st: st.upsert_position(MT, 100, "abc"), "cost"),
    (lambda st: st.upsert_position(MT, 100, float("inf")), "cost"),
    (lambda st: st.upsert_position("12345678", 100, 1), "12345678"),
    (lambda st: st.upsert_position(MT, 100, 1, opened="2026-13-01"), "opened"),
    (lambda st: st.set_cash(1, account="bad name!"), "account"),
])
def test_bad_edits_are_refused_and_change_nothing(tmp_path: Path, call, needle: str) -> None:
    st = AccountStore(tmp_path)
    st.set_cash(5)
    st.upsert_position(PA, 100, 10)
    before = st.get()
    with pytest.raises(InvalidInput) as e:
        call(st)
    assert needle in str(e.value)
    assert st.get() == before


def test_unknown_account_is_not_found_until_created(tmp_path: Path) -> None:
    st = AccountStore(tmp_path)
    with pytest.raises(NotFound) as e:
        st.get("paper1")
    assert "set-cash --account paper1" in e.value.hint
    st.set_cash(1, account="paper1")
    assert st.accounts() == ["default", "paper1"] and st.get("paper1").cash == 1


# ---- CSV import --------------------------------------------------------------------------------------
GOOD = "代码,数量,成本价,策略\n600519,100,1650.5,momo\n000001.SZ,\"1,000\",10.2,\n300750,0,200,\n"


def test_import_utf8_with_chinese_headers(tmp_path: Path) -> None:
    f = tmp_path / "持仓.csv"
    f.write_text("\ufeff" + GOOD, encoding="utf-8")
    st = AccountStore(tmp_path)
    got = st.import_csv(f)
    assert got == [Position(MT, 100, 1650.5, "momo"), Position(PA, 1000, 10.2)]   # quantity 0 skipped
    assert st.get().symbols() == [PA, MT]


def test_import_gbk_broker_export_with_tabs_and_aliases(tmp_path: Path) -> None:
    f = tmp_path / "broker.xls"
    f.write_bytes("证券代码\t证券名称\t股票余额\t参考成本价\n600519\t贵州茅台\t200\t1500.123\n"
                  "688981\t中芯国际\t300\t45\n".encode("gbk"))
    st = AccountStore(tmp_path)
    assert [p.symbol for p in st.import_csv(f)] == [MT, "688981.SH"]
    assert [p.symbol for p in st.import_csv(f, encoding="gbk")] == [MT, "688981.SH"]


def test_import_replaces_by_default_and_merges_on_request(tmp_path: Path) -> None:
    st = AccountStore(tmp_path)
    st.upsert_position("000002.SZ", 100, 9)
    f = tmp_path / "p.csv"
    f.write_text(GOOD, encoding="utf-8")
    st.import_csv(f, merge=True)
    assert st.get().symbols() == [PA, "000002.SZ", MT]
    st.import_csv(f)
    assert st.get().symbols() == [PA, MT]


@pytest.mark.parametrize(("body", "row", "field", "needle"), [
    ("代码,数量,成本价\n600519,100,1650\n000001,abc,10\n", 3, "quantity", "abc"),
    ("代码,数量,成本价\n600519,100,1650\n000001,-100,10\n", 3, "quantity", "-100"),
    ("代码,数量,成本价\n600519,100.5,1650\n", 2, "quantity", "100.5"),
    ("代码,数量,成本价\n600519,100,\n", 2, "cost", "not a number"),
    ("代码,数量,成本价\n60051X,100,1\n", 2, "symbol", "60051X"),
    ("代码,数量,成本价\n600519,100,1\nsh600519,100,1\n", 3, "symbol", "第 2 行"),
    ("代码,数量,成本价,开仓日期\n600519,100,1,2026-02-30\n", 2, "opened", "2026-02-30"),
    ("代码,数量\n600519,100\n", 1, "cost", "成本价/参考成本价"),
])
def test_a_bad_row_names_file_row_and_field_and_stores_nothing(tmp_path: Path, body: str, row: int, field: str,
                                                              needle: str) -> None:
    st = AccountStore(tmp_path)
    st.set_cash(10)
    st.upsert_position("000002.SZ", 100, 9)
    before = st.load()
    f = tmp_path / "bad.csv"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(ImportFormatError) as e:
        st.import_csv(f)
    err = e.value
    assert (err.row, err.field, err.path) == (row, field, str(f))
    assert "bad.csv" in err.message and f"第 {row} 行" in err.message and needle in str(err)
    assert st.load() == before


def test_unreadable_and_undecodable_files(tmp_path: Path) -> None:
    st = AccountStore(tmp_path)
    with pytest.raises(ImportFormatError, match="无法读取"):
        st.import_csv(tmp_path / "missing.csv")
    f = tmp_path / "latin.csv"
    f.write_bytes("代码,数量,成本价\n".encode() + b"\xff\xfe\xfa,1,1\n")
    with pytest.raises(ImportFormatError, match="解码"):
        st.import_csv(f, encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="empty"):
        st.import_csv(empty)
