"""Trade records (成交记录) with field-level encryption.

Imported broker trades (交割单) and paper trades are rows of ``trade_records`` in ``vault.db``. The
money-revealing fields — price, quantity, amount, fee — are each their own small AES-256-GCM ciphertext
under the data key of the record's batch (one DEK per :meth:`TradeRecords.add` call, up to
``BATCH_SIZE`` records; the DEK is wrapped by the master key in ``trade_batches``, so key rotation
re-wraps one key per batch and never touches the fields). Each field's AAD binds the record id, the
field name and the record's plaintext columns, so moving a ciphertext to another record or field, or
editing the record's symbol/side/time, fails authentication (:class:`TamperedData`).

**Plaintext on purpose**: id, account, symbol, side, datetime and source stay readable so queries can
filter by them in SQL; what you traded and when is visible to someone with the file, at what price and
size is not. Queries decrypt in this process.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..core.errors import InvalidInput
from ..core.types import normalize_symbol
from . import crypto
from .keys import KeyManager, MasterKey, VaultDB, now_iso

BATCH_SIZE = 5000
FIELDS = ("price", "quantity", "amount", "fee")
SIDES = {"buy": "buy", "sell": "sell", "b": "buy", "s": "sell", "买": "buy", "买入": "buy", "卖": "sell",
         "卖出": "sell"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS trade_batches (
    batch TEXT PRIMARY KEY, created TEXT NOT NULL, n INTEGER NOT NULL, kid TEXT NOT NULL, wrapped_key BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS trade_records (
    id TEXT PRIMARY KEY, account TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, datetime TEXT NOT NULL,
    source TEXT NOT NULL, batch TEXT NOT NULL, price BLOB NOT NULL, quantity BLOB NOT NULL, amount BLOB NOT NULL,
    fee BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS trade_records_by_account ON trade_records(account, datetime);
CREATE INDEX IF NOT EXISTS trade_records_by_symbol ON trade_records(symbol, datetime);
"""


@dataclass(frozen=True)
class TradeRecord:
    """One fill. ``amount`` defaults to price × quantity; ``datetime`` is exchange time (Asia/Shanghai),
    ISO ``YYYY-MM-DDTHH:MM:SS`` (a date alone means 00:00:00)."""

    account: str
    symbol: str
    side: str
    datetime: str
    price: float
    quantity: float
    amount: float | None = None
    fee: float = 0.0
    source: str = "manual"
    id: str = field(default="")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _iso(value: str | dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()).isoformat()
    try:
        return _iso(dt.datetime.fromisoformat(str(value).strip()))
    except ValueError:
        raise InvalidInput(f"成交时间无效 (bad trade datetime): {value!r}", "用 YYYY-MM-DD HH:MM:SS") from None


def _normalised(r: TradeRecord) -> TradeRecord:
    side = SIDES.get(str(r.side).strip().lower())
    if side is None:
        raise InvalidInput(f"买卖方向无效 (bad side): {r.side!r} (record {r.id or '?'})", "用 buy / sell（买 / 卖）")
    try:
        price, qty, fee = float(r.price), float(r.quantity), float(r.fee)
        amount = float(r.amount) if r.amount is not None else round(price * qty, 2)
    except (TypeError, ValueError):
        raise InvalidInput(f"成交价格/数量/金额须为数字 (price/quantity/amount must be numbers): record {r.id or '?'}",
                           "检查该条记录") from None
    if not r.account:
        raise InvalidInput("成交记录缺少账户 (account missing)", "给每条记录一个账户名，例如 'main'")
    return replace(r, side=side, symbol=normalize_symbol(r.symbol), datetime=_iso(r.datetime), price=price,
                   quantity=qty, amount=amount, fee=fee, id=str(r.id or uuid.uuid4().hex), account=str(r.account),
                   source=str(r.source or "manual"))


def field_aad(r: TradeRecord, name: str) -> bytes:
    return crypto.aad("trade", r.id, name, r.account, r.symbol, r.side, r.datetime, r.source)


def batch_aad(batch: str) -> bytes:
    return crypto.aad("trade-batch", batch)


def rewrap_records(con: sqlite3.Connection, old: MasterKey, new: MasterKey) -> int:
    """Rewrapper for :meth:`KeyManager.rotate`: every batch data key from ``old`` to ``new``."""
    if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'trade_batches'").fetchone():
        return 0
    rows = con.execute("SELECT batch, wrapped_key FROM trade_batches WHERE kid = ?", (old.kid,)).fetchall()
    for batch, wrapped in rows:
        new_wrapped = crypto.rewrap_key(wrapped, old.key, old.kid, new.key, new.kid, batch_aad(batch),
                                        f"成交批次 {batch} (trade batch)")
        con.execute("UPDATE trade_batches SET kid = ?, wrapped_key = ? WHERE batch = ?", (new.kid, new_wrapped, batch))
    return len(rows)


