"""``QuantExtension``: the jupyter_server ExtensionApp. Traitlets configure it (``c.QuantExtension.*``);
its start/stop hooks own the background resources (the query thread pool)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Int, Unicode

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

    def initialize_settings(self) -> None:
        settings = Settings.from_env(self.data_home or None, hot_cache=self.hot_cache,
                                     lock_timeout_s=float(self.lock_timeout))
        self._executor = ThreadPoolExecutor(max_workers=self.query_threads, thread_name_prefix="jlq-query")
        services = Services.from_settings(settings)
        self.settings.update({"jlq_services": services, "jlq_executor": self._executor, "jlq_jobs": UpdateJobs(),
                              "jlq_updater": None, "jlq_updater_lock": threading.Lock()})
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
