"""Dashboard render time: navigation start → first complete render of each Voila dashboard on a tablet.

A hermetic standalone Voila (tests/e2e/conftest.py ``start_voila``: what ``jlq dashboards`` runs) serves the
gallery over a prepared data root (sample store, an account with three holdings, two rules, a watchlist,
two finished backtests — ``prepare_dashboards_home``). Headless Debian chromium opens each page at 1024×768
(touch, zh-CN) in a fresh browser context per run and records, in the page's own clock (``performance.now()``
is ms since navigation start), when the page is complete: Voila's spinner (``#loading``) removed, the
dashboard's ready marker (``.jlq-ready[data-dashboard=…]``) on the page and, where the dashboard draws
charts, a bqplot ``svg``.

Peer, measured side by side in the same run (runs interleaved page by page, so machine noise hits all
alike): a bare Voila notebook with one bqplot figure and one ipywidgets slider, served by a second server
of the same kind — the floor every Voila page pays (kernel start, widget manager, bqplot bundle).

Both again with Voila's pre-heated kernels (``--preheat_kernel=True --pool_size=1``, ``jlq dashboards
--preheat 1``): the notebook runs before the request; our dashboards wait in ``voila.utils.wait_for_request()``
(``common.request_params()``) until the request's query string arrives, so they pre-pay kernel start and
imports only. Between pre-heated runs the script waits for the pool to refill (``--gap`` s) and checks in
Voila's log that every run was served by a pre-heated kernel.

"HTML done" is when Voila finished streaming the page (the notebook has run in the kernel); the rest is the
browser: JavaScript bundles, the widget manager, widget views and bqplot.

Run: ``.venv/bin/python benchmarks/bench_dashboards.py [--runs 5] [--no-preheat]`` (needs /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jupyterlab_quant.bus import Bus  # noqa: E402
from tests.e2e.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    VoilaServer,
    prepare_dashboards_home,
    start_voila,
)

VIEWPORT = {"width": 1024, "height": 768}
TARGET_S = 3.0
PREHEAT = ["--preheat_kernel=True", "--pool_size=1"]

BARE_CODE = '''import bqplot as bq
import ipywidgets as W
import numpy as np

x = np.arange(250)
y = np.cumsum(np.random.default_rng(7).normal(size=250))
xs, ys = bq.LinearScale(), bq.LinearScale()
line = bq.Lines(x=x, y=y, scales={"x": xs, "y": ys})
fig = bq.Figure(marks=[line], axes=[bq.Axis(scale=xs), bq.Axis(scale=ys, orientation="vertical")],
                layout=W.Layout(width="100%", height="320px"))
slider = W.IntSlider(value=250, min=10, max=250, description="n")


def on_n(change):
    with line.hold_sync():
        line.x, line.y = x[: change["new"]], y[: change["new"]]


slider.observe(on_n, names="value")
W.VBox([slider, fig])'''


@dataclass(frozen=True)
class Target:
    label: str
    notebook: str
    query: str = ""
    dashboard: str | None = None   # None: the bare notebook
    charts: bool = True

    def condition(self) -> str:
        """JS predicate of 'complete': no spinner, the ready marker (dashboards) or the slider (bare), an svg."""
        parts = ["!document.getElementById('loading')"]
        if self.dashboard:
            parts.append(f"document.querySelector('.jlq-ready[data-dashboard=\"{self.dashboard}\"]')")
            if self.charts:
                parts.append(f"document.querySelector('.jlq-dash-{self.dashboard} .bqplot svg')")
        else:
            parts += ["document.querySelector('.widget-slider')", "document.querySelector('.bqplot svg')"]
        return "() => (" + " && ".join(parts) + ") ? performance.now() : false"


def write_bare(directory: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(BARE_CODE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    directory.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, directory / "bare.ipynb")


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (with 5 runs, p90 is the slowest run)."""
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]


