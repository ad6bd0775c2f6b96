"""Encrypted backups (加密备份) of a data root: one WinZip-AES (AES-256) zip that 7-Zip can open.

What a backup holds (paths relative to ``$JLQ_HOME``):

* ``vault/`` — the strategy store with every version, encrypted trade fields, ``keyinfo.json``. This
  content is *already* encrypted with the vault's master key: a restored vault opens only with the same
  passphrase (or the same OS-keyring entry — in keyring mode the entry is named after the home path, so
  restoring into another path needs that entry copied), so keep the passphrase with the backup password;
* ``state/`` — the SQLite databases (jobs and the backtest reports index, risk, alerts, audit log and its
  archives, source health …) copied with SQLite's online backup API, i.e. a consistent snapshot even
  while the server writes (never a raw copy of a file in WAL mode), plus the small state files;
* ``config/`` — settings (broker profiles, …);
* ``backtests/`` — report HTML/JSON files, only with ``include_reports=True`` (``--include-reports``);
* ``manifest.json`` — format version, product version, created time, source home, and per file its
  size, sha256 and mtime.

Not included: ``store/`` — the market data (Parquet) is re-creatable with ``jlq data update`` /
``jlq data init-sample`` and is usually far larger than everything else. Symlinks are not followed.

Create writes to a temp file next to the target and ``os.replace``-s it into place. Restore checks
every entry name (no absolute paths, ``..``, symlinks, or anything the manifest does not list), the
format version, the password and every file's sha256 *before* touching the home; extracts into a
staging directory ``$JLQ_HOME/.restore-<id>/`` on the same filesystem; refuses to overwrite data newer
than the backup (mtime after the backup's creation, a strategy with more versions) unless ``force``;
then replaces file by file with ``os.replace`` after hard-linking the old file into the staging
directory. An exception rolls every replaced file back; a hard crash leaves each file either old or
new (never half-written) and the old copies in the staging directory.

Files in the home that the backup does not hold are left alone (restore adds and replaces, never
deletes). Restore never rolls back the audit log: an existing ``state/audit.db`` (and existing archive files)
are kept, the backup's copy is skipped, and the restore is appended to the current log. Stop
JupyterLab and the scheduler before a restore: a database another process has open is refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import pyzipper

from .._version import __version__
from ..core.errors import InvalidInput, NotFound, QuantError, StoreBusy, StoreCorrupt
from .audit import AuditLog

FORMAT = "jlq-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TOPS = ("vault", "state", "config")
REPORTS = "backtests"
EXCLUDED = ["store/ (行情数据 market data: re-creatable with `jlq data update` / `jlq data init-sample`)"]
SKIP_SUFFIXES = ("-wal", "-shm", "-journal", ".lock", ".tmp")  # SQLite side files, locks, atomic-write temps
SQLITE_MAGIC = b"SQLite format 3\x00"
AUDIT_KEEP = ("state/audit.db", "state/audit-archive/")  # never rolled back by a restore
DAILY_RE = re.compile(r"^jlq-backup-\d{8}-\d{6}(-\d+)?\.zip$")
MIN_PASSWORD = 8
CHUNK = 1 << 20
_READ_ERRORS = (pyzipper.BadZipFile, zlib.error, EOFError, RuntimeError, ValueError, OSError)
PASSWORD_HINT = ("用 --password-file 指定密码文件，或设置环境变量 JLQ_BACKUP_PASSWORD，或在终端中运行以输入密码 "
                 "(use --password-file, set JLQ_BACKUP_PASSWORD, or run in a terminal to be prompted)")


# ---- errors ----------------------------------------------------------------------------------------
class BadBackupPassword(InvalidInput):
    """The password does not open the backup (→ CLI exit 2)."""

    code = "backup_wrong_password"


class NotABackup(InvalidInput):
    """The file is not a jlq backup zip (not a zip, no manifest, unencrypted entries)."""

    code = "not_a_backup"


class UnsafeBackup(InvalidInput):
    """An entry would escape the home or is not listed in the manifest (path traversal, symlink, extra file)."""

    code = "backup_unsafe_entry"


class BackupTooNew(InvalidInput):
    """The backup was written by a newer format version than this product reads."""

    code = "backup_too_new"


class BackupCorrupt(StoreCorrupt):
    """A file's content does not match the manifest (sha256, size) or fails the zip's HMAC/CRC check."""

    code = "backup_corrupt"


class RestoreConflict(QuantError):
    """The home holds data newer than the backup; restoring would overwrite it (use force)."""

    code = "restore_conflict"


class RestoreBusy(StoreBusy):
    """A database to be replaced is open in another process (JupyterLab, the scheduler)."""

    code = "restore_busy"


# ---- results ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackupFile:
    path: str
    size: int
    sha256: str
    mtime: float
    sqlite: bool = False


@dataclass
class BackupInfo:
    path: str
    created: str
    created_epoch: float
    format_version: int
    product_version: str
    home: str
    include_reports: bool
    files: list[BackupFile]
    excluded: list[str] = field(default_factory=list)
    strategies: dict[str, int] = field(default_factory=dict)
    zip_bytes: int = 0
    pruned: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["total_bytes"] = self.total_bytes
        return d

    def summary(self) -> str:
        lines = [f"备份 backup {self.path}: {len(self.files)} 个文件 files, {self.total_bytes / 1e6:.2f} MB "
                 f"(zip {self.zip_bytes / 1e6:.2f} MB, AES-256), created {self.created}, "
                 f"format v{self.format_version}, jlq {self.product_version}"]
        if self.strategies:
            lines.append(f"策略 strategies: {len(self.strategies)}, 版本 versions: {sum(self.strategies.values())}")
        lines += [f"未包含 not included: {x}" for x in self.excluded]
        lines += [f"已删除旧备份 pruned: {x}" for x in self.pruned]
        return "\n".join(lines)


@dataclass
class RestoreReport:
    backup: BackupInfo
    home: str
    restored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    overwritten_newer: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"backup": self.backup.path, "created": self.backup.created, "home": self.home,
                "restored": self.restored, "unchanged": self.unchanged, "kept": self.kept,
                "overwritten_newer": self.overwritten_newer}

    def summary(self) -> str:
        lines = [f"已恢复 restored {len(self.restored)} 个文件 files into {self.home} "
                 f"(unchanged {len(self.unchanged)}) from {self.backup.path} ({self.backup.created})"]
        if self.kept:
            lines.append(f"保留当前审计日志 kept the current audit log (never rolled back): {', '.join(self.kept)}")
        if self.overwritten_newer:
            lines.append(f"--force 覆盖了较新的文件 overwrote newer files: {', '.join(self.overwritten_newer[:10])}")
        if any(p.startswith("vault/") for p in self.restored):
            lines.append("提示 hint: 保险库内容需要原来的口令/钥匙串密钥才能打开 (the vault opens only with the "
                         "passphrase / keyring key it was encrypted with)")
        return "\n".join(lines)


# ---- helpers ---------------------------------------------------------------------------------------
def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sqlite_snapshot(src: Path, dst: Path) -> None:
    """A consistent copy of a live SQLite database (WAL included) via the online backup API."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(src, timeout=30.0)) as scon, \
                contextlib.closing(sqlite3.connect(dst)) as dcon:
            scon.backup(dcon)
    except sqlite3.Error as exc:
        raise StoreCorrupt(f"无法读取数据库 (cannot snapshot SQLite database) {src}: {exc}",
                           "检查文件是否损坏或被锁定 (check the file is readable and not corrupt)") from exc


