"""Builders shared by the risk tests: quotes, valued accounts, one-rule evaluation."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from jupyterlab_quant.core.live import Alert, Quote
from jupyterlab_quant.risk.account import Account, AccountSnapshot, AccountState, Permissions, Position, value_account
from jupyterlab_quant.risk.engine import RiskEngine
from jupyterlab_quant.risk.model import Rule, RuleStatus
from jupyterlab_quant.risk.rules import REGISTRY

NOW = dt.datetime(2026, 3, 2, 10, 30)   # a Monday, continuous trading
NAN = math.nan


def q(symbol: str, price: float, preclose: float = NAN, *, name: str = "", time: dt.datetime = NOW,
      high: float = NAN) -> Quote:
    return Quote(symbol=symbol, price=price, preclose=preclose, time=time, high=high, name=name)


def snap(positions: Sequence[tuple[Any, ...]] = (), *, cash: float = 0.0, quotes: Sequence[Quote] = (),
         state: AccountState | None = None, perms: Permissions | None = None, now: dt.datetime = NOW,
         ) -> AccountSnapshot:
    """``positions``: (symbol, quantity, cost[, strategy[, opened]])."""
    acc = Account("default", cash, perms or Permissions(),
                  tuple(Position(p[0], p[1], p[2], p[3] if len(p) > 3 else None, p[4] if len(p) > 4 else None)
                        for p in positions))
    return value_account(acc, state or AccountState(), {x.symbol: x for x in quotes}, now)


def rule(kind: str, params: Mapping[str, Any] | None = None, *, strategy: str | None = None, rule_id: int = 1,
         enabled: bool = True) -> Rule:
    rt = REGISTRY[kind]
    return Rule(id=rule_id, kind=kind, name=str(rt.label["zh"]), scope=rt.scope, params=rt.validate(params),
                enabled=enabled, strategy=strategy)


def check_one(kind: str, params: Mapping[str, Any] | None, s: AccountSnapshot, *,
              strategy: str | None = None) -> tuple[RuleStatus, list[Alert]]:
    res = RiskEngine().evaluate(s, [rule(kind, params, strategy=strategy)], {}, s.as_of)
    return res.statuses[0], list(res.alerts)
