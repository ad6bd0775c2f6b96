"""Update-service fixtures (the replay server fixtures live in tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

# "now" for the tests: after the close of 2024-06-28 (a Friday), Asia/Shanghai
NOW = dt.datetime(2024, 6, 28, 16, 0)


@pytest.fixture
def make_updater(home: Path):
    from jupyterlab_quant.data.fetch import Fetcher, FetchPolicy, StateDB
    from jupyterlab_quant.data.store import MarketStore
    from jupyterlab_quant.data.update import UpdateService

    def make(*, timeout_s: float = 1.0, batch: int = 1, threshold: int = 3, now: dt.datetime = NOW):
        fetcher = Fetcher(StateDB(home / "state" / "sources.db"),
                          FetchPolicy(timeout_s=timeout_s, failure_threshold=threshold, cooldown_s=600))
        return UpdateService(MarketStore(home / "store", lock_timeout_s=5), fetcher, batch_symbols=batch,
                             now=lambda: now)

    return make
