"""REST handlers of the strategy vault (策略库, issue 5 §4). Thin: validate the name, call
:class:`~jupyterlab_quant.vault.strategies.StrategyVault` in the executor (decryption and scrypt are blocking),
answer JSON. Typed errors are translated by :class:`QuantHandler` (unknown → 404, locked vault → 423).

``GET /v1/strategies`` → ``{strategies}`` · ``GET /v1/strategies/<name>[?version=N]`` → ``{name, version,
content, versions}`` · ``PUT /v1/strategies/<name>`` ``{content, message?}`` → 201 new version (200 and
``changed: false`` when identical to the latest) · ``DELETE /v1/strategies/<name>`` ·
``GET /v1/strategies/<name>/versions`` · ``GET /v1/strategies/<name>/diff?from=&to=`` → ``{diff}`` ·
``POST /v1/strategies/<name>/restore`` ``{version, message?}`` → 201 new version.

The source travels only in request/response bodies: nothing here writes plaintext anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import tornado.web

from ..core.errors import InvalidInput, NotFound, QuantError
from ..vault.strategies import StrategyInfo, StrategyVault, Version, normalize_name
from .handlers import QuantHandler

SAVE_EXAMPLE = '{"content": "import backtrader as bt\\n...", "message": "调整均线周期"}'
SAVED_FROM_API = "saved through the REST API"


def check_name(name: str) -> str:
    """The strategy name of a URL (already percent-decoded by tornado), or InvalidInput (400). The vault's rule:
    letters, digits, ``_``, ``-`` and CJK, 1–64 characters (a ``.py`` suffix is dropped)."""
    return normalize_name(name)


def unknown(name: str) -> NotFound:
    return NotFound(f"没有策略 {name} (no such strategy)", "GET /jupyterlab-quant/v1/strategies 列出全部策略")


def version_dict(v: Version) -> dict[str, Any]:
    """A vault :class:`Version` on the wire (``strategy_version`` without name/changed)."""
    return {"version": int(v.version), "created": v.created, "message": v.message or "", "size": int(v.size)}


def info_dict(info: StrategyInfo) -> dict[str, Any]:
    """A vault :class:`StrategyInfo` on the wire (an item of ``strategy_list``)."""
    return {"name": info.name, "versions": int(info.versions), "latest": int(info.latest),
            "updated": info.updated, "size": int(info.size)}


def _int(name: str, raw: Any) -> int:
    try:
        value = int(raw)
        if isinstance(raw, bool) or value < 1:
            raise ValueError
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} 必须是正整数版本号 (must be a version number ≥ 1): {raw!r}",
                           "例如 1；版本号见 GET /jupyterlab-quant/v1/strategies/<name>/versions") from None
    return value


class StrategyBase(QuantHandler):
    @property
    def vault(self) -> StrategyVault:
        """The data root's :class:`StrategyVault` (reads and writes raise VaultLocked when no key is available)."""
        return self.services.strategies

    def live(self, name: str) -> StrategyInfo | None:
        """The strategy ``name`` unless unknown or deleted (soft-deleted strategies keep their versions)."""
        try:
            info = self.vault.info(name)
        except NotFound:
            return None
        return None if info.deleted else info

    async def respond_status(self, fn: Callable[[], tuple[int, Any]]) -> None:
        """Like :meth:`respond` for work that also decides the success status (200 vs 201)."""
        try:
            status, body = await self.call(fn)
            self.set_status(status)
        except QuantError as exc:
            body = self.fail(exc)
        self.finish(json.dumps(body, ensure_ascii=False, allow_nan=False),
                    set_content_type="application/json; charset=UTF-8")

    def body_or_fail(self, example: str) -> dict[str, Any] | None:
        try:
            return self.json_body(example)
        except QuantError as exc:
            self.finish(json.dumps(self.fail(exc), ensure_ascii=False),
                        set_content_type="application/json; charset=UTF-8")
            return None

    def versions_of(self, name: str) -> list[dict[str, Any]]:
        """Versions (oldest first) of a live strategy; NotFound for unknown or deleted ones."""
        if self.live(name) is None:
            raise unknown(name)
        return [version_dict(v) for v in self.vault.versions(name)]


