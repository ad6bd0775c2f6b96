"""Risk and notification REST routes with auth on: rule types, rules CRUD with field-named 400s (stored
rules unchanged), a check pass on the store's last closes, the account, notification channels configured
against the local fake WeCom server, send test, the delivery log and the alert feed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_quant.server.models import SCHEMAS
from tests.fakes.wechat_server import FakeWeChat

KEY = "wk-routes-0001"


@pytest.fixture
def risk_home(tmp_path: Path, sample_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "jlq"
    home.mkdir()
    (home / "store").symlink_to(sample_home / "store")
    monkeypatch.setenv("JLQ_SECRET_WECOM_KEY", KEY)
    return home


@pytest.fixture
def jp_server_config(risk_home: Path) -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyterlab_quant": True}, "allow_unauthenticated_access": False},
            "QuantExtension": {"data_home": str(risk_home)}}


@pytest.fixture
def fake() -> Iterator[FakeWeChat]:
    with FakeWeChat(wecom_keys={KEY}) as srv:
        yield srv


async def call(jp_fetch, *path: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    kw: dict[str, Any] = {"method": method}
    if body is not None:
        kw["body"] = json.dumps(body)
    r = await jp_fetch("jupyterlab-quant", "v1", *path, **kw)
    return r.code, json.loads(r.body) if r.body else None


async def error(jp_fetch, *path: str, code: int, method: str = "GET", body: Any = None) -> dict[str, Any]:
    with pytest.raises(HTTPClientError) as e:
        await call(jp_fetch, *path, method=method, body=body)
    assert e.value.code == code
    out = json.loads(e.value.response.body)  # type: ignore[union-attr]
    jsonschema.validate(out, SCHEMAS["error"])
    return dict(out)


async def test_rules_crud_and_bad_params(jp_fetch) -> None:
    _, types = await call(jp_fetch, "risk", "rule-types")
    jsonschema.validate(types, SCHEMAS["risk_rule_types"])
    kinds = {t["kind"] for t in types["types"]}
    assert {"drawdown", "daily_loss", "stop_loss", "limit_down", "st_holding", "suspended", "board_permission",
            "total_position", "single_weight", "cash_floor", "max_holdings", "trailing_stop", "take_profit",
            "strategy_position"} <= kinds

    code, rule = await call(jp_fetch, "risk", "rules", method="POST",
                            body={"kind": "drawdown", "params": {"max_drawdown_pct": 10}})
    assert code == 201
    jsonschema.validate(rule, SCHEMAS["risk_rule"])
    assert rule["params"]["max_drawdown_pct"] == 10 and rule["enabled"] is True

    err = await error(jp_fetch, "risk", "rules", code=400, method="POST",
                      body={"kind": "drawdown", "params": {"max_drawdown_pct": 150}})
    assert "max_drawdown_pct" in err["message"]
    err = await error(jp_fetch, "risk", "rules", code=400, method="POST", body={"kind": "nope", "params": {}})
    assert "nope" in err["message"]
    err = await error(jp_fetch, "risk", "rules", rule["id"] if False else str(rule["id"]), code=400,
                      method="PATCH", body={"params": {"max_drawdown_pct": "ten"}})
    assert "max_drawdown_pct" in err["message"]
    _, listed = await call(jp_fetch, "risk", "rules")
    jsonschema.validate(listed, SCHEMAS["risk_rules"])
    assert [r["params"]["max_drawdown_pct"] for r in listed["rules"]] == [10]  # unchanged after the 400s

    code, off = await call(jp_fetch, "risk", "rules", str(rule["id"]), method="PATCH", body={"enabled": False})
    assert code == 200 and off["enabled"] is False
    r = await jp_fetch("jupyterlab-quant", "v1", "risk", "rules", str(rule["id"]), method="DELETE")
    assert r.code == 204
    await error(jp_fetch, "risk", "rules", str(rule["id"]), code=404, method="DELETE")


async def test_check_and_account(jp_fetch, risk_home: Path) -> None:
    from jupyterlab_quant.risk.account import AccountStore

    AccountStore(risk_home).upsert_position("600519.SH", 100, 1000.0)
    await call(jp_fetch, "risk", "rules", method="POST", body={"kind": "single_weight",
                                                               "params": {"max_weight_pct": 30}})
    code, result = await call(jp_fetch, "risk", "check", method="POST", body={})
    assert code == 200
    jsonschema.validate(result, SCHEMAS["risk_check"])
    assert result["statuses"][0]["state"] == "breach"  # one holding, no cash: 100 % weight
    assert result["alerts"] and result["alerts"][0]["symbol"] == "600519.SH"
    _, account = await call(jp_fetch, "risk", "account")
    jsonschema.validate(account, SCHEMAS["risk_account"])
    pos = account["positions"][0]
    assert pos["symbol"] == "600519.SH" and pos["price"] == 1500.0  # last stored close (2025-04-07)
    assert account["value"] == pytest.approx(150_000.0)


async def test_channels_test_send_log_and_alerts(jp_fetch, fake: FakeWeChat) -> None:
    _, channels = await call(jp_fetch, "notify", "channels")
    jsonschema.validate(channels, SCHEMAS["notify_channels"])
    assert {c["name"] for c in channels["channels"]} == {"wecom", "serverchan", "pushplus", "wechat_template",
                                                         "wechat_subscribe"}
    code, ch = await call(jp_fetch, "notify", "channels", "wecom", method="PUT",
                          body={"enabled": True, "options": {"base_url": fake.url}})
    assert code == 200 and ch["enabled"] and ch["configured"]  # key from JLQ_SECRET_WECOM_KEY
    assert KEY not in json.dumps(ch)
    code, sent = await call(jp_fetch, "notify", "channels", "wecom", "test", method="POST", body={})
    assert sent["status"] == "sent", sent
    assert len(fake.messages("wecom")) == 1
    fake.assert_clean()
    fake.fail_next("wecom", 1, errcode=93000)  # invalid webhook key: permanent
    _, failed = await call(jp_fetch, "notify", "channels", "wecom", "test", method="POST", body={})
    assert failed["status"] == "failed" and failed["error"]
    _, log = await call(jp_fetch, "notify", "log")
    jsonschema.validate(log, SCHEMAS["notify_log"])
    assert [d["status"] for d in log["deliveries"]][:2] == ["failed", "sent"]
    await error(jp_fetch, "notify", "channels", "nosuch", code=404, method="PUT", body={"enabled": True})
    err = await error(jp_fetch, "notify", "channels", "wecom", code=400, method="PUT",
                      body={"options": {"colour": "red"}})
    assert "colour" in err["message"]
    _, alerts = await call(jp_fetch, "alerts")
    jsonschema.validate(alerts, SCHEMAS["alerts"])
