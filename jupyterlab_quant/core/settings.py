"""Settings as a frozen dataclass: where the data root is and how the store behaves.

``JLQ_HOME`` chooses the data root; default ``~/.jlq`` (documented in README).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOME = "~/.jlq"


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path(os.path.expanduser(DEFAULT_HOME)))
    lock_timeout_s: float = 30.0
    hot_cache: bool = True

    @property
    def store_dir(self) -> Path:
        return self.home / "store"

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None, **overrides: object) -> Settings:
        root = home or os.environ.get("JLQ_HOME") or DEFAULT_HOME
        return cls(home=Path(os.path.expanduser(str(root))).resolve(), **overrides)  # type: ignore[arg-type]
