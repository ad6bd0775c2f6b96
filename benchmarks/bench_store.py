"""Market-store benchmark: our store (Parquet + manifest + memory-mapped snapshot) against the two
ways users store daily bars today, on the same synthetic 5,000-symbol × 10-year frame, in one run.

    .venv/bin/python benchmarks/bench_store.py                      # full run (≈12M rows), updates README.md
    .venv/bin/python benchmarks/bench_store.py --symbols 200 --years 2   # smoke run, prints only
    .venv/bin/python benchmarks/bench_store.py --rebuild            # regenerate benchmarks/.scale/

Approaches (all read the same rows; see benchmarks/README.md for what each stands for):
  ours      QueryService(store) — bars / cross_section / universe_returns via the hot cache
  A         one Parquet file per symbol read with pandas
  B         naive DuckDB view over hive-partitioned Parquet written by COPY … PARTITION_BY (year)
  ours_sql  QueryService(store, hot_cache=False) — our DuckDB views over the sorted store (context only)

Every timed call is interleaved with the other approaches' calls on the same symbol/date, so machine
noise hits all of them alike. Results are checked for equivalence (bars identical, cross-section
rows identical, 20-day returns equal to pandas' groupby ``pct_change`` within 1e-12): a fast but
wrong answer fails the run (exit status 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scale import DEFAULT_SOURCE, ScalePaths, ScaleSpec, disk_usage, ensure_scale, machine_info

from jupyterlab_quant.data.query import QueryService
from jupyterlab_quant.data.schema import BARS_1D
from jupyterlab_quant.data.store import MarketStore

WINDOW = 20
README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- BEGIN RESULTS (written by bench_store.py) -->", "<!-- END RESULTS -->"
PATTERNS = {"one": "one symbol, all years", "cross": "cross-section, all symbols on one date",
            "universe": f"universe scan: {WINDOW}-day returns, all symbols × all dates"}
TARGET_MS = {"one": 2.0, "cross": 30.0, "universe": 500.0}
REFERENCE = {"one": ("1.8 ms", "9–14 ms"), "cross": ("10 s", "30–37 ms"), "universe": ("11 s", "1.8 s")}
LABELS = {"ours": "ours (hot cache)", "A": "A: per-symbol Parquet + pandas",
          "B": "B: naive DuckDB view, hive Parquet", "ours_sql": "ours, DuckDB path (hot_cache=False)"}
ORDER = ("ours", "A", "B", "ours_sql")


# ---- the approaches ------------------------------------------------------------------------------
class Ours:
    def __init__(self, paths: ScalePaths, hot: bool = True) -> None:
        self.svc = QueryService(MarketStore(paths.store), hot_cache=hot)

    def one(self, sym: str) -> pd.DataFrame:
        return self.svc.bars(sym)

    def cross(self, d: dt.date) -> pd.DataFrame:
        return self.svc.cross_section(d)

    def universe(self, w: int) -> pd.DataFrame:
        return self.svc.universe_returns(w)

    def close(self) -> None:
        self.svc._con.close()


class OursSQL(Ours):
    def __init__(self, paths: ScalePaths) -> None:
        super().__init__(paths, hot=False)

    def universe(self, w: int) -> pd.DataFrame:
        return self.svc.sql(f"SELECT symbol, date, close / lag(close, {int(w)}) OVER "
                            f"(PARTITION BY symbol ORDER BY date) - 1 AS ret_{int(w)} FROM bars_1d")


class PerSymbolPandas:
    """What users write today: ``df.to_parquet(f"{sym}.parquet")`` per symbol, then pandas."""

    def __init__(self, paths: ScalePaths) -> None:
        self.folder = paths.per_symbol
        self.files = sorted(self.folder.glob("*.parquet"))

    def one(self, sym: str) -> pd.DataFrame:
        return pd.read_parquet(self.folder / f"{sym}.parquet")

    def cross(self, d: dt.date) -> pd.DataFrame:
        hits = []
        for f in self.files:
            df = pd.read_parquet(f)
            hit = df[df["date"] == d]
            if len(hit):
                hits.append(hit)
        return pd.concat(hits, ignore_index=True)

    def universe(self, w: int) -> pd.DataFrame:
        # best case for this layout: read only the three columns the scan needs
        df = pd.concat([pd.read_parquet(f, columns=["symbol", "date", "close"]) for f in self.files],
                       ignore_index=True)
        df[f"ret_{w}"] = df.groupby("symbol", sort=False)["close"].pct_change(w)
        return df

    def close(self) -> None:
        pass


class NaiveDuckDB:
    """A view over ``year=YYYY/*.parquet`` written in arrival order by DuckDB; fresh connection."""

    def __init__(self, paths: ScalePaths) -> None:
        self.con = duckdb.connect(":memory:")
        glob = str(paths.hive / "*" / "*.parquet").replace("'", "''")
        self.con.execute(f"CREATE VIEW bars AS SELECT * FROM read_parquet('{glob}', hive_partitioning=true)")

    def one(self, sym: str) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM bars WHERE symbol = ? ORDER BY date", [sym]).df()

    def cross(self, d: dt.date) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM bars WHERE date = ? ORDER BY symbol", [d]).df()

    def universe(self, w: int) -> pd.DataFrame:
        return self.con.execute(f"SELECT symbol, date, close / lag(close, {int(w)}) OVER "
                                f"(PARTITION BY symbol ORDER BY date) - 1 AS ret_{int(w)} FROM bars").df()

    def close(self) -> None:
        self.con.close()


FACTORIES: dict[str, Callable[[ScalePaths], Any]] = {
    "ours": Ours, "A": PerSymbolPandas, "B": NaiveDuckDB, "ours_sql": OursSQL}


# ---- measuring -----------------------------------------------------------------------------------
def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - t0) * 1e3, out


def rotated(keys: list[str], i: int) -> list[str]:
    k = i % len(keys)
    return keys[k:] + keys[:k]


def summary(xs: list[float]) -> dict[str, float]:
    a = np.asarray(xs)
    return {"median": float(np.median(a)), "p90": float(np.percentile(a, 90)), "min": float(a.min()),
            "n": len(a)}


def warm_page_cache(paths: ScalePaths) -> None:
    """Read every file of every layout once so all approaches start with the OS cache equally warm."""
    buf = bytearray(1 << 22)
    for base in (paths.store, paths.per_symbol, paths.hive):
        for dirpath, _, names in os.walk(base):
            for name in names:
                with open(os.path.join(dirpath, name), "rb", buffering=0) as fh:
                    while fh.readinto(buf):
                        pass


def proc_status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0]) * 1024
    return out


# ---- equivalence ---------------------------------------------------------------------------------
def canon(df: pd.DataFrame) -> pa.Table:
    """A bars frame of any approach as an Arrow table in the dataset schema, sorted by (symbol, date)."""
    t = pa.Table.from_pandas(df[BARS_1D.column_names], preserve_index=False)
    arrays = []
    for f in BARS_1D.schema:
        col = t.column(f.name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        arrays.append(col.cast(f.type))
    return pa.Table.from_arrays(arrays, schema=BARS_1D.schema).sort_by([("symbol", "ascending"),
                                                                         ("date", "ascending")])


def same_bars(what: str, frames: dict[str, pd.DataFrame]) -> None:
    ref = canon(frames["ours"])
    for key, df in frames.items():
        other = canon(df)
        assert other.num_rows == ref.num_rows, f"{what}: {key} has {other.num_rows} rows, ours {ref.num_rows}"
        for name in BARS_1D.column_names:
            assert other.column(name).equals(ref.column(name)), f"{what}: column {name} differs in {key}"


def returns_frame(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(symbol, epoch-day, return) arrays sorted by (symbol, date)."""
    sym = np.asarray(df["symbol"].astype(str).to_numpy(), dtype=object)
    day = pd.to_datetime(df["date"]).to_numpy("datetime64[D]").astype(np.int64)
    ret = df[f"ret_{WINDOW}"].to_numpy(np.float64, na_value=np.nan)
    order = np.lexsort((day, sym.astype(str)))
    return sym[order], day[order], ret[order]


def same_returns(key: str, ours: tuple[np.ndarray, np.ndarray, np.ndarray], df: pd.DataFrame) -> float:
    sym, day, ret = returns_frame(df)
    assert len(sym) == len(ours[0]), f"universe: {key} has {len(sym)} rows, ours {len(ours[0])}"
    assert np.array_equal(sym, ours[0]) and np.array_equal(day, ours[1]), f"universe: {key} keys differ"
    nan_a, nan_b = np.isnan(ret), np.isnan(ours[2])
    assert np.array_equal(nan_a, nan_b), f"universe: {key} has NaN at other places ({nan_a.sum()} vs {nan_b.sum()})"
    diff = float(np.max(np.abs(ret[~nan_a] - ours[2][~nan_b]), initial=0.0))
    assert diff <= 1e-12, f"universe: {key} differs from ours by {diff:g} > 1e-12"
    return diff


# ---- the run -------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    return machine_info(duckdb=duckdb.__version__, pyarrow=pa.__version__, pandas=pd.__version__,
                        numpy=np.__version__)


def plan_step(n_total: int, est_ms: float, budget_s: float, min_reps: int) -> int:
    """Every how-many-th item an approach runs so its calls fit ``budget_s`` (at least ``min_reps``)."""
    n = max(min_reps, min(n_total, int(budget_s * 1e3 / max(est_ms, 1e-3))))
    return max(1, -(-n_total // n))


def run(args: argparse.Namespace, spec: ScaleSpec, paths: ScalePaths, meta: dict, log: Callable) -> dict:
    rng = np.random.default_rng(spec.seed + 1)
    load_start = os.getloadavg()
    symbols = sorted(p.stem for p in paths.per_symbol.glob("*.parquet"))
    probe_svc = QueryService(MarketStore(paths.store))
    snap = probe_svc.snapshot(BARS_1D)
    dates = [dt.date(1970, 1, 1) + dt.timedelta(days=int(x)) for x in np.asarray(snap.time_keys)]
    one_syms = [symbols[i] for i in rng.choice(len(symbols), min(args.one_reps, len(symbols)), replace=False)]
    cross_dates = [dates[i] for i in rng.choice(len(dates), min(args.cross_reps, len(dates)), replace=False)]
    probe_svc._con.close()
    del snap, probe_svc

    log("warming the OS page cache (every file of every layout read once) …")
    warm_page_cache(paths)
    keys = list(ORDER)

    # fresh process per approach: cold first calls (one symbol, cross-section, universe) and memory
    log("fresh process per approach: first calls + memory …")
    fresh: dict[str, dict] = {}
    for key in keys:
        cmd = [sys.executable, __file__, "--probe", key, "--symbols", str(spec.symbols), "--years",
               str(spec.years), "--seed", str(spec.seed), "--probe-symbol", one_syms[0],
               "--probe-date", cross_dates[0].isoformat()]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            raise RuntimeError(f"probe {key} failed:\n{res.stderr[-3000:]}")
        fresh[key] = json.loads(res.stdout.strip().splitlines()[-1])
        log(f"  {key}: " + ", ".join(f"{p} {fmt_ms(ms)}" for p, ms in fresh[key]["ms"].items()))

    # cold in a warm process: a fresh service / connection and its first call
    log("cold: fresh object + first call, 3 rounds …")
    cold: dict[str, dict[str, list[float]]] = {p: {k: [] for k in keys} for p in ("one", "cross")}
    for rnd in range(3):
        for pat in ("one", "cross"):
            for key in rotated(keys, rnd):
                if key == "A" and pat != "one":
                    continue  # stateless: every cross-section of A is a cold call
                gc.collect()
                arg: Any = one_syms[rnd] if pat == "one" else cross_dates[rnd]

                def first(key: str = key, pat: str = pat, arg: Any = arg) -> Any:
                    ap = FACTORIES[key](paths)
                    out = getattr(ap, pat)(arg)
                    ap.close()
                    return out
                ms, _ = timed(first)
                cold[pat][key].append(ms)

    apps = {k: FACTORIES[k](paths) for k in keys}
    # warm-up: the first call of each object is not counted; the next calls estimate each approach's
    # cost so that slow approaches can be sampled within --budget (ours always runs every item)
    est: dict[str, dict[str, float]] = {"one": {}, "cross": {}, "universe": {}}
    for k, ap in apps.items():
        ap.one(one_syms[-1])
        est["one"][k] = float(np.median([timed(ap.one, s)[0] for s in one_syms[-4:-1]]))
        if k == "A":  # a cross-section of A reads every file: estimate it from one file
            est["cross"][k] = est["one"][k] * len(symbols)
        else:
            ap.cross(cross_dates[-1])
            est["cross"][k] = timed(ap.cross, cross_dates[-2])[0]
        est["universe"][k] = fresh[k]["ms"]["universe"]
    for pat in est:
        est[pat]["ours"] = 0.0
    budget = {"one": args.budget, "cross": args.budget, "universe": args.budget}
    times: dict[str, dict[str, list[float]]] = {p: {k: [] for k in keys} for p in PATTERNS}

    steps = {k: plan_step(len(one_syms), est["one"][k], budget["one"], min(20, len(one_syms))) for k in keys}
    log(f"one symbol: {len(one_syms)} symbols, interleaved; every n-th symbol per approach: {steps} …")
    checked = 0
    for i, sym in enumerate(one_syms):
        got = {}
        for key in rotated(keys, i):
            if i % steps[key] and i >= args.check_symbols:
                continue
            ms, got[key] = timed(apps[key].one, sym)
            times["one"][key].append(ms)
        if i < args.check_symbols:
            same_bars(f"bars({sym})", got)
            checked += 1

    steps = {k: plan_step(len(cross_dates), est["cross"][k], budget["cross"], args.slow_reps) for k in keys}
    log(f"cross-section: {len(cross_dates)} dates; every n-th date per approach: {steps} …")
    cross_rows: list[int] = []
    for i, d in enumerate(cross_dates):
        got = {}
        for key in rotated(keys, i):
            if i % steps[key]:
                continue
            ms, got[key] = timed(apps[key].cross, d)
            times["cross"][key].append(ms)
        n = {k: len(v) for k, v in got.items()}
        assert len(set(n.values())) == 1, f"cross_section({d}) row counts differ: {n}"
        cross_rows.append(n["ours"])
        if len(got) == len(keys) or i < 5:
            same_bars(f"cross_section({d})", got)

    n_u = args.universe_reps
    steps = {k: plan_step(n_u, est["universe"][k], budget["universe"], min(args.slow_reps, n_u)) for k in keys}
    log(f"universe scan: {n_u} runs; every n-th run per approach: {steps} …")
    last: dict[str, pd.DataFrame] = {}
    for i in range(n_u):
        for key in rotated(keys, i):
            if i % steps[key]:
                continue
            last.pop(key, None)
            gc.collect()
            ms, last[key] = timed(apps[key].universe, WINDOW)
            times["universe"][key].append(ms)
    ours_ret = returns_frame(last["ours"])
    diffs = {k: same_returns(k, ours_ret, df) for k, df in last.items() if k != "ours"}
    universe_rows = len(last["ours"])
    last.clear()
    for ap in apps.values():
        ap.close()
    apps.clear()

    return {
        "machine": machine(), "load_avg": {"start": load_start, "end": os.getloadavg()},
        "meta": meta, "spec": {"symbols": spec.symbols, "years": spec.years, "seed": spec.seed},
        "warm": {p: {k: summary(v) for k, v in d.items() if v} for p, d in times.items()},
        "cold": {p: {k: summary(v) for k, v in d.items() if v} for p, d in cold.items()},
        "fresh": fresh,
        "checks": {"bars_symbols": checked, "cross_dates": len(cross_dates),
                   "cross_rows": [min(cross_rows), max(cross_rows)], "universe_rows": universe_rows,
                   "universe_max_abs_diff": diffs},
        "disk": {k: list(v) for k, v in disk_usage(paths).items()},
    }


def probe(args: argparse.Namespace, paths: ScalePaths) -> None:
    """In a fresh process: first call of each pattern (A skips the cross-section) and memory."""
    base = proc_status()
    ms = {}
    t0 = time.perf_counter()
    ap = FACTORIES[args.probe](paths)
    ap.one(args.probe_symbol)
    ms["one"] = (time.perf_counter() - t0) * 1e3
    if args.probe != "A":
        ms["cross"] = timed(lambda: ap.cross(dt.date.fromisoformat(args.probe_date)))[0]
    small = proc_status()
    ms["universe"] = timed(lambda: ap.universe(WINDOW))[0]
    end = proc_status()
    print(json.dumps({"ms": ms, "base": base, "after_one_and_cross": small, "after_universe": end}))


# ---- reporting -----------------------------------------------------------------------------------
def fmt_ms(ms: float) -> str:
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def mib(b: float) -> str:
    return f"{b / 2**20:,.0f} MiB"


def render(r: dict) -> str:
    m, meta, w, c = r["machine"], r["meta"], r["warm"], r["cold"]
    out = [f"Last run: {m['date']} — {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['os']}; "
           f"Python {m['python']}, DuckDB {m['duckdb']}, PyArrow {m['pyarrow']}, pandas {m['pandas']}, "
           f"NumPy {m['numpy']}. Load average at start / end: "
           f"{r['load_avg']['start'][0]:.1f} / {r['load_avg']['end'][0]:.1f}"
           + (" — the machine was busy with other work: absolute times are inflated, ratios hold because "
              "every approach was interleaved" if max(r['load_avg']['start'][0], r['load_avg']['end'][0])
              > 0.5 * m["nproc"] else "") + ".", "",
           f"Data: {meta['rows']:,} rows = {meta['symbols']:,} synthetic symbols × {meta['dates']:,} trading dates "
           f"({meta['first_date']} → {meta['last_date']}; {meta['calendar']}), {meta['suspended_rows']:,} "
           f"suspension rows, resampled from {meta['source_stocks']} real stocks of "
           f"`{Path(meta['key']['source']).name}`.", "",
           "### Warm: median (p90) per call, n calls", "",
           "| pattern | " + " | ".join(LABELS[k] for k in ORDER) + " |",
           "|---|" + "---:|" * len(ORDER)]
    for p, title in PATTERNS.items():
        cells = []
        for k in ORDER:
            s = w[p].get(k)
            cells.append(f"**{fmt_ms(s['median'])}** ({fmt_ms(s['p90'])}, n={s['n']})" if s else "—")
        out.append(f"| {title} | " + " | ".join(cells) + " |")
    out += ["", "### Ratios (peer median / ours median) and targets", "",
            "| pattern | ours | A / ours | B / ours | target | met | issue's reference A · B (2 cores) |",
            "|---|---:|---:|---:|---:|:---:|---|"]
    for p, title in PATTERNS.items():
        ours = w[p]["ours"]["median"]
        ra, rb = w[p]["A"]["median"] / ours, w[p]["B"]["median"] / ours
        ok = ours <= TARGET_MS[p] and ra > 1 and rb > 1
        out.append(f"| {title} | {fmt_ms(ours)} | {ra:,.1f}× | {rb:,.1f}× | ≤ {fmt_ms(TARGET_MS[p])} | "
                   f"{'yes' if ok else 'NO'} | {REFERENCE[p][0]} · {REFERENCE[p][1]} |")
    out += ["", "### Cold", "",
            "First call of a fresh service / connection in the already-running process (median of 3 runs); and "
            "a fresh Python process per approach (one run): creating the service + one symbol, then a "
            "cross-section, then a universe scan, each the first of its kind.", "",
            "| first call | " + " | ".join(LABELS[k] for k in ORDER) + " |", "|---|" + "---:|" * len(ORDER)]
    for p in ("one", "cross"):
        cells = [f"{fmt_ms(c[p][k]['median'])}" if k in c[p] else "= warm (stateless)" for k in ORDER]
        out.append(f"| fresh object: {PATTERNS[p]} | " + " | ".join(cells) + " |")
    fr = r["fresh"]
    for p in PATTERNS:
        cells = [fmt_ms(fr[k]["ms"][p]) if p in fr[k]["ms"] else "= warm (stateless)" for k in ORDER]
        out.append(f"| fresh process: {PATTERNS[p]} | " + " | ".join(cells) + " |")
    b = meta["build_s"]
    d = r["disk"]
    out += ["", "### Build, disk and memory", "",
            "| | build | disk (files) | peak RSS − baseline | RSS after (anon + file-backed) |",
            "|---|---:|---:|---:|---:|"]

    def memcells(k: str) -> str:
        base, end = fr[k]["base"], fr[k]["after_universe"]
        return (f"{mib(end['VmHWM'] - base['VmRSS'])} | {mib(end['RssAnon'] - base['RssAnon'])} + "
                f"{mib(end['RssFile'] - base['RssFile'])}")
    out += [
        f"| ours: Parquet store (MarketStore.write, 1 call/year) | {b['store_write']:.1f} s | "
        f"{mib(d['ours_parquet'][0])} ({d['ours_parquet'][1]}) | {memcells('ours')} |",
        f"| ours: snapshot (hot cache), built once per store version | {b['snapshot']:.1f} s | "
        f"{mib(d['ours_snapshot'][0])} ({d['ours_snapshot'][1]}) | (in the row above) | |",
        f"| A: per-symbol Parquet | {b['per_symbol']:.1f} s | {mib(d['per_symbol'][0])} ({d['per_symbol'][1]:,}) | "
        f"{memcells('A')} |",
        f"| B: DuckDB COPY PARTITION_BY (year) | {b['hive']:.1f} s | {mib(d['hive'][0])} ({d['hive'][1]}) | "
        f"{memcells('B')} |",
        f"| ours, DuckDB path (context) | — | (same Parquet store) | {memcells('ours_sql')} |",
        "", f"Generating the frame took {b['generate']:.1f} s (built {meta['built_at']}; cached in "
        "`benchmarks/.scale/`, so later runs reuse these build times). Memory is measured in the fresh "
        "process of each approach after one symbol, one cross-section and one universe scan; baseline = "
        "that process after imports. File-backed RSS is the memory-mapped snapshot (page cache shared with "
        "every process that maps it; the kernel can drop it under pressure, anonymous memory it cannot).", ""]
    ch = r["checks"]
    diffs = ", ".join(f"{k} {v:.1g}" for k, v in ch["universe_max_abs_diff"].items())
    out += [f"Equivalence asserted in the run: bars of {ch['bars_symbols']} symbols identical in all four "
            f"approaches (every column); cross-section row counts equal on all {ch['cross_dates']} dates "
            f"({ch['cross_rows'][0]:,}–{ch['cross_rows'][1]:,} rows) and contents identical on the dates A ran; "
            f"{ch['universe_rows']:,} universe returns with NaNs in the same places and max |difference| "
            f"from ours: {diffs} (limit 1e-12)."]
    return "\n".join(out)


def write_readme(text: str) -> None:
    body = README.read_text(encoding="utf-8") if README.exists() else ""
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in body and END in body:
        head, rest = body.split(BEGIN, 1)
        body = head + block + rest.split(END, 1)[1]
    else:
        body = body.rstrip() + "\n\n## Results\n\n" + block + "\n"
    README.write_text(body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--symbols", type=int, default=ScaleSpec.symbols, help="synthetic symbols (default 5000)")
    ap.add_argument("--years", type=int, default=ScaleSpec.years, help="years from 2015 (default 10)")
    ap.add_argument("--seed", type=int, default=ScaleSpec.seed)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="real daily bars to resample")
    ap.add_argument("--rebuild", action="store_true", help="regenerate the scale data even if cached")
    ap.add_argument("--one-reps", type=int, default=200, help="random symbols for the one-symbol pattern")
    ap.add_argument("--cross-reps", type=int, default=50, help="random dates for the cross-section")
    ap.add_argument("--universe-reps", type=int, default=5)
    ap.add_argument("--slow-reps", type=int, default=3, help="fewest timed calls of a slow approach (≥ 3 for a median)")
    ap.add_argument("--budget", type=float, default=30.0,
                    help="seconds of timed calls per approach and pattern; slower approaches run every n-th item")
    ap.add_argument("--check-symbols", type=int, default=10, help="symbols whose bars are compared column by column")
    ap.add_argument("--readme", action=argparse.BooleanOptionalAction, default=None,
                    help="write results into benchmarks/README.md (default: only for the full-size run)")
    ap.add_argument("--probe", choices=list(FACTORIES), help=argparse.SUPPRESS)
    ap.add_argument("--probe-symbol", help=argparse.SUPPRESS)
    ap.add_argument("--probe-date", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    spec = ScaleSpec(symbols=args.symbols, years=args.years, seed=args.seed)
    t_start = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    if args.probe:
        probe(args, ScalePaths(spec.root()))
        return 0
    paths, meta = ensure_scale(spec, args.source, args.rebuild, log)
    try:
        result = run(args, spec, paths, meta, log)
    except AssertionError as exc:
        print(f"EQUIVALENCE CHECK FAILED: {exc}", file=sys.stderr)
        return 1
    (paths.root / "results.json").write_text(json.dumps(result, indent=1, default=str))
    text = render(result)
    print(text)
    if args.readme or (args.readme is None and spec.is_default):
        write_readme(text)
        log(f"results written to {README}")
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
