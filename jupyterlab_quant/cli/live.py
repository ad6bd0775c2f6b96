"""``jlq scheduler`` (the live scheduler without JupyterLab) and ``jlq quotes watch`` (quotes from the bus)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import signal
import sys
import threading
from typing import Any

from ..app import Services
from ..core.errors import InvalidInput
from ..core.live import Quote
from ..core.types import normalize_symbol


def _with_live_options(svc: Services, a: argparse.Namespace) -> Services:
    """Services whose settings carry the command line's feed options."""
    changes: dict[str, Any] = {}
    for opt, key in (("feed", "quote_feed"), ("replay_start", "replay_start"), ("replay_freq", "replay_freq"),
                     ("replay_interval", "replay_interval_s"), ("quote_interval", "quote_interval_s"),
                     ("risk_interval", "risk_interval_s"), ("redis_url", "redis_url"), ("backup_dir", "backup_dir")):
        value = getattr(a, opt, None)
        if value is not None:
            changes[key] = value
    if not changes:
        return svc
    svc.close()
    return Services.from_settings(dataclasses.replace(svc.settings, **changes))


def cmd_scheduler(svc: Services, a: argparse.Namespace) -> int:
    from ..scheduler import LiveMonitor, QuantScheduler

    svc = _with_live_options(svc, a)
    monitor = LiveMonitor(svc)
    sched = QuantScheduler(monitor)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        sched.start()
        s = svc.settings
        print(f"定时任务运行中 (scheduler running) — feed {s.quote_feed}, data root {s.home}, owner {sched.owner}; "
              "Ctrl-C 停止", flush=True)
        if a.duration:
            loop.call_later(a.duration, stop.set)
        await stop.wait()
        sched.shutdown()
        st = sched.status()
        for job in st["jobs"]:
            if job["runs"]:
                print(f"  {job['id']:<8} runs {job['runs']:>4}  failures {job['failures']:>3}  "
                      f"last error: {job['last_error'] or '-'}")

    try:
        asyncio.run(main())
    finally:
        svc.close()
    return 0


def _fmt(q: Quote) -> str:
    if q.suspended:
        return f"{q.symbol:<10} {q.name[:6]:<6} {'停牌':>10} {'':>8} {q.time:%Y-%m-%d %H:%M:%S}"
    pct = q.pct * 100 if not math.isnan(q.pct) else math.nan
    return f"{q.symbol:<10} {q.name[:6]:<6} {q.price:>10.2f} {pct:>+7.2f}% {q.time:%Y-%m-%d %H:%M:%S}"


def cmd_quotes_watch(svc: Services, a: argparse.Namespace) -> int:
    symbols = [normalize_symbol(s) for item in a.symbols for s in item.split(",") if s.strip()]
    if not symbols:
        raise InvalidInput("请给出代码 (give at least one symbol)", "例如 jlq quotes watch 600519.SH 000001.SZ")
    svc = _with_live_options(svc, a)
    bus = svc.bus
    wanted = set(symbols)
    shown = 0

    def show(quotes: list[Quote]) -> None:
        nonlocal shown
        for q in quotes:
            if q.symbol in wanted:
                print(json.dumps(q.to_dict(), ensure_ascii=False) if a.json else _fmt(q), flush=True)
                shown += 1

    show(list(bus.latest(symbols).values()))
    poller: threading.Thread | None = None
    stop = threading.Event()
    if a.feed:  # poll here too: useful without JupyterLab or `jlq scheduler` running
        from ..scheduler import LiveMonitor

        monitor = LiveMonitor(svc)
        monitor.watched_symbols = lambda: symbols  # type: ignore[method-assign]
        interval = svc.settings.replay_interval_s if a.feed == "replay" else svc.settings.quote_interval_s

        def poll() -> None:
            while not stop.is_set():
                try:
                    monitor.poll_quotes()
                except Exception as exc:  # show why and keep polling, like the scheduler does
                    print(f"警告 warning: {exc}", file=sys.stderr, flush=True)
                stop.wait(interval)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
    try:
        for channel, payload in bus.subscribe("quotes"):
            if channel == "quotes":
                show([Quote.from_dict(d) for d in payload.get("quotes", [])])
            if a.count and shown >= a.count:
                break
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
    return 0


def _live_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--feed", choices=["auto", "live", "replay", "off"], help="行情源 quote feed (default: auto)")
    p.add_argument("--replay-start", help="回放起始日 first replayed date, e.g. 2015-06-01")
    p.add_argument("--replay-freq", choices=["1d", "1m"], help="回放频率 replayed bars")
    p.add_argument("--replay-interval", type=float, help="回放间隔秒 real seconds per replayed tick")
    p.add_argument("--quote-interval", type=float, help="实时轮询间隔秒 seconds between snapshot polls")
    p.add_argument("--redis-url", help="外部 Redis redis://host:6379/0 (default: embedded)")


def register(sub: Any) -> None:
    """``jlq scheduler`` and ``jlq quotes watch``."""
    sc = sub.add_parser("scheduler", help="定时任务 run the live scheduler headless (quotes, risk, alerts, "
                                          "summary, refresh, backup); one per data root runs jobs")
    _live_options(sc)
    sc.add_argument("--risk-interval", type=float, help="风控检查间隔秒 seconds between risk checks")
    sc.add_argument("--backup-dir", help="每日备份目录 folder of the 20:00 encrypted backup")
    sc.add_argument("--duration", type=float, help="运行秒数后退出 stop after N seconds (tests, cron)")
    sc.set_defaults(func=cmd_scheduler)

    qt = sub.add_parser("quotes", help="实时行情 live quotes from the bus")
    qs = qt.add_subparsers(dest="quotes_cmd", required=True)
    qw = qs.add_parser("watch", help="盯盘 print quotes of SYMBOLS as they arrive (Ctrl-C to stop)")
    qw.add_argument("symbols", nargs="+", help="代码 600519.SH 000001.SZ …")
    _live_options(qw)
    qw.add_argument("--count", type=int, help="收到 N 条后退出 exit after N quotes")
    qw.add_argument("--json", action="store_true", help="每行一个 JSON one JSON quote per line")
    qw.set_defaults(func=cmd_quotes_watch)
