"""Envelope encryption (信封加密) with AES-256-GCM.

Every item (a strategy version, a batch of trade records) gets its own random 256-bit data key (DEK).
The content is encrypted with the DEK; the DEK is encrypted ("wrapped") with the master key (主密钥) —
the "double encryption" of the design. Rotating the master key re-wraps DEKs and never touches content.

Associated data (AAD) binds every ciphertext to what it is: the caller passes ``aad(purpose, item id,
version, …)`` and the wrapped key also binds the master key id (kid), so a blob copied onto another
item, another version or another purpose fails authentication exactly like a flipped byte.

Binary formats (all integers big-endian; version byte 1):

* wrapped key  ``b"JLQK" | ver | len(kid) u8 | kid | nonce(12) | AES-GCM(master, DEK)(32 + 16 tag)``
  — GCM AAD = header up to and including kid, ``b"\\0key\\0"``, the item AAD;
* content      ``b"JLQC" | ver | nonce(12) | AES-GCM(DEK, plaintext) + tag`` — GCM AAD = ``b"JLQC"|ver``,
  ``b"\\0content\\0"``, the item AAD;
* sealed       ``b"JLQS" | ver | len(wrapped key) u16 | wrapped key | content`` — both in one blob
  (:func:`seal` / :func:`open_blob`); stores that keep the two in separate columns use :func:`seal_parts`;
* field        ``ver | nonce(12) | AES-GCM(DEK, value) + tag`` — small values (trade-record fields).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import TamperedData, WrongKey

VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
MAGIC_KEY = b"JLQK"
MAGIC_CONTENT = b"JLQC"
MAGIC_SEALED = b"JLQS"
_CONTENT_HEAD = MAGIC_CONTENT + bytes([VERSION])
_WRAPPED_LEN_MIN = 4 + 1 + 1 + NONCE_BYTES + KEY_BYTES + TAG_BYTES
_RESTORE_HINT = ("其它条目不受影响；从备份恢复该条目 (other items are unaffected; restore this one from a backup, "
                 "e.g. jlq backup restore)")


def aad(*parts: str | int | bytes) -> bytes:
    """Unambiguous associated data from parts (each length-prefixed): ``aad("strategy", name, 3)``."""
    out = bytearray()
    for p in parts:
        b = p if isinstance(p, bytes) else str(p).encode("utf-8")
        out += struct.pack(">I", len(b)) + b
    return bytes(out)


def new_key() -> bytes:
    """A random 256-bit key (from the OS CSPRNG)."""
    return os.urandom(KEY_BYTES)


def key_check(master: bytes) -> bytes:
    """The key-check value stored next to key metadata: HMAC-SHA256(key, b"jlq-key-check") — never the key."""
    return hmac.new(master, b"jlq-key-check", hashlib.sha256).digest()


def content_mac(dek: bytes, plaintext: bytes) -> bytes:
    """Keyed digest of content under its own data key (a plain hash of the source would let anyone
    confirm a guessed strategy)."""
    return hmac.new(dek, plaintext, hashlib.sha256).digest()


def tampered(what: str, detail: str) -> TamperedData:
    return TamperedData(f"数据校验失败，内容被篡改、截断或与其它条目互换 (tampered or corrupt data: {detail}): {what}",
                        _RESTORE_HINT, item=what)


# ---- wrapped data keys ---------------------------------------------------------------------------
def _key_header(kid: str) -> bytes:
    k = kid.encode("ascii")
    if not 0 < len(k) < 256:
        raise ValueError("kid must be 1..255 ASCII bytes")
    return MAGIC_KEY + bytes([VERSION, len(k)]) + k


def wrap_key(master: bytes, kid: str, dek: bytes, item_aad: bytes) -> bytes:
    """The DEK encrypted under the master key ``kid``, bound to ``item_aad``."""
    head = _key_header(kid)
    nonce = os.urandom(NONCE_BYTES)
    return head + nonce + AESGCM(master).encrypt(nonce, dek, head + b"\0key\0" + item_aad)


def wrapped_kid(wrapped: bytes, what: str = "") -> str:
    """The master key id a wrapped key (or sealed blob) was wrapped with."""
    if wrapped[:4] == MAGIC_SEALED:
        wrapped = _split_sealed(wrapped, what)[0]
    if len(wrapped) < _WRAPPED_LEN_MIN or wrapped[:4] != MAGIC_KEY or wrapped[4] != VERSION:
        raise tampered(what, "bad key header")
    n = wrapped[5]
    if len(wrapped) != 6 + n + NONCE_BYTES + KEY_BYTES + TAG_BYTES:
        raise tampered(what, "bad key length")
    try:
        return wrapped[6:6 + n].decode("ascii")
    except UnicodeDecodeError:
        raise tampered(what, "bad key id") from None


def unwrap_key(master: bytes, kid: str, wrapped: bytes, item_aad: bytes, what: str = "") -> bytes:
    """The DEK of ``wrapped``; :class:`WrongKey` when it was wrapped under another master key,
    :class:`TamperedData` when it fails authentication."""
    got = wrapped_kid(wrapped, what)
    if got != kid:
        raise WrongKey(f"该数据由主密钥 {got} 加密，当前解锁的是 {kid} "
                       f"(data is wrapped with another master key): {what}",
                       "若其它进程刚轮换了密钥，请重新打开保险库并使用新口令 (the key was rotated? reopen the vault "
                       "with the current passphrase); 否则 keyinfo.json 与数据不匹配，请从备份恢复")
    head_len = 6 + len(got)
    nonce = wrapped[head_len:head_len + NONCE_BYTES]
    try:
        return AESGCM(master).decrypt(nonce, wrapped[head_len + NONCE_BYTES:],
                                      wrapped[:head_len] + b"\0key\0" + item_aad)
    except InvalidTag:
        raise tampered(what, "wrapped data key") from None


def rewrap_key(wrapped: bytes, old_master: bytes, old_kid: str, new_master: bytes, new_kid: str,
               item_aad: bytes, what: str = "") -> bytes:
    return wrap_key(new_master, new_kid, unwrap_key(old_master, old_kid, wrapped, item_aad, what), item_aad)


# ---- content -------------------------------------------------------------------------------------
def encrypt(dek: bytes, plaintext: bytes, item_aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return _CONTENT_HEAD + nonce + AESGCM(dek).encrypt(nonce, plaintext, _CONTENT_HEAD + b"\0content\0" + item_aad)


def decrypt(dek: bytes, blob: bytes, item_aad: bytes, what: str = "") -> bytes:
    if len(blob) < 5 + NONCE_BYTES + TAG_BYTES or blob[:5] != _CONTENT_HEAD:
        raise tampered(what, "bad content header or truncated")
    try:
        return AESGCM(dek).decrypt(blob[5:5 + NONCE_BYTES], blob[5 + NONCE_BYTES:],
                                   _CONTENT_HEAD + b"\0content\0" + item_aad)
    except InvalidTag:
        raise tampered(what, "content") from None


def seal_parts(master: bytes, kid: str, plaintext: bytes, item_aad: bytes) -> tuple[bytes, bytes, bytes]:
    """Encrypt under a fresh DEK: ``(wrapped key, content blob, content MAC)``."""
    dek = new_key()
    return wrap_key(master, kid, dek, item_aad), encrypt(dek, plaintext, item_aad), content_mac(dek, plaintext)


def open_parts(master: bytes, kid: str, wrapped: bytes, blob: bytes, item_aad: bytes, what: str = "") -> bytes:
    return decrypt(unwrap_key(master, kid, wrapped, item_aad, what), blob, item_aad, what)


# ---- sealed (wrapped key + content in one blob) ------------------------------------------------------
def seal(master: bytes, kid: str, plaintext: bytes, item_aad: bytes) -> bytes:
    wrapped, content, _ = seal_parts(master, kid, plaintext, item_aad)
    return _join_sealed(wrapped, content)


def _join_sealed(wrapped: bytes, content: bytes) -> bytes:
    return MAGIC_SEALED + bytes([VERSION]) + struct.pack(">H", len(wrapped)) + wrapped + content


def _split_sealed(blob: bytes, what: str) -> tuple[bytes, bytes]:
    if len(blob) < 7 or blob[:5] != MAGIC_SEALED + bytes([VERSION]):
        raise tampered(what, "bad header")
    (n,) = struct.unpack(">H", blob[5:7])
    if len(blob) < 7 + n:
        raise tampered(what, "truncated")
    return blob[7:7 + n], blob[7 + n:]


def open_blob(master: bytes, blob: bytes, item_aad: bytes, *, kid: str | None = None, what: str = "") -> bytes:
    """Plaintext of a sealed blob. ``kid`` (the id of ``master``) defaults to the blob's own kid."""
    wrapped, content = _split_sealed(blob, what)
    return open_parts(master, kid or wrapped_kid(wrapped, what), wrapped, content, item_aad, what)