class StrategyListHandler(StrategyBase):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.respond(lambda: {"strategies": [info_dict(i) for i in self.vault.list()]})


class StrategyHandler(StrategyBase):
    @tornado.web.authenticated
    async def get(self, name: str) -> None:
        raw = self.arg("version")

        def show() -> dict[str, Any]:
            n = check_name(name)
            versions = self.versions_of(n)
            number = versions[-1]["version"] if raw is None else _int("version", raw)
            if number not in {v["version"] for v in versions}:
                raise NotFound(f"策略 {n} 没有版本 {number} (no such version)",
                               f"现有版本 v1–v{versions[-1]['version']}")
            return {"name": n, "version": number, "content": self.vault.get(n, number), "versions": versions}

        await self.respond(show)

    @tornado.web.authenticated
    async def put(self, name: str) -> None:
        body = self.body_or_fail(SAVE_EXAMPLE)
        if body is None:
            return

        def save() -> tuple[int, dict[str, Any]]:
            n = check_name(name)
            extra = set(body) - {"content", "message"}
            if extra:
                raise InvalidInput(f"不认识的字段 (unknown fields): {sorted(extra)}", f"例如 {SAVE_EXAMPLE}")
            content, message = body.get("content"), body.get("message", "")
            if not isinstance(content, str):
                raise InvalidInput("缺少 content（策略源代码文本）(content must be a string)", f"例如 {SAVE_EXAMPLE}")
            if not isinstance(message, str):
                raise InvalidInput("message 必须是文本 (message must be a string)", f"例如 {SAVE_EXAMPLE}")
            before = self.live(n)
            # the vault stores nothing new when the source equals the latest version and answers that one
            v = self.vault.save(n, content, message or SAVED_FROM_API)
            changed = before is None or v.version > before.latest
            return (201 if changed else 200), {"name": n, **version_dict(v), "changed": changed}

        await self.respond_status(save)

    @tornado.web.authenticated
    async def delete(self, name: str) -> None:
        def delete() -> dict[str, Any]:
            n = check_name(name)
            info = self.live(n)
            if info is None:
                raise unknown(n)
            self.vault.delete(n)  # soft: every version is kept (jlq strategy undelete)
            return {"name": n, "deleted": True, "versions": info.versions}

        await self.respond(delete)


class StrategyVersionsHandler(StrategyBase):
    @tornado.web.authenticated
    async def get(self, name: str) -> None:
        def versions() -> dict[str, Any]:
            n = check_name(name)
            return {"name": n, "versions": self.versions_of(n)}

        await self.respond(versions)


class StrategyDiffHandler(StrategyBase):
    @tornado.web.authenticated
    async def get(self, name: str) -> None:
        raw_from, raw_to = self.arg("from"), self.arg("to")

        def diff() -> dict[str, Any]:
            n = check_name(name)
            if raw_from is None or raw_to is None:
                raise InvalidInput("需要参数 from 和 to（版本号）(from and to are required)", "例如 ?from=1&to=2")
            v1, v2 = _int("from", raw_from), _int("to", raw_to)
            return {"name": n, "from": v1, "to": v2, "diff": self.vault.diff(n, v1, v2)}

        await self.respond(diff)


class StrategyRestoreHandler(StrategyBase):
    @tornado.web.authenticated
    async def post(self, name: str) -> None:
        body = self.body_or_fail('{"version": 1}')
        if body is None:
            return

        def restore() -> tuple[int, dict[str, Any]]:
            n = check_name(name)
            extra = set(body) - {"version", "message"}
            if extra:
                raise InvalidInput(f"不认识的字段 (unknown fields): {sorted(extra)}", '例如 {"version": 1}')
            number = _int("version", body.get("version"))
            message = body.get("message")
            if message is not None and not isinstance(message, str):
                raise InvalidInput("message 必须是文本 (message must be a string)", '例如 {"version": 1}')
            before = self.vault.info(n)
            v = self.vault.restore(n, number, message or None)
            changed = before.deleted or v.version > before.latest
            return (201 if changed else 200), {"name": n, **version_dict(v), "changed": changed}

        await self.respond_status(restore)
