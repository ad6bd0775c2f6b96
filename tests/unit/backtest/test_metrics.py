"""Metric math of backtest/metrics.py checked against independent calculations written differently:
explicit loops for drawdowns and their dates, np.polyfit for alpha/beta, statistics.stdev for
volatility; on hand-made series with known answers and on real CSI 300 closes (data/sample)."""

import datetime as dt
import json
import math
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyterlab_quant.backtest.metrics import (
    compute_metrics,
    curve_series,
    drawdown_series,
    finalize,
    monthly_returns,
    yearly_returns,
)
from jupyterlab_quant.backtest.spec import BacktestResult, BacktestSpec, Fill, RoundTrip

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample" / "index_1d.parquet"


def series(values, start="2024-01-02"):
    return pd.Series([float(v) for v in values], index=pd.bdate_range(start, periods=len(values)))


def csi300(start="2014-01-01", end="2025-12-31"):
    df = pd.read_parquet(SAMPLE)
    df = df[df["symbol"] == "000300.SH"]
    s = pd.Series(df["close"].to_numpy(dtype=float), index=pd.to_datetime(df["date"])).sort_index()
    return s[start:end]


def synthetic_strategy(bench: pd.Series, seed=7):
    """A strategy that holds 0.6× the index plus its own noise and drift, starting at 1,000,000."""
    rng = np.random.default_rng(seed)
    closes = bench.to_numpy()
    vals = [1_000_000.0]
    for i in range(1, len(closes)):
        r = 0.6 * (closes[i] / closes[i - 1] - 1) + rng.normal(0.0003, 0.006)
        vals.append(vals[-1] * (1 + r))
    return pd.Series(vals, index=bench.index)


def loop_returns(values):
    return [values[i] / values[i - 1] - 1 for i in range(1, len(values))]


def loop_drawdown(values, dates):
    """Max drawdown with peak (last day at the high before the trough), trough, recovery, duration."""
    mdd, p, t = 0.0, -1, -1
    high, high_i = values[0], 0
    for i, v in enumerate(values):
        if v >= high:
            high, high_i = v, i
        dd = (high - v) / high
        if dd > mdd:
            mdd, p, t = dd, high_i, i
    if p < 0:
        return 0.0, None, None, None, 0
    rec = None
    for j in range(t + 1, len(values)):
        if values[j] >= values[p]:
            rec = j
            break
    duration = (rec if rec is not None else len(values) - 1) - p
    iso = lambda i: dates[i].date().isoformat()  # noqa: E731
    return mdd, iso(p), iso(t), iso(rec) if rec is not None else None, duration


# --- hand-made series ----------------------------------------------------------------------------

def test_known_drawdown_dates_and_duration():
    eq = series([100, 120, 120, 90, 96, 120, 130, 117, 125])
    m = compute_metrics(eq, None, [], [])
    d = eq.index
    assert m["max_drawdown"] == pytest.approx(0.25)
    # the curve rested at 120 on days 1 and 2: the fall starts after day 2
    assert m["max_drawdown_start"] == d[2].date().isoformat()
    assert m["max_drawdown_end"] == d[3].date().isoformat()
    assert m["max_drawdown_recovery"] == d[5].date().isoformat()
    assert m["max_drawdown_duration"] == 3
    assert m["total_return"] == pytest.approx(0.25)
    assert m["trading_days"] == 9 and m["start_value"] == 100.0 and m["end_value"] == 125.0
    assert m["annual_return"] == pytest.approx(1.25 ** (252 / 8) - 1)
    assert m["calmar"] == pytest.approx(m["annual_return"] / 0.25)


def test_unrecovered_drawdown_runs_to_the_end():
    eq = series([100, 90, 80, 85])
    m = compute_metrics(eq, None, [], [])
    assert m["max_drawdown"] == pytest.approx(0.2)
    assert m["max_drawdown_start"] == eq.index[0].date().isoformat()
    assert m["max_drawdown_end"] == eq.index[2].date().isoformat()
    assert m["max_drawdown_recovery"] is None
    assert m["max_drawdown_duration"] == 3


