"""Tearsheet dashboard on real backtest jobs: the service submits them to a real Dask LocalCluster over the
embedded sample, and the page reads the same job records and result files the Backtest panel does."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from jupyterlab_quant.app import Services
from jupyterlab_quant.backtest import report as rpt
from jupyterlab_quant.core.settings import Settings
from jupyterlab_quant.widgets.tearsheet import TearsheetDashboard, monthly_heatmap
from tests.unit.widgets.helpers import page_text

ROOT = Path(__file__).resolve().parents[2]
SMA = (ROOT / "fixtures" / "strategies" / "sma_cross.py").read_text(encoding="utf-8")
BROKEN = (ROOT / "fixtures" / "strategies" / "broken.py").read_text(encoding="utf-8")   # raises in next()
SLOW = '''import time
import backtrader as bt


class Slow(bt.Strategy):
    def next(self):
        time.sleep(0.05)
'''
BASE = {"symbols": ["600519.SH"], "start": "2019-01-02", "end": "2021-12-31"}


def wait_final(svc: Services, job_id: str, until: tuple[str, ...] = ("done", "failed", "cancelled"),
               timeout_s: float = 120.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = svc.backtests.record(job_id).status
        if status in until:
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {svc.backtests.record(job_id).status}")


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory, sample_home: Path) -> Iterator[tuple[Services, dict[str, str]]]:
    """Backtests submitted through ``Services.backtests`` (Dask LocalCluster) on a home reading the sample
    store: three done (one of them to damage later), one failed."""
    home = tmp_path_factory.mktemp("tearsheet")
    (home / "store").symlink_to(sample_home / "store", target_is_directory=True)
    svc = Services.from_settings(Settings.from_env(home))
    bt = svc.backtests
    ids = {
        "a": bt.submit({**BASE, "strategy_source": SMA, "strategy_class": "SmaCross",
                        "params": {"fast": 5, "slow": 20}, "label": "茅台 SMA 5/20"})["id"],
        "failed": bt.submit({**BASE, "strategy_source": BROKEN})["id"],
        # starts mid-March and ends in August: months outside the run are empty heatmap cells
        "b": bt.submit({"symbols": ["600519.SH"], "start": "2019-03-15", "end": "2021-08-31",
                        "strategy_source": SMA, "strategy_class": "SmaCross"})["id"],
        "c": bt.submit({**BASE, "strategy_source": SMA, "strategy_class": "SmaCross",
                        "params": {"fast": 3, "slow": 10}, "label": "to damage"})["id"],
    }
    for key, job_id in ids.items():
        assert wait_final(svc, job_id) == ("failed" if key == "failed" else "done"), key
    yield svc, ids
    svc.close()


def cards(text: str) -> dict[str, str]:
    return dict(re.findall(r'data-key="(\w+)"><div class="label">[^<]*</div><div class="value[^"]*">([^<]*)</div>',
                           text))


def test_newest_done_report_with_picker_cards_heatmap_and_tables(jobs) -> None:
    svc, ids = jobs
    t0 = time.perf_counter()
    d = TearsheetDashboard(svc)
    build_s = time.perf_counter() - t0
    # the picker: done jobs only, newest first, "label · symbols · period · total return"
    assert [v for _, v in d.picker.options] == [ids["c"], ids["b"], ids["a"]]
    labels = dict((v, k) for k, v in d.picker.options)
    summary_a = svc.backtests.record(ids["a"]).summary or {}
    assert labels[ids["a"]] == ("茅台 SMA 5/20 · 600519.SH · 2019-01-02→2021-12-31 · "
                                + rpt.format_metric("total_return", summary_a["total_return"]))
    assert labels[ids["b"]].startswith("SmaCross · 600519.SH · 2019-03-15→2021-08-31 · ")
    # no report asked for: the newest done one is shown and selected
    assert d.report_id == ids["c"] and d.picker.value == ids["c"] and d.result is not None
    text = page_text(d)
    assert 'class="jlq-ready" data-dashboard="tearsheet"' in text and "Traceback" not in text
    assert "to damage" in text and "600519.SH" in text and "2019-01-02 → 2021-12-31" in text

    # picking another job shows it: cards equal the report's formatting of the stored metrics
    d.picker.value = ids["a"]
    assert d.report_id == ids["a"]
    result = svc.backtests.result(ids["a"])
    text = page_text(d)
    shown = cards(text)
    assert set(shown) == set(rpt.CARD_KEYS)
    for key in rpt.CARD_KEYS:
        assert shown[key] == rpt.format_metric(key, result["metrics"].get(key)), key
    for key in ("strategy", "symbols", "period", "profile"):
        assert rpt.text(key, "zh") in text
    assert "茅台 SMA 5/20" in text and "default" in text
    # the heatmap holds exactly tables["monthly"]: years × months, every other cell empty (NaN)
    monthly = result["tables"]["monthly"]
    heat = d.heatmap.marks[0]
    years = sorted({r["year"] for r in monthly})
    assert list(heat.row) == [str(y) for y in years] and list(heat.column) == [f"{m}月" for m in range(1, 13)]
    expected = np.full((len(years), 12), np.nan)
    for r in monthly:
        expected[years.index(r["year"]), r["month"] - 1] = r["return"]
    np.testing.assert_allclose(heat.color, expected * 100, equal_nan=True)   # in percent, labelled "-2.7"
    labels = d.heatmap.marks[1]
    assert len(labels.text) == len(monthly) == 36
    for r, x, y, t in zip(monthly, labels.x, labels.y, labels.text, strict=True):
        assert (x, y) == (f"{r['month']}月", str(r["year"])) and float(t) == pytest.approx(r["return"] * 100, abs=0.05)
    assert heat.scales["color"].colors[0] == rpt.DOWN and heat.scales["color"].colors[-1] == rpt.UP
    # the tables are the report's own HTML
    assert html.unescape(rpt.metrics_table_html(result["metrics"], "zh")) in text
    trades = re.search(r"<tbody>.*?</tbody>", text[text.index("成交记录"):], re.S)
    assert trades and trades.group(0).count("<tr>") == len(result["trades"]) > 0
    print(f"\ntearsheet: first build {build_s * 1000:.0f} ms, show() {d.build_s * 1000:.0f} ms")


def test_partial_years_leave_empty_cells_without_labels(jobs) -> None:
    svc, ids = jobs
    d = TearsheetDashboard(svc, report_id=ids["b"])
    heat = d.heatmap.marks[0]
    assert np.isnan(heat.color[0, :2]).all() and np.isfinite(heat.color[0, 2])      # Jan, Feb 2019 not run
    assert np.isnan(heat.color[-1, 8:]).all() and np.isfinite(heat.color[-1, 7])    # Sep-Dec 2021 not run
    labels = d.heatmap.marks[1]   # values only where the run has a month: no "NaN" cell labels
    assert len(labels.text) == int(np.isfinite(heat.color).sum()) and "nan" not in " ".join(labels.text).lower()
    assert ("1月", "2019") not in set(zip(labels.x, labels.y, strict=True))
    assert list(heat.scales["column"].domain) == [f"{m}月" for m in range(1, 13)]   # January first all the same


def test_one_year_heatmap_keeps_its_grid_shape(jobs) -> None:
    svc, ids = jobs
    monthly = [r for r in svc.backtests.result(ids["a"])["tables"]["monthly"] if r["year"] == 2020]
    heat = monthly_heatmap(monthly).marks[0]
    # bqplot's own trait would squeeze a 1 × 12 grid into 12 values, which its front end cannot draw
    assert heat.color.shape == (1, 12) and heat.get_state()["color"]["shape"] == (1, 12)
    np.testing.assert_allclose(heat.color[0], [r["return"] * 100 for r in monthly])


def test_unknown_id_from_the_url_is_a_message_and_the_picker_stays_usable(jobs, monkeypatch) -> None:
    svc, ids = jobs
    monkeypatch.setenv("QUERY_STRING", "report=nope")
    d = TearsheetDashboard(svc)
    text = page_text(d)
    assert "找不到回测报告 nope" in text and "从上方列表选择一个回测" in text
    assert "Traceback" not in text and 'data-dashboard="tearsheet"' in text
    assert d.picker.value is None and not d.picker.disabled and len(d.picker.options) == 3
    d.picker.value = ids["b"]
    assert d.result is not None and "找不到回测报告" not in page_text(d)


def test_failed_running_and_cancelled_jobs_say_their_status(jobs) -> None:
    svc, ids = jobs
    rec = svc.backtests.record(ids["failed"])
    d = TearsheetDashboard(svc, report_id=ids["failed"])
    text = page_text(d)
    assert f"回测 {ids['failed']} 没有可显示的结果：失败" in text
    assert rec.error and rec.error["message"] in text and "oops in next" in text
    assert "修正策略后重新提交" in text and "Traceback" not in text and d.result is None

    slow = svc.backtests.submit({**BASE, "strategy_source": SLOW})["id"]
    try:
        wait_final(svc, slow, ("running",))
        d.show(slow)
        assert f"回测 {slow} 没有可显示的结果：运行中" in page_text(d)
    finally:
        svc.backtests.cancel(slow)
    assert wait_final(svc, slow) == "cancelled"
    d.show(slow)
    assert f"回测 {slow} 没有可显示的结果：已取消" in page_text(d) and d.picker.value is None


def test_damaged_and_missing_result_files(jobs) -> None:
    svc, ids = jobs
    path = Path(svc.backtests.record(ids["c"]).result_path or "") / "result.json"
    path.write_text('{"spec": {"symbols": ', encoding="utf-8")
    d = TearsheetDashboard(svc, report_id=ids["c"])
    text = page_text(d)
    assert f"回测 {ids['c']} 的结果文件无法读取" in text and "JSONDecodeError" in text
    assert "重新运行该回测" in text and "Traceback" not in text
    path.unlink()
    d.show(ids["c"])
    assert f"回测 {ids['c']} 的结果文件不见了" in page_text(d)


def test_english_labels(jobs) -> None:
    svc, ids = jobs
    d = TearsheetDashboard(svc, lang="en", report_id=ids["a"])
    text = page_text(d)
    for label in ("Backtest tearsheet", "Total return", "Max drawdown", "Equity vs benchmark", "Drawdown",
                  "Monthly returns", "All metrics", "Trades", "Strategy", "Broker profile"):
        assert label in text, label
    assert d.refresh_button.description == "Refresh"
    assert "总收益率" not in text and "回测报告" not in text
    assert list(d.heatmap.marks[0].column) == [str(m) for m in range(1, 13)]
    d.show("nope")
    assert "No backtest report nope" in page_text(d)


def test_empty_home_says_how_to_run_one(tmp_path: Path) -> None:
    svc = Services.from_settings(Settings.from_env(tmp_path / "empty"))
    try:
        d = TearsheetDashboard(svc)
        text = page_text(d)
        assert "还没有回测报告" in text and "「回测」面板" in text and "jlq backtest run" in text
        assert d.picker.disabled and not d.picker.options and 'data-dashboard="tearsheet"' in text
        d.show("nope")  # nothing to pick from: the hint says how to make one
        assert "找不到回测报告 nope" in page_text(d) and "新建回测" in page_text(d)
    finally:
        svc.close()
