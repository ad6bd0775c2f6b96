"""The notification centre end to end against the fake server: dedupe, quiet hours, retries, quotas,
digests, the alert storm, configuration and the delivery log. Time is driven by the injected clock."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from jupyterlab_quant.core.errors import InvalidInput, NotFound
from jupyterlab_quant.core.live import Severity
from jupyterlab_quant.notify.center import NotificationCenter
from tests.fakes.wechat_server import FakeWeChat
from tests.unit.notify.helpers import (
    APPSECRET,
    OPENID,
    PUSHPLUS_TOKEN,
    SENDKEY,
    WECOM_KEY,
    Clock,
    alert,
    drawdown,
    enable,
)


def statuses(center: NotificationCenter, channel: str | None = None) -> Counter[str]:
    return Counter(d["status"] for d in center.log(100000, channel=channel))


# ---- done-when: one drawdown breach → exactly one WeCom message and a log entry; a repeat sends nothing -----
def test_drawdown_breach_is_one_wecom_message_and_a_repeat_is_deduped(center: NotificationCenter,
                                                                       fake: FakeWeChat, clock: Clock) -> None:
    enable(center, fake, "wecom")
    (d,) = center.submit(drawdown(clock))
    assert (d.channel, d.status, d.attempts, d.error) == ("wecom", "sent", 1, None)
    (body,) = fake.messages("wecom")
    content = body["markdown"]["content"]
    assert content.startswith('### <font color="warning">严重 CRITICAL</font> 回撤超限 12.3% ≥ 10%')
    assert "drawdown (#3)" in content and "账户净值自高点回撤 12.3%" in content
    fake.assert_clean()
    (entry,) = center.log()
    assert entry["status"] == "sent" and entry["title"] == "回撤超限 12.3% ≥ 10%" and entry["sent"]
    (a,) = center.alerts()
    assert a["key"] == "drawdown:default" and a["deliveries"][0]["status"] == "sent"

    clock.advance(600)                                       # inside the 30-minute window
    (again,) = center.submit(drawdown(clock))
    assert again.status == "deduped"
    assert fake.count("wecom") == 1
    clock.advance(1201)                                      # 1,801 s after the message: window over
    assert center.submit(drawdown(clock))[0].status == "sent"
    assert fake.count("wecom") == 2


def test_dedupe_is_per_key_and_window_configurable(center: NotificationCenter, fake: FakeWeChat,
                                                   clock: Clock) -> None:
    enable(center, fake, "wecom")
    center.configure_global({"dedupe_window_s": 60})
    assert center.submit(alert(clock, "stop_loss:1:600519.SH"))[0].status == "sent"
    assert center.submit(alert(clock, "stop_loss:1:000001.SZ"))[0].status == "sent"
    clock.advance(30)
    assert center.submit(alert(clock, "stop_loss:1:600519.SH"))[0].status == "deduped"
    clock.advance(31)
    assert center.submit(alert(clock, "stop_loss:1:600519.SH"))[0].status == "sent"


def test_no_enabled_channel_still_records_the_alert(center: NotificationCenter, clock: Clock) -> None:
    assert center.submit(drawdown(clock)) == []
    assert center.alerts()[0]["deliveries"] == []


# ---- retries ------------------------------------------------------------------------------------------------
def test_timeout_is_retried_by_flush_and_then_sent(center: NotificationCenter, fake: FakeWeChat,
                                                   clock: Clock) -> None:
    enable(center, fake, "wecom")
    fake.fail_next("wecom", 2, delay=1.0)                     # both inline attempts time out (read timeout 0.4 s)
    (d,) = center.submit(drawdown(clock))
    assert (d.status, d.attempts, d.error_code) == ("retrying", 2, "timeout")
    assert "超时" in (d.error or "") and d.next_attempt is not None
    assert center.flush()["retried"] == 0                     # not due yet
    clock.advance(3600)
    assert center.flush()["sent"] == 1
    (entry,) = center.log()
    assert (entry["status"], entry["attempts"], entry["error"]) == ("sent", 3, None)
    assert len(fake.messages("wecom")) == 1


def test_gives_up_after_max_attempts_with_the_last_reason(center: NotificationCenter, fake: FakeWeChat,
                                                          clock: Clock) -> None:
    enable(center, fake, "wecom")
    fake.fail_next("wecom", 50, status=502)
    (d,) = center.submit(drawdown(clock))
    assert (d.status, d.attempts) == ("retrying", 2)
    for _ in range(5):
        clock.advance(3600)
        center.flush()
    (entry,) = center.log()
    assert (entry["status"], entry["attempts"], entry["error_code"]) == ("failed", 5, "http_502")
    assert "重试 5 次后放弃" in entry["error"] and "HTTP 502" in entry["error"]
    assert fake.count("wecom") == 5


def test_permanent_error_fails_at_once_with_the_reason(center: NotificationCenter, fake: FakeWeChat,
                                                       clock: Clock) -> None:
    center.configure("wecom", enabled=True, options={"base_url": fake.url}, secrets={"key": "wk-revoked-robot-01"})
    (d,) = center.submit(drawdown(clock))
    assert (d.status, d.attempts, d.error_code) == ("failed", 1, "93000")
    assert "webhook key 无效" in (d.error or "") and "wk-revoked-robot-01" not in (d.error or "")
    clock.advance(86400)
    assert center.flush()["retried"] == 0 and fake.count("wecom") == 1


def test_enabled_but_not_configured_is_failed_with_what_is_missing(center: NotificationCenter,
                                                                   clock: Clock) -> None:
    center.configure("wecom", enabled=True)
    (d,) = center.submit(drawdown(clock))
    assert d.status == "failed" and d.error_code == "not_configured"
    assert "jlq notify set wecom --secret key" in (d.error or "")


def test_a_pending_row_left_by_a_crash_is_resent(center: NotificationCenter, fake: FakeWeChat, clock: Clock,
                                                 home: Path) -> None:
    enable(center, fake, "wecom")
    center.submit(drawdown(clock))
    con = sqlite3.connect(home / "state" / "notify.db")
    con.execute("UPDATE deliveries SET status = 'pending', sent = NULL")
    con.commit()
    con.close()
    clock.advance(60)
    assert center.flush()["retried"] == 0                     # may still be in flight in another process
    clock.advance(600)
    assert center.flush()["sent"] == 1 and fake.count("wecom") == 2


# ---- quotas ---------------------------------------------------------------------------------------------------
def test_template_quota_45009_stops_the_channel_until_tomorrow(center: NotificationCenter, fake: FakeWeChat,
                                                               clock: Clock) -> None:
    enable(center, fake, "wechat_template")
    fake.fail_next("template", errcode=45009)
    (d,) = center.submit(alert(clock))
    assert (d.status, d.error_code) == ("suppressed", "45009") and "每日调用上限" in (d.error or "")
    sends = fake.count("template")
    clock.advance(60)
    (d2,) = center.submit(alert(clock))
    assert d2.status == "suppressed" and fake.count("template") == sends    # no HTTP at all
    ch = center.channel("wechat_template")
    assert ch["paused_until"] == "2026-11-26T00:00:00" and ch["held"] == 2
    clock.advance(3600)
    center.flush()
    assert fake.count("template") == sends                    # still today: the digest waits too
    clock.advance(10 * 3600)                                   # next day
    stats = center.flush()
    assert (stats["digests"], stats["digested"], stats["sent"]) == (1, 2, 1)
    assert center.submit(alert(clock))[0].status == "sent"
    fake.assert_clean()


def test_serverchan_daily_quota_counts_from_the_log(center: NotificationCenter, fake: FakeWeChat,
                                                    clock: Clock) -> None:
    enable(center, fake, "serverchan")                         # default 5/day: 4 single + 1 for the digest
    ds = [center.submit(alert(clock))[0] for _ in range(8)]
    assert [d.status for d in ds] == ["sent"] * 4 + ["suppressed"] * 4
    assert ds[-1].error_code == "daily_quota"
    clock.advance(61)
    assert center.flush()["digests"] == 1
    assert fake.count("serverchan") == 5                      # never more than the quota, never a 400
    digest = fake.messages("serverchan")[-1]
    assert digest["title"].startswith("[警告] 风险提醒汇总 4 条") and "- " in digest["desp"]
    clock.advance(60)
    assert center.submit(alert(clock))[0].status == "suppressed"
    assert fake.count("serverchan") == 5
    clock.advance(86400)
    assert center.submit(alert(clock))[0].status == "sent"
    fake.assert_clean()


def test_serverchan_quota_answer_from_the_server_blocks_the_channel(make_center: Callable[..., NotificationCenter],
                                                                    clock: Clock) -> None:
    with FakeWeChat(sendkeys={SENDKEY}, serverchan_daily=2, clock=clock.epoch) as fake:
        center = make_center()
        enable(center, fake, "serverchan", daily_quota=100)    # the user over-estimated the quota
        assert [center.submit(alert(clock))[0].status for _ in range(3)] == ["sent", "sent", "suppressed"]
        assert fake.count("serverchan") == 3
        assert center.submit(alert(clock))[0].status == "suppressed" and fake.count("serverchan") == 3
        assert "今日发送次数已用完" in (center.channel("serverchan")["paused_reason"] or "")


def test_pushplus_888_is_quota(center: NotificationCenter, fake: FakeWeChat, clock: Clock) -> None:
    enable(center, fake, "pushplus")
    fake.fail_next("pushplus", errcode=888)
    assert center.submit(alert(clock))[0].error_code == "888"
    assert center.channel("pushplus")["paused_until"] is not None


def test_subscribe_opt_ins_are_counted_and_topped_up(center: NotificationCenter, fake: FakeWeChat,
                                                     clock: Clock) -> None:
    enable(center, fake, "wechat_subscribe", subscriptions_left=1)
    assert center.submit(alert(clock))[0].status == "sent"
    d = center.submit(alert(clock))[0]
    assert (d.status, d.error_code) == ("suppressed", "no_subscription") and "再次订阅" in (d.error or "")
    assert "剩余 0 次" in center.channel("wechat_subscribe")["rate_limit"]
    clock.advance(5)
    center.configure("wechat_subscribe", options={"subscriptions_left": 2})      # the user opted in twice more
    clock.advance(5)
    assert center.submit(alert(clock))[0].status == "sent"
    fake.fail_next("subscribe", errcode=43101)                  # the user revoked it meanwhile
    assert center.submit(alert(clock))[0].error_code == "43101"
    assert center.submit(alert(clock))[0].error_code == "no_subscription"
    fake.assert_clean()


# ---- quiet hours and digests ------------------------------------------------------------------------------
def test_quiet_hours_hold_alerts_for_a_digest_but_critical_goes_out(make_center: Callable[..., NotificationCenter],
                                                                    fake: FakeWeChat) -> None:
    import datetime as dt

    clock = Clock(dt.datetime(2026, 11, 25, 23, 0, 0))
    fake.clock = clock.epoch
    center = make_center(clock=clock)
    enable(center, fake, "wecom")
    center.configure_global({"quiet_hours": "22:00-07:30"})
    warn = center.submit(alert(clock, title="夜间提醒 A"))[0]
    assert warn.status == "quiet" and "07:30" in (warn.error or "")
    center.submit(alert(clock, title="夜间提醒 B", severity=Severity.INFO))
    assert center.submit(drawdown(clock))[0].status == "sent"
    assert fake.count("wecom") == 1
    clock.advance(3600)
    assert center.flush()["digests"] == 0                      # still quiet
    clock.now = dt.datetime(2026, 11, 26, 7, 31)
    stats = center.flush()
    assert (stats["digests"], stats["digested"]) == (1, 2)
    digest = fake.messages("wecom")[-1]["markdown"]["content"]
    assert "风险提醒汇总 2 条" in digest and "夜间提醒 A" in digest and "夜间提醒 B" in digest
    assert "免打扰 quiet hours 2" in digest
    assert statuses(center)["digested"] == 2
    fake.assert_clean()


def test_alert_storm_of_1000_in_one_minute(center: NotificationCenter, fake: FakeWeChat, clock: Clock) -> None:
    enable(center, fake, "wecom")
    start = clock.epoch()
    for i in range(1000):
        center.submit(alert(clock, f"stop_loss:{i}:600519.SH", title=f"止损 #{i}"))
        clock.advance(0.0599)                                   # 1,000 alerts inside 60 s
        if i == 500:
            assert center.flush()["digests"] == 0               # a storm in progress: the digest waits
    assert clock.epoch() - start < 60
    singles = fake.count("wecom")
    assert singles == 19                                         # one slot of the 20 kept for the digest
    clock.advance(60)
    stats = center.flush()
    assert (stats["digests"], stats["digested"], stats["sent"]) == (1, 981, 1)
    assert fake.count("wecom") == 20                             # ≤ 20 messages for the whole storm
    at = sorted(r.at for r in fake.requests)
    assert at[-1] - at[0] < 60 and len(at) <= 20
    digest = fake.messages("wecom")[-1]["markdown"]["content"]
    assert "风险提醒汇总 981 条" in digest and "stop_loss 981" in digest and "另有 971 条" in digest
    log = center.log(100000)
    assert Counter(d["status"] for d in log) == {"sent": 20, "digested": 981}
    digest_ids = {d["digest_id"] for d in log if d["status"] == "digested"}
    (digest_row,) = [d for d in log if d["kind"] == "digest"]
    assert digest_ids == {digest_row["id"]}                      # every held alert in exactly one digest
    clock.advance(600)
    assert center.flush()["digests"] == 0                        # nothing left to digest
    fake.assert_clean()


def test_digest_that_fails_is_retried_from_its_stored_text(center: NotificationCenter, fake: FakeWeChat,
                                                           clock: Clock) -> None:
    enable(center, fake, "serverchan", daily_quota=3)           # 2 single + 1 digest
    for _ in range(4):
        center.submit(alert(clock))
    clock.advance(61)
    fake.fail_next("serverchan", 2, status=503)
    assert center.flush()["digests"] == 1
    (dig,) = center.log(10, status="retrying")
    assert dig["kind"] == "digest"
    clock.advance(3600)
    assert center.flush()["sent"] == 1
    assert "风险提醒汇总 2 条" in fake.messages("serverchan")[-1]["desp"]


# ---- test messages -----------------------------------------------------------------------------------------
def test_test_message_bypasses_dedupe_and_respects_the_limit(center: NotificationCenter, fake: FakeWeChat,
                                                             clock: Clock) -> None:
    enable(center, fake, "wecom", per_minute=3)
    assert [center.test("wecom").status for _ in range(3)] == ["sent", "sent", "suppressed"]
    assert "测试消息" in fake.messages("wecom")[0]["markdown"]["content"]
    fake.fail_next("wecom", errcode=93000)
    clock.advance(61)
    failed = center.test("wecom")
    assert failed.status == "failed" and failed.error_code == "93000"
    with pytest.raises(NotFound):
        center.test("sms")


def test_test_message_on_every_channel(center: NotificationCenter, fake: FakeWeChat) -> None:
    for name in ("wecom", "serverchan", "pushplus", "wechat_template", "wechat_subscribe"):
        enable(center, fake, name, **({"subscriptions_left": 1} if name == "wechat_subscribe" else {}))
        d = center.test(name)
        assert d.status == "sent", (name, d.error)
    fake.assert_clean()
    assert {r.channel for r in fake.requests} == {"wecom", "serverchan", "pushplus", "token", "template",
                                                  "subscribe"}


# ---- configuration --------------------------------------------------------------------------------------------
def test_channels_listing(center: NotificationCenter, fake: FakeWeChat, clock: Clock) -> None:
    chans = {c["name"]: c for c in center.channels()}
    assert list(chans) == ["wecom", "serverchan", "pushplus", "wechat_template", "wechat_subscribe"]
    w = chans["wecom"]
    assert w["label"] == {"zh": "企业微信群机器人", "en": "WeCom group robot"} and not w["configured"]
    assert w["rate_limit"] == "20 条/分钟 (20 per minute)" and w["base_url"] == "https://qyapi.weixin.qq.com"
    assert w["secret_fields"] == ["key"] and w["secrets_set"] == [] and w["missing"] == ["key"]
    assert chans["serverchan"]["rate_limit"] == "5 条/天 (5 per day)"
    enable(center, fake, "wecom")
    center.submit(drawdown(clock))
    w = center.channel("wecom")
    assert w["configured"] and w["enabled"] and w["sent_today"] == 1 and w["secrets_set"] == ["key"]
    assert w["base_url"] == fake.url
    assert set(chans["wechat_template"]["missing"]) == {"appid", "touser", "template_id", "appsecret"}


def test_configure_validates_and_stores_nothing_on_error(center: NotificationCenter, home: Path) -> None:
    before = (home / "config" / "notify.json").read_bytes()
    with pytest.raises(NotFound):
        center.configure("sms", enabled=True)
    with pytest.raises(InvalidInput, match="bogus"):
        center.configure("wecom", options={"bogus": 1})
    with pytest.raises(InvalidInput, match="per_minute"):
        center.configure("wecom", options={"per_minute": 21})
    with pytest.raises(InvalidInput, match="是密钥"):
        center.configure("wecom", options={"key": WECOM_KEY})
    with pytest.raises(InvalidInput, match="@all"):
        center.configure("wecom", options={"mentioned_list": "@all"})
    with pytest.raises(InvalidInput, match="base_url"):
        center.configure("wecom", options={"base_url": "ftp://x"})
    with pytest.raises(InvalidInput, match=r"fields\.phrase1"):
        center.configure("wechat_subscribe", options={"fields": '{"phrase1": "=danger"}'})
    with pytest.raises(InvalidInput, match="unknown secret field"):
        center.configure("wecom", secrets={"token": "x"})
    with pytest.raises(InvalidInput, match="quiet_hours"):
        center.configure_global({"quiet_hours": "25:00-07:00"})
    with pytest.raises(InvalidInput, match=r"digest\.delay_s"):
        center.configure_global({"digest.delay_s": -1})
    with pytest.raises(InvalidInput, match="unknown status"):
        center.log(status="nope")
    assert (home / "config" / "notify.json").read_bytes() == before
    assert center.secrets.get("notify.wecom.token") is None
    ch = center.configure("wecom", options={"msgtype": "text", "mentioned_list": "@all,zhangsan",
                                            "base_url": "http://127.0.0.1:1/"},
                          secrets={"key": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"})
    assert ch["options"]["mentioned_list"] == ["@all", "zhangsan"] and ch["base_url"] == "http://127.0.0.1:1"
    assert center.secrets.get("notify.wecom.key") == WECOM_KEY   # the pasted webhook URL was reduced to the key
    ch = center.configure("wecom", options={"msgtype": None, "mentioned_list": None, "base_url": ""})
    assert ch["options"]["msgtype"] == "markdown" and ch["base_url"] == "https://qyapi.weixin.qq.com"
    assert center.configure("wecom", secrets={"key": None})["secrets_set"] == []


def test_settings_round_trip_and_are_shared_between_instances(make_center: Callable[..., NotificationCenter]) -> None:
    a, b = make_center(), make_center()
    a.configure_global({"quiet_hours": "22:00-07:30", "dedupe_window_s": 900, "retry.max_attempts": 3})
    s = b.settings()
    assert (s["quiet_hours"], s["dedupe_window_s"], s["retry"]["max_attempts"]) == ("22:00-07:30", 900, 3)
    assert a.configure_global({"quiet_hours": "off"})["quiet_hours"] is None


def test_alerts_link_the_monitor_dashboard_when_its_url_is_set(center: NotificationCenter, fake: FakeWeChat,
                                                              clock: Clock) -> None:
    url = "https://192.168.1.5:8866/voila/render/monitor.ipynb"
    with pytest.raises(InvalidInput) as e:
        center.configure_global({"dashboard_url": "javascript:alert(1)"})
    assert "dashboard_url" in e.value.message and center.settings()["dashboard_url"] is None
    assert center.configure_global({"dashboard_url": url})["dashboard_url"] == url
    enable(center, fake, "wecom")
    enable(center, fake, "wechat_template")
    center.submit(drawdown(clock))
    (wecom,) = fake.messages("wecom")
    assert f"[打开监控看板 open the monitor]({url})" in wecom["markdown"]["content"]
    (template,) = fake.messages("template")
    assert template["url"] == url                           # the template card opens the dashboard
    assert center.configure_global({"dashboard_url": ""})["dashboard_url"] is None
    clock.advance(3600)
    center.submit(drawdown(clock))
    assert "monitor" not in fake.messages("wecom")[-1]["markdown"]["content"]
    fake.assert_clean()


def test_secrets_never_reach_the_log_or_the_config(center: NotificationCenter, fake: FakeWeChat, clock: Clock,
                                                   home: Path) -> None:
    for name in ("wecom", "serverchan", "pushplus", "wechat_template", "wechat_subscribe"):
        enable(center, fake, name, **({"subscriptions_left": 5} if name == "wechat_subscribe" else {}))
    center.submit(drawdown(clock))
    fake.fail_next("wecom", errcode=93000)
    fake.fail_next("pushplus", errcode=401)
    center.submit(alert(clock))
    center.configure("wecom", options={"base_url": "http://127.0.0.1:9"})   # connection refused: URL in the error
    center.submit(alert(clock))
    clock.advance(7200)
    center.flush()
    tokens = {r.reply["access_token"] for r in fake.requests if r.channel == "token"}
    assert tokens
    secrets = [WECOM_KEY, SENDKEY, PUSHPLUS_TOKEN, APPSECRET, *tokens]
    files = [p for p in (home / "state").iterdir() if p.name.startswith("notify.db")] + [home / "config"
                                                                                          / "notify.json"]
    assert any(p.name == "notify.db-wal" for p in files)
    for p in files:
        raw = p.read_bytes()
        for s in secrets:
            assert s.encode() not in raw, (p.name, s[:12])
    errors = " ".join(d["error"] or "" for d in center.log(1000))
    assert "key=***" in errors and "93000" in errors
    assert json.loads((home / "config" / "notify.json").read_text())["channels"]["wechat_template"]["options"][
        "touser"] == OPENID
