"""Eastmoney (东方财富) through akshare 1.19.5: stock/index/ETF daily bars, factors, minute bars, snapshot.

Units and shapes (../reference/akshare.md §3–4):

* ``stock_zh_a_hist`` / ``fund_etf_hist_em``: 成交量 in 手 (lots of 100 shares) → ×100; 涨跌额 gives
  ``preclose = 收盘 − 涨跌额`` (unadjusted call). Suspended days are absent (eastmoney omits them).
* Factors: a second call with ``adjust="hfq"``; ``hfq ≈ round(raw × F, 2)``, so the factor's change
  points are found by :func:`factor_segments`. Whether eastmoney's hfq is purely multiplicative is
  unconfirmed upstream [U]; the segmenter tolerates cent rounding only, so a non-multiplicative series
  shows up as many change points (visible in ``adj_factors`` and to ``jlq data check``).
* ``stock_zh_index_daily_em``: English columns, volume in 手 (as every eastmoney kline) → ×100 [U];
  no 涨跌额, so preclose = previous close inside the fetched range.
* ``stock_zh_a_spot_em``: ~57 pages of 100 (pagination and retries inside akshare; we call it with
  ``tries=1``); 成交量 in 手, 昨收 is the exchange reference price; suspended rows have NaN prices.
  The same rows give the stock list (代码, 名称) and the day's valuation: 市盈率-动态 (f9, price over
  annualised latest-report EPS — stored as ``pe_dynamic``, not as TTM) and 市净率 (f23 → ``pb_mrq``).
* ``stock_zh_a_hist_min_em(period="1")``: the last 5 trading days only, 成交量 in 手, time = bar end.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ...core.errors import SourceFormatError
from ...core.types import exchange_of_stock_code, split_symbol
from ..fetch import Fetcher
from .base import DailyBars, Snapshot, check_volume_units, factor_segments, require_columns

NAME = "eastmoney"
HIST_COLUMNS = ["日期", "开盘", "收盘", "最高", "最低", "成交量", "成交额", "涨跌额", "换手率"]
ETF_COLUMNS = ["日期", "开盘", "收盘", "最高", "最低", "成交量", "成交额", "涨跌额"]
INDEX_COLUMNS = ["date", "open", "close", "high", "low", "volume", "amount"]
SPOT_COLUMNS = ["代码", "名称", "最新价", "成交量", "成交额", "最高", "最低", "今开", "昨收", "换手率", "市盈率-动态",
                "市净率"]
MINUTE_COLUMNS = ["时间", "开盘", "收盘", "最高", "最低", "成交量", "成交额"]
TIMEOUT_S = 15.0


def _ak():  # imported lazily: akshare pulls in a lot and is only needed when fetching
    import akshare

    return akshare


def _ymd(d: dt.date) -> str:
    return d.strftime("%Y%m%d")


def _index_code(symbol: str) -> str:
    code, exch = split_symbol(symbol)
    return f"{exch.lower()}{code}"


class EastmoneySource:
    name = NAME
    kinds = frozenset({"stock", "index", "etf"})

    def __init__(self, fetcher: Fetcher, timeout_s: float = TIMEOUT_S) -> None:
        self.fetcher = fetcher
        self.timeout_s = timeout_s

    # ---- daily ------------------------------------------------------------------------------
    def daily(self, symbol: str, kind: str, start: dt.date, end: dt.date) -> DailyBars:
        if kind == "stock":
            return self._stock_daily(symbol, start, end)
        if kind == "etf":
            return self._etf_daily(symbol, start, end)
        if kind == "index":
            return self._index_daily(symbol, start, end)
        raise SourceFormatError(f"eastmoney 不提供 {kind} 日线 (no {kind} daily bars)", "改用 --source sina",
                                source=NAME, symbol=symbol)

    def _hist(self, symbol: str, start: dt.date, end: dt.date, adjust: str) -> pd.DataFrame:
        code, _ = split_symbol(symbol)
        ak = _ak()
        return self.fetcher.call(
            NAME, f"stock_zh_a_hist({code}, adjust={adjust!r})",
            lambda: ak.stock_zh_a_hist(symbol=code, period="daily", start_date=_ymd(start), end_date=_ymd(end),
                                       adjust=adjust, timeout=self.timeout_s), symbol=symbol)

    def _stock_daily(self, symbol: str, start: dt.date, end: dt.date) -> DailyBars:
        raw = self._hist(symbol, start, end, "")
        if raw.empty:
            return DailyBars(symbol, NAME, pd.DataFrame(), requests=1)
        require_columns(raw, HIST_COLUMNS, NAME, "stock_zh_a_hist", symbol)
        bars = self.normalise_hist(raw, symbol)
        hfq = self._hist(symbol, start, end, "hfq")
        if hfq.empty:
            return DailyBars(symbol, NAME, bars, requests=2)
        require_columns(hfq, ["日期", "收盘"], NAME, "stock_zh_a_hist(hfq)", symbol)
        merged = bars[["date", "close"]].merge(
            pd.DataFrame({"date": pd.to_datetime(hfq["日期"]).dt.date, "adj": hfq["收盘"].astype(float)}),
            on="date", how="inner")
        factors = factor_segments(merged["date"], merged["close"], merged["adj"], symbol)
        return DailyBars(symbol, NAME, bars, factors, requests=2)

    @staticmethod
    def normalise_hist(raw: pd.DataFrame, symbol: str, func: str = "stock_zh_a_hist") -> pd.DataFrame:
        require_columns(raw, HIST_COLUMNS if func == "stock_zh_a_hist" else ETF_COLUMNS, NAME, func, symbol)
        close = raw["收盘"].astype(float)
        out = pd.DataFrame({
            "symbol": symbol,
            "date": pd.to_datetime(raw["日期"].astype(str)).dt.date,
            "open": raw["开盘"].astype(float), "high": raw["最高"].astype(float),
            "low": raw["最低"].astype(float), "close": close,
            "preclose": (close - raw["涨跌额"].astype(float)).round(4),
            "volume": (raw["成交量"].astype(float) * 100).round().astype("int64"),   # 手 → 股
            "amount": raw["成交额"].astype(float),
        })
        if "换手率" in raw.columns:
            out["turnover"] = raw["换手率"].astype(float)
        out["trade_status"] = (out["volume"] > 0).astype("int8")
        out["is_st"] = False
        check_volume_units(out, NAME, func, symbol)
        return out

    def _etf_daily(self, symbol: str, start: dt.date, end: dt.date) -> DailyBars:
        code, _ = split_symbol(symbol)
        ak = _ak()
        raw = self.fetcher.call(
            NAME, f"fund_etf_hist_em({code})",
            lambda: ak.fund_etf_hist_em(symbol=code, period="daily", start_date=_ymd(start), end_date=_ymd(end),
                                        adjust=""), symbol=symbol)
        if raw.empty:
            return DailyBars(symbol, NAME, pd.DataFrame(), requests=1)
        bars = self.normalise_hist(raw, symbol, "fund_etf_hist_em")
        return DailyBars(symbol, NAME, bars.drop(columns=["turnover", "trade_status", "is_st"], errors="ignore"),
                         requests=1)

    def _index_daily(self, symbol: str, start: dt.date, end: dt.date) -> DailyBars:
        ak = _ak()
        code = _index_code(symbol)
        raw = self.fetcher.call(
            NAME, f"stock_zh_index_daily_em({code})",
            lambda: ak.stock_zh_index_daily_em(symbol=code, start_date=_ymd(start), end_date=_ymd(end)),
            symbol=symbol)
        if raw.empty:
            return DailyBars(symbol, NAME, pd.DataFrame(), requests=1)
        require_columns(raw, INDEX_COLUMNS, NAME, "stock_zh_index_daily_em", symbol)
        close = raw["close"].astype(float)
        bars = pd.DataFrame({
            "symbol": symbol, "date": pd.to_datetime(raw["date"].astype(str)).dt.date,
            "open": raw["open"].astype(float), "high": raw["high"].astype(float), "low": raw["low"].astype(float),
            "close": close, "preclose": close.shift(1),
            "volume": (raw["volume"].astype(float) * 100).round().astype("int64"),
            "amount": raw["amount"].astype(float)})
        return DailyBars(symbol, NAME, bars, requests=1)

    # ---- snapshot ----------------------------------------------------------------------------
    def snapshot(self, day: dt.date) -> Snapshot:
        ak = _ak()
        raw = self.fetcher.call(NAME, "stock_zh_a_spot_em()", ak.stock_zh_a_spot_em, tries=1)
        return self.normalise_snapshot(raw, day)

    @staticmethod
    def normalise_snapshot(raw: pd.DataFrame, day: dt.date) -> Snapshot:
        require_columns(raw, SPOT_COLUMNS, NAME, "stock_zh_a_spot_em", "*")
        rows, suspended, names, val = [], [], {}, []
        for rec in raw[SPOT_COLUMNS].itertuples(index=False):
            code = str(rec[0]).zfill(6)
            try:
                sym = f"{code}.{exchange_of_stock_code(code)}"
            except Exception:
                continue
            name = "" if pd.isna(rec[1]) else str(rec[1]).strip()
            if name and name != "-":
                names[sym] = name
            pe, pb = pd.to_numeric(rec[10], errors="coerce"), pd.to_numeric(rec[11], errors="coerce")
            if not (pd.isna(pe) and pd.isna(pb)):
                val.append({"symbol": sym, "date": day, "pe_dynamic": None if pd.isna(pe) else float(pe),
                            "pb_mrq": None if pd.isna(pb) else float(pb)})
            price, vol = rec[2], rec[3]
            if pd.isna(price) or pd.isna(vol) or vol <= 0 or pd.isna(rec[7]):
                suspended.append(sym)
                continue
            rows.append({"symbol": sym, "date": day, "open": float(rec[7]), "high": float(rec[5]),
                         "low": float(rec[6]), "close": float(price), "preclose": float(rec[8]),
                         "volume": round(float(vol) * 100), "amount": float(rec[4]),
                         "turnover": float(rec[9]) if not pd.isna(rec[9]) else None, "trade_status": 1,
                         "is_st": "ST" in str(rec[1]).upper()})
        bars = pd.DataFrame(rows)
        if not bars.empty:
            bars["volume"] = bars["volume"].astype("int64")
            bars["trade_status"] = bars["trade_status"].astype("int8")
            check_volume_units(bars, NAME, "stock_zh_a_spot_em", "*")
        valuation = pd.DataFrame(val, columns=["symbol", "date", "pe_dynamic", "pb_mrq"])
        return Snapshot(day, NAME, bars, suspended, names, valuation)

    # ---- minute --------------------------------------------------------------------------------
    def minute(self, symbol: str, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        code, _ = split_symbol(symbol)
        ak = _ak()
        raw = self.fetcher.call(
            NAME, f"stock_zh_a_hist_min_em({code}, period='1')",
            lambda: ak.stock_zh_a_hist_min_em(symbol=code, start_date=start.strftime("%Y-%m-%d %H:%M:%S"),
                                              end_date=end.strftime("%Y-%m-%d %H:%M:%S"), period="1", adjust=""),
            symbol=symbol)
        if raw.empty:
            return pd.DataFrame()
        require_columns(raw, MINUTE_COLUMNS, NAME, "stock_zh_a_hist_min_em", symbol)
        out = pd.DataFrame({
            "symbol": symbol, "ts": pd.to_datetime(raw["时间"]).astype("datetime64[s]"),
            "open": raw["开盘"].astype(float), "high": raw["最高"].astype(float), "low": raw["最低"].astype(float),
            "close": raw["收盘"].astype(float),
            "volume": (raw["成交量"].astype(float) * 100).round().astype("int64"),
            "amount": raw["成交额"].astype(float)})
        # earlier days of the 5-day window carry open = 0 upstream (§3.3): use the previous close instead
        bad_open = out["open"] <= 0
        out.loc[bad_open, "open"] = out["close"].shift(1)[bad_open].fillna(out["close"][bad_open])
        out["high"] = out[["high", "open", "close"]].max(axis=1)
        out["low"] = out[["low", "open", "close"]].min(axis=1)
        return out
