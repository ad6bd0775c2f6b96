"""Session security: auth always on, idle logout, login audit with IP, new-IP alerts, TOTP, TLS certificate.

The login tests run a real ServerApp in process (pytest-jupyter) with our identity provider, a password and
a token; the browser is emulated with a cookie jar (cookies + ``_xsrf`` as a login form posts them). The idle
clock is the provider's ``clock`` attribute, advanced by the test — no sleeping.
"""

from __future__ import annotations

import json
import os
import ssl
import stat
import subprocess
import sys
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pyotp
import pytest
from cryptography import x509
from jupyter_server.auth import passwd
from tornado.httpclient import HTTPResponse

from jupyterlab_quant.cli import main as jlq
from jupyterlab_quant.server.security import EventStore, QuantIdentityProvider, counts_as_activity
from jupyterlab_quant.vault.audit import AuditLog

PASSWORD = "马到成功-correct-horse"
HASHED = passwd(PASSWORD)


@pytest.fixture
def sec_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "state").mkdir(parents=True)
    return home


@pytest.fixture
def jp_server_config(sec_home: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_quant": True}, "allow_unauthenticated_access": False},
        "PasswordIdentityProvider": {"hashed_password": HASHED},
        "QuantExtension": {"data_home": str(sec_home), "idle_timeout_minutes": 1.0},
    }


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def idp(jp_serverapp: Any) -> QuantIdentityProvider:
    provider = jp_serverapp.identity_provider
    assert isinstance(provider, QuantIdentityProvider)
    provider.clock = FakeClock()
    return provider


class Browser:
    """A cookie jar over jp_fetch; never sends the test token header; optional source IP."""

    def __init__(self, fetch: Any, ip: str | None = None) -> None:
        self.fetch = fetch
        self.ip = ip
        self.cookies: dict[str, str] = {}

    async def req(self, *parts: str, method: str = "GET", form: dict[str, str] | None = None,
                  headers: dict[str, str] | None = None, params: dict[str, str] | None = None) -> HTTPResponse:
        h = {"Authorization": "", **(headers or {})}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {"_xsrf": self.cookies.get("_xsrf", ""), **form}
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        elif method not in ("GET", "HEAD"):
            body = "{}"
            h["X-XSRFToken"] = self.cookies.get("_xsrf", "")
        kw: dict[str, Any] = {"network_interface": self.ip} if self.ip else {}
        r = await self.fetch(*parts, method=method, body=body, headers=h, params=params, follow_redirects=False,
                             raise_error=False, **kw)
        for raw in r.headers.get_list("Set-Cookie"):
            c = SimpleCookie()
            c.load(raw)
            for name, morsel in c.items():
                if morsel.value and not morsel["expires"].startswith(("Thu, 01 Jan 1970", "Sat, 01 Jan 2000")) \
                        and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return r

    async def login(self, password: str = PASSWORD, **extra: str) -> HTTPResponse:
        await self.req("login")  # sets the _xsrf cookie, as the login page does
        return await self.req("login", method="POST", form={"password": password, **extra})

    def has_login_cookie(self) -> bool:
        return any(k.startswith("username-") for k in self.cookies)


def audit(home: Path, action: str | None = None) -> list[Any]:
    return AuditLog(home / "state" / "audit.db").list(action=action, limit=1000)


def flush(idp: QuantIdentityProvider) -> None:
    idp.submit(lambda: None).result(timeout=10)  # the single writer thread has finished earlier work


# ------------------------------------------------------------------------------------------------ refusal
REFUSE = r"""
import sys
from jupyter_server.serverapp import ServerApp
app = ServerApp(jpserver_extensions={"jupyterlab_quant": True}, root_dir=sys.argv[1], open_browser=False,
                allow_root=True)
app.initialize(argv=sys.argv[2:])
print("STARTED-WITHOUT-AUTH")
"""


@pytest.mark.parametrize("argv", [["--IdentityProvider.token="],
                                  ["--IdentityProvider.token=", "--ServerApp.identity_provider_class="
                                   "jupyter_server.auth.identity.PasswordIdentityProvider",
                                   "--QuantExtension.session_security=False"]])
