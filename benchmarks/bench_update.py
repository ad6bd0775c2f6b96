"""Data-update benchmark: `UpdateService` against the local replay server, side by side with the naive
akshare loop users write, in one run. akshare's own request and parsing code runs for every request.

    .venv/bin/python benchmarks/bench_update.py            # full run (5,600 symbols; ≈5–7 min), updates README.md
    .venv/bin/python benchmarks/bench_update.py --quick    # smoke run (≈1 min), prints only
    .venv/bin/python benchmarks/bench_update.py --help

Scenarios (see benchmarks/README.md, "Data update"):
  1  today's bar for the whole market: ``UpdateService.update_snapshot`` (``stock_zh_a_spot_em``, paginated)
     vs one ``ak.stock_zh_a_hist(code, day, day)`` per symbol + ``pd.concat`` + ``to_csv``
  2  10-year backfill of 300 symbols: ``UpdateService.update_daily`` (unadjusted + hfq per symbol, factors,
     validation, store writes) vs one ``ak.stock_zh_a_hist(code, start, end, adjust="")`` per symbol + concat + CSV
  3  incremental re-run with nothing new: ``update_daily`` again (asserted: 0 requests) and
     ``update_snapshot`` again (asserted: 0 history requests, 0 rows written)

The market is synthetic (``benchmarks/_scale.py``'s generator: real daily moves of the 67 sample stocks,
block-bootstrapped onto made-up codes), served by ``tests/replay/server.py`` in a forked child process and
reached through ``tests/replay/routing.py``'s ``routed`` (which also makes every ``time.sleep`` instant: the
product's per-host rate limit and akshare's own page delays are *recorded*, not slept). Requests are
counted per host on the client. Stored bars are checked against the naive loop's bars (after 手 → shares)
and against the generator's truth for every symbol: a fast but wrong update fails the run (exit 1).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(1, str(REPO))
os.environ.setdefault("TQDM_DISABLE", "1")   # akshare's page progress bar

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import requests  # noqa: E402
from _scale import (  # noqa: E402
    DEFAULT_SOURCE,
    ScaleSpec,
    generate,
    load_pool,
    machine_info,
    trading_calendar,
)

from tests.replay.routing import routed  # noqa: E402
from tests.replay.server import SPOT_PARAMS, ReplayData, ReplayServer, _Handler, spot_rows  # noqa: E402

README = BENCH_DIR / "README.md"
HEADING = "## Data update (akshare through the replay server)"
BEGIN, END = "<!-- BEGIN UPDATE RESULTS (written by bench_update.py) -->", "<!-- END UPDATE RESULTS -->"
DAY = dt.date(2024, 12, 31)                 # the session being updated (a Tuesday)
NOW = dt.datetime(2024, 12, 31, 16, 0)      # "now", Asia/Shanghai: after that session's close
START = dt.date(2015, 1, 5)                 # first trading day of the 10-year backfill
EM_INTERVAL_S = 1.0                         # the product's default per-host interval for eastmoney


# ---- the replay server in a child process -------------------------------------------------------------
class BenchData(ReplayData):
    """``ReplayData`` with the factor lookup indexed once per symbol (same values; checked by ``check_fast``)."""

    def __init__(self) -> None:
        super().__init__()
        self._fac = {s: g.sort_values("date") for s, g in self.factors.groupby("symbol")}

    def factor_series(self, symbol: str, dates: pd.Series) -> pd.Series:
        base = symbol if symbol in self._by_symbol else self.extra_base.get(symbol, symbol)
        f = self._fac.get(base)
        if f is None or f.empty:
            return pd.Series(1.0, index=dates.index)
        idx = f["date"].searchsorted(dates.to_numpy(), side="right") - 1
        return pd.Series(f["factor"].to_numpy()[np.maximum(idx, 0)], index=dates.index)


def fast_kline_rows(df: pd.DataFrame, fqt: str, factors: pd.Series | None, extra_field: bool,
                    decimals: int = 2) -> list[str]:
    """``tests.replay.server._kline_rows`` without ``itertuples``/``iloc`` per row: the same Python arithmetic
    on the same Python scalars, so the same strings (asserted by ``check_fast``), ≈3× faster. Without it the
    replay server's formatting of a 10-year kline (80–160 ms) would dominate the client's time."""
    n = len(df)
    ks = [float(x) for x in factors.to_numpy()] if (fqt == "2" and factors is not None) else [1.0] * n
    out = []
    prev_close: float | None = None
    cols = [df[c].tolist() for c in ("date", "open", "close", "high", "low", "preclose", "volume", "amount",
                                     "turnover")]
    for k, date, op, cl, hi, lw, preclose, volume, amt, turnover in zip(ks, *cols, strict=True):
        o, c, h, lo = (round(x * k, decimals) for x in (op, cl, hi, lw))
        if fqt == "2":
            pc = prev_close if prev_close is not None else round((preclose or op) * k, decimals)
        else:
            pc = float(preclose) if not pd.isna(preclose) else float(op)
        change = round(c - pc, decimals)
        amp = round((h - lo) / pc * 100, 2) if pc else 0.0
        pct = round(change / pc * 100, 2) if pc else 0.0
        lots = round(volume / 100)
        amount = float(amt) if not pd.isna(amt) else round(volume * cl, 2)
        turn = float(turnover) if not pd.isna(turnover) else 0.0
        fields = [str(date), f"{o:.{decimals}f}", f"{c:.{decimals}f}", f"{h:.{decimals}f}", f"{lo:.{decimals}f}",
                  str(lots), f"{amount:.2f}", f"{amp:.2f}", f"{pct:.2f}", f"{change:.{decimals}f}", f"{turn:.2f}"]
        if extra_field:
            fields.append("0.00")
        out.append(",".join(fields))
        prev_close = c
    return out


def check_fast(data: BenchData, symbols: list[str]) -> int:
    """The sped-up server pieces must answer byte for byte what the tests' server answers."""
    from tests.replay import server as srv

    slow = ReplayData.factor_series
    n = 0
    real = [(s, g[g["trade_status"] == 1].reset_index(drop=True)) for s, g in list(data._by_symbol.items())[:6]]
    for sym, d in [(s, data.traded(s)) for s in symbols] + real:
        assert d is not None
        for fqt in ("0", "2"):
            f_slow = slow(data, sym, d["date"]) if fqt == "2" else None
            f_fast = data.factor_series(sym, d["date"]) if fqt == "2" else None
            if fqt == "2":
                assert f_slow is not None and f_fast is not None and f_slow.equals(f_fast), f"factors differ: {sym}"
            want = srv._kline_rows(d, fqt, f_slow, False)
            assert fast_kline_rows(d, fqt, f_fast, False) == want, f"fast kline rows differ: {sym} fqt={fqt}"
            n += len(want)
    return n


