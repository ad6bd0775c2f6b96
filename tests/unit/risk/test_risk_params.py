"""Rule types describe their parameters, and malformed parameters are refused with a message that names
the rule kind, the field and the allowed range."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import pytest

from jupyterlab_quant.core.errors import InvalidInput
from jupyterlab_quant.risk import rules as rules_pkg
from jupyterlab_quant.risk.model import SCOPES
from jupyterlab_quant.risk.rules import REGISTRY, get_rule_type, rule_types

EXPECTED_KINDS = {"total_position", "single_weight", "daily_loss", "drawdown", "cash_floor", "max_holdings",
                  "stop_loss", "trailing_stop", "take_profit", "strategy_position", "limit_down", "st_holding",
                  "suspended", "board_permission"}


def test_every_rule_module_is_registered_one_rule_per_file() -> None:
    modules = {m.name for m in pkgutil.iter_modules([str(Path(rules_pkg.__file__).parent)])} - {"base"}
    assert modules == EXPECTED_KINDS == set(REGISTRY)


def test_rule_types_describe_themselves_in_the_contract_shape() -> None:
    types = rule_types()
    assert [t["kind"] for t in types] == list(REGISTRY)
    for t in types:
        assert set(t) >= {"kind", "scope", "label", "description", "params"}
        assert t["scope"] in SCOPES
        assert t["label"]["zh"] and t["label"]["en"] and t["description"]["zh"] and t["description"]["en"]
        for p in t["params"]:
            assert p["type"] in ("number", "integer", "boolean", "string")
            assert p["unit"] in ("%", "CNY", "count", "")
            assert p["label"]["zh"] and p["label"]["en"]
            if p["unit"] == "%":
                assert p["min"] == 0 and p["max"] > 0   # percents are entered as percents (10 = 10 %)


def test_exact_message_for_an_out_of_range_percent() -> None:
    with pytest.raises(InvalidInput) as e:
        get_rule_type("drawdown").validate({"max_drawdown_pct": 150})
    assert e.value.message == "drawdown.max_drawdown_pct: 必须在 0–100 之间 (must be between 0 and 100), got 150"
    assert "10 表示 10%" in e.value.hint


@pytest.mark.parametrize(("kind", "params", "needle"), [
    ("drawdown", {"max_drawdown_pct": -1}, "drawdown.max_drawdown_pct: 必须在 0–100 之间"),
    ("drawdown", {"max_drawdown_pct": "abc"}, "drawdown.max_drawdown_pct: 必须是数字 (a number), got 'abc'"),
    ("drawdown", {"max_drawdown_pct": "nan"}, "drawdown.max_drawdown_pct: 必须是数字"),
    ("drawdown", {"max_drawdown_pct": float("inf")}, "drawdown.max_drawdown_pct: 必须是数字"),
    ("drawdown", {"max_drawdown_pct": True}, "drawdown.max_drawdown_pct: 必须是数字"),
    ("drawdown", {"max_drawdown_pct": [10]}, "drawdown.max_drawdown_pct: 必须是数字"),
    ("drawdown", {"max_dd": 10}, "drawdown.max_dd: 未知参数 (unknown parameter); 可用 (allowed): max_drawdown_pct"),
    ("cash_floor", {}, "cash_floor.min_cash: 缺少必填参数 (required parameter missing)"),
    ("cash_floor", {"min_cash": -5}, "cash_floor.min_cash: 必须 ≥ 0 (must be at least 0), got -5"),
    ("max_holdings", {"max_count": 2.5}, "max_holdings.max_count: 必须是整数 (an integer), got 2.5"),
    ("max_holdings", {"max_count": 0}, "max_holdings.max_count: 必须在 1–10000 之间"),
    ("suspended", {"include_missing": "maybe"}, "suspended.include_missing: 必须是true/false"),
    ("board_permission", {"check_star": 2}, "board_permission.check_star: 必须是true/false"),
    ("take_profit", {"gain_pct": 20000}, "take_profit.gain_pct: 必须在 0–10000 之间"),
    ("limit_down", {"near_pct": 25}, "limit_down.near_pct: 必须在 0–20 之间"),
])
def test_malformed_params_name_kind_field_and_range(kind: str, params: dict, needle: str) -> None:
    with pytest.raises(InvalidInput) as e:
        get_rule_type(kind).validate(params)
    assert needle in e.value.message


def test_unknown_kind_lists_the_available_ones() -> None:
    with pytest.raises(InvalidInput) as e:
        get_rule_type("max_loss")
    assert "max_loss" in e.value.message and "drawdown" in e.value.hint


@pytest.mark.parametrize(("kind", "params", "expected"), [
    ("drawdown", None, {"max_drawdown_pct": 10.0}),
    ("drawdown", {"max_drawdown_pct": "12.5"}, {"max_drawdown_pct": 12.5}),       # CLI text
    ("drawdown", {"max_drawdown_pct": 0}, {"max_drawdown_pct": 0.0}),             # bounds are inclusive
    ("drawdown", {"max_drawdown_pct": 100}, {"max_drawdown_pct": 100.0}),
    ("max_holdings", {"max_count": "3"}, {"max_count": 3}),
    ("max_holdings", {"max_count": 4.0}, {"max_count": 4}),
    ("suspended", {"include_missing": "yes"}, {"include_missing": True}),
    ("suspended", {"include_missing": "否"}, {"include_missing": False}),
    ("board_permission", {"check_chinext": 0}, {"check_chinext": False, "check_star": True}),
    ("cash_floor", {"min_cash": "10,000".replace(",", "")}, {"min_cash": 10000.0}),
])
def test_valid_params_are_typed_and_defaults_filled(kind: str, params: dict | None, expected: dict) -> None:
    out = get_rule_type(kind).validate(params)
    assert out == expected
    assert [type(v) for v in out.values()] == [type(v) for v in expected.values()]