def strategy_versions(db: Path) -> dict[str, int]:
    """Versions per strategy in a vault database (``{}`` when it holds no strategy store).

    Looks for the strategy store's version table (a table named like ``*version*`` with a strategy
    name/id column) so the backup stays independent of the store's internals.
    """
    if not db.is_file() or not _is_sqlite(db):
        return {}
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db.as_posix()}?mode=ro", uri=True, timeout=30.0)) as con:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                "AND name LIKE '%version%' ORDER BY name")]
            for t in tables:
                cols = [r[1] for r in con.execute(f'PRAGMA table_info("{t}")')]
                key = next((c for c in ("strategy", "name", "strategy_name", "strategy_id") if c in cols), None)
                if key is None:
                    continue
                return {str(k): int(n) for k, n in con.execute(f'SELECT "{key}", COUNT(*) FROM "{t}" GROUP BY 1')}
    except sqlite3.Error:
        return {}
    return {}


def _check_password(password: str, *, creating: bool) -> bytes:
    if not isinstance(password, str) or not password:
        raise InvalidInput("需要备份密码 (a backup password is required)", PASSWORD_HINT)
    if creating and len(password) < MIN_PASSWORD:
        raise InvalidInput(f"备份密码太短，至少 {MIN_PASSWORD} 个字符 (backup password too short: "
                           f"at least {MIN_PASSWORD} characters)", "用更长的口令 (use a longer passphrase)")
    return password.encode("utf-8")


