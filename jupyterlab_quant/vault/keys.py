"""The master key (主密钥) of the vault: where it comes from, how it is checked, how it is rotated.

Two modes, recorded in ``$JLQ_HOME/vault/keyinfo.json`` (written atomically, mode 0600; it holds the
mode, the key id, the scrypt salt and parameters and a key-check value — never the key):

* ``keyring``: a random 256-bit key kept in the OS keyring (service ``jupyterlab-quant``, user
  ``master:<home>``). Used when a real keyring backend exists (not ``keyring.backends.fail``, not an
  empty chainer, not the null or plaintext-file backends).
* ``passphrase``: key = scrypt(passphrase, salt, n=2**15, r=8, p=1, 32 bytes) — the headless-Linux case.
  The passphrase comes from, in order: the explicit argument, ``$JLQ_VAULT_PASSPHRASE``, the file named by
  ``$JLQ_VAULT_PASSPHRASE_FILE``, an interactive prompt when stdin is a terminal; otherwise
  :class:`VaultLocked`. The derived key is cached in memory for the life of the process (asked once).

A wrong passphrase fails the key check (HMAC-SHA256(key, b"jlq-key-check")) and raises :class:`WrongKey`;
nothing is ever decrypted with a wrong key.

Rotation (:meth:`KeyManager.rotate`) makes a new master key and re-wraps every data key (the stores pass
*rewrappers*) without re-encrypting content. It is crash-safe: keyinfo first records the new key as
``pending`` (old and new ids both known), then one SQLite transaction in ``vault.db`` re-wraps every data
key and sets the data's key id (``vault_meta.kid``), then keyinfo is finalised. A rotation interrupted
anywhere is settled on the next unlock by comparing ``vault_meta.kid`` with keyinfo: data still under the
old key → the pending key is dropped (use the old passphrase); data under the new key → the pending key
becomes current (use the new passphrase).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import getpass
import hashlib
import hmac
import json
import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..core.errors import InvalidInput
from ..core.process import pid_alive as _pid_alive
from . import crypto
from .errors import PASSPHRASE_HINT, KeyLost, VaultLocked, VaultNotInitialized, WrongKey

SERVICE = "jupyterlab-quant"
ENV_PASSPHRASE = "JLQ_VAULT_PASSPHRASE"
ENV_PASSPHRASE_FILE = "JLQ_VAULT_PASSPHRASE_FILE"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_PASSPHRASE = 8
INFO_FORMAT = 1


class Auditor(Protocol):
    """What the vault needs of an audit log (``jupyterlab_quant.vault.audit.AuditLog``)."""

    def append(self, action: str, target: str = "", detail: dict[str, Any] | None = None,
               actor: str = "local") -> Any: ...


@dataclass(frozen=True)
class MasterKey:
    """An unlocked master key. ``key`` never appears in repr/logs."""

    kid: str
    key: bytes = field(repr=False)


Rewrapper = Callable[[sqlite3.Connection, MasterKey, MasterKey], int]
"""Called inside the rotation transaction: re-wrap every data key of one store from old to new, return
how many were re-wrapped. Must use the given connection and must not commit."""


@dataclass(frozen=True)
class VaultStatus:
    initialized: bool
    mode: str | None
    kid: str | None
    created: str | None
    rotated: str | None
    rotation_pending: bool
    unlocked: bool
    keyring_backend: str
    passphrase_source: str | None
    keyinfo: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RotationResult:
    old_kid: str
    new_kid: str
    rewrapped: int
    seconds: float


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s.encode("ascii"), validate=True)


# ---- vault.db (shared by the stores; vault_meta.kid = the master key the data is wrapped with) ------
def db_path(home: Path | str) -> Path:
    return Path(home) / "vault" / "vault.db"


def open_db(path: Path | str, busy_timeout_s: float = 30.0) -> sqlite3.Connection:
    """A connection to ``vault.db`` in WAL mode, autocommit (callers use explicit BEGIN … COMMIT)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(p.parent, 0o700)
    con = sqlite3.connect(p, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
    con.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
    if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE IF NOT EXISTS vault_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    return con


def data_kid(con: sqlite3.Connection) -> str | None:
    row = con.execute("SELECT value FROM vault_meta WHERE key = 'kid'").fetchone()
    return str(row[0]) if row else None


# ---- keyring -----------------------------------------------------------------------------------------
def keyring_backend_name() -> str:
    try:
        import keyring

        kr = keyring.get_keyring()
    except Exception as exc:  # a broken keyring configuration is "no keyring"
        return f"unavailable ({type(exc).__name__})"
    return f"{type(kr).__module__}.{type(kr).__name__}"


def keyring_available() -> bool:
    """True when a real OS keyring backend is configured (Secret Service, macOS Keychain, Windows…)."""
    try:
        import keyring
        from keyring.backends import chainer, fail

        kr = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(kr, fail.Keyring) or (isinstance(kr, chainer.ChainerBackend) and not kr.backends):
        return False
    mod = type(kr).__module__
    # the null backend forgets everything; keyrings.alt's file backends would put the key on disk
    return not (mod.startswith("keyring.backends.null") or mod.startswith("keyrings.alt"))


# ---- passphrases ---------------------------------------------------------------------------------------
def passphrase_source() -> str | None:
    if os.environ.get(ENV_PASSPHRASE):
        return "env"
    if os.environ.get(ENV_PASSPHRASE_FILE):
        return "file"
    if _isatty():
        return "prompt"
    return None


def _isatty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


def read_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The passphrase in a file (one trailing newline stripped)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"无法读取口令文件 (cannot read passphrase file) {path}: {exc.strerror or exc}",
                           "检查路径与权限 (check the path and permissions)") from exc
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def obtain_passphrase(*, confirm: bool = False, prompt: str = "保险库口令 (vault passphrase): ") -> str:
    """From ``$JLQ_VAULT_PASSPHRASE``, the file named by ``$JLQ_VAULT_PASSPHRASE_FILE``, or a prompt on a TTY."""
    if os.environ.get(ENV_PASSPHRASE):
        return os.environ[ENV_PASSPHRASE]
    if os.environ.get(ENV_PASSPHRASE_FILE):
        return read_passphrase_file(os.environ[ENV_PASSPHRASE_FILE])
    if _isatty() and threading.current_thread() is threading.main_thread():  # never from a server's executor
        pp = getpass.getpass(prompt)
        if confirm and getpass.getpass("再输入一次 (repeat): ") != pp:
            raise InvalidInput("两次输入的口令不一致 (passphrases do not match)", "重新运行并输入相同的口令")
        return pp
    raise VaultLocked("保险库已锁定：没有可用的口令 (vault locked: no passphrase available)", PASSPHRASE_HINT)