def measure(browser: Any, server: VoilaServer, target: Target, timeout_s: float) -> tuple[float, float]:
    """(complete page, HTML response end) in seconds from navigation start, in a fresh context; the page is
    then closed and its kernel shut down (the tab-close beacon is refused by the standalone server,
    voila#1458; QuantVoila's orphan timeout would end it only after 10 min)."""
    ctx = browser.new_context(viewport=VIEWPORT, has_touch=True, locale="zh-CN")
    page = ctx.new_page()
    kernels: list[str] = []
    page.on("console", lambda m: kernels.extend(
        [m.text.rsplit("/api/kernels/", 1)[1][:36]] if "/api/kernels/" in m.text else []))
    try:
        page.goto(server.render_url(target.notebook, target.query), wait_until="commit",
                  timeout=timeout_s * 1000)
        handle = page.wait_for_function(target.condition(), polling="raf", timeout=timeout_s * 1000)
        # Voila streams the page while the kernel runs the notebook: the response ends once it has run
        html = page.evaluate("() => performance.getEntriesByType('navigation')[0].responseEnd")
        return float(handle.json_value()) / 1000.0, float(html) / 1000.0
    finally:
        with contextlib.suppress(Exception):
            page.close(run_before_unload=True)
        ctx.close()
        for kid in kernels:
            if not server.kernel_shut_down(kid):
                server.shutdown_kernel(kid)


@contextlib.contextmanager
def servers(root: Path, extra: list[str]) -> Iterator[tuple[VoilaServer, VoilaServer]]:
    with start_voila(root, extra_args=extra, sample=False) as dash, \
            start_voila(root / "bare", root / "bare-nb", extra_args=extra, sample=False) as bare:
        yield dash, bare


def run_phase(browser: Any, dash: VoilaServer, bare: VoilaServer, targets: list[Target], runs: int,
              timeout_s: float, gap_s: float, preheat: bool) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {t.label: [] for t in targets}
    if preheat:
        time.sleep(gap_s)   # the first pools fill at start
    for i in range(runs):
        for t in targets:
            server = bare if t.dashboard is None else dash
            before = server.log_text().count("Using pre-heated kernel")
            secs, html = measure(browser, server, t, timeout_s)
            if preheat and server.log_text().count("Using pre-heated kernel") <= before:
                print(f"  warning: {t.label} run {i + 1} was not served by a pre-heated kernel", file=sys.stderr)
            out[t.label].append((secs, html))
            print(f"  {'preheat ' if preheat else ''}run {i + 1} {t.label:<28} {secs:6.2f} s "
                  f"(HTML done {html:5.2f} s)", file=sys.stderr)
        if preheat and i + 1 < runs:
            time.sleep(gap_s)   # let every pool refill and pre-run its notebook
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per page and mode (fresh browser context each)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a render counts as failed")
    ap.add_argument("--gap", type=float, default=12.0, help="pre-heat: seconds for the pools to refill between runs")
    ap.add_argument("--no-preheat", action="store_true", help="skip the pre-heated-kernel phase")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    results: list[tuple[str, str, list[tuple[float, float]]]] = []
    with tempfile.TemporaryDirectory(prefix="jlq-bench-dash-") as tmp:
        root = Path(tmp)
        write_bare(root / "bare-nb")
        jobs: dict[str, str] = {}
        t0 = time.perf_counter()
        # prepared once (sample store, account, rules, watchlist, backtests); every server reuses the home
        with start_voila(root, prepare=lambda home: jobs.update(prepare_dashboards_home(home, failed=False))):
            pass
        print(f"prepared the data root in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        targets = [Target("bare bqplot + slider (peer)", "bare"),
                   Target("monitor", "monitor", dashboard="monitor"),
                   Target("tearsheet ?report=", "tearsheet", f"report={jobs['moutai']}", dashboard="tearsheet"),
                   Target("data_health", "data_health", dashboard="data_health")]
        modes = [("standard", [])] + ([] if a.no_preheat else [("preheat", PREHEAT)])
        # this process holds the home's bus, as a running quote feed would: dashboard kernels then join that
        # embedded Redis instead of racing to start their own
        bus = Bus(root / "home")
        with contextlib.closing(bus), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for mode, extra in modes:
                with servers(root, extra) as (dash, bare):
                    got = run_phase(browser, dash, bare, targets, a.runs, a.timeout, a.gap, mode == "preheat")
                for t in targets:
                    results.append((mode, t.label, got[t.label]))
            browser.close()

    print(f"\nTime to first complete render at {VIEWPORT['width']}×{VIEWPORT['height']} "
          f"({a.runs} runs each, fresh browser context per run; seconds)\n")
    print("| mode | page | median | p90 | min | max | HTML done (median) | ≤ 3 s (median) |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for mode, label, pairs in results:
        vals = [v for v, _ in pairs]
        med = statistics.median(vals)
        html = statistics.median(h for _, h in pairs)
        print(f"| {mode} | {label} | {med:.2f} | {pct(vals, 0.9):.2f} | {min(vals):.2f} | {max(vals):.2f} | "
              f"{html:.2f} | {'yes' if med <= TARGET_S else 'no'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