def test_flat_series_has_undefined_ratios():
    m = compute_metrics(series([1_000_000] * 30), None, [], [])
    assert m["total_return"] == 0.0 and m["annual_return"] == 0.0
    assert m["volatility"] == 0.0
    assert m["sharpe"] is None and m["sortino"] is None and m["calmar"] is None
    assert m["max_drawdown"] == 0.0 and m["max_drawdown_start"] is None and m["max_drawdown_duration"] == 0
    for k in ("alpha", "beta", "information_ratio", "tracking_error", "excess_return", "benchmark_return"):
        assert m[k] is None
    assert m["win_rate"] is None and m["profit_loss_ratio"] is None
    assert m["turnover"] == 0.0 and m["trade_count"] == 0 and m["fees_total"] == 0.0
    json.dumps(m, allow_nan=False)


def test_single_point_and_flat_benchmark_are_none_not_nan():
    m = compute_metrics(series([100]), series([100]), [], [])
    assert m["annual_return"] is None and m["volatility"] is None and m["sharpe"] is None
    m = compute_metrics(series([100, 101, 99, 102]), series([5, 5, 5, 5]), [], [])
    assert m["beta"] is None and m["alpha"] is None
    assert m["benchmark_return"] == 0.0
    assert m["tracking_error"] is not None  # strategy moves, benchmark does not: still a tracking error
    json.dumps(m, allow_nan=False)


def test_no_downside_gives_no_sortino():
    m = compute_metrics(series([100, 101, 103, 104, 108]), None, [], [])
    assert m["sortino"] is None and m["sharpe"] is not None and m["max_drawdown"] == 0.0


def test_sortino_downside_deviation_over_all_days():
    vals = [100, 102, 99, 101, 97, 103]
    r = loop_returns(vals)
    shortfall_sq = 0.0
    for x in r:
        if x < 0:
            shortfall_sq += x * x
    dd = math.sqrt(shortfall_sq / len(r))
    m = compute_metrics(series(vals), None, [], [])
    assert m["sortino"] == pytest.approx(statistics.mean(r) / dd * math.sqrt(252))
    assert m["sharpe"] == pytest.approx(statistics.mean(r) / statistics.stdev(r) * math.sqrt(252))


def test_risk_free_rate_lowers_sharpe():
    vals = [100, 102, 99, 101, 97, 103, 104]
    r = loop_returns(vals)
    rf = 0.03 / 252
    m = compute_metrics(series(vals), None, [], [], risk_free=0.03)
    assert m["sharpe"] == pytest.approx((statistics.mean(r) - rf) / statistics.stdev(r) * math.sqrt(252))


def test_trade_statistics_from_fills_and_round_trips():
    fills = [
        Fill("2024-01-02", "600519.SH", "buy", 10.0, 1000, 5.0, 0.0, 0.1, 10_000.0),
        Fill("2024-01-05", "600519.SH", "sell", 11.0, 1000, 5.5, 5.5, 0.11, 11_000.0),
        Fill("2024-01-08", "000001.SZ", "buy", 20.0, 500, 5.0, 0.0, 0.1),  # value left 0: price × size
        Fill("2024-01-09", "000001.SZ", "sell", 19.0, 500, 5.0, 4.75, 0.1, 9_500.0),
    ]
    rts = [
        RoundTrip("600519.SH", "2024-01-02", "2024-01-05", 1000, 10.0, 11.0, 1000.0, 300.0, 3),
        RoundTrip("000001.SZ", "2024-01-08", "2024-01-09", 500, 20.0, 19.0, -500.0, -600.0, 1),
        RoundTrip("600000.SH", "2024-01-08", "2024-01-09", 100, 8.0, 8.5, 50.0, 100.0, 1),
        RoundTrip("600000.SH", "2024-01-10", "2024-01-11", 100, 8.0, 7.0, -100.0, -200.0, 1),
        RoundTrip("600036.SH", "2024-01-10", "2024-01-11", 100, 8.0, 8.0, 0.0, 0.0, 1),  # breakeven: no win
    ]
    eq = series([100_000, 100_500, 101_000, 100_000, 100_400])
    m = compute_metrics(eq, None, fills, rts)
    assert m["trade_count"] == 4 and m["round_trip_count"] == 5
    assert m["win_rate"] == pytest.approx(2 / 5)
    assert m["profit_loss_ratio"] == pytest.approx(((300 + 100) / 2) / ((600 + 200) / 2))
    assert m["fees_commission"] == pytest.approx(20.5)
    assert m["fees_stamp_duty"] == pytest.approx(10.25)
    assert m["fees_transfer_fee"] == pytest.approx(0.41)
    assert m["fees_total"] == pytest.approx(31.16)
    traded = 10_000 + 11_000 + 20.0 * 500 + 9_500
    mean_eq = sum(eq) / len(eq)
    assert m["turnover"] == pytest.approx(traded / 2 / mean_eq * 252 / 4)


