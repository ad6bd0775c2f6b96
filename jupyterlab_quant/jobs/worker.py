"""What runs inside a Dask worker process: :func:`execute` wraps a job function with its record.

``execute`` marks the record running (attempts + 1: a worker killed mid-job makes Dask run it again),
publishes a :class:`JobContext` (``current()``) with ``progress`` and ``should_stop`` to the job function,
and writes the final status — it never raises for the job's own failures, so a failing strategy is a
failed job, not a Dask error.

A watchdog thread per job polls the record for a cancel request (every ``poll_s``, one small SQLite read)
and watches the deadline (``timeout_s``). First it asks politely (``should_stop()`` turns True; the engine
checks it between bars); if the job is still running ``interrupt_after_s`` later — e.g. a strategy in an
endless pure-Python loop inside ``next()`` — it raises :class:`Interrupted` inside the job's thread
(``PyThreadState_SetAsyncExc``). Code stuck in C ignores that; the server then restarts the worker
(:mod:`.runner`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from ..core.errors import Cancelled, JobTimeout, QuantError
from .store import JobStore

PROGRESS_EVERY_S = 0.25


class Interrupted(BaseException):
    """Raised asynchronously in a job's thread by its watchdog (timeout or cancel). A BaseException, so the
    user's ``except Exception`` cannot swallow it."""


class JobContext:
    """The running job as its function sees it: report progress, ask whether to stop."""

    def __init__(self, job_id: str = "", store: JobStore | None = None, timeout_s: float | None = None) -> None:
        self.job_id = job_id
        self.store = store
        self.timeout_s = timeout_s
        self.started = time.monotonic()
        self.deadline = self.started + timeout_s if timeout_s else None
        self.stop_reason: str | None = None        # "cancel" | "timeout"
        self._last_write = 0.0
        self._last_value = -1.0

    def progress(self, fraction: float) -> None:
        """Record progress 0..1 (written at most every 0.25 s, and always at 1)."""
        if self.store is None:
            return
        now = time.monotonic()
        if fraction >= 1.0 or (now - self._last_write >= PROGRESS_EVERY_S and fraction != self._last_value):
            self._last_write, self._last_value = now, fraction
            with contextlib.suppress(Exception):  # best effort: a busy database must not fail the job
                self.store.set_progress(self.job_id, fraction)

    def should_stop(self) -> bool:
        """True once the job was cancelled or ran past its time limit (a memory read, cheap per bar)."""
        return self.stop_reason is not None


_local = threading.local()


def current() -> JobContext:
    """The context of the job running in this thread (a no-op context outside jobs)."""
    ctx = getattr(_local, "ctx", None)
    return ctx if ctx is not None else JobContext()


def _async_raise(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc) if exc is not None else None)


class _Watchdog(threading.Thread):
    def __init__(self, ctx: JobContext, thread_id: int, poll_s: float, interrupt_after_s: float) -> None:
        super().__init__(name=f"jlq-watchdog-{ctx.job_id}", daemon=True)
        self.ctx, self.thread_id = ctx, thread_id
        self.poll_s, self.interrupt_after_s = poll_s, interrupt_after_s
        self.done = threading.Event()
        self.lock = threading.Lock()     # held while injecting; ``active`` False = job body left
        self.active = True
        self.injected = False
        self._stop_at: float | None = None

    def run(self) -> None:
        ctx = self.ctx
        while True:
            now = time.monotonic()
            wait = self.poll_s
            if ctx.deadline is not None and ctx.stop_reason is None:
                wait = max(0.01, min(wait, ctx.deadline - now))
            if self.done.wait(wait):
                return
            now = time.monotonic()
            if ctx.stop_reason is None:
                if ctx.deadline is not None and now >= ctx.deadline:
                    ctx.stop_reason = "timeout"
                elif ctx.store is not None and self._cancel_requested():
                    ctx.stop_reason = "cancel"
                if ctx.stop_reason is not None:
                    self._stop_at = now
            elif self._stop_at is not None and now - self._stop_at >= self.interrupt_after_s:
                with self.lock:
                    if self.active:
                        self.injected = True
                        _async_raise(self.thread_id, Interrupted)
                self._stop_at = now   # re-inject every interrupt_after_s until the job leaves

    def _cancel_requested(self) -> bool:
        try:
            return self.ctx.store is not None and self.ctx.store.cancel_requested(self.ctx.job_id)
        except Exception:
            return False

    def leave(self) -> None:
        """Called by the job thread when the body is over; clears an exception injected but not yet raised."""
        while True:
            try:
                with self.lock:
                    self.active = False
                    if self.injected:
                        _async_raise(self.thread_id, None)
                break
            except Interrupted:
                continue
        self.done.set()


