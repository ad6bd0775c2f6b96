"""A-share-realistic backtests on Backtrader (回测): spec → engine → metrics → report.

``run(...)`` is the Python API; the CLI, ``%%backtest`` magic and REST jobs all build a
:class:`BacktestSpec` and end in the same engine (:func:`.engine.run_spec`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .spec import BacktestResult, BacktestSpec

__all__ = ["BacktestResult", "BacktestSpec", "run"]


def run(strategy: str | Path | type, symbols: str | Sequence[str], start: str, end: str, *,
        cash: float = 1_000_000.0, profile: str = "default", params: dict[str, Any] | None = None,
        benchmark: str | None = "000300.SH", strategy_class: str | None = None,
        commission: float | None = None, min_commission: float | None = None, slippage: float | None = None,
        volume_cap: float | None = None, home: str | Path | None = None,
        progress: Callable[[float], None] | None = None) -> BacktestResult:
    """Run a backtest in this process and return the finalized result.

    ``strategy`` is a path to a ``.py`` file, the source text of one, or a ``backtrader.Strategy``
    subclass defined in the notebook. ``home`` defaults to ``$JLQ_HOME`` (or ``~/.jlq``).
    """
    import inspect

    from ..core.settings import Settings
    from ..data.query import QueryService
    from ..data.store import MarketStore
    from .engine import run_spec

    settings = Settings.from_env(home)
    cls: type | None = None
    file = source = None
    if isinstance(strategy, type):
        cls = strategy
        try:
            source = inspect.getsource(strategy)
        except (OSError, TypeError):
            source = f"# {strategy.__name__} defined in the notebook (source unavailable)\n"
    elif isinstance(strategy, Path) or (isinstance(strategy, str) and "\n" not in strategy
                                        and strategy.endswith(".py")):
        file = str(Path(strategy).resolve())
    else:
        source = str(strategy)
    syms = tuple(symbols.split(",")) if isinstance(symbols, str) else tuple(symbols)
    spec = BacktestSpec(symbols=syms, start=start, end=end, strategy_file=file, strategy_source=source,  # type: ignore[arg-type]
                        strategy_class=strategy_class or (cls.__name__ if cls else None), cash=cash,
                        profile=profile, commission=commission, min_commission=min_commission,
                        slippage=slippage, volume_cap=volume_cap, benchmark=benchmark, params=params or {})
    query = QueryService(MarketStore(settings.store_dir, lock_timeout_s=settings.lock_timeout_s),
                         hot_cache=settings.hot_cache)
    return run_spec(spec, query, progress=progress, home=settings.home, strategy_cls=cls)
