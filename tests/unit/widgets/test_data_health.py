"""Data health dashboard over real stores: the embedded sample, a store written with planted missing days,
an empty one, and source health recorded through the real Fetcher/StateDB; the cached `jlq data check`
findings (data.quality.cached_checks) reused while the store is unchanged and recomputed after real writes."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from jupyterlab_quant.app import Services
from jupyterlab_quant.cli import main
from jupyterlab_quant.core.errors import SourceFormatError
from jupyterlab_quant.core.settings import Settings
from jupyterlab_quant.data.calendar_store import load_calendar
from jupyterlab_quant.data.fetch import Fetcher, FetchPolicy, StateDB
from jupyterlab_quant.data.ingest import sample_dir
from jupyterlab_quant.data.quality import CACHE_FILE, cached_checks, run_checks
from jupyterlab_quant.data.store import MarketStore
from jupyterlab_quant.widgets.data_health import DataHealthDashboard
from tests.unit.widgets.helpers import page_text

SYMBOLS = ["600519.SH", "000001.SZ", "600900.SH"]   # 600900.SH's source records suspensions as rows


def table_rows(text: str, key: str) -> list[str]:
    m = re.search(rf'<table class="jlq-table" data-key="{key}">.*?<tbody>(.*?)</tbody>', text, re.S)
    assert m, f"no table {key}"
    return re.findall(r"<tr>(.*?)</tr>", m.group(1), re.S)


def services(home: Path) -> Services:
    return Services.from_settings(Settings.from_env(home))


def write_bars(home: Path, year: int, drop_all: list[dt.date], drop: dict[str, list[dt.date]]) -> None:
    """Sample bars of SYMBOLS for one year, without ``drop_all`` days (every symbol) and ``drop`` days (one
    symbol), written through the store's own API with their factors and instruments."""
    src = sample_dir()
    store = MarketStore(home / "store")
    bars = pd.read_parquet(src / "stock_1d.parquet")
    bars = bars[bars["symbol"].isin(SYMBOLS) & (pd.to_datetime(bars["date"]).dt.year == year)]
    keep = ~bars["date"].isin(drop_all)
    for sym, days in drop.items():
        keep &= ~((bars["symbol"] == sym) & bars["date"].isin(days))
    store.write("bars_1d", bars[keep].reset_index(drop=True))
    factors = pd.read_parquet(src / "adj_factors.parquet")
    store.write("adj_factors", factors[factors["symbol"].isin(SYMBOLS)])
    inst = pd.read_parquet(src / "instruments.parquet")
    store.write("instruments", inst[inst["symbol"].isin(SYMBOLS)])


@pytest.fixture(scope="module")
def sample_dash(sample_home: Path) -> DataHealthDashboard:
    return DataHealthDashboard(services(sample_home))


@pytest.fixture(scope="module")
def gap_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dt.date, dt.date]:
    """2021 bars with one trading day removed for every symbol and another for 600900.SH only."""
    home = tmp_path_factory.mktemp("gaps")
    hole, own = dt.date(2021, 6, 15), dt.date(2021, 9, 6)
    write_bars(home, 2021, [hole], {"600900.SH": [own]})
    return home, hole, own


def test_datasets_table_lists_every_dataset_of_coverage(sample_dash: DataHealthDashboard,
                                                         sample_home: Path) -> None:
    d = sample_dash
    text = page_text(d)
    coverage = d.services.query.coverage()
    rows = table_rows(text, "datasets")
    assert len(rows) == len(coverage) == len(d.datasets)
    info = {r["dataset"]: r for r in d.services.store.info()}
    for row, (name, n, first, last) in zip(rows, coverage, strict=True):
        assert re.match(rf'<td( class="muted")?>{name}<br>', row) and f"{n:,}" in row  # empty ones muted
        if n:
            assert f">{info[name]['files']}<" in row
        if first and last:
            assert first in row and last in row
    assert 'class="jlq-ready" data-dashboard="data_health"' in text and "Traceback" not in text
    assert "数据仓库为空" not in text