def check_new_passphrase(pp: str) -> str:
    if len(pp) < MIN_PASSPHRASE:
        raise InvalidInput(f"口令太短，至少 {MIN_PASSPHRASE} 个字符 (passphrase too short)",
                           "用一句容易记、难猜的话，例如四五个词 (use a sentence of 4–5 words)")
    return pp


def derive(passphrase: str, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> bytes:
    """scrypt(NFC(passphrase), salt) → 32 bytes."""
    pw = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return hashlib.scrypt(pw, salt=salt, n=n, r=r, p=p, maxmem=256 * r * n + 2**20, dklen=32)


# process-wide cache of unlocked keys: (home, kid) → MasterKey ("asked once per process")
_CACHE: dict[tuple[str, str], MasterKey] = {}
_CACHE_LOCK = threading.Lock()


def forget_cached_keys() -> None:
    """Drop every unlocked key held by this process (tests, ``lock``)."""
    with _CACHE_LOCK:
        _CACHE.clear()


class KeyManager:
    """Master key of one data root: ``init``, ``unlock``, ``status``, ``rotate``.

    ``interactive=None`` prompts for a passphrase only when stdin is a terminal; ``False`` never prompts
    (servers). An unlocked key is cached for the process, so a server can call :meth:`unlock` once with a
    passphrase the user typed and every later store operation in that process finds it.
    """

    def __init__(self, home: Path | str, *, audit: Auditor | None = None, interactive: bool | None = None) -> None:
        self.home = Path(home)
        self.dir = self.home / "vault"
        self.info_path = self.dir / "keyinfo.json"
        self.db_path = db_path(self.home)
        self.audit = audit
        self.interactive = interactive
        self._lock = threading.RLock()

    # ---- keyinfo.json ---------------------------------------------------------------------------
    @property
    def _keyring_user(self) -> str:
        return f"master:{self.home}"

    def _read_info(self) -> dict[str, Any] | None:
        try:
            raw = self.info_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            info = json.loads(raw)
            if info.get("format") != INFO_FORMAT or info["mode"] not in ("keyring", "passphrase"):
                raise ValueError(f"unsupported format {info.get('format')!r} / mode {info.get('mode')!r}")
            if not info["current"]["kid"]:
                raise ValueError("no key id")
            return dict(info)
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyLost(f"密钥信息文件损坏 (key info unreadable) {self.info_path}: {exc}",
                          "从备份恢复 keyinfo.json；没有它，加密的策略与成交记录无法解密 "
                          "(without it the encrypted strategies and trade records cannot be decrypted)") from exc

    def _write_info(self, info: dict[str, Any], *, exclusive: bool = False) -> None:
        """Atomic write (temp file + rename); ``exclusive`` fails when keyinfo already exists (init race)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(self.dir, 0o700)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".keyinfo.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(info, fh, ensure_ascii=False, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            if exclusive:
                try:
                    os.link(tmp, self.info_path)
                except FileExistsError:
                    raise InvalidInput(f"保险库已初始化 (vault already initialised): {self.info_path}",
                                       "用 jlq vault status 查看；更换密钥用 jlq vault rotate") from None
                os.unlink(tmp)
            else:
                os.replace(tmp, self.info_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # make the rename durable
            dfd = os.open(self.dir, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def is_initialized(self) -> bool:
        return self.info_path.exists()

    def _require_info(self) -> dict[str, Any]:
        info = self._read_info()
        if info is None:
            if self.db_path.exists() and self._db_has_data():
                raise KeyLost(f"找不到密钥信息 {self.info_path}，但保险库中已有加密数据 (key info missing; encrypted "
                              "data exists)", "从备份恢复 keyinfo.json（以及钥匙串条目）；没有主密钥这些数据无法恢复 "
                              "(the data cannot be recovered without the master key)")
            raise VaultNotInitialized("保险库尚未初始化 (vault not initialised)",
                                      "运行 jlq vault init（或先设置 JLQ_VAULT_PASSPHRASE）")
        return info

    def _db_has_data(self) -> bool:
        con = open_db(self.db_path)
        try:
            return data_kid(con) is not None
        finally:
            con.close()

    # ---- key material ---------------------------------------------------------------------------
    def _new_entry(self, passphrase: str | None) -> tuple[dict[str, Any], MasterKey]:
        kid = uuid.uuid4().hex[:16]
        entry: dict[str, Any] = {"kid": kid, "created": now_iso()}
        if passphrase is not None:
            salt = os.urandom(16)
            key = derive(passphrase, salt)
            entry["scrypt"] = {"salt": _b64(salt), "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "dklen": 32}
        else:
            key = crypto.new_key()
        entry["check"] = _b64(crypto.key_check(key))
        return entry, MasterKey(kid, key)

    def _from_passphrase(self, entry: dict[str, Any], passphrase: str) -> MasterKey:
        s = entry["scrypt"]
        key = derive(passphrase, _unb64(s["salt"]), int(s["n"]), int(s["r"]), int(s["p"]))
        if not hmac.compare_digest(crypto.key_check(key), _unb64(entry["check"])):
            raise WrongKey("口令错误 (wrong passphrase)",
                           "检查 JLQ_VAULT_PASSPHRASE / 口令文件 / 输入的口令；若刚轮换过密钥，请用新口令 "
                           "(if the key was just rotated, use the new passphrase)")
        return MasterKey(entry["kid"], key)

    def _from_keyring(self, entry: dict[str, Any]) -> MasterKey:
        if not keyring_available():
            raise VaultLocked(f"该保险库的主密钥保存在系统钥匙串中，但当前没有可用的钥匙串 "
                              f"(master key is in the OS keyring, "
                              f"but no keyring backend is available: {keyring_backend_name()})",
                              "在已登录的桌面会话中运行，或解锁系统钥匙串 (run inside the desktop session / unlock "
                              "the keyring)")
        import keyring

        want = _unb64(entry["check"])
        found_any = False
        for user in (self._keyring_user, f"{self._keyring_user}:pending"):
            value = keyring.get_password(SERVICE, user)
            if not value:
                continue
            found_any = True
            with contextlib.suppress(ValueError):
                key = _unb64(value)
                if hmac.compare_digest(crypto.key_check(key), want):
                    return MasterKey(entry["kid"], key)
        if found_any:
            raise WrongKey(f"系统钥匙串中的主密钥与 keyinfo.json 不符 (keyring entry {SERVICE}/{self._keyring_user} "
                           f"does not match key {entry['kid']})",
                           "该条目可能被其它安装覆盖；从备份恢复钥匙串条目或 keyinfo.json")
        raise KeyLost(f"系统钥匙串中找不到主密钥 (master key missing from the OS keyring: service {SERVICE}, user "
                      f"{self._keyring_user})。没有它，加密的策略与成交记录无法恢复 (encrypted strategies and trade "
                      "records cannot be recovered without it)",
                      "从钥匙串备份中恢复该条目后重试；若确已丢失，只能移走 $JLQ_HOME/vault 后重新 jlq vault init")

    def _passphrase(self, explicit: str | None, *, confirm: bool = False, prompt: str | None = None) -> str:
        if explicit is not None:
            return explicit
        if self.interactive is False and not (os.environ.get(ENV_PASSPHRASE) or os.environ.get(ENV_PASSPHRASE_FILE)):
            raise VaultLocked("保险库已锁定：没有可用的口令 (vault locked: no passphrase available)", PASSPHRASE_HINT)
        return obtain_passphrase(confirm=confirm, **({"prompt": prompt} if prompt else {}))

    def _cache(self, mk: MasterKey) -> MasterKey:
        with _CACHE_LOCK:
            _CACHE[(str(self.home), mk.kid)] = mk
        return mk

    def _cached(self, kid: str) -> MasterKey | None:
        with _CACHE_LOCK:
            return _CACHE.get((str(self.home), kid))

    # ---- public API -----------------------------------------------------------------------------
    def init(self, passphrase: str | None = None, *, mode: str = "auto") -> MasterKey:
        """Create the master key. ``mode``: ``auto`` (keyring when available, else passphrase),
        ``keyring`` or ``passphrase``."""
        with self._lock:
            if self.info_path.exists():
                raise InvalidInput(f"保险库已初始化 (vault already initialised): {self.info_path}",
                                   "用 jlq vault status 查看；更换密钥用 jlq vault rotate")
            if mode == "auto":
                mode = "keyring" if keyring_available() else "passphrase"
            if mode not in ("keyring", "passphrase"):
                raise InvalidInput(f"未知的密钥模式 (unknown key mode): {mode!r}", "可选 auto, keyring, passphrase")
            if self.db_path.exists() and self._db_has_data():
                raise KeyLost("保险库中已有由其它主密钥加密的数据，但找不到密钥信息 "
                              "(encrypted data exists without key info)",
                              "从备份恢复 keyinfo.json，不要重新初始化 (restore keyinfo.json, do not re-initialise)")
            if mode == "keyring":
                if not keyring_available():
                    raise InvalidInput(f"没有可用的系统钥匙串 (no OS keyring backend: {keyring_backend_name()})",
                                       "用 --mode passphrase（口令模式）")
                entry, mk = self._new_entry(None)
                import keyring

                keyring.set_password(SERVICE, self._keyring_user, _b64(mk.key))
                if keyring.get_password(SERVICE, self._keyring_user) != _b64(mk.key):
                    raise KeyLost("系统钥匙串没有保存主密钥 (the keyring did not keep the master key)",
                                  "检查钥匙串是否已解锁，或改用 --mode passphrase")
            else:
                pp = check_new_passphrase(self._passphrase(passphrase, confirm=True,
                                                           prompt="设置保险库口令 (new vault passphrase): "))
                entry, mk = self._new_entry(pp)
            info = {"format": INFO_FORMAT, "mode": mode, "created": entry["created"], "rotated": None,
                    "current": entry, "pending": None, "retired": []}
            self._write_info(info, exclusive=True)
            con = open_db(self.db_path)
            try:
                con.execute("INSERT OR REPLACE INTO vault_meta (key, value) VALUES ('kid', ?)", (mk.kid,))
            finally:
                con.close()
            return self._cache(mk)

    def unlock(self, passphrase: str | None = None) -> MasterKey:
        """The current master key: from the process cache, the keyring, or the passphrase (argument,
        env, file, prompt). Settles an interrupted rotation first."""
        with self._lock:
            info = self._reconcile(self._require_info())
            entry = info["current"]
            if passphrase is None and (hit := self._cached(entry["kid"])) is not None:
                return hit
            if info["mode"] == "keyring":
                return self._cache(self._from_keyring(entry))
            return self._cache(self._from_passphrase(entry, self._passphrase(passphrase)))

    def current_kid(self) -> str:
        return str(self._require_info()["current"]["kid"])

    def lock(self) -> None:
        """Forget this data root's unlocked keys in this process."""
        with _CACHE_LOCK:
            for k in [k for k in _CACHE if k[0] == str(self.home)]:
                del _CACHE[k]

    def status(self) -> VaultStatus:
        info = self._read_info()
        cur = info["current"] if info else {}
        return VaultStatus(
            initialized=info is not None, mode=info["mode"] if info else None, kid=cur.get("kid"),
            created=info.get("created") if info else None, rotated=info.get("rotated") if info else None,
            rotation_pending=bool(info and info.get("pending")),
            unlocked=bool(cur) and self._cached(cur["kid"]) is not None,
            keyring_backend=keyring_backend_name(), passphrase_source=passphrase_source(),
            keyinfo=str(self.info_path))

    def rotate(self, rewrappers: Sequence[Rewrapper] = (), new_passphrase: str | None = None, *,
               passphrase: str | None = None) -> RotationResult:
        """New master key; every data key re-wrapped in one transaction; content untouched.

        Passphrase mode: ``new_passphrase=None`` keeps the passphrase (new salt → new key). Every table of
        ``vault.db`` with a ``kid`` column must end up under the new key, else the rotation is rolled back
        (a store whose rewrapper was not passed cannot silently become unreadable).
        """
        t0 = time.perf_counter()
        with self._lock:
            info = self._reconcile(self._require_info())
            if info["mode"] == "passphrase":
                old_pp = self._passphrase(passphrase)
                old = self._from_passphrase(info["current"], old_pp)
                new_pp = old_pp if new_passphrase is None else check_new_passphrase(new_passphrase)
                entry, new = self._new_entry(new_pp)
            else:
                old = self.unlock()
                entry, new = self._new_entry(None)
                import keyring

                keyring.set_password(SERVICE, f"{self._keyring_user}:pending", _b64(new.key))
            entry.update(started=now_iso(), host=socket.gethostname(), pid=os.getpid())
            info["pending"] = entry
            self._write_info(info)
            con = open_db(self.db_path)
            try:
                con.execute("BEGIN IMMEDIATE")
                if (dk := data_kid(con)) not in (None, old.kid):
                    raise KeyLost(f"vault.db 的数据由主密钥 {dk} 加密，不是 {old.kid} (data key id mismatch)",
                                  "keyinfo.json 与 vault.db 不是同一份；从同一备份恢复两者")
                n = sum(int(rw(con, old, new)) for rw in rewrappers)
                for table in _kid_tables(con):
                    left = con.execute(f'SELECT COUNT(*) FROM "{table}" WHERE kid != ?', (new.kid,)).fetchone()[0]
                    if left:
                        raise RuntimeError(f"rotation incomplete: {left} rows of {table} still under the old key "
                                           "(pass that store's rewrapper)")
                con.execute("INSERT OR REPLACE INTO vault_meta (key, value) VALUES ('kid', ?)", (new.kid,))
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
                self._abandon_pending(info)
                raise
            finally:
                con.close()
            self._promote(info, retired_kid=old.kid, new_key=new)
            with _CACHE_LOCK:
                _CACHE.pop((str(self.home), old.kid), None)
            self._cache(new)
        result = RotationResult(old.kid, new.kid, n, time.perf_counter() - t0)
        if self.audit is not None:
            self.audit.append("key.rotate", f"master:{self.home}",
                              {"old_kid": old.kid, "new_kid": new.kid, "rewrapped": n, "mode": info["mode"]})
        return result

    # ---- rotation bookkeeping -------------------------------------------------------------------
    def _abandon_pending(self, info: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            info["pending"] = None
            self._write_info(info)
            if info["mode"] == "keyring":
                import keyring

                keyring.delete_password(SERVICE, f"{self._keyring_user}:pending")

    def _promote(self, info: dict[str, Any], retired_kid: str, new_key: MasterKey | None = None) -> None:
        entry = dict(info["pending"])
        for k in ("started", "host", "pid"):
            entry.pop(k, None)
        if info["mode"] == "keyring":
            import keyring

            key = new_key if new_key is not None else self._from_keyring(entry)
            keyring.set_password(SERVICE, self._keyring_user, _b64(key.key))
        info.update(current=entry, pending=None, rotated=now_iso())
        info["retired"] = [*info.get("retired", []), {"kid": retired_kid, "retired": info["rotated"]}]
        self._write_info(info)
        if info["mode"] == "keyring":
            import keyring

            with contextlib.suppress(Exception):
                keyring.delete_password(SERVICE, f"{self._keyring_user}:pending")

    def _reconcile(self, info: dict[str, Any]) -> dict[str, Any]:
        """Align keyinfo with the key id the data is under (settles an interrupted rotation)."""
        cur, pend = info["current"], info.get("pending")
        con = open_db(self.db_path)
        try:
            dk = data_kid(con)
            if dk is None:
                con.execute("INSERT OR IGNORE INTO vault_meta (key, value) VALUES ('kid', ?)", (cur["kid"],))
                dk = data_kid(con)
        finally:
            con.close()
        if pend and pend.get("host") == socket.gethostname() and pend.get("pid") not in (None, os.getpid()) \
                and _pid_alive(int(pend["pid"])) and dk != pend["kid"]:
            return info   # a rotation is running in another live process: leave it alone
        if pend and dk == pend["kid"]:
            self._promote(info, retired_kid=cur["kid"])
        elif pend and dk == cur["kid"]:
            self._abandon_pending(info)
        elif dk != cur["kid"]:
            raise KeyLost(f"vault.db 的数据由主密钥 {dk} 加密，但 keyinfo.json 记录的是 {cur['kid']} "
                          "(key info does not belong to this data)",
                          "keyinfo.json 与 vault.db 必须来自同一备份；从备份一并恢复")
        return info


def _kid_tables(con: sqlite3.Connection) -> list[str]:
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [t for t in tables if any(c[1] == "kid" for c in con.execute(f'PRAGMA table_info("{t}")'))]


class VaultDB:
    """One connection to ``vault.db`` shared by a store's calls (guarded by a lock), plus the unlocked
    master key. :meth:`write` is the commit point of a store: one ``BEGIN IMMEDIATE … COMMIT`` that
    first checks the data is still under the key this process holds (another process may have rotated)."""

    def __init__(self, keys: KeyManager, busy_timeout_s: float = 30.0) -> None:
        self.keys = keys
        self.path = keys.db_path
        self.busy_timeout_s = busy_timeout_s
        self.lock = threading.RLock()
        self._con: sqlite3.Connection | None = None
        self._mk: MasterKey | None = None

    def con(self) -> sqlite3.Connection:
        with self.lock:
            if self._con is None:
                self._con = open_db(self.path, self.busy_timeout_s)
            return self._con

    def master(self, refresh: bool = False) -> MasterKey:
        with self.lock:
            if self._mk is None or refresh:
                self._mk = self.keys.unlock()
            return self._mk

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs."""
        with self.lock:
            con = self.con()
            con.execute("BEGIN")
            try:
                yield con
            finally:
                con.execute("COMMIT")

    @contextlib.contextmanager
    def write(self) -> Iterator[tuple[sqlite3.Connection, MasterKey]]:
        with self.lock:
            mk = self.master()
            con = self.con()
            con.execute("BEGIN IMMEDIATE")
            try:
                if data_kid(con) != mk.kid:
                    con.execute("ROLLBACK")
                    mk = self.master(refresh=True)
                    con.execute("BEGIN IMMEDIATE")
                    if (dk := data_kid(con)) != mk.kid:
                        raise WrongKey(f"保险库数据由主密钥 {dk} 加密，当前解锁的是 {mk.kid} (master key changed)",
                                       "其它进程可能刚轮换了密钥；重新打开并使用新口令 "
                                       "(reopen with the new passphrase)")
                yield con, mk
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self.lock:
            if self._con is not None:
                self._con.close()
                self._con = None


# ---- module-level conveniences (one data root) -----------------------------------------------------------
def init(home: Path | str, passphrase: str | None = None, *, mode: str = "auto") -> MasterKey:
    return KeyManager(home).init(passphrase, mode=mode)


def unlock(home: Path | str, passphrase: str | None = None) -> MasterKey:
    return KeyManager(home).unlock(passphrase)


def status(home: Path | str) -> VaultStatus:
    return KeyManager(home).status()


def rotate(home: Path | str, rewrappers: Sequence[Rewrapper] = (), new_passphrase: str | None = None, *,
           passphrase: str | None = None, audit: Auditor | None = None) -> RotationResult:
    return KeyManager(home, audit=audit).rotate(rewrappers, new_passphrase, passphrase=passphrase)
