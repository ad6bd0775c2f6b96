"""Shared dashboard kit (看板组件): language and request parameters, responsive page style, cards,
sections, tables, readable error messages, and the ready marker tests and benchmarks wait for.

Every dashboard (monitor, tearsheet, data health) builds from these so they look and behave alike
on a tablet: Chinese by default (``?lang=en`` or ``JLQ_LANG=en`` for English), red-up/green-down
unless ``JLQ_UP_COLOR``/``JLQ_DOWN_COLOR`` say otherwise, touch targets of at least 44 px, one
column under 820 px of width. A failure never reaches the page as a traceback: :func:`guard` turns
it into a message that says what to do.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import ipywidgets as w

from ..backtest import report as rpt
from ..core.errors import QuantError

log = logging.getLogger("jupyterlab_quant.dashboards")
SHANGHAI = ZoneInfo("Asia/Shanghai")

Text = Mapping[str, tuple[str, str]]

COMMON_TEXT: Text = {
    "error_title": ("出错了", "Something went wrong"),
    "internal": ("内部错误", "Internal error"),
    "internal_hint": ("请查看服务器日志；刷新页面重试。", "See the server log; reload the page to retry."),
    "empty": ("暂无数据", "No data yet"),
    "updated": ("更新于", "Updated"),
    "refresh": ("刷新", "Refresh"),
    "loading": ("加载中…", "Loading…"),
}


# --- language and request ----------------------------------------------------------------------

def request_params() -> dict[str, str]:
    """Query parameters of the page that runs this kernel (Voila sets ``QUERY_STRING``); ``{}`` in a
    notebook. A pre-heated Voila kernel waits here until a browser request arrives."""
    if os.environ.get("VOILA_PREHEAT", "").lower() == "true":
        try:
            from voila.utils import wait_for_request  # only present under Voila

            wait_for_request()
        except Exception:  # outside Voila there is no request to wait for
            pass
    raw = os.environ.get("QUERY_STRING", "")
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def resolve_lang(lang: str | None = None, params: Mapping[str, str] | None = None) -> str:
    """``lang`` if given, else ``?lang=``, else ``JLQ_LANG``, else Chinese."""
    cand = lang or (params or {}).get("lang") or os.environ.get("JLQ_LANG") or "zh"
    return "en" if cand.lower().startswith("en") else "zh"


def tr(table: Text, key: str, lang: str) -> str:
    """A UI string of ``table`` (falling back to :data:`COMMON_TEXT`) in ``lang``."""
    zh, en = table[key] if key in table else COMMON_TEXT[key]
    return en if lang == "en" else zh


def colors() -> tuple[str, str]:
    """(up, down) colours: red-up/green-down unless ``JLQ_UP_COLOR``/``JLQ_DOWN_COLOR`` are set."""
    up, down = os.environ.get("JLQ_UP_COLOR", rpt.UP), os.environ.get("JLQ_DOWN_COLOR", rpt.DOWN)
    try:
        rpt.table_css(up, down)  # validates both colours
    except QuantError:
        log.warning("ignoring bad JLQ_UP_COLOR/JLQ_DOWN_COLOR %r/%r", up, down)
        return rpt.UP, rpt.DOWN
    return up, down


# --- page style ----------------------------------------------------------------------------------

def page_style() -> w.HTML:
    """One ``<style>`` for a dashboard page: responsive grid, cards, tables, touch-sized controls."""
    up, down = colors()
    css = f"""
.jlq-dash {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; font-size: 15px;
  color: #212529; max-width: 1880px; margin: 0 auto; }}
.jlq-dash h2 {{ font-size: 20px; margin: 6px 0; }}
.jlq-dash h3 {{ font-size: 16px; margin: 4px 0 6px; }}
.jlq-grid {{ display: grid !important; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr));
  gap: 12px; width: 100%; }}
.jlq-section {{ border: 1px solid #dee2e6; border-radius: 8px; padding: 8px 10px; background: #fff;
  min-width: 0; overflow-x: auto; }}
