"""The Source port: what an internet source adapter provides, as canonical frames.

Canonical = the columns of :mod:`jupyterlab_quant.data.schema` datasets: volume in **shares** (futures:
lots), **unadjusted** prices, ``preclose`` (前收盘, exchange reference price) where the source gives or
implies it, and cumulative back-adjustment factors (复权因子) as *observed* by the source (its own base:
the update service rescales them onto the store's base, see ``update.py``).

Adapters are the only modules that know a source's column names and units. Each method raises
``SourceFormatError`` naming source, function and column when the upstream shape changes, and returns
empty frames (never ``None``) when the source has no rows for the range.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from ...core.errors import SourceFormatError

DATASET_OF_KIND = {"stock": "bars_1d", "index": "index_1d", "etf": "etf_1d", "futures": "futures_1d"}


@dataclass
class DailyBars:
    """Daily bars of one symbol (dataset columns) + factor observations (symbol, date, factor)."""

    symbol: str
    source: str
    bars: pd.DataFrame
    factors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["symbol", "date", "factor"]))
    requests: int = 0
    span: tuple[dt.date, dt.date] | None = None   # the requested range (set by the update service)


@dataclass
class Snapshot:
    """Whole-market snapshot turned into one day's bars; suspended symbols listed separately."""

    day: dt.date
    source: str
    bars: pd.DataFrame
    suspended: list[str]
    names: dict[str, str]
    valuation: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["symbol", "date", "pe_dynamic",
                                                                                  "pb_mrq"]))


class Source(Protocol):
    name: str          # "eastmoney" | "sina" | "tencent" (the breaker/health key)
    kinds: frozenset[str]

    def daily(self, symbol: str, kind: str, start: dt.date, end: dt.date) -> DailyBars: ...


class SnapshotSource(Protocol):
    name: str

    def snapshot(self, day: dt.date) -> Snapshot: ...


class MinuteSource(Protocol):
    name: str

    def minute(self, symbol: str, start: dt.datetime, end: dt.datetime) -> pd.DataFrame: ...


def require_columns(df: pd.DataFrame, expected: list[str], source: str, func: str, symbol: str) -> None:
    """Fail with the source, function and missing column named (akshare renames columns between versions)."""
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise SourceFormatError(
            f"{source} {func}({symbol}): 缺少列 {missing}，实际列 {list(df.columns)} "
            f"(column {missing[0]!r} missing — renamed upstream or by an akshare upgrade)",
            "akshare 固定为 1.19.5；若升级了 akshare 请更新适配器 data/sources/，或用 --source 改用其他源",
            source=source, symbol=symbol)


def check_volume_units(bars: pd.DataFrame, source: str, func: str, symbol: str) -> None:
    """Lots-vs-shares guard: amount / volume must be a price inside the day's range (median over rows).

    With volume in lots (手) by mistake the implied price is 100× too high; in shares but treated as lots
    100× too low. Rows without amount or volume are ignored.
    """
    ok = bars["amount"].notna() & (bars["volume"] > 0) & (bars["amount"] > 0)
    if not ok.any():
        return
    b = bars[ok]
    vwap = b["amount"] / b["volume"]
    inside = (vwap >= b["low"] * 0.8) & (vwap <= b["high"] * 1.25)
    if inside.mean() < 0.5:
        ratio = float((vwap / b["close"]).median())
        raise SourceFormatError(
            f"{source} {func}({symbol}): 成交量单位不符 (volume unit mismatch: amount/volume is {ratio:.4g}× the "
            f"close — lots vs shares?)", "检查该源的成交量单位（东财为手，新浪为股）并更新适配器",
            source=source, symbol=symbol)


def preclose_from_factors(close: pd.Series, factor: pd.Series) -> pd.Series:
    """Reference price from the previous close and the factor step: close_{t-1} × F_{t-1} / F_t."""
    return (close.shift(1) * factor.shift(1) / factor).round(4)


def factor_segments(dates: pd.Series, raw_close: pd.Series, adj_close: pd.Series, symbol: str,
                    price_tick: float = 0.01) -> pd.DataFrame:
    """Cumulative factor change points from an adjusted and an unadjusted close series.

    ``adj = round(raw × F, 2)``, so each day bounds F to ``[(adj − tick/2)/raw, (adj + tick/2)/raw]``. A
    segment grows while the intersection of those intervals is non-empty; a new segment starts at the day
    that empties it (an ex-date). Returns one row at the first date and one per change point, factor =
    the midpoint of the segment's interval.
    """
    rows: list[tuple[dt.date, float]] = []
    lo, hi, start = -1.0, float("inf"), None
    for d, r, a in zip(dates, raw_close.astype(float), adj_close.astype(float), strict=True):
        if not (r > 0 and a > 0):
            continue
        dlo, dhi = (a - price_tick / 2) / r, (a + price_tick / 2) / r
        if start is not None and max(lo, dlo) <= min(hi, dhi):
            lo, hi = max(lo, dlo), min(hi, dhi)
            continue
        if start is not None:
            rows.append((start, (lo + hi) / 2))
        start, lo, hi = d, dlo, dhi
    if start is not None:
        rows.append((start, (lo + hi) / 2))
    return pd.DataFrame({"symbol": symbol, "date": [r[0] for r in rows], "factor": [r[1] for r in rows]})
