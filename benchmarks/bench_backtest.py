"""Backtest benchmark: plain Backtrader vs ours (all A-share rules on), same strategy, same real data.

Runs in one process, alternating the two approaches so machine noise hits both alike:

* **plain** — what a user writes today: ``QueryService.bars()`` → ``bt.feeds.PandasData`` → ``Cerebro``
  with ``setcommission(0.00025)``, the same SMA-cross strategy, ``cerebro.run()``.
* **ours** — ``engine.run_spec()``: store feed (suspensions as gaps), A-share broker (next-open fills,
  limits, lots, T+1, dated fees with the 5 CNY minimum, ex-date rescaling), equity recorder,
  metrics + stress windows (``finalize``).

Both read 600519.SH 2015-01-05 → 2024-12-31 (10 years, real sample data) from a store built from
``data/sample`` in a temp dir. Also timed: the same run as a fresh ``jlq backtest run`` process (cold:
imports + snapshot mmap + run), and a 5-symbol portfolio. ``--jobs N`` adds the Dask jobs benchmark
(N queued jobs with workers killed at random) when ``jupyterlab_quant.jobs`` provides it.

    .venv/bin/python benchmarks/bench_backtest.py [--reps 7] [--no-readme]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import backtrader as bt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _scale import machine_info  # noqa: E402

from jupyterlab_quant.backtest.engine import run_spec  # noqa: E402
from jupyterlab_quant.backtest.spec import BacktestSpec  # noqa: E402
from jupyterlab_quant.core.settings import Settings  # noqa: E402
from jupyterlab_quant.data.ingest import load_sample  # noqa: E402
from jupyterlab_quant.data.query import QueryService  # noqa: E402
from jupyterlab_quant.data.store import MarketStore  # noqa: E402

STRATEGY = '''import backtrader as bt


class SmaCross(bt.Strategy):
    params = (("fast", 10), ("slow", 30))

    def __init__(self):
        self.cross = {d: bt.ind.CrossOver(bt.ind.SMA(d.close, period=self.p.fast),
                                          bt.ind.SMA(d.close, period=self.p.slow)) for d in self.datas}

    def next(self):
        for d in self.datas:
            pos = self.getposition(d).size
            if self.cross[d] > 0 and not pos:
                self.order_target_percent(d, target=0.95 / len(self.datas))
            elif self.cross[d] < 0 and pos:
                self.close(d)
'''
START, END = "2015-01-05", "2024-12-31"
SINGLE = ("600519.SH",)
PORTFOLIO = ("600519.SH", "000001.SZ", "000858.SZ", "600036.SH", "300750.SZ")
README = ROOT / "benchmarks" / "README.md"
SECTION = "## Backtests (plain Backtrader vs ours)"


def plain_backtrader(query: QueryService, symbols: tuple[str, ...], cls: type) -> float:
    cerebro = bt.Cerebro(stdstats=False)
    for sym in symbols:
        df = query.bars(sym, START, END)
        frame = df.set_index("date")[["open", "high", "low", "close", "volume"]]
        frame.index = frame.index.astype("datetime64[ns]")
        cerebro.adddata(bt.feeds.PandasData(dataname=frame, openinterest=None), name=sym)
    cerebro.broker.setcash(1_000_000)
    cerebro.broker.setcommission(commission=0.00025)
    cerebro.addstrategy(cls)
    cerebro.run()
    return float(cerebro.broker.getvalue())


def ours(query: QueryService, home: Path, symbols: tuple[str, ...]) -> float:
    spec = BacktestSpec(symbols=symbols, start=START, end=END, strategy_source=STRATEGY)
    return run_spec(spec, query, home=home).final_value


def median_ms(xs: list[float]) -> float:
    return round(statistics.median(xs) * 1000, 1)


def timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=7, help="repetitions per approach (median reported)")
    ap.add_argument("--no-readme", action="store_true", help="print only; do not update benchmarks/README.md")
    ap.add_argument("--jobs", type=int, default=0, help="also run N Dask jobs with random worker kills")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="jlq-bench-bt-"))
    settings = Settings.from_env(tmp)
    store = MarketStore(settings.store_dir)
    load_sample(store)
    query = QueryService(store)
    ns: dict[str, Any] = {}
    exec(compile(STRATEGY, "sma_cross.py", "exec"), ns)
    cls = ns["SmaCross"]
    bars = len(query.bars(SINGLE[0], START, END))

    # warm both paths once (imports, snapshot mmap, Backtrader metaclasses)
    plain_backtrader(query, SINGLE, cls)
    ours(query, settings.home, SINGLE)
    rows: dict[str, dict[str, list[float]]] = {"single": {"plain": [], "ours": []},
                                               "portfolio": {"plain": [], "ours": []}}
    for _ in range(a.reps):
        for case, syms in (("single", SINGLE), ("portfolio", PORTFOLIO)):
            rows[case]["plain"].append(timed(lambda s=syms: plain_backtrader(query, s, cls)))
            rows[case]["ours"].append(timed(lambda s=syms: ours(query, settings.home, s)))

    strat = tmp / "sma_cross.py"
    strat.write_text(STRATEGY, encoding="utf-8")
    cold: list[float] = []
    jlq = [sys.executable, "-m", "jupyterlab_quant", "backtest", "run", str(strat), "--symbols", SINGLE[0],
           "--start", START, "--end", END, "--quiet", "--json", str(tmp / "out.json")]
    env = {**os.environ, "JLQ_HOME": str(tmp)}
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(jlq, check=True, capture_output=True, env=env)
        cold.append(time.perf_counter() - t)
    engine_s = json.loads((tmp / "out.json").read_text(encoding="utf-8"))["elapsed_s"]

    res: dict[str, Any] = {"machine": machine_info(backtrader=bt.__version__), "bars": bars, "reps": a.reps}
    for case in rows:
        p, o = median_ms(rows[case]["plain"]), median_ms(rows[case]["ours"])
        res[case] = {"plain_ms": p, "ours_ms": o, "ratio": round(o / p, 2)}
    res["cold_process_ms"] = median_ms(cold)
    res["cold_engine_ms"] = round(engine_s * 1000, 1)
    if a.jobs:
        from bench_jobs import run_jobs_benchmark  # type: ignore[import-not-found]

        res["jobs"] = run_jobs_benchmark(a.jobs)
    print(json.dumps(res, ensure_ascii=False, indent=2))
    if not a.no_readme:
        write_readme(res)
    return 0


def jobs_lines(j: dict[str, Any]) -> list[str]:
    """Markdown rows of the Dask jobs benchmark (``bench_jobs.run_jobs_benchmark``)."""
    retried = sum(n for a, n in j["attempts"].items() if int(a) > 1)
    return [
        f"Jobs (`benchmarks/bench_jobs.py`): {j['jobs']} real backtests (SMA cross, 600519.SH, 2020) queued at once "
        "on the LocalCluster (2 worker processes, one task each), workers SIGKILLed at random (mean every "
        f"{j.get('kill_every_s', 4)} s):",
        "",
        "| jobs | workers killed | done | failed | retried (attempts > 1) | success rate | wall | throughput "
        "| target |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {j['jobs']} | {j['kills']} | {j['status'].get('done', 0)} | {j['status'].get('failed', 0)} | {retried} | "
        f"{j['success_rate']:.2%} | {j['wall_s']} s | {j['throughput_jobs_per_s']} jobs/s | ≥ 99.9 % |",
        "",
        "This benchmark found a real failure: when a worker was killed again while its nanny restarted it, "
        "LocalCluster closed that nanny for good, and with both gone the queue stalled (274 of 1,000 done). "
        "The runner now starts replacements (`JobRunner.heal`); under an extreme kill rate (every 0.7 s, 73 "
        "kills) 300 of 300 jobs completed. A task is given up (`job_lost`) after its worker died 6 times.",
        "",
    ]


def write_readme(r: dict[str, Any]) -> None:
    m = r["machine"]
    s, p = r["single"], r["portfolio"]
    lines = [
        SECTION, "",
        "`.venv/bin/python benchmarks/bench_backtest.py` — SMA cross (10/30) on real sample data, 2015-01-05 → "
        "2024-12-31, plain Backtrader and ours alternated in one process, median of "
        f"{r['reps']} runs each. Both sides read from the same store; ours adds every A-share rule, the "
        "equity recorder, metrics and stress windows. Plain uses `setcommission(0.00025)` (no minimum, no "
        "taxes, no lots, no limits, no T+1) — so its trades differ; the point is the cost of the rules.",
        "",
        f"Machine: {m['nproc']} cores, {m['cpu']}, {m['ram_gib']} GiB, Python {m['python']}, Backtrader "
        f"{m['backtrader']}, {m['date']}.",
        "",
        "| case | plain Backtrader | ours (all rules) | ratio ours/plain | target |",
        "|---|---|---|---|---|",
        f"| 1 stock × 10 years ({r['bars']} bars), in-process | {s['plain_ms']} ms | {s['ours_ms']} ms | "
        f"{s['ratio']}× | ≤ 1.3× |",
        f"| 5 stocks × 10 years, in-process | {p['plain_ms']} ms | {p['ours_ms']} ms | {p['ratio']}× | ≤ 1.3× |",
        f"| 1 stock × 10 years, fresh `jlq backtest run` process | — | {r['cold_process_ms']} ms wall "
        f"(engine {r['cold_engine_ms']} ms) | — | ≤ 1 s end to end |",
        "",
        "Why ours can be faster than plain: our feed preloads from numpy arrays, while `PandasData` reads "
        "each bar with `iloc` (≈0.3 ms per bar per symbol); the rules themselves cost ≈ 40–100 ms per 2,400 bars "
        "per symbol. The single-stock ratio moves between ≈1.1× and 1.3× from run to run on this 2-core "
        "machine. The cold process spends most of its wall time importing Python packages (pandas, "
        "Backtrader, DuckDB, pyarrow); the engine part (store read, run, metrics) is the number in brackets.",
        "",
    ]
    if "jobs" in r:
        lines += jobs_lines(r["jobs"])
    text = README.read_text(encoding="utf-8")
    if SECTION in text:
        head, _, rest = text.partition(SECTION)
        nxt = rest.find("\n## ")
        text = head + "\n".join(lines) + (rest[nxt + 1:] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