class BenchHandler(_Handler):
    """The tests' handler with the ``clist`` rows built once: ``spot_rows`` scans every symbol's frame, which
    for 5,600 symbols costs the *server* ≈0.5 s per page — replay overhead, not anything a client pays."""

    rows: ClassVar[list[dict[str, Any]]] = []

    def clist(self, p: dict[str, str]) -> tuple[int, str, str]:
        bad = {k: p.get(k) for k, v in SPOT_PARAMS.items() if p.get(k) != v}
        if bad or p.get("pz") != "100":
            return 400, json.dumps({"rc": 102, "error": f"bad params {bad}"}), "application/json"
        size = min(100, self.server.state.page_size)
        pn = int(p.get("pn", "1"))
        page = self.rows[(pn - 1) * size: pn * size]
        return 200, json.dumps({"rc": 0, "rt": 6, "svr": 1, "lt": 1, "full": 1, "dlmkts": "",
                                "data": {"total": len(self.rows), "diff": page}}, ensure_ascii=False), \
            "application/json"


def _serve(data: ReplayData, symbols: list[str], conn: Any) -> None:
    from tests.replay import server as srv_module

    srv_module._kline_rows = fast_kline_rows     # in this child process only; identical output (check_fast)
    srv = ReplayServer(data)
    srv.httpd.RequestHandlerClass = BenchHandler
    srv.state.spot_day = DAY
    srv.state.spot_symbols = symbols
    BenchHandler.rows = spot_rows(data, DAY, symbols)
    conn.send(srv.port)
    srv.httpd.serve_forever()


@contextlib.contextmanager
def replay_process(data: ReplayData, symbols: list[str]) -> Iterator[str]:
    ctx = mp.get_context("fork")              # the child inherits the prepared frames without pickling
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(data, symbols, child), daemon=True)
    proc.start()
    try:
        if not parent.poll(120):
            raise RuntimeError("replay server did not start")
        yield f"http://127.0.0.1:{parent.recv()}"
    finally:
        proc.terminate()
        proc.join(10)


