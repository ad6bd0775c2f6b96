"""The one routes table: the REST API under ``/jupyterlab-quant/v1/`` and the dashboards (Voila pages)."""

from __future__ import annotations

from .backtest_handlers import (
    BacktestHandler,
    BacktestReportHandler,
    BacktestResultHandler,
    BacktestsHandler,
    ProfilesHandler,
    StrategiesHandler,
)
from .dashboards import DashboardHandler
from .handlers import BarsHandler, CheckHandler, SourcesHandler, StatusHandler, SymbolsHandler, UpdateHandler
from .live_handlers import (
    AccountHandler,
    AlertsHandler,
    ChannelHandler,
    ChannelsHandler,
    ChannelTestHandler,
    NotifyLogHandler,
    RiskCheckHandler,
    RuleHandler,
    RulesHandler,
    RuleTypesHandler,
    SchedulerHandler,
    WatchlistHandler,
)
from .strategy_handlers import (
    StrategyDiffHandler,
    StrategyHandler,
    StrategyListHandler,
    StrategyRestoreHandler,
    StrategyVersionsHandler,
)
from .ws import LiveSocketHandler

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
    (rf"/{PREFIX}/risk/rule-types", RuleTypesHandler),
    (rf"/{PREFIX}/risk/rules", RulesHandler),
    (rf"/{PREFIX}/risk/rules/([0-9]{{1,9}})", RuleHandler),
    (rf"/{PREFIX}/risk/check", RiskCheckHandler),
    (rf"/{PREFIX}/risk/account", AccountHandler),
    (rf"/{PREFIX}/alerts", AlertsHandler),
    (rf"/{PREFIX}/notify/channels", ChannelsHandler),
    (rf"/{PREFIX}/notify/channels/([a-z_]+)", ChannelHandler),
    (rf"/{PREFIX}/notify/channels/([a-z_]+)/test", ChannelTestHandler),
    (rf"/{PREFIX}/notify/log", NotifyLogHandler),
    (rf"/{PREFIX}/watchlist", WatchlistHandler),
    (rf"/{PREFIX}/scheduler", SchedulerHandler),
    (rf"/{PREFIX}/ws", LiveSocketHandler),
    # Voila pages (HTML, not JSON): the gallery's dashboards rendered by the lab's server
    (r"/jupyterlab-quant/dashboards/([a-z_]{1,40})", DashboardHandler),
]
