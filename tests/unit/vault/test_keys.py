"""Master key: passphrase (scrypt) and keyring modes, wrong/missing keys, rotation and its crash safety."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from jaraco.classes import properties
from keyring.backend import KeyringBackend

from jupyterlab_quant.vault import keys as keys_mod
from jupyterlab_quant.vault.errors import KeyLost, VaultLocked, VaultNotInitialized, WrongKey
from jupyterlab_quant.vault.keys import KeyManager
from jupyterlab_quant.vault.strategies import StrategyVault, rewrap_strategies, rotate_master_key

PP = "correct horse battery staple"
NEW_PP = "tr0ub4dor & 3 月亮"


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring: this headless machine has no keyring daemon (an outside service)."""

    @properties.classproperty
    def priority(cls) -> float:
        # not viable for keyring's own backend discovery: only ever installed with keyring.set_keyring
        raise RuntimeError("test backend")

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE", raising=False)
    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE_FILE", raising=False)
    monkeypatch.setattr(keys_mod, "_isatty", lambda: False)
    keys_mod.forget_cached_keys()
    yield
    keys_mod.forget_cached_keys()


@pytest.fixture
def memring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


def test_passphrase_mode_keyinfo_holds_no_key(home: Path) -> None:
    km = KeyManager(home)
    assert not keys_mod.keyring_available()  # this machine: keyring.backends.fail
    mk = km.init(PP)
    info = json.loads((home / "vault" / "keyinfo.json").read_text())
    assert info["mode"] == "passphrase" and info["current"]["kid"] == mk.kid
    assert info["current"]["scrypt"] == {**info["current"]["scrypt"], "n": 2**15, "r": 8, "p": 1, "dklen": 32}
    raw = (home / "vault" / "keyinfo.json").read_bytes()
    assert mk.key not in raw and keys_mod._b64(mk.key).encode() not in raw
    assert (home / "vault" / "keyinfo.json").stat().st_mode & 0o077 == 0
    keys_mod.forget_cached_keys()
    assert km.unlock(PP) == mk
    assert "key=" not in repr(mk) and mk.key.hex() not in repr(mk)


