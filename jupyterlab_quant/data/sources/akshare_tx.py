"""Tencent (腾讯证券) through akshare 1.19.5: the third fail-over for A-share daily bars (eastmoney → Sina → Tencent).

``stock_zh_a_hist_tx(symbol="sz000001", start_date, end_date, adjust)`` (akshare
``stock_feature/stock_hist_tx.py``) first asks ``web.ifzq.gtimg.cn/.../weekTrends`` for the first listed
date, then issues **one request per calendar year** to
``proxy.finance.qq.com/ifzqgtimg/appstock/app/newfqkline/get`` (``param=<sym>,day,<y>-01-01,<y+1>-12-31,640,<adj>``).
Each upstream row is ``[date, open, close, high, low, volume, <dividend dict>, turnover %, amount 万元]``.

Units (the reconciliation this adapter owns):

* **volume** — upstream is in 手 (lots) for main-board/ChiNext stocks. akshare multiplies by 100 *except*
  for codes starting ``sh688``, ``sz399``, ``sh000`` **and ``sz000``** — so a Shenzhen main-board stock
  such as ``sz000001`` (平安银行) comes back still in lots. We do not trust the prefix rule: the unit is
  measured per call from ``amount / volume`` against the day's price range (×100 when it is ~100× the
  close), then checked by :func:`check_volume_units`.
* **amount** — akshare converts 万元 → 元 (×10000). **turnover** — akshare divides the percentage by 100
  (a fraction); we store % like the other sources (×100 back).
* **dates** must be passed as ``YYYY-MM-DD``: akshare compares ``int(end_date.split("-")[0])`` with the
  current year, so a ``YYYYMMDD`` end date would make it fetch every year up to today.
* No 涨跌额 and no reference price: factors come from a second call with ``adjust="hfq"`` (change points
  via :func:`factor_segments`, like eastmoney; whether Tencent's hfq is purely multiplicative is
  unconfirmed [U]) and ``preclose`` = previous close × factor step.
* ``stock_zh_a_hist_tx`` takes ``timeout`` but its start-year probe does not; the fetch guard imposes one.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ...core.errors import SourceFormatError
from ...core.types import split_symbol
from ..fetch import Fetcher
from .base import DailyBars, check_volume_units, factor_segments, preclose_from_factors, require_columns

NAME = "tencent"
TX_COLUMNS = ["date", "open", "close", "high", "low", "volume", "turnover", "amount"]
TIMEOUT_S = 15.0


def _ak():
    import akshare

    return akshare


def tx_code(symbol: str) -> str:
    code, exch = split_symbol(symbol)
    return f"{exch.lower()}{code}"


def volume_multiplier(raw: pd.DataFrame) -> int:
    """1 when ``volume`` is in shares, 100 when it is in lots: from the implied price amount / volume."""
    ok = (raw["volume"] > 0) & (raw["amount"] > 0) & (raw["close"] > 0)
    if not ok.any():
        return 1
    ratio = float(np.median(raw.loc[ok, "amount"] / raw.loc[ok, "volume"] / raw.loc[ok, "close"]))
    return 100 if 20 < ratio < 500 else 1


class TencentSource:
    name = NAME
    kinds = frozenset({"stock"})

    def __init__(self, fetcher: Fetcher, timeout_s: float = TIMEOUT_S) -> None:
        self.fetcher = fetcher
        self.timeout_s = timeout_s

    def _hist(self, symbol: str, start: dt.date, end: dt.date, adjust: str) -> pd.DataFrame:
        ak, code = _ak(), tx_code(symbol)
        return self.fetcher.call(
            NAME, f"stock_zh_a_hist_tx({code}, adjust={adjust!r})",
            lambda: ak.stock_zh_a_hist_tx(symbol=code, start_date=start.isoformat(), end_date=end.isoformat(),
                                          adjust=adjust, timeout=self.timeout_s), symbol=symbol)

    def daily(self, symbol: str, kind: str, start: dt.date, end: dt.date) -> DailyBars:
        if kind != "stock":
            raise SourceFormatError(f"tencent 适配器只提供股票日线 (no {kind} daily bars from tencent)",
                                    "改用 --source akshare 或 --source sina", source=NAME, symbol=symbol)
        raw = self._hist(symbol, start, end, "")
        if raw.empty:
            return DailyBars(symbol, NAME, pd.DataFrame(), requests=2)
        require_columns(raw, TX_COLUMNS, NAME, "stock_zh_a_hist_tx", symbol)
        raw = raw.dropna(subset=["date", "open", "close", "high", "low", "volume"])
        raw = raw.sort_values("date").drop_duplicates("date", keep="last").reset_index(drop=True)
        mult = volume_multiplier(raw)
        bars = pd.DataFrame({
            "symbol": symbol, "date": pd.to_datetime(raw["date"].astype(str)).dt.date,
            "open": raw["open"].astype(float), "high": raw["high"].astype(float), "low": raw["low"].astype(float),
            "close": raw["close"].astype(float),
            "volume": (raw["volume"].astype(float) * mult).round().astype("int64"),
            "amount": raw["amount"].astype(float),
            "turnover": (raw["turnover"].astype(float) * 100).round(4)})   # akshare: % / 100 → back to %
        bars = bars[(bars["date"] >= start) & (bars["date"] <= end)].reset_index(drop=True)
        if bars.empty:
            return DailyBars(symbol, NAME, pd.DataFrame(), requests=2)
        check_volume_units(bars, NAME, "stock_zh_a_hist_tx", symbol)
        hfq = self._hist(symbol, start, end, "hfq")
        factors = pd.DataFrame(columns=["symbol", "date", "factor"])
        if not hfq.empty:
            require_columns(hfq, ["date", "close"], NAME, "stock_zh_a_hist_tx(hfq)", symbol)
            merged = bars[["date", "close"]].merge(
                pd.DataFrame({"date": pd.to_datetime(hfq["date"].astype(str)).dt.date,
                              "adj": hfq["close"].astype(float)}).drop_duplicates("date", keep="last"),
                on="date", how="inner")
            factors = factor_segments(merged["date"], merged["close"], merged["adj"], symbol)
        if factors.empty:
            bars["preclose"] = bars["close"].shift(1)
        else:
            f = factors.sort_values("date")
            asof = pd.merge_asof(bars[["date"]].assign(_d=pd.to_datetime(bars["date"])),
                                 f.assign(_d=pd.to_datetime(f["date"]))[["_d", "factor"]], on="_d")
            bars["preclose"] = preclose_from_factors(bars["close"], asof["factor"].bfill().fillna(1.0))
        bars["trade_status"] = (bars["volume"] > 0).astype("int8")
        bars["is_st"] = False
        return DailyBars(symbol, NAME, bars, factors, requests=4)
