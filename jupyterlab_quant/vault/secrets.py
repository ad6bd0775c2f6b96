"""Encrypted secrets (密钥) such as notification webhook keys, SendKeys, tokens and AppSecrets:
``$JLQ_HOME/vault/secrets.db`` (SQLite, WAL; its own file so ``vault.db``'s schema is untouched).

Each secret is envelope-encrypted like a strategy version (:mod:`.crypto`): its own data key, wrapped by
the master key, AAD ``("secret", name)`` so a value moved to another name fails authentication. Names are
plaintext (``notify.wecom.key``), values never are. Nothing is ever stored in plaintext: without an
initialised vault :meth:`VaultSecrets.set` fails and tells the user to run ``jlq vault init``.

``secret_source(home, keys)`` is what the composition root uses: ``EnvSecrets`` over ``VaultSecrets``, so
``$JLQ_SECRET_<NAME>`` (``notify.wecom.key`` → ``JLQ_SECRET_WECOM_KEY``, ``backup.password`` →
``JLQ_SECRET_BACKUP_PASSWORD``) overrides the vault for headless use.

Key rotation: :func:`rewrap_secrets` is a :data:`~.keys.Rewrapper`. Because this file is not part of the
rotation's ``vault.db`` transaction, it writes the data key re-wrapped under the new master key into a
second slot (``next_kid``/``next_wrapped``) and keeps the old slot; a read uses whichever slot matches
the current master key. A rotation rolled back after this step leaves a harmless unused slot; one that
commits makes the new slot current (promoted on the next read).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator, MutableMapping
from pathlib import Path

from ..core.errors import InvalidInput
from . import crypto
from .errors import KeyLost, VaultNotInitialized
from .keys import KeyManager, MasterKey, now_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY, updated TEXT NOT NULL, kid TEXT NOT NULL, wrapped_key BLOB NOT NULL, blob BLOB NOT NULL,
    next_kid TEXT, next_wrapped BLOB);
"""
MAX_VALUE_BYTES = 8192
ENV_PREFIX = "JLQ_SECRET_"
_NAME_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


def secrets_path(home: Path | str) -> Path:
    return Path(home) / "vault" / "secrets.db"


def secret_aad(name: str) -> bytes:
    return crypto.aad("secret", name)


def _connect(path: Path, busy_timeout_s: float = 30.0) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, 0o700)
    con = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
    con.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
    if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.executescript(SCHEMA)
    return con


class VaultSecrets:
    """``SecretSource`` backed by the vault. Reading needs the master key (keyring, passphrase from
    env/file/prompt, or an earlier unlock in this process); :meth:`has` and :meth:`names` do not."""

    def __init__(self, home: Path | str, keys: KeyManager | None = None, *, busy_timeout_s: float = 30.0) -> None:
        self.home = Path(home)
        self.keys = keys or KeyManager(self.home)
        self.path = secrets_path(self.home)
        self.busy_timeout_s = busy_timeout_s

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        con = _connect(self.path, self.busy_timeout_s)
        try:
            yield con
        finally:
            con.close()

    def _row(self, name: str) -> tuple[str, bytes, bytes, str | None, bytes | None] | None:
        if not self.path.exists():
            return None
        with self._db() as con:
            row = con.execute("SELECT kid, wrapped_key, blob, next_kid, next_wrapped FROM secrets WHERE name = ?",
                              (name,)).fetchone()
        return None if row is None else (row[0], bytes(row[1]), bytes(row[2]), row[3],
                                         bytes(row[4]) if row[4] is not None else None)

    def has(self, name: str) -> bool:
        return self._row(name) is not None

    def names(self) -> list[str]:
        if not self.path.exists():
            return []
        with self._db() as con:
            return [r[0] for r in con.execute("SELECT name FROM secrets ORDER BY name")]

    def get(self, name: str) -> str | None:
        row = self._row(name)
        if row is None:
            return None
        kid, wrapped, blob, next_kid, next_wrapped = row
        mk = self.keys.unlock()
        what = f"密钥 {name} (secret {name})"
        if kid != mk.kid and next_kid == mk.kid and next_wrapped is not None:
            kid, wrapped = next_kid, next_wrapped
            self._promote(name, next_kid, next_wrapped)
        if kid != mk.kid:
            raise KeyLost(f"密钥 {name} 由已退役的主密钥 {kid} 加密，当前主密钥是 {mk.kid} (secret {name} is wrapped "
                          f"with a retired master key; the rotation did not re-wrap it)",
                          f"重新输入该密钥 (enter it again), 如 jlq notify set {_channel_hint(name)}")
        dek = crypto.unwrap_key(mk.key, mk.kid, wrapped, secret_aad(name), what)
        return crypto.decrypt(dek, blob, secret_aad(name), what).decode("utf-8")

    def _promote(self, name: str, kid: str, wrapped: bytes) -> None:
        with self._db() as con:
            con.execute("UPDATE secrets SET kid = ?, wrapped_key = ?, next_kid = NULL, next_wrapped = NULL "
                        "WHERE name = ? AND next_kid = ?", (kid, wrapped, name, kid))

    def set(self, name: str, value: str) -> None:
        if not _NAME_RE.match(name or ""):
            raise InvalidInput(f"密钥名无效 (bad secret name): {name!r}", "用小写点分名称，如 notify.wecom.key")
        if not self.keys.is_initialized():
            raise VaultNotInitialized("保险库尚未初始化，密钥不能以明文保存 (vault not initialised: secrets are never "
                                      "stored in plaintext)",
                                      "先运行 jlq vault init（无钥匙串时设置 JLQ_VAULT_PASSPHRASE），再重试；"
                                      "或用环境变量 JLQ_SECRET_<渠道>_<字段> 提供 (or provide it as "
                                      "JLQ_SECRET_<CHANNEL>_<FIELD>)")
        raw = str(value).encode("utf-8")
        if not raw or len(raw) > MAX_VALUE_BYTES:
            raise InvalidInput(f"密钥 {name} 为空或超过 {MAX_VALUE_BYTES} 字节 (secret empty or too long)",
                               "检查输入的值 (check the value)")
        mk = self.keys.unlock()
        dek = crypto.new_key()
        wrapped = crypto.wrap_key(mk.key, mk.kid, dek, secret_aad(name))
        blob = crypto.encrypt(dek, raw, secret_aad(name))
        with self._db() as con:
            con.execute("INSERT INTO secrets (name, updated, kid, wrapped_key, blob) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT(name) DO UPDATE SET updated = excluded.updated, kid = excluded.kid, "
                        "wrapped_key = excluded.wrapped_key, blob = excluded.blob, next_kid = NULL, "
                        "next_wrapped = NULL", (name, now_iso(), mk.kid, wrapped, blob))
        if self.keys.audit is not None:
            self.keys.audit.append("secret.write", name)

    def delete(self, name: str) -> None:
        if not self.path.exists():
            return
        with self._db() as con:
            n = con.execute("DELETE FROM secrets WHERE name = ?", (name,)).rowcount
        if n and self.keys.audit is not None:
            self.keys.audit.append("secret.delete", name)


