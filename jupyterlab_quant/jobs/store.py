"""Job records in SQLite (WAL): ``$JLQ_HOME/state/jobs.db``.

One row per job: ``queued → running → done | failed | cancelled``. The server, the Dask worker processes
(progress, status) and the CLI all write here, so every statement is short, parameter-bound and runs
in autocommit mode; status changes are guarded (``WHERE status IN (...)``) so a late writer can never
move a job out of a final state — e.g. a worker finishing after the server already timed the job out.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import QuantError

STATUSES = ("queued", "running", "done", "failed", "cancelled")
ACTIVE = ("queued", "running")
FINAL = ("done", "failed", "cancelled")


class JobNotReady(QuantError):
    """The job has no result yet, or ended without one (→ HTTP 409)."""

    code = "job_not_ready"


class JobsUnavailable(QuantError):
    """The Dask cluster could not be started or reached (→ HTTP 503)."""

    code = "jobs_unavailable"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def owner_tag() -> str:
    """``host:pid`` of the process that submitted a job (used to find jobs orphaned by a dead server)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class JobRecord:
    id: str
    kind: str
    label: str
    status: str
    spec: dict[str, Any]
    progress: float = 0.0
    submitted: str = ""
    started: str | None = None
    finished: str | None = None
    attempts: int = 0
    error: dict[str, str] | None = None
    summary: dict[str, Any] | None = None
    cancel_requested: bool = False
    cancel_requested_at: float | None = None
    archived: bool = False
    result_path: str | None = None
    timeout_s: float | None = None
    owner: str = ""
    worker: str | None = None
    pid: int | None = None
    started_ts: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def to_dict(self, *, spec_keys_out: tuple[str, ...] = ()) -> dict[str, Any]:
        """The wire form (``server_extension/schema/backtest_job.json``)."""
        spec = {k: v for k, v in self.spec.items() if k not in spec_keys_out}
        return {"id": self.id, "kind": self.kind, "status": self.status, "progress": round(self.progress, 4),
                "spec": spec, "submitted": self.submitted, "started": self.started, "finished": self.finished,
                "error": self.error, "summary": self.summary, "attempts": self.attempts,
                "archived": self.archived, "label": self.label}


_COLUMNS = ("id, kind, label, status, spec, progress, submitted, started, finished, attempts, error, summary, "
            "cancel_requested, cancel_requested_at, archived, result_path, timeout_s, owner, worker, pid, "
            "started_ts")


def _record(row: tuple[Any, ...]) -> JobRecord:
    (id_, kind, label, status, spec, progress, submitted, started, finished, attempts, error, summary,
     cancel_requested, cancel_requested_at, archived, result_path, timeout_s, owner, worker, pid, started_ts) = row
    return JobRecord(id=id_, kind=kind, label=label, status=status, spec=json.loads(spec), progress=progress,
                     submitted=submitted, started=started, finished=finished, attempts=attempts,
                     error=json.loads(error) if error else None, summary=json.loads(summary) if summary else None,
                     cancel_requested=bool(cancel_requested), cancel_requested_at=cancel_requested_at,
                     archived=bool(archived), result_path=result_path, timeout_s=timeout_s, owner=owner or "",
                     worker=worker, pid=pid, started_ts=started_ts)


def _dumps(obj: Any) -> str | None:
    return None if obj is None else json.dumps(obj, ensure_ascii=False, allow_nan=False, default=str)


