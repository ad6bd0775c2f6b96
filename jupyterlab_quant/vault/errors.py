"""Typed errors of the vault (保险库). They subclass :mod:`jupyterlab_quant.core.errors` so every edge
translates them without knowing the vault: ``WrongKey`` is bad input (HTTP 400, CLI exit 2), the rest are
product errors (CLI exit 5) with their own stable ``code``."""

from __future__ import annotations

from ..core.errors import InvalidInput, QuantError

PASSPHRASE_HINT = ("设置环境变量 JLQ_VAULT_PASSPHRASE，或用 JLQ_VAULT_PASSPHRASE_FILE 指向口令文件，"
                   "或在终端中运行以输入口令 "
                   "(set JLQ_VAULT_PASSPHRASE or JLQ_VAULT_PASSPHRASE_FILE, or run in a terminal to be prompted)")


class VaultLocked(QuantError):
    """No master key is available to this process: no passphrase was given and none can be asked for."""

    code = "vault_locked"


class VaultNotInitialized(VaultLocked):
    """``$JLQ_HOME/vault/keyinfo.json`` does not exist yet (``jlq vault init``)."""

    code = "vault_not_initialized"


class WrongKey(InvalidInput):
    """The passphrase (or keyring entry) does not give the master key the data was encrypted with."""

    code = "wrong_key"


class KeyLost(QuantError):
    """The master key cannot be obtained any more (keyring entry gone, key info missing or from elsewhere)."""

    code = "key_lost"


class TamperedData(QuantError):
    """An encrypted blob failed authentication: edited, truncated, swapped with another item, or corrupt."""

    code = "tampered"

    def __init__(self, message: str, hint: str = "", *, item: str = "") -> None:
        super().__init__(message, hint)
        self.item = item

    def to_dict(self) -> dict[str, str]:
        return {**super().to_dict(), "item": self.item}
