"""Scale data for the store benchmark: synthetic A-share daily bars resampled from the real sample.

Nothing here is real market data at scale: the symbols (``600000.SH``…, ``000001.SZ``…, ``300001.SZ``…,
``688001.SH``…) are synthetic codes. What *is* real is every day's movement: each synthetic symbol
is a block bootstrap of one real stock of ``data/sample/stock_1d.parquet`` —

* pick a real source stock, then for every block of ``block`` (20) trading days a random offset into
  that stock's history, and take its real daily log-returns (close over the exchange's reference
  price 前收盘, or over the previous close when the sample has no ``preclose``) together with that
  day's intraday shape (open/high/low relative to close, volume relative to the stock's rolling median);
* rescale: subtract the sampled path's own drift and add a random annual drift in [-5 %, +12 %],
  start at a random price (log-normal around 12 CNY, floored so the path never drops under 2 CNY),
  clip each day to the board's price-limit band (涨跌停: ±10 % main board, ±20 % ChiNext from
  2020-08-24 and STAR, ±5 % while ST), and round prices to the 0.01 CNY tick;
* lay it on the real trading dates of the sample (dates of ``stock_1d.parquet`` and, if present,
  ``index_1d.parquet`` in the same folder) from 2015-01-05 on. Stretches the sample does not cover
  are filled with Monday–Friday dates, and the builder says so;
* add realism the per-pattern costs depend on: STAR symbols list from 2019-07-22 on, 3 % of the other
  symbols list during the period, 8 % have 1–3 suspension (停牌) spells (``trade_status`` 0, OHLC =
  previous close, volume 0), 2 % of main-board symbols have an ST spell.

The generator is deterministic for a given (source file, symbols, years, seed); everything derived
from it is cached under ``benchmarks/.scale/`` (git-ignored) and rebuilt only when missing, when the
inputs change, or with ``--rebuild``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from jupyterlab_quant.data.query import QueryService
from jupyterlab_quant.data.schema import BARS_1D, INSTRUMENTS
from jupyterlab_quant.data.store import MarketStore

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_SOURCE = REPO / "data" / "sample" / "stock_1d.parquet"
GENERATOR_VERSION = 2
START = dt.date(2015, 1, 5)
STAR_OPEN = dt.date(2019, 7, 22)      # first STAR-market trading day
CHINEXT_20PCT = dt.date(2020, 8, 24)  # ChiNext registration reform: ±20 % limit
EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class ScaleSpec:
    symbols: int = 5000
    years: int = 10
    seed: int = 20150105
    block: int = 20

    @property
    def end(self) -> dt.date:
        return dt.date(START.year + self.years - 1, 12, 31)

    @property
    def is_default(self) -> bool:
        return self == ScaleSpec()

    def root(self) -> Path:
        base = BENCH_DIR / ".scale"
        return base if self.is_default else base / f"smoke-s{self.symbols}-y{self.years}-seed{self.seed}"


@dataclass
class ScalePaths:
    root: Path

    @property
    def meta(self) -> Path:
        return self.root / "scale.json"

    @property
    def frame(self) -> Path:
        return self.root / "frame.parquet"

    @property
    def store(self) -> Path:
        return self.root / "jlq" / "store"

    @property
    def per_symbol(self) -> Path:
        return self.root / "per_symbol"

    @property
    def hive(self) -> Path:
        return self.root / "hive"


# ---- the real source --------------------------------------------------------------------------------
@dataclass
class Pool:
    """Concatenated per-stock arrays of real daily moves; stock k owns rows start[k]:start[k]+length[k]."""

    ret: np.ndarray       # log return of the day
    open_r: np.ndarray    # open / close
    high_r: np.ndarray    # high / close
    low_r: np.ndarray     # low / close
    vol_r: np.ndarray     # volume / rolling median volume
    start: np.ndarray
    length: np.ndarray
    stocks: list[str]
    calendar: np.ndarray  # datetime64[D] trading dates seen in the sample files


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def load_pool(source: Path, block: int) -> Pool:
    t = pq.read_table(source)
    need = {"symbol", "date", "open", "high", "low", "close", "volume"}
    missing = need - set(t.column_names)
    if missing:
        raise SystemExit(f"{source}: missing columns {sorted(missing)}")
    df = t.to_pandas()
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[s]")
    df = df.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
    cal = set(df["date"].to_numpy("datetime64[D]").tolist())
    idx_file = source.parent / "index_1d.parquet"
    if idx_file.exists():
        cal |= set(pd.to_datetime(pq.read_table(idx_file, columns=["date"]).column("date").to_pandas())
                   .to_numpy("datetime64[D]").tolist())
    traded = (df["volume"] > 0) & (df[["open", "high", "low", "close"]] > 0).all(axis=1)
    if "trade_status" in df:
        traded &= df["trade_status"].fillna(1).astype(int) == 1
    g = df[traded].copy()
    prev = g.groupby("symbol", sort=False)["close"].shift(1)
    ref = g["preclose"].where(g["preclose"] > 0, prev) if "preclose" in g else prev
    g["ret"] = np.log(g["close"] / ref)
    # Unadjusted data without preclose shows ex-rights gaps as huge moves; no real A-share day (outside
    # IPO days, also dropped) moves more than ±20 %, so anything beyond ±22 % is an artefact.
    g = g[np.isfinite(g["ret"]) & (g["ret"].abs() < 0.22)]
    med = g.groupby("symbol", sort=False)["volume"].transform(
        lambda v: v.rolling(120, min_periods=20).median())
    g["vol_r"] = (g["volume"] / med.where(med > 0)).fillna(1.0).clip(0.05, 20.0)
    g["open_r"] = g["open"] / g["close"]
    g["high_r"] = np.maximum(g["high"] / g["close"], 1.0)
    g["low_r"] = np.minimum(g["low"] / g["close"], 1.0)
    sizes = g.groupby("symbol", sort=True).size()
    keep = sizes[sizes >= max(250, 2 * block)].index
    g = g[g["symbol"].isin(keep)].sort_values(["symbol", "date"], kind="stable")
    if g.empty:
        raise SystemExit(f"{source}: no stock with ≥ 250 usable trading days to resample")
    lengths = g.groupby("symbol", sort=True).size()
    starts = np.concatenate([[0], np.cumsum(lengths.to_numpy())[:-1]]).astype(np.int64)
    return Pool(g["ret"].to_numpy(np.float64), g["open_r"].to_numpy(np.float64),
                g["high_r"].to_numpy(np.float64), g["low_r"].to_numpy(np.float64),
                g["vol_r"].to_numpy(np.float64), starts, lengths.to_numpy(np.int64),
                [str(s) for s in lengths.index], np.array(sorted(cal), dtype="datetime64[D]"))


def trading_calendar(pool: Pool, spec: ScaleSpec) -> tuple[np.ndarray, str]:
    """Real sample dates in [2015-01-05, end]; uncovered stretches filled with weekdays (and said so)."""
    lo, hi = np.datetime64(START, "D"), np.datetime64(spec.end, "D")
    real = pool.calendar[(pool.calendar >= lo) & (pool.calendar <= hi)]
    if len(real) == 0:
        return pd.bdate_range(START, spec.end).to_numpy("datetime64[D]"), "weekdays only (sample has no dates)"
    first, last = real[0], real[-1]
    week = pd.bdate_range(START, spec.end).to_numpy("datetime64[D]")
    fill = week[(week < first - np.timedelta64(7, "D")) | (week > last)]
    cal = np.union1d(real, fill)
    note = "real sample trading dates"
    if len(fill):
        note += f" {first}…{last}; {len(fill)} weekdays filled outside that span"
    return cal, note


# ---- synthesis -------------------------------------------------------------------------------------
def synthetic_symbols(n: int) -> tuple[list[str], np.ndarray]:
    """Codes and board per symbol: 36 % 600000.SH…, 34 % 000001.SZ…, 25 % 300001.SZ…, rest 688001.SH…"""
    n_sh, n_sz, n_cy = round(n * 0.36), round(n * 0.34), round(n * 0.25)
    n_kc = max(n - n_sh - n_sz - n_cy, 0)
    syms = ([f"{600000 + i:06d}.SH" for i in range(n_sh)] + [f"{1 + i:06d}.SZ" for i in range(n_sz)]
            + [f"{300001 + i:06d}.SZ" for i in range(n_cy)] + [f"{688001 + i:06d}.SH" for i in range(n_kc)])
    board = np.array(["main"] * (n_sh + n_sz) + ["chinext"] * n_cy + ["star"] * n_kc)
    order = np.argsort(syms)
    return [syms[i] for i in order], board[order]


def _spells(rng: np.random.Generator, mask: np.ndarray, rows: np.ndarray, lo: np.ndarray, t_len: int,
            n_max: int, mean_len: float, cap: int) -> None:
    for i in rows:
        for _ in range(int(rng.integers(1, n_max + 1))):
            a = int(rng.integers(lo[i] + 1, max(lo[i] + 2, t_len - 1)))
            length = min(1 + int(rng.geometric(1.0 / mean_len)), cap)
            mask[i, a:a + length] = True


def generate(pool: Pool, spec: ScaleSpec, cal: np.ndarray) -> tuple[pa.Table, pa.Table]:
    """(bars in arrival order — by date, then symbol — , instruments) for the spec."""
    rng = np.random.default_rng(spec.seed)
    n, t_len, blk = spec.symbols, len(cal), spec.block
    symbols, board = synthetic_symbols(n)
    # block bootstrap: source stock per symbol, a random offset per block of `blk` days
    src = rng.integers(0, len(pool.stocks), n)
    nb = math.ceil(t_len / blk)
    span = (pool.length[src] - blk + 1)[:, None]
    offs = (rng.random((n, nb)) * span).astype(np.int64)
    idx = (pool.start[src][:, None, None] + offs[:, :, None] + np.arange(blk)).reshape(n, nb * blk)[:, :t_len]
    r = pool.ret[idx]
    mu = rng.uniform(-0.05, 0.12, n) / 244.0
    r = r - r.mean(axis=1, keepdims=True) + mu[:, None]

    # listing dates, ST spells, suspensions
    list_idx = np.zeros(n, np.int64)
    star = np.flatnonzero(board == "star")
    s0 = int(np.searchsorted(cal, np.datetime64(STAR_OPEN, "D")))
    s0 = s0 if s0 < t_len - 40 else t_len // 3
    list_idx[star] = rng.integers(s0, max(s0 + 1, t_len - 20), len(star))
    late = np.flatnonzero((board != "star") & (rng.random(n) < 0.03))
    list_idx[late] = rng.integers(1, t_len - 20, len(late))
    tt = np.arange(t_len)
    listed = tt[None, :] >= list_idx[:, None]
    is_st = np.zeros((n, t_len), bool)
    _spells(rng, is_st, np.flatnonzero((board == "main") & (rng.random(n) < 0.02)), list_idx, t_len, 1, 250, 500)
    susp = np.zeros((n, t_len), bool)
    _spells(rng, susp, np.flatnonzero(rng.random(n) < 0.08), list_idx, t_len, 3, 10, 120)
    susp &= listed

    lim = np.full((n, t_len), 0.10)
    lim[board == "star"] = 0.20
    cy_from = int(np.searchsorted(cal, np.datetime64(CHINEXT_20PCT, "D")))
    lim[np.ix_(board == "chinext", tt >= cy_from)] = 0.20
    lim[is_st] = 0.05
    r = np.clip(r, np.log1p(-lim), np.log1p(lim))
    r[susp | ~listed] = 0.0

    cum = np.cumsum(r, axis=1)
    p0 = np.clip(np.exp(rng.normal(np.log(12.0), 0.8, n)), 2.0, 200.0)
    p0 = np.maximum(p0, 2.0 * np.exp(-cum.min(axis=1)))
    close = np.round(p0[:, None] * np.exp(cum), 2)
    preclose = np.empty_like(close)
    preclose[:, 1:] = close[:, :-1]
    preclose[:, 0] = np.round(close[:, 0] / np.exp(r[:, 0]), 2)
    del cum
    up, dn = np.round(preclose * (1 + lim), 2), np.round(preclose * (1 - lim), 2)
    close = np.clip(close, dn, up)
    preclose[:, 1:] = close[:, :-1]  # rounding may have moved a close by a tick: keep 前收盘 = previous close
    open_ = np.clip(np.round(close * pool.open_r[idx], 2), dn, up)
    high = np.clip(np.maximum(np.round(close * pool.high_r[idx], 2), np.maximum(open_, close)), None, up)
    low = np.clip(np.minimum(np.round(close * pool.low_r[idx], 2), np.minimum(open_, close)), dn, None)
    high, low = np.maximum(high, np.maximum(open_, close)), np.minimum(low, np.minimum(open_, close))
    for a in (open_, high, low):
        a[susp] = close[susp]
    base = np.exp(rng.normal(np.log(8e6), 1.0, n))
    volume = (np.maximum(np.round(base[:, None] * pool.vol_r[idx] / 100.0), 1.0) * 100).astype(np.int64)
    volume[susp] = 0
    amount = np.round(volume * (open_ + high + low + close) / 4.0, 2)
    turnover = np.round(volume / (base * rng.uniform(80, 400, n))[:, None] * 100.0, 4)
    del idx, r, lim, up, dn

    # flatten in arrival order: date-major, symbol-minor, listed rows only
    keep = listed.T.ravel()
    def flat(a: np.ndarray) -> np.ndarray:
        return a.T.ravel()[keep]
    sym_codes = np.tile(np.arange(n, dtype=np.int32), t_len)[keep]
    days = np.repeat((cal - np.datetime64(EPOCH, "D")).astype(np.int32), n)[keep]
    arrays = {
        "symbol": pa.DictionaryArray.from_arrays(pa.array(sym_codes), pa.array(symbols)).cast(pa.string()),
        "date": pa.array(days, pa.int32()).cast(pa.date32()),
        "open": flat(open_), "high": flat(high), "low": flat(low), "close": flat(close),
        "preclose": flat(preclose), "volume": flat(volume), "amount": flat(amount), "turnover": flat(turnover),
        "trade_status": (~flat(susp)).astype(np.int8), "is_st": flat(is_st),
    }
    bars = pa.Table.from_arrays([pa.array(arrays[c.name]) if not isinstance(arrays[c.name], pa.Array)
                                 else arrays[c.name] for c in BARS_1D.columns], schema=BARS_1D.schema)
    old = rng.integers((dt.date(1995, 1, 3) - EPOCH).days, (dt.date(2014, 12, 1) - EPOCH).days, n)
    list_days = np.where(list_idx > 0, (cal[list_idx] - np.datetime64(EPOCH, "D")).astype(np.int64), old)
    list_days[star] = (cal[list_idx[star]] - np.datetime64(EPOCH, "D")).astype(np.int64)
    inst = pa.table({
        "symbol": symbols, "code": [s[:6] for s in symbols], "exchange": [s[7:] for s in symbols],
        "name": [f"合成{s[:6]}" for s in symbols], "kind": ["stock"] * n, "board": board.tolist(),
        "list_date": pa.array(list_days.astype(np.int32), pa.int32()).cast(pa.date32()),
        "delist_date": pa.nulls(n, pa.date32()), "is_st": is_st[:, -1],
    })
    return bars, inst.cast(INSTRUMENTS.schema)


# ---- building the three layouts ---------------------------------------------------------------------
def _du(path: Path) -> tuple[int, int]:
    size = files = 0
    for dirpath, _, names in os.walk(path):
        for f in names:
            size += os.path.getsize(os.path.join(dirpath, f))
            files += 1
    return size, files


def disk_usage(paths: ScalePaths) -> dict[str, tuple[int, int]]:
    store_bars = paths.store / "bars_1d"
    snap = store_bars / "_snapshot"
    total_bars, files_bars = _du(store_bars)
    snap_size, snap_files = _du(snap) if snap.exists() else (0, 0)
    return {"ours_parquet": (total_bars - snap_size, files_bars - snap_files), "ours_snapshot": (snap_size, snap_files),
            "per_symbol": _du(paths.per_symbol), "hive": _du(paths.hive)}


def write_store(paths: ScalePaths, bars: pa.Table, inst: pa.Table, log: Any) -> float:
    t0 = time.perf_counter()
    store = MarketStore(paths.store)
    store.write("instruments", inst, origin="synthetic")
    years = pc.year(bars.column("date"))
    for y in pc.unique(years).to_pylist():
        chunk = bars.filter(pc.equal(years, y))
        store.write("bars_1d", chunk, origin=f"synthetic {y}")
        log(f"  store: year={y} {chunk.num_rows:,} rows")
    return time.perf_counter() - t0


def build_snapshot(paths: ScalePaths) -> float:
    t0 = time.perf_counter()
    QueryService(MarketStore(paths.store)).snapshot(BARS_1D)
    return time.perf_counter() - t0


def write_per_symbol(paths: ScalePaths, bars: pa.Table) -> float:
    """Peer A: one Parquet file per symbol, as ``df.to_parquet(f"{sym}.parquet")`` writes it (snappy)."""
    t0 = time.perf_counter()
    paths.per_symbol.mkdir(parents=True)
    by_sym = bars.sort_by([("symbol", "ascending"), ("date", "ascending")])
    syms = by_sym.column("symbol").to_numpy(zero_copy_only=False)
    cuts = np.flatnonzero(syms[1:] != syms[:-1]) + 1
    bounds = np.concatenate([[0], cuts, [len(syms)]])
    for a, b in itertools.pairwise(bounds):
        part = by_sym.slice(int(a), int(b - a))
        pq.write_table(part, paths.per_symbol / f"{syms[a]}.parquet", compression="snappy")
    return time.perf_counter() - t0


def write_hive(paths: ScalePaths, bars: pa.Table) -> float:
    """Peer B: DuckDB ``COPY … PARTITION_BY (year)`` in arrival (date) order with default row groups."""
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.register("frame", bars)
    target = str(paths.hive).replace("'", "''")
    con.execute(f"COPY (SELECT *, year(date) AS year FROM frame) TO '{target}' "
                f"(FORMAT parquet, PARTITION_BY (year))")
    con.close()
    return time.perf_counter() - t0


def ensure_scale(spec: ScaleSpec, source: Path, rebuild: bool, log: Any = print) -> tuple[ScalePaths, dict]:
    """Build (or reuse) the frame, our store + snapshot, and both peers; return paths and build metadata."""
    paths = ScalePaths(spec.root())
    if not source.exists():
        raise SystemExit(f"source sample missing: {source} (run `jlq data init-sample`'s producer first, "
                         "or pass --source)")
    key = {"generator": GENERATOR_VERSION, "spec": asdict(spec), "source": str(source.resolve()),
           "source_sha256": _sha(source)}
    meta: dict[str, Any] = {}
    if paths.meta.exists() and not rebuild:
        meta = json.loads(paths.meta.read_text())
        if meta.get("key") != key:
            log("scale inputs changed → rebuilding")
            meta = {}
    complete = bool(meta) and all(p.exists() for p in (paths.frame, paths.store / "bars_1d" / "_manifest.json",
                                                        paths.per_symbol, paths.hive))
    if complete and not (paths.store / "bars_1d" / "_snapshot").exists():
        meta["build_s"]["snapshot"] = build_snapshot(paths)
        paths.meta.write_text(json.dumps(meta, indent=1))
    if complete:
        return paths, meta
    if paths.root.exists():
        for p in (paths.frame, paths.meta):
            p.unlink(missing_ok=True)
        for p in (paths.root / "jlq", paths.per_symbol, paths.hive):
            shutil.rmtree(p, ignore_errors=True)
    paths.root.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    log(f"generating {spec.symbols:,} symbols × {spec.years} years from {source} …")
    pool = load_pool(source, spec.block)
    cal, cal_note = trading_calendar(pool, spec)
    bars, inst = generate(pool, spec, cal)
    pq.write_table(bars, paths.frame, compression="zstd", row_group_size=1 << 20)
    timings["generate"] = time.perf_counter() - t0
    log(f"  {bars.num_rows:,} rows, {len(cal):,} dates ({cal_note}) in {timings['generate']:.1f} s")
    log("writing our store (MarketStore.write, one call per year) …")
    timings["store_write"] = write_store(paths, bars, inst, log)
    log("building the snapshot (hot cache) …")
    timings["snapshot"] = build_snapshot(paths)
    log(f"  {timings['snapshot']:.1f} s")
    log("writing peer A: one Parquet file per symbol …")
    timings["per_symbol"] = write_per_symbol(paths, bars)
    log("writing peer B: DuckDB COPY … PARTITION_BY (year) …")
    timings["hive"] = write_hive(paths, bars)
    meta = {"key": key, "rows": bars.num_rows, "symbols": spec.symbols, "dates": len(cal),
            "first_date": str(cal[0]), "last_date": str(cal[-1]), "calendar": cal_note,
            "source_stocks": len(pool.stocks), "source_rows": len(pool.ret),
            "suspended_rows": int(bars.num_rows - pc.sum(bars.column("trade_status")).as_py()),
            "build_s": timings, "built_at": dt.datetime.now().isoformat(timespec="seconds")}
    paths.meta.write_text(json.dumps(meta, indent=1))
    return paths, meta


def machine_info(**versions: str) -> dict[str, Any]:
    """The machine and library versions a benchmark ran on (shared by bench_store and bench_update)."""
    import contextlib
    import datetime as _dt
    import platform

    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"nproc": os.cpu_count(), "cpu": cpu or platform.processor(), "ram_gib": round(mem / 2**30, 1),
            "python": platform.python_version(), **versions, "os": platform.platform(terse=True),
            "date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M")}
