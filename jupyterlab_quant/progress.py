"""Progress bars for update/import/backtest events: tqdm in a terminal, the tqdm widget in a notebook."""

from __future__ import annotations

import sys
from typing import Any


class ProgressBar:
    """Callable taking progress events (``done``, ``total``, ``symbol``…) and drawing one tqdm bar."""

    def __init__(self, *, notebook: bool = False, unit: str = "sym") -> None:
        self.notebook = notebook
        self.unit = unit
        self._bar: Any = None

    def __call__(self, ev: Any) -> None:
        self._draw(ev.total, ev.done, " ".join(str(x) for x in (
            getattr(ev, "symbol", ""), getattr(ev, "source", "") or "", getattr(ev, "status", "")) if x))

    def steps(self, done: int, total: int, what: str) -> None:
        """The ``(done, total, what)`` callback form used by file imports."""
        self._draw(total, done, what)

    def fraction(self, value: float) -> None:
        """The ``0..1`` callback form used by backtests (drawn as percent)."""
        self._draw(100, int(value * 100), "")

    def _draw(self, total: int, done: int, label: str) -> None:
        if self._bar is None:
            if self.notebook:
                from tqdm.auto import tqdm  # the widget bar inside a kernel (needs ipywidgets)

                self._bar = tqdm(total=total, unit=self.unit)
            else:
                from tqdm import tqdm

                self._bar = tqdm(total=total, unit=self.unit, file=sys.stderr, leave=False)
        self._bar.set_postfix_str(label[:40])
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
