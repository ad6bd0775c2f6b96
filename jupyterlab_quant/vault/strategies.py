"""Versioned strategy store (策略库): strategy code encrypted at rest, every save a new version.

Metadata and encrypted content live in ``$JLQ_HOME/vault/vault.db`` (SQLite, WAL):

* ``strategies``: name, created/updated time, latest version, soft-delete flag and time;
* ``strategy_versions``: (name, version), created time, message, size, restored-from, a content MAC
  (HMAC-SHA256 under the version's own data key — never a plain hash, which would let anyone confirm a
  guessed source), the master key id, the wrapped data key and the encrypted code (BLOB columns, so the
  one transaction that inserts the row is the commit point: a failed save — disk full included — leaves
  the previous versions exactly as they were and nothing half-written).

Encryption is :mod:`.crypto`'s envelope scheme with AAD ``("strategy", name, version)``: a blob moved to
another strategy or version fails authentication and raises :class:`TamperedData`.

Plaintext exists only in memory. Names, messages, sizes and times are plaintext metadata.

Delete is soft (``delete`` records it, every version is kept): :meth:`StrategyVault.undelete` brings a
strategy back, and so do :meth:`~StrategyVault.restore` and saving under the same name. Version numbers
are never reused.
"""

from __future__ import annotations

import builtins
import contextlib
import difflib
import hmac
import os
import re
import sqlite3
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..core.errors import InvalidInput, NotFound
from . import crypto
from .keys import Auditor, KeyManager, MasterKey, RotationResult, VaultDB, now_iso

NAME_RE = re.compile(r"^[A-Za-z0-9_\-\u4e00-\u9fff]{1,64}$")
MAX_SOURCE_BYTES = 8 * 2**20

SCHEMA = """
CREATE TABLE IF NOT EXISTS strategies (
    name TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL, latest INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0, deleted_at TEXT);
CREATE TABLE IF NOT EXISTS strategy_versions (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL, created TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '', size INTEGER NOT NULL, restored_from INTEGER, content_hmac BLOB NOT NULL,
    kid TEXT NOT NULL, wrapped_key BLOB NOT NULL, blob BLOB NOT NULL, UNIQUE (name, version));
"""


def normalize_name(name: str) -> str:
    """``"双均线.py"`` → ``"双均线"``; letters, digits, ``_``, ``-`` and CJK, 1–64 characters."""
    n = str(name).strip()
    if n.endswith(".py"):
        n = n[:-3]
    if not NAME_RE.match(n):
        raise InvalidInput(f"策略名无效 (bad strategy name): {name!r}",
                           "用字母、数字、下划线、短横线或中文，最长 64 字，可带 .py 后缀")
    return n


def strategy_aad(name: str, version: int) -> bytes:
    return crypto.aad("strategy", name, version)


@dataclass(frozen=True)
class Version:
    name: str
    version: int
    created: str
    message: str
    size: int
    restored_from: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StrategyInfo:
    name: str
    created: str
    updated: str
    latest: int
    versions: int
    size: int
    deleted: bool = False
    deleted_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_VERSION_COLS = "name, version, created, message, size, restored_from"


def _version(row: tuple[Any, ...]) -> Version:
    return Version(row[0], int(row[1]), row[2], row[3], int(row[4]), row[5])


def rewrap_strategies(con: sqlite3.Connection, old: MasterKey, new: MasterKey) -> int:
    """Rewrapper for :meth:`KeyManager.rotate`: every version's data key from ``old`` to ``new``."""
    if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'strategy_versions'").fetchone():
        return 0
    rows = con.execute("SELECT id, name, version, wrapped_key FROM strategy_versions WHERE kid = ?",
                       (old.kid,)).fetchall()
    for id_, name, version, wrapped in rows:
        new_wrapped = crypto.rewrap_key(wrapped, old.key, old.kid, new.key, new.kid, strategy_aad(name, version),
                                        f"策略 {name} 版本 {version} (strategy {name} v{version})")
        con.execute("UPDATE strategy_versions SET kid = ?, wrapped_key = ? WHERE id = ?", (new.kid, new_wrapped, id_))
    return len(rows)


def rotate_master_key(keys: KeyManager, new_passphrase: str | None = None, *,
                      passphrase: str | None = None) -> RotationResult:
    """Rotate the master key of a data root, re-wrapping strategy versions, trade-record batches and the
    notification channels' secrets."""
    from .records import rewrap_records
    from .secrets import rewrap_secrets

    return keys.rotate([rewrap_strategies, rewrap_records, rewrap_secrets], new_passphrase, passphrase=passphrase)