def _safe_name(name: str) -> str | None:
    """Why ``name`` may not be extracted, or None when it is a plain relative path."""
    if not name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "绝对路径 (absolute path)"
    if "\\" in name or "\x00" in name:
        return "非法字符 (backslash or NUL in the name)"
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return "路径穿越或空路径段 (path traversal: '..', '.' or an empty segment)"
    return None


def _allowed(rel: str) -> bool:
    top = PurePosixPath(rel).parts[0]
    return top in (*TOPS, REPORTS) and len(PurePosixPath(rel).parts) > 1


# ---- create ----------------------------------------------------------------------------------------
def _collect(home: Path, include_reports: bool, exclude: set[Path]) -> Iterator[tuple[str, Path]]:
    for top in (*TOPS, *((REPORTS,) if include_reports else ())):
        root = home / top
        if not root.is_dir() or root.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not os.path.islink(os.path.join(dirpath, d)))
            for name in sorted(filenames):
                p = Path(dirpath) / name
                if p.is_symlink() or not p.is_file() or name.endswith(SKIP_SUFFIXES) or ".tmp-" in name:
                    continue
                if p.resolve() in exclude:
                    continue
                yield p.relative_to(home).as_posix(), p


def create(home: Path | str, out: Path | str, password: str, *, include_reports: bool = False,
           audit: bool = True) -> BackupInfo:
    """Write an AES-256 (WinZip-AES) backup of ``home`` to ``out`` atomically; returns what it holds."""
    home = Path(home).expanduser().resolve()
    out = Path(out).expanduser().resolve()
    pw = _check_password(password, creating=True)
    if not home.is_dir():
        raise NotFound(f"数据目录不存在 (data root not found): {home}", "用 --home 或 JLQ_HOME 指定 (set --home)")
    for top in (*TOPS, REPORTS):
        if out.is_relative_to(home / top):
            raise InvalidInput(f"备份文件不能放在被备份的目录里 (the backup may not be written inside {home / top})",
                               "换一个输出目录 (choose a folder outside vault/, state/, config/, backtests/)")
    if out.is_dir():
        raise InvalidInput(f"输出路径是目录 (output is a folder): {out}", "给出文件名，如 backup.zip (name a file)")
    out.parent.mkdir(parents=True, exist_ok=True)
    created = _now()
    created_epoch = created.timestamp()
    created_iso = created.isoformat(timespec="microseconds")
    files: list[BackupFile] = []
    strategies: dict[str, int] = {}
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix=".jlq-backup-", dir=out.parent) as stage_s:
        stage = Path(stage_s)
        for rel, src in _collect(home, include_reports, {out, tmp}):
            staged = stage / rel
            staged.parent.mkdir(parents=True, exist_ok=True)
            try:
                mtime = src.stat().st_mtime
                is_db = _is_sqlite(src)
                if is_db:
                    _sqlite_snapshot(src, staged)
                else:
                    shutil.copy2(src, staged)
            except FileNotFoundError:  # removed while we walked (an atomic rename in progress)
                continue
            if rel == "vault/vault.db":
                strategies = strategy_versions(staged)
            files.append(BackupFile(rel, staged.stat().st_size, _sha256_file(staged), mtime, is_db))
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "product_version": __version__,
                    "created": created_iso, "created_epoch": created_epoch,
                    "home": str(home), "include_reports": include_reports, "excluded": EXCLUDED,
                    "strategies": strategies, "files": [asdict(f) for f in files]}
        try:
            with pyzipper.AESZipFile(tmp, "w", compression=pyzipper.ZIP_DEFLATED, compresslevel=6,
                                     encryption=pyzipper.WZ_AES) as zf:
                zf.setpassword(pw)
                zf.setencryption(pyzipper.WZ_AES, nbits=256)
                zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
                for f in files:
                    zf.write(stage / f.path, arcname=f.path)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, out)
            _fsync_dir(out.parent)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, OSError):
                raise QuantError(f"写备份失败 (cannot write the backup) {out}: {exc}",
                                 "检查磁盘空间与权限；原有文件未改动 (check disk space and permissions; "
                                 "nothing was replaced)") from exc
            raise
    info = BackupInfo(path=str(out), created=created_iso, created_epoch=created_epoch,
                      format_version=FORMAT_VERSION, product_version=__version__, home=str(home),
                      include_reports=include_reports, files=files, excluded=list(EXCLUDED), strategies=strategies,
                      zip_bytes=out.stat().st_size)
    if audit:
        with AuditLog.for_home(home) as log:
            log.append("backup.create", str(out), {
                "files": len(files), "bytes": info.total_bytes, "zip_bytes": info.zip_bytes,
                "zip_sha256": _sha256_file(out), "include_reports": include_reports,
                "strategy_versions": sum(strategies.values())})
    return info


