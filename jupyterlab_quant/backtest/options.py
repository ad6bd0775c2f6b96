"""The backtest options shared by ``jlq backtest run`` and the ``%%backtest`` magic (declared once).

Both edges add these arguments to their argparse parser and turn the parsed namespace into a
:class:`BacktestSpec` with :func:`spec_from_options`, so the same flags mean the same run.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..core.errors import InvalidInput
from .spec import DEFAULT_BENCHMARK, DEFAULT_CASH, DEFAULT_TIMEOUT_S, BacktestSpec


def add_spec_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strategy", help="策略类名 class name when the source has several")
    p.add_argument("--symbols", action="append", required=True, help="代码, comma separated: 600519.SH,000001.SZ")
    p.add_argument("--start", required=True, help="开始日期 YYYY-MM-DD")
    p.add_argument("--end", required=True, help="结束日期 YYYY-MM-DD")
    p.add_argument("--cash", type=float, default=DEFAULT_CASH, help="初始资金 CNY (default 1,000,000)")
    p.add_argument("--profile", default="default", help="券商配置 broker profile (jlq backtest profiles)")
    p.add_argument("--commission", type=float, help="佣金率 override, e.g. 0.00025")
    p.add_argument("--min-commission", type=float, help="最低佣金 override CNY, e.g. 5")
    p.add_argument("--slippage", type=float, help="滑点 fraction of price, e.g. 0.001")
    p.add_argument("--volume-cap", type=float, help="成交量占比上限 fill ≤ this fraction of bar volume")
    p.add_argument("--benchmark", default=DEFAULT_BENCHMARK, help="基准 benchmark symbol ('none' to skip)")
    p.add_argument("--param", action="append", help="策略参数 k=v (repeatable)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="超时秒数 time limit in seconds")


def parse_params(items: list[str] | None) -> dict[str, str]:
    """``["fast=5", "slow=20"]`` → ``{"fast": "5", "slow": "20"}`` (typed later against the strategy)."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"参数格式应为 k=v (bad --param): {item!r}", "例如 --param fast=5 --param slow=20")
        out[key.strip()] = value.strip()
    return out


def spec_from_options(a: argparse.Namespace, *, strategy_file: str | None = None,
                      strategy_source: str | None = None, **extra: Any) -> BacktestSpec:
    symbols = [s.strip() for item in a.symbols or [] for s in item.split(",") if s.strip()]
    return BacktestSpec(symbols=tuple(symbols), start=a.start, end=a.end, strategy_file=strategy_file,
                        strategy_source=strategy_source, strategy_class=a.strategy, cash=a.cash, profile=a.profile,
                        commission=a.commission, min_commission=a.min_commission, slippage=a.slippage,
                        volume_cap=a.volume_cap,
                        benchmark=None if str(a.benchmark).lower() in ("", "none") else a.benchmark,
                        params=parse_params(a.param), timeout_s=a.timeout, **extra)
