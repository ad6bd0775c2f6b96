"""The account the risk rules watch (风控账户): cash, board permissions (创业板/科创板权限) and positions the
user maintains by hand or by CSV import (持仓导入), plus the state the rules carry between checks —
the day-start value (日初市值, for the daily-loss rule), the peak value (净值峰值, for drawdown) and each
position's highest price since it was opened (for trailing stops).

``value_account`` prices an account with quotes into a frozen ``AccountSnapshot``. A quote without a
price (停牌, NaN) never raises: the position is valued at the best price known — the quote's 前收盘,
else the last price seen by an earlier check, else its cost — and is flagged as stale.

Paper accounts and broker-record import (交割单) are meant to plug in by producing the same ``Account``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..core.errors import ImportFormatError, InvalidInput, NotFound, QuantError
from ..core.live import Quote
from ..core.types import Board, board_of, normalize_symbol, parse_date
from .db import connect, db_path, now_text, transaction
from .model import clean_number

DEFAULT_ACCOUNT = "default"
_NAME = re.compile(r"^[\w\-\u4e00-\u9fff]{1,40}$")
PriceSource = Literal["live", "preclose", "last", "cost"]
PRICE_SOURCE_ZH = {"live": "实时价", "preclose": "前收盘价", "last": "最近一次检查的价格", "cost": "成本价"}


def check_account_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInput(f"账户名无效 (bad account name): {name!r}", "用字母、数字、下划线、短横线或中文，最长 40 字")
    return name


def check_tag(value: str | None, field_name: str = "strategy") -> str | None:
    """A strategy tag: None/blank → None; otherwise trimmed, ≤ 60 characters, no control characters."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) > 60 or any(ord(c) < 32 for c in text):
        raise InvalidInput(f"{field_name} 无效 (bad {field_name}): {value!r}", "最长 60 字，不含控制字符")
    return text


def _finite(v: float | None) -> bool:
    return v is not None and isinstance(v, int | float) and math.isfinite(v)


def _positive(v: float | None) -> bool:
    return _finite(v) and v is not None and v > 0


# ---- the account as the user maintains it ------------------------------------------------------------
@dataclass(frozen=True)
class Permissions:
    """Trading permissions of the account (投资者适当性, ashare-rules.md §8)."""

    chinext: bool = False
    star: bool = False

    def to_dict(self) -> dict[str, bool]:
        return {"chinext": self.chinext, "star": self.star}


@dataclass(frozen=True)
class Position:
    """One holding: ``cost`` is the cost price per share (成本价, CNY); ``strategy`` an optional tag."""

    symbol: str
    quantity: int
    cost: float
    strategy: str | None = None
    opened: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "quantity": self.quantity, "cost": self.cost, "strategy": self.strategy,
                "opened": self.opened.isoformat() if self.opened else None}


@dataclass(frozen=True)
class Account:
    name: str
    cash: float = 0.0
    permissions: Permissions = field(default_factory=Permissions)
    positions: tuple[Position, ...] = ()

    def symbols(self) -> list[str]:
        return sorted(p.symbol for p in self.positions)


# ---- state carried between checks ---------------------------------------------------------------------
@dataclass(frozen=True)
class PositionState:
    high: float | None = None          # highest price since opened (cost included), for trailing stops
    high_at: str | None = None
    last_price: float | None = None    # last live price seen: the fallback while a quote is missing/NaN
    last_price_at: str | None = None
    name: str = ""                     # last name seen in a quote (ST detection when a quote lacks it)


@dataclass(frozen=True)
class AccountState:
    day_date: dt.date | None = None
    day_start_value: float | None = None
    last_value: float | None = None
    last_date: dt.date | None = None
    peak_value: float | None = None
    peak_at: str | None = None
    positions: Mapping[str, PositionState] = field(default_factory=dict)


