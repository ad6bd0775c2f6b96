"""The real channel classes against the local fake server, which checks the exact request format of the
reference (paths, query, Content-Type, JSON fields and types, byte limits, tokens)."""

from __future__ import annotations

import datetime as dt

import pytest

from jupyterlab_quant.core.live import Severity
from jupyterlab_quant.notify.base import Message, Outcome, RecordingNotifier, SendResult
from jupyterlab_quant.notify.http import scrub
from jupyterlab_quant.notify.pushplus import PushPlus
from jupyterlab_quant.notify.serverchan import ServerChan
from jupyterlab_quant.notify.wechat_mp import (
    DataError,
    MemoryTokenStore,
    WeChatSubscribe,
    WeChatTemplate,
    build_data,
    check_value,
)
from jupyterlab_quant.notify.wecom import WeComRobot, truncate_bytes
from tests.fakes.wechat_server import FakeWeChat
from tests.unit.notify.helpers import (
    APPID,
    APPSECRET,
    OPENID,
    PUSHPLUS_TOKEN,
    SC3_KEY,
    SENDKEY,
    TEMPLATE_ID,
    WECOM_KEY,
    session,
)

T = dt.datetime(2026, 11, 25, 14, 30, 5)
SHORT = (2.0, 0.4)


def msg(title: str = "贵州茅台 突破 1800", body: str = "**标的 symbol**: 600519.SH\n现价 1801.00",
        severity: Severity = Severity.WARNING, **fields: object) -> Message:
    f = {"title": title, "message": "现价 1801.00", "rule": "breakout", "symbol": "600519.SH", "value": 1801.0,
         "threshold": 1800.0, "time": T, "severity": severity.value, "count": 1, **fields}
    return Message(title=title, body=body, text=body.replace("**", ""), severity=severity, time=T, ref="a1b2c3",
                   fields=f)


# ---- WeCom ---------------------------------------------------------------------------------------------
def test_wecom_markdown_is_exactly_what_the_robot_expects(fake: FakeWeChat) -> None:
    r = WeComRobot(WECOM_KEY, base_url=fake.url, session=session(), timeout=SHORT).send(
        msg(severity=Severity.CRITICAL))
    assert r.ok, r
    (req,) = fake.requests
    assert (req.method, req.path, req.query) == ("POST", "/cgi-bin/webhook/send", {"key": WECOM_KEY})
    assert req.headers["content-type"].startswith("application/json")
    assert set(req.json) == {"msgtype", "markdown"} and req.json["msgtype"] == "markdown"
    content = req.json["markdown"]["content"]
    assert content.startswith('### <font color="warning">严重 CRITICAL</font> 贵州茅台 突破 1800\n')
    assert "600519.SH" in content and "2026-11-25 14:30:05" in content
    fake.assert_clean()


def test_wecom_text_with_mentions(fake: FakeWeChat) -> None:
    robot = WeComRobot(WECOM_KEY, base_url=fake.url, msgtype="text", mentioned_list=["@all"],
                       mentioned_mobile_list=["13800001111"], session=session(), timeout=SHORT)
    assert robot.send(msg()).ok
    body = fake.messages("wecom")[0]
    assert body["text"]["mentioned_list"] == ["@all"] and body["text"]["mentioned_mobile_list"] == ["13800001111"]
    assert body["text"]["content"].startswith("【警告 WARNING】贵州茅台 突破 1800\n")
    fake.assert_clean()


@pytest.mark.parametrize("msgtype,limit", [("markdown", 4096), ("text", 2048)])
def test_wecom_byte_limits_cut_on_a_character_boundary(fake: FakeWeChat, msgtype: str, limit: int) -> None:
    body = "回撤" * 3000 + "<font color=\"info\">尾部</font>"          # 18,000+ bytes of 3-byte characters
    robot = WeComRobot(WECOM_KEY, base_url=fake.url, msgtype=msgtype, session=session(), timeout=SHORT)
    assert robot.send(msg(body=body)).ok
    content = fake.messages("wecom")[0][msgtype]["content"]
    size = len(content.encode("utf-8"))
    assert limit - 12 <= size <= limit and "…" in content
    content.encode("utf-8").decode("utf-8")        # valid UTF-8 (no half character)
    fake.assert_clean()


def test_truncate_never_leaves_a_broken_font_tag() -> None:
    text = "x" * 30 + '<font color="warning">警告文字</font>'
    for limit in range(10, 70):
        cut = truncate_bytes(text, limit)
        assert len(cut.encode()) <= limit
        assert cut.count("<font") == cut.count("</font>") or cut.count("<font") == 0
    assert truncate_bytes("短", 100) == "短"


