"""Browser tests of the market panel (行情) in JupyterLab, on Debian chromium via Playwright.

Run: ``python -m pytest tests/e2e -m e2e``. Fixtures (hermetic lab server, browser) are in conftest.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

# Fixture types (LabServer, PageLog) live in conftest.py; annotated as Any to avoid importing it.
LabServer = PageLog = Any
ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"

SYMBOL = "600519.SH"
KLINE = '[data-testid="quant-kline"]'
RENDERED = f'{KLINE}[data-rendered="true"]'
SEARCH = '[data-testid="quant-market-search"]'
RESULT = '[data-testid="quant-market-result"]'
ERROR = '[data-testid="quant-market-error"]'
OPEN_COMMAND = "jupyterlab-quant:open-market"
LAUNCHER_CARD = '.jp-LauncherCard:has-text("行情")'

# Count pixels close to the candle colours (red up #d62728, green down #2ca02c) on the chart canvas.
COUNT_CANDLE_PIXELS = """
(host) => {
  const canvas = host.querySelector('canvas');
  if (!canvas) { return null; }
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const near = (i, r, g, b) =>
    Math.abs(data[i] - r) < 24 && Math.abs(data[i + 1] - g) < 24 && Math.abs(data[i + 2] - b) < 24;
  let red = 0, green = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (near(i, 0xd6, 0x27, 0x28)) { red++; } else if (near(i, 0x2c, 0xa0, 0x2c)) { green++; }
  }
  return { red, green };
}
"""


def open_lab(page: Any, server: LabServer) -> None:
    page.goto(server.lab_url())
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
    page.wait_for_selector(".jp-Launcher", timeout=60_000)


def open_panel_from_launcher(page: Any) -> Any:
    page.locator(LAUNCHER_CARD).first.click()
    panel = page.locator(".jp-QuantMarketPanel:visible").last
    panel.locator(SEARCH).wait_for()
    return panel


def kline_attrs(panel: Any) -> dict[str, str | None]:
    host = panel.locator(KLINE)
    return {k: host.get_attribute(f"data-{k}") for k in ("rendered", "symbol", "bars", "adjust", "bucket")}


def wheel_until_bucket(page: Any, panel: Any, delta: int, bucket: str, bursts: int = 12) -> bool:
    """Scroll the mouse wheel over the chart in bursts until the drawn bars have `bucket`."""
    host = panel.locator(KLINE)
    for _ in range(bursts):
        for _ in range(8):
            page.mouse.wheel(0, delta)
        page.wait_for_timeout(900)  # zoom debounce (300 ms) + fetch
        page.wait_for_selector(f'{KLINE}[data-rendered="true"]')
        if host.get_attribute("data-bucket") == bucket:
            return True
    return False


def assert_no_page_errors(log: PageLog) -> None:
    assert log.errors == [], "uncaught errors on the page:\n" + "\n".join(log.errors)


def test_search_pick_and_switch_adjust(page: Any, lab_server: LabServer, page_log: PageLog) -> None:
    open_lab(page, lab_server)
    panel = open_panel_from_launcher(page)
    assert page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").inner_text().strip().startswith("行情")

    panel.locator(SEARCH).fill("600519")
    result = panel.locator(f'{RESULT}[data-symbol="{SYMBOL}"]')
    result.wait_for()
    assert "贵州茅台" in result.inner_text()
    result.click()

    panel.locator(f'{RENDERED}[data-symbol="{SYMBOL}"]').wait_for()
    attrs = kline_attrs(panel)
    assert attrs["symbol"] == SYMBOL
    assert attrs["adjust"] == "none"
    assert int(attrs["bars"] or 0) > 1000, attrs
    assert attrs["bucket"] == "1"
    status = panel.locator('[data-testid="quant-market-status"]').inner_text()
    assert "贵州茅台" in status and "日线" in status and "不复权" in status

    pixels = panel.locator(KLINE).evaluate(COUNT_CANDLE_PIXELS)
    assert pixels and pixels["red"] > 50 and pixels["green"] > 50, f"candles not drawn red/green: {pixels}"

    panel.locator('[data-testid="quant-market-adjust-qfq"]').click()
    panel.locator(f'{RENDERED}[data-adjust="qfq"]').wait_for()
    attrs = kline_attrs(panel)
    assert attrs["symbol"] == SYMBOL and int(attrs["bars"] or 0) > 1000
    assert "前复权" in panel.locator('[data-testid="quant-market-status"]').inner_text()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "market-panel.png"))
    assert_no_page_errors(page_log)


def test_reachable_from_menu_and_palette(page: Any, lab_server: LabServer, page_log: PageLog) -> None:
    open_lab(page, lab_server)

    page.locator(".lm-MenuBar-item", has_text="量化").click()
    page.locator(f'.lm-Menu-item[data-command="{OPEN_COMMAND}"]').click()
    page.locator(".jp-QuantMarketPanel:visible").locator(SEARCH).wait_for()
    assert page.locator(".jp-QuantMarketPanel").count() == 1

    page.keyboard.press("Control+Shift+C")
    palette_input = page.locator(".lm-CommandPalette-input:visible").first
    palette_input.wait_for()
    # Lumino's palette search matches from ASCII word starts: the category "Quant" finds 行情.
    palette_input.fill("quant")
    item = page.locator(f'.lm-CommandPalette-item[data-command="{OPEN_COMMAND}"]').first
    item.wait_for()
    assert "行情" in item.inner_text()
    item.click()
    page.wait_for_function("document.querySelectorAll('.jp-QuantMarketPanel').length === 2")
    assert_no_page_errors(page_log)


def test_panel_restored_after_reload(page: Any, lab_server: LabServer, page_log: PageLog) -> None:
    open_lab(page, lab_server)
    panel = open_panel_from_launcher(page)
    panel.locator(SEARCH).fill("茅台")
    panel.locator(f'{RESULT}[data-symbol="{SYMBOL}"]').click()
    panel.locator(f'{RENDERED}[data-symbol="{SYMBOL}"]').wait_for()
    # The workspace is saved shortly after the layout changes.
    page.wait_for_timeout(1500)

    page.goto(lab_server.lab_url("restored=1"))
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
    page.locator(f'{RENDERED}[data-symbol="{SYMBOL}"]').wait_for()
    assert page.locator(".jp-QuantMarketPanel").count() == 1
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").inner_text()
    assert "贵州茅台" in tab, tab
    assert_no_page_errors(page_log)


def test_unknown_code_and_missing_minute_data(page: Any, lab_server: LabServer, page_log: PageLog) -> None:
    open_lab(page, lab_server)
    panel = open_panel_from_launcher(page)

    search = panel.locator(SEARCH)
    search.fill("999999")
    no_results = panel.locator('[data-testid="quant-market-noresults"]')
    no_results.wait_for()
    assert "999999" in no_results.inner_text()

    # Enter tries the code as a symbol: the server's 404 message is shown, not a blank chart.
    search.press("Enter")
    error = panel.locator(ERROR)
    error.wait_for()
    text = error.inner_text()
    assert "999999.SH" in text and "未知代码" in text, text
    assert panel.locator(KLINE).get_attribute("data-rendered") == "false"

    # A symbol without minute bars: 1分钟 shows the server's explanation; 日线 brings the chart back.
    search.fill("贵州茅台")
    panel.locator(f'{RESULT}[data-symbol="{SYMBOL}"]').click()
    panel.locator(f'{RENDERED}[data-symbol="{SYMBOL}"]').wait_for()
    assert panel.locator(ERROR).count() == 0
    panel.locator('[data-testid="quant-market-freq-1m"]').click()
    error.wait_for()
    assert "分钟" in error.inner_text()
    panel.locator('[data-testid="quant-market-freq-1d"]').click()
    panel.locator(f'{RENDERED}[data-symbol="{SYMBOL}"]').wait_for()
    assert panel.locator(ERROR).count() == 0
    assert_no_page_errors(page_log)


def test_open_with_preset_symbol_timing(page: Any, lab_server: LabServer, page_log: PageLog) -> None:
    lab_server.set_settings({"defaultSymbol": SYMBOL})
    try:
        open_lab(page, lab_server)
        runs_ms: list[float] = []
        for _ in range(5):  # the first open also loads the ECharts chunk; later ones reuse it
            card = page.locator(LAUNCHER_CARD).first
            card.wait_for()
            t0 = time.perf_counter()
            card.click()
            page.locator(f'{RENDERED}[data-symbol="{SYMBOL}"]').wait_for()
            runs_ms.append((time.perf_counter() - t0) * 1000)
            bars = int(page.locator(RENDERED).first.get_attribute("data-bars") or 0)
            page.locator(".lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon").first.click()
            page.locator(RENDERED).wait_for(state="detached")
    finally:
        lab_server.set_settings({})
    elapsed_ms = sorted(runs_ms)[len(runs_ms) // 2]
    print(f"\nmarket panel: launcher click -> {SYMBOL} K-line rendered ({bars} bars): "
          f"first {runs_ms[0]:.0f} ms, median {elapsed_ms:.0f} ms of {[round(x) for x in runs_ms]}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "market-panel-timing.json").write_text(
        json.dumps({"symbol": SYMBOL, "bars": bars, "first_ms": round(runs_ms[0]),
                    "median_ms": round(elapsed_ms), "runs_ms": [round(x) for x in runs_ms]}) + "\n"
    )
    assert bars > 1000
    assert elapsed_ms < 60_000
    assert_no_page_errors(page_log)


def test_zoom_detail_theme_and_no_page_errors(page: Any, lab_server: LabServer, page_log: PageLog) -> None:
    # Few points per view: the whole history comes bucketed, the default (recent) window at full detail.
    lab_server.set_settings({"defaultSymbol": SYMBOL, "maxPoints": 1000})
    try:
        open_lab(page, lab_server)
        page.locator(LAUNCHER_CARD).first.click()
        panel = page.locator(".jp-QuantMarketPanel:visible").last
        panel.locator(f'{RENDERED}[data-symbol="{SYMBOL}"][data-bucket="1"]').wait_for()
        assert int(kline_attrs(panel)["bars"] or 0) <= 1000

        # Zoom out step by step: coarser and coarser, down to the bucketed overview of the whole
        # history (4919 bars / 1000 points -> 5 bars per bucket). Then zoom in: full detail again.
        box = panel.locator(KLINE).bounding_box()
        assert box
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
        assert wheel_until_bucket(page, panel, +400, "5"), kline_attrs(panel)
        assert int(kline_attrs(panel)["bars"] or 0) <= 1000
        assert wheel_until_bucket(page, panel, -400, "1"), kline_attrs(panel)

        panel.locator('[data-testid="quant-market-adjust-hfq"]').click()
        panel.locator(f'{RENDERED}[data-adjust="hfq"]').wait_for()

        # Dark theme: the chart is drawn again with the theme's colours.
        page.locator(".lm-MenuBar-item", has_text="Settings").click()
        page.locator(".lm-Menu-item", has_text="Theme").first.hover()
        page.locator('.lm-Menu-item[data-command="apputils:change-theme"]', has_text="Dark").first.click()
        page.wait_for_function("document.body.dataset.jpThemeLight === 'false'")
        panel.locator(RENDERED).wait_for()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "market-panel-dark.png"))
    finally:
        lab_server.set_settings({})
        lab_server.set_settings({}, "@jupyterlab/apputils-extension:themes")
    assert_no_page_errors(page_log)


BADGE = '[data-testid="quant-source-badge"]'
DETAILS = '[data-testid="quant-source-details"]'
SOURCE_ROW = '[data-testid="quant-source-row"]'
UPDATE_BUTTON = '[data-testid="quant-update-button"]'
PROGRESS = '[data-testid="quant-update-progress"]'
UPDATE_MESSAGE = '[data-testid="quant-update-message"]'
UNHEALTHY = f'{BADGE}[data-overall="degraded"], {BADGE}[data-overall="down"]'


def wait_job_finished(server: LabServer, job_id: str, timeout_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status, job = server.request("GET", f"jupyterlab-quant/v1/update/{job_id}")
        assert status == 200, job
        if job["state"] != "running" or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


def test_source_badge_and_update_without_internet(page: Any, lab_server: LabServer, page_log: PageLog) -> None:
    """No internet here: the update fails, the panel says why (source and symbol), the badge turns unhealthy."""
    open_lab(page, lab_server)
    panel = open_panel_from_launcher(page)
    panel.locator(SEARCH).fill("600519")
    panel.locator(f'{RESULT}[data-symbol="{SYMBOL}"]').click()
    panel.locator(f'{RENDERED}[data-symbol="{SYMBOL}"]').wait_for()

    # Nothing fetched yet: 数据源 未使用.
    badge = panel.locator(BADGE)
    panel.locator(f'{BADGE}[data-overall="unknown"]').wait_for()
    assert "数据源" in badge.inner_text() and "未使用" in badge.inner_text()
    badge.click()
    details = panel.locator(DETAILS)
    details.wait_for()
    panel.locator(SOURCE_ROW).first.wait_for()
    rows = panel.locator(SOURCE_ROW)
    sources = {rows.nth(i).get_attribute("data-source") for i in range(rows.count())}
    assert {"eastmoney", "sina", "tencent"} <= sources, sources
    assert "东方财富" in details.inner_text() and "正常" in details.inner_text()
    badge.click()
    details.wait_for(state="detached")

    # An update already running (started elsewhere): the panel shows the server's 409 message.
    status, other = lab_server.request("POST", "jupyterlab-quant/v1/update", {"symbols": ["000001.SZ"]})
    assert status == 200 and other["state"] == "running", other
    button = panel.locator(UPDATE_BUTTON)
    assert "更新数据" in button.inner_text()
    button.click()
    panel.locator(f'{PROGRESS}[data-state="failed"]').wait_for()
    assert "已有数据更新在进行中" in panel.locator(UPDATE_MESSAGE).inner_text()
    assert wait_job_finished(lab_server, other["id"])["state"] != "running"

    # The real thing: progress while running (button disabled), then the server's explanation.
    t0 = time.perf_counter()
    button.click()
    progress = panel.locator(PROGRESS)
    panel.locator(f'{PROGRESS}[data-state="running"]').wait_for()
    assert button.is_disabled()
    assert "更新中" in button.inner_text()
    panel.locator(f'{PROGRESS}[data-state="failed"], {PROGRESS}[data-state="done"]').wait_for(timeout=90_000)
    job_s = time.perf_counter() - t0
    final_state = progress.get_attribute("data-state")
    message = panel.locator(UPDATE_MESSAGE).inner_text()
    assert SYMBOL in message, message
    assert "eastmoney" in message or "sina" in message, message
    assert "失败" in message, message
    if final_state == "done":
        assert SYMBOL in progress.inner_text()  # "更新结束；失败：600519.SH"
    assert button.is_enabled()
    # The cached bars are still shown.
    assert panel.locator(f'{RENDERED}[data-symbol="{SYMBOL}"]').count() == 1

    # The badge is refreshed after the update: eastmoney/sina failures are recorded.
    panel.locator(UNHEALTHY).wait_for(timeout=15_000)
    overall = badge.get_attribute("data-overall")
    assert ("部分故障" if overall == "degraded" else "不可用") in badge.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "market-panel-update.png"))
    badge.click()
    details.wait_for()
    east = panel.locator(f'{SOURCE_ROW}[data-source="eastmoney"]')
    east.wait_for()
    assert "连续失败" in east.inner_text() or "熔断" in east.inner_text(), east.inner_text()
    assert "eastmoney" in east.inner_text()
    print(f"\nupdate without internet: {final_state} after {job_s:.1f} s; badge {overall}")

    page.screenshot(path=str(ARTIFACTS / "market-panel-sources.png"))
    badge.click()
    details.wait_for(state="detached")

    # Data check: the findings of the stored bars, in a dialog.
    panel.locator('[data-testid="quant-check-button"]').click()
    findings = page.locator('[data-testid="quant-check-findings"]')
    findings.wait_for()
    text = findings.inner_text()
    assert SYMBOL in text and "警告" in text, text
    page.locator(".jp-Dialog-button", has_text="关闭").click()
    findings.wait_for(state="detached")
    assert_no_page_errors(page_log)
