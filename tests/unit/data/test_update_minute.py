"""1-minute bars through akshare's real ``stock_zh_a_hist_min_em`` (eastmoney trends2, 5-day window):
each update appends, so the store keeps history beyond the upstream window."""

from __future__ import annotations

import datetime as dt

from jupyterlab_quant.data.store import MarketStore


def _minutes(store: MarketStore, symbol: str):
    t = store.read("bars_1m").to_pandas()
    return t[t["symbol"] == symbol].sort_values("ts").reset_index(drop=True)


def test_minute_updates_accumulate_beyond_the_five_day_window(replay, make_updater) -> None:
    replay.minute_day = dt.date(2020, 7, 8)
    upd = make_updater(now=dt.datetime(2020, 7, 8, 16, 0))
    rep = upd.update_minute(["600519.SH"])
    assert rep.fetched == 1 and not rep.failures
    first = _minutes(upd.store, "600519.SH")
    days = sorted({t.date() for t in first["ts"]})
    assert days == [dt.date(2020, 7, d) for d in (2, 3, 6, 7, 8)] and len(first) == 5 * 240
    # upstream shows open = 0 on earlier days of the window; the stored bars never have a zero open
    assert (first["open"] > 0).all() and (first["high"] >= first[["open", "close"]].max(axis=1)).all()
    assert first["volume"].min() >= 0 and first["volume"].max() % 100 == 0   # 手 → shares

    replay.hits.clear()
    again = upd.update_minute(["600519.SH"])
    assert again.up_to_date == 1 and replay.count(path="trends2") == 0

    replay.minute_day = dt.date(2020, 7, 15)
    later = make_updater(now=dt.datetime(2020, 7, 15, 16, 0))
    rep2 = later.update_minute(["600519.SH"])
    assert rep2.fetched == 1 and replay.count(path="trends2") == 1
    stored = _minutes(later.store, "600519.SH")
    days = sorted({t.date() for t in stored["ts"]})
    assert len(days) == 10 and days[0] == dt.date(2020, 7, 2) and days[-1] == dt.date(2020, 7, 15)
    assert len(stored) == 10 * 240 and stored["ts"].is_unique
    # rows from the first run are kept unchanged
    assert stored.iloc[: len(first)]["close"].tolist() == first["close"].tolist()
    # and the query service serves them, also as 5-minute bars
    from jupyterlab_quant.data.query import QueryService

    q = QueryService(later.store)
    assert len(q.bars("600519.SH", "2020-07-02", "2020-07-15", freq="1m")) == 2400
    assert len(q.bars("600519.SH", "2020-07-15", "2020-07-15", freq="5m")) == 48
