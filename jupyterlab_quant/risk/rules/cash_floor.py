"""Cash floor (现金下限): available cash below ``min_cash`` CNY (required: there is no sensible default)."""

from __future__ import annotations

from ..model import Finding, Rule
from .base import Param, RuleContext, RuleType, cny, text


class CashFloor(RuleType):
    kind = "cash_floor"
    scope = "account"
    label = text("现金下限", "Cash floor")
    description = text("账户现金低于下限时报警。", "Alert when the account's cash is below the floor.")
    params = (Param("min_cash", "number", None, {"zh": "最低现金", "en": "Minimum cash"}, min=0.0, unit="CNY"),)

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        floor = float(rule.params["min_cash"])
        cash = ctx.snapshot.cash
        detail = f"账户 {ctx.account} 现金 {cny(cash)}，下限 {cny(floor)}。"
        if cash < floor:
            return [self.breach(f"现金低于下限：现金 {cny(cash)}，下限 {cny(floor)}", detail, cash, floor,
                                subject=ctx.account)]
        return [self.ok(detail, cash, floor)]


RULE = CashFloor()