# ---- a valued account ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PositionValue:
    """A position priced with a quote. ``price`` is the price used (None when only the cost was known);
    ``weight`` is a percent of the account's total value (NaN when the total is not positive)."""

    symbol: str
    name: str
    quantity: int
    cost: float
    strategy: str | None
    opened: dt.date | None
    board: Board
    quote: Quote | None
    price: float | None
    price_source: PriceSource
    market_value: float
    weight: float
    high: float | None

    @property
    def stale(self) -> bool:
        return self.price_source != "live"

    @property
    def pnl(self) -> float | None:
        return None if self.price is None else self.quantity * (self.price - self.cost)

    @property
    def pnl_pct(self) -> float | None:
        """Gain over cost in percent (−8.5 = 8.5 % below cost); None without a price or a positive cost."""
        if self.price is None or not self.cost > 0:
            return None
        return (self.price - self.cost) / self.cost * 100.0

    def price_note(self) -> str:
        """'' for a live price, else why another price was used (for rule messages)."""
        if self.price_source == "live":
            return ""
        why = "停牌/无成交价" if self.quote is not None else "无行情"
        return f"{why}，按{PRICE_SOURCE_ZH[self.price_source]}估值"

    def to_dict(self) -> dict[str, Any]:
        """Contract position {symbol, name, quantity, cost, price, value, weight, pnl, strategy} plus
        pnl_ratio, price_source, opened, board, high. On the wire ``weight`` and ``pnl_ratio`` are
        fractions (0.2179 = 21.79 %), as the Risk panel formats them; rule values stay percents."""
        pnl_pct = self.pnl_pct
        return {"symbol": self.symbol, "name": self.name, "quantity": self.quantity, "cost": self.cost,
                "price": clean_number(self.price), "value": clean_number(self.market_value, 2),
                "weight": clean_number(self.weight / 100.0, 6), "pnl": clean_number(self.pnl, 2),
                "strategy": self.strategy, "pnl_ratio": None if pnl_pct is None else clean_number(pnl_pct / 100.0, 6),
                "price_source": self.price_source,
                "opened": self.opened.isoformat() if self.opened else None, "board": self.board.value,
                "high": clean_number(self.high)}


@dataclass(frozen=True)
class AccountSnapshot:
    """An account valued at ``as_of``: total value = cash + Σ market values; the peak includes this value
    unless a position had no market price at all (valued at cost)."""

    name: str
    as_of: dt.datetime
    cash: float
    permissions: Permissions
    positions: tuple[PositionValue, ...]
    market_value: float
    total_value: float
    day_start_value: float | None
    day_start_source: str            # "preclose" | "day_state" | "previous_check" | "first_check"
    peak_value: float | None
    peak_at: str | None

    def stale_positions(self) -> tuple[PositionValue, ...]:
        return tuple(p for p in self.positions if p.stale)

    def stale_note(self) -> str:
        """A message suffix naming positions not valued at a live price ('' when all are live)."""
        stale = self.stale_positions()
        if not stale:
            return ""
        names = "、".join(f"{p.symbol}（{p.price_note()}）" for p in stale[:3])
        more = f" 等 {len(stale)} 只" if len(stale) > 3 else ""
        return f"注意：{names}{more}未按实时价估值。"

    def summary_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": clean_number(self.total_value, 2), "cash": clean_number(self.cash, 2),
                "market_value": clean_number(self.market_value, 2),
                "day_start_value": clean_number(self.day_start_value, 2), "day_start_source": self.day_start_source,
                "peak_value": clean_number(self.peak_value, 2), "peak_at": self.peak_at,
                "stale": [p.symbol for p in self.stale_positions()]}

    def to_dict(self) -> dict[str, Any]:
        """Contract ``GET /risk/account``: {name, cash, value, positions, permissions} plus the summary."""
        return {**self.summary_dict(), "as_of": self.as_of.isoformat(timespec="seconds"),
                "positions": [p.to_dict() for p in self.positions], "permissions": self.permissions.to_dict()}


