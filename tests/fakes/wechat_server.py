"""A local fake of every WeChat push channel on one ``ThreadingHTTPServer`` (127.0.0.1, free port).

It checks the EXACT request format of ``/work/shared/reference/wechat.md`` and answers like the real
service, so tests of the real channel classes prove the wire format::

    with FakeWeChat() as fake:                    # or FakeWeChat(wecom_keys={"k1"}, apps={"wxapp": "secret"})
        base = fake.url                           # "http://127.0.0.1:PORT": every channel's base_url
        ...                                       # send through jupyterlab_quant.notify
        fake.messages("wecom")                    # parsed JSON bodies the fake accepted, in order
        fake.requests                             # every request: Recorded(channel, method, path, query,
                                                  #   headers, body, json, status, reply, ok, at)
        fake.problems                             # format violations (each also got an error answer)
        fake.fail_next("wecom", 2, errcode=-1)    # scripted faults for the next N requests of a channel:
                                                  #   errcode=… | status=503 | delay=2.0 (timeouts) | body=…
        fake.expire_tokens()                      # issued access tokens now answer 42001
        fake.reset()                              # forget requests, faults, tokens, counters

Channels (``fail_next``/``messages`` names) and routes — same paths as the real hosts:

* ``wecom``      POST /cgi-bin/webhook/send?key=K — JSON text (≤ 2048 B) / markdown (≤ 4096 B); 20/min per key
  (→ 45009); unknown key → 93000.
* ``serverchan`` POST /{SCT…}.send and POST /send/{sctp…}.send — ``Content-Type: application/json;charset=utf-8``,
  ``title`` required (≤ 32), ``code == 0``; over ``serverchan_daily`` per key → HTTP 400.
* ``pushplus``   POST /send — JSON token/title (≤ 100)/content/template/channel; ``code == 200``; over
  ``pushplus_daily`` → 888.
  (Rate windows, daily counters and token expiry follow ``clock`` — pass the test's simulated clock as
  epoch seconds to keep the fake in step with the code under test; default ``time.time``.)
* ``token``      POST /cgi-bin/stable_token (JSON grant_type/appid/secret/force_refresh), GET /cgi-bin/token.
* ``template``   POST /cgi-bin/message/template/send?access_token=T
* ``subscribe``  POST /cgi-bin/message/subscribe/send?access_token=T — data values checked against the type
  rules (→ 47003 naming the field); ``subscriptions={openid: n}`` → 43101 once used up.

From another process: ``python -m tests.fakes.wechat_server --port N`` prints ``FAKE_WECHAT_URL=…`` and
serves until killed; control it over HTTP: ``GET /_fake/requests``, ``GET /_fake/problems``,
``POST /_fake/fault`` (JSON ``{"channel", "n", "errcode", "status", "delay"}``), ``POST /_fake/expire_tokens``,
``POST /_fake/reset``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import re
import secrets as _secrets
import signal
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CHANNELS = ("wecom", "serverchan", "pushplus", "token", "template", "subscribe")
_FONT_RE = re.compile(r"<font\s+color=\"([^\"]*)\">")
_CJK_RE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
_TIME1 = r"(?:\d{4}年\d{1,2}月\d{1,2}日|\d{4}[-/]\d{1,2}[-/]\d{1,2})?\s?(?:\d{1,2}:\d{2}(?::\d{2})?)?"
_TIME_RE = re.compile(rf"^{_TIME1}(?:\s?~\s?{_TIME1})?$")


@dataclass
class Recorded:
    channel: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    status: int = 0
    reply: Any = None
    ok: bool = False
    at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["body"] = self.body.decode("utf-8", errors="replace")
        return d


@dataclass
class Fault:
    n: int
    errcode: int | None = None
    status: int | None = None
    delay: float | None = None
    body: Any = None


class _Reject(Exception):
    """A request the real service would refuse: answered with (status, body); ``problem`` is recorded when
    it is a format violation by the client (not a scripted or business error)."""

    def __init__(self, status: int, body: Any, problem: str | None = None) -> None:
        super().__init__(problem or repr(body))
        self.status = status
        self.body = body
        self.problem = problem


def _subscribe_value_ok(keyword: str, value: str) -> str | None:
    """Independent re-statement of the reference's value table; returns the broken rule or None."""
    m = re.match(r"^([a-z_]+?)\d+$", keyword)
    typ = m.group(1) if m else ""
    n = len(value)
    rules: dict[str, tuple[bool, str]] = {
        "thing": (0 < n <= 20, "thing ≤ 20"),
        "number": (bool(re.fullmatch(r"\d+(\.\d+)?", value)) and sum(c.isdigit() for c in value) <= 32, "number"),
        "letter": (value.isascii() and value.isalpha() and n <= 32, "letter"),
        "symbol": (0 < n <= 5 and not any(c.isalnum() or c.isspace() for c in value), "symbol"),
        "character_string": (0 < n <= 32 and bool(re.fullmatch(r"[!-~]+", value)), "character_string"),
        "time": (bool(value) and bool(_TIME_RE.match(value)) and any(c.isdigit() for c in value), "time"),
        "date": (bool(value) and bool(_TIME_RE.match(value)) and any(c.isdigit() for c in value), "date"),
        "amount": (bool(re.fullmatch(r"[¥￥$€£]?\d{1,10}(\.\d+)?元?", value)), "amount"),
        "phone_number": (0 < n <= 17, "phone_number"),
        "car_number": (0 < n <= 8, "car_number"),
        "name": ((bool(_CJK_RE.match(value)) and n <= 10) or (value.isascii() and n <= 20 and bool(value)), "name"),
        "phrase": (bool(_CJK_RE.match(value)) and n <= 5, "phrase"),
    }
    if typ not in rules:
        return None
    ok, rule = rules[typ]
    return None if ok else rule


