"""Settings as a frozen dataclass: where the data root is, how the store behaves, how jobs run.

``JLQ_HOME`` chooses the data root; default ``~/.jlq`` (documented in README). Backtest jobs run on a
Dask ``LocalCluster`` of ``backtest_workers`` processes, or on the scheduler at ``scheduler_address``;
the newest ``reports_keep`` finished backtests stay listed (older ones are archived); a job running
longer than its ``timeout_s`` (default ``job_timeout_s``) is stopped.

Live monitoring: ``redis_url`` (None: an embedded Redis under the data root), ``quote_feed`` ("auto": the
akshare snapshot during sessions, nothing outside; "live"; "replay": stored bars; "off"), the polling
and risk-check intervals, and the replay's frequency, start date and seconds per replayed tick
(``JLQ_QUOTE_FEED`` sets the default feed).
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
    scheduler_address: str | None = None
    backtest_workers: int = 2
    reports_keep: int = 100
    job_timeout_s: float = 600.0
    redis_url: str | None = None
    quote_feed: str = "auto"
    quote_interval_s: float = 3.0
    risk_interval_s: float = 10.0
    replay_freq: str = "1d"
    replay_start: str | None = None
    replay_interval_s: float = 3.0
    backup_dir: str | None = None

    @property
    def store_dir(self) -> Path:
        return self.home / "store"

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None, **overrides: object) -> Settings:
        root = home or os.environ.get("JLQ_HOME") or DEFAULT_HOME
        if os.environ.get("JLQ_QUOTE_FEED"):
            overrides.setdefault("quote_feed", os.environ["JLQ_QUOTE_FEED"])
        return cls(home=Path(os.path.expanduser(str(root))).resolve(), **overrides)  # type: ignore[arg-type]
