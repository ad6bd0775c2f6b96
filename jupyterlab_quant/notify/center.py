"""The notification centre (通知中心): turns alerts into channel messages and keeps the delivery log.

``submit(alert)`` records the alert, then per enabled channel: de-duplication (same ``alert.key`` sent or
queued on that channel within ``dedupe_window_s`` → ``deduped``), quiet hours (non-critical →
``quiet``), the rate limit (no slot → ``suppressed``), else one HTTP message with a short inline retry.
A retryable failure is queued (``retrying``, exponential backoff with jitter) and ``flush()`` resends it,
up to ``retry.max_attempts`` attempts, then ``failed`` with the last reason. A daily quota answer stops
the channel until tomorrow and holds the alert for the next digest.

``flush()`` also sends, per channel and when its limit allows, ONE digest (汇总) of every held
(``suppressed``/``quiet``) alert, once the oldest has waited ``digest.delay_s`` (so a storm lands in one
digest) and quiet hours are over; the alerts become ``digested`` and point at the digest.

All decisions that count (dedupe, limits) are taken inside one ``BEGIN IMMEDIATE`` transaction of the
log, so several processes sharing the data root never exceed a limit; HTTP calls happen outside it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from tenacity import Retrying, retry_if_result, stop_after_attempt, wait_exponential_jitter

from ..core.errors import InvalidInput, QuantError
from ..core.live import Alert, Severity, exchange_now
from . import channels as catalogue
from . import throttle
from .base import (
    SEVERITY_LABEL,
    Message,
    Notifier,
    Outcome,
    SecretSource,
    SendResult,
    has_secret,
    message_from_json,
    message_to_json,
)
from .config import RANGES, ConfigFile, QuietHours, check_dashboard_url, check_number, parse_quiet_hours
from .log import STATUSES, Delivery, DeliveryLog, day_start, from_ts, iso, to_ts
from .secrets import secret_name

logger = logging.getLogger(__name__)

STALE_PENDING_S = 600.0          # a "pending" row older than this was left by a crashed process
RETENTION_DAYS = 90
NOTIFIER_TTL_S = 30.0            # secrets are re-read this often (another process may change them)
INLINE_LONG_WAIT_S = 5.0         # a retry-after longer than this is never waited for inline
_NO_SLOT = "no_slot"
_SEV_ORDER = {"critical": 0, "warning": 1, "info": 2}
_TEST_BODY = ("这是一条来自 jupyterlab-quant 的测试消息，收到即表示渠道配置正确。\n"
              "This is a test message from jupyterlab-quant: the channel works.")


@dataclass
class _Plan:
    delivery_id: int
    notifier: Notifier | None       # None: decided without sending
    limit: throttle.RateLimit | None = None


class NotificationCenter:
    """Alerts → WeChat channels, with the delivery log. Thread-safe; ``submit``/``flush``/``test`` block on
    HTTP (run them in a thread from an event loop). ``clock`` gives exchange-local time (injected by tests);
    ``sleep`` is what the short inline retry waits with."""

    def __init__(self, home: Path | str, secrets: SecretSource, *, clock: Callable[[], Any] = exchange_now,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 seed: int | None = None) -> None:
        self.home = Path(home)
        self.secrets = secrets
        self.clock = clock
        self.session = session or requests.Session()
        self.config = ConfigFile(self.home / "config" / "notify.json")
        self.log_db = DeliveryLog.for_home(self.home)
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._notifiers: dict[str, tuple[float, str, Notifier | SendResult]] = {}
        self._last_prune = 0.0

    def close(self) -> None:
        self.log_db.close()

    # ---- time ---------------------------------------------------------------------------------------
    def _now(self, now: Any = None) -> tuple[Any, float]:
        when = now if now is not None else self.clock()
        return when, to_ts(when)

    # ---- configuration ------------------------------------------------------------------------------
    @staticmethod
    def _chan(cfg: Mapping[str, Any], name: str) -> dict[str, Any]:
        ch = dict(cfg.get("channels", {}).get(name) or {})
        ch.setdefault("enabled", False)
        ch.setdefault("base_url", None)
        ch["options"] = dict(ch.get("options") or {})
        ch["options_set_at"] = dict(ch.get("options_set_at") or {})
        return ch

    def _options(self, cfg: Mapping[str, Any], name: str) -> dict[str, Any]:
        return {**catalogue.spec(name).defaults(), **self._chan(cfg, name)["options"]}

    def _limit(self, cfg: Mapping[str, Any], name: str) -> throttle.RateLimit:
        ch = self._chan(cfg, name)
        return catalogue.spec(name).limit(self._options(cfg, name), float(ch["options_set_at"].get(
            "subscriptions_left", 0.0)))

    def _timeout(self, cfg: Mapping[str, Any]) -> tuple[float, float]:
        return float(cfg["timeout"]["connect"]), float(cfg["timeout"]["read"])

    def _notifier(self, cfg: Mapping[str, Any], name: str) -> Notifier | SendResult:
        """The channel's notifier, or why there is none: ``not_configured`` (permanent) or a locked vault
        (retryable). Cached for ``NOTIFIER_TTL_S`` per configuration."""
        spec = catalogue.spec(name)
        ch = self._chan(cfg, name)
        opts = self._options(cfg, name)
        fingerprint = json.dumps([ch["base_url"], opts, self._timeout(cfg)], sort_keys=True, default=str)
        with self._lock:
            hit = self._notifiers.get(name)
            if hit and hit[1] == fingerprint and time.monotonic() - hit[0] < NOTIFIER_TTL_S:
                return hit[2]
        built: Notifier | SendResult
        values: dict[str, str] = {}
        missing = spec.missing_required(opts)
        try:
            for f in spec.secret_fields:
                v = self.secrets.get(secret_name(name, f))
                if v:
                    values[f] = v
                else:
                    missing.append(f)
        except QuantError as exc:
            why = f"无法读取渠道密钥 (cannot read the channel's secrets): {exc}"
            # a locked vault may be unlocked later (keep the alert); a lost or tampered key will not come back
            built = (SendResult.retryable(exc.code, why) if exc.code == "vault_locked"
                     else SendResult.permanent(exc.code, why))
        else:
            if missing:
                built = SendResult.permanent(
                    "not_configured", f"渠道 {name} 未配置完整，缺少 {', '.join(missing)} (channel not configured: "
                                      f"missing {', '.join(missing)}) — jlq notify set {name} "
                                      + " ".join(f"--secret {m}" if m in spec.secret_fields else f"--option {m}=…"
                                                 for m in missing))
            else:
                built = catalogue.build(name, values, opts, ch["base_url"], session=self.session,
                                        timeout=self._timeout(cfg), store=self.log_db, now=self._epoch)
        with self._lock:
            self._notifiers[name] = (time.monotonic(), fingerprint, built)
        return built

    def _epoch(self) -> float:
        return to_ts(self.clock())

    def _invalidate(self, name: str | None = None) -> None:
        with self._lock:
            if name is None:
                self._notifiers.clear()
            else:
                self._notifiers.pop(name, None)

    def _enabled(self, cfg: Mapping[str, Any]) -> list[str]:
        return [n for n in catalogue.SPECS if self._chan(cfg, n)["enabled"]]

    # ---- submit -------------------------------------------------------------------------------------
    def submit(self, alert: Alert) -> list[Delivery]:
        """Record ``alert`` and deliver it on every enabled channel; one ``Delivery`` per channel."""
        cfg = self.config.load()
        now_dt, now = self._now()
        names = self._enabled(cfg)
        notifiers = {n: self._notifier(cfg, n) for n in names}
        quiet = parse_quiet_hours(cfg["quiet_hours"])
        window = float(cfg["dedupe_window_s"])
        plans: list[_Plan] = []
        with self.log_db.tx() as con:
            DeliveryLog.add_alert(con, alert, now)
            for name in names:
                plans.append(self._plan(con, cfg, name, alert, notifiers[name], quiet, window, now_dt, now))
        message = Message.from_alert(alert, cfg.get("dashboard_url"))
        out = []
        for plan in plans:
            if plan.notifier is not None and plan.limit is not None:
                self._attempt(cfg, plan.delivery_id, plan.notifier, message, plan.limit, attempts=0)
            out.append(self._get(plan.delivery_id))
        return out

    def _plan(self, con: Any, cfg: Mapping[str, Any], name: str, alert: Alert, notifier: Notifier | SendResult,
              quiet: QuietHours | None, window: float, now_dt: Any, now: float) -> _Plan:
        add = DeliveryLog.add_delivery
        if window > 0 and DeliveryLog.recent_same_key(con, alert.key, name, now - window):
            return _Plan(add(con, channel=name, status="deduped", now=now, alert=alert, error_code="deduped",
                             error=f"{window:g} 秒内已发送过同一提醒 (same alert key within the dedupe window)"), None)
        if isinstance(notifier, SendResult) and notifier.outcome is Outcome.PERMANENT:
            return _Plan(add(con, channel=name, status="failed", now=now, alert=alert, error_code=notifier.code,
                             error=notifier.message), None)
        if quiet is not None and now_dt in quiet and alert.severity is not Severity.CRITICAL:
            end = quiet.end_after(now_dt)
            return _Plan(add(con, channel=name, status="quiet", now=now, alert=alert, error_code="quiet_hours",
                             error=f"免打扰时段 {quiet}，{end:%H:%M} 后并入汇总发送 (quiet hours; sent in the digest "
                                   f"after {end:%H:%M})"), None)
        limit = self._limit(cfg, name)
        decision = throttle.decide(con, name, limit, now)
        if not decision.allowed:
            return _Plan(add(con, channel=name, status="suppressed", now=now, alert=alert, error_code=decision.code,
                             error=decision.reason), None)
        if isinstance(notifier, SendResult):      # the secrets cannot be read now (locked vault): queue it
            did = add(con, channel=name, status="retrying", now=now, alert=alert, error_code=notifier.code,
                      error=notifier.message)
            DeliveryLog.update(con, did, now, next_attempt=now + self._backoff(cfg, 1))
            return _Plan(did, None)
        did = add(con, channel=name, status="pending", now=now, alert=alert)
        DeliveryLog.take_slot(con, name, now, did, digest=False)
        return _Plan(did, notifier, limit)

    # ---- one send with a short inline retry; record the outcome ------------------------------------------
    def _attempt(self, cfg: Mapping[str, Any], delivery_id: int, notifier: Notifier, message: Message,
                 limit: throttle.RateLimit, *, attempts: int) -> None:
        """Send (the first slot is already taken); further inline attempts each take a slot first."""
        retry = cfg["retry"]
        max_attempts = int(retry["max_attempts"])
        inline = max(1, min(int(retry["inline_attempts"]), max_attempts - attempts))
        made = 0
        digest = message.kind == "digest"
        results: list[SendResult] = []

        def once() -> SendResult:
            nonlocal made
            if made:
                with self.log_db.tx() as con:
                    now = self._epoch()
                    if not throttle.decide(con, notifier.name, limit, now, digest=digest).allowed:
                        return SendResult.retryable(_NO_SLOT, "")
                    DeliveryLog.take_slot(con, notifier.name, now, delivery_id, digest=digest)
            made += 1
            try:
                r = notifier.send(message)
            except Exception as exc:  # a channel bug must not lose the alert: keep it for a retry
                logger.exception("notifier %s raised", notifier.name)
                r = SendResult.retryable("internal", f"内部错误 (internal error): {type(exc).__name__}")
            if _not_taken(r):
                with self.log_db.tx() as con:
                    DeliveryLog.release_last_slot(con, delivery_id)
            results.append(r)
            return r

        def again(r: SendResult) -> bool:
            return (r.outcome is Outcome.RETRYABLE and r.code != _NO_SLOT
                    and (r.retry_after_s or 0) <= INLINE_LONG_WAIT_S)

        Retrying(stop=stop_after_attempt(inline), wait=wait_exponential_jitter(initial=0.5, max=2.0),
                 retry=retry_if_result(again), sleep=self._sleep,
                 retry_error_callback=lambda state: state.outcome.result() if state.outcome else None)(once)
        # the first attempt always sends (its slot was taken by the caller): results is never empty
        result = results[-1]
        self._record(cfg, delivery_id, notifier.name, message.kind, result, attempts + made)

    def _record(self, cfg: Mapping[str, Any], delivery_id: int, channel: str, kind: str, result: SendResult,
                attempts: int) -> None:
        now = self._epoch()
        max_attempts = int(cfg["retry"]["max_attempts"])
        with self.log_db.tx() as con:
            upd = DeliveryLog.update
            if result.ok:
                upd(con, delivery_id, now, status="sent", attempts=attempts, sent=now, error_code=None, error=None,
                    next_attempt=None)
            elif result.outcome is Outcome.QUOTA:
                until = day_start(now) + 86400
                DeliveryLog.block(con, channel, until, result.code, result.message)
                if kind == "alert":      # kept: it goes into tomorrow's digest
                    upd(con, delivery_id, now, status="suppressed", attempts=attempts, error_code=result.code,
                        error=result.message, next_attempt=None)
                elif kind == "digest":
                    upd(con, delivery_id, now, status="retrying", attempts=attempts, error_code=result.code,
                        error=result.message, next_attempt=until)
                else:
                    upd(con, delivery_id, now, status="failed", attempts=attempts, error_code=result.code,
                        error=result.message)
            elif result.outcome is Outcome.RETRYABLE and kind != "test" and attempts < max_attempts:
                wait = max(self._backoff(cfg, max(attempts, 1)), result.retry_after_s or 0.0)
                upd(con, delivery_id, now, status="retrying", attempts=attempts, error_code=result.code,
                    error=result.message, next_attempt=now + wait)
            else:
                why = result.message
                if result.outcome is Outcome.RETRYABLE and kind != "test":
                    why = f"重试 {attempts} 次后放弃 (gave up after {attempts} attempts): {why}"
                upd(con, delivery_id, now, status="failed", attempts=attempts, error_code=result.code, error=why,
                    next_attempt=None)
        if not result.ok:
            logger.warning("notify %s delivery %s: %s %s %s", channel, delivery_id, result.outcome.value, result.code,
                        result.message)

    def _backoff(self, cfg: Mapping[str, Any], attempts: int) -> float:
        r = cfg["retry"]
        full = min(float(r["max_s"]), float(r["base_s"]) * 2 ** (attempts - 1))
        return full / 2 + self._rng.random() * full / 2      # "equal jitter": spread, never immediate

    def _get(self, delivery_id: int) -> Delivery:
        with self.log_db.read() as con:
            return DeliveryLog.get(con, delivery_id)

    # ---- flush: retries and digests ----------------------------------------------------------------------
    def flush(self, now: Any = None) -> dict[str, int]:
        """Send due retries and, per channel, one digest of held alerts when allowed. Returns counts."""
        cfg = self.config.load()
        now_dt, ts = self._now(now)
        stats = Counter({"retried": 0, "sent": 0, "failed": 0, "digests": 0, "digested": 0})
        with self.log_db.read() as con:
            due = DeliveryLog.due(con, ts, ts - STALE_PENDING_S)
        for d in due:
            status = self._retry(cfg, d, now_dt, ts)
            if status:
                stats["retried"] += 1
            if status in ("sent", "failed"):
                stats[status] += 1
        for name in self._enabled(cfg):
            n, status = self._digest(cfg, name, now_dt, ts)
            if n:
                stats["digests"] += 1
                stats["digested"] += n
            if status in ("sent", "failed"):
                stats[status] += 1
        if ts - self._last_prune > 86400:
            self._last_prune = ts
            self.log_db.prune(ts - RETENTION_DAYS * 86400, ts)
        return dict(stats)

    def _message_of(self, con: Any, d: Delivery) -> Message | None:
        if d.kind == "alert" and d.alert_id:
            alert = DeliveryLog.alert(con, d.alert_id)
            return Message.from_alert(alert, self.config.load().get("dashboard_url")) if alert else None
        payload = DeliveryLog.payload(con, d.id)
        return message_from_json(payload) if payload else None

    def _retry(self, cfg: Mapping[str, Any], d: Delivery, now_dt: Any, ts: float) -> str | None:
        """Resend one due delivery; returns its new status (None when it was not attempted)."""
        enabled = d.channel in self._enabled(cfg) or d.kind == "test"
        notifier = self._notifier(cfg, d.channel) if enabled else None
        quiet = parse_quiet_hours(cfg["quiet_hours"])
        limit = self._limit(cfg, d.channel)
        upd = DeliveryLog.update
        with self.log_db.tx() as con:
            row = DeliveryLog.get(con, d.id)
            if (row.status, row.updated) != (d.status, d.updated):
                return None                              # another process took it
            message = self._message_of(con, d)
            if message is None or not enabled:
                why = ("渠道已停用 (channel disabled)" if not enabled else "提醒记录已丢失 (alert record missing)")
                upd(con, d.id, ts, status="failed", error_code="cancelled", error=why, next_attempt=None)
                return "failed"
            if isinstance(notifier, SendResult):
                if notifier.outcome is Outcome.PERMANENT or d.attempts + 1 >= int(cfg["retry"]["max_attempts"]):
                    upd(con, d.id, ts, status="failed", attempts=d.attempts + 1, error_code=notifier.code,
                        error=notifier.message, next_attempt=None)
                    return "failed"
                upd(con, d.id, ts, status="retrying", attempts=d.attempts + 1, error_code=notifier.code,
                    error=notifier.message, next_attempt=ts + self._backoff(cfg, d.attempts + 1))
                return "retrying"
            if (d.kind == "alert" and quiet is not None and now_dt in quiet
                    and message.severity is not Severity.CRITICAL):
                upd(con, d.id, ts, status="quiet", error_code="quiet_hours",
                    error=f"免打扰时段 {quiet}，结束后并入汇总 (quiet hours; goes into the digest)", next_attempt=None)
                return "quiet"
            decision = throttle.decide(con, d.channel, limit, ts, digest=d.kind == "digest")
            if not decision.allowed:
                if d.kind == "alert" and decision.code != "rate_limited":
                    upd(con, d.id, ts, status="suppressed", error_code=decision.code, error=decision.reason,
                        next_attempt=None)
                    return "suppressed"
                upd(con, d.id, ts, status="retrying", next_attempt=decision.retry_at or ts + 60)
                return None
            upd(con, d.id, ts, status="pending")
            DeliveryLog.take_slot(con, d.channel, ts, d.id, digest=d.kind == "digest")
        assert notifier is not None
        self._attempt(cfg, d.id, notifier, message, limit, attempts=d.attempts)
        return self._get(d.id).status

    def _digest(self, cfg: Mapping[str, Any], name: str, now_dt: Any, ts: float) -> tuple[int, str]:
        quiet = parse_quiet_hours(cfg["quiet_hours"])
        in_quiet = quiet is not None and now_dt in quiet
        delay = float(cfg["digest"]["delay_s"])
        limit = self._limit(cfg, name)
        with self.log_db.read() as con:
            held = DeliveryLog.held(con, name)
        if in_quiet:       # only rate-limited critical alerts may break the quiet
            held = [d for d in held if d.severity == "critical" and d.status == "suppressed"]
        if not held or ts - min(d.created for d in held) < delay:
            return 0, ""
        notifier = self._notifier(cfg, name)
        if isinstance(notifier, SendResult):
            return 0, ""
        with self.log_db.tx() as con:
            ids = [d.id for d in held]
            marks = ",".join("?" * len(ids))
            still = {r[0] for r in con.execute(f"SELECT id FROM deliveries WHERE id IN ({marks}) AND status IN "
                                               "('suppressed', 'quiet')", ids)}
            held = [d for d in held if d.id in still]      # another process may have digested some
            if not held or not throttle.decide(con, name, limit, ts, digest=True).allowed:
                return 0, ""
            alerts = {d.alert_id: DeliveryLog.alert(con, d.alert_id) for d in held if d.alert_id}
            sev = min((d.severity or "info" for d in held), key=lambda s: _SEV_ORDER.get(s, 9))
            did = DeliveryLog.add_delivery(con, channel=name, status="pending", now=ts, kind="digest",
                                           title=f"风险提醒汇总 {len(held)} 条 (digest of {len(held)} alerts)",
                                           severity=sev)
            message = self._digest_message(cfg, did, held, alerts, from_ts(ts))
            con.execute("UPDATE deliveries SET payload = ? WHERE id = ?", (message_to_json(message), did))
            con.execute(f"UPDATE deliveries SET status = 'digested', digest_id = ?, updated = ?, next_attempt = NULL "
                        f"WHERE id IN ({','.join('?' * len(held))})", (did, ts, *(d.id for d in held)))
            DeliveryLog.take_slot(con, name, ts, did, digest=True)
        self._attempt(cfg, did, notifier, message, limit, attempts=0)
        return len(held), self._get(did).status

    def _digest_message(self, cfg: Mapping[str, Any], did: int, held: list[Delivery],
                        alerts: Mapping[str, Alert | None], now_dt: Any) -> Message:
        n = len(held)
        top = int(cfg["digest"]["top"])
        items = [a for a in (alerts.get(d.alert_id or "") for d in held) if a is not None]
        by_rule = Counter(a.rule for a in items)
        by_sev = Counter(a.severity for a in items)
        why = Counter("quiet" if d.status == "quiet" else "limit" for d in held)
        first, last = from_ts(min(d.created for d in held)), from_ts(max(d.created for d in held))
        severity = min((a.severity for a in items), key=lambda s: _SEV_ORDER[s.value], default=Severity.INFO)
        shown = sorted(items, key=lambda a: (_SEV_ORDER[a.severity.value], -to_ts(a.time)))[:top]
        rules = " · ".join(f"{r} {c}" for r, c in by_rule.most_common())
        sevs = " · ".join(f"{SEVERITY_LABEL[s].split()[0]} {by_sev[s]}" for s in Severity if by_sev[s])
        lines = [f"**时段 period**: {first:%Y-%m-%d %H:%M:%S} — {last:%H:%M:%S}",
                 f"**按规则 by rule**: {rules}", f"**按级别 by severity**: {sevs}",
                 f"**原因 held by**: 频率/额度限制 rate limit {why['limit']} · 免打扰 quiet hours {why['quiet']}",
                 f"**提醒 alerts** (前 {len(shown)} 条 top {len(shown)}):"]
        lines += [f"- {a.time:%H:%M:%S} {a.title}" for a in shown]
        if n > len(shown):
            lines.append(f"- … 另有 {n - len(shown)} 条 ({n - len(shown)} more): jlq notify log --status digested")
        body = "\n".join(lines)
        title = f"风险提醒汇总 {n} 条 (digest of {n} alerts)"
        fields = {"title": f"风险提醒汇总 {n} 条", "message": f"{n} 条提醒：{rules}"[:200], "rule": "digest",
                  "symbol": "", "value": float(n), "threshold": None, "time": now_dt, "severity": severity.value,
                  "count": n}
        ref = "d" + hashlib.sha256(f"{self.home}|{did}".encode()).hexdigest()[:16]
        return Message(title=title, body=body, text=body.replace("**", ""), severity=severity, kind="digest",
                       alert_ids=tuple(a.id for a in items), time=now_dt, ref=ref, fields=fields)

    # ---- test message -------------------------------------------------------------------------------------
    def test(self, channel: str) -> Delivery:
        """Send a test message on ``channel`` (enabled or not): bypasses dedupe and quiet hours, respects the
        rate limit. The returned delivery is ``sent``, or ``failed``/``suppressed`` with the reason."""
        spec = catalogue.spec(channel)
        cfg = self.config.load()
        now_dt, ts = self._now()
        notifier = self._notifier(cfg, spec.name)
        limit = self._limit(cfg, spec.name)
        message = Message(title="测试消息 test message", body=_TEST_BODY, text=_TEST_BODY, severity=Severity.INFO,
                          kind="test", time=now_dt, ref=f"t{int(ts * 1000):x}",
                          fields={"title": "测试消息", "message": "渠道配置正确", "rule": "test", "symbol": "",
                                  "value": None, "threshold": None, "time": now_dt, "severity": "info", "count": 1})
        add = DeliveryLog.add_delivery
        with self.log_db.tx() as con:
            if isinstance(notifier, SendResult):
                return DeliveryLog.get(con, add(con, channel=spec.name, status="failed", now=ts, kind="test",
                                             title=message.title, severity="info", error_code=notifier.code,
                                             error=notifier.message))
            decision = throttle.decide(con, spec.name, limit, ts)
            if not decision.allowed:
                return DeliveryLog.get(con, add(con, channel=spec.name, status="suppressed", now=ts, kind="test",
                                             title=message.title, severity="info", error_code=decision.code,
                                             error=decision.reason))
            did = add(con, channel=spec.name, status="pending", now=ts, kind="test", title=message.title,
                      severity="info", payload=message_to_json(message))
            DeliveryLog.take_slot(con, spec.name, ts, did, digest=False)
        self._attempt(cfg, did, notifier, message, limit, attempts=0)
        return self._get(did)

    # ---- channels and settings ------------------------------------------------------------------------
    def channels(self) -> list[dict[str, Any]]:
        """Every channel: labels, enabled, configured, rate limit text, sent today, options, secret fields."""
        cfg = self.config.load()
        return [self._describe(cfg, name) for name in catalogue.SPECS]

    def channel(self, name: str) -> dict[str, Any]:
        return self._describe(self.config.load(), catalogue.spec(name).name)

    def _describe(self, cfg: Mapping[str, Any], name: str) -> dict[str, Any]:
        spec = catalogue.spec(name)
        ch = self._chan(cfg, name)
        opts = self._options(cfg, name)
        _, ts = self._now()
        secrets_set, secrets_env, secret_error = [], [], None
        for f in spec.secret_fields:
            sname = secret_name(name, f)
            try:
                if has_secret(self.secrets, sname):
                    secrets_set.append(f)
            except QuantError as exc:
                secret_error = str(exc)
            from_env, env_var = getattr(self.secrets, "from_env", None), getattr(self.secrets, "env_var", None)
            if callable(from_env) and callable(env_var) and from_env(sname):
                secrets_env.append(str(env_var(sname)))
        missing = spec.missing_required(opts) + [f for f in spec.secret_fields if f not in secrets_set]
        limit = self._limit(cfg, name)
        with self.log_db.read() as con:
            blocked = DeliveryLog.blocked(con, name, ts)
            held = int(con.execute("SELECT COUNT(*) FROM deliveries WHERE channel = ? AND status IN "
                                   "('suppressed', 'quiet')", (name,)).fetchone()[0])
            left = None
            if limit.opt_ins is not None:
                used = DeliveryLog.count_sends(con, name, limit.opt_in_since - 1e-6, quota=True)
                refused = DeliveryLog.failed_with(con, name, "43101", limit.opt_in_since)
                left = 0 if refused else max(0, limit.opt_ins - used)
        rate = limit.describe() + (f"; 剩余 {left} 次 ({left} left)" if left is not None else "")
        return {"name": name, "label": dict(spec.label), "enabled": bool(ch["enabled"]), "configured": not missing,
                "missing": missing, "rate_limit": rate, "sent_today": self.log_db.sent_since(name, day_start(ts)),
                "held": held, "paused_until": iso(blocked[0]) if blocked else None,
                "paused_reason": blocked[2] if blocked else None, "options": opts,
                "secret_fields": list(spec.secret_fields), "secrets_set": secrets_set, "secrets_env": secrets_env,
                "secret_error": secret_error, "base_url": ch["base_url"] or spec.default_base_url,
                "base_url_default": spec.default_base_url}

    def configure(self, channel: str, *, enabled: bool | None = None, options: Mapping[str, Any] | None = None,
                  secrets: Mapping[str, str | None] | None = None) -> dict[str, Any]:
        """Change one channel. Options are validated (unknown option or bad value → ``InvalidInput`` naming it;
        ``None`` restores the default; ``base_url`` is an option too); secrets go to the ``SecretSource`` (``None``
        or "" deletes). Nothing is stored when anything is invalid."""
        spec = catalogue.spec(channel)
        name = spec.name
        cfg = self.config.load()
        ch = self._chan(cfg, name)
        _, ts = self._now()
        new_opts = dict(ch["options"])
        base_url = ch["base_url"]
        for key, value in (options or {}).items():
            if key == "base_url":
                base_url = catalogue.check_base_url(name, value)
                continue
            if key in spec.secret_fields:
                raise InvalidInput(f"{name}.{key} 是密钥，不能作为普通选项保存 ({key} is a secret, not an option)",
                                   f"用 jlq notify set {name} --secret {key}（从提示或标准输入读取）")
            o = spec.option(key)
            v = catalogue.coerce(name, o, value)
            if v is None:
                new_opts.pop(key, None)
            else:
                new_opts[key] = v
            if key == "subscriptions_left":
                ch["options_set_at"][key] = ts      # opt-ins are counted from now on
        spec.check({**spec.defaults(), **new_opts})
        clean: dict[str, str | None] = {}
        for f, value in (secrets or {}).items():
            if f not in spec.secret_fields:
                raise InvalidInput(f"渠道 {name} 没有密钥字段 {f!r} (unknown secret field {f!r} for {name})",
                                   f"可用 (secret fields): {', '.join(spec.secret_fields)}")
            clean[f] = _clean_secret(name, f, value)
        for f, value in clean.items():
            if value is None:
                self.secrets.delete(secret_name(name, f))
            else:
                self.secrets.set(secret_name(name, f), value)
        ch["options"] = new_opts
        ch["base_url"] = base_url
        if enabled is not None:
            ch["enabled"] = bool(enabled)
        cfg.setdefault("channels", {})[name] = ch
        self.config.save(cfg)
        self._invalidate(name)
        return self.channel(name)

    def settings(self) -> dict[str, Any]:
        """Global settings (dedupe window, quiet hours, digest, retry, timeouts)."""
        cfg = self.config.load()
        return {k: v for k, v in cfg.items() if k not in ("channels", "format")}

    def configure_global(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change global settings by dotted name: ``quiet_hours`` ("22:00-07:30" or None), ``dashboard_url``
        (the monitor dashboard's http(s) URL linked from alerts, or None), ``dedupe_window_s``,
        ``digest.delay_s``, ``digest.top``, ``retry.max_attempts``, ``retry.base_s``, ``retry.max_s``,
        ``retry.inline_attempts``, ``timeout.connect``, ``timeout.read``."""
        cfg = self.config.load()
        for key, value in changes.items():
            path = tuple(key.split("."))
            if key == "quiet_hours":
                q = parse_quiet_hours(value)
                cfg["quiet_hours"] = str(q) if q else None
            elif key == "dashboard_url":
                cfg["dashboard_url"] = check_dashboard_url(value)
            elif path in RANGES:
                section = cfg
                for p in path[:-1]:
                    section = section[p]
                section[path[-1]] = check_number(path, value)
            else:
                allowed = ", ".join(["quiet_hours", "dashboard_url", *(".".join(p) for p in RANGES)])
                raise InvalidInput(f"未知的通知设置 (unknown notify setting): {key!r}", f"可用 (settings): {allowed}")
        self.config.save(cfg)
        self._invalidate()
        return self.settings()

    # ---- the log --------------------------------------------------------------------------------------------
    def log(self, limit: int = 100, status: str | None = None, channel: str | None = None) -> list[dict[str, Any]]:
        """Newest deliveries first."""
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"未知的投递状态 (unknown status): {status!r}",
                               f"可用 (statuses): {', '.join(STATUSES)}")
        if channel is not None:
            catalogue.spec(channel)
        if not 1 <= int(limit) <= 100000:
            raise InvalidInput(f"limit 须在 1 … 100000 之间 (bad limit): {limit}", "")
        return [d.to_dict() for d in self.log_db.deliveries(int(limit), status, channel)]

    def alerts(self, limit: int = 100) -> list[dict[str, Any]]:
        """Newest alerts first, each with its deliveries."""
        return self.log_db.alerts(int(limit))


def _not_taken(r: SendResult) -> bool:
    """The service certainly did not accept the message (so it used no daily quota): the connection failed
    or the server answered 5xx. A timeout is not certain — the message may have gone through."""
    code = r.code or ""
    return r.outcome is Outcome.RETRYABLE and (code == "connection" or code.startswith("http_5")
                                               or code == "internal")


def _clean_secret(channel: str, field: str, value: str | None) -> str | None:
    if value is None:
        return None
    v = str(value).strip()
    if not v:
        return None
    if channel == "wecom" and field == "key" and "key=" in v:     # the whole webhook URL was pasted
        v = v.split("key=", 1)[1].split("&", 1)[0]
    if any(c.isspace() for c in v) or len(v) > 2048:
        raise InvalidInput(f"密钥 {channel}.{field} 含空白或过长 (secret has whitespace or is too long)",
                           "只粘贴密钥本身 (paste only the key itself)")
    return v