.jlq-cards {{ display: flex; flex-wrap: wrap; gap: 10px; }}
.jlq-card {{ flex: 1 1 150px; border: 1px solid #dee2e6; border-radius: 8px; padding: 8px 12px; background: #f8f9fa; }}
.jlq-card .label {{ color: #495057; font-size: 13px; }}
.jlq-card .value {{ font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }}
.jlq-table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
.jlq-table th, .jlq-table td {{ border-bottom: 1px solid #e9ecef; padding: 6px 8px; text-align: left;
  white-space: nowrap; }}
.jlq-table th {{ background: #f1f3f5; font-weight: 600; position: sticky; top: 0; }}
.jlq-table td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.jlq-dash .up {{ color: {up}; }}
.jlq-dash .down {{ color: {down}; }}
.jlq-dash .muted {{ color: #868e96; font-size: 13px; }}
.jlq-dash .jlq-bad {{ color: #e8590c; font-weight: 600; }}  /* problems: red/green already mean up/down */
.jlq-grid > .jlq-wide {{ grid-column: 1 / -1; }}
.jlq-flag {{ display: inline-block; border-radius: 4px; padding: 0 5px; margin-right: 3px; font-size: 12px;
  color: #fff; background: #868e96; }}
.jlq-flag.limit {{ background: {down}; }} .jlq-flag.limitup {{ background: {up}; }}
.jlq-flag.st {{ background: #e8590c; }} .jlq-flag.suspended {{ background: #495057; }}
.jlq-state {{ display: inline-block; border-radius: 10px; padding: 1px 8px; font-size: 13px; color: #fff; }}
.jlq-state.ok {{ background: #2b8a3e; }} .jlq-state.breach {{ background: #c92a2a; }}
.jlq-state.warn, .jlq-state.warning, .jlq-state.degraded, .jlq-state.half_open {{ background: #e67700; }}
.jlq-state.error, .jlq-state.down, .jlq-state.open {{ background: #862e9c; }}
.jlq-state.unknown, .jlq-state.pending, .jlq-state.closed, .jlq-state.disabled,
.jlq-state.no_data {{ background: #868e96; }}
.jlq-message {{ border-radius: 8px; padding: 10px 14px; margin: 6px 0; border: 1px solid; }}
.jlq-message.info {{ background: #e7f5ff; border-color: #74c0fc; }}
.jlq-message.warn {{ background: #fff9db; border-color: #fcc419; }}
.jlq-message.error {{ background: #fff5f5; border-color: #ff8787; }}
.jlq-message .hint {{ color: #495057; font-size: 14px; }}
/* touch-friendly controls (≥ 44 px targets) */
.jlq-dash .widget-button, .jlq-dash .widget-toggle-button, .jlq-dash .widget-dropdown select,
.jlq-dash .widget-select select, .jlq-dash .widget-text input {{ min-height: 44px; font-size: 15px; }}
.jlq-dash .widget-dropdown, .jlq-dash .widget-text {{ height: auto; }}
@media (max-width: 820px) {{
  .jlq-grid {{ grid-template-columns: 1fr; }}
  .jlq-card .value {{ font-size: 20px; }}
  .jlq-table {{ font-size: 13px; }}
}}
@media (min-width: 1600px) {{
  .jlq-grid {{ grid-template-columns: repeat(3, minmax(0, 1fr)); }}
}}
"""
    return w.HTML(f"<style>{css}</style>")


# --- building blocks ---------------------------------------------------------------------------

def esc(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def sign_class(v: float | None) -> str:
    """``up``/``down``/"" for a signed number (colour by the user's up/down colours)."""
    if v is None or v != v:
        return ""
    return "up" if v > 0 else "down" if v < 0 else ""


def fmt_money(v: float | None, digits: int = 2) -> str:
    return "—" if v is None or v != v else f"{v:,.{digits}f}"


def local_time(iso: str | None) -> str:
    """An ISO timestamp (UTC in the state databases) as Asia/Shanghai wall time, ``YYYY-MM-DD HH:MM``."""
    if not iso:
        return "—"
    try:
        t = dt.datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    if t.tzinfo is not None:
        t = t.astimezone(SHANGHAI)
    return t.strftime("%Y-%m-%d %H:%M")


def fmt_pct(v: float | None, digits: int = 2, signed: bool = False) -> str:
    if v is None or v != v:
        return "—"
    return f"{v * 100:+.{digits}f}%" if signed else f"{v * 100:.{digits}f}%"


def card(label: str, value: str, css: str = "", key: str = "") -> str:
    """One number card; ``key`` becomes ``data-key`` so tests can find the value."""
    data = f' data-key="{esc(key)}"' if key else ""
    return (f'<div class="jlq-card"{data}><div class="label">{esc(label)}</div>'
            f'<div class="value {esc(css)}">{value}</div></div>')


def cards(items: Sequence[str]) -> str:
    return f'<div class="jlq-cards">{"".join(items)}</div>'


def table(headers: Sequence[str], rows: Sequence[Sequence[tuple[str, str]]], *, empty: str, key: str = "",
          row_attrs: Sequence[Mapping[str, str]] | None = None) -> str:
    """An HTML table from already-escaped cells (html, css class); ``empty`` when there are no rows.
    ``row_attrs`` (one mapping per row) become attributes of the rows, e.g. ``data-symbol``."""
    if not rows:
        return f'<p class="muted">{esc(empty)}</p>'
    data = f' data-key="{esc(key)}"' if key else ""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, cells in enumerate(rows):
        attrs = "".join(f' {k}="{esc(v)}"' for k, v in (row_attrs[i] if row_attrs else {}).items())
        tds = "".join(f'<td class="{css}">{v}</td>' if css else f"<td>{v}</td>" for v, css in cells)
        body.append(f"<tr{attrs}>{tds}</tr>")
    return f'<table class="jlq-table"{data}><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def state_badge(state: str, label: str) -> str:
    return f'<span class="jlq-state {esc(state)}">{esc(label)}</span>'


def section(title: str, *children: w.Widget, name: str = "") -> w.VBox:
    """A titled card of the dashboard grid (``jlq-section jlq-sec-<name>`` for styling and tests)."""
    box = w.VBox([w.HTML(f"<h3>{esc(title)}</h3>"), *children], layout=w.Layout(min_width="0"))
    box.add_class("jlq-section")
    if name:
        box.add_class(f"jlq-sec-{name}")
    return box


def grid(*children: w.Widget) -> w.Box:
    box = w.Box(list(children), layout=w.Layout(width="100%"))
    box.add_class("jlq-grid")
    return box


def page(name: str, *children: w.Widget) -> w.VBox:
    """The dashboard root: style + children, classes ``jlq-dash jlq-dash-<name>``."""
    root = w.VBox([page_style(), *children], layout=w.Layout(width="100%"))
    root.add_class("jlq-dash")
    root.add_class(f"jlq-dash-{name}")
    return root


def ready_marker(name: str) -> w.HTML:
    """An invisible element set once the dashboard's first data is on the page (tests and the render
    benchmark wait for ``.jlq-ready[data-dashboard=name]``)."""
    return w.HTML(f'<span class="jlq-ready" data-dashboard="{esc(name)}" style="display:none"></span>')


# --- messages and errors -----------------------------------------------------------------------

def message_html(kind: str, title: str, detail: str = "", hint: str = "") -> str:
    """A banner (``info``/``warn``/``error``) with an optional hint line (what to do)."""
    parts = [f"<b>{esc(title)}</b>"]
    if detail:
        parts.append(f"<div>{esc(detail)}</div>")
    if hint:
        parts.append(f'<div class="hint">{esc(hint)}</div>')
    return f'<div class="jlq-message {esc(kind)}">{"".join(parts)}</div>'


def message(kind: str, title: str, detail: str = "", hint: str = "") -> w.HTML:
    return w.HTML(message_html(kind, title, detail, hint))


def error_html(exc: BaseException, lang: str, title: str | None = None) -> str:
    """A readable message for ``exc``: a product error's message and hint; anything else is logged
    with its traceback (server log) and shown as one line, never as a traceback dump."""
    head = title or tr(COMMON_TEXT, "error_title", lang)
    if isinstance(exc, QuantError):
        return message_html("error", head, exc.message, exc.hint)
    log.error("dashboard error: %s", "".join(traceback.format_exception(exc)))
    return message_html("error", head, f"{tr(COMMON_TEXT, 'internal', lang)}: {type(exc).__name__}: {exc}",
                        tr(COMMON_TEXT, "internal_hint", lang))


def guard(build: Callable[[], w.Widget], lang: str, title: str | None = None) -> w.Widget:
    """``build()``, or a message widget when it raises."""
    try:
        return build()
    except Exception as exc:  # the edge: every failure becomes a readable message
        return w.HTML(error_html(exc, lang, title))
