"""``QuantExtension``: the jupyter_server ExtensionApp. Traitlets configure it (``c.QuantExtension.*``);
its start/stop hooks own the background resources (the query thread pool; the Dask cluster of backtest
jobs, which starts lazily on the first submit to keep server start-up fast)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, Unicode

from ..app import Services
from ..core.settings import Settings
from .jobs import UpdateJobs
from .routes import ROUTES


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

    def initialize_settings(self) -> None:
        settings = Settings.from_env(self.data_home or None, hot_cache=self.hot_cache,
                                     lock_timeout_s=float(self.lock_timeout),
                                     scheduler_address=self.scheduler_address or None,
                                     backtest_workers=max(1, self.backtest_workers),
                                     reports_keep=max(1, self.reports_keep), job_timeout_s=float(self.job_timeout))
        self._executor = ThreadPoolExecutor(max_workers=self.query_threads, thread_name_prefix="jlq-query")
        services = Services.from_settings(settings)
        self._services = services
        root_dir = getattr(self.serverapp, "root_dir", None) or "."
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
        executor = getattr(self, "_executor", None)
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        services = getattr(self, "_services", None)
        if services is not None:  # closes the Dask client and local cluster, if a backtest started them
            await asyncio.to_thread(services.close)
