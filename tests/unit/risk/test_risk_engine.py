"""RiskService end to end on a tmp home: state carried across checks (peak, day start, high-water),
NaN quotes, a failing rule, persisted statuses, contract shapes, concurrency."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest

from jupyterlab_quant.core.live import Alert, Severity
from jupyterlab_quant.risk.engine import RiskEngine, RiskService
from jupyterlab_quant.risk.model import Finding, Rule
from jupyterlab_quant.risk.rules import REGISTRY, RuleContext, RuleType
from jupyterlab_quant.risk.rules.base import text
from tests.unit.risk.helpers import NAN, NOW, q, rule, snap

MT, PA, CY = "600519.SH", "000001.SZ", "300750.SZ"
DAY1, DAY2 = dt.datetime(2026, 3, 2, 14, 50), dt.datetime(2026, 3, 3, 10, 0)


@pytest.fixture
def svc(tmp_path: Path) -> RiskService:
    return RiskService(tmp_path, clock=lambda: NOW)


def test_drawdown_breach_after_the_value_falls_more_than_x_from_its_peak(svc: RiskService, tmp_path: Path) -> None:
    svc.store.add("drawdown", {"max_drawdown_pct": 10})
    svc.accounts.upsert_position(MT, 1000, 900.0)
    path = [(1000.0, "ok"), (1100.0, "ok"), (1045.0, "ok"), (990.0, "ok"), (980.0, "breach")]
    for i, (price, state) in enumerate(path):
        # a fresh service each time: the peak must survive in the database, not in memory
        res = RiskService(tmp_path).check({MT: q(MT, price)}, NOW + dt.timedelta(minutes=i))
        assert res.statuses[0].state == state, (price, res.statuses[0].message)
    st = res.statuses[0]
    assert st.value == pytest.approx((1_100_000 - 980_000) / 1_100_000 * 100)
    (alert,) = res.alerts
    assert alert.key == "drawdown:1:default" and alert.severity is Severity.CRITICAL
    assert alert.title == "回撤超限：从峰值回撤 10.91%，阈值 10%"
    assert "1,100,000.00 元" in alert.message and alert.value == pytest.approx(10.9091, abs=1e-4)
    assert res.breached and svc.store.list_rules()[0].to_dict()["status"]["state"] == "breach"
    svc.accounts.reset_peak()
    assert not svc.check({MT: q(MT, 980.0)}).breached                   # new peak starts at 980,000


def test_a_value_resting_on_cost_prices_sets_no_peak(svc: RiskService) -> None:
    svc.store.add("drawdown", {"max_drawdown_pct": 10})
    svc.accounts.upsert_position(MT, 100, 100.0)
    first = svc.check({}, NOW)                              # no quote at all: valued at cost
    assert first.statuses[0].state == "no_data" and svc.accounts.load()[1].peak_value is None
    assert svc.check({MT: q(MT, 85.0)}, NOW).statuses[0].state == "ok"    # a loss from cost, not a drawdown


def test_peak_is_not_lowered_by_nan_quotes(svc: RiskService) -> None:
    svc.store.add("drawdown")
    svc.accounts.upsert_position(MT, 100, 100.0)
    svc.check({MT: q(MT, 200.0)}, NOW)
    res = svc.check({MT: q(MT, NAN, NAN)}, NOW)          # no price, no preclose: last live price 200
    assert res.snapshot is not None and res.snapshot.positions[0].price_source == "last"
    assert res.statuses[0].state == "ok" and "最近一次检查的价格" in res.statuses[0].message


def test_daily_loss_against_the_day_start_recorded_by_checks(svc: RiskService) -> None:
    svc.store.add("daily_loss", {"max_loss_pct": 3})
    svc.accounts.upsert_position(MT, 1000, 90.0)
    svc.check({MT: q(MT, 100.0)}, DAY1)                     # no preclose in these quotes
    res = svc.check({MT: q(MT, 96.0)}, DAY2)
    assert res.snapshot is not None and res.snapshot.day_start_source == "previous_check"
    assert (res.statuses[0].state, res.statuses[0].value) == ("breach", pytest.approx(4.0))
    assert res.alerts[0].title == "当日亏损超限：较昨收亏损 4%，阈值 3%"
    later = svc.check({MT: q(MT, 98.0)}, DAY2 + dt.timedelta(hours=1))
    assert later.snapshot is not None and later.snapshot.day_start_source == "day_state"
    assert (later.statuses[0].state, later.statuses[0].value) == ("ok", pytest.approx(2.0))
    with_preclose = svc.check({MT: q(MT, 98.0, 101.0)}, DAY2 + dt.timedelta(hours=2))
    assert with_preclose.statuses[0].value == pytest.approx(300 / 101)   # 前收盘 beats recorded state


def test_trailing_stop_high_water_mark_across_checks(svc: RiskService) -> None:
    r = svc.store.add("trailing_stop", {"trail_pct": 10})
    svc.accounts.upsert_position(MT, 100, 100.0, opened="2026-02-01")
    for price, state in [(110.0, "ok"), (130.0, "ok"), (118.0, "ok"), (116.0, "breach")]:
        res = svc.check({MT: q(MT, price)}, NOW)
        assert res.statuses[0].state == state
    assert res.alerts[0].key == f"trailing_stop:{r.id}:{MT}" and "最高 130" in res.alerts[0].message
    _, state = svc.accounts.load()
    assert state.positions[MT].high == 130.0
    svc.accounts.upsert_position(MT, 100, 100.0, opened="2026-03-02")   # re-opened: a fresh mark
    assert svc.accounts.load()[1].positions.get(MT) is None


def test_nan_quotes_never_raise_and_the_user_sees_why(svc: RiskService) -> None:
    svc.store.install_defaults()
    for kind, params in [("total_position", {}), ("cash_floor", {"min_cash": 1}), ("max_holdings", {}),
                         ("take_profit", {}), ("trailing_stop", {}), ("strategy_position", {})]:
        svc.store.add(kind, params)
    svc.accounts.set_cash(1000)
    svc.accounts.upsert_position(MT, 100, 100.0, strategy="a")
    svc.accounts.upsert_position(PA, 100, 10.0)
    res = svc.check({MT: q(MT, NAN, 95.0, name="贵州茅台"), PA: q(PA, NAN, NAN)}, NOW)
    assert not res.errors
    by = {s.kind: s for s in res.statuses}
    assert by["suspended"].state == "breach" and by["suspended"].symbols == (PA, MT)   # positions sorted by symbol
    assert "按前收盘价 95 估值" in by["suspended"].message and "按成本价 10 估值" in by["suspended"].message
    assert "未按实时价估值" in by["total_position"].message and "按成本价估值" in by["total_position"].message
    assert by["drawdown"].state == "no_data"                  # PA has no market price at all: no peak from cost
    json.dumps(res.to_dict(), allow_nan=False)


class Boom(RuleType):
    kind = "boom"
    scope = "account"
    label = text("炸", "Boom")
    description = text("总是出错", "Always fails")

    def evaluate(self, ctx: RuleContext, rule: Rule) -> list[Finding]:
        raise ZeroDivisionError("bad rule")


def test_a_rule_that_raises_is_an_error_and_the_others_still_run() -> None:
    engine = RiskEngine({**REGISTRY, "boom": Boom()})
    rules = [Rule(1, "boom", "炸", "account", {}), rule("cash_floor", {"min_cash": 10}, rule_id=2),
             Rule(3, "gone", "旧规则", "", {}), rule("drawdown", rule_id=4, enabled=False)]
    res = engine.evaluate(snap(cash=5), rules, {}, NOW)
    assert [s.state for s in res.statuses] == ["error", "breach", "error", "disabled"]
    assert "ZeroDivisionError: bad rule" in res.statuses[0].message
    assert "unknown rule kind" in res.statuses[2].message
    assert [a.rule for a in res.alerts] == ["cash_floor"]


def test_stored_params_that_no_longer_validate_are_an_error_not_a_crash(svc: RiskService, tmp_path: Path) -> None:
    import sqlite3

    r = svc.store.add("drawdown")
    con = sqlite3.connect(tmp_path / "state" / "risk.db")
    con.execute("UPDATE rules SET params = ? WHERE id = ?", ('{"max_drawdown_pct": 500}', r.id))
    con.commit()
    con.close()
    res = svc.check({})
    assert res.statuses[0].state == "error" and "drawdown.max_drawdown_pct" in res.statuses[0].message


def test_contract_shapes(svc: RiskService) -> None:
    svc.store.add("single_weight", {"max_weight_pct": 10})
    svc.accounts.upsert_position(MT, 100, 100.0)
    d = svc.check({MT: q(MT, 120.0, 118.0, name="贵州茅台")}).to_dict()
    assert set(d) >= {"checked_at", "statuses", "alerts"} and d["checked_at"] == "2026-03-02T10:30:00"
    assert set(d["statuses"][0]) >= {"rule_id", "kind", "state", "value", "threshold", "message", "symbols"}
    assert set(d["alerts"][0]) == {"id", "key", "rule", "severity", "title", "message", "time", "rule_id", "symbol",
                                   "value", "threshold"}
    assert Alert.from_dict(d["alerts"][0]).to_dict() == d["alerts"][0]
    assert d["account"]["value"] == 12_000 and d["breached"] is True
    rule_d = svc.store.list_rules()[0].to_dict()
    assert rule_d["status"]["state"] == "breach" and rule_d["status"]["symbols"] == [MT]
    assert rule_d["status"]["checked_at"] == "2026-03-02T10:30:00"
    acct = svc.snapshot({MT: q(MT, 120.0)}).to_dict()
    assert set(acct) >= {"name", "cash", "value", "positions", "permissions"}
    assert acct["permissions"] == {"chinext": False, "star": False}


def test_watched_symbols_and_quotes_keyed_by_raw_codes(svc: RiskService) -> None:
    svc.accounts.upsert_position(CY, 100, 100.0)
    svc.accounts.upsert_position(MT, 100, 100.0)
    assert svc.watched_symbols() == [CY, MT]
    res = svc.check({"600519": q(MT, 101.0)})                  # keyed oddly: matched by Quote.symbol
    assert res.snapshot is not None and res.snapshot.positions[1].price_source == "live"


def test_concurrent_checks_and_edits(tmp_path: Path) -> None:
    RiskService(tmp_path).store.install_defaults()
    RiskService(tmp_path).accounts.upsert_position(MT, 100, 100.0)
    errors: list[BaseException] = []

    def checker(offset: float) -> None:
        s = RiskService(tmp_path)
        try:
            for i in range(15):
                s.check({MT: q(MT, 100.0 + offset + i)}, NOW)
        except BaseException as exc:
            errors.append(exc)

    def editor() -> None:
        s = RiskService(tmp_path)
        try:
            for i in range(15):
                r = s.store.add("stop_loss", {"loss_pct": 5 + i})
                s.store.update(r.id, enabled=False)
                s.accounts.upsert_position(PA, 100 + i, 10.0)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=checker, args=(k * 20,)) for k in range(3)] + [threading.Thread(target=editor)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _, state = RiskService(tmp_path).accounts.load()
    assert state.positions[MT].high == 154.0                   # the highest price any thread saw survives
    assert len(RiskService(tmp_path).store.list_rules()) == 8 + 15


def test_200_positions_20_rules_is_fast(tmp_path: Path) -> None:
    import time

    svc = RiskService(tmp_path)
    svc.store.install_defaults()
    for _ in range(12):
        svc.store.add("take_profit")
    quotes = {}
    for i in range(200):
        sym = f"{600000 + i}.SH"
        svc.accounts.upsert_position(sym, 100, 10.0)
        quotes[sym] = q(sym, 10.0 + (i % 7) / 10, 10.0, name=f"S{i}")
    svc.check(quotes)
    t0 = time.perf_counter()
    svc.check(quotes)
    assert time.perf_counter() - t0 < 0.5           # target 50 ms; benchmarks/bench_risk.py measures it
