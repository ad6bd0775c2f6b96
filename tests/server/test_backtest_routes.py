"""Backtest jobs through the REST API with auth on: submit → poll → done → result/report on the real
engine and the sample store (a real Dask LocalCluster behind the server), failures, cancel, timeout,
bad requests, unknown ids, strategy discovery and broker profiles."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import jsonschema
import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_quant.backtest.engine import run_spec
from jupyterlab_quant.backtest.spec import BacktestSpec
from jupyterlab_quant.server.models import SCHEMAS

SMA = (Path(__file__).resolve().parents[1] / "fixtures" / "strategies" / "sma_cross.py").read_text(
    encoding="utf-8") + '''

class FastSma(SmaCross):
    params = {"fast": 3}
'''
BROKEN = (Path(__file__).resolve().parents[1] / "fixtures" / "strategies" / "broken.py").read_text(
    encoding="utf-8")   # raises in next()
SLOW = '''import time
import backtrader as bt


class Slow(bt.Strategy):
    def next(self):
        time.sleep(0.02)
'''
SPIN = '''import backtrader as bt


class Spin(bt.Strategy):
    def next(self):
        while True:
            pass
'''
BASE = {"symbols": ["600519.SH"], "start": "2019-01-02", "end": "2021-12-31"}


@pytest.fixture
def bt_home(tmp_path: Path, sample_home: Path) -> Path:
    """A data root of its own (jobs.db, backtests/) reading the session's sample store."""
    home = tmp_path / "jlq-bt"
    home.mkdir()
    (home / "store").symlink_to(sample_home / "store", target_is_directory=True)
    return home


@pytest.fixture
def jp_server_config(bt_home: Path):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_quant": True}, "allow_unauthenticated_access": False},
        "QuantExtension": {"data_home": str(bt_home), "backtest_workers": 2, "reports_keep": 3},
    }


@pytest.fixture
def root(jp_root_dir: Path) -> Path:
    files = {
        "strategies/sma.py": SMA,
        "strategies/broken.py": BROKEN,
        "notes.py": "x = 1\n",
        "bad_syntax.py": "class (:\n",
        "a/b/c/deep3.py": "from backtrader import Strategy\nclass Deep(Strategy):\n    params = (('n', 1.5),)\n",
        "a/b/c/d/deep4.py": "import backtrader as bt\nclass TooDeep(bt.Strategy):\n    pass\n",
        ".hidden/h.py": "import backtrader as bt\nclass Hidden(bt.Strategy):\n    pass\n",
        "node_modules/n.py": "import backtrader as bt\nclass Node(bt.Strategy):\n    pass\n",
    }
    for rel, text in files.items():
        p = jp_root_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return jp_root_dir


async def call(jp_fetch, *path: str, method: str = "GET", body=None, **params):
    kw: dict = {"method": method, "params": params}
    if body is not None:
        kw["body"] = body if isinstance(body, str) else json.dumps(body)
    r = await jp_fetch("jupyterlab-quant", "v1", *path, **kw)
    return r.code, json.loads(r.body)


async def expect_error(jp_fetch, *path: str, code: int, method: str = "GET", body=None, **params) -> dict:
    with pytest.raises(HTTPClientError) as e:
        await call(jp_fetch, *path, method=method, body=body, **params)
    assert e.value.code == code, e.value.response.body if e.value.response else e.value
    out = json.loads(e.value.response.body)
    assert set(out) >= {"error", "message", "hint"} and out["message"] and out["hint"]
    return out


async def wait_job(jp_fetch, job_id: str, until=("done", "failed", "cancelled"), timeout_s: float = 90) -> dict:
    for _ in range(int(timeout_s / 0.1)):
        _, job = await call(jp_fetch, "backtests", job_id)
        if job["status"] in until:
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']}")


