"""`jlq risk …`: commands, messages and exit codes (in-process for speed, one real process for the exit code)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jupyterlab_quant.app import Services
from jupyterlab_quant.cli import main
from jupyterlab_quant.cli.risk import EXIT_BREACH
from jupyterlab_quant.core.live import Quote
from tests.unit.risk.helpers import NAN, q

MT, CY = "600519.SH", "300750.SZ"


@pytest.fixture
def quotes(monkeypatch: pytest.MonkeyPatch) -> dict[str, Quote]:
    """What ``Services.latest_quotes`` returns in these tests (no bus, no store)."""
    book: dict[str, Quote] = {}
    monkeypatch.setattr(Services, "latest_quotes", lambda self, symbols: {s: book[s] for s in symbols if s in book},
                        raising=False)
    return book


@pytest.fixture
def jlq(tmp_path: Path, capsys: pytest.CaptureFixture[str], quotes: dict[str, Quote]):
    home = tmp_path / "home"

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--home", str(home), "risk", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_rules_commands_and_exit_codes(jlq) -> None:
    code, out, _ = jlq("rules", "list")
    assert code == 0 and "jlq risk rules add --defaults" in out
    assert jlq("rules", "add", "--defaults")[0] == 0
    code, out, _ = jlq("rules", "list", "--json")
    rules = json.loads(out)["rules"]
    assert code == 0 and len(rules) == 8 and rules[0]["kind"] == "drawdown"
    code, _, err = jlq("rules", "add", "drawdown", "--param", "max_drawdown_pct=150")
    assert code == 2 and "drawdown.max_drawdown_pct: 必须在 0–100 之间 (must be between 0 and 100), got 150" in err
    assert "提示 hint" in err
    code, _, err = jlq("rules", "add", "cash_floor")
    assert code == 2 and "cash_floor.min_cash" in err
    code, _, err = jlq("rules", "add", "drawdown", "--param", "max_drawdown_pct")
    assert code == 2 and "name=value" in err
    code, out, _ = jlq("rules", "add", "stop_loss", "--param", "loss_pct=5", "--name", "短线", "--strategy", "momo",
                       "--disabled")
    assert code == 0 and "#9" in out and "停用" in out
    code, out, _ = jlq("rules", "set", "1", "--param", "max_drawdown_pct=20", "--disable")
    assert code == 0 and "max_drawdown_pct=20" in out
    assert jlq("rules", "set", "99", "--enable")[0] == 3
    assert jlq("rules", "remove", "99")[0] == 3
    assert jlq("rules", "remove", "9")[0] == 0
    rules = json.loads(jlq("rules", "list", "--json")[1])["rules"]
    assert len(rules) == 8 and rules[0]["params"] == {"max_drawdown_pct": 20.0} and not rules[0]["enabled"]
    code, out, _ = jlq("rules", "types", "--json")
    assert code == 0 and len(json.loads(out)["types"]) == 14
    assert "--param max_drawdown_pct=" in jlq("rules", "types")[1]


def test_account_commands(jlq, tmp_path: Path) -> None:
    assert jlq("account", "set-cash", "abc")[0] == 2
    assert jlq("account", "set-cash", "100,000")[0] == 0
    assert jlq("account", "add", "600519", "100", "1500", "--strategy", "momo")[0] == 0
    assert jlq("account", "add", "600519", "-1", "1500")[0] == 2
    assert jlq("account", "remove", "000001.SZ")[0] == 3
    good = tmp_path / "持仓.csv"
    good.write_text("代码,数量,成本价\n600519,200,1600\n300750,100,180\n", encoding="utf-8")
    code, out, _ = jlq("account", "import", str(good), "--merge")
    assert code == 0 and "imported 2" in out
    before = {**json.loads(jlq("account", "show", "--json")[1]), "as_of": None}
    bad = tmp_path / "bad.csv"
    bad.write_text("代码,数量,成本价\n600519,200,1600\n000001,x,1\n", encoding="utf-8")
    code, _, err = jlq("account", "import", str(bad))
    assert code == 2 and "bad.csv 第 3 行 字段 quantity" in err
    assert {**json.loads(jlq("account", "show", "--json")[1]), "as_of": None} == before
    assert jlq("account", "permissions", "--chinext", "--no-star")[0] == 0
    acct = json.loads(jlq("account", "show", "--json")[1])
    assert acct["cash"] == 100_000 and acct["permissions"] == {"chinext": True, "star": False}
    assert [p["symbol"] for p in acct["positions"]] == [CY, MT] and acct["positions"][0]["price_source"] == "cost"
    code, out, _ = jlq("account", "show")
    assert code == 0 and "成本价估值" in out
    assert jlq("account", "show", "--account", "nope")[0] == 3
    assert jlq("account", "reset-peak")[0] == 0


def test_check_exits_0_then_8_on_a_breach(jlq, quotes: dict[str, Quote]) -> None:
    jlq("rules", "add", "drawdown", "--param", "max_drawdown_pct=10")
    jlq("rules", "add", "suspended")
    jlq("account", "add", MT, "100", "1500")
    quotes[MT] = q(MT, 1600.0, 1590.0, name="贵州茅台")
    code, out, err = jlq("check")
    assert (code, err) == (0, "") and "正常 ok" in out
    quotes[MT] = q(MT, 1400.0, 1590.0, name="贵州茅台")            # 12.5 % below the 1,600 peak
    code, out, _ = jlq("check")
    assert code == EXIT_BREACH == 8 and "回撤超限：从峰值回撤 12.5%，阈值 10%" in out
    quotes[MT] = q(MT, NAN, 1590.0, name="贵州茅台")
    code, out, _ = jlq("check", "--json")
    d = json.loads(out)
    assert code == 8 and d["breached"] and {s["kind"]: s["state"] for s in d["statuses"]} == {
        "drawdown": "ok", "suspended": "breach"}
    assert d["alerts"][0]["key"] == "suspended:2:600519.SH"


def test_a_real_process_exits_8_without_any_quote_source(tmp_path: Path) -> None:
    from jupyterlab_quant.risk import RiskService

    home = tmp_path / "h"
    svc = RiskService(home)
    svc.store.add("single_weight", {"max_weight_pct": 30})
    svc.accounts.upsert_position(MT, 100, 1500)
    r = subprocess.run([sys.executable, "-m", "jupyterlab_quant", "--home", str(home), "risk", "check"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 8, r.stderr
    assert "单票权重超限" in r.stdout and "Traceback" not in r.stderr


def test_store_fallback_quotes_use_the_last_daily_bar(sample_services: Services) -> None:
    got = sample_services.query.last_quotes(["000408.SZ", "999999.SH"])
    assert list(got) == ["000408.SZ"]                                  # unknown symbols are left out
    qt = got["000408.SZ"]
    assert (qt.price, qt.preclose, qt.time.isoformat(), qt.name) == (32.54, 36.15, "2025-04-07T15:00:00", "*ST金源")
