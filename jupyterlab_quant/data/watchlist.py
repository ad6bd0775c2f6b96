"""The watchlist (自选股): the symbols whose quotes are polled and shown, in ``$JLQ_HOME/config/watchlist.json``
(written atomically; a hand-edited file that is broken is reported, never overwritten silently)."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from ..core.errors import InvalidInput
from ..core.types import normalize_symbol

MAX_SYMBOLS = 6000  # the whole A-share market fits; beyond that it is a mistake, not a watchlist
DEFAULT = ("600519.SH", "000001.SZ", "300750.SZ", "601318.SH", "000300.SH")


class Watchlist:
    def __init__(self, home: Path) -> None:
        self.path = Path(home) / "config" / "watchlist.json"
        self._lock = threading.Lock()

    def symbols(self) -> list[str]:
        """The saved symbols; a small default list before the first save."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return list(DEFAULT)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"自选股文件损坏 {self.path}: {exc} (watchlist file unreadable)",
                               "修正或删除该文件后重试 (fix or delete the file)") from exc
        syms = raw.get("symbols") if isinstance(raw, dict) else None
        if not isinstance(syms, list):
            raise InvalidInput(f"自选股文件 {self.path} 缺少 symbols 列表 (no 'symbols' list)", "修正或删除该文件")
        return [str(s) for s in syms]

    def save(self, symbols: list[str]) -> list[str]:
        """Normalise (``600519`` → ``600519.SH``), de-duplicate, keep order; a bad entry fails the whole save."""
        if not isinstance(symbols, list):
            raise InvalidInput("symbols 必须是代码列表 (symbols must be a list of codes)", '例如 ["600519.SH"]')
        out: list[str] = []
        for i, raw in enumerate(symbols):
            try:
                sym = normalize_symbol(str(raw))
            except InvalidInput as exc:
                raise InvalidInput(f"symbols[{i}] = {raw!r}: {exc.message}", exc.hint) from exc
            if sym not in out:
                out.append(sym)
        if len(out) > MAX_SYMBOLS:
            raise InvalidInput(f"自选股最多 {MAX_SYMBOLS} 个，收到 {len(out)} (too many symbols)", "删减后重试")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".watchlist.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"symbols": out}, fh, ensure_ascii=False, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        return out
