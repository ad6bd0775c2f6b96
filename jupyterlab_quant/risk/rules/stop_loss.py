"""Stop loss (止损): a holding's price is ``loss_pct`` % or more below its cost price. Critical: act now.

Positions without a positive cost (摊薄成本 can be ≤ 0) or without any price are skipped and named."""

from __future__ import annotations

from ...core.live import Severity
from ..model import Finding, Rule
from .base import RuleContext, RuleType, label_of, pct, percent_param, price, text


class StopLoss(RuleType):
    kind = "stop_loss"
    scope = "strategy"
    label = text("止损", "Stop loss")
    description = text("持仓价格较成本价下跌达到阈值时报警；可只作用于某个策略标签的持仓。",
                       "Alert when a holding is down by the threshold or more from its cost price; "
                       "optionally only for positions tagged with a strategy.")
    params = (percent_param("loss_pct", 8.0, "止损线（较成本下跌）", "Loss from cost"),)
    severity = Severity.CRITICAL

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        limit = float(rule.params["loss_pct"])
        held = ctx.positions(rule.strategy)
        if not held:
            return [self.none_held(rule.strategy)]
        out: list[Finding] = []
        worst: tuple[float, str] | None = None
        skipped = []
        for p in held:
            gain = p.pnl_pct
            if gain is None or p.price is None:
                skipped.append(p.symbol)
                continue
            loss = -gain
            if worst is None or loss > worst[0]:
                worst = (loss, label_of(p))
            if loss >= limit:
                note = f"（{p.price_note()}）" if p.stale else ""
                out.append(self.breach(
                    f"止损触发：{label_of(p)} 亏损 {pct(loss)}，止损线 {pct(limit)}",
                    f"{label_of(p)} 成本 {price(p.cost)}，现价 {price(p.price)}{note}，较成本下跌 {pct(loss)}，"
                    f"达到止损线 {pct(limit)}（止损价 {price(p.cost * (1 - limit / 100))}）。",
                    loss, limit, symbol=p.symbol))
        if out:
            return sorted(out, key=lambda f: -(f.value or 0))
        skip = f"；{len(skipped)} 只无价格或成本不为正，未检查：{'、'.join(skipped[:5])}" if skipped else ""
        if worst is None:
            return [self.no_data(f"没有可检查的持仓{skip}", limit)]
        return [self.ok(f"{len(held) - len(skipped)} 只持仓均未触及止损线 {pct(limit)}；"
                        f"{worst[1]} {'亏损' if worst[0] > 0 else '盈利'} {pct(abs(worst[0]))}{skip}",
                        worst[0], limit)]


RULE = StopLoss()
