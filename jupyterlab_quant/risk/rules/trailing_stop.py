"""Trailing stop (移动止损): a holding has fallen ``trail_pct`` % or more from its highest price since it
was opened (high-water mark: cost, live prices and day highs seen by checks). Critical."""

from __future__ import annotations

from ...core.live import Severity
from ..model import Finding, Rule
from .base import RuleContext, RuleType, label_of, pct, percent_param, price, text


class TrailingStop(RuleType):
    kind = "trailing_stop"
    scope = "strategy"
    label = text("移动止损", "Trailing stop")
    description = text("持仓价格从建仓以来的最高价回落达到阈值时报警（最高价含成本价，由每次检查更新）。",
                       "Alert when a holding has fallen by the threshold or more from its highest price "
                       "since opened (cost included; updated by every check).")
    params = (percent_param("trail_pct", 10.0, "回落幅度", "Fall from high"),)
    severity = Severity.CRITICAL

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        limit = float(rule.params["trail_pct"])
        held = ctx.positions(rule.strategy)
        if not held:
            return [self.none_held(rule.strategy)]
        out: list[Finding] = []
        worst: tuple[float, str] | None = None
        skipped = []
        for p in held:
            if p.price is None or p.high is None or p.high <= 0:
                skipped.append(p.symbol)
                continue
            fall = (p.high - p.price) / p.high * 100.0
            if worst is None or fall > worst[0]:
                worst = (fall, label_of(p))
            if fall >= limit:
                note = f"（{p.price_note()}）" if p.stale else ""
                out.append(self.breach(
                    f"移动止损触发：{label_of(p)} 从最高价回落 {pct(fall)}，阈值 {pct(limit)}",
                    f"{label_of(p)} 建仓以来最高 {price(p.high)}，现价 {price(p.price)}{note}，回落 {pct(fall)}，"
                    f"达到阈值 {pct(limit)}（止损价 {price(p.high * (1 - limit / 100))}）。",
                    fall, limit, symbol=p.symbol))
        if out:
            return sorted(out, key=lambda f: -(f.value or 0))
        skip = f"；{len(skipped)} 只无价格，未检查：{'、'.join(skipped[:5])}" if skipped else ""
        if worst is None:
            return [self.no_data(f"没有可检查的持仓{skip}", limit)]
        return [self.ok(f"回落最大的 {worst[1]} 从最高价回落 {pct(worst[0])}（阈值 {pct(limit)}）{skip}",
                        worst[0], limit)]


RULE = TrailingStop()
