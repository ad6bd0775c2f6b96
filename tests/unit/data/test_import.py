"""Importing real CSV files: formats, units, idempotency, bad input, and a SIGKILL mid-import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from jupyterlab_quant.core.errors import ImportFormatError
from jupyterlab_quant.data.ingest import import_files
from jupyterlab_quant.data.store import MarketStore

FIX = Path(__file__).resolve().parents[2] / "fixtures"


def read_raw(name: str, **kw) -> pd.DataFrame:
    return pd.read_csv(FIX / name, encoding="utf-8-sig", dtype={"股票代码": str}, **kw)


def test_akshare_csv_units_and_preclose(store: MarketStore) -> None:
    raw = read_raw("akshare_600519_2023.csv")
    import_files(store, [FIX / "akshare_600519_2023.csv"])
    t = store.read("bars_1d").to_pandas()
    sym = t["symbol"].unique().tolist()
    assert len(sym) == 1 and sym[0].endswith((".SH", ".SZ"))
    assert len(t) == len(raw)
    # 成交量 is in 手 (lots of 100 shares); the store keeps shares
    assert (t["volume"].to_numpy() == (raw["成交量"].to_numpy() * 100)).all()
    # preclose = 收盘 − 涨跌额
    assert t["preclose"].to_numpy() == pytest.approx((raw["收盘"] - raw["涨跌额"]).to_numpy())
    assert t["open"].tolist() == raw["开盘"].tolist() and t["close"].tolist() == raw["收盘"].tolist()
    inst = store.read("instruments").to_pandas()
    assert inst["symbol"].tolist() == sym and inst["kind"].tolist() == ["stock"]


def test_gbk_file_imports_like_utf8(tmp_path: Path) -> None:
    a, b = MarketStore(tmp_path / "a"), MarketStore(tmp_path / "b")
    import_files(a, [FIX / "akshare_600519_2023.csv"])
    import_files(b, [FIX / "akshare_600519_gbk.csv"], symbol=a.read("bars_1d")["symbol"][0].as_py())
    assert a.read("bars_1d").equals(b.read("bars_1d"))


def test_baostock_csv_shares_and_suspensions(store: MarketStore) -> None:
    raw = read_raw("baostock_sh.600036.csv")
    import_files(store, [FIX / "baostock_sh.600036.csv"])
    t = store.read("bars_1d").to_pandas()
    assert t["symbol"].unique().tolist() == ["600036.SH"] and len(t) == len(raw)
    assert t["volume"].tolist() == raw["volume"].tolist()
    assert (t["trade_status"] == 0).sum() == (raw["volume"] == 0).sum()


def test_generic_csv(store: MarketStore) -> None:
    raw = read_raw("generic_000001.SZ.csv")
    import_files(store, [FIX / "generic_000001.SZ.csv"])
    t = store.read("bars_1d").to_pandas()
    assert t["symbol"].unique().tolist() == ["000001.SZ"] and len(t) == len(raw)
    assert t["close"].tolist() == raw["Close"].tolist()


def test_reimporting_the_same_file_changes_nothing(store: MarketStore) -> None:
    import_files(store, [FIX / "baostock_sh.600036.csv"])
    m = store.manifest("bars_1d").to_json()
    report = import_files(store, [FIX / "baostock_sh.600036.csv"])
    assert not report.changed and store.manifest("bars_1d").to_json() == m


@pytest.mark.parametrize(
    ("name", "field", "words"),
    [
        ("bad_missing_column.csv", "收盘", "缺少列"),
        ("bad_high_lt_low.csv", "high", "high < low"),
        ("bad_negative_price.csv", "open", "price must be > 0"),
        ("bad_duplicate_dates.csv", "date", "duplicated date"),
        ("bad_date.csv", "date", "malformed date"),
    ],
)
def test_bad_files_name_file_row_field_and_leave_store_unchanged(store: MarketStore, name, field, words) -> None:
    import_files(store, [FIX / "baostock_sh.600036.csv"])
    before = (store.manifest("bars_1d").to_json(), store.manifest("instruments").to_json())
    with pytest.raises(ImportFormatError) as e:
        import_files(store, [FIX / "baostock_sh.600036.csv", FIX / name])
    err = e.value
    assert name in err.message and words in err.message and err.hint
    assert err.field == field
    if field != "收盘":
        assert err.row is not None and f"第 {err.row} 行" in err.message
        lines = (FIX / name).read_text(encoding="utf-8-sig").splitlines()
        assert len(lines) >= err.row  # the row named is a real line of the file
    assert (store.manifest("bars_1d").to_json(), store.manifest("instruments").to_json()) == before


def test_undecodable_file_asks_for_encoding(store: MarketStore, tmp_path: Path) -> None:
    bad = tmp_path / "600519.csv"
    bad.write_bytes("日期,开盘\n".encode("utf-16"))
    with pytest.raises(ImportFormatError, match=r"--encoding|编码") as e:
        import_files(store, [bad])
    assert str(bad) in e.value.message


def _import_cmd(home: Path, folder: Path) -> list[str]:
    return [sys.executable, "-m", "jupyterlab_quant", "--home", str(home), "data", "import", str(folder), "--quiet"]


def test_sigkill_midway_leaves_store_readable_and_rerun_completes(tmp_path: Path, sample_home: Path) -> None:
    # 60 real stock files written in batches of 20: kill after the first batch has committed
    src = tmp_path / "csv"
    src.mkdir()
    full = MarketStore(sample_home / "store").read("bars_1d").to_pandas()
    symbols = sorted(full["symbol"].unique())[:60]
    for sym in symbols:
        part = full[full["symbol"] == sym]
        part[["date", "open", "high", "low", "close", "volume", "amount", "preclose"]].assign(symbol=sym).to_csv(
            src / f"{sym}.csv", index=False)
    home = tmp_path / "home"
    store = MarketStore(home / "store")
    proc = subprocess.Popen(_import_cmd(home, src), start_new_session=True)
    deadline = time.monotonic() + 120
    while store.manifest("bars_1d").version < 1 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    killed = proc.poll() is None
    if killed:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = store.read("bars_1d")  # readable whatever the moment of the kill
    assert partial.num_rows <= sum((full["symbol"] == s).sum() for s in symbols)
    assert subprocess.run(_import_cmd(home, src), capture_output=True).returncode == 0
    done = store.read("bars_1d").to_pandas().sort_values(["symbol", "date"]).reset_index(drop=True)
    assert sorted(done["symbol"].unique()) == symbols
    expected = full[full["symbol"].isin(symbols)].sort_values(["symbol", "date"]).reset_index(drop=True)
    assert len(done) == len(expected)
    assert (done["close"].to_numpy() == expected["close"].to_numpy()).all()
    assert killed, "the import finished before it could be killed; the test did not exercise a crash"
