"""A-share trading calendar (交易日历) and sessions, as pure functions over a bundled date list.

``calendar.json`` is akshare 1.19.5's ``file_fold/calendar.json`` (SSE trading days 1990-12-19 …
2026-12-31, incl. 1992-05-04; see ../reference/akshare.md §3.9). A year appears only after the
exchanges publish its holidays, so :meth:`TradingCalendar.covers` must be checked before relying on a
date beyond ``last``; newer lists (e.g. from ``tool_trade_date_hist_sina``) can be merged with
:meth:`TradingCalendar.extended`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from functools import lru_cache
from importlib import resources

from .errors import BadRange

# Continuous-auction sessions (SSE/SZSE rule 2.4.2): 09:30–11:30 and 13:00–15:00 Asia/Shanghai.
SESSIONS = ((dt.time(9, 30), dt.time(11, 30)), (dt.time(13, 0), dt.time(15, 0)))


class TradingCalendar:
    """Sorted, unique exchange trading days with range queries."""

    def __init__(self, days: list[dt.date]) -> None:
        self.days = sorted(set(days))
        self._set = set(self.days)

    @property
    def first(self) -> dt.date:
        return self.days[0]

    @property
    def last(self) -> dt.date:
        return self.days[-1]

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    def is_trading_day(self, day: dt.date) -> bool:
        return day in self._set

    def between(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Trading days in [start, end]; BadRange when the range is reversed or outside the calendar."""
        if end < start:
            raise BadRange(f"结束日期 {end} 早于开始日期 {start} (end before start)", "请交换 start 与 end")
        if start > self.last or end < self.first:
            raise BadRange(f"{start} 至 {end} 不在交易日历范围 {self.first} … {self.last} 内 (outside the calendar)",
                           "更新交易日历或调整日期范围")
        lo = bisect.bisect_left(self.days, start)
        hi = bisect.bisect_right(self.days, end)
        return self.days[lo:hi]

    def previous(self, day: dt.date) -> dt.date | None:
        """The last trading day strictly before ``day``."""
        i = bisect.bisect_left(self.days, day)
        return self.days[i - 1] if i > 0 else None

    def next(self, day: dt.date) -> dt.date | None:
        """The first trading day strictly after ``day``."""
        i = bisect.bisect_right(self.days, day)
        return self.days[i] if i < len(self.days) else None

    def latest_on_or_before(self, day: dt.date) -> dt.date | None:
        i = bisect.bisect_right(self.days, day)
        return self.days[i - 1] if i > 0 else None

    def extended(self, more: list[dt.date]) -> TradingCalendar:
        return TradingCalendar([*self.days, *more])


def in_session(moment: dt.datetime) -> bool:
    """True during continuous trading on a trading day (``moment`` in exchange local time)."""
    if not default_calendar().is_trading_day(moment.date()):
        return False
    t = moment.time()
    return any(a <= t <= b for a, b in SESSIONS)


@lru_cache(maxsize=1)
def default_calendar() -> TradingCalendar:
    raw = json.loads(resources.files(__package__).joinpath("calendar.json").read_text(encoding="utf-8"))
    return TradingCalendar([dt.date(int(s[:4]), int(s[4:6]), int(s[6:])) for s in raw])
