"""Daily loss (当日亏损): the account has lost more than ``max_loss_pct`` % since the previous close.

The day-start value is cash + Σ quantity × 前收盘 when every holding has a quote with one, else the value
recorded by the day's first check (see ``account._day_start``). Critical."""

from __future__ import annotations

from ...core.live import Severity
from ..model import Finding, Rule
from .base import RuleContext, RuleType, cny, pct, percent_param, text

_SOURCE_ZH = {"preclose": "按持仓前收盘价计算", "day_state": "取今日首次检查记录的日初值",
              "previous_check": "取上一交易日最后一次检查的总值", "first_check": "首次检查，以当前总值为基准"}


class DailyLoss(RuleType):
    kind = "daily_loss"
    scope = "account"
    label = text("当日亏损", "Daily loss")
    description = text("账户总值较昨日收盘亏损超过阈值时报警。",
                       "Alert when the account value is down more than the threshold since the previous close.")
    params = (percent_param("max_loss_pct", 3.0, "当日最大亏损", "Max daily loss"),)
    severity = Severity.CRITICAL

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        limit = float(rule.params["max_loss_pct"])
        snap = ctx.snapshot
        start = snap.day_start_value
        if start is None or start <= 0:
            return [self.no_data("日初总值不为正，无法计算当日亏损 (no positive day-start value)", limit)]
        loss = (start - snap.total_value) / start * 100.0
        basis = _SOURCE_ZH.get(snap.day_start_source, snap.day_start_source)
        detail = (f"账户 {snap.name} 日初总值 {cny(start)}（{basis}），当前 {cny(snap.total_value)}，"
                  f"当日{'亏损' if loss >= 0 else '盈利'} {pct(abs(loss))}，阈值 {pct(limit)}。{snap.stale_note()}")
        if loss > limit:
            return [self.breach(f"当日亏损超限：较昨收亏损 {pct(loss)}，阈值 {pct(limit)}", detail, loss, limit,
                                subject=snap.name)]
        return [self.ok(detail, loss, limit)]


RULE = DailyLoss()
