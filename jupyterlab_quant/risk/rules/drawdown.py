"""Drawdown from peak (最大回撤): the account's value has fallen more than ``max_drawdown_pct`` % below the
highest value any check has seen. Critical: the account-level loss limit."""

from __future__ import annotations

from ...core.live import Severity
from ..model import Finding, Rule
from .base import RuleContext, RuleType, cny, pct, percent_param, text


class Drawdown(RuleType):
    kind = "drawdown"
    scope = "account"
    label = text("最大回撤", "Drawdown from peak")
    description = text("账户总值从历史峰值回撤超过阈值时报警（峰值由每次检查更新）。",
                       "Alert when the account value falls more than the threshold below its peak "
                       "(the peak is updated by every check).")
    params = (percent_param("max_drawdown_pct", 10.0, "最大回撤", "Max drawdown"),)
    severity = Severity.CRITICAL

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        limit = float(rule.params["max_drawdown_pct"])
        snap = ctx.snapshot
        peak, value = snap.peak_value, snap.total_value
        if peak is None or peak <= 0:
            return [self.no_data("尚无峰值：账户总值不为正或持仓还没有任何市场价格 (no peak yet)", limit)]
        dd = (peak - value) / peak * 100.0
        detail = (f"账户 {snap.name} 当前总值 {cny(value)}，峰值 {cny(peak)}"
                  f"{f'（{snap.peak_at} 记录）' if snap.peak_at else ''}，回撤 {pct(dd)}，阈值 {pct(limit)}。"
                  f"{snap.stale_note()}")
        if dd > limit:
            return [self.breach(f"回撤超限：从峰值回撤 {pct(dd)}，阈值 {pct(limit)}", detail, dd, limit,
                                subject=snap.name)]
        return [self.ok(f"从峰值回撤 {pct(dd)}（阈值 {pct(limit)}）。{snap.stale_note()}".rstrip(), dd, limit)]


RULE = Drawdown()
