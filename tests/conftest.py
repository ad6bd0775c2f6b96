"""Shared fixtures: an isolated JLQ_HOME per test session, the sample store, Jupyter server config."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.replay.routing import routed
from tests.replay.server import ReplayServer, ReplayState

pytest_plugins = ("pytest_jupyter.jupyter_server",)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("jlq_home_default")
    os.environ["JLQ_HOME"] = str(home)
    # servers started by tests never poll akshare (no internet here); tests that want quotes publish them
    os.environ.setdefault("JLQ_QUOTE_FEED", "off")
    return home


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root holding the whole embedded sample (built once per session, read-only for tests)."""
    from jupyterlab_quant.data.ingest import load_sample
    from jupyterlab_quant.data.store import MarketStore

    home = tmp_path_factory.mktemp("jlq_sample")
    load_sample(MarketStore(home / "store"))
    return home


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "jlq"


@pytest.fixture
def store(home: Path):
    from jupyterlab_quant.data.store import MarketStore

    return MarketStore(home / "store", lock_timeout_s=1.0)


@pytest.fixture
def sample_services(sample_home: Path):
    from jupyterlab_quant.app import Services
    from jupyterlab_quant.core.settings import Settings

    return Services.from_settings(Settings.from_env(sample_home))


@pytest.fixture
def fixture_copy(tmp_path: Path):
    def copy(name: str) -> Path:
        dst = tmp_path / "in" / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / name, dst)
        return dst

    return copy


@pytest.fixture
def jp_server_config(sample_home: Path):
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyterlab_quant": True},
            "allow_unauthenticated_access": False,
        },
        "QuantExtension": {"data_home": str(sample_home)},
    }


# ---- replay of akshare's upstreams (eastmoney, Sina) on 127.0.0.1 ----------------------------
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


