"""Every handler verb carries an auth decorator: jupyter_server warns otherwise (cf. the template's
check_auth.py). Runs in a subprocess because a ServerApp leaves process-wide singletons behind."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import json, sys, warnings
from jupyter_server.serverapp import ServerApp
from jupyter_server.utils import JupyterServerAuthWarning
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    app = ServerApp(jpserver_extensions={"jupyterlab_quant": True}, allow_unauthenticated_access=False,
                    reraise_server_extension_failures=True, root_dir=sys.argv[1], open_browser=False,
                    allow_root=True)
    app.initialize(argv=[])
def patterns(router):
    for r in getattr(router, "rules", []):
        regex = getattr(r.matcher, "regex", None)
        if regex is not None:
            yield regex.pattern
        yield from patterns(r.target)
rules = list(patterns(app.web_app.default_router))
msgs = [str(w.message) for w in caught if issubclass(w.category, JupyterServerAuthWarning)]
print(json.dumps({"loaded": "jupyterlab_quant" in app.extension_manager.extensions, "rules": rules, "warnings": msgs}))
"""


def test_no_unauthenticated_endpoints(tmp_path) -> None:
    env_dirs = {"JUPYTER_RUNTIME_DIR": tmp_path / "rt", "JUPYTER_CONFIG_DIR": tmp_path / "cfg"}
    env = {**__import__("os").environ, **{k: str(v) for k, v in env_dirs.items()}}
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["loaded"]
    ours = [p for p in out["rules"] if "jupyterlab-quant/v1" in p or "jupyterlab-quant/dashboards/" in p]
    from jupyterlab_quant.server.routes import ROUTES

    assert len(ours) == len(ROUTES) >= 7, out["rules"]
    assert any("jupyterlab-quant/dashboards/" in p for p in ours)
    assert not [m for m in out["warnings"] if "jupyterlab-quant" in m]
