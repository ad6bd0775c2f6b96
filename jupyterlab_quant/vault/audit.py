"""Append-only, hash-chained audit log (审计日志) of sensitive operations: ``$JLQ_HOME/state/audit.db``.

Every record carries ``prev_hash`` (the hash of the record before it; 64 zeros for the first) and
``hash`` = SHA-256 over a canonical encoding of all its fields plus ``prev_hash``, so editing any
record breaks its own hash and deleting one breaks the link of the next. A one-row *head anchor*
(``audit_anchor``: last seq + hash) is written in the same transaction as every append, so deleting
the newest records (truncating the tail) is detected too. :meth:`AuditLog.verify` walks the archives
and the live table and reports the first problem: ``edited`` (hash mismatch), ``deleted`` (seq gap or
broken ``prev_hash`` link) or ``truncated`` (the anchor names a later record than the chain ends with).

Several processes (server, kernels, scheduler, CLI) append concurrently: the chain head is read and
the new record written inside one ``BEGIN IMMEDIATE`` transaction (SQLite WAL, busy timeout), so two
writers never link to the same predecessor. Each ``AuditLog`` keeps one connection open (closing the
last connection checkpoints the WAL — ≈8 ms per append when reconnecting each time) and runs WAL with
``synchronous=NORMAL``: a process crash loses nothing; a power cut may lose the last appends (records
and anchor together, so the chain stays valid) — ≈0.3 ms per append instead of ≈2–3 ms with an fsync each.

Limits (what the chain does *not* prove): someone able to write the database can rewrite the whole
chain from some record on *and* the anchor; that is out of scope without an anchor kept elsewhere.
``jlq audit verify`` prints the head seq and hash so the user can note it down (or paste it into a
password manager) and later check it with ``jlq audit verify --anchor SEQ:HASH``. SQLite triggers
refuse ``UPDATE``/``DELETE`` from honest code paths; a deliberate tamperer can drop them, which the
hashes catch.

Retention: records are kept 5 years in the live database; :meth:`AuditLog.archive` *moves* (never
deletes) older ones into ``state/audit-archive/audit-YYYY.db`` (one file per calendar year of ``ts``),
keeping the chain intact across the boundary — verify walks archives + live as one chain. The move
copies first (committed in the archive), then removes from the live table; a crash in between leaves
the rows in both places, which verify accepts (identical duplicates) and the next ``archive()`` finishes.
"""

from __future__ import annotations

import builtins
import csv
import datetime as dt
import hashlib
import heapq
import io
import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import InvalidInput, StoreCorrupt

GENESIS = "0" * 64
RETENTION_DAYS = 5 * 365
ARCHIVE_DIR = "audit-archive"

#: Actions the product records (others are accepted when they match ``ACTION_RE``).
ACTIONS = (
    "strategy.read", "strategy.write", "strategy.delete", "strategy.restore",
    "key.rotate", "backup.create", "backup.restore", "settings.change", "risk.rule_change",
    "login", "login.failed", "login.new_ip", "audit.archive",
)
ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, actor TEXT NOT NULL, ip TEXT, action TEXT NOT NULL,
    target TEXT NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
CREATE INDEX IF NOT EXISTS audit_action ON audit(action, seq);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
"""
_LIVE_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1), head_seq INTEGER NOT NULL, head_hash TEXT NOT NULL,
    archived_seq INTEGER NOT NULL DEFAULT 0, archived_hash TEXT NOT NULL, updated TEXT NOT NULL);
INSERT OR IGNORE INTO audit_anchor (id, head_seq, head_hash, archived_seq, archived_hash, updated)
    VALUES (1, 0, '""" + GENESIS + "', 0, '" + GENESIS + """', '');
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
WHEN OLD.seq > (SELECT archived_seq FROM audit_anchor WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: only archived records may be removed'); END;
"""
_ARCHIVE_SCHEMA = """
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit archive is append-only'); END;
"""
_COLS = "seq, ts, actor, ip, action, target, detail, prev_hash, hash"


