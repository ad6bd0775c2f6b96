"""The backtest engine: a :class:`BacktestSpec` in, a finalized :class:`BacktestResult` out.

Builds a Backtrader ``Cerebro`` with store feeds (unadjusted, suspensions as gaps), the A-share broker
(:mod:`.broker` documents the pinned execution conventions), the user's strategy and a recorder that
samples equity each bar, reports progress and honours cancellation/timeouts between bars. The
equity curve is aligned to the trading calendar on [start, end] (initial cash before the first bar,
carried forward over days on which no data moved). The benchmark (default CSI 300 ``000300.SH``) is
scaled to the starting cash. Everything blocking lives here; edges call it from executors/Dask.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import backtrader as bt
import pandas as pd

from ..core.calendar import TradingCalendar, default_calendar
from ..core.errors import Cancelled, JobTimeout, NoData, NotFound, QuantError, StrategyError
from ..data.query import QueryService
from .broker import AShareBroker
from .feeds import load_benchmark, load_feed
from .profiles import BUILTIN, Preset, ProfileStore
from .spec import BacktestResult, BacktestSpec, RoundTrip
from .strategy import load_strategy, read_source, resolve_params, user_traceback

MAX_LOG_CHARS = 200_000


class _Recorder(bt.Analyzer):  # type: ignore[misc]
    """Samples broker value per bar; progress and stop checks between bars."""

    params = (("hooks", None),)

    def start(self) -> None:
        self.values: dict[dt.date, tuple[float, float]] = {}

    def _sample(self) -> None:
        day = self.strategy.broker.day
        if day is None:
            return
        self.values[day] = (self.strategy.broker.getvalue(), self.strategy.broker.getcash())
        self.p.hooks.tick(day, self.strategy)

    def prenext(self) -> None:
        self._sample()

    def next(self) -> None:
        self._sample()


class _Hooks:
    def __init__(self, days: list[dt.date], timeout_s: float, progress: Callable[[float], None] | None,
                 should_stop: Callable[[], bool] | None) -> None:
        self.index = {d: i for i, d in enumerate(days)}
        self.n = max(len(days), 1)
        self.deadline = time.monotonic() + timeout_s
        self.timeout_s = timeout_s
        self.progress, self.should_stop = progress, should_stop
        self.stopped: QuantError | None = None
        self._last = 0.0

    def tick(self, day: dt.date, strategy: Any) -> None:
        now = time.monotonic()
        if now - self._last < 0.2:
            return
        self._last = now
        if self.progress is not None:
            self.progress(min((self.index.get(day, 0) + 1) / self.n, 0.999))
        if now > self.deadline:
            self.stopped = JobTimeout(f"回测超过时间限制 {self.timeout_s:.0f} 秒 (backtest timed out)",
                                      "缩短日期范围/代码数，或提高 timeout")
        elif self.should_stop is not None and self.should_stop():
            self.stopped = Cancelled("回测已取消 (cancelled)", "")
        if self.stopped is not None:
            strategy.env.runstop()


def resolve_preset(spec: BacktestSpec, home: Path | None) -> Preset:
    if home is not None:
        return ProfileStore(home).get(spec.profile)
    for p in BUILTIN:
        if p.name == spec.profile:
            return p
    raise NotFound(f"没有名为 {spec.profile!r} 的券商配置 (unknown broker profile)",
                   f"可用: {', '.join(p.name for p in BUILTIN)}")


def run_spec(spec: BacktestSpec, query: QueryService, *, progress: Callable[[float], None] | None = None,
             should_stop: Callable[[], bool] | None = None, home: Path | None = None,
             calendar: TradingCalendar | None = None, strategy_cls: type | None = None) -> BacktestResult:
    """Run ``spec`` in this process. Raises StrategyError (with the user's traceback), InvalidInput,
    NotFound/NoData, Cancelled or JobTimeout; never returns a half-built result.

    ``strategy_cls`` (Python API only) runs an already-defined class instead of loading the source.
    """
    t0 = time.perf_counter()
    preset = resolve_preset(spec, home)
    profile = preset.broker_profile(spec.commission, spec.min_commission)
    slippage = preset.slippage if spec.slippage is None else spec.slippage
    filename = spec.strategy_file or "<strategy>"
    if strategy_cls is not None:
        if not (isinstance(strategy_cls, type) and issubclass(strategy_cls, bt.Strategy)):
            raise StrategyError(f"{strategy_cls!r} 不是 backtrader.Strategy 子类 (not a Strategy class)", "")
        cls = strategy_cls
        filename = getattr(inspect.getmodule(cls), "__file__", None) or filename
    else:
        source = spec.strategy_source if spec.strategy_source is not None else read_source(filename)
        cls = load_strategy(source, filename, spec.strategy_class)
    params = resolve_params(cls, spec.params)
    if calendar is None:
        if home is not None:
            from ..data.calendar_store import load_calendar
            calendar = load_calendar(home / "state")
        else:
            calendar = default_calendar()
    days = calendar.between(spec.start, spec.end)
    if not days:
        raise NoData(f"{spec.start} 至 {spec.end} 没有交易日 (no trading days in range)", "检查开始/结束日期")

    cerebro = bt.Cerebro(stdstats=False, quicknotify=True)
    broker = AShareBroker()
    cerebro.broker = broker
    broker.setcash(spec.cash)
    broker.configure(profile, slippage, spec.volume_cap, calendar)
    frames: dict[str, pd.DataFrame] = {}
    for sym in spec.symbols:
        feed, info, frame = load_feed(query, sym, spec.start, spec.end)
        cerebro.adddata(feed, name=info.symbol)
        broker.attach(feed, info)
        frames[info.symbol] = frame
    bench = pd.Series(dtype=float)
    notes: list[str] = []
    if spec.benchmark:
        try:
            bench = load_benchmark(query, spec.benchmark, spec.start, spec.end)
        except NoData as exc:
            notes.append(f"[jlq] 基准 {spec.benchmark} 无数据，未画基准 (benchmark has no data): {exc.message}")
    hooks = _Hooks(days, spec.timeout_s, progress, should_stop)
    cerebro.addanalyzer(_Recorder, _name="jlq_recorder", hooks=hooks)
    cerebro.addstrategy(cls, **params)

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            strategies = cerebro.run()
    except QuantError:
        raise
    except Exception as exc:
        raise StrategyError(f"策略运行出错 (strategy raised) {type(exc).__name__}: {exc}",
                            "查看下面的 traceback，修正策略后重试", user_traceback(exc, filename)) from None
    if hooks.stopped is not None:
        raise hooks.stopped
    rec = strategies[0].analyzers.jlq_recorder
    result = _assemble(spec, broker, rec.values, days, bench, frames, out.getvalue(), notes)
    from .metrics import finalize

    result = finalize(result)
    result.elapsed_s = round(time.perf_counter() - t0, 4)
    if progress is not None:
        progress(1.0)
    return result


def _assemble(spec: BacktestSpec, broker: AShareBroker, values: dict[dt.date, tuple[float, float]],
              days: list[dt.date], bench: pd.Series, frames: dict[str, pd.DataFrame], log: str,
              notes: list[str]) -> BacktestResult:
    idx = pd.DatetimeIndex(pd.to_datetime(days))
    eq = pd.Series({pd.Timestamp(d): v for d, (v, _c) in values.items()}, dtype=float)
    equity = eq.reindex(idx).ffill().fillna(spec.cash)
    curve = [(d.date().isoformat(), round(float(v), 2)) for d, v in zip(idx, equity.to_numpy(), strict=True)]
    bench_curve: list[tuple[str, float]] = []
    if not bench.empty:
        b = bench.reindex(idx).ffill().dropna()
        if not b.empty:
            scaled = b / float(b.iloc[0]) * spec.cash
            bench_curve = [(d.date().isoformat(), round(float(v), 2))
                           for d, v in zip(pd.DatetimeIndex(scaled.index), scaled.to_numpy(), strict=True)]
    traded = {f.symbol for f in broker.fills}
    prices = {sym: [(d.date().isoformat(), *(round(float(x), 4) for x in row))
                    for d, row in zip(fr.index, fr[["open", "high", "low", "close"]].to_numpy(), strict=True)]
              for sym, fr in frames.items() if sym in traded}
    positions = {info.symbol: int(broker.positions[data].size) for data, info in broker.infos.items()
                 if broker.positions[data].size}
    lines = [*notes, *log.splitlines()]
    text, size = [], 0
    for line in lines:
        size += len(line) + 1
        if size > MAX_LOG_CHARS:
            text.append("[jlq] 日志过长已截断 (log truncated)")
            break
        text.append(line)
    return BacktestResult(
        spec=spec, final_value=round(float(broker.getvalue()), 2), cash=round(float(broker.getcash()), 2),
        trades=list(broker.fills), rejections=list(broker.rejections), equity_curve=curve,
        benchmark_curve=bench_curve, round_trips=[RoundTrip(**r) for r in broker.round_trips],
        corporate_actions=list(broker.actions), positions=positions, prices=prices, log=text)
