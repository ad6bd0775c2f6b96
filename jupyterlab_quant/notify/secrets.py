"""Secret naming (``notify.<channel>.<field>``) and ``MemorySecrets`` (tests, one-off scripts).

The real source is built by the composition root: ``vault.secrets.secret_source(home, keys)`` —
``$JLQ_SECRET_<CHANNEL>_<FIELD>`` (e.g. ``JLQ_SECRET_WECOM_KEY``) first, then the encrypted vault. This
package only sees the ``SecretSource`` protocol (it may not import the vault)."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping

from ..core.errors import InvalidInput

PREFIX = "notify."
_NAME_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


def secret_name(channel: str, field: str) -> str:
    """``("wecom", "key")`` → ``"notify.wecom.key"``."""
    return f"{PREFIX}{channel}.{field}"


def check_name(name: str) -> str:
    if not _NAME_RE.match(name or ""):
        raise InvalidInput(f"密钥名无效 (bad secret name): {name!r}", "用小写点分名称，如 notify.wecom.key")
    return name


class MemorySecrets:
    """Secrets in a dict (nothing on disk)."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values: dict[str, str] = dict(values or {})
        self._lock = threading.Lock()

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._values.get(name)

    def has(self, name: str) -> bool:
        with self._lock:
            return name in self._values

    def set(self, name: str, value: str) -> None:
        with self._lock:
            self._values[check_name(name)] = value

    def delete(self, name: str) -> None:
        with self._lock:
            self._values.pop(name, None)