def error_dict(exc: BaseException) -> dict[str, str]:
    """``{error, message, hint, traceback}`` of any exception. Typed errors keep their code and hint and
    only the traceback they carry (a StrategyError's frames of the user's file); others get the full one."""
    if isinstance(exc, QuantError):
        return {**exc.to_dict(), "traceback": str(getattr(exc, "traceback", "") or "")}
    return {"error": "job_error", "message": f"任务出错 (job failed): {type(exc).__name__}: {exc}",
            "hint": "查看 traceback 定位出错的代码，修正后重新提交 (see the traceback, fix the code and resubmit)",
            "traceback": "".join(traceback.format_exception(exc))}


def timeout_error(timeout_s: float | None) -> JobTimeout:
    return JobTimeout(f"任务超时，已在 {timeout_s:g} 秒后停止 (job timed out after {timeout_s:g} s)",
                      "检查策略是否有死循环，缩短回测区间，或调大 timeout (check for endless loops, shorten the "
                      "range or raise the timeout)")


def cancelled_error() -> Cancelled:
    return Cancelled("任务已取消 (job cancelled)", "需要时重新提交 (resubmit when needed)")


def _worker_address() -> str | None:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except Exception:
        return None


def execute(db_path: str, job_id: str, fn: Callable[..., Any], args: tuple[Any, ...],
            timeout_s: float | None = None, poll_s: float = 0.5, interrupt_after_s: float = 1.0) -> str:
    """Run ``fn(*args)`` as job ``job_id``; returns the final status (``skipped`` when already final).

    ``fn`` returns ``None`` or a dict with optional ``summary`` and ``result_path``.
    """
    store = JobStore(db_path)
    rec = store.start_attempt(job_id, worker=_worker_address(), pid=os.getpid())
    if rec is None:  # cancelled while queued, or finished/timed out by the server before a retry
        now = store.get(job_id)
        if now is not None and not now.final and now.cancel_requested:
            store.finish(job_id, "cancelled", error=error_dict(cancelled_error()))
            return "cancelled"
        return "skipped"
    ctx = JobContext(job_id, store, timeout_s)
    dog = _Watchdog(ctx, threading.get_ident(), poll_s, interrupt_after_s)
    status, error, out = "failed", None, None
    _local.ctx = ctx
    dog.start()
    try:
        try:
            try:
                out = fn(*args)
            finally:
                dog.leave()
            status = "done"
        except (Interrupted, Cancelled) as exc:
            if ctx.stop_reason == "timeout":
                error = error_dict(timeout_error(timeout_s))
            elif ctx.stop_reason == "cancel" or isinstance(exc, Cancelled):
                status = "cancelled"
                error = error_dict(cancelled_error())
            else:
                error = error_dict(exc)
        except BaseException as exc:
            error = error_dict(exc)
    except Interrupted:  # injected while leaving: the body is over, report what the watchdog decided
        status = "failed" if ctx.stop_reason == "timeout" else "cancelled"
        error = error_dict(timeout_error(timeout_s) if status == "failed" else cancelled_error())
    finally:
        _local.ctx = None
        dog.done.set()
    summary = out.get("summary") if isinstance(out, dict) else None
    result_path = out.get("result_path") if isinstance(out, dict) else None
    store.finish(job_id, status, error=error, summary=summary,
                 result_path=str(result_path) if result_path is not None else None)
    return status
