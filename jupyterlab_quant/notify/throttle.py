"""Per-channel rate limits (限流) as data, and the decision whether one more HTTP message may go now.

Limits are counted from the delivery log's ``sends`` rows inside the caller's ``BEGIN IMMEDIATE``
transaction, so they hold across every process of the data root. A sliding 60 s window is used for
WeCom: it is at least as strict as a per-calendar-minute counter, whichever the server uses.

``digest_reserve`` slots of each window are kept for the digest: single alerts may use
``limit − reserve``, so a storm fills the window with single alerts and the digest of the rest still
fits in the same limit (1,000 alerts in a minute → 19 messages + 1 digest with WeCom's 20/min).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .log import DeliveryLog, day_start, iso


@dataclass(frozen=True)
class RateLimit:
    per_window: int | None = None     # messages per sliding window
    window_s: float = 60.0
    per_day: int | None = None        # messages per exchange day (00:00–24:00 Asia/Shanghai)
    opt_ins: int | None = None        # subscribe messages: one message per user opt-in
    opt_in_since: float = 0.0         # when the user last set the opt-in count
    digest_reserve: int = 0

    def describe(self) -> str:
        parts = []
        if self.per_window:
            per = "分钟" if self.window_s == 60 else f"{self.window_s:g} 秒"
            en = "minute" if self.window_s == 60 else f"{self.window_s:g} s"
            parts.append(f"{self.per_window} 条/{per} ({self.per_window} per {en})")
        if self.per_day:
            parts.append(f"{self.per_day} 条/天 ({self.per_day} per day)")
        if self.opt_ins is not None:
            parts.append(f"每次订阅 1 条，已授权 {self.opt_ins} 次 (one message per opt-in; {self.opt_ins} granted)")
        return "; ".join(parts) or "不限 (unlimited)"


def wecom_limit(per_minute: int = 20) -> RateLimit:
    return RateLimit(per_window=per_minute, window_s=60.0, digest_reserve=1 if per_minute >= 3 else 0)


def daily_limit(per_day: int) -> RateLimit:
    return RateLimit(per_day=per_day, digest_reserve=1 if per_day >= 3 else 0)


def opt_in_limit(opt_ins: int, since: float) -> RateLimit:
    # a subscribe message is too precious to keep back for a digest
    return RateLimit(opt_ins=opt_ins, opt_in_since=since, digest_reserve=0)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str | None = None
    reason: str = ""
    retry_at: float | None = None


ALLOW = Decision(True)


def decide(con: sqlite3.Connection, channel: str, limit: RateLimit, now: float, *, digest: bool = False) -> Decision:
    """May ``channel`` make one more HTTP message at ``now``? Run inside ``DeliveryLog.tx()``; when allowed
    the caller records the slot (``DeliveryLog.take_slot``) in the same transaction."""
    blocked = DeliveryLog.blocked(con, channel, now)
    if blocked:
        until, code, reason = blocked
        return Decision(False, code or "quota", f"{reason}；{iso(until)} 前暂停 (channel paused until {iso(until)})",
                        until)
    reserve = 0 if digest else limit.digest_reserve
    if limit.per_window:
        since = now - limit.window_s
        n = DeliveryLog.count_sends(con, channel, since)
        if n >= limit.per_window - reserve:
            oldest = DeliveryLog.oldest_send(con, channel, since) or now
            return Decision(False, "rate_limited", f"超过频率限制 {limit.describe()}，并入汇总 "
                                                   f"(rate limit reached; goes into the digest)",
                            oldest + limit.window_s)
    if limit.per_day:
        start = day_start(now)
        n = DeliveryLog.count_sends(con, channel, start - 1e-6, quota=True)
        if n >= limit.per_day - reserve:
            return Decision(False, "daily_quota", f"今日额度已用完 {limit.describe()}，并入汇总 "
                                                  f"(daily quota used; goes into the next digest)", start + 86400)
    if limit.opt_ins is not None:
        used = DeliveryLog.count_sends(con, channel, limit.opt_in_since - 1e-6, quota=True)
        refused = DeliveryLog.failed_with(con, channel, "43101", limit.opt_in_since)
        if refused or used >= limit.opt_ins - reserve:
            return Decision(False, "no_subscription",
                            "订阅次数已用完：请在小程序中再次订阅，然后运行 jlq notify set wechat_subscribe --option "
                            "subscriptions_left=N (no subscription left: the user must opt in again, then set "
                            "subscriptions_left)")
    return ALLOW