def value_account(account: Account, state: AccountState, quotes: Mapping[str, Quote],
                  now: dt.datetime) -> AccountSnapshot:
    """Price ``account`` with ``quotes`` (pure: reads ``state``, writes nothing)."""
    rows: list[tuple[Position, Quote | None, float | None, PriceSource, float, str, float | None]] = []
    market = 0.0
    for p in account.positions:
        q = quotes.get(p.symbol)
        ps = state.positions.get(p.symbol)
        price: float | None
        src: PriceSource
        if q is not None and not q.suspended:
            price, src = float(q.price), "live"
        elif q is not None and _positive(q.preclose):
            price, src = float(q.preclose), "preclose"   # a suspended stock's 前收盘 is its last traded price
        elif ps is not None and _positive(ps.last_price):
            price, src = ps.last_price, "last"
        else:
            price, src = None, "cost"
        mv = p.quantity * (price if price is not None else p.cost)
        market += mv
        name = (q.name if q is not None and q.name else "") or (ps.name if ps is not None else "")
        rows.append((p, q, price, src, mv, name, _high(p, q, ps, src)))
    total = account.cash + market
    positions = tuple(
        PositionValue(symbol=p.symbol, name=name, quantity=p.quantity, cost=p.cost, strategy=p.strategy,
                      opened=p.opened, board=board_of(p.symbol), quote=q, price=price, price_source=src,
                      market_value=mv, weight=(mv / total * 100.0) if total > 0 else math.nan, high=high)
        for p, q, price, src, mv, name, high in rows)
    day_start, day_source = _day_start(account, positions, state, total, now.date())
    peak, peak_at = state.peak_value, state.peak_at
    # a value resting on cost prices (no market price known) must not set a peak: live prices below
    # cost would then read as a drawdown that never happened
    priced = all(pv.price is not None for pv in positions)
    if priced and math.isfinite(total) and total > 0 and (peak is None or total > peak):
        peak, peak_at = total, now.isoformat(timespec="seconds")
    return AccountSnapshot(name=account.name, as_of=now, cash=account.cash, permissions=account.permissions,
                           positions=positions, market_value=market, total_value=total, day_start_value=day_start,
                           day_start_source=day_source, peak_value=peak, peak_at=peak_at)


def _high(p: Position, q: Quote | None, ps: PositionState | None, src: str) -> float | None:
    """Highest price since opened: stored high-water, cost, the live price, and the quote's day high —
    the latter only when the position was not opened that day (its high may precede the purchase)."""
    cands = [v for v in (ps.high if ps else None, p.cost) if _positive(v)]
    if q is not None and src == "live":
        cands.append(float(q.price))
        if _positive(q.high) and (p.opened is None or p.opened < q.time.date()):
            cands.append(float(q.high))
    return max(cands) if cands else None  # type: ignore[type-var]


def _day_start(account: Account, positions: Sequence[PositionValue], state: AccountState, total: float,
               today: dt.date) -> tuple[float | None, str]:
    """Value at the previous close. Preferred: cash + Σ quantity × 前收盘 when every holding's quote has
    one — exact for today's holdings and immune to deposits, withdrawals and position edits. Otherwise
    the day-start recorded by the first check of the day, or the last value of an earlier day's check,
    or (very first check) the current value."""
    if all(p.quote is not None and _positive(p.quote.preclose) for p in positions):
        return account.cash + sum(p.quantity * p.quote.preclose for p in positions if p.quote), "preclose"
    if state.day_date == today and state.day_start_value is not None:
        return state.day_start_value, "day_state"
    if state.last_value is not None and state.last_date is not None and state.last_date < today:
        return state.last_value, "previous_check"
    return total, "first_check"


# ---- CSV import ------------------------------------------------------------------------------------
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "symbol": ("代码", "证券代码", "股票代码", "symbol", "code"),
    "quantity": ("数量", "持仓数量", "股票余额", "证券数量", "持股数量", "quantity", "qty"),
    "cost": ("成本价", "参考成本价", "成本", "持仓成本", "cost", "cost_price"),
    "strategy": ("策略", "strategy"),
    "opened": ("开仓日期", "建仓日期", "opened"),
}
_REQUIRED = ("symbol", "quantity", "cost")


