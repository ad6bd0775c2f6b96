"""The trading-calendar-aware scheduler (APScheduler 3.x ``AsyncIOScheduler``) and the work of each job.

``LiveMonitor`` holds the jobs' work as plain blocking methods (testable without a scheduler):
quote polling (akshare snapshot in sessions, or the replay feed) → bus; risk checks on the bus quotes →
statuses and alerts on the bus + the notification centre; notification retries/digests; security events
(new-IP logins) → notifications; the end-of-day summary; the after-close data refresh; the daily
encrypted backup.

``QuantScheduler`` runs them on the asyncio loop it is started on (the Jupyter server's, or its own in
``jlq scheduler``), each in a worker thread so the loop never blocks. Several processes may start one:
only the holder of the Redis lock ``jlq:lock:scheduler`` runs jobs; the others keep trying to take it, so
when the holder dies another takes over within the lock's TTL.

Missed runs: every job has ``coalesce=True`` (a backlog of missed runs collapses into one run),
``max_instances=1`` (a slow poll is never overlapped by the next) and a ``misfire_grace_time`` — 2× the
interval for the fast jobs (a run later than that is skipped; the next one comes soon), 1 hour for the
daily jobs (a laptop that wakes at 15:40 still gets the 15:05 summary; one that wakes the next morning
does not get yesterday's).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .core.calendar import default_calendar, in_session
from .core.errors import QuantError
from .core.live import Alert, Severity, exchange_now

if TYPE_CHECKING:
    from .app import Services
    from .data.quotes import LiveQuoteFeed, ReplayQuoteFeed

log = logging.getLogger(__name__)

TZ = "Asia/Shanghai"
LOCK_NAME = "scheduler"
LOCK_TTL_S = 15.0
HEARTBEAT_S = 5.0


class LiveMonitor:
    """The work behind each scheduled job, on the services of one data root."""

    def __init__(self, services: Services, clock: Callable[[], dt.datetime] = exchange_now) -> None:
        self.services = services
        self.settings = services.settings
        self.clock = clock
        self._live: LiveQuoteFeed | None = None
        self._replay: ReplayQuoteFeed | None = None
        self.sim_time: dt.datetime | None = None  # the replay's clock, when quotes come from the replay
        self._announced: dict[str, float] = {}  # alert key → when it last went to the bus

    # ---- quotes ------------------------------------------------------------------------------
    def watched_symbols(self) -> list[str]:
        """The watchlist plus the account's holdings."""
        syms = list(self.services.watchlist.symbols())
        try:
            syms += self.services.risk.watched_symbols()
        except QuantError as exc:
            log.warning("jupyterlab-quant: holdings unavailable for quote polling: %s", exc)
        return list(dict.fromkeys(syms))

    def feed_kind(self, now: dt.datetime | None = None) -> str | None:
        """Which feed a poll uses now: "live", "replay" or None (outside sessions with ``auto``, or off)."""
        mode = self.settings.quote_feed
        if mode in ("off", ""):
            return None
        if mode == "replay":
            return "replay"
        if in_session(now or self.clock()):
            return "live"
        return None  # "auto"/"live" outside sessions: quotes expire from the bus; panels show the time

    def poll_quotes(self) -> int:
        """One poll: quotes of the watched symbols → bus. Returns the number published."""
        kind = self.feed_kind()
        if kind is None:
            return 0
        symbols = self.watched_symbols()
        if not symbols:
            return 0
        quotes = self._feed(kind).poll(symbols)
        if kind == "replay" and quotes:
            self.sim_time = max(q.time for q in quotes)
        n = self.services.bus.publish_quotes(quotes)
        if kind == "live" and n:
            # a whole-market snapshot takes about a minute to page through, longer than the quotes' 10 s TTL
            # on the bus: check right away on the fresh quotes rather than wait for the risk job's turn
            self.check_risk()
        return n

    def _feed(self, kind: str) -> LiveQuoteFeed | ReplayQuoteFeed:
        from .data.quotes import LiveQuoteFeed, ReplayQuoteFeed

        if kind == "live":
            if self._live is None:
                svc = self.services
                self._live = LiveQuoteFeed(svc.updater().fetcher, clock=self.clock)
            return self._live
        if self._replay is None:
            s = self.settings
            self._replay = ReplayQuoteFeed(self.services.query, freq=s.replay_freq, start=s.replay_start)
        return self._replay

    # ---- risk --------------------------------------------------------------------------------
    def risk_due(self) -> bool:
        """Risk checks run in sessions, or whenever the replay feed is playing."""
        return self.feed_kind() is not None

    def check_risk(self, *, force: bool = False) -> dict[str, Any] | None:
        """One risk pass on the bus quotes: statuses → bus "risk", each alert → bus "alerts" + notification
        centre. Returns the check result as a dict (None when not due)."""
        if not force and not self.risk_due():
            return None
        svc = self.services
        risk = svc.risk
        quotes = svc.bus.latest(self.watched_symbols())
        if not quotes and not force:
            return None  # nothing live (between slow polls, or the feed stopped): no pass on stale prices
        now = self.sim_time if self.settings.quote_feed == "replay" and self.sim_time else self.clock()
        result = risk.check(quotes, now)
        payload = result.to_dict()
        svc.bus.publish("risk", {"statuses": payload["statuses"], "checked_at": payload["checked_at"]})
        for alert in result.alerts:
            self.raise_alert(alert)
        return payload

    def raise_alert(self, alert: Alert) -> None:
        """An alert goes to the notification centre (which logs, de-duplicates, throttles, sends) and to
        the bus (JupyterLab notifications, Risk panel, dashboards). A rule that stays breached raises the
        same alert on every check: the bus gets it once per dedupe window too, so the browser does not
        toast it every few seconds."""
        svc = self.services
        window = 1800.0
        try:
            center = svc.notify
            window = float(center.settings().get("dedupe_window_s", window))
            center.submit(alert)
        finally:
            now = time.monotonic()
            last = self._announced.get(alert.key)
            if last is None or now - last >= window:
                self._announced[alert.key] = now
                svc.bus.publish_alert(alert)

    def flush_notifications(self) -> None:
        self.services.notify.flush()

    # ---- security events ---------------------------------------------------------------------
    def deliver_events(self) -> int:
        """New-IP logins recorded by the server (``state/events.db``) → alerts; marked delivered after."""
        from .vault.events import EventStore

        store = EventStore(self.settings.home / "state" / "events.db")
        events = store.pending()
        for ev in events:
            p = ev["payload"]
            if ev["kind"] == "login.new_ip":
                ip = str(p.get("ip", "?"))
                self.raise_alert(Alert(
                    key=f"login.new_ip:{ip}", rule="login.new_ip", severity=Severity.WARNING,
                    title=f"新 IP 登录工作站 {ip} (login from a new IP)",
                    message=f"用户 {p.get('user', '')} 于 {p.get('at', ev['created'])} 从 {ip} 登录"
                            f"（{p.get('method', '')}）。若不是你本人，请立即修改密码并检查审计日志 jlq audit list。",
                    time=self.clock()))
        if events:
            store.mark_delivered([int(ev["id"]) for ev in events])
        return len(events)

    # ---- daily jobs --------------------------------------------------------------------------
    def is_trading_day(self, day: dt.date | None = None) -> bool:
        return default_calendar().is_trading_day(day or self.clock().date())

    def eod_summary(self) -> Alert | None:
        """After the close on trading days: account value, today's P&L and breached rules, as one info alert."""
        if not self.is_trading_day():
            return None
        svc = self.services
        quotes = svc.bus.latest(self.watched_symbols())
        snap = svc.risk.snapshot(quotes, self.clock())
        statuses = svc.risk.check(quotes, self.clock()).statuses
        breached = [s for s in statuses if s.state == "breach"]
        today = self.clock().date().isoformat()
        start = snap.day_start_value
        pnl = snap.total_value - start if start else None
        lines = [f"账户总值 {snap.total_value:,.2f} 元，现金 {snap.cash:,.2f} 元",
                 f"今日盈亏 {pnl:+,.2f} 元" if pnl is not None else "今日盈亏 — (no previous close)",
                 f"持仓 {len(snap.positions)} 只；触发规则 {len(breached)} 条"]
        lines += [f"- {s.message}" for s in breached[:10]]
        alert = Alert(key=f"eod:{today}", rule="eod_summary", severity=Severity.INFO,
                      title=f"收盘小结 {today} (end-of-day summary)", message="\n".join(lines), time=self.clock())
        self.raise_alert(alert)
        return alert

    def refresh_data(self) -> str:
        """After the close: append today's daily bars for every stock from one snapshot."""
        if not self.is_trading_day():
            return "not a trading day"
        report = self.services.updater().update_snapshot()
        return str(report.summary())

    def daily_backup(self) -> str:
        """The encrypted daily backup into ``backup_dir`` (keep 7), when a backup folder is configured."""
        dest = self.settings.backup_dir
        if not dest:
            return "no backup_dir configured"
        from .vault.backup import daily_backup

        password = os.environ.get("JLQ_BACKUP_PASSWORD")
        if not password:
            raise QuantError("每日备份缺少密码 (daily backup has no password)",
                             "设置环境变量 JLQ_BACKUP_PASSWORD (set JLQ_BACKUP_PASSWORD for the scheduler)")
        path = daily_backup(self.settings.home, dest, password, keep=7)
        return str(path)