def _daily_key(p: Path) -> tuple[str, int]:
    return p.name[:26], int(p.stem[27:] or 1)


def daily_backup(home: Path | str, dest_dir: Path | str, password: str, keep: int = 7, *,
                 include_reports: bool = False) -> BackupInfo:
    """The scheduled backup: ``dest_dir/jlq-backup-YYYYMMDD-HHMMSS.zip`` (UTC), then keep the newest ``keep``.

    Only files named like that are ever pruned; other files in ``dest_dir`` are left alone.
    """
    if keep < 1:
        raise InvalidInput(f"keep 必须 ≥ 1 (keep must be at least 1): {keep}", "例如 keep=7 (e.g. keep=7)")
    dest = Path(dest_dir).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    stamp = _now().strftime("%Y%m%d-%H%M%S")
    taken = [_daily_key(p)[1] for p in dest.glob(f"jlq-backup-{stamp}*.zip") if DAILY_RE.match(p.name)]
    n = max(taken, default=0) + 1  # several runs within one second: -2, -3, … (never reusing a pruned name)
    out = dest / (f"jlq-backup-{stamp}.zip" if n == 1 else f"jlq-backup-{stamp}-{n}.zip")
    info = create(home, out, password, include_reports=include_reports)
    ours = sorted((p for p in dest.iterdir() if p.is_file() and DAILY_RE.match(p.name)),
                  key=_daily_key)
    for old in ours[:-keep]:
        old.unlink()
        info.pruned.append(old.name)
    return info