def test_only_winners_has_no_profit_loss_ratio():
    rts = [RoundTrip("600519.SH", "2024-01-02", "2024-01-05", 100, 1, 2, 100, 90, 3)]
    m = compute_metrics(series([100, 101]), None, [], rts)
    assert m["win_rate"] == 1.0 and m["profit_loss_ratio"] is None


# --- real CSI 300 ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real():
    bench_close = csi300()
    eq = synthetic_strategy(bench_close)
    bench = bench_close / bench_close.iloc[0] * 1_000_000
    return eq, bench


def test_real_curve_against_independent_calc(real):
    eq, bench = real
    m = compute_metrics(eq, bench, [], [])
    vals = list(eq.to_numpy())
    r = loop_returns(vals)
    assert m["total_return"] == pytest.approx(vals[-1] / vals[0] - 1)
    assert m["annual_return"] == pytest.approx(math.pow(vals[-1] / vals[0], 252 / len(r)) - 1)
    assert m["volatility"] == pytest.approx(statistics.stdev(r) * math.sqrt(252))
    assert m["sharpe"] == pytest.approx(statistics.mean(r) / statistics.stdev(r) * math.sqrt(252))
    mdd, start, end, rec, duration = loop_drawdown(vals, list(eq.index))
    assert m["max_drawdown"] == pytest.approx(mdd)
    assert (m["max_drawdown_start"], m["max_drawdown_end"], m["max_drawdown_recovery"]) == (start, end, rec)
    assert m["max_drawdown_duration"] == duration
    assert 0.05 < mdd < 0.9  # a decade of CSI 300 at 0.6× has a real drawdown

    rb = loop_returns(list(bench.to_numpy()))
    slope, intercept = np.polyfit(rb, r, 1)
    assert m["beta"] == pytest.approx(slope, rel=1e-9)
    assert m["alpha"] == pytest.approx(intercept * 252, rel=1e-6)
    assert 0.5 < m["beta"] < 0.7  # the synthetic strategy holds 0.6× the index
    active = [a - b for a, b in zip(r, rb, strict=True)]
    te = statistics.stdev(active) * math.sqrt(252)
    assert m["tracking_error"] == pytest.approx(te)
    assert m["information_ratio"] == pytest.approx(statistics.mean(active) * 252 / te)
    b = list(bench.to_numpy())
    assert m["benchmark_return"] == pytest.approx(b[-1] / b[0] - 1)
    assert m["benchmark_annual_return"] == pytest.approx((b[-1] / b[0]) ** (252 / (len(b) - 1)) - 1)
    assert m["excess_return"] == pytest.approx(m["total_return"] - m["benchmark_return"])


def test_misaligned_benchmark_uses_common_dates(real):
    eq, bench = real
    eq = eq["2018-01-01":"2019-12-31"]
    # the benchmark misses every 7th day and runs a month past the strategy
    b = bench["2017-12-01":"2020-01-31"]
    b = b[[i % 7 != 3 for i in range(len(b))]]
    m = compute_metrics(eq, b, [], [])
    common = [d for d in eq.index if d in set(b.index)]
    s_vals = [float(eq[d]) for d in common]
    b_vals = [float(b[d]) for d in common]
    slope, _ = np.polyfit(loop_returns(b_vals), loop_returns(s_vals), 1)
    assert m["beta"] == pytest.approx(slope, rel=1e-9)
    assert m["benchmark_return"] == pytest.approx(b_vals[-1] / b_vals[0] - 1)
    assert m["trading_days"] == len(eq)


