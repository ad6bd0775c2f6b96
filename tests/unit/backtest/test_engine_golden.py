"""Golden tests on real sample data: each A-share rule visibly acting inside a Backtrader run.

Prices quoted in comments come from ``data/sample/stock_1d.parquet`` (eastmoney via akshare, see
data/sample/SOURCES.md). A scripted strategy places exactly the orders a test needs.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from jupyterlab_quant.backtest.engine import run_spec
from jupyterlab_quant.backtest.spec import BacktestResult, BacktestSpec
from jupyterlab_quant.core.calendar import default_calendar
from jupyterlab_quant.core.errors import InvalidInput, NoData, NotFound, StrategyError, UnknownSymbol

SCRIPT = '''
import backtrader as bt


class Script(bt.Strategy):
    """Places (day, symbol, side, size) orders in next() of `day`; fills come the next bar."""

    params = (("orders", ()),)

    def next(self):
        today = max(d.datetime.date(0) for d in self.datas if len(d)).isoformat()
        for day, sym, side, size in self.p.orders:
            if day == today:
                data = self.getdatabyname(sym)
                (self.buy if side == "buy" else self.sell)(data=data, size=size)
'''


def cent(x: float | Decimal) -> float:
    return float(Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@pytest.fixture
def run(sample_services):
    def go(symbols: str, start: str, end: str, orders: list[tuple[str, str, str, int]], **kw) -> BacktestResult:
        spec = BacktestSpec(symbols=tuple(symbols.split(",")), start=start, end=end, strategy_source=SCRIPT,
                            params={"orders": tuple(orders)}, **kw)
        return run_spec(spec, sample_services.query, home=sample_services.settings.home)
    return go


def test_market_order_fills_at_next_open_with_fees(run) -> None:
    r = run("600519.SH", "2023-08-21", "2023-08-31", [("2023-08-23", "600519.SH", "buy", 100)])
    (f,) = r.trades
    # ordered after the close of 2023-08-23, filled at the 2023-08-24 open 1779.62
    assert (f.datetime, f.side, f.price, f.size) == ("2023-08-24", "buy", 1779.62, 100)
    assert f.commission == cent(177962 * 0.00025) == 44.49
    assert f.stamp_duty == 0.0  # buyer pays no stamp duty since 2008-09-19
    assert f.transfer_fee == cent(177962 * 0.00001) == 1.78
    assert r.cash == pytest.approx(1_000_000 - 177962 - 44.49 - 1.78, abs=0.01)
    assert r.positions == {"600519.SH": 100}


def test_stamp_duty_halved_from_2023_08_28(run) -> None:
    orders = [("2023-08-21", "600519.SH", "buy", 200),
              ("2023-08-24", "600519.SH", "sell", 100),   # fills 08-25 at 1808.79: 0.1 %
              ("2023-08-25", "600519.SH", "sell", 100)]   # fills 08-28 at 1898.58: 0.05 %
    r = run("600519.SH", "2023-08-18", "2023-08-31", orders)
    sells = [t for t in r.trades if t.side == "sell"]
    assert [(t.datetime, t.price) for t in sells] == [("2023-08-25", 1808.79), ("2023-08-28", 1898.58)]
    assert sells[0].stamp_duty == cent(180879 * 0.001) == 180.88
    assert sells[1].stamp_duty == cent(189858 * 0.0005) == 94.93
    assert r.metrics["fees_stamp_duty"] == pytest.approx(180.88 + 94.93)


def test_five_yuan_minimum_commission(run) -> None:
    r = run("000001.SZ", "2023-03-01", "2023-03-10", [("2023-03-01", "000001.SZ", "buy", 100)])
    (f,) = r.trades
    assert f.value < 20_000  # 100 × ~13 CNY: the 万2.5 rate would be ~0.33 CNY
    assert f.commission == 5.0
    r2 = run("000001.SZ", "2023-03-01", "2023-03-10", [("2023-03-01", "000001.SZ", "buy", 100)], profile="low_cost")
    assert r2.trades[0].commission == cent(r2.trades[0].value * 0.0001)


def test_limit_up_open_rejects_buy(run) -> None:
    # 603392.SH opened at its limit-up 136.60 (preclose 124.18 × 1.1) on 2020-06-08
    r = run("603392.SH", "2020-06-01", "2020-06-12",
            [("2020-06-05", "603392.SH", "buy", 100), ("2020-06-09", "603392.SH", "buy", 100)])
    assert [(x.datetime, x.reason, x.size) for x in r.rejections] == [("2020-06-08", "limit_up", 100)]
    assert [(t.datetime, t.price) for t in r.trades] == [("2020-06-10", 136.0)]


def test_limit_down_open_rejects_sell(run) -> None:
    # 603392.SH opened at its limit-down 50.18 (preclose 55.76 × 0.9) on 2023-08-25
    r = run("603392.SH", "2023-08-01", "2023-08-31",
            [("2023-08-01", "603392.SH", "buy", 100), ("2023-08-24", "603392.SH", "sell", 100)])
    assert [(x.datetime, x.reason) for x in r.rejections] == [("2023-08-25", "limit_down")]
    assert r.positions == {"603392.SH": 100}


def test_star_lot_rules(run) -> None:
    r = run("688981.SH,600519.SH", "2023-03-01", "2023-03-10",
            [("2023-03-01", "688981.SH", "buy", 150),    # STAR minimum is 200 → rejected
             ("2023-03-01", "688981.SH", "buy", 250),    # ≥ 200 then 1-share steps → 250
             ("2023-03-01", "600519.SH", "buy", 150)])   # main board rounds down to 100
    assert [(x.symbol, x.reason, x.size) for x in r.rejections] == [("688981.SH", "lot_size", 150)]
    assert sorted((t.symbol, t.size) for t in r.trades) == [("600519.SH", 100), ("688981.SH", 250)]


def test_t_plus_1_and_position_checks(run) -> None:
    r = run("000001.SZ", "2023-03-01", "2023-03-10",
            [("2023-03-01", "000001.SZ", "sell", 100),   # nothing held
             ("2023-03-02", "000001.SZ", "buy", 200),
             ("2023-03-02", "000001.SZ", "sell", 100),   # same fill day as the buy → T+1
             ("2023-03-03", "000001.SZ", "sell", 50),    # odd lot while holding 200 → lot size
             ("2023-03-06", "000001.SZ", "sell", 100)])  # allowed
    assert [(x.datetime, x.reason) for x in r.rejections] == [
        ("2023-03-02", "insufficient_position"), ("2023-03-03", "t_plus_1"), ("2023-03-06", "lot_size")]
    assert [(t.side, t.size) for t in r.trades] == [("buy", 200), ("sell", 100)]


def test_insufficient_cash(run) -> None:
    r = run("600519.SH", "2023-03-01", "2023-03-10", [("2023-03-01", "600519.SH", "buy", 100)], cash=100_000)
    assert [x.reason for x in r.rejections] == ["insufficient_cash"]
    assert r.trades == [] and r.final_value == 100_000


def test_suspended_day_rejects_order_and_curve_keeps_calendar(run, sample_services) -> None:
    bars = sample_services.query.bars("000568.SZ", "2016-04-15", "2016-05-31")
    suspended = bars[bars["trade_status"] == 0]["date"].astype(str).tolist()
    assert "2016-04-20" in suspended  # 泸州老窖 停牌 from 2016-04-20
    r = run("000568.SZ", "2016-04-15", "2016-05-31", [("2016-04-19", "000568.SZ", "buy", 100)])
    assert [(x.datetime, x.reason) for x in r.rejections] == [("2016-04-20", "suspended")]
    days = default_calendar().between(r.spec.start, r.spec.end)
    assert [d for d, _ in r.equity_curve] == [d.isoformat() for d in days]


def test_corporate_action_preserves_value(run, sample_services) -> None:
    # 贵州茅台 ex-dividend 2021-06-25 (21.675 CNY per share): 100 shares rescaled, remainder in cash
    r = run("600519.SH", "2021-06-01", "2021-07-09", [("2021-06-01", "600519.SH", "buy", 100)])
    (ca,) = r.corporate_actions
    assert ca.date == "2021-06-25" and ca.shares_before == 100
    bars = sample_services.query.bars("600519.SH", "2021-06-24", "2021-06-25")
    prev_close, ref = float(bars["close"].iloc[0]), float(bars["preclose"].iloc[1])
    before = 100 * prev_close
    after = ca.shares_after * ref + ca.cash_in_lieu
    assert after == pytest.approx(before, abs=prev_close * 0.002)  # factor vs exchange reference rounding
    assert r.positions == {"600519.SH": ca.shares_after}


def test_result_json_contract_and_determinism(run, tmp_path: Path) -> None:
    orders = [("2020-03-02", "600519.SH", "buy", 100), ("2020-06-01", "600519.SH", "sell", 100)]
    a = run("600519.SH", "2020-01-02", "2020-12-31", orders)
    b = run("600519.SH", "2020-01-02", "2020-12-31", orders)
    da, db = json.loads(a.to_json()), json.loads(b.to_json())
    da.pop("elapsed_s"), db.pop("elapsed_s")
    assert da == db
    for key in ("final_value", "cash", "trades", "rejections", "equity_curve", "metrics"):
        assert key in da
    assert set(da["trades"][0]) >= {"datetime", "symbol", "side", "price", "size", "commission", "stamp_duty",
                                    "transfer_fee"}
    assert set(da["equity_curve"][0]) == {"date", "value"}
    assert da["benchmark_curve"][0]["value"] == 1_000_000
    assert 0 <= da["metrics"]["max_drawdown"] < 1
    assert BacktestResult.from_dict(da).final_value == a.final_value


@pytest.mark.parametrize(("source", "match"), [
    ("import backtrader as bt\nclass S(bt.Strategy)\n    pass\n", "语法错误"),
    ("x = 1\n", "没有 backtrader.Strategy"),
])
def test_bad_strategy_sources(sample_services, source: str, match: str) -> None:
    spec = BacktestSpec(symbols=("600519.SH",), start="2020-01-02", end="2020-02-28", strategy_source=source)
    with pytest.raises(StrategyError, match=match):
        run_spec(spec, sample_services.query)


def test_exception_in_next_carries_user_traceback(sample_services, tmp_path: Path) -> None:
    f = tmp_path / "boom.py"
    f.write_text("import backtrader as bt\n\nclass Boom(bt.Strategy):\n    def next(self):\n"
                 "        raise ValueError('bad signal')\n", encoding="utf-8")
    spec = BacktestSpec(symbols=("600519.SH",), start="2020-01-02", end="2020-02-28", strategy_file=str(f))
    with pytest.raises(StrategyError) as ei:
        run_spec(spec, sample_services.query)
    assert "bad signal" in ei.value.message
    assert f'File "{f}", line 5, in next' in ei.value.traceback


def test_bad_inputs_are_typed(sample_services) -> None:
    q = sample_services.query

    def spec(**kw):
        base = dict(symbols=("600519.SH",), start="2020-01-02", end="2020-02-28", strategy_source=SCRIPT)
        return BacktestSpec(**{**base, **kw})

    with pytest.raises(InvalidInput, match="初始资金"):
        spec(cash=-1)
    with pytest.raises(UnknownSymbol):
        run_spec(spec(symbols=("600000.SH",)), q)
    with pytest.raises(NoData):
        run_spec(spec(start="2026-01-05", end="2026-02-27"), q)
    with pytest.raises(NotFound, match="券商配置"):
        run_spec(spec(profile="nope"), q, home=sample_services.settings.home)
    with pytest.raises(InvalidInput, match="没有参数"):
        run_spec(spec(params={"nope": 1}), q)
    with pytest.raises(InvalidInput, match="指数"):
        run_spec(spec(symbols=("000300.SH",)), q)


def test_slippage_against_the_trader_rounded_to_the_tick(run) -> None:
    r = run("000001.SZ", "2023-03-01", "2023-03-10",
            [("2023-03-01", "000001.SZ", "buy", 100), ("2023-03-03", "000001.SZ", "sell", 100)], slippage=0.001)
    buy, sell = r.trades
    assert (buy.datetime, buy.price) == ("2023-03-02", 14.15)   # open 14.13 × 1.001 = 14.144 → up to 14.15
    assert (sell.datetime, sell.price) == ("2023-03-06", 14.28)  # open 14.30 × 0.999 = 14.286 → down to 14.28


def test_volume_cap_splits_fills_in_lots(run, sample_services) -> None:
    bars = sample_services.query.bars("000001.SZ", "2023-03-02", "2023-03-06").set_index("date")["volume"]
    r = run("000001.SZ", "2023-03-01", "2023-03-10", [("2023-03-01", "000001.SZ", "buy", 300_000)],
            cash=100_000_000, volume_cap=0.001)
    sizes = [(t.datetime, t.size) for t in r.trades]
    caps = [int(v * 0.001) // 100 * 100 for v in bars.to_numpy()]   # 101,587,684 → 101,500 …
    assert sizes == [("2023-03-02", caps[0]), ("2023-03-03", caps[1]), ("2023-03-06", 300_000 - caps[0] - caps[1])]
    assert all(t.commission >= 5 for t in r.trades)  # every partial fill is its own trade with its own fees


def test_etfs_no_stamp_duty_and_t_plus_rules(run) -> None:
    # ordinary equity ETF (沪深300ETF): T+1, no stamp duty on the sell
    r = run("510300.SH", "2023-03-01", "2023-03-10",
            [("2023-03-01", "510300.SH", "buy", 1000), ("2023-03-01", "510300.SH", "sell", 1000),
             ("2023-03-02", "510300.SH", "sell", 1000)])
    assert [(x.datetime, x.reason) for x in r.rejections] == [("2023-03-02", "t_plus_1")]
    sell = next(t for t in r.trades if t.side == "sell")
    assert sell.stamp_duty == 0.0 and sell.datetime == "2023-03-03"
    # gold ETF (黄金ETF 518880): T+0 — bought and sold at the same open
    g = run("518880.SH", "2023-03-01", "2023-03-10",
            [("2023-03-01", "518880.SH", "buy", 1000), ("2023-03-01", "518880.SH", "sell", 1000)])
    assert g.rejections == [] and [(t.datetime, t.side) for t in g.trades] == [("2023-03-02", "buy"),
                                                                              ("2023-03-02", "sell")]
