"""The dashboards inside JupyterLab's server: /jupyterlab-quant/dashboards/<name> (Voila's renderer, our gallery)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError


@pytest.fixture
def jp_server_config(sample_home: Path, monkeypatch: pytest.MonkeyPatch):
    # pytest-jupyter points Jupyter's data paths at temp dirs; Voila's page templates live in the venv's
    monkeypatch.setenv("JUPYTER_PATH", str(Path(sys.prefix) / "share" / "jupyter"))
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyterlab_quant": True, "voila.server_extension": True},
            "allow_unauthenticated_access": False,
        },
        "QuantExtension": {"data_home": str(sample_home)},
    }


async def test_unknown_dashboard_is_a_404_naming_the_choices(jp_fetch) -> None:
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("jupyterlab-quant", "dashboards", "nope")
    assert e.value.code == 404
    body = json.loads(e.value.response.body)
    assert "nope" in body["message"] and "monitor" in body["hint"] and "tearsheet" in body["hint"]


async def test_dashboards_need_the_lab_login(jp_fetch) -> None:
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("jupyterlab-quant", "dashboards", "monitor", headers={"Authorization": ""},
                       follow_redirects=False)
    assert e.value.code in (302, 403)


async def test_a_gallery_notebook_renders_through_voila(jp_fetch) -> None:
    r = await jp_fetch("jupyterlab-quant", "dashboards", "data_health", request_timeout=120)
    assert r.code == 200
    page = r.body.decode()
    # Voila executed the notebook with a kernel of this server: the page carries the widget view of
    # the dashboard, and no cell failed (Voila's error page text)
    assert "application/vnd.jupyter.widget-view+json" in page
    assert "There was an error when executing cell" not in page and "Traceback" not in page