# ---- counting requests on the client ------------------------------------------------------------------
class Requests:
    """Every HTTP request akshare issues (after routing is installed), by (original host, kind)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        inner = requests.sessions.Session.request   # the product's guard around the routing layer

        def request(sess: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            parts = urlsplit(str(url))
            path = parts.path
            kind = ("history" if ("kline" in path or "klc_kl" in path or "getDailyKLine" in path)
                    else "snapshot" if "clist" in path else "other")
            self.counts[(parts.hostname or "", kind)] += 1
            return inner(sess, method, url, *args, **kwargs)

        requests.sessions.Session.request = request  # type: ignore[method-assign]
        try:
            yield
        finally:
            requests.sessions.Session.request = inner  # type: ignore[method-assign]

    def snap(self) -> Counter[tuple[str, str]]:
        return Counter(self.counts)

    def since(self, before: Counter[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return {k: v - before.get(k, 0) for k, v in self.counts.items() if v - before.get(k, 0)}


def by_host(d: dict[tuple[str, str], int]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for (h, _), n in d.items():
        out[h] += n
    return dict(out)


def by_kind(d: dict[tuple[str, str], int], kind: str) -> int:
    return sum(n for (_, k), n in d.items() if k == kind)


# ---- data --------------------------------------------------------------------------------------------
def build_market(n: int, seed: int, log: Callable[[str], None]) -> tuple[pd.DataFrame, pa.Table, pa.Table, str]:
    pool = load_pool(DEFAULT_SOURCE, 20)
    spec = ScaleSpec(symbols=n, years=10, seed=seed)
    cal, note = trading_calendar(pool, spec)
    bars, inst = generate(pool, spec, cal)
    log(f"synthetic market: {n:,} symbols, {bars.num_rows:,} rows, {len(cal)} dates ({note})")
    df = bars.to_pandas()          # dates as datetime.date objects, as ReplayData keeps them
    return df, bars, inst, note


def replay_data(df: pd.DataFrame, inst: pa.Table) -> tuple[BenchData, list[str]]:
    data = BenchData()
    real = sorted(data.stock["symbol"].unique())
    cols = ["date", "open", "high", "low", "close", "preclose", "volume", "amount", "turnover", "trade_status"]
    data.extra = {s: g[cols].reset_index(drop=True) for s, g in df.groupby("symbol", sort=True)}
    symbols = list(data.extra)
    # hfq prices: the synthetic bars × the adjustment factors of a real sample stock (real ex-dates)
    data.extra_base = {s: real[i % len(real)] for i, s in enumerate(symbols)}
    data.instruments = inst.to_pandas()     # names 合成xxxxxx: no real company name on a synthetic code
    return data, symbols


def seed_store(home: Path, bars: pa.Table, inst: pa.Table) -> float:
    """The user's store before the daily update: 10 years of every symbol up to the previous session."""
    from jupyterlab_quant.data.store import MarketStore

    t0 = time.perf_counter()
    store = MarketStore(home / "store")
    store.write("instruments", inst, origin="synthetic")
    before = bars.filter(pc.less(bars.column("date"), pa.scalar(DAY, pa.date32())))
    years = pc.year(before.column("date"))
    for y in pc.unique(years).to_pylist():
        store.write("bars_1d", before.filter(pc.equal(years, y)), origin=f"synthetic {y}")
    return time.perf_counter() - t0


def clone_home(src: Path, dst: Path) -> None:
    """Hard-link copy: store files are write-once (writes stage new files, the manifest is os.replace'd)."""
    try:
        shutil.copytree(src, dst, copy_function=os.link)
    except OSError:
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)


