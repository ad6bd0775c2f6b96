"""Encrypted backups (加密备份): real SQLite, real AES zip, real 7-Zip."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pyzipper

from jupyterlab_quant.cli import main as jlq_main
from jupyterlab_quant.core.errors import InvalidInput
from jupyterlab_quant.vault import backup
from jupyterlab_quant.vault.audit import AuditLog
from jupyterlab_quant.vault.backup import (
    BackupCorrupt,
    BackupTooNew,
    BadBackupPassword,
    NotABackup,
    RestoreBusy,
    RestoreConflict,
    UnsafeBackup,
    create,
    daily_backup,
    restore,
    verify,
)

PW = "correct horse 电池 staple"
PW_ASCII = "CorrectHorse-42"
SEVEN_ZIP = shutil.which("7z")


def _db(path: Path, script: str, rows: list[tuple[str, list[tuple[object, ...]]]] = ()) -> None:  # type: ignore[assignment]
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(script)
    for sql, values in rows:
        con.executemany(sql, values)
    con.commit()
    con.close()


def add_versions(home: Path, name: str, n: int, start: int = 1) -> None:
    con = sqlite3.connect(home / "vault" / "vault.db")
    con.executemany("INSERT INTO strategy_versions (strategy, version, blob, message) VALUES (?, ?, ?, ?)",
                    [(name, v, os.urandom(2000), f"v{v} 修改") for v in range(start, start + n)])
    con.commit()
    con.close()


def make_home(root: Path) -> Path:
    """A home laid out like the product's: encrypted vault DB, state DBs, settings, reports, market store."""
    home = root
    _db(home / "vault" / "vault.db",
        "CREATE TABLE vault_meta (k TEXT PRIMARY KEY, v TEXT);"
        "CREATE TABLE strategy_versions (strategy TEXT, version INTEGER, blob BLOB, message TEXT, "
        "PRIMARY KEY (strategy, version));",
        [("INSERT INTO vault_meta VALUES (?, ?)", [("kid", "k-1")])])
    add_versions(home, "双均线", 3)
    add_versions(home, "momentum", 2)
    (home / "vault" / "keyinfo.json").write_text(json.dumps({"mode": "passphrase", "salt": "c2FsdA=="}))
    _db(home / "state" / "jobs.db", "CREATE TABLE jobs (id TEXT PRIMARY KEY, spec TEXT);",
        [("INSERT INTO jobs VALUES (?, ?)", [(f"j{i}", json.dumps({"i": i})) for i in range(20)])])
    log = AuditLog.for_home(home)
    log.append("strategy.write", "双均线", {"version": 3})
    (home / "config").mkdir(parents=True)
    (home / "config" / "broker_profiles.json").write_text('{"默认": {"commission": 0.00025}}', encoding="utf-8")
    (home / "backtests" / "abc123").mkdir(parents=True)
    (home / "backtests" / "abc123" / "report.html").write_text("<html>回测报告</html>", encoding="utf-8")
    (home / "store" / "bars_1d").mkdir(parents=True)
    (home / "store" / "bars_1d" / "part-1.parquet").write_bytes(b"PAR1" + os.urandom(100))
    old = time.time() - 3600  # everything was written an hour ago
    for p in home.rglob("*"):
        if p.is_file():
            os.utime(p, (old, old))
    return home


