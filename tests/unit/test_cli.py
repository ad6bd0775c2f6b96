"""``jlq`` as a user runs it: real processes, real exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jupyterlab_quant.cli import build_parser

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def jlq(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jupyterlab_quant", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=120)


def test_bars_prints_the_real_january_2019_bars(sample_home: Path) -> None:
    r = jlq(sample_home, "data", "bars", "600519.SH", "--start", "2019-01-02", "--end", "2019-01-31")
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(io.StringIO(r.stdout))
    assert list(df.columns[:9]) == ["symbol", "date", "open", "high", "low", "close", "volume", "amount", "preclose"]
    assert len(df) == 22 and df["date"].iloc[0] == "2019-01-02" and df["date"].iloc[-1] == "2019-01-31"
    first = df.iloc[0]
    assert (first["open"], first["high"], first["low"], first["close"], first["volume"]) == (
        609.98, 612.0, 595.01, 598.98, 6228649)


def test_bars_json_and_adjust(sample_home: Path) -> None:
    r = jlq(sample_home, "data", "bars", "600519", "--start", "2024-06-18", "--end", "2024-06-20",
            "--adjust", "qfq", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [x["date"] for x in rows] == ["2024-06-18", "2024-06-19", "2024-06-20"]


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("data", "bars", "999999.SH"), 3, "999999.SH"),
        (("data", "bars", "600519.SH", "--start", "2019-01-32"), 2, "2019-01-32"),
        (("data", "bars", "600519.SH", "--start", "2020-01-01", "--end", "2019-01-01"), 2, "end before start"),
        (("data", "sql", "DELETE FROM bars_1d"), 2, "SELECT"),
    ],
)
def test_errors_exit_non_zero_with_a_message(sample_home: Path, args, code, text) -> None:
    r = jlq(sample_home, *args)
    assert r.returncode == code and text in r.stderr and "提示 hint" in r.stderr
    assert "Traceback" not in r.stderr


def test_import_bad_file_exits_2_and_store_unchanged(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert jlq(home, "data", "import", str(FIX / "baostock_sh.600036.csv"), "--quiet").returncode == 0
    before = jlq(home, "data", "sql", "SELECT count(*) n, sum(close) s FROM bars_1d").stdout
    r = jlq(home, "data", "import", str(FIX / "bad_high_lt_low.csv"), "--quiet")
    assert r.returncode == 2 and "bad_high_lt_low.csv" in r.stderr and "high" in r.stderr
    assert jlq(home, "data", "sql", "SELECT count(*) n, sum(close) s FROM bars_1d").stdout == before


def test_symbols_info_and_sql(sample_home: Path) -> None:
    r = jlq(sample_home, "data", "symbols", "--kind", "index", "--format", "csv")
    assert r.returncode == 0 and "000300.SH" in r.stdout
    r = jlq(sample_home, "data", "info")
    assert r.returncode == 0 and "bars_1d" in r.stdout and "size_mb" in r.stdout
    r = jlq(sample_home, "data", "sql", "SELECT count(*) AS n FROM bars_1d WHERE symbol = ?", "-p", "600519.SH",
            "--format", "csv")
    assert r.returncode == 0 and int(r.stdout.splitlines()[1]) > 4000


def test_every_command_has_help() -> None:
    parser = build_parser()
    stack = [(parser, ["jlq"])]
    seen = 0
    while stack:
        p, path = stack.pop()
        assert p.format_help().strip()
        for action in p._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for name, sub in action.choices.items():
                    stack.append((sub, [*path, name]))
            elif action.option_strings and action.dest != "help":
                assert action.help, f"{' '.join(path)} {action.option_strings} has no help"
        seen += 1
    assert seen >= 9
    r = subprocess.run([sys.executable, "-m", "jupyterlab_quant", "data", "import", "--help"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "--format" in r.stdout


def test_lab_dry_run_binds_localhost_with_a_token(tmp_path: Path) -> None:
    r = jlq(tmp_path / "h", "lab", "--dry-run")
    assert r.returncode == 0
    assert "http://127.0.0.1:" in r.stdout and "/lab?token=" in r.stdout and "--ServerApp.ip=127.0.0.1" in r.stdout
