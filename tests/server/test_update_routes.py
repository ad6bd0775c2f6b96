"""Source health, background updates and data checks through the REST API, with akshare's real code
running against the replay server (no internet)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import jsonschema
import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_quant.server.models import SCHEMAS
from tests.replay.server import Fault


@pytest.fixture
def update_home(tmp_path: Path) -> Path:
    return tmp_path / "jlq-update"


@pytest.fixture
def jp_server_config(update_home: Path):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_quant": True}, "allow_unauthenticated_access": False},
        "QuantExtension": {"data_home": str(update_home)},
    }


async def call(jp_fetch, *path: str, method: str = "GET", body=None, **params):
    kw = {"method": method, "params": params}
    if body is not None:
        kw["body"] = json.dumps(body)
    r = await jp_fetch("jupyterlab-quant", "v1", *path, **kw)
    return json.loads(r.body)


async def wait_job(jp_fetch, job_id: str, timeout_s: float = 60) -> dict:
    for _ in range(int(timeout_s / 0.1)):
        job = await call(jp_fetch, "update", job_id)
        if job["state"] != "running":
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} still running: {job}")


async def test_update_job_fills_store_and_sources_report_health(jp_fetch, replay) -> None:
    health = await call(jp_fetch, "sources")
    assert health["overall"] == "unknown"
    assert all(i["state"] == "closed" and i["successes"] == i["failures"] == 0 for i in health["items"])
    job = await call(jp_fetch, "update", method="POST",
                     body={"symbols": ["600519.SH"], "start": "2024-01-01", "end": "2024-03-29"})
    assert job["state"] == "running" and job["symbols"] == ["600519.SH"]
    done = await wait_job(jp_fetch, job["id"])
    assert done["state"] == "done" and done["failed_symbols"] == [] and done["done"] == done["total"] == 1
    assert "600519" in done["message"] or "bars_1d" in done["message"]
    bars = await call(jp_fetch, "bars", symbol="600519.SH")
    assert bars["start"] == "2024-01-02" and bars["end"] == "2024-03-29" and bars["total"] == 58
    health = await call(jp_fetch, "sources")
    em = next(i for i in health["items"] if i["source"] == "eastmoney")
    assert health["overall"] == "ok" and em["state"] == "closed" and em["successes"] >= 1
    for name, body in (("sources", health), ("update_job", done)):
        jsonschema.validate(body, SCHEMAS[name])
    listing = await call(jp_fetch, "update")
    assert [j["id"] for j in listing["items"]] == [job["id"]]


async def test_eastmoney_ban_fails_over_and_health_shows_it(jp_fetch, replay) -> None:
    replay.faults.append(Fault("reset", host="eastmoney.com"))
    job = await call(jp_fetch, "update", method="POST",
                     body={"symbols": ["600519.SH"], "start": "2024-01-01", "end": "2024-01-31"})
    done = await wait_job(jp_fetch, job["id"])
    assert done["state"] == "done" and done["failed_symbols"] == []
    health = await call(jp_fetch, "sources")
    rows = {i["source"]: i for i in health["items"]}
    assert rows["eastmoney"]["failures"] >= 1 and "reset" in (rows["eastmoney"]["last_error"] or "").lower()
    assert rows["sina"]["successes"] >= 1
    assert health["overall"] == "degraded"  # eastmoney's last call failed
    bars = await call(jp_fetch, "bars", symbol="600519.SH")
    assert bars["total"] == 22  # trading days of January 2024


async def test_update_bad_requests(jp_fetch) -> None:
    for body, code in ((["600519.SH"], 400), ({"symbols": []}, 400), ({"symbols": ["abc"]}, 400),
                       ({"symbols": ["600519.SH"], "start": "2024-02-30"}, 400)):
        with pytest.raises(HTTPClientError) as e:
            await jp_fetch("jupyterlab-quant", "v1", "update", method="POST", body=json.dumps(body))
        assert e.value.code == code
        assert json.loads(e.value.response.body)["message"]
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("jupyterlab-quant", "v1", "update", "0123456789ab")
    assert e.value.code == 404