def dump(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def tree(home: Path) -> dict[str, bytes]:
    return {p.relative_to(home).as_posix(): p.read_bytes() for p in sorted(home.rglob("*"))
            if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


@pytest.fixture
def src_home(tmp_path: Path) -> Path:
    return make_home(tmp_path / "src")


@pytest.fixture
def made(src_home: Path, tmp_path: Path) -> tuple[Path, backup.BackupInfo]:
    out = tmp_path / "out" / "b.zip"
    return out, create(src_home, out, PW_ASCII)


def test_backup_restores_byte_identical_on_a_fresh_home(src_home: Path, tmp_path: Path) -> None:
    # an un-checkpointed WAL with the newest version: the snapshot must include it
    live = sqlite3.connect(src_home / "vault" / "vault.db")
    live.execute("PRAGMA wal_autocheckpoint=0")
    live.execute("INSERT INTO strategy_versions VALUES ('momentum', 3, x'00ff', 'in WAL')")
    live.commit()
    assert (src_home / "vault" / "vault.db-wal").stat().st_size > 0
    out = tmp_path / "b.zip"
    info = create(src_home, out, PW)
    live.close()
    assert out.is_file() and not list(out.parent.glob(".b.zip.tmp-*"))
    paths = {f.path for f in info.files}
    assert paths == {"vault/vault.db", "vault/keyinfo.json", "state/jobs.db", "state/audit.db",
                     "config/broker_profiles.json"}
    assert info.strategies == {"双均线": 3, "momentum": 3}
    assert any("store/" in x for x in info.excluded)

    fresh = tmp_path / "fresh"
    rep = restore(out, fresh, PW)
    assert sorted(rep.restored) == sorted(paths) and not rep.kept
    # every restored file is byte-identical to the snapshot in the backup (sha256 in the manifest);
    # audit.db too, except that the restore itself was appended to it
    for f in info.files:
        if f.path != "state/audit.db":
            assert backup._sha256_file(fresh / f.path) == f.sha256, f.path
    for db in ("vault/vault.db", "state/jobs.db"):
        assert dump(fresh / db) == dump(src_home / db)
    assert (fresh / "vault/keyinfo.json").read_bytes() == (src_home / "vault/keyinfo.json").read_bytes()
    assert (fresh / "config/broker_profiles.json").read_bytes() == (
        src_home / "config/broker_profiles.json").read_bytes()
    con = sqlite3.connect(fresh / "vault" / "vault.db")
    src = sqlite3.connect(src_home / "vault" / "vault.db")
    q = "SELECT strategy, version, blob, message FROM strategy_versions ORDER BY 1, 2"
    assert con.execute(q).fetchall() == src.execute(q).fetchall()
    assert len(con.execute(q).fetchall()) == 6
    con.close()
    src.close()
    assert not (fresh / "store").exists() and not (fresh / "backtests").exists()
    assert not list(fresh.glob(".restore-*"))
    # the audit log came back with the home and recorded the restore on top of its chain
    log = AuditLog.for_home(fresh)
    assert [r.action for r in log.list()] == ["backup.restore", "strategy.write"]
    assert log.verify().ok
    assert AuditLog.for_home(src_home).list(limit=1)[0].action == "backup.create"


def test_real_strategy_store_round_trip_reads_every_version_back(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """With the product's StrategyVault (passphrase mode): every version's source reads back identical."""
    from jupyterlab_quant.vault import keys as keys_mod
    from jupyterlab_quant.vault.keys import KeyManager
    from jupyterlab_quant.vault.strategies import StrategyVault

    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE", raising=False)
    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE_FILE", raising=False)
    monkeypatch.setattr(keys_mod, "_isatty", lambda: False)
    vpp = "vault passphrase 口令 42"
    home = tmp_path / "src"
    keys_mod.forget_cached_keys()
    KeyManager(home).init(vpp, mode="passphrase")
    sv = StrategyVault(home, audit=AuditLog.for_home(home))
    sources: dict[tuple[str, int], str] = {}
    for name in ("双均线", "breakout"):
        for i in range(4):
            src = f"# {name} v{i}\nclass S:\n    fast = {5 + i}  # 均线周期\n" + "x = 1\n" * (50 * i)
            sources[(name, sv.save(name, src, f"第 {i} 版").version)] = src
    out = tmp_path / "b.zip"
    info = create(home, out, PW)
    sv.close()
    assert info.strategies == {"双均线": 4, "breakout": 4}
    assert "vault/keyinfo.json" in {f.path for f in info.files}

    fresh = tmp_path / "fresh"
    restore(out, fresh, PW)
    keys_mod.forget_cached_keys()
    KeyManager(fresh).unlock(vpp)
    restored = StrategyVault(fresh)
    try:
        for (name, version), src in sources.items():
            assert restored.get(name, version) == src
        assert {s.name: s.latest for s in restored.list()} == {"双均线": 4, "breakout": 4}
    finally:
        restored.close()
    assert dump(fresh / "vault/vault.db") == dump(home / "vault/vault.db")
    keys_mod.forget_cached_keys()


def test_include_reports(src_home: Path, tmp_path: Path) -> None:
    info = create(src_home, tmp_path / "r.zip", PW, include_reports=True)
    assert "backtests/abc123/report.html" in {f.path for f in info.files}
    restore(tmp_path / "r.zip", tmp_path / "fresh", PW)
    assert (tmp_path / "fresh/backtests/abc123/report.html").read_text(encoding="utf-8") == "<html>回测报告</html>"


@pytest.mark.skipif(SEVEN_ZIP is None, reason="7z (Debian p7zip-full) is not installed")
def test_seven_zip_lists_and_extracts_the_backup(made: tuple[Path, backup.BackupInfo], src_home: Path,
                                                 tmp_path: Path) -> None:
    out, info = made
    assert SEVEN_ZIP is not None
    r = subprocess.run([SEVEN_ZIP, "l", "-slt", f"-p{PW_ASCII}", str(out)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    listed = {line.split(" = ", 1)[1] for line in r.stdout.splitlines() if line.startswith("Path = ")}
    assert {"manifest.json", *(f.path for f in info.files)} <= listed
    assert "AES-256" in r.stdout  # Method = AES-256 Deflate
    dest = tmp_path / "x"
    r = subprocess.run([SEVEN_ZIP, "x", f"-p{PW_ASCII}", f"-o{dest}", "-y", str(out)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == backup.FORMAT_VERSION
    for f in info.files:
        assert backup._sha256_file(dest / f.path) == f.sha256
    assert dump(dest / "vault/vault.db") == dump(src_home / "vault/vault.db")
    # and the wrong password fails there too
    r = subprocess.run([SEVEN_ZIP, "x", "-pnope", f"-o{tmp_path / 'y'}", "-y", str(out)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode != 0


def test_wrong_password_fails_clearly(made: tuple[Path, backup.BackupInfo], tmp_path: Path) -> None:
    out, _ = made
    with pytest.raises(BadBackupPassword) as ei:
        verify(out, "wrong password!")
    assert isinstance(ei.value, InvalidInput) and "wrong backup password" in ei.value.message
    with pytest.raises(BadBackupPassword):
        restore(out, tmp_path / "fresh", "wrong password!")
    assert not any((tmp_path / "fresh").iterdir())
    with pytest.raises(InvalidInput, match="too short"):
        create(tmp_path / "src", tmp_path / "x.zip", "short")


def test_verify_checks_every_file(made: tuple[Path, backup.BackupInfo]) -> None:
    out, info = made
    assert verify(out, PW_ASCII).files == info.files
    data = bytearray(out.read_bytes())
    with pyzipper.AESZipFile(out) as zf:
        zi = zf.getinfo("state/jobs.db")
        at = zi.header_offset + 30 + len(zi.filename) + len(zi.extra) + 40
    data[at] ^= 0xFF
    out.write_bytes(bytes(data))
    with pytest.raises(BackupCorrupt, match=r"state/jobs\.db"):
        verify(out, PW_ASCII)


def _evil_zip(path: Path, entries: dict[str, bytes], manifest_files: list[dict[str, object]] | None = None,
              version: int = backup.FORMAT_VERSION, symlink: str | None = None) -> Path:
    manifest = {"format": "jlq-backup", "format_version": version, "product_version": "9.9.9",
                "created": "2030-01-01T00:00:00+00:00", "created_epoch": 1893456000.0, "home": "/x",
                "files": manifest_files if manifest_files is not None else [
                    {"path": name, "size": len(b), "sha256": __import__("hashlib").sha256(b).hexdigest(),
                     "mtime": 0.0} for name, b in entries.items()]}
    with pyzipper.AESZipFile(path, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(PW.encode())
        zf.setencryption(pyzipper.WZ_AES, nbits=256)
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, b in entries.items():
            zi = zf.zipinfo_cls(name)
            if name == symlink:
                zi.external_attr = (0o120777 << 16)
            zf.writestr(zi, b)
    return path


@pytest.mark.parametrize("name", ["../evil", "config/../../evil", "/tmp/evil-abs", "C:/evil", "vault\\..\\evil",
                                  "state/./x"])
def test_traversal_and_absolute_entries_are_rejected_and_nothing_is_written(tmp_path: Path, name: str) -> None:
    z = _evil_zip(tmp_path / "evil.zip", {name: b"pwned", "config/ok.json": b"{}"})
    home = tmp_path / "home"
    with pytest.raises(UnsafeBackup) as ei:
        restore(z, home, PW)
    assert repr(name) in ei.value.message or name in ei.value.message
    assert not any(home.rglob("*"))
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil-abs").exists()
    with pytest.raises(UnsafeBackup):
        verify(z, PW)


def test_symlinks_and_entries_outside_the_manifest_are_rejected(tmp_path: Path) -> None:
    home = tmp_path / "home"
    z = _evil_zip(tmp_path / "s.zip", {"config/link": b"/etc/passwd"}, symlink="config/link")
    with pytest.raises(UnsafeBackup, match="symlink"):
        restore(z, home, PW)
    z = _evil_zip(tmp_path / "e.zip", {"config/a.json": b"{}", "config/b.json": b"{}"},
                  manifest_files=[{"path": "config/a.json", "size": 2, "sha256": "0" * 64, "mtime": 0.0}])
    with pytest.raises(UnsafeBackup, match="not in the manifest"):
        restore(z, home, PW)
    z = _evil_zip(tmp_path / "t.zip", {"store/x.parquet": b"x"})
    with pytest.raises(UnsafeBackup):
        restore(z, home, PW)
    assert not any(home.rglob("*"))


def test_manifest_from_a_newer_format_is_rejected(tmp_path: Path) -> None:
    z = _evil_zip(tmp_path / "new.zip", {"config/a.json": b"{}"}, version=backup.FORMAT_VERSION + 1)
    with pytest.raises(BackupTooNew, match="newer") as ei:
        restore(z, tmp_path / "home", PW)
    assert "upgrade" in ei.value.hint
    assert not any((tmp_path / "home").rglob("*"))


def test_not_a_backup(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(NotABackup):
        verify(tmp_path / "x.zip", PW)
    with pyzipper.ZipFile(tmp_path / "plain.zip", "w") as zf:
        zf.writestr("manifest.json", "{}")
    with pytest.raises(NotABackup, match="unencrypted"):
        verify(tmp_path / "plain.zip", PW)


def test_restore_refuses_newer_data_without_force(made: tuple[Path, backup.BackupInfo], src_home: Path) -> None:
    out, _ = made
    before = dump(src_home / "vault/vault.db")
    # unchanged home: restoring the fresh backup over it is fine (nothing newer)
    restore(out, src_home, PW_ASCII)
    # now the user saves a new version after the backup
    add_versions(src_home, "双均线", 1, start=4)
    after = dump(src_home / "vault/vault.db")
    with pytest.raises(RestoreConflict) as ei:
        restore(out, src_home, PW_ASCII)
    msg = ei.value.message
    assert "vault/vault.db" in msg and "strategy 双均线: 4 versions > 3" in msg and "--force" in ei.value.hint
    assert dump(src_home / "vault/vault.db") == after  # nothing changed
    rep = restore(out, src_home, PW_ASCII, force=True)
    assert "vault/vault.db" in rep.overwritten_newer
    assert dump(src_home / "vault/vault.db") == before
    assert rep.kept == ["state/audit.db"]  # the audit log is never rolled back
    log = AuditLog.for_home(src_home)
    assert [r.action for r in log.list(limit=3)] == ["backup.restore", "backup.restore", "backup.create"]
    assert log.list(limit=1)[0].detail["force"] is True
    assert log.verify().ok


def test_restore_refuses_a_database_open_in_another_process(made: tuple[Path, backup.BackupInfo],
                                                            src_home: Path) -> None:
    out, _ = made
    held = sqlite3.connect(src_home / "state" / "jobs.db")
    held.execute("INSERT INTO jobs VALUES ('new', '{}')")
    held.commit()
    try:
        with pytest.raises(RestoreBusy, match="stop JupyterLab"):
            restore(out, src_home, PW_ASCII, force=True)
    finally:
        held.close()


def test_interrupted_restore_leaves_the_previous_home_readable(made: tuple[Path, backup.BackupInfo], src_home: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out, _ = made
    add_versions(src_home, "momentum", 2, start=3)
    (src_home / "config" / "broker_profiles.json").write_text('{"new": 1}', encoding="utf-8")
    before_tree = tree(src_home)
    before_db = {db: dump(src_home / db) for db in ("vault/vault.db", "state/jobs.db")}
    real_replace = os.replace
    calls = {"n": 0}

    def flaky(a: object, b: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device (simulated)")
        real_replace(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(backup.os, "replace", flaky)
    with pytest.raises(OSError, match="simulated"):
        restore(out, src_home, PW_ASCII, force=True)
    monkeypatch.undo()
    assert calls["n"] >= 3
    assert {db: dump(src_home / db) for db in before_db} == before_db
    after_tree = tree(src_home)
    assert {k: v for k, v in after_tree.items() if k != "state/audit.db"} == {
        k: v for k, v in before_tree.items() if k != "state/audit.db"}
    assert not list(src_home.glob(".restore-*"))
    # and a retried restore completes
    restore(out, src_home, PW_ASCII, force=True)
    assert len(dump(src_home / "vault/vault.db")) < len(before_db["vault/vault.db"])


def test_corrupt_entry_aborts_before_touching_the_home(made: tuple[Path, backup.BackupInfo], src_home: Path) -> None:
    out, _ = made
    add_versions(src_home, "momentum", 1, start=3)
    before = tree(src_home)
    data = bytearray(out.read_bytes())
    with pyzipper.AESZipFile(out) as zf:
        zi = zf.getinfo("vault/vault.db")
        at = zi.header_offset + 30 + len(zi.filename) + len(zi.extra) + 100
    data[at] ^= 0x01
    out.write_bytes(bytes(data))
    with pytest.raises(BackupCorrupt):
        restore(out, src_home, PW_ASCII, force=True)
    assert tree(src_home) == before and not list(src_home.glob(".restore-*"))


def test_backup_may_not_be_written_inside_the_home_tree(src_home: Path) -> None:
    with pytest.raises(InvalidInput, match="inside"):
        create(src_home, src_home / "state" / "b.zip", PW)


def test_daily_backup_keeps_the_newest(src_home: Path, tmp_path: Path) -> None:
    dest = tmp_path / "daily"
    dest.mkdir()
    (dest / "notes.txt").write_text("keep me")
    names = []
    for _ in range(4):
        info = daily_backup(src_home, dest, PW, keep=2)
        names.append(Path(info.path).name)
    left = sorted(p.name for p in dest.iterdir())
    assert left == sorted([*names[-2:], "notes.txt"])
    assert len([r for r in AuditLog.for_home(src_home).list() if r.action == "backup.create"]) == 4
    with pytest.raises(InvalidInput):
        daily_backup(src_home, dest, PW, keep=0)


def _cli(home: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
         ) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if k != "JLQ_BACKUP_PASSWORD"}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "jupyterlab_quant", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=120, env=e, input=stdin)


def test_cli_backup_create_verify_restore(src_home: Path, tmp_path: Path) -> None:
    pwf = tmp_path / "pw.txt"
    pwf.write_text(PW + "\n", encoding="utf-8")
    out = tmp_path / "cli.zip"
    r = _cli(src_home, "backup", "create", str(out), "--password-file", str(pwf), "--include-reports")
    assert r.returncode == 0, r.stderr
    assert "AES-256" in r.stdout and "store/" in r.stdout
    r = _cli(src_home, "backup", "verify", str(out), env={"JLQ_BACKUP_PASSWORD": PW})
    assert r.returncode == 0, r.stderr
    r = _cli(src_home, "backup", "verify", str(out), env={"JLQ_BACKUP_PASSWORD": "wrong-password"})
    assert r.returncode == 2 and "wrong backup password" in r.stderr and "提示 hint" in r.stderr
    r = _cli(src_home, "backup", "verify", str(out), stdin="")  # no password source, stdin not a TTY
    assert r.returncode == 2 and "JLQ_BACKUP_PASSWORD" in r.stderr
    r = _cli(src_home, "backup", "verify", str(tmp_path / "missing.zip"), env={"JLQ_BACKUP_PASSWORD": PW})
    assert r.returncode == 3
    fresh = tmp_path / "fresh"
    r = _cli(fresh, "backup", "restore", str(out), "--password-file", str(pwf))
    assert r.returncode == 0, r.stderr
    assert (fresh / "backtests/abc123/report.html").is_file()
    add_versions(fresh, "momentum", 1, start=3)
    r = _cli(fresh, "backup", "restore", str(out), "--password-file", str(pwf))
    assert r.returncode == 5 and "--force" in r.stderr
    r = _cli(fresh, "backup", "restore", str(out), "--password-file", str(pwf), "--force")
    assert r.returncode == 0, r.stderr


def test_cli_password_prompt_asks_twice(tmp_path: Path, src_home: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter([PW, PW + "x"])
    monkeypatch.delenv("JLQ_BACKUP_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert jlq_main(["--home", str(src_home), "backup", "create", str(tmp_path / "p.zip")]) == 2
    assert "do not match" in capsys.readouterr().err
    answers = iter([PW, PW])
    assert jlq_main(["--home", str(src_home), "backup", "create", str(tmp_path / "p.zip")]) == 0
    assert (tmp_path / "p.zip").is_file()


def test_a_corrupt_database_in_the_home_is_replaced(made: tuple[Path, backup.BackupInfo], src_home: Path) -> None:
    out, _ = made
    (src_home / "state" / "jobs.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    (src_home / "vault" / ".keyinfo.x1.tmp").write_text("half-written")
    restore(out, src_home, PW_ASCII, force=True)
    assert len(dump(src_home / "state" / "jobs.db")) > 20
    assert "vault/.keyinfo.x1.tmp" not in {f.path for f in create(src_home, src_home.parent / "c.zip", PW).files}
