"""Risk rule types (风控规则), one per module; this module is their registry.

Account: total_position, single_weight, daily_loss, drawdown, cash_floor, max_holdings.
Strategy: stop_loss, trailing_stop, take_profit, strategy_position.
Market: limit_down, st_holding, suspended. Compliance: board_permission.

A new rule is a new module exposing ``RULE = SomeRule()`` plus one line in ``_MODULES`` (a test checks
that every module of this package is registered).
"""

from __future__ import annotations

from typing import Any

from ...core.errors import InvalidInput
from . import (
    board_permission,
    cash_floor,
    daily_loss,
    drawdown,
    limit_down,
    max_holdings,
    single_weight,
    st_holding,
    stop_loss,
    strategy_position,
    suspended,
    take_profit,
    total_position,
    trailing_stop,
)
from .base import Param, RuleContext, RuleType

_MODULES = (total_position, single_weight, daily_loss, drawdown, cash_floor, max_holdings,
            stop_loss, trailing_stop, take_profit, strategy_position,
            limit_down, st_holding, suspended, board_permission)

REGISTRY: dict[str, RuleType] = {m.RULE.kind: m.RULE for m in _MODULES}


def get_rule_type(kind: str) -> RuleType:
    """The rule type called ``kind``; ``InvalidInput`` listing the known kinds otherwise."""
    try:
        return REGISTRY[kind]
    except (KeyError, TypeError):
        raise InvalidInput(f"未知的规则类型 (unknown rule kind): {kind!r}",
                           f"可用 (available): {', '.join(REGISTRY)}") from None


def rule_types() -> list[dict[str, Any]]:
    """Contract ``GET /risk/rule-types`` entries, in display order."""
    return [rt.to_dict() for rt in REGISTRY.values()]


__all__ = ["REGISTRY", "Param", "RuleContext", "RuleType", "get_rule_type", "rule_types"]
