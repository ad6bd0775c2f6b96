"""Envelope encryption: round trips, AAD binding, tamper detection, re-wrapping without re-encrypting."""

from __future__ import annotations

import pytest

from jupyterlab_quant.vault import crypto
from jupyterlab_quant.vault.errors import TamperedData, WrongKey

MASTER = bytes(range(32))
OTHER = bytes(reversed(range(32)))
AAD = crypto.aad("strategy", "双均线", 3)


def test_seal_open_round_trip_and_format() -> None:
    text = "import backtrader as bt  # 双均线\n".encode() * 100
    blob = crypto.seal(MASTER, "kid1", text, AAD)
    assert blob[:4] == b"JLQS" and blob[4] == crypto.VERSION
    assert text not in blob
    assert crypto.open_blob(MASTER, blob, AAD) == text
    assert crypto.wrapped_kid(blob) == "kid1"
    # a fresh DEK and nonces every time: same plaintext, different blobs
    assert crypto.seal(MASTER, "kid1", text, AAD) != blob


def test_aad_is_unambiguous() -> None:
    assert crypto.aad("ab", "c") != crypto.aad("a", "bc")
    assert crypto.aad("s", "x", 1) != crypto.aad("s", "x", 11)


def test_every_flipped_byte_is_detected() -> None:
    blob = crypto.seal(MASTER, "kid1", b"x" * 200, AAD)
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises((TamperedData, WrongKey)):
            crypto.open_blob(MASTER, bytes(bad), AAD, kid="kid1", what="策略 t 版本 1")


def test_truncation_and_wrong_item_are_tampering() -> None:
    blob = crypto.seal(MASTER, "kid1", b"payload" * 30, AAD)
    for cut in (0, 3, 10, len(blob) // 2, len(blob) - 1):
        with pytest.raises(TamperedData):
            crypto.open_blob(MASTER, blob[:cut], AAD)
    with pytest.raises(TamperedData) as ei:
        crypto.open_blob(MASTER, blob, crypto.aad("strategy", "双均线", 4), what="策略 双均线 版本 4")
    assert "双均线" in ei.value.message and "tampered" in ei.value.message and ei.value.hint
    assert ei.value.code == "tampered"


def test_wrong_master_key_never_gives_garbage() -> None:
    blob = crypto.seal(MASTER, "kid1", b"secret", AAD)
    with pytest.raises(TamperedData):
        crypto.open_blob(OTHER, blob, AAD)           # same kid claimed, wrong bytes → authentication fails
    with pytest.raises(WrongKey):
        crypto.open_blob(OTHER, blob, AAD, kid="kid2")  # a different key id is named as such


def test_rewrap_changes_only_the_wrapped_key() -> None:
    wrapped, content, mac = crypto.seal_parts(MASTER, "old", b"code" * 100, AAD)
    new_wrapped = crypto.rewrap(wrapped, MASTER, OTHER, "new", AAD, old_kid="old")
    assert new_wrapped != wrapped and crypto.wrapped_kid(new_wrapped) == "new"
    assert crypto.open_parts(OTHER, "new", new_wrapped, content, AAD) == b"code" * 100
    with pytest.raises(WrongKey):
        crypto.open_parts(MASTER, "old", new_wrapped, content, AAD)
    dek = crypto.unwrap_key(OTHER, "new", new_wrapped, AAD)
    assert crypto.content_mac(dek, b"code" * 100) == mac

    blob = crypto.seal(MASTER, "old", b"sealed", AAD)
    re = crypto.rewrap(blob, MASTER, OTHER, "new", AAD)
    assert re.endswith(blob[-(len(b"sealed") + 16 + 12 + 5):])   # content part byte-identical
    assert crypto.open_blob(OTHER, re, AAD) == b"sealed"


def test_fields() -> None:
    dek = crypto.new_key()
    a = crypto.aad("trade", "r1", "price")
    ct = crypto.encrypt_field(dek, b"1712.5", a)
    assert crypto.decrypt_field(dek, ct, a) == b"1712.5"
    with pytest.raises(TamperedData):
        crypto.decrypt_field(dek, ct, crypto.aad("trade", "r1", "amount"))
    with pytest.raises(TamperedData):
        crypto.decrypt_field(dek, ct[:-1], a)