def test_wecom_errors_map_to_outcomes_and_never_show_the_key(fake: FakeWeChat) -> None:
    bad = WeComRobot("wk-wrong-key-000000", base_url=fake.url, session=session(), timeout=SHORT).send(msg())
    assert bad.outcome is Outcome.PERMANENT and bad.code == "93000" and "webhook key 无效" in bad.message
    robot = WeComRobot(WECOM_KEY, base_url=fake.url, session=session(), timeout=SHORT)
    fake.fail_next("wecom", errcode=-1)
    assert robot.send(msg()).outcome is Outcome.RETRYABLE
    fake.fail_next("wecom", errcode=45009)
    limited = robot.send(msg())
    assert limited.outcome is Outcome.RETRYABLE and limited.retry_after_s == 60
    fake.fail_next("wecom", status=502)
    assert robot.send(msg()).code == "http_502"
    fake.fail_next("wecom", delay=1.0)
    slow = robot.send(msg())
    assert slow.outcome is Outcome.RETRYABLE and slow.code == "timeout"
    assert WECOM_KEY not in slow.message
    down = WeComRobot(WECOM_KEY, base_url="http://127.0.0.1:9", session=session(), timeout=SHORT).send(msg())
    assert down.outcome is Outcome.RETRYABLE and down.code == "connection"
    assert WECOM_KEY not in down.message and "key=***" in down.message      # requests puts the URL in it


def test_the_fake_reports_format_violations(fake: FakeWeChat) -> None:
    import requests

    r = session().post(f"{fake.url}/cgi-bin/webhook/send", params={"key": WECOM_KEY},
                       json={"msgtype": "markdown", "markdown": {"content": "x" * 5000}})
    assert r.json()["errcode"] == 40058
    r = session().post(f"{fake.url}/cgi-bin/webhook/send", params={"key": WECOM_KEY},
                       data=b'{"msgtype":"text","text":{"content":"hi"}}', headers={"Content-Type": "text/plain"})
    assert r.json()["errcode"] != 0
    assert len(fake.problems) == 2
    assert isinstance(r, requests.Response)


# ---- ServerChan ------------------------------------------------------------------------------------------
def test_serverchan_turbo_request(fake: FakeWeChat) -> None:
    sc = ServerChan(SENDKEY, base_url=fake.url, channel="9|66", session=session(), timeout=SHORT)
    r = sc.send(msg(title="回撤超限：账户净值自最高点回撤 12.3%，超过 10% 阈值，请检查持仓"))
    assert r.ok and r.detail["pushid"]
    (req,) = fake.requests
    assert (req.method, req.path) == ("POST", f"/{SENDKEY}.send")
    assert req.headers["content-type"].replace(" ", "").lower() == "application/json;charset=utf-8"
    assert req.json["title"].startswith("[警告] 回撤超限") and len(req.json["title"]) <= 32
    assert req.json["desp"].startswith("## ") and req.json["noip"] == 1 and req.json["channel"] == "9|66"
    fake.assert_clean()


def test_serverchan3_path_from_the_key(fake: FakeWeChat) -> None:
    default = ServerChan(SC3_KEY)
    assert default.url() == f"https://4242.push.ft07.com/send/{SC3_KEY}.send"
    assert ServerChan(SENDKEY).url() == f"https://sctapi.ftqq.com/{SENDKEY}.send"
    sc = ServerChan(SC3_KEY, base_url=fake.url, tags="风控|A股", session=session(), timeout=SHORT)
    assert sc.send(msg()).ok
    (req,) = fake.requests
    assert req.path == f"/send/{SC3_KEY}.send" and req.json["tags"] == "风控|A股" and "noip" not in req.json
    fake.assert_clean()


def test_serverchan_daily_quota_answer_is_quota(clock: object) -> None:
    with FakeWeChat(sendkeys={SENDKEY}, serverchan_daily=2) as f:
        sc = ServerChan(SENDKEY, base_url=f.url, session=session(), timeout=SHORT)
        assert sc.send(msg()).ok and sc.send(msg()).ok
        third = sc.send(msg())
        assert third.outcome is Outcome.QUOTA and "今日发送次数已用完" in third.message
        bad = ServerChan("SCTwrongkey000", base_url=f.url, session=session(), timeout=SHORT).send(msg())
        assert bad.outcome is Outcome.PERMANENT


