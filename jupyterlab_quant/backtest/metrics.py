"""Performance metrics (绩效指标) of a backtest: the metric math, the return tables, and ``finalize``.

Pure pandas/numpy. Inputs are value curves indexed by trading day (the benchmark already scaled to
the start cash); outputs are plain Python values ready for ``json.dumps(allow_nan=False)``:
fractions for returns and drawdowns (drawdown positive), ISO date strings, and ``None`` wherever a
number is undefined (zero variance, no benchmark, no trades) — never NaN or inf.

Definitions (all on daily simple returns r_t = V_t / V_{t-1} − 1, n = number of returns,
rf = ``risk_free`` / ``periods`` per day):

* ``annual_return`` — geometric: (1 + total)^(periods / n) − 1.
* ``volatility`` — stdev(r, ddof=1) · √periods.
* ``sharpe`` — mean(r − rf) / stdev(r, ddof=1) · √periods.
* ``sortino`` — mean(r − rf) / DD · √periods with the *target* downside deviation
  DD = √( Σ min(r_t − rf, 0)² / n ): shortfalls below rf, averaged over **all** n days (days above
  the target count as zero), so a curve with few but deep losses is not flattered.
* ``calmar`` — annual_return / max_drawdown.
* ``beta``/``alpha`` — CAPM regression of (r − rf) on (r_b − rf) over the common dates:
  beta = cov / var (ddof=1), daily alpha = mean(r − rf) − beta · mean(r_b − rf), annualised
  arithmetically (× periods), as the regression intercept is an arithmetic daily mean.
* ``tracking_error`` — stdev(r − r_b, ddof=1) · √periods; ``information_ratio`` — mean(r − r_b) ·
  periods / tracking_error.
* ``turnover`` — annualised one-way turnover: (Σ traded value / 2) / mean(equity) · periods / n.
  Halving counts a buy-then-sell of the whole book as one turnover of the portfolio.
* ``max_drawdown_duration`` — trading days from the peak to the recovery (first day back at the
  peak value), or to the last day when the curve never recovered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .scenarios import stress_table
from .spec import BacktestResult, Fill, RoundTrip

# Below this a standard deviation is floating-point noise on a flat curve, not risk: dividing by it
# would turn rounding error into a Sharpe of 1e12.
_EPS = 1e-12


def compute_metrics(equity: pd.Series, benchmark: pd.Series | None, fills: Sequence[Fill],
                    round_trips: Sequence[RoundTrip], *, periods: int = 252,
                    risk_free: float = 0.0) -> dict[str, Any]:
    """All headline metrics of one backtest (definitions in the module docstring)."""
    eq = _clean_series(equity)
    rf = risk_free / periods
    out: dict[str, Any] = {}
    vals = eq.to_numpy(dtype=float)
    n = max(len(vals) - 1, 0)
    r = _returns(vals)

    start_value = float(vals[0]) if len(vals) else None
    end_value = float(vals[-1]) if len(vals) else None
    total = _total_return(vals)
    out["total_return"] = total
    out["annual_return"] = _annualise(total, n, periods)
    sd = float(np.std(r, ddof=1)) if n >= 2 else None
    out["volatility"] = sd * math.sqrt(periods) if sd is not None else None
    mean_ex = float(np.mean(r - rf)) if n >= 1 else None
    out["sharpe"] = (mean_ex / sd * math.sqrt(periods)
                     if sd is not None and sd > _EPS and mean_ex is not None else None)
    if n >= 1 and mean_ex is not None:
        downside = np.minimum(r - rf, 0.0)
        dd_dev = math.sqrt(float(np.mean(downside ** 2)))
        out["sortino"] = mean_ex / dd_dev * math.sqrt(periods) if dd_dev > _EPS else None
    else:
        out["sortino"] = None

    out.update(_drawdown_stats(eq))
    mdd = out["max_drawdown"]
    ann = out["annual_return"]
    out["calmar"] = ann / mdd if ann is not None and mdd else None

    out.update(_benchmark_stats(eq, benchmark, total, periods, rf))
    out.update(_trade_stats(fills, round_trips, eq, n, periods))
    out["trading_days"] = len(vals)
    out["start_value"] = start_value
    out["end_value"] = end_value
    return {k: _py(v) for k, v in out.items()}


def monthly_returns(equity: pd.Series) -> list[dict[str, Any]]:
    """Return of each calendar month: month-end value over the previous month-end value.

    The first month is measured from the curve's first value (the start cash on day one).
    """
    return [{"year": y, "month": m, "return": _py(ret)}
            for (y, m), ret in _period_returns(_clean_series(equity), monthly=True).items()]


def yearly_returns(equity: pd.Series, benchmark: pd.Series | None = None) -> list[dict[str, Any]]:
    """Return of each calendar year for the strategy and the benchmark, and their difference."""
    strat = _period_returns(_clean_series(equity), monthly=False)
    bench: dict[Any, float] = {}
    if benchmark is not None and len(benchmark.dropna()):
        bench = _period_returns(_clean_series(benchmark), monthly=False)
    rows = []
    for year, ret in strat.items():
        b = bench.get(year)
        rows.append({"year": year, "return": _py(ret), "benchmark_return": _py(b),
                     "excess": _py(ret - b) if b is not None else None})
    return rows


def drawdown_series(equity: pd.Series) -> list[dict[str, Any]]:
    """Drawdown (回撤) of every day as a positive fraction below the running high."""
    eq = _clean_series(equity)
    dd = 1.0 - eq / eq.cummax()
    return [{"date": _iso(d), "drawdown": _py(max(float(v), 0.0))} for d, v in dd.items()]


def finalize(result: BacktestResult, *, periods: int = 252, risk_free: float = 0.0) -> BacktestResult:
    """Fill ``result.metrics`` and ``result.tables`` from its curves and trades; returns ``result``."""
    equity = curve_series(result.equity_curve)
    benchmark = curve_series(result.benchmark_curve) if result.benchmark_curve else None
    if benchmark is not None and benchmark.empty:
        benchmark = None
    if equity.empty:
        result.metrics = {}
        result.tables = {"monthly": [], "yearly": [], "stress": [], "drawdown": []}
        return result
    result.metrics = compute_metrics(equity, benchmark, result.trades, result.round_trips,
                                     periods=periods, risk_free=risk_free)
    result.tables = {
        "monthly": monthly_returns(equity),
        "yearly": yearly_returns(equity, benchmark),
        "stress": stress_table(equity, benchmark),
        "drawdown": drawdown_series(equity),
    }
    return result


def curve_series(curve: Sequence[tuple[str, float]]) -> pd.Series:
    """A ``(date, value)`` list as a float Series on a sorted DatetimeIndex (duplicates: last wins)."""
    if not curve:
        return pd.Series([], index=pd.DatetimeIndex([]), dtype=float)
    idx = pd.DatetimeIndex(pd.to_datetime([str(d)[:10] for d, _ in curve]))
    s = pd.Series([float(v) for _, v in curve], index=idx, dtype=float)
    return _clean_series(s)


# --- internals ---------------------------------------------------------------------------------

def _clean_series(s: pd.Series) -> pd.Series:
    s = s.astype(float).replace([np.inf, -np.inf], np.nan).dropna()
    if not isinstance(s.index, pd.DatetimeIndex):
        s.index = pd.DatetimeIndex(pd.to_datetime(s.index))
    s = s[~s.index.duplicated(keep="last")]
    return s.sort_index()


def _returns(vals: np.ndarray) -> np.ndarray:
    if len(vals) < 2:
        return np.array([], dtype=float)
    prev = vals[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(prev != 0, vals[1:] / prev - 1.0, 0.0)
    return np.asarray(r, dtype=float)


def _total_return(vals: np.ndarray) -> float | None:
    if len(vals) < 1 or vals[0] == 0:
        return None
    return float(vals[-1] / vals[0] - 1.0)


def _annualise(total: float | None, n: int, periods: int) -> float | None:
    if total is None or n <= 0:
        return None
    if total <= -1.0:
        return -1.0  # wiped out: the geometric rate is −100 %, the power is undefined below it
    return float((1.0 + total) ** (periods / n) - 1.0)


def _drawdown_stats(eq: pd.Series) -> dict[str, Any]:
    none = {"max_drawdown": None, "max_drawdown_start": None, "max_drawdown_end": None,
            "max_drawdown_recovery": None, "max_drawdown_duration": None}
    if eq.empty:
        return none
    vals = eq.to_numpy(dtype=float)
    peak = np.maximum.accumulate(vals)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, 1.0 - vals / peak, 0.0)
    trough = int(np.argmax(dd))
    mdd = float(dd[trough])
    if mdd <= 0:
        return {**none, "max_drawdown": 0.0, "max_drawdown_duration": 0}
    peak_value = peak[trough]
    # The peak is the LAST day at the running high before the trough: a curve that rests at its high
    # for a week starts falling after that week, and the duration should not count the resting days.
    at_high = np.flatnonzero(vals[: trough + 1] >= peak_value)
    p = int(at_high[-1])
    after = np.flatnonzero(vals[trough + 1:] >= peak_value)
    rec = trough + 1 + int(after[0]) if len(after) else None
    dates = eq.index
    return {
        "max_drawdown": mdd,
        "max_drawdown_start": _iso(dates[p]),
        "max_drawdown_end": _iso(dates[trough]),
        "max_drawdown_recovery": _iso(dates[rec]) if rec is not None else None,
        "max_drawdown_duration": (rec if rec is not None else len(vals) - 1) - p,
    }


def _benchmark_stats(eq: pd.Series, benchmark: pd.Series | None, total: float | None, periods: int,
                     rf: float) -> dict[str, Any]:
    out: dict[str, Any] = {k: None for k in ("alpha", "beta", "information_ratio", "tracking_error",
                                             "excess_return", "benchmark_return", "benchmark_annual_return")}
    if benchmark is None:
        return out
    bench = _clean_series(benchmark)
    both = pd.concat([eq.rename("s"), bench.rename("b")], axis=1, join="inner").dropna()
    if len(both) < 1:
        return out
    bvals = both["b"].to_numpy(dtype=float)
    btotal = _total_return(bvals)
    out["benchmark_return"] = btotal
    out["benchmark_annual_return"] = _annualise(btotal, len(bvals) - 1, periods)
    if total is not None and btotal is not None:
        out["excess_return"] = total - btotal
    rs = _returns(both["s"].to_numpy(dtype=float))
    rb = _returns(bvals)
    if len(rs) < 2:
        return out
    cov = np.cov(rs - rf, rb - rf, ddof=1)
    var_b = float(cov[1, 1])
    if var_b > _EPS ** 2:
        beta = float(cov[0, 1]) / var_b
        out["beta"] = beta
        out["alpha"] = (float(np.mean(rs - rf)) - beta * float(np.mean(rb - rf))) * periods
    active = rs - rb
    te_daily = float(np.std(active, ddof=1))
    if te_daily > _EPS:
        out["tracking_error"] = te_daily * math.sqrt(periods)
        out["information_ratio"] = float(np.mean(active)) * periods / out["tracking_error"]
    return out


def _trade_stats(fills: Sequence[Fill], round_trips: Sequence[RoundTrip], eq: pd.Series, n: int,
                 periods: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pnls = [float(rt.pnl_net) for rt in round_trips]
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p < 0]
    out["win_rate"] = len(wins) / len(pnls) if pnls else None
    out["profit_loss_ratio"] = ((sum(wins) / len(wins)) / (sum(-p for p in losses) / len(losses))
                                if wins and losses else None)
    traded = sum(float(f.value) if f.value else float(f.price) * int(f.size) for f in fills)
    mean_eq = float(eq.mean()) if not eq.empty else 0.0
    out["turnover"] = traded / 2.0 / mean_eq * periods / n if n > 0 and mean_eq > 0 else None
    out["trade_count"] = len(fills)
    out["round_trip_count"] = len(round_trips)
    commission = round(sum((float(f.commission) for f in fills), 0.0), 2)
    stamp = round(sum((float(f.stamp_duty) for f in fills), 0.0), 2)
    transfer = round(sum((float(f.transfer_fee) for f in fills), 0.0), 2)
    out["fees_commission"] = commission
    out["fees_stamp_duty"] = stamp
    out["fees_transfer_fee"] = transfer
    out["fees_total"] = round(commission + stamp + transfer, 2)
    return out


def _period_returns(eq: pd.Series, *, monthly: bool) -> dict[Any, float]:
    """Period-end over previous period-end (the first period over the first value)."""
    if eq.empty:
        return {}
    idx = pd.DatetimeIndex(eq.index)
    ends = eq.groupby([idx.year, idx.month] if monthly else idx.year, sort=True).last()
    out: dict[Any, float] = {}
    prev = float(eq.iloc[0])
    for key, value in ends.items():
        k = tuple(int(x) for x in key) if isinstance(key, tuple) else int(key)  # type: ignore[call-overload]
        out[k] = float(value) / prev - 1.0 if prev else math.nan
        prev = float(value)
    return out


def _iso(d: Any) -> str:
    return pd.Timestamp(d).date().isoformat()


def _py(v: Any) -> Any:
    """numpy scalars → Python; NaN/inf → None (the result JSON is written with allow_nan=False)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    return v
