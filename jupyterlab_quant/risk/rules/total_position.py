"""Total position (总仓位): market value of all holdings as a percent of the account's value."""

from __future__ import annotations

from ..model import Finding, Rule
from .base import RuleContext, RuleType, cny, pct, percent_param, text


class TotalPosition(RuleType):
    kind = "total_position"
    scope = "account"
    label = text("总仓位上限", "Total position limit")
    description = text("持仓市值占账户总值的比例超过上限时报警。",
                       "Alert when the holdings' market value exceeds this percent of the account value.")
    params = (percent_param("max_position_pct", 80.0, "总仓位上限", "Max total position"),)

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        limit = float(rule.params["max_position_pct"])
        snap = ctx.snapshot
        if snap.total_value <= 0:
            return [self.no_data("账户总值不为正 (account value is not positive)", limit)]
        used = snap.market_value / snap.total_value * 100.0
        detail = (f"持仓市值 {cny(snap.market_value)}，账户总值 {cny(snap.total_value)}，仓位 {pct(used)}，"
                  f"上限 {pct(limit)}。{snap.stale_note()}")
        if used > limit:
            return [self.breach(f"总仓位超限：仓位 {pct(used)}，上限 {pct(limit)}", detail, used, limit,
                                subject=snap.name)]
        return [self.ok(detail, used, limit)]


RULE = TotalPosition()
