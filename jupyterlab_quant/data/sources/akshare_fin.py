"""Financial indicators (财务指标) from Sina through akshare 1.19.5 ``stock_financial_abstract``.

Request: ``GET https://quotes.sina.cn/cn/api/openapi.php/CompanyFinanceService.getFinanceReport2022``
with ``paperCode=sh<code>`` (akshare hard-codes the ``sh`` prefix, also for Shenzhen codes),
``source=gjzb, type=0, page=1, num=1000``. akshare slices the item list by its group header rows
(常用指标, 每股指标, 盈利能力, 成长能力, 收益质量, 财务风险, 营运能力) and returns a **wide** frame:
``选项`` (group), ``指标`` (indicator), then one column per report date ``"YYYYMMDD"``.

We store it **long** in ``fundamentals`` (symbol, report_date, indicator, category, value, asof, source).
Sina's JSON carries a publish date per report but akshare drops it, so ``asof`` is the day we first saw
the value: a point-in-time upper bound (a backtest using ``asof <= day`` never sees a figure before we
could have had it; it may see it later than the market did). Values keep Sina's units (元, %, 次).
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ...core.errors import SourceFormatError, UnknownSymbol
from ...core.types import split_symbol
from ..fetch import Fetcher
from .base import require_columns

NAME = "sina"
FUNC = "stock_financial_abstract"
ORIGIN = f"sina:{FUNC}"


def _ak():
    import akshare

    return akshare


class FinancialAbstractSource:
    name = NAME

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def fundamentals(self, symbol: str, asof: dt.date) -> pd.DataFrame:
        ak, (code, _) = _ak(), split_symbol(symbol)
        try:
            wide = self.fetcher.call(NAME, f"{FUNC}({code})", lambda: ak.stock_financial_abstract(symbol=code),
                                     symbol=symbol)
        except SourceFormatError as err:
            if isinstance(err.__cause__, IndexError):   # akshare indexes report_list[0]: empty for unknown codes
                raise UnknownSymbol(f"{symbol}: 新浪 sina {FUNC} 没有报告期数据 (empty report list: unknown code, "
                                    "or not listed long enough)", "检查代码，例如 600519.SH") from err
            raise
        if wide.empty or len(wide.columns) <= 2:
            raise UnknownSymbol(f"{symbol}: 新浪没有该股票的财务指标 (no financial indicators at sina)",
                                "检查代码；新股可能尚无报告期数据")
        require_columns(wide, ["选项", "指标"], NAME, FUNC, symbol)
        dates = [c for c in wide.columns[2:] if re.fullmatch(r"\d{8}", str(c))]
        long = wide.melt(id_vars=["选项", "指标"], value_vars=dates, var_name="report_date", value_name="value")
        long = long.dropna(subset=["value"])
        out = pd.DataFrame({
            "symbol": symbol, "report_date": pd.to_datetime(long["report_date"], format="%Y%m%d").dt.date,
            "indicator": long["指标"].astype(str), "category": long["选项"].astype(str),
            "value": long["value"].astype(float), "asof": asof, "source": ORIGIN})
        return out.drop_duplicates(["report_date", "indicator"], keep="first").reset_index(drop=True)