def updater(home: Path) -> Any:
    from jupyterlab_quant.data.fetch import Fetcher, FetchPolicy, StateDB
    from jupyterlab_quant.data.store import MarketStore
    from jupyterlab_quant.data.update import UpdateService

    fetcher = Fetcher(StateDB(home / "state" / "sources.db"), FetchPolicy())
    svc = UpdateService(MarketStore(home / "store"), fetcher, now=lambda: NOW)
    # instance-level timers (no product change): seconds inside akshare calls and inside store writes
    spent = {"source_calls_s": 0.0, "store_writes_s": 0.0}

    def timer(fn: Callable[..., Any], key: str) -> Callable[..., Any]:
        def wrapped(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[key] += time.perf_counter() - t0
        return wrapped

    fetcher.call = timer(fetcher.call, "source_calls_s")            # type: ignore[method-assign]
    svc.store.write = timer(svc.store.write, "store_writes_s")      # type: ignore[method-assign]
    svc.bench_spent = spent
    return svc


# ---- the naive loop ------------------------------------------------------------------------------------
def naive_loop(codes: list[str], start: str, end: str, csv: Path, budget_s: float | None = None
               ) -> tuple[pd.DataFrame, int, float, float]:
    """for code: ak.stock_zh_a_hist(code, start, end, adjust=""); pd.concat; to_csv. Returns
    (frame, calls made, seconds in the loop, seconds for concat + CSV)."""
    import akshare as ak

    frames = []
    t0 = time.perf_counter()
    n = 0
    for code in codes:
        frames.append(ak.stock_zh_a_hist(symbol=code, period="daily", start_date=start, end_date=end, adjust=""))
        n += 1
        if budget_s is not None and time.perf_counter() - t0 > budget_s:
            break
    t1 = time.perf_counter()
    out = pd.concat(frames, ignore_index=True)
    out.to_csv(csv, index=False)
    return out, n, t1 - t0, time.perf_counter() - t1


def naive_as_bars(raw: pd.DataFrame, sym_of: dict[str, str]) -> pd.DataFrame:
    """The naive loop's frame in our units: 成交量 手 → shares, preclose = 收盘 − 涨跌额."""
    return pd.DataFrame({
        "symbol": raw["股票代码"].map(sym_of), "date": raw["日期"],
        "open": raw["开盘"].astype(float), "high": raw["最高"].astype(float), "low": raw["最低"].astype(float),
        "close": raw["收盘"].astype(float), "preclose": (raw["收盘"] - raw["涨跌额"]).astype(float),
        "volume": (raw["成交量"].astype(float) * 100).round().astype("int64"), "amount": raw["成交额"].astype(float),
        "turnover": raw["换手率"].astype(float)})


# ---- equivalence ---------------------------------------------------------------------------------------
PRICE = ["open", "high", "low", "close"]


def same_rows(what: str, ours: pd.DataFrame, other: pd.DataFrame, other_name: str,
              exact: tuple[str, ...] = ("open", "high", "low", "close", "volume", "amount")) -> int:
    """Assert ``other`` has exactly ``ours``' (symbol, date) keys and equal values; returns rows compared."""
    a = ours.sort_values(["symbol", "date"]).reset_index(drop=True)
    b = other.sort_values(["symbol", "date"]).reset_index(drop=True)
    assert len(a) == len(b), f"{what}: ours has {len(a):,} rows, {other_name} {len(b):,}"
    assert (a["symbol"].to_numpy() == b["symbol"].to_numpy()).all(), f"{what}: symbols differ from {other_name}"
    assert (a["date"].to_numpy() == b["date"].to_numpy()).all(), f"{what}: dates differ from {other_name}"
    for c in exact:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        bad = int((x != y).sum())
        assert bad == 0, f"{what}: column {c} differs from {other_name} in {bad} rows (first: ours {x[x != y][0]}, " \
                         f"{other_name} {y[x != y][0]})"
    diff = float(np.max(np.abs(a["preclose"].to_numpy(float) - b["preclose"].to_numpy(float)), initial=0.0))
    assert diff < 1e-6, f"{what}: preclose differs from {other_name} by up to {diff:g}"
    return len(a)


# ---- helpers -------------------------------------------------------------------------------------------
def med(xs: list[float]) -> float:
    return float(statistics.median(xs))


def loadavg() -> tuple[float, float, float]:
    return os.getloadavg()


def machine() -> dict[str, Any]:
    import akshare

    return machine_info(akshare=akshare.__version__, pandas=pd.__version__, requests=requests.__version__)


# ---- the run -------------------------------------------------------------------------------------------
def run(args: argparse.Namespace, work: Path, log: Callable[[str], None]) -> dict[str, Any]:
    from jupyterlab_quant.data.fetch import reset_request_counts

    res: dict[str, Any] = {"machine": machine(), "load_start": loadavg(), "args": vars(args).copy()}
    t = time.perf_counter()
    df, bars, inst, cal_note = build_market(args.market, args.seed, log)
    data, symbols = replay_data(df, inst)
    res["prep_s"] = time.perf_counter() - t
    res["market"] = {"symbols": len(symbols), "rows": int(bars.num_rows), "calendar": cal_note}
    truth_day = df[(df["date"] == DAY) & (df["trade_status"] == 1)]
    res["market"]["traded_on_day"] = len(truth_day)
    res["market"]["suspended_on_day"] = int(((df["date"] == DAY) & (df["trade_status"] == 0)).sum())
    sym_of = {s[:6]: s for s in symbols}
    res["fast_check_rows"] = check_fast(data, symbols[:: max(1, len(symbols) // 12)])
    assert len(sym_of) == len(symbols), "synthetic codes must be unique without the exchange suffix"

    rng = np.random.default_rng(args.seed)
    bf_syms = sorted(rng.choice(symbols, size=min(args.backfill, len(symbols)), replace=False).tolist())
    bf_truth = df[df["symbol"].isin(set(bf_syms)) & (df["date"] >= START) & (df["date"] <= DAY)
                  & (df["trade_status"] == 1)]
    res["backfill"] = {"symbols": len(bf_syms), "truth_rows": len(bf_truth)}

    log("seeding the store the daily update starts from (10 years up to the previous session)…")
    seed_home = work / "seed"
    res["seed_s"] = seed_store(seed_home, bars, inst)
    res["seed_rows"] = int(bars.num_rows - len(df[df["date"] == DAY]))
    log(f"  seeded {res['seed_rows']:,} rows in {res['seed_s']:.1f}s")
    del bars

    req = Requests()
    with replay_process(data, symbols) as base:
        log(f"replay server (pid child) at {base}")
        reset_request_counts()
        with routed(base, sleeps=[]), req.counting():
            # warm imports and connections so the first timed run does not pay akshare's import
            import akshare as ak
            ak.stock_zh_a_hist(symbol=bf_syms[0][:6], period="daily", start_date="20241231", end_date="20241231")

            # ---- 1 + 3b: whole market, today's bar -----------------------------------------------
            snap_runs, rerun_runs = [], []
            for i in range(args.reps):
                home = work / f"snap{i}"
                clone_home(seed_home, home)
                svc = updater(home)
                before = req.snap()
                t0 = time.perf_counter()
                rep = svc.update_snapshot()
                sec = time.perf_counter() - t0
                got = req.since(before)
                assert not rep.failures, rep.summary()
                assert rep.rows == len(truth_day), f"snapshot wrote {rep.rows} rows, {len(truth_day)} traded"
                assert by_kind(got, "history") == 0, f"snapshot issued history requests: {got}"
                snap_runs.append({"s": sec, "requests": by_host(got), "rows": rep.rows,
                                  "pages": by_kind(got, "snapshot"), "needs_backfill": len(rep.needs_backfill),
                                  "product_http": rep.http_requests,
                                  **{k: round(v, 3) for k, v in svc.bench_spent.items()}})
                if i == 0:
                    stored = svc.store.read("bars_1d")
                    stored_day = stored.filter(pc.equal(stored.column("date"), pa.scalar(DAY, pa.date32()))).to_pandas()
                    res["check_snapshot_truth"] = same_rows("snapshot vs generator", stored_day,
                                                            truth_day,
                                                            "generator truth")
                    snap_day_ours = stored_day
                    del stored
                before = req.snap()
                t0 = time.perf_counter()
                again = svc.update_snapshot()
                sec = time.perf_counter() - t0
                got = req.since(before)
                assert again.rows == 0 and by_kind(got, "history") == 0, f"snapshot re-run: {again.summary()} {got}"
                rerun_runs.append({"s": sec, "requests": by_host(got), "history": by_kind(got, "history"),
                                   "rows": again.rows, "up_to_date": again.up_to_date})
                log(f"  snapshot run {i + 1}: {snap_runs[-1]['s']:.2f}s, "
                    f"{snap_runs[-1]['requests']}, rows {rep.rows:,}; re-run {rerun_runs[-1]['s']:.2f}s "
                    f"{rerun_runs[-1]['requests']}")
                shutil.rmtree(home, ignore_errors=True)
            res["snapshot"] = snap_runs
            res["snapshot_rerun"] = rerun_runs

            # naive: one stock_zh_a_hist(code, day, day) per symbol
            log(f"naive today's-bar loop over {len(symbols):,} symbols (budget {args.naive_budget:.0f}s)…")
            before = req.snap()
            ymd = DAY.strftime("%Y%m%d")
            raw, n_calls, loop_s, out_s = naive_loop([s[:6] for s in symbols], ymd, ymd, work / "naive_day.csv",
                                                     args.naive_budget)
            got = req.since(before)
            assert by_kind(got, "history") == n_calls
            nv = naive_as_bars(raw, sym_of)
            done = set(symbols[:n_calls])
            res["check_snapshot_naive"] = same_rows(
                "snapshot vs naive loop", snap_day_ours[snap_day_ours["symbol"].isin(done)], nv, "naive loop")
            res["naive_day"] = {"calls": n_calls, "of": len(symbols), "loop_s": loop_s, "out_s": out_s,
                                "rows": len(raw), "requests": by_host(got),
                                "extrapolated_s": (loop_s + out_s) * len(symbols) / n_calls}
            log(f"  {n_calls:,} calls in {loop_s:.1f}s + concat/CSV {out_s:.2f}s")

            # ---- 2 + 3a: 10-year backfill of 300 symbols, interleaved with the naive loop ------------
            ours_runs, naive_runs, bf_rerun = [], [], []
            s_ymd, e_ymd = START.strftime("%Y%m%d"), DAY.strftime("%Y%m%d")
            for i in range(args.backfill_reps):
                order = ("ours", "naive") if i % 2 == 0 else ("naive", "ours")
                for who in order:
                    if who == "ours":
                        home = work / f"backfill{i}"
                        svc = updater(home)
                        before = req.snap()
                        t0 = time.perf_counter()
                        rep = svc.update_daily(bf_syms, start=START, end=DAY)
                        sec = time.perf_counter() - t0
                        got = req.since(before)
                        assert not rep.failures, rep.summary()
                        assert rep.fetched == len(bf_syms) and rep.rows == len(bf_truth), rep.summary()
                        ours_runs.append({"s": sec, "requests": by_host(got), "history": by_kind(got, "history"),
                                          "rows": rep.rows, "factor_rows": rep.factor_rows,
                                          "product_http": rep.http_requests,
                                          **{k: round(v, 3) for k, v in svc.bench_spent.items()}})
                        if i == 0:
                            ours_bf = svc.store.read("bars_1d").to_pandas()
                        # 3a: nothing new
                        before = req.snap()
                        t0 = time.perf_counter()
                        again = svc.update_daily(bf_syms, start=START, end=DAY)
                        sec2 = time.perf_counter() - t0
                        got2 = req.since(before)
                        assert sum(got2.values()) == 0 and again.rows == 0, f"re-run issued requests: {got2}"
                        assert again.up_to_date == len(bf_syms), again.summary()
                        bf_rerun.append({"s": sec2, "requests": sum(got2.values()), "up_to_date": again.up_to_date})
                        log(f"  backfill run {i + 1} ours: {sec:.1f}s, {by_host(got)}, {rep.rows:,} rows "
                            f"+ {rep.factor_rows} factor rows; re-run {sec2:.2f}s, {sum(got2.values())} requests")
                        shutil.rmtree(home, ignore_errors=True)
                    else:
                        before = req.snap()
                        t0 = time.perf_counter()
                        raw, n_calls, loop_s, out_s = naive_loop([s[:6] for s in bf_syms], s_ymd, e_ymd,
                                                                 work / "naive_backfill.csv")
                        sec = time.perf_counter() - t0
                        got = req.since(before)
                        naive_runs.append({"s": sec, "loop_s": loop_s, "out_s": out_s, "rows": len(raw),
                                           "requests": by_host(got), "history": by_kind(got, "history"),
                                           "csv_mib": (work / "naive_backfill.csv").stat().st_size / 2**20})
                        if i == 0:
                            naive_bf = raw
                        log(f"  backfill run {i + 1} naive: {sec:.1f}s, {by_host(got)}, {len(raw):,} rows")
            res["backfill_ours"], res["backfill_naive"], res["backfill_rerun"] = ours_runs, naive_runs, bf_rerun

    # equivalence on every backfilled symbol
    cols = ["symbol", "date", "open", "high", "low", "close", "preclose", "volume", "amount", "turnover"]
    res["check_backfill_naive"] = same_rows("backfill vs naive loop", ours_bf[cols], naive_as_bars(naive_bf, sym_of),
                                            "naive loop", exact=("open", "high", "low", "close", "volume", "amount",
                                                                 "turnover"))
    res["check_backfill_truth"] = same_rows("backfill vs generator", ours_bf[cols], bf_truth[cols], "generator truth")
    res["load_end"] = loadavg()
    return res


# ---- rendering -----------------------------------------------------------------------------------------
def fmt_s(s: float) -> str:
    return f"{s * 1e3:.0f} ms" if s < 1 else f"{s:.2f} s" if s < 10 else f"{s:.1f} s" if s < 100 else f"{s:,.0f} s"


def fmt_req(d: dict[str, int]) -> str:
    if not d:
        return "0"
    return " + ".join(f"{n:,} `{h}`" for h, n in sorted(d.items()))


def render(r: dict[str, Any]) -> str:
    m = r["machine"]
    mk, bf = r["market"], r["backfill"]
    reps = len(r["snapshot"])
    snap_s = [x["s"] for x in r["snapshot"]]
    re_s = [x["s"] for x in r["snapshot_rerun"]]
    ours_s = [x["s"] for x in r["backfill_ours"]]
    naive_s = [x["s"] for x in r["backfill_naive"]]
    bfre_s = [x["s"] for x in r["backfill_rerun"]]
    nd = r["naive_day"]
    o0, n0, s0 = r["backfill_ours"][0], r["backfill_naive"][0], r["snapshot"][0]
    pages = s0["pages"]
    ours_req = sum(o0["requests"].values())
    nd_req_total = mk["symbols"]
    la0, la1 = r["load_start"], r["load_end"]
    busy = max(la0[0], la1[0]) > (m["nproc"] or 1)
    extrap = nd["calls"] < nd["of"]
    nd_label = (f"{fmt_s(nd['extrapolated_s'])} **extrapolated** from {nd['calls']:,} calls in "
                f"{fmt_s(nd['loop_s'] + nd['out_s'])}" if extrap else f"{fmt_s(nd['loop_s'] + nd['out_s'])} (1 run)")
    med_ours = med(ours_s)
    med_naive = med(naive_s)
    lines = [
        f"Last run: {m['date']} — {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['os']}; Python "
        f"{m['python']}, akshare {m['akshare']}, pandas {m['pandas']}, requests {m['requests']}. Load average "
        f"(1 min) at start / end: {la0[0]:.1f} / {la1[0]:.1f}"
        + (" — the machine was busy with other work: absolute times are inflated." if busy else "."),
        "",
        f"Market: {mk['symbols']:,} synthetic symbols × 10 years ({mk['rows']:,} rows); on {DAY} "
        f"{mk['traded_on_day']:,} traded and {mk['suspended_on_day']} were suspended. The daily update starts "
        f"from a store seeded with the "
        f"{r['seed_rows']:,} rows before {DAY} (seeding took {fmt_s(r['seed_s'])}, not timed below). Wall times are "
        f"medians of {reps} runs (backfill: {len(ours_s)} runs, ours and naive interleaved), every run listed in "
        f"brackets; each starts from a fresh copy of its store and state. Whole run: {fmt_s(r['total_s'])}.",
        "",
        "| scenario | approach | HTTP requests (per host) | wall time | rows | rows/s | at 1 request/s per host |",
        "|---|---|---|---:|---:|---:|---:|",
        f"| today's bar, whole market ({mk['symbols']:,} symbols) | **ours** `update_snapshot` "
        f"(`stock_zh_a_spot_em`, {pages} pages) | {fmt_req(s0['requests'])} | **{fmt_s(med(snap_s))}** "
        f"({', '.join(fmt_s(x) for x in snap_s)}) | {s0['rows']:,} | {s0['rows'] / med(snap_s):,.0f} | "
        f"≈{pages - 1:,} s (akshare sleeps 0.5–1.5 s between pages) |",
        f"| | naive: {nd_req_total:,} × `stock_zh_a_hist(code, day, day)`, concat, CSV | "
        f"{nd_req_total:,} `push2his.eastmoney.com`{' (extrapolated)' if extrap else ''} | {nd_label} | "
        f"{nd['rows']:,}{' (subset)' if extrap else ''} | {nd['rows'] / (nd['loop_s'] + nd['out_s']):,.0f} | "
        f"≈{nd_req_total / 60:,.0f} min (unthrottled in practice → eastmoney ban) |",
        f"| 10-year backfill, {bf['symbols']} symbols ({START} → {DAY}) | **ours** `update_daily` (unadjusted + hfq, "
        f"factors, validation, store) | {fmt_req(o0['requests'])} | **{fmt_s(med_ours)}** "
        f"({', '.join(fmt_s(x) for x in ours_s)}) | {o0['rows']:,} bars + {o0['factor_rows']:,} factor rows | "
        f"**{o0['rows'] / med_ours:,.0f}** | ≈{ours_req / 60:,.0f} min |",
        f"| | naive: {bf['symbols']} × `stock_zh_a_hist(code, start, end, adjust=\"\")`, concat, CSV | "
        f"{fmt_req(n0['requests'])} | {fmt_s(med_naive)} ({', '.join(fmt_s(x) for x in naive_s)}) | "
        f"{n0['rows']:,} (no factors) | {n0['rows'] / med_naive:,.0f} | ≈{n0['history'] / 60:,.0f} min |",
        f"| incremental re-run, nothing new | **ours** `update_daily` (same {bf['symbols']} symbols and range) | "
        f"**0** (asserted) | {fmt_s(med(bfre_s))} | 0 | — | 0 s |",
        f"| | **ours** `update_snapshot` again | {fmt_req(r['snapshot_rerun'][0]['requests'])} — **0 history** "
        f"(asserted) | {fmt_s(med(re_s))} | 0 | — | ≈{pages - 1} s |",
        "| | naive loop again | same as its first run (it keeps no state) | = first run | | | |",
        "",
        f"Where our time goes (median run): snapshot — {fmt_s(med([x['source_calls_s'] for x in r['snapshot']]))} "
        f"inside akshare (requests + parsing, replay server included), "
        f"{fmt_s(med([x['store_writes_s'] for x in r['snapshot']]))} in store writes (the 2024 partition is "
        f"rewritten), the rest planning against the {r['seed_rows']:,}-row store; backfill — "
        f"{fmt_s(med([x['source_calls_s'] for x in r['backfill_ours']]))} inside akshare for {ours_req} requests "
        f"(the naive loop spends {fmt_s(med([x['loop_s'] for x in r['backfill_naive']]))} on its "
        f"{n0['history']}), {fmt_s(med([x['store_writes_s'] for x in r['backfill_ours']]))} in store writes "
        f"(batches of 20 symbols), the rest normalising, deriving factors and validating. The naive CSV is "
        f"{n0['csv_mib']:.0f} MiB; concat + `to_csv` took {fmt_s(med([x['out_s'] for x in r['backfill_naive']]))}.",
        "",
        f"Equivalence asserted in the run (a mismatch fails it): the backfilled store equals the naive loop's "
        f"bars after 手 → shares and preclose = 收盘 − 涨跌额 on all {r['check_backfill_naive']:,} rows of the "
        f"{bf['symbols']} symbols (open/high/low/close/volume/amount/turnover exactly, preclose within 1e-6) and "
        f"equals the generator's traded rows ({r['check_backfill_truth']:,}); the snapshot's {DAY} rows equal the "
        f"generator's {r['check_snapshot_truth']:,} traded rows and the naive loop's "
        f"{r['check_snapshot_naive']:,} rows for the symbols it fetched. The product's own per-host request "
        f"count agrees: {fmt_req(o0['product_http'])} (backfill), {fmt_req(s0['product_http'])} (snapshot).",
    ]
    return "\n".join(lines)


def write_readme(text: str) -> None:
    body = README.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in body and END in body:
        head, rest = body.split(BEGIN, 1)
        body = head + block + rest.split(END, 1)[1]
    else:
        body = body.rstrip() + f"\n\n{HEADING}\n\n{block}\n"
    README.write_text(body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: 600 symbols, 30 backfilled, 1 repetition")
    ap.add_argument("--market", type=int, default=5600, help="symbols in the synthetic market (default 5600)")
    ap.add_argument("--backfill", type=int, default=300, help="symbols in the 10-year backfill (default 300)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of the snapshot scenarios (default 3)")
    ap.add_argument("--backfill-reps", type=int, default=2,
                    help="repetitions of the 300-symbol backfill, ours and naive interleaved (default 2: ≈2 min each)")
    ap.add_argument("--naive-budget", type=float, default=45.0,
                    help="seconds for the naive whole-market loop; beyond it the rest is extrapolated")
    ap.add_argument("--seed", type=int, default=ScaleSpec.seed)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--readme", action=argparse.BooleanOptionalAction, default=None,
                    help="write results into benchmarks/README.md (default: only for the full-size run)")
    args = ap.parse_args(argv)
    if args.quick:
        args.market, args.backfill, args.reps, args.backfill_reps, args.naive_budget = 600, 30, 1, 1, 20.0
    full = (args.market, args.backfill) == (5600, 300) and args.reps >= 3 and args.backfill_reps >= 2
    t_start = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    work = Path(tempfile.mkdtemp(prefix="jlq-bench-update-"))
    os.environ["JLQ_HOME"] = str(work / "jlq_home")
    try:
        result = run(args, work, log)
    except AssertionError as exc:
        print(f"EQUIVALENCE / BEHAVIOUR CHECK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    result["total_s"] = time.perf_counter() - t_start
    out = BENCH_DIR / ".scale" / ("update-results.json" if full else "update-results-smoke.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str))
    text = render(result)
    print(text)
    if args.readme or (args.readme is None and full):
        write_readme(text)
        log(f"results written to {README}")
    log(f"done in {result['total_s']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
