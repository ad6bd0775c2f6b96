"""The one routes table of the REST API, all under ``/jupyterlab-quant/v1/``."""

from __future__ import annotations

from .backtest_handlers import (
    BacktestHandler,
    BacktestReportHandler,
    BacktestResultHandler,
    BacktestsHandler,
    ProfilesHandler,
    StrategiesHandler,
)
from .handlers import BarsHandler, CheckHandler, SourcesHandler, StatusHandler, SymbolsHandler, UpdateHandler
from .strategy_handlers import (
    StrategyDiffHandler,
    StrategyHandler,
    StrategyListHandler,
    StrategyRestoreHandler,
    StrategyVersionsHandler,
)

PREFIX = "jupyterlab-quant/v1"

ROUTES = [
    (rf"/{PREFIX}/status", StatusHandler),
    (rf"/{PREFIX}/symbols", SymbolsHandler),
    (rf"/{PREFIX}/bars", BarsHandler),
    (rf"/{PREFIX}/sources", SourcesHandler),
    (rf"/{PREFIX}/check", CheckHandler),
    (rf"/{PREFIX}/update", UpdateHandler),
    (rf"/{PREFIX}/update/([0-9a-f]{{12}})", UpdateHandler),
    (rf"/{PREFIX}/backtests", BacktestsHandler),
    (rf"/{PREFIX}/backtests/([0-9a-f]{{12}})", BacktestHandler),
    (rf"/{PREFIX}/backtests/([0-9a-f]{{12}})/result", BacktestResultHandler),
    (rf"/{PREFIX}/backtests/([0-9a-f]{{12}})/report", BacktestReportHandler),
    (rf"/{PREFIX}/backtest/strategies", StrategiesHandler),
    (rf"/{PREFIX}/backtest/profiles", ProfilesHandler),
    (rf"/{PREFIX}/strategies", StrategyListHandler),
    (rf"/{PREFIX}/strategies/([^/]+)", StrategyHandler),
    (rf"/{PREFIX}/strategies/([^/]+)/versions", StrategyVersionsHandler),
    (rf"/{PREFIX}/strategies/([^/]+)/diff", StrategyDiffHandler),
    (rf"/{PREFIX}/strategies/([^/]+)/restore", StrategyRestoreHandler),
]
