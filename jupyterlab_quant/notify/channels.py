"""The channel catalogue (渠道): for each channel its labels, secret fields, non-secret options with their
types and defaults, its rate limit, and how to build the notifier. Option values are validated (and CLI
strings coerced) here; an unknown option or a bad value raises ``InvalidInput`` naming the field."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from ..core.errors import InvalidInput, NotFound
from . import pushplus, serverchan, wechat_mp, wecom
from .base import Notifier
from .http import Timeout
from .throttle import RateLimit, daily_limit, opt_in_limit, wecom_limit
from .wechat_mp import SOURCES, DataError, TokenStore, check_value


@dataclass(frozen=True)
class OptionSpec:
    name: str
    kind: str                     # str | bool | int | list | map | choice
    default: Any = None
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    label: Mapping[str, str]
    secret_fields: tuple[str, ...]
    options: tuple[OptionSpec, ...]
    default_base_url: str
    build: Callable[..., Notifier]
    limit: Callable[[Mapping[str, Any], float], RateLimit]
    check: Callable[[Mapping[str, Any]], None] = field(default=lambda opts: None)

    def option(self, name: str) -> OptionSpec:
        for o in self.options:
            if o.name == name:
                return o
        allowed = ", ".join(["base_url", *(o.name for o in self.options)])
        raise InvalidInput(f"渠道 {self.name} 没有选项 {name!r} (unknown option {name!r} for {self.name})",
                           f"可用选项 (options): {allowed}")

    def defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.options}

    def missing_required(self, options: Mapping[str, Any]) -> list[str]:
        return [o.name for o in self.options if o.required and not options.get(o.name)]


_TRUE = {"1", "true", "yes", "on", "y", "是"}
_FALSE = {"0", "false", "no", "off", "n", "否"}


def coerce(channel: str, spec: OptionSpec, value: Any) -> Any:
    """``value`` (Python or CLI text) as the option's type; ``None`` means "back to the default"."""
    where = f"{channel}.{spec.name}"

    def bad(expect: str) -> InvalidInput:
        return InvalidInput(f"选项 {where} 的值无效 (bad value for {where}): {value!r}", f"应为 (expected) {expect}")

    if value is None or (isinstance(value, str) and value.strip() == "" and spec.kind != "str"):
        return None
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() in _TRUE:
            return True
        if str(value).strip().lower() in _FALSE:
            return False
        raise bad("true / false")
    if spec.kind == "int":
        try:
            n = int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            n = None
        if n is None or (isinstance(value, float) and value != int(value)):
            raise bad("整数 (an integer)")
        if (spec.min is not None and n < spec.min) or (spec.max is not None and n > spec.max):
            raise bad(f"{spec.min} … {spec.max}")
        return n
    if spec.kind == "choice":
        if str(value) not in spec.choices:
            raise bad(" | ".join(spec.choices))
        return str(value)
    if spec.kind == "list":
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [v.strip() for v in text.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise bad("字符串列表，逗号分隔 (comma-separated strings)")
        return list(value)
    if spec.kind == "map":
        if isinstance(value, str):
            text = value.strip()
            try:
                value = json.loads(text) if text.startswith("{") else dict(
                    (p.split(":", 1)[0].strip(), p.split(":", 1)[1].strip()) for p in text.split(",") if p.strip())
            except (ValueError, IndexError):
                raise bad('JSON 对象或 k:v,k:v (a JSON object or k:v,k:v)') from None
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise bad('{"名称": "值"} (a mapping of strings)')
        return dict(value)
    text = str(value).strip()
    return text or None


def check_base_url(channel: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip().rstrip("/")
    if not re.match(r"^https?://[^\s/]+(/\S*)?$", text):
        raise InvalidInput(f"选项 {channel}.base_url 须为 http(s) 地址 (base_url must be an http(s) URL): {value!r}",
                           "例如 https://qyapi.weixin.qq.com；留空恢复默认 (empty restores the default)")
    return text


def _check_fields(channel: str, fields: Mapping[str, str] | None) -> None:
    for keyword, source in (fields or {}).items():
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", keyword):
            raise InvalidInput(f"选项 {channel}.fields 的关键词无效 (bad keyword): {keyword!r}", "如 thing1, time2")
        if source.startswith("="):
            try:
                check_value(keyword, source[1:])
            except DataError as exc:
                raise InvalidInput(f"选项 {channel}.fields.{keyword}: {exc}", "改短或换类型") from None
        elif source not in SOURCES:
            raise InvalidInput(f"选项 {channel}.fields.{keyword} 的来源未知 (unknown source): {source!r}",
                               f"可用 (allowed): {', '.join(SOURCES)}，或 =固定文字 (=literal)")


def _check_wecom(opts: Mapping[str, Any]) -> None:
    if opts.get("msgtype", "markdown") == "markdown" and (
            "@all" in (opts.get("mentioned_list") or []) or opts.get("mentioned_mobile_list")):
        raise InvalidInput("企业微信 markdown 消息不支持 @all 与按手机号提醒 (WeCom markdown cannot mention @all or "
                           "by mobile): wecom.mentioned_list / wecom.mentioned_mobile_list",
                           "改用 --option msgtype=text，或只列出 userid")


def _check_template(opts: Mapping[str, Any]) -> None:
    _check_fields("wechat_template", opts.get("fields"))
    mp = opts.get("miniprogram")
    if mp and (set(mp) - {"appid", "pagepath"} or "appid" not in mp):
        raise InvalidInput("选项 wechat_template.miniprogram 须含 appid，可含 pagepath (needs appid, optional "
                           "pagepath)", '例如 {"appid": "wx…", "pagepath": "index"}')


def _check_subscribe(opts: Mapping[str, Any]) -> None:
    _check_fields("wechat_subscribe", opts.get("fields"))


_APP_OPTIONS = (
    OptionSpec("appid", "str", required=True, help="AppID"),
    OptionSpec("touser", "str", required=True, help="接收者 openid (recipient openid)"),
    OptionSpec("template_id", "str", required=True, help="模板 ID (template id)"),
)

SPECS: dict[str, ChannelSpec] = {}


def _register(spec: ChannelSpec) -> None:
    SPECS[spec.name] = spec


def _common(kw: Mapping[str, Any]) -> dict[str, Any]:
    return {"session": kw["session"], "timeout": kw["timeout"]}


_register(ChannelSpec(
    name="wecom", label={"zh": "企业微信群机器人", "en": "WeCom group robot"}, secret_fields=("key",),
    options=(OptionSpec("msgtype", "choice", "markdown", choices=wecom.MSGTYPES, help="消息类型 message type"),
             OptionSpec("mentioned_list", "list", [], help="提醒的 userid (@all only with msgtype=text)"),
             OptionSpec("mentioned_mobile_list", "list", [], help="提醒的手机号 (msgtype=text)"),
             OptionSpec("per_minute", "int", 20, min=1, max=20, help="每分钟上限 messages per minute")),
    default_base_url=wecom.DEFAULT_BASE_URL,
    build=lambda secrets, opts, base_url, **kw: wecom.WeComRobot(
        secrets["key"], base_url=base_url, msgtype=opts["msgtype"], mentioned_list=opts["mentioned_list"] or [],
        mentioned_mobile_list=opts["mentioned_mobile_list"] or [], **_common(kw)),
    limit=lambda opts, since: wecom_limit(int(opts["per_minute"])),
    check=_check_wecom))

_register(ChannelSpec(
    name="serverchan", label={"zh": "Server酱", "en": "ServerChan"}, secret_fields=("sendkey",),
    options=(OptionSpec("channel", "str", help="Turbo 推送通道，如 9|66 (Turbo channels)"),
             OptionSpec("noip", "bool", True, help="隐藏调用 IP (hide the caller IP)"),
             OptionSpec("openid", "str", help="Turbo 抄送 openid"),
             OptionSpec("tags", "str", help="Server酱³ 标签，如 风控|A股 (tags)"),
             OptionSpec("daily_quota", "int", 5, min=1, max=100000, help="每日额度 messages per day (free ≈ 5)")),
    default_base_url=serverchan.DEFAULT_BASE_URL,
    build=lambda secrets, opts, base_url, **kw: serverchan.ServerChan(
        secrets["sendkey"], base_url=base_url, channel=opts["channel"], noip=bool(opts["noip"]),
        openid=opts["openid"], tags=opts["tags"], **_common(kw)),
    limit=lambda opts, since: daily_limit(int(opts["daily_quota"]))))

_register(ChannelSpec(
    name="pushplus", label={"zh": "推送加", "en": "PushPlus"}, secret_fields=("token",),
    options=(OptionSpec("channel", "choice", "wechat", choices=pushplus.CHANNELS, help="发送渠道 delivery channel"),
             OptionSpec("topic", "str", help="群组编码 group code"),
             OptionSpec("daily_quota", "int", 200, min=1, max=100000, help="每日额度 messages per day")),
    default_base_url=pushplus.DEFAULT_BASE_URL,
    build=lambda secrets, opts, base_url, **kw: pushplus.PushPlus(
        secrets["token"], base_url=base_url, channel=opts["channel"], topic=opts["topic"], **_common(kw)),
    limit=lambda opts, since: daily_limit(int(opts["daily_quota"]))))

_register(ChannelSpec(
    name="wechat_template", label={"zh": "公众号模板消息", "en": "Official-account template message"},
    secret_fields=("appsecret",),
    options=(*_APP_OPTIONS,
             OptionSpec("url", "str", help="点击跳转链接 link opened on tap"),
             OptionSpec("miniprogram", "map", help='跳转小程序 {"appid": …, "pagepath": …}'),
             OptionSpec("fields", "map", dict(wechat_mp.DEFAULT_TEMPLATE_FIELDS),
                        help="模板关键词 → 来源 keyword → source (title, time, message, …)"),
             OptionSpec("daily_quota", "int", 100000, min=1, max=10_000_000, help="每日额度 messages per day")),
    default_base_url=wechat_mp.DEFAULT_BASE_URL,
    build=lambda secrets, opts, base_url, **kw: wechat_mp.WeChatTemplate(
        opts["appid"], secrets["appsecret"], touser=opts["touser"], template_id=opts["template_id"],
        fields=opts["fields"], url=opts["url"], miniprogram=opts["miniprogram"], base_url=base_url,
        store=kw["store"], now=kw["now"], **_common(kw)),
    limit=lambda opts, since: daily_limit(int(opts["daily_quota"])),
    check=_check_template))

_register(ChannelSpec(
    name="wechat_subscribe", label={"zh": "小程序订阅消息", "en": "Mini-program subscribe message"},
    secret_fields=("appsecret",),
    options=(*_APP_OPTIONS,
             OptionSpec("page", "str", help="点击进入的页面 page opened on tap"),
             OptionSpec("miniprogram_state", "choice", "formal", choices=wechat_mp.MINIPROGRAM_STATES),
             OptionSpec("lang", "choice", "zh_CN", choices=wechat_mp.LANGS),
             OptionSpec("fields", "map", dict(wechat_mp.DEFAULT_SUBSCRIBE_FIELDS),
                        help="模板关键词 → 来源 keyword → source (thing1 → title, time2 → time)"),
             OptionSpec("subscriptions_left", "int", 0, min=0, max=100000,
                        help="用户授权的剩余订阅次数 opt-ins the user granted (one message each)")),
    default_base_url=wechat_mp.DEFAULT_BASE_URL,
    build=lambda secrets, opts, base_url, **kw: wechat_mp.WeChatSubscribe(
        opts["appid"], secrets["appsecret"], touser=opts["touser"], template_id=opts["template_id"],
        fields=opts["fields"], page=opts["page"], miniprogram_state=opts["miniprogram_state"], lang=opts["lang"],
        base_url=base_url, store=kw["store"], now=kw["now"], **_common(kw)),
    limit=lambda opts, since: opt_in_limit(int(opts["subscriptions_left"]), since),
    check=_check_subscribe))


def spec(name: str) -> ChannelSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise NotFound(f"没有名为 {name!r} 的通知渠道 (no notification channel {name!r})",
                       f"可用渠道 (channels): {', '.join(SPECS)}") from None


def build(name: str, secrets: Mapping[str, str], options: Mapping[str, Any], base_url: str | None, *,
          session: requests.Session, timeout: Timeout, store: TokenStore, now: Callable[[], float]) -> Notifier:
    s = spec(name)
    return s.build(secrets, {**s.defaults(), **options}, base_url or s.default_base_url, session=session,
                   timeout=timeout, store=store, now=now)
