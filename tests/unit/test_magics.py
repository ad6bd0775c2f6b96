"""``%load_ext jupyterlab_quant``: %bars and %%quantsql in a real IPython shell."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

import jupyterlab_quant.app as app_module


@pytest.fixture
def ip(sample_home, monkeypatch):
    monkeypatch.setenv("JLQ_HOME", str(sample_home))
    monkeypatch.setattr(app_module, "_default", None)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyterlab_quant")
    yield shell
    monkeypatch.setattr(app_module, "_default", None)


def test_bars_magic_returns_a_dataframe(ip) -> None:
    df = ip.run_line_magic("bars", "600519.SH --start 2019-01-02 --end 2019-01-31 --adjust none")
    assert len(df) == 22 and df["close"].iloc[0] == 598.98


def test_quantsql_binds_notebook_variables(ip) -> None:
    ip.user_ns["sym"] = "600519.SH"
    df = ip.run_cell_magic("quantsql", "", "SELECT count(*) AS n FROM bars_1d WHERE symbol = $sym")
    assert int(df["n"].iloc[0]) > 4000
    ip.run_cell_magic("quantsql", "out", "SELECT symbol FROM instruments WHERE kind = 'index' ORDER BY symbol")
    assert "000300.SH" in ip.user_ns["out"]["symbol"].tolist()


def test_quote_magic_falls_back_to_the_last_close(ip) -> None:
    # 000568/000858 are never published on the bus by other tests: their quotes are the last stored closes
    df = ip.run_line_magic("quote", "000568,000858.SZ 999999.SH")
    assert df["symbol"].tolist() == ["000568.SZ", "000858.SZ"]  # unknown symbols are left out
    row = df.iloc[0]
    assert row["price"] == 125.56 and str(row["time"]).startswith("2025-04-07 15:00")
    assert round(row["pct"], 2) == round((125.56 / 132.58 - 1) * 100, 2)
    assert ip.run_line_magic("quote", "") is None


def test_magic_errors_are_messages_not_tracebacks(ip, capsys) -> None:
    assert ip.run_line_magic("bars", "999999.SH") is None
    assert ip.run_line_magic("bars", "--adjust") is None
    assert ip.run_cell_magic("quantsql", "", "DROP VIEW bars_1d") is None


def test_quant_update_magic_downloads_through_akshare(replay, tmp_path, monkeypatch, capsys) -> None:
    import datetime as dt

    import jupyterlab_quant.data.update as upd

    monkeypatch.setattr(upd, "_today_shanghai", lambda: dt.datetime(2024, 7, 1, 9, 0))
    monkeypatch.setenv("JLQ_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(app_module, "_default", None)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyterlab_quant")
    report = shell.run_line_magic("quant_update", "600519.SH --start 2024-01-01 --end 2024-01-31")
    assert report is not None and report.fetched == 1 and not report.failures
    df = shell.run_line_magic("bars", "600519.SH")
    assert len(df) == 22 and df["date"].iloc[0].strftime("%Y-%m-%d") == "2024-01-02"
    assert report.rows == 22 and "bars_1d" in capsys.readouterr().out  # the printed summary
    assert shell.run_line_magic("quant_update", "600519.SH --start 2024-13-01") is None
