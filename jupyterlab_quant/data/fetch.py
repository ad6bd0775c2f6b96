"""Polite, resilient calls to internet sources (akshare): timeout, retries, rate limit, circuit breaker.

Every source call goes through :meth:`Fetcher.call`:

* **timeout** — akshare's ``stock_zh_a_hist`` defaults to ``timeout=None`` and several functions take no
  timeout at all (``stock_zh_a_daily``, ``futures_zh_daily_sina``), so a guard around
  ``requests.sessions.Session.request`` (the one patch point all of akshare's ``requests`` paths go
  through, ../reference/akshare.md §2.1) imposes ours whenever the caller passed none or a longer one.
  The guard is only active inside ``Fetcher.call`` (a thread-local policy); other code is untouched.
* **per-host rate limit** — the same guard spaces requests to one host by ``min_interval_s``; it applies
  to every page of a paginated akshare call too. Requests per host are counted (:func:`request_counts`).
* **retries** — tenacity, up to 3 tries, exponential backoff with jitter, only on transient errors:
  timeouts, connection resets/aborts (eastmoney's ban symptom), HTTP 5xx. Never on 4xx, an HTML captcha
  page or garbage, which raise :class:`SourceFormatError` at once. Calls that already retry inside
  akshare (``fetch_paginated_data`` → ``request_with_retry``, 3 tries) get ``tries=1`` so the two layers
  do not multiply into a retry storm.
* **circuit breaker per source** — opens after ``failure_threshold`` consecutive failed calls (after
  retries), rejects calls with :class:`CircuitOpen` during ``cooldown_s``, then lets one trial call
  through (half-open): success closes it, failure re-opens it.

Breaker state and counters live in SQLite (WAL) at ``$JLQ_HOME/state/sources.db``, so the health table
(``jlq data sources``, later the REST endpoint) shows it from any process, and a breaker opened by the
scheduler also protects a notebook. SQLite, not Parquet: these are small transactional records
updated by several processes (DESIGN.md "Where state lives").
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from ..core.errors import CircuitOpen, SourceError, SourceFormatError, SourceUnavailable

T = TypeVar("T")

SOURCES = ("eastmoney", "sina", "tencent")
HOST_SOURCE = {"eastmoney.com": "eastmoney", "sina.com.cn": "sina", "sina.cn": "sina", "gtimg.cn": "tencent",
               "qq.com": "tencent"}
SOURCE_LABEL = {"eastmoney": "东方财富 eastmoney", "sina": "新浪 sina", "tencent": "腾讯 tencent"}


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = 15.0
    tries: int = 3
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    jitter_s: float = 1.0
    min_interval_s: dict[str, float] | None = None   # per registrable host suffix, e.g. {"eastmoney.com": 0.5}
    failure_threshold: int = 3
    cooldown_s: float = 600.0

    def interval_for(self, host: str) -> float:
        table = self.min_interval_s if self.min_interval_s is not None else DEFAULT_INTERVALS
        for suffix, gap in table.items():
            if host == suffix or host.endswith("." + suffix):
                return gap
        return 0.2


# eastmoney bans after bursts (#6585: about a dozen calls 15 s apart); keep well below one call/second.
DEFAULT_INTERVALS = {"eastmoney.com": 1.0, "sina.com.cn": 1.0, "sina.cn": 1.0, "gtimg.cn": 0.5, "qq.com": 0.5}


# ---- the requests guard ------------------------------------------------------------------------
class _Local(threading.local):
    policy: FetchPolicy | None = None
    last_status: int | None = None
    last_body: str = ""


_local = _Local()
_guard_lock = threading.Lock()
_installed = False
_unguarded: Any = None
_last_request_at: dict[str, float] = {}
_counts: Counter[str] = Counter()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up at call time so tests can patch time.sleep


def install_http_guard() -> None:
    """Wrap ``requests.sessions.Session.request`` once (idempotent). Inactive outside Fetcher.call."""
    global _installed, _unguarded
    with _guard_lock:
        if _installed:
            return
        original = requests.sessions.Session.request
        _unguarded = original

        def guarded(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            policy = _local.policy
            if policy is None:
                return original(self, method, url, *args, **kwargs)
            host = urlsplit(str(url)).hostname or ""
            gap = policy.interval_for(host)
            with _guard_lock:
                now = time.monotonic()
                wait = _last_request_at.get(host, -1e18) + gap - now
                _last_request_at[host] = max(now, now + wait)
                _counts[host] += 1
            if wait > 0:
                _sleep(wait)
            timeout = kwargs.get("timeout")
            if timeout is None or (isinstance(timeout, int | float) and timeout > policy.timeout_s):
                kwargs["timeout"] = policy.timeout_s
            _local.last_status, _local.last_body = None, ""
            resp = original(self, method, url, *args, **kwargs)
            _local.last_status = resp.status_code
            try:
                _local.last_body = resp.text[:300]
            except Exception:  # pragma: no cover - undecodable body
                _local.last_body = ""
            return resp

        requests.sessions.Session.request = guarded  # type: ignore[method-assign,assignment]
        _installed = True


def request_counts() -> dict[str, int]:
    """Requests issued through the guard in this process, per host."""
    return dict(_counts)


def reset_request_counts() -> None:
    _counts.clear()
    _last_request_at.clear()


# ---- error classification ------------------------------------------------------------------------
class _Transient(SourceUnavailable):
    """Internal marker: worth another try."""


def _looks_like_html(body: str) -> bool:
    head = body.lstrip()[:200].lower()
    return head.startswith(("<!doctype", "<html", "<head", "<body", "<script")) or "captcha" in head or "验证" in head


def classify(exc: BaseException, source: str, what: str) -> SourceError:
    """Map an exception raised inside an akshare call to a typed, actionable error."""
    name = SOURCE_LABEL.get(source, source)
    if isinstance(exc, SourceError):
        return exc
    status, body = _local.last_status, _local.last_body
    if isinstance(exc, requests.Timeout):
        return _Transient(f"{name} {what}: 请求超时 (timed out): {exc}",
                          "网络慢或源站限流；稍后重试，或用 --source 换源", source=source)
    if isinstance(exc, requests.ConnectionError) and ("NameResolutionError" in str(exc)
                                                     or "Failed to resolve" in str(exc)):
        return _Transient(f"{name} {what}: 无法解析域名，网络不可用 (cannot resolve the host: offline or DNS failure)",
                          "检查网络连接或代理 (HTTPS_PROXY)；离线时继续使用本地已存数据", source=source)
    if isinstance(exc, requests.ConnectionError | ConnectionError | requests.exceptions.ChunkedEncodingError):
        return _Transient(f"{name} {what}: 连接被重置/中断 (connection reset — the usual sign of an IP ban): {exc}",
                          "东财封禁通常持续数小时：减少请求频率，稍后重试，或用 --source sina", source=source)
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        status = exc.response.status_code
    if status is not None and status >= 500:
        return _Transient(f"{name} {what}: 服务器错误 HTTP {status} (server error)", "稍后重试", source=source)
    if status is not None and status >= 400:
        return SourceFormatError(f"{name} {what}: 请求被拒绝 HTTP {status} (request rejected)",
                                 "接口可能已变更：升级 akshare 或报告问题", source=source)
    if body and _looks_like_html(body):
        return SourceFormatError(
            f"{name} {what}: 返回了 HTML 页面而不是数据（可能是验证码/反爬页面） (got an HTML/captcha page, not data)",
            "源站在限制此 IP：停止批量请求数小时，或用 --source 换源", source=source)
    if isinstance(exc, ValueError | KeyError | TypeError | IndexError | AttributeError):
        return SourceFormatError(f"{name} {what}: 返回的数据无法解析 "
                                 f"(unparseable response: {type(exc).__name__}: {exc})",
                                 "上游格式可能已变：升级 akshare（当前固定 1.19.5）或改用 --source 其他源",
                                 source=source)
    return _Transient(f"{name} {what}: {type(exc).__name__}: {exc}", "稍后重试", source=source) \
        if isinstance(exc, OSError) else SourceFormatError(f"{name} {what}: {type(exc).__name__}: {exc}",
                                                           "报告此问题", source=source)


# ---- health / circuit breaker state -----------------------------------------------------------------
@dataclass(frozen=True)
class SourceHealth:
    source: str
    state: str = "closed"          # closed | open | half_open
    consecutive_failures: int = 0
    successes: int = 0
    failures: int = 0
    last_success_at: str | None = None
    last_failure_at: str | None = None
    last_error: str | None = None
    opened_at: float | None = None

    def as_row(self) -> dict[str, Any]:
        return {"source": self.source, "state": self.state, "consecutive_failures": self.consecutive_failures,
                "successes": self.successes, "failures": self.failures, "last_success_at": self.last_success_at,
                "last_failure_at": self.last_failure_at, "last_error": self.last_error}


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def overall_health(rows: Iterable[Mapping[str, Any]]) -> str:
    """One word for all sources (``Fetcher.health_rows()``), shared by ``GET /v1/sources`` and the data
    health dashboard: ``unknown`` (no source ever called), ``down`` (every circuit open), ``degraded`` (a
    circuit open or half open, or a source whose last call failed before its breaker opened), else ``ok``."""
    rows = list(rows)
    if not any(r["successes"] or r["failures"] for r in rows):
        return "unknown"
    states = {r["state"] for r in rows}
    if states == {"open"}:
        return "down"
    if any(r["consecutive_failures"] for r in rows) or states & {"open", "half_open"}:
        return "degraded"
    return "ok"


class StateDB:
    """``$JLQ_HOME/state/sources.db`` (SQLite, WAL): source health, ingest log, per-symbol coverage."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript("""
                CREATE TABLE IF NOT EXISTS source_health (
                    source TEXT PRIMARY KEY, state TEXT NOT NULL, consecutive_failures INTEGER NOT NULL,
                    successes INTEGER NOT NULL, failures INTEGER NOT NULL, last_success_at TEXT,
                    last_failure_at TEXT, last_error TEXT, opened_at REAL);
                CREATE TABLE IF NOT EXISTS ingest_log (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, run_id TEXT NOT NULL,
                    dataset TEXT NOT NULL, symbol TEXT, source TEXT, start TEXT, "end" TEXT,
                    rows INTEGER NOT NULL, status TEXT NOT NULL, error TEXT, detail TEXT);
                CREATE INDEX IF NOT EXISTS ingest_log_symbol ON ingest_log(dataset, symbol);
                CREATE TABLE IF NOT EXISTS coverage (
                    dataset TEXT NOT NULL, symbol TEXT NOT NULL, checked_from TEXT NOT NULL,
                    checked_through TEXT NOT NULL, source TEXT, updated_at TEXT NOT NULL,
                    PRIMARY KEY (dataset, symbol));
            """)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            con.execute("PRAGMA busy_timeout=30000")
            yield con
        finally:
            con.close()

    # health
    def health(self, source: str) -> SourceHealth:
        with self.connect() as con:
            row = con.execute("SELECT source, state, consecutive_failures, successes, failures, last_success_at, "
                              "last_failure_at, last_error, opened_at FROM source_health WHERE source = ?",
                              (source,)).fetchone()
        return SourceHealth(*row) if row else SourceHealth(source)

    def all_health(self) -> list[SourceHealth]:
        known = {h.source: h for h in (self.health(s) for s in SOURCES)}
        with self.connect() as con:
            for (s,) in con.execute("SELECT source FROM source_health"):
                known.setdefault(s, self.health(s))
        return list(known.values())

    def save_health(self, h: SourceHealth) -> None:
        with self.connect() as con:
            con.execute(
                "INSERT INTO source_health VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(source) DO UPDATE SET "
                "state=excluded.state, consecutive_failures=excluded.consecutive_failures, "
                "successes=excluded.successes, failures=excluded.failures, last_success_at=excluded.last_success_at,"
                " last_failure_at=excluded.last_failure_at, last_error=excluded.last_error, "
                "opened_at=excluded.opened_at",
                (h.source, h.state, h.consecutive_failures, h.successes, h.failures, h.last_success_at,
                 h.last_failure_at, h.last_error, h.opened_at))

    # ingest log
    def log(self, run_id: str, dataset: str, symbol: str | None, source: str | None, start: dt.date | None,
            end: dt.date | None, rows: int, status: str, error: str | None = None,
            detail: dict[str, Any] | None = None) -> None:
        with self.connect() as con:
            con.execute('INSERT INTO ingest_log (at, run_id, dataset, symbol, source, start, "end", rows, status, '
                        "error, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (_now_iso(), run_id, dataset, symbol, source, start and start.isoformat(),
                         end and end.isoformat(), rows, status, error,
                         json.dumps(detail, ensure_ascii=False) if detail else None))

    def log_rows(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.connect() as con:
            con.row_factory = sqlite3.Row
            rows = con.execute("SELECT * FROM ingest_log ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(r) for r in rows]

    def last_updates(self) -> list[dict[str, Any]]:
        """Per (dataset, source) of the ingest log, newest first: ``last_at`` (any outcome), ``last_ok_at``,
        ``last_failed_at``, ``rows`` written, distinct ``symbols`` and ``last_error`` (of the newest failure)."""
        with self.connect() as con:
            con.row_factory = sqlite3.Row
            rows = con.execute(
                "SELECT dataset, source, max(at) AS last_at, max(CASE WHEN status = 'ok' THEN at END) AS last_ok_at, "
                "max(CASE WHEN status = 'failed' THEN at END) AS last_failed_at, sum(rows) AS rows, "
                "count(DISTINCT symbol) AS symbols, "
                "(SELECT error FROM ingest_log f WHERE f.dataset = l.dataset AND f.source IS l.source "
                " AND f.status = 'failed' ORDER BY f.id DESC LIMIT 1) AS last_error "
                "FROM ingest_log l GROUP BY dataset, source ORDER BY last_at DESC").fetchall()
        return [dict(r) for r in rows]

    # coverage
    def coverage(self, dataset: str) -> dict[str, tuple[dt.date, dt.date]]:
        with self.connect() as con:
            rows = con.execute("SELECT symbol, checked_from, checked_through FROM coverage WHERE dataset = ?",
                               (dataset,)).fetchall()
        return {s: (dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for s, a, b in rows}

    def extend_coverage(self, dataset: str, items: list[tuple[str, dt.date, dt.date, str]]) -> None:
        """Record that [start, end] was checked at the source for each symbol (union with what is known)."""
        with self.connect() as con:
            con.execute("BEGIN IMMEDIATE")
            for symbol, start, end, source in items:
                row = con.execute("SELECT checked_from, checked_through FROM coverage WHERE dataset=? AND symbol=?",
                                  (dataset, symbol)).fetchone()
                if row:
                    a, b = dt.date.fromisoformat(row[0]), dt.date.fromisoformat(row[1])
                    start, end = min(a, start), max(b, end)
                con.execute("INSERT OR REPLACE INTO coverage VALUES (?,?,?,?,?,?)",
                            (dataset, symbol, start.isoformat(), end.isoformat(), source, _now_iso()))
            con.execute("COMMIT")


# ---- the fetcher --------------------------------------------------------------------------------
class Fetcher:
    """Runs source calls under the policy; records health per source in :class:`StateDB`."""

    def __init__(self, state: StateDB, policy: FetchPolicy | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.policy = policy or FetchPolicy()
        self.clock = clock
        install_http_guard()

    def available(self, source: str) -> bool:
        h = self.state.health(source)
        return not (h.state == "open" and h.opened_at is not None
                    and self.clock() - h.opened_at < self.policy.cooldown_s)

    def call(self, source: str, what: str, fn: Callable[[], T], *, tries: int | None = None,
             symbol: str = "") -> T:
        h = self.state.health(source)
        if h.state == "open" and h.opened_at is not None:
            left = self.policy.cooldown_s - (self.clock() - h.opened_at)
            if left > 0:
                raise CircuitOpen(
                    f"{SOURCE_LABEL.get(source, source)} 已熔断 (circuit open after {h.consecutive_failures} "
                    f"consecutive failures; last: {h.last_error})",
                    f"{int(left)} 秒后自动重试；期间使用备用源或本地缓存数据", source=source, symbol=symbol)
        policy = self.policy
        retrying = Retrying(
            stop=stop_after_attempt(tries or policy.tries),
            wait=wait_exponential_jitter(initial=policy.backoff_initial_s, max=policy.backoff_max_s,
                                         jitter=policy.jitter_s),
            retry=retry_if_exception(lambda e: isinstance(e, _Transient)),
            sleep=_sleep, reraise=True)
        prev = _local.policy
        _local.policy = policy
        try:
            for attempt in retrying:
                with attempt:
                    try:
                        result = fn()
                    except SourceError:
                        raise
                    except Exception as exc:
                        raise classify(exc, source, what) from exc
        except SourceError as err:
            err.symbol = err.symbol or symbol
            self._failure(source, err)
            if isinstance(err, _Transient):
                n = tries or policy.tries
                raise SourceUnavailable(f"{err.message}（已尝试 {n} 次 / after {n} tries）", err.hint,
                                        source=source, symbol=symbol) from err
            raise
        finally:
            _local.policy = prev
        self._success(source)
        return result

    def _success(self, source: str) -> None:
        h = self.state.health(source)
        self.state.save_health(SourceHealth(source, "closed", 0, h.successes + 1, h.failures, _now_iso(),
                                            h.last_failure_at, h.last_error, None))

    def _failure(self, source: str, err: SourceError) -> None:
        h = self.state.health(source)
        n = h.consecutive_failures + 1
        opened = n >= self.policy.failure_threshold
        self.state.save_health(SourceHealth(
            source, "open" if opened else "closed", n, h.successes, h.failures + 1, h.last_success_at,
            _now_iso(), err.message[:300], self.clock() if opened else None))

    def health_rows(self) -> list[dict[str, Any]]:
        out = []
        for h in self.state.all_health():
            row = h.as_row()
            if h.state == "open" and h.opened_at is not None:
                left = self.policy.cooldown_s - (self.clock() - h.opened_at)
                row["state"] = "open" if left > 0 else "half_open"
                row["retry_in_s"] = max(0, int(left))
            else:
                row["retry_in_s"] = 0
            out.append(row)
        return out
