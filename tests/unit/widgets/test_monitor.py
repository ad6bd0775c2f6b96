"""The live monitoring dashboard on real services: the sample store, the risk account and rules, the
notification centre and a real Redis bus (embedded, or a closed port for "bus down")."""

from __future__ import annotations

import datetime as dt
import math
import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jupyterlab_quant.app import Services
from jupyterlab_quant.core.ashare import limit_prices
from jupyterlab_quant.core.live import Quote, exchange_now
from jupyterlab_quant.core.settings import Settings
from jupyterlab_quant.core.types import Board
from jupyterlab_quant.data.query import QueryService
from jupyterlab_quant.data.store import MarketStore
from jupyterlab_quant.widgets import common
from jupyterlab_quant.widgets.monitor import MonitorDashboard, limit_state
from tests.unit.widgets.helpers import html_values, page_text

MOUTAI, PINGAN = "600519.SH", "000001.SZ"


def card_value(d: MonitorDashboard, key: str) -> str | None:
    m = re.search(rf'data-key="{key}"><div class="label">[^<]*</div><div class="value[^"]*">([^<]*)',
                  page_text(d, unescape=False))
    return m.group(1) if m else None


def row(d: MonitorDashboard, table: str, symbol: str) -> str:
    html = next(h for h in html_values(d.widget, unescape=False) if f'data-key="{table}"' in h)
    m = re.search(rf'<tr data-symbol="{re.escape(symbol)}"[^>]*>(.*?)</tr>', html)
    assert m, f"no {symbol} row in {table}"
    return m.group(1)


