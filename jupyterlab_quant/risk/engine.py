"""The risk engine (风控引擎): evaluates rules against a valued account and turns their findings into
statuses and alerts; ``RiskService`` is the facade the app, server, scheduler and CLI use.

One pass: load rules and account → value the account with the quotes → evaluate every enabled rule
(a rule that raises gets state "error" with the message; the others still run) → carry the peak,
day-start and high-water state forward → persist each rule's last status → return statuses + alerts.

Alert keys are stable per condition so the notification centre can de-duplicate:
``f"{kind}:{rule_id}:{subject}"`` where the subject is the symbol for per-position rules, the strategy
tag for ``strategy_position`` and the account name for account-wide rules ("drawdown:3:default",
"stop_loss:7:600519.SH"). The rule id is part of the key so two rules of one kind (a 10 % warning and
a 20 % stop) never swallow each other's alerts.

Severities: critical — drawdown, daily_loss, stop_loss, trailing_stop, limit_down, *ST; warning — the
concentration/cash/holdings limits, take_profit, strategy_position, ST, suspended, board_permission.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..core.errors import QuantError
from ..core.live import Alert, Quote, exchange_now
from .account import DEFAULT_ACCOUNT, AccountSnapshot, AccountStore, value_account
from .db import connect
from .model import CheckResult, Finding, Rule, RuleStatus, clean_number
from .rules import REGISTRY, RuleContext, RuleType
from .store import RiskStore

log = logging.getLogger(__name__)
MAX_MESSAGES = 5   # breach messages joined into one status message; the rest are counted


class RiskEngine:
    """Pure evaluation: no I/O. ``registry`` maps rule kinds to rule types (tests inject doubles)."""

    def __init__(self, registry: Mapping[str, RuleType] | None = None) -> None:
        self.registry = dict(registry if registry is not None else REGISTRY)

    def evaluate(self, snapshot: AccountSnapshot, rules: Sequence[Rule], quotes: Mapping[str, Quote],
                 now: dt.datetime) -> CheckResult:
        ctx = RuleContext(snapshot=snapshot, quotes=quotes, now=now)
        statuses: list[RuleStatus] = []
        alerts: list[Alert] = []
        for rule in rules:
            status, new_alerts = self._one(ctx, rule)
            statuses.append(status)
            alerts.extend(new_alerts)
        return CheckResult(checked_at=now, statuses=tuple(statuses), alerts=tuple(alerts), account=snapshot.name,
                           snapshot=snapshot)

    def _one(self, ctx: RuleContext, rule: Rule) -> tuple[RuleStatus, list[Alert]]:
        base: dict[str, Any] = {"rule_id": rule.id, "kind": rule.kind, "name": rule.name, "scope": rule.scope,
                                "checked_at": ctx.now}
        if not rule.enabled:
            return RuleStatus(state="disabled", message="已停用 (disabled)", **base), []
        rt = self.registry.get(rule.kind)
        if rt is None:
            return RuleStatus(state="error", message=f"未知的规则类型 {rule.kind!r}（此版本没有该规则，请删除或升级）"
                                                     f" (unknown rule kind)", **base), []
        try:
            params = rt.validate(rule.params)
            findings = rt.evaluate(ctx, replace(rule, params=params))
        except QuantError as exc:
            return RuleStatus(state="error", message=f"规则参数或数据有误: {exc}", **base), []
        except Exception as exc:  # a bug in one rule must not stop the others
            log.exception("risk rule %s #%s failed", rule.kind, rule.id)
            return RuleStatus(state="error", message=f"规则执行出错 (rule failed): {type(exc).__name__}: {exc}",
                              **base), []
        return self._status(findings, base), self._alerts(findings, rule, rt, ctx)

    @staticmethod
    def _status(findings: Sequence[Finding], base: dict[str, Any]) -> RuleStatus:
        breaches = [f for f in findings if f.state == "breach"]
        if breaches:
            msgs = [f.message for f in breaches[:MAX_MESSAGES]]
            if len(breaches) > MAX_MESSAGES:
                msgs.append(f"…另有 {len(breaches) - MAX_MESSAGES} 项 ({len(breaches)} in total)")
            symbols = tuple(dict.fromkeys(f.symbol for f in breaches if f.symbol))
            return RuleStatus(state="breach", message=" ".join(msgs), value=breaches[0].value,
                              threshold=breaches[0].threshold, symbols=symbols, **base)
        first = next((f for f in findings if f.state == "ok"), None) or (findings[0] if findings else None)
        if first is None:
            return RuleStatus(state="no_data", message="没有结果 (no findings)", **base)
        return RuleStatus(state=first.state, message=first.message, value=first.value, threshold=first.threshold,
                          **base)

    @staticmethod
    def _alerts(findings: Sequence[Finding], rule: Rule, rt: RuleType, ctx: RuleContext) -> list[Alert]:
        out = []
        for f in findings:
            if f.state != "breach":
                continue
            subject = f.subject or f.symbol or ctx.account
            out.append(Alert(key=f"{rule.kind}:{rule.id}:{subject}", rule=rule.kind,
                             severity=f.severity or rt.severity, title=f.title or f.message[:60],
                             message=f"{f.message}\n规则 rule: {rule.name} (#{rule.id})，账户 account: {ctx.account}",
                             time=ctx.now, rule_id=rule.id, symbol=f.symbol, value=clean_number(f.value),
                             threshold=clean_number(f.threshold)))
        return out


def _by_symbol(quotes: Mapping[str, Quote]) -> dict[str, Quote]:
    """Quotes keyed by their own symbol too, so a mapping keyed by raw codes still matches."""
    out = {k: q for k, q in quotes.items() if isinstance(q, Quote)}
    for q in list(out.values()):
        out.setdefault(q.symbol, q)
    return out


class RiskService:
    """Facade over rules, the account and the engine for one data root (``home``)."""

    def __init__(self, home: Path | str, *, clock: Callable[[], dt.datetime] = exchange_now,
                 account: str = DEFAULT_ACCOUNT, busy_timeout_s: float = 10.0) -> None:
        self.home = Path(home)
        self.clock = clock
        self.account = account
        self.store = RiskStore(home, busy_timeout_s=busy_timeout_s)
        self.accounts = AccountStore(home, busy_timeout_s=busy_timeout_s)
        self.engine = RiskEngine()

    def check(self, quotes: Mapping[str, Quote], now: dt.datetime | None = None, *,
              account: str | None = None) -> CheckResult:
        """One risk pass over ``account`` (default: the service's) with ``quotes`` (symbol → Quote; NaN
        prices allowed). Updates peak/day-start/high-water state and each rule's stored status."""
        now = now or self.clock()
        with connect(self.store.path, self.store.busy_timeout_s):   # one connection for the whole pass
            rules = self.store.list_rules()
            acc, state = self.accounts.load(account or self.account)
            by_symbol = _by_symbol(quotes)
            snap = value_account(acc, state, by_symbol, now)
            result = self.engine.evaluate(snap, rules, by_symbol, now)
            self.accounts.record_check(snap)
            self.store.save_statuses(result.statuses)
        return result

    def snapshot(self, quotes: Mapping[str, Quote], now: dt.datetime | None = None, *,
                 account: str | None = None) -> AccountSnapshot:
        """The account valued with ``quotes`` without recording anything (``GET /risk/account``)."""
        acc, state = self.accounts.load(account or self.account)
        return value_account(acc, state, _by_symbol(quotes), now or self.clock())

    def watched_symbols(self, account: str | None = None) -> list[str]:
        """Symbols the quote feed must cover for a check: the account's holdings."""
        return self.accounts.get(account or self.account).symbols()

    def rule_types(self) -> list[dict[str, Any]]:
        return self.store.rule_types()
