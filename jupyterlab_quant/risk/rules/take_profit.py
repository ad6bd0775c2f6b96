"""Take profit (止盈): a holding's price is ``gain_pct`` % or more above its cost price. Warning: a
signal the user asked for, not a danger."""

from __future__ import annotations

from ..account import PositionValue
from .base import PositionThresholdRule, label_of, pct, percent_param, price, stale_note, text


class TakeProfit(PositionThresholdRule):
    kind = "take_profit"
    scope = "strategy"
    label = text("止盈", "Take profit")
    description = text("持仓价格较成本价上涨达到阈值时提醒；可只作用于某个策略标签的持仓。",
                       "Alert when a holding is up by the threshold or more from its cost price; "
                       "optionally only for positions tagged with a strategy.")
    params = (percent_param("gain_pct", 20.0, "止盈线（较成本上涨）", "Gain from cost", hi=10000.0),)
    limit_param = "gain_pct"

    def measure(self, p: PositionValue) -> float | None:
        return None if p.pnl_pct is None or p.price is None else p.pnl_pct

    def breach_texts(self, p: PositionValue, value: float, limit: float) -> tuple[str, str]:
        return (f"止盈触发：{label_of(p)} 盈利 {pct(value)}，止盈线 {pct(limit)}",
                f"{label_of(p)} 成本 {price(p.cost)}，现价 {price(p.price)}{stale_note(p)}，较成本上涨 {pct(value)}，"
                f"达到止盈线 {pct(limit)}。")

    def ok_text(self, checked: int, label: str, value: float, limit: float) -> str:
        return f"{checked} 只持仓均未达到止盈线 {pct(limit)}；最高 {label} {pct(value)}"


RULE = TakeProfit()
