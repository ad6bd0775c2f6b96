"""Tencent fail-over, fund NAV, stock list/valuation from the snapshot, fundamentals, trade calendar —
each through akshare's real parsing code against the local replay server (tests/replay)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from jupyterlab_quant.core.errors import UnknownSymbol
from tests.replay.server import Fault
from tests.unit.data.test_update import _sample, jlq_inproc, sources_table


# ---- 1. Tencent: the third fail-over source ---------------------------------------------------------
def test_eastmoney_and_sina_banned_tencent_serves(replay, make_updater, home: Path) -> None:
    replay.faults += [Fault("reset", host="eastmoney.com"), Fault("reset", host="sina.com.cn")]
    upd = make_updater(threshold=2)
    rep = upd.update_daily(["600519.SH", "000001.SZ"], start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 28))
    assert not rep.failures and rep.source_calls == {"tencent": 2}
    assert {f[1] for f in rep.failovers} == {"eastmoney", "sina"}
    tx = [h for h in replay.hits if "newfqkline" in h.path]
    assert [h.params["param"] for h in tx] == [
        "sh600519,day,2024-01-01,2025-12-31,640,", "sh600519,day,2024-01-01,2025-12-31,640,hfq",
        "sz000001,day,2024-01-01,2025-12-31,640,", "sz000001,day,2024-01-01,2025-12-31,640,hfq"]
    assert replay.count(host="gtimg.cn", path="weekTrends") == 4
    bars = upd.store.read("bars_1d").to_pandas()
    for sym in ("600519.SH", "000001.SZ"):
        got = bars[bars.symbol == sym].reset_index(drop=True)
        want = _sample(sym, "2024-01-01", "2024-06-28")
        assert len(got) == len(want) > 100
        assert (got["close"].to_numpy() == want["close"].to_numpy()).all()
        # Tencent reports lots; akshare converts them for 600519 but not for sz000… codes: both end in shares
        assert (abs(got["volume"].to_numpy() - want["volume"].to_numpy()) <= 50).all(), sym
        assert (got["preclose"].iloc[1:].round(2).to_numpy() == want["preclose"].iloc[1:].round(2).to_numpy()).all()
        assert abs(got["amount"] / want["amount"] - 1).max() < 1e-6
    f = upd.store.read("adj_factors").to_pandas()
    assert [str(d) for d in f[f.symbol == "600519.SH"].sort_values("date")["date"]] == ["2024-01-02", "2024-06-19"]
    health = {r["source"]: r for r in sources_table(home)}
    assert health["tencent"]["state"] == "closed" and health["tencent"]["successes"] == 4
    assert health["eastmoney"]["state"] == "open" and health["sina"]["state"] == "open"


def test_source_tencent_only(replay, home: Path, capsys, monkeypatch) -> None:
    import jupyterlab_quant.data.update as upd

    monkeypatch.setattr(upd, "_today_shanghai", lambda: dt.datetime(2024, 7, 1, 9, 0))
    rc = jlq_inproc(home, "data", "update", "--symbols", "300750.SZ", "--start", "2024-06-01", "--end",
                    "2024-06-28", "--source", "tencent", "--quiet")
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "tencent 1" in out and replay.count(host="eastmoney.com") == 0 and replay.count(host="sina") == 0


def test_tencent_volume_units_star_board_in_shares(replay, tmp_path: Path) -> None:
    """STAR (sh688) volume arrives in shares, sz000001 in lots after akshare: both reconciled to shares."""
    from jupyterlab_quant.data.fetch import Fetcher, StateDB
    from jupyterlab_quant.data.sources.akshare_tx import TencentSource
    from tests.replay.server import ReplayData

    star = next(s for s in ReplayData().stock["symbol"].unique() if s.startswith("688"))
    src = TencentSource(Fetcher(StateDB(tmp_path / "sources.db")))
    got = src.daily(star, "stock", dt.date(2024, 6, 3), dt.date(2024, 6, 28)).bars
    want = _sample(star, "2024-06-03", "2024-06-28")
    assert (got["volume"].to_numpy() == want["volume"].to_numpy()).all()


# ---- 2. fund NAV -------------------------------------------------------------------------------------
def test_fund_nav_update_through_pingzhongdata_js(replay, home: Path, capsys, monkeypatch) -> None:
    import jupyterlab_quant.data.update as upd
    from jupyterlab_quant.data.store import MarketStore
    from tests.replay.server import ReplayData

    monkeypatch.setattr(upd, "_today_shanghai", lambda: dt.datetime(2024, 7, 1, 9, 0))
    args = ("data", "update", "--kind", "fund", "--symbols", "510300,159915.OF", "--start", "2024-01-01",
            "--end", "2024-06-30", "--quiet")
    rc = jlq_inproc(home, *args)
    out = capsys.readouterr().out
    assert rc == 0, out
    js = [h.path for h in replay.hits if "pingzhongdata" in h.path]
    assert js == ["/pingzhongdata/510300.js"] * 2 + ["/pingzhongdata/159915.js"] * 2   # 单位 + 累计 per fund
    nav = MarketStore(home / "store").read("fund_nav").to_pandas()
    etf = ReplayData().etf
    for sym, etf_sym in (("510300.OF", "510300.SH"), ("159915.OF", "159915.SZ")):
        got = nav[nav.symbol == sym].sort_values("date").reset_index(drop=True)
        want = etf[(etf.symbol == etf_sym) & (etf.date >= dt.date(2024, 1, 1)) & (etf.date <= dt.date(2024, 6, 28))]
        assert len(got) == len(want) > 100
        assert (got["nav"].to_numpy() == want["close"].round(4).to_numpy()).all()
        assert (got["acc_nav"] - got["nav"]).round(4).eq(0.1).all()
        assert got["daily_return_pct"].notna().all()
    replay.hits.clear()
    assert jlq_inproc(home, *args) == 0 and replay.count(path="pingzhongdata") == 0
    assert "已是最新 2" in capsys.readouterr().out


def test_unknown_fund_is_a_clear_error(replay, home: Path, capsys, monkeypatch) -> None:
    import jupyterlab_quant.data.update as upd

    monkeypatch.setattr(upd, "_today_shanghai", lambda: dt.datetime(2024, 7, 1, 9, 0))
    rc = jlq_inproc(home, "data", "update", "--kind", "fund", "--symbols", "999999", "--quiet")
    out = capsys.readouterr().out
    assert rc == 3 and "999999.OF" in out and "HTTP 404" in out
    assert replay.count(path="pingzhongdata") == 1      # a 404 is not retried
    rc = jlq_inproc(home, "data", "update", "--kind", "fund", "--symbols", "16172", "--quiet")
    assert rc == 2 and "CODE.OF" in capsys.readouterr().err


# ---- 3./4a. stock list and daily PE/PB from the snapshot ------------------------------------------------
def test_symbols_refresh_names_boards_valuation(replay, home: Path, capsys, monkeypatch) -> None:
    import json

    import pandas as pd

    import jupyterlab_quant.data.update as upd
    from jupyterlab_quant.data.store import MarketStore
    from tests.replay.server import ReplayData

    monkeypatch.setattr(upd, "_today_shanghai", lambda: dt.datetime(2024, 6, 28, 16, 0))
    store = MarketStore(home / "store")
    data = ReplayData()
    inst = data.instruments
    store.write("instruments", inst[inst.symbol.isin(["600519.SH", "000002.SZ"])], origin="test")
    replay.spot_names = {"600519.SH": "-", "000002.SZ": "ST万科"}   # a missing name and a rename
    rc = jlq_inproc(home, "data", "symbols", "--refresh", "--kind", "stock", "--format", "json")
    io = capsys.readouterr()
    assert rc == 0, io.err
    assert "代码表 instruments" in io.err and replay.history_requests() == 0
    assert replay.count(path="clist") == 1 and all(h.params["pz"] == "100" for h in replay.hits)
    listed = {r["symbol"]: r for r in json.loads(io.out)}
    got = store.read("instruments").to_pandas().set_index("symbol")
    traded = {s for s in data.stock[data.stock.date == dt.date(2024, 6, 28)].symbol}
    assert traded <= set(got.index) and traded <= set(listed)
    # a known name is never replaced by a missing one; list_date (not in the snapshot) is kept
    assert got.loc["600519.SH", "name"] == "贵州茅台" and str(got.loc["600519.SH", "list_date"]) == "2001-08-27"
    assert got.loc["000002.SZ", "name"] == "ST万科" and bool(got.loc["000002.SZ", "is_st"])
    assert got.loc["000002.SZ", "list_date"] is not None and not pd.isna(got.loc["000002.SZ", "list_date"])
    assert got.loc["300750.SZ", "board"] == "chinext" and got.loc["300750.SZ", "name"] == listed["300750.SZ"]["name"]
    star = [s for s in traded if s.startswith("688")]
    assert star and all(got.loc[s, "board"] == "star" for s in star)
    val = store.read("valuation_1d").to_pandas().set_index("symbol")
    want = data.valuation[data.valuation.date == dt.date(2024, 6, 28)].set_index("symbol")
    assert len(val) == len(want) > 10
    assert (val["pe_dynamic"] == want["pe_ttm"].round(2).reindex(val.index)).all()
    assert (val["pb_mrq"] == want["pb_mrq"].round(2).reindex(val.index)).all()
    assert val["pe_ttm"].isna().all()       # 市盈率-动态 is not stored as TTM


def test_snapshot_update_also_refreshes_list_and_valuation(replay, make_updater) -> None:
    upd = make_updater()
    rep = upd.update_snapshot()
    assert "估值 valuation_1d 2024-06-28" in rep.summary()
    assert upd.store.read("valuation_1d").num_rows > 10
    assert upd.store.read("instruments").num_rows >= upd.store.read("valuation_1d").num_rows


# ---- 4b. fundamentals (Sina 关键指标, long format, point-in-time asof) ---------------------------------
def test_fundamentals_long_format_and_asof_kept(replay, home: Path, capsys, monkeypatch) -> None:
    import jupyterlab_quant.data.update as upd
    from jupyterlab_quant.data.store import MarketStore

    monkeypatch.setattr(upd, "_today_shanghai", lambda: dt.datetime(2025, 4, 8, 16, 0))
    args = ("data", "update", "--kind", "fundamentals", "--symbols", "600519.SH,000001.SZ", "--quiet")
    assert jlq_inproc(home, *args) == 0, capsys.readouterr()
    fin = [h for h in replay.hits if "getFinanceReport2022" in h.path]
    assert [h.params["paperCode"] for h in fin] == ["sh600519", "sh000001"]   # akshare: 'sh' even for SZ
    f = MarketStore(home / "store").read("fundamentals").to_pandas()
    assert set(f["symbol"]) == {"600519.SH", "000001.SZ"}
    m = f[(f.symbol == "600519.SH") & (f.report_date == dt.date(2024, 12, 31))].set_index("indicator")
    assert {"基本每股收益", "每股净资产", "净资产收益率(ROE)", "营业总收入增长率"} <= set(m.index)
    assert m.loc["净资产收益率(ROE)", "category"] == "盈利能力"
    assert m.loc["净资产收益率(ROE)", "value"] == pytest.approx(
        m.loc["基本每股收益", "value"] / m.loc["每股净资产", "value"] * 100, rel=1e-3)
    assert f["value"].notna().all() and (f["asof"] == dt.date(2025, 4, 8)).all()
    assert (f["source"] == "sina:stock_financial_abstract").all()
    # same day: up to date, no request; a later day: refetched, but stored rows keep their asof
    replay.hits.clear()
    assert jlq_inproc(home, *args) == 0 and replay.count(path="getFinanceReport2022") == 0
    monkeypatch.setattr(upd, "_today_shanghai", lambda: dt.datetime(2025, 4, 9, 16, 0))
    assert jlq_inproc(home, *args) == 0 and replay.count(path="getFinanceReport2022") == 2
    again = MarketStore(home / "store").read("fundamentals").to_pandas()
    assert len(again) == len(f) and (again["asof"] == dt.date(2025, 4, 8)).all()


def test_fundamentals_unknown_symbol(replay, make_updater) -> None:
    rep = make_updater(now=dt.datetime(2025, 4, 8, 16, 0)).update_fundamentals(["600000.SH"])
    err = rep.failures["600000.SH"]
    assert isinstance(err, UnknownSymbol) and "600000.SH" in err.message and "sina" in err.message


# ---- 5. trade calendar refresh ---------------------------------------------------------------------
def test_calendar_refresh_extends_planner(replay, make_updater, home: Path, capsys) -> None:
    import json

    from jupyterlab_quant.core.calendar import default_calendar
    from jupyterlab_quant.core.errors import InvalidInput

    new_year = [dt.date(2027, 1, d) for d in (4, 5, 6, 7, 8, 11, 12)]
    replay.extra_trade_dates = new_year
    upd = make_updater(now=dt.datetime(2027, 1, 12, 16, 0))
    with pytest.raises(InvalidInput, match="calendar --refresh"):
        upd.plan(["600519.SH"], {"600519.SH": "stock"}, dt.date(2027, 1, 4), dt.date(2027, 1, 8))
    assert jlq_inproc(home, "data", "calendar", "--refresh") == 0
    out = capsys.readouterr().out
    assert "新增 7 天" in out and "2027-01-12" in out
    assert [h.path for h in replay.hits] == ["/realstock/company/klc_td_sh.txt"]
    stored = json.loads((home / "state" / "calendar.json").read_text())
    assert stored[0] == "19901219" and stored[-1] == "20270112" and "19920504" in stored   # akshare re-adds it
    assert len(stored) == len(default_calendar().days) + 7
    plan = upd.plan(["600519.SH"], {"600519.SH": "stock"}, dt.date(2027, 1, 4), dt.date(2027, 1, 8))
    assert plan[0].ranges == [(dt.date(2027, 1, 4), dt.date(2027, 1, 8))]
    assert upd.calendar().next(dt.date(2027, 1, 8)) == dt.date(2027, 1, 11)
    assert default_calendar().last == dt.date(2026, 12, 31)        # core stays the bundled list


def test_calendar_refresh_refuses_a_disagreeing_list(replay, make_updater, home: Path) -> None:
    from jupyterlab_quant.core.errors import SourceFormatError

    replay.extra_trade_dates = [dt.date(2024, 2, 12), dt.date(2024, 2, 13), dt.date(2024, 2, 14),
                                dt.date(2024, 10, 1), dt.date(2024, 10, 2)]   # 春节/国庆 holidays as trading days
    upd = make_updater()
    with pytest.raises(SourceFormatError, match="disagrees with the bundled calendar"):
        upd.refresh_calendar()
    assert not (home / "state" / "calendar.json").exists()
