"""JobStore: guarded transitions, listing and several processes writing at once (no Dask here)."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest

from jupyterlab_quant.jobs import JobStore


def _writer(db: str, job_ids: list[str], n: int) -> int:
    store = JobStore(db)
    for i in range(n):
        for jid in job_ids:
            store.set_progress(jid, (i + 1) / n)
    return n


def test_transitions_are_guarded(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    rec = store.create("k", {"a": 1}, label="L", timeout_s=5)
    assert rec.status == "queued" and rec.attempts == 0 and rec.spec == {"a": 1} and rec.timeout_s == 5
    assert store.start_attempt(rec.id, worker="tcp://w", pid=42).attempts == 1  # type: ignore[union-attr]
    assert store.start_attempt(rec.id).attempts == 2  # type: ignore[union-attr]  # a retry after a dead worker
    store.set_progress(rec.id, 1.7)
    assert store.get(rec.id).progress == 1.0  # type: ignore[union-attr]
    assert store.finish(rec.id, "failed", error={"error": "job_timeout", "message": "m", "hint": "h"})
    # a late worker cannot move it out of its final state
    assert not store.finish(rec.id, "done", summary={"x": 1})
    assert store.start_attempt(rec.id) is None
    final = store.get(rec.id)
    assert final is not None and final.status == "failed" and final.summary is None and final.finished
    with pytest.raises(ValueError):
        store.finish(rec.id, "running")


def test_cancel_request_blocks_the_start(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    rec = store.create("k", {})
    assert store.request_cancel(rec.id).cancel_requested  # type: ignore[union-attr]
    assert store.cancel_requested(rec.id) and store.start_attempt(rec.id) is None
    assert store.cancel_requested("missing0000")  # unknown jobs should stop too


def test_listing_newest_first_with_totals(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    ids = [store.create("a" if i % 2 else "b", {"i": i}).id for i in range(6)]
    page, total = store.listing("a", limit=2)
    assert total == 3 and [r.id for r in page] == [ids[5], ids[3]]
    page, total = store.listing(None, archived=None, limit=10, offset=4)
    assert total == 6 and [r.id for r in page] == [ids[1], ids[0]]


def test_several_processes_write_progress_at_once(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    ids = [store.create("k", {}).id for _ in range(3)]
    for jid in ids:
        store.start_attempt(jid)
    with mp.get_context("spawn").Pool(4) as pool:
        assert pool.starmap(_writer, [(str(store.path), ids, 150)] * 4) == [150] * 4
    assert all(store.get(j).progress == 1.0 for j in ids)  # type: ignore[union-attr]
