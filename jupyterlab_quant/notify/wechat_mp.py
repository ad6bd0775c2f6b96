"""WeChat official-account template messages (公众号模板消息) and mini-program subscribe messages
(小程序订阅消息), with one shared access_token cache.

Tokens come from ``POST {base}/cgi-bin/stable_token`` (normal mode returns the same token while it is
valid, so several processes asking at once do no harm). A token is cached in the delivery log's SQLite
file so every process of the data root shares it, encrypted with a key derived from the AppSecret (the
file holds no usable token), and refreshed 5 minutes before it expires. A send answered with
40001/40014/42001 refreshes once — forcing a new token when the platform hands back the rejected one —
and retries once; a second rejection fails with the reason.

Template ``data`` comes from a mapping ``{keyword: source}`` where source names a ``Message`` field
(``title``, ``message``, ``rule``, ``symbol``, ``value``, ``threshold``, ``time``, ``severity``, ``count``)
or is a literal ``"=text"``. Keywords named by a value type (``thing1``, ``time2``, ``amount3`` …) are
checked against that type's rules before sending: ``thing`` and ``phrase`` values are shortened to fit,
anything else that does not fit fails with the keyword named (the platform would answer 47003).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import requests
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .base import Message, SendResult
from .http import DEFAULT_TIMEOUT, TOKEN_ERRORS, Reply, Timeout, post_json, scrub, unexpected, wechat_result

DEFAULT_BASE_URL = "https://api.weixin.qq.com"
REFRESH_MARGIN_S = 300.0          # the platform renews stable tokens 5 min before expiry
FORCE_MIN_INTERVAL_S = 30.0       # force_refresh: ≤ 20/day, ≥ 30 s apart
MINIPROGRAM_STATES = ("developer", "trial", "formal")
LANGS = ("zh_CN", "en_US", "zh_HK", "zh_TW")
SOURCES = ("title", "message", "rule", "symbol", "value", "threshold", "time", "severity", "count")
DEFAULT_TEMPLATE_FIELDS = {"keyword1": "title", "keyword2": "time", "keyword3": "message"}
DEFAULT_SUBSCRIBE_FIELDS = {"thing1": "title", "time2": "time"}


class TokenStore(Protocol):
    """Shared storage of encrypted tokens (``notify.log.DeliveryLog`` implements it)."""

    def load_token(self, name: str) -> tuple[bytes, float, float] | None: ...   # blob, expires, forced_at

    def save_token(self, name: str, blob: bytes, expires: float, forced_at: float | None = None) -> None: ...


class MemoryTokenStore:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[bytes, float, float]] = {}

    def load_token(self, name: str) -> tuple[bytes, float, float] | None:
        return self.rows.get(name)

    def save_token(self, name: str, blob: bytes, expires: float, forced_at: float | None = None) -> None:
        old = self.rows.get(name)
        self.rows[name] = (blob, expires, forced_at if forced_at is not None else (old[2] if old else 0.0))


class AccessTokens:
    """access_token of one app (``appid``), cached in ``store`` for every process of the data root."""

    def __init__(self, appid: str, secret: str, *, base_url: str = DEFAULT_BASE_URL,
                 session: requests.Session | None = None, timeout: Timeout = DEFAULT_TIMEOUT,
                 store: TokenStore | None = None, now: Callable[[], float] = time.time) -> None:
        self.appid = appid
        self.secret = secret
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        self.store: TokenStore = store or MemoryTokenStore()
        self.now = now
        self.name = "tok-" + hashlib.sha256(f"{self.base_url}|{appid}".encode()).hexdigest()[:24]
        self._aes = AESGCM(HKDF(hashes.SHA256(), 32, salt=appid.encode(), info=b"jlq notify token cache")
                           .derive(secret.encode()))
        self.fetches = 0

    def _cached(self) -> tuple[str, float, float] | None:
        row = self.store.load_token(self.name)
        if row is None:
            return None
        blob, expires, forced = row
        try:
            token = self._aes.decrypt(blob[:12], blob[12:], self.name.encode()).decode()
        except (InvalidTag, ValueError):
            return None      # cached under another AppSecret
        return token, expires, forced

    def get(self) -> str | SendResult:
        """A token valid for at least 5 more minutes, from the cache or fetched."""
        hit = self._cached()
        if hit and hit[1] - self.now() > REFRESH_MARGIN_S:
            return hit[0]
        return self._fetch(force=False)

    def refresh(self, rejected: str) -> str | SendResult:
        """After the platform rejected ``rejected``: a fresh token (forced when normal mode returns the same)."""
        hit = self._cached()
        if hit and hit[0] != rejected and hit[1] - self.now() > REFRESH_MARGIN_S:
            return hit[0]        # another process already refreshed
        got = self._fetch(force=False)
        if got == rejected:
            forced_at = hit[2] if hit else 0.0
            if self.now() - forced_at < FORCE_MIN_INTERVAL_S:
                return SendResult.retryable("42001", "access_token 刚被强制刷新过，稍后重试 (token was force-refreshed "
                                                     "less than 30 s ago; retrying later)", FORCE_MIN_INTERVAL_S)
            got = self._fetch(force=True)
        return got

    def _fetch(self, *, force: bool) -> str | SendResult:
        self.fetches += 1
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret, "force_refresh": force}
        got = post_json(self.session, f"{self.base_url}/cgi-bin/stable_token", body, timeout=self.timeout,
                        secrets=[self.secret])
        if isinstance(got, SendResult):
            return got
        data = got.body
        if isinstance(data, dict) and data.get("access_token"):
            token = str(data["access_token"])
            now = self.now()
            nonce = os.urandom(12)
            blob = nonce + self._aes.encrypt(nonce, token.encode(), self.name.encode())
            self.store.save_token(self.name, blob, now + float(data.get("expires_in") or 7200),
                                  now if force else None)
            return token
        if isinstance(data, dict) and data.get("errcode"):
            res = wechat_result(int(data["errcode"]), str(data.get("errmsg", "")), [self.secret])
            return SendResult(res.outcome, res.code, "获取 access_token 失败 (cannot get access_token): " + res.message,
                              res.retry_after_s)
        return unexpected(got, [self.secret])


# ---- subscribe-message value rules (reference §7) ----------------------------------------------------
_TYPE_RE = re.compile(r"^([a-z_]+?)(\d+)$")
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
_ONE_TIME = r"(?:\d{4}年\d{1,2}月\d{1,2}日|\d{4}[-/]\d{1,2}[-/]\d{1,2})?\s?(?:\d{1,2}:\d{2}(?::\d{2})?)?"
_TIME_RE = re.compile(rf"^{_ONE_TIME}(?:\s?~\s?{_ONE_TIME})?$")
_AMOUNT_RE = re.compile(r"^[¥￥$€£]?(\d+(?:\.\d+)?)元?$")
_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")
_CHARSTR_RE = re.compile(r"^[!-~]+$")
TYPES = ("thing", "number", "letter", "symbol", "character_string", "time", "date", "amount", "phone_number",
         "car_number", "name", "phrase")


class DataError(ValueError):
    """A template value that breaks its type's rule; the message names the keyword."""


