"""Browser tests of the Voila dashboards (issue 7): monitor, tearsheet and data health on a tablet.

One prepared data root per module — the sample store, a risk account holding three sample stocks plus
cash, two risk rules (checked once), a watchlist, two finished backtests and one failed one, submitted
through ``BacktestService`` on its Dask LocalCluster (the path the Backtest panel uses) — served by one
standalone Voila (``python -m jupyterlab_quant.server.voila_app``, what ``jlq dashboards`` runs). Each
dashboard is opened at both tablet viewports (1024×768 landscape, 768×1024 portrait, touch, zh-CN) in
headless Debian chromium; the numbers on the page are checked against the services computed in this
process, the layout against the one-column rule under 820 px, and a screenshot goes to tests/artifacts.
Also: no token → login redirect; a desktop smoke test; ``?report=nope`` and a failed job give readable
messages; ``?lang=en``; a closed tab's kernel is shut down (the page's beacon); a quote published on the bus
from this process moves the monitor's total value without a reload. The last test opens the tearsheet
through JupyterLab's own server (``/jupyterlab-quant/dashboards/…``) on the same data root.

Run: ``.venv/bin/pytest -q tests/e2e/test_dashboards.py -p no:cacheprovider``. Fixtures are in conftest.py.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import (
    ARTIFACTS,
    DASH_CASH,
    DASH_HELD,
    DASH_WATCH,
    PageLog,
    VoilaServer,
    prepare_dashboards_home,
    start_lab,
    start_voila,
)

pytestmark = pytest.mark.e2e

HELD, WATCH, CASH = DASH_HELD, DASH_WATCH, DASH_CASH
TABLET = [(1024, 768), (768, 1024)]
RENDER_TIMEOUT_MS = 90_000
# The module's Voila shuts a kernel down this long without a page. It also counts from kernel start until the
# page's websocket connects, i.e. across the server-side run of the notebook: shorter than a render and the
# culler ends kernels mid-render (seen with 3 s: "Kernel does not exist", pages never ready).
ORPHAN_TIMEOUT_S = 20
CJK = re.compile(r"[\u4e00-\u9fff]")
KERNEL_WS = re.compile(r"/api/kernels/([0-9a-f-]{36})")


# ---- the prepared data root ------------------------------------------------------------------------------

@dataclass
class Prepared:
    root: Path
    jobs: dict[str, str] = field(default_factory=dict)   # "moutai" | "banks" | "boom" → job id

    @property
    def home(self) -> Path:
        return self.root / "home"


@dataclass
class Env:
    voila: VoilaServer
    prep: Prepared
    svc: Any   # Services of the prepared home, in this process

    @property
    def home(self) -> Path:
        return self.prep.home


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    from jupyterlab_quant.app import Services
    from jupyterlab_quant.core.settings import Settings

    prep = Prepared(tmp_path_factory.mktemp("jlq-e2e-dash"))
    with contextlib.ExitStack() as stack:
        svc = Services.from_settings(Settings.from_env(prep.home))
        stack.callback(svc.close)   # closed last: after the server and its kernels are gone
        # This process is the quote publisher (what the scheduler's feed is in production): its bus is up
        # before any dashboard kernel starts, as a running feed's would be. (A monitor that is the first
        # user of a home's embedded Redis starts two servers — see the report of this test module.)
        svc.bus.ping()
        try:
            voila = stack.enter_context(start_voila(
                prep.root, prepare=lambda home: prep.jobs.update(prepare_dashboards_home(home)),
                extra_args=[f"--QuantVoila.orphan_kernel_timeout={ORPHAN_TIMEOUT_S}"]))
        except RuntimeError as exc:
            pytest.fail(str(exc))
        yield Env(voila, prep, svc)


@pytest.fixture
def voila(env: Env) -> VoilaServer:
    """The module's Voila by name, so a failing test's report carries its log (conftest hook)."""
    return env.voila


# ---- browser helpers -------------------------------------------------------------------------------------

_OFFLINE = ("net::ERR_NAME_NOT_RESOLVED", "net::ERR_INTERNET_DISCONNECTED", "net::ERR_CONNECTION_REFUSED")


def _local(url: str) -> bool:
    return urlparse(url).hostname in ("127.0.0.1", "localhost")


def page_kernels(log: PageLog) -> set[str]:
    """Ids of the kernels the page connected to (from the widget manager's console line)."""
    return {m.group(1) for line in log.console for m in [KERNEL_WS.search(line)] if m}


@contextlib.contextmanager
def open_page(browser: Any, url: str, log: PageLog, width: int = 1024, height: int = 768,
              locale: str = "zh-CN", server: VoilaServer | None = None) -> Iterator[Any]:
    """A fresh context (tablet-like: touch) on ``url``. On exit the page is closed the way a tab is
    (``beforeunload`` runs: Voila's frontend beacons a kernel shutdown) and, with ``server``, the page's
    kernel is shut down through the API too — the beacon is refused today (see
    :func:`test_closing_the_tab_shuts_the_kernel_down`) and monitor kernels left running would pile up."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, has_touch=True, locale=locale)
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    pg.on("console", lambda m: log.console.append(f"[{m.type}] {m.text}"))
    pg.on("pageerror", lambda e: log.errors.append(f"{e.name}: {e.message}\n{e.stack or ''}"))
    pg.on("requestfailed", lambda r: log.console.append(f"[requestfailed] {r.url} {r.failure or ''}"))
    pg.on("response", lambda r: log.console.append(f"[http {r.status}] {r.url}") if r.status >= 400 else None)
    try:
        pg.goto(url, timeout=RENDER_TIMEOUT_MS)
        yield pg
    finally:
        with contextlib.suppress(Exception):
            pg.close(run_before_unload=True)
        ctx.close()
        if server is not None:
            for kid in page_kernels(log):
                if not server.kernel_shut_down(kid):
                    server.shutdown_kernel(kid)


def wait_rendered(pg: Any, name: str, charts: bool) -> None:
    """The dashboard's first data is on the page: its ready marker, Voila's spinner (``#loading``) removed
    and the cells shown (``#rendered_cells`` visible), and a bqplot SVG where the page has charts."""
    pg.wait_for_selector(f'.jlq-ready[data-dashboard="{name}"]', state="attached", timeout=RENDER_TIMEOUT_MS)
    pg.wait_for_selector("#loading", state="detached", timeout=RENDER_TIMEOUT_MS)
    pg.wait_for_selector("#rendered_cells", state="visible", timeout=RENDER_TIMEOUT_MS)
    if charts:
        pg.wait_for_selector(f".jlq-dash-{name} .bqplot svg", timeout=RENDER_TIMEOUT_MS)


def problems(log: PageLog) -> list[str]:
    """Page errors, console errors, failed local requests and local HTTP errors — except the known offline
    ones (Voila's template loads Font Awesome CSS from a public CDN; there is no internet here)."""
    def bad(line: str) -> bool:
        if line.startswith("[error]"):
            return not any(k in line for k in _OFFLINE)
        if line.startswith("[requestfailed]"):
            return _local(line.split()[1])
        return line.startswith("[http") and _local(line.split()[2])

    return [*log.errors, *(line for line in log.console if bad(line))]


def assert_clean(pg: Any, log: PageLog) -> None:
    bad = problems(log)
    assert not bad, "browser problems:\n" + "\n".join(bad)
    text = pg.inner_text("body")
    assert "Traceback" not in text, text[:3000]


def section_boxes(pg: Any, name: str) -> list[dict[str, float]]:
    """Bounding boxes of the dashboard's visible sections (x, y, w, h, name)."""
    return list(pg.eval_on_selector_all(
        f".jlq-dash-{name} .jlq-section",
        """els => els.map(e => { const r = e.getBoundingClientRect();
             const sec = [...e.classList].find(c => c.startsWith('jlq-sec-')) || '';
             return {x: r.x, y: r.y + window.scrollY, w: r.width, h: r.height, name: sec}; })
           .filter(b => b.w > 0 && b.h > 0)"""))


def assert_layout(pg: Any, name: str, width: int, side_by_side: bool = False) -> None:
    # Voila's lab template scrolls inside #rendered_cells, not the document: check both for sideways overflow
    overflow = pg.evaluate("""() => { const rc = document.getElementById('rendered_cells');
        return {page: document.documentElement.scrollWidth - window.innerWidth,
                cells: rc ? rc.scrollWidth - rc.clientWidth : 0}; }""")
    assert overflow["page"] <= 1 and overflow["cells"] <= 1, f"{name} at {width} px overflows sideways: {overflow}"
    boxes = section_boxes(pg, name)
    assert len(boxes) >= 2, boxes
    for b in boxes:
        assert b["x"] >= -1 and b["x"] + b["w"] <= width + 1, f"section outside the viewport: {b}"
    if width < 820:   # one column: every section starts at the same x and spans the same width
        xs = {round(b["x"]) for b in boxes}
        assert max(xs) - min(xs) <= 1, f"{name} at {width} px is not one column: {boxes}"
        ws = {round(b["w"]) for b in boxes}
        assert max(ws) - min(ws) <= 1, f"{name} at {width} px: sections of different widths {boxes}"
    if side_by_side:
        pairs = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                 if abs(a["y"] - b["y"]) <= 2 and abs(a["x"] - b["x"]) > 50]
        assert pairs, f"{name} at {width} px: no two sections side by side: {boxes}"


def shot(pg: Any, name: str) -> None:
    """A full-page screenshot. Voila's page scrolls inside ``#rendered_cells`` (the document is one viewport
    high), so the viewport is stretched to the content's height for the shot (same width: same layout)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = pg.viewport_size
    height = pg.evaluate("""() => { const rc = document.getElementById('rendered_cells');
        return Math.max(document.documentElement.scrollHeight, rc ? rc.scrollHeight : 0); }""")
    try:
        if size and height > size["height"]:
            pg.set_viewport_size({"width": size["width"], "height": min(int(height), 12_000)})
            pg.wait_for_timeout(300)   # relayout (bqplot figures resize)
        pg.screenshot(path=str(ARTIFACTS / name), full_page=True)
    finally:
        if size:
            pg.set_viewport_size(size)


def card_text(pg: Any, dash: str, key: str) -> str:
    return str(pg.inner_text(f'.jlq-dash-{dash} .jlq-card[data-key="{key}"] .value')).strip()


# ---- expected values, computed in this process -----------------------------------------------------------

def expected_total(svc: Any) -> str:
    from jupyterlab_quant.widgets.common import fmt_money

    snap = svc.risk.snapshot(svc.latest_quotes(list(HELD)))
    return fmt_money(snap.total_value)


def expected_total_return(svc: Any, job_id: str) -> str:
    from jupyterlab_quant.backtest import report as rpt

    metrics = svc.backtests.result(job_id)["metrics"]
    return rpt.format_metric("total_return", metrics["total_return"])


def vp_id(vp: tuple[int, int]) -> str:
    return f"{vp[0]}x{vp[1]}"


# ---- the three dashboards at both tablet viewports -------------------------------------------------------

def test_unauthenticated_request_is_redirected_to_login(voila: VoilaServer) -> None:
    status, headers, _ = voila.get("voila/render/monitor.ipynb", token=False, follow=False)
    assert status == 302, status
    assert "login" in headers.get("Location", ""), headers


@pytest.mark.parametrize("viewport", TABLET, ids=vp_id)
def test_monitor(browser: Any, env: Env, voila: VoilaServer, page_log: PageLog, viewport: tuple[int, int]) -> None:
    w, h = viewport
    with open_page(browser, voila.render_url("monitor"), page_log, w, h, server=voila) as pg:
        wait_rendered(pg, "monitor", charts=True)
        # the background refresh may still be filling sections in: wait for every held symbol's row
        for sym in HELD:
            pg.wait_for_selector(f'.jlq-dash-monitor [data-key="positions"] tr[data-symbol="{sym}"]')
        assert card_text(pg, "monitor", "total_value") == expected_total(env.svc)
        positions = pg.inner_text('.jlq-dash-monitor .jlq-sec-positions')
        for sym in HELD:
            assert sym in positions
        rules = pg.locator('.jlq-dash-monitor [data-key="rules"] tr[data-rule]')
        assert rules.count() == 2
        for sym in WATCH:
            pg.wait_for_selector(f'.jlq-dash-monitor [data-key="watchlist"] tr[data-symbol="{sym}"]')
        assert_layout(pg, "monitor", w, side_by_side=w >= 1024)
        shot(pg, f"dashboard-monitor-{w}x{h}.png")
        assert_clean(pg, page_log)


@pytest.mark.parametrize(("viewport", "job"), [(TABLET[0], "moutai"), (TABLET[1], "banks")],
                         ids=[vp_id(TABLET[0]), vp_id(TABLET[1])])
def test_tearsheet(browser: Any, env: Env, voila: VoilaServer, page_log: PageLog, viewport: tuple[int, int],
                   job: str) -> None:
    w, h = viewport
    job_id = env.prep.jobs[job]
    rec = env.svc.backtests.get(job_id)
    with open_page(browser, voila.render_url("tearsheet", f"report={job_id}"), page_log, w, h, server=voila) as pg:
        wait_rendered(pg, "tearsheet", charts=True)
        header = pg.inner_text(".jlq-dash-tearsheet .jlq-report-header")
        assert rec["label"] in header and job_id in header, header
        for sym in rec["spec"]["symbols"]:
            assert sym in header, header
        assert card_text(pg, "tearsheet", "total_return") == expected_total_return(env.svc, job_id)
        for sec in ("equity", "drawdown", "monthly", "metrics", "trades"):
            assert pg.locator(f".jlq-dash-tearsheet .jlq-section.jlq-sec-{sec}").count() == 1, sec
        # the picker lists the done jobs only: the failed one is not offered
        options = [str(o).replace("\xa0", " ") for o in pg.eval_on_selector_all(   # ipywidgets pads with nbsp
            ".jlq-dash-tearsheet .jlq-picker select option", "os => os.map(o => o.text)")]
        assert any("e2e banks" in o for o in options) and any("茅台" in o for o in options), options
        assert not any("boom" in o for o in options), options
        assert_layout(pg, "tearsheet", w, side_by_side=w >= 1024)
        shot(pg, f"dashboard-tearsheet-{w}x{h}.png")
        assert_clean(pg, page_log)


@pytest.mark.parametrize("viewport", TABLET, ids=vp_id)
def test_data_health(browser: Any, env: Env, voila: VoilaServer, page_log: PageLog,
                     viewport: tuple[int, int]) -> None:
    w, h = viewport
    coverage = env.svc.query.coverage()
    with open_page(browser, voila.render_url("data_health"), page_log, w, h, server=voila) as pg:
        wait_rendered(pg, "data_health", charts=True)
        table = datasets_table(pg)
        for name, rows, _first, _last in coverage:
            row = table.get(name)
            assert row is not None, f"dataset {name} not listed: {sorted(table)}"
            assert row == f"{rows:,}", (name, rows, row)
        assert_layout(pg, "data_health", w)
        shot(pg, f"dashboard-data_health-{w}x{h}.png")
        assert_clean(pg, page_log)


def datasets_table(pg: Any) -> dict[str, str]:
    """Dataset name → its row count as shown, from the data-health page's datasets table (columns:
    dataset (name + label), rows, symbols, first, last, files, size, last write)."""
    rows = pg.eval_on_selector_all(
        '.jlq-dash-data_health [data-key="datasets"] tbody tr',
        "trs => trs.map(tr => [tr.cells[0].innerText.trim().split('\\n')[0].trim(), tr.cells[1].innerText.trim()])")
    return {str(k): str(v) for k, v in rows}


# ---- other viewports, bad input, English ------------------------------------------------------------------

def test_monitor_desktop_smoke(browser: Any, env: Env, voila: VoilaServer, page_log: PageLog) -> None:
    with open_page(browser, voila.render_url("monitor"), page_log, 1920, 1080, server=voila) as pg:
        wait_rendered(pg, "monitor", charts=True)
        pg.wait_for_selector('.jlq-dash-monitor [data-key="positions"] tr[data-symbol]')
        assert_layout(pg, "monitor", 1920, side_by_side=True)
        shot(pg, "dashboard-monitor-1920x1080.png")
        assert_clean(pg, page_log)


def test_tearsheet_unknown_report(browser: Any, env: Env, voila: VoilaServer, page_log: PageLog) -> None:
    with open_page(browser, voila.render_url("tearsheet", "report=nope"), page_log, server=voila) as pg:
        wait_rendered(pg, "tearsheet", charts=False)
        msg = pg.locator(".jlq-dash-tearsheet .jlq-message").first
        msg.wait_for()
        assert "nope" in msg.inner_text()
        assert pg.locator(".jlq-dash-tearsheet .jlq-report-header").count() == 0
        shot(pg, "dashboard-tearsheet-nope.png")
        assert_clean(pg, page_log)


def test_tearsheet_failed_job(browser: Any, env: Env, voila: VoilaServer, page_log: PageLog) -> None:
    job_id = env.prep.jobs["boom"]
    with open_page(browser, voila.render_url("tearsheet", f"report={job_id}"), page_log, server=voila) as pg:
        wait_rendered(pg, "tearsheet", charts=False)
        msg = pg.locator(".jlq-dash-tearsheet .jlq-message.error").first
        msg.wait_for()
        text = msg.inner_text()
        assert job_id in text and "boom on purpose" in text, text
        assert_clean(pg, page_log)


@pytest.mark.parametrize("name", ["monitor", "data_health"])
def test_english(browser: Any, env: Env, voila: VoilaServer, page_log: PageLog, name: str) -> None:
    with open_page(browser, voila.render_url(name, "lang=en"), page_log, locale="en-US", server=voila) as pg:
        wait_rendered(pg, name, charts=name == "monitor")
        titles = pg.eval_on_selector_all(f".jlq-dash-{name} .jlq-section h3", "hs => hs.map(h => h.innerText)")
        assert titles, "no section titles"
        assert not [t for t in titles if CJK.search(t)], titles
        for heading in pg.eval_on_selector_all(f".jlq-dash-{name} h2", "hs => hs.map(h => h.innerText)"):
            assert not CJK.search(heading), heading
        if name == "monitor":
            pg.wait_for_selector('.jlq-dash-monitor .jlq-card[data-key="total_value"]')
            assert "Total value" in pg.inner_text('.jlq-dash-monitor .jlq-card[data-key="total_value"] .label')
        shot(pg, f"dashboard-{name}-en.png")
        assert_clean(pg, page_log)


def test_closing_the_tab_shuts_the_kernel_down(browser: Any, env: Env, voila: VoilaServer,
                                              page_log: PageLog) -> None:
    """A closed tab must not leave its kernel running (the monitor's refresh threads would run on, one set per
    page ever opened). Voila's page beacons ``POST /voila/api/shutdown/<id>`` on ``beforeunload``; stock
    standalone Voila answers it 403 (no ``_xsrf`` cookie, voila#1458) — our page handler sets the cookie, so
    the kernel goes at once, long before the orphan timeout (20 s in this module, 600 s by default)."""
    ctx = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, locale="zh-CN")
    pg = ctx.new_page()
    pg.on("console", lambda m: page_log.console.append(f"[{m.type}] {m.text}"))
    try:
        pg.goto(voila.render_url("monitor"), timeout=RENDER_TIMEOUT_MS)
        wait_rendered(pg, "monitor", charts=True)
        kernels = page_kernels(page_log)
        assert kernels, "no kernel WebSocket seen"
        assert any(c["name"] == "_xsrf" for c in ctx.cookies())
        closed = time.monotonic()
        pg.close(run_before_unload=True)
        deadline = closed + ORPHAN_TIMEOUT_S / 2
        while time.monotonic() < deadline and not all(voila.kernel_shut_down(k) for k in kernels):
            time.sleep(0.2)
        beacon = [ln for ln in voila.log_text().splitlines() if "/voila/api/shutdown/" in ln][-1:]
        assert all(voila.kernel_shut_down(k) for k in kernels), (
            f"kernel {kernels} still running {time.monotonic() - closed:.0f} s after the tab closed; "
            f"beacon: {beacon}")
        assert "shutting down dashboard kernel" not in voila.log_text()   # the page did it, not the culler
    finally:
        ctx.close()
        for kid in page_kernels(page_log):
            if not voila.kernel_shut_down(kid):
                voila.shutdown_kernel(kid)


def test_preheated_kernels_serve_the_requested_report(browser: Any, env: Env, page_log: PageLog) -> None:
    """`jlq dashboards` pre-heats by default: a pooled kernel imported everything before the request and
    must still read this request's ``?report=`` and ``?lang=`` (twice: the pool refills behind the first)."""
    with start_voila(env.prep.root, sample=False, extra_args=["--preheat_kernel=True", "--pool_size=1"]) as pre:
        for job in ("banks", "moutai"):
            time.sleep(10)   # the pool (re)fills: a kernel starts and runs the notebook up to the request wait
            job_id = env.prep.jobs[job]
            with open_page(browser, pre.render_url("tearsheet", f"report={job_id}&lang=en"), page_log,
                           server=pre) as pg:
                wait_rendered(pg, "tearsheet", charts=True)
                assert job_id in pg.inner_text(".jlq-dash-tearsheet .jlq-report-header")
                assert "Backtest tearsheet" in pg.inner_text(".jlq-dash-tearsheet h2")
                assert card_text(pg, "tearsheet", "total_return") == expected_total_return(env.svc, job_id)
                assert_clean(pg, page_log)
        assert pre.log_text().count("Using pre-heated kernel") == 2, pre.log_text()[-3000:]


# ---- live update from the bus -----------------------------------------------------------------------------

def test_monitor_follows_a_bus_quote(browser: Any, env: Env, voila: VoilaServer, page_log: PageLog) -> None:
    from jupyterlab_quant.core.live import Quote, exchange_now

    sym = "600519.SH"
    with open_page(browser, voila.render_url("monitor"), page_log, server=voila) as pg:
        wait_rendered(pg, "monitor", charts=True)
        pg.wait_for_selector(f'.jlq-dash-monitor [data-key="positions"] tr[data-symbol="{sym}"]')
        before = card_text(pg, "monitor", "total_value")
        assert before == expected_total(env.svc)
        last = env.svc.query.last_quotes([sym])[sym]
        price = round(last.price * 1.07, 2)   # +7 %: clearly different, inside the 10 % band
        quote = Quote(sym, price, last.price, exchange_now(), last.price, price, last.price, 1_000_000,
                      price * 1_000_000, last.name)
        env.svc.bus.publish_quotes([quote])
        want = expected_total(env.svc)
        assert want != before
        deadline, now = time.monotonic() + 15, before
        while time.monotonic() < deadline:
            now = card_text(pg, "monitor", "total_value")
            if now == want:
                break
            time.sleep(0.25)
            # bus quotes expire after 10 s: keep this one alive while waiting
            env.svc.bus.publish_quotes([quote])
        assert now == want, f"total value card shows {now!r}, expected {want!r} (was {before!r})"
        row = pg.locator(f'.jlq-dash-monitor [data-key="positions"] tr[data-symbol="{sym}"]')
        assert row.get_attribute("data-live") == "1"
        assert f"{price:,.2f}" in row.inner_text()
        shot(pg, "dashboard-monitor-live.png")
        assert_clean(pg, page_log)


# ---- inside JupyterLab's server ---------------------------------------------------------------------------

def test_tearsheet_inside_jupyterlab(browser: Any, env: Env, page_log: PageLog) -> None:
    job_id = env.prep.jobs["moutai"]
    with contextlib.ExitStack() as stack:
        try:
            lab = stack.enter_context(start_lab(env.prep.root))   # same home: the backtests above are there
        except RuntimeError as exc:
            pytest.fail(str(exc))
        status, body = lab.request("GET", "jupyterlab-quant/dashboards/nope")
        assert status == 404, (status, body)
        assert isinstance(body, dict) and "nope" in str(body), body
        url = f"{lab.url}jupyterlab-quant/dashboards/tearsheet?report={job_id}&token={lab.token}"
        try:
            with open_page(browser, url, page_log) as pg:
                wait_rendered(pg, "tearsheet", charts=True)
                assert card_text(pg, "tearsheet", "total_return") == expected_total_return(env.svc, job_id)
                assert job_id in pg.inner_text(".jlq-dash-tearsheet .jlq-report-header")
                shot(pg, "dashboard-tearsheet-in-lab.png")
                assert_clean(pg, page_log)
        except (AssertionError, Exception) as exc:
            raise type(exc)(f"{exc}\n--- jupyter lab log (tail) ---\n{lab.log_tail()}") from exc
