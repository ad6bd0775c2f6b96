"""Rule-type framework (风控规则类型): ``Param`` describes one parameter for the UI and validates it,
``RuleType`` is the base of the rule modules of this package (one rule per file), ``RuleContext`` is
what a rule sees during a check (the valued account, the quotes, the time).

Percent parameters are entered as percents (10 = 10 %). A rule returns ``Finding``s: one per breached
symbol (or strategy) and, when nothing is breached, one ok / no-data summary whose value is the worst
observed figure. The engine turns them into a status and alerts.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from ...core.errors import InvalidInput
from ...core.live import Quote, Severity
from ..account import AccountSnapshot, PositionValue
from ..model import Finding, Rule

ParamType = Literal["number", "integer", "boolean", "string"]
_TRUE = {"true", "1", "yes", "y", "on", "是"}
_FALSE = {"false", "0", "no", "n", "off", "否"}
_TYPE_ZH = {"number": "数字 (a number)", "integer": "整数 (an integer)", "boolean": "true/false (a boolean)",
            "string": "文本 (text)"}


def text(zh: str, en: str) -> Mapping[str, str]:
    """A read-only {zh, en} label."""
    return MappingProxyType({"zh": zh, "en": en})


def fmt(v: float | None, digits: int = 2) -> str:
    """Number for messages: at most ``digits`` decimals, no trailing zeros (10 → '10', 12.345 → '12.35')."""
    if v is None or not math.isfinite(v):
        return "—"
    text = f"{v:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def pct(v: float | None) -> str:
    return f"{fmt(v)}%"


def cny(v: float | None) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:,.2f} 元"


def price(v: float | None) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Param:
    """One rule parameter. ``default=None`` makes it required; ``min``/``max`` are inclusive."""

    name: str
    type: ParamType
    default: Any
    label: Mapping[str, str]
    min: float | None = None
    max: float | None = None
    unit: str = ""            # "%" | "CNY" | "count" | ""

    @property
    def required(self) -> bool:
        return self.default is None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "type": self.type, "default": self.default,
                       "unit": self.unit, "label": dict(self.label)}
        if self.min is not None:
            d["min"] = self.min
        if self.max is not None:
            d["max"] = self.max
        return d

    def _range_text(self) -> str:
        lo, hi = self.min, self.max
        if lo is not None and hi is not None:
            return f"必须在 {fmt(lo, 6)}–{fmt(hi, 6)} 之间 (must be between {fmt(lo, 6)} and {fmt(hi, 6)})"
        if lo is not None:
            return f"必须 ≥ {fmt(lo, 6)} (must be at least {fmt(lo, 6)})"
        return f"必须 ≤ {fmt(hi, 6)} (must be at most {fmt(hi, 6)})"

    def coerce(self, kind: str, raw: Any) -> Any:
        """``raw`` (JSON value or CLI text) as this parameter's type, range-checked; ``InvalidInput``
        names ``kind.name``, the allowed range and the value given."""
        where = f"{kind}.{self.name}"
        hint = f"{self.label.get('zh', '')} ({self.label.get('en', '')})" + (
            "；百分数，10 表示 10%" if self.unit == "%" else "")

        def wrong_type() -> InvalidInput:
            return InvalidInput(f"{where}: 必须是{_TYPE_ZH[self.type]}, got {raw!r}", hint)

        value: Any
        if self.type == "boolean":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if isinstance(raw, int | str) and text in _TRUE | _FALSE:
                return text in _TRUE
            raise wrong_type()
        if self.type == "string":
            if not isinstance(raw, str) or len(raw) > 200:
                raise wrong_type()
            return raw.strip()
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise wrong_type()
        try:
            num = float(raw.strip()) if isinstance(raw, str) else float(raw)
        except ValueError:
            raise wrong_type() from None
        if not math.isfinite(num):
            raise wrong_type()
        if self.type == "integer":
            if num != int(num):
                raise wrong_type()
            value = int(num)
        else:
            value = num
        if (self.min is not None and num < self.min) or (self.max is not None and num > self.max):
            raise InvalidInput(f"{where}: {self._range_text()}, got {fmt(num, 6)}", hint)
        return value


@dataclass(frozen=True)
class RuleContext:
    """What a rule sees during one check."""

    snapshot: AccountSnapshot
    quotes: Mapping[str, Quote]
    now: dt.datetime

    @property
    def account(self) -> str:
        return self.snapshot.name

    def positions(self, strategy: str | None = None) -> Sequence[PositionValue]:
        """Holdings, only those tagged ``strategy`` when given."""
        if strategy is None:
            return self.snapshot.positions
        return tuple(p for p in self.snapshot.positions if p.strategy == strategy)


_ST = re.compile(r"^S?(\*?)ST")


@lru_cache(maxsize=8192)
def st_mark(name: str) -> str:
    """'*ST' (退市风险警示), 'ST' (其他风险警示) or '' from a stock name as quote feeds print it
    ('*ST金源', 'ST康美', 'S*ST…', full-width 'ＳＴ'…)."""
    text = unicodedata.normalize("NFKC", name or "").replace(" ", "").upper()
    m = _ST.match(text)
    if not m:
        return ""
    return "*ST" if m.group(1) else "ST"


def label_of(p: PositionValue) -> str:
    return f"{p.symbol} {p.name}".strip()


class RuleType:
    """Base of every rule type. Subclasses set the class attributes and implement ``evaluate``."""

    kind: ClassVar[str]
    scope: ClassVar[Literal["account", "strategy", "market", "compliance"]]
    label: ClassVar[Mapping[str, str]]
    description: ClassVar[Mapping[str, str]]
    params: ClassVar[tuple[Param, ...]] = ()
    severity: ClassVar[Severity] = Severity.WARNING

    @property
    def per_position(self) -> bool:
        """Rules that look at positions one by one accept a ``strategy`` filter; account-wide ones do not."""
        return self.scope != "account"

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def validate(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Typed, range-checked parameters with defaults filled in; unknown or missing required
        parameters raise ``InvalidInput`` naming this rule kind and the field."""
        given = dict(params or {})
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            allowed = ", ".join(sorted(known)) or "无 (none)"
            raise InvalidInput(f"{self.kind}.{unknown[0]}: 未知参数 (unknown parameter); 可用 (allowed): {allowed}",
                               f"jlq risk rules types 查看 {self.kind} 的参数")
        out: dict[str, Any] = {}
        for p in self.params:
            raw = given.get(p.name)
            if raw is None:
                if p.required:
                    raise InvalidInput(f"{self.kind}.{p.name}: 缺少必填参数 (required parameter missing)",
                                       f"例如 --param {p.name}=…  ({p.label.get('zh', '')}, {p.unit or 'value'})")
                out[p.name] = p.default
            else:
                out[p.name] = p.coerce(self.kind, raw)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Contract ``rule-types`` entry: {kind, scope, label, description, params}."""
        return {"kind": self.kind, "scope": self.scope, "label": dict(self.label),
                "description": dict(self.description), "params": [p.to_dict() for p in self.params],
                "severity": self.severity.value}

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    # ---- helpers for subclasses -----------------------------------------------------------------
    @staticmethod
    def ok(message: str, value: float | None = None, threshold: float | None = None) -> Finding:
        return Finding("ok", message, value, threshold)

    @staticmethod
    def no_data(message: str, threshold: float | None = None) -> Finding:
        return Finding("no_data", message, None, threshold)

    def breach(self, title: str, message: str, value: float | None, threshold: float | None, *,
               symbol: str | None = None, subject: str | None = None,
               severity: Severity | None = None) -> Finding:
        return Finding("breach", message, value, threshold, symbol=symbol, subject=subject or symbol,
                       title=title, severity=severity or self.severity)

    @staticmethod
    def none_held(strategy: str | None) -> Finding:
        where = f"策略 {strategy} 下" if strategy else ""
        return Finding("no_data", f"{where}没有持仓 (no positions to check)")


class PositionThresholdRule(RuleType):
    """A rule judged holding by holding: each position's measure (a percent) at or above the rule's limit is
    a breach; otherwise one "ok" naming the holding closest to the limit. Subclasses give the measure and
    the words (stop loss, take profit, trailing stop)."""

    limit_param: ClassVar[str]
    skip_reason: ClassVar[str] = "无价格或成本不为正"

    def measure(self, p: PositionValue) -> float | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def breach_texts(self, p: PositionValue, value: float, limit: float) -> tuple[str, str]:  # pragma: no cover
        raise NotImplementedError

    def ok_text(self, checked: int, label: str, value: float, limit: float) -> str:  # pragma: no cover
        raise NotImplementedError

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        limit = float(rule.params[self.limit_param])
        held = ctx.positions(rule.strategy)
        if not held:
            return [self.none_held(rule.strategy)]
        out: list[Finding] = []
        top: tuple[float, str] | None = None
        skipped = []
        for p in held:
            value = self.measure(p)
            if value is None:
                skipped.append(p.symbol)
                continue
            if top is None or value > top[0]:
                top = (value, label_of(p))
            if value >= limit:
                title, message = self.breach_texts(p, value, limit)
                out.append(self.breach(title, message, value, limit, symbol=p.symbol))
        if out:
            return sorted(out, key=lambda f: -(f.value or 0))
        skip = f"；{len(skipped)} 只{self.skip_reason}，未检查：{'、'.join(skipped[:5])}" if skipped else ""
        if top is None:
            return [self.no_data(f"没有可检查的持仓{skip}", limit)]
        return [self.ok(self.ok_text(len(held) - len(skipped), top[1], top[0], limit) + skip, top[0], limit)]


def stale_note(p: PositionValue) -> str:
    """"（…）" saying which price valued a position whose quote is not live, else nothing."""
    return f"（{p.price_note()}）" if p.stale else ""


def percent_param(name: str, default: float | None, zh: str, en: str, hi: float = 100.0) -> Param:
    return Param(name, "number", default, {"zh": zh, "en": en}, min=0.0, max=hi, unit="%")
