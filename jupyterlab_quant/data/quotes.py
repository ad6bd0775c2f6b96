"""Quote feeds (实时行情): where the latest prices of the watched symbols come from.

- ``LiveQuoteFeed`` — akshare's whole-market realtime snapshot (``stock_zh_a_spot_em``, one request for
  every A share) through the fetcher (timeouts, circuit breaker), cut down to the watched symbols. Used
  during trading sessions.
- ``ReplayQuoteFeed`` — plays stored daily or 1-minute bars as quotes, one bar per ``step()``, looping
  at the end: the offline default for ``make run`` and how historical scenarios are replayed. A daily bar
  is played as four ticks (open, high/low, low/high, close) so prices move within the day.

Both return ``core.live.Quote`` lists; publishing them on the bus is the scheduler's job.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.calendar import in_session
from ..core.errors import InvalidInput, NotFound
from ..core.live import Quote, exchange_now
from ..core.types import normalize_symbol
from .sources.akshare_em import NAME as EASTMONEY
from .sources.akshare_em import SPOT_COLUMNS
from .sources.base import require_columns

if TYPE_CHECKING:
    from .fetch import Fetcher
    from .query import QueryService


def _f(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def quotes_from_spot(raw: pd.DataFrame, symbols: Iterable[str] | None, now: dt.datetime) -> list[Quote]:
    """Rows of ``stock_zh_a_spot_em`` → quotes for ``symbols`` (all when None). Suspended rows (no price,
    zero volume) become quotes with a NaN price rather than disappearing: the risk rules need to see them."""
    require_columns(raw, SPOT_COLUMNS, EASTMONEY, "stock_zh_a_spot_em", "*")
    wanted = None if symbols is None else {s.split(".")[0]: s for s in symbols}
    out: list[Quote] = []
    for rec in raw[SPOT_COLUMNS].itertuples(index=False):
        code = str(rec[0]).zfill(6)
        if wanted is not None and code not in wanted:
            continue
        try:
            sym = wanted[code] if wanted is not None else normalize_symbol(code)
        except InvalidInput:
            continue
        vol = _f(rec[3])
        price = _f(rec[2])
        if math.isnan(vol) or vol <= 0:
            price = math.nan  # 停牌: eastmoney shows '-' or the previous close with no volume
        out.append(Quote(symbol=sym, price=price, preclose=_f(rec[8]), time=now, open=_f(rec[7]),
                         high=_f(rec[5]), low=_f(rec[6]), volume=0 if math.isnan(vol) else round(vol * 100),
                         amount=0.0 if math.isnan(_f(rec[4])) else _f(rec[4]),
                         name="" if pd.isna(rec[1]) else str(rec[1]).strip()))
    return out


class LiveQuoteFeed:
    """Polls the realtime snapshot; one akshare call per poll whatever the number of symbols."""

    kind = "live"

    def __init__(self, fetcher: Fetcher, clock: Callable[[], dt.datetime] = exchange_now) -> None:
        self.fetcher = fetcher
        self.clock = clock

    def active(self, now: dt.datetime | None = None) -> bool:
        """True during continuous trading (trading calendar + 9:30–11:30 / 13:00–15:00 Asia/Shanghai)."""
        return in_session(now or self.clock())

    def poll(self, symbols: Iterable[str]) -> list[Quote]:
        import akshare as ak

        syms = list(symbols)
        if not syms:
            return []
        raw = self.fetcher.call(EASTMONEY, "stock_zh_a_spot_em()", ak.stock_zh_a_spot_em, tries=1)
        return quotes_from_spot(raw, syms, self.clock())


class ReplayQuoteFeed:
    """Stored bars replayed as quotes. ``freq`` "1d" (default) or "1m"; ``start`` the first bar date."""

    kind = "replay"
    TICKS_PER_DAY = 4

    def __init__(self, query: QueryService, *, freq: str = "1d", start: dt.date | str | None = None,
                 end: dt.date | str | None = None, loop: bool = True) -> None:
        if freq not in ("1d", "1m"):
            raise InvalidInput(f"回放频率 {freq!r} 无效 (replay freq must be '1d' or '1m')", "用 1d 或 1m")
        self.query = query
        self.freq = freq
        self.start = start
        self.end = end
        self.loop = loop
        self._symbols: tuple[str, ...] = ()
        self._frames: dict[str, pd.DataFrame] = {}
        self._times: list[pd.Timestamp] = []
        self._pos = 0
        self._names: dict[str, str] = {}
        self._lock = threading.Lock()

    def active(self, now: dt.datetime | None = None) -> bool:
        return True

    # ---- loading -----------------------------------------------------------------------------
    def _load(self, symbols: tuple[str, ...]) -> None:
        frames: dict[str, pd.DataFrame] = {}
        for sym in symbols:
            try:
                df = self.query.bars(sym, self.start, self.end, freq=self.freq)
            except (NotFound, InvalidInput):
                continue  # an unknown symbol or one without bars just does not tick
            if df.empty:
                continue
            key = "ts" if "ts" in df.columns else "date"
            df = df.assign(_t=pd.to_datetime(df[key])).set_index("_t").sort_index()
            if self.freq == "1m":  # minute bars carry no 前收盘: the previous day's last close
                day = pd.DatetimeIndex(df.index).normalize()
                last = df.groupby(day)["close"].last().shift(1)
                df["preclose"] = last.reindex(day).to_numpy()
            frames[sym] = df
        try:
            inst = self.query.instruments()
            self._names = dict(zip(inst["symbol"], inst["name"].fillna(""), strict=False))
        except Exception:  # names are decoration; a broken instruments table must not stop quotes
            self._names = {}
        times = sorted(set().union(*[set(f.index) for f in frames.values()])) if frames else []
        self._frames, self._times, self._symbols, self._pos = frames, times, symbols, 0

    @property
    def position(self) -> dt.datetime | None:
        """The simulated time of the next tick (None before the first load)."""
        if not self._times:
            return None
        return self._times[min(self._pos // self._ticks, len(self._times) - 1)].to_pydatetime()

    @property
    def _ticks(self) -> int:
        return self.TICKS_PER_DAY if self.freq == "1d" else 1

    def seek(self, when: dt.date | dt.datetime) -> None:
        """Continue from the first bar at or after ``when``."""
        with self._lock:
            i = int(np.searchsorted(np.array(self._times, dtype="datetime64[ns]"), np.datetime64(when, "ns")))
            self._pos = min(i, max(0, len(self._times) - 1)) * self._ticks

    # ---- playing -----------------------------------------------------------------------------
    def poll(self, symbols: Iterable[str]) -> list[Quote]:
        """The next tick for ``symbols`` (loading their bars on first use or when the set changes)."""
        syms = tuple(sorted(set(symbols)))
        with self._lock:
            if syms != self._symbols:
                when = self.position
                self._load(syms)
                if when is not None and self._times:
                    i = int(np.searchsorted(np.array(self._times, dtype="datetime64[ns]"),
                                            np.datetime64(when, "ns")))
                    self._pos = min(i, len(self._times) - 1) * self._ticks
            if not self._times:
                return []
            if self._pos >= len(self._times) * self._ticks:
                if not self.loop:
                    return []
                self._pos = 0
            t = self._times[self._pos // self._ticks]
            tick = self._pos % self._ticks
            self._pos += 1
            return [q for sym in syms if (q := self._quote(sym, t, tick)) is not None]

    def _quote(self, sym: str, t: pd.Timestamp, tick: int) -> Quote | None:
        df = self._frames.get(sym)
        if df is None:
            return None
        when = t.to_pydatetime()
        name = str(self._names.get(sym, "") or "")
        if t not in df.index:  # suspended that day (no bar): a NaN quote at the last known preclose
            prev = df.loc[:t]
            pc = _f(prev["close"].iloc[-1]) if len(prev) else math.nan
            return Quote(sym, math.nan, pc, self._clock_time(when, tick), name=name)
        row = df.loc[t]
        if isinstance(row, pd.DataFrame):
            row = row.iloc[-1]
        o, h, lo, c = (_f(row[k]) for k in ("open", "high", "low", "close"))
        pc = _f(row.get("preclose", math.nan))
        vol = int(row.get("volume", 0) or 0)
        if vol <= 0 or int(row.get("trade_status", 1) if not pd.isna(row.get("trade_status", 1)) else 1) == 0:
            return Quote(sym, math.nan, pc, self._clock_time(when, tick), name=name)
        if self.freq == "1m":
            amount = _f(row.get("amount", 0.0))
            return Quote(sym, c, pc, when, o, h, lo, vol, 0.0 if math.isnan(amount) else amount, name)
        # one day as four ticks: open → the extreme nearer the open → the other extreme → close
        path = [o, h, lo, c] if abs(h - o) <= abs(o - lo) else [o, lo, h, c]
        price = path[tick]
        hi_so_far, lo_so_far = max(path[: tick + 1]), min(path[: tick + 1])
        frac = (tick + 1) / self._ticks
        amount = _f(row.get("amount", 0.0))
        return Quote(sym, price, pc, self._clock_time(when, tick), o, hi_so_far, lo_so_far, round(vol * frac),
                     0.0 if math.isnan(amount) else amount * frac, name)

    def _clock_time(self, when: dt.datetime, tick: int) -> dt.datetime:
        if self.freq == "1m":
            return when
        times = (dt.time(9, 30), dt.time(10, 30), dt.time(13, 30), dt.time(15, 0))
        return dt.datetime.combine(when.date(), times[tick])


def make_feed(kind: str, *, query: QueryService, fetcher_factory: Callable[[], Fetcher] | None = None,
              replay_freq: str = "1d", replay_start: str | None = None) -> LiveQuoteFeed | ReplayQuoteFeed:
    """``kind`` "live" or "replay" → a feed (the scheduler's ``auto`` picks between them per poll)."""
    if kind == "live":
        if fetcher_factory is None:
            raise InvalidInput("实时行情需要数据源 (live quotes need a fetcher)", "")
        return LiveQuoteFeed(fetcher_factory())
    if kind == "replay":
        return ReplayQuoteFeed(query, freq=replay_freq, start=replay_start or None)
    raise InvalidInput(f"行情源 {kind!r} 无效 (quote feed must be live, replay, auto or off)",
                       "c.QuantExtension.quote_feed = 'auto' | 'live' | 'replay' | 'off'")
