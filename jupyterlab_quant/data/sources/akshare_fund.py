"""Open-end fund NAV (基金净值) from eastmoney 天天基金 through akshare 1.19.5 ``fund_open_fund_info_em``.

``fund_open_fund_info_em(symbol, indicator)`` downloads ``https://fund.eastmoney.com/pingzhongdata/<code>.js``
(a JavaScript file of ``var Data_… = …;`` statements) and executes it with its JS engine
(``py_mini_racer``). ``单位净值走势`` reads ``Data_netWorthTrend`` (``[{x: ms, y: nav, equityReturn: %,
unitMoney}]`` → ``净值日期, 单位净值, 日增长率``); ``累计净值走势`` reads ``Data_ACWorthTrend``
(``[[ms, acc_nav]]`` → ``净值日期, 累计净值``). Each indicator is a separate call and so a separate
download of the same file (two requests per fund); both carry the whole history, so one update per fund
serves any range.

Symbols: funds have 6-digit codes that clash with stock codes (e.g. 161725 vs nothing, but 000001 is both
平安银行 and 华夏成长混合). The store writes them as ``CODE.OF`` (OF = open-end fund, Wind's suffix);
:func:`fund_symbol` accepts ``161725``, ``161725.OF`` or ``OF161725``. Host ``fund.eastmoney.com`` shares
the eastmoney circuit breaker.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ...core.errors import BadSymbol, SourceFormatError, UnknownSymbol
from ..fetch import Fetcher
from .base import require_columns

NAME = "eastmoney"
NAV_COLUMNS = ["净值日期", "单位净值", "日增长率"]
ACC_COLUMNS = ["净值日期", "累计净值"]


def _ak():
    import akshare

    return akshare


def fund_symbol(raw: str) -> str:
    """``161725`` / ``161725.OF`` / ``OF161725`` → ``161725.OF``."""
    s = str(raw).strip().upper()
    m = re.fullmatch(r"(?:OF)?(\d{6})(?:\.OF)?", s)
    if not m:
        raise BadSymbol(f"基金代码无效 {raw!r} (fund codes are 6 digits, stored as CODE.OF)",
                        "例如 --kind fund --symbols 161725 或 161725.OF")
    return f"{m.group(1)}.OF"


class FundNavSource:
    name = NAME

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def _call(self, symbol: str, indicator: str) -> pd.DataFrame:
        ak, code = _ak(), symbol.split(".")[0]
        try:
            return self.fetcher.call(NAME, f"fund_open_fund_info_em({code}, {indicator})",
                                     lambda: ak.fund_open_fund_info_em(symbol=code, indicator=indicator),
                                     symbol=symbol)
        except SourceFormatError as err:
            if "HTTP 404" in err.message:
                raise UnknownSymbol(f"{symbol}: 天天基金没有该基金 (no such fund at eastmoney: HTTP 404)",
                                    "检查基金代码（场外基金 6 位代码，例如 161725）") from err
            raise

    def nav(self, symbol: str) -> pd.DataFrame:
        """The whole published NAV history: symbol, date, nav, acc_nav, daily_return_pct."""
        unit = self._call(symbol, "单位净值走势")
        if unit.empty:
            return pd.DataFrame(columns=["symbol", "date", "nav", "acc_nav", "daily_return_pct"])
        require_columns(unit, NAV_COLUMNS, NAME, "fund_open_fund_info_em(单位净值走势)", symbol)
        acc = self._call(symbol, "累计净值走势")
        out = pd.DataFrame({"symbol": symbol, "date": pd.to_datetime(unit["净值日期"].astype(str)).dt.date,
                            "nav": unit["单位净值"].astype(float),
                            "daily_return_pct": pd.to_numeric(unit["日增长率"], errors="coerce")})
        if not acc.empty:
            require_columns(acc, ACC_COLUMNS, NAME, "fund_open_fund_info_em(累计净值走势)", symbol)
            a = pd.DataFrame({"date": pd.to_datetime(acc["净值日期"].astype(str)).dt.date,
                              "acc_nav": pd.to_numeric(acc["累计净值"], errors="coerce")})
            out = out.merge(a.drop_duplicates("date", keep="last"), on="date", how="left")
        else:
            out["acc_nav"] = float("nan")
        out = out.dropna(subset=["date", "nav"]).drop_duplicates("date", keep="last").sort_values("date")
        bad = out["nav"] <= 0
        if bad.any():
            d = out.loc[bad, "date"].iloc[0]
            raise SourceFormatError(f"eastmoney fund_open_fund_info_em({symbol}): 单位净值非正 on {d} "
                                    "(non-positive NAV)", "上游数据异常；稍后重试或报告问题",
                                    source=NAME, symbol=symbol)
        return out[["symbol", "date", "nav", "acc_nav", "daily_return_pct"]].reset_index(drop=True)

    @staticmethod
    def in_range(frame: pd.DataFrame, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        keep = frame["date"] <= end
        if start is not None:
            keep &= frame["date"] >= start
        return frame[keep].reset_index(drop=True)
