"""Board permission (板块权限): a ChiNext (创业板) or STAR (科创板) holding in an account without that
trading permission (ashare-rules.md §8). Warning: a compliance issue, not a market move."""

from __future__ import annotations

from ...core.types import Board
from ..model import Finding, Rule
from .base import Param, RuleContext, RuleType, label_of, text

_ZH = {Board.CHINEXT: "创业板", Board.STAR: "科创板"}
_CMD = {Board.CHINEXT: "--chinext", Board.STAR: "--star"}


class BoardPermission(RuleType):
    kind = "board_permission"
    scope = "compliance"
    label = text("板块交易权限", "Board permission")
    description = text("账户未开通创业板/科创板权限却持有该板块股票时报警。",
                       "Alert for ChiNext/STAR holdings when the account lacks that board's permission.")
    params = (Param("check_chinext", "boolean", True, {"zh": "检查创业板", "en": "Check ChiNext"}),
              Param("check_star", "boolean", True, {"zh": "检查科创板", "en": "Check STAR"}))

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        perms = ctx.snapshot.permissions
        missing = set()
        if rule.params["check_chinext"] and not perms.chinext:
            missing.add(Board.CHINEXT)
        if rule.params["check_star"] and not perms.star:
            missing.add(Board.STAR)
        held = ctx.positions(rule.strategy)
        out = [self.breach(f"无{_ZH[p.board]}权限：持有 {label_of(p)}",
                           f"账户 {ctx.account} 未开通{_ZH[p.board]}交易权限，却持有 {label_of(p)}。"
                           f"如已开通，运行 jlq risk account permissions {_CMD[p.board]}。",
                           None, None, symbol=p.symbol)
               for p in held if p.board in missing]
        if out:
            return out
        return [self.ok(f"{len(held)} 只持仓均符合账户权限（创业板 {'有' if perms.chinext else '无'}，"
                        f"科创板 {'有' if perms.star else '无'}）")]


RULE = BoardPermission()