def value_type(keyword: str) -> str | None:
    m = _TYPE_RE.match(keyword)
    return m.group(1) if m and m.group(1) in TYPES else None


def format_value(raw: Any, typ: str | None) -> str:
    if isinstance(raw, dt.datetime):
        if typ == "date":
            return f"{raw.year}年{raw.month}月{raw.day}日"
        if typ == "time":
            return f"{raw.year}年{raw.month}月{raw.day}日 {raw:%H:%M}"
        return f"{raw:%Y-%m-%d %H:%M}"
    if isinstance(raw, float):
        if typ == "amount":
            return f"¥{raw:.2f}"
        return f"{raw:.4f}".rstrip("0").rstrip(".") if typ == "number" else f"{raw:.6g}"
    return "" if raw is None else str(raw)


def check_value(keyword: str, value: str) -> str:
    """``value`` fitted to the rule of ``keyword``'s type (``thing``/``phrase`` shortened); :class:`DataError`
    when it cannot fit."""
    typ = value_type(keyword)
    if typ is None:
        return value

    def bad(rule: str) -> DataError:
        return DataError(f"模板字段 {keyword} 的值 {value!r} 不符合 {typ} 类型规则：{rule} "
                         f"(data.{keyword}.value invalid: {typ} {rule})")

    if typ == "thing":
        v = value.strip() or "无"
        return v if len(v) <= 20 else v[:19] + "…"
    if typ == "phrase":
        v = value.strip() or "无"
        if not _CJK.match(v):
            raise bad("只能是汉字 (Chinese characters only), ≤ 5")
        return v[:5]
    if not value:
        raise bad("不能为空 (must not be empty)")
    if typ == "number":
        if not _NUMBER_RE.match(value) or sum(c.isdigit() for c in value) > 32:
            raise bad("≤ 32 位数字，可带小数点 (≤ 32 digits, decimal point allowed)")
    elif typ == "letter":
        if not (value.isascii() and value.isalpha() and len(value) <= 32):
            raise bad("≤ 32 个字母 (≤ 32 letters)")
    elif typ == "symbol":
        if len(value) > 5 or any(c.isalnum() or c.isspace() for c in value):
            raise bad("≤ 5 个符号 (≤ 5 symbols)")
    elif typ == "character_string":
        if len(value) > 32 or not _CHARSTR_RE.match(value):
            raise bad("≤ 32 个数字、字母或符号 (≤ 32 digits, letters or symbols)")
    elif typ in ("time", "date"):
        if not _TIME_RE.match(value) or not re.search(r"\d", value):
            raise bad("24 小时制时间，如 2019年10月1日 15:01 (24-hour time, e.g. 2019年10月1日 15:01)")
    elif typ == "amount":
        m = _AMOUNT_RE.match(value)
        if not m or sum(c.isdigit() for c in m.group(1)) > 10:
            raise bad("币种符号 + ≤ 10 位数字，可带“元” (currency symbol + ≤ 10 digits, optional 元)")
    elif typ == "phone_number":
        if len(value) > 17 or not re.match(r"^[\d+\-() ]+$", value):
            raise bad("≤ 17 位号码 (≤ 17 characters of a phone number)")
    elif typ == "car_number":
        if len(value) > 8:
            raise bad("≤ 8 个字符 (≤ 8 characters)")
    elif typ == "name" and not ((_CJK.match(value) and len(value) <= 10)
                                or (value.replace(" ", "").isascii() and value.replace(" ", "").isalpha()
                                    and len(value) <= 20)):
        raise bad("≤ 10 个汉字或 ≤ 20 个字母 (≤ 10 Chinese characters or ≤ 20 letters)")
    return value