def canonical_json(obj: Any) -> str:
    """The one JSON form hashed and stored: sorted keys, UTF-8 (not \\u-escaped), no spaces."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      default=str)


def record_hash(seq: int, ts: str, actor: str, ip: str | None, action: str, target: str, detail: str,
                prev_hash: str) -> str:
    """SHA-256 (hex) over the canonical JSON array of every field, ``detail`` as its stored JSON text."""
    payload = canonical_json(["jlq-audit-v1", seq, ts, actor, ip, action, target, detail, prev_hash])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    ts: str
    actor: str
    ip: str | None
    action: str
    target: str
    detail_json: str
    prev_hash: str
    hash: str

    @property
    def detail(self) -> dict[str, Any]:
        value = json.loads(self.detail_json)
        return value if isinstance(value, dict) else {"value": value}

    def computed_hash(self) -> str:
        return record_hash(self.seq, self.ts, self.actor, self.ip, self.action, self.target, self.detail_json,
                           self.prev_hash)

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": self.ts, "actor": self.actor, "ip": self.ip, "action": self.action,
                "target": self.target, "detail": self.detail, "prev_hash": self.prev_hash, "hash": self.hash}


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    kind: str  # "edited" | "deleted" | "truncated"
    message: str

    def summary(self) -> str:
        labels = {"edited": "记录被修改 (edited)", "deleted": "记录被删除 (deleted)",
                  "truncated": "最新记录被截断 (truncated tail)"}
        return f"{labels.get(self.kind, self.kind)} at seq {self.seq}: {self.message}"


@dataclass
class AuditReport:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    archives: list[str] = field(default_factory=list)
    problem: AuditProblem | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["problem"] = asdict(self.problem) if self.problem else None
        return d

    def summary(self) -> str:
        where = f"{self.checked} 条记录 records" + (f", {len(self.archives)} 个归档 archives" if self.archives else "")
        if self.ok:
            return (f"审计日志完整 (audit chain intact): {where}; head seq {self.head_seq} hash {self.head_hash}\n"
                    "提示 hint: 请记下此哈希，之后用 `jlq audit verify --anchor SEQ:HASH` 检查整链是否被重写 "
                    "(note this hash down; a later `--anchor` check detects a rewrite of the whole chain)")
        assert self.problem is not None
        return (f"审计日志链已损坏 (audit chain broken): {self.problem.summary()} ({where} checked; "
                f"anchor head seq {self.head_seq} hash {self.head_hash})")


@dataclass(frozen=True)
class ArchiveResult:
    moved: int
    files: list[str]
    through_seq: int


def _parse_since(since: str | dt.date | dt.datetime | None) -> str | None:
    if since is None or since == "":
        return None
    if isinstance(since, str):
        try:
            since = dt.datetime.fromisoformat(since)
        except ValueError as exc:
            raise InvalidInput(f"无法识别的时间 (bad --since value): {since!r}",
                               "用 YYYY-MM-DD 或 ISO 时间 (use YYYY-MM-DD or an ISO timestamp)") from exc
    if not isinstance(since, dt.datetime):
        since = dt.datetime(since.year, since.month, since.day)
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return since.astimezone(dt.UTC).isoformat(timespec="microseconds")


class AuditLog:
    """The audit log at ``path`` (``$JLQ_HOME/state/audit.db``); archives live in ``path.parent/audit-archive``."""

    def __init__(self, path: Path | str, busy_timeout_s: float = 30.0,
                 clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.path = Path(path)
        self.archive_dir = self.path.parent / ARCHIVE_DIR
        self.busy_timeout_s = busy_timeout_s
        self.clock = clock
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None
        self._pid = 0
        self._stale: builtins.list[sqlite3.Connection] = []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA + _LIVE_SCHEMA)

    @classmethod
    def for_home(cls, home: Path | str, **kwargs: Any) -> AuditLog:
        return cls(Path(home) / "state" / "audit.db", **kwargs)

    @contextmanager
    def _live(self) -> Iterator[sqlite3.Connection]:
        """The live database on one connection kept open for this object (thread-safe, reopened after a
        fork). Opening and closing a connection per append would checkpoint the WAL on every close."""
        with self._lock:
            if self._con is None or self._pid != os.getpid():
                if self._con is not None:  # inherited across fork: never use, never close it here
                    self._stale.append(self._con)
                try:
                    con = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None,
                                          check_same_thread=False)
                    con.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
                    con.execute("PRAGMA synchronous=NORMAL")
                except sqlite3.Error as exc:
                    raise StoreCorrupt(f"无法打开审计日志 (cannot open audit log) {self.path}: {exc}",
                                       "检查文件权限与磁盘 (check permissions and disk)") from exc
                self._con, self._pid = con, os.getpid()
            try:
                yield self._con
            except sqlite3.OperationalError:
                if self._con.in_transaction:
                    self._con.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            if self._con is not None and self._pid == os.getpid():
                self._con.close()
            self._con = None

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def connect(self, path: Path | None = None) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(path or self.path, timeout=self.busy_timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreCorrupt(f"无法打开审计日志 (cannot open audit log) {path or self.path}: {exc}",
                               "检查文件权限与磁盘 (check permissions and disk)") from exc
        try:
            con.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            yield con
        finally:
            con.close()

    # ---- write ----------------------------------------------------------------------------------
    def append(self, action: str, target: str = "", detail: dict[str, Any] | None = None, actor: str = "local",
               ip: str | None = None) -> AuditRecord:
        """Append one record; the head is read and the record linked inside one ``BEGIN IMMEDIATE``."""
        if not ACTION_RE.match(action or ""):
            raise InvalidInput(f"审计动作名无效 (bad audit action): {action!r}",
                               "用小写点分名称，如 strategy.write (dotted lower-case, e.g. strategy.write)")
        detail_json = canonical_json(detail or {})
        with self._live() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                head_seq, head_hash = con.execute(
                    "SELECT head_seq, head_hash FROM audit_anchor WHERE id = 1").fetchone()
                last = con.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                if last is not None and last[0] > head_seq:  # anchor behind the table: link to the table
                    head_seq, head_hash = last
                seq = int(head_seq) + 1
                ts = self.clock().astimezone(dt.UTC).isoformat(timespec="microseconds")
                h = record_hash(seq, ts, actor, ip, action, target, detail_json, head_hash)
                con.execute(f"INSERT INTO audit ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (seq, ts, actor, ip, action, target, detail_json, head_hash, h))
                con.execute("UPDATE audit_anchor SET head_seq = ?, head_hash = ?, updated = ? WHERE id = 1",
                            (seq, h, ts))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return AuditRecord(seq, ts, actor, ip, action, target, detail_json, head_hash, h)

    # ---- read -----------------------------------------------------------------------------------
    def list(self, since: str | dt.date | dt.datetime | None = None, action: str | None = None,
             limit: int = 100, include_archive: bool = False) -> list[AuditRecord]:
        """Newest first. ``action`` matches exactly or as a prefix (``login`` → ``login.failed`` too)."""
        where: list[str] = []
        args: list[Any] = []
        since_iso = _parse_since(since)
        if since_iso:
            where.append("ts >= ?")
            args.append(since_iso)
        if action:
            where.append("(action = ? OR action LIKE ? ESCAPE '\\')")
            args += [action, action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ".%"]
        cond = f"WHERE {' AND '.join(where)}" if where else ""
        sql = f"SELECT {_COLS} FROM audit {cond} ORDER BY seq DESC LIMIT ?"
        paths = [self.path] + (sorted(self.archive_dir.glob("audit-*.db")) if include_archive else [])
        rows: list[AuditRecord] = []
        for p in paths:
            with (self._live() if p == self.path else self.connect(p)) as con:
                rows += [AuditRecord(*r) for r in con.execute(sql, [*args, int(limit)])]
        rows = sorted({r.seq: r for r in rows}.values(), key=lambda r: -r.seq)
        return rows[: max(0, int(limit))]

    def head(self) -> tuple[int, str]:
        with self._live() as con:
            seq, h = con.execute("SELECT head_seq, head_hash FROM audit_anchor WHERE id = 1").fetchone()
        return int(seq), str(h)

    def archive_files(self) -> builtins.list[Path]:
        return sorted(self.archive_dir.glob("audit-*.db"))

    def _iter_file(self, path: Path) -> Iterator[AuditRecord]:
        with closing(sqlite3.connect(path, timeout=self.busy_timeout_s)) as con:
            cur = con.execute(f"SELECT {_COLS} FROM audit ORDER BY seq")
            while batch := cur.fetchmany(1000):
                for r in batch:
                    yield AuditRecord(*r)

    # ---- verify ---------------------------------------------------------------------------------
    def verify(self, anchor: tuple[int, str] | None = None) -> AuditReport:
        """Walk archives + live in seq order; report the first edited, deleted or truncated record.

        ``anchor`` (seq, hash) is a head the user noted earlier: the record at that seq must still carry it.
        """
        archives = self.archive_files()
        with self._live() as con:
            row = con.execute("SELECT head_seq, head_hash, archived_seq FROM audit_anchor WHERE id = 1").fetchone()
        head_seq, head_hash, archived_seq = (int(row[0]), str(row[1]), int(row[2])) if row else (0, GENESIS, 0)
        report = AuditReport(ok=True, checked=0, head_seq=head_seq, head_hash=head_hash,
                             archives=[p.name for p in archives])

        def fail(seq: int, kind: str, message: str) -> AuditReport:
            report.ok = False
            report.problem = AuditProblem(seq, kind, message)
            return report

        if row is None:
            return fail(1, "truncated", "审计锚点行缺失 (head anchor row missing)")
        try:
            streams = [self._iter_file(p) for p in [*archives, self.path]]
            prev: AuditRecord | None = None
            for rec in heapq.merge(*streams, key=lambda r: r.seq):
                expected = prev.seq + 1 if prev else 1
                if prev is not None and rec.seq == prev.seq:
                    if rec == prev:  # interrupted archive move: identical copy in archive and live
                        continue
                    return fail(rec.seq, "edited", "归档与当前库中同一序号的记录不一致 "
                                                   "(archive and live copies of this record differ)")
                if rec.computed_hash() != rec.hash:
                    return fail(rec.seq, "edited", "记录内容与其哈希不符 (record content does not match its hash)")
                if rec.seq > expected:
                    gone = f"{expected}" if rec.seq == expected + 1 else f"{expected}–{rec.seq - 1}"
                    where = (" (已归档部分缺失 missing from the archives)" if expected <= archived_seq else "")
                    return fail(expected, "deleted", f"缺少记录 seq {gone} (records missing){where}")
                if rec.prev_hash != (prev.hash if prev else GENESIS):
                    return fail(rec.seq, "deleted", "与前一条记录的链接断开：前一条被删除或替换 "
                                                    "(prev_hash does not link to the record before: it was "
                                                    "deleted or replaced)")
                if anchor is not None and rec.seq == anchor[0] and rec.hash != anchor[1]:
                    return fail(rec.seq, "edited", "与您记下的哈希不符：链已被重写 (does not match the hash you "
                                                   "noted: the chain was rewritten)")
                report.checked += 1
                prev = rec
        except sqlite3.DatabaseError as exc:
            return fail((prev.seq + 1) if prev else 1, "edited", f"审计库无法读取 (audit database unreadable): {exc}")
        last_seq, last_hash = (prev.seq, prev.hash) if prev else (0, GENESIS)
        if anchor is not None and anchor[0] > last_seq:
            return fail(last_seq + 1, "truncated", f"您记下的 seq {anchor[0]} 已不存在 (the seq you noted is gone)")
        if last_seq < head_seq:
            gone = f"{last_seq + 1}" if head_seq == last_seq + 1 else f"{last_seq + 1}–{head_seq}"
            return fail(last_seq + 1, "truncated", f"锚点指向 seq {head_seq}，但链止于 seq {last_seq}：最新记录 {gone} "
                                                   f"被删除 (the anchor names seq {head_seq}; newest records removed)")
        if last_seq > head_seq or last_hash != head_hash:
            return fail(last_seq, "edited", "链尾与锚点不符 (chain head does not match the anchor)")
        return report

    # ---- retention ------------------------------------------------------------------------------
    def archive(self, older_than_days: int = RETENTION_DAYS) -> ArchiveResult:
        """Move records older than ``older_than_days`` into ``audit-archive/audit-YYYY.db`` (never deletes).

        Only a contiguous oldest prefix moves (stops at the first younger record), so the live table
        always holds the chain's tail. Appends ``audit.archive`` when anything moved.
        """
        cutoff = (self.clock() - dt.timedelta(days=older_than_days)).astimezone(dt.UTC)
        cutoff_iso = cutoff.isoformat(timespec="microseconds")
        with self.connect() as con:
            rows: builtins.list[AuditRecord] = []
            cur = con.execute(f"SELECT {_COLS} FROM audit ORDER BY seq")
            for r in cur:
                if r[1] >= cutoff_iso:
                    break
                rows.append(AuditRecord(*r))
        if not rows:
            return ArchiveResult(0, [], 0)
        by_year: dict[str, builtins.list[AuditRecord]] = {}
        for r in rows:
            by_year.setdefault(r.ts[:4], []).append(r)
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        files = []
        for year, recs in sorted(by_year.items()):
            target = self.archive_dir / f"audit-{year}.db"
            with self.connect(target) as acon:
                acon.executescript(_SCHEMA + _ARCHIVE_SCHEMA)
                acon.execute("BEGIN IMMEDIATE")
                acon.executemany(f"INSERT OR IGNORE INTO audit ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 [(r.seq, r.ts, r.actor, r.ip, r.action, r.target, r.detail_json, r.prev_hash,
                                   r.hash) for r in recs])
                acon.execute("COMMIT")
            files.append(target.name)
        last = rows[-1]
        with self.connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.execute("UPDATE audit_anchor SET archived_seq = MAX(archived_seq, ?), archived_hash = "
                            "CASE WHEN ? > archived_seq THEN ? ELSE archived_hash END WHERE id = 1",
                            (last.seq, last.seq, last.hash))
                con.execute("DELETE FROM audit WHERE seq <= ?", (last.seq,))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        self.append("audit.archive", str(self.archive_dir),
                    {"moved": len(rows), "through_seq": last.seq, "files": files,
                     "older_than_days": older_than_days})
        return ArchiveResult(len(rows), files, last.seq)


# ---- output helpers used by the CLI ------------------------------------------------------------
def records_csv(records: list[AuditRecord]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["seq", "ts", "actor", "ip", "action", "target", "detail", "hash"])
    for r in records:
        w.writerow([r.seq, r.ts, r.actor, r.ip or "", r.action, r.target, r.detail_json, r.hash])
    return buf.getvalue()


def records_table(records: list[AuditRecord]) -> str:
    lines = [f"{'seq':>6}  {'ts (UTC)':<26}  {'actor':<10} {'ip':<15} {'action':<18} target / detail"]
    for r in records:
        detail = "" if r.detail_json == "{}" else f"  {r.detail_json}"
        if len(detail) > 80:
            detail = detail[:77] + "…"
        lines.append(f"{r.seq:>6}  {r.ts:<26}  {r.actor:<10} {r.ip or '-':<15} {r.action:<18} {r.target}{detail}")
    return "\n".join(lines) + "\n"
