"""ServerChan (Server酱): Turbo ``POST {base}/{SENDKEY}.send`` (``SCT…`` keys, base
``https://sctapi.ftqq.com``) and Server酱³ ``POST https://{uid}.push.ft07.com/send/{SENDKEY}.send``
(``sctp{uid}t…`` keys). JSON body, ``Content-Type: application/json;charset=utf-8`` as the official SDK
sends it; ``code == 0`` is success. Over the daily quota (HTTP 400 is what users report) → ``quota``."""

from __future__ import annotations

import re

import requests

from .base import SEVERITY_LABEL, Message, SendResult
from .http import DEFAULT_TIMEOUT, Timeout, post_json, scrub, unexpected
from .wecom import truncate_bytes

DEFAULT_BASE_URL = "https://sctapi.ftqq.com"
SC3_RE = re.compile(r"^sctp(\d+)t")
TITLE_MAX_CHARS = 32             # Turbo doc: title ≤ 32, desp ≤ 32 KB (sct.ftqq.com/sendkey)
DESP_MAX_BYTES = 32 * 1024
SHORT_MAX_CHARS = 64
_QUOTA_WORDS = ("次数", "上限", "超过", "quota", "limit")


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


class ServerChan:
    """One SendKey. ``base_url`` overrides the host for both editions (the Server酱³ path stays
    ``/send/{key}.send``); the default Server酱³ host is derived from the key's uid."""

    name = "serverchan"

    def __init__(self, sendkey: str, *, base_url: str | None = None, channel: str | None = None,
                 noip: bool = True, openid: str | None = None, tags: str | None = None,
                 session: requests.Session | None = None, timeout: Timeout = DEFAULT_TIMEOUT) -> None:
        self.sendkey = sendkey
        self.base_url = base_url.rstrip("/") if base_url else None
        self.channel = channel
        self.noip = noip
        self.openid = openid
        self.tags = tags
        self.session = session or requests.Session()
        self.timeout = timeout

    @property
    def sc3(self) -> bool:
        return bool(SC3_RE.match(self.sendkey))

    def url(self) -> str:
        m = SC3_RE.match(self.sendkey)
        if m:
            # the Turbo host is the catalogue's default, not an override of the Server酱³ host
            own = self.base_url if self.base_url and self.base_url != DEFAULT_BASE_URL else None
            base = own or f"https://{m.group(1)}.push.ft07.com"
            return f"{base}/send/{self.sendkey}.send"
        return f"{self.base_url or DEFAULT_BASE_URL}/{self.sendkey}.send"

    def payload(self, m: Message) -> dict[str, object]:
        label = SEVERITY_LABEL.get(m.severity, m.severity.value).split()[0]
        when = f"\n\n> {m.time:%Y-%m-%d %H:%M:%S} · jupyterlab-quant" if m.time else ""
        body: dict[str, object] = {
            "title": _cut(f"[{label}] {m.title}", TITLE_MAX_CHARS),
            "desp": truncate_bytes(f"## {m.title}\n\n{m.body}", DESP_MAX_BYTES - len(when.encode())) + when,
            "short": _cut(m.text.replace("\n", " "), SHORT_MAX_CHARS) or _cut(m.title, SHORT_MAX_CHARS),
        }
        if self.sc3:
            if self.tags:
                body["tags"] = self.tags
        else:
            if self.noip:
                body["noip"] = 1
            if self.channel:
                body["channel"] = self.channel
            if self.openid:
                body["openid"] = self.openid
        return body

    def send(self, message: Message) -> SendResult:
        got = post_json(self.session, self.url(), self.payload(message), timeout=self.timeout,
                        secrets=[self.sendkey], charset_header=True)
        if isinstance(got, SendResult):
            return got
        body = got.body
        if not isinstance(body, dict) or "code" not in body:
            if got.status in (401, 403, 404):
                return SendResult.permanent(f"http_{got.status}", f"SendKey 无效 (invalid SendKey, HTTP {got.status})")
            return unexpected(got, [self.sendkey])
        code = body.get("code")
        text = scrub(str(body.get("message") or body.get("info") or ""), [self.sendkey])
        if code == 0 and got.status < 400:
            data = body.get("data")
            return SendResult.sent(pushid=data.get("pushid") if isinstance(data, dict) else None)
        if got.status == 400 or any(w in text.lower() for w in _QUOTA_WORDS):
            return SendResult.quota(str(code), f"Server酱今日发送次数已用完 (daily quota reached; stopping until "
                                               f"tomorrow) [code {code}: {text}]")
        return SendResult.permanent(str(code), f"Server酱返回错误，检查 SendKey (ServerChan error; check the SendKey) "
                                               f"[code {code}: {text}]")
