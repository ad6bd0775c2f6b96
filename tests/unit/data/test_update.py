"""`jlq data update` through akshare's real parsing code against the local replay server."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jupyterlab_quant.cli import main
from jupyterlab_quant.core.errors import SourceFormatError, SourceUnavailable, UnknownSymbol
from jupyterlab_quant.data.store import MarketStore
from tests.replay.server import Fault, ReplayData

SYMS = "600519.SH,000001.SZ"


def jlq_inproc(home: Path, *args: str) -> int:
    return main(["--home", str(home), *args])


def sources_table(home: Path) -> list[dict]:
    """`jlq data sources` in ANOTHER process: health is shared through SQLite."""
    r = subprocess.run([sys.executable, "-m", "jupyterlab_quant", "--home", str(home), "data", "sources",
                        "--format", "json"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.fixture
def cli_now(monkeypatch):
    import jupyterlab_quant.data.update as upd

    monkeypatch.setattr(upd, "_today_shanghai", lambda: dt.datetime(2024, 7, 1, 9, 0))


def _sample(symbol: str, a: str, b: str) -> pd.DataFrame:
    d = ReplayData().stock
    d = d[(d.symbol == symbol) & (d.trade_status == 1)]
    return d[(d.date >= dt.date.fromisoformat(a)) & (d.date <= dt.date.fromisoformat(b))].reset_index(drop=True)


def test_done_when_fill_then_nothing_to_fetch(replay, home: Path, cli_now, capsys) -> None:
    rc = jlq_inproc(home, "data", "update", "--symbols", SYMS, "--start", "2024-01-01", "--end", "2024-06-30",
                    "--quiet")
    out = capsys.readouterr().out
    assert rc == 0, out
    assert replay.history_requests() == 4          # 2 symbols × (unadjusted + hfq)
    hits = [h for h in replay.hits if "kline" in h.path]
    assert {h.params["secid"] for h in hits} == {"1.600519", "0.000001"}
    assert {h.params["fqt"] for h in hits} == {"0", "2"}
    assert {(h.params["beg"], h.params["end"]) for h in hits} == {("20240101", "20240628")}
    store = MarketStore(home / "store")
    bars = store.read("bars_1d").to_pandas()
    for sym in SYMS.split(","):
        got = bars[bars.symbol == sym].reset_index(drop=True)
        want = _sample(sym, "2024-01-01", "2024-06-30")
        assert len(got) == len(want) > 100
        assert (got["close"].to_numpy() == want["close"].to_numpy()).all()
        assert (got["preclose"].round(2).to_numpy() == want["preclose"].round(2).to_numpy()).all()
        # eastmoney volume is in lots: stored as shares, within one lot of the exchange figure
        assert (abs(got["volume"].to_numpy() - want["volume"].to_numpy()) <= 50).all()
    # factors: one row at the first date plus each ex-date inside the range, equal to the reference factors
    f = store.read("adj_factors").to_pandas()
    f600519 = f[f.symbol == "600519.SH"].sort_values("date")
    assert [str(d) for d in f600519["date"]] == ["2024-01-02", "2024-06-19"]
    assert f600519["factor"].iloc[1] == pytest.approx(4.181905, rel=2e-5)
    f000001 = f[f.symbol == "000001.SZ"].sort_values("date")
    assert [str(d) for d in f000001["date"]] == ["2024-01-02", "2024-06-14"]
    # second run: nothing to fetch
    replay.hits.clear()
    rc = jlq_inproc(home, "data", "update", "--symbols", SYMS, "--start", "2024-01-01", "--end", "2024-06-30",
                    "--quiet")
    assert rc == 0 and replay.history_requests() == 0
    assert "已是最新 2" in capsys.readouterr().out


def test_incremental_appends_only_new_days_and_keeps_factor_base(replay, make_updater) -> None:
    upd = make_updater()
    upd.update_daily(["600519.SH"], start=dt.date(2024, 1, 1), end=dt.date(2024, 5, 31))
    replay.hits.clear()
    rep = upd.update_daily(["600519.SH"], end=dt.date(2024, 6, 28))
    begs = {(h.params["beg"], h.params["end"]) for h in replay.hits if "kline" in h.path}
    assert begs == {("20240603", "20240628")} and rep.rows == 19   # 06-10 端午
    f = upd.store.read("adj_factors").to_pandas().sort_values("date")
    assert [str(d) for d in f["date"]] == ["2024-01-02", "2024-06-19"]   # no duplicate base row on append


def test_ban_fails_over_to_sina_and_sources_says_so(replay, make_updater, home: Path) -> None:
    replay.faults.append(Fault("reset", host="eastmoney.com"))
    upd = make_updater(threshold=2)
    rep = upd.update_daily(["600519.SH", "000001.SZ", "600036.SH"], start=dt.date(2024, 1, 1),
                           end=dt.date(2024, 6, 28))
    assert not rep.failures and rep.source_calls == {"sina": 3}
    # eastmoney: 3 tries for each of the first 2 symbols, then the breaker opened: no more requests
    assert replay.count(host="eastmoney.com") == 6
    assert [f[:2] for f in rep.failovers] == [("600519.SH", "eastmoney"), ("000001.SZ", "eastmoney"),
                                              ("600036.SH", "eastmoney")]
    assert "熔断" in rep.failovers[2][2] and "fail-over" in rep.summary()
    bars = upd.store.read("bars_1d").to_pandas()
    got = bars[bars.symbol == "600519.SH"].reset_index(drop=True)
    want = _sample("600519.SH", "2024-01-01", "2024-06-28")
    assert (got["volume"].to_numpy() == want["volume"].to_numpy()).all()       # Sina: shares, exact
    assert (got["preclose"].round(2) == want["preclose"].round(2)).all()       # from the factor step
    f = upd.store.read("adj_factors").to_pandas()
    f = f[f.symbol == "600519.SH"].sort_values("date")
    assert [str(d) for d in f["date"]] == ["2024-01-02", "2024-06-19"]
    assert f["factor"].iloc[1] / f["factor"].iloc[0] == pytest.approx(4.181905 / 4.097030, rel=1e-5)
    health = {r["source"]: r for r in sources_table(home)}
    assert health["eastmoney"]["state"] == "open" and health["eastmoney"]["failures"] == 2
    assert "连接被重置" in health["eastmoney"]["last_error"]
    assert health["sina"]["state"] == "closed" and health["sina"]["successes"] == 6


def test_all_sources_failing_keeps_cache_and_reports(replay, make_updater) -> None:
    upd = make_updater()
    upd.update_daily(["600519.SH"], start=dt.date(2024, 1, 1), end=dt.date(2024, 5, 31))
    before = upd.store.manifest("bars_1d").version
    replay.faults.append(Fault("reset"))
    rep = upd.update_daily(["600519.SH"], end=dt.date(2024, 6, 28))
    err = rep.failures["600519.SH"]
    assert isinstance(err, SourceUnavailable) and "所有数据源均失败" in err.message
    assert "本地缓存" in rep.summary() and upd.store.manifest("bars_1d").version == before


def test_interrupted_update_resumes_without_refetching(replay, make_updater) -> None:
    upd = make_updater(batch=1)
    syms = ["600519.SH", "000001.SZ", "600036.SH"]

    def stop_after_first(ev) -> None:
        if ev.done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        upd.update_daily(syms, start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 28), progress=stop_after_first)
    assert replay.history_requests() == 2
    replay.hits.clear()
    rep = upd.update_daily(syms, start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 28))
    assert replay.history_requests() == 4 and rep.up_to_date == 1 and rep.fetched == 2
    assert {h.params["secid"] for h in replay.hits} == {"0.000001", "1.600036"}


def test_5xx_is_retried_then_succeeds(replay, make_updater) -> None:
    replay.faults.append(Fault("500", path="kline", times=1))
    rep = make_updater().update_daily(["600519.SH"], start=dt.date(2024, 6, 1), end=dt.date(2024, 6, 28))
    assert not rep.failures and replay.history_requests() == 3 and rep.source_calls == {"eastmoney": 1}


def test_slow_response_hits_timeout_and_retries(replay, make_updater) -> None:
    replay.faults.append(Fault("slow", path="kline", times=1, delay_s=1.5))
    rep = make_updater(timeout_s=0.3).update_daily(["600519.SH"], start=dt.date(2024, 6, 1),
                                                   end=dt.date(2024, 6, 28))
    # the slow reply is logged by the server only when it finishes: count on the client side
    assert not rep.failures and rep.http_requests == {"push2his.eastmoney.com": 3}
    import threading

    for _ in range(40):   # let the slow reply finish so it is not logged into the next test
        if replay.history_requests() == 3:
            break
        threading.Event().wait(0.1)


def test_captcha_page_is_not_retried_and_fails_over(replay, make_updater) -> None:
    replay.faults.append(Fault("captcha", host="eastmoney.com"))
    rep = make_updater().update_daily(["600519.SH"], start=dt.date(2024, 6, 1), end=dt.date(2024, 6, 28))
    assert replay.count(host="eastmoney.com") == 1           # no retry on a captcha page
    assert rep.source_calls == {"sina": 1} and "验证码" in rep.failovers[0][2]


def test_changed_kline_shape_names_source_and_function(replay, make_updater) -> None:
    replay.faults.append(Fault("extra_field", path="kline"))
    rep = make_updater().update_daily(["600519.SH"], start=dt.date(2024, 6, 1), end=dt.date(2024, 6, 28),
                                      source="akshare")
    msg = rep.failovers[0][2]
    assert "eastmoney" in msg and "stock_zh_a_hist" in msg and "无法解析" in msg
    assert replay.count(host="eastmoney.com") == 1


def test_renamed_column_error_names_source_and_column(replay) -> None:
    import akshare as ak

    from jupyterlab_quant.data.sources.akshare_em import EastmoneySource

    raw = ak.stock_zh_a_hist("600519", start_date="20240603", end_date="20240628", timeout=5)
    with pytest.raises(SourceFormatError) as e:
        EastmoneySource.normalise_hist(raw.rename(columns={"涨跌额": "涨跌"}), "600519.SH")
    assert "eastmoney" in e.value.message and "涨跌额" in e.value.message and "stock_zh_a_hist" in e.value.message


def test_lots_vs_shares_guard(replay) -> None:
    import akshare as ak

    from jupyterlab_quant.data.sources.base import check_volume_units

    raw = ak.stock_zh_a_hist("600519", start_date="20240603", end_date="20240628", timeout=5)
    from jupyterlab_quant.data.sources.akshare_em import EastmoneySource

    good = EastmoneySource.normalise_hist(raw, "600519.SH")
    check_volume_units(good, "eastmoney", "stock_zh_a_hist", "600519.SH")
    with pytest.raises(SourceFormatError, match="lots vs shares"):
        check_volume_units(good.assign(volume=good["volume"] // 100), "eastmoney", "stock_zh_a_hist", "600519.SH")


def test_unknown_symbol_is_a_clear_error(replay, home: Path, cli_now, capsys) -> None:
    rc = jlq_inproc(home, "data", "update", "--symbols", "600000.SH", "--start", "2024-06-01", "--quiet")
    out = capsys.readouterr().out
    assert rc == 3 and "600000.SH" in out and "unknown, delisted" in out
    assert MarketStore(home / "store").manifest("bars_1d").version == 0


def test_suspension_gap_is_not_refetched(replay, make_updater) -> None:
    # 000408.SZ is suspended on some days: eastmoney omits them; coverage makes them known gaps
    upd = make_updater()
    upd.update_daily(["600519.SH"], start=dt.date(2024, 6, 3), end=dt.date(2024, 6, 21))
    replay.hits.clear()
    replay.faults.append(Fault("empty", path="kline"))
    rep = upd.update_daily(["600519.SH"], end=dt.date(2024, 6, 28))
    assert rep.empty == ["600519.SH"] and replay.history_requests() == 1
    replay.hits.clear()
    rep = upd.update_daily(["600519.SH"], end=dt.date(2024, 6, 28))
    assert replay.history_requests() == 0 and rep.up_to_date == 1


def test_snapshot_updates_whole_market_with_pagination(replay, make_updater) -> None:
    upd = make_updater()
    upd.update_daily(["600519.SH", "000001.SZ"], start=dt.date(2024, 6, 3), end=dt.date(2024, 6, 27))
    replay.page_size = 20
    replay.hits.clear()
    rep = upd.update_snapshot()
    pages = [h for h in replay.hits if "clist" in h.path]
    assert [h.params["pn"] for h in pages] == ["1", "2", "3", "4"] and replay.history_requests() == 0
    assert rep.rows == 2 + (rep.planned - 2 - len(rep.needs_backfill) - rep.up_to_date)
    bars = upd.store.read("bars_1d").to_pandas()
    day = bars[bars.date == dt.date(2024, 6, 28)].set_index("symbol")
    want = _sample("600519.SH", "2024-06-28", "2024-06-28").iloc[0]
    assert day.loc["600519.SH", "close"] == want["close"] and day.loc["600519.SH", "preclose"] == want["preclose"]
    assert abs(day.loc["600519.SH", "volume"] - want["volume"]) <= 50
    assert "600036.SH" not in rep.needs_backfill or "600036.SH" not in day.index
    replay.hits.clear()
    again = upd.update_snapshot()
    assert again.rows == 0 and again.up_to_date >= 2


def test_index_etf_futures(replay, make_updater) -> None:
    upd = make_updater()
    rep = upd.update_daily(["000300.SH"], kind="index", start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 28))
    assert rep.rows > 100 and rep.source_calls == {"eastmoney": 1}
    rep = upd.update_daily(["RB0.SHFE"], kind="futures", start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 28))
    assert rep.rows > 100 and rep.source_calls == {"sina": 1}
    fut = upd.store.read("futures_1d").to_pandas()
    assert fut["open_interest"].notna().all()
    idx = upd.store.read("index_1d").to_pandas()
    want = ReplayData().index
    want = want[(want.symbol == "000300.SH") & (want.date == dt.date(2024, 1, 2))].iloc[0]
    assert abs(idx.iloc[0]["volume"] - want["volume"]) <= 50


def test_bad_inputs(replay, make_updater) -> None:
    from jupyterlab_quant.core.errors import InvalidInput

    upd = make_updater()
    with pytest.raises(InvalidInput, match="tencent"):
        upd.update_daily(["000300.SH"], kind="index", start=dt.date(2024, 6, 1), source="tencent")
    with pytest.raises(InvalidInput, match="start after"):
        upd.update_daily(["600519.SH"], start=dt.date(2030, 1, 1), end=dt.date(2030, 2, 1))
    assert UnknownSymbol.code == "unknown_symbol"
