"""JobRunner against a real LocalCluster (2 worker processes): success, failures, cancel, timeouts,
a worker killed mid-job, retention and concurrent progress writes."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyterlab_quant.jobs import JobRecord, JobRunner, JobStore, Retention
from tests.unit.jobs import jobtasks


@pytest.fixture(scope="module")
def tmp_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jobs")


@pytest.fixture(scope="module")
def runner(tmp_module: Path) -> Iterator[JobRunner]:
    store = JobStore(tmp_module / "state" / "jobs.db")
    retention = Retention("keep-test", keep=2, archive_dir=tmp_module / "archive")
    r = JobRunner(store, n_workers=2, kill_grace_s=2.0, poll_s=0.2, interrupt_after_s=0.5,
                  on_final=lambda rec: retention.apply(store))
    r.client()
    yield r
    r.close()


@pytest.fixture
def workers_ready(runner: JobRunner) -> JobRunner:
    runner.client().wait_for_workers(2, timeout=60)
    return runner


def wait(runner: JobRunner, job_id: str, until: tuple[str, ...] = ("done", "failed", "cancelled"),
         timeout_s: float = 30.0) -> JobRecord:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rec = runner.store.get(job_id)
        assert rec is not None
        if rec.status in until:
            return rec
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} stuck: {runner.store.get(job_id)}")


def test_success_records_summary_and_progress(workers_ready: JobRunner) -> None:
    rec = workers_ready.submit("t", {"x": 7}, jobtasks.ok, (7,), label="seven")
    assert rec.status == "queued" and len(rec.id) == 12 and rec.label == "seven"
    done = wait(workers_ready, rec.id)
    assert done.status == "done" and done.summary == {"x": 7, "square": 49} and done.progress == 1.0
    assert done.attempts == 1 and done.error is None and done.started and done.finished
    d = done.to_dict()
    assert set(d) >= {"id", "status", "progress", "spec", "submitted", "started", "finished", "error", "summary",
                      "attempts", "archived", "label"}


def test_exception_is_a_failed_job_with_traceback(workers_ready: JobRunner) -> None:
    rec = wait(workers_ready, workers_ready.submit("t", {}, jobtasks.boom, ()).id)
    assert rec.status == "failed" and rec.attempts == 1  # not retried: the job failed, not the worker
    assert rec.error is not None and rec.error["error"] == "job_error"
    assert "boom from the job" in rec.error["message"] and rec.error["hint"]
    assert "Traceback" in rec.error["traceback"] and "jobtasks.py" in rec.error["traceback"]
    rec = wait(workers_ready, workers_ready.submit("t", {}, jobtasks.strategy_fails, ()).id)
    assert rec.error is not None and rec.error["error"] == "strategy_error"
    assert rec.error["traceback"].startswith('File "s.py"')


def test_cancel_queued_and_running(workers_ready: JobRunner) -> None:
    a = workers_ready.submit("t", {}, jobtasks.slow, (30.0,))
    b = workers_ready.submit("t", {}, jobtasks.slow, (30.0, False))   # ignores should_stop: interrupted
    wait(workers_ready, a.id, ("running",))
    wait(workers_ready, b.id, ("running",))
    c = workers_ready.submit("t", {}, jobtasks.slow, (30.0,))
    time.sleep(0.3)
    assert workers_ready.store.get(c.id).status == "queued"  # type: ignore[union-attr]
    t0 = time.monotonic()
    got = workers_ready.cancel(c.id)
    assert got is not None and got.status == "cancelled" and got.error["error"] == "cancelled"  # type: ignore[index]
    for job in (a, b):
        workers_ready.cancel(job.id)
    ra, rb = wait(workers_ready, a.id), wait(workers_ready, b.id)
    assert ra.status == rb.status == "cancelled"
    assert time.monotonic() - t0 < 5
    assert wait(workers_ready, c.id).attempts == 0  # never started
    assert workers_ready.cancel(a.id).status == "cancelled"  # type: ignore[union-attr]  # idempotent


def test_timeout_stops_an_endless_python_loop(workers_ready: JobRunner) -> None:
    t0 = time.monotonic()
    rec = wait(workers_ready, workers_ready.submit("t", {}, jobtasks.spin, (), timeout_s=1.0).id)
    assert rec.status == "failed" and rec.error is not None and rec.error["error"] == "job_timeout"
    assert "1 秒" in rec.error["message"] and rec.error["hint"]
    assert time.monotonic() - t0 < 6
    # the worker survived the injected exception and keeps serving jobs
    assert wait(workers_ready, workers_ready.submit("t", {}, jobtasks.ok, (2,)).id).status == "done"


def test_timeout_of_a_job_stuck_in_c_restarts_its_worker(workers_ready: JobRunner) -> None:
    rec = workers_ready.submit("t", {}, jobtasks.c_sleep, (60.0,), timeout_s=1.0)
    running = wait(workers_ready, rec.id, ("running",))
    t0 = time.monotonic()
    done = wait(workers_ready, rec.id)
    assert done.status == "failed" and done.error is not None and done.error["error"] == "job_timeout"
    assert time.monotonic() - t0 < 8
    workers_ready.client().wait_for_workers(2, timeout=60)
    deadline = time.monotonic() + 30
    while running.pid in workers_ready.worker_pids().values() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert running.pid not in workers_ready.worker_pids().values()
    # the rescheduled task saw the final record and skipped itself: the status stays
    time.sleep(0.5)
    assert workers_ready.store.get(rec.id).status == "failed"  # type: ignore[union-attr]


def test_worker_killed_mid_job_is_retried_and_finishes(workers_ready: JobRunner) -> None:
    rec = workers_ready.submit("t", {}, jobtasks.slow, (3.0,))
    running = wait(workers_ready, rec.id, ("running",))
    time.sleep(0.5)
    assert running.pid and running.pid != os.getpid()
    os.kill(running.pid, signal.SIGKILL)
    done = wait(workers_ready, rec.id, timeout_s=60)
    assert done.status == "done" and done.attempts == 2 and done.summary == {"slept": 3.0}


def test_retention_archives_older_results(workers_ready: JobRunner, tmp_module: Path) -> None:
    ids = []
    for i in range(4):
        out = tmp_module / "results" / f"r{i}"
        ids.append(wait(workers_ready, workers_ready.submit("keep-test", {"i": i}, jobtasks.write_result,
                                                            (str(out),)).id).id)
    time.sleep(0.3)  # the on_final hook runs in Dask's callback thread
    store = workers_ready.store
    listed, total = store.listing("keep-test", archived=False)
    assert [r.id for r in listed] == ids[::-1][:2] and total == 2
    archived, n = store.listing("keep-test", archived=True)
    assert n == 2 and {r.id for r in archived} == set(ids[:2])
    for r in archived:
        assert r.archived and r.result_path == str(tmp_module / "archive" / r.id)
        assert (Path(r.result_path) / "result.json").exists()
    assert not (tmp_module / "results" / "r0").exists()
    assert store.get(ids[0]).archived  # type: ignore[union-attr]  # still retrievable by id


def test_concurrent_progress_writes(workers_ready: JobRunner, tmp_module: Path) -> None:
    store = workers_ready.store
    targets = [store.create("dummy", {}).id for _ in range(4)]
    for t in targets:
        store.start_attempt(t)
    jobs = [workers_ready.submit("t", {}, jobtasks.hammer, (str(store.path), targets, 200)) for _ in range(2)]
    errors: list[BaseException] = []

    def local_writes() -> None:
        try:
            jobtasks.hammer(str(store.path), targets, 200)
        except BaseException as exc:
            errors.append(exc)

    th = threading.Thread(target=local_writes)
    th.start()
    recs = [wait(workers_ready, j.id) for j in jobs]
    th.join()
    assert not errors and [r.status for r in recs] == ["done", "done"], [r.error for r in recs]
    assert all(0 <= store.get(t).progress < 1 for t in targets)  # type: ignore[union-attr]


def test_nannies_the_cluster_dropped_are_replaced(workers_ready: JobRunner) -> None:
    """What LocalCluster does to a worker that stayed away past lost-worker-timeout: close its nanny and
    forget it. The runner's monitor starts replacements, so queued jobs still run."""
    cluster = workers_ready._cluster
    for name in list(cluster.workers):
        nanny = cluster.workers.pop(name)
        cluster.sync(nanny.close)
    rec = workers_ready.submit("t", {}, jobtasks.slow, (0.2,))
    assert wait(workers_ready, rec.id, timeout_s=90).status == "done"
    deadline = time.monotonic() + 60
    while len(workers_ready.worker_pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(workers_ready.worker_pids()) == 2


def test_orphans_of_a_dead_server_are_failed(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    import socket

    dead = store.create("t", {}, owner=f"{socket.gethostname()}:999999")
    alive = store.create("t", {})
    JobRunner(store)  # does not start a cluster
    assert store.get(dead.id).status == "failed"  # type: ignore[union-attr]
    assert store.get(dead.id).error["error"] == "job_lost"  # type: ignore[union-attr,index]
    assert store.get(alive.id).status == "queued"  # type: ignore[union-attr]