async def test_submit_poll_result_report_fail_cancel_timeout(jp_fetch, root: Path, sample_services) -> None:
    code, job = await call(jp_fetch, "backtests", method="POST",
                           body={**BASE, "strategy_file": "strategies/sma.py", "strategy_class": "SmaCross",
                                 "params": {"fast": 5, "slow": 20},
                                 "label": "茅台 SMA"})
    assert code == 202 and job["status"] == "queued" and job["label"] == "茅台 SMA"
    jsonschema.validate(job, SCHEMAS["backtest_job"])
    assert job["spec"]["strategy_file"] == "strategies/sma.py" and "class SmaCross" in job["spec"]["strategy_source"]
    (root / "strategies" / "sma.py").write_text("raise SystemExit('edited after submit')\n", encoding="utf-8")
    # more jobs while the first runs: a failing strategy (source), a slow one to cancel, an endless loop
    _, broken = await call(jp_fetch, "backtests", method="POST", body={**BASE, "strategy_source": BROKEN})
    done = await wait_job(jp_fetch, job["id"])
    assert done["status"] == "done", done["error"]
    assert done["progress"] == 1 and done["attempts"] == 1 and done["started"] and done["finished"]
    jsonschema.validate(done, SCHEMAS["backtest_job"])

    _, result = await call(jp_fetch, "backtests", job["id"], "result")
    assert result["trades"] and {t["side"] for t in result["trades"]} == {"buy", "sell"}
    assert result["spec"]["params"] == {"fast": 5, "slow": 20} and result["spec"]["symbols"] == ["600519.SH"]
    assert result["final_value"] == pytest.approx(result["equity_curve"][-1]["value"], abs=0.01)
    # the panel's job (Dask worker) gives exactly what the CLI/magic engine gives for the same spec
    local = json.loads(run_spec(BacktestSpec.from_dict(result["spec"]), sample_services.query,
                                home=sample_services.settings.home).to_json())
    for key in ("final_value", "cash", "trades", "rejections", "equity_curve", "benchmark_curve", "metrics", "tables"):
        assert result[key] == local[key], key
    s = done["summary"]
    assert s["final_value"] == pytest.approx(result["final_value"]) and s["trade_count"] == len(result["trades"])
    assert s["total_return"] == pytest.approx(result["metrics"]["total_return"])
    assert s["max_drawdown"] == pytest.approx(result["metrics"]["max_drawdown"])

    r = await jp_fetch("jupyterlab-quant", "v1", "backtests", job["id"], "report")
    assert r.headers["Content-Type"].startswith("text/html") and "sandbox" in r.headers["Content-Security-Policy"]
    html = r.body.decode()
    assert html.lstrip().lower().startswith("<!doctype html") and "600519.SH" in html
    r = await jp_fetch("jupyterlab-quant", "v1", "backtests", job["id"], "report", params={"lang": "en"})
    assert r.body.decode() != html

    failed = await wait_job(jp_fetch, broken["id"])
    assert failed["status"] == "failed" and failed["error"]["error"] == "strategy_error"
    assert "oops in next" in failed["error"]["message"] and "ZeroDivisionError" in failed["error"]["traceback"]
    jsonschema.validate(failed, SCHEMAS["backtest_job"])
    body = await expect_error(jp_fetch, "backtests", broken["id"], "result", code=409)
    assert body["error"] == "job_not_ready"

    _, slow = await call(jp_fetch, "backtests", method="POST", body={**BASE, "strategy_source": SLOW})
    await wait_job(jp_fetch, slow["id"], until=("running",))
    _, cancelling = await call(jp_fetch, "backtests", slow["id"], method="DELETE")
    assert cancelling["status"] in ("running", "cancelled")
    cancelled = await wait_job(jp_fetch, slow["id"], timeout_s=10)
    assert cancelled["status"] == "cancelled" and cancelled["error"]["error"] == "cancelled"
    await expect_error(jp_fetch, "backtests", slow["id"], "result", code=409)

    _, spin = await call(jp_fetch, "backtests", method="POST",
                         body={**BASE, "strategy_source": SPIN, "timeout_s": 1})
    timed_out = await wait_job(jp_fetch, spin["id"], timeout_s=20)
    assert timed_out["status"] == "failed" and timed_out["error"]["error"] == "job_timeout"

    _, done_again = await call(jp_fetch, "backtests", job["id"], method="DELETE")  # cancel of a done job: no-op
    assert done_again["status"] == "done"

    # reports_keep = 3: four finished jobs → the oldest is archived, still readable by id
    for _ in range(50):  # retention runs in the server once Dask reports the last job's end
        _, listing = await call(jp_fetch, "backtests")
        if listing["total"] == 3:
            break
        await asyncio.sleep(0.1)
    jsonschema.validate(listing, SCHEMAS["backtest_jobs"])
    assert listing["total"] == 3 and [j["id"] for j in listing["jobs"]] == [spin["id"], slow["id"], broken["id"]]
    assert all("strategy_source" not in j["spec"] for j in listing["jobs"])
    _, archived = await call(jp_fetch, "backtests", archived="1")
    assert [j["id"] for j in archived["jobs"]] == [job["id"]] and archived["jobs"][0]["archived"] is True
    _, result2 = await call(jp_fetch, "backtests", job["id"], "result")
    assert result2 == result
    _, both = await call(jp_fetch, "backtests", archived="all", limit="2")
    assert both["total"] == 4 and len(both["jobs"]) == 2


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ("not json", 400, "invalid_input"),
        ([1, 2], 400, "invalid_input"),
        ({"strategy_file": "strategies/sma.py", "start": "2020-01-02", "end": "2020-12-31"}, 400, "invalid_input"),
        ({**BASE, "symbols": "600519.SH", "strategy_file": "strategies/sma.py", "cash": "lots"}, 400,
         "invalid_input"),
        ({**BASE, "strategy_file": "strategies/sma.py", "start": "2020-02-30"}, 400, "bad_date"),
        ({**BASE, "strategy_file": "strategies/sma.py", "start": "2021-01-01", "end": "2020-01-01"}, 400,
         "bad_range"),
        ({**BASE, "strategy_file": "../outside.py"}, 400, "invalid_input"),
        ({**BASE, "strategy_file": "/etc/passwd"}, 400, "invalid_input"),
        ({**BASE, "strategy_file": "strategies/missing.py"}, 400, "invalid_input"),
        ({**BASE}, 400, "invalid_input"),
        ({**BASE, "strategy_source": SMA, "bogus": 1}, 400, "invalid_input"),
        ({**BASE, "strategy_source": SMA, "params": [1]}, 400, "invalid_input"),
        ({**BASE, "strategy_source": SMA, "volume_cap": 2}, 400, "invalid_input"),
        ({**BASE, "strategy_source": SMA, "symbols": ["abc"]}, 400, "bad_symbol"),
        ({**BASE, "strategy_source": SMA, "symbols": ["999999.SH"]}, 404, "unknown_symbol"),
        ({**BASE, "strategy_source": SMA, "profile": "nope"}, 404, "not_found"),
    ],
)
async def test_bad_submissions_get_json_errors(jp_fetch, root: Path, body, status, error) -> None:
    out = await expect_error(jp_fetch, "backtests", code=status, method="POST", body=body)
    assert out["error"] == error
    _, listing = await call(jp_fetch, "backtests", archived="all")
    assert listing == {"jobs": [], "total": 0}  # nothing was queued


