"""REST handlers of backtest jobs (issue 4 §6). Thin: parse, call :class:`BacktestService` in the executor,
answer JSON (typed errors translated by :class:`QuantHandler`).

``POST /v1/backtests`` → 202 job · ``GET /v1/backtests?limit=&archived=0|1|all`` → ``{jobs, total}`` ·
``GET|DELETE /v1/backtests/<id>`` · ``GET /v1/backtests/<id>/result`` (409 until done) ·
``GET /v1/backtests/<id>/report?lang=zh|en`` (text/html) · ``GET /v1/backtest/strategies`` ·
``GET /v1/backtest/profiles``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tornado.web

from ..backtest.service import EXAMPLE, BacktestService, scan_strategies
from ..core.errors import InvalidInput, QuantError
from .handlers import QuantHandler

# The report runs its own inline scripts (ECharts); sandboxed, it gets an opaque origin and cannot call the API.
REPORT_CSP = ("frame-ancestors 'self'; sandbox allow-scripts allow-downloads allow-popups; default-src 'none'; "
              "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:")


class BacktestBase(QuantHandler):
    @property
    def backtests(self) -> BacktestService:
        return self.services.backtests

    @property
    def root_dir(self) -> Path:
        return Path(self.settings["jlq_root_dir"])


class BacktestsHandler(BacktestBase):
    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            body = self.json_body(EXAMPLE)
        except QuantError as exc:
            self.finish(json.dumps(self.fail(exc), ensure_ascii=False),
                        set_content_type="application/json; charset=UTF-8")
            return
        self.set_status(202)
        await self.respond(lambda: self.backtests.submit(body, root_dir=self.root_dir))

    @tornado.web.authenticated
    async def get(self) -> None:
        limit, archived = self.arg("limit"), (self.arg("archived", "0") or "0").lower()

        def listing() -> dict[str, Any]:
            n = self.int_value("limit", limit, 100, 1, 1000)
            flags = {"0": False, "false": False, "1": True, "true": True, "all": None}
            if archived not in flags:
                raise InvalidInput(f"archived 只能是 0、1 或 all (bad archived): {archived!r}",
                                   "0 = 列出的任务，1 = 已归档，all = 全部")
            return self.backtests.list(n, flags[archived])

        await self.respond(listing)


class BacktestHandler(BacktestBase):
    @tornado.web.authenticated
    async def get(self, job_id: str) -> None:
        await self.respond(self.backtests.get, job_id)

    @tornado.web.authenticated
    async def delete(self, job_id: str) -> None:
        await self.respond(self.backtests.cancel, job_id)


class BacktestResultHandler(BacktestBase):
    @tornado.web.authenticated
    async def get(self, job_id: str) -> None:
        await self.respond_text(self.backtests.result_text, "application/json; charset=UTF-8", job_id)


class BacktestReportHandler(BacktestBase):
    @property
    def content_security_policy(self) -> str:
        return REPORT_CSP

    @tornado.web.authenticated
    async def get(self, job_id: str) -> None:
        lang = "en" if (self.arg("lang", "zh") or "zh").lower().startswith("en") else "zh"
        await self.respond_text(self.backtests.report_html, "text/html; charset=UTF-8", job_id, lang)


class StrategiesHandler(BacktestBase):
    """Strategy classes in ``.py`` files under the server root (parsed with ``ast``, never imported)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        await self.respond(scan_strategies, self.root_dir)


class ProfilesHandler(BacktestBase):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.respond(lambda: self.backtests.profiles_list())
