"""Channel secrets in the vault (VaultSecrets with a passphrase vault), the JLQ_SECRET_* override, key
rotation, and the access token shared by centres and processes of one data root."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jupyterlab_quant.core.live import exchange_now
from jupyterlab_quant.notify.center import NotificationCenter
from jupyterlab_quant.vault import keys as keys_mod
from jupyterlab_quant.vault.errors import KeyLost, TamperedData, VaultLocked, VaultNotInitialized
from jupyterlab_quant.vault.keys import KeyManager
from jupyterlab_quant.vault.records import rewrap_records
from jupyterlab_quant.vault.secrets import EnvSecrets, VaultSecrets, env_var, rewrap_secrets, secret_source
from jupyterlab_quant.vault.strategies import StrategyVault, rewrap_strategies, rotate_master_key
from tests.fakes.wechat_server import FakeWeChat
from tests.unit.notify.helpers import APPID, APPSECRET, OPENID, TEMPLATE_ID, WECOM_KEY, Clock, alert, enable

PP = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _vault_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JLQ_VAULT_PASSPHRASE", PP)
    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE_FILE", raising=False)
    for k in list(os.environ):
        if k.startswith("JLQ_SECRET_"):
            monkeypatch.delenv(k)
    monkeypatch.setattr(keys_mod, "_isatty", lambda: False)
    keys_mod.forget_cached_keys()
    yield
    keys_mod.forget_cached_keys()


@pytest.fixture
def keys(home: Path) -> KeyManager:
    km = KeyManager(home)
    km.init(PP, mode="passphrase")
    return km


def test_round_trip_encrypted_at_rest(home: Path, keys: KeyManager) -> None:
    vs = VaultSecrets(home, keys)
    assert vs.get("notify.wecom.key") is None and not vs.has("notify.wecom.key")
    vs.set("notify.wecom.key", WECOM_KEY)
    vs.set("notify.pushplus.token", "令牌-τ-0001")
    assert vs.get("notify.wecom.key") == WECOM_KEY and vs.get("notify.pushplus.token") == "令牌-τ-0001"
    assert vs.names() == ["notify.pushplus.token", "notify.wecom.key"]
    for p in (home / "vault").iterdir():
        raw = p.read_bytes()
        assert WECOM_KEY.encode() not in raw and "令牌-τ-0001".encode() not in raw, p.name
    keys_mod.forget_cached_keys()                         # another process: unlocks with the passphrase
    assert VaultSecrets(home, KeyManager(home)).get("notify.wecom.key") == WECOM_KEY
    vs.delete("notify.wecom.key")
    vs.delete("notify.wecom.key")                         # idempotent
    assert vs.get("notify.wecom.key") is None


def test_a_value_moved_to_another_name_fails_authentication(home: Path, keys: KeyManager) -> None:
    vs = VaultSecrets(home, keys)
    vs.set("notify.wecom.key", WECOM_KEY)
    vs.set("notify.serverchan.sendkey", "SCTother")
    con = sqlite3.connect(home / "vault" / "secrets.db")
    row = con.execute("SELECT kid, wrapped_key, blob FROM secrets WHERE name = 'notify.wecom.key'").fetchone()
    con.execute("UPDATE secrets SET kid = ?, wrapped_key = ?, blob = ? WHERE name = 'notify.serverchan.sendkey'", row)
    con.commit()
    con.close()
    with pytest.raises(TamperedData):
        vs.get("notify.serverchan.sendkey")


def test_without_a_vault_setting_a_secret_fails_and_nothing_is_written(home: Path) -> None:
    vs = VaultSecrets(home, KeyManager(home))
    assert vs.get("notify.wecom.key") is None                # reading an empty store needs no vault
    with pytest.raises(VaultNotInitialized, match="vault not initialised") as err:
        vs.set("notify.wecom.key", WECOM_KEY)
    assert "jlq vault init" in err.value.hint
    assert not (home / "vault" / "secrets.db").exists()


def test_locked_vault_is_a_clear_error(home: Path, keys: KeyManager, monkeypatch: pytest.MonkeyPatch) -> None:
    VaultSecrets(home, keys).set("notify.wecom.key", WECOM_KEY)
    keys_mod.forget_cached_keys()
    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE")
    vs = VaultSecrets(home, KeyManager(home, interactive=False))
    assert vs.has("notify.wecom.key")                        # no key needed to know it is set
    with pytest.raises(VaultLocked):
        vs.get("notify.wecom.key")


def test_env_overrides_the_vault(home: Path, keys: KeyManager) -> None:
    assert env_var("notify.wecom.key") == "JLQ_SECRET_WECOM_KEY"
    assert env_var("notify.wechat_template.appsecret") == "JLQ_SECRET_WECHAT_TEMPLATE_APPSECRET"
    assert env_var("backup.password") == "JLQ_SECRET_BACKUP_PASSWORD"
    src = EnvSecrets(VaultSecrets(home, keys), environ={"JLQ_SECRET_WECOM_KEY": "from-env"})
    src.set("notify.wecom.key", "from-vault")
    assert src.get("notify.wecom.key") == "from-env" and src.from_env("notify.wecom.key")
    assert src.inner is not None and src.inner.get("notify.wecom.key") == "from-vault"
    assert isinstance(secret_source(home, keys), EnvSecrets)


def test_rotation_with_the_secrets_rewrapper_keeps_them_readable(home: Path, keys: KeyManager) -> None:
    vs = VaultSecrets(home, keys)
    vs.set("notify.wecom.key", WECOM_KEY)
    StrategyVault(home, keys).save("demo", "print(1)\n")
    res = keys.rotate([rewrap_strategies, rewrap_records, rewrap_secrets])
    assert res.rewrapped == 2
    assert vs.get("notify.wecom.key") == WECOM_KEY
    res2 = keys.rotate([rewrap_strategies, rewrap_records, rewrap_secrets])    # second rotation, slot promoted
    assert res2.new_kid != res.new_kid and vs.get("notify.wecom.key") == WECOM_KEY


def test_rotation_rolled_back_after_the_rewrap_leaves_secrets_readable(home: Path, keys: KeyManager) -> None:
    vs = VaultSecrets(home, keys)
    vs.set("notify.wecom.key", WECOM_KEY)

    def boom(con: sqlite3.Connection, old: object, new: object) -> int:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        keys.rotate([rewrap_secrets, boom])
    assert vs.get("notify.wecom.key") == WECOM_KEY


def test_jlq_vault_rotate_rewraps_channel_secrets(home: Path, keys: KeyManager) -> None:
    vs = VaultSecrets(home, keys)
    vs.set("notify.wecom.key", WECOM_KEY)
    rotate_master_key(keys)  # what `jlq vault rotate` runs
    assert VaultSecrets(home, keys).get("notify.wecom.key") == WECOM_KEY


def test_rotation_without_the_secrets_rewrapper_says_what_to_do(home: Path, keys: KeyManager) -> None:
    """A rotation that skipped the secrets (an older release's rotate): the error says to enter them again."""
    from jupyterlab_quant.vault.records import rewrap_records
    from jupyterlab_quant.vault.strategies import rewrap_strategies

    vs = VaultSecrets(home, keys)
    vs.set("notify.wecom.key", WECOM_KEY)
    keys.rotate([rewrap_strategies, rewrap_records])
    with pytest.raises(KeyLost, match="retired master key") as err:
        vs.get("notify.wecom.key")
    assert "jlq notify set wecom --secret key" in err.value.hint


def test_center_with_vault_secrets_delivers(make_center: Callable[..., NotificationCenter], fake: FakeWeChat,
                                            clock: Clock, home: Path, keys: KeyManager) -> None:
    center = make_center(secret_source(home, keys))
    ch = enable(center, fake, "wecom")
    assert ch["configured"] and ch["secrets_set"] == ["key"]
    assert center.submit(alert(clock))[0].status == "sent"
    assert WECOM_KEY.encode() not in (home / "config" / "notify.json").read_bytes()


def test_center_reports_a_locked_vault_and_keeps_the_alert(make_center: Callable[..., NotificationCenter],
                                                           fake: FakeWeChat, clock: Clock, home: Path,
                                                           keys: KeyManager, monkeypatch: pytest.MonkeyPatch) -> None:
    enable(make_center(secret_source(home, keys)), fake, "wecom")
    keys_mod.forget_cached_keys()
    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE")
    locked = make_center(secret_source(home, KeyManager(home, interactive=False)))
    ch = locked.channel("wecom")
    assert ch["secrets_set"] == ["key"]
    (d,) = locked.submit(alert(clock))
    assert (d.status, d.error_code) == ("retrying", "vault_locked") and "保险库已锁定" in (d.error or "")
    monkeypatch.setenv("JLQ_VAULT_PASSPHRASE", PP)
    unlocked = make_center(secret_source(home, KeyManager(home)))
    clock.advance(3600)
    assert unlocked.flush()["sent"] == 1


# ---- the access token is shared through notify.db -----------------------------------------------------------
def _template_center(make_center: Callable[..., NotificationCenter], fake: FakeWeChat) -> NotificationCenter:
    from jupyterlab_quant.notify.secrets import MemorySecrets

    c = make_center(MemorySecrets())
    enable(c, fake, "wechat_template")
    return c


def test_token_is_cached_across_centres(make_center: Callable[..., NotificationCenter], fake: FakeWeChat,
                                        clock: Clock) -> None:
    a = _template_center(make_center, fake)
    assert a.submit(alert(clock))[0].status == "sent"
    b = _template_center(make_center, fake)
    assert b.submit(alert(clock))[0].status == "sent"
    assert fake.count("token") == 1
    clock.advance(7200 - 200)                               # within 5 minutes of expiry: refresh ahead of time
    assert b.submit(alert(clock))[0].status == "sent"
    assert fake.count("token") == 2


def test_token_is_shared_with_another_process(make_center: Callable[..., NotificationCenter], home: Path) -> None:
    clock = Clock(exchange_now())                            # the other process runs on the real clock
    with FakeWeChat(apps={APPID: APPSECRET}, openids={OPENID}, template_ids={TEMPLATE_ID}) as fake:
        center = make_center(clock=clock)
        from jupyterlab_quant.notify.secrets import MemorySecrets

        center.secrets = MemorySecrets()
        enable(center, fake, "wechat_template")
        assert center.test("wechat_template").status == "sent"
        code = ("import json, sys, requests\n"
                "from jupyterlab_quant.notify.center import NotificationCenter\n"
                "from jupyterlab_quant.vault.secrets import EnvSecrets\n"
                "s = requests.Session(); s.trust_env = False\n"
                "c = NotificationCenter(sys.argv[1], EnvSecrets(None), session=s)\n"
                "print(json.dumps(c.test('wechat_template').to_dict()))\n")
        env = {**os.environ, "JLQ_SECRET_WECHAT_TEMPLATE_APPSECRET": APPSECRET, "PYTHONPATH": str(ROOT)}
        r = subprocess.run([sys.executable, "-c", code, str(home)], capture_output=True, text=True, timeout=60,
                           env=env, cwd=ROOT)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["status"] == "sent"
        assert fake.count("token") == 1 and fake.count("template") == 2
        fake.assert_clean()