def build_data(fields: Mapping[str, str], message: Message) -> dict[str, dict[str, str]]:
    """``{"thing1": "title", "time2": "time"}`` → ``{"thing1": {"value": "…"}, "time2": {"value": "…"}}``."""
    out: dict[str, dict[str, str]] = {}
    for keyword, source in fields.items():
        typ = value_type(keyword)
        raw = source[1:] if source.startswith("=") else message.fields.get(source)
        out[keyword] = {"value": check_value(keyword, format_value(raw, typ))}
    return out


class _WeChatApi:
    name = "wechat"
    path = ""

    def __init__(self, appid: str, appsecret: str, *, touser: str, template_id: str, fields: Mapping[str, str],
                 base_url: str = DEFAULT_BASE_URL, session: requests.Session | None = None,
                 timeout: Timeout = DEFAULT_TIMEOUT, store: TokenStore | None = None,
                 now: Callable[[], float] = time.time) -> None:
        self.appsecret = appsecret
        self.touser = touser
        self.template_id = template_id
        self.fields = dict(fields)
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        self.tokens = AccessTokens(appid, appsecret, base_url=base_url, session=self.session, timeout=timeout,
                                   store=store, now=now)

    def payload(self, m: Message) -> dict[str, object]:
        raise NotImplementedError

    def send(self, message: Message) -> SendResult:
        try:
            payload = self.payload(message)
        except DataError as exc:
            return SendResult.permanent("invalid_data", str(exc))
        token = self.tokens.get()
        if isinstance(token, SendResult):
            return token
        for attempt in (1, 2):
            got = post_json(self.session, f"{self.base_url}{self.path}", payload, params={"access_token": token},
                            timeout=self.timeout, secrets=[token, self.appsecret])
            if isinstance(got, SendResult):
                return got
            code, res = self._result(got, token)
            if code in TOKEN_ERRORS and attempt == 1:
                token = self.tokens.refresh(token)
                if isinstance(token, SendResult):
                    return token
                continue
            return res
        raise AssertionError("unreachable")

    def _result(self, reply: Reply, token: str) -> tuple[int, SendResult]:
        body = reply.body
        if not isinstance(body, dict) or "errcode" not in body:
            return 0, unexpected(reply, [token, self.appsecret])
        code = int(body.get("errcode") or 0)
        if code == 0:
            return 0, SendResult.sent(msgid=body.get("msgid"))
        res = wechat_result(code, str(body.get("errmsg", "")), [token, self.appsecret])
        if code in TOKEN_ERRORS:
            res = SendResult.permanent(str(code), res.message + " — 刷新后仍被拒绝，检查 AppID/AppSecret 与 IP "
                                       "白名单 (still rejected after a refresh: check AppID/AppSecret and the IP "
                                       "whitelist)")
        return code, res


