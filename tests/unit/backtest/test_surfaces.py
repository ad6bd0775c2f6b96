"""The CLI, the ``%%backtest`` magic and the Python API run the same spec to the same result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

import jupyterlab_quant.app as app_module
from jupyterlab_quant import backtest
from jupyterlab_quant.cli import main

SMA = (Path(__file__).resolve().parents[2] / "fixtures" / "strategies" / "sma_cross.py").read_text(
    encoding="utf-8")
ARGS = ["--symbols", "600519.SH", "--start", "2019-01-02", "--end", "2021-12-31", "--param", "fast=5",
        "--param", "slow=20"]


def _comparable(d: dict) -> dict:
    d = dict(d)
    d.pop("elapsed_s", None)
    spec = dict(d.pop("spec"))
    for k in ("strategy_file", "strategy_source", "label"):
        spec.pop(k, None)
    d["spec"] = spec
    return d


@pytest.fixture
def strategy_file(tmp_path: Path) -> Path:
    f = tmp_path / "sma_cross.py"
    f.write_text(SMA, encoding="utf-8")
    return f


@pytest.fixture
def cli_result(sample_home: Path, strategy_file: Path, tmp_path: Path, monkeypatch) -> dict:
    monkeypatch.setenv("JLQ_HOME", str(sample_home))
    out, html = tmp_path / "out.json", tmp_path / "out.html"
    assert main(["backtest", "run", str(strategy_file), *ARGS, "--json", str(out), "--html", str(html),
                 "--quiet"]) == 0
    assert html.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    return json.loads(out.read_text(encoding="utf-8"))


def test_cli_json_contract(cli_result: dict) -> None:
    r = cli_result
    assert r["trades"] and {t["side"] for t in r["trades"]} == {"buy", "sell"}
    assert all(t["size"] % 100 == 0 for t in r["trades"] if t["side"] == "buy")  # sells may carry odd lots
    assert r["final_value"] == pytest.approx(r["equity_curve"][-1]["value"], abs=0.01)
    assert r["metrics"]["trade_count"] == len(r["trades"])
    assert r["spec"]["params"] == {"fast": "5", "slow": "20"}


def test_magic_matches_cli(cli_result: dict, sample_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("JLQ_HOME", str(sample_home))
    monkeypatch.setattr(app_module, "_default", None)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyterlab_quant")
    ip.run_cell_magic("backtest", " ".join([*ARGS, "--name", "res", "--no-widget"]), SMA)
    magic = json.loads(ip.user_ns["res"].to_json())
    assert _comparable(magic) == _comparable(cli_result)
    # the default display path builds the report widget without error
    ip.run_cell_magic("backtest", " ".join(ARGS), SMA)
    assert ip.user_ns["_backtest"].final_value == cli_result["final_value"]
    monkeypatch.setattr(app_module, "_default", None)


def test_python_api_with_a_class_matches_cli(cli_result: dict, sample_home: Path, strategy_file: Path) -> None:
    ns: dict = {}
    exec(compile(SMA, str(strategy_file), "exec"), ns)
    res = backtest.run(ns["SmaCross"], "600519.SH", "2019-01-02", "2021-12-31", params={"fast": 5, "slow": 20},
                       home=sample_home)
    assert res.final_value == cli_result["final_value"]
    assert [t.price for t in res.trades] == [t["price"] for t in cli_result["trades"]]


def test_cli_errors_exit_codes(sample_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import backtrader as bt\nclass S(bt.Strategy):\n    def next(self):\n        1/0\n",
                   encoding="utf-8")
    env = {"JLQ_HOME": str(sample_home), "PATH": "/usr/bin:/bin"}
    p = subprocess.run([sys.executable, "-m", "jupyterlab_quant", "backtest", "run", str(bad), *ARGS[:6]],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2
    assert "ZeroDivisionError" in p.stderr and f'File "{bad}", line 4, in next' in p.stderr
    p = subprocess.run([sys.executable, "-m", "jupyterlab_quant", "backtest", "run", str(bad), *ARGS[:6],
                        "--cash", "-5"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2 and "初始资金" in p.stderr
    p = subprocess.run([sys.executable, "-m", "jupyterlab_quant", "backtest", "run", str(bad), *ARGS[:6],
                        "--profile", "nope"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 3 and "券商配置" in p.stderr
    loop = tmp_path / "loop.py"
    loop.write_text("import backtrader as bt\nclass L(bt.Strategy):\n    def next(self):\n        while True:\n"
                    "            pass\n", encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "jupyterlab_quant", "backtest", "run", str(loop), *ARGS[:6],
                        "--timeout", "1", "--quiet"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 5 and "超过时间限制" in p.stderr


def test_profiles_cli_roundtrip(tmp_path: Path, capsys) -> None:
    home = str(tmp_path / "h")
    assert main(["--home", home, "backtest", "profiles", "set", "my_broker", "--commission", "0.00012",
                 "--min-commission", "0", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    mine = next(r for r in rows if r["name"] == "my_broker")
    assert mine["commission_rate"] == 0.00012 and mine["min_commission"] == 0 and not mine["builtin"]
    assert main(["--home", home, "backtest", "profiles", "set", "x", "--commission", "0.01"]) == 2  # > 3‰
    assert main(["--home", home, "backtest", "profiles", "remove", "my_broker"]) == 0
    assert main(["--home", home, "backtest", "profiles", "remove", "default"]) == 3