class TradeRecords:
    """Encrypted trade records of one data root (see the module docstring for what stays plaintext)."""

    def __init__(self, home: Path | str, keys: KeyManager | None = None, *, busy_timeout_s: float = 30.0) -> None:
        self.home = Path(home)
        self.keys = keys or KeyManager(self.home)
        self.db = VaultDB(self.keys, busy_timeout_s)
        with self.db.lock:
            self.db.con().executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    rewrap = staticmethod(rewrap_records)

    def add(self, records: Iterable[TradeRecord], *, on_duplicate: str = "error") -> int:
        """Store records (one transaction); returns how many were added. ``on_duplicate``: ``error``
        (nothing is stored) or ``skip`` (records whose id exists are left out)."""
        if on_duplicate not in ("error", "skip"):
            raise InvalidInput(f"on_duplicate 须为 error 或 skip: {on_duplicate!r}", "")
        rows = [_normalised(r) for r in records]
        if not rows:
            return 0
        added = 0
        ts = now_iso()
        with self.db.write() as (con, mk):
            for start in range(0, len(rows), BATCH_SIZE):
                chunk = rows[start:start + BATCH_SIZE]
                if on_duplicate == "skip":
                    chunk = [r for r in chunk
                             if con.execute("SELECT 1 FROM trade_records WHERE id = ?", (r.id,)).fetchone() is None]
                if not chunk:
                    continue
                batch = uuid.uuid4().hex
                dek = crypto.new_key()
                aes = AESGCM(dek)
                con.execute("INSERT INTO trade_batches (batch, created, n, kid, wrapped_key) VALUES (?, ?, ?, ?, ?)",
                            (batch, ts, len(chunk), mk.kid, crypto.wrap_key(mk.key, mk.kid, dek, batch_aad(batch))))
                values = []
                for r in chunk:
                    enc = [crypto.encrypt_field(dek, repr(float(getattr(r, f))).encode("ascii"), field_aad(r, f),
                                                aes=aes) for f in FIELDS]
                    values.append((r.id, r.account, r.symbol, r.side, r.datetime, r.source, batch, *enc))
                try:
                    con.executemany("INSERT INTO trade_records (id, account, symbol, side, datetime, source, batch, "
                                    "price, quantity, amount, fee) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
                except sqlite3.IntegrityError:
                    raise InvalidInput("成交记录编号重复 (duplicate trade record id)",
                                       "每条记录的 id 须唯一；重复导入请用 on_duplicate='skip'") from None
                added += len(chunk)
        return added

    def query(self, account: str | None = None, symbol: str | None = None,
              start: str | dt.date | None = None, end: str | dt.date | None = None) -> list[TradeRecord]:
        """Records matching every given filter, oldest first; ``end`` as a date includes that whole day."""
        where, args = [], []
        if account is not None:
            where.append("r.account = ?")
            args.append(account)
        if symbol is not None:
            where.append("r.symbol = ?")
            args.append(normalize_symbol(symbol))
        if start is not None:
            where.append("r.datetime >= ?")
            args.append(_iso(start))
        if end is not None:
            is_day = (isinstance(end, dt.date) and not isinstance(end, dt.datetime)) or len(str(end).strip()) == 10
            if is_day:
                day = dt.date.fromisoformat(_iso(end)[:10]) + dt.timedelta(days=1)
                where.append("r.datetime < ?")
                args.append(day.isoformat())
            else:
                where.append("r.datetime <= ?")
                args.append(_iso(end))
        cond = f"WHERE {' AND '.join(where)}" if where else ""
        with self.db.read() as con:
            rows = con.execute(
                "SELECT r.id, r.account, r.symbol, r.side, r.datetime, r.source, r.batch, r.price, r.quantity, "
                f"r.amount, r.fee, b.kid, b.wrapped_key FROM trade_records r JOIN trade_batches b ON b.batch = r.batch "
                f"{cond} ORDER BY r.datetime, r.id", args).fetchall()
        if not rows:
            return []
        mk = self.db.master()
        if any(r[11] != mk.kid for r in rows):
            mk = self.db.master(refresh=True)
        aes_by_batch: dict[str, AESGCM] = {}
        out = []
        for (id_, account_, symbol_, side, when, source, batch, *enc, kid, wrapped) in rows:
            aes = aes_by_batch.get(batch)
            if aes is None:
                what = f"成交批次 {batch} (trade batch)"
                if crypto.wrapped_kid(wrapped, what) != kid:
                    raise crypto.tampered(what, "key id of the wrapped key differs from its row")
                aes = aes_by_batch[batch] = AESGCM(crypto.unwrap_key(mk.key, mk.kid, wrapped, batch_aad(batch), what))
            base = TradeRecord(account_, symbol_, side, when, 0.0, 0.0, None, 0.0, source, id_)
            vals = [float(crypto.decrypt_field(b"", blob, field_aad(base, f), aes=aes,
                                               what=f"成交记录 {id_} 字段 {f} (trade record {id_}, field {f})"))
                    for f, blob in zip(FIELDS, enc, strict=True)]
            out.append(replace(base, price=vals[0], quantity=vals[1], amount=vals[2], fee=vals[3]))
        return out

    def count(self) -> int:
        with self.db.lock:
            return int(self.db.con().execute("SELECT COUNT(*) FROM trade_records").fetchone()[0])