@pytest.mark.parametrize("dataset", ["bars_1d", "futures_1d"])
def test_dataset_coverage_matches_an_independent_count(sample_dash: DataHealthDashboard, sample_home: Path,
                                                       dataset: str) -> None:
    q = sample_dash.services.query
    cal = load_calendar(sample_home / "state")
    dates = set(pd.to_datetime(q.sql(f"SELECT DISTINCT date FROM {dataset}")["date"]).dt.date)
    trading = cal.between(min(dates), max(dates))
    missing = sorted(set(trading) - dates)
    c = next(c for c in sample_dash.coverage if c.dataset == dataset)
    assert (c.first, c.last) == (min(dates), max(dates))
    assert c.trading_days == len(trading) and c.present == len(trading) - len(missing)
    assert c.missing_days == missing and c.missing == len(missing)
    row = next(r for r in table_rows(page_text(sample_dash), "coverage") if r.startswith(f"<td>{dataset}<br>"))
    assert f"{len(trading):,}" in row and f"{c.present / len(trading) * 100:.2f}%" in row
    if missing:  # the sample's futures have no bar at all between IF0's last day and the 2023 contracts
        assert missing[0].isoformat() in row


def test_symbol_coverage_matches_an_independent_count(sample_dash: DataHealthDashboard, sample_home: Path) -> None:
    q = sample_dash.services.query
    cal = load_calendar(sample_home / "state")
    per = sample_dash.symbols.set_index(["dataset", "symbol"])
    for dataset, symbol in (("etf_1d", "510500.SH"), ("bars_1d", "600519.SH")):
        dates = set(pd.to_datetime(q.sql(f"SELECT date FROM {dataset} WHERE symbol = ?", [symbol])["date"]).dt.date)
        trading = cal.between(min(dates), max(dates))
        row = per.loc[(dataset, symbol)]
        assert row["trading_days"] == len(trading) and row["present"] == len(set(trading) & dates)
        assert row["missing"] == len(set(trading) - dates)
    lowest = table_rows(page_text(sample_dash), "lowest")
    assert 0 < len(lowest) <= 10 and "510500.SH" in lowest[0]


