"""Helpers of the notification tests: secrets of the fake server, a simulated exchange clock, alert
factories, channel set-up."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import requests

from jupyterlab_quant.core.live import Alert, Severity
from jupyterlab_quant.notify.center import NotificationCenter
from jupyterlab_quant.notify.log import to_ts
from tests.fakes.wechat_server import FakeWeChat

WECOM_KEY = "wk-7f3a9c1e5b2d4f60"
SENDKEY = "SCT98765TqWeRtYuIoP"
SC3_KEY = "sctp4242tAbCdEfGh12"
PUSHPLUS_TOKEN = "pp0a1b2c3d4e5f6a7b8c9d"
APPID = "wx0123456789abcdef"
APPSECRET = "fake-app-secret-0001"
OPENID = "oAbC-openid-0001"
TEMPLATE_ID = "tmpl-risk-0001"


class Clock:
    """Exchange-local simulated time; ``epoch()`` for the fake server."""

    def __init__(self, start: dt.datetime = dt.datetime(2026, 11, 25, 14, 30, 0)) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now

    def epoch(self) -> float:
        return to_ts(self.now)


def session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False          # a proxy from the environment must not see 127.0.0.1 traffic
    return s


def enable(center: NotificationCenter, fake: FakeWeChat, channel: str, **options: Any) -> dict[str, Any]:
    secrets = {"wecom": {"key": WECOM_KEY}, "serverchan": {"sendkey": SENDKEY},
               "pushplus": {"token": PUSHPLUS_TOKEN}, "wechat_template": {"appsecret": APPSECRET},
               "wechat_subscribe": {"appsecret": APPSECRET}}[channel]
    opts: dict[str, Any] = {"base_url": fake.url}
    if channel.startswith("wechat_"):
        opts.update(appid=APPID, touser=OPENID, template_id=TEMPLATE_ID)
    opts.update(options)
    return center.configure(channel, enabled=True, options=opts, secrets=secrets)


_ids = itertools.count(1)


def alert(clock: Clock, key: str | None = None, *, severity: Severity = Severity.WARNING, rule: str = "stop_loss",
          title: str | None = None, **kw: Any) -> Alert:
    n = next(_ids)
    return Alert(key=key or f"{rule}:{n}:600519.SH", rule=rule, severity=severity,
                 title=title or f"贵州茅台 跌破止损线 1650.00 (#{n})",
                 message=kw.pop("message", "现价 1649.50，止损 1650.00"),
                 time=clock(), symbol=kw.pop("symbol", "600519.SH"), value=kw.pop("value", 1649.5),
                 threshold=kw.pop("threshold", 1650.0), **kw)


def drawdown(clock: Clock) -> Alert:
    return Alert(key="drawdown:default", rule="drawdown", severity=Severity.CRITICAL, title="回撤超限 12.3% ≥ 10%",
                 message="账户净值自高点回撤 12.3%，阈值 10%。", time=clock(), rule_id=3, value=0.123, threshold=0.10)
