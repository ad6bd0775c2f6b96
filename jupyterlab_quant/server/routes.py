"""The one routes table of the REST API, all under ``/jupyterlab-quant/v1/``."""

from __future__ import annotations

from .handlers import BarsHandler, StatusHandler, SymbolsHandler

PREFIX = "jupyterlab-quant/v1"

ROUTES = [
    (rf"/{PREFIX}/status", StatusHandler),
    (rf"/{PREFIX}/symbols", SymbolsHandler),
    (rf"/{PREFIX}/bars", BarsHandler),
]
