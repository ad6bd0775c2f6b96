"""Holding suspended (持仓停牌): the quote has no usable price (NaN/0: 停牌 or no trade yet). Quotes
stamped before the 09:25 opening-auction result are not judged (no price is normal then). With
``include_missing`` a holding with no quote at all counts too. Warning."""

from __future__ import annotations

import datetime as dt

from ..model import Finding, Rule
from .base import Param, RuleContext, RuleType, label_of, price, text

OPENING_AUCTION_END = dt.time(9, 25)
_VALUED_AT = {"preclose": "前收盘价", "last": "最近一次检查的价格", "cost": "成本价", "live": "实时价"}


class Suspended(RuleType):
    kind = "suspended"
    scope = "market"
    label = text("持仓停牌", "Holding suspended")
    description = text("持仓行情没有成交价（停牌）时报警；开盘集合竞价结束前不判断。",
                       "Alert when a holding's quote has no price (suspended); not judged before 09:25.")
    params = (Param("include_missing", "boolean", False, {"zh": "无行情也视为停牌", "en": "Count missing quotes"}),)

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        include_missing = bool(rule.params["include_missing"])
        held = ctx.positions(rule.strategy)
        if not held:
            return [self.none_held(rule.strategy)]
        out: list[Finding] = []
        missing, early = [], []
        for p in held:
            q = p.quote
            if q is None:
                missing.append(p.symbol)
                if not include_missing:
                    continue
                why = "没有行情 (no quote)"
            elif not q.suspended:
                continue
            elif q.time.time() < OPENING_AUCTION_END:
                early.append(p.symbol)
                continue
            else:
                why = "行情无成交价（停牌或尚未成交）"
            valued = f"按{_VALUED_AT.get(p.price_source, '')} {price(p.price if p.price is not None else p.cost)} 估值"
            out.append(self.breach(f"持仓停牌：{label_of(p)}", f"{label_of(p)} {why}，{valued}。",
                                   None, None, symbol=p.symbol))
        if out:
            return out
        if len(missing) == len(held):
            return [self.no_data(f"{len(held)} 只持仓都没有行情 (no quotes)")]
        note = "".join([f"；{len(missing)} 只无行情：{'、'.join(missing[:5])}" if missing else "",
                        f"；{len(early)} 只开盘前无价，未判断" if early else ""])
        return [self.ok(f"{len(held) - len(missing) - len(early)} 只持仓均有成交价{note}")]


RULE = Suspended()
