"""Take profit (止盈): a holding's price is ``gain_pct`` % or more above its cost price. Warning: a
signal the user asked for, not a danger."""

from __future__ import annotations

from ..model import Finding, Rule
from .base import RuleContext, RuleType, label_of, pct, percent_param, price, text


class TakeProfit(RuleType):
    kind = "take_profit"
    scope = "strategy"
    label = text("止盈", "Take profit")
    description = text("持仓价格较成本价上涨达到阈值时提醒；可只作用于某个策略标签的持仓。",
                       "Alert when a holding is up by the threshold or more from its cost price; "
                       "optionally only for positions tagged with a strategy.")
    params = (percent_param("gain_pct", 20.0, "止盈线（较成本上涨）", "Gain from cost", hi=10000.0),)

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        limit = float(rule.params["gain_pct"])
        held = ctx.positions(rule.strategy)
        if not held:
            return [self.none_held(rule.strategy)]
        out: list[Finding] = []
        best: tuple[float, str] | None = None
        skipped = []
        for p in held:
            gain = p.pnl_pct
            if gain is None or p.price is None:
                skipped.append(p.symbol)
                continue
            if best is None or gain > best[0]:
                best = (gain, label_of(p))
            if gain >= limit:
                note = f"（{p.price_note()}）" if p.stale else ""
                out.append(self.breach(
                    f"止盈触发：{label_of(p)} 盈利 {pct(gain)}，止盈线 {pct(limit)}",
                    f"{label_of(p)} 成本 {price(p.cost)}，现价 {price(p.price)}{note}，较成本上涨 {pct(gain)}，"
                    f"达到止盈线 {pct(limit)}。", gain, limit, symbol=p.symbol))
        if out:
            return sorted(out, key=lambda f: -(f.value or 0))
        skip = f"；{len(skipped)} 只无价格或成本不为正，未检查：{'、'.join(skipped[:5])}" if skipped else ""
        if best is None:
            return [self.no_data(f"没有可检查的持仓{skip}", limit)]
        return [self.ok(f"{len(held) - len(skipped)} 只持仓均未达到止盈线 {pct(limit)}；"
                        f"最高 {best[1]} {pct(best[0])}{skip}", best[0], limit)]


RULE = TakeProfit()
