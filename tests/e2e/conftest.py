"""Browser-test fixtures: a hermetic JupyterLab with the sample store, and Debian chromium via Playwright.

Everything the server writes goes to a temp dir: JLQ_HOME (sample store), JUPYTER_CONFIG_DIR (user
settings and workspaces), JUPYTER_DATA_DIR, JUPYTER_RUNTIME_DIR, IPYTHONDIR. The "Jupyter news" toast
is turned off through a *user* setting in that temp config dir, so nothing is written into sys.prefix.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PLUGIN_ID = "jupyterlab-quant:plugin"
NOTIFICATION_SETTINGS = {"checkForUpdates": False, "fetchNews": "false"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LabServer:
    url: str  # base URL, ends with "/"
    token: str
    root: Path
    log_path: Path
    proc: subprocess.Popen[bytes]

    def lab_url(self, query: str = "reset") -> str:
        return f"{self.url}lab?{query}&token={self.token}"

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}{path.lstrip('/')}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, _decode(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _decode(exc.read())

    def set_settings(self, values: dict[str, Any], plugin_id: str = PLUGIN_ID) -> None:
        """Replace the user settings of a plugin (as the Settings Editor would)."""
        status, body = self.request("PUT", f"lab/api/settings/{plugin_id}", {"raw": json.dumps(values)})
        assert status == 204, f"saving settings failed: HTTP {status} {body}"

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _decode(raw: bytes) -> Any:
    """JSON when the body is JSON, else the text (None when empty)."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def jp_asyncio_loop() -> None:
    """Disable pytest-jupyter's autouse event loop here: Playwright's sync API runs its own loop."""
    return None


@pytest.fixture
def jp_server_cleanup() -> None:
    """Disable pytest-jupyter's in-process ServerApp cleanup: these tests run lab in a subprocess."""
    return None


