"""Browser test of live monitoring (issue 6 done-when): a JupyterLab whose scheduler replays stored bars
(June 2015) through the bus, a local fake WeCom robot checking the request format, an account holding
600519.SH. The Watchlist updates in place from the WebSocket (red-up/green-down classes); adding a
drawdown rule in the Risk panel's API produces one JupyterLab notification, one correctly formatted WeCom
message and one delivery-log entry; while the breach lasts nothing more is sent.

Run: ``JLQ_HOME= .venv/bin/pytest tests/e2e/test_live_panels.py -q``. Fixtures are in conftest.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import start_lab
from tests.fakes.wechat_server import FakeWeChat

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"
WECOM_KEY = "wk-e2e-live-0001"
SYMBOL = "600519.SH"


@pytest.fixture(scope="module")
def fake_wecom() -> Iterator[FakeWeChat]:
    with FakeWeChat(wecom_keys={WECOM_KEY}) as srv:
        yield srv


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory, fake_wecom: FakeWeChat) -> Iterator[Any]:
    """A lab replaying 2015-06-12 onwards (one tick per 0.4 s), WeCom pointed at the fake."""

    def prepare(home: Path) -> None:
        from jupyterlab_quant.app import Services
        from jupyterlab_quant.core.settings import Settings

        svc = Services.from_settings(Settings.from_env(home))
        svc.watchlist.save([SYMBOL, "000001.SZ", "000568.SZ"])
        svc.risk.accounts.upsert_position(SYMBOL, 1000, 250.0)  # no cash: the value follows Moutai
        svc.notify.configure("wecom", enabled=True, options={"base_url": fake_wecom.url})
        svc.close()

    args = ["--QuantExtension.quote_feed=replay", "--QuantExtension.replay_start=2015-06-12",
            "--QuantExtension.replay_interval=0.4", "--QuantExtension.risk_interval=1"]
    try:
        with start_lab(tmp_path_factory.mktemp("jlq-e2e-live"), args, {"JLQ_SECRET_WECOM_KEY": WECOM_KEY},
                       prepare) as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(str(exc))


def open_lab(page: Any, server: Any) -> None:
    page.goto(server.lab_url())
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
    page.wait_for_selector(".jp-Launcher", timeout=60_000)


def run_command(page: Any, command: str) -> None:
    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".lm-CommandPalette-input:visible").first
    palette.wait_for()
    palette.fill("quant")
    page.locator(f'.lm-CommandPalette-item[data-command="{command}"]').first.click()


def test_watchlist_updates_and_drawdown_alert(page: Any, lab_server: Any, fake_wecom: FakeWeChat) -> None:
    open_lab(page, lab_server)
    run_command(page, "jupyterlab-quant:open-watchlist")
    table = page.locator('[data-testid="jlq-watchlist-table"]:visible').first
    table.wait_for()
    price = table.locator(f'[data-symbol="{SYMBOL}"] [data-field="price"]')
    price.wait_for()
    page.wait_for_function(
        "sel => { const el = document.querySelector(sel); return el && el.getAttribute('data-updated'); }",
        arg=f'[data-testid="jlq-watchlist-table"] [data-symbol="{SYMBOL}"] [data-field="price"]', timeout=30_000)
    first = (price.get_attribute("data-updated"), price.inner_text())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the replay ticks every 0.4 s: the cell changes in place
        now = (price.get_attribute("data-updated"), price.inner_text())
        if now[0] != first[0]:
            break
        time.sleep(0.2)
    assert now[0] != first[0], "the watchlist price cell was never updated"
    row = table.locator(f'[data-symbol="{SYMBOL}"]')
    trend = row.get_attribute("data-trend")
    assert trend in ("up", "down", "flat", "suspended")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "live-watchlist.png"))

    # a 5 % drawdown rule: Moutai fell > 8 % from its 2015-06-12 close within a week of replay
    status, rule = lab_server.request("POST", "jupyterlab-quant/v1/risk/rules",
                                      {"kind": "drawdown", "params": {"max_drawdown_pct": 5}})
    assert status == 201, rule
    toast = page.locator(".Toastify__toast", has_text="回撤").first
    toast.wait_for(timeout=90_000)  # the JupyterLab notification
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not fake_wecom.messages("wecom"):
        time.sleep(0.2)
    msgs = fake_wecom.messages("wecom")
    assert len(msgs) == 1, msgs
    fake_wecom.assert_clean()
    assert msgs[0]["msgtype"] == "markdown" and "回撤" in msgs[0]["markdown"]["content"]
    status, log = lab_server.request("GET", "jupyterlab-quant/v1/notify/log?limit=20")
    assert status == 200 and [d["status"] for d in log["deliveries"]].count("sent") == 1

    # the breach persists for several more checks: deduped, nothing more sent, no second toast
    time.sleep(4)
    assert len(fake_wecom.messages("wecom")) == 1
    _, log = lab_server.request("GET", "jupyterlab-quant/v1/notify/log?limit=50")
    assert {d["status"] for d in log["deliveries"]} <= {"sent", "deduped"}

    run_command(page, "jupyterlab-quant:open-risk")
    rules = page.locator('[data-testid="jlq-risk-rules"]:visible').first
    rules.wait_for()
    rules.locator('[data-testid="jlq-risk-rule-row"]').first.wait_for()
    feed = page.locator('[data-testid="jlq-alert-feed"]:visible').first
    feed.locator('[data-testid="jlq-alert-item"]', has_text="回撤").first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "live-risk.png"))
