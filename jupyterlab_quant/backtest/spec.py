"""Backtest spec and result: the frozen request and the plain-data outcome every surface shares.

A spec names a strategy (file path or source text + optional class name), the symbols, the date range,
cash, broker profile (with per-run overrides), benchmark and strategy params. A result is what the
engine produced; ``to_dict()`` is the JSON contract of ``jlq backtest run --json`` (see issue 4):
``final_value``, ``cash``, ``trades``, ``rejections``, ``equity_curve``, ``metrics`` plus extras.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ..core.errors import InvalidInput
from ..core.types import normalize_symbol, parse_range

DEFAULT_BENCHMARK = "000300.SH"
DEFAULT_CASH = 1_000_000.0
DEFAULT_TIMEOUT_S = 600.0
REJECTION_REASONS = ("limit_up", "limit_down", "suspended", "lot_size", "insufficient_cash",
                     "insufficient_position", "t_plus_1")


@dataclass(frozen=True)
class BacktestSpec:
    """What to run. Either ``strategy_file`` or ``strategy_source`` is set (source wins when both are).

    ``commission``/``min_commission``/``slippage`` override the named ``profile`` for this run only;
    ``volume_cap`` limits each fill to that fraction of the bar's volume (None = no cap);
    ``params`` go to the strategy's ``params`` (unknown names are an error).
    """

    symbols: tuple[str, ...]
    start: dt.date
    end: dt.date
    strategy_file: str | None = None
    strategy_source: str | None = None
    strategy_class: str | None = None
    cash: float = DEFAULT_CASH
    profile: str = "default"
    commission: float | None = None
    min_commission: float | None = None
    slippage: float | None = None
    volume_cap: float | None = None
    benchmark: str | None = DEFAULT_BENCHMARK
    params: dict[str, Any] = field(default_factory=dict)
    timeout_s: float = DEFAULT_TIMEOUT_S
    label: str = ""

    def __post_init__(self) -> None:
        if not self.symbols:
            raise InvalidInput("没有指定代码 (no symbols)", "例如 --symbols 600519.SH,000001.SZ")
        syms = tuple(dict.fromkeys(normalize_symbol(s) for s in self.symbols))
        object.__setattr__(self, "symbols", syms)
        s, e = parse_range(self.start, self.end)
        if s is None or e is None:
            raise InvalidInput("需要开始和结束日期 (start and end required)",
                               "例如 --start 2020-01-02 --end 2020-12-31")
        object.__setattr__(self, "start", s)
        object.__setattr__(self, "end", e)
        if not self.strategy_file and not self.strategy_source:
            raise InvalidInput("没有策略 (no strategy file or source)", "传入包含 backtrader.Strategy 子类的 .py 文件")
        if not (self.cash > 0):
            raise InvalidInput(f"初始资金必须为正 (cash must be positive): {self.cash}", "例如 --cash 1000000")
        for name in ("commission", "min_commission", "slippage"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise InvalidInput(f"{name} 不能为负 (negative {name}): {v}", "")
        if self.volume_cap is not None and not (0 < self.volume_cap <= 1):
            raise InvalidInput(f"volume_cap 须在 (0, 1] 之间: {self.volume_cap}", "例如 0.1 表示不超过当日成交量的 10%")
        if self.benchmark:
            object.__setattr__(self, "benchmark", normalize_symbol(self.benchmark))
        if not (self.timeout_s > 0):
            raise InvalidInput(f"timeout 必须为正: {self.timeout_s}", "")
        object.__setattr__(self, "params", dict(self.params or {}))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["symbols"] = list(self.symbols)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BacktestSpec:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise InvalidInput(f"未知的回测参数 (unknown spec fields): {', '.join(unknown)}",
                               f"可用字段: {', '.join(sorted(known))}")
        d = dict(d)
        syms = d.get("symbols") or ()
        d["symbols"] = tuple(syms.split(",") if isinstance(syms, str) else syms)
        return cls(**d)

    def with_overrides(self, **kw: Any) -> BacktestSpec:
        return replace(self, **kw)


@dataclass(frozen=True)
class Fill:
    """One executed trade (成交). ``side`` is buy|sell; fees in CNY rounded to 0.01."""

    datetime: str
    symbol: str
    side: str
    price: float
    size: int
    commission: float
    stamp_duty: float
    transfer_fee: float
    value: float = 0.0  # price × size


@dataclass(frozen=True)
class Rejection:
    """An order the A-share rules refused; ``reason`` is one of :data:`REJECTION_REASONS`."""

    datetime: str
    symbol: str
    side: str
    size: int
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class RoundTrip:
    """A closed position (开平仓), FIFO-matched: P&L gross and net of both sides' fees."""

    symbol: str
    open_date: str
    close_date: str
    size: int
    entry_price: float
    exit_price: float
    pnl: float
    pnl_net: float
    bars_held: int