def _parse_number(text: str) -> float:
    value = float(text.replace(",", "").replace("，", "").strip())
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _decode(path: Path, raw: bytes, encoding: str | None) -> str:
    tries = [encoding] if encoding else ["utf-8-sig", "gb18030"]   # gb18030 ⊃ gbk: what Chinese brokers export
    for enc in tries:
        try:
            return raw.decode("gb18030" if enc and enc.lower() in ("gbk", "gb2312") else enc or "utf-8-sig")
        except (UnicodeDecodeError, LookupError):
            continue
    raise ImportFormatError(f"{path.name}: 无法按 {' / '.join(t or '' for t in tries)} 解码 (cannot decode the file)",
                            "把文件另存为 UTF-8 或 GBK 编码的 CSV", path=str(path))


def parse_positions_csv(path: Path | str, encoding: str | None = None) -> list[Position]:
    """Positions from a CSV (columns 代码/symbol, 数量/quantity, 成本价/cost, optional 策略/strategy and
    开仓日期/opened; common broker header spellings accepted; UTF-8 or GBK; comma or tab separated).
    Rows with quantity 0 (cleared positions in broker exports) are skipped. The first bad row raises
    ``ImportFormatError`` naming the file, the row (file line, header = 1) and the field."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ImportFormatError(f"无法读取 {p}: {exc.strerror or exc} (cannot read file)", "检查路径",
                                path=str(p)) from exc
    text = _decode(p, raw, encoding)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise ImportFormatError(f"{p.name}: 文件为空 (empty file)", "第一行应为表头：代码,数量,成本价", path=str(p))
    names = [h.strip().lstrip("\ufeff").strip().lower() for h in header]
    where: dict[str, int] = {}
    for key, aliases in CSV_COLUMNS.items():
        for alias in aliases:
            if alias.lower() in names:
                where[key] = names.index(alias.lower())
                break
    missing = [k for k in _REQUIRED if k not in where]
    if missing:
        wanted = "; ".join(f"{k}: {'/'.join(CSV_COLUMNS[k])}" for k in missing)
        raise ImportFormatError(f"{p.name} 第 1 行: 缺少列 (missing column) {', '.join(missing)}",
                                f"表头需要 {wanted}", path=str(p), row=1, field=missing[0])
    out: list[Position] = []
    seen: dict[str, int] = {}
    for line_no, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue

        def cell(key: str, row: list[str] = row) -> str:
            i = where.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        def bad(key: str, why: str, line_no: int = line_no) -> ImportFormatError:
            return ImportFormatError(f"{p.name} 第 {line_no} 行 字段 {key}: {why}",
                                     "修正该行后重新导入（未导入任何数据）", path=str(p), row=line_no, field=key)

        try:
            symbol = normalize_symbol(cell("symbol"))
        except QuantError as exc:
            raise bad("symbol", exc.message) from exc
        try:
            qty_f = _parse_number(cell("quantity"))
        except ValueError:
            raise bad("quantity", f"不是数字 (not a number): {cell('quantity')!r}") from None
        if qty_f < 0 or qty_f != int(qty_f):
            raise bad("quantity", f"必须是非负整数 (must be a whole number ≥ 0), got {cell('quantity')}")
        if qty_f == 0:
            continue
        try:
            cost = _parse_number(cell("cost"))
        except ValueError:
            raise bad("cost", f"不是数字 (not a number): {cell('cost')!r}") from None
        try:
            strategy = check_tag(cell("strategy"))
        except InvalidInput as exc:
            raise bad("strategy", exc.message) from exc
        try:
            opened = parse_date(cell("opened") or None, "opened")
        except InvalidInput as exc:
            raise bad("opened", exc.message) from exc
        if symbol in seen:
            raise bad("symbol", f"{symbol} 重复，首次出现在第 {seen[symbol]} 行 (duplicate symbol)")
        seen[symbol] = line_no
        out.append(Position(symbol, int(qty_f), cost, strategy, opened))
    return out


# ---- the store --------------------------------------------------------------------------------------
def _position(symbol: str, quantity: Any, cost: Any, strategy: str | None, opened: Any) -> Position:
    sym = normalize_symbol(symbol)
    if isinstance(quantity, bool):
        raise InvalidInput(f"数量必须是正整数 (quantity must be a positive integer), got {quantity!r}", "例如 100")
    try:
        qty_f = float(quantity)
    except (TypeError, ValueError):
        raise InvalidInput(f"数量必须是正整数 (quantity must be a positive integer), got {quantity!r}",
                           "例如 100") from None
    if not math.isfinite(qty_f) or qty_f <= 0 or qty_f != int(qty_f):
        raise InvalidInput(f"数量必须是正整数 (quantity must be a positive integer), got {quantity!r}", "例如 100")
    try:
        cost_f = float(cost)
    except (TypeError, ValueError):
        raise InvalidInput(f"成本价必须是数字 (cost must be a number), got {cost!r}", "例如 1650.5") from None
    if not math.isfinite(cost_f):
        raise InvalidInput(f"成本价必须是有限数字 (cost must be finite), got {cost!r}", "例如 1650.5")
    return Position(sym, int(qty_f), cost_f, check_tag(strategy), parse_date(opened, "opened"))


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


class AccountStore:
    """Accounts, positions and check state in ``$JLQ_HOME/state/risk.db``. The account ``default`` always
    exists (empty until edited); other names are created by their first write."""

    def __init__(self, home: Path | str, *, busy_timeout_s: float = 10.0) -> None:
        self.home = Path(home)
        self.path = db_path(home)
        self.busy_timeout_s = busy_timeout_s

    def _connect(self) -> Any:
        return connect(self.path, self.busy_timeout_s)

    # ---- read -----------------------------------------------------------------------------------
    def accounts(self) -> list[str]:
        with self._connect() as con:
            names = {r[0] for r in con.execute("SELECT name FROM accounts")}
        return sorted(names | {DEFAULT_ACCOUNT})

    def get(self, name: str = DEFAULT_ACCOUNT) -> Account:
        return self.load(name)[0]

    def load(self, name: str = DEFAULT_ACCOUNT) -> tuple[Account, AccountState]:
        """The account and its check state, read in one transaction (a consistent pair)."""
        check_account_name(name)
        with self._connect() as con:
            con.execute("BEGIN")
            try:
                acc = con.execute("SELECT cash, chinext, star FROM accounts WHERE name = ?", (name,)).fetchone()
                rows = con.execute("SELECT symbol, quantity, cost, strategy, opened FROM positions "
                                   "WHERE account = ? ORDER BY symbol", (name,)).fetchall()
                st = con.execute("SELECT day_date, day_start_value, last_value, last_date, peak_value, peak_at "
                                 "FROM account_state WHERE account = ?", (name,)).fetchone()
                pst = con.execute("SELECT symbol, high, high_at, last_price, last_price_at, name "
                                  "FROM position_state WHERE account = ?", (name,)).fetchall()
            finally:
                con.execute("COMMIT")
        if acc is None and name != DEFAULT_ACCOUNT:
            raise NotFound(f"没有名为 {name!r} 的账户 (unknown account)",
                           f"已有账户: {', '.join(self.accounts())}；"
                           f"用 jlq risk account set-cash --account {name} 创建")
        account = Account(name=name, cash=float(acc[0]) if acc else 0.0,
                          permissions=Permissions(bool(acc[1]), bool(acc[2])) if acc else Permissions(),
                          positions=tuple(Position(s, int(q), float(c), t, _date(o)) for s, q, c, t, o in rows))
        state = AccountState(positions={r[0]: PositionState(r[1], r[2], r[3], r[4], r[5] or "") for r in pst})
        if st is not None:
            state = AccountState(day_date=_date(st[0]), day_start_value=st[1], last_value=st[2],
                                 last_date=_date(st[3]), peak_value=st[4], peak_at=st[5],
                                 positions=state.positions)
        return account, state

    # ---- write ----------------------------------------------------------------------------------
    def _touch(self, con: Any, name: str) -> None:
        con.execute("INSERT OR IGNORE INTO accounts (name, updated) VALUES (?, ?)", (name, now_text()))

    def set_cash(self, cash: float, *, account: str = DEFAULT_ACCOUNT) -> Account:
        check_account_name(account)
        try:
            value = float(cash)
        except (TypeError, ValueError):
            raise InvalidInput(f"现金必须是数字 (cash must be a number), got {cash!r}", "例如 100000") from None
        if isinstance(cash, bool) or not math.isfinite(value) or value < 0:
            raise InvalidInput(f"现金必须是 ≥ 0 的数字 (cash must be a number ≥ 0), got {cash!r}", "例如 100000")
        with self._connect() as con, transaction(con):
            self._touch(con, account)
            con.execute("UPDATE accounts SET cash = ?, updated = ? WHERE name = ?", (value, now_text(), account))
        return self.get(account)

    def set_permissions(self, *, chinext: bool | None = None, star: bool | None = None,
                        account: str = DEFAULT_ACCOUNT) -> Account:
        check_account_name(account)
        with self._connect() as con, transaction(con):
            self._touch(con, account)
            if chinext is not None:
                con.execute("UPDATE accounts SET chinext = ? WHERE name = ?", (int(bool(chinext)), account))
            if star is not None:
                con.execute("UPDATE accounts SET star = ? WHERE name = ?", (int(bool(star)), account))
        return self.get(account)

    def upsert_position(self, symbol: str, quantity: int | float | str, cost: float | str, *,
                        strategy: str | None = None, opened: dt.date | str | None = None,
                        account: str = DEFAULT_ACCOUNT) -> Position:
        """Add a holding or replace the one of the same symbol. A new or re-opened (different opened date)
        position starts a fresh high-water mark."""
        check_account_name(account)
        pos = _position(symbol, quantity, cost, strategy, opened)
        with self._connect() as con, transaction(con):
            self._touch(con, account)
            old = con.execute("SELECT opened FROM positions WHERE account = ? AND symbol = ?",
                              (account, pos.symbol)).fetchone()
            if old is None or _date(old[0]) != pos.opened:
                con.execute("DELETE FROM position_state WHERE account = ? AND symbol = ?", (account, pos.symbol))
            self._write_position(con, account, pos)
        return pos

    def remove_position(self, symbol: str, *, account: str = DEFAULT_ACCOUNT) -> None:
        check_account_name(account)
        sym = normalize_symbol(symbol)
        with self._connect() as con, transaction(con):
            cur = con.execute("DELETE FROM positions WHERE account = ? AND symbol = ?", (account, sym))
            if cur.rowcount == 0:
                raise NotFound(f"账户 {account} 没有持仓 {sym} (no such position)", "jlq risk account show 查看持仓")
            con.execute("DELETE FROM position_state WHERE account = ? AND symbol = ?", (account, sym))

    def import_csv(self, path: Path | str, *, account: str = DEFAULT_ACCOUNT, merge: bool = False,
                   encoding: str | None = None) -> list[Position]:
        """Import holdings from a CSV (see ``parse_positions_csv``). By default the file is the account's
        complete holdings and replaces them; ``merge=True`` adds/replaces only the symbols in the file.
        All or nothing: on any bad row nothing is stored."""
        check_account_name(account)
        positions = parse_positions_csv(path, encoding)
        with self._connect() as con, transaction(con):
            self._touch(con, account)
            old = {s: _date(o) for s, o in con.execute(
                "SELECT symbol, opened FROM positions WHERE account = ?", (account,))}
            keep = {p.symbol for p in positions}
            if not merge:
                for sym in set(old) - keep:
                    con.execute("DELETE FROM positions WHERE account = ? AND symbol = ?", (account, sym))
                    con.execute("DELETE FROM position_state WHERE account = ? AND symbol = ?", (account, sym))
            for pos in positions:
                if pos.symbol not in old or (pos.opened is not None and old[pos.symbol] != pos.opened):
                    con.execute("DELETE FROM position_state WHERE account = ? AND symbol = ?",
                                (account, pos.symbol))
                self._write_position(con, account, pos)
        return positions

    @staticmethod
    def _write_position(con: Any, account: str, pos: Position) -> None:
        con.execute("INSERT INTO positions (account, symbol, quantity, cost, strategy, opened) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, symbol) DO UPDATE SET "
                    "quantity = excluded.quantity, cost = excluded.cost, strategy = excluded.strategy, "
                    "opened = COALESCE(excluded.opened, positions.opened)",
                    (account, pos.symbol, pos.quantity, pos.cost, pos.strategy,
                     pos.opened.isoformat() if pos.opened else None))

    def reset_peak(self, account: str = DEFAULT_ACCOUNT) -> None:
        """Forget the peak (e.g. after a withdrawal, which would otherwise read as a drawdown); the next
        check starts a new peak at the account's value then."""
        check_account_name(account)
        with self._connect() as con:
            con.execute("UPDATE account_state SET peak_value = NULL, peak_at = NULL WHERE account = ?", (account,))

    def record_check(self, snap: AccountSnapshot) -> None:
        """Carry a check's state forward: peak and high-water marks only rise (``MAX`` in SQL, so two
        processes checking at once cannot lower them); the day-start is fixed by the day's first check;
        last prices/names come from live quotes only."""
        today = snap.as_of.date().isoformat()
        at = snap.as_of.isoformat(timespec="seconds")
        total = snap.total_value if math.isfinite(snap.total_value) else None
        priced = all(p.price is not None for p in snap.positions)
        peak = total if total is not None and total > 0 and priced else None
        with self._connect() as con, transaction(con):
            con.execute(
                "INSERT INTO account_state (account, day_date, day_start_value, last_value, last_date, peak_value, "
                "peak_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET "
                "day_start_value = CASE WHEN account_state.day_date IS NULL OR account_state.day_date < "
                "excluded.day_date THEN excluded.day_start_value ELSE account_state.day_start_value END, "
                "day_date = MAX(COALESCE(account_state.day_date, ''), excluded.day_date), "
                "last_value = excluded.last_value, last_date = excluded.last_date, "
                "peak_at = CASE WHEN excluded.peak_value > COALESCE(account_state.peak_value, -1e308) "
                "THEN excluded.peak_at ELSE account_state.peak_at END, "
                "peak_value = MAX(COALESCE(account_state.peak_value, excluded.peak_value), "
                "COALESCE(excluded.peak_value, account_state.peak_value))",
                (snap.name, today, snap.day_start_value, total, today, peak, at if peak is not None else None))
            rows = []
            for p in snap.positions:
                live = p.price if p.price_source == "live" else None
                if p.high is None and live is None and not p.name:
                    continue
                rows.append((snap.name, p.symbol, p.high, at if p.high is not None else None, live,
                             at if live is not None else None, p.name or None))
            con.executemany(
                "INSERT INTO position_state (account, symbol, high, high_at, last_price, last_price_at, name) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, symbol) DO UPDATE SET "
                "high_at = CASE WHEN excluded.high > COALESCE(position_state.high, -1e308) "
                "THEN excluded.high_at ELSE position_state.high_at END, "
                "high = MAX(COALESCE(position_state.high, excluded.high), "
                "COALESCE(excluded.high, position_state.high)), "
                "last_price = COALESCE(excluded.last_price, position_state.last_price), "
                "last_price_at = COALESCE(excluded.last_price_at, position_state.last_price_at), "
                "name = COALESCE(excluded.name, position_state.name)", rows)