@contextlib.contextmanager
def start_lab(root: Path, extra_args: list[str] | None = None, extra_env: dict[str, str] | None = None,
              prepare: Callable[[Path], None] | None = None) -> Iterator[LabServer]:
    """A hermetic ``jupyter lab`` under ``root`` (sample store loaded; ``prepare(home)`` runs before the
    server starts); stopped on exit. Also used by benchmarks/bench_quotes.py."""
    labext = ROOT / "jupyterlab_quant" / "labextension" / "package.json"
    if not labext.exists():
        raise RuntimeError("the labextension is not built: run `jlpm install && jlpm build` first")
    dirs = {name: root / name for name in ("home", "config", "data", "runtime", "ipython", "notebooks")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    env = os.environ.copy()
    env.update(
        JLQ_HOME=str(dirs["home"]),
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        IPYTHONDIR=str(dirs["ipython"]),
        PYTHONUNBUFFERED="1",
        **(extra_env or {}),
    )
    init = subprocess.run(
        [sys.executable, "-m", "jupyterlab_quant", "data", "init-sample"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if init.returncode != 0:
        raise RuntimeError(f"init-sample failed:\n{init.stdout}\n{init.stderr}")
    if prepare is not None:
        prepare(dirs["home"])

    # User setting (not overrides.json in sys.prefix): no "Jupyter news" toast over screenshots.
    _write_json(
        dirs["config"]
        / "lab"
        / "user-settings"
        / "@jupyterlab"
        / "apputils-extension"
        / "notification.jupyterlab-settings",
        NOTIFICATION_SETTINGS,
    )

    port = _free_port()
    token = secrets.token_hex(16)
    log_path = root / "jupyter-lab.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--allow-root",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--port={port}",
            "--port-retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={dirs['notebooks']}",
            "--FileContentsManager.delete_to_trash=False",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            *(extra_args or []),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = LabServer(f"http://127.0.0.1:{port}/", token, root, log_path, proc)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                status, _ = server.request("GET", "api/status")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyter lab did not answer /api/status within 90 s:\n{server.log_tail()}")
            time.sleep(0.25)
        _, page_html = server.request("GET", "lab")
        if '"jupyterlab-quant"' not in str(page_html):
            raise RuntimeError(
                "JupyterLab does not list the jupyterlab-quant labextension: run "
                "`jupyter labextension develop --overwrite .` (editable install) or `pip install .`"
            )
        yield server
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    try:
        with start_lab(tmp_path_factory.mktemp("jlq-e2e")) as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); `make test` installs it")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class PageLog:
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"page errors ({len(self.errors)}):", *self.errors, f"console ({len(self.console)}):"]
        return "\n".join(lines + self.console[-200:])


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(browser: Any, lab_server: LabServer, page_log: PageLog, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 850}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.on("console", lambda m: page_log.console.append(f"[{m.type}] {m.text}"))
    pg.on("pageerror", lambda e: page_log.errors.append(f"{e.name}: {e.message}\n{e.stack or ''}"))
    yield pg
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Attach the browser console and the server log tail to failing browser tests."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        log = item.funcargs.get("page_log") if hasattr(item, "funcargs") else None
        if isinstance(log, PageLog):
            report.sections.append(("browser console", log.text()))
        server = item.funcargs.get("lab_server") if hasattr(item, "funcargs") else None
        if isinstance(server, LabServer):
            report.sections.append(("jupyter lab log (tail)", server.log_tail()))
        voila = item.funcargs.get("voila") if hasattr(item, "funcargs") else None
        # by class name: test modules import this file as tests.e2e.conftest, pytest loads it as conftest
        if type(voila).__name__ == "VoilaServer":
            report.sections.append(("voila log (tail)", voila.log_tail()))


# ---- standalone Voila (the dashboards) ------------------------------------------------------------------

@dataclass
class VoilaServer:
    url: str  # base URL, ends with "/"
    token: str
    root: Path
    home: Path
    notebooks: Path
    log_path: Path
    proc: subprocess.Popen[bytes]

    def render_url(self, notebook: str, query: str = "") -> str:
        """``/voila/render/<notebook>?token=…[&query]`` (``notebook`` with or without ``.ipynb``)."""
        nb = notebook if notebook.endswith(".ipynb") else f"{notebook}.ipynb"
        return f"{self.url}voila/render/{nb}?token={self.token}" + (f"&{query.lstrip('&?')}" if query else "")

    def get(self, path: str, *, token: bool = True, follow: bool = True) -> tuple[int, dict[str, str], str]:
        """(status, headers, body text) of a GET; ``follow=False`` reports redirects instead of following."""
        url = f"{self.url}{path.lstrip('/')}"
        if token:
            url += ("&" if "?" in url else "?") + f"token={self.token}"
        opener = urllib.request.build_opener() if follow else urllib.request.build_opener(_NoRedirect())
        try:
            with opener.open(url, timeout=60) as resp:
                return resp.status, dict(resp.headers), resp.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers or {}), exc.read().decode(errors="replace")

    def shutdown_kernel(self, kernel_id: str) -> int:
        """``POST /voila/api/shutdown/<id>`` with the token header (what the page's ``beforeunload`` beacon
        asks for; token-authenticated requests need no XSRF cookie). Returns the HTTP status."""
        req = urllib.request.Request(f"{self.url}voila/api/shutdown/{kernel_id}", data=b"", method="POST",
                                     headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    def kernel_shut_down(self, kernel_id: str) -> bool:
        return f"Kernel shutdown: {kernel_id}" in self.log_text()

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no voila log)"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started with ``start_new_session`` and the kernels it started. SIGTERM to its process
    group first (Voila then shuts its kernels down cleanly); kernels still alive afterwards — jupyter_client
    puts each in a session of its own, so the group misses them — get SIGTERM, then SIGKILL, by pid."""
    kids: list[Any] = []
    try:
        import psutil

        kids = psutil.Process(proc.pid).children(recursive=True)
    except Exception:  # psutil missing or the server already gone
        kids = []
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
    for kid in kids:
        with contextlib.suppress(Exception):
            if kid.is_running():
                kid.terminate()
    deadline = time.monotonic() + 10
    for kid in kids:
        with contextlib.suppress(Exception):
            kid.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(Exception):
            if kid.is_running():
                kid.kill()


@contextlib.contextmanager
def start_voila(root: Path, notebooks: Path | None = None, *, extra_args: list[str] | None = None,
                extra_env: dict[str, str] | None = None, prepare: Callable[[Path], None] | None = None,
                sample: bool = True, timeout_s: float = 60.0) -> Iterator[VoilaServer]:
    """A hermetic standalone Voila (``python -m jupyterlab_quant.server.voila_app``, what ``jlq dashboards``
    runs) serving ``notebooks`` (default: the dashboard gallery) with ``JLQ_HOME=root/home`` — the same home
    :func:`start_lab` uses for ``root``, so one prepared root can back both servers. The sample store is
    loaded unless ``sample=False`` (idempotent); ``prepare(home)`` runs before the server starts. Jupyter's
    config/data/runtime dirs and IPYTHONDIR are private temp dirs (``voila-*`` under ``root``); kernels
    inherit the environment. Stopped (server and kernels) on exit. Also used by benchmarks/bench_dashboards.py."""
    from jupyterlab_quant.widgets.gallery import dashboards_dir

    nb_dir = Path(notebooks) if notebooks is not None else dashboards_dir()
    home = root / "home"
    dirs = {name: root / f"voila-{name}" for name in ("config", "data", "runtime", "ipython")}
    for d in (home, *dirs.values()):
        d.mkdir(parents=True, exist_ok=True)
    env = os.environ.copy()
    env.update(
        JLQ_HOME=str(home),
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        IPYTHONDIR=str(dirs["ipython"]),
        PYTHONUNBUFFERED="1",
        **(extra_env or {}),
    )
    if sample:
        init = subprocess.run([sys.executable, "-m", "jupyterlab_quant", "data", "init-sample"], env=env,
                              capture_output=True, text=True, timeout=300)
        if init.returncode != 0:
            raise RuntimeError(f"init-sample failed:\n{init.stdout}\n{init.stderr}")
    if prepare is not None:
        prepare(home)

    port = _free_port()
    token = secrets.token_hex(16)
    log_path = root / f"voila-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab_quant.server.voila_app", str(nb_dir), f"--port={port}",
         "--Voila.port_retries=0", f"--Voila.token={token}", f"--Voila.connection_dir_root={dirs['runtime']}",
         *(extra_args or [])],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=str(root),
    )
    server = VoilaServer(f"http://127.0.0.1:{port}/", token, root, home, nb_dir, log_path, proc)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"voila exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                status, _, _ = server.get("")  # the tree page: answers without starting a kernel
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"voila did not answer within {timeout_s:.0f} s:\n{server.log_tail()}")
            time.sleep(0.25)
        yield server
    finally:
        _kill_tree(proc)
        log.close()


# ---- a data root for the dashboards ---------------------------------------------------------------------

DASH_CASH = 200_000.0
DASH_HELD = {"600519.SH": (200, 1450.0), "000001.SZ": (5000, 11.2), "600036.SH": (1000, 38.5)}
DASH_WATCH = ["600519.SH", "000568.SZ", "300750.SZ", "510300.SH"]
_BOOM = ("import backtrader as bt\n\n\nclass Boom(bt.Strategy):\n    def next(self):\n"
         "        raise RuntimeError('boom on purpose')\n")


def prepare_dashboards_home(home: Path, *, failed: bool = True, timeout_s: float = 180.0) -> dict[str, str]:
    """Fill a data root (sample store already loaded) for the dashboards: risk account with cash and three
    sample stocks, two rules (checked once, so their states are set), a watchlist, and backtests submitted
    through ``BacktestService`` on its Dask LocalCluster (the Backtest panel's path) — two that finish and,
    with ``failed``, one whose strategy raises. Returns {"moutai"|"banks"|"boom": job id}. Used by
    tests/e2e/test_dashboards.py and benchmarks/bench_dashboards.py."""
    from jupyterlab_quant.app import Services
    from jupyterlab_quant.core.settings import Settings

    svc = Services.from_settings(Settings.from_env(home, backtest_workers=1))
    jobs: dict[str, str] = {}
    try:
        svc.watchlist.save(DASH_WATCH)
        accounts = svc.risk.accounts
        accounts.set_cash(DASH_CASH)
        for sym, (qty, cost) in DASH_HELD.items():
            accounts.upsert_position(sym, qty, cost)
        svc.risk.store.add("single_weight", {"max_weight_pct": 30})
        svc.risk.store.add("drawdown", {"max_drawdown_pct": 10})
        svc.risk.check(svc.latest_quotes(list(DASH_HELD)))
        src = (ROOT / "tests" / "fixtures" / "strategies" / "sma_cross.py").read_text(encoding="utf-8")
        requests: dict[str, dict[str, Any]] = {
            "moutai": {"strategy_source": src, "strategy_file": "sma_cross.py", "symbols": ["600519.SH"],
                       "start": "2020-01-02", "end": "2020-12-31", "params": {"fast": 5, "slow": 20},
                       "label": "e2e 茅台均线"},
            "banks": {"strategy_source": src, "strategy_file": "sma_cross.py", "symbols": ["000001.SZ", "600036.SH"],
                      "start": "2021-01-04", "end": "2021-09-30", "label": "e2e banks"},
        }
        if failed:
            requests["boom"] = {"strategy_source": _BOOM, "strategy_file": "boom.py", "symbols": ["600519.SH"],
                                "start": "2020-01-02", "end": "2020-03-31", "label": "e2e boom"}
        for key, body in requests.items():
            jobs[key] = svc.backtests.submit(body)["id"]
        deadline = time.monotonic() + timeout_s
        while True:
            states = {k: svc.backtests.get(i)["status"] for k, i in jobs.items()}
            if all(s in ("done", "failed", "cancelled") for s in states.values()):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"backtests did not finish within {timeout_s:.0f} s: {states}")
            time.sleep(0.3)
        want = {k: "failed" if k == "boom" else "done" for k in jobs}
        if states != want:
            raise RuntimeError(f"unexpected backtest states {states} (wanted {want})")
    finally:
        svc.close()
    return jobs