@dataclass
class JobState:
    """What the scheduler knows about one job (shown by ``/scheduler`` and ``jlq scheduler --status``)."""

    id: str
    label: str
    runs: int = 0
    failures: int = 0
    last_run: str | None = None
    last_ok: str | None = None
    last_error: str | None = None
    last_result: str | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class QuantScheduler:
    """APScheduler jobs over a ``LiveMonitor``; only the Redis lock holder runs them."""

    def __init__(self, monitor: LiveMonitor) -> None:
        self.monitor = monitor
        s = monitor.settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.leader = False
        self._sched: AsyncIOScheduler | None = None
        quote_every = s.replay_interval_s if s.quote_feed == "replay" else s.quote_interval_s
        self.jobs: dict[str, tuple[Any, Callable[[], Any], str]] = {
            "quotes": (IntervalTrigger(seconds=max(0.2, quote_every)), monitor.poll_quotes, "行情轮询 quote polling"),
            "risk": (IntervalTrigger(seconds=max(0.5, s.risk_interval_s)), monitor.check_risk,
                     "风控检查 risk checks"),
            "notify": (IntervalTrigger(seconds=30), monitor.flush_notifications, "提醒重试与汇总 retries + digests"),
            "events": (IntervalTrigger(seconds=15), monitor.deliver_events, "安全事件 security events"),
            "eod": (CronTrigger(day_of_week="mon-fri", hour=15, minute=5, timezone=TZ), monitor.eod_summary,
                    "收盘小结 end-of-day summary"),
            "refresh": (CronTrigger(day_of_week="mon-fri", hour=15, minute=35, timezone=TZ), monitor.refresh_data,
                        "数据更新 data refresh"),
            "backup": (CronTrigger(hour=20, minute=0, timezone=TZ), monitor.daily_backup, "每日备份 daily backup"),
        }
        self.state = {k: JobState(k, v[2]) for k, v in self.jobs.items()}

    def start(self) -> None:
        """Start on the running asyncio loop (call from a coroutine or the server's start hook)."""
        sched = AsyncIOScheduler(timezone=TZ, job_defaults={"coalesce": True, "max_instances": 1})
        sched.add_job(self._heartbeat, IntervalTrigger(seconds=HEARTBEAT_S), id="heartbeat",
                      next_run_time=dt.datetime.now(dt.UTC), misfire_grace_time=int(HEARTBEAT_S * 2))
        for job_id, (trigger, _, _) in self.jobs.items():
            grace = 3600 if isinstance(trigger, CronTrigger) else max(1, int(2 * trigger.interval.total_seconds()))
            sched.add_job(self._run, trigger, args=[job_id], id=job_id, misfire_grace_time=grace)
        sched.start()
        self._sched = sched

    async def _heartbeat(self) -> None:
        """Take or renew the lock; a process that loses it stops running jobs at once."""
        try:
            held = await asyncio.to_thread(self.monitor.services.bus.try_lock, LOCK_NAME, self.owner, LOCK_TTL_S)
        except QuantError as exc:  # Redis down: keep the last state; jobs fail and say why
            log.warning("jupyterlab-quant scheduler: lock heartbeat failed: %s", exc)
            return
        if held != self.leader:
            log.info("jupyterlab-quant scheduler %s: %s", self.owner,
                     "运行定时任务 (holding the scheduler lock)" if held else "另一进程在运行定时任务 (standby)")
        self.leader = held

    async def _run(self, job_id: str) -> None:
        if not self.leader:
            return
        await self.run_now(job_id)

    async def run_now(self, job_id: str) -> JobState:
        """Run one job in a worker thread, record the outcome; never raises (the scheduler keeps going)."""
        st = self.state[job_id]
        fn = self.jobs[job_id][1]
        t0 = time.perf_counter()
        st.runs += 1
        st.last_run = exchange_now().isoformat(timespec="seconds")
        try:
            out = await asyncio.to_thread(fn)
        except Exception as exc:  # any failure is recorded and logged; the next run tries again
            st.failures += 1
            st.last_error = exc.message if isinstance(exc, QuantError) else f"{type(exc).__name__}: {exc}"
            log.warning("jupyterlab-quant scheduler job %s failed: %s", job_id, st.last_error)
        else:
            st.last_ok = st.last_run
            st.last_error = None
            st.last_result = None if out is None else (str(out) if not isinstance(out, dict) else "ok")
        st.seconds = time.perf_counter() - t0
        return st

    def status(self) -> dict[str, Any]:
        jobs = []
        for job_id, st in self.state.items():
            nxt = None
            if self._sched is not None:
                job = self._sched.get_job(job_id)
                if job is not None and job.next_run_time is not None:
                    nxt = job.next_run_time.isoformat(timespec="seconds")
            jobs.append({"id": job_id, "label": st.label, "runs": st.runs, "failures": st.failures,
                         "last_run": st.last_run, "last_ok": st.last_ok, "last_error": st.last_error,
                         "last_result": st.last_result, "seconds": round(st.seconds, 4), "next_run": nxt})
        return {"owner": self.owner, "leader": self.leader, "feed": self.monitor.settings.quote_feed,
                "running": self._sched is not None and self._sched.running, "jobs": jobs}

    def shutdown(self) -> None:
        sched, self._sched = self._sched, None
        if sched is not None:
            sched.shutdown(wait=False)
        if self.leader:
            with contextlib.suppress(QuantError):
                self.monitor.services.bus.release_lock(LOCK_NAME, self.owner)
            self.leader = False

