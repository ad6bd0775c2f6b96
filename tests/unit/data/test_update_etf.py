"""ETF daily bars through akshare's real ``fund_etf_hist_em`` (eastmoney kline, 3-decimal prices)."""

from __future__ import annotations

import datetime as dt


def test_etf_daily_update_keeps_three_decimals_and_shares(replay, make_updater) -> None:
    upd = make_updater()
    rep = upd.update_daily(["510300.SH"], kind="etf", start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 29))
    assert rep.fetched == 1 and not rep.failures and rep.rows == 58
    assert replay.count(path="kline") == 1            # one request: ETFs need no hfq call here
    got = upd.store.read("etf_1d").to_pandas()
    src = replay.data.etf
    src = src[(src.symbol == "510300.SH") & (src.date >= dt.date(2024, 1, 1)) & (src.date <= dt.date(2024, 3, 29))]
    merged = got.merge(src, on=["symbol", "date"], suffixes=("", "_src"))
    assert len(merged) == len(got) == len(src) == 58
    assert (merged["close"] - merged["close_src"].round(3)).abs().max() < 1e-9
    assert (merged["volume"] - merged["volume_src"]).abs().max() <= 50   # 手 → shares
    again = upd.update_daily(["510300.SH"], kind="etf", start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 29))
    assert again.fetched == 0 and again.up_to_date == 1