def env_var(name: str) -> str:
    """``"notify.wecom.key"`` → ``"JLQ_SECRET_WECOM_KEY"``; ``"backup.password"`` → ``"JLQ_SECRET_BACKUP_PASSWORD"``."""
    bare = name[len("notify."):] if name.startswith("notify.") else name
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", bare).upper()


class EnvSecrets:
    """``$JLQ_SECRET_…`` wins over the inner source (see :func:`env_var`); writes and deletes go to the inner
    source (a variable cannot be changed from here)."""

    def __init__(self, inner: VaultSecrets | None = None, environ: MutableMapping[str, str] | None = None) -> None:
        self.inner = inner
        self.environ = os.environ if environ is None else environ

    @staticmethod
    def env_var(name: str) -> str:
        return env_var(name)

    def from_env(self, name: str) -> bool:
        return bool(self.environ.get(env_var(name)))

    def get(self, name: str) -> str | None:
        value = self.environ.get(env_var(name))
        if value:
            return value
        return self.inner.get(name) if self.inner is not None else None

    def has(self, name: str) -> bool:
        return self.from_env(name) or (self.inner is not None and self.inner.has(name))

    def set(self, name: str, value: str) -> None:
        if self.inner is None:
            raise InvalidInput(f"没有可写的密钥存储 (no secret store to write {name} to)",
                               f"运行 jlq vault init 后重试，或设置环境变量 {env_var(name)}")
        self.inner.set(name, value)

    def delete(self, name: str) -> None:
        if self.inner is not None:
            self.inner.delete(name)


def secret_source(home: Path | str, keys: KeyManager | None = None) -> EnvSecrets:
    """The secrets of a data root: ``JLQ_SECRET_*`` variables first, then the vault."""
    return EnvSecrets(VaultSecrets(home, keys))


def _channel_hint(name: str) -> str:
    parts = name.split(".")
    return f"{parts[1]} --secret {parts[2]}" if len(parts) == 3 and parts[0] == "notify" else name


def rewrap_secrets(con: sqlite3.Connection, old: MasterKey, new: MasterKey) -> int:
    """Rewrapper for :meth:`KeyManager.rotate`: every secret's data key re-wrapped from ``old`` to ``new``
    into the second slot (see the module docstring). ``con`` is the rotation's ``vault.db`` connection; the
    secrets file sits next to it."""
    main = next((Path(r[2]) for r in con.execute("PRAGMA database_list") if r[1] == "main" and r[2]), None)
    if main is None:
        return 0
    path = main.parent / "secrets.db"
    if not path.exists():
        return 0
    sc = _connect(path)
    try:
        sc.execute("BEGIN IMMEDIATE")
        n = 0
        for name, kid, wrapped, next_kid, next_wrapped in sc.execute(
                "SELECT name, kid, wrapped_key, next_kid, next_wrapped FROM secrets").fetchall():
            if next_kid == old.kid and next_wrapped is not None:   # a previous rotation's slot is the live one
                kid, wrapped = next_kid, bytes(next_wrapped)
            if kid != old.kid:
                continue          # already unreadable; get() tells the user to enter it again
            fresh = crypto.rewrap_key(bytes(wrapped), old.key, old.kid, new.key, new.kid, secret_aad(name),
                                      f"密钥 {name} (secret {name})")
            sc.execute("UPDATE secrets SET kid = ?, wrapped_key = ?, next_kid = ?, next_wrapped = ? WHERE name = ?",
                       (kid, wrapped, new.kid, fresh, name))
            n += 1
        sc.execute("COMMIT")
        return n
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            sc.execute("ROLLBACK")
        raise
    finally:
        sc.close()
