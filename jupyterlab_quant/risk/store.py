"""Risk rules in SQLite (风控规则库, ``$JLQ_HOME/state/risk.db``): create, edit, enable/disable, remove,
the default rule set, and each rule's last status. Edited through the CLI, REST and the Risk panel.

Parameters are validated by the rule type before anything is written (``InvalidInput`` names the rule
kind, the field and the allowed range), so stored data is unchanged on any error.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..core.errors import InvalidInput, NotFound
from .account import check_tag
from .db import connect, db_path, now_text, transaction
from .model import Rule, RuleStatus
from .rules import REGISTRY, get_rule_type, rule_types

# The set `jlq risk rules add --defaults` installs: the account's loss limits, a concentration cap, a
# per-position stop, and the market/compliance watches that need no tuning. cash_floor is left out:
# its floor depends on the account.
DEFAULT_RULES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("drawdown", {"max_drawdown_pct": 10}),
    ("daily_loss", {"max_loss_pct": 3}),
    ("single_weight", {"max_weight_pct": 30}),
    ("stop_loss", {"loss_pct": 8}),
    ("limit_down", {}),
    ("st_holding", {}),
    ("suspended", {}),
    ("board_permission", {}),
)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
_COLUMNS = ("r.id, r.kind, r.name, r.params, r.enabled, r.strategy, r.created, r.updated, "
            "s.state, s.value, s.threshold, s.message, s.symbols, s.checked_at")


def _rule_id(rule_id: int | str) -> int:
    try:
        if isinstance(rule_id, bool):
            raise ValueError
        return int(str(rule_id).strip())
    except ValueError:
        raise NotFound(f"没有编号为 {rule_id!r} 的风控规则 (no such rule)",
                       "jlq risk rules list 查看规则编号") from None


def _name(name: str | None, kind: str) -> str:
    if name is None:
        return str(REGISTRY[kind].label["zh"]) if kind in REGISTRY else kind
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 60 or any(ord(c) < 32 for c in name):
        raise InvalidInput(f"{kind}.name: 规则名称无效 (bad rule name): {name!r}", "1–60 个字，不含控制字符")
    return name.strip()


def _row_to_rule(row: Sequence[Any]) -> Rule:
    (rid, kind, name, params, enabled, strategy, created, updated, state, value, threshold, message, symbols,
     checked_at) = row
    status = None
    if state is not None:
        status = RuleStatus(rule_id=rid, kind=kind, state=state, message=message or "", value=value,
                            threshold=threshold, symbols=tuple(json.loads(symbols or "[]")),
                            checked_at=dt.datetime.fromisoformat(checked_at) if checked_at else None, name=name,
                            scope=REGISTRY[kind].scope if kind in REGISTRY else "")
    return Rule(id=rid, kind=kind, name=name, scope=REGISTRY[kind].scope if kind in REGISTRY else "",
                params=json.loads(params), enabled=bool(enabled), strategy=strategy, status=status,
                created=created, updated=updated)


def _finite_or_none(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


class RiskStore:
    """Parameter-bound SQL over the ``rules`` and ``rule_status`` tables of ``risk.db``."""

    def __init__(self, home: Path | str, *, busy_timeout_s: float = 10.0) -> None:
        self.home = Path(home)
        self.path = db_path(home)
        self.busy_timeout_s = busy_timeout_s

    def _connect(self) -> Any:
        return connect(self.path, self.busy_timeout_s)

    @staticmethod
    def rule_types() -> list[dict[str, Any]]:
        return rule_types()

    # ---- read -----------------------------------------------------------------------------------
    def list_rules(self) -> list[Rule]:
        with self._connect() as con:
            rows = con.execute(f"SELECT {_COLUMNS} FROM rules r LEFT JOIN rule_status s ON s.rule_id = r.id "
                               "ORDER BY r.id").fetchall()
        return [_row_to_rule(r) for r in rows]

    def get(self, rule_id: int | str) -> Rule:
        rid = _rule_id(rule_id)
        with self._connect() as con:
            row = con.execute(f"SELECT {_COLUMNS} FROM rules r LEFT JOIN rule_status s ON s.rule_id = r.id "
                              "WHERE r.id = ?", (rid,)).fetchone()
        if row is None:
            raise NotFound(f"没有编号为 {rid} 的风控规则 (no such rule)", "jlq risk rules list 查看规则编号")
        return _row_to_rule(row)

    # ---- write ----------------------------------------------------------------------------------
    def _prepare(self, kind: str, params: Mapping[str, Any] | None, name: str | None,
                 strategy: str | None) -> tuple[dict[str, Any], str, str | None]:
        rt = get_rule_type(kind)
        if params is not None and not isinstance(params, Mapping):
            raise InvalidInput(f"{kind}.params: 必须是对象 (must be an object of name: value)",
                               "例如 {\"loss_pct\": 8}")
        clean = rt.validate(params)
        tag = check_tag(strategy)
        if tag is not None and not rt.per_position:
            raise InvalidInput(f"{kind}.strategy: 账户级规则不能限定策略 (account-wide rules take no strategy)",
                               "策略过滤只适用于逐只持仓检查的规则，如 stop_loss / trailing_stop / take_profit")
        return clean, _name(name, kind), tag

    def add(self, kind: str, params: Mapping[str, Any] | None = None, *, name: str | None = None,
            enabled: bool = True, strategy: str | None = None) -> Rule:
        clean, nm, tag = self._prepare(kind, params, name, strategy)
        now = now_text()
        with self._connect() as con:
            cur = con.execute("INSERT INTO rules (kind, name, params, enabled, strategy, created, updated) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (kind, nm, json.dumps(clean, ensure_ascii=False), int(bool(enabled)), tag, now, now))
            rid = cur.lastrowid
        assert rid is not None
        return self.get(rid)

    def update(self, rule_id: int | str, *, params: Mapping[str, Any] | None = None, enabled: bool | None = None,
               name: str | None = None, strategy: Any = UNSET) -> Rule:
        """Change some fields. ``params`` are merged into the stored ones, then the whole set is
        validated. A change of params, strategy or enabled clears the last status (it described the
        old rule)."""
        rid = _rule_id(rule_id)
        with self._connect() as con, transaction(con):
            row = con.execute("SELECT kind, name, params, strategy FROM rules WHERE id = ?", (rid,)).fetchone()
            if row is None:
                raise NotFound(f"没有编号为 {rid} 的风控规则 (no such rule)", "jlq risk rules list 查看规则编号")
            kind, old_name, old_params, old_strategy = row
            if params is not None and not isinstance(params, Mapping):
                raise InvalidInput(f"{kind}.params: 必须是对象 (must be an object of name: value)",
                                   "例如 {\"loss_pct\": 8}")
            merged = {**json.loads(old_params), **dict(params or {})}
            clean, nm, tag = self._prepare(kind, merged, old_name if name is None else name,
                                           old_strategy if strategy is UNSET else strategy)
            sets = ["params = ?", "name = ?", "strategy = ?", "updated = ?"]
            args: list[Any] = [json.dumps(clean, ensure_ascii=False), nm, tag, now_text()]
            if enabled is not None:
                sets.append("enabled = ?")
                args.append(int(bool(enabled)))
            con.execute(f"UPDATE rules SET {', '.join(sets)} WHERE id = ?", (*args, rid))
            if params is not None or enabled is not None or strategy is not UNSET:
                con.execute("DELETE FROM rule_status WHERE rule_id = ?", (rid,))
        return self.get(rid)

    def remove(self, rule_id: int | str) -> None:
        rid = _rule_id(rule_id)
        with self._connect() as con, transaction(con):
            if con.execute("DELETE FROM rules WHERE id = ?", (rid,)).rowcount == 0:
                raise NotFound(f"没有编号为 {rid} 的风控规则 (no such rule)", "jlq risk rules list 查看规则编号")
            con.execute("DELETE FROM rule_status WHERE rule_id = ?", (rid,))

    def install_defaults(self) -> list[Rule]:
        """Add each rule of ``DEFAULT_RULES`` whose kind has no rule yet (idempotent); returns those added."""
        now = now_text()
        added: list[int] = []
        with self._connect() as con, transaction(con):
            present = {r[0] for r in con.execute("SELECT DISTINCT kind FROM rules")}
            for kind, params in DEFAULT_RULES:
                if kind in present:
                    continue
                clean, nm, _ = self._prepare(kind, params, None, None)
                cur = con.execute("INSERT INTO rules (kind, name, params, enabled, strategy, created, updated) "
                                  "VALUES (?, ?, ?, 1, NULL, ?, ?)",
                                  (kind, nm, json.dumps(clean, ensure_ascii=False), now, now))
                assert cur.lastrowid is not None
                added.append(cur.lastrowid)
        return [self.get(i) for i in added]

    def save_statuses(self, statuses: Iterable[RuleStatus]) -> None:
        """Persist the last status of each rule (rules removed meanwhile are skipped)."""
        rows = [(s.rule_id, s.state, _finite_or_none(s.value), _finite_or_none(s.threshold), s.message,
                 json.dumps(list(s.symbols), ensure_ascii=False),
                 s.checked_at.isoformat(timespec="seconds") if s.checked_at else None) for s in statuses]
        if not rows:
            return
        with self._connect() as con, transaction(con):
            con.executemany(
                "INSERT INTO rule_status (rule_id, state, value, threshold, message, symbols, checked_at) "
                "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM rules WHERE id = ?1) "
                "ON CONFLICT (rule_id) DO UPDATE SET state = excluded.state, value = excluded.value, "
                "threshold = excluded.threshold, message = excluded.message, symbols = excluded.symbols, "
                "checked_at = excluded.checked_at", rows)
