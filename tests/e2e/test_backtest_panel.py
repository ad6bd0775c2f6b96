"""Browser tests of the backtest panel (回测) in JupyterLab, on Debian chromium via Playwright.

A plain backtrader SMA-cross strategy is saved into the lab's root dir, picked in the panel's form and
run on 600519.SH over 2020; the job is followed until done, its summary checked against the REST job,
and the HTML report opened in a JupyterLab tab. A strategy with a syntax error ends as a failed job that
shows the server's message and the traceback.

Run: ``JLQ_HOME= .venv/bin/pytest tests/e2e/test_backtest_panel.py -q``. Fixtures are in conftest.py.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

# Fixture types (LabServer, PageLog) live in conftest.py; annotated as Any to avoid importing it.
LabServer = PageLog = Any
ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"

SYMBOL = "600519.SH"
OPEN_COMMAND = "jupyterlab-quant:open-backtests"
PANEL = ".jp-QuantBacktestPanel:visible"
JOB = '[data-testid="quant-backtest-job"]'
CUSTOM_FILE = ":custom:"  # value of the "another file (type its path)" option
FINAL = ("done", "failed", "cancelled")
JOB_TIMEOUT_S = 90

SMA_CROSS = '''\
"""SMA cross: buy 100 shares when the fast SMA crosses above the slow one, sell when it crosses below."""
import backtrader as bt


class SmaCross(bt.Strategy):
    params = (("fast", 5), ("slow", 20))

    def __init__(self):
        fast = bt.ind.SMA(period=self.p.fast)
        slow = bt.ind.SMA(period=self.p.slow)
        self.crossover = bt.ind.CrossOver(fast, slow)

    def next(self):
        if not self.position and self.crossover > 0:
            self.buy(size=100)
        elif self.position and self.crossover < 0:
            self.close()
'''

BROKEN = '''\
import backtrader as bt


class Broken(bt.Strategy)
    def next(self):
        pass
'''


def lab_root(server: LabServer) -> Path:
    """The lab's root_dir (conftest starts jupyter lab with ``--ServerApp.root_dir=<tmp>/notebooks``)."""
    return Path(server.root) / "notebooks"


def require_backtest_api(server: LabServer) -> None:
    status, body = server.request("GET", "jupyterlab-quant/v1/backtests?limit=1")
    assert status == 200, f"GET /jupyterlab-quant/v1/backtests answered HTTP {status}: {body}"


def open_lab(page: Any, server: LabServer) -> None:
    page.goto(server.lab_url())
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
    page.wait_for_selector(".jp-Launcher", timeout=60_000)


def open_panel_from_palette(page: Any) -> Any:
    page.keyboard.press("Control+Shift+C")
    palette_input = page.locator(".lm-CommandPalette-input:visible").first
    palette_input.wait_for()
    # Lumino's palette search matches from ASCII word starts: the category "Quant" lists our items.
    palette_input.fill("quant")
    item = page.locator(f'.lm-CommandPalette-item[data-command="{OPEN_COMMAND}"]').first
    item.wait_for()
    assert "打开回测" in item.inner_text()
    item.click()
    panel = page.locator(PANEL).last
    panel.locator('[data-testid="quant-backtest-form"]').wait_for()
    return panel


def wait_for_option(panel: Any, value: str) -> None:
    panel.locator(f'[data-testid="quant-backtest-strategy"] option[value="{value}"]').wait_for(state="attached")


def fill_common(panel: Any) -> None:
    panel.locator('[data-testid="quant-backtest-symbols"]').fill(SYMBOL)
    panel.locator('[data-testid="quant-backtest-start"]').fill("2020-01-02")
    panel.locator('[data-testid="quant-backtest-end"]').fill("2020-12-31")


