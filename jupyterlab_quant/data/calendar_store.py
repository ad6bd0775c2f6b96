"""The trading calendar the data layer plans with: the bundled core calendar extended by a stored list.

``core.calendar`` stays pure (bundled ``calendar.json`` only). This module keeps a refreshed list at
``$JLQ_HOME/state/calendar.json`` — the same format as the bundled file (a sorted JSON list of
``"YYYYMMDD"``) — and hands the update planner ``default_calendar().extended(stored)``.

Refresh: ``tool_trade_date_hist_sina`` (Sina ``klc_td_sh.txt``, decoded by akshare's JS decoder; akshare
adds 1992-05-04, which Sina omits). Sanity before anything is written: the list must be sorted weekdays
and agree with the bundled calendar on the overlapping range (Sina missing bundled days, or listing
extra ones inside it, beyond ``MAX_DISAGREEMENT`` days means a broken payload — refused with a
:class:`SourceFormatError`). Inside the bundled range the bundled list wins; only days beyond it are
added, so a refresh extends the calendar into a newly published year but never removes or invents a day
the bundled list decides. The stored file is the whole merged list, written atomically (temp + rename).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..core.calendar import TradingCalendar, default_calendar
from ..core.errors import SourceFormatError
from .fetch import Fetcher

FILE = "calendar.json"
FUNC = "tool_trade_date_hist_sina"
MAX_DISAGREEMENT = 3   # days Sina may differ from the bundled list inside the shared range (e.g. 1992-05-04)


def calendar_path(state_dir: Path) -> Path:
    return Path(state_dir) / FILE


def stored_days(state_dir: Path) -> list[dt.date]:
    path = calendar_path(state_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return []   # an unreadable refresh is ignored: the bundled calendar still works
    return [dt.date(int(s[:4]), int(s[4:6]), int(s[6:8])) for s in raw if isinstance(s, str) and len(s) == 8]


def load_calendar(state_dir: Path) -> TradingCalendar:
    """Bundled calendar extended by the stored refresh (if any)."""
    more = stored_days(state_dir)
    base = default_calendar()
    return base.extended(more) if more else base


@dataclass
class CalendarRefresh:
    fetched: int
    added: int
    first: dt.date
    last: dt.date
    path: Path

    def summary(self) -> str:
        return (f"交易日历 trading calendar: 新浪 {self.fetched} 天, 新增 {self.added} 天, "
                f"范围 {self.first} … {self.last} (sina {self.fetched} days, {self.added} added) → {self.path}")


def refresh_calendar(fetcher: Fetcher, state_dir: Path) -> CalendarRefresh:
    import akshare as ak

    df = fetcher.call("sina", f"{FUNC}()", ak.tool_trade_date_hist_sina)
    if "trade_date" not in df.columns or df.empty:
        raise SourceFormatError(f"新浪 sina {FUNC}: 没有 trade_date 列或为空 "
                                f"(empty or changed shape: {list(df.columns)})",
                                "升级 akshare 或稍后重试；内置交易日历仍可用", source="sina")
    days = sorted({d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10]) for d in df["trade_date"]})
    weekend = [d for d in days if d.weekday() >= 5]
    if weekend:
        raise SourceFormatError(f"新浪 sina {FUNC}: 含周末日期 {weekend[:3]} (weekend days in the list)",
                                "数据异常，未写入；内置交易日历仍可用", source="sina")
    base = default_calendar()
    lo, hi = max(base.first, days[0]), min(base.last, days[-1])
    mine, theirs = set(base.between(lo, hi)) if lo <= hi else set(), {d for d in days if lo <= d <= hi}
    missing, extra = sorted(mine - theirs), sorted(theirs - mine)
    if len(missing) + len(extra) > MAX_DISAGREEMENT:
        raise SourceFormatError(
            f"新浪 sina {FUNC}: 与内置交易日历不一致 (disagrees with the bundled calendar on {lo}…{hi}: "
            f"{len(missing)} missing e.g. {missing[:3]}, {len(extra)} extra e.g. {extra[:3]})",
            "未写入；内置交易日历仍可用。升级 akshare 或报告问题", source="sina")
    old = stored_days(state_dir)
    beyond = {d for d in days if d > base.last or d < base.first}   # inside the bundled range, bundled wins
    merged = sorted(set(base.days) | set(old) | beyond)
    path = calendar_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{FILE}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps([d.strftime("%Y%m%d") for d in merged]), encoding="utf-8")
    os.replace(tmp, path)
    added = len(set(merged) - set(base.days) - set(old))
    return CalendarRefresh(len(days), added, merged[0], merged[-1], path)