def test_monthly_and_yearly_returns_against_month_end_loop(real):
    eq, bench = real
    eq = eq["2019-03-15":"2021-06-30"]
    bench = bench["2019-03-15":"2021-06-30"]
    # independent: walk the days, remember the last value seen in each month
    month_end: dict[tuple[int, int], float] = {}
    for d, v in eq.items():
        month_end[(d.year, d.month)] = float(v)
    expected = []
    prev = float(eq.iloc[0])
    for key in sorted(month_end):
        expected.append((key[0], key[1], month_end[key] / prev - 1))
        prev = month_end[key]
    got = monthly_returns(eq)
    assert [(g["year"], g["month"]) for g in got] == [(y, mo) for y, mo, _ in expected]
    assert [g["return"] for g in got] == pytest.approx([x for _, _, x in expected])
    # compounding the months gives the whole period
    assert math.prod(1 + g["return"] for g in got) - 1 == pytest.approx(eq.iloc[-1] / eq.iloc[0] - 1)

    years = yearly_returns(eq, bench)
    assert [y["year"] for y in years] == [2019, 2020, 2021]
    y2020 = years[1]
    end19 = float(eq[eq.index.year == 2019].iloc[-1])
    end20 = float(eq[eq.index.year == 2020].iloc[-1])
    assert y2020["return"] == pytest.approx(end20 / end19 - 1)
    b19 = float(bench[bench.index.year == 2019].iloc[-1])
    b20 = float(bench[bench.index.year == 2020].iloc[-1])
    assert y2020["benchmark_return"] == pytest.approx(b20 / b19 - 1)
    assert y2020["excess"] == pytest.approx(y2020["return"] - y2020["benchmark_return"])
    assert yearly_returns(eq, None)[0]["benchmark_return"] is None


def test_drawdown_series_matches_loop():
    vals = [100, 120, 120, 90, 96, 120, 130, 117, 125]
    eq = series(vals)
    rows = drawdown_series(eq)
    high = 0.0
    for row, v, d in zip(rows, vals, eq.index, strict=True):
        high = max(high, v)
        assert row["date"] == d.date().isoformat()
        assert row["drawdown"] == pytest.approx((high - v) / high)
        assert row["drawdown"] >= 0


# --- finalize --------------------------------------------------------------------------------

def make_result(equity_curve, benchmark_curve):
    spec = BacktestSpec(symbols=("600519.SH",), start=dt.date(2024, 1, 2), end=dt.date(2024, 12, 31),
                        strategy_source="class S: pass", cash=1_000_000)
    return BacktestResult(spec=spec, final_value=equity_curve[-1][1] if equity_curve else 0.0, cash=0.0,
                          trades=[], rejections=[], equity_curve=equity_curve, benchmark_curve=benchmark_curve)


def test_finalize_fills_metrics_and_json_ready_tables(real):
    eq, bench = real
    eq, bench = eq["2015-01-01":"2016-12-31"], bench["2015-01-01":"2016-12-31"]
    res = make_result([(d.date().isoformat(), float(v)) for d, v in eq.items()],
                      [(d.date().isoformat(), float(v)) for d, v in bench.items()])
    out = finalize(res)
    assert out is res
    assert set(res.tables) == {"monthly", "yearly", "stress", "drawdown"}
    assert len(res.tables["monthly"]) == 24 and len(res.tables["drawdown"]) == len(eq)
    assert {r["key"] for r in res.tables["stress"]} == {"crash_2015", "circuit_breaker_2016"}
    assert res.metrics["total_return"] == pytest.approx(eq.iloc[-1] / eq.iloc[0] - 1)
    back = json.loads(res.to_json())
    assert back["metrics"]["trading_days"] == len(eq)
    assert BacktestResult.from_dict(back).metrics == res.metrics


def test_finalize_flat_curve_without_benchmark_dumps_without_nan():
    days = pd.bdate_range("2023-03-01", periods=40)  # no stress window in these weeks
    res = make_result([(d.date().isoformat(), 1_000_000.0) for d in days], [])
    finalize(res)
    res.to_json()  # allow_nan=False inside
    assert res.metrics["sharpe"] is None and res.metrics["benchmark_return"] is None
    assert res.tables["stress"] == []


def test_finalize_empty_curve():
    res = finalize(make_result([], []))
    assert res.metrics == {} and res.tables["monthly"] == []
    res.to_json()


def test_curve_series_sorts_and_parses_datetime_strings():
    s = curve_series([("2024-01-03T00:00:00", 2.0), ("2024-01-02", 1.0)])
    assert [d.date().isoformat() for d in s.index] == ["2024-01-02", "2024-01-03"]
    assert list(s) == [1.0, 2.0]
