"""PushPlus (推送加): ``POST {base}/send`` with JSON ``{token, title ≤ 100, content, template: "markdown"}``.
``code == 200`` only means *accepted* (sending is asynchronous since v1.3); 888 (no credits) and 900
(account restricted) stop the channel for the day."""

from __future__ import annotations

import requests

from .base import SEVERITY_LABEL, Message, SendResult
from .http import DEFAULT_TIMEOUT, Timeout, post_json, scrub, unexpected

DEFAULT_BASE_URL = "https://www.pushplus.plus"
TITLE_MAX_CHARS = 100
CHANNELS = ("wechat", "webhook", "cp", "mail", "sms")
_CODES: dict[int, tuple[str, str]] = {
    302: ("permanent", "未登录 (not logged in: check the token)"),
    401: ("permanent", "token 无效 (unauthorized: check the token)"),
    403: ("permanent", "IP 未授权 (IP not authorised)"),
    500: ("retryable", "PushPlus 系统错误 (system error)"),
    600: ("permanent", "数据错误 (data error)"),
    805: ("permanent", "无权限 (no permission)"),
    888: ("quota", "积分不足，今日停止发送 (insufficient credits; stopping until tomorrow)"),
    900: ("quota", "账号使用受限，今日停止发送 (account restricted; stopping until tomorrow)"),
    999: ("permanent", "服务端验证错误 (server validation error)"),
}


class PushPlus:
    name = "pushplus"

    def __init__(self, token: str, *, base_url: str = DEFAULT_BASE_URL, channel: str = "wechat",
                 topic: str | None = None, session: requests.Session | None = None,
                 timeout: Timeout = DEFAULT_TIMEOUT) -> None:
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}")
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.channel = channel
        self.topic = topic
        self.session = session or requests.Session()
        self.timeout = timeout

    def payload(self, m: Message) -> dict[str, object]:
        label = SEVERITY_LABEL.get(m.severity, m.severity.value).split()[0]
        title = f"[{label}] {m.title}"
        if len(title) > TITLE_MAX_CHARS:
            title = title[:TITLE_MAX_CHARS - 1] + "…"
        when = f"\n\n> {m.time:%Y-%m-%d %H:%M:%S} · jupyterlab-quant" if m.time else ""
        body: dict[str, object] = {"token": self.token, "title": title, "content": f"## {m.title}\n\n{m.body}{when}",
                                   "template": "markdown", "channel": self.channel}
        if self.topic:
            body["topic"] = self.topic
        return body

    def send(self, message: Message) -> SendResult:
        got = post_json(self.session, f"{self.base_url}/send", self.payload(message), timeout=self.timeout,
                        secrets=[self.token])
        if isinstance(got, SendResult):
            return got
        body = got.body
        if not isinstance(body, dict) or "code" not in body:
            return unexpected(got, [self.token])
        try:
            code = int(body["code"])
        except (TypeError, ValueError):
            return unexpected(got, [self.token])
        msg = scrub(str(body.get("msg", "")), [self.token])
        if code == 200:
            return SendResult.sent(serial=body.get("data"))
        kind, zh = _CODES.get(code, ("permanent", "PushPlus 返回错误 (PushPlus error)"))
        text = f"{zh} [code {code}: {msg}]"
        if kind == "retryable":
            return SendResult.retryable(str(code), text)
        if kind == "quota":
            return SendResult.quota(str(code), text)
        return SendResult.permanent(str(code), text)
