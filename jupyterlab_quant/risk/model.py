"""Value objects of the risk service (风控): a stored ``Rule``, one rule's ``Finding``s, its ``RuleStatus``
after a check, and the ``CheckResult`` of one pass. Their ``to_dict()`` are the wire shapes of the
shared contract (``GET /risk/rules``, ``POST /risk/check``, the ``risk`` WebSocket message).

Units: a value and its threshold always share the rule's unit — percents for % rules (12.3 = 12.3 %),
CNY for money, a count for holdings.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..core.live import Alert, Severity

if TYPE_CHECKING:
    from .account import AccountSnapshot

State = Literal["ok", "breach", "error", "disabled", "no_data"]
STATES: tuple[str, ...] = ("ok", "breach", "error", "disabled", "no_data")
Scope = Literal["account", "strategy", "market", "compliance"]
SCOPES: tuple[str, ...] = ("account", "strategy", "market", "compliance")


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.isoformat(timespec="seconds")


def clean_number(v: float | None, digits: int = 4) -> float | None:
    """JSON-safe number: None for missing/NaN/inf, rounded so the UI does not show float noise."""
    if v is None or not math.isfinite(v):
        return None
    return round(float(v), digits)


@dataclass(frozen=True)
class Finding:
    """One observation of one rule: a breach (one per symbol for per-position rules), or the ok /
    no-data summary. ``subject`` identifies the condition inside the rule (symbol, strategy tag) and
    becomes part of the alert key; ``title`` is the short alert title with the numbers."""

    state: Literal["ok", "breach", "no_data"]
    message: str
    value: float | None = None
    threshold: float | None = None
    symbol: str | None = None
    subject: str | None = None
    title: str = ""
    severity: Severity | None = None


@dataclass(frozen=True)
class RuleStatus:
    """Last outcome of one rule (persisted per rule; shown in the Risk panel)."""

    rule_id: int
    kind: str
    state: State
    message: str
    value: float | None = None
    threshold: float | None = None
    symbols: tuple[str, ...] = ()
    checked_at: dt.datetime | None = None
    name: str = ""
    scope: str = ""

    def status_dict(self) -> dict[str, Any]:
        """The ``status`` object inside ``Rule.to_dict()``."""
        return {"state": self.state, "value": clean_number(self.value), "threshold": clean_number(self.threshold),
                "message": self.message, "symbols": list(self.symbols), "checked_at": _iso(self.checked_at)}

    def to_dict(self) -> dict[str, Any]:
        """A ``RuleStatus`` of ``POST /risk/check`` and the ``risk`` WebSocket message."""
        return {"rule_id": self.rule_id, "kind": self.kind, "name": self.name, "scope": self.scope,
                **self.status_dict()}


@dataclass(frozen=True)
class Rule:
    """A configured rule: a rule type (``kind``) with validated parameters."""

    id: int
    kind: str
    name: str
    scope: str
    params: dict[str, Any]
    enabled: bool = True
    strategy: str | None = None
    status: RuleStatus | None = None
    created: str = ""
    updated: str = ""

    def current_status(self) -> dict[str, Any]:
        if not self.enabled:
            return {"state": "disabled", "value": None, "threshold": None, "message": "已停用 (disabled)",
                    "symbols": [], "checked_at": _iso(self.status.checked_at) if self.status else None}
        if self.status is None:
            return {"state": "no_data", "value": None, "threshold": None, "message": "尚未检查 (not checked yet)",
                    "symbols": [], "checked_at": None}
        return self.status.status_dict()

    def to_dict(self) -> dict[str, Any]:
        """Contract ``Rule``: {id, kind, name, scope, params, enabled, strategy, status}."""
        return {"id": self.id, "kind": self.kind, "name": self.name, "scope": self.scope,
                "params": dict(self.params), "enabled": self.enabled, "strategy": self.strategy,
                "status": self.current_status()}


@dataclass(frozen=True)
class CheckResult:
    """One risk pass: every rule's status plus the alerts of its breaches."""

    checked_at: dt.datetime
    statuses: tuple[RuleStatus, ...]
    alerts: tuple[Alert, ...]
    account: str = "default"
    snapshot: AccountSnapshot | None = field(default=None, compare=False, repr=False)

    @property
    def breached(self) -> bool:
        return any(s.state == "breach" for s in self.statuses)

    @property
    def errors(self) -> tuple[RuleStatus, ...]:
        return tuple(s for s in self.statuses if s.state == "error")

    def to_dict(self) -> dict[str, Any]:
        """Contract {checked_at, statuses, alerts} plus ``breached`` and an ``account`` summary."""
        out: dict[str, Any] = {"checked_at": _iso(self.checked_at),
                               "statuses": [s.to_dict() for s in self.statuses],
                               "alerts": [a.to_dict() for a in self.alerts],
                               "breached": self.breached}
        out["account"] = self.snapshot.summary_dict() if self.snapshot is not None else {"name": self.account}
        return out
