"""Dask submission of jobs, seen from the server: submit, track, cancel, enforce time limits, retain.

By default a ``distributed.LocalCluster`` (worker processes, one thread each, no dashboard) starts lazily
on the first submit; with ``scheduler_address`` the runner connects to that scheduler instead (its
workers need ``jupyterlab_quant`` installed and the same ``$JLQ_HOME`` path on a shared file system).

Failure handling, end to end:

* a job function raising → :func:`.worker.execute` records a *failed* job with the traceback;
* a worker process dying mid-job → Dask reschedules the task (up to ``allowed-failures``); the next attempt
  increments ``attempts`` and the job still finishes;
* cancel: queued → the Dask future is cancelled; running → ``cancel_requested`` is set and the worker's
  watchdog stops the job (see :mod:`.worker`);
* timeout: the watchdog stops the job at ``timeout_s``; if the worker is stuck in C code, the monitor here
  marks the job failed (``job_timeout``) ``kill_grace_s`` later and restarts that worker process.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.process import pid_alive as _pid_alive
from .store import JobRecord, JobStore, JobsUnavailable
from .worker import cancelled_error, error_dict, execute, timeout_error

log = logging.getLogger(__name__)


def _lost_error(why: str) -> dict[str, str]:
    return {"error": "job_lost", "message": f"任务中断 (job interrupted): {why}",
            "hint": "重新提交任务 (resubmit the job)", "traceback": ""}


@dataclass(frozen=True)
class Retention:
    """Keep the newest ``keep`` final jobs of ``kind`` listed; move older results to ``archive_dir/<id>``
    and flag them archived (still retrievable by id)."""

    kind: str
    keep: int
    archive_dir: Path

    def apply(self, store: JobStore) -> list[str]:
        moved: list[str] = []
        for rec in store.beyond_keep(self.kind, self.keep):
            new_path: str | None = None
            src = Path(rec.result_path) if rec.result_path else None
            if src is not None and src.exists():
                dst = self.archive_dir / rec.id
                if src.resolve() != dst.resolve():
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    if dst.exists():
                        shutil.rmtree(dst)
                    shutil.move(str(src), str(dst))
                new_path = str(dst)
            store.mark_archived(rec.id, new_path)
            moved.append(rec.id)
        return moved


class JobRunner:
    """Submits job functions to Dask and keeps their records in a :class:`JobStore` true."""

    def __init__(self, store: JobStore, *, scheduler_address: str | None = None, n_workers: int = 2,
                 retries: int = 1, kill_grace_s: float = 5.0, poll_s: float = 0.5, interrupt_after_s: float = 1.0,
                 on_final: Callable[[JobRecord], None] | None = None) -> None:
        self.store = store
        self.scheduler_address = scheduler_address or None
        self.n_workers = max(1, int(n_workers))
        self.retries = retries
        self.kill_grace_s = kill_grace_s
        self.poll_s = poll_s
        self.interrupt_after_s = interrupt_after_s
        self.on_final = on_final
        self._lock = threading.RLock()
        self._client: Any = None
        self._cluster: Any = None
        self._futures: dict[str, Any] = {}
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        self._closed = False
        self.recover_orphans()

    # ---- cluster ----------------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._client is not None

    def client(self) -> Any:
        """The Dask client, starting the local cluster (or connecting) on first use. Blocking: call off the
        event loop."""
        with self._lock:
            if self._closed:
                raise JobsUnavailable("任务服务已关闭 (the job runner is closed)", "重启 Jupyter 服务器")
            if self._client is None:
                self._client = self._connect()
                self._monitor = threading.Thread(target=self._watch, name="jlq-jobs-monitor", daemon=True)
                self._monitor.start()
            return self._client

    def _connect(self) -> Any:
        import dask
        from distributed import Client, LocalCluster

        try:
            if self.scheduler_address:
                return Client(self.scheduler_address, timeout="15s", set_as_default=False)
            # one task per worker thread at a time: a long backtest never sits behind another in a worker queue
            # allowed-failures: a task is given up (KilledWorker → job_lost) only after its worker died
            # this many times; the job's own time limit still ends a task that kills every worker.
            with dask.config.set({"distributed.scheduler.worker-saturation": 1.0,
                                  "distributed.scheduler.allowed-failures": 6}):
                self._cluster = LocalCluster(n_workers=self.n_workers, threads_per_worker=1, processes=True,
                                             host="127.0.0.1", dashboard_address=None,
                                             silence_logs=logging.ERROR)
            return Client(self._cluster, set_as_default=False)
        except Exception as exc:
            if self._cluster is not None:
                with contextlib.suppress(Exception):
                    self._cluster.close()
                self._cluster = None
            where = self.scheduler_address or "LocalCluster"
            raise JobsUnavailable(f"无法启动或连接 Dask 计算集群 ({where}): {exc} (cannot start/reach the cluster)",
                                  "检查 c.QuantExtension.scheduler_address 与 backtest_workers 设置，或查看服务器日志"
                                  " (check the scheduler_address / backtest_workers settings and the server log)"
                                  ) from exc

    def worker_pids(self) -> dict[str, int]:
        """``{worker address: pid}`` of the workers that answer (diagnostics and tests)."""
        return {k: v for k, v in self.client().run(os.getpid, on_error="return").items() if isinstance(v, int)}

    # ---- jobs -------------------------------------------------------------------------------------
    def submit(self, kind: str, spec: dict[str, Any], fn: Callable[..., Any], args: tuple[Any, ...], *,
               label: str = "", timeout_s: float | None = None, job_id: str | None = None) -> JobRecord:
        """Record a queued job and hand ``fn(*args)`` to Dask (``fn`` may use :func:`.worker.current`)."""
        rec = self.store.create(kind, spec, label=label, timeout_s=timeout_s, job_id=job_id)
        try:
            client = self.client()
            fut = client.submit(execute, str(self.store.path), rec.id, fn, tuple(args), timeout_s, self.poll_s,
                                self.interrupt_after_s, key=f"jlq-{kind}-{rec.id}", pure=False,
                                retries=self.retries)
        except Exception as exc:
            err = exc if isinstance(exc, JobsUnavailable) else JobsUnavailable(
                f"提交任务失败 (could not submit the job): {exc}", "查看服务器日志 (see the server log)")
            self.store.finish(rec.id, "failed", error=error_dict(err))
            raise err from exc
        with self._lock:
            self._futures[rec.id] = fut
        fut.add_done_callback(functools.partial(self._on_done, rec.id))
        return self.store.get(rec.id) or rec

    def cancel(self, job_id: str) -> JobRecord | None:
        """Queued → cancelled now; running → flagged, the worker stops it within about a second."""
        rec = self.store.request_cancel(job_id)
        if rec is None or rec.final:
            return rec
        if rec.status == "queued" and self.store.finish(job_id, "cancelled", error=error_dict(cancelled_error()),
                                                        from_status=("queued",)):
            with self._lock:
                fut = self._futures.get(job_id)
            if fut is not None:
                try:
                    fut.cancel()
                except Exception as exc:  # the record is already final; the task will skip itself
                    log.debug("cancel of %s: %s", job_id, exc)
        return self.store.get(job_id)

    def tracked(self) -> list[str]:
        with self._lock:
            return list(self._futures)

    def _on_done(self, job_id: str, fut: Any) -> None:
        """Runs in Dask's callback thread once the task's future is finished, errored or cancelled."""
        with self._lock:
            self._futures.pop(job_id, None)
        try:
            status = fut.status
            if status == "error":
                try:
                    exc = fut.exception(timeout=10)
                except Exception as e:
                    exc = e
                name = type(exc).__name__
                err = (_lost_error(f"计算进程反复退出 (worker died repeatedly: {exc})") if name == "KilledWorker"
                       else error_dict(exc))
                self.store.finish(job_id, "failed", error=err)
            elif status == "cancelled":
                rec = self.store.get(job_id)
                if rec is not None and rec.cancel_requested:
                    self.store.finish(job_id, "cancelled", error=error_dict(cancelled_error()))
                else:
                    self.store.finish(job_id, "failed", error=_lost_error("Dask 取消了任务 (the scheduler dropped it)"))
            else:
                rec = self.store.get(job_id)
                if rec is not None and not rec.final:
                    self.store.finish(job_id, "failed", error=_lost_error(f"任务状态异常 (task {status})"))
        except Exception:
            log.exception("jupyterlab-quant: recording the end of job %s failed", job_id)
        finally:
            self._final(job_id)

    def _final(self, job_id: str) -> None:
        if self.on_final is None:
            return
        rec = self.store.get(job_id)
        if rec is not None:
            try:
                self.on_final(rec)
            except Exception:
                log.exception("jupyterlab-quant: on_final hook failed for job %s", job_id)

    # ---- monitor: hard time limits and stuck cancels --------------------------------------------
    def _watch(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.check_stuck()
                self.heal()
            except Exception:
                log.exception("jupyterlab-quant: job monitor")

    def heal(self) -> list[str]:
        """Start replacements for local workers whose nanny the cluster closed.

        A nanny restarts its worker process when it dies. But when a worker stays away from the
        scheduler longer than ``distributed.deploy.lost-worker-timeout`` (e.g. killed again while
        restarting), the LocalCluster closes that nanny and forgets it without starting another; with
        every nanny gone, queued jobs would wait forever. Re-scaling to the configured size makes the
        cluster open the missing workers, and the scheduler then runs the waiting tasks.
        """
        cluster = self._cluster
        if cluster is None or self._closed:
            return []
        from distributed.core import Status

        for name, w in list(cluster.workers.items()):
            if getattr(w, "status", None) in (Status.closed, Status.failed):
                cluster.workers.pop(name, None)
        missing = [str(n) for n in cluster.worker_spec if n not in cluster.workers]
        if missing:
            log.warning("jupyterlab-quant: starting replacements for lost Dask workers %s", missing)
            cluster.scale(self.n_workers)
        return missing

    def check_stuck(self) -> list[str]:
        """End running jobs whose worker ignored the watchdog (stuck in C code) and restart that worker."""
        mine = set(self.tracked())
        now = time.time()
        killed: list[str] = []
        for rec in self.store.active():
            if rec.id not in mine or rec.status != "running" or rec.started_ts is None:
                continue
            if rec.timeout_s and now > rec.started_ts + rec.timeout_s + self.kill_grace_s:
                ended = self.store.finish(rec.id, "failed", error=error_dict(timeout_error(rec.timeout_s)),
                                          from_status=("running",))
            elif rec.cancel_requested and rec.cancel_requested_at and now > rec.cancel_requested_at + self.kill_grace_s:
                ended = self.store.finish(rec.id, "cancelled", error=error_dict(cancelled_error()),
                                          from_status=("running",))
            else:
                continue
            if ended:
                log.warning("jupyterlab-quant: job %s did not stop; restarting worker %s", rec.id, rec.worker)
                self._restart_worker(rec)
                killed.append(rec.id)
        return killed

    def _restart_worker(self, rec: JobRecord) -> None:
        try:
            if self._cluster is not None and rec.pid and _pid_alive(rec.pid):
                os.kill(rec.pid, signal.SIGKILL)   # our own LocalCluster: the nanny starts a fresh process
            elif rec.worker and self._client is not None:
                self._client.restart_workers([rec.worker], timeout=60, raise_for_error=False)
        except Exception:
            log.exception("jupyterlab-quant: restarting worker %s failed", rec.worker)

    # ---- lifecycle --------------------------------------------------------------------------------
    def recover_orphans(self) -> list[str]:
        """Fail queued/running jobs whose submitting process on this host is gone (server restarted)."""
        import socket

        host = socket.gethostname()
        lost: list[str] = []
        for rec in self.store.active():
            owner_host, _, pid = rec.owner.rpartition(":")
            dead = owner_host == host and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid))
            if dead and self.store.finish(rec.id, "failed", error=_lost_error("提交它的服务器已停止 (server stopped)")):
                lost.append(rec.id)
        return lost

    def close(self) -> None:
        """Fail what is still ours, then close the client and the local cluster (server stop hook)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stop.set()
            pending = list(self._futures)
            client, cluster = self._client, self._cluster
            self._client = self._cluster = None
        for job_id in pending:
            self.store.finish(job_id, "failed", error=_lost_error("服务器已停止 (the server stopped)"))
        for obj in (client, cluster):
            if obj is not None:
                try:
                    obj.close()
                except Exception as exc:
                    log.debug("closing %s: %s", type(obj).__name__, exc)
        if self._monitor is not None:
            self._monitor.join(timeout=5)
