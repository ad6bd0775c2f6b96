"""Session security (会话安全) of the Jupyter server: auth always on, idle logout, login audit, new-IP
alerts, optional TOTP second factor (双因素验证).

Hooks used (jupyter_server 2.x):

* ``ServerApp.identity_provider_class`` → :class:`QuantIdentityProvider`, a ``PasswordIdentityProvider``
  subclass. ``QuantExtension`` installs it when it is *linked* (before the ServerApp builds its
  configurables), unless another identity provider was configured.
* ``IdentityProvider.validate_security`` refuses to start without a token or a password (``sys.exit(1)``,
  the same mechanism as upstream ``PasswordIdentityProvider.password_required``).
* ``IdentityProvider.get_user`` (async) → idle check and activity tracking per login session; every
  authenticated request, page or websocket, passes through it.
* ``IdentityProvider.login_handler_class`` / ``logout_handler_class`` → :class:`QuantLoginHandler`
  (password/token → TOTP step → cookie; audit; lockout) and :class:`QuantLogoutHandler`.
* ``web_app.settings["page_config_data"]["token"]`` is blanked (:func:`hide_token_from_pages`) so the
  JupyterLab page authenticates with the login cookie, not the server token (see there).
* ``IdentityProvider.get_handlers`` adds ``/jupyterlab-quant/session`` (GET: idle status, POST: "the user
  is active" ping for a client-side activity tracker).

Login sessions. A login (form, or a browser opening ``/lab?token=…``) creates a session id (``sid``) kept
in the signed login cookie and in server memory with its last *activity* time. A cookie whose session is
unknown (server restarted, logged out, expired) is cleared and the request is unauthenticated: API calls
get 403, pages redirect to ``/login``. Requests with the token in the ``Authorization`` header (scripts,
``jlq``, tests) are authenticated per request and never open a login session.

What counts as activity (the idle rule). Only requests that carry a user action:

* any non-GET/HEAD/OPTIONS HTTP request (saves and autosaves of an edited document, kernel start/restart/
  interrupt, settings and workspace changes, backtest submissions, strategy saves, the POST ping above);
* a top-level page load (``Sec-Fetch-Mode: navigate``; without Sec-Fetch headers: ``Accept: text/html``).

Not activity: GET polls (kernel/session/terminal lists, status and job polling of our panels), websocket
opens and every websocket message (kernel heartbeats, comm traffic). When a session has been idle longer
than the limit it is ended: its cookie is refused and cleared, and the periodic sweep closes the kernel and
terminal websockets it opened (so an open tab cannot keep executing code) and audits ``logout.idle``.

Alert events. ``$JLQ_HOME/state/events.db`` holds::

    events(id INTEGER PRIMARY KEY, kind TEXT, created TEXT /* ISO-8601 UTC */, payload TEXT /* JSON */,
           delivered INTEGER DEFAULT 0)
    known_ips(user TEXT, ip TEXT, first_seen TEXT, last_seen TEXT, logins INTEGER, PRIMARY KEY(user, ip))

A successful login from an IP not in ``known_ips`` for the user appends a ``login.new_ip`` audit record and
an ``events`` row of kind ``login.new_ip`` (payload: user, ip, method, user_agent, at); the notification
service delivers undelivered rows and sets ``delivered=1``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import getpass
import hmac
import json
import os
import secrets
import stat
import sys
import time
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import tornado.web
import tornado.websocket
from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import PasswordIdentityProvider, User
from jupyter_server.auth.login import LoginFormHandler
from jupyter_server.auth.logout import LogoutHandler
from jupyter_server.auth.security import set_password
from jupyter_server.base.handlers import APIHandler
from tornado.escape import url_escape, xhtml_escape

from ..core.errors import InvalidInput
from ..vault.events import EventStore

TICKET_NAME = "jlq-totp-ticket"
TICKET_TTL_S = 300.0
TICKET_MAX_TRIES = 5
LOCKOUT_WINDOW_S = 600.0
TOKEN_FAIL_AUDIT_EVERY_S = 60.0
_IDLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TotpMisconfigured(InvalidInput):
    """A TOTP secret file is configured but missing or unreadable: password logins fail closed."""

    code = "totp_misconfigured"


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def owner_name() -> str:
    """The single user of the workstation (the OS account running the server)."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (some containers)
        return "owner"