class FakeWeChat:
    """See the module docstring."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, wecom_keys: set[str] | None = None,
                 sendkeys: set[str] | None = None, pushplus_tokens: set[str] | None = None,
                 apps: dict[str, str] | None = None, openids: set[str] | None = None,
                 template_ids: set[str] | None = None, subscriptions: dict[str, int] | None = None,
                 token_ttl: float = 7200.0, wecom_per_minute: int = 20, serverchan_daily: int = 5,
                 pushplus_daily: int = 200, clock: Callable[[], float] = time.time) -> None:
        self.wecom_keys = wecom_keys
        self.sendkeys = sendkeys
        self.pushplus_tokens = pushplus_tokens
        self.apps = dict(apps) if apps is not None else {"wx0123456789abcdef": "fake-app-secret-0001"}
        self.openids = openids
        self.template_ids = template_ids
        self.subscriptions = dict(subscriptions or {})
        self.token_ttl = token_ttl
        self.wecom_per_minute = wecom_per_minute
        self.serverchan_daily = serverchan_daily
        self.pushplus_daily = pushplus_daily
        self.clock = clock
        self._lock = threading.Lock()
        self._requests: list[Recorded] = []
        self._problems: list[str] = []
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._tokens: dict[str, tuple[str, float]] = {}          # token → (appid, expires monotonic)
        self._current: dict[str, str] = {}                        # appid → current stable token
        self._wecom_sent: dict[str, deque[float]] = defaultdict(deque)
        self._daily: dict[tuple[str, str], int] = defaultdict(int)
        self._msgids = itertools.count(3717005636572528642)
        self._client_ids: set[str] = set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True      # headers and body are two writes: no 40 ms delayed-ACK stall

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"  # type: ignore[str-bytes-safe]

    def start(self) -> FakeWeChat:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), name="fake-wechat",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeWeChat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- inspection and scripting ------------------------------------------------------------------
    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    @property
    def problems(self) -> list[str]:
        with self._lock:
            return list(self._problems)

    def messages(self, channel: str) -> list[Any]:
        return [r.json for r in self.requests if r.channel == channel and r.ok]

    def count(self, channel: str) -> int:
        return sum(1 for r in self.requests if r.channel == channel)

    def assert_clean(self) -> None:
        assert not self.problems, self.problems

    def fail_next(self, channel: str, n: int = 1, *, errcode: int | None = None, status: int | None = None,
                  delay: float | None = None, body: Any = None) -> None:
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}")
        with self._lock:
            self._faults[channel].append(Fault(n, errcode, status, delay, body))

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens = {t: (app, 0.0) for t, (app, _) in self._tokens.items()}

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._problems.clear()
            self._faults.clear()
            self._tokens.clear()
            self._current.clear()
            self._wecom_sent.clear()
            self._daily.clear()
            self._client_ids.clear()

    # ---- HTTP plumbing ----------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        raw_q = parse_qs(parts.query, keep_blank_values=True)
        query = {k: v[-1] for k, v in raw_q.items()}
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        path = parts.path
        if path.startswith("/_fake/"):
            self._control(h, method, path, body)
            return
        channel = self._route(method, path)
        rec = Recorded(channel, method, path, query, {k.lower(): v for k, v in h.headers.items()}, body, None)
        try:
            rec.json = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError):
            rec.json = None
        with self._lock:
            self._requests.append(rec)
            fault = self._take_fault(channel)
        if fault and fault.delay:
            time.sleep(fault.delay)
        try:
            if any(len(v) > 1 for v in raw_q.values()):
                raise _Reject(400, {"errcode": 40035, "errmsg": "invalid args"}, f"{path}: repeated query parameter")
            if fault and (fault.status or fault.errcode is not None or fault.body is not None):
                status, reply = self._fault_reply(channel, fault)
            else:
                rec.ok = channel not in ("token", "unknown")      # a duplicate client_msg_id clears it
                status, reply = 200, self._dispatch(channel, rec, method, path, query)
        except _Reject as rej:
            rec.ok = False
            status, reply = rej.status, rej.body
            if rej.problem:
                with self._lock:
                    self._problems.append(f"{channel}: {rej.problem}")
        rec.status, rec.reply = status, reply
        data = reply if isinstance(reply, bytes) else json.dumps(reply, ensure_ascii=False).encode("utf-8")
        with contextlib.suppress(OSError):      # the client may have timed out and gone
            h.send_response(status)
            h.send_header("Content-Type", "application/json; charset=utf-8" if not isinstance(reply, bytes)
                          else "text/html; charset=utf-8")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)

    def _take_fault(self, channel: str) -> Fault | None:
        q = self._faults.get(channel)
        if not q:
            return None
        f = q[0]
        f.n -= 1
        if f.n <= 0:
            q.popleft()
        return f

    @staticmethod
    def _fault_reply(channel: str, f: Fault) -> tuple[int, Any]:
        if f.body is not None:
            return f.status or 200, f.body
        if f.errcode is None:
            return f.status or 500, b"<html><body>502 Bad Gateway</body></html>"
        if channel == "serverchan":
            return f.status or 200, {"code": f.errcode, "message": "fake fault"}
        if channel == "pushplus":
            return f.status or 200, {"code": f.errcode, "msg": "fake fault", "data": None}
        return f.status or 200, {"errcode": f.errcode, "errmsg": f"fake fault {f.errcode}"}

    @staticmethod
    def _route(method: str, path: str) -> str:
        if path == "/cgi-bin/webhook/send":
            return "wecom"
        if path in ("/cgi-bin/stable_token", "/cgi-bin/token"):
            return "token"
        if path == "/cgi-bin/message/template/send":
            return "template"
        if path == "/cgi-bin/message/subscribe/send":
            return "subscribe"
        if path == "/send":
            return "pushplus"
        if path.endswith(".send"):
            return "serverchan"
        return "unknown"

    def _control(self, h: BaseHTTPRequestHandler, method: str, path: str, body: bytes) -> None:
        status, reply = 200, {"ok": True}
        try:
            if path == "/_fake/requests":
                reply = {"requests": [r.to_dict() for r in self.requests]}  # type: ignore[dict-item]
            elif path == "/_fake/problems":
                reply = {"problems": self.problems}  # type: ignore[dict-item]
            elif path == "/_fake/fault" and method == "POST":
                d = json.loads(body or b"{}")
                self.fail_next(d["channel"], int(d.get("n", 1)), errcode=d.get("errcode"), status=d.get("status"),
                               delay=d.get("delay"), body=d.get("body"))
            elif path == "/_fake/expire_tokens" and method == "POST":
                self.expire_tokens()
            elif path == "/_fake/reset" and method == "POST":
                self.reset()
            else:
                status, reply = 404, {"ok": False}
        except (ValueError, KeyError) as exc:
            status, reply = 400, {"ok": False, "error": str(exc)}  # type: ignore[dict-item]
        data = json.dumps(reply, ensure_ascii=False).encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    # ---- the channels ---------------------------------------------------------------------------------
    def _dispatch(self, channel: str, rec: Recorded, method: str, path: str, query: dict[str, str]) -> Any:
        if channel == "unknown":
            raise _Reject(404, {"errcode": 404, "errmsg": "not found"}, f"unknown path {method} {path}")
        if channel == "token" and path == "/cgi-bin/token":
            return self._classic_token(method, query)
        if method != "POST":
            raise _Reject(200, {"errcode": 43002, "errmsg": "require POST method"}, f"{path}: {method} instead of POST")
        return getattr(self, f"_{channel}")(rec, path, query)

    @staticmethod
    def _json_ct(rec: Recorded, *, charset: bool = False) -> None:
        ct = rec.headers.get("content-type", "").replace(" ", "").lower()
        if not ct.startswith("application/json"):
            raise _Reject(400, {"errcode": 40035, "errmsg": "invalid content type"},
                          f"Content-Type {ct!r} is not application/json")
        if charset and "charset=utf-8" not in ct:
            raise _Reject(400, {"code": 400, "message": "charset required"},
                          f"Content-Type {ct!r} lacks charset=utf-8")

    @staticmethod
    def _body(rec: Recorded, allowed: set[str], required: set[str], reply: Any) -> dict[str, Any]:
        if not isinstance(rec.json, dict):
            raise _Reject(200, reply, "body is not a JSON object (or not UTF-8)")
        unknown = set(rec.json) - allowed
        missing = required - set(rec.json)
        if unknown or missing:
            raise _Reject(200, reply, f"fields: unknown {sorted(unknown)} missing {sorted(missing)}")
        return rec.json

    @staticmethod
    def _strings(d: dict[str, Any], *names: str, where: str, reply: Any) -> None:
        for n in names:
            if n in d and not isinstance(d[n], str):
                raise _Reject(200, reply, f"{where}.{n} must be a string, got {type(d[n]).__name__}")

    def _wecom(self, rec: Recorded, path: str, query: dict[str, str]) -> Any:
        if set(query) != {"key"}:
            raise _Reject(200, {"errcode": 93000, "errmsg": "invalid webhook url"}, f"query {sorted(query)} != [key]")
        key = query["key"]
        if not key or (self.wecom_keys is not None and key not in self.wecom_keys):
            raise _Reject(200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: key not found"})
        self._json_ct(rec)
        bad = {"errcode": 40008, "errmsg": "invalid message type"}
        d = rec.json if isinstance(rec.json, dict) else None
        mt = d.get("msgtype") if d else None
        if mt not in ("text", "markdown"):
            raise _Reject(200, bad, f"msgtype {mt!r} (the fake knows text and markdown)")
        body = self._body(rec, {"msgtype", mt}, {"msgtype", mt}, bad)
        inner = body[mt]
        if not isinstance(inner, dict) or not isinstance(inner.get("content"), str) or not inner["content"]:
            raise _Reject(200, {"errcode": 44004, "errmsg": "empty content"}, f"{mt}.content missing or empty")
        content = inner["content"]
        allowed = {"content", "mentioned_list", "mentioned_mobile_list"} if mt == "text" else {"content"}
        if set(inner) - allowed:
            raise _Reject(200, {"errcode": 40058, "errmsg": "invalid field"}, f"{mt}: unknown {set(inner) - allowed}")
        for lst in ("mentioned_list", "mentioned_mobile_list"):
            if lst in inner and not (isinstance(inner[lst], list) and all(isinstance(x, str) for x in inner[lst])):
                raise _Reject(200, {"errcode": 40058, "errmsg": "invalid mention"}, f"{lst} must be a list of str")
        limit = 2048 if mt == "text" else 4096
        size = len(content.encode("utf-8"))
        if size > limit:
            raise _Reject(200, {"errcode": 40058, "errmsg": f"{mt}.content exceed max length {limit}"},
                          f"{mt}.content is {size} bytes > {limit}")
        if mt == "markdown":
            colours = _FONT_RE.findall(content)
            if any(c not in ("info", "comment", "warning") for c in colours) \
                    or content.count("<font") != content.count("</font>"):
                raise _Reject(200, {"errcode": 40058, "errmsg": "invalid markdown"},
                              f"bad <font> tags: colours {colours}, {content.count('<font')} open / "
                              f"{content.count('</font>')} closed")
        with self._lock:
            q = self._wecom_sent[key]
            now = self.clock()
            while q and now - q[0] >= 60:
                q.popleft()
            if len(q) >= self.wecom_per_minute:
                raise _Reject(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
            q.append(now)
        return {"errcode": 0, "errmsg": "ok"}

    def _serverchan(self, rec: Recorded, path: str, query: dict[str, str]) -> Any:
        m3 = re.fullmatch(r"/send/(sctp\d+t[A-Za-z0-9]+)\.send", path)
        mt = re.fullmatch(r"/(SCT[A-Za-z0-9]+)\.send", path)
        if not (m3 or mt):
            raise _Reject(404, {"code": 404, "message": "not found"}, f"ServerChan path {path} matches no edition")
        key = (m3 or mt).group(1)  # type: ignore[union-attr]
        self._json_ct(rec, charset=True)
        if self.sendkeys is not None and key not in self.sendkeys:
            raise _Reject(200, {"code": 40001, "message": "bad pushkey"})
        bad = {"code": 40000, "message": "invalid params"}
        allowed = {"title", "desp", "short", "tags"} if m3 else {"title", "desp", "short", "noip", "channel", "openid"}
        body = self._body(rec, allowed, {"title"}, bad)
        self._strings(body, "title", "desp", "short", "tags", "channel", "openid", where="serverchan", reply=bad)
        if not body["title"] or len(body["title"]) > 32:
            raise _Reject(200, bad, f"title empty or > 32 characters: {len(body['title'])}")
        if "noip" in body and body["noip"] not in (0, 1, "0", "1"):
            raise _Reject(200, bad, f"noip {body['noip']!r}")
        if len(body.get("desp", "").encode("utf-8")) > 32 * 1024:
            raise _Reject(200, bad, "desp > 32 KB")
        with self._lock:
            day = self._day()
            if self._daily[("serverchan", key + day)] >= self.serverchan_daily:
                raise _Reject(400, {"code": 400, "message": f"超过当天的发送次数限制[{self.serverchan_daily}]"})
            self._daily[("serverchan", key + day)] += 1
        return {"code": 0, "message": "", "data": {"pushid": str(next(self._msgids)), "readkey": "rk",
                                                   "error": "SUCCESS", "errno": 0}}

    def _pushplus(self, rec: Recorded, path: str, query: dict[str, str]) -> Any:
        self._json_ct(rec)
        bad = {"code": 600, "msg": "数据错误", "data": None}
        body = self._body(rec, {"token", "title", "content", "template", "channel", "topic", "to", "webhook",
                                "callbackUrl", "timestamp"}, {"token", "content"}, bad)
        self._strings(body, "token", "title", "content", "template", "channel", "topic", "to", "webhook",
                      "callbackUrl", where="pushplus", reply=bad)
        if self.pushplus_tokens is not None and body["token"] not in self.pushplus_tokens:
            raise _Reject(200, {"code": 401, "msg": "用户token无效", "data": None})
        if len(body.get("title", "")) > 100:
            raise _Reject(200, bad, f"title > 100 characters: {len(body['title'])}")
        if body.get("template", "html") not in ("html", "txt", "json", "markdown", "cloudMonitor", "jenkins", "route",
                                                "pay"):
            raise _Reject(200, bad, f"template {body.get('template')!r}")
        if body.get("channel", "wechat") not in ("wechat", "webhook", "cp", "mail", "sms"):
            raise _Reject(200, bad, f"channel {body.get('channel')!r}")
        if not body["content"]:
            raise _Reject(200, bad, "empty content")
        with self._lock:
            day = self._day()
            if self._daily[("pushplus", body["token"] + day)] >= self.pushplus_daily:
                raise _Reject(200, {"code": 888, "msg": "积分不足", "data": None})
            self._daily[("pushplus", body["token"] + day)] += 1
        return {"code": 200, "msg": "请求成功", "data": _secrets.token_hex(16)}

    def _day(self) -> str:
        return str(int((self.clock() + 8 * 3600) // 86400))     # the China-time day of the fake's clock

    # ---- access tokens ------------------------------------------------------------------------------------
    def _issue(self, appid: str, *, keep_old_s: float = 0.0) -> tuple[str, float]:
        token = "FAKE_TOKEN_" + _secrets.token_urlsafe(96)       # real ones are long: reserve ≥ 512 chars
        now = self.clock()
        old = self._current.get(appid)
        if old and old in self._tokens:
            self._tokens[old] = (appid, min(self._tokens[old][1], now + keep_old_s))
        self._tokens[token] = (appid, now + self.token_ttl)
        self._current[appid] = token
        return token, self.token_ttl

    def _check_app(self, appid: Any, secret: Any) -> None:
        if appid not in self.apps:
            raise _Reject(200, {"errcode": 40013, "errmsg": "invalid appid"})
        if secret != self.apps[appid]:
            raise _Reject(200, {"errcode": 40125, "errmsg": "invalid appsecret"})

    def _token(self, rec: Recorded, path: str, query: dict[str, str]) -> Any:
        if query:
            raise _Reject(200, {"errcode": 40035, "errmsg": "invalid args"}, f"stable_token with query {sorted(query)}")
        self._json_ct(rec)
        bad = {"errcode": 40035, "errmsg": "invalid args"}
        body = self._body(rec, {"grant_type", "appid", "secret", "force_refresh"}, {"grant_type", "appid", "secret"},
                          bad)
        if body["grant_type"] != "client_credential":
            raise _Reject(200, {"errcode": 40002, "errmsg": "invalid grant_type"}, f"grant_type {body['grant_type']!r}")
        if "force_refresh" in body and not isinstance(body["force_refresh"], bool):
            raise _Reject(200, bad, "force_refresh must be a JSON boolean")
        self._check_app(body["appid"], body["secret"])
        with self._lock:
            cur = self._current.get(body["appid"])
            now = self.clock()
            if cur and not body.get("force_refresh") and self._tokens.get(cur, ("", 0.0))[1] > now:
                return {"access_token": cur, "expires_in": int(self._tokens[cur][1] - now)}
            token, ttl = self._issue(body["appid"])
        return {"access_token": token, "expires_in": int(ttl)}

    def _classic_token(self, method: str, query: dict[str, str]) -> Any:
        if method != "GET" or set(query) != {"grant_type", "appid", "secret"}:
            raise _Reject(200, {"errcode": 40035, "errmsg": "invalid args"}, f"/cgi-bin/token {method} {sorted(query)}")
        self._check_app(query["appid"], query["secret"])
        with self._lock:
            token, ttl = self._issue(query["appid"], keep_old_s=300)
        return {"access_token": token, "expires_in": int(ttl)}

    def _require_token(self, query: dict[str, str]) -> str:
        if set(query) != {"access_token"}:
            raise _Reject(200, {"errcode": 41001, "errmsg": "access_token missing"}, f"query {sorted(query)}")
        with self._lock:
            hit = self._tokens.get(query["access_token"])
        if hit is None:
            raise _Reject(200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not "
                                                            "latest"})
        if hit[1] <= self.clock():
            raise _Reject(200, {"errcode": 42001, "errmsg": "access_token expired"})
        return hit[0]

    def _data(self, body: dict[str, Any], *, typed: bool) -> None:
        data = body.get("data")
        if not isinstance(data, dict) or not data:
            raise _Reject(200, {"errcode": 47003, "errmsg": "argument invalid! data invalid"}, "data missing")
        for k, v in data.items():
            if not (isinstance(v, dict) and set(v) == {"value"} and isinstance(v["value"], str)):
                raise _Reject(200, {"errcode": 47003, "errmsg": f"argument invalid! data.{k}.value invalid"},
                              f"data.{k} must be {{'value': str}}, got {v!r}")
            broken = _subscribe_value_ok(k, v["value"]) if typed else None
            if broken:
                raise _Reject(200, {"errcode": 47003, "errmsg": f"argument invalid! data.{k}.value invalid"},
                              f"data.{k}.value {v['value']!r} breaks the {broken} rule")

    def _recipient(self, body: dict[str, Any]) -> None:
        if self.openids is not None and body["touser"] not in self.openids:
            raise _Reject(200, {"errcode": 40003, "errmsg": "invalid openid"})
        if self.template_ids is not None and body["template_id"] not in self.template_ids:
            raise _Reject(200, {"errcode": 40037, "errmsg": "invalid template_id"})

    def _template(self, rec: Recorded, path: str, query: dict[str, str]) -> Any:
        self._require_token(query)
        self._json_ct(rec)
        bad = {"errcode": 47001, "errmsg": "data format error"}
        body = self._body(rec, {"touser", "template_id", "url", "miniprogram", "client_msg_id", "data"},
                          {"touser", "template_id", "data"}, bad)
        self._strings(body, "touser", "template_id", "url", "client_msg_id", where="template", reply=bad)
        mp = body.get("miniprogram")
        if mp is not None and not (isinstance(mp, dict) and "appid" in mp and set(mp) <= {"appid", "pagepath"}):
            raise _Reject(200, bad, f"miniprogram {mp!r}")
        self._recipient(body)
        self._data(body, typed=True)
        with self._lock:
            cid = body.get("client_msg_id")
            if cid and cid in self._client_ids:
                rec.ok = False   # WeChat de-duplicates it: accepted, not delivered again
            if cid:
                self._client_ids.add(cid)
        return {"errcode": 0, "errmsg": "ok", "msgid": next(self._msgids)}

    def _subscribe(self, rec: Recorded, path: str, query: dict[str, str]) -> Any:
        self._require_token(query)
        self._json_ct(rec)
        bad = {"errcode": 47001, "errmsg": "data format error"}
        body = self._body(rec, {"touser", "template_id", "page", "miniprogram_state", "lang", "data"},
                          {"touser", "template_id", "data"}, bad)
        self._strings(body, "touser", "template_id", "page", "miniprogram_state", "lang", where="subscribe", reply=bad)
        if body.get("miniprogram_state", "formal") not in ("developer", "trial", "formal"):
            raise _Reject(200, bad, f"miniprogram_state {body.get('miniprogram_state')!r}")
        if body.get("lang", "zh_CN") not in ("zh_CN", "en_US", "zh_HK", "zh_TW"):
            raise _Reject(200, bad, f"lang {body.get('lang')!r}")
        self._recipient(body)
        self._data(body, typed=True)
        with self._lock:
            left = self.subscriptions.get(body["touser"])
            if left is not None:
                if left <= 0:
                    raise _Reject(200, {"errcode": 43101, "errmsg": "user refuse to accept the msg"})
                self.subscriptions[body["touser"]] = left - 1
        return {"errcode": 0, "errmsg": "ok"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Fake WeChat push channels for end-to-end tests")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--wecom-key", action="append", help="accepted WeCom webhook key (default: any)")
    a = p.parse_args(argv)
    fake = FakeWeChat(a.host, a.port, wecom_keys=set(a.wecom_key) if a.wecom_key else None)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    fake.start()
    print(f"FAKE_WECHAT_URL={fake.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
