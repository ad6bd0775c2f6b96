"""The delivery log (通知中心): ``$JLQ_HOME/state/notify.db`` (SQLite, WAL), shared by every process.

* ``alerts``: every submitted alert (payload = ``Alert.to_dict()`` JSON);
* ``deliveries``: one row per alert × channel (and per digest / test message) with its status
  ``pending`` (HTTP call in flight) | ``sent`` | ``retrying`` | ``failed`` | ``suppressed`` | ``quiet`` |
  ``digested`` | ``deduped``, attempts, the last error (code + message), next attempt, sent time;
* ``sends``: one row per HTTP message a channel was allowed to make — the rate limits count these rows
  inside ``BEGIN IMMEDIATE`` so two processes cannot both take the last slot (``released``: the service
  certainly did not take the message — connection refused, HTTP 5xx — so it does not use daily quota);
* ``channel_state``: a channel stopped until a time (daily quota reached);
* ``tokens``: encrypted WeChat access tokens (see :mod:`.wechat_mp`).

Nothing secret is stored: no webhook key, SendKey, token or AppSecret in any column (error texts are
scrubbed by the channels). Times are epoch seconds (REAL); the API shows them as exchange-local ISO text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..core.live import Alert

STATUSES = ("pending", "sent", "retrying", "failed", "suppressed", "quiet", "digested", "deduped")
HELD = ("suppressed", "quiet")                        # waiting for a digest
ACTIVE = ("pending", "sent", "retrying", "suppressed", "quiet", "digested")   # count for de-duplication
_LOCAL_EPOCH = dt.datetime(1970, 1, 1, 8, 0, 0)     # exchange time is UTC+8 with no DST

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY, key TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL, title TEXT NOT NULL,
    message TEXT NOT NULL, time TEXT NOT NULL, created REAL NOT NULL, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_created ON alerts(created);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT, alert_key TEXT, kind TEXT NOT NULL, channel TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error_code TEXT, error TEXT, created REAL NOT NULL,
    updated REAL NOT NULL, next_attempt REAL, sent REAL, title TEXT NOT NULL DEFAULT '', severity TEXT,
    digest_id INTEGER, payload TEXT);
CREATE INDEX IF NOT EXISTS deliveries_key ON deliveries(alert_key, channel, created);
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries(status, channel, created);
CREATE INDEX IF NOT EXISTS deliveries_alert ON deliveries(alert_id);
CREATE TABLE IF NOT EXISTS sends (
    id INTEGER PRIMARY KEY, channel TEXT NOT NULL, at REAL NOT NULL, delivery_id INTEGER,
    digest INTEGER NOT NULL DEFAULT 0, released INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS sends_channel ON sends(channel, at);
CREATE TABLE IF NOT EXISTS channel_state (
    channel TEXT PRIMARY KEY, blocked_until REAL NOT NULL, code TEXT, reason TEXT);
CREATE TABLE IF NOT EXISTS tokens (
    name TEXT PRIMARY KEY, blob BLOB NOT NULL, expires REAL NOT NULL, forced_at REAL NOT NULL DEFAULT 0);
"""


