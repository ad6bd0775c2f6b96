"""Replay-server fixtures: akshare's real code against local copies of the eastmoney/Sina endpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.replay.routing import routed
from tests.replay.server import ReplayServer, ReplayState

# "now" for the tests: after the close of 2024-06-28 (a Friday), Asia/Shanghai
NOW = dt.datetime(2024, 6, 28, 16, 0)


@pytest.fixture(scope="session")
def replay_server() -> Iterator[ReplayServer]:
    with ReplayServer() as srv:
        yield srv


@pytest.fixture
def replay(replay_server: ReplayServer) -> Iterator[ReplayState]:
    from jupyterlab_quant.data.fetch import reset_request_counts

    replay_server.reset()
    reset_request_counts()
    with routed(replay_server.base, sleeps=[]):
        yield replay_server.state


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