def test_wrong_passphrase_and_locked(home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    km = KeyManager(home)
    km.init(PP)
    keys_mod.forget_cached_keys()
    with pytest.raises(WrongKey) as ei:
        km.unlock("not the passphrase")
    assert "口令错误" in ei.value.message and "wrong passphrase" in ei.value.message and ei.value.hint
    assert ei.value.code == "wrong_key"
    with pytest.raises(VaultLocked) as locked:
        km.unlock()
    assert "JLQ_VAULT_PASSPHRASE" in locked.value.hint and locked.value.code == "vault_locked"
    # env, then file
    monkeypatch.setenv("JLQ_VAULT_PASSPHRASE", PP)
    assert km.unlock().kid == km.current_kid()
    keys_mod.forget_cached_keys()
    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE")
    f = tmp_path / "pp.txt"
    f.write_text(PP + "\n", encoding="utf-8")
    monkeypatch.setenv("JLQ_VAULT_PASSPHRASE_FILE", str(f))
    assert km.unlock().kid == km.current_kid()


def test_prompt_is_asked_once_per_process(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    KeyManager(home).init(PP)
    keys_mod.forget_cached_keys()
    asked: list[str] = []
    monkeypatch.setattr(keys_mod, "_isatty", lambda: True)
    monkeypatch.setattr(keys_mod.getpass, "getpass", lambda prompt="": asked.append(prompt) or PP)
    a = KeyManager(home).unlock()
    b = KeyManager(home).unlock()
    assert a == b and len(asked) == 1


def test_uninitialised_and_double_init(home: Path) -> None:
    km = KeyManager(home)
    with pytest.raises(VaultNotInitialized):
        km.unlock(PP)
    assert km.status().initialized is False
    km.init(PP)
    with pytest.raises(Exception, match="already initialised"):
        km.init(PP)
    with pytest.raises(Exception, match="too short"):
        KeyManager(home / "other").init("short")


def test_keyring_mode(home: Path, memring: MemoryKeyring) -> None:
    km = KeyManager(home)
    assert keys_mod.keyring_available()
    mk = km.init()
    assert km.status().mode == "keyring"
    assert memring.items[("jupyterlab-quant", f"master:{home}")] == keys_mod._b64(mk.key)
    assert mk.key not in (home / "vault" / "keyinfo.json").read_bytes()
    keys_mod.forget_cached_keys()
    assert km.unlock() == mk
    # a lost keyring entry: a clear error naming what is lost, never garbage
    memring.items.clear()
    keys_mod.forget_cached_keys()
    with pytest.raises(KeyLost) as ei:
        km.unlock()
    assert "keyring" in ei.value.message and "cannot be recovered" in ei.value.message
    # an entry overwritten with another key
    memring.set_password("jupyterlab-quant", f"master:{home}", keys_mod._b64(b"\x01" * 32))
    with pytest.raises(WrongKey):
        km.unlock()


def test_keyring_rotation(home: Path, memring: MemoryKeyring) -> None:
    km = KeyManager(home)
    km.init()
    sv = StrategyVault(home, keys=km)
    sv.save("a", "print('a')\n")
    res = rotate_master_key(km)
    assert res.rewrapped == 1 and res.new_kid != res.old_kid
    keys_mod.forget_cached_keys()
    assert StrategyVault(home, keys=KeyManager(home)).get("a") == "print('a')\n"
    assert ("jupyterlab-quant", f"master:{home}:pending") not in memring.items


def _seed(home: Path, n: int = 30) -> tuple[KeyManager, StrategyVault]:
    km = KeyManager(home)
    km.init(PP)
    sv = StrategyVault(home, keys=km)
    for i in range(n):
        sv.save(f"s{i % 5}", f"# strategy {i}\nx = {i}\n" * 20, f"m{i}")
    return km, sv


def _blobs(home: Path) -> dict[tuple[str, int], tuple[bytes, bytes, str]]:
    con = sqlite3.connect(home / "vault" / "vault.db")
    try:
        return {(n, v): (b, w, k) for n, v, b, w, k in
                con.execute("SELECT name, version, blob, wrapped_key, kid FROM strategy_versions")}
    finally:
        con.close()


def test_rotation_rewraps_without_reencrypting(home: Path) -> None:
    km, sv = _seed(home)
    sources = {(v.name, v.version): sv.get(v.name, v.version) for s in sv.list() for v in sv.versions(s.name)}
    before = _blobs(home)
    res = rotate_master_key(km, NEW_PP, passphrase=PP)
    after = _blobs(home)
    assert res.rewrapped == len(before) == 30
    for item, (blob, wrapped, kid) in before.items():
        assert after[item][0] == blob               # ciphertext identical
        assert after[item][1] != wrapped            # wrapped key changed
        assert kid == res.old_kid and after[item][2] == res.new_kid
    keys_mod.forget_cached_keys()
    fresh = KeyManager(home)
    with pytest.raises(WrongKey):
        fresh.unlock(PP)                            # old passphrase rejected
    fresh.unlock(NEW_PP)
    sv2 = StrategyVault(home, keys=fresh)
    assert {k: sv2.get(*k) for k in sources} == sources
    info = json.loads((home / "vault" / "keyinfo.json").read_text())
    assert info["pending"] is None and info["retired"][0]["kid"] == res.old_kid and info["rotated"]


def test_rotation_keeping_the_passphrase_changes_the_key(home: Path) -> None:
    km, _ = _seed(home, 3)
    res = km.rotate([rewrap_strategies], passphrase=PP)
    keys_mod.forget_cached_keys()
    assert KeyManager(home).unlock(PP).kid == res.new_kid


def test_rotation_killed_midway_leaves_everything_readable(home: Path) -> None:
    km, sv = _seed(home)
    sources = {(f"s{i}", v.version): sv.get(f"s{i}", v.version) for i in range(5) for v in sv.versions(f"s{i}")}
    before = _blobs(home)
    calls = 0

    def dying(con: sqlite3.Connection, old: keys_mod.MasterKey, new: keys_mod.MasterKey) -> int:
        nonlocal calls
        assert rewrap_strategies(con, old, new) == 30   # every row re-wrapped inside the transaction …
        calls += 1
        raise KeyboardInterrupt("killed")      # … then the process "dies" before the commit

    with pytest.raises(KeyboardInterrupt):
        km.rotate([dying], NEW_PP, passphrase=PP)
    assert calls == 1 and _blobs(home) == before
    keys_mod.forget_cached_keys()
    fresh = KeyManager(home)
    with pytest.raises(WrongKey):
        fresh.unlock(NEW_PP)
    fresh.unlock(PP)
    sv2 = StrategyVault(home, keys=fresh)
    assert {k: sv2.get(*k) for k in sources} == sources
    assert fresh.status().rotation_pending is False


def test_crash_after_commit_before_keyinfo_is_finalised(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies after the data transaction committed but before keyinfo was updated: the next
    unlock sees the data under the pending key and promotes it."""
    km, sv = _seed(home, 5)
    sources = {v.version: sv.get("s0", v.version) for v in sv.versions("s0")}

    def die(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed after commit")

    monkeypatch.setattr(KeyManager, "_promote", die)
    with pytest.raises(SystemExit):
        km.rotate([rewrap_strategies], NEW_PP, passphrase=PP)
    monkeypatch.undo()
    monkeypatch.setattr(keys_mod, "_isatty", lambda: False)
    info = json.loads((home / "vault" / "keyinfo.json").read_text())
    assert info["pending"] is not None          # old and new key ids both recorded
    keys_mod.forget_cached_keys()
    fresh = KeyManager(home)
    with pytest.raises(WrongKey):
        fresh.unlock(PP)
    fresh.unlock(NEW_PP)
    assert {v: StrategyVault(home, keys=fresh).get("s0", v) for v in sources} == sources
    assert fresh.status().rotation_pending is False


def test_rotation_refuses_to_orphan_a_store(home: Path) -> None:
    """A store whose rewrapper is not passed would become unreadable: the rotation is rolled back."""
    km, _ = _seed(home, 3)
    with pytest.raises(RuntimeError, match="still under the old key"):
        km.rotate([], NEW_PP, passphrase=PP)
    keys_mod.forget_cached_keys()
    fresh = KeyManager(home)
    fresh.unlock(PP)
    assert StrategyVault(home, keys=fresh).get("s0").startswith("# strategy")


def test_keyinfo_from_elsewhere_is_reported(home: Path, tmp_path: Path) -> None:
    _seed(home, 1)
    other = tmp_path / "other"
    KeyManager(other).init(PP)
    (home / "vault" / "keyinfo.json").write_bytes((other / "vault" / "keyinfo.json").read_bytes())
    keys_mod.forget_cached_keys()
    with pytest.raises(KeyLost, match="key info does not belong"):
        KeyManager(home).unlock(PP)
    (home / "vault" / "keyinfo.json").unlink()
    with pytest.raises(KeyLost, match="key info missing"):
        KeyManager(home).unlock(PP)