def to_ts(when: dt.datetime) -> float:
    """Exchange-local datetime (naive, or aware in any zone) → epoch seconds."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    return (when - _LOCAL_EPOCH).total_seconds()


def from_ts(ts: float) -> dt.datetime:
    return _LOCAL_EPOCH + dt.timedelta(seconds=ts)


def iso(ts: float | None) -> str | None:
    return None if ts is None else from_ts(ts).isoformat(timespec="seconds")


def day_start(ts: float) -> float:
    """Epoch of the exchange-local midnight starting the day of ``ts``."""
    d = from_ts(ts)
    return to_ts(dt.datetime(d.year, d.month, d.day))


@dataclass(frozen=True)
class Delivery:
    """One row of the delivery log."""

    id: int
    alert_id: str | None
    alert_key: str | None
    kind: str            # alert | digest | test
    channel: str
    status: str
    attempts: int
    error_code: str | None
    error: str | None
    created: float
    updated: float
    next_attempt: float | None
    sent: float | None
    title: str
    severity: str | None
    digest_id: int | None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("created", "updated", "next_attempt", "sent"):
            d[k] = iso(d[k])
        return d


_DCOLS = ("id, alert_id, alert_key, kind, channel, status, attempts, error_code, error, created, updated, "
          "next_attempt, sent, title, severity, digest_id")


def _delivery(row: tuple[Any, ...]) -> Delivery:
    return Delivery(*row)


class DeliveryLog:
    """The delivery log of one data root. One connection, guarded by a lock (safe across threads);
    several processes share the file (WAL, busy timeout)."""

    def __init__(self, path: Path | str, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._con = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None,
                                    check_same_thread=False)
        self._con.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        if self._con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            self._con.execute("PRAGMA journal_mode=WAL")
        # a log row lost in a power cut costs one duplicate message at worst
        self._con.execute("PRAGMA synchronous=NORMAL")
        with self.lock:
            self._con.executescript(SCHEMA)

    @classmethod
    def for_home(cls, home: Path | str) -> DeliveryLog:
        return cls(Path(home) / "state" / "notify.db")

    def close(self) -> None:
        with self.lock:
            self._con.close()

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``: the write lock is taken before the first read, so a
        count-then-insert is atomic across processes)."""
        with self.lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                yield self._con
                self._con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._con.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self._con.execute("BEGIN")
            try:
                yield self._con
            finally:
                self._con.execute("COMMIT")

    # ---- alerts and deliveries ------------------------------------------------------------------
    @staticmethod
    def add_alert(con: sqlite3.Connection, alert: Alert, now: float) -> None:
        con.execute("INSERT OR IGNORE INTO alerts (id, key, rule, severity, title, message, time, created, payload) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (alert.id, alert.key, alert.rule, alert.severity.value, alert.title, alert.message,
                     alert.time.isoformat(timespec="seconds"), now,
                     json.dumps(alert.to_dict(), ensure_ascii=False)))

    @staticmethod
    def alert(con: sqlite3.Connection, alert_id: str) -> Alert | None:
        row = con.execute("SELECT payload FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return Alert.from_dict(json.loads(row[0])) if row else None

    @staticmethod
    def add_delivery(con: sqlite3.Connection, *, channel: str, status: str, now: float, kind: str = "alert",
                     alert: Alert | None = None, title: str = "", severity: str | None = None,
                     error_code: str | None = None, error: str | None = None, payload: str | None = None) -> int:
        cur = con.execute(
            "INSERT INTO deliveries (alert_id, alert_key, kind, channel, status, error_code, error, created, updated, "
            "title, severity, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (alert.id if alert else None, alert.key if alert else None, kind, channel, status, error_code, error,
             now, now, alert.title if alert else title, alert.severity.value if alert else severity, payload))
        return int(cur.lastrowid or 0)

    @staticmethod
    def update(con: sqlite3.Connection, delivery_id: int, now: float, **cols: Any) -> None:
        allowed = {"status", "attempts", "error_code", "error", "next_attempt", "sent", "digest_id"}
        if not cols.keys() <= allowed:
            raise ValueError(f"unknown delivery columns: {sorted(cols.keys() - allowed)}")
        sets = ", ".join(f"{k} = ?" for k in cols)
        con.execute(f"UPDATE deliveries SET {sets}, updated = ? WHERE id = ?", (*cols.values(), now, delivery_id))

    @staticmethod
    def get(con: sqlite3.Connection, delivery_id: int) -> Delivery:
        return _delivery(con.execute(f"SELECT {_DCOLS} FROM deliveries WHERE id = ?", (delivery_id,)).fetchone())

    @staticmethod
    def payload(con: sqlite3.Connection, delivery_id: int) -> str | None:
        row = con.execute("SELECT payload FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
        return row[0] if row else None

    @staticmethod
    def recent_same_key(con: sqlite3.Connection, key: str, channel: str, since: float) -> bool:
        """A delivery of an alert with this key on this channel was sent or queued after ``since``."""
        q = (f"SELECT 1 FROM deliveries WHERE alert_key = ? AND channel = ? AND created >= ? "
             f"AND status IN ({','.join('?' * len(ACTIVE))}) LIMIT 1")
        return con.execute(q, (key, channel, since, *ACTIVE)).fetchone() is not None

    @staticmethod
    def due(con: sqlite3.Connection, now: float, stale_before: float) -> list[Delivery]:
        """Retries whose time has come, and ``pending`` rows left behind by a crashed process."""
        q = (f"SELECT {_DCOLS} FROM deliveries WHERE (status = 'retrying' AND next_attempt <= ?) "
             "OR (status = 'pending' AND updated < ?) ORDER BY id")
        return [_delivery(r) for r in con.execute(q, (now, stale_before))]

    @staticmethod
    def held(con: sqlite3.Connection, channel: str) -> list[Delivery]:
        q = (f"SELECT {_DCOLS} FROM deliveries WHERE channel = ? AND kind = 'alert' AND status IN ('suppressed', "
             "'quiet') ORDER BY id")
        return [_delivery(r) for r in con.execute(q, (channel,))]

    def deliveries(self, limit: int = 100, status: str | None = None, channel: str | None = None) -> list[Delivery]:
        where, args = [], []
        if status:
            where.append("status = ?")
            args.append(status)
        if channel:
            where.append("channel = ?")
            args.append(channel)
        cond = "WHERE " + " AND ".join(where) if where else ""
        q = f"SELECT {_DCOLS} FROM deliveries {cond} ORDER BY id DESC LIMIT ?"
        with self.read() as con:
            return [_delivery(r) for r in con.execute(q, (*args, int(limit)))]

    def alerts(self, limit: int = 100) -> list[dict[str, Any]]:
        with self.read() as con:
            rows = con.execute("SELECT id, payload FROM alerts ORDER BY created DESC, rowid DESC LIMIT ?",
                               (int(limit),)).fetchall()
            out = []
            for alert_id, payload in rows:
                d = json.loads(payload)
                d["deliveries"] = [
                    {"channel": c, "status": s, "error": e, "attempts": n, "sent": iso(t)}
                    for c, s, e, n, t in con.execute("SELECT channel, status, error, attempts, sent FROM deliveries "
                                                     "WHERE alert_id = ? ORDER BY id", (alert_id,))]
                out.append(d)
            return out

    def sent_since(self, channel: str, since: float) -> int:
        with self.read() as con:
            return int(con.execute("SELECT COUNT(*) FROM deliveries WHERE channel = ? AND status = 'sent' "
                                   "AND sent >= ?", (channel, since)).fetchone()[0])

    # ---- rate-limit slots and channel blocks ------------------------------------------------------
    @staticmethod
    def count_sends(con: sqlite3.Connection, channel: str, since: float, *, quota: bool = False) -> int:
        """HTTP messages since ``since``; ``quota=True`` leaves out released ones (daily quotas, opt-ins)."""
        q = "SELECT COUNT(*) FROM sends WHERE channel = ? AND at > ?" + (" AND released = 0" if quota else "")
        return int(con.execute(q, (channel, since)).fetchone()[0])

    @staticmethod
    def release_last_slot(con: sqlite3.Connection, delivery_id: int) -> None:
        con.execute("UPDATE sends SET released = 1 WHERE id = (SELECT MAX(id) FROM sends WHERE delivery_id = ?)",
                    (delivery_id,))

    @staticmethod
    def oldest_send(con: sqlite3.Connection, channel: str, since: float) -> float | None:
        row = con.execute("SELECT MIN(at) FROM sends WHERE channel = ? AND at > ?", (channel, since)).fetchone()
        return None if row[0] is None else float(row[0])

    @staticmethod
    def take_slot(con: sqlite3.Connection, channel: str, now: float, delivery_id: int | None, digest: bool) -> None:
        con.execute("INSERT INTO sends (channel, at, delivery_id, digest) VALUES (?, ?, ?, ?)",
                    (channel, now, delivery_id, int(digest)))

    @staticmethod
    def blocked(con: sqlite3.Connection, channel: str, now: float) -> tuple[float, str, str] | None:
        row = con.execute("SELECT blocked_until, code, reason FROM channel_state WHERE channel = ? "
                          "AND blocked_until > ?", (channel, now)).fetchone()
        return (float(row[0]), row[1] or "", row[2] or "") if row else None

    @staticmethod
    def block(con: sqlite3.Connection, channel: str, until: float, code: str | None, reason: str) -> None:
        con.execute("INSERT OR REPLACE INTO channel_state (channel, blocked_until, code, reason) VALUES (?, ?, ?, ?)",
                    (channel, until, code, reason))

    @staticmethod
    def failed_with(con: sqlite3.Connection, channel: str, code: str, since: float) -> bool:
        return con.execute("SELECT 1 FROM deliveries WHERE channel = ? AND error_code = ? AND updated >= ? LIMIT 1",
                           (channel, code, since)).fetchone() is not None

    def prune(self, before: float, now: float) -> int:
        """Drop finished deliveries and their alerts older than ``before`` (retention) and rate-limit slots
        older than two days (no limit looks back further than one day)."""
        with self.tx() as con:
            n = con.execute("DELETE FROM deliveries WHERE created < ? AND status NOT IN "
                            "('pending', 'retrying', 'suppressed', 'quiet')", (before,)).rowcount
            con.execute("DELETE FROM alerts WHERE created < ? AND id NOT IN "
                        "(SELECT alert_id FROM deliveries WHERE alert_id IS NOT NULL)", (before,))
            con.execute("DELETE FROM sends WHERE at < ?", (now - 2 * 86400,))
            return int(n)

    # ---- token store (wechat_mp.TokenStore) -----------------------------------------------------
    def load_token(self, name: str) -> tuple[bytes, float, float] | None:
        with self.read() as con:
            row = con.execute("SELECT blob, expires, forced_at FROM tokens WHERE name = ?", (name,)).fetchone()
        return (bytes(row[0]), float(row[1]), float(row[2])) if row else None

    def save_token(self, name: str, blob: bytes, expires: float, forced_at: float | None = None) -> None:
        with self.tx() as con:
            con.execute("INSERT INTO tokens (name, blob, expires, forced_at) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(name) DO UPDATE SET blob = excluded.blob, expires = excluded.expires, "
                        "forced_at = COALESCE(?, tokens.forced_at)", (name, blob, expires, forced_at or 0.0,
                                                                      forced_at))

