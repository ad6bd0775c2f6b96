"""REST handlers: parse the request, run the service call off the event loop, answer JSON.

Typed errors are translated to HTTP once, in :meth:`QuantHandler.call`.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from concurrent.futures import Executor
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler

from ..app import Services
from ..bus import BusUnavailable
from ..core.errors import InvalidInput, NotFound, QuantError, StoreBusy
from ..core.types import Adjust, Freq, parse_enum
from ..jobs import JobNotReady, JobsUnavailable
from ..vault.errors import PASSPHRASE_HINT, TamperedData, VaultLocked
from .jobs import UpdateJob, UpdateJobs
from .models import API_VERSION, bars_payload

try:
    __version__ = version("jupyterlab-quant")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "dev"

# VaultLocked (incl. not initialised) → 423 Locked with how to unlock; TamperedData → 500 with its message;
# WrongKey is an InvalidInput (400).
STATUS = ((InvalidInput, 400), (NotFound, 404), (StoreBusy, 409), (JobNotReady, 409), (VaultLocked, 423),
          (TamperedData, 500), (JobsUnavailable, 503), (BusUnavailable, 503), (QuantError, 500))


class QuantHandler(APIHandler):
    @property
    def services(self) -> Services:
        return self.settings["jlq_services"]

    @property
    def executor(self) -> Executor:
        return self.settings["jlq_executor"]

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run blocking work (DuckDB, file I/O) in the extension's thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    def fail(self, exc: QuantError) -> dict[str, str]:
        """Set the HTTP status of a typed error; returns its JSON body (the one translation point)."""
        status = next(code for cls, code in STATUS if isinstance(exc, cls))
        if status >= 500:
            self.log.error("jupyterlab-quant: %s", exc)
        self.set_status(status)
        body = exc.to_dict()
        if isinstance(exc, VaultLocked) and not body.get("hint"):
            body["hint"] = PASSPHRASE_HINT
        return body

    async def respond(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            body = await self.call(fn, *args, **kwargs)
        except QuantError as exc:
            body = self.fail(exc)
        self.finish(json.dumps(body, ensure_ascii=False, allow_nan=False),
                    set_content_type="application/json; charset=UTF-8")

    async def respond_text(self, fn: Callable[..., str], content_type: str, *args: Any, **kwargs: Any) -> None:
        """Like :meth:`respond` for a body that is already text (a stored JSON file, an HTML report)."""
        try:
            text = await self.call(fn, *args, **kwargs)
        except QuantError as exc:
            self.finish(json.dumps(self.fail(exc), ensure_ascii=False),
                        set_content_type="application/json; charset=UTF-8")
            return
        self.finish(text, set_content_type=content_type)

    def json_body(self, example: str = '{"symbols": ["600519.SH"]}') -> dict[str, Any]:
        """The request body as a JSON object (InvalidInput otherwise)."""
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError as exc:
            raise InvalidInput(f"请求体不是合法 JSON (bad JSON body): {exc}", f"例如 {example}") from None
        if not isinstance(body, dict):
            raise InvalidInput("请求体必须是 JSON 对象 (body must be a JSON object)", f"例如 {example}")
        return body

    def arg(self, name: str, default: str | None = None) -> str | None:
        v = self.get_query_argument(name, default)
        return v if v not in ("",) else default

    @staticmethod
    def int_value(name: str, raw: str | None, default: int, lo: int, hi: int) -> int:
        """Parse an integer query parameter (raises InvalidInput, answered as HTTP 400)."""
        if raw is None:
            return default
        try:
            v = int(raw)
        except ValueError:
            raise InvalidInput(f"参数 {name} 必须是整数: {raw!r} (must be an integer)", f"例如 {default}") from None
        return max(lo, min(hi, v))


class StatusHandler(QuantHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        svc = self.services

        def status() -> dict[str, Any]:
            datasets = [{"name": name, "rows": rows, "first": first, "last": last}
                        for name, rows, first, last in svc.query.coverage()]
            return {"name": "jupyterlab-quant", "version": __version__, "api_version": API_VERSION,
                    "home": str(svc.settings.home), "datasets": datasets}

        await self.respond(status)


class SymbolsHandler(QuantHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        q, kind, limit = self.arg("q", ""), self.arg("kind"), self.arg("limit")

        def search() -> dict[str, Any]:
            n = self.int_value("limit", limit, 20, 1, 500)
            return {"items": self.services.query.search(q or "", kind, n)}

        await self.respond(search)


class BarsHandler(QuantHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        args = {k: self.arg(k) for k in ("symbol", "start", "end", "adjust", "freq", "max_points")}

        def bars() -> dict[str, Any]:
            max_points = self.int_value("max_points", args["max_points"], 5000, 10, 20000)
            if not args["symbol"]:
                raise InvalidInput("缺少参数 symbol (symbol is required)", "例如 ?symbol=600519.SH")
            q = self.services.query
            adjust = parse_enum(Adjust, args["adjust"], "adjust", Adjust.NONE).value
            freq = parse_enum(Freq, args["freq"], "freq", Freq.D1).value
            inst = q.resolve(args["symbol"])
            df = q.bars(inst["symbol"], args["start"], args["end"], adjust, freq)
            return bars_payload(df, symbol=inst["symbol"], name=inst.get("name") or "", freq=freq,
                                adjust=adjust, max_points=max_points)

        await self.respond(bars)


class SourcesHandler(QuantHandler):
    """Source health: circuit state, last success/failure and counts per upstream (any process)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        def health() -> dict[str, Any]:
            from ..data.fetch import overall_health

            rows = self.updater().fetcher.health_rows()
            return {"overall": overall_health(rows), "items": rows}

        await self.respond(health)

    def updater(self) -> Any:
        return updater_of(self)


