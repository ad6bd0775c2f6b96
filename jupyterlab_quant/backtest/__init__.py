"""A-share-realistic backtests on Backtrader (回测): spec → engine → metrics → report.

``run(...)`` is the Python API; the CLI, ``%%backtest`` magic and REST jobs all build a
:class:`BacktestSpec` and end in the same engine.
"""

from __future__ import annotations

from .spec import BacktestResult, BacktestSpec

__all__ = ["BacktestResult", "BacktestSpec"]