@dataclass(frozen=True)
class CorporateAction:
    """A holding rescaled on an ex-date (除权除息): shares × ratio, the fraction paid as cash."""

    date: str
    symbol: str
    ratio: float
    shares_before: int
    shares_after: int
    cash_in_lieu: float


@dataclass
class BacktestResult:
    """Engine output. Curves are per trading day in [start, end] (calendar-aligned, forward-filled
    on days when no bar moved). ``metrics`` is filled by :mod:`.metrics` (snake_case, fractions)."""

    spec: BacktestSpec
    final_value: float
    cash: float
    trades: list[Fill]
    rejections: list[Rejection]
    equity_curve: list[tuple[str, float]]           # (date, total value)
    benchmark_curve: list[tuple[str, float]]        # (date, benchmark close scaled to start cash)
    round_trips: list[RoundTrip] = field(default_factory=list)
    corporate_actions: list[CorporateAction] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)   # end holdings, shares
    metrics: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)      # monthly/yearly/stress (JSON-ready)
    prices: dict[str, list[tuple[str, float, float, float, float]]] = field(default_factory=dict)
    # ^ per traded symbol: (date, open, high, low, close) unadjusted, for the trades-on-price chart
    log: list[str] = field(default_factory=list)    # strategy's self.log/print lines (capped)
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec.to_dict(),
            "final_value": self.final_value,
            "cash": self.cash,
            "trades": [asdict(t) for t in self.trades],
            "rejections": [asdict(r) for r in self.rejections],
            "equity_curve": [{"date": d, "value": v} for d, v in self.equity_curve],
            "benchmark_curve": [{"date": d, "value": v} for d, v in self.benchmark_curve],
            "round_trips": [asdict(r) for r in self.round_trips],
            "corporate_actions": [asdict(c) for c in self.corporate_actions],
            "positions": dict(self.positions),
            "metrics": self.metrics,
            "tables": self.tables,
            "prices": {k: [list(r) for r in v] for k, v in self.prices.items()},
            "log": self.log,
            "elapsed_s": self.elapsed_s,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, allow_nan=False, default=_json_default)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BacktestResult:
        return cls(
            spec=BacktestSpec.from_dict(d["spec"]),
            final_value=d["final_value"], cash=d["cash"],
            trades=[Fill(**t) for t in d["trades"]],
            rejections=[Rejection(**r) for r in d["rejections"]],
            equity_curve=[(p["date"], p["value"]) for p in d["equity_curve"]],
            benchmark_curve=[(p["date"], p["value"]) for p in d.get("benchmark_curve", [])],
            round_trips=[RoundTrip(**r) for r in d.get("round_trips", [])],
            corporate_actions=[CorporateAction(**c) for c in d.get("corporate_actions", [])],
            positions=d.get("positions", {}), metrics=d.get("metrics", {}), tables=d.get("tables", {}),
            prices={k: [tuple(r) for r in v] for k, v in d.get("prices", {}).items()},  # type: ignore[misc]
            log=d.get("log", []), elapsed_s=d.get("elapsed_s", 0.0))


def _json_default(o: Any) -> Any:
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
