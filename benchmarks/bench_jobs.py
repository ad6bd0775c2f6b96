"""Jobs benchmark: N real backtest jobs queued at once on the Dask LocalCluster (2 worker processes),
with worker processes SIGKILLed at random while they run. Reports the success rate, retries and throughput.

Each job is a real backtest (SMA cross on 600519.SH over 2020, sample data) through
``BacktestService.submit`` → Dask → ``run_job`` (result.json + report.html written, retention applied).
A killer thread picks a random worker every ``--kill-every`` seconds on average (exponential) and kills
it with SIGKILL; the nanny restarts it and Dask reschedules the task that was running there.

    .venv/bin/python benchmarks/bench_jobs.py [--jobs 1000] [--kill-every 4]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jupyterlab_quant.backtest.service import BacktestService  # noqa: E402
from jupyterlab_quant.backtest.spec import BacktestSpec  # noqa: E402
from jupyterlab_quant.core.settings import Settings  # noqa: E402
from jupyterlab_quant.data.ingest import load_sample  # noqa: E402
from jupyterlab_quant.data.query import QueryService  # noqa: E402
from jupyterlab_quant.data.store import MarketStore  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_backtest import STRATEGY  # noqa: E402  (the same SMA cross as the engine benchmark)


def run_jobs_benchmark(n_jobs: int, kill_every_s: float = 4.0, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    home = Path(tempfile.mkdtemp(prefix="jlq-bench-jobs-"))
    settings = Settings.from_env(home, backtest_workers=2, reports_keep=100)
    store = MarketStore(settings.store_dir)
    load_sample(store)
    svc = BacktestService(settings, QueryService(store))
    runner = svc.runner
    runner.client().wait_for_workers(2, timeout=120)
    kills = 0
    stop = threading.Event()

    def killer() -> None:
        nonlocal kills
        while not stop.wait(rng.expovariate(1 / kill_every_s)):
            try:
                pids = list(runner.worker_pids().values())
            except Exception:
                continue
            if pids:
                try:
                    os.kill(rng.choice(pids), signal.SIGKILL)
                    kills += 1
                except ProcessLookupError:
                    pass

    t0 = time.perf_counter()
    ids = []
    for i in range(n_jobs):
        spec = BacktestSpec(symbols=("600519.SH",), start="2020-01-02", end="2020-12-31", strategy_source=STRATEGY,
                            params={"fast": 3 + i % 7, "slow": 20 + i % 11}, label=f"bench {i}")
        ids.append(svc.submit(spec)["id"])
    submit_s = time.perf_counter() - t0
    th = threading.Thread(target=killer, daemon=True)
    th.start()
    while True:
        active = runner.store.active()
        if not active:
            break
        time.sleep(1.0)
    stop.set()
    wall = time.perf_counter() - t0
    recs = [runner.store.get(i) for i in ids]
    status = Counter(r.status for r in recs if r is not None)
    attempts = Counter(r.attempts for r in recs if r is not None)
    errors = Counter((r.error or {}).get("error", "") for r in recs if r is not None and r.status != "done")
    svc.close()
    return {"jobs": n_jobs, "kills": kills, "kill_every_s": kill_every_s, "status": dict(status),
            "attempts": dict(sorted(attempts.items())),
            "errors": dict(errors), "success_rate": round(status.get("done", 0) / n_jobs, 5),
            "wall_s": round(wall, 1), "submit_s": round(submit_s, 2),
            "throughput_jobs_per_s": round(n_jobs / wall, 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=1000, help="number of jobs queued at once")
    ap.add_argument("--kill-every", type=float, default=4.0, help="mean seconds between worker kills (0 = none)")
    a = ap.parse_args()
    res = run_jobs_benchmark(a.jobs, a.kill_every if a.kill_every > 0 else 1e9)
    print(json.dumps(res, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
