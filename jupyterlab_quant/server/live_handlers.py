"""REST handlers of live monitoring (issue 6): risk rules, account, checks, alerts, notification channels
and log, the watchlist, the scheduler's status. Thin: parse, call the service in the executor (SQLite,
HTTP to WeChat and crypto block), answer JSON; typed errors are translated by :class:`QuantHandler`.
"""

from __future__ import annotations

import json
from typing import Any

import tornado.web

from ..core.errors import InvalidInput, QuantError
from .handlers import QuantHandler

RULE_EXAMPLE = '{"kind": "drawdown", "params": {"max_drawdown_pct": 10}}'


def _limit(h: QuantHandler, default: int) -> int:
    return h.int_value("limit", h.arg("limit"), default, 1, 1000)


class RuleTypesHandler(QuantHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.respond(lambda: {"types": self.services.risk.store.rule_types()})


class RulesHandler(QuantHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.respond(lambda: {"rules": [r.to_dict() for r in self.services.risk.store.list_rules()]})

    @tornado.web.authenticated
    async def post(self) -> None:
        def add() -> dict[str, Any]:
            body = self.json_body(RULE_EXAMPLE)
            kind = body.get("kind")
            if not isinstance(kind, str) or not kind:
                raise InvalidInput("缺少规则类型 kind (rule kind required)", f"例如 {RULE_EXAMPLE}")
            params = body.get("params") or {}
            if not isinstance(params, dict):
                raise InvalidInput("params 必须是对象 (params must be an object)", f"例如 {RULE_EXAMPLE}")
            rule = self.services.risk.store.add(kind, params, name=body.get("name"),
                                                enabled=bool(body.get("enabled", True)),
                                                strategy=body.get("strategy"))
            self.set_status(201)
            return rule.to_dict()

        await self.respond(add)


class RuleHandler(QuantHandler):
    @tornado.web.authenticated
    async def get(self, rule_id: str) -> None:
        await self.respond(lambda: self.services.risk.store.get(int(rule_id)).to_dict())

    @tornado.web.authenticated
    async def patch(self, rule_id: str) -> None:
        def update() -> dict[str, Any]:
            body = self.json_body('{"enabled": false}')
            params = body.get("params")
            if params is not None and not isinstance(params, dict):
                raise InvalidInput("params 必须是对象 (params must be an object)", f"例如 {RULE_EXAMPLE}")
            enabled = body.get("enabled")
            if enabled is not None and not isinstance(enabled, bool):
                raise InvalidInput("enabled 必须是 true/false (enabled must be a boolean)", '{"enabled": false}')
            return self.services.risk.store.update(int(rule_id), params=params, enabled=enabled,
                                                   name=body.get("name")).to_dict()

        await self.respond(update)

    @tornado.web.authenticated
    async def delete(self, rule_id: str) -> None:
        try:
            await self.call(self.services.risk.store.remove, int(rule_id))
        except QuantError as exc:
            self.finish(json.dumps(self.fail(exc), ensure_ascii=False),
                        set_content_type="application/json; charset=UTF-8")
            return
        self.set_status(204)
        self.finish()


class RiskCheckHandler(QuantHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        def check() -> dict[str, Any]:
            monitor = self.settings.get("jlq_monitor")
            if monitor is not None:
                out = monitor.check_risk(force=True)
                assert out is not None
                return out
            svc = self.services
            return svc.risk.check(svc.latest_quotes(svc.risk.watched_symbols())).to_dict()

        await self.respond(check)


class AccountHandler(QuantHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        def account() -> dict[str, Any]:
            svc = self.services
            return svc.risk.snapshot(svc.latest_quotes(svc.risk.watched_symbols())).to_dict()

        await self.respond(account)


class AlertsHandler(QuantHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        limit = _limit(self, 50)
        await self.respond(lambda: {"alerts": self.services.notify.alerts(limit)})


class ChannelsHandler(QuantHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.respond(lambda: {"channels": self.services.notify.channels()})


class ChannelHandler(QuantHandler):
    @tornado.web.authenticated
    async def put(self, name: str) -> None:
        def configure() -> dict[str, Any]:
            body = self.json_body('{"enabled": true, "secrets": {"key": "…"}}')
            for field in ("options", "secrets"):
                if body.get(field) is not None and not isinstance(body[field], dict):
                    raise InvalidInput(f"{field} 必须是对象 ({field} must be an object)", "")
            enabled = body.get("enabled")
            if enabled is not None and not isinstance(enabled, bool):
                raise InvalidInput("enabled 必须是 true/false (enabled must be a boolean)", '{"enabled": true}')
            return self.services.notify.configure(name, enabled=enabled, options=body.get("options"),
                                                  secrets=body.get("secrets"))

        await self.respond(configure)


class ChannelTestHandler(QuantHandler):
    @tornado.web.authenticated
    async def post(self, name: str) -> None:
        await self.respond(lambda: _delivery(self.services.notify.test(name)))


def _delivery(d: Any) -> dict[str, Any]:
    return d.to_dict() if hasattr(d, "to_dict") else dict(d)


class NotifyLogHandler(QuantHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        limit = _limit(self, 100)
        status = self.arg("status")
        await self.respond(lambda: {"deliveries": self.services.notify.log(limit, status)})


class WatchlistHandler(QuantHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.respond(lambda: {"symbols": self.services.watchlist.symbols()})

    @tornado.web.authenticated
    async def put(self) -> None:
        def save() -> dict[str, Any]:
            body = self.json_body('{"symbols": ["600519.SH", "000001.SZ"]}')
            return {"symbols": self.services.watchlist.save(body.get("symbols"))}  # type: ignore[arg-type]

        await self.respond(save)


class SchedulerHandler(QuantHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        sched = self.settings.get("jlq_scheduler")
        if sched is None:
            self.finish({"running": False, "leader": False, "jobs": [], "feed": self.services.settings.quote_feed,
                         "owner": None})
            return
        self.finish(sched.status())
