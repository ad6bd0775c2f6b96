"""The notification port (通知接口): ``Message``, ``SendResult``/``Outcome``, the ``Notifier`` and
``SecretSource`` protocols, and ``RecordingNotifier`` — a test double for code that sends alerts.

Every channel maps its own answer onto one of four outcomes: ``sent``, ``retryable`` (timeouts, HTTP 5xx,
"system busy", frequency limits), ``permanent`` (bad key, bad openid, bad template data — retrying cannot
help) and ``quota`` (the daily quota is used up: stop using the channel until tomorrow). Human messages are
Chinese first with English after, and never contain a key or token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Protocol, runtime_checkable

from ..core.live import Alert, Severity

SEVERITY_LABEL = {Severity.CRITICAL: "严重 CRITICAL", Severity.WARNING: "警告 WARNING", Severity.INFO: "提示 INFO"}


class Outcome(str, Enum):
    SENT = "sent"
    RETRYABLE = "retryable"
    PERMANENT = "permanent"
    QUOTA = "quota"


@dataclass(frozen=True)
class SendResult:
    """What one attempt on one channel gave. ``code`` is the channel's own error code as text
    (``"40001"``, ``"http_502"``, ``"timeout"``); ``message`` says why, Chinese first."""

    outcome: Outcome
    code: str | None = None
    message: str = ""
    retry_after_s: float | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SENT

    @classmethod
    def sent(cls, **detail: Any) -> SendResult:
        return cls(Outcome.SENT, detail=detail)

    @classmethod
    def retryable(cls, code: str, message: str, retry_after_s: float | None = None) -> SendResult:
        return cls(Outcome.RETRYABLE, code, message, retry_after_s)

    @classmethod
    def permanent(cls, code: str, message: str) -> SendResult:
        return cls(Outcome.PERMANENT, code, message)

    @classmethod
    def quota(cls, code: str, message: str) -> SendResult:
        return cls(Outcome.QUOTA, code, message)


@dataclass(frozen=True)
class Message:
    """One push: an alert, a digest of several alerts, or a test message.

    ``body`` is Markdown (WeCom markdown, ServerChan ``desp``, PushPlus ``markdown``); ``text`` is the plain
    version. ``fields`` holds the structured values the template channels map onto their keywords
    (``title``, ``message``, ``rule``, ``symbol``, ``value``, ``threshold``, ``time``, ``severity``, ``count``).
    ``ref`` is a stable id of the content (alert id, digest id): WeChat's ``client_msg_id`` is derived from it so
    a resend of the same message is de-duplicated by WeChat.
    """

    title: str
    body: str
    text: str
    severity: Severity = Severity.WARNING
    kind: str = "alert"                   # alert | digest | test
    alert_ids: tuple[str, ...] = ()
    time: dt.datetime | None = None
    ref: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def client_msg_id(self) -> str:
        """Same message → same id (≤ 32 ASCII characters)."""
        raw = self.ref or hashlib.sha256(f"{self.kind}|{self.title}|{self.body}".encode()).hexdigest()[:20]
        return f"jlq-{raw}"[:32]

    @classmethod
    def from_alert(cls, alert: Alert, link: str | None = None) -> Message:
        """``link``: the monitor dashboard's URL (setting ``dashboard_url``), appended so the alert opens it."""
        lines = [f"**规则 rule**: {alert.rule}" + (f" (#{alert.rule_id})" if alert.rule_id is not None else "")]
        if alert.symbol:
            lines.append(f"**标的 symbol**: {alert.symbol}")
        if alert.value is not None or alert.threshold is not None:
            lines.append(f"**当前值 value**: {_num(alert.value)} · **阈值 threshold**: {_num(alert.threshold)}")
        if alert.message:
            lines.append(alert.message)
        text_lines = [ln.replace("**", "") for ln in lines]
        if link:
            lines.append(f"[打开监控看板 open the monitor]({link})")
            text_lines.append(f"监控看板 monitor: {link}")
        fields = {"title": alert.title, "message": alert.message or alert.title, "rule": alert.rule,
                  "symbol": alert.symbol or "", "value": alert.value, "threshold": alert.threshold,
                  "time": alert.time, "severity": alert.severity.value, "count": 1, "url": link or ""}
        return cls(title=alert.title, body="\n".join(lines), text="\n".join(text_lines), severity=alert.severity,
                   kind="alert", alert_ids=(alert.id,), time=alert.time, ref=alert.id, fields=fields)

    def with_title(self, title: str) -> Message:
        return replace(self, title=title, fields={**self.fields, "title": title})


def message_to_json(m: Message) -> str:
    """JSON of a message (digests and test messages are stored this way to be re-sent by a retry)."""
    fields = {k: (v.isoformat(timespec="seconds") if isinstance(v, dt.datetime) else v) for k, v in m.fields.items()}
    return json.dumps({"title": m.title, "body": m.body, "text": m.text, "severity": m.severity.value, "kind": m.kind,
                       "alert_ids": list(m.alert_ids), "time": m.time.isoformat(timespec="seconds") if m.time else None,
                       "ref": m.ref, "fields": fields}, ensure_ascii=False)


def message_from_json(text: str) -> Message:
    d = json.loads(text)
    fields = dict(d.get("fields") or {})
    if isinstance(fields.get("time"), str):
        fields["time"] = dt.datetime.fromisoformat(fields["time"])
    return Message(title=d["title"], body=d["body"], text=d["text"], severity=Severity(d["severity"]),
                   kind=d["kind"], alert_ids=tuple(d.get("alert_ids") or ()),
                   time=dt.datetime.fromisoformat(d["time"]) if d.get("time") else None, ref=d.get("ref", ""),
                   fields=fields)


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.6g}"


@runtime_checkable
class Notifier(Protocol):
    """One delivery channel. ``send`` never raises for a channel/network failure: it returns the outcome."""

    name: str

    def send(self, message: Message) -> SendResult: ...


@runtime_checkable
class SecretSource(Protocol):
    """Where channel secrets (webhook keys, SendKeys, tokens, AppSecrets) live, by name such as
    ``"notify.wecom.key"``. Implementations: ``vault.secrets.VaultSecrets`` (encrypted),
    ``notify.secrets.EnvSecrets`` (``JLQ_SECRET_*`` overrides), ``notify.secrets.MemorySecrets`` (tests)."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


def has_secret(source: SecretSource, name: str) -> bool:
    """Whether ``name`` is set, without decrypting when the source can tell (``has``)."""
    has = getattr(source, "has", None)
    if callable(has):
        return bool(has(name))
    return source.get(name) is not None


class RecordingNotifier:
    """Test double: records every message; answers with scripted results (default: sent)."""

    def __init__(self, name: str = "recording", results: Iterable[SendResult] = ()) -> None:
        self.name = name
        self.messages: list[Message] = []
        self._results = list(results)
        self._lock = threading.Lock()

    def script(self, *results: SendResult) -> None:
        with self._lock:
            self._results.extend(results)

    def send(self, message: Message) -> SendResult:
        with self._lock:
            self.messages.append(message)
            return self._results.pop(0) if self._results else SendResult.sent()
