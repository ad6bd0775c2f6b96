"""Named A-share stress windows (压力情景) as data, and how a backtest fared in each.

Every window is measured close-to-close: from the close of the last trading day BEFORE ``start``
to the close of ``end``, so the first day's move counts (a single-day event such as the 2020-02-03
open after the extended Spring Festival is close(2020-01-23) → close(2020-02-03)).

The dates are chosen from the project's knowledge of A-share market history (exchange announcements
and contemporary press; each note names what pins the date) and were cross-checked against the
CSI 300 closes in ``data/sample/index_1d.parquet``. They are editorial choices, not an official list.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class StressWindow:
    key: str
    name_zh: str
    name_en: str
    start: dt.date
    end: dt.date
    note: str

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        return d


_d = dt.date

STRESS_WINDOWS: tuple[StressWindow, ...] = (
    # Peak: SSE Composite 5178 intraday on Fri 2015-06-12, so the window opens the next Monday.
    # The second leg bottomed on 2015-08-26 and the market retested in mid-September; ending on
    # 2015-09-15 keeps both legs while leaving out the quieter Q4 rebound.
    StressWindow("crash_2015", "2015 股灾", "2015 stock market crash", _d(2015, 6, 15), _d(2015, 9, 15),
                 "Deleveraging crash after the 2015-06-12 peak; two legs (June–July, late August). "
                 "Source: SSE/CSI index history; CSRC rescue measures July 2015."),
    # The index circuit breaker (指数熔断) took effect 2016-01-04 and was suspended by the CSRC after
    # it triggered twice (01-04 and 01-07); the exchanges resumed normal trading on 01-08. The slide
    # continued to late January, but that is the broader market, not the mechanism, so we stop at 01-07.
    StressWindow("circuit_breaker_2016", "2016 熔断", "2016 circuit breaker", _d(2016, 1, 4), _d(2016, 1, 7),
                 "CSI 300 circuit breaker live 2016-01-04…01-07; both days closed early at the 7 % threshold. "
                 "Source: SSE/SZSE/CFFEX notice of 2016-01-07 suspending the mechanism."),
    # First session after the Spring Festival holiday, extended for COVID-19: CSI 300 −7.9 %.
    StressWindow("covid_gap_2020", "2020 新冠疫情节后跳空", "2020 COVID post-holiday gap",
                 _d(2020, 2, 3), _d(2020, 2, 3),
                 "Markets reopened 2020-02-03 after the COVID-extended Spring Festival; thousands of stocks "
                 "limit-down. Source: State Council holiday-extension notice; exchange reopening notices."),
    # Small- and micro-cap sell-off (snowball-product knock-ins, quant deleveraging); bottom on 02-05,
    # the day before Central Huijin's buying announcement turned it.
    StressWindow("smallcap_2024", "2024 年初小盘股暴跌", "2024 small-cap crash", _d(2024, 1, 2), _d(2024, 2, 5),
                 "CSI 1000/2000 and micro-caps fell hardest; trough 2024-02-05. "
                 "Source: exchange index history; Central Huijin statement 2024-02-06."),
    # PBoC/CSRC/NFRA joint press conference on 2024-09-24 launched the rally; 10-08, the first
    # session after the National Day holiday, was the peak (the index fell sharply from 10-09).
    StressWindow("rally_2024", "2024 年 9·24 行情", "2024 September rally", _d(2024, 9, 24), _d(2024, 10, 8),
                 "Stimulus rally from the 2024-09-24 PBoC press conference to the 2024-10-08 reopening. "
                 "Source: PBoC announcement; exchange index history."),
    # US 'reciprocal' tariffs (2025-04-02) and China's counter-tariffs (04-04) landed while A-shares
    # were closed for Qingming (04-04); 04-07 was the first session: CSI 300 −7.1 %.
    StressWindow("tariff_2025", "2025 关税冲击", "2025 tariff shock", _d(2025, 4, 7), _d(2025, 4, 7),
                 "First session after the US tariff announcement and China's response over Qingming. "
                 "Source: exchange index history, 2025-04-07."),
)


def stress_table(equity: pd.Series, benchmark: pd.Series | None = None,
                 windows: tuple[StressWindow, ...] = STRESS_WINDOWS) -> list[dict[str, Any]]:
    """One row per window the equity curve overlaps; windows entirely outside it are left out.

    ``partial`` is True when the curve starts inside the window (no close before ``start``, so the
    window is measured from the curve's first value) or ends before ``end``. Windows the curve meets
    on a single day only are left out: that day alone has no move to measure.
    """
    eq = _series(equity)
    bench = _series(benchmark) if benchmark is not None else None
    rows: list[dict[str, Any]] = []
    for w in windows:
        m = _measure(eq, w)
        if m is None:
            continue
        ret, mdd, partial = m
        b = _measure(bench, w) if bench is not None and not bench.empty else None
        bret = b[0] if b is not None else None
        rows.append({
            "key": w.key, "name_zh": w.name_zh, "name_en": w.name_en,
            "start": w.start.isoformat(), "end": w.end.isoformat(),
            "return": _num(ret), "benchmark_return": _num(bret),
            "excess": _num(ret - bret) if bret is not None else None,
            "max_drawdown": _num(mdd), "partial": partial,
        })
    return rows


def _measure(s: pd.Series, w: StressWindow) -> tuple[float, float, bool] | None:
    """(return, max drawdown within the window, partial?) or None when the curve misses the window."""
    if s.empty:
        return None
    start, end = pd.Timestamp(w.start), pd.Timestamp(w.end)
    inside = s[(s.index >= start) & (s.index <= end)]
    if inside.empty:
        return None
    before = s[s.index < start]
    partial = before.empty or s.index[-1] < end
    # Base is the close before the window when the curve has one; otherwise its first value.
    path = pd.concat([before.iloc[-1:], inside]) if not before.empty else inside
    if len(path) < 2 or float(path.iloc[0]) == 0:
        return None
    vals = path.to_numpy(dtype=float)
    ret = float(vals[-1] / vals[0] - 1.0)
    running_high = pd.Series(vals).cummax().to_numpy()
    mdd = float(max((1.0 - vals / running_high).max(), 0.0))
    return ret, mdd, bool(partial)


def _series(s: pd.Series) -> pd.Series:
    s = s.astype(float).dropna()
    if not isinstance(s.index, pd.DatetimeIndex):
        s.index = pd.DatetimeIndex(pd.to_datetime(s.index))
    return s[~s.index.duplicated(keep="last")].sort_index()


def _num(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None
