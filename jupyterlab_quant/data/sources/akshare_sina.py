"""Sina (新浪) through akshare 1.19.5: the fail-over for stock and index daily bars; futures daily.

Units (../reference/akshare.md §4): ``stock_zh_a_daily`` volume is in **shares** (no ×100, unlike
eastmoney); it downloads the symbol's whole history in one JS payload (decoded by akshare with
``py_mini_racer``) and filters client-side, so one call serves any range. Sina gives no 涨跌额 and no
exchange reference price: ``preclose`` = previous close × factor step, with the step from
``stock_zh_a_daily(adjust="hfq-factor")`` (Sina's own cumulative factors, change points only). Neither
call takes a timeout argument; the fetch guard imposes one at the ``requests`` layer.
``stock_zh_index_daily`` (same payload format; volume in shares) and ``futures_zh_daily_sina`` (volume and
``hold`` in lots, ``settle`` 0 = missing) complete the set.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ...core.errors import SourceFormatError
from ...core.types import split_symbol
from ..fetch import Fetcher
from .base import DailyBars, check_volume_units, preclose_from_factors, require_columns

NAME = "sina"
DAILY_COLUMNS = ["date", "open", "high", "low", "close", "volume", "amount"]
FUTURES_COLUMNS = ["date", "open", "high", "low", "close", "volume", "hold", "settle"]


def _ak():
    import akshare

    return akshare


def _sina_code(symbol: str) -> str:
    code, exch = split_symbol(symbol)
    return f"{exch.lower()}{code}"


class SinaSource:
    name = NAME
    kinds = frozenset({"stock", "index", "futures"})

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def daily(self, symbol: str, kind: str, start: dt.date, end: dt.date) -> DailyBars:
        if kind == "stock":
            return self._stock_daily(symbol, start, end)
        if kind == "index":
            return self._index_daily(symbol, start, end)
        if kind == "futures":
            return self._futures_daily(symbol, start, end)
        raise SourceFormatError(f"sina 适配器不提供 {kind} 日线 (no {kind} daily bars from sina)",
                                "改用 --source akshare", source=NAME, symbol=symbol)

    def _stock_daily(self, symbol: str, start: dt.date, end: dt.date) -> DailyBars:
        ak, code = _ak(), _sina_code(symbol)
        raw = self.fetcher.call(NAME, f"stock_zh_a_daily({code})",
                                lambda: ak.stock_zh_a_daily(symbol=code, start_date="19900101",
                                                            end_date="21000101", adjust=""), symbol=symbol)
        if raw.empty:
            return DailyBars(symbol, NAME, pd.DataFrame(), requests=2)
        require_columns(raw, DAILY_COLUMNS, NAME, "stock_zh_a_daily", symbol)
        fac = self.fetcher.call(NAME, f"stock_zh_a_daily({code}, adjust='hfq-factor')",
                                lambda: ak.stock_zh_a_daily(symbol=code, adjust="hfq-factor"), symbol=symbol)
        require_columns(fac, ["date", "hfq_factor"], NAME, "stock_zh_a_daily(hfq-factor)", symbol)
        bars = pd.DataFrame({
            "symbol": symbol, "date": pd.to_datetime(raw["date"].astype(str)).dt.date,
            "open": raw["open"].astype(float), "high": raw["high"].astype(float), "low": raw["low"].astype(float),
            "close": raw["close"].astype(float), "volume": raw["volume"].astype(float).round().astype("int64"),
            "amount": raw["amount"].astype(float)}).sort_values("date").reset_index(drop=True)
        if "turnover" in raw.columns:
            bars["turnover"] = (raw["turnover"].astype(float) * 100).to_numpy()  # fraction → %
        f = pd.DataFrame({"date": pd.to_datetime(fac["date"]).dt.date, "factor": fac["hfq_factor"].astype(float)})
        f = f.sort_values("date").drop_duplicates("date", keep="last")
        asof = pd.merge_asof(bars[["date"]].assign(_d=pd.to_datetime(bars["date"])),
                             f.assign(_d=pd.to_datetime(f["date"]))[["_d", "factor"]], on="_d")
        bars["preclose"] = preclose_from_factors(bars["close"], asof["factor"].fillna(1.0))
        bars["trade_status"] = (bars["volume"] > 0).astype("int8")
        bars["is_st"] = False
        in_range = (bars["date"] >= start) & (bars["date"] <= end)
        factors = pd.DataFrame({"symbol": symbol, "date": bars["date"], "factor": asof["factor"]})[in_range]
        factors = factors[factors["factor"].notna()]
        factors = factors[factors["factor"].ne(factors["factor"].shift(1))]
        bars = bars[in_range].reset_index(drop=True)
        check_volume_units(bars, NAME, "stock_zh_a_daily", symbol)
        return DailyBars(symbol, NAME, bars, factors.reset_index(drop=True), requests=3)

    def _index_daily(self, symbol: str, start: dt.date, end: dt.date) -> DailyBars:
        ak, code = _ak(), _sina_code(symbol)
        raw = self.fetcher.call(NAME, f"stock_zh_index_daily({code})",
                                lambda: ak.stock_zh_index_daily(symbol=code), symbol=symbol)
        if raw.empty:
            return DailyBars(symbol, NAME, pd.DataFrame(), requests=1)
        require_columns(raw, DAILY_COLUMNS[:6], NAME, "stock_zh_index_daily", symbol)
        close = raw["close"].astype(float)
        bars = pd.DataFrame({
            "symbol": symbol, "date": pd.to_datetime(raw["date"].astype(str)).dt.date,
            "open": raw["open"].astype(float), "high": raw["high"].astype(float), "low": raw["low"].astype(float),
            "close": close, "preclose": close.shift(1),
            "volume": raw["volume"].astype(float).round().astype("int64")})
        bars = bars[(bars["date"] >= start) & (bars["date"] <= end)].reset_index(drop=True)
        return DailyBars(symbol, NAME, bars, requests=1)

    def _futures_daily(self, symbol: str, start: dt.date, end: dt.date) -> DailyBars:
        ak = _ak()
        root, _ = split_symbol(symbol)
        raw = self.fetcher.call(NAME, f"futures_zh_daily_sina({root})",
                                lambda: ak.futures_zh_daily_sina(symbol=root), symbol=symbol)
        if raw.empty:
            return DailyBars(symbol, NAME, pd.DataFrame(), requests=1)
        require_columns(raw, FUTURES_COLUMNS, NAME, "futures_zh_daily_sina", symbol)
        settle = raw["settle"].astype(float)
        bars = pd.DataFrame({
            "symbol": symbol, "date": pd.to_datetime(raw["date"].astype(str)).dt.date,
            "open": raw["open"].astype(float), "high": raw["high"].astype(float), "low": raw["low"].astype(float),
            "close": raw["close"].astype(float), "settle": settle.where(settle > 0),
            "volume": raw["volume"].astype(float).round().astype("int64"),
            "open_interest": raw["hold"].astype(float).round().astype("Int64")})
        bars = bars[(bars["date"] >= start) & (bars["date"] <= end)].reset_index(drop=True)
        return DailyBars(symbol, NAME, bars, requests=1)
