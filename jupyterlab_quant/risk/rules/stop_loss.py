"""Stop loss (止损): a holding's price is ``loss_pct`` % or more below its cost price. Critical: act now.

Positions without a positive cost (摊薄成本 can be ≤ 0) or without any price are skipped and named."""

from __future__ import annotations

from ...core.live import Severity
from ..account import PositionValue
from .base import PositionThresholdRule, label_of, pct, percent_param, price, stale_note, text


class StopLoss(PositionThresholdRule):
    kind = "stop_loss"
    scope = "strategy"
    label = text("止损", "Stop loss")
    description = text("持仓价格较成本价下跌达到阈值时报警；可只作用于某个策略标签的持仓。",
                       "Alert when a holding is down by the threshold or more from its cost price; "
                       "optionally only for positions tagged with a strategy.")
    params = (percent_param("loss_pct", 8.0, "止损线（较成本下跌）", "Loss from cost"),)
    severity = Severity.CRITICAL
    limit_param = "loss_pct"

    def measure(self, p: PositionValue) -> float | None:
        return None if p.pnl_pct is None or p.price is None else -p.pnl_pct

    def breach_texts(self, p: PositionValue, value: float, limit: float) -> tuple[str, str]:
        return (f"止损触发：{label_of(p)} 亏损 {pct(value)}，止损线 {pct(limit)}",
                f"{label_of(p)} 成本 {price(p.cost)}，现价 {price(p.price)}{stale_note(p)}，较成本下跌 {pct(value)}，"
                f"达到止损线 {pct(limit)}（止损价 {price(p.cost * (1 - limit / 100))}）。")

    def ok_text(self, checked: int, label: str, value: float, limit: float) -> str:
        return (f"{checked} 只持仓均未触及止损线 {pct(limit)}；"
                f"{label} {'亏损' if value > 0 else '盈利'} {pct(abs(value))}")


RULE = StopLoss()
