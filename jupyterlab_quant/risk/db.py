"""The risk database ``$JLQ_HOME/state/risk.db`` (SQLite, WAL): schema and connection helpers shared by
the rule store and the account store.

The server, kernels, Voila and the scheduler may all check and edit at once, so every connection is
short-lived, autocommit, with a busy timeout; multi-statement writes run inside ``BEGIN IMMEDIATE`` so
readers never see half of a change and a failed write leaves the stored data as it was.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,       -- AUTOINCREMENT: ids are never reused, alert keys stay unique
    kind TEXT NOT NULL, name TEXT NOT NULL, params TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1, strategy TEXT,
    created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rule_status (
    rule_id INTEGER PRIMARY KEY, state TEXT NOT NULL, value REAL, threshold REAL,
    message TEXT NOT NULL DEFAULT '', symbols TEXT NOT NULL DEFAULT '[]', checked_at TEXT);
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY, cash REAL NOT NULL DEFAULT 0,
    chinext INTEGER NOT NULL DEFAULT 0, star INTEGER NOT NULL DEFAULT 0, updated TEXT);
CREATE TABLE IF NOT EXISTS positions (
    account TEXT NOT NULL, symbol TEXT NOT NULL, quantity INTEGER NOT NULL, cost REAL NOT NULL,
    strategy TEXT, opened TEXT, PRIMARY KEY (account, symbol));
CREATE TABLE IF NOT EXISTS account_state (
    account TEXT PRIMARY KEY, day_date TEXT, day_start_value REAL, last_value REAL, last_date TEXT,
    peak_value REAL, peak_at TEXT);
CREATE TABLE IF NOT EXISTS position_state (
    account TEXT NOT NULL, symbol TEXT NOT NULL, high REAL, high_at TEXT, last_price REAL,
    last_price_at TEXT, name TEXT, PRIMARY KEY (account, symbol));
"""

_ready: set[str] = set()
_ready_lock = threading.Lock()
_local = threading.local()


def db_path(home: Path | str) -> Path:
    return Path(home) / "state" / "risk.db"


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@contextmanager
def connect(path: Path, busy_timeout_s: float = 10.0) -> Iterator[sqlite3.Connection]:
    """A short-lived autocommit connection; creates the file and schema on first use in this process.
    Nested use in one thread shares the outer connection (a check pass opens one, not five)."""
    open_: dict[str, sqlite3.Connection] = _local.__dict__.setdefault("open", {})
    key = str(path)
    if key in open_:
        yield open_[key]
        return
    _ensure(path, busy_timeout_s)
    con = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)  # timeout = busy timeout
    open_[key] = con
    try:
        # NORMAL in WAL mode: a power cut may lose the last check's state, never corrupt the file
        con.execute("PRAGMA synchronous=NORMAL")
        yield con
    finally:
        del open_[key]
        con.close()


@contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; any exception rolls the whole change back."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _ensure(path: Path, busy_timeout_s: float) -> None:
    key = str(path)
    if key in _ready and path.exists():   # exists(): a deleted file gets its schema again
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
    try:
        con.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(SCHEMA)
    finally:
        con.close()
    with _ready_lock:
        _ready.add(key)
