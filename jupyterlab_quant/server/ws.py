"""The live WebSocket ``/jupyterlab-quant/v1/ws``: quotes, alerts and risk statuses from the bus to the
browser (Watchlist and Risk panels, JupyterLab notifications).

One ``LiveHub`` per server listens to the bus (a single Redis subscription, on the event loop — redis'
asyncio client never blocks it) and fans messages out to the open sockets. A quotes batch goes to a socket
as the bus delivered it when the socket watches every symbol in it (not even decoded: 5,000 quotes is ~1 MB
of JSON, see ``bus.split_quotes``), else cut down to the socket's symbols. Authentication is the server's
own (cookie or token, ``ws_authenticated``); a socket is closed when its login session ends.

Client → server: ``{"type": "subscribe", "symbols": [...]}``. Server → client: ``hello`` (latest quotes of
the subscription, as objects), ``quotes`` (``{"sent", "fields", "rows"}``: field names once, one list per
quote), ``alert``, ``risk`` — shapes in ``server/models.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import websocket

from ..app import Services
from ..bus import FIELDS_JSON, split_quotes
from ..core.errors import InvalidInput, QuantError
from ..core.live import Quote
from ..core.types import normalize_symbol

log = logging.getLogger(__name__)
MAX_SUBSCRIPTION = 6000


class LiveHub:
    """The bus subscription of this server and the sockets it feeds."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.sockets: set[LiveSocketHandler] = set()
        self._task: asyncio.Task[None] | None = None

    def add(self, sock: LiveSocketHandler) -> None:
        self.sockets.add(sock)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._pump())

    def discard(self, sock: LiveSocketHandler) -> None:
        self.sockets.discard(sock)

    async def _pump(self) -> None:
        bus = await asyncio.to_thread(lambda: self.services.bus)  # starting an embedded Redis blocks
        async for channel, raw in bus.listen("quotes", "alerts", "risk"):
            if not self.sockets:
                continue
            try:
                self._dispatch(channel, raw)
            except Exception:  # one bad message must not end the subscription
                log.exception("jupyterlab-quant: live message on %s could not be forwarded", channel)

    def _dispatch(self, channel: str, raw: str) -> None:
        if channel == "quotes":
            sent, symbols, rows_text = split_quotes(raw)
            batch = set(symbols)
            full: str | None = None
            for sock in list(self.sockets):
                if batch <= sock.symbols:  # the usual case (a watchlist gets its own batch): no decoding
                    full = full or (f'{{"type": "quotes", "sent": {sent!r}, "fields": {FIELDS_JSON}, '
                                    f'"rows": {rows_text}}}')
                    sock.send(full)
                elif batch & sock.symbols:
                    mine = [r for r in json.loads(rows_text) if r[0] in sock.symbols]
                    sock.send(json.dumps({"type": "quotes", "sent": sent, "fields": list(Quote.FIELDS), "rows": mine},
                                         ensure_ascii=False))
        elif channel == "alerts":
            msg = '{"type": "alert", ' + raw.lstrip()[1:]  # {"alert": {...}}
            for sock in list(self.sockets):
                sock.send(msg)
        elif channel == "risk":
            msg = '{"type": "risk", ' + raw.lstrip()[1:]  # {"statuses": [...], "checked_at": ...}
            for sock in list(self.sockets):
                sock.send(msg)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for sock in list(self.sockets):
            sock.close(1001, "server stopping")


class LiveSocketHandler(WebSocketMixin, JupyterHandler, websocket.WebSocketHandler):  # type: ignore[misc]
    """One browser connection."""

    symbols: set[str]

    @property
    def hub(self) -> LiveHub:
        hub: LiveHub | None = self.settings.get("jlq_live_hub")
        if hub is None:
            hub = LiveHub(self.settings["jlq_services"])
            self.settings["jlq_live_hub"] = hub
        return hub

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        res = super().get(*args, **kwargs)
        if res is not None:
            await res

    def open(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self.symbols = set()
        self.hub.add(self)

    def on_close(self) -> None:
        self.hub.discard(self)

    def send(self, text: str) -> None:
        try:
            self.write_message(text)
        except websocket.WebSocketClosedError:
            self.hub.discard(self)

    async def on_message(self, message: str | bytes) -> None:
        try:
            msg = json.loads(message)
            if not isinstance(msg, dict) or msg.get("type") != "subscribe":
                raise InvalidInput("未知消息 (unknown message); expected {\"type\": \"subscribe\", \"symbols\": [...]}")
            raw = msg.get("symbols") or []
            if not isinstance(raw, list) or len(raw) > MAX_SUBSCRIPTION:
                raise InvalidInput(f"symbols 必须是最多 {MAX_SUBSCRIPTION} 个代码的列表 (a list of codes)")
            symbols = [normalize_symbol(str(s)) for s in raw]
        except (ValueError, QuantError) as exc:
            text = exc.message if isinstance(exc, QuantError) else f"bad JSON: {exc}"
            self.send(json.dumps({"type": "error", "message": text}, ensure_ascii=False))
            return
        self.symbols = set(symbols)
        try:
            latest = await asyncio.to_thread(self.settings["jlq_services"].bus.latest, symbols)
        except QuantError as exc:
            self.send(json.dumps({"type": "error", "message": exc.message}, ensure_ascii=False))
            latest = {}
        self.send(json.dumps({"type": "hello", "symbols": symbols,
                              "quotes": [q.to_dict() for q in latest.values()]}, ensure_ascii=False))
