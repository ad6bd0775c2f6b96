"""``jlq notify …`` as a user runs it (in-process ``main`` for speed, one real process for the exit code):
exit codes, messages, secrets only via prompt/stdin and only into the vault."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyterlab_quant.cli import main
from jupyterlab_quant.vault import keys as keys_mod
from tests.fakes.wechat_server import FakeWeChat
from tests.unit.notify.helpers import WECOM_KEY

PP = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JLQ_VAULT_PASSPHRASE", PP)
    for k in list(os.environ):
        if k.startswith(("JLQ_SECRET_", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")):
            monkeypatch.delenv(k)
    monkeypatch.setattr(keys_mod, "_isatty", lambda: False)
    keys_mod.forget_cached_keys()
    yield
    keys_mod.forget_cached_keys()


@pytest.fixture
def wechat() -> Iterator[FakeWeChat]:
    with FakeWeChat(wecom_keys={WECOM_KEY}) as f:
        yield f


def jlq(home: Path, capsys: pytest.CaptureFixture[str], *args: str, stdin: str = "") -> tuple[int, str, str]:
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(["--home", str(home), *args])
    except SystemExit as exc:          # argparse
        code = int(exc.code or 0)
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


def setup_wecom(home: Path, capsys: pytest.CaptureFixture[str], url: str) -> None:
    assert jlq(home, capsys, "vault", "init", "--mode", "passphrase")[0] == 0
    code, out, err = jlq(home, capsys, "notify", "set", "wecom", "--enable", "--option", f"base_url={url}",
                         "--secret", "key", "--secret-stdin", stdin=WECOM_KEY + "\n")
    assert code == 0, err
    assert "已保存 saved: wecom — 启用 enabled, 已配置 configured" in out and WECOM_KEY not in out


def test_channels_json_and_text(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = jlq(home, capsys, "notify", "channels", "--json")
    assert code == 0
    assert [c["name"] for c in json.loads(out)["channels"]] == ["wecom", "serverchan", "pushplus",
                                                               "wechat_template", "wechat_subscribe"]
    code, out, _ = jlq(home, capsys, "notify", "channels")
    assert code == 0 and "企业微信群机器人 (WeCom group robot)" in out and "缺少 missing: key" in out


def test_set_test_log_flush(home: Path, capsys: pytest.CaptureFixture[str], wechat: FakeWeChat) -> None:
    setup_wecom(home, capsys, wechat.url)
    assert WECOM_KEY.encode() not in (home / "config" / "notify.json").read_bytes()
    code, out, _ = jlq(home, capsys, "notify", "test", "--channel", "wecom")
    assert code == 0 and "已发送测试消息 test message sent: wecom" in out
    assert "测试消息" in wechat.messages("wecom")[0]["markdown"]["content"]

    wechat.fail_next("wecom", errcode=93000)
    code, _, err = jlq(home, capsys, "notify", "test", "--channel", "wecom")
    assert code == 5 and "测试消息未送达" in err and "93000" in err and WECOM_KEY not in err

    code, out, _ = jlq(home, capsys, "notify", "log", "--json")
    rows = json.loads(out)["deliveries"]
    assert code == 0 and [r["status"] for r in rows] == ["failed", "sent"]
    code, out, _ = jlq(home, capsys, "notify", "log", "--status", "failed")
    assert code == 0 and "webhook key 无效" in out and len(out.splitlines()) == 1
    code, out, _ = jlq(home, capsys, "notify", "flush", "--json")
    assert code == 0 and json.loads(out)["digests"] == 0
    code, out, _ = jlq(home, capsys, "notify", "alerts", "--json")
    assert code == 0 and json.loads(out) == {"alerts": []}


def test_set_errors_have_exit_codes_and_name_the_field(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = jlq(home, capsys, "notify", "set", "wecom", "--secret", "key", "--secret-stdin", stdin="k\n")
    assert code == 5 and "jlq vault init" in err                       # never stored in plaintext
    assert not (home / "vault" / "secrets.db").exists()
    code, _, err = jlq(home, capsys, "notify", "set", "wecom", "--option", "bogus=1")
    assert code == 2 and "bogus" in err
    code, _, err = jlq(home, capsys, "notify", "set", "wecom", "--option", "per_minute=99")
    assert code == 2 and "wecom.per_minute" in err
    code, _, err = jlq(home, capsys, "notify", "set", "wecom", "--option", "novalue")
    assert code == 2 and "KEY=VALUE" in err
    code, _, err = jlq(home, capsys, "notify", "set", "wecom", "--secret", "key")     # stdin is not a terminal
    assert code == 2 and "--secret-stdin" in err
    code, _, err = jlq(home, capsys, "notify", "set", "sms")
    assert code == 2 and "invalid choice" in err
    code, _, err = jlq(home, capsys, "notify", "test", "--channel", "wecom")
    assert code == 5 and "not_configured" not in err and "缺少 key" in err


def test_settings_command(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = jlq(home, capsys, "notify", "settings", "--set", "quiet_hours=22:00-07:30", "--set",
                       "dedupe_window_s=900", "--json")
    assert code == 0 and json.loads(out)["quiet_hours"] == "22:00-07:30" and json.loads(out)["dedupe_window_s"] == 900
    code, _, err = jlq(home, capsys, "notify", "settings", "--set", "quiet_hours=late")
    assert code == 2 and "quiet_hours" in err


def test_real_process_exit_code(home: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "jupyterlab_quant", "--home", str(home), "notify", "test", "--channel",
                        "serverchan"], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert r.returncode == 5 and "sendkey" in r.stderr