# ---- PushPlus --------------------------------------------------------------------------------------------
def test_pushplus_request_and_codes(fake: FakeWeChat) -> None:
    pp = PushPlus(PUSHPLUS_TOKEN, base_url=fake.url, session=session(), timeout=SHORT)
    assert pp.send(msg(title="长" * 150)).ok
    (req,) = fake.requests
    assert (req.method, req.path) == ("POST", "/send")
    assert req.json["token"] == PUSHPLUS_TOKEN and req.json["template"] == "markdown"
    assert len(req.json["title"]) == 100 and req.json["channel"] == "wechat"
    fake.assert_clean()
    for code, outcome in ((888, Outcome.QUOTA), (900, Outcome.QUOTA), (500, Outcome.RETRYABLE),
                          (401, Outcome.PERMANENT), (999, Outcome.PERMANENT)):
        fake.fail_next("pushplus", errcode=code)
        r = pp.send(msg())
        assert (r.outcome, r.code) == (outcome, str(code))
        assert PUSHPLUS_TOKEN not in r.message


# ---- official-account template / mini-program subscribe ----------------------------------------------------
def test_template_message_with_stable_token(fake: FakeWeChat) -> None:
    store = MemoryTokenStore()
    tm = WeChatTemplate(APPID, APPSECRET, touser=OPENID, template_id=TEMPLATE_ID, url="https://example.com/r",
                        base_url=fake.url, session=session(), timeout=SHORT, store=store)
    assert tm.send(msg()).ok and tm.send(msg()).ok
    tok, send1, send2 = fake.requests
    assert (tok.path, tok.json) == ("/cgi-bin/stable_token", {"grant_type": "client_credential", "appid": APPID,
                                                              "secret": APPSECRET, "force_refresh": False})
    assert send1.path == "/cgi-bin/message/template/send" and set(send1.query) == {"access_token"}
    assert send1.json["client_msg_id"] == "jlq-a1b2c3" and send1.json["url"] == "https://example.com/r"
    assert send1.json["data"] == {"keyword1": {"value": "贵州茅台 突破 1800"},
                                  "keyword2": {"value": "2026-11-25 14:30"}, "keyword3": {"value": "现价 1801.00"}}
    assert send2.ok is False            # same client_msg_id: WeChat de-duplicates the resend
    assert tm.tokens.fetches == 1       # cached, not one token per message
    fake.assert_clean()


@pytest.mark.parametrize("code", [42001, 40001, 40014])
def test_token_rejected_refreshes_once_then_succeeds(fake: FakeWeChat, code: int) -> None:
    tm = WeChatTemplate(APPID, APPSECRET, touser=OPENID, template_id=TEMPLATE_ID, base_url=fake.url,
                        session=session(), timeout=SHORT)
    assert tm.send(msg()).ok
    if code == 42001:
        fake.expire_tokens()
    else:
        fake.fail_next("template", errcode=code)
    assert tm.send(msg(title="second")).ok
    tokens = [r for r in fake.requests if r.channel == "token"]
    # normal mode hands back the rejected token while it is still valid: then force_refresh
    assert [t.json["force_refresh"] for t in tokens] == ([False, False] if code == 42001 else [False, False, True])
    fake.assert_clean()


def test_token_rejected_twice_fails_with_a_reason(fake: FakeWeChat) -> None:
    tm = WeChatTemplate(APPID, APPSECRET, touser=OPENID, template_id=TEMPLATE_ID, base_url=fake.url,
                        session=session(), timeout=SHORT)
    fake.fail_next("template", 2, errcode=40001)
    r = tm.send(msg())
    assert r.outcome is Outcome.PERMANENT and "AppSecret" in r.message


def test_bad_appsecret_and_ip_whitelist(fake: FakeWeChat) -> None:
    r = WeChatTemplate(APPID, "wrong-secret", touser=OPENID, template_id=TEMPLATE_ID, base_url=fake.url,
                       session=session(), timeout=SHORT).send(msg())
    assert r.outcome is Outcome.PERMANENT and r.code == "40125" and "wrong-secret" not in r.message
    fake.fail_next("token", errcode=40164)
    r = WeChatTemplate(APPID, APPSECRET, touser=OPENID, template_id=TEMPLATE_ID, base_url=fake.url,
                       session=session(), timeout=SHORT).send(msg())
    assert r.code == "40164" and "白名单" in r.message
    fake.fail_next("template", errcode=45009)
    r = WeChatTemplate(APPID, APPSECRET, touser=OPENID, template_id=TEMPLATE_ID, base_url=fake.url,
                       session=session(), timeout=SHORT).send(msg())
    assert r.outcome is Outcome.QUOTA


