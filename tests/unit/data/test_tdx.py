"""通达信 vipdoc import: real-layout binary files written from the real sample bars.

The repo holds no real .day/.lc files, so the fixture packs the embedded sample's bars exactly as
../shared/reference/broker-records.md §3–4 lays them out (``<IIIIIfII`` / ``<HHfffffII``) into a
temporary ``vipdoc`` tree, then imports it through the real pipeline and CLI.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyterlab_quant.cli import main
from jupyterlab_quant.core.errors import ImportFormatError
from jupyterlab_quant.data.ingest import import_tdx, sample_dir
from jupyterlab_quant.data.query import resample_minutes
from jupyterlab_quant.data.store import MarketStore

DAY = struct.Struct("<IIIIIfII")
LC = struct.Struct("<HHfffffII")
STOCKS = {"600519.SH": "sh", "000001.SZ": "sz", "300750.SZ": "sz", "688981.SH": "sh"}


def _sample(name: str) -> pd.DataFrame:
    return pd.read_parquet(sample_dir() / name)


def write_day(path: Path, bars: pd.DataFrame, price_factor: int, volume_div: int) -> None:
    """One 32-byte record per bar: date YYYYMMDD, OHLC × factor as uint32, amount float32, volume uint32."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        for r in bars.itertuples():
            d = r.date
            vol = round(r.volume / volume_div)
            assert vol < 2**32, "the layout cannot hold this volume; choose another sample symbol"
            amount = 0.0 if pd.isna(r.amount) else float(r.amount)
            fh.write(DAY.pack(d.year * 10000 + d.month * 100 + d.day,
                              *(round(getattr(r, c) * price_factor) for c in ("open", "high", "low", "close")),
                              amount, vol, 0))


