"""Query service on the embedded sample: both read paths agree; 复权 from factors; SQL safety."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyterlab_quant.core.errors import BadQuery, NoData, UnknownSymbol
from jupyterlab_quant.data.query import QueryService


@pytest.fixture
def cold(sample_services) -> QueryService:
    return QueryService(sample_services.store, hot_cache=False)


def test_hot_and_duckdb_paths_return_identical_frames(sample_services, cold) -> None:
    hot = sample_services.query
    for sym, start, end in [("600519.SH", None, None), ("000792.SZ", "2020-01-01", "2021-12-31"),
                            ("000300.SH", "2015-06-01", "2015-09-30")]:
        pd.testing.assert_frame_equal(hot.bars(sym, start, end), cold.bars(sym, start, end))
    pd.testing.assert_frame_equal(hot.bars("000001.SH", freq="1m"), cold.bars("000001.SH", freq="1m"))
    pd.testing.assert_frame_equal(hot.cross_section("2020-03-02").reset_index(drop=True),
                                  cold.cross_section("2020-03-02").reset_index(drop=True))


def test_bars_range_is_inclusive_and_sorted(sample_services) -> None:
    df = sample_services.query.bars("600519.SH", "2019-01-02", "2019-01-31")
    assert df["date"].iloc[0] == pd.Timestamp("2019-01-02") and df["date"].iloc[-1] == pd.Timestamp("2019-01-31")
    assert df["date"].is_monotonic_increasing and len(df) == 22


def test_qfq_and_hfq_are_consistent_with_exchange_preclose(sample_services) -> None:
    q = sample_services.query
    raw = q.bars("600519.SH", "2020-01-02", "2025-04-07")
    qfq = q.bars("600519.SH", "2020-01-02", "2025-04-07", adjust="qfq")
    hfq = q.bars("600519.SH", "2020-01-02", "2025-04-07", adjust="hfq")
    # qfq: the latest bar is unchanged; earlier bars scaled down by the dividends since
    assert qfq["close"].iloc[-1] == pytest.approx(raw["close"].iloc[-1])
    assert (qfq["close"].iloc[:-300] < raw["close"].iloc[:-300]).all()
    # on every day, adjusted preclose equals the previous adjusted close (ex-dates included)
    for adj in (qfq, hfq):
        prev_close = adj["close"].shift(1).iloc[1:].to_numpy()
        assert np.allclose(adj["preclose"].iloc[1:].to_numpy(), prev_close, rtol=1e-9)
    # raw prices jump on ex-dates: raw preclose differs from the previous raw close there
    ex = raw[(raw["preclose"] - raw["close"].shift(1)).abs() > 1e-6]
    assert len(ex) >= 4
    assert ((hfq["close"] / raw["close"]).round(9).nunique()) == len(ex) + 1


def test_universe_returns_match_pandas_groupby(sample_services) -> None:
    q = sample_services.query
    ours = q.universe_returns(20)
    allbars = q.sql("SELECT symbol, date, close FROM bars_1d ORDER BY symbol, date")
    expected = allbars.groupby("symbol")["close"].pct_change(20).to_numpy()
    assert len(ours) == len(allbars)
    assert (ours["symbol"].astype(str).to_numpy() == allbars["symbol"].to_numpy()).all()
    np.testing.assert_allclose(ours["ret_20"].to_numpy(), expected, rtol=1e-12, equal_nan=True)


def test_cross_section_holds_every_symbol_trading_that_day(sample_services) -> None:
    q = sample_services.query
    cs = q.cross_section("2020-03-02")
    n = q.sql("SELECT count(*) n FROM bars_1d WHERE date = DATE '2020-03-02'")["n"].iloc[0]
    assert len(cs) == n >= 60 and cs["symbol"].is_unique
    with pytest.raises(NoData):
        q.cross_section("2020-03-01")  # a Sunday


def test_errors_name_the_symbol(sample_services) -> None:
    with pytest.raises(UnknownSymbol, match=r"688999\.SH"):
        sample_services.query.bars("688999")
    with pytest.raises(NoData, match="data covers"):
        sample_services.query.bars("600519.SH", "1999-01-01", "1999-12-31")


def test_sql_is_read_only_and_parameter_bound(sample_services) -> None:
    q = sample_services.query
    df = q.sql("SELECT count(*) AS n FROM bars_1d WHERE symbol = ? AND date BETWEEN ? AND ?",
               ["600519.SH", "2019-01-01", "2019-01-31"])
    assert int(df["n"].iloc[0]) == 22
    evil = "600519.SH' OR '1'='1"
    assert int(q.sql("SELECT count(*) AS n FROM bars_1d WHERE symbol = ?", [evil])["n"].iloc[0]) == 0
    for stmt in ("DROP VIEW bars_1d", "CREATE TABLE x AS SELECT 1", "SELECT 1; SELECT 2",
                 "COPY bars_1d TO '/tmp/x.csv'"):
        with pytest.raises(BadQuery):
            q.sql(stmt)
    with pytest.raises(BadQuery, match="bars_1d"):
        q.sql("SELECT * FROM no_such_view")
    named = q.sql("SELECT name FROM instruments WHERE symbol = $s", {"s": "600519.SH"})
    assert named["name"].tolist() == ["贵州茅台"]


def test_search_by_code_prefix_and_name(sample_services) -> None:
    q = sample_services.query
    assert [r["symbol"] for r in q.search("600519")] == ["600519.SH"]
    assert any(r["symbol"] == "000300.SH" for r in q.search("沪深300"))
    hits = q.search("", kind="futures", limit=100)
    assert hits and all(r["kind"] == "futures" for r in hits)


def test_five_minute_bars_resample_one_minute(sample_services) -> None:
    q = sample_services.query
    m1 = q.bars("000001.SH", "2020-07-01", "2020-07-01", freq="1m")
    m5 = q.bars("000001.SH", "2020-07-01", "2020-07-01", freq="5m")
    assert len(m1) == 240 and len(m5) == 48
    first = m1.iloc[:5]
    assert m5["ts"].iloc[0] == pd.Timestamp("2020-07-01 09:35")
    assert m5["high"].iloc[0] == first["high"].max() and m5["volume"].iloc[0] == first["volume"].sum()
    assert m5["open"].iloc[0] == first["open"].iloc[0] and m5["close"].iloc[0] == first["close"].iloc[-1]


def test_snapshot_follows_new_writes(sample_services, tmp_path) -> None:
    from jupyterlab_quant.data.ingest import load_sample
    from jupyterlab_quant.data.store import MarketStore

    store = MarketStore(tmp_path / "store")
    load_sample(store)
    q = QueryService(store)
    before = q.bars("600519.SH")
    row = before.iloc[[-1]].copy()
    row["date"] = row["date"] + pd.Timedelta(days=1)
    row["close"] = 1234.5
    store.write("bars_1d", row.assign(date=row["date"].dt.date))
    after = q.bars("600519.SH")
    assert len(after) == len(before) + 1 and after["close"].iloc[-1] == 1234.5
