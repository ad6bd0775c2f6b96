"""Every market dataset declared once: columns, key, time column, partitioning and SQL view name.

The store, the query service, importers and the CLI all read these declarations; nothing else
spells out a dataset's columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    nullable: bool = True
    doc: str = ""


@dataclass(frozen=True)
class Dataset:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    time_column: str | None = "date"
    partition: str = "year"  # "year" | "year_month" | "none"
    kind: str | None = None  # instrument kind held, for bars datasets

    @property
    def view(self) -> str:
        return self.name

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if not c.nullable]


F64, I64 = pa.float64(), pa.int64()
SYMBOL = Column("symbol", pa.string(), False, "CODE.EXCHANGE, e.g. 600519.SH")
DATE = Column("date", pa.date32(), False, "exchange date (Asia/Shanghai)")
OHLC = (Column("open", F64, False), Column("high", F64, False), Column("low", F64, False),
        Column("close", F64, False))
VOLUME = Column("volume", I64, False, "shares (股); futures: lots (手)")
AMOUNT = Column("amount", F64, True, "turnover value in CNY (成交额)")
PRECLOSE = Column("preclose", F64, True, "exchange reference price (前收盘); limits derive from it")

BARS_1D = Dataset(
    "bars_1d", "A-share stock daily bars, unadjusted (不复权)",
    (SYMBOL, DATE, *OHLC, PRECLOSE, VOLUME, AMOUNT,
     Column("turnover", F64, True, "换手率 %"),
     Column("trade_status", pa.int8(), False, "1 traded, 0 suspended (停牌)"),
     Column("is_st", pa.bool_(), False, "ST/*ST on that day")),
    key=("symbol", "date"), kind="stock")
INDEX_1D = Dataset("index_1d", "Index daily bars (points)", (SYMBOL, DATE, *OHLC, PRECLOSE, VOLUME, AMOUNT),
                   key=("symbol", "date"), kind="index")
ETF_1D = Dataset("etf_1d", "ETF daily bars", (SYMBOL, DATE, *OHLC, PRECLOSE, VOLUME, AMOUNT),
                 key=("symbol", "date"), kind="etf")
FUTURES_1D = Dataset(
    "futures_1d", "Futures daily bars (main continuous or single contracts)",
    (SYMBOL, DATE, *OHLC, Column("settle", F64, True, "settlement price (结算价)"), VOLUME,
     Column("open_interest", I64, True, "持仓量 (lots)"), AMOUNT),
    key=("symbol", "date"), kind="futures")
BARS_1M = Dataset(
    "bars_1m", "1-minute bars of any instrument; ts = bar end time, exchange local",
    (SYMBOL, Column("ts", pa.timestamp("s"), False, "bar end time"), *OHLC, VOLUME, AMOUNT),
    key=("symbol", "ts"), time_column="ts", partition="year_month")
BARS_5M = Dataset(
    "bars_5m", "5-minute bars as a source delivered them (e.g. 通达信 .lc5); ts = bar end time, exchange local",
    (SYMBOL, Column("ts", pa.timestamp("s"), False, "bar end time"), *OHLC, VOLUME, AMOUNT),
    key=("symbol", "ts"), time_column="ts", partition="year_month")
ADJ_FACTORS = Dataset(
    "adj_factors", "Cumulative back-adjustment factors (复权因子) at each ex-date; hfq = raw × factor",
    (SYMBOL, DATE, Column("factor", F64, False)), key=("symbol", "date"), partition="none")
INSTRUMENTS = Dataset(
    "instruments", "Instruments: stocks, indices, ETFs, futures with board/exchange/ST/listing dates",
    (SYMBOL, Column("code", pa.string(), False), Column("exchange", pa.string(), False),
     Column("name", pa.string(), True), Column("kind", pa.string(), False),
     Column("board", pa.string(), False), Column("list_date", pa.date32(), True),
     Column("delist_date", pa.date32(), True), Column("is_st", pa.bool_(), False)),
    key=("symbol",), time_column=None, partition="none")
VALUATION_1D = Dataset(
    "valuation_1d", "Daily valuation ratios (估值): PE TTM, PB MRQ, PS TTM, PCF TTM; PE 动态 from the eastmoney "
    "snapshot",
    (SYMBOL, DATE, Column("pe_ttm", F64), Column("pb_mrq", F64, True, "市净率: price / latest book value per share"),
     Column("ps_ttm", F64), Column("pcf_ttm", F64),
     Column("pe_dynamic", F64, True, "市盈率-动态 (eastmoney f9): price / annualised latest-report EPS — not TTM")),
    key=("symbol", "date"))

FUND_NAV = Dataset(
    "fund_nav", "Open-end fund net asset value (基金净值) per publication date; symbol CODE.OF (场外基金, "
    "e.g. 161725.OF) so a fund code never clashes with a 6-digit stock code",
    (Column("symbol", pa.string(), False, "CODE.OF, e.g. 161725.OF (OF = open-end fund, Wind's convention)"),
     DATE, Column("nav", F64, False, "单位净值 (CNY per unit)"),
     Column("acc_nav", F64, True, "累计净值 (NAV plus distributions paid)"),
     Column("daily_return_pct", F64, True, "日增长率 % as published")),
    key=("symbol", "date"))
FUNDAMENTALS = Dataset(
    "fundamentals", "Financial indicators per report period (财务指标), long format: one row per "
    "(symbol, report_date, indicator); asof = the day the value was first fetched (the publication date is "
    "not given by the source, so asof is the earliest point-in-time safe date we know)",
    (SYMBOL, Column("report_date", pa.date32(), False, "报告期 end, e.g. 2024-03-31"),
     Column("indicator", pa.string(), False, "indicator name as published, e.g. 净资产收益率(ROE)"),
     Column("category", pa.string(), True, "选项 group: 常用指标, 每股指标, 盈利能力, 成长能力, …"),
     Column("value", F64, True, "numeric value in the source's unit (元 or %)"),
     Column("asof", pa.date32(), False, "first fetched on (point-in-time upper bound of availability)"),
     Column("source", pa.string(), False, "e.g. sina:stock_financial_abstract")),
    key=("symbol", "report_date", "indicator"), time_column="report_date", partition="none")

DATASETS: dict[str, Dataset] = {d.name: d for d in (
    BARS_1D, INDEX_1D, ETF_1D, FUTURES_1D, BARS_1M, BARS_5M, ADJ_FACTORS, INSTRUMENTS, VALUATION_1D, FUND_NAV,
    FUNDAMENTALS)}
DAILY_BY_KIND: dict[str, Dataset] = {"stock": BARS_1D, "index": INDEX_1D, "etf": ETF_1D,
                                     "futures": FUTURES_1D}

# Embedded sample (data/sample/*.parquet) → dataset it loads into.
SAMPLE_FILES: dict[str, str] = {
    "instruments.parquet": "instruments", "stock_1d.parquet": "bars_1d", "index_1d.parquet": "index_1d",
    "etf_1d.parquet": "etf_1d", "futures_1d.parquet": "futures_1d", "minute_1m.parquet": "bars_1m",
    "adj_factors.parquet": "adj_factors", "valuation_1d.parquet": "valuation_1d",
}


def get(name: str) -> Dataset:
    from ..core.errors import NotFound

    try:
        return DATASETS[name]
    except KeyError:
        raise NotFound(f"未知数据集 {name!r} (unknown dataset)", f"可用: {', '.join(DATASETS)}") from None
