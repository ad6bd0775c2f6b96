"""Trailing stop (移动止损): a holding has fallen ``trail_pct`` % or more from its highest price since it
was opened (high-water mark: cost, live prices and day highs seen by checks). Critical."""

from __future__ import annotations

from ...core.live import Severity
from ..account import PositionValue
from .base import PositionThresholdRule, label_of, pct, percent_param, price, stale_note, text


class TrailingStop(PositionThresholdRule):
    kind = "trailing_stop"
    scope = "strategy"
    label = text("移动止损", "Trailing stop")
    description = text("持仓价格从建仓以来的最高价回落达到阈值时报警（最高价含成本价，由每次检查更新）。",
                       "Alert when a holding has fallen by the threshold or more from its highest price "
                       "since opened (cost included; updated by every check).")
    params = (percent_param("trail_pct", 10.0, "回落幅度", "Fall from high"),)
    severity = Severity.CRITICAL
    limit_param = "trail_pct"
    skip_reason = "无价格"

    def measure(self, p: PositionValue) -> float | None:
        if p.price is None or p.high is None or p.high <= 0:
            return None
        return (p.high - p.price) / p.high * 100.0

    def breach_texts(self, p: PositionValue, value: float, limit: float) -> tuple[str, str]:
        high = p.high or 0.0
        return (f"移动止损触发：{label_of(p)} 从最高价回落 {pct(value)}，阈值 {pct(limit)}",
                f"{label_of(p)} 建仓以来最高 {price(high)}，现价 {price(p.price)}{stale_note(p)}，回落 {pct(value)}，"
                f"达到阈值 {pct(limit)}（止损价 {price(high * (1 - limit / 100))}）。")

    def ok_text(self, checked: int, label: str, value: float, limit: float) -> str:
        return f"回落最大的 {label} 从最高价回落 {pct(value)}（阈值 {pct(limit)}）"


RULE = TrailingStop()