# ---- read / verify ---------------------------------------------------------------------------------
@contextlib.contextmanager
def _open(path: Path, password: str) -> Iterator[tuple[pyzipper.AESZipFile, dict[str, Any], dict[str, BackupFile]]]:
    """Open a backup: names checked (before the password is used), manifest read and validated."""
    if not path.is_file():
        raise NotFound(f"备份文件不存在 (backup not found): {path}", "检查路径 (check the path)")
    pw = _check_password(password, creating=False)
    try:
        zf = pyzipper.AESZipFile(path)
    except (pyzipper.BadZipFile, OSError) as exc:
        raise NotABackup(f"不是有效的 zip 备份 (not a zip backup): {path}: {exc}",
                         "选择 `jlq backup create` 写出的文件 (pick a file written by `jlq backup create`)") from exc
    with zf:
        infos = zf.infolist()
        seen: set[str] = set()
        for zi in infos:
            why = _safe_name(zi.filename)
            if why is None and stat.S_ISLNK(zi.external_attr >> 16):
                why = "符号链接 (symlink)"
            if why is None and zi.filename in seen:
                why = "重复条目 (duplicate entry)"
            if why:
                raise UnsafeBackup(f"备份包含不安全的条目 (unsafe entry in backup) {zi.filename!r}: {why}",
                                   "此文件不是 jlq 写出的备份或已被篡改，未写入任何内容 (not a jlq backup or tampered "
                                   "with; nothing was written)")
            seen.add(zi.filename)
        if MANIFEST not in seen:
            raise NotABackup(f"备份中缺少 manifest.json (no manifest.json in {path})",
                             "选择 `jlq backup create` 写出的文件 (pick a file written by `jlq backup create`)")
        unencrypted = [zi.filename for zi in infos if not zi.flag_bits & 0x1]
        if unencrypted:
            raise NotABackup(f"备份条目未加密 (unencrypted entries): {', '.join(unencrypted[:5])}",
                             "jlq 备份的每个条目都用 AES-256 加密 (every entry of a jlq backup is AES-encrypted)")
        zf.setpassword(pw)
        try:
            raw = zf.read(MANIFEST)
        except RuntimeError as exc:
            raise BadBackupPassword(f"备份密码错误 (wrong backup password) for {path.name}",
                                    "检查密码或密码文件 (check the password / password file)") from exc
        except (pyzipper.BadZipFile, ValueError, OSError) as exc:
            raise BadBackupPassword(f"备份密码错误或文件已损坏 (wrong password, or the backup is corrupt): {path.name}",
                                    "检查密码；若密码无误则该备份已损坏 (check the password; if it is right, the file "
                                    "is damaged)") from exc
        try:
            manifest = json.loads(raw.decode("utf-8"))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise ValueError("format is not jlq-backup")
            version = int(manifest["format_version"])
            files = {f["path"]: BackupFile(str(f["path"]), int(f["size"]), str(f["sha256"]), float(f["mtime"]),
                                           bool(f.get("sqlite", False))) for f in manifest["files"]}
            float(manifest["created_epoch"])
        except (ValueError, KeyError, TypeError) as exc:
            raise NotABackup(f"manifest.json 无法识别 (unreadable manifest in {path.name}): {exc}",
                             "选择 `jlq backup create` 写出的文件 (pick a file written by `jlq backup create`)"
                             ) from exc
        if version > FORMAT_VERSION:
            raise BackupTooNew(f"备份格式版本 {version} 比本程序支持的 {FORMAT_VERSION} 新 (backup format v{version} "
                               f"is newer than this jlq reads, v{FORMAT_VERSION}; written by jlq "
                               f"{manifest.get('product_version', '?')})",
                               "升级 jupyterlab-quant 后再恢复 (upgrade jupyterlab-quant, then restore)")
        for rel in files:
            why = _safe_name(rel) or (None if _allowed(rel) else "不在 vault/ state/ config/ backtests/ 之下")
            if why or rel == MANIFEST:
                raise UnsafeBackup(f"清单包含不安全的路径 (unsafe path in manifest) {rel!r}: {why}",
                                   "此备份已被篡改，未写入任何内容 (tampered backup; nothing was written)")
        extra = sorted(seen - set(files) - {MANIFEST})
        if extra:
            raise UnsafeBackup(f"备份包含清单之外的条目 (entries not in the manifest): {', '.join(extra[:5])}",
                               "此备份已被篡改，未写入任何内容 (tampered backup; nothing was written)")
        missing = sorted(set(files) - seen)
        if missing:
            raise BackupCorrupt(f"备份缺少清单中的文件 (files listed but missing): {', '.join(missing[:5])}",
                                "备份不完整，请用另一个备份 (incomplete backup; use another one)")
        yield zf, manifest, files


def _info(path: Path, manifest: dict[str, Any], files: dict[str, BackupFile]) -> BackupInfo:
    return BackupInfo(path=str(path), created=str(manifest.get("created", "")),
                      created_epoch=float(manifest["created_epoch"]), format_version=int(manifest["format_version"]),
                      product_version=str(manifest.get("product_version", "")), home=str(manifest.get("home", "")),
                      include_reports=bool(manifest.get("include_reports", False)), files=list(files.values()),
                      excluded=list(manifest.get("excluded", [])),
                      strategies={str(k): int(v) for k, v in dict(manifest.get("strategies") or {}).items()},
                      zip_bytes=path.stat().st_size)


