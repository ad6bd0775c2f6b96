"""Reading a widget tree the way the page shows it (shared by the dashboard tests)."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w


def html_values(widget: Any, unescape: bool = True) -> list[str]:
    """``.value`` of every HTML widget in the tree (entities unescaped unless told not to), depth first."""
    out: list[str] = []
    if isinstance(widget, w.HTML):
        out.append(html.unescape(widget.value) if unescape else widget.value)
    for child in getattr(widget, "children", ()) or ():
        out.extend(html_values(child, unescape))
    return out


def page_text(dashboard: Any, unescape: bool = True) -> str:
    """All HTML of a dashboard's page, one value per line."""
    return "\n".join(html_values(dashboard.widget, unescape))
