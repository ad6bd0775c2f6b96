"""HTTP plumbing shared by the channels: one JSON POST with explicit (connect, read) timeouts, transport
failures mapped to retryable outcomes, the WeChat global error codes, and scrubbing of keys/tokens from
anything that may reach a log or the user (a requests exception message carries the full URL)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from .base import SendResult

Timeout = tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (3.05, 5.0)
_URL_SECRETS = re.compile(r"((?:key|access_token|token|secret|sendkey)=)[^&\s'\"]+", re.IGNORECASE)
_PATH_SECRETS = re.compile(r"/(SCT[A-Za-z0-9]+|sctp\d+t[A-Za-z0-9]+)(\.send)")


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every known secret value and every ``key=``/``access_token=`` query value masked."""
    out = str(text)
    for s in secrets:
        if s and len(s) >= 4:
            out = out.replace(s, "***")
    out = _URL_SECRETS.sub(r"\1***", out)
    return _PATH_SECRETS.sub(r"/***\2", out)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any            # parsed JSON (None when the body is not JSON)
    text: str


def post_json(session: requests.Session, url: str, payload: Mapping[str, Any], *, timeout: Timeout,
              secrets: Iterable[str | None] = (), charset_header: bool = False,
              params: Mapping[str, str] | None = None) -> Reply | SendResult:
    """POST ``payload`` as UTF-8 JSON. Returns the reply, or a retryable ``SendResult`` for a timeout, a
    connection failure or an HTTP 5xx (with the secrets scrubbed from the reason)."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ctype = "application/json;charset=utf-8" if charset_header else "application/json"
    try:
        resp = session.post(url, data=data, params=params, headers={"Content-Type": ctype}, timeout=timeout)
    except requests.Timeout as exc:
        return SendResult.retryable("timeout", f"请求超时 (request timed out): {scrub(str(exc), secrets)}")
    except requests.ConnectionError as exc:
        return SendResult.retryable("connection", f"连接失败 (connection failed): {scrub(str(exc), secrets)}")
    except requests.RequestException as exc:
        return SendResult.retryable("http_error", f"HTTP 请求失败 (request failed): {scrub(str(exc), secrets)}")
    text = resp.text
    try:
        body = resp.json()
    except ValueError:
        body = None
    if resp.status_code >= 500:
        return SendResult.retryable(f"http_{resp.status_code}",
                                    f"服务端错误 HTTP {resp.status_code} (server error): {scrub(text[:200], secrets)}")
    return Reply(resp.status_code, body, text)


def get_json(session: requests.Session, url: str, params: Mapping[str, str], *, timeout: Timeout,
             secrets: Iterable[str | None] = ()) -> Reply | SendResult:
    try:
        resp = session.get(url, params=params, timeout=timeout)
    except requests.Timeout as exc:
        return SendResult.retryable("timeout", f"请求超时 (request timed out): {scrub(str(exc), secrets)}")
    except requests.RequestException as exc:
        return SendResult.retryable("connection", f"连接失败 (connection failed): {scrub(str(exc), secrets)}")
    try:
        body = resp.json()
    except ValueError:
        body = None
    if resp.status_code >= 500:
        return SendResult.retryable(f"http_{resp.status_code}", f"服务端错误 HTTP {resp.status_code} (server error)")
    return Reply(resp.status_code, body, resp.text)


def unexpected(reply: Reply, secrets: Iterable[str | None] = ()) -> SendResult:
    """An answer that is neither success nor a known error (e.g. an HTML page from a proxy)."""
    return SendResult.retryable(f"http_{reply.status}", f"无法识别的响应 (unexpected reply, HTTP {reply.status}): "
                                                        f"{scrub(reply.text[:200], secrets)}")


# ---- WeChat global error codes (reference §5.3) -------------------------------------------------------
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
WECHAT_ERRORS: dict[int, tuple[str, str]] = {
    -1: ("retryable", "微信系统繁忙 (system busy)"),
    40001: ("permanent", "access_token 无效或 AppSecret 错误 (invalid credential: check the AppSecret)"),
    40003: ("permanent", "openid 无效 (invalid openid: check touser)"),
    40013: ("permanent", "AppID 无效 (invalid appid)"),
    40014: ("permanent", "access_token 无效 (invalid access_token)"),
    40037: ("permanent", "模板 ID 无效 (invalid template_id)"),
    40125: ("permanent", "AppSecret 无效 (invalid appsecret)"),
    40164: ("permanent", "调用方 IP 不在白名单中 (caller IP not in the whitelist: add it in the MP console)"),
    41030: ("permanent", "page 路径无效 (invalid page path)"),
    42001: ("permanent", "access_token 已过期 (access_token expired)"),
    43002: ("permanent", "须用 POST 请求 (POST required)"),
    43101: ("permanent", "用户拒绝接收或订阅次数已用完 (user has no subscription left: ask the user to subscribe "
                         "again in the mini program)"),
    45009: ("quota", "已达到接口每日调用上限 (daily API quota reached; stopping until tomorrow)"),
    45011: ("retryable", "调用过于频繁 (per-minute frequency limit; backing off)"),
    47003: ("permanent", "模板数据不合规 (template data invalid)"),
    48001: ("permanent", "接口未授权 (API unauthorized: the account lacks this permission)"),
}


def wechat_result(errcode: int, errmsg: str, secrets: Iterable[str | None] = ()) -> SendResult:
    """Map a WeChat ``errcode`` (≠ 0) to an outcome; the message keeps WeChat's own ``errmsg``."""
    kind, zh = WECHAT_ERRORS.get(errcode, ("permanent", "微信接口返回错误 (WeChat API error)"))
    msg = f"{zh} [errcode {errcode}: {scrub(errmsg, secrets)}]"
    if kind == "retryable":
        return SendResult.retryable(str(errcode), msg, 60.0 if errcode == 45011 else None)
    if kind == "quota":
        return SendResult.quota(str(errcode), msg)
    return SendResult.permanent(str(errcode), msg)
