"""``jlq dashboards``: the gallery, and a real standalone Voila — token required, 127.0.0.1, HTTPS with --tls."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyterlab_quant.widgets.gallery import dashboards_dir, find_dashboard, load_gallery

ROOT = Path(__file__).resolve().parents[2]


def jlq(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jupyterlab_quant", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=120)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _get(url: str, context: ssl.SSLContext | None = None) -> tuple[int, str]:
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=10) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


@contextlib.contextmanager
def serving(home: Path, tmp: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    log = tmp / "dashboards.log"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "cfg"), JUPYTER_RUNTIME_DIR=str(tmp / "rt"),
               JUPYTER_DATA_DIR=str(tmp / "data"), IPYTHONDIR=str(tmp / "ipy"))
    with open(log, "w") as out:
        # --preheat 0: these tests are about auth, TLS and kernel lifetime (pre-heating: tests/e2e/test_dashboards.py)
        proc = subprocess.Popen([sys.executable, "-m", "jupyterlab_quant", "--home", str(home), "dashboards",
                                 "--preheat", "0", *args],
                                stdout=out, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    try:
        yield proc, log
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def _wait(url: str, proc: subprocess.Popen[str], log: Path, context: ssl.SSLContext | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        with contextlib.suppress(OSError):
            _get(url, context)
            return
        time.sleep(0.3)
    raise AssertionError(f"no answer from {url}:\n{log.read_text()}")


def test_gallery_declares_three_dashboards_with_their_files() -> None:
    names = [d.name for d in load_gallery()]
    assert names == ["monitor", "tearsheet", "data_health"]
    tear = find_dashboard("tearsheet")
    assert tear.text("title") == "回测报告" and tear.text("title", "en") == "Backtest tearsheet"
    assert tear.params[0]["name"] == "report"
    for d in load_gallery():
        nb = json.loads((dashboards_dir() / d.file).read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        # layout only: one short cell composing a widget of jupyterlab_quant.widgets
        assert len(code) == 1 and "jupyterlab_quant.widgets." in "".join(code[0]["source"])
        assert all(not c.get("outputs") for c in code)


def test_list_text_and_json(home: Path) -> None:
    r = jlq(home, "dashboards", "list")
    assert r.returncode == 0, r.stderr
    assert "实时监控" in r.stdout and "?report=" in r.stdout
    r = jlq(home, "dashboards", "list", "--json")
    body = json.loads(r.stdout)
    assert [d["name"] for d in body["dashboards"]] == ["monitor", "tearsheet", "data_health"]
    assert Path(body["directory"]) == dashboards_dir()


def test_dry_run_binds_localhost_with_a_token(home: Path) -> None:
    r = jlq(home, "dashboards", "--dry-run", "--port", "18999", "--token", "t0ken")
    assert r.returncode == 0, r.stderr
    cmd = r.stdout.strip().splitlines()[-1]
    assert "--Voila.ip=127.0.0.1" in cmd and "--Voila.token=t0ken" in cmd
    assert "--preheat_kernel=True --pool_size=1" in cmd                  # pre-heated by default
    assert "voila/render/tearsheet.ipynb?token=t0ken" in r.stdout
    r = jlq(home, "dashboards", "--dry-run", "--preheat", "0")
    assert "--preheat_kernel" not in r.stdout.strip().splitlines()[-1]


def test_voila_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "jupyterlab_quant.server.voila_app", f"--port={_port()}"],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "rt")))
    assert r.returncode == 2
    assert "token" in r.stderr


def test_serves_the_gallery_only_with_the_token(sample_home: Path, tmp_path: Path) -> None:
    port = _port()
    with serving(sample_home, tmp_path, "--port", str(port), "--token", "s3cret") as (proc, log):
        base = f"http://127.0.0.1:{port}/"
        _wait(base, proc, log)
        status, _ = _get(f"{base}voila/render/data_health.ipynb")
        assert status in (302, 403)                        # no token → login, never the page
        status, body = _get(f"{base}voila/api/contents?token=s3cret")   # the listing the home page shows
        assert status == 200
        listed = {c["name"] for c in json.loads(body)["content"]}
        assert {"monitor.ipynb", "tearsheet.ipynb", "data_health.ipynb"} <= listed
        status, _ = _get(f"{base}voila/render/data_health.ipynb?token=wrong")
        assert status in (302, 403)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:                     # Voila stops its kernels, then its listener
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            break
        time.sleep(0.3)
    else:
        pytest.fail("Voila still listening 15 s after the command was stopped")


def test_tls_serves_https_with_the_local_certificate(sample_home: Path, tmp_path: Path) -> None:
    port = _port()
    with serving(sample_home, tmp_path, "--port", str(port), "--token", "s3cret", "--tls") as (proc, log):
        ca = sample_home / "tls" / "jlq-ca.pem"
        deadline = time.monotonic() + 30
        while not ca.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        ctx = ssl.create_default_context(cafile=str(ca))
        url = f"https://127.0.0.1:{port}/?token=s3cret"
        _wait(url, proc, log, ctx)
        status, body = _get(f"https://127.0.0.1:{port}/voila/api/contents?token=s3cret", ctx)
        assert status == 200 and "monitor.ipynb" in body
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/?token=s3cret", timeout=5).read()


def test_a_kernel_whose_page_never_connects_is_shut_down(sample_home: Path, tmp_path: Path) -> None:
    """A tablet that sleeps or a tab closed without unloading leaves a kernel with no websocket; the monitor's
    kernel keeps refreshing, so idle culling would never end it — the orphan timeout does."""
    import psutil

    port = _port()
    with serving(sample_home, tmp_path, "--port", str(port), "--token", "s3cret",
                 "--voila=--QuantVoila.orphan_kernel_timeout=2",
                 "--voila=--QuantVoila.first_connect_grace=2") as (proc, log):
        base = f"http://127.0.0.1:{port}/"
        _wait(base, proc, log)

        def kernels() -> int:
            return sum("ipykernel" in " ".join(p.cmdline()) for p in psutil.Process(proc.pid).children(recursive=True))

        status, page = _get(f"{base}voila/render/data_health.ipynb?token=s3cret&lang=en")  # HTML only, no JS
        assert status == 200 and "voila_finish" in page            # the notebook ran to its end
        deadline = time.monotonic() + 30
        while kernels() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert kernels() == 0, log.read_text()[-3000:]
        assert "shutting down dashboard kernel" in log.read_text()   # ours did it, not Voila's page unload