def test_server_without_auth_is_refused(tmp_path: Path, argv: list[str]) -> None:
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JLQ_HOME": str(tmp_path / "home"), "JUPYTER_TOKEN": ""}
    r = subprocess.run([sys.executable, "-c", REFUSE, str(tmp_path), *argv], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "STARTED-WITHOUT-AUTH" not in r.stdout
    assert "Refusing to run with authentication disabled" in r.stderr


# ------------------------------------------------------------------------------------------------ logins
async def test_logins_are_audited_with_ip_and_new_ip_raises_an_alert(jp_fetch, idp, sec_home) -> None:
    b = Browser(jp_fetch)
    r = await b.login("wrong password")
    assert r.code == 401 and "invalid password or token" in r.body.decode()
    assert not b.has_login_cookie()
    r = await b.login()
    assert r.code == 302 and b.has_login_cookie()
    assert (await b.req("api", "contents")).code == 200  # the cookie session authenticates
    flush(idp)
    failed = audit(sec_home, "login.failed")
    assert [(x.ip, x.detail["reason"]) for x in failed] == [("127.0.0.1", "bad_credentials")]
    ok = [x for x in audit(sec_home, "login") if x.action == "login"]
    assert [(x.ip, x.detail["method"]) for x in ok] == [("127.0.0.1", "password")]
    assert [x.ip for x in audit(sec_home, "login.new_ip")] == ["127.0.0.1"]

    # the same IP again: no new alert; another IP: audit record + alert event
    assert (await Browser(jp_fetch).login()).code == 302
    other = Browser(jp_fetch, ip="127.0.0.2")
    assert (await other.login()).code == 302
    flush(idp)
    assert [x.ip for x in audit(sec_home, "login.new_ip")] == ["127.0.0.2", "127.0.0.1"]
    events = EventStore(sec_home / "state" / "events.db").events("login.new_ip")
    assert [(e["payload"]["ip"], e["delivered"]) for e in events] == [("127.0.0.1", 0), ("127.0.0.2", 0)]
    assert events[1]["payload"]["method"] == "password" and events[1]["created"].endswith("+00:00")
    assert len(audit(sec_home, "login.failed")) == 1
    # the audit chain stays intact with the server appending
    assert AuditLog(sec_home / "state" / "audit.db").verify().ok


async def test_token_logins_are_audited(jp_fetch, idp, sec_home) -> None:
    b = Browser(jp_fetch)
    r = await b.req("jupyterlab-quant", "session", params={"token": "not-the-token"})
    assert r.code == 403
    r = await b.req("jupyterlab-quant", "session", params={"token": idp.token})  # a login link (?token=)
    assert r.code == 200 and b.has_login_cookie() and json.loads(r.body)["session"] is True
    b2 = Browser(jp_fetch)
    await b2.req("login")
    assert (await b2.req("login", method="POST", form={"password": idp.token})).code == 302  # token in the form
    # header-token API calls (scripts, tests) are not logins and open no session
    assert (await jp_fetch("jupyterlab-quant", "session")).code == 200
    flush(idp)
    assert [x.detail["method"] for x in audit(sec_home, "login") if x.action == "login"] == ["token", "token"]
    assert [(x.ip, x.detail["reason"]) for x in audit(sec_home, "login.failed")] == [("127.0.0.1", "bad_token")]
    assert len(idp.sessions) == 2


async def test_logout_ends_the_session_server_side(jp_fetch, idp, sec_home) -> None:
    b = Browser(jp_fetch)
    assert (await b.login()).code == 302
    stolen = dict(b.cookies)  # a copy of the cookie must not outlive the logout
    assert (await b.req("logout")).code == 200
    thief = Browser(jp_fetch)
    thief.cookies = stolen
    assert (await thief.req("api", "contents")).code == 403
    flush(idp)
    assert len(audit(sec_home, "logout")) == 1 and not idp.sessions


async def test_repeated_failures_lock_the_ip_out(jp_fetch, idp, sec_home) -> None:
    idp.max_login_failures = 3
    b = Browser(jp_fetch)
    for _ in range(3):
        assert (await b.login("nope")).code == 401
    assert (await b.login()).code == 429  # even the right password, until the window passes
    idp.clock.advance(601)  # type: ignore[attr-defined]
    assert (await b.login()).code == 302


# ------------------------------------------------------------------------------------------------ idle
async def test_idle_session_is_logged_out_and_activity_keeps_it(jp_fetch, idp, sec_home) -> None:
    clock = idp.clock
    assert idp.idle_timeout_s == 60.0  # c.QuantExtension.idle_timeout_minutes = 1
    b = Browser(jp_fetch)
    assert (await b.login()).code == 302
    clock.advance(50)  # type: ignore[attr-defined]
    # a user action (non-GET) 50 s in keeps the session alive past the first minute
    r = await b.req("jupyterlab-quant", "session", method="POST")
    assert r.code == 200, r.body
    clock.advance(50)  # type: ignore[attr-defined]
    r = await b.req("api", "contents")  # a poll: allowed, but it is not activity
    assert r.code == 200
    clock.advance(15)  # type: ignore[attr-defined]  # 65 s since the last action
    r = await b.req("api", "contents")
    assert r.code == 403
    assert not b.has_login_cookie()  # the cookie was cleared
    # a page load now lands on the login page
    r = await b.req("jupyterlab-quant", "session", headers={"Sec-Fetch-Mode": "navigate", "Accept": "text/html"})
    assert r.code == 403
    r = await b.req("api", "contents")
    assert r.code == 403
    flush(idp)
    idle = audit(sec_home, "logout.idle")
    assert len(idle) == 1 and idle[0].ip == "127.0.0.1"
    # the header token still works for scripts; logging in again works
    assert (await jp_fetch("api", "contents")).code == 200
    assert (await b.login()).code == 302 and (await b.req("api", "contents")).code == 200


async def test_polls_alone_do_not_keep_a_session(jp_fetch, idp) -> None:
    b = Browser(jp_fetch)
    assert (await b.login()).code == 302
    for _ in range(4):  # 4 × 20 s of GET polls, no user action
        idp.clock.advance(20)  # type: ignore[attr-defined]
        r = await b.req("api", "contents")
    assert r.code == 403


async def test_sweep_closes_websockets_of_idle_sessions(jp_fetch, jp_ws_fetch, idp, sec_home) -> None:
    b = Browser(jp_fetch)
    assert (await b.login()).code == 302
    r = await jp_fetch("api", "terminals", method="POST", body="{}")
    name = json.loads(r.body)["name"]
    # jp_ws_fetch connects to "localhost"; the login cookie's name follows the Host it was set for
    cookie = "; ".join(f"{k}={v}" for k, v in b.cookies.items())
    host = next(k for k in b.cookies if k.startswith("username-")).removeprefix("username-127-0-0-1-")
    ws = await jp_ws_fetch("terminals", "websocket", name,
                           headers={"Authorization": "", "Cookie": cookie, "Host": f"127.0.0.1:{host}"})
    idp.clock.advance(30)  # type: ignore[attr-defined]
    idp.sweep()
    ws.write_message(json.dumps(["stdin", "echo hi\r"]))  # still open before the limit
    idp.clock.advance(31)  # type: ignore[attr-defined]
    idp.sweep()
    while await ws.read_message() is not None:  # drains, then the server closes
        pass
    assert ws.close_code == 4001
    assert not idp.sessions
    await jp_fetch("api", "terminals", name, method="DELETE")


def test_activity_rule() -> None:
    class Req:
        def __init__(self, method: str, headers: dict[str, str]) -> None:
            self.method, self.headers = method, headers

    class H:
        def __init__(self, method: str, **headers: str) -> None:
            self.request = Req(method, {k.replace("_", "-"): v for k, v in headers.items()})

    assert counts_as_activity(H("PUT"))  # type: ignore[arg-type]  # contents save
    assert counts_as_activity(H("POST"))  # type: ignore[arg-type]
    assert counts_as_activity(H("GET", Sec_Fetch_Mode="navigate"))  # type: ignore[arg-type]  # page load
    assert not counts_as_activity(H("GET", Sec_Fetch_Mode="cors", Accept="*/*"))  # type: ignore[arg-type]
    assert not counts_as_activity(H("GET", Accept="application/json"))  # type: ignore[arg-type]
    assert not counts_as_activity(H("GET", Upgrade="websocket"))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ TOTP
async def test_totp_is_required_after_the_password(jp_fetch, idp, sec_home, capsys) -> None:
    assert jlq(["--home", str(sec_home), "security", "totp-setup"]) == 0
    out = capsys.readouterr().out
    uri = next(w for w in out.split() if w.startswith("otpauth://totp/"))
    secret_file = sec_home / "state" / "totp.secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    totp = pyotp.parse_uri(uri)
    assert totp.secret == secret_file.read_text().strip()
    assert jlq(["--home", str(sec_home), "security", "totp-setup"]) == 2  # refuses to replace without --force

    b = Browser(jp_fetch)
    r = await b.login()
    assert r.code == 200 and not b.has_login_cookie()  # the password step passed: the code form
    page = r.body.decode()
    assert 'name="totp"' in page
    ticket = page.split('name="totp_ticket" value="')[1].split('"')[0]
    r = await b.req("login", method="POST", form={"totp_ticket": ticket, "totp": ""})
    assert r.code == 401 and not b.has_login_cookie()
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    r = await b.req("login", method="POST", form={"totp_ticket": ticket, "totp": wrong})
    assert r.code == 401 and not b.has_login_cookie()
    r = await b.req("login", method="POST", form={"totp_ticket": "forged", "totp": totp.now()})
    assert r.code == 401 and not b.has_login_cookie()
    r = await b.req("login", method="POST", form={"totp_ticket": ticket, "totp": totp.now()})
    assert r.code == 302 and b.has_login_cookie()
    assert (await b.req("api", "contents")).code == 200
    # a password with a wrong code in one form (API clients) is rejected too
    r = await Browser(jp_fetch).login(totp=wrong)
    assert r.code == 401
    flush(idp)
    reasons = [x.detail["reason"] for x in reversed(audit(sec_home, "login.failed"))]
    assert reasons == ["totp_missing", "totp_wrong", "totp_ticket_invalid", "totp_wrong"]
    assert [x.detail["method"] for x in audit(sec_home, "login") if x.action == "login"] == ["password+totp"]


# ------------------------------------------------------------------------------------------------ TLS
def test_tls_cert_has_the_hosts_and_loads_in_ssl(tmp_path: Path, capsys) -> None:
    out = tmp_path / "tls"
    assert jlq(["--home", str(tmp_path / "home"), "tls-cert", "--out", str(out),
                "--hosts", "192.168.1.10,localhost", "--hosts", "quant.lan"]) == 0
    assert "--ServerApp.certfile=" in capsys.readouterr().out
    cert_file, key_file, ca_file = out / "cert.pem", out / "key.pem", out / "jlq-ca.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "jlq-ca.key").stat().st_mode) == 0o600
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)  # key matches, PEM valid
    client = ssl.create_default_context(cafile=str(ca_file))
    assert client.cert_store_stats()["x509_ca"] == 1
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    ips = {str(v) for v in san.get_values_for_type(x509.IPAddress)}
    names = set(san.get_values_for_type(x509.DNSName))
    assert {"192.168.1.10", "127.0.0.1"} <= ips and {"localhost", "quant.lan"} <= names
    ca = x509.load_pem_x509_certificate(ca_file.read_bytes())
    cert.verify_directly_issued_by(ca)
    # a second run re-issues the server certificate with the same CA (trusted once on the tablet)
    assert jlq(["--home", str(tmp_path / "home"), "tls-cert", "--out", str(out), "--hosts", "10.0.0.7"]) == 0
    again = x509.load_pem_x509_certificate(cert_file.read_bytes())
    again.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_file.read_bytes()))
    assert "10.0.0.7" in {str(v) for v in again.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.IPAddress)}


def test_lab_tls_dry_run_passes_cert_and_key(tmp_path: Path, capsys, monkeypatch) -> None:
    import jupyterlab_quant.cli as cli

    monkeypatch.setattr(cli, "load_sample", lambda store: None)  # no market data needed for a dry run
    home = tmp_path / "home"
    assert jlq(["--home", str(home), "lab", "--tls", "--dry-run", "--port", "0"]) == 0
    out = capsys.readouterr().out
    assert "https://127.0.0.1:" in out and "--IdentityProvider.token=" in out
    assert f"--ServerApp.certfile={home / 'tls' / 'cert.pem'}" in out
    assert f"--ServerApp.keyfile={home / 'tls' / 'key.pem'}" in out