def _copy_checked(zf: pyzipper.AESZipFile, f: BackupFile, sink: IO[bytes] | None) -> None:
    """Stream one entry (HMAC/CRC checked by the zip reader), comparing size and sha256 to the manifest."""
    h = hashlib.sha256()
    n = 0

    def corrupt(why: object) -> BackupCorrupt:
        return BackupCorrupt(f"备份文件损坏 (corrupt entry) {f.path}: {why}",
                             "备份已损坏或被篡改，请用另一个备份 (damaged or tampered; use another backup)")

    try:
        src = zf.open(f.path)
    except _READ_ERRORS as exc:
        raise corrupt(exc) from exc
    with src:
        while True:
            try:
                chunk = src.read(CHUNK)
            except _READ_ERRORS as exc:
                raise corrupt(exc) from exc
            if not chunk:
                break
            n += len(chunk)
            if n > f.size:
                raise corrupt("larger than the manifest says")
            h.update(chunk)
            if sink is not None:
                try:
                    sink.write(chunk)
                except OSError as exc:
                    raise QuantError(f"写入恢复文件失败 (cannot write restored file) {f.path}: {exc}",
                                     "检查磁盘空间与权限；数据目录未改动 (check disk space; the home is unchanged)"
                                     ) from exc
    if n != f.size or h.hexdigest() != f.sha256:
        raise corrupt("size/sha256 do not match the manifest")


def verify(path: Path | str, password: str) -> BackupInfo:
    """Check the password, the entry names, and every file's sha256 and zip HMAC/CRC against the manifest."""
    p = Path(path).expanduser().resolve()
    with _open(p, password) as (zf, manifest, files):
        for f in files.values():
            _copy_checked(zf, f, None)
        return _info(p, manifest, files)


def read_info(path: Path | str, password: str) -> BackupInfo:
    """The manifest only (password and entry names checked; file contents not read)."""
    p = Path(path).expanduser().resolve()
    with _open(p, password) as (_zf, manifest, files):
        return _info(p, manifest, files)


# ---- restore ---------------------------------------------------------------------------------------
def _newest_mtime(target: Path) -> float:
    t = target.stat().st_mtime
    for suffix in ("-wal",):
        side = target.with_name(target.name + suffix)
        if side.exists():
            t = max(t, side.stat().st_mtime)
    return t


def _unchanged(target: Path, f: BackupFile) -> bool:
    wal = target.with_name(target.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return False
    return target.stat().st_size == f.size and _sha256_file(target) == f.sha256


def _quiesce(db: Path) -> None:
    """Checkpoint a live database so its WAL is empty and removed; refuse when another process holds it."""
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=5.0, isolation_level=None)) as con:
            busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            return  # unreadable (corrupt) target: it is replaced anyway
        raise RestoreBusy(f"数据库正被使用 (database busy) {db}: {exc}",
                          "先停止 JupyterLab 与调度器再恢复 (stop JupyterLab and the scheduler, then restore)") from exc
    except sqlite3.DatabaseError:
        return  # not a database any more: it is replaced anyway
    if (busy and busy[0]) or db.with_name(db.name + "-wal").exists():
        raise RestoreBusy(f"数据库正被其他进程打开 (database is open in another process): {db}",
                          "先停止 JupyterLab 与调度器再恢复 (stop JupyterLab and the scheduler, then restore)")