def submit(page: Any, panel: Any) -> dict[str, Any]:
    """Click 提交回测 and return the server's answer to the POST."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith("/jupyterlab-quant/v1/backtests")
    ) as info:
        panel.locator('[data-testid="quant-backtest-submit"]').click()
    response = info.value
    body = response.json()
    assert response.status == 202, f"POST /backtests answered HTTP {response.status}: {body}"
    return dict(body)


def wait_until_final(panel: Any, job_id: str, server: LabServer) -> str:
    """Wait until the job's row shows a final status; returns it."""
    row = panel.locator(f'{JOB}[data-job-id="{job_id}"]')
    row.wait_for()
    deadline = time.monotonic() + JOB_TIMEOUT_S
    status = row.get_attribute("data-status")
    while status not in FINAL:
        if time.monotonic() > deadline:
            _, job = server.request("GET", f"jupyterlab-quant/v1/backtests/{job_id}")
            pytest.fail(f"job {job_id} still {status} after {JOB_TIMEOUT_S} s; server says {job}")
        time.sleep(0.25)
        status = row.get_attribute("data-status")
    return str(status)


def pct(value: float) -> str:
    """The panel's percentage format: signed, 2 decimals."""
    text = f"{value * 100:.2f}%"
    return f"+{text}" if value > 0 and text != "0.00%" else text


def assert_no_page_errors(log: PageLog) -> None:
    assert log.errors == [], "uncaught errors on the page:\n" + "\n".join(log.errors)


def test_sma_cross_backtest_runs_and_opens_report(page: Any, lab_server: LabServer, page_log: PageLog) -> None:
    (lab_root(lab_server) / "sma_cross.py").write_text(SMA_CROSS, encoding="utf-8")
    require_backtest_api(lab_server)
    open_lab(page, lab_server)
    panel = open_panel_from_palette(page)
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").inner_text().strip()
    assert tab.startswith("回测"), tab

    # Strategy file from the server's scan; class and parameter defaults follow.
    wait_for_option(panel, "sma_cross.py")
    panel.locator('[data-testid="quant-backtest-strategy"]').select_option("sma_cross.py")
    assert panel.locator('[data-testid="quant-backtest-class"]').input_value() == "SmaCross"
    assert panel.locator('[data-testid="quant-backtest-param-fast"]').input_value() == "5"
    assert panel.locator('[data-testid="quant-backtest-param-slow"]').input_value() == "20"
    assert panel.locator('[data-testid="quant-backtest-cash"]').input_value() == "1000000"
    assert panel.locator('[data-testid="quant-backtest-benchmark"]').input_value() == "000300.SH"

    # Client-side validation: a bare code is refused next to the field, nothing is sent.
    fill_common(panel)
    panel.locator('[data-testid="quant-backtest-symbols"]').fill("600519")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/backtests" in r.url else None)
    panel.locator('[data-testid="quant-backtest-submit"]').click()
    field_error = panel.locator('[data-testid="quant-backtest-field-error"][data-field="symbols"]')
    field_error.wait_for()
    assert "600519" in field_error.inner_text() and "600519.SH" in field_error.inner_text()
    assert posts == []

    panel.locator('[data-testid="quant-backtest-symbols"]').fill(SYMBOL)
    job = submit(page, panel)
    assert job["status"] in ("queued", "running", "done"), job
    assert job["spec"]["symbols"] == [SYMBOL]
    assert job["spec"]["params"] == {"fast": 5, "slow": 20}
    assert field_error.count() == 0

    status = wait_until_final(panel, job["id"], lab_server)
    row = panel.locator(f'{JOB}[data-job-id="{job["id"]}"]')
    if status != "done":
        pytest.fail(f"backtest ended {status}: {row.inner_text()}")
    assert row.locator('[data-testid="quant-backtest-status"]').inner_text() == "已完成"

    # The summary shows the total return the server computed, as a signed percentage.
    _, final = lab_server.request("GET", f"jupyterlab-quant/v1/backtests/{job['id']}")
    summary = final["summary"]
    total = row.locator('[data-testid="quant-backtest-total-return"] .jp-QuantBacktest-metricValue')
    total_text = total.inner_text()
    assert re.fullmatch(r"[+-]?\d+\.\d{2}%", total_text), total_text
    assert total_text == pct(summary["total_return"]), (total_text, summary)
    if abs(summary["total_return"]) >= 5e-5:
        # 红涨绿跌: gains red, losses green.
        color = total.evaluate("el => getComputedStyle(el).color")
        assert color == ("rgb(214, 39, 40)" if summary["total_return"] > 0 else "rgb(44, 160, 44)"), color
    summary_text = row.locator('[data-testid="quant-backtest-summary"]').inner_text()
    for label in ("总收益", "年化收益", "夏普比率", "最大回撤"):
        assert label in summary_text, summary_text
    assert row.locator('[data-testid="quant-backtest-progress"]').count() == 0
    assert row.locator('[data-testid="quant-backtest-cancel"]').count() == 0

    # The report opens in a JupyterLab tab: fetched through the authenticated API, shown in an iframe.
    row.locator('[data-testid="quant-backtest-open-report"]').click()
    report = page.locator(f'.jp-QuantBacktestReport[data-job-id="{job["id"]}"]')
    report.wait_for()
    page.locator(f'.jp-QuantBacktestReport[data-job-id="{job["id"]}"][data-state="loaded"]').wait_for()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").inner_text().strip()
    assert tab.startswith("回测报告"), tab
    frame = page.frame_locator(f'.jp-QuantBacktestReport[data-job-id="{job["id"]}"] iframe')
    heading = frame.locator("h1").first
    heading.wait_for()
    assert "回测报告" in heading.inner_text()
    frame.get_by_text("关键指标").first.wait_for()
    assert frame.get_by_text("总收益率").count() > 0

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "backtest-report.png"))
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="回测").first.click()
    page.locator(PANEL).last.wait_for()
    page.screenshot(path=str(ARTIFACTS / "backtest-panel.png"))
    assert_no_page_errors(page_log)


