"""Notification settings file ``$JLQ_HOME/config/notify.json`` (non-secret only): global settings
(de-duplication window, quiet hours, digest, retries, timeouts) and per-channel ``enabled``,
``base_url`` and options. Written atomically (temp file + ``os.replace``); re-read when another process
changed it."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..core.errors import InvalidInput

FORMAT = 1
DEFAULTS: dict[str, Any] = {
    "format": FORMAT,
    "dedupe_window_s": 1800,
    "quiet_hours": None,                      # "22:00-07:30": non-critical alerts held for a digest
    "dashboard_url": None,                    # the monitor dashboard as the phone reaches it: linked from alerts
    "digest": {"delay_s": 60, "top": 10},     # first held alert waits delay_s so a storm lands in one digest
    "retry": {"max_attempts": 5, "base_s": 30, "max_s": 900, "inline_attempts": 2},
    "timeout": {"connect": 3.05, "read": 5.0},    # WeChat APIs answer in well under a second
    "channels": {},
}
# (section, key) → (min, max, integer?)
RANGES: dict[tuple[str, ...], tuple[float, float, bool]] = {
    ("dedupe_window_s",): (0, 7 * 86400, True),
    ("digest", "delay_s"): (0, 3600, True),
    ("digest", "top"): (1, 50, True),
    ("retry", "max_attempts"): (1, 20, True),
    ("retry", "base_s"): (1, 3600, False),
    ("retry", "max_s"): (1, 86400, False),
    ("retry", "inline_attempts"): (1, 5, True),
    ("timeout", "connect"): (0.1, 60, False),
    ("timeout", "read"): (0.1, 300, False),
}
_QUIET_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    start: dt.time
    end: dt.time

    def __contains__(self, when: dt.datetime) -> bool:
        t = when.time()
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end      # wraps midnight

    def end_after(self, when: dt.datetime) -> dt.datetime:
        """When the quiet period holding ``when`` ends."""
        end = dt.datetime.combine(when.date(), self.end)
        return end if end > when else end + dt.timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_quiet_hours(value: Any) -> QuietHours | None:
    if value in (None, "", "off", "none"):
        return None
    m = _QUIET_RE.match(str(value))
    ok = bool(m)
    if m:
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        ok = h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60 and (h1, m1) != (h2, m2)
    if not m or not ok:
        raise InvalidInput(f"quiet_hours 格式无效 (bad quiet_hours): {value!r}",
                           "用 HH:MM-HH:MM，可跨午夜，如 22:00-07:30；off 关闭 (e.g. 22:00-07:30; off disables)")
    assert m is not None
    h1, m1, h2, m2 = (int(x) for x in m.groups())
    return QuietHours(dt.time(h1, m1), dt.time(h2, m2))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def check_number(path: tuple[str, ...], value: Any) -> float | int:
    lo, hi, integer = RANGES[path]
    name = ".".join(path)
    try:
        num = float(value)
    except (TypeError, ValueError):
        num = float("nan")
    if isinstance(value, bool) or not (lo <= num <= hi) or (integer and num != int(num)):
        raise InvalidInput(f"设置 {name} 的值无效 (bad value for {name}): {value!r}",
                           f"应为 {'整数' if integer else '数字'} {lo:g} … {hi:g}")
    return int(num) if integer else num


def check_dashboard_url(value: Any) -> str | None:
    """The monitor dashboard link of alerts: an http(s) URL without spaces, or None/"" to remove it."""
    if value is None or value == "":
        return None
    url = str(value).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url) or len(url) > 500:
        raise InvalidInput(f"看板地址无效 (bad dashboard_url): {value!r}",
                           "例如 https://192.168.1.5:8866/voila/render/monitor.ipynb（平板能打开的地址）")
    return url


class ConfigFile:
    """``notify.json`` with atomic writes and change detection (another process may write it)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._stamp: tuple[int, int] | None = None
        self._data: dict[str, Any] = copy.deepcopy(DEFAULTS)

    def _current_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def load(self) -> dict[str, Any]:
        """The settings (defaults filled in); a deep copy the caller may change and pass to :meth:`save`."""
        with self._lock:
            stamp = self._current_stamp()
            if stamp != self._stamp:
                raw: dict[str, Any] = {}
                if stamp is not None:
                    try:
                        raw = json.loads(self.path.read_text(encoding="utf-8"))
                    except (OSError, ValueError) as exc:
                        raise InvalidInput(f"通知设置文件无法读取 (cannot read {self.path}): {exc}",
                                           "修正或删除该文件后用 jlq notify set 重新设置 (fix or delete it)") from exc
                    if not isinstance(raw, dict):
                        raise InvalidInput(f"通知设置文件格式无效 (not a JSON object): {self.path}", "修正或删除该文件")
                self._data = _merge(DEFAULTS, raw)
                self._stamp = stamp
            return copy.deepcopy(self._data)

    def save(self, data: dict[str, Any]) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".notify.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, ensure_ascii=False, indent=1, sort_keys=True)
                    fh.write("\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            self._stamp = None       # re-read on next load (also normalises)
