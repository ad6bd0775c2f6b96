"""Every handler verb carries an auth decorator: jupyter_server warns otherwise (cf. template check_auth)."""

from __future__ import annotations

import warnings

from jupyter_server.serverapp import ServerApp
from jupyter_server.utils import JupyterServerAuthWarning


def test_no_unauthenticated_endpoints(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "rt"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "cfg"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = ServerApp(jpserver_extensions={"jupyterlab_quant": True}, allow_unauthenticated_access=False,
                        reraise_server_extension_failures=True, root_dir=str(tmp_path), open_browser=False,
                        allow_root=True)
        app.initialize(argv=[])
    try:
        bad = [w for w in caught if issubclass(w.category, JupyterServerAuthWarning)]
        assert not bad, [str(w.message) for w in bad]
        assert "jupyterlab_quant" in app.extension_manager.extensions
    finally:
        if app.http_server is not None:
            app.http_server.stop()