def restore(path: Path | str, home: Path | str, password: str, force: bool = False, *,
            audit: bool = True) -> RestoreReport:
    """Restore a backup into ``home`` (empty or existing). See the module docstring for the guarantees."""
    p = Path(path).expanduser().resolve()
    home = Path(home).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    home = home.resolve()
    with _open(p, password) as (zf, manifest, files):
        info = _info(p, manifest, files)
        report = RestoreReport(backup=info, home=str(home))
        plan: list[BackupFile] = []
        conflicts: list[str] = []
        for f in files.values():
            target = home / f.path
            if not target.resolve().is_relative_to(home):
                raise UnsafeBackup(f"目标路径经符号链接指向数据目录之外 (target escapes the home via a symlink): "
                                   f"{target}",
                                   "移除该符号链接后再恢复 (remove the symlink, then restore)")
            if target.is_symlink() or (target.exists() and not target.is_file()):
                raise UnsafeBackup(f"目标不是普通文件 (target is not a regular file): {target}",
                                   "移除它后再恢复 (move it away, then restore)")
            if target.exists():
                if f.path.startswith(AUDIT_KEEP):
                    report.kept.append(f.path)
                    continue
                if _unchanged(target, f):
                    report.unchanged.append(f.path)
                    continue
                if _newest_mtime(target) > info.created_epoch:
                    conflicts.append(f.path)
            plan.append(f)
        current = strategy_versions(home / "vault" / "vault.db")
        more = sorted(name for name, n in current.items() if n > info.strategies.get(name, 0))
        if any(f.path == "vault/vault.db" for f in plan):
            conflicts += [f"strategy {name}: {current[name]} versions > {info.strategies.get(name, 0)} in the backup"
                          for name in more]
        if conflicts and not force:
            more_n = f" … +{len(conflicts) - 10}" if len(conflicts) > 10 else ""
            raise RestoreConflict(
                f"数据目录中有比备份 ({info.created}) 更新的数据，拒绝覆盖 (newer data than the backup; refusing to "
                f"overwrite): {'; '.join(conflicts[:10])}{more_n}",
                "确认要回到备份时的状态请加 --force (use --force to overwrite); 或先为当前数据再做一次备份 "
                "(or back up the current data first)")
        report.overwritten_newer = [c for c in conflicts if not c.startswith("strategy ")]
        for f in plan:
            target = home / f.path
            if f.sqlite and target.exists():
                _quiesce(target)
        stage = home / f".restore-{uuid.uuid4().hex[:8]}"
        new_dir, old_dir = stage / "new", stage / "old"
        try:
            new_dir.mkdir(parents=True)
            for f in plan:  # 1. extract + verify everything before touching the home
                dst = new_dir / f.path
                dst.parent.mkdir(parents=True, exist_ok=True)
                with open(dst, "wb") as sink:
                    _copy_checked(zf, f, sink)
                    sink.flush()
                    os.fsync(sink.fileno())
                os.utime(dst, (f.mtime, f.mtime))
            (stage / "journal.json").write_text(json.dumps(
                {"backup": str(p), "created": info.created, "files": [f.path for f in plan],
                 "started": _now().isoformat()}, ensure_ascii=False), encoding="utf-8")
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        done: list[tuple[Path, Path | None]] = []
        try:
            for f in plan:  # 2. swap file by file; keep a hard link to each old file for rollback
                target = home / f.path
                target.parent.mkdir(parents=True, exist_ok=True)
                old: Path | None = None
                if target.exists():
                    old = old_dir / f.path
                    old.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        os.link(target, old)
                    except OSError:
                        shutil.copy2(target, old)
                for side in ("-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        target.with_name(target.name + side).unlink()
                os.replace(new_dir / f.path, target)
                done.append((target, old))
                _fsync_dir(target.parent)
        except BaseException:
            failed = []
            for target, old in reversed(done):
                try:
                    if old is not None:
                        os.replace(old, target)
                    else:
                        target.unlink()
                except OSError:
                    failed.append(str(target))
            if failed:
                raise StoreCorrupt(f"恢复中断且回滚未完成 (restore interrupted; rollback incomplete): {failed[:5]}",
                                   f"旧文件保存在 {stage / 'old'} (old files are kept there)") from None
            shutil.rmtree(stage, ignore_errors=True)
            raise
        shutil.rmtree(stage, ignore_errors=True)
        report.restored = [f.path for f in plan]
    if audit:
        with AuditLog.for_home(home) as log:
            log.append("backup.restore", str(p), {
                "created": info.created, "restored": len(report.restored), "unchanged": len(report.unchanged),
                "kept": report.kept, "force": force, "overwritten_newer": report.overwritten_newer[:50]})
    return report

