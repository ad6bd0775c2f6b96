"""Composition root: builds the services every edge (server, CLI, magics, widgets) uses."""

from __future__ import annotations

from dataclasses import dataclass

from .core.settings import Settings
from .data.query import QueryService
from .data.store import MarketStore


@dataclass
class Services:
    settings: Settings
    store: MarketStore
    query: QueryService

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Services:
        s = settings or Settings.from_env()
        store = MarketStore(s.store_dir, lock_timeout_s=s.lock_timeout_s)
        return cls(settings=s, store=store, query=QueryService(store, hot_cache=s.hot_cache))


_default: Services | None = None


def default_services() -> Services:
    """Process-wide services from the environment (``JLQ_HOME``); used by magics and widgets."""
    global _default
    if _default is None:
        _default = Services.from_settings()
    return _default
