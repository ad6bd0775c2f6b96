"""Parameter optimisation (参数优化): a grid of strategy params run as Dask tasks, ranked by a metric.

Each combination is one :func:`engine.run_spec` call in a Dask worker process (LocalCluster by default,
the configured scheduler when there is one); only the summary row comes back, not the whole result.
A combination whose strategy raises is a row with its error, never a failed sweep.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..core.errors import InvalidInput, QuantError
from .spec import BacktestSpec

MAX_COMBINATIONS = 2_000
SUMMARY_KEYS = ("total_return", "annual_return", "sharpe", "sortino", "calmar", "max_drawdown", "win_rate",
                "trade_count", "fees_total")
LOWER_IS_BETTER = {"max_drawdown", "volatility", "fees_total", "tracking_error"}


def parse_grid(items: Sequence[str]) -> dict[str, list[str]]:
    """``["fast=5,10,20", "slow=30:90:30"]`` → ``{"fast": ["5","10","20"], "slow": ["30","60","90"]}``.

    ``a:b:step`` is an inclusive integer/float range."""
    grid: dict[str, list[str]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key.strip() or not values.strip():
            raise InvalidInput(f"网格格式应为 k=v1,v2 或 k=起:止:步长 (bad --grid): {item!r}",
                               "例如 --grid fast=5,10,20 --grid slow=30:90:30")
        if values.count(":") == 2:
            lo, hi, step = values.split(":")
            try:
                a, b, s = float(lo), float(hi), float(step)
            except ValueError:
                raise InvalidInput(f"范围必须是数字 (range must be numeric): {item!r}", "例如 slow=30:90:30") from None
            if s <= 0 or b < a:
                raise InvalidInput(f"范围无效 (empty range): {item!r}", "步长为正且 起 ≤ 止")
            n = int((b - a) / s + 1e-9) + 1
            ints = all(float(x).is_integer() for x in (a, b, s))
            grid[key.strip()] = [str(int(a + i * s)) if ints else repr(round(a + i * s, 10)) for i in range(n)]
        else:
            grid[key.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    return grid


def grid_specs(base: BacktestSpec, grid: Mapping[str, Sequence[Any]]) -> list[BacktestSpec]:
    keys = list(grid)
    combos = list(itertools.product(*(grid[k] for k in keys)))
    if len(combos) > MAX_COMBINATIONS:
        raise InvalidInput(f"参数组合 {len(combos)} 个，超过上限 {MAX_COMBINATIONS} (grid too large)", "缩小网格")
    return [replace(base, params={**base.params, **dict(zip(keys, c, strict=True))}) for c in combos]


def run_one(spec_dict: dict[str, Any], home: str | None) -> dict[str, Any]:
    """One grid point (runs in a Dask worker): params + summary metrics, or params + error."""
    from ..data.query import QueryService
    from ..data.store import MarketStore
    from .engine import run_spec

    spec = BacktestSpec.from_dict(spec_dict)
    row: dict[str, Any] = {"params": spec.params}
    try:
        root = Path(home) if home else None
        query = QueryService(MarketStore((root or Path.home() / ".jlq") / "store"))
        result = run_spec(spec, query, home=root)
    except QuantError as exc:
        return {**row, "error": exc.message}
    return {**row, "final_value": result.final_value, **{k: result.metrics.get(k) for k in SUMMARY_KEYS}}


def rank(rows: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """Best first by ``metric`` (max drawdown and costs: lower is better); errors and None last."""
    sign = 1 if metric in LOWER_IS_BETTER else -1

    def key(r: dict[str, Any]) -> tuple[int, float]:
        v = r.get(metric)
        if "error" in r:
            return (2, 0.0)
        return (1, 0.0) if v is None else (0, sign * float(v))

    return sorted(rows, key=key)


def optimize(base: BacktestSpec, grid: Mapping[str, Sequence[Any]], *, client: Any, home: Path | None,
             metric: str = "sharpe", progress: Callable[[float], None] | None = None) -> list[dict[str, Any]]:
    """Run every grid point on the Dask ``client``; rows ranked best first by ``metric``."""
    if metric not in SUMMARY_KEYS:
        raise InvalidInput(f"不能按 {metric!r} 排序 (unknown metric)", f"可选: {', '.join(SUMMARY_KEYS)}")
    specs = grid_specs(base, grid)
    futures = [client.submit(run_one, s.to_dict(), str(home) if home else None, pure=False, retries=2)
               for s in specs]
    rows: list[dict[str, Any]] = []
    for done, fut in enumerate(futures, 1):  # in order: progress is monotone and no default client is needed
        rows.append(fut.result())
        if progress is not None:
            progress(done / len(futures))
    return rank(rows, metric)
