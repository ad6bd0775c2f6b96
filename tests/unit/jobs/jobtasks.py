"""Job functions for the runner tests; importable by the Dask worker processes (tests.unit.jobs.jobtasks)."""

from __future__ import annotations

import time

from jupyterlab_quant.core.errors import Cancelled, StrategyError
from jupyterlab_quant.jobs import JobStore, current


def ok(x: int) -> dict:
    ctx = current()
    for i in range(5):
        ctx.progress((i + 1) / 5)
    return {"summary": {"x": x, "square": x * x}}


def boom() -> None:
    raise ValueError("boom from the job")


def strategy_fails() -> None:
    raise StrategyError("策略出错 (strategy raised)", "修正策略", traceback="File \"s.py\", line 3, in next\n")


def slow(seconds: float, check: bool = True) -> dict:
    """Sleep in small steps, reporting progress; stop cooperatively when asked (check=True)."""
    ctx = current()
    t0 = time.monotonic()
    while (elapsed := time.monotonic() - t0) < seconds:
        if check and ctx.should_stop():
            raise Cancelled("stopped", "")
        ctx.progress(elapsed / seconds)
        time.sleep(0.02)
    return {"summary": {"slept": seconds}}


def spin() -> None:
    """A strategy stuck in an endless pure-Python loop that never looks at should_stop."""
    n = 0
    while True:
        n += 1


def c_sleep(seconds: float) -> None:
    """Stuck inside one C call: async exceptions are not delivered until it returns."""
    time.sleep(seconds)


def hammer(db_path: str, job_ids: list[str], n: int) -> dict:
    """Write progress of several jobs as fast as possible (bypassing the 0.25 s throttle)."""
    store = JobStore(db_path)
    for i in range(n):
        for jid in job_ids:
            store.set_progress(jid, i / n)
    return {"summary": {"writes": n * len(job_ids)}}


def write_result(path: str) -> dict:
    from pathlib import Path

    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    (p / "result.json").write_text("{}", encoding="utf-8")
    return {"summary": {"ok": True}, "result_path": str(p)}
