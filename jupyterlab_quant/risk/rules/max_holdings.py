"""Number of holdings (持仓数量): more than ``max_count`` different symbols held."""

from __future__ import annotations

from ..model import Finding, Rule
from .base import Param, RuleContext, RuleType, text


class MaxHoldings(RuleType):
    kind = "max_holdings"
    scope = "account"
    label = text("持仓数量上限", "Max number of holdings")
    description = text("持有的股票只数超过上限时报警。", "Alert when more symbols are held than the limit.")
    params = (Param("max_count", "integer", 10, {"zh": "最多持仓只数", "en": "Max holdings"}, min=1, max=10000,
                    unit="count"),)

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        limit = int(rule.params["max_count"])
        n = sum(1 for p in ctx.snapshot.positions if p.quantity > 0)
        detail = f"账户 {ctx.account} 持有 {n} 只，上限 {limit} 只。"
        if n > limit:
            return [self.breach(f"持仓数量超限：{n} 只，上限 {limit} 只", detail, float(n), float(limit),
                                subject=ctx.account)]
        return [self.ok(detail, float(n), float(limit))]


RULE = MaxHoldings()