def write_lc(path: Path, bars: pd.DataFrame, volume_div: int) -> None:
    """lc1/lc5 records: packed date, minutes since midnight (bar end), OHLC/amount float32, volume uint32."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        for r in bars.itertuples():
            ts = pd.Timestamp(r.ts)
            packed = (ts.year - 2004) * 2048 + ts.month * 100 + ts.day
            amount = 0.0 if pd.isna(r.amount) else float(r.amount)
            fh.write(LC.pack(packed, ts.hour * 60 + ts.minute, r.open, r.high, r.low, r.close, amount,
                             round(r.volume / volume_div), 0))


@pytest.fixture(scope="module")
def vipdoc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tdx") / "new_tdx" / "vipdoc"
    stock = _sample("stock_1d.parquet")
    for sym, mkt in STOCKS.items():
        # 通达信 has no rows for suspended days
        bars = stock[(stock["symbol"] == sym) & (stock["trade_status"] == 1)]
        write_day(root / mkt / "lday" / f"{mkt}{sym[:6]}.day", bars, 100, 1)
    index = _sample("index_1d.parquet")
    write_day(root / "sh" / "lday" / "sh000001.day", index[index["symbol"] == "000001.SH"], 100, 100)
    etf = _sample("etf_1d.parquet")
    write_day(root / "sh" / "lday" / "sh510300.day", etf[etf["symbol"] == "510300.SH"], 1000, 100)
    minute = _sample("minute_1m.parquet").astype({"ts": "datetime64[s]"})
    # index minute volumes in lots too: the SSE Composite's 5-minute volume in shares overflows uint32
    write_lc(root / "sh" / "minline" / "sh000001.lc1", minute, 100)
    write_lc(root / "sh" / "fzline" / "sh000001.lc5", resample_minutes(minute, 5), 100)
    # a convertible bond: not stored, listed as skipped
    write_day(root / "sh" / "lday" / "sh113050.day", stock[stock["symbol"] == "600519.SH"].head(3), 1000, 1)
    return root


def test_round_trip_of_every_layout(vipdoc: Path, store: MarketStore) -> None:
    report = import_tdx(store, vipdoc.parent)  # the install folder holding vipdoc works too
    assert report.files == 8 and len(report.skipped) == 1 and "113050" in report.skipped[0]
    assert not report.warnings
    got = store.read("bars_1d").to_pandas()
    stock = _sample("stock_1d.parquet")
    for sym in STOCKS:
        exp = stock[(stock["symbol"] == sym) & (stock["trade_status"] == 1)].reset_index(drop=True)
        g = got[got["symbol"] == sym].reset_index(drop=True)
        assert len(g) == len(exp) > 500
        assert (g["date"] == exp["date"]).all()
        for c in ("open", "high", "low", "close"):
            assert g[c].to_numpy() == pytest.approx(exp[c].to_numpy(), abs=1e-9)
        assert (g["volume"] == exp["volume"]).all()  # stock files hold shares
        ok = exp["amount"].notna()
        assert g.loc[ok, "amount"].to_numpy() == pytest.approx(exp.loc[ok, "amount"].to_numpy(), rel=1e-7)
        assert g.loc[~ok, "amount"].isna().all() and g["preclose"].isna().all()
        assert (g["trade_status"] == 1).all()
    idx = store.read("index_1d").to_pandas()
    exp = _sample("index_1d.parquet").query("symbol == '000001.SH'").reset_index(drop=True)
    assert idx["symbol"].unique().tolist() == ["000001.SH"] and len(idx) == len(exp)
    # index files hold lots (no turnover in the sample to measure it → the prefix default); stored as shares
    assert (idx["volume"].to_numpy() == np.round(exp["volume"].to_numpy() / 100) * 100).all()
    assert idx["close"].to_numpy() == pytest.approx(exp["close"].to_numpy(), abs=0.006)
    etf = store.read("etf_1d").to_pandas()
    exp = _sample("etf_1d.parquet").query("symbol == '510300.SH'").reset_index(drop=True)
    assert etf["close"].to_numpy() == pytest.approx(exp["close"].to_numpy(), abs=1e-9)  # × 0.001
    assert (etf["volume"].to_numpy() == np.round(exp["volume"].to_numpy() / 100) * 100).all()  # measured: lots
    m1 = store.read("bars_1m").to_pandas()
    exp = _sample("minute_1m.parquet")
    assert len(m1) == len(exp) and (m1["ts"].to_numpy() == exp["ts"].to_numpy()).all()
    assert m1["close"].to_numpy() == pytest.approx(exp["close"].to_numpy(), abs=1e-9)
    assert (m1["volume"].to_numpy() == np.round(exp["volume"].to_numpy() / 100) * 100).all()
    m5 = store.read("bars_5m").to_pandas()
    assert len(m5) == len(resample_minutes(exp.astype({"ts": "datetime64[s]"}), 5))
    inst = store.read("instruments").to_pandas().set_index("symbol")
    assert inst.loc["300750.SZ", "board"] == "chinext" and inst.loc["000001.SH", "kind"] == "index"
    assert inst.loc["510300.SH", "kind"] == "etf" and "113050.SH" not in inst.index


def test_reimport_changes_nothing(vipdoc: Path, store: MarketStore) -> None:
    import_tdx(store, vipdoc)
    before = {d: store.manifest(d).to_json() for d in ("bars_1d", "index_1d", "etf_1d", "bars_1m", "bars_5m")}
    again = import_tdx(store, vipdoc)
    assert not again.changed
    assert {d: store.manifest(d).to_json() for d in before} == before


def test_truncated_file_imports_complete_records_and_says_where(vipdoc: Path, tmp_path: Path,
                                                               store: MarketStore) -> None:
    src = vipdoc / "sh" / "lday" / "sh600519.day"
    bad = tmp_path / "vipdoc" / "sh" / "lday" / "sh600519.day"
    bad.parent.mkdir(parents=True)
    data = src.read_bytes()
    bad.write_bytes(data[:-20])  # the last record lost 20 of its 32 bytes
    n = len(data) // 32 - 1
    report = import_tdx(store, tmp_path / "vipdoc")
    assert store.read("bars_1d").num_rows == n
    [warning] = report.warnings
    assert str(bad) in warning and f"byte offset {n * 32}" in warning and "12 dangling bytes" in warning
    assert "通达信" in warning
    with pytest.raises(ImportFormatError) as e:
        import_tdx(MarketStore(tmp_path / "strict"), tmp_path / "vipdoc", strict=True)
    assert f"byte offset {n * 32}" in e.value.message and e.value.hint


def test_unknown_layout_and_bad_records_name_file_record_offset(vipdoc: Path, tmp_path: Path,
                                                                store: MarketStore) -> None:
    import_tdx(store, vipdoc, symbols=["600519.SH"])
    before = store.manifest("bars_1d").to_json()
    folder = tmp_path / "vipdoc" / "sz" / "lday"
    folder.mkdir(parents=True)
    # an .lc1 file renamed to .day: its first uint32 is a packed date + minute, not YYYYMMDD
    (folder / "sz000001.day").write_bytes((vipdoc / "sh" / "minline" / "sh000001.lc1").read_bytes()[:320])
    with pytest.raises(ImportFormatError) as e:
        import_tdx(store, tmp_path / "vipdoc")
    assert "sz000001.day" in e.value.message and "unknown layout" in e.value.message
    assert "byte offset 0" in e.value.message and e.value.row == 1
    # a record with high < low fails the shared validation, naming record and byte offset
    rec = list(DAY.unpack((vipdoc / "sh" / "lday" / "sh600519.day").read_bytes()[32 * 4:32 * 5]))
    rec[2], rec[3] = rec[3] - 1, rec[3]
    good = (vipdoc / "sh" / "lday" / "sh600519.day").read_bytes()
    (folder / "sz000001.day").write_bytes(good[:32 * 4] + DAY.pack(*rec) + good[32 * 5:32 * 9])
    with pytest.raises(ImportFormatError) as e:
        import_tdx(store, tmp_path / "vipdoc")
    assert "record 5, byte offset 128" in e.value.message and "high < low" in e.value.message
    assert store.manifest("bars_1d").to_json() == before  # nothing written by the failed imports
    (folder / "sz000001.day").write_bytes(b"\x00" * 31)
    with pytest.raises(ImportFormatError, match="no complete record"):
        import_tdx(store, tmp_path / "vipdoc")


def test_cli_symbols_filter_and_freq(vipdoc: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    rc = main(["--home", str(home), "data", "import-tdx", str(vipdoc), "--symbols", "600519.SH,000001.SH",
               "--symbols", "601398.SH", "--freq", "1d", "--quiet"])
    out = capsys.readouterr()
    assert rc == 0 and "imported 2 files" in out.out
    assert "601398.SH" in out.err  # asked for, no file: said so
    store = MarketStore(home / "store")
    assert store.read("bars_1d").to_pandas()["symbol"].unique().tolist() == ["600519.SH"]
    assert store.read("index_1d").to_pandas()["symbol"].unique().tolist() == ["000001.SH"]
    assert store.manifest("bars_1m").rows == 0
    rc = main(["--home", str(home), "data", "import-tdx", str(vipdoc), "--symbols", "601398.SH", "--quiet"])
    assert rc == 2 and "no matching TDX" in capsys.readouterr().err
