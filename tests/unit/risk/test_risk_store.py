"""Rules CRUD in SQLite: contract shapes, validation before any write, ids never reused, defaults."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from jupyterlab_quant.core.errors import InvalidInput, NotFound
from jupyterlab_quant.risk.model import RuleStatus
from jupyterlab_quant.risk.store import DEFAULT_RULES, RiskStore

RULE_KEYS = {"id", "kind", "name", "scope", "params", "enabled", "strategy", "status"}
STATUS_KEYS = {"state", "value", "threshold", "message", "symbols", "checked_at"}


def _dump(home: Path) -> list[tuple]:
    con = sqlite3.connect(home / "state" / "risk.db")
    try:
        return con.execute("SELECT * FROM rules ORDER BY id").fetchall()
    finally:
        con.close()


def test_add_get_list_in_contract_shape(tmp_path: Path) -> None:
    st = RiskStore(tmp_path)
    r = st.add("stop_loss", {"loss_pct": "7.5"}, name="短线止损", strategy="momo")
    d = r.to_dict()
    assert set(d) == RULE_KEYS and set(d["status"]) == STATUS_KEYS
    assert d == {"id": 1, "kind": "stop_loss", "name": "短线止损", "scope": "strategy",
                 "params": {"loss_pct": 7.5}, "enabled": True, "strategy": "momo",
                 "status": {"state": "no_data", "value": None, "threshold": None,
                            "message": "尚未检查 (not checked yet)", "symbols": [], "checked_at": None}}
    assert st.get("1") == st.get(1) == st.list_rules()[0]
    off = st.add("drawdown", enabled=False)
    assert off.name == "最大回撤" and off.params == {"max_drawdown_pct": 10.0}
    assert off.to_dict()["status"]["state"] == "disabled"


@pytest.mark.parametrize(("kind", "params", "kwargs", "needle"), [
    ("drawdown", {"max_drawdown_pct": 150}, {}, "drawdown.max_drawdown_pct: 必须在 0–100 之间"),
    ("nope", {}, {}, "unknown rule kind"),
    ("drawdown", {}, {"strategy": "momo"}, "drawdown.strategy"),
    ("drawdown", {}, {"name": "  "}, "drawdown.name"),
    ("drawdown", [1, 2], {}, "drawdown.params"),
])
def test_bad_adds_write_nothing(tmp_path: Path, kind: str, params, kwargs: dict, needle: str) -> None:
    st = RiskStore(tmp_path)
    st.add("drawdown")
    before = _dump(tmp_path)
    with pytest.raises(InvalidInput) as e:
        st.add(kind, params, **kwargs)
    assert needle in e.value.message
    assert _dump(tmp_path) == before


def test_update_merges_params_validates_the_whole_set_and_clears_status(tmp_path: Path) -> None:
    st = RiskStore(tmp_path)
    r = st.add("limit_down", {"near_pct": 1})
    st.save_statuses([RuleStatus(r.id, "limit_down", "ok", "fine")])
    assert st.get(r.id).to_dict()["status"]["message"] == "fine"
    st.update(r.id, name="跌停提醒")                          # a rename keeps the status
    assert st.get(r.id).to_dict()["status"]["message"] == "fine"
    u = st.update(r.id, params={"near_pct": 2}, enabled=False)
    assert (u.params, u.enabled, u.name, u.status) == ({"near_pct": 2.0}, False, "跌停提醒", None)
    before = _dump(tmp_path)
    with pytest.raises(InvalidInput, match=r"limit_down\.near_pct"):
        st.update(r.id, params={"near_pct": 99}, enabled=True)
    with pytest.raises(InvalidInput, match=r"limit_down\.bogus"):
        st.update(r.id, params={"bogus": 1})
    assert _dump(tmp_path) == before
    assert st.update(r.id, strategy="swing").strategy == "swing"
    assert st.update(r.id, strategy=None).strategy is None


@pytest.mark.parametrize("bad", [99, "abc", "", True])
def test_unknown_ids_are_not_found(tmp_path: Path, bad) -> None:
    st = RiskStore(tmp_path)
    st.add("drawdown")
    for call in (lambda: st.get(bad), lambda: st.update(bad, enabled=False), lambda: st.remove(bad)):
        with pytest.raises(NotFound):
            call()


def test_removed_ids_are_not_reused_so_alert_keys_stay_unique(tmp_path: Path) -> None:
    st = RiskStore(tmp_path)
    a, b = st.add("drawdown"), st.add("daily_loss")
    st.remove(b.id)
    assert st.add("daily_loss").id == b.id + 1 and [r.id for r in st.list_rules()] == [a.id, b.id + 1]


def test_install_defaults_is_idempotent(tmp_path: Path) -> None:
    st = RiskStore(tmp_path)
    st.add("drawdown", {"max_drawdown_pct": 20})
    added = st.install_defaults()
    assert [r.kind for r in added] == [k for k, _ in DEFAULT_RULES if k != "drawdown"]
    assert st.install_defaults() == []
    by_kind = {r.kind: r.params for r in st.list_rules()}
    assert by_kind["drawdown"] == {"max_drawdown_pct": 20.0}       # the user's own rule is kept
    assert by_kind["daily_loss"] == {"max_loss_pct": 3.0} and by_kind["stop_loss"] == {"loss_pct": 8.0}


def test_statuses_of_removed_rules_are_ignored(tmp_path: Path) -> None:
    st = RiskStore(tmp_path)
    r = st.add("drawdown")
    st.remove(r.id)
    st.save_statuses([RuleStatus(r.id, "drawdown", "ok", "late writer")])
    assert st.list_rules() == []


def test_rule_types_passthrough(tmp_path: Path) -> None:
    assert len(RiskStore(tmp_path).rule_types()) == 14