def wait_for(cond: Callable[[], bool], timeout_s: float = 8.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return bool(cond())


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def services(home: Path, store_dir: Path, **settings: object) -> Services:
    """Services on a fresh data root (account, rules, alerts, bus) reading the given market store."""
    store = MarketStore(store_dir, lock_timeout_s=1.0)
    return Services(settings=Settings(home=home, **settings), store=store,  # type: ignore[arg-type]
                    query=QueryService(store))


@pytest.fixture
def svc(tmp_path: Path, sample_home: Path) -> Iterator[Services]:
    s = services(tmp_path / "jlq", sample_home / "store")
    yield s
    s.close()


@pytest.fixture
def offline_svc(tmp_path: Path, sample_home: Path) -> Iterator[Services]:
    s = services(tmp_path / "jlq", sample_home / "store", redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    yield s
    s.close()


def setup_account(svc: Services) -> None:
    svc.risk.accounts.set_cash(100_000)
    svc.risk.accounts.upsert_position(MOUTAI, 100, 1600)
    svc.risk.accounts.upsert_position(PINGAN, 1000, 10)
    svc.watchlist.save([MOUTAI, "300750.SZ"])


def test_account_positions_rules_and_alerts_from_real_services(svc: Services) -> None:
    setup_account(svc)
    now = exchange_now()
    down = float(limit_prices(1500.0, Board.MAIN, now.date()).down)       # 1350.00: 茅台 at limit-down
    quotes = [Quote(MOUTAI, down, 1500.0, now, name="贵州茅台"), Quote(PINGAN, math.nan, 11.0, now, name="平安银行")]
    svc.bus.publish_quotes(quotes)
    svc.risk.store.install_defaults()
    result = svc.risk.check({q.symbol: q for q in quotes}, now)
    for alert in result.alerts:
        svc.notify.submit(alert)
    assert result.alerts, "the limit-down holding must raise an alert"

    d = MonitorDashboard(svc, lang="zh", autostart=False)
    assert "jlq-ready" not in page_text(d, unescape=False)
    d.refresh()
    text = page_text(d, unescape=False)

    snap = svc.risk.snapshot(svc.latest_quotes(svc.risk.watched_symbols()))
    assert card_value(d, "total_value") == common.fmt_money(snap.total_value) == "246,000.00"
    assert card_value(d, "cash") == "100,000.00"
    weights = {p.symbol: common.fmt_pct(p.weight / 100.0) for p in snap.positions}
    moutai, pingan = row(d, "positions", MOUTAI), row(d, "positions", PINGAN)
    assert weights[MOUTAI] in moutai and weights[PINGAN] in pingan and weights[MOUTAI] == "54.88%"
    assert "跌停" in moutai and "停牌" not in moutai
    assert "停牌" in pingan and "跌停" not in pingan
    assert 'data-state="live"' in text and "实时" in text
    # the rule statuses saved by the check, and the alert the centre recorded
    assert 'data-state="breach"' in text and "持仓跌停" in text
    assert result.alerts[0].title in text
    assert "jlq-ready" in text and 'data-dashboard="monitor"' in text
    assert "Traceback" not in text


def test_bus_quote_refreshes_the_running_dashboard_and_stop_ends_it(svc: Services) -> None:
    setup_account(svc)
    now = exchange_now()
    svc.bus.publish_quotes([Quote(MOUTAI, 1500.0, 1500.0, now, name="贵州茅台"),
                            Quote(PINGAN, 11.0, 11.0, now, name="平安银行")])
    # a long fallback period: a change within seconds can only come from the bus subscription
    d = MonitorDashboard(svc, lang="zh", refresh_s=120.0)
    try:
        assert wait_for(lambda: "jlq-ready" in page_text(d, unescape=False)), "the first refresh never completed"
        assert card_value(d, "total_value") == "261,000.00"

        def changed() -> bool:
            svc.bus.publish_quotes([Quote(MOUTAI, 1550.0, 1500.0, exchange_now(), name="贵州茅台")])
            return card_value(d, "total_value") == "266,000.00"

        assert wait_for(changed, 8.0), f"total value still {card_value(d, 'total_value')}"
        assert card_value(d, "pnl_today") == "+5,000.00"          # against the day's 前收盘 value 261,000
    finally:
        t0 = time.monotonic()
        d.stop()
        stopped_in = time.monotonic() - t0
    assert not d.running and stopped_in < 3.0


def test_bus_down_shows_offline_and_stored_closes(offline_svc: Services) -> None:
    svc = offline_svc
    setup_account(svc)
    d = MonitorDashboard(svc, lang="zh", autostart=False)
    d.refresh()
    text = page_text(d, unescape=False)
    assert "实时行情服务不可用，显示最近收盘价" in text and "jlq scheduler" in text
    assert 'data-state="offline"' in text and "离线" in text
    stored = svc.query.last_quotes([MOUTAI, PINGAN])
    expected = 100_000 + 100 * stored[MOUTAI].price + 1000 * stored[PINGAN].price
    assert card_value(d, "total_value") == common.fmt_money(expected)
    assert "非实时" in row(d, "positions", MOUTAI)          # a stored close is marked, with its time
    assert 'data-live="0"' in text and "收盘价" in row(d, "watchlist", "300750.SZ")
    assert "Traceback" not in text and "jlq-message error" not in text
    # the background refresh keeps running (retrying the bus) and stops promptly
    d.start()
    time.sleep(0.5)
    assert d.running
    d.stop()
    assert not d.running


def test_empty_home_reads_as_messages(tmp_path: Path) -> None:
    home = tmp_path / "jlq"
    svc = Services.from_settings(Settings(home=home))
    try:
        d = MonitorDashboard(svc, lang="zh", autostart=False)
        d.refresh()
        values = html_values(d.widget, unescape=False)
        text = "\n".join(values)
        assert "账户还没有设置" in text and "jlq risk account set-cash" in text and "风控 面板 → 账户" in text
        assert "没有持仓" in text
        assert "还没有风控规则" in text and "jlq risk rules add --defaults" in text
        assert "暂无预警" in text
        assert "无行情" in row(d, "watchlist", "600519.SH")      # default watchlist, empty store
        assert "暂无分时数据" in text
        assert not any("Traceback" in v for v in values)
        assert "jlq-message error" not in text
    finally:
        svc.close()


def test_english_labels(offline_svc: Services) -> None:
    setup_account(offline_svc)
    d = MonitorDashboard(offline_svc, lang="en", autostart=False)
    d.refresh()
    text = page_text(d, unescape=False)
    for label in ("Live monitor", "Total value", "P&amp;L today", "Positions", "Risk rules", "Latest alerts",
                  "Watchlist", "Intraday chart", "Offline", "No risk rules yet", "No alerts yet"):
        assert label in text, label
    for label in ("实时监控", "总资产", "持仓市值", "风控规则", "离线", "暂无预警"):
        assert label not in text, label


def test_limit_state_follows_board_and_st() -> None:
    day = dt.datetime(2025, 4, 7, 10, 0)
    # main-board ST: ±5 % before 2026-07-06 → 9.50 is limit-down for *ST, an ordinary drop otherwise
    st = Quote("000408.SZ", 9.50, 10.00, day, name="*ST金源")
    assert limit_state(st, Board.MAIN, "*ST金源") == "down"
    assert limit_state(st, Board.MAIN, "金源") is None
    # ChiNext ±20 %: +10 % is not limit-up, +20 % is
    assert limit_state(Quote("300750.SZ", 110.0, 100.0, day), Board.CHINEXT) is None
    assert limit_state(Quote("300750.SZ", 120.0, 100.0, day), Board.CHINEXT) == "up"
    # a suspended quote has no limit state
    assert limit_state(Quote("600519.SH", math.nan, 1500.0, day), Board.MAIN) is None
