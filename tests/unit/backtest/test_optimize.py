"""Parameter optimisation: grid parsing, ranking, and a real sweep on a Dask LocalCluster."""

from __future__ import annotations

import pytest
from distributed import Client, LocalCluster

from jupyterlab_quant.backtest.engine import run_spec
from jupyterlab_quant.backtest.optimize import grid_specs, optimize, parse_grid, rank
from jupyterlab_quant.backtest.spec import BacktestSpec
from jupyterlab_quant.core.errors import InvalidInput

SMA = '''import backtrader as bt


class SmaCross(bt.Strategy):
    params = (("fast", 10), ("slow", 30))

    def __init__(self):
        if self.p.fast >= self.p.slow:
            raise ValueError("fast must be below slow")
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=self.p.fast), bt.ind.SMA(period=self.p.slow))

    def next(self):
        if self.cross > 0 and not self.position:
            self.order_target_percent(target=0.95)
        elif self.cross < 0 and self.position:
            self.close()
'''


def test_parse_grid() -> None:
    assert parse_grid(["fast=5, 10,20", "slow=30:90:30"]) == {"fast": ["5", "10", "20"], "slow": ["30", "60", "90"]}
    assert parse_grid(["w=0.1:0.3:0.1"]) == {"w": ["0.1", "0.2", "0.3"]}
    for bad in ("fast", "fast=", "slow=90:30:10", "x=a:b:c"):
        with pytest.raises(InvalidInput):
            parse_grid([bad])


def test_rank_orders_and_puts_errors_last() -> None:
    rows = [{"params": {"a": 1}, "sharpe": 0.5, "max_drawdown": 0.3}, {"params": {"a": 2}, "error": "boom"},
            {"params": {"a": 3}, "sharpe": 1.5, "max_drawdown": 0.4}, {"params": {"a": 4}, "sharpe": None}]
    assert [r["params"]["a"] for r in rank(rows, "sharpe")] == [3, 1, 4, 2]
    assert [r["params"]["a"] for r in rank(rows, "max_drawdown")][:2] == [1, 3]


def test_grid_too_large() -> None:
    base = BacktestSpec(symbols=("600519.SH",), start="2020-01-02", end="2020-12-31", strategy_source=SMA)
    with pytest.raises(InvalidInput, match="上限"):
        grid_specs(base, {"a": range(100), "b": range(100)})


def test_sweep_on_local_cluster_matches_single_runs(sample_services) -> None:
    home = sample_services.settings.home
    base = BacktestSpec(symbols=("600519.SH",), start="2018-01-02", end="2021-12-31", strategy_source=SMA)
    grid = parse_grid(["fast=5,10,40", "slow=30"])
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster, set_as_default=False) as client:
        rows = optimize(base, grid, client=client, home=home, metric="total_return")
    assert len(rows) == 3
    assert rows[-1]["params"] == {"fast": "40", "slow": "30"} and "fast must be below slow" in rows[-1]["error"]
    ok = [r for r in rows if "error" not in r]
    assert ok[0]["total_return"] >= ok[1]["total_return"]
    for r in ok:  # the worker's numbers are the in-process engine's numbers
        single = run_spec(base.with_overrides(params=r["params"]), sample_services.query, home=home)
        assert r["final_value"] == single.final_value
        assert r["sharpe"] == single.metrics["sharpe"]
