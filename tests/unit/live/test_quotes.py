"""Quote feeds: the replay of stored bars and the akshare realtime snapshot (akshare's own parsing against
the local replay of eastmoney's clist API); the watchlist file."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from jupyterlab_quant.core.errors import InvalidInput
from jupyterlab_quant.data.quotes import LiveQuoteFeed, ReplayQuoteFeed
from jupyterlab_quant.data.watchlist import Watchlist


def test_replay_daily_plays_each_day_as_four_ticks(sample_services) -> None:
    feed = ReplayQuoteFeed(sample_services.query, start="2024-06-03", end="2024-06-05")
    ticks = [feed.poll(["600519.SH"])[0] for _ in range(4)]
    bar = sample_services.query.bars("600519.SH", "2024-06-03", "2024-06-03").iloc[0]
    assert [t.time.time() for t in ticks] == [dt.time(9, 30), dt.time(10, 30), dt.time(13, 30), dt.time(15, 0)]
    assert ticks[0].price == pytest.approx(bar["open"]) and ticks[-1].price == pytest.approx(bar["close"])
    assert sorted([ticks[1].price, ticks[2].price]) == pytest.approx(sorted([bar["high"], bar["low"]]))
    assert all(t.preclose == pytest.approx(bar["preclose"]) for t in ticks)
    assert ticks[-1].high == pytest.approx(bar["high"]) and ticks[-1].low == pytest.approx(bar["low"])
    assert ticks[-1].volume == int(bar["volume"]) and ticks[0].name == "贵州茅台"
    nxt = feed.poll(["600519.SH"])[0]
    assert nxt.time.date() == dt.date(2024, 6, 4)
    # the end loops back to the start
    for _ in range(7):
        last = feed.poll(["600519.SH"])[0]
    assert last.time.date() == dt.date(2024, 6, 5) and last.time.time() == dt.time(15, 0)
    assert feed.poll(["600519.SH"])[0].time.date() == dt.date(2024, 6, 3)


def test_replay_suspension_is_a_nan_quote(sample_services) -> None:
    # 000568.SZ was suspended on 2016-04-20 (golden fact used by the backtest tests too)
    feed = ReplayQuoteFeed(sample_services.query, start="2016-04-20", end="2016-04-20")
    quotes = {q.symbol: q for q in feed.poll(["000568.SZ", "600519.SH"])}
    assert quotes["000568.SZ"].suspended and math.isnan(quotes["000568.SZ"].pct)
    assert not quotes["600519.SH"].suspended


def test_replay_minutes_and_unknown_symbols(sample_services) -> None:
    feed = ReplayQuoteFeed(sample_services.query, freq="1m", start="2020-07-02", end="2020-07-02")
    first = feed.poll(["000001.SH", "999999.SH"])
    assert [q.symbol for q in first] == ["000001.SH"]  # an unknown symbol just does not tick
    assert first[0].time == dt.datetime(2020, 7, 2, 9, 31)
    prev_close = sample_services.query.bars("000001.SH", "2020-07-01", "2020-07-01", freq="1m").iloc[-1]["close"]
    assert first[0].preclose == pytest.approx(prev_close) or math.isnan(first[0].preclose)
    with pytest.raises(InvalidInput):
        ReplayQuoteFeed(sample_services.query, freq="5m")


def test_live_feed_polls_snapshot_once_for_all_symbols(replay, tmp_path: Path) -> None:
    from jupyterlab_quant.data.fetch import Fetcher, FetchPolicy, StateDB

    fetcher = Fetcher(StateDB(tmp_path / "sources.db"), FetchPolicy(timeout_s=2.0))
    now = dt.datetime(2024, 6, 28, 10, 0)
    feed = LiveQuoteFeed(fetcher, clock=lambda: now)
    replay.spot_symbols = ["600519.SH", "000001.SZ", "300750.SZ"]
    before = replay.count(path="/api/qt/clist/get")
    quotes = {q.symbol: q for q in feed.poll(["600519.SH", "300750.SZ"])}
    assert set(quotes) == {"600519.SH", "300750.SZ"}
    assert replay.count(path="/api/qt/clist/get") - before >= 1
    q = quotes["600519.SH"]
    assert q.time == now and q.price > 0 and q.preclose > 0 and q.name
    assert feed.active(dt.datetime(2024, 6, 28, 10, 0)) and not feed.active(dt.datetime(2024, 6, 28, 12, 0))
    assert not feed.active(dt.datetime(2024, 6, 29, 10, 0))  # Saturday


def test_watchlist_normalises_and_rejects_bad_entries(tmp_path: Path) -> None:
    wl = Watchlist(tmp_path)
    assert "600519.SH" in wl.symbols()  # default before the first save
    assert wl.save(["600519", "000001.SZ", "600519.SH"]) == ["600519.SH", "000001.SZ"]
    before = wl.path.read_bytes()
    with pytest.raises(InvalidInput) as err:
        wl.save(["600519.SH", "not-a-code"])
    assert "symbols[1]" in err.value.message
    assert wl.path.read_bytes() == before  # nothing lost
    wl.path.write_text("{broken", encoding="utf-8")
    with pytest.raises(InvalidInput) as err2:
        wl.symbols()
    assert str(wl.path) in err2.value.message
    assert json.loads(before)["symbols"] == ["600519.SH", "000001.SZ"]
