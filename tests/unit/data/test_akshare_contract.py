"""Contract: the akshare version is pinned and its output column sets for the functions we use are these.

akshare renames columns between releases (../reference/akshare.md §6); this test fails first when an
upgrade changes a shape the adapters depend on. It runs akshare's real parsing against the replay server.
"""

from __future__ import annotations

import akshare as ak

CONTRACT = {
    "stock_zh_a_hist": ["日期", "股票代码", "开盘", "收盘", "最高", "最低", "成交量", "成交额", "振幅", "涨跌幅",
                        "涨跌额", "换手率"],
    "fund_etf_hist_em": ["日期", "开盘", "收盘", "最高", "最低", "成交量", "成交额", "振幅", "涨跌幅", "涨跌额",
                         "换手率"],
    "stock_zh_index_daily_em": ["date", "open", "close", "high", "low", "volume", "amount"],
    "stock_zh_a_spot_em": ["序号", "代码", "名称", "最新价", "涨跌幅", "涨跌额", "成交量", "成交额", "振幅", "最高",
                           "最低", "今开", "昨收", "量比", "换手率", "市盈率-动态", "市净率", "总市值", "流通市值",
                           "涨速", "5分钟涨跌", "60日涨跌幅", "年初至今涨跌幅"],
    "stock_zh_a_daily": ["date", "open", "high", "low", "close", "volume", "amount", "outstanding_share",
                         "turnover"],
    "stock_zh_a_daily_hfq_factor": ["date", "hfq_factor"],
    "stock_zh_index_daily": ["date", "open", "high", "low", "close", "volume", "amount"],
    "futures_zh_daily_sina": ["date", "open", "high", "low", "close", "volume", "hold", "settle"],
    "stock_zh_a_hist_tx": ["date", "open", "close", "high", "low", "volume", "turnover", "amount"],
    "fund_open_fund_info_em_nav": ["净值日期", "单位净值", "日增长率"],
    "fund_open_fund_info_em_acc": ["净值日期", "累计净值"],
    # wide: 选项, 指标, then one "YYYYMMDD" column per report period (checked separately below)
    "stock_financial_abstract": ["选项", "指标"],
    "tool_trade_date_hist_sina": ["trade_date"],
}


def test_pinned_version() -> None:
    assert ak.__version__ == "1.19.5"


def test_column_sets(replay) -> None:
    got = {
        "stock_zh_a_hist": ak.stock_zh_a_hist("600519", start_date="20240603", end_date="20240628", timeout=5),
        "stock_zh_index_daily_em": ak.stock_zh_index_daily_em("sh000300", start_date="20240603",
                                                              end_date="20240628"),
        "stock_zh_a_spot_em": ak.stock_zh_a_spot_em(),
        "stock_zh_a_daily": ak.stock_zh_a_daily("sh600519"),
        "stock_zh_a_daily_hfq_factor": ak.stock_zh_a_daily("sh600519", adjust="hfq-factor"),
        "stock_zh_index_daily": ak.stock_zh_index_daily("sh000300"),
        "futures_zh_daily_sina": ak.futures_zh_daily_sina("RB0"),
        "stock_zh_a_hist_tx": ak.stock_zh_a_hist_tx("sz000001", start_date="2024-06-03", end_date="2024-06-28"),
        "fund_open_fund_info_em_nav": ak.fund_open_fund_info_em("510300", indicator="单位净值走势"),
        "fund_open_fund_info_em_acc": ak.fund_open_fund_info_em("510300", indicator="累计净值走势"),
        "stock_financial_abstract": ak.stock_financial_abstract("600519"),
        "tool_trade_date_hist_sina": ak.tool_trade_date_hist_sina(),
    }
    fin = got["stock_financial_abstract"]
    assert all(len(str(c)) == 8 and str(c).isdigit() for c in fin.columns[2:])
    got["stock_financial_abstract"] = fin.iloc[:, :2]
    for name, df in got.items():
        assert list(df.columns) == CONTRACT[name], name
        assert len(df) > 0, name
    # every spot row in the replay carries exactly the 31 keys akshare assigns positionally
    assert got["stock_zh_a_spot_em"]["代码"].str.len().eq(6).all()
