"""The strategy vault through the REST API (issue 5 §4) with auth on and the real vault: save versions,
list, show a version, diff, restore, delete, identical save as a no-op, bad names, unknown names and
versions, a locked vault (423 with how to unlock), and no plaintext of a saved source anywhere on disk."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_quant.server.models import SCHEMAS
from jupyterlab_quant.vault import keys as keys_mod
from jupyterlab_quant.vault.keys import KeyManager

PP = "strategy-routes passphrase 2026"
MARKER = "QUOKKA-ZEBRA-4417 私有阈值"
V1 = f'''"""双均线 {MARKER}."""
import backtrader as bt


class DualMA(bt.Strategy):
    params = (("fast", 5), ("slow", 20))

    def next(self):
        pass
'''
V2 = V1.replace('("fast", 5)', '("fast", 7)') + "\n# 第二版 second version\n"
NAME = "双均线_v1"


@pytest.fixture
def vault_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data root with an initialised passphrase vault; the passphrase is in the server's environment."""
    home = tmp_path / "jlq-vault"
    home.mkdir()
    monkeypatch.setenv("JLQ_VAULT_PASSPHRASE", PP)
    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE_FILE", raising=False)
    monkeypatch.setattr(keys_mod, "_isatty", lambda: False)  # never prompt inside the server
    keys_mod.forget_cached_keys()
    KeyManager(home).init(PP, mode="passphrase")
    keys_mod.forget_cached_keys()  # the server unlocks it itself, from the environment
    yield home
    keys_mod.forget_cached_keys()


@pytest.fixture
def jp_server_config(vault_home: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_quant": True}, "allow_unauthenticated_access": False},
        "QuantExtension": {"data_home": str(vault_home)},
    }


async def call(jp_fetch, *path: str, method: str = "GET", body: Any = None, **params: Any) -> tuple[int, Any]:
    kw: dict[str, Any] = {"method": method, "params": params}
    if body is not None:
        kw["body"] = body if isinstance(body, str) else json.dumps(body)
    r = await jp_fetch("jupyterlab-quant", "v1", *path, **kw)
    return r.code, json.loads(r.body)


async def expect_error(jp_fetch, *path: str, code: int, method: str = "GET", body: Any = None,
                       **params: Any) -> dict[str, Any]:
    with pytest.raises(HTTPClientError) as e:
        await call(jp_fetch, *path, method=method, body=body, **params)
    assert e.value.code == code, e.value.response.body if e.value.response else e.value
    assert e.value.response is not None
    assert e.value.response.headers["Content-Type"].startswith("application/json")
    out = json.loads(e.value.response.body)
    jsonschema.validate(out, SCHEMAS["error"])
    assert out["message"] and out["hint"], out
    return dict(out)


def s(name: str = NAME) -> str:
    """The name as a path segment (jp_fetch percent-encodes it)."""
    return name


async def test_save_list_show_diff_restore_delete(jp_fetch, vault_home: Path, jp_root_dir: Path) -> None:
    code, v1 = await call(jp_fetch, "strategies", s(), method="PUT", body={"content": V1, "message": "第一版"})
    assert code == 201 and v1["version"] == 1 and v1["changed"] is True and v1["message"] == "第一版"
    assert v1["name"] == NAME and v1["size"] == len(V1.encode())
    jsonschema.validate(v1, SCHEMAS["strategy_version"])

    # identical to the latest: no new version, 200 with the latest
    code, same = await call(jp_fetch, "strategies", s(), method="PUT", body={"content": V1})
    assert code == 200 and same["version"] == 1 and same["changed"] is False

    code, v2 = await call(jp_fetch, "strategies", s(), method="PUT", body={"content": V2})
    assert code == 201 and v2["version"] == 2 and v2["message"]  # a default message says where it came from

    _, listing = await call(jp_fetch, "strategies")
    jsonschema.validate(listing, SCHEMAS["strategy_list"])
    assert [(i["name"], i["versions"], i["latest"], i["size"]) for i in listing["strategies"]] == [
        (NAME, 2, 2, len(V2.encode()))]

    _, latest = await call(jp_fetch, "strategies", s())
    jsonschema.validate(latest, SCHEMAS["strategy"])
    assert latest["version"] == 2 and latest["content"] == V2
    assert [v["version"] for v in latest["versions"]] == [1, 2]
    assert latest["versions"][0]["message"] == "第一版"
    _, first = await call(jp_fetch, "strategies", s(), version="1")
    assert first["version"] == 1 and first["content"] == V1

    _, versions = await call(jp_fetch, "strategies", s(), "versions")
    jsonschema.validate(versions, SCHEMAS["strategy_versions"])
    assert versions["versions"] == latest["versions"]

    _, diff = await call(jp_fetch, "strategies", s(), "diff", **{"from": "1", "to": "2"})
    jsonschema.validate(diff, SCHEMAS["strategy_diff"])
    lines = diff["diff"].splitlines()
    assert '-    params = (("fast", 5), ("slow", 20))' in lines
    assert '+    params = (("fast", 7), ("slow", 20))' in lines
    assert "+# 第二版 second version" in lines
    _, same_diff = await call(jp_fetch, "strategies", s(), "diff", **{"from": "2", "to": "2"})
    assert same_diff["diff"] == ""

    code, restored = await call(jp_fetch, "strategies", s(), "restore", method="POST", body={"version": 1})
    assert code == 201 and restored["version"] == 3 and restored["changed"] is True
    jsonschema.validate(restored, SCHEMAS["strategy_version"])
    _, now = await call(jp_fetch, "strategies", s())
    assert now["version"] == 3 and now["content"] == V1 and len(now["versions"]) == 3

    # nothing of the source is on disk in plaintext: not under the data root, not under the Jupyter root
    for root in (vault_home, jp_root_dir):
        for path in root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                for needle in (MARKER, "class DualMA", "第二版 second version"):
                    assert needle.encode() not in data, f"plaintext {needle!r} in {path}"

    code, deleted = await call(jp_fetch, "strategies", s(), method="DELETE")
    assert code == 200 and deleted == {"name": NAME, "deleted": True, "versions": 3}
    _, listing = await call(jp_fetch, "strategies")
    assert listing == {"strategies": []}
    for path in (("strategies", s()), ("strategies", s(), "versions")):
        out = await expect_error(jp_fetch, *path, code=404)
        assert out["error"] == "not_found"
    await expect_error(jp_fetch, "strategies", s(), method="DELETE", code=404)
    # saving under the name again brings it back with its history; numbers are never reused
    code, back = await call(jp_fetch, "strategies", s(), method="PUT", body={"content": V2})
    assert code == 201 and back["version"] == 4


