"""Background data-update jobs started from the UI: state kept in memory, work in the executor.

One job at a time per server (the store's write lock serialises writers anyway); the Market panel
polls ``GET /v1/update/<id>`` for progress. Jobs are forgotten after ``KEEP`` newer ones.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..core.errors import QuantError, StoreBusy

KEEP = 20


@dataclass
class UpdateJob:
    id: str
    symbols: list[str]
    state: str = "running"          # running | done | failed
    done: int = 0
    total: int = 0
    symbol: str | None = None
    eta_s: float | None = None
    message: str = ""
    error: dict[str, str] | None = None
    failed_symbols: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class UpdateJobs:
    def __init__(self) -> None:
        self._jobs: dict[str, UpdateJob] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> UpdateJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def recent(self) -> list[UpdateJob]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.started_at, reverse=True)

    def start(self, symbols: list[str], submit: Callable[[Callable[[], None]], Any],
              run: Callable[[UpdateJob], tuple[str, list[str]]]) -> UpdateJob:
        with self._lock:
            if any(j.state == "running" for j in self._jobs.values()):
                raise StoreBusy("已有数据更新在进行中 (an update is already running)", "等待其完成后再试")
            job = UpdateJob(id=uuid.uuid4().hex[:12], symbols=symbols)
            self._jobs[job.id] = job
            for old in sorted(self._jobs.values(), key=lambda j: j.started_at)[:-KEEP]:
                self._jobs.pop(old.id, None)

        def work() -> None:
            try:
                job.message, job.failed_symbols = run(job)
                job.state = "failed" if job.failed_symbols and len(job.failed_symbols) == len(symbols) else "done"
            except QuantError as exc:
                job.state, job.error, job.message = "failed", exc.to_dict(), exc.message
            except Exception as exc:  # reported to the UI, never lost in a thread
                job.state, job.message = "failed", f"内部错误 (internal error): {exc}"
                job.error = {"error": "internal", "message": job.message, "hint": "查看服务器日志"}
            finally:
                job.finished_at = time.time()

        submit(work)
        return job
