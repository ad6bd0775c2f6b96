"""IPython magics: ``%bars``, ``%quote``, ``%%quantsql``, ``%quant_update`` and ``%%backtest`` — parse arguments,
call the services, display the outcome (DataFrame, progress bar, report widget)."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from .app import default_services
from .core.errors import QuantError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would sys.exit() inside the kernel
        raise QuantError(f"{self.prog}: {message}", self.format_usage().strip())


def _bars_parser() -> _Parser:
    p = _Parser(prog="%bars", add_help=False)
    p.add_argument("symbol")
    p.add_argument("--start")
    p.add_argument("--end")
    p.add_argument("--adjust", default="none")
    p.add_argument("--freq", default="1d")
    return p


def _update_parser() -> _Parser:
    p = _Parser(prog="%quant_update", add_help=False)
    p.add_argument("symbols", help="comma-separated, e.g. 600519.SH,000001.SZ")
    p.add_argument("--start")
    p.add_argument("--end")
    p.add_argument("--kind")
    p.add_argument("--source")
    return p


def _backtest_parser() -> _Parser:
    from .backtest.options import add_spec_options

    p = _Parser(prog="%%backtest", add_help=False)
    add_spec_options(p)
    p.add_argument("--name", default="_backtest", help="variable that receives the BacktestResult")
    p.add_argument("--html", help="also write the self-contained HTML report to this path")
    p.add_argument("--lang", default="zh", choices=["zh", "en"])
    p.add_argument("--no-widget", action="store_true", help="return the result without displaying the widget")
    return p


def _show_error(exc: QuantError) -> None:
    from html import escape

    from IPython.display import HTML, display

    hint = f"<br><small>提示: {escape(exc.hint)}</small>" if exc.hint else ""
    tb = getattr(exc, "traceback", "")
    pre = f"<pre>{escape(tb)}</pre>" if tb else ""
    display(HTML(f'<div class="jlq-error" style="color:var(--jp-error-color1)">错误: {escape(exc.message)}'
                 f"{hint}{pre}</div>"))


@magics_class
class QuantMagics(Magics):
    @line_magic
    def bars(self, line: str) -> Any:
        """%bars SYMBOL [--start D] [--end D] [--adjust none|qfq|hfq] [--freq 1d|1m|5m] → DataFrame"""
        try:
            a = _bars_parser().parse_args(shlex.split(line))
            return default_services().query.bars(a.symbol, a.start, a.end, a.adjust, a.freq)
        except QuantError as exc:
            _show_error(exc)
            return None

    @line_magic
    def quote(self, line: str) -> Any:
        """%quote 600519.SH 000001.SZ → DataFrame of the latest quotes (live from the bus; otherwise the last
        stored close, whose ``time`` shows its date). Symbols may also be comma-separated."""
        import pandas as pd

        from .core.types import normalize_symbol

        try:
            syms = [normalize_symbol(s) for part in shlex.split(line) for s in part.split(",") if s.strip()]
            if not syms:
                raise QuantError("%quote: 请给出代码 (give at least one symbol)", "例如 %quote 600519.SH 000001.SZ")
            quotes = default_services().latest_quotes(syms)
        except QuantError as exc:
            _show_error(exc)
            return None
        rows = []
        for sym in syms:
            q = quotes.get(sym)
            if q is None:
                continue
            rows.append({"symbol": sym, "name": q.name, "price": q.price, "change": q.change,
                         "pct": q.pct * 100, "preclose": q.preclose, "volume": q.volume, "time": q.time,
                         "suspended": q.suspended})
        return pd.DataFrame(rows, columns=["symbol", "name", "price", "change", "pct", "preclose", "volume", "time",
                                           "suspended"])

    @line_magic
    def quant_update(self, line: str) -> Any:
        """%quant_update 600519.SH,000001.SZ [--start D] [--end D] [--kind K] [--source S] → update report;
        draws a progress bar (tqdm widget) while akshare downloads what the store is missing."""
        from .core.types import normalize_symbol, parse_range
        from .progress import ProgressBar

        bar = ProgressBar(notebook=True)
        try:
            a = _update_parser().parse_args(shlex.split(line))
            start, end = parse_range(a.start, a.end)
            symbols = [normalize_symbol(s) for s in a.symbols.split(",") if s.strip()]
            report = default_services().updater().update_daily(symbols, kind=a.kind, start=start, end=end,
                                                               source=a.source, progress=bar)
        except QuantError as exc:
            _show_error(exc)
            return None
        finally:
            bar.close()
        print(report.summary())
        return report

    @cell_magic
    def quantsql(self, line: str, cell: str) -> Any:
        """%%quantsql [VAR] — DuckDB SQL over the store views; ``$name`` binds notebook variables."""
        target = line.strip() or None
        try:
            names = sorted({tok[1:] for tok in cell.replace("(", " ").replace(")", " ").replace(",", " ").split()
                            if tok.startswith("$") and tok[1:].isidentifier()})
            params = {n: self.shell.user_ns[n] for n in names if n in self.shell.user_ns}  # type: ignore[union-attr]
            missing = [n for n in names if n not in params]
            if missing:
                raise QuantError(f"SQL 参数未定义: {missing} (undefined notebook variables)",
                                 "先在 notebook 中定义这些变量")
            df = default_services().query.sql(cell, params or None)
        except QuantError as exc:
            _show_error(exc)
            return None
        if target:
            self.shell.user_ns[target] = df  # type: ignore[union-attr]
            return None
        return df


    @cell_magic
    def backtest(self, line: str, cell: str) -> Any:
        """%%backtest --symbols 600519.SH --start 2020-01-02 --end 2020-12-31 [--cash C] [--profile P]
        [--param k=v ...] [--strategy CLASS] [--benchmark B] [--name VAR] [--html OUT.html]

        The cell holds a ``backtrader.Strategy`` subclass. Runs with the A-share rules, draws a progress
        bar, then shows the report widget; the result is stored in ``VAR`` (default ``_backtest``)."""
        from .backtest.engine import run_spec
        from .backtest.options import spec_from_options
        from .progress import ProgressBar

        bar = ProgressBar(notebook=True, unit="%")
        try:
            a = _backtest_parser().parse_args(shlex.split(line))
            svc = default_services()
            spec = spec_from_options(a, strategy_source=cell, label="%%backtest")
            result = run_spec(spec, svc.query, home=svc.settings.home, progress=bar.fraction)
        except QuantError as exc:
            _show_error(exc)
            return None
        finally:
            bar.close()
        self.shell.user_ns[a.name] = result  # type: ignore[union-attr]
        if a.html:
            from pathlib import Path

            from .backtest.report import render_html

            Path(a.html).write_text(render_html(result, lang=a.lang), encoding="utf-8")
        if a.no_widget:
            return result
        from IPython.display import display

        from .widgets.backtest import report_widget

        display(report_widget(result, lang=a.lang))
        return None


def register(ipython: Any) -> None:
    ipython.register_magics(QuantMagics)
