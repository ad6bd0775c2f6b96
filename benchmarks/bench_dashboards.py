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

Browser cache, cold and warm, in the same run: **cold** is a fresh browser context per run (nothing cached);
**warm** is a tablet that opens the dashboards every day: one browser context per server phase, one untimed
navigation to every page to fill its HTTP cache, then each timed run a fresh page (tab) in that context.
Per navigation the script classifies Voila's static files (same-origin scripts and stylesheets under
``/voila/``) by the Resource Timing API: ``transferSize`` 0 = served from the browser cache without asking,
below the body size = revalidated (a 304: headers only), otherwise downloaded (a 304 of a file smaller than
its headers counts as downloaded). It also reports the ``Cache-Control`` / ``ETag`` / ``Last-Modified``
headers the server sent per static path prefix, which decide what a warm cache can skip.

Run: ``.venv/bin/python benchmarks/bench_dashboards.py [--runs 5] [--no-preheat] [--no-warm]`` (needs
/usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import collections
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

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

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


@dataclass(frozen=True)
class Sample:
    secs: float          # complete page, from navigation start
    html: float          # end of Voila's streamed HTML response
    downloaded: int      # Voila static files fetched in full
    revalidated: int     # ... answered 304 (headers only)
    cached: int          # ... served from the browser cache without a request
    kbytes: float        # transferred for those files


# same-origin scripts and stylesheets under /voila/: (downloaded, revalidated, cached, bytes)
STATICS_JS = """() => {
  let d = 0, r = 0, c = 0, b = 0;
  for (const e of performance.getEntriesByType('resource')) {
    const u = new URL(e.name);
    if (u.origin !== location.origin || !u.pathname.includes('/voila/') || u.pathname.includes('/api/')) continue;
    if (!/\\.(js|css)$/.test(u.pathname)) continue;
    if (e.transferSize === 0) c++; else if (e.transferSize < e.encodedBodySize) r++; else d++;
    b += e.transferSize;
  }
  return [d, r, c, b];
}"""
FAILED_JS = """() => ({spinner: !!document.getElementById('loading'), ready: !!document.querySelector('.jlq-ready'),
  svg: !!document.querySelector('.bqplot svg'), text: document.body.innerText.slice(0, 300)})"""
STATIC_PREFIXES = ("/voila/static/", "/voila/templates/", "/voila/labextensions/")


def new_context(browser: Any) -> Any:
    return browser.new_context(viewport=VIEWPORT, has_touch=True, locale="zh-CN")


def measure(browser: Any, server: VoilaServer, target: Target, timeout_s: float, context: Any = None,
            headers: dict[str, collections.Counter[str]] | None = None) -> Sample:
    """One navigation, timed in the page's clock, in a fresh context (``context`` None: cold cache) or as a new
    page of ``context`` (warm); the page is then closed and its kernel shut down (the tab-close beacon is
    refused by the standalone server, voila#1458; QuantVoila's orphan timeout would end it only after 10 min).
    ``headers`` collects the caching headers of the static files per path prefix."""
    ctx = context or new_context(browser)
    page = ctx.new_page()
    kernels: list[str] = []
    page.on("console", lambda m: kernels.extend(
        [m.text.rsplit("/api/kernels/", 1)[1][:36]] if "/api/kernels/" in m.text else []))
    if headers is not None:
        page.on("response", lambda r: _note_headers(headers, r))
    try:
        page.goto(server.render_url(target.notebook, target.query), wait_until="commit",
                  timeout=timeout_s * 1000)
        try:
            handle = page.wait_for_function(target.condition(), polling="raf", timeout=timeout_s * 1000)
        except PlaywrightTimeout:   # counted as a failed run (reported), not the end of the benchmark
            state = page.evaluate(FAILED_JS)
            print(f"  FAILED {target.label}: not complete after {timeout_s:.0f} s: {state}", file=sys.stderr)
            return Sample(math.nan, math.nan, 0, 0, 0, 0.0)
        # Voila streams the page while the kernel runs the notebook: the response ends once it has run
        html = page.evaluate("() => performance.getEntriesByType('navigation')[0].responseEnd")
        d, r, c, b = page.evaluate(STATICS_JS)
        return Sample(float(handle.json_value()) / 1000.0, float(html) / 1000.0, int(d), int(r), int(c),
                      float(b) / 1e3)
    finally:
        with contextlib.suppress(Exception):
            page.close(run_before_unload=True)
        if context is None:
            ctx.close()
        for kid in kernels:
            if not server.kernel_shut_down(kid):
                server.shutdown_kernel(kid)


def _note_headers(out: dict[str, collections.Counter[str]], response: Any) -> None:
    path = response.url.split("?", 1)[0].split("://", 1)[-1]
    path = path[path.find("/"):]
    prefix = next((p for p in STATIC_PREFIXES if path.startswith(p)), None)
    if prefix is None:
        return
    h = response.headers
    key = (f"Cache-Control: {h.get('cache-control', '(none)')}; ETag: {'yes' if h.get('etag') else 'no'}; "
           f"Last-Modified: {'yes' if h.get('last-modified') else 'no'}")
    out.setdefault(prefix, collections.Counter())[key] += 1


@contextlib.contextmanager
def servers(root: Path, extra: list[str]) -> Iterator[tuple[VoilaServer, VoilaServer]]:
    with start_voila(root, extra_args=extra, sample=False) as dash, \
            start_voila(root / "bare", root / "bare-nb", extra_args=extra, sample=False) as bare:
        yield dash, bare


def run_phase(browser: Any, dash: VoilaServer, bare: VoilaServer, targets: list[Target], runs: int,
              timeout_s: float, gap_s: float, preheat: bool, caches: list[str],
              headers: dict[str, collections.Counter[str]]) -> dict[tuple[str, str], list[Sample]]:
    """Runs interleaved page by page and cache mode by cache mode, so machine noise hits all alike."""
    out: dict[tuple[str, str], list[Sample]] = {(c, t.label): [] for c in caches for t in targets}

    def server_of(t: Target) -> VoilaServer:
        return bare if t.dashboard is None else dash

    if preheat:
        time.sleep(gap_s)   # the first pools fill at start
    warm = new_context(browser) if "warm" in caches else None
    try:
        if warm is not None:   # the tablet opened every page once before (untimed)
            for t in targets:
                measure(browser, server_of(t), t, timeout_s, warm)
            if preheat:
                time.sleep(gap_s)
        for i in range(runs):
            for j, cache in enumerate(caches):
                if preheat and j:
                    time.sleep(gap_s)   # one pooled kernel per server: let it refill between navigations
                for t in targets:
                    server = server_of(t)
                    before = server.log_text().count("Using pre-heated kernel")
                    got = measure(browser, server, t, timeout_s, warm if cache == "warm" else None,
                                  headers if cache == "cold" else None)
                    if preheat and server.log_text().count("Using pre-heated kernel") <= before:
                        print(f"  warning: {t.label} {cache} run {i + 1} was not served by a pre-heated kernel",
                              file=sys.stderr)
                    out[(cache, t.label)].append(got)
                    print(f"  {'preheat' if preheat else 'standard'} {cache} run {i + 1} {t.label:<28} "
                          f"{got.secs:6.2f} s (HTML done {got.html:5.2f} s; statics downloaded {got.downloaded}, "
                          f"304 {got.revalidated}, cached {got.cached}, {got.kbytes:,.0f} kB)", file=sys.stderr)
            if preheat and i + 1 < runs:
                time.sleep(gap_s)   # let every pool refill and pre-run its notebook
    finally:
        if warm is not None:
            warm.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per page and mode (fresh browser context each)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a render counts as failed")
    ap.add_argument("--gap", type=float, default=12.0, help="pre-heat: seconds for the pools to refill between runs")
    ap.add_argument("--no-preheat", action="store_true", help="skip the pre-heated-kernel phase")
    ap.add_argument("--no-warm", action="store_true", help="skip the warm-browser-cache runs")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    caches = ["cold"] if a.no_warm else ["cold", "warm"]
    results: list[tuple[str, str, str, list[Sample]]] = []
    headers: dict[str, collections.Counter[str]] = {}
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
                    got = run_phase(browser, dash, bare, targets, a.runs, a.timeout, a.gap, mode == "preheat",
                                    caches, headers)
                for cache in caches:
                    for t in targets:
                        results.append((mode, cache, t.label, got[(cache, t.label)]))
            browser.close()

    print(f"\nTime to first complete render at {VIEWPORT['width']}×{VIEWPORT['height']} "
          f"({a.runs} runs each; cold = fresh browser context per run, warm = new tab in a context that opened "
          f"every page before; seconds; statics = Voila's JS/CSS downloaded / 304 / from cache, median)\n")
    print("| mode | cache | page | median | p90 | min | max | HTML done (median) | statics d / 304 / cached "
          "| kB | ≤ 3 s (median) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---|---:|---|")
    for mode, cache, label, all_samples in results:
        samples = [s for s in all_samples if not math.isnan(s.secs)]
        failed = len(all_samples) - len(samples)
        if not samples:
            print(f"| {mode} | {cache} | {label} | failed ({failed} of {failed}) | | | | | | | no |")
            continue
        if failed:
            label += f" ({failed} of {len(all_samples)} failed)"
        vals = [s.secs for s in samples]
        med = statistics.median(vals)
        html = statistics.median(s.html for s in samples)
        statics = " / ".join(f"{statistics.median(getattr(s, k) for s in samples):.0f}"
                             for k in ("downloaded", "revalidated", "cached"))
        kb = statistics.median(s.kbytes for s in samples)
        print(f"| {mode} | {cache} | {label} | {med:.2f} | {pct(vals, 0.9):.2f} | {min(vals):.2f} | {max(vals):.2f} "
              f"| {html:.2f} | {statics} | {kb:,.0f} | {'yes' if med <= TARGET_S else 'no'} |")
    print("\nCaching headers of Voila's static files (responses seen in the cold runs):\n")
    for prefix in STATIC_PREFIXES:
        for key, n in sorted(headers.get(prefix, collections.Counter()).items()):
            print(f"- `{prefix}…` ({n} responses): {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
