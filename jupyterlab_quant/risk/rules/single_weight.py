"""Single-name weight (单票权重): one holding's market value above ``max_weight_pct`` % of the account."""

from __future__ import annotations

from ..model import Finding, Rule
from .base import RuleContext, RuleType, cny, label_of, pct, percent_param, text


class SingleWeight(RuleType):
    kind = "single_weight"
    scope = "account"
    label = text("单票权重上限", "Single-name weight limit")
    description = text("任一持仓市值占账户总值的比例超过上限时报警（每只股票单独报警）。",
                       "Alert for each holding whose market value exceeds this percent of the account value.")
    params = (percent_param("max_weight_pct", 30.0, "单票权重上限", "Max weight per symbol"),)

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        limit = float(rule.params["max_weight_pct"])
        held = ctx.positions()
        if not held:
            return [self.none_held(None)]
        if ctx.snapshot.total_value <= 0:
            return [self.no_data("账户总值不为正 (account value is not positive)", limit)]
        out = []
        for p in sorted(held, key=lambda p: -p.weight):
            if p.weight > limit:
                note = f"（{p.price_note()}）" if p.stale else ""
                out.append(self.breach(
                    f"单票权重超限：{label_of(p)} 占 {pct(p.weight)}，上限 {pct(limit)}",
                    f"{label_of(p)} 市值 {cny(p.market_value)}{note}，占账户总值 {cny(ctx.snapshot.total_value)} 的 "
                    f"{pct(p.weight)}，上限 {pct(limit)}。", p.weight, limit, symbol=p.symbol))
        if out:
            return out
        top = max(held, key=lambda p: p.weight)
        return [self.ok(f"最大权重 {label_of(top)} {pct(top.weight)}（上限 {pct(limit)}）。", top.weight, limit)]


RULE = SingleWeight()
