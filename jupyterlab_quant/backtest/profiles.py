"""Broker profiles (券商费率预设): named commission/minimum/slippage/rounding presets.

Built-in presets cover the common retail cases; the user's own broker is one more profile saved in
``$JLQ_HOME/config/broker_profiles.json`` (written atomically). A saved profile with a built-in's
name overrides it. Amounts are CNY; rates are fractions of turnover (0.00025 = 万2.5).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from pathlib import Path
from typing import Any

from ..core.ashare import BrokerProfile
from ..core.errors import InvalidInput, NotFound

ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "up": ROUND_UP, "down": ROUND_DOWN}
_NAME = re.compile(r"^[\w\-\u4e00-\u9fff]{1,40}$")


@dataclass(frozen=True)
class Preset:
    """A named profile: fee settings (:class:`BrokerProfile`) plus the slippage to model."""

    name: str
    commission_rate: float = 0.00025
    min_commission: float = 5.0
    slippage: float = 0.0          # fraction of price against the order (0.001 = 0.1 %)
    rounding: str = "half_up"      # key of ROUNDING_MODES, applied to each fee at 0.01 CNY
    separate_exchange_fees: bool = False
    description: str = ""
    builtin: bool = False

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise InvalidInput(f"配置名无效 (bad profile name): {self.name!r}",
                               "用字母、数字、下划线、短横线或中文，最长 40 字")
        if self.rounding not in ROUNDING_MODES:
            raise InvalidInput(f"未知的取整方式 (unknown rounding): {self.rounding!r}",
                               f"可选: {', '.join(ROUNDING_MODES)}")
        if not (0 <= self.slippage < 0.1):
            raise InvalidInput(f"滑点须在 [0, 0.1) 之间 (slippage out of range): {self.slippage}",
                               "例如 0.001 表示 0.1%")
        self.broker_profile()  # validates rate/minimum ranges with the core rules

    def broker_profile(self, commission: float | None = None, min_commission: float | None = None) -> BrokerProfile:
        rate = self.commission_rate if commission is None else commission
        minimum = self.min_commission if min_commission is None else min_commission
        return BrokerProfile(name=self.name, commission_rate=Decimal(str(rate)), min_commission=Decimal(str(minimum)),
                             separate_exchange_fees=self.separate_exchange_fees,
                             rounding=ROUNDING_MODES[self.rounding])

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "commission_rate": self.commission_rate, "min_commission": self.min_commission,
                "slippage": self.slippage, "rounding": self.rounding,
                "separate_exchange_fees": self.separate_exchange_fees, "description": self.description,
                "builtin": self.builtin}


BUILTIN: tuple[Preset, ...] = (
    Preset("default", 0.00025, 5.0, 0.0, description="万2.5，最低 5 元 (typical retail, ashare-rules.md §1.1)",
           builtin=True),
    Preset("low_cost", 0.0001, 0.1, 0.0, description="万1 免五 (low-cost online broker, no 5 CNY minimum)",
           builtin=True),
    Preset("conservative", 0.0003, 5.0, 0.001, description="万3，最低 5 元，滑点 0.1% (pessimistic)", builtin=True),
)


class ProfileStore:
    """Built-in presets plus the user's saved profiles in ``home/config/broker_profiles.json``."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / "config" / "broker_profiles.json"

    def _saved(self) -> dict[str, Preset]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {d["name"]: Preset(**{**d, "builtin": False}) for d in raw.get("profiles", [])}
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"券商配置文件无法读取 (unreadable profiles file) {self.path}: {exc}",
                               "修正或删除该文件后重试") from exc

    def list(self) -> list[Preset]:
        merged = {p.name: p for p in BUILTIN}
        merged.update(self._saved())
        return list(merged.values())

    def get(self, name: str) -> Preset:
        for p in self.list():
            if p.name == name:
                return p
        raise NotFound(f"没有名为 {name!r} 的券商配置 (unknown broker profile)",
                       f"可用: {', '.join(p.name for p in self.list())}；用 jlq backtest profiles set 添加")

    def set(self, preset: Preset) -> Preset:
        saved = self._saved()
        saved[preset.name] = Preset(**{**preset.to_dict(), "builtin": False})
        self._write(saved)
        return saved[preset.name]

    def remove(self, name: str) -> None:
        saved = self._saved()
        if name not in saved:
            raise NotFound(f"没有保存过名为 {name!r} 的券商配置 (no saved profile)", "内置配置不能删除")
        del saved[name]
        self._write(saved)

    def _write(self, saved: dict[str, Preset]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"profiles": [{k: v for k, v in p.to_dict().items() if k != "builtin"} for p in saved.values()]}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".profiles.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh, ensure_ascii=False, indent=2)
        os.replace(tmp, self.path)