async def test_unknown_names_versions_and_bad_input(jp_fetch) -> None:
    await call(jp_fetch, "strategies", "demo", method="PUT", body={"content": "x = 1\n"})
    for path, params in ((("strategies", "nope"), {}), (("strategies", "nope", "versions"), {}),
                         (("strategies", "demo"), {"version": "9"}),
                         (("strategies", "nope", "diff"), {"from": "1", "to": "2"}),
                         (("strategies", "demo", "diff"), {"from": "1", "to": "9"})):
        out = await expect_error(jp_fetch, *path, code=404, **params)
        assert out["error"] == "not_found"
    out = await expect_error(jp_fetch, "strategies", "nope", "restore", method="POST", body={"version": 1}, code=404)
    assert out["error"] == "not_found"
    out = await expect_error(jp_fetch, "strategies", "demo", "restore", method="POST", body={"version": 7}, code=404)
    assert "7" in out["message"]

    for bad in ("a b", "semi;colon", "x" * 65, "..%2Fetc", "dot.name"):
        out = await expect_error(jp_fetch, "strategies", bad, method="PUT", body={"content": "x"}, code=400)
        assert out["error"] == "invalid_input"
        await expect_error(jp_fetch, "strategies", bad, code=400)
    for body in ("not json", [1], {}, {"content": 3}, {"content": "x", "message": 5}, {"content": "x", "extra": 1}):
        out = await expect_error(jp_fetch, "strategies", "demo", method="PUT", body=body, code=400)
        assert out["error"] == "invalid_input"
    for body in ({}, {"version": 0}, {"version": "two"}, {"version": True}, {"version": 1, "extra": 1}):
        await expect_error(jp_fetch, "strategies", "demo", "restore", method="POST", body=body, code=400)
    await expect_error(jp_fetch, "strategies", "demo", "diff", code=400, **{"from": "1"})
    await expect_error(jp_fetch, "strategies", "demo", "diff", code=400, **{"from": "a", "to": "1"})
    await expect_error(jp_fetch, "strategies", "demo", code=400, version="-1")
    # "NAME.py" is the same strategy as NAME (the vault drops the suffix)
    _, same = await call(jp_fetch, "strategies", "demo.py")
    assert same["name"] == "demo" and same["content"] == "x = 1\n"


async def test_locked_vault_answers_423_with_how_to_unlock(jp_fetch, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE")
    keys_mod.forget_cached_keys()
    for path, method, body in ((("strategies", "demo"), "PUT", {"content": "x = 1\n"}),
                               (("strategies", "demo"), "GET", None)):
        out = await expect_error(jp_fetch, *path, method=method, body=body, code=423 if method == "PUT" else 404)
        if method == "PUT":
            assert out["error"] == "vault_locked" and "JLQ_VAULT_PASSPHRASE" in out["hint"]
    monkeypatch.setenv("JLQ_VAULT_PASSPHRASE", PP)
    code, saved = await call(jp_fetch, "strategies", "demo", method="PUT", body={"content": "x = 1\n"})
    assert code == 201 and saved["version"] == 1
    # locked again (a new process without the passphrase): reading the source is refused, listing is not
    monkeypatch.delenv("JLQ_VAULT_PASSPHRASE")
    keys_mod.forget_cached_keys()
    monkeypatch.setattr("jupyterlab_quant.vault.keys.VaultDB.master", _locked_master)
    out = await expect_error(jp_fetch, "strategies", "demo", code=423)
    assert out["error"] == "vault_locked" and "JLQ_VAULT_PASSPHRASE" in out["hint"]
    _, listing = await call(jp_fetch, "strategies")
    assert [i["name"] for i in listing["strategies"]] == ["demo"]


def _locked_master(self: Any, refresh: bool = False) -> Any:
    """What a server started without the passphrase does (no key cached by an earlier unlock)."""
    return self.keys.unlock()


async def test_wrong_passphrase_is_refused(jp_fetch, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JLQ_VAULT_PASSPHRASE", "not the passphrase at all")
    keys_mod.forget_cached_keys()
    out = await expect_error(jp_fetch, "strategies", "demo", method="PUT", body={"content": "x = 1\n"}, code=400)
    assert out["error"] == "wrong_key"


async def test_uninitialised_vault_is_locked(jp_fetch, vault_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.rmtree(vault_home / "vault")  # a fresh data root: `jlq vault init` was never run
    keys_mod.forget_cached_keys()
    out = await expect_error(jp_fetch, "strategies", "demo", method="PUT", body={"content": "x = 1\n"}, code=423)
    assert out["error"] == "vault_not_initialized" and "jlq vault init" in out["hint"]
