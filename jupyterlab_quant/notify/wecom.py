"""WeCom group robot (企业微信群机器人): ``POST {base}/cgi-bin/webhook/send?key=KEY`` with a ``markdown``
(≤ 4096 UTF-8 bytes) or ``text`` (≤ 2048 bytes) message. Content over the limit is cut on a character
boundary (never inside a ``<font>`` tag) and ends with "…"."""

from __future__ import annotations

from collections.abc import Sequence

import requests

from ..core.live import Severity
from .base import SEVERITY_LABEL, Message, SendResult
from .http import DEFAULT_TIMEOUT, Reply, Timeout, post_json, scrub, unexpected

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com"
MARKDOWN_MAX_BYTES = 4096
TEXT_MAX_BYTES = 2048
ELLIPSIS = "…"
COLOR = {Severity.CRITICAL: "warning", Severity.WARNING: "warning", Severity.INFO: "info"}
MSGTYPES = ("markdown", "text")
# errcodes of the webhook API beyond the WeChat global table
_WECOM_ERRORS = {
    93000: "webhook key 无效或机器人已被移出群聊 (invalid webhook key, or the robot was removed from the group)",
    40008: "消息类型无效 (invalid message type)",
    40058: "消息内容超长或缺少字段 (content too long or a field missing)",
    44004: "消息内容为空 (empty content)",
}


def truncate_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes on a character boundary, ending with "…" when cut."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    keep = raw[:limit - len(ELLIPSIS.encode("utf-8"))].decode("utf-8", errors="ignore")
    # a cut inside "<font color=…>…</font>" would leave a broken tag: drop back before the unclosed one
    if keep.count("<font") > keep.count("</font>"):
        keep = keep[:keep.rfind("<font")]
    elif (lt := keep.rfind("<")) > keep.rfind(">") and len(keep) - lt < 40:  # a half-written "<@user"
        keep = keep[:lt]
    return keep + ELLIPSIS


def render_markdown(m: Message) -> str:
    label = SEVERITY_LABEL.get(m.severity, m.severity.value)
    head = f"### <font color=\"{COLOR.get(m.severity, 'comment')}\">{label}</font> {m.title}"
    foot = f"\n<font color=\"comment\">{m.time:%Y-%m-%d %H:%M:%S} · jupyterlab-quant</font>" if m.time else ""
    # the footer is short and must survive truncation: cut the body only
    budget = MARKDOWN_MAX_BYTES - len((head + "\n" + foot).encode("utf-8"))
    return head + "\n" + truncate_bytes(m.body, max(budget, 0)) + foot


def render_text(m: Message) -> str:
    label = SEVERITY_LABEL.get(m.severity, m.severity.value)
    when = f"\n{m.time:%Y-%m-%d %H:%M:%S}" if m.time else ""
    return truncate_bytes(f"【{label}】{m.title}\n{m.text}{when}", TEXT_MAX_BYTES)


class WeComRobot:
    """One WeCom robot. ``mentioned_list`` (user ids) are rendered as ``<@userid>`` in markdown; ``@all`` and
    ``mentioned_mobile_list`` need ``msgtype="text"`` (WeCom markdown cannot mention everyone)."""

    name = "wecom"

    def __init__(self, key: str, *, base_url: str = DEFAULT_BASE_URL, msgtype: str = "markdown",
                 mentioned_list: Sequence[str] = (), mentioned_mobile_list: Sequence[str] = (),
                 session: requests.Session | None = None, timeout: Timeout = DEFAULT_TIMEOUT) -> None:
        if msgtype not in MSGTYPES:
            raise ValueError(f"msgtype must be one of {MSGTYPES}")
        self.key = key
        self.base_url = base_url.rstrip("/")
        self.msgtype = msgtype
        self.mentioned_list = list(mentioned_list)
        self.mentioned_mobile_list = list(mentioned_mobile_list)
        self.session = session or requests.Session()
        self.timeout = timeout

    def payload(self, m: Message) -> dict[str, object]:
        if self.msgtype == "text":
            text: dict[str, object] = {"content": render_text(m)}
            if self.mentioned_list:
                text["mentioned_list"] = self.mentioned_list
            if self.mentioned_mobile_list:
                text["mentioned_mobile_list"] = self.mentioned_mobile_list
            return {"msgtype": "text", "text": text}
        content = render_markdown(m)
        mentions = " ".join(f"<@{u}>" for u in self.mentioned_list if u != "@all")
        if mentions and len((content + "\n" + mentions).encode("utf-8")) <= MARKDOWN_MAX_BYTES:
            content += "\n" + mentions
        return {"msgtype": "markdown", "markdown": {"content": content}}

    def send(self, message: Message) -> SendResult:
        url = f"{self.base_url}/cgi-bin/webhook/send"
        got = post_json(self.session, url, self.payload(message), params={"key": self.key}, timeout=self.timeout,
                        secrets=[self.key])
        if isinstance(got, SendResult):
            return got
        return self._result(got)

    def _result(self, reply: Reply) -> SendResult:
        body = reply.body
        if not isinstance(body, dict) or "errcode" not in body:
            return unexpected(reply, [self.key])
        code = int(body.get("errcode") or 0)
        errmsg = scrub(str(body.get("errmsg", "")), [self.key])
        if code == 0:
            return SendResult.sent()
        if code in (-1, 45009, 45011):
            # 45009 is what the robot is commonly reported to answer over 20/min: wait for the next minute
            return SendResult.retryable(str(code), f"企业微信机器人发送过于频繁或系统繁忙 (rate limited / busy) "
                                                   f"[errcode {code}: {errmsg}]", 60.0)
        zh = _WECOM_ERRORS.get(code, "企业微信返回错误 (WeCom API error)")
        return SendResult.permanent(str(code), f"{zh} [errcode {code}: {errmsg}]")