def test_subscribe_message_values_fit_the_type_rules(fake: FakeWeChat) -> None:
    sub = WeChatSubscribe(APPID, APPSECRET, touser=OPENID, template_id=TEMPLATE_ID, page="pages/risk/index",
                          fields={"thing1": "title", "time2": "time", "amount3": "value", "phrase4": "=风险",
                                  "character_string5": "symbol"},
                          base_url=fake.url, session=session(), timeout=SHORT)
    assert sub.send(msg(title="贵州茅台 跌破止损线 1650.00，请及时处理仓位")).ok
    req = fake.requests[-1]
    assert req.path == "/cgi-bin/message/subscribe/send"
    assert req.json["miniprogram_state"] == "formal" and req.json["lang"] == "zh_CN"
    data = req.json["data"]
    assert len(data["thing1"]["value"]) == 20 and data["thing1"]["value"].endswith("…")
    assert data["time2"]["value"] == "2026年11月25日 14:30" and data["amount3"]["value"] == "¥1801.00"
    assert data["phrase4"]["value"] == "风险" and data["character_string5"]["value"] == "600519.SH"
    fake.assert_clean()


def test_subscribe_value_that_cannot_fit_fails_before_sending(fake: FakeWeChat) -> None:
    sub = WeChatSubscribe(APPID, APPSECRET, touser=OPENID, template_id=TEMPLATE_ID, fields={"number1": "title"},
                          base_url=fake.url, session=session(), timeout=SHORT)
    r = sub.send(msg())
    assert r.outcome is Outcome.PERMANENT and "number1" in r.message
    assert fake.requests == []
    with pytest.raises(DataError, match="phrase"):
        check_value("phrase2", "risk")
    assert check_value("phrase2", "风险提醒已触发") == "风险提醒已"
    assert check_value("keyword1", "x" * 300) == "x" * 300        # untyped: passed through
    for key, value in (("letter1", "ABC"), ("symbol1", "%"), ("date1", "2026年11月25日"), ("time1", "14:30~15:00"),
                       ("name1", "张三"), ("number1", "12.5"), ("amount1", "100元"), ("phone_number1", "+86 138")):
        assert check_value(key, value) == value
    for key, value in (("letter1", "AB1"), ("symbol1", "abc"), ("time1", "下午"), ("amount1", "¥12345678901"),
                       ("number1", "-1"), ("name1", "张三 Li"), ("car_number1", "123456789")):
        with pytest.raises(DataError):
            check_value(key, value)
    assert build_data({"thing9": "symbol"}, msg(symbol=""))["thing9"]["value"] == "无"


def test_subscribe_user_without_subscription_is_43101(clock: object) -> None:
    with FakeWeChat(apps={APPID: APPSECRET}, subscriptions={OPENID: 1}) as f:
        sub = WeChatSubscribe(APPID, APPSECRET, touser=OPENID, template_id=TEMPLATE_ID, base_url=f.url,
                              session=session(), timeout=SHORT)
        assert sub.send(msg()).ok
        r = sub.send(msg())
        assert r.outcome is Outcome.PERMANENT and r.code == "43101" and "subscription" in r.message


def test_recording_double_and_scrub() -> None:
    rec = RecordingNotifier("x", [SendResult.retryable("timeout", "slow")])
    assert rec.send(msg()).outcome is Outcome.RETRYABLE and rec.send(msg()).ok and len(rec.messages) == 2
    assert scrub("GET https://h/x?key=abc123&y=1 /SCTabc123.send tok-9", ["tok-9"]) == \
        "GET https://h/x?key=***&y=1 /***.send ***"


def test_fake_server_runs_as_its_own_process_with_http_control() -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    p = subprocess.Popen([sys.executable, "-m", "tests.fakes.wechat_server", "--port", "0", "--wecom-key", WECOM_KEY],
                         cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None
        url = p.stdout.readline().strip().split("=", 1)[1]
        s = session()
        assert s.post(f"{url}/_fake/fault", json={"channel": "wecom", "errcode": -1}, timeout=5).json()["ok"]
        robot = WeComRobot(WECOM_KEY, base_url=url, session=s, timeout=SHORT)
        assert robot.send(msg()).outcome is Outcome.RETRYABLE and robot.send(msg()).ok
        recs = s.get(f"{url}/_fake/requests", timeout=5).json()["requests"]
        assert [r["ok"] for r in recs] == [False, True] and json.loads(recs[1]["body"])["msgtype"] == "markdown"
        assert s.get(f"{url}/_fake/problems", timeout=5).json() == {"problems": []}
    finally:
        p.terminate()
        assert p.wait(timeout=10) == 0
