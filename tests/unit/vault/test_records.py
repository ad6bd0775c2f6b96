"""Trade records: field-level encryption, filtering on the plaintext columns, tampering, rotation."""

from __future__ import annotations

import datetime as dt
import sqlite3
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyterlab_quant.core.errors import InvalidInput
from jupyterlab_quant.vault import keys as keys_mod
from jupyterlab_quant.vault.errors import TamperedData
from jupyterlab_quant.vault.keys import KeyManager
from jupyterlab_quant.vault.records import TradeRecord, TradeRecords
from jupyterlab_quant.vault.strategies import StrategyVault, rotate_master_key

PP = "correct horse battery staple"
AMOUNTS = (1_234_567.89, 98_765.43, 31_415.92)


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JLQ_VAULT_PASSPHRASE", PP)
    monkeypatch.setattr(keys_mod, "_isatty", lambda: False)
    keys_mod.forget_cached_keys()
    yield
    keys_mod.forget_cached_keys()


@pytest.fixture
def records(home: Path) -> Iterator[TradeRecords]:
    KeyManager(home).init()
    tr = TradeRecords(home)
    yield tr
    tr.close()


def _sample() -> list[TradeRecord]:
    return [
        TradeRecord("main", "600519.SH", "buy", "2024-03-01 09:31:02", 1711.37, 700, AMOUNTS[0], 5.17,
                    source="交割单", id="r1"),
        TradeRecord("main", "000001", "卖出", dt.datetime(2024, 3, 5, 14, 56), 9.87, 10007, AMOUNTS[1], 12.34,
                    id="r2"),
        TradeRecord("paper", "300750.SZ", "s", dt.date(2024, 4, 1), 157.03, 200, AMOUNTS[2], 0.61, source="paper",
                    id="r3"),
        TradeRecord("main", "600519.SH", "sell", "2024-04-02T10:00:00", 1650.5, 100),
    ]


def test_add_query_and_filters(records: TradeRecords) -> None:
    assert records.add(_sample()) == 4
    allr = records.query()
    assert [r.id for r in allr[:3]] == ["r1", "r2", "r3"] and len(allr) == 4
    r1, r2 = allr[0], allr[1]
    assert (r1.price, r1.quantity, r1.amount, r1.fee, r1.source) == (1711.37, 700.0, AMOUNTS[0], 5.17, "交割单")
    assert (r2.symbol, r2.side, r2.datetime) == ("000001.SZ", "sell", "2024-03-05T14:56:00")
    assert allr[3].amount == 165050.0 and allr[3].fee == 0.0                 # amount defaults to price × qty
    assert [r.id for r in records.query(account="paper")] == ["r3"]
    assert len(records.query(symbol="600519")) == 2
    assert [r.id for r in records.query(start="2024-03-02", end="2024-04-01")] == ["r2", "r3"]
    assert [r.id for r in records.query(end=dt.date(2024, 3, 1))] == ["r1"]   # a date end includes its day
    assert records.query(account="main", symbol="300750.SZ") == []
    assert records.count() == 4


def test_no_plaintext_amounts_on_disk(records: TradeRecords, home: Path) -> None:
    records.add(_sample())
    needles = set()
    for x in (*AMOUNTS, 1711.37, 10007.0, 12.34):
        needles |= {repr(x).encode(), f"{x:.2f}".encode(), struct.pack("<d", x), struct.pack(">d", x)}
    needles |= {b"1234567", b"98765"}
    for p in sorted(home.rglob("*")):
        if p.is_file():
            blob = p.read_bytes()
            for n in needles:
                assert n not in blob, f"{n!r} in {p}"
    # what stays plaintext on purpose (filterable): symbol and side
    con = sqlite3.connect(home / "vault" / "vault.db")
    row = con.execute("SELECT symbol, side, datetime, typeof(price), typeof(amount) FROM trade_records "
                      "WHERE id = 'r1'").fetchone()
    con.close()
    assert row == ("600519.SH", "buy", "2024-03-01T09:31:02", "blob", "blob")


def test_tampering_is_detected(records: TradeRecords, home: Path) -> None:
    records.add(_sample())
    con = sqlite3.connect(home / "vault" / "vault.db", isolation_level=None)
    amount_r1, amount_r2 = (con.execute("SELECT amount FROM trade_records WHERE id = ?", (i,)).fetchone()[0]
                            for i in ("r1", "r2"))
    bad = bytearray(amount_r1)
    bad[-3] ^= 0x04
    con.execute("UPDATE trade_records SET amount = ? WHERE id = 'r1'", (bytes(bad),))
    with pytest.raises(TamperedData, match="r1"):
        records.query()
    con.execute("UPDATE trade_records SET amount = ? WHERE id = 'r1'", (amount_r2,))   # another record's field
    with pytest.raises(TamperedData, match="r1"):
        records.query(account="main")
    con.execute("UPDATE trade_records SET amount = ? WHERE id = 'r1'", (amount_r1,))
    con.execute("UPDATE trade_records SET side = 'sell' WHERE id = 'r1'")                # a plaintext column edited
    with pytest.raises(TamperedData):
        records.query(symbol="600519.SH")
    con.execute("UPDATE trade_records SET side = 'buy' WHERE id = 'r1'")
    assert records.query()[0].amount == AMOUNTS[0]
    con.close()


def test_bad_input_and_duplicates(records: TradeRecords) -> None:
    with pytest.raises(InvalidInput, match="side"):
        records.add([TradeRecord("a", "600519.SH", "hold", "2024-01-02", 1, 1)])
    with pytest.raises(InvalidInput, match="datetime"):
        records.add([TradeRecord("a", "600519.SH", "buy", "yesterday", 1, 1)])
    records.add(_sample()[:2])
    with pytest.raises(InvalidInput, match="duplicate"):
        records.add(_sample())
    assert records.count() == 2                                   # nothing of the failed batch stored
    assert records.add(_sample(), on_duplicate="skip") == 2
    assert records.count() == 4


def test_rotation_covers_records_and_strategies(home: Path, records: TradeRecords) -> None:
    records.add(_sample())
    sv = StrategyVault(home)
    sv.save("s", "x = 1\n")
    con = sqlite3.connect(home / "vault" / "vault.db")
    fields_before = con.execute("SELECT id, price, quantity, amount, fee FROM trade_records ORDER BY id").fetchall()
    wrapped_before = con.execute("SELECT wrapped_key FROM trade_batches").fetchall()
    res = rotate_master_key(KeyManager(home), "the next passphrase 2")
    assert res.rewrapped == 2        # one strategy version + one record batch
    assert con.execute("SELECT id, price, quantity, amount, fee FROM trade_records ORDER BY id").fetchall() \
        == fields_before
    assert con.execute("SELECT wrapped_key FROM trade_batches").fetchall() != wrapped_before
    con.close()
    keys_mod.forget_cached_keys()
    km = KeyManager(home)
    km.unlock("the next passphrase 2")
    assert TradeRecords(home, keys=km).query()[0].amount == AMOUNTS[0]
    assert StrategyVault(home, keys=km).get("s") == "x = 1\n"
    # the records object opened before the rotation follows the new key in this process
    assert records.query()[0].amount == AMOUNTS[0]
