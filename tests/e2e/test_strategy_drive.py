"""Browser test of the strategy library (策略库, issue 5 §4) in JupyterLab, on Debian chromium via Playwright.

The lab runs with an initialised passphrase vault (``JLQ_VAULT_PASSPHRASE`` in its environment). In the
策略库 sidebar a strategy is created, typed into the normal editor and saved twice (two encrypted
versions); its history shows both versions and their coloured diff; version 1 is restored (a third
version, the open editor reloads it); "回测此版本" opens the backtest panel prefilled with ``NAME v1`` and
its submit sends that version's source.

Run: ``JLQ_HOME= .venv/bin/pytest tests/e2e/test_strategy_drive.py -q``. Fixtures are in conftest.py.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

LabServer = PageLog = Any
ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"
PP = "e2e strategy library passphrase"
NAME = "e2e_sma"
BROWSER = "#jupyterlab-quant-strategies"
API = "jupyterlab-quant/v1/strategies"

V1 = '''import backtrader as bt


class E2eSma(bt.Strategy):
    params = (("fast", 5), ("slow", 20))

    def __init__(self):
        fast = bt.ind.SMA(period=self.p.fast)
        self.crossover = bt.ind.CrossOver(fast, bt.ind.SMA(period=self.p.slow))

    def next(self):
        if not self.position and self.crossover > 0:
            self.buy(size=100)
        elif self.position and self.crossover < 0:
            self.close()
'''
V2_TAIL = "# 第二版: slower exit\n"


@pytest.fixture(scope="module", autouse=True)
def _vault_passphrase() -> Iterator[None]:
    """The lab (started by the module's lab_server fixture, after this one) inherits the passphrase."""
    old = os.environ.get("JLQ_VAULT_PASSPHRASE")
    os.environ["JLQ_VAULT_PASSPHRASE"] = PP
    yield
    if old is None:
        os.environ.pop("JLQ_VAULT_PASSPHRASE", None)
    else:
        os.environ["JLQ_VAULT_PASSPHRASE"] = old


@pytest.fixture(scope="module")
def vault_lab(lab_server: LabServer) -> LabServer:
    """The lab with its data root's vault initialised (``jlq vault init`` in passphrase mode)."""
    from jupyterlab_quant.vault.keys import KeyManager

    home = Path(lab_server.root) / "home"
    keys = KeyManager(home, interactive=False)
    if not keys.is_initialized():
        keys.init(PP, mode="passphrase")
    status, body = lab_server.request("GET", API)
    assert status == 200, f"GET /{API} answered HTTP {status}: {body}"
    return lab_server


def open_lab(page: Any, server: LabServer) -> None:
    page.goto(server.lab_url())
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
    page.wait_for_selector(".jp-Launcher", timeout=60_000)


def save(page: Any, expect_status: int = 201) -> dict[str, Any]:
    """Ctrl+S in the editor; returns the server's answer to the PUT (a new version). Waits until the save
    command is done (JupyterLab ignores a second Ctrl+S while the first one's checkpoint is pending): after
    the PUT the document context reads the versions twice (new hash, then the checkpoint)."""
    seen: list[Any] = []

    def on_response(r: Any) -> None:
        if f"/{API}/" in r.url and (r.request.method == "PUT" or (seen and r.url.split("?")[0].endswith("/versions"))):
            seen.append(r)

    page.on("response", on_response)
    try:
        page.keyboard.press("Control+s")
        deadline = time.monotonic() + 30
        while not (len(seen) >= 3 and seen[0].request.method == "PUT"):
            assert time.monotonic() < deadline, f"the save did not complete: {[r.url for r in seen]}"
            page.wait_for_timeout(50)
    finally:
        page.remove_listener("response", on_response)
    body = seen[0].json()
    assert seen[0].status == expect_status, body
    return dict(body)


def editor_text(page: Any) -> str:
    return str(page.locator(".jp-FileEditor .cm-content").first.evaluate("el => el.cmView.view.state.doc.toString()"))


def test_create_edit_save_history_restore_backtest(page: Any, vault_lab: LabServer, page_log: PageLog) -> None:
    open_lab(page, vault_lab)

    # the 策略库 browser in the left sidebar
    tab = page.locator(f'.jp-SideBar .lm-TabBar-tab[data-id="{BROWSER[1:]}"]')
    assert tab.get_attribute("title") == "策略库"
    tab.click()
    browser = page.locator(f"{BROWSER}:visible")
    browser.wait_for()

    # 新建策略: name it, it opens in the normal editor with a template (a draft, nothing stored yet)
    browser.locator('[data-jp-item-name="new-strategy"] button, [data-jp-item-name="new-strategy"]').first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill(NAME)
    dialog.locator(".jp-mod-accept").click()
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current", has_text=f"{NAME}.py").wait_for()
    page.locator(".jp-FileEditor .cm-content").first.wait_for()
    assert "bt.Strategy" in editor_text(page)
    status, body = vault_lab.request("GET", f"{API}/{NAME}")
    assert status == 404, body  # a draft lives in the page only

    # type the code, save (v1); change it, save again (v2)
    page.locator(".jp-FileEditor .cm-content").first.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(V1)
    assert editor_text(page) == V1
    v1 = save(page)
    assert v1["version"] == 1 and v1["message"] == "saved from JupyterLab"
    page.keyboard.press("Control+End")
    page.keyboard.insert_text(V2_TAIL)
    v2 = save(page)
    assert v2["version"] == 2
    _, latest = vault_lab.request("GET", f"{API}/{NAME}")
    assert latest["content"] == V1 + V2_TAIL and [v["version"] for v in latest["versions"]] == [1, 2]
    item = browser.locator(".jp-DirListing-item", has_text=f"{NAME}.py")
    item.wait_for()

    # 策略版本历史 from the browser's context menu: 2 versions, the diff coloured
    item.click(button="right")
    page.locator(".lm-Menu-item", has_text="策略版本历史").first.click()
    history = page.locator(f'[data-testid="quant-strategy-history"][data-name="{NAME}"]')
    history.wait_for()
    rows = history.locator('[data-testid="quant-strategy-version"]')
    rows.nth(1).wait_for()
    assert [rows.nth(i).get_attribute("data-version") for i in range(rows.count())] == ["2", "1"]
    diff = history.locator('[data-testid="quant-strategy-diff"][data-from="1"][data-to="2"]')
    diff.wait_for()
    added = diff.locator(".jp-mod-add")
    assert added.count() == 1 and "第二版" in added.first.inner_text()
    color = added.first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert color not in ("rgba(0, 0, 0, 0)", "transparent"), color
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "strategy-history.png"))

    # restore v1: a third version with v1's source; the open (unmodified) editor reloads it
    rows.nth(1).click()
    is_restore = lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith("/restore")  # noqa: E731
    with page.expect_response(is_restore) as info:
        history.locator('[data-testid="quant-strategy-restore"]').click()
    assert info.value.status == 201 and info.value.json()["version"] == 3
    history.locator('[data-testid="quant-strategy-restored"]').wait_for()
    rows.nth(2).wait_for()
    assert rows.count() == 3
    _, latest = vault_lab.request("GET", f"{API}/{NAME}")
    assert latest["version"] == 3 and latest["content"] == V1

    # 回测此版本 (v1): the backtest panel opens prefilled; submit sends v1's source labelled NAME v1
    history.locator('[data-testid="quant-strategy-version"][data-version="1"]').click()
    history.locator('[data-testid="quant-strategy-backtest"]').click()
    panel = page.locator(".jp-QuantBacktestPanel:visible").last
    shown = panel.locator('[data-testid="quant-backtest-vault-strategy"]')
    shown.wait_for()
    assert shown.inner_text() == f"{NAME} v1"
    panel.locator('[data-testid="quant-backtest-class"] option[value="E2eSma"]').wait_for(state="attached")
    assert panel.locator('[data-testid="quant-backtest-class"]').input_value() == "E2eSma"
    assert panel.locator('[data-testid="quant-backtest-label"]').input_value() == f"{NAME} v1"
    panel.locator('[data-testid="quant-backtest-symbols"]').fill("600519.SH")
    panel.locator('[data-testid="quant-backtest-start"]').fill("2020-01-02")
    panel.locator('[data-testid="quant-backtest-end"]').fill("2020-12-31")
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith("/jupyterlab-quant/v1/backtests")
    ) as info:
        panel.locator('[data-testid="quant-backtest-submit"]').click()
    job = info.value.json()
    assert info.value.status == 202, job
    assert job["label"] == f"{NAME} v1" and job["spec"]["strategy_source"] == V1
    assert job["spec"]["strategy_class"] == "E2eSma" and not job["spec"].get("strategy_file")
    page.screenshot(path=str(ARTIFACTS / "strategy-backtest-handoff.png"))

    # the editor tab now shows v1 again (reloaded after the restore)
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=f"{NAME}.py").first.click()
    page.wait_for_function(
        "(text) => { const el = document.querySelector('.jp-FileEditor .cm-content');"
        " return el && el.cmView && el.cmView.view.state.doc.toString() === text; }",
        arg=V1,
    )
    assert page_log.errors == [], "uncaught errors on the page:\n" + "\n".join(page_log.errors)