async def test_unknown_ids_and_bad_queries(jp_fetch) -> None:
    for path, method in ((("backtests", "abcdefabcdef"), "GET"), (("backtests", "abcdefabcdef"), "DELETE"),
                         (("backtests", "abcdefabcdef", "result"), "GET"),
                         (("backtests", "abcdefabcdef", "report"), "GET")):
        out = await expect_error(jp_fetch, *path, code=404, method=method)
        assert out["error"] == "not_found" and "abcdefabcdef" in out["message"]
    await expect_error(jp_fetch, "backtests", code=400, archived="maybe")
    await expect_error(jp_fetch, "backtests", code=400, limit="many")


async def test_strategies_are_listed_from_the_root_without_importing(jp_fetch, root: Path) -> None:
    _, body = await call(jp_fetch, "backtest", "strategies")
    jsonschema.validate(body, SCHEMAS["backtest_strategies"])
    by_path = {s["path"]: s for s in body["strategies"]}
    assert set(by_path) == {"strategies/sma.py", "strategies/broken.py", "a/b/c/deep3.py"}
    sma = by_path["strategies/sma.py"]
    assert sma["classes"] == ["SmaCross", "FastSma"]
    assert sma["params"] == {"SmaCross": {"fast": 10, "slow": 30}, "FastSma": {"fast": 3, "slow": 30}}
    assert by_path["a/b/c/deep3.py"]["params"] == {"Deep": {"n": 1.5}}
    assert by_path["strategies/broken.py"]["params"] == {"Broken": {}}


async def test_profiles(jp_fetch) -> None:
    _, body = await call(jp_fetch, "backtest", "profiles")
    jsonschema.validate(body, SCHEMAS["backtest_profiles"])
    default = next(p for p in body["profiles"] if p["name"] == "default")
    assert default["builtin"] is True and default["commission_rate"] == 0.00025 and default["min_commission"] == 5.0