def test_syntax_error_strategy_fails_with_message(page: Any, lab_server: LabServer, page_log: PageLog) -> None:
    (lab_root(lab_server) / "broken.py").write_text(BROKEN, encoding="utf-8")
    require_backtest_api(lab_server)
    open_lab(page, lab_server)
    page.locator('.jp-LauncherCard:has-text("回测")').first.click()
    panel = page.locator(PANEL).last
    panel.locator('[data-testid="quant-backtest-form"]').wait_for()

    # A file that does not parse is not offered by the scan: type its path.
    wait_for_option(panel, CUSTOM_FILE)
    assert panel.locator('[data-testid="quant-backtest-strategy"] option[value="broken.py"]').count() == 0
    panel.locator('[data-testid="quant-backtest-strategy"]').select_option(CUSTOM_FILE)
    panel.locator('[data-testid="quant-backtest-strategy-path"]').fill("broken.py")
    fill_common(panel)
    job = submit(page, panel)

    status = wait_until_final(panel, job["id"], lab_server)
    row = panel.locator(f'{JOB}[data-job-id="{job["id"]}"]')
    assert status == "failed", row.inner_text()
    assert row.locator('[data-testid="quant-backtest-status"]').inner_text() == "失败"

    _, final = lab_server.request("GET", f"jupyterlab-quant/v1/backtests/{job['id']}")
    error = final["error"]
    assert error and error["message"], final
    shown = row.locator('[data-testid="quant-backtest-job-error"]')
    assert error["message"] in shown.inner_text()
    assert re.search(r"语法|[Ss]yntax", error["message"]), error
    assert row.locator('[data-testid="quant-backtest-open-report"]').count() == 0
    if error.get("traceback"):
        details = row.locator('[data-testid="quant-backtest-traceback"]')
        assert details.evaluate("el => el.open") is False
        details.locator("summary").click()
        assert details.evaluate("el => el.open") is True
        assert details.locator("pre").inner_text().strip() == error["traceback"].strip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "backtest-failed.png"))
    assert_no_page_errors(page_log)