def updater_of(handler: QuantHandler) -> Any:
    """One UpdateService per server, created on first use (importing akshare takes a second)."""
    settings = handler.settings
    with settings["jlq_updater_lock"]:
        if settings.get("jlq_updater") is None:
            settings["jlq_updater"] = handler.services.updater()
        return settings["jlq_updater"]


class UpdateHandler(QuantHandler):
    """``POST /v1/update`` starts a background update of the given symbols; ``GET /v1/update/<id>`` polls it."""

    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            body = json.loads(self.request.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
        except ValueError as exc:
            self.set_status(400)
            self.finish(InvalidInput(f"请求体不是 JSON 对象: {exc} (bad JSON body)",
                                     '例如 {"symbols": ["600519.SH"]}').to_dict())
            return
        jobs: UpdateJobs = self.settings["jlq_jobs"]

        def start() -> dict[str, Any]:
            from ..core.types import normalize_symbol, parse_range

            raw = body.get("symbols") or []
            if not isinstance(raw, list) or not raw:
                raise InvalidInput("缺少 symbols 列表 (symbols list required)", '例如 {"symbols": ["600519.SH"]}')
            symbols = [normalize_symbol(str(s)) for s in raw]
            start_d, end_d = parse_range(body.get("start"), body.get("end"))
            kind = body.get("kind")

            def run(job: UpdateJob) -> tuple[str, list[str]]:
                def progress(ev: Any) -> None:
                    job.done, job.total, job.symbol, job.eta_s = ev.done, ev.total, ev.symbol, ev.eta_s

                report = updater_of(self).update_daily(symbols, kind=kind, start=start_d, end=end_d,
                                                       progress=progress)
                job.done = job.total = max(job.total, len(symbols) - report.up_to_date, 0)
                return report.summary(), sorted(report.failures)

            job = jobs.start(symbols, self.executor.submit, run)
            return job.to_dict()

        await self.respond(start)

    @tornado.web.authenticated
    async def get(self, job_id: str = "") -> None:
        jobs: UpdateJobs = self.settings["jlq_jobs"]

        def poll() -> dict[str, Any]:
            if not job_id:
                return {"items": [j.to_dict() for j in jobs.recent()]}
            job = jobs.get(job_id)
            if job is None:
                raise NotFound(f"没有更新任务 {job_id} (no such update job)", "任务在服务器重启后不再保留；请重新发起")
            return job.to_dict()

        await self.respond(poll)


class CheckHandler(QuantHandler):
    """Data health findings (``jlq data check``) for some symbols or a whole dataset."""

    @tornado.web.authenticated
    async def get(self) -> None:
        symbols = [s for s in (self.arg("symbols") or "").split(",") if s.strip()] or None
        kind = self.arg("kind", "stock")

        def check() -> dict[str, Any]:
            from ..data.quality import run_checks

            findings = run_checks(self.services.query, symbols, kind or "stock")
            errors = sum(f.severity == "error" for f in findings)
            return {"errors": errors, "warnings": len(findings) - errors,
                    "items": [f.to_dict() for f in findings]}

        await self.respond(check)
