"""Standalone Voila for the dashboards (``jlq dashboards`` runs ``python -m jupyterlab_quant.server.voila_app``).

Voila's own app with our defaults: the gallery directory as root, bound to 127.0.0.1, a token always
required (it refuses to start without one), no browser, and HTTPS when given a certificate — Voila
itself listens over plain HTTP only, so ``certfile``/``keyfile`` wrap its listener in TLS.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import sys
import time
from typing import Any

from tornado.ioloop import PeriodicCallback
from traitlets import Float, Unicode
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from ..widgets.gallery import dashboards_dir


class _PageHandler(TornadoVoilaHandler):  # type: ignore[misc]
    """Voila's page handler that also sets the ``_xsrf`` cookie: the page's ``beforeunload`` beacon
    (``POST /voila/api/shutdown/<kernel>``) needs it, or a closed tab's kernel runs on (voila#1458)."""

    async def get(self, path: str | None = None) -> None:
        self.xsrf_token  # noqa: B018 - reading the token sets the cookie
        await super().get(path)


class QuantVoila(Voila):  # type: ignore[misc]
    name = "jlq-dashboards"

    certfile = Unicode("", config=True,
                       help="TLS 证书 PEM certificate; with keyfile the dashboards are served over HTTPS")
    keyfile = Unicode("", config=True, help="TLS 私钥 PEM private key of certfile")
    orphan_kernel_timeout = Float(
        600.0, config=True,
        help="无页面连接的内核在多少秒后关闭 seconds a dashboard kernel may live without a connected page (a "
             "tablet that slept or a tab closed without unloading); the monitor's kernel keeps refreshing, so "
             "Jupyter's idle culling never ends it. 0 = never.")

    first_connect_grace = Float(
        120.0, config=True,
        help="首次连接宽限秒数 a kernel no page has connected to yet is kept at least this long: its notebook "
             "runs before the page (and its websocket) arrives")

    _orphans: dict[str, float]
    _connected: set[str]
    _tasks: set[asyncio.Future[None]]

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        if not self.token:
            print("错误 error: 看板必须设置访问令牌 (a token is required: --token=…)", file=sys.stderr)
            self.exit(2)

    def init_handlers(self) -> list[Any]:
        return [(h[0], _PageHandler, *h[2:]) if h[1] is TornadoVoilaHandler else h for h in super().init_handlers()]

    def listen(self) -> None:
        if self.certfile:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(self.certfile, self.keyfile or None)
            plain = self.app.listen

            def listen_tls(port: int, address: str = "", **kwargs: Any) -> Any:
                return plain(port, address, ssl_options=ctx, **kwargs)

            self.app.listen = listen_tls
        if self.orphan_kernel_timeout > 0:
            self._orphans, self._connected, self._tasks = {}, set(), set()
            every_ms = max(1000.0, min(60_000.0, self.orphan_kernel_timeout * 250))
            PeriodicCallback(self._cull_orphans, every_ms).start()
        super().listen()

    def _cull_orphans(self) -> None:
        """Shut down kernels whose page left: connected once and now without a websocket for longer than
        ``orphan_kernel_timeout`` (never-connected ones too unless kernels are pre-heated on purpose)."""
        km = self.kernel_manager
        conns: dict[str, int] = dict(getattr(km, "_kernel_connections", {}))
        now = time.monotonic()
        preheat = bool(self.voila_configuration.preheat_kernel)
        for kid in list(km.list_kernel_ids()):
            n = conns.get(kid, 0)
            if n > 0:
                self._connected.add(kid)
                self._orphans.pop(kid, None)
                continue
            if preheat and kid not in self._connected:
                continue  # a pooled, pre-executed kernel waits for its page
            since = self._orphans.setdefault(kid, now)
            limit = self.orphan_kernel_timeout if kid in self._connected else max(self.orphan_kernel_timeout,
                                                                                  self.first_connect_grace)
            if now - since >= limit:
                self.log.info("jupyterlab-quant: shutting down dashboard kernel %s (no page for %.0f s)", kid,
                              now - since)
                self._orphans.pop(kid, None)
                self._connected.discard(kid)
                task = asyncio.ensure_future(_shutdown(km, kid, self.log))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        for kid in set(self._orphans) - set(km.list_kernel_ids()):
            self._orphans.pop(kid, None)


async def _shutdown(km: Any, kid: str, log: logging.Logger) -> None:
    try:
        result = km.shutdown_kernel(kid)
        if asyncio.iscoroutine(result):
            await result
    except Exception as exc:  # already gone (the page's own shutdown raced us)
        log.debug("shutting down kernel %s: %s", kid, exc)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0].startswith("-"):
        args.insert(0, str(dashboards_dir()))
    defaults = {"--Voila.ip=": "127.0.0.1", "--Voila.open_browser=": "False",
                # our labextension is a JupyterLab plugin, not a widget: Voila need not load it (and
                # answers 403 for it in an editable install)
                "--VoilaConfiguration.extension_denylist=": "jupyterlab-quant"}
    given = [k for k in defaults if any(a.startswith(k) for a in args)]
    QuantVoila.launch_instance(argv=[*(k + v for k, v in defaults.items() if k not in given), *args])


if __name__ == "__main__":
    main()
