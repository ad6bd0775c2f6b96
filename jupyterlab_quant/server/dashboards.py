"""The dashboards inside JupyterLab's own server: ``/jupyterlab-quant/dashboards/<name>[?report=…]``.

Voila's server extension renders notebooks under the server's root directory only, and the user's
notebook folder does not hold our dashboards. This handler is Voila's render handler pointed at the
gallery's directory, so the same notebooks ``jlq dashboards`` serves open from the Backtest panel
with the lab's login (token/password, TLS, idle logout) and its kernels.
"""

from __future__ import annotations

import json
from typing import Any

import tornado.web
from jupyter_server.services.contents.filemanager import FileContentsManager

from ..core.errors import QuantError
from ..widgets.gallery import dashboards_dir, find_dashboard

try:  # Voila is a dependency; a broken install must not take the whole extension down
    from voila.configuration import VoilaConfiguration
    from voila.paths import collect_template_paths
    from voila.tornado.handler import TornadoVoilaHandler
except ImportError:  # pragma: no cover - exercised only without voila
    TornadoVoilaHandler = tornado.web.RequestHandler  # type: ignore[misc,assignment]
    VOILA = False
else:
    VOILA = True


class DashboardHandler(TornadoVoilaHandler):  # type: ignore[misc,valid-type]
    """Voila's render handler for one gallery notebook (kernel cwd = the server's root directory)."""

    def initialize(self, **kwargs: Any) -> None:
        if not VOILA:
            return
        conf = self.settings.get("jlq_voila")
        if conf is None:  # once per server: the same configuration Voila's own extension builds
            serverapp = self.settings.get("serverapp")
            voila_conf = VoilaConfiguration(parent=serverapp)
            # our labextension is a JupyterLab plugin, not a widget renderer: a dashboard page need not load
            # it (and an editable install's symlinked copy answers 403 from Voila's static handler)
            voila_conf.extension_denylist = [*(voila_conf.extension_denylist or []), "jupyterlab-quant"]
            conf = {"voila_configuration": voila_conf,
                    "template_paths": collect_template_paths(["voila", "nbconvert"], voila_conf.template),
                    "config": serverapp.config if serverapp is not None else None,
                    "contents": FileContentsManager(root_dir=str(dashboards_dir()))}
            self.settings["jlq_voila"] = conf
        self._jlq_contents = conf["contents"]
        super().initialize(voila_configuration=conf["voila_configuration"], template_paths=conf["template_paths"],
                           config=conf["config"])

    @property
    def contents_manager(self) -> Any:
        return self._jlq_contents

    def _fail(self, status: int, exc: QuantError) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(exc.to_dict(), ensure_ascii=False))

    @tornado.web.authenticated
    async def get(self, name: str) -> None:  # type: ignore[override]
        if not VOILA or "voila_jinja2_env" not in self.settings:
            self._fail(503, QuantError("Voila 未启用 (the Voila server extension is not loaded)",
                                       "pip install voila，然后重启 JupyterLab"))
            return
        try:
            dash = find_dashboard(name)
        except QuantError as exc:
            self._fail(404, exc)
            return
        self.notebook_path = dash.file
        self.xsrf_token  # noqa: B018 - sets the cookie the page's shutdown beacon needs (a direct tablet link)
        async for html in self.get_generator(path=None):
            self.write(html)
            self.flush()
