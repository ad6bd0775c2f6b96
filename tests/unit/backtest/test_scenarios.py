"""Stress windows of backtest/scenarios.py on real CSI 300 closes (data/sample), checked against a
close-to-close calculation done straight on the sample rows."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from jupyterlab_quant.backtest.scenarios import STRESS_WINDOWS, stress_table

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample" / "index_1d.parquet"


@pytest.fixture(scope="module")
def rows():
    df = pd.read_parquet(SAMPLE)
    return df[df["symbol"] == "000300.SH"].sort_values("date")[["date", "close"]].reset_index(drop=True)


def close_to_close(rows, start: dt.date, end: dt.date) -> float:
    """Independent: close of the last row before ``start`` → close of the last row on or before ``end``."""
    base = end_close = float("nan")
    for d, c in zip(rows["date"], rows["close"], strict=True):
        if d < start:
            base = float(c)
        if d <= end:
            end_close = float(c)
    return end_close / base - 1


def curve(rows, start: str, end: str, scale=1.0) -> pd.Series:
    sel = rows[(rows["date"] >= dt.date.fromisoformat(start)) & (rows["date"] <= dt.date.fromisoformat(end))]
    s = pd.Series(sel["close"].to_numpy(dtype=float), index=pd.to_datetime(sel["date"]))
    return s / s.iloc[0] * 1_000_000 * scale


def test_windows_are_well_formed():
    keys = [w.key for w in STRESS_WINDOWS]
    assert len(keys) == len(set(keys)) == 6
    for w in STRESS_WINDOWS:
        assert w.start <= w.end and w.name_zh and w.name_en and "Source" in w.note
    assert {w.key: (w.start, w.end) for w in STRESS_WINDOWS}["covid_gap_2020"] == (dt.date(2020, 2, 3),) * 2


def test_2015_window_on_real_csi300_matches_close_to_close(rows):
    bench = curve(rows, "2015-01-05", "2025-04-30")
    # a strategy curve that is the index with half the moves
    r = bench.pct_change().fillna(0.0) * 0.5
    equity = (1 + r).cumprod() * 1_000_000
    table = {row["key"]: row for row in stress_table(equity, bench)}
    assert set(table) == {w.key for w in STRESS_WINDOWS}
    crash = table["crash_2015"]
    expected = close_to_close(rows, dt.date(2015, 6, 15), dt.date(2015, 9, 15))
    assert crash["benchmark_return"] == pytest.approx(expected, rel=1e-12)
    assert -0.45 < expected < -0.3  # CSI 300 fell about 40 % from 2015-06-12 to 2015-09-15
    assert crash["partial"] is False
    assert crash["excess"] == pytest.approx(crash["return"] - crash["benchmark_return"])
    assert 0 < crash["max_drawdown"] < 1
    # single-day events: close of the previous trading day → close of the event day
    tariff = table["tariff_2025"]
    assert tariff["benchmark_return"] == pytest.approx(3589.441 / 3861.503 - 1, rel=1e-6)
    covid = table["covid_gap_2020"]
    assert covid["benchmark_return"] == pytest.approx(close_to_close(rows, dt.date(2020, 2, 3), dt.date(2020, 2, 3)))
    assert covid["max_drawdown"] == pytest.approx(-covid["return"])
    assert table["rally_2024"]["benchmark_return"] > 0.2


def test_windows_outside_the_curve_are_left_out(rows):
    assert stress_table(curve(rows, "2017-01-03", "2019-12-31"), None) == []
    only = stress_table(curve(rows, "2019-06-03", "2020-06-30"), None)
    assert [r["key"] for r in only] == ["covid_gap_2020"]
    assert only[0]["benchmark_return"] is None and only[0]["excess"] is None


def test_partial_coverage_is_marked(rows):
    # starts inside the 2015 crash: measured from the first value, marked partial
    eq = curve(rows, "2015-07-01", "2015-12-31")
    crash = stress_table(eq, eq)[0]
    assert crash["key"] == "crash_2015" and crash["partial"] is True
    assert crash["return"] == pytest.approx(float(eq["2015-09-15"]) / float(eq.iloc[0]) - 1)
    # ends inside the window
    eq = curve(rows, "2015-01-05", "2015-07-31")
    assert stress_table(eq)[0]["partial"] is True


def test_curve_starting_on_a_single_day_event_has_nothing_to_measure(rows):
    assert stress_table(curve(rows, "2025-04-07", "2025-04-30")) == []
