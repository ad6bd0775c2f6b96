"""Composition root: builds the services every edge (server, CLI, magics, widgets) uses."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .core.settings import Settings
from .data.query import QueryService
from .data.store import MarketStore

if TYPE_CHECKING:
    from .backtest.service import BacktestService
    from .data.fetch import FetchPolicy
    from .data.update import UpdateService


@dataclass
class Services:
    settings: Settings
    store: MarketStore
    query: QueryService
    _backtests: BacktestService | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Services:
        s = settings or Settings.from_env()
        store = MarketStore(s.store_dir, lock_timeout_s=s.lock_timeout_s)
        return cls(settings=s, store=store, query=QueryService(store, hot_cache=s.hot_cache))

    def updater(self, policy: FetchPolicy | None = None, batch_symbols: int = 20) -> UpdateService:
        """Internet updates (akshare): state and source health in ``$JLQ_HOME/state/sources.db``."""
        from .data.fetch import Fetcher, StateDB
        from .data.update import UpdateService

        fetcher = Fetcher(StateDB(self.settings.home / "state" / "sources.db"), policy)
        return UpdateService(self.store, fetcher, batch_symbols=batch_symbols)

    @property
    def backtests(self) -> BacktestService:
        """Backtest jobs (records in ``$JLQ_HOME/state/jobs.db``), created on first use; the Dask cluster
        starts on the first submit."""
        with self._lock:
            if self._backtests is None:
                from .backtest.service import BacktestService

                self._backtests = BacktestService(self.settings, self.query)
            return self._backtests

    def close(self) -> None:
        """Stop background resources (the Dask client/cluster of backtest jobs)."""
        with self._lock:
            svc, self._backtests = self._backtests, None
        if svc is not None:
            svc.close()


_default: Services | None = None


def default_services() -> Services:
    """Process-wide services from the environment (``JLQ_HOME``); used by magics and widgets."""
    global _default
    if _default is None:
        _default = Services.from_settings()
    return _default
