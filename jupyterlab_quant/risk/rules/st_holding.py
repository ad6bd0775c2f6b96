"""Holding turned ST (持仓被 ST): the holding's name carries the risk-warning mark. ``*ST`` (delisting risk,
退市风险警示) is critical, ``ST`` a warning. The name comes from the quote, else the last name seen."""

from __future__ import annotations

from ...core.live import Severity
from ..model import Finding, Rule
from .base import RuleContext, RuleType, label_of, st_mark, text


class StHolding(RuleType):
    kind = "st_holding"
    scope = "market"
    label = text("持仓被 ST", "Holding turned ST")
    description = text("持仓股票被实施风险警示（ST / *ST）时报警；*ST 为严重级别。",
                       "Alert when a holding is under risk warning (ST / *ST); *ST is critical.")

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        held = ctx.positions(rule.strategy)
        if not held:
            return [self.none_held(rule.strategy)]
        out: list[Finding] = []
        unnamed = []
        for p in held:
            if not p.name:
                unnamed.append(p.symbol)
                continue
            mark = st_mark(p.name)
            if mark:
                what = "退市风险警示" if mark == "*ST" else "其他风险警示"
                out.append(self.breach(
                    f"持仓被 {mark}：{label_of(p)}",
                    f"{label_of(p)} 已被实施{what}（{mark}），涨跌幅限制与交易规则可能变化，注意退市风险。",
                    None, None, symbol=p.symbol, severity=Severity.CRITICAL if mark == "*ST" else Severity.WARNING))
        if out:
            return out
        skip = f"；{len(unnamed)} 只无名称，未检查：{'、'.join(unnamed[:5])}" if unnamed else ""
        if len(unnamed) == len(held):
            return [self.no_data(f"行情中没有股票名称，无法判断 ST{skip}")]
        return [self.ok(f"{len(held) - len(unnamed)} 只持仓均非 ST{skip}")]


RULE = StHolding()
