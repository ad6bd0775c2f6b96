"""REST API through real routes with auth on (pytest-jupyter)."""

from __future__ import annotations

import json

import jsonschema
import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_quant.server.models import SCHEMAS, render_schemas, schema_dir


async def get_json(jp_fetch, path: str, **params):
    r = await jp_fetch("jupyterlab-quant", "v1", path, params=params)
    return r.code, json.loads(r.body)


async def expect_error(jp_fetch, path: str, code: int, **params) -> dict:
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("jupyterlab-quant", "v1", path, params=params)
    assert e.value.code == code
    body = json.loads(e.value.response.body)
    assert set(body) >= {"error", "message", "hint"} and body["message"]
    return body


async def test_status_handshake(jp_fetch, sample_home) -> None:
    code, body = await get_json(jp_fetch, "status")
    assert code == 200 and body["api_version"] == 1 and body["name"] == "jupyterlab-quant"
    assert body["home"] == str(sample_home)
    rows = {d["name"]: d["rows"] for d in body["datasets"]}
    assert rows["bars_1d"] > 100_000 and rows["instruments"] >= 30
    bars_1d = next(d for d in body["datasets"] if d["name"] == "bars_1d")
    assert (bars_1d["first"], bars_1d["last"]) == ("2005-01-04", "2025-04-07")


async def test_requests_without_token_are_refused(jp_fetch) -> None:
    for path in ("status", "symbols", "bars"):
        with pytest.raises(HTTPClientError) as e:
            await jp_fetch("jupyterlab-quant", "v1", path, headers={"Authorization": ""},
                           params={"symbol": "600519.SH"})
        assert e.value.code == 403


async def test_symbol_search_by_code_and_name(jp_fetch) -> None:
    _, body = await get_json(jp_fetch, "symbols", q="600519")
    assert body["items"][0]["symbol"] == "600519.SH" and body["items"][0]["name"] == "贵州茅台"
    _, body = await get_json(jp_fetch, "symbols", q="茅台")
    assert [i["symbol"] for i in body["items"]] == ["600519.SH"]
    _, body = await get_json(jp_fetch, "symbols", kind="index", limit="50")
    assert {"000300.SH", "000001.SH"} <= {i["symbol"] for i in body["items"]}
    assert all(i["kind"] == "index" for i in body["items"])


async def test_bars_real_values(jp_fetch) -> None:
    code, body = await get_json(jp_fetch, "bars", symbol="600519.SH", start="2019-01-02", end="2019-01-31")
    assert code == 200 and body["bucket"] == 1 and body["total"] == len(body["data"]["time"]) == 22
    d = body["data"]
    assert d["time"][0] == "2019-01-02"
    # baostock raw bar of 600519.SH on 2019-01-02: open 609.98, high 612.00, low 595.01, close 598.98
    assert (d["open"][0], d["high"][0], d["low"][0], d["close"][0]) == (609.98, 612.0, 595.01, 598.98)
    assert body["name"] == "贵州茅台" and body["adjust"] == "none"


async def test_bars_are_bucketed_to_max_points(jp_fetch) -> None:
    _, full = await get_json(jp_fetch, "bars", symbol="600519.SH")
    _, small = await get_json(jp_fetch, "bars", symbol="600519.SH", max_points="500")
    assert small["total"] == full["total"] > 4000
    assert len(small["data"]["time"]) <= 500 and small["bucket"] == -(-full["total"] // 500)
    assert (small["start"], small["end"]) == (full["start"], full["end"]) == ("2005-01-04", "2025-04-07")
    k = small["bucket"]
    assert small["data"]["high"][1] == max(full["data"]["high"][k:2 * k])
    assert small["data"]["volume"][1] == sum(full["data"]["volume"][k:2 * k])


async def test_suspended_days_are_flagged(jp_fetch) -> None:
    _, body = await get_json(jp_fetch, "bars", symbol="000792.SZ", start="2020-01-01", end="2021-12-31")
    assert sum(body["data"]["suspended"]) >= 300


async def test_adjusted_bars_differ_only_by_factor(jp_fetch) -> None:
    _, raw = await get_json(jp_fetch, "bars", symbol="600519.SH", start="2024-01-02", end="2024-12-31")
    _, hfq = await get_json(jp_fetch, "bars", symbol="600519.SH", start="2024-01-02", end="2024-12-31", adjust="hfq")
    ratios = {round(h / r, 6) for h, r in zip(hfq["data"]["close"], raw["data"]["close"], strict=True)}
    assert len(ratios) >= 2 and all(x > 1 for x in ratios)  # 2024 has ex-dividend dates


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"symbol": "600519.SH", "start": "2019-02-30"}, 400, "bad_date"),
        ({"symbol": "600519.SH", "start": "2020-01-01", "end": "2019-01-01"}, 400, "bad_range"),
        ({"symbol": "600519.SH", "adjust": "xfq"}, 400, "invalid_input"),
        ({"symbol": "600519.SH", "max_points": "many"}, 400, "invalid_input"),
        ({}, 400, "invalid_input"),
        ({"symbol": "abc"}, 400, "bad_symbol"),
        ({"symbol": "999999.SH"}, 404, "unknown_symbol"),
        ({"symbol": "600519.SH", "start": "1990-01-01", "end": "1990-12-31"}, 404, "no_data"),
        ({"symbol": "600519.SH", "freq": "1m"}, 404, "no_data"),
    ],
)
async def test_bad_requests_get_json_errors(jp_fetch, params, status, error) -> None:
    body = await expect_error(jp_fetch, "bars", status, **params)
    assert body["error"] == error


async def test_responses_match_the_wire_schema(jp_fetch) -> None:
    _, status = await get_json(jp_fetch, "status")
    _, symbols = await get_json(jp_fetch, "symbols", q="6")
    _, bars = await get_json(jp_fetch, "bars", symbol="000001.SH", freq="1m", start="2020-07-01", end="2020-07-01")
    for name, body in (("status", status), ("symbols", symbols), ("bars", bars)):
        jsonschema.validate(body, SCHEMAS[name])
    assert bars["data"]["time"][0] == "2020-07-01 09:31" and len(bars["data"]["time"]) == 240


def test_committed_schema_matches_models() -> None:
    for fname, text in render_schemas().items():
        committed = (schema_dir() / fname).read_text(encoding="utf-8")
        assert committed == text, f"{fname} drifted: run `make schema` and commit"


async def test_data_check_endpoint(jp_fetch) -> None:
    _, body = await get_json(jp_fetch, "check", symbols="600519.SH,000001.SZ")
    assert body["errors"] == 0 and isinstance(body["items"], list)
    assert all(i["symbol"] in ("600519.SH", "000001.SZ") for i in body["items"])
    jsonschema.validate(body, SCHEMAS["check"])
    body = await expect_error(jp_fetch, "check", 404, symbols="999999.SH")
    assert "999999.SH" in body["message"]