# ---------------------------------------------------------------------------------------------- storage
def read_totp_secret(path: Path) -> str:
    """The base32 secret of a file written by ``jlq security totp-setup`` (raises TotpMisconfigured)."""
    try:
        secret = path.read_text(encoding="ascii").strip().replace(" ", "").upper()
    except (OSError, UnicodeDecodeError) as exc:
        raise TotpMisconfigured(f"无法读取 TOTP 密钥文件 {path} (cannot read the TOTP secret file): {exc}",
                                "运行 jlq security totp-setup 重新生成，或取消 c.QuantExtension.totp_secret_file "
                                "(run jlq security totp-setup, or unset the option)") from exc
    if len(secret) < 16:
        raise TotpMisconfigured(f"TOTP 密钥文件 {path} 内容无效 (not a base32 TOTP secret)",
                                "运行 jlq security totp-setup --force 重新生成")
    return secret


# ---------------------------------------------------------------------------------------------- sessions
@dataclass
class LoginSession:
    sid: str
    ip: str
    method: str
    last_activity: float
    sockets: weakref.WeakSet[tornado.websocket.WebSocketHandler] = field(default_factory=weakref.WeakSet)


def counts_as_activity(handler: tornado.web.RequestHandler) -> bool:
    """Does this request carry a user action? (see the module docstring for the rule)."""
    req = handler.request
    if isinstance(handler, tornado.websocket.WebSocketHandler) or \
            req.headers.get("Upgrade", "").lower() == "websocket":
        return False
    if req.method not in _IDLE_METHODS:
        return True
    mode = req.headers.get("Sec-Fetch-Mode")
    if mode is not None:
        return mode == "navigate"
    return "text/html" in req.headers.get("Accept", "") and \
        req.headers.get("X-Requested-With", "") != "XMLHttpRequest"