class JobStore:
    """Parameter-bound SQL over ``jobs.db``; safe for concurrent writers in several processes."""

    def __init__(self, path: Path | str, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript("""
                CREATE TABLE IF NOT EXISTS jobs (
                    id TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL DEFAULT '',
                    status TEXT NOT NULL, spec TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0,
                    submitted TEXT NOT NULL, started TEXT, finished TEXT, attempts INTEGER NOT NULL DEFAULT 0,
                    error TEXT, summary TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0,
                    cancel_requested_at REAL, archived INTEGER NOT NULL DEFAULT 0, result_path TEXT,
                    timeout_s REAL, owner TEXT, worker TEXT, pid INTEGER, started_ts REAL,
                    seq INTEGER);
                CREATE INDEX IF NOT EXISTS jobs_listing ON jobs(kind, archived, seq);
            """)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        try:
            con.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            yield con
        finally:
            con.close()

    # ---- create / read --------------------------------------------------------------------------
    def create(self, kind: str, spec: dict[str, Any], *, label: str = "", timeout_s: float | None = None,
               job_id: str | None = None, owner: str | None = None) -> JobRecord:
        job_id = job_id or new_id()
        with self.connect() as con:
            con.execute(
                "INSERT INTO jobs (id, kind, label, status, spec, submitted, timeout_s, owner, seq) "
                "VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs))",
                (job_id, kind, label, _dumps(spec), now_iso(), timeout_s, owner if owner is not None else owner_tag()))
        rec = self.get(job_id)
        assert rec is not None
        return rec

    def get(self, job_id: str) -> JobRecord | None:
        with self.connect() as con:
            row = con.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _record(row) if row else None

    def listing(self, kind: str | None = None, *, archived: bool | None = False, limit: int = 100,
             offset: int = 0) -> tuple[list[JobRecord], int]:
        """Newest first; ``archived=None`` lists both. Returns (page, total matching)."""
        where: list[str] = []
        args: list[Any] = []
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if archived is not None:
            where.append("archived = ?")
            args.append(int(archived))
        cond = f"WHERE {' AND '.join(where)}" if where else ""
        with self.connect() as con:
            total = con.execute(f"SELECT COUNT(*) FROM jobs {cond}", args).fetchone()[0]
            rows = con.execute(f"SELECT {_COLUMNS} FROM jobs {cond} ORDER BY seq DESC LIMIT ? OFFSET ?",
                               [*args, limit, offset]).fetchall()
        return [_record(r) for r in rows], total

    def active(self) -> list[JobRecord]:
        with self.connect() as con:
            rows = con.execute(f"SELECT {_COLUMNS} FROM jobs WHERE status IN ('queued', 'running') "
                               "ORDER BY seq").fetchall()
        return [_record(r) for r in rows]

    # ---- transitions (guarded) ------------------------------------------------------------------
    def start_attempt(self, job_id: str, worker: str | None = None, pid: int | None = None) -> JobRecord | None:
        """queued/running → running, attempts + 1; None when the job is final or its cancel was requested."""
        with self.connect() as con:
            cur = con.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, started = COALESCE(started, ?), "
                "started_ts = ?, worker = ?, pid = ?, progress = 0 "
                "WHERE id = ? AND status IN ('queued', 'running') AND cancel_requested = 0",
                (now_iso(), time.time(), worker, pid, job_id))
        return self.get(job_id) if cur.rowcount else None

    def set_progress(self, job_id: str, progress: float) -> None:
        p = min(1.0, max(0.0, float(progress)))
        with self.connect() as con:
            con.execute("UPDATE jobs SET progress = ? WHERE id = ? AND status = 'running'", (p, job_id))

    def finish(self, job_id: str, status: str, *, error: dict[str, str] | None = None,
               summary: dict[str, Any] | None = None, result_path: str | None = None,
               from_status: tuple[str, ...] = ACTIVE) -> bool:
        """Move an active job to a final status; False when it was already final (nothing changes)."""
        if status not in FINAL:
            raise ValueError(f"not a final status: {status}")
        marks = ", ".join("?" for _ in from_status)
        with self.connect() as con:
            cur = con.execute(
                f"UPDATE jobs SET status = ?, finished = ?, error = ?, summary = ?, "
                f"result_path = COALESCE(?, result_path), progress = CASE WHEN ? = 'done' THEN 1 ELSE progress END "
                f"WHERE id = ? AND status IN ({marks})",
                (status, now_iso(), _dumps(error), _dumps(summary), result_path, status, job_id, *from_status))
        return bool(cur.rowcount)

    def request_cancel(self, job_id: str) -> JobRecord | None:
        with self.connect() as con:
            con.execute("UPDATE jobs SET cancel_requested = 1, cancel_requested_at = COALESCE(cancel_requested_at, ?)"
                        " WHERE id = ? AND status IN ('queued', 'running')", (time.time(), job_id))
        return self.get(job_id)

    def cancel_requested(self, job_id: str) -> bool:
        with self.connect() as con:
            row = con.execute("SELECT cancel_requested, status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row is None or row[0] or row[1] in FINAL)

    # ---- retention ------------------------------------------------------------------------------
    def beyond_keep(self, kind: str, keep: int) -> list[JobRecord]:
        """Final, unarchived jobs of ``kind`` older than the newest ``keep`` ones."""
        with self.connect() as con:
            rows = con.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? AND archived = 0 AND status IN ('done', 'failed', "
                "'cancelled') ORDER BY seq DESC LIMIT -1 OFFSET ?", (kind, max(0, keep))).fetchall()
        return [_record(r) for r in rows]

    def mark_archived(self, job_id: str, result_path: str | None) -> None:
        with self.connect() as con:
            con.execute("UPDATE jobs SET archived = 1, result_path = COALESCE(?, result_path) WHERE id = ?",
                        (result_path, job_id))