def test_problems_are_what_jlq_data_check_reports(sample_dash: DataHealthDashboard, sample_home: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    main(["--home", str(sample_home), "data", "check", "--json"])
    cli = json.loads(capsys.readouterr().out)["findings"]
    assert sorted((f.symbol, f.date, f.check, f.severity) for f in sample_dash.findings) == \
        sorted((f["symbol"], f["date"], f["check"], f["severity"]) for f in cli)
    text = page_text(sample_dash)
    counts = table_rows(text, "problem-counts")
    for check in {f["check"] for f in cli}:
        errors = sum(f["check"] == check and f["severity"] == "error" for f in cli)
        warnings = sum(f["check"] == check and f["severity"] == "warning" for f in cli)
        row = next(r for r in counts if f">{check}<" in r)
        assert re.findall(r'<td class="num[^"]*">(\d+)</td>', row) == [str(errors), str(warnings)]
    findings = table_rows(text, "findings")
    assert len(findings) == min(len(cli), 200)
    assert sample_dash.checks_s is not None and sample_dash.checks_s < 30
    print(f"\nrun_checks on the sample store: {sample_dash.checks_s:.2f} s; "
          f"whole refresh {sample_dash.refresh_s:.2f} s")


def test_a_removed_day_shows_as_missing_and_as_a_finding(gap_home) -> None:
    home, hole, own = gap_home
    d = DataHealthDashboard(services(home))
    c = next(c for c in d.coverage if c.dataset == "bars_1d")
    assert c.missing_days == [hole] and c.missing == 1
    text = page_text(d)
    assert hole.isoformat() in next(r for r in table_rows(text, "coverage") if r.startswith("<td>bars_1d<br>"))
    lowest = table_rows(text, "lowest")
    assert len(lowest) == 3 and "600900.SH" in lowest[0] and "<td class=\"num jlq-bad\">2</td>" in lowest[0]
    keys = {(f.symbol, f.date, f.check, f.severity) for f in d.findings}
    assert ("*", hole.isoformat(), "gap", "error") in keys
    assert ("600900.SH", own.isoformat(), "gap", "error") in keys
    findings = "\n".join(table_rows(text, "findings"))
    assert re.search(rf"<td>缺失交易日</td><td>\*<br>.*?</td><td>{hole.isoformat()}</td>", findings)
    assert re.search(rf"<td>缺失交易日</td><td>600900.SH<br>.*?</td><td>{own.isoformat()}</td>", findings)


def test_run_checks_off_and_english(gap_home) -> None:
    home, _, _ = gap_home
    d = DataHealthDashboard(services(home), lang="en", run_checks=False)
    text = page_text(d)
    assert d.findings == [] and d.checks_s is None and "Data checks were not run" in text
    for label in ("Data health", "Datasets", "Coverage vs the trading calendar", "Sources", "Last updates",
                  "Problems (jlq data check)", "Stock daily bars", "Not used yet", "Nothing was ever downloaded"):
        assert label in text, label
    assert d.refresh_button.description == "Refresh"
    for zh in ("数据集", "覆盖率", "数据源", "最近更新", "数据问题", "交易日", "未使用", "股票日线"):
        assert zh not in text, zh   # (instrument names such as 长江电力 are data and stay as they are)
    assert 'data-dashboard="data_health"' in text


def test_empty_store_then_a_failing_source(home: Path) -> None:
    svc = services(home)
    d = DataHealthDashboard(svc)
    text = page_text(d)
    assert "数据仓库为空" in text and "jlq data init-sample" in text and "jlq data update" in text
    assert 'data-key="datasets"' not in text and 'data-key="findings"' not in text
    assert d.overall == "unknown" and "还没有用过任何联网数据源" in text and "从未联网下载过数据" in text
    assert 'data-dashboard="data_health"' in text

    # eastmoney fails once (its breaker opens at once with this policy), sina succeeds; the update log says so
    state = StateDB(home / "state" / "sources.db")
    fetcher = Fetcher(state, FetchPolicy(tries=1, failure_threshold=1, cooldown_s=600))

    def garbage() -> None:
        raise ValueError("bad payload")

    with pytest.raises(SourceFormatError):
        fetcher.call("eastmoney", "stock_zh_a_hist(600519)", garbage)
    assert fetcher.call("sina", "stock_zh_a_daily(sh600519)", lambda: 1) == 1
    state.log("run-1", "bars_1d", "600519.SH", "eastmoney", dt.date(2024, 1, 2), dt.date(2024, 6, 28), 0,
              "failed", "bad payload from eastmoney")
    d.refresh_button.click()
    text = page_text(d)
    assert d.overall == "degraded"
    assert '<span class="jlq-state degraded">部分故障</span>' in text
    sources = table_rows(text, "sources")
    east = next(r for r in sources if "eastmoney" in r)
    assert '<span class="jlq-state open">熔断</span>' in east and "bad payload" in east
    sina = next(r for r in sources if "sina" in r)
    assert '<span class="jlq-state ok">正常</span>' in sina
    assert "还没有用过任何联网数据源" not in text
    updates = table_rows(text, "updates")
    assert len(updates) == 1 and "bars_1d" in updates[0] and "bad payload from eastmoney" in updates[0]
    assert d.updates[0]["last_failed_at"] and d.updates[0]["last_ok_at"] is None


def test_one_broken_part_shows_a_message_in_its_section_only(tmp_path: Path) -> None:
    home = tmp_path / "broken"
    write_bars(home, 2021, [], {})
    (home / "state").mkdir(parents=True)
    (home / "state" / "sources.db").write_bytes(b"this is not a SQLite database" * 100)
    d = DataHealthDashboard(services(home), run_checks=False)
    text = page_text(d)
    assert len(table_rows(text, "datasets")) == len(d.datasets) and d.coverage
    assert text.count('<div class="jlq-message error">') == 2   # sources and last updates
    assert "DatabaseError" in text and "Traceback" not in text


# --- cached checks -------------------------------------------------------------------------------

def _keys(findings: list[Any]) -> list[tuple[Any, ...]]:
    return [(f.symbol, f.date, f.check, f.severity, f.message, f.hint, f.dataset) for f in findings]


def _bad_high(home: Path, symbol: str, day: dt.date) -> None:
    """Upsert one real sample bar of ``symbol`` with its high below its low (an ``ohlc`` error)."""
    bars = pd.read_parquet(sample_dir() / "stock_1d.parquet")
    row = bars[(bars["symbol"] == symbol) & (bars["date"] == day)].copy()
    assert len(row) == 1
    row["high"] = row["low"] - 1.0
    assert MarketStore(home / "store").write("bars_1d", row.reset_index(drop=True)).changed


def test_cached_checks_are_reused_until_a_write_or_a_compaction(tmp_path: Path) -> None:
    home = tmp_path / "cache"
    write_bars(home, 2021, [], {"600900.SH": [dt.date(2021, 9, 6)]})
    state, cache = home / "state", home / "state" / CACHE_FILE
    svc = services(home)

    first = cached_checks(svc.query, state, stale_days=5)
    assert first.kinds == ("stock",) and first.hits == () and cache.exists()
    assert _keys(first.findings) == _keys(run_checks(svc.query, None, "stock", stale_days=5))
    assert ("600900.SH", "2021-09-06", "gap", "error") in {k[:4] for k in _keys(first.findings)}
    stamp = cache.stat().st_mtime_ns

    # a new process (fresh services) with the store unchanged: the stored findings, the file not rewritten
    again = cached_checks(services(home).query, state, stale_days=5)
    assert again.hits == ("stock",) and again.all_cached and _keys(again.findings) == _keys(first.findings)
    assert cache.stat().st_mtime_ns == stamp
    # a write that changes nothing commits no manifest: still a hit
    inst = pd.read_parquet(sample_dir() / "instruments.parquet")
    assert not MarketStore(home / "store").write("instruments", inst[inst["symbol"].isin(SYMBOLS)]).changed
    assert cached_checks(svc.query, state, stale_days=5).hits == ("stock",)
    # other parameters are another key
    assert cached_checks(svc.query, state, stale_days=1).hits == ()

    # new bars written through the store: recomputed, and the new problem is there
    bad = dt.date(2021, 3, 1)
    _bad_high(home, "600519.SH", bad)
    after = cached_checks(svc.query, state, stale_days=5)
    assert after.hits == () and cache.stat().st_mtime_ns != stamp
    assert ("600519.SH", bad.isoformat(), "ohlc", "error") in {k[:4] for k in _keys(after.findings)}
    assert _keys(after.findings) == _keys(run_checks(svc.query, None, "stock", stale_days=5))
    assert cached_checks(svc.query, state, stale_days=5).hits == ("stock",)

    # a compaction rewrites the files (same rows): a miss, the same findings
    bars = pd.read_parquet(sample_dir() / "stock_1d.parquet")
    more = bars[(bars["symbol"] == "601398.SH") & (pd.to_datetime(bars["date"]).dt.year == 2021)]
    MarketStore(home / "store").write("bars_1d", more.reset_index(drop=True))   # a new symbol: an appended file
    before = cached_checks(svc.query, state, stale_days=5)
    assert before.hits == ()
    assert MarketStore(home / "store").compact("bars_1d")["bars_1d"] == 1
    compacted = cached_checks(svc.query, state, stale_days=5)
    assert compacted.hits == () and _keys(compacted.findings) == _keys(before.findings)

    # an unreadable cache is recomputed and rewritten
    cache.write_text("{not json", encoding="utf-8")
    healed = cached_checks(svc.query, state, stale_days=5)
    assert healed.hits == () and _keys(healed.findings) == _keys(before.findings)
    assert cached_checks(svc.query, state, stale_days=5).hits == ("stock",)


def test_the_dashboard_reuses_the_checks_and_sees_new_problems(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "dash-cache"
    write_bars(home, 2021, [], {})
    d1 = DataHealthDashboard(services(home))
    assert d1.checks is not None and d1.checks.hits == ()
    assert "用时" in page_text(d1) and "沿用该次结果" not in page_text(d1)
    d2 = DataHealthDashboard(services(home))
    assert d2.checks is not None and d2.checks.all_cached and _keys(d2.findings) == _keys(d1.findings)
    assert "数据自" in page_text(d2) and "沿用该次结果" in page_text(d2)

    bad = dt.date(2021, 4, 1)
    _bad_high(home, "000001.SZ", bad)
    d2.refresh_button.click()   # the open page's Refresh sees the write
    assert d2.checks is not None and d2.checks.hits == ()
    assert ("000001.SZ", bad.isoformat(), "ohlc", "error") in {(f.symbol, f.date, f.check, f.severity)
                                                                for f in d2.findings}
    main(["--home", str(home), "data", "check", "--json"])
    cli = json.loads(capsys.readouterr().out)["findings"]
    assert sorted((f.symbol, f.date, f.check, f.severity) for f in d2.findings) == \
        sorted((f["symbol"], f["date"], f["check"], f["severity"]) for f in cli)


def test_preheated_data_is_read_before_the_request_and_again_if_the_store_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under Voila's pre-heated kernels ``voila.utils.wait_for_request`` blocks until the browser asks, then
    puts the request (QUERY_STRING) into the environment. The page reads the store before that wait; a write
    that lands while it waits is read again."""
    import voila.utils

    home = tmp_path / "preheat"
    write_bars(home, 2021, [], {})
    bad = dt.date(2021, 5, 6)
    seen: list[bool] = []

    def request_arrives(url: str | None = None) -> None:
        seen.append((home / "state" / CACHE_FILE).exists())   # the checks already ran
        _bad_high(home, "600519.SH", bad)                        # someone updates the store meanwhile
        monkeypatch.setenv("QUERY_STRING", "lang=en")

    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.setattr(voila.utils, "wait_for_request", request_arrives)
    d = DataHealthDashboard(services(home))
    assert seen == [True] and d.lang == "en" and "Data health" in page_text(d)
    assert ("600519.SH", bad.isoformat(), "ohlc", "error") in {(f.symbol, f.date, f.check, f.severity)
                                                               for f in d.findings}