class QuantIdentityProvider(PasswordIdentityProvider):
    """Token/password auth with login sessions, idle logout, audit, new-IP alerts and TOTP.

    The product settings (data home, idle limit, TOTP file) live on ``QuantExtension`` and arrive through
    :meth:`configure` when the extension loads; until then the defaults below apply.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("login_handler_class", QuantLoginHandler)
        kwargs.setdefault("logout_handler_class", QuantLogoutHandler)
        super().__init__(**kwargs)
        self.home: Path | None = None
        self.idle_timeout_s = 30 * 60.0
        self.totp_file: Path | None = None
        self.totp_explicit = False
        self.max_login_failures = 10
        self.alert_new_ip = True
        self.clock: Callable[[], float] = time.monotonic
        self.sessions: dict[str, LoginSession] = {}
        self._failures: dict[str, deque[float]] = {}
        self._token_fail_audited: dict[str, float] = {}
        self._tickets_used: dict[str, int] = {}
        self._last_totp: tuple[str, int] | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jlq-security")
        self._audit_log: Any = None
        self._events: EventStore | None = None
        self._sweeper: Any = None

    # -- configuration --------------------------------------------------------------------------------
    def configure(self, *, home: Path, idle_timeout_s: float, totp_file: str, max_login_failures: int,
                  alert_new_ip: bool) -> None:
        self.home = home
        self.idle_timeout_s = max(0.0, float(idle_timeout_s))
        self.totp_explicit = bool(totp_file)
        self.totp_file = Path(os.path.expanduser(totp_file)) if totp_file else home / "state" / "totp.secret"
        self.max_login_failures = max(0, int(max_login_failures))
        self.alert_new_ip = alert_new_ip
        self._audit_log = None
        self._events = None
        if self.totp_explicit and not self.totp_file.exists():
            self.log.error("jupyterlab-quant: TOTP 密钥文件 %s 不存在，密码登录将被拒绝 (TOTP secret file missing: "
                           "password logins are refused until it exists; run `jlq security totp-setup`)",
                           self.totp_file)
        elif self.totp_enabled():
            self._check_totp_file_mode()
        self.log.info("jupyterlab-quant: 会话安全 session security on — idle logout %s, TOTP %s",
                      f"{self.idle_timeout_s / 60:g} min" if self.idle_timeout_s else "off",
                      "on" if self.totp_enabled() else "off")

    def totp_enabled(self) -> bool:
        return self.totp_explicit or bool(self.totp_file and self.totp_file.exists())

    def _check_totp_file_mode(self) -> None:
        assert self.totp_file is not None
        try:
            mode = stat.S_IMODE(self.totp_file.stat().st_mode)
        except OSError:
            return
        if mode & 0o077:
            self.log.warning("jupyterlab-quant: TOTP 密钥文件 %s 权限过宽 %o (should be 0600: chmod 600 it)",
                             self.totp_file, mode)

    @property
    def data_home(self) -> Path:
        if self.home is None:  # the extension has not loaded (yet): same default as Settings.from_env
            self.home = Path(os.path.expanduser(os.environ.get("JLQ_HOME") or "~/.jlq")).resolve()
        return self.home

    # -- auth always on -------------------------------------------------------------------------------
    def validate_security(self, app: Any, ssl_options: dict[str, Any] | None = None) -> None:
        super().validate_security(app, ssl_options)
        if not self.auth_enabled:
            refuse_without_auth(self.log)

    # -- identity ------------------------------------------------------------------------------------
    def _read_cookie(self, handler: tornado.web.RequestHandler) -> tuple[User | None, str | None]:
        raw = handler.get_secure_cookie(self.get_cookie_name(handler), **self.get_secure_cookie_kwargs)
        if not raw:
            return None, None
        try:
            data = json.loads(raw.decode())
            user = User(data["username"], data.get("name", ""), data.get("display_name", ""),
                        data.get("initials"), data.get("avatar_url"), data.get("color"))
            return user, data.get("sid")
        except Exception:
            return None, None

    def set_login_cookie(self, handler: tornado.web.RequestHandler, user: User) -> None:
        """As upstream, plus the login-session id (``sid``) in the signed cookie value."""
        options = dict(self.cookie_options)
        options.setdefault("httponly", True)
        secure = self.secure_cookie if self.secure_cookie is not None else handler.request.protocol == "https"
        if secure:
            options.setdefault("secure", True)
        options.setdefault("samesite", "Lax")
        options.setdefault("path", cast(Any, handler).base_url)
        value = json.loads(self.user_to_cookie(user))
        value["sid"] = getattr(handler, "_jlq_sid", None)
        handler.set_secure_cookie(self.get_cookie_name(handler), json.dumps(value), **options)

    async def _get_user(self, handler: tornado.web.RequestHandler) -> User | None:
        cached = getattr(handler, "_jupyter_current_user", None)
        if cached:
            return cast(User, cached)
        ip = handler.request.remote_ip or ""
        presented = self.get_token(handler) or ""
        token_ok = bool(self.token) and bool(presented) and hmac.compare_digest(presented.encode(),
                                                                                  str(self.token).encode())
        cookie_user, sid = self._read_cookie(handler)
        user: User | None = None
        if cookie_user is not None:
            session = self.sessions.get(sid or "")
            if session is not None and self._expired(session):
                self.end_session(session.sid, "logout.idle")
                session = None
            if session is None:
                self.log.info("jupyterlab-quant: 登录会话已结束 login session ended (idle, logged out or server "
                              "restarted) — cookie cleared")
                self.clear_login_cookie(handler)
                handler._jlq_session_ended = True  # type: ignore[attr-defined]
            else:
                cast(Any, handler)._jlq_sid = session.sid
                if isinstance(handler, tornado.websocket.WebSocketHandler):
                    session.sockets.add(handler)
                elif counts_as_activity(handler):
                    session.last_activity = self.clock()
                user = cookie_user
        if token_ok:
            cast(Any, handler)._token_authenticated = True
            if user is None:
                user = self.generate_anonymous_user(handler)
                if handler.get_argument("token", "") and not isinstance(handler, tornado.websocket.WebSocketHandler):
                    # a login link opened in a browser (?token=…): start a login session
                    await self.start_session(handler, user, "token")
            return user
        if presented and user is None:
            self._failed_token(handler, ip)
        return user

    def _failed_token(self, handler: tornado.web.RequestHandler, ip: str) -> None:
        """A wrong token (URL or header): audited, at most once a minute per IP (scripts retry a lot)."""
        now = self.clock()
        if now - self._token_fail_audited.get(ip, -1e18) < TOKEN_FAIL_AUDIT_EVERY_S:
            return
        self._token_fail_audited[ip] = now
        via = "url" if handler.get_argument("token", "") else "header"
        self.log.warning("jupyterlab-quant: 令牌错误 invalid token from %s (%s)", ip, via)
        self.submit(self._audit, "login.failed", "session", {"method": "token", "reason": "bad_token", "via": via},
                    ip)

    def _expired(self, session: LoginSession) -> bool:
        return bool(self.idle_timeout_s) and self.clock() - session.last_activity > self.idle_timeout_s

    # -- login sessions ------------------------------------------------------------------------------
    async def start_session(self, handler: tornado.web.RequestHandler, user: User, method: str) -> str:
        ip = handler.request.remote_ip or ""
        sid = secrets.token_urlsafe(18)
        self.sessions[sid] = LoginSession(sid, ip, method, self.clock())
        cast(Any, handler)._jlq_sid = sid
        self.set_login_cookie(handler, user)
        self._failures.pop(ip, None)
        ua = handler.request.headers.get("User-Agent", "")[:200]
        self.log.info("jupyterlab-quant: 登录成功 login (%s) from %s", method, ip)
        try:
            await asyncio.wrap_future(self.submit(self._record_login, method, ip, ua, sid[:8]))
        except Exception as exc:  # the login stands; the audit failure is loud in the log
            self.log.error("jupyterlab-quant: 登录审计失败 login audit failed: %s", exc)
        return sid

    def end_session(self, sid: str, action: str) -> None:
        session = self.sessions.pop(sid, None)
        if session is None:
            return
        for ws in list(session.sockets):
            with contextlib.suppress(Exception):  # already closing
                ws.close(4001, "session ended")
        self.log.info("jupyterlab-quant: 会话结束 %s from %s", action, session.ip)
        self.submit(self._audit, action, "session", {"method": session.method, "sid": sid[:8],
                                                      "idle_timeout_s": self.idle_timeout_s}, session.ip)

    def sweep(self) -> None:
        """End every session idle longer than the limit (run periodically by the extension)."""
        for session in [s for s in self.sessions.values() if self._expired(s)]:
            self.end_session(session.sid, "logout.idle")

    def failures(self, ip: str) -> int:
        q = self._failures.get(ip)
        if not q:
            return 0
        now = self.clock()
        while q and now - q[0] > LOCKOUT_WINDOW_S:
            q.popleft()
        return len(q)

    def locked_out(self, ip: str) -> bool:
        return bool(self.max_login_failures) and self.failures(ip) >= self.max_login_failures

    def record_failure(self, ip: str, method: str, reason: str) -> None:
        self._failures.setdefault(ip, deque()).append(self.clock())
        self.log.warning("jupyterlab-quant: 登录失败 failed login (%s, %s) from %s", method, reason, ip)
        self.submit(self._audit, "login.failed", "session", {"method": method, "reason": reason}, ip)

    # -- credentials ---------------------------------------------------------------------------------
    def check_first_factor(self, handler: tornado.web.RequestHandler) -> str | None:
        """'password', 'token' or None. Token + new_password sets the password (upstream behaviour)."""
        typed = handler.get_argument("password", default="")
        new_password = handler.get_argument("new_password", default="")
        if not typed:
            return None
        if self.hashed_password and self.passwd_check(typed) and not new_password:
            return "password"
        if self.token and hmac.compare_digest(typed.encode(), str(self.token).encode()):
            if new_password and self.allow_password_change:
                config_file = os.path.join(handler.settings.get("config_dir", ""), "jupyter_server_config.json")
                self.hashed_password = set_password(new_password, config_file=config_file)
                self.log.info("jupyterlab-quant: 已写入密码 wrote hashed password to %s", config_file)
            return "token"
        return None

    def verify_totp(self, code: str) -> bool:
        """Check a 6-digit code (±1 step for clock drift); a code is accepted once (no replay)."""
        import pyotp

        assert self.totp_file is not None
        secret = read_totp_secret(self.totp_file)
        code = code.strip().replace(" ", "")
        if not (code.isdigit() and len(code) == 6):
            return False
        totp = pyotp.TOTP(secret)
        now = time.time()
        for drift in (0, -1, 1):
            at = now + drift * totp.interval
            if hmac.compare_digest(totp.at(at), code):
                counter = totp.timecode(dt.datetime.fromtimestamp(at, dt.UTC))
                if self._last_totp is not None and self._last_totp == (code, counter):
                    return False
                self._last_totp = (code, counter)
                return True
        return False

    def make_ticket(self, handler: tornado.web.RequestHandler) -> str:
        """A signed, short-lived proof that the password step passed (carried by the TOTP form)."""
        value = json.dumps({"ip": handler.request.remote_ip, "n": secrets.token_hex(8), "t": time.time()})
        return handler.create_signed_value(TICKET_NAME, value).decode()

    def open_ticket(self, handler: tornado.web.RequestHandler, ticket: str) -> str | None:
        """The nonce of a valid ticket for this client, or None (forged, expired, other IP, too many tries)."""
        raw = tornado.web.decode_signed_value(handler.application.settings["cookie_secret"], TICKET_NAME, ticket,
                                              max_age_days=1)
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if data.get("ip") != handler.request.remote_ip or time.time() - float(data.get("t", 0)) > TICKET_TTL_S:
            return None
        nonce = str(data.get("n"))
        if self._tickets_used.get(nonce, 0) >= TICKET_MAX_TRIES:
            return None
        return nonce

    def spend_ticket(self, nonce: str, *, success: bool) -> None:
        self._tickets_used[nonce] = TICKET_MAX_TRIES if success else self._tickets_used.get(nonce, 0) + 1
        if len(self._tickets_used) > 1000:  # tickets expire after 5 minutes; keep the map small
            for key in list(self._tickets_used)[:500]:
                del self._tickets_used[key]

    # -- audit / events (on one writer thread, never on the event loop) --------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self._writer.submit(self._guarded, fn, *args)

    def _guarded(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:
            self.log.error("jupyterlab-quant: 安全审计写入失败 security audit write failed: %s", exc)
            raise

    def _audit(self, action: str, target: str, detail: dict[str, Any] | None, ip: str | None) -> None:
        if self._audit_log is None:
            from ..vault.audit import AuditLog

            self._audit_log = AuditLog(self.data_home / "state" / "audit.db")
        self._audit_log.append(action, target=target, detail=detail, actor=owner_name(), ip=ip)

    def events_store(self) -> EventStore:
        if self._events is None:
            self._events = EventStore(self.data_home / "state" / "events.db")
        return self._events

    def _record_login(self, method: str, ip: str, user_agent: str, sid8: str) -> None:
        user = owner_name()
        self._audit("login", "session", {"method": method, "sid": sid8, "user_agent": user_agent}, ip)
        if self.events_store().note_ip(user, ip):
            detail = {"method": method, "user": user, "user_agent": user_agent}
            self._audit("login.new_ip", "session", detail, ip)
            if self.alert_new_ip:
                self.events_store().add_event("login.new_ip", {**detail, "ip": ip, "at": _now_iso()})

    def get_handlers(self) -> list[tuple[str, object]]:
        return [*super().get_handlers(), (r"/jupyterlab-quant/session", SessionHandler)]


def hide_token_from_pages(web_settings: dict[str, Any]) -> bool:
    """Keep the server token out of the JupyterLab page (``page_config_data["token"]``).

    JupyterLab embeds the token in every page and then sends it with every API request and websocket URL,
    which would authenticate an idle browser forever. Without it the page runs on the login cookie (+ XSRF),
    exactly as with a password-only server, so the idle rule applies. Returns True when a token was removed."""
    page_config = web_settings.get("page_config_data")
    if isinstance(page_config, dict) and page_config.get("token"):
        page_config["token"] = ""
        return True
    return False


def refuse_without_auth(log: Any) -> None:
    """Stop the server: jupyterlab-quant never serves without a token or a password."""
    log.critical("jupyterlab-quant: 拒绝在无认证状态下运行 — 令牌为空且未设置密码。"
                 "Refusing to run with authentication disabled (empty token and no password).")
    log.critical("jupyterlab-quant: 去掉 --IdentityProvider.token='' ，或设置密码: "
                 "`jupyter server password` (or start with `jlq lab`, which always generates a token).")
    sys.exit(1)


# ---------------------------------------------------------------------------------------------- handlers
TOTP_PAGE = """{% extends "page.html" %}
{% block site %}
<div id="jupyter-main-app" class="container">
  <div class="row"><div class="navbar col-sm-8"><div class="navbar-inner"><div class="container">
    <div class="center-nav">
      <form action="{{base_url}}login?next={{next}}" method="post" class="navbar-form pull-left">
        {{ xsrf_form_html() | safe }}
        <input type="hidden" name="totp_ticket" value="{{ticket}}">
        <label for="totp_input"><strong>验证码 (6-digit authenticator code):</strong></label>
        <input type="text" name="totp" id="totp_input" inputmode="numeric" autocomplete="one-time-code"
               pattern="[0-9 ]{6,7}" maxlength="7" autofocus class="form-control">
        <button type="submit" class="btn btn-default" id="totp_submit">验证 Verify</button>
      </form>
    </div>
  </div></div></div></div>
  {% if message %}<div class="row"><div class="message error">{{message}}</div></div>{% endif %}
