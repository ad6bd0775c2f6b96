"""Store mechanics: upserts, idempotency, atomic commits, locking, crash leftovers, compaction."""

from __future__ import annotations

import datetime as dt
import os
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

from jupyterlab_quant.core.errors import ImportFormatError, StoreBusy
from jupyterlab_quant.data.schema import get
from jupyterlab_quant.data.store import MarketStore


def bars(symbol: str, dates: list[str], close: float = 10.0) -> pd.DataFrame:
    n = len(dates)
    return pd.DataFrame({
        "symbol": [symbol] * n, "date": [dt.date.fromisoformat(d) for d in dates],
        "open": [close] * n, "high": [close * 1.01] * n, "low": [close * 0.99] * n, "close": [close] * n,
        "preclose": [close] * n, "volume": [1000] * n, "amount": [close * 1000] * n,
        "trade_status": [1] * n, "is_st": [False] * n,
    })


def test_write_creates_hive_partitions_and_manifest(store: MarketStore) -> None:
    r = store.write("bars_1d", bars("600519.SH", ["2019-12-31", "2020-01-02"]))
    assert r.partitions_written == 2
    files = store.files("bars_1d")
    assert {f.parent.name for f in files} == {"year=2019", "year=2020"}
    assert all(f.name.startswith("part-") and len(f.stem) == len("part-") + 32 for f in files)
    assert store.read("bars_1d").num_rows == 2


def test_upsert_is_idempotent_and_new_rows_win(store: MarketStore) -> None:
    store.write("bars_1d", bars("600519.SH", ["2020-01-02", "2020-01-03"]))
    v1 = store.manifest("bars_1d").version
    files1 = store.files("bars_1d")
    again = store.write("bars_1d", bars("600519.SH", ["2020-01-02", "2020-01-03"]))
    assert not again.changed and again.partitions_unchanged == 1
    assert store.manifest("bars_1d").version == v1 and store.files("bars_1d") == files1
    store.write("bars_1d", bars("600519.SH", ["2020-01-03", "2020-01-06"], close=11.0))
    t = store.read("bars_1d").to_pandas().set_index("date")["close"]
    assert t.to_dict() == {dt.date(2020, 1, 2): 10.0, dt.date(2020, 1, 3): 11.0, dt.date(2020, 1, 6): 11.0}


def test_files_are_sorted_by_symbol_then_date(store: MarketStore) -> None:
    store.write("bars_1d", pd.concat([bars("600519.SH", ["2020-01-03"]), bars("000001.SZ", ["2020-01-02"]),
                                      bars("600519.SH", ["2020-01-02"])]))
    t = pq.read_table(store.files("bars_1d")[0]).to_pandas()
    assert list(zip(t["symbol"], t["date"].astype(str), strict=True)) == [
        ("000001.SZ", "2020-01-02"), ("600519.SH", "2020-01-02"), ("600519.SH", "2020-01-03")]


def test_bad_rows_rejected_before_anything_is_written(store: MarketStore) -> None:
    store.write("bars_1d", bars("600519.SH", ["2020-01-02"]))
    before = store.manifest("bars_1d").to_json()
    bad = bars("600519.SH", ["2020-01-03"])
    bad.loc[0, "close"] = None
    with pytest.raises(ImportFormatError, match="close"):
        store.write("bars_1d", bad)
    assert store.manifest("bars_1d").to_json() == before


def test_second_writer_waits_then_fails_with_store_busy(store: MarketStore) -> None:
    with store.write_lock():
        t0 = time.monotonic()
        with pytest.raises(StoreBusy) as e:
            store.write("bars_1d", bars("600519.SH", ["2020-01-02"]))
        assert time.monotonic() - t0 >= 0.9
    assert "另一个进程" in e.value.message
    assert store.write("bars_1d", bars("600519.SH", ["2020-01-02"])).changed


def test_crash_leftovers_are_ignored_and_collected(store: MarketStore) -> None:
    store.write("bars_1d", bars("600519.SH", ["2020-01-02"]))
    part = store.files("bars_1d")[0].parent
    # what a writer killed before its manifest commit leaves behind
    staged = part / ".part-deadbeef.parquet.tmp"
    staged.write_bytes(b"half a parquet file")
    orphan = part / "part-0123456789abcdef0123456789abcdef.parquet"
    pq.write_table(pq.read_table(store.files("bars_1d")[0]), orphan)
    assert store.read("bars_1d").num_rows == 1  # readers never see unlisted files
    old = time.time() - 3600
    for p in (staged, orphan):
        os.utime(p, (old, old))
    assert store.gc() == 2
    assert not staged.exists() and not orphan.exists()
    assert store.read("bars_1d").num_rows == 1


def test_compaction_merges_files_without_changing_content(store: MarketStore) -> None:
    store.write("bars_1d", bars("600519.SH", ["2020-01-02"]))
    m = store.manifest("bars_1d")
    # simulate an appended second file in the same partition
    ds = get("bars_1d")
    extra = store._stage(ds, "year=2020", ds.schema.empty_table())
    m.partitions["year=2020"]["files"].append(extra)
    store._commit("bars_1d", m)
    assert len(store.files("bars_1d")) == 2
    assert store.compact("bars_1d") == {"bars_1d": 1}
    assert len(store.files("bars_1d")) == 1 and store.read("bars_1d").num_rows == 1


def test_replace_symbols_drops_rows_not_in_new_data(store: MarketStore) -> None:
    store.write("bars_1d", bars("600519.SH", ["2019-12-31", "2020-01-02"]))
    store.write("bars_1d", bars("600519.SH", ["2020-01-02"], close=12.0), replace_symbols=True)
    t = store.read("bars_1d").to_pandas()
    assert t["date"].astype(str).tolist() == ["2020-01-02"] and t["close"].tolist() == [12.0]
    assert [f.parent.name for f in store.files("bars_1d")] == ["year=2020"]


def test_info_reports_rows_and_bytes(store: MarketStore) -> None:
    store.write("bars_1d", bars("600519.SH", ["2020-01-02", "2020-01-03"]))
    info = {r["dataset"]: r for r in store.info()}
    assert info["bars_1d"]["rows"] == 2 and info["bars_1d"]["bytes"] > 0
    assert info["bars_1m"]["rows"] == 0


def test_new_symbols_are_appended_as_files_and_merged_when_they_overlap(store: MarketStore) -> None:
    store.write("bars_1d", bars("600519.SH", ["2020-01-02", "2020-01-03"]))
    store.write("bars_1d", bars("000001.SZ", ["2020-01-02"]))  # a backfill batch of new symbols
    assert len(store.files("bars_1d")) == 2 and store.manifest("bars_1d").rows == 3
    v = store.manifest("bars_1d").version
    assert not store.write("bars_1d", bars("000001.SZ", ["2020-01-02"])).changed  # idempotent across files
    assert store.manifest("bars_1d").version == v
    store.write("bars_1d", bars("000001.SZ", ["2020-01-03"], close=9.0))  # overlaps: merge into one file
    assert len(store.files("bars_1d")) == 1
    t = store.read("bars_1d").to_pandas()
    row = t[(t.symbol == "000001.SZ") & (t.date.astype(str) == "2020-01-03")]
    assert len(t) == 4 and row["close"].tolist() == [9.0]