class StrategyVault:
    """Encrypted, versioned strategies of one data root.

    ``keys`` gives the master key (unlocked on first need — listing needs no key); ``audit`` (an
    ``AuditLog``) receives ``strategy.read``/``write``/``delete``/``restore`` and ``key.rotate``.
    Safe to share between threads; several processes may use the same data root.
    """

    def __init__(self, home: Path | str, keys: KeyManager | None = None, audit: Auditor | None = None,
                 *, busy_timeout_s: float = 30.0) -> None:
        self.home = Path(home)
        self.audit = audit
        self.keys = keys or KeyManager(self.home, audit=audit)
        if self.keys.audit is None and audit is not None:
            self.keys.audit = audit
        self.db = VaultDB(self.keys, busy_timeout_s)
        with self.db.lock:
            self.db.con().executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def _audit(self, action: str, name: str, **detail: Any) -> None:
        if self.audit is not None:
            self.audit.append(action, f"strategy:{name}", detail or None)

    # ---- write ------------------------------------------------------------------------------------
    def save(self, name: str, source: str, message: str = "") -> Version:
        """New version of ``name`` (created when new). Identical to the latest → no new version, the
        latest is returned (a deleted strategy is brought back either way)."""
        name = normalize_name(name)
        v, changed = self._save(name, source, message)
        self._audit("strategy.write", name, version=v.version, size=v.size, changed=changed)
        return v

    def _save(self, name: str, source: str, message: str, restored_from: int | None = None) -> tuple[Version, bool]:
        """(version, whether a new version was written)."""
        if not isinstance(source, str):
            raise InvalidInput("策略源码须为文本 (strategy source must be text)", "传入 str（UTF-8）")
        data = source.encode("utf-8")
        if len(data) > MAX_SOURCE_BYTES:
            raise InvalidInput(f"策略源码过大 (strategy too large): {len(data)} bytes",
                               f"上限 {MAX_SOURCE_BYTES // 2**20} MiB")
        message = str(message or "")[:2000]
        ts = now_iso()
        with self.db.write() as (con, mk):
            row = con.execute(
                "SELECT v.version, v.size, v.kid, v.wrapped_key, v.content_hmac, s.deleted FROM strategies s "
                "JOIN strategy_versions v ON v.name = s.name AND v.version = s.latest WHERE s.name = ?",
                (name,)).fetchone()
            if row is not None and row[1] == len(data):
                dek = crypto.unwrap_key(mk.key, mk.kid, row[3], strategy_aad(name, row[0]), _what(name, row[0]))
                if hmac.compare_digest(crypto.content_mac(dek, data), row[4]):
                    if row[5]:
                        con.execute("UPDATE strategies SET deleted = 0, deleted_at = NULL WHERE name = ?", (name,))
                    latest = con.execute(f"SELECT {_VERSION_COLS} FROM strategy_versions WHERE name = ? AND "
                                         "version = ?", (name, row[0])).fetchone()
                    return _version(latest), False
            version = (row[0] if row else self._max_version(con, name)) + 1
            wrapped, blob, mac = crypto.seal_parts(mk.key, mk.kid, data, strategy_aad(name, version))
            con.execute("INSERT INTO strategies (name, created, updated, latest) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(name) DO UPDATE SET updated = excluded.updated, latest = excluded.latest, "
                        "deleted = 0, deleted_at = NULL", (name, ts, ts, version))
            con.execute("INSERT INTO strategy_versions (name, version, created, message, size, restored_from, "
                        "content_hmac, kid, wrapped_key, blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (name, version, ts, message, len(data), restored_from, mac, mk.kid, wrapped, blob))
        return Version(name, version, ts, message, len(data), restored_from), True

    @staticmethod
    def _max_version(con: sqlite3.Connection, name: str) -> int:
        return int(con.execute("SELECT COALESCE(MAX(version), 0) FROM strategy_versions WHERE name = ?",
                               (name,)).fetchone()[0])

    def restore(self, name: str, version: int, message: str | None = None) -> Version:
        """A new version whose content is that of ``version`` (history is never rewritten)."""
        name = normalize_name(name)
        source = self._get(name, version, allow_deleted=True)[1]
        v, changed = self._save(name, source, message if message is not None else
                                f"恢复自版本 {version} (restored from v{version})", restored_from=int(version))
        self._audit("strategy.restore", name, version=v.version, restored_from=int(version), changed=changed)
        return v

    def delete(self, name: str) -> None:
        """Soft delete: hidden from :meth:`list`, every version kept (undo with :meth:`undelete`)."""
        name = normalize_name(name)
        with self.db.lock:
            cur = self.db.con().execute("UPDATE strategies SET deleted = 1, deleted_at = ? WHERE name = ? "
                                        "AND deleted = 0", (now_iso(), name))
        if not cur.rowcount:
            self._info(name)  # raises NotFound for an unknown name
            raise NotFound(f"策略 {name} 已经删除 (already deleted)", f"恢复用 jlq strategy undelete {name}")
        self._audit("strategy.delete", name)

    def undelete(self, name: str) -> StrategyInfo:
        name = normalize_name(name)
        with self.db.lock:
            self.db.con().execute("UPDATE strategies SET deleted = 0, deleted_at = NULL WHERE name = ?", (name,))
        info = self._info(name)
        self._audit("strategy.restore", name, undelete=True)
        return info

    # ---- read ---------------------------------------------------------------------------------------
    def list(self, include_deleted: bool = False) -> list[StrategyInfo]:
        cond = "" if include_deleted else "WHERE s.deleted = 0"
        with self.db.lock:
            rows = self.db.con().execute(
                "SELECT s.name, s.created, s.updated, s.latest, COUNT(v.id), "
                "COALESCE(SUM(CASE WHEN v.version = s.latest THEN v.size END), 0), s.deleted, s.deleted_at "
                f"FROM strategies s LEFT JOIN strategy_versions v ON v.name = s.name {cond} "
                "GROUP BY s.name ORDER BY s.name").fetchall()
        return [StrategyInfo(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5]), bool(r[6]), r[7]) for r in rows]

    def _info(self, name: str) -> StrategyInfo:
        for s in self.list(include_deleted=True):
            if s.name == name:
                return s
        raise NotFound(f"没有名为 {name!r} 的策略 (unknown strategy)", "用 jlq strategy list 查看已有策略")

    def info(self, name: str) -> StrategyInfo:
        return self._info(normalize_name(name))

    def versions(self, name: str) -> builtins.list[Version]:
        name = normalize_name(name)
        with self.db.lock:
            rows = self.db.con().execute(f"SELECT {_VERSION_COLS} FROM strategy_versions WHERE name = ? "
                                         "ORDER BY version", (name,)).fetchall()
        if not rows:
            self._info(name)
        return [_version(r) for r in rows]

    def get(self, name: str, version: int | None = None) -> str:
        """Source of ``version`` (default: the latest) — decrypted in memory."""
        name = normalize_name(name)
        v, source = self._get(name, version)
        self._audit("strategy.read", name, version=v)
        return source

    def get_version(self, name: str, version: int | None = None) -> tuple[Version, str]:
        """(metadata, source) of one version."""
        name = normalize_name(name)
        v, source = self._get(name, version)
        self._audit("strategy.read", name, version=v)
        meta = next(x for x in self.versions(name) if x.version == v)
        return meta, source

    def _get(self, name: str, version: int | None, *, allow_deleted: bool = False) -> tuple[int, str]:
        with self.db.lock:
            con = self.db.con()
            s = con.execute("SELECT latest, deleted FROM strategies WHERE name = ?", (name,)).fetchone()
            if s is None:
                raise NotFound(f"没有名为 {name!r} 的策略 (unknown strategy)", "用 jlq strategy list 查看已有策略")
            if s[1] and not allow_deleted:
                raise NotFound(f"策略 {name} 已删除 (strategy deleted)",
                               f"撤销删除用 jlq strategy undelete {name}（所有版本都还在）")
            want = int(s[0]) if version is None else int(version)
            row = con.execute("SELECT kid, wrapped_key, blob FROM strategy_versions WHERE name = ? AND version = ?",
                              (name, want)).fetchone()
        if row is None:
            raise NotFound(f"策略 {name} 没有版本 {want} (no such version)", f"用 jlq strategy versions {name} 查看")
        if crypto.wrapped_kid(row[1], _what(name, want)) != row[0]:
            raise crypto.tampered(_what(name, want), "key id of the wrapped key differs from its row")
        mk = self.db.master()
        if row[0] != mk.kid:
            mk = self.db.master(refresh=True)
        data = crypto.open_parts(mk.key, mk.kid, row[1], row[2], strategy_aad(name, want), _what(name, want))
        try:
            return want, data.decode("utf-8")
        except UnicodeDecodeError:  # authenticated yet not UTF-8: cannot happen unless written by other code
            raise crypto.tampered(_what(name, want), "not UTF-8") from None

    def diff(self, name: str, v1: int, v2: int, context: int = 3) -> str:
        """Unified diff from ``v1`` to ``v2`` (``difflib``); empty when identical."""
        name = normalize_name(name)
        a = self._get(name, v1, allow_deleted=True)[1]
        b = self._get(name, v2, allow_deleted=True)[1]
        self._audit("strategy.read", name, versions=[int(v1), int(v2)], diff=True)
        return "".join(difflib.unified_diff(a.splitlines(keepends=True), b.splitlines(keepends=True),
                                            fromfile=f"{name}.py@v{v1}", tofile=f"{name}.py@v{v2}", n=context))

    def export(self, name: str, path: str | os.PathLike[str], version: int | None = None) -> Path:
        """Write a version's source to ``path`` (atomically). Refuses paths inside the data root, which
        holds no plaintext code."""
        name = normalize_name(name)
        target = Path(path).expanduser().resolve()
        if target.is_relative_to(self.home.resolve()):
            raise InvalidInput(f"不能导出到数据目录内 (refusing to write plaintext inside the data root): {target}",
                               "导出到数据目录之外的位置 (choose a path outside JLQ_HOME)")
        v, source = self._get(name, version)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(source)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._audit("strategy.read", name, version=v, export=str(target))
        return target

    # ---- keys -----------------------------------------------------------------------------------------
    rewrap = staticmethod(rewrap_strategies)

    def rotate_key(self, new_passphrase: str | None = None, *, passphrase: str | None = None) -> RotationResult:
        """Rotate the data root's master key (strategies and trade records re-wrapped, content untouched)."""
        result = rotate_master_key(self.keys, new_passphrase, passphrase=passphrase)
        self.db.master(refresh=True)
        return result


def _what(name: str, version: int) -> str:
    return f"策略 {name} 版本 {version} (strategy {name} v{version})"