class WeChatTemplate(_WeChatApi):
    """Official-account template message to one follower (``touser`` openid)."""

    name = "wechat_template"
    path = "/cgi-bin/message/template/send"

    def __init__(self, appid: str, appsecret: str, *, touser: str, template_id: str,
                 fields: Mapping[str, str] | None = None, url: str | None = None,
                 miniprogram: Mapping[str, str] | None = None, **kw: Any) -> None:
        super().__init__(appid, appsecret, touser=touser, template_id=template_id,
                         fields=fields or DEFAULT_TEMPLATE_FIELDS, **kw)
        self.url = url
        self.miniprogram = dict(miniprogram) if miniprogram else None

    def payload(self, m: Message) -> dict[str, object]:
        body: dict[str, object] = {"touser": self.touser, "template_id": self.template_id,
                                   "client_msg_id": m.client_msg_id, "data": build_data(self.fields, m)}
        url = self.url or m.fields.get("url")   # the channel's own link wins over the monitor dashboard's
        if url:
            body["url"] = url
        if self.miniprogram:
            body["miniprogram"] = self.miniprogram
        return body


class WeChatSubscribe(_WeChatApi):
    """Mini-program subscribe message: one message per user opt-in (the centre counts opt-ins)."""

    name = "wechat_subscribe"
    path = "/cgi-bin/message/subscribe/send"

    def __init__(self, appid: str, appsecret: str, *, touser: str, template_id: str,
                 fields: Mapping[str, str] | None = None, page: str | None = None,
                 miniprogram_state: str = "formal", lang: str = "zh_CN", **kw: Any) -> None:
        if miniprogram_state not in MINIPROGRAM_STATES:
            raise ValueError(f"miniprogram_state must be one of {MINIPROGRAM_STATES}")
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {LANGS}")
        super().__init__(appid, appsecret, touser=touser, template_id=template_id,
                         fields=fields or DEFAULT_SUBSCRIBE_FIELDS, **kw)
        self.page = page
        self.miniprogram_state = miniprogram_state
        self.lang = lang

    def payload(self, m: Message) -> dict[str, object]:
        body: dict[str, object] = {"touser": self.touser, "template_id": self.template_id,
                                   "miniprogram_state": self.miniprogram_state, "lang": self.lang,
                                   "data": build_data(self.fields, m)}
        if self.page:
            body["page"] = self.page
        return body


__all__ = ["AccessTokens", "DataError", "MemoryTokenStore", "WeChatSubscribe", "WeChatTemplate", "build_data",
           "check_value", "scrub"]