</div>
{% endblock %}
"""


class QuantLoginHandler(LoginFormHandler):
    """Login form: password or token, then (password logins with TOTP on) the 6-digit code."""

    @property
    def idp(self) -> QuantIdentityProvider:
        return cast(QuantIdentityProvider, self.identity_provider)

    def _render_totp(self, ticket: str, message: str = "") -> None:
        env = self.settings["jinja2_env"]
        html = env.from_string(TOTP_PAGE).render(
            **self.template_namespace, ticket=xhtml_escape(ticket), message=message,
            next=url_escape(self.get_argument("next", default=self.base_url)))
        self.write(html)

    def _fail(self, status: int, message: str, ticket: str | None = None) -> None:
        self.set_status(status)
        if ticket is not None:
            self._render_totp(ticket, message)
        else:
            self._render(message={"error": message})

    async def _login(self, method: str) -> None:
        user = self.idp.generate_anonymous_user(self)
        self.current_user = user
        await self.idp.start_session(self, user, method)
        self._redirect_safe(self.get_argument("next", default=self.base_url))

    @allow_unauthenticated
    async def post(self) -> None:  # type: ignore[override]
        idp = self.idp
        ip = self.request.remote_ip or ""
        if idp.locked_out(ip):
            idp.submit(idp._audit, "login.failed", "session", {"reason": "locked_out"}, ip)
            self._fail(429, "登录失败次数过多，请 10 分钟后再试 (too many failed logins: try again in 10 minutes)")
            return
        ticket = self.get_argument("totp_ticket", default="")
        if ticket:  # step 2: the code
            nonce = idp.open_ticket(self, ticket)
            if nonce is None:
                idp.record_failure(ip, "password", "totp_ticket_invalid")
                self._fail(401, "验证已过期，请重新登录 (verification expired: log in again)")
                return
            code = self.get_argument("totp", default="")
            ok = await self._check_code(code)
            idp.spend_ticket(nonce, success=ok)
            if not ok:
                idp.record_failure(ip, "password", "totp_missing" if not code.strip() else "totp_wrong")
                self._fail(401, "验证码错误 (wrong or missing code)", ticket)
                return
            await self._login("password+totp")
            return
        method = await asyncio.to_thread(idp.check_first_factor, self)  # argon2: ~0.1–0.5 s, off the loop
        if method is None:
            idp.record_failure(ip, "password" if idp.hashed_password else "token", "bad_credentials")
            self._fail(401, "密码或令牌错误 (invalid password or token)")
            return
        if method == "password" and idp.totp_enabled():
            code = self.get_argument("totp", default="")
            if not code.strip():  # ask for the code after the password
                self._render_totp(idp.make_ticket(self))
                return
            if not await self._check_code(code):
                idp.record_failure(ip, "password", "totp_wrong")
                self._fail(401, "验证码错误 (wrong code)", idp.make_ticket(self))
                return
            method = "password+totp"
        await self._login(method)

    async def _check_code(self, code: str) -> bool:
        try:
            return await asyncio.to_thread(self.idp.verify_totp, code)
        except TotpMisconfigured as exc:
            self.log.error("jupyterlab-quant: %s", exc)
            return False


class QuantLogoutHandler(LogoutHandler):
    """Logout ends the login session server-side too (and is audited)."""

    @allow_unauthenticated
    def get(self) -> None:
        idp = cast(QuantIdentityProvider, self.identity_provider)
        _, sid = idp._read_cookie(self)
        if sid:
            idp.end_session(sid, "logout")
        super().get()


class SessionHandler(APIHandler):
    """``GET``: the login session's idle status (not activity). ``POST``: the user is active (a client-side
    activity tracker pings this at most once a minute while the user types or clicks)."""

    def _status(self) -> dict[str, Any]:
        idp = cast(QuantIdentityProvider, self.identity_provider)
        session = idp.sessions.get(getattr(self, "_jlq_sid", "") or "")
        remaining = None
        if session is not None and idp.idle_timeout_s:
            remaining = max(0.0, idp.idle_timeout_s - (idp.clock() - session.last_activity))
        return {"session": session is not None, "method": session.method if session else "token",
                "idle_timeout_s": idp.idle_timeout_s, "idle_remaining_s": remaining, "totp": idp.totp_enabled()}

    @tornado.web.authenticated
    def get(self) -> None:
        self.finish(json.dumps(self._status()))

    @tornado.web.authenticated
    def post(self) -> None:
        self.finish(json.dumps(self._status()))
