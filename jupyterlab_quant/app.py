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
    from .bus import Bus
    from .core.live import Quote
    from .data.fetch import FetchPolicy
    from .data.update import UpdateService
    from .data.watchlist import Watchlist
    from .notify.center import NotificationCenter
    from .risk.engine import RiskService
    from .vault.keys import KeyManager
    from .vault.records import TradeRecords
    from .vault.strategies import StrategyVault


@dataclass(frozen=True)
class QuoteLookup:
    """Quotes of :meth:`Services.quote_lookup`: ``live`` = symbols quoted by the bus; ``bus_error`` is set
    when the bus did not answer (every quote is then a stored close)."""

    quotes: dict[str, Quote]
    live: frozenset[str]
    bus_error: Exception | None = None


@dataclass
class Services:
    settings: Settings
    store: MarketStore
    query: QueryService
    _backtests: BacktestService | None = field(default=None, init=False, repr=False)
    _vault: KeyManager | None = field(default=None, init=False, repr=False)
    _strategies: StrategyVault | None = field(default=None, init=False, repr=False)
    _records: TradeRecords | None = field(default=None, init=False, repr=False)
    _bus: Bus | None = field(default=None, init=False, repr=False)
    _risk: RiskService | None = field(default=None, init=False, repr=False)
    _notify: NotificationCenter | None = field(default=None, init=False, repr=False)
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

    @property
    def vault(self) -> KeyManager:
        """The master key of ``$JLQ_HOME/vault`` (keyring or passphrase; unlocked keys cached per process).
        Sensitive operations are recorded in the audit log ``$JLQ_HOME/state/audit.db``."""
        with self._lock:
            if self._vault is None:
                from .vault.audit import AuditLog
                from .vault.keys import KeyManager

                self._vault = KeyManager(self.settings.home, audit=AuditLog.for_home(self.settings.home))
            return self._vault

    @property
    def strategies(self) -> StrategyVault:
        """Encrypted, versioned strategies (``$JLQ_HOME/vault/vault.db``); the key is unlocked on first need
        (env/file passphrase, keyring, or an earlier ``vault.unlock(passphrase)`` in this process)."""
        keys = self.vault
        with self._lock:
            if self._strategies is None:
                from .vault.strategies import StrategyVault

                self._strategies = StrategyVault(self.settings.home, keys=keys, audit=keys.audit)
            return self._strategies

    @property
    def records(self) -> TradeRecords:
        """Trade records with encrypted price/quantity/amount/fee (``$JLQ_HOME/vault/vault.db``)."""
        keys = self.vault
        with self._lock:
            if self._records is None:
                from .vault.records import TradeRecords

                self._records = TradeRecords(self.settings.home, keys=keys)
            return self._records

    @property
    def bus(self) -> Bus:
        """The Redis bus (embedded under ``$JLQ_HOME/state/redis`` unless ``redis_url`` is set)."""
        with self._lock:
            if self._bus is None:
                from .bus import Bus

                self._bus = Bus(self.settings.home, self.settings.redis_url)
            return self._bus

    @property
    def watchlist(self) -> Watchlist:
        from .data.watchlist import Watchlist

        return Watchlist(self.settings.home)

    @property
    def risk(self) -> RiskService:
        """Risk rules, the user's account and checks (``$JLQ_HOME/state/risk.db``)."""
        with self._lock:
            if self._risk is None:
                from .risk.engine import RiskService

                self._risk = RiskService(self.settings.home)
            return self._risk

    @property
    def notify(self) -> NotificationCenter:
        """WeChat channels, throttling and the delivery log (``$JLQ_HOME/state/notify.db``); secrets from the
        vault (or ``JLQ_SECRET_*`` variables)."""
        keys = self.vault
        with self._lock:
            if self._notify is None:
                from .notify.center import NotificationCenter
                from .vault.secrets import secret_source

                self._notify = NotificationCenter(self.settings.home, secret_source(self.settings.home, keys))
            return self._notify

    def latest_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        """Live quotes from the bus; symbols without one (no feed running, expired) fall back to the store's
        last daily close, dated that day so callers can see it is not live."""
        return self.quote_lookup(symbols).quotes

    def quote_lookup(self, symbols: list[str]) -> QuoteLookup:
        """:meth:`latest_quotes` keeping apart which quotes are live and why the bus did not answer."""
        from .core.errors import QuantError

        live: dict[str, Quote] = {}
        bus_error: Exception | None = None
        try:
            live = self.bus.latest(symbols) if symbols else {}
            if not symbols:
                self.bus.ping()
        except QuantError as exc:  # no Redis: the store's closes still let a risk check run
            bus_error = exc
        out = dict(live)
        missing = [s for s in symbols if s not in out]
        if missing:
            out.update(self.query.last_quotes(missing))
        return QuoteLookup(out, frozenset(live), bus_error)

    def close(self) -> None:
        """Stop background resources (the Dask client/cluster of backtest jobs, vault connections)."""
        with self._lock:
            svc, self._backtests = self._backtests, None
            stores, self._strategies, self._records = (self._strategies, self._records), None, None
            bus, self._bus = self._bus, None
        if bus is not None:
            bus.close()
        for store in stores:
            if store is not None:
                store.close()
        if svc is not None:
            svc.close()


_default: Services | None = None


def default_services() -> Services:
    """Process-wide services from the environment (``JLQ_HOME``); used by magics and widgets."""
    global _default
    if _default is None:
        _default = Services.from_settings()
    return _default
