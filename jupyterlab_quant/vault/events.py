"""Security events waiting for delivery (``$JLQ_HOME/state/events.db``): the server's login protection
writes them (``login.new_ip``), the scheduler hands them to the notification centre and marks them
delivered. Also the ``known_ips`` of past logins."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

EVENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL,
    created   TEXT NOT NULL,
    payload   TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_pending ON events (delivered, id);
CREATE TABLE IF NOT EXISTS known_ips (
    user       TEXT NOT NULL,
    ip         TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    logins     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (user, ip)
);
"""


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class EventStore:
    """``events`` (alert events for the notifier) and ``known_ips`` in one small SQLite file (WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10.0)
        if not self._ready:
            with self._lock:
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(EVENTS_SCHEMA)
                self._ready = True
        return con

    def note_ip(self, user: str, ip: str) -> bool:
        """Record a successful login of ``user`` from ``ip``; True when the IP was never seen before."""
        now = _now_iso()
        con = self._connect()
        try:
            with con:
                cur = con.execute("INSERT OR IGNORE INTO known_ips (user, ip, first_seen, last_seen, logins) "
                                  "VALUES (?, ?, ?, ?, 1)", (user, ip, now, now))
                if cur.rowcount == 1:
                    return True
                con.execute("UPDATE known_ips SET last_seen = ?, logins = logins + 1 WHERE user = ? AND ip = ?",
                            (now, user, ip))
                return False
        finally:
            con.close()

    def add_event(self, kind: str, payload: dict[str, Any]) -> int:
        con = self._connect()
        try:
            with con:
                cur = con.execute("INSERT INTO events (kind, created, payload, delivered) VALUES (?, ?, ?, 0)",
                                  (kind, _now_iso(), json.dumps(payload, ensure_ascii=False, sort_keys=True)))
                return int(cur.lastrowid or 0)
        finally:
            con.close()

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        con = self._connect()
        try:
            sql = "SELECT id, kind, created, payload, delivered FROM events"
            rows = con.execute(sql + (" WHERE kind = ?" if kind else "") + " ORDER BY id",
                               (kind,) if kind else ()).fetchall()
        finally:
            con.close()
        return [{"id": r[0], "kind": r[1], "created": r[2], "payload": json.loads(r[3]), "delivered": r[4]}
                for r in rows]

    def pending(self, limit: int = 100) -> list[dict[str, Any]]:
        """Undelivered events, oldest first."""
        con = self._connect()
        try:
            rows = con.execute("SELECT id, kind, created, payload FROM events WHERE delivered = 0 ORDER BY id "
                               "LIMIT ?", (limit,)).fetchall()
        finally:
            con.close()
        return [{"id": r[0], "kind": r[1], "created": r[2], "payload": json.loads(r[3])} for r in rows]

    def mark_delivered(self, ids: list[int]) -> None:
        con = self._connect()
        try:
            with con:
                con.executemany("UPDATE events SET delivered = 1 WHERE id = ?", [(i,) for i in ids])
        finally:
            con.close()