def rewrap(blob_or_wrapped_key: bytes, old_master: bytes, new_master: bytes, new_kid: str, item_aad: bytes,
           *, old_kid: str | None = None, what: str = "") -> bytes:
    """Re-wrap the DEK of a wrapped key or a sealed blob under a new master key; content bytes unchanged."""
    b = blob_or_wrapped_key
    sealed = b[:4] == MAGIC_SEALED
    wrapped, content = _split_sealed(b, what) if sealed else (b, b"")
    new = rewrap_key(wrapped, old_master, old_kid or wrapped_kid(wrapped, what), new_master, new_kid, item_aad,
                     what)
    return _join_sealed(new, content) if sealed else new


# ---- small fields ----------------------------------------------------------------------------------
def encrypt_field(dek: bytes, value: bytes, item_aad: bytes, *, aes: AESGCM | None = None) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    head = bytes([VERSION])
    return head + nonce + (aes or AESGCM(dek)).encrypt(nonce, value, head + b"\0field\0" + item_aad)


def decrypt_field(dek: bytes, blob: bytes, item_aad: bytes, *, aes: AESGCM | None = None, what: str = "") -> bytes:
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[0] != VERSION:
        raise tampered(what, "bad field header or truncated")
    try:
        return (aes or AESGCM(dek)).decrypt(blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:],
                                            blob[:1] + b"\0field\0" + item_aad)
    except InvalidTag:
        raise tampered(what, "field") from None
