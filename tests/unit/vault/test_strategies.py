"""Versioned strategy store: no plaintext on disk, tamper detection, versions/diff/restore/delete/export,
audit records, failed saves, and the ``jlq strategy``/``jlq vault`` commands as a user runs them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_quant.core.errors import InvalidInput, NotFound
from jupyterlab_quant.vault import keys as keys_mod
from jupyterlab_quant.vault.errors import TamperedData
from jupyterlab_quant.vault.keys import KeyManager
from jupyterlab_quant.vault.strategies import StrategyVault, normalize_name

PP = "correct horse battery staple"
SOURCE = '''"""双均线策略 — distinctive text: ZEBRA-QUOKKA-7731 动量因子 alpha."""
import backtrader as bt


class DualMA(bt.Strategy):
    params = (("fast", 7), ("slow", 31), ("secret_threshold", 0.0173))

    def __init__(self):
        self.f = bt.ind.SMA(period=self.p.fast)
        self.s = bt.ind.SMA(period=self.p.slow)

    def next(self):
        if self.f[0] > self.s[0] * (1 + self.p.secret_threshold) and not self.position:
            self.buy(size=100)  # 一手
        elif self.f[0] < self.s[0] and self.position:
            self.close()
'''


class RecordingAudit:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any] | None]] = []

    def append(self, action: str, target: str = "", detail: dict[str, Any] | None = None,
               actor: str = "local") -> None:
        self.events.append((action, target, detail))


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JLQ_VAULT_PASSPHRASE", PP)
    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE_FILE", raising=False)
    monkeypatch.setattr(keys_mod, "_isatty", lambda: False)
    keys_mod.forget_cached_keys()
    yield
    keys_mod.forget_cached_keys()


@pytest.fixture
def audit() -> RecordingAudit:
    return RecordingAudit()


@pytest.fixture
def vault(home: Path, audit: RecordingAudit) -> Iterator[StrategyVault]:
    KeyManager(home).init()
    sv = StrategyVault(home, audit=audit)
    yield sv
    sv.close()


def _all_bytes(root: Path) -> Iterator[tuple[Path, bytes]]:
    for p in sorted(root.rglob("*")):
        if p.is_file():
            yield p, p.read_bytes()


def test_no_plaintext_anywhere_under_the_data_root(vault: StrategyVault, home: Path) -> None:
    versions = [SOURCE, SOURCE.replace("0.0173", "0.0219"), SOURCE + "\n# 第三版 v3\n"]
    for i, src in enumerate(versions):
        vault.save("双均线", src, f"v{i + 1}")
    assert vault.get("双均线") == versions[-1]
    vault.diff("双均线", 1, 3)
    # keep the WAL and SHM files (nothing checkpointed yet) and scan them too
    names = {p.name for p, _ in _all_bytes(home)}
    assert {"vault.db", "vault.db-wal", "keyinfo.json"} <= names
    needles: set[bytes] = set()
    for src in versions:
        data = src.encode("utf-8")
        needles |= {data[i:i + 16] for i in range(0, len(data) - 16)}
        needles |= {data, src.encode("utf-16-le")[:64]}
    needles |= {b"ZEBRA-QUOKKA-7731", "动量因子".encode(), b"secret_threshold"}
    for path, blob in _all_bytes(home):
        for n in needles:
            assert n not in blob, f"plaintext {n!r} found in {path}"
    vault.close()
    for path, blob in _all_bytes(home):   # after the checkpoint into the main file too
        assert b"ZEBRA-QUOKKA" not in blob and SOURCE.encode()[:16] not in blob, path


def _db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "vault" / "vault.db", isolation_level=None)


def test_flipping_any_byte_of_a_blob_is_detected(vault: StrategyVault, home: Path) -> None:
    vault.save("t", SOURCE)
    con = _db(home)
    (blob,) = con.execute("SELECT blob FROM strategy_versions WHERE name = 't'").fetchone()
    step = max(1, len(blob) // 97)
    for i in [*range(0, len(blob), step), len(blob) - 1]:
        bad = bytearray(blob)
        bad[i] ^= 0x80
        con.execute("UPDATE strategy_versions SET blob = ? WHERE name = 't'", (bytes(bad),))
        with pytest.raises(TamperedData) as ei:
            vault.get("t")
        assert "策略 t 版本 1" in ei.value.message and "tampered" in ei.value.message and ei.value.hint
    con.execute("UPDATE strategy_versions SET blob = ? WHERE name = 't'", (blob[:-10],))
    with pytest.raises(TamperedData):
        vault.get("t")
    (wrapped,) = con.execute("SELECT wrapped_key FROM strategy_versions WHERE name = 't'").fetchone()
    con.execute("UPDATE strategy_versions SET blob = ? WHERE name = 't'", (blob,))
    assert vault.get("t") == SOURCE
    for i in range(len(wrapped)):
        bad = bytearray(wrapped)
        bad[i] ^= 0x01
        con.execute("UPDATE strategy_versions SET wrapped_key = ? WHERE name = 't'", (bytes(bad),))
        with pytest.raises(TamperedData):
            vault.get("t")
    con.close()


def test_swapped_blobs_are_detected(vault: StrategyVault, home: Path) -> None:
    vault.save("a", SOURCE)
    vault.save("a", SOURCE + "# v2\n")
    vault.save("b", SOURCE)
    con = _db(home)
    rows = {(n, v): (w, b) for n, v, w, b in con.execute("SELECT name, version, wrapped_key, blob FROM "
                                                         "strategy_versions")}
    # swap the whole envelope (wrapped key + blob) of two versions of one strategy
    for (n, v), other in (((("a", 1)), ("a", 2)), (("a", 2), ("a", 1))):
        con.execute("UPDATE strategy_versions SET wrapped_key = ?, blob = ? WHERE name = ? AND version = ?",
                    (*rows[other], n, v))
    with pytest.raises(TamperedData, match="策略 a 版本 1"):
        vault.get("a", 1)
    with pytest.raises(TamperedData, match="策略 a 版本 2"):
        vault.get("a", 2)
    # another strategy's envelope, same version number
    con.execute("UPDATE strategy_versions SET wrapped_key = ?, blob = ? WHERE name = 'b' AND version = 1",
                rows[("a", 1)])
    with pytest.raises(TamperedData, match="策略 b 版本 1"):
        vault.get("b")
    con.close()


def test_versions_diff_restore(vault: StrategyVault, audit: RecordingAudit) -> None:
    v1 = vault.save("ma.py", SOURCE, "first")
    assert (v1.name, v1.version, v1.message, v1.size) == ("ma", 1, "first", len(SOURCE.encode()))
    assert vault.save("ma", SOURCE, "same again") == v1          # identical → no new version
    v2 = vault.save("ma", SOURCE.replace('("fast", 7)', '("fast", 5)'), "faster")
    assert v2.version == 2 and [v.version for v in vault.versions("ma")] == [1, 2]
    d = vault.diff("ma", 1, 2)
    assert d.startswith("--- ma.py@v1\n+++ ma.py@v2\n") and '-    params = (("fast", 7)' in d
    assert '+    params = (("fast", 5)' in d and vault.diff("ma", 2, 2) == ""
    r = vault.restore("ma", 1)
    assert r.version == 3 and r.restored_from == 1 and "restored from v1" in r.message
    assert vault.get("ma") == SOURCE and vault.get("ma", 2) != SOURCE
    info = vault.list()[0]
    assert (info.name, info.latest, info.versions, info.deleted) == ("ma", 3, 3, False)
    actions = [(a, t) for a, t, _ in audit.events]
    assert ("strategy.write", "strategy:ma") in actions and ("strategy.restore", "strategy:ma") in actions
    assert ("strategy.read", "strategy:ma") in actions
    assert audit.events[1][2] == {"version": 1, "size": v1.size, "changed": False}
    with pytest.raises(NotFound, match="没有版本 9"):
        vault.get("ma", 9)
    with pytest.raises(NotFound):
        vault.versions("nope")


def test_delete_is_soft_and_undoable(vault: StrategyVault, audit: RecordingAudit) -> None:
    vault.save("gone", SOURCE)
    vault.save("gone", SOURCE + "#2\n")
    vault.delete("gone")
    assert vault.list() == [] and vault.list(include_deleted=True)[0].deleted
    with pytest.raises(NotFound, match="undelete"):
        vault.get("gone")
    with pytest.raises(NotFound, match="already deleted"):
        vault.delete("gone")
    assert ("strategy.delete", "strategy:gone", None) in audit.events
    assert vault.undelete("gone").versions == 2
    assert vault.get("gone", 1) == SOURCE
    vault.delete("gone")
    v = vault.save("gone", SOURCE + "#3\n")                   # saving brings it back; numbers never reused
    assert v.version == 3 and not vault.info("gone").deleted
    vault.delete("gone")
    assert vault.restore("gone", 1).version == 4 and vault.list()[0].name == "gone"


def test_export_is_atomic_and_refuses_the_data_root(vault: StrategyVault, home: Path, tmp_path: Path) -> None:
    vault.save("ex", SOURCE)
    vault.save("ex", "print(2)\n")
    out = vault.export("ex", tmp_path / "out" / "ex.py", version=1)
    assert out.read_text(encoding="utf-8") == SOURCE
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    vault.export("ex", out)
    assert out.read_text(encoding="utf-8") == "print(2)\n"
    with pytest.raises(InvalidInput, match="data root"):
        vault.export("ex", home / "leak.py")


def test_names() -> None:
    assert normalize_name("双均线.py") == "双均线" and normalize_name("a_b-1") == "a_b-1"
    for bad in ("", "a/b", "../x", "a b", "x" * 65, ".py"):
        with pytest.raises(InvalidInput):
            normalize_name(bad)


def test_failed_save_leaves_previous_versions_intact(vault: StrategyVault, home: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    vault.save("keep", SOURCE)
    from jupyterlab_quant.vault import crypto

    def disk_full(*a: object, **k: object) -> object:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(crypto, "seal_parts", disk_full)
    with pytest.raises(sqlite3.OperationalError):
        vault.save("keep", SOURCE + "# new\n")
    with pytest.raises(sqlite3.OperationalError):
        vault.save("fresh", SOURCE)
    monkeypatch.undo()
    monkeypatch.setenv("JLQ_VAULT_PASSPHRASE", PP)
    assert [v.version for v in vault.versions("keep")] == [1] and vault.get("keep") == SOURCE
    assert [s.name for s in vault.list(include_deleted=True)] == ["keep"]
    assert vault.save("keep", SOURCE + "# new\n").version == 2


def test_real_disk_full_via_sqlite_page_limit(vault: StrategyVault, home: Path) -> None:
    """SQLite's own 'database or disk is full' (max_page_count) mid-transaction: nothing half-written."""
    vault.save("big", SOURCE)
    con = vault.db.con()
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(sqlite3.OperationalError, match="full"):
        vault.save("big", os.urandom(200_000).hex())
    con.execute("PRAGMA max_page_count = 1073741823")
    assert [v.version for v in vault.versions("big")] == [1] and vault.get("big") == SOURCE


