"""Standalone Voila for the dashboards (``jlq dashboards`` runs ``python -m jupyterlab_quant.server.voila_app``).

Voila's own app with our defaults: the gallery directory as root, bound to 127.0.0.1, a token always
required (it refuses to start without one), no browser, and HTTPS when given a certificate — Voila
itself listens over plain HTTP only, so ``certfile``/``keyfile`` wrap its listener in TLS.
"""

from __future__ import annotations

import ssl
import sys
from typing import Any

from traitlets import Unicode
from voila.app import Voila

from ..widgets.gallery import dashboards_dir


class QuantVoila(Voila):  # type: ignore[misc]
    name = "jlq-dashboards"

    certfile = Unicode("", config=True,
                       help="TLS 证书 PEM certificate; with keyfile the dashboards are served over HTTPS")
    keyfile = Unicode("", config=True, help="TLS 私钥 PEM private key of certfile")

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        if not self.token:
            print("错误 error: 看板必须设置访问令牌 (a token is required: --token=…)", file=sys.stderr)
            self.exit(2)

    def listen(self) -> None:
        if self.certfile:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(self.certfile, self.keyfile or None)
            plain = self.app.listen

            def listen_tls(port: int, address: str = "", **kwargs: Any) -> Any:
                return plain(port, address, ssl_options=ctx, **kwargs)

            self.app.listen = listen_tls
        super().listen()


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
