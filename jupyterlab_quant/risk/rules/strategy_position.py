"""Max position per strategy (策略仓位上限): the holdings tagged with one strategy exceed ``max_position_pct``
% of the account. With a strategy set on the rule only that strategy is checked, else every tag."""

from __future__ import annotations

from collections import defaultdict

from ..model import Finding, Rule
from .base import RuleContext, RuleType, cny, pct, percent_param, text


class StrategyPosition(RuleType):
    kind = "strategy_position"
    scope = "strategy"
    label = text("策略仓位上限", "Max position per strategy")
    description = text("同一策略标签的持仓市值占账户总值的比例超过上限时报警；未指定策略时逐个检查每个策略标签。",
                       "Alert when the positions tagged with one strategy exceed this percent of the account "
                       "value; without a strategy on the rule every tag is checked.")
    params = (percent_param("max_position_pct", 50.0, "单策略仓位上限", "Max position per strategy"),)

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        limit = float(rule.params["max_position_pct"])
        total = ctx.snapshot.total_value
        by_tag: dict[str, float] = defaultdict(float)
        for p in ctx.positions(rule.strategy):
            if p.strategy is not None:
                by_tag[p.strategy] += p.market_value
        if not by_tag:
            who = f"策略 {rule.strategy} " if rule.strategy else "带策略标签的"
            return [self.no_data(f"没有{who}持仓 (no strategy-tagged positions)", limit)]
        if total <= 0:
            return [self.no_data("账户总值不为正 (account value is not positive)", limit)]
        weights = sorted(((mv / total * 100.0, tag, mv) for tag, mv in by_tag.items()), reverse=True)
        out = [self.breach(f"策略仓位超限：策略 {tag} 占 {pct(w)}，上限 {pct(limit)}",
                           f"策略 {tag} 持仓市值 {cny(mv)}，占账户总值 {cny(total)} 的 {pct(w)}，上限 {pct(limit)}。"
                           f"{ctx.snapshot.stale_note()}", w, limit, subject=tag)
               for w, tag, mv in weights if w > limit]
        if out:
            return out
        w, tag, _ = weights[0]
        return [self.ok(f"最大的策略 {tag} 占 {pct(w)}（上限 {pct(limit)}）。", w, limit)]


RULE = StrategyPosition()
