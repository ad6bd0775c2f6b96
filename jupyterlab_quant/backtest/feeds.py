"""Backtrader data feeds from the store: unadjusted daily bars, suspensions left as gaps.

Rows the store marks suspended (停牌: ``trade_status == 0`` or zero volume) are dropped, so on those
days the feed simply does not advance — Backtrader's multi-data clock then shows the symbol's last
bar as stale, never a forward-filled price. Each feed carries ``preclose`` (前收盘, limits derive
from it) and ``is_st``; per-symbol facts (board, kind, list date, factors) ride on :class:`FeedInfo`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import backtrader as bt
import numpy as np
import pandas as pd

from ..core.ashare import InstrumentType
from ..core.errors import InvalidInput, NoData
from ..core.types import Board, board_of
from ..data.query import QueryService

TRADABLE_KINDS = ("stock", "etf")
# ETF T+0 classes by code prefix (ashare-rules.md §2 lists the types, not the codes; an approximation
# until the exchange's 当日回转交易基金 list is ingested): 511 bond/money-market, 513 cross-border,
# 518 gold. Everything else is treated as an ordinary equity ETF (T+1).
_T0_ETF_PREFIXES = {"511": InstrumentType.BOND_ETF, "513": InstrumentType.CROSS_BORDER_ETF,
                    "518": InstrumentType.GOLD_ETF}


class AShareFeed(bt.feed.DataBase):  # type: ignore[misc]
    """OHLCV plus the exchange reference price and ST flag, preloaded from numpy arrays.

    Reads columns straight from arrays instead of PandasData's per-bar ``iloc`` (≈4× cheaper to load).
    """

    lines = ("preclose", "is_st")
    params = (("frame", None),)
    _COLUMNS = ("open", "high", "low", "close", "volume", "preclose", "is_st")

    def start(self) -> None:
        super().start()
        f = self.p.frame
        self._dt = [bt.date2num(d) for d in pd.DatetimeIndex(f.index).to_pydatetime()]
        self._cols = [(getattr(self.lines, c), f[c].to_numpy(float).tolist()) for c in self._COLUMNS]
        self._i = -1

    def _load(self) -> bool:
        self._i += 1
        if self._i >= len(self._dt):
            return False
        i = self._i
        lines: Any = self.lines  # Backtrader's metaclass turns the ``lines`` tuple into line objects
        lines.datetime[0] = self._dt[i]
        for line, values in self._cols:
            line[0] = values[i]
        lines.openinterest[0] = 0.0
        return True


@dataclass
class FeedInfo:
    symbol: str
    name: str
    kind: str
    board: Board
    instrument: InstrumentType
    list_date: dt.date | None
    factor_days: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    factor_vals: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.float64))
    _events: list[tuple[dt.date, float]] | None = None

    @property
    def ex_events(self) -> list[tuple[dt.date, float]]:
        """Ex-dates (除权除息日) with the factor ratio f(t)/f(t−1) that holdings are scaled by."""
        if self._events is None:
            ev: list[tuple[dt.date, float]] = []
            for k in range(1, len(self.factor_days)):
                prev, cur = float(self.factor_vals[k - 1]), float(self.factor_vals[k])
                if prev > 0 and abs(cur / prev - 1) > 1e-9:
                    day = dt.date(1970, 1, 1) + dt.timedelta(days=int(self.factor_days[k]))
                    ev.append((day, cur / prev))
            self._events = ev
        return self._events


def instrument_type(symbol: str, kind: str) -> InstrumentType:
    if kind == "stock":
        return InstrumentType.STOCK
    return _T0_ETF_PREFIXES.get(symbol[:3], InstrumentType.EQUITY_ETF)


def load_feed(query: QueryService, symbol: str, start: dt.date,
              end: dt.date) -> tuple[AShareFeed, FeedInfo, pd.DataFrame]:
    """One symbol's feed for [start, end]. Raises UnknownSymbol/NoData/InvalidInput with what to do."""
    inst = query.resolve(symbol)
    sym, kind = inst["symbol"], str(inst.get("kind") or "stock")
    if kind not in TRADABLE_KINDS:
        raise InvalidInput(f"{sym} 是{ {'index': '指数', 'futures': '期货'}.get(kind, kind)}，不能在股票回测中交易 "
                           f"(kind {kind} is not tradable here)",
                           "只交易股票和 ETF；指数请作为 --benchmark 使用")
    df = query.bars(sym, start, end)
    traded = df["volume"] > 0
    if "trade_status" in df:
        traded &= df["trade_status"] != 0
    df = df[traded]
    if df.empty:
        raise NoData(f"{sym} 在 {start} 至 {end} 全部停牌或没有成交 (no traded bars in range)", "换一个日期范围或代码")
    frame = pd.DataFrame({
        "open": df["open"].to_numpy(float), "high": df["high"].to_numpy(float), "low": df["low"].to_numpy(float),
        "close": df["close"].to_numpy(float), "volume": df["volume"].to_numpy(float),
        "preclose": (df["preclose"] if "preclose" in df else df["close"].shift(1)).to_numpy(float),
        "is_st": (df["is_st"].astype(float) if "is_st" in df else pd.Series(0.0, index=df.index)).to_numpy(float),
    }, index=pd.DatetimeIndex(pd.to_datetime(df["date"]).to_numpy(), name="datetime"))
    days, vals = query.factors(sym)
    ld = inst.get("list_date")
    ld = ld.date() if isinstance(ld, (pd.Timestamp, dt.datetime)) else ld
    ld = None if ld is None or pd.isna(ld) else ld
    info = FeedInfo(symbol=sym, name=str(inst.get("name") or sym), kind=kind,
                    board=board_of(sym, kind), instrument=instrument_type(sym, kind),
                    list_date=ld if isinstance(ld, dt.date) else None,
                    factor_days=days, factor_vals=vals)
    feed = AShareFeed(frame=frame, name=sym)
    return feed, info, frame


def load_benchmark(query: QueryService, symbol: str, start: dt.date, end: dt.date) -> pd.Series:
    """Benchmark closes (index or ETF) on [start, end], indexed by date."""
    df = query.bars(symbol, start, end)
    return pd.Series(df["close"].to_numpy(float), index=pd.DatetimeIndex(pd.to_datetime(df["date"]).to_numpy()))