def test_a_save_needs_the_key_but_listing_does_not(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    KeyManager(home).init()
    StrategyVault(home).save("x", SOURCE)
    keys_mod.forget_cached_keys()
    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE")
    sv = StrategyVault(home)
    assert [s.name for s in sv.list()] == ["x"] and sv.versions("x")[0].version == 1
    from jupyterlab_quant.vault.errors import VaultLocked

    with pytest.raises(VaultLocked):
        sv.get("x")
    with pytest.raises(VaultLocked):
        sv.save("x", "new")
    assert len(sv.versions("x")) == 1


# ---- CLI -----------------------------------------------------------------------------------------------
def jlq(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A real ``jlq`` process."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("JLQ_VAULT")}
    e.update(env if env is not None else {"JLQ_VAULT_PASSPHRASE": PP})
    return subprocess.run([sys.executable, "-m", "jupyterlab_quant", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=120, env=e, stdin=subprocess.DEVNULL)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``jlq`` in this process (each call starts without cached keys, like a new process)."""
    from jupyterlab_quant.cli import main

    def run(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        for k in ("JLQ_VAULT_PASSPHRASE", "JLQ_VAULT_PASSPHRASE_FILE"):
            monkeypatch.delenv(k, raising=False)
        for k, v in (env if env is not None else {"JLQ_VAULT_PASSPHRASE": PP}).items():
            monkeypatch.setenv(k, v)
        keys_mod.forget_cached_keys()
        capsys.readouterr()
        code = main(["--home", str(home), *args])
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    return run


def test_cli_round_trip(tmp_path: Path, cli: Any) -> None:
    home = tmp_path / "h"
    f = tmp_path / "策略.py"
    f.write_text(SOURCE, encoding="utf-8")
    ppf = tmp_path / "pp.txt"
    ppf.write_text(PP + "\n", encoding="utf-8")
    r = cli(home, "vault", "init", "--passphrase-file", str(ppf), env={})
    assert r.returncode == 0 and "passphrase" in r.stdout, r.stderr
    assert cli(home, "vault", "init", env={}).returncode == 2          # already initialised
    r = jlq(home, "strategy", "save", "双均线", str(f), "-m", "第一版")  # a real process
    assert r.returncode == 0 and "v1" in r.stdout, r.stderr
    f.write_text(SOURCE.replace("0.0173", "0.02"), encoding="utf-8")
    assert "v2" in cli(home, "strategy", "save", "双均线", str(f), "-m", "阈值").stdout
    assert "unchanged" in cli(home, "strategy", "save", "双均线", str(f)).stdout
    r = cli(home, "strategy", "list", "--format", "csv")
    assert r.returncode == 0 and r.stdout.splitlines()[1].startswith("双均线,2,2,")
    assert "第一版" in cli(home, "strategy", "versions", "双均线", env={}).stdout   # metadata needs no key
    r = jlq(home, "strategy", "show", "双均线", "--version", "1")
    assert r.returncode == 0 and r.stdout == SOURCE
    r = cli(home, "strategy", "diff", "双均线", "1", "2")
    assert "-    params" in r.stdout and "0.02" in r.stdout
    assert "v3" in cli(home, "strategy", "restore", "双均线", "1").stdout
    out = tmp_path / "exp" / "x.py"
    assert cli(home, "strategy", "export", "双均线", str(out), "--version", "2").returncode == 0
    assert "0.02" in out.read_text(encoding="utf-8")
    # errors: exit codes and messages with hints, no tracebacks
    r = jlq(home, "strategy", "show", "双均线", env={"JLQ_VAULT_PASSPHRASE": "wrong passphrase!"})
    assert r.returncode == 2 and "口令错误" in r.stderr and "提示 hint" in r.stderr and "Traceback" not in r.stderr
    r = cli(home, "strategy", "show", "双均线", env={})
    assert r.returncode == 5 and "JLQ_VAULT_PASSPHRASE" in r.stderr
    assert cli(home, "strategy", "show", "nope").returncode == 3
    assert cli(home, "strategy", "show", "双均线", "--version", "42").returncode == 3
    assert cli(home, "strategy", "save", "a/b", str(f)).returncode == 2
    assert cli(home, "strategy", "export", "双均线", str(home / "x.py")).returncode == 2
    # rotate to a new passphrase from a file; the old one stops working
    new = tmp_path / "new.txt"
    new.write_text("a brand new passphrase 2026", encoding="utf-8")
    r = cli(home, "vault", "rotate", "--new-passphrase-file", str(new))
    assert r.returncode == 0 and "re-wrapped 3" in r.stdout, r.stderr
    assert cli(home, "strategy", "show", "双均线").returncode == 2
    r = cli(home, "strategy", "show", "双均线", env={"JLQ_VAULT_PASSPHRASE_FILE": str(new)})
    assert r.returncode == 0 and r.stdout == SOURCE
    r = cli(home, "vault", "status", "--json", env={})
    assert r.returncode == 0 and '"versions": 3' in r.stdout and '"rotated": "20' in r.stdout
    assert cli(home, "strategy", "delete", "双均线").returncode == 0
    assert cli(home, "strategy", "show", "双均线").returncode == 3
    assert cli(home, "strategy", "undelete", "双均线").returncode == 0
    # the whole data root holds no plaintext
    for path, blob in _all_bytes(home):
        assert b"ZEBRA-QUOKKA" not in blob and "动量因子".encode() not in blob, path


def test_cli_save_initialises_a_fresh_vault(tmp_path: Path, cli: Any) -> None:
    f = tmp_path / "s.py"
    f.write_text(SOURCE, encoding="utf-8")
    r = cli(tmp_path / "h", "strategy", "save", "s", str(f))
    assert r.returncode == 0 and "vault initialised" in r.stderr
    r = cli(tmp_path / "h2", "strategy", "save", "s", str(f), env={})
    assert r.returncode == 5 and "JLQ_VAULT_PASSPHRASE" in r.stderr
