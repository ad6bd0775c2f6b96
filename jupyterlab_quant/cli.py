"""``jlq`` command line (also ``python -m jupyterlab_quant``): a thin adapter over the services.

Typed errors are translated here once: message on stderr, exit code 2 (bad input), 3 (not found),
4 (store busy), 5 (other product error), 1 (unexpected); ``jlq data check`` exits 6 when it finds errors.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence

import pandas as pd

from .app import Services
from .core.errors import InvalidInput, NotFound, QuantError, StoreBusy
from .data.ingest import import_files, import_tdx, load_sample
from .data.sources.csv_files import FORMATS
from .progress import ProgressBar

EXIT_CODES = ((InvalidInput, 2), (NotFound, 3), (StoreBusy, 4), (QuantError, 5))
BAR_COLUMNS = ["symbol", "date", "open", "high", "low", "close", "volume", "amount", "preclose"]


def _print_frame(df: pd.DataFrame, fmt: str) -> None:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            is_day = (out[c].dt.normalize() == out[c]).all()
            out[c] = out[c].dt.strftime("%Y-%m-%d" if is_day else "%Y-%m-%d %H:%M:%S")
    if fmt == "json":
        sys.stdout.write(out.to_json(orient="records", force_ascii=False, double_precision=6) + "\n")
    elif fmt == "table":
        with pd.option_context("display.max_rows", 200, "display.width", 160):
            sys.stdout.write(out.to_string(index=False) + "\n")
    else:
        out.to_csv(sys.stdout, index=False, lineterminator="\n")


def cmd_import(svc: Services, a: argparse.Namespace) -> int:
    bar = None if a.quiet else ProgressBar(unit="step")
    report = import_files(svc.store, a.paths, fmt=a.format, kind=a.kind, symbol=a.symbol,
                          encoding=a.encoding, progress=bar.steps if bar else None)
    if bar:
        bar.close()
    print(report.summary())
    return 0


def _split_list(values: list[str] | None) -> list[str] | None:
    """``--symbols 600519.SH,000001.SZ --symbols 300750.SZ`` → one flat list (None when not given)."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def cmd_import_tdx(svc: Services, a: argparse.Namespace) -> int:
    bar = None if a.quiet else ProgressBar(unit="step")
    report = import_tdx(svc.store, a.vipdoc, symbols=_split_list(a.symbols), freqs=_split_list(a.freq),
                        strict=a.strict, progress=bar.steps if bar else None)
    if bar:
        bar.close()
    print(report.summary())
    if report.skipped:
        print(f"跳过 {len(report.skipped)} 个不导入的文件 (skipped files: bonds, B-shares, sector indices):")
        for line in report.skipped[:20]:
            print(f"  {line}")
        if len(report.skipped) > 20:
            print(f"  … {len(report.skipped) - 20} more")
    for line in report.warnings:
        print(f"警告 warning: {line}", file=sys.stderr)
    return 0


def cmd_bars(svc: Services, a: argparse.Namespace) -> int:
    df = svc.query.bars(a.symbol, a.start, a.end, a.adjust, a.freq)
    tcol = "ts" if "ts" in df.columns else "date"
    if tcol == "ts":
        df = df.rename(columns={"ts": "datetime"})
        cols = ["symbol", "datetime", *BAR_COLUMNS[2:]]
    else:
        cols = list(BAR_COLUMNS)
    cols = [c for c in cols if c in df.columns] + [c for c in df.columns if c not in cols]
    _print_frame(df[cols], a.format)
    return 0


def cmd_symbols(svc: Services, a: argparse.Namespace) -> int:
    if a.refresh:
        report = svc.updater().refresh_stock_list()
        print(report.summary(), file=sys.stderr)
        if report.failures:
            first = next(iter(report.failures.values()))
            return next(code for cls, code in EXIT_CODES if isinstance(first, cls))
    items = svc.query.search(a.query or "", a.kind, a.limit)
    _print_frame(pd.DataFrame(items, columns=["symbol", "name", "kind", "board", "first_date", "last_date"]),
                 a.format)
    return 0


def cmd_sql(svc: Services, a: argparse.Namespace) -> int:
    _print_frame(svc.query.sql(a.query, list(a.param)), a.format)
    return 0


def cmd_info(svc: Services, a: argparse.Namespace) -> int:
    info = {r["dataset"]: r for r in svc.store.info()}
    rows = []
    for name, n, first, last in svc.query.coverage():
        symbols = None
        if n:
            symbols = int(svc.query.sql(f"SELECT count(DISTINCT symbol) n FROM {name}")["n"].iloc[0])
        rows.append({"dataset": name, "rows": n, "symbols": symbols, "first": first, "last": last,
                     "files": info[name]["files"], "size_mb": round(info[name]["bytes"] / 1e6, 2),
                     "version": info[name]["version"]})
    print(f"JLQ_HOME = {svc.settings.home}")
    table = pd.DataFrame(rows)
    table["symbols"] = table["symbols"].astype("Int64")
    _print_frame(table, a.format)
    return 0


def cmd_init_sample(svc: Services, a: argparse.Namespace) -> int:
    results = load_sample(svc.store)
    written = sum(r.partitions_written for r in results)
    print(f"样例数据已就绪 (sample store ready) in {svc.settings.store_dir}: "
          f"{sum(r.rows_in for r in results)} rows, {written} partitions written")
    return 0


def cmd_check(svc: Services, a: argparse.Namespace) -> int:
    """`jlq data check`: data health findings; exit 6 when any finding is an error."""
    import json
    import time

    from .data.quality import compare_adjusted, run_checks
    from .data.schema import DAILY_BY_KIND

    t0 = time.perf_counter()
    symbols = _split_list(a.symbols)
    by_kind: dict[str, list[str] | None] = {}
    if symbols:
        for s in symbols:
            inst = svc.query.resolve(s)
            syms = by_kind.setdefault(a.kind or str(inst.get("kind") or "stock"), [])
            assert syms is not None
            syms.append(str(inst["symbol"]))
    else:
        kinds = [a.kind] if a.kind else [k for k, d in DAILY_BY_KIND.items() if svc.store.manifest(d.name).files]
        by_kind = {k: None for k in kinds}
    findings = []
    for kind, syms in by_kind.items():
        findings += run_checks(svc.query, syms, kind, checks=_split_list(a.checks), stale_days=a.stale_days)
    if a.reference:
        from .data.sources.csv_files import parse_csv

        ref = parse_csv(a.reference).frame
        findings += compare_adjusted(svc.query, ref, a.adjust, source=os.path.basename(a.reference))
    errors = sum(f.severity == "error" for f in findings)
    warnings, seconds, kinds = len(findings) - errors, round(time.perf_counter() - t0, 3), sorted(by_kind)
    if a.json:
        summary = {"errors": errors, "warnings": warnings, "seconds": seconds, "kinds": kinds}
        sys.stdout.write(json.dumps({"summary": summary, "findings": [f.to_dict() for f in findings]},
                                    ensure_ascii=False, indent=1) + "\n")
    else:
        for f in findings:
            print(f"{f.severity.upper():7} {f.check:9} {f.symbol:10} {f.date or '':10}  {f.message}")
            if f.hint:
                print(f"{'':40}→ {f.hint}")
        print(f"数据体检: {errors} 个错误, {warnings} 个警告 ({', '.join(kinds)}; {seconds} s) "
              f"(data check: {errors} errors, {warnings} warnings)")
    return 6 if errors else 0


def cmd_compact(svc: Services, a: argparse.Namespace) -> int:
    done = svc.store.compact(a.dataset)
    removed = svc.store.gc(0 if a.now else 600)
    print(f"compacted partitions: {done}; removed unreferenced files: {removed}")
    return 0


def _free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])


def cmd_lab(svc: Services, a: argparse.Namespace) -> int:
    if not svc.store.manifest("bars_1d").files:
        load_sample(svc.store)
    token = a.token or os.environ.get("JLQ_TOKEN") or secrets.token_hex(24)
    port = _free_port(a.port)
    url = f"http://{a.ip}:{port}/lab?token={token}"
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--ServerApp.ip={a.ip}", f"--port={port}",
           f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    cmd += a.extra
    env = dict(os.environ, JLQ_HOME=str(svc.settings.home))
    print(f"\n  jupyterlab-quant: JupyterLab → {url}\n  数据目录 (JLQ_HOME): {svc.settings.home}\n", flush=True)
    if a.dry_run:
        print(" ".join(cmd))
        return 0
    return subprocess.call(cmd, env=env)


def cmd_update(svc: Services, a: argparse.Namespace) -> int:
    """`jlq data update`: incremental, resumable download through akshare with fail-over."""
    from .core.types import normalize_symbol, parse_range

    start, end = parse_range(a.start, a.end)
    upd = svc.updater()
    raw_symbols = _split_list(a.symbols) or []
    symbols = raw_symbols if a.kind == "fund" else [normalize_symbol(s) for s in raw_symbols]
    if not symbols and not a.all:
        raise InvalidInput("需要 --symbols 或 --all (no symbols given)", "例如 --symbols 600519.SH,000001.SZ")
    bar = None if a.quiet else ProgressBar()
    try:
        if a.freq == "5m":
            raise InvalidInput("5 分钟线尚无数据集 (no 5-minute dataset yet)", "用 --freq 1m，查询时再聚合为 5 分钟")
        if a.freq == "1m":
            if not symbols:
                raise InvalidInput("分钟线需要 --symbols (minute bars need --symbols)", "例如 --symbols 600519.SH")
            report = upd.update_minute(symbols, progress=bar)
        elif a.all and (a.kind or "stock") == "stock" and start is None and not symbols:
            report = upd.update_snapshot(day=end, progress=bar)
        else:
            if a.all and a.kind == "fund":   # funds are not instruments: every fund already in fund_nav
                symbols = sorted(set(svc.store.read("fund_nav", columns=["symbol"]).column("symbol").to_pylist()))
            elif a.all:
                inst = svc.store.read("instruments", columns=["symbol", "kind"]).to_pandas()
                kind = "stock" if a.kind in (None, "fundamentals") else a.kind
                symbols = sorted(inst.loc[inst["kind"] == kind, "symbol"])
            report = upd.update_daily(symbols, kind=a.kind, start=start, end=end, source=a.source, progress=bar)
    finally:
        if bar:
            bar.close()
    print(report.summary())
    if report.failures:
        first = next(iter(report.failures.values()))
        return next(code for cls, code in EXIT_CODES if isinstance(first, cls))
    return 0


def cmd_calendar(svc: Services, a: argparse.Namespace) -> int:
    """`jlq data calendar [--refresh]`: the trading calendar the update planner uses."""
    upd = svc.updater()
    if a.refresh:
        print(upd.refresh_calendar().summary())
    cal = upd.calendar()
    print(f"交易日历 trading calendar: {len(cal.days)} 天 days, {cal.first} … {cal.last}")
    return 0


def cmd_sources(svc: Services, a: argparse.Namespace) -> int:
    """`jlq data sources`: circuit state, last success/failure and counts per source (any process)."""
    upd = svc.updater()
    rows = pd.DataFrame(upd.fetcher.health_rows())
    _print_frame(rows, a.format)
    if a.log:
        print()
        _print_frame(pd.DataFrame(upd.state.log_rows(a.log)), a.format)
    return 0


def cmd_backtest_run(svc: Services, a: argparse.Namespace) -> int:
    """`jlq backtest run FILE.py ...`: runs in this process, writes --json/--html, prints a summary."""
    from pathlib import Path

    from .backtest.engine import run_spec
    from .backtest.options import spec_from_options

    spec = spec_from_options(a, strategy_file=str(Path(a.file).resolve()))
    bar = None if a.quiet else ProgressBar(unit="%")
    with _alarm(spec.timeout_s):
        result = run_spec(spec, svc.query, home=svc.settings.home, progress=bar.fraction if bar else None)
    if bar:
        bar.close()
    if a.json:
        _write_text(a.json, result.to_json())
    if a.html:
        from .backtest.report import render_html

        _write_text(a.html, render_html(result, lang=a.lang))
    m = result.metrics
    pct = lambda v: "—" if v is None else f"{v:+.2%}"  # noqa: E731
    print(f"期末资产 final value {result.final_value:,.2f}  现金 cash {result.cash:,.2f}")
    print(f"总收益 total {pct(m.get('total_return'))}  年化 annual {pct(m.get('annual_return'))}  "
          f"最大回撤 max DD {pct(m.get('max_drawdown'))}  夏普 Sharpe "
          f"{'—' if m.get('sharpe') is None else format(m['sharpe'], '.2f')}  "
          f"成交 trades {len(result.trades)}  拒单 rejected {len(result.rejections)}")
    return 0


def cmd_backtest_optimize(svc: Services, a: argparse.Namespace) -> int:
    """`jlq backtest optimize FILE.py --grid k=v1,v2 ...`: grid points as Dask tasks, ranked by --metric."""
    from pathlib import Path

    from .backtest.optimize import SUMMARY_KEYS, optimize, parse_grid
    from .backtest.options import spec_from_options
    from .jobs.runner import JobRunner
    from .jobs.store import JobStore

    spec = spec_from_options(a, strategy_file=str(Path(a.file).resolve()))
    from .backtest.strategy import read_source

    spec = spec.with_overrides(strategy_source=read_source(spec.strategy_file or ""))
    grid = parse_grid(a.grid or [])
    if not grid:
        raise InvalidInput("需要至少一个 --grid (no grid)", "例如 --grid fast=5,10,20 --grid slow=30:90:30")
    runner = JobRunner(JobStore(svc.settings.home / "state" / "jobs.db"),
                       scheduler_address=a.scheduler or svc.settings.scheduler_address,
                       n_workers=a.workers or svc.settings.backtest_workers)
    bar = None if a.quiet else ProgressBar(unit="%")
    try:
        rows = optimize(spec, grid, client=runner.client(), home=svc.settings.home, metric=a.metric,
                        progress=bar.fraction if bar else None)
    finally:
        if bar:
            bar.close()
        runner.close()
    table = pd.DataFrame([{**{f"param.{k}": v for k, v in r["params"].items() if k in grid},
                           **{k: r.get(k) for k in ("final_value", *SUMMARY_KEYS, "error") if k in r}}
                          for r in rows[: a.top]])
    _print_frame(table, a.format)
    return 0


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Stop a run stuck inside the strategy (e.g. an endless loop in next()) after ``seconds``: SIGALRM
    raises JobTimeout in the main thread. The engine's own between-bar check covers the ordinary case."""
    from .core.errors import JobTimeout

    def expire(signum: int, frame: object) -> None:
        raise JobTimeout(f"回测超过时间限制 {seconds:.0f} 秒 (backtest timed out)",
                         "检查策略中的死循环，或提高 --timeout")

    if not hasattr(signal, "setitimer"):
        yield
        return
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds + 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _write_text(path: str, text: str) -> None:
    from pathlib import Path

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def cmd_profiles(svc: Services, a: argparse.Namespace) -> int:
    from .backtest.profiles import Preset, ProfileStore

    store = ProfileStore(svc.settings.home)
    if a.action == "set":
        if not a.name:
            raise InvalidInput("需要配置名 (profile name required)",
                               "jlq backtest profiles set NAME --commission 0.0002")
        base = next((p for p in store.list() if p.name == a.name), Preset(a.name))
        store.set(Preset(a.name, a.commission if a.commission is not None else base.commission_rate,
                         a.min_commission if a.min_commission is not None else base.min_commission,
                         a.slippage if a.slippage is not None else base.slippage,
                         a.rounding or base.rounding, description=a.description or base.description))
    elif a.action == "remove":
        store.remove(a.name or "")
    _print_frame(pd.DataFrame([p.to_dict() for p in store.list()]), a.format)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jlq", description="jupyterlab-quant: A 股量化研究工作站命令行 (A-share quant workstation CLI)")
    p.add_argument("--home", help="数据目录 data root (default: $JLQ_HOME or ~/.jlq)")
    sub = p.add_subparsers(dest="group", required=True)

    data = sub.add_parser("data", help="行情数据 market data: import, query, info")
    ds = data.add_subparsers(dest="cmd", required=True)

    imp = ds.add_parser("import", help="导入 CSV (akshare / baostock / generic OHLCV)")
    imp.add_argument("paths", nargs="+", help="CSV files or folders")
    imp.add_argument("--format", choices=FORMATS, default="auto", help="file format (default: detect)")
    imp.add_argument("--kind", choices=["stock", "index", "etf", "futures"],
                     help="instrument kind (default: infer from code)")
    imp.add_argument("--symbol", help="symbol for a single file without a code column, e.g. 600519.SH")
    imp.add_argument("--encoding", help="force a text encoding (default: UTF-8, then GBK)")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(func=cmd_import)

    itdx = ds.add_parser("import-tdx", help="导入通达信 vipdoc (.day / .lc1 / .lc5)")
    itdx.add_argument("vipdoc", help="vipdoc folder of 通达信 (or its install folder, or one file)")
    itdx.add_argument("--symbols", action="append", help="only these symbols, comma separated (repeatable)")
    itdx.add_argument("--freq", action="append", help="only these frequencies: 1d,1m,5m (default: all found)")
    itdx.add_argument("--strict", action="store_true", help="refuse truncated files instead of importing "
                                                             "their complete records")
    itdx.add_argument("--quiet", action="store_true", help="no progress bar")
    itdx.set_defaults(func=cmd_import_tdx)

    bars = ds.add_parser("bars", help="K 线 bars of one symbol")
    bars.add_argument("symbol", help="e.g. 600519.SH or 600519")
    bars.add_argument("--start", help="YYYY-MM-DD")
    bars.add_argument("--end", help="YYYY-MM-DD")
    bars.add_argument("--adjust", choices=["none", "qfq", "hfq"], default="none", help="不复权/前复权/后复权")
    bars.add_argument("--freq", choices=["1d", "1m", "5m"], default="1d", help="bar frequency")
    bars.add_argument("--format", choices=["csv", "json", "table"], default="csv", help="output format")
    bars.set_defaults(func=cmd_bars)

    sy = ds.add_parser("symbols", help="代码列表 list/search symbols")
    sy.add_argument("query", nargs="?", help="code prefix or part of the name")
    sy.add_argument("--kind", choices=["stock", "index", "etf", "futures"], help="filter by kind")
    sy.add_argument("--limit", type=int, default=10000, help="max rows")
    sy.add_argument("--format", choices=["csv", "json", "table"], default="table", help="output format")
    sy.add_argument("--refresh", action="store_true",
                    help="先联网刷新 A 股代码表 (names, boards) 与当日 PE/PB (eastmoney snapshot, ~57 requests)")
    sy.set_defaults(func=cmd_symbols)

    sq = ds.add_parser("sql", help="只读 SQL over views bars_1d, index_1d, etf_1d, futures_1d, bars_1m, "
                                   "adj_factors, instruments, valuation_1d")
    sq.add_argument("query", help='e.g. "SELECT * FROM bars_1d WHERE symbol = ? LIMIT 5"')
    sq.add_argument("--param", "-p", action="append", default=[], help="bound parameter for ? (repeatable)")
    sq.add_argument("--format", choices=["csv", "json", "table"], default="table", help="output format")
    sq.set_defaults(func=cmd_sql)

    inf = ds.add_parser("info", help="数据集概况 datasets, rows, date ranges, size on disk")
    inf.add_argument("--format", choices=["csv", "json", "table"], default="table", help="output format")
    inf.set_defaults(func=cmd_info)

    ini = ds.add_parser("init-sample", help="从内置样例准备存储 load the embedded sample into the store")
    ini.set_defaults(func=cmd_init_sample)

    cp = ds.add_parser("compact", help="合并小文件 compact partitions and remove unreferenced files")
    cp.add_argument("--dataset", help="only this dataset")
    cp.add_argument("--now", action="store_true", help="remove unreferenced files without the grace period")
    cp.set_defaults(func=cmd_compact)

    ck = ds.add_parser("check", help="数据体检 data health: OHLC, gaps, duplicates, jumps, stale, units "
                                     "(exit 6 when errors are found)")
    ck.add_argument("--symbols", action="append", help="only these symbols, comma separated (repeatable)")
    ck.add_argument("--kind", choices=["stock", "index", "etf", "futures"], help="one dataset (default: all)")
    ck.add_argument("--checks", action="append", help="subset of duplicate,ohlc,gap,jump,stale,units")
    ck.add_argument("--stale-days", type=int, default=5, help="trading days behind the dataset's latest date "
                                                              "before a symbol is stale (default 5)")
    ck.add_argument("--reference", help="CSV of adjusted closes from another source to cross-check "
                                        "(akshare/baostock/generic: date, close, symbol or code)")
    ck.add_argument("--adjust", choices=["qfq", "hfq"], default="qfq", help="adjustment of --reference")
    ck.add_argument("--json", action="store_true", help="machine-readable output")
    ck.set_defaults(func=cmd_check)

    up = ds.add_parser("update", help="联网增量更新 download missing bars via akshare "
                                      "(eastmoney → sina → tencent fail-over)")
    up.add_argument("--symbols", action="append", help="comma-separated symbols, e.g. 600519.SH,000001.SZ")
    up.add_argument("--all", action="store_true",
                    help="every instrument of --kind; stocks without --start use the whole-market snapshot")
    up.add_argument("--kind", choices=["stock", "index", "etf", "futures", "fund", "fundamentals"],
                    help="instrument kind (default: from the instruments table, else stock); fund = open-end fund "
                         "NAV (codes stored as CODE.OF); fundamentals = Sina 财务指标 of stocks (long format)")
    up.add_argument("--start", help="YYYY-MM-DD; default: continue after stored data (new symbols: 1 year back)")
    up.add_argument("--end", help="YYYY-MM-DD; default: the last closed trading session")
    up.add_argument("--freq", choices=["1d", "1m", "5m"], default="1d", help="bar frequency (1m: last 5 days)")
    up.add_argument("--source", choices=["akshare", "sina", "tencent"], default="akshare",
                    help="akshare = eastmoney first, then Sina, then Tencent on failure; "
                         "sina / tencent = that source only")
    up.add_argument("--quiet", action="store_true", help="no progress bar")
    up.set_defaults(func=cmd_update)

    cal = ds.add_parser("calendar", help="交易日历 trading calendar used by updates (bundled + refreshed)")
    cal.add_argument("--refresh", action="store_true",
                     help="从新浪刷新 merge Sina's trade dates (tool_trade_date_hist_sina) into $JLQ_HOME/state")
    cal.set_defaults(func=cmd_calendar)

    src = ds.add_parser("sources", help="数据源健康 source health: circuit state, last success/failure")
    src.add_argument("--format", choices=["csv", "json", "table"], default="table", help="output format")
    src.add_argument("--log", type=int, default=0, metavar="N", help="also show the last N ingest-log rows")
    src.set_defaults(func=cmd_sources)

    lab = sub.add_parser("lab", help="启动 JupyterLab (what `make run` launches)")
    lab.add_argument("--ip", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    lab.add_argument("--port", type=int, default=8888, help="port (next free one if taken)")
    lab.add_argument("--token", help="auth token (default: random; never runs without one)")
    lab.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    lab.add_argument("extra", nargs=argparse.REMAINDER, help="extra arguments passed to jupyter lab")
    lab.set_defaults(func=cmd_lab)

    from .backtest.options import add_spec_options

    bt = sub.add_parser("backtest", help="回测 A-share backtests on Backtrader")
    bs = bt.add_subparsers(dest="cmd", required=True)
    run = bs.add_parser("run", help="运行回测 run a backtrader.Strategy file with A-share rules")
    run.add_argument("file", help="策略文件 .py holding a backtrader.Strategy subclass")
    add_spec_options(run)
    run.add_argument("--json", help="结果 JSON 输出路径 write the result JSON here")
    run.add_argument("--html", help="报告 HTML 输出路径 write the self-contained HTML report here")
    run.add_argument("--lang", default="zh", choices=["zh", "en"], help="报告语言 report language")
    run.add_argument("--quiet", action="store_true", help="不显示进度条 no progress bar")
    run.set_defaults(func=cmd_backtest_run)

    opt = bs.add_parser("optimize", help="参数优化 grid search of strategy params on Dask, ranked by a metric")
    opt.add_argument("file", help="策略文件 .py holding a backtrader.Strategy subclass")
    add_spec_options(opt)
    opt.add_argument("--grid", action="append", help="参数网格 k=v1,v2,v3 or k=start:stop:step (repeatable)")
    opt.add_argument("--metric", default="sharpe", help="排序指标 rank by: sharpe, total_return, max_drawdown, …")
    opt.add_argument("--top", type=int, default=20, help="显示前 N 个 show the best N rows")
    opt.add_argument("--workers", type=int, help="本地 Dask 进程数 local worker processes")
    opt.add_argument("--scheduler", help="远程 Dask 调度器 address of a remote scheduler (tcp://host:8786)")
    opt.add_argument("--format", choices=["table", "csv", "json"], default="table", help="输出格式")
    opt.add_argument("--quiet", action="store_true", help="不显示进度条 no progress bar")
    opt.set_defaults(func=cmd_backtest_optimize)

    pf = bs.add_parser("profiles", help="券商费率配置 broker profiles: list | set NAME | remove NAME")
    pf.add_argument("action", nargs="?", default="list", choices=["list", "set", "remove"])
    pf.add_argument("name", nargs="?", help="配置名 profile name")
    pf.add_argument("--commission", type=float, help="佣金率 commission rate, e.g. 0.00025")
    pf.add_argument("--min-commission", type=float, help="最低佣金 CNY")
    pf.add_argument("--slippage", type=float, help="滑点 fraction")
    pf.add_argument("--rounding", choices=["half_up", "half_even", "up", "down"], help="费用取整 fee rounding")
    pf.add_argument("--description", help="说明 description")
    pf.add_argument("--format", choices=["table", "csv", "json"], default="table", help="输出格式")
    pf.set_defaults(func=cmd_profiles)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .core.settings import Settings

    svc = Services.from_settings(Settings.from_env(args.home))
    try:
        return int(args.func(svc, args))
    except QuantError as exc:
        print(f"错误 error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"提示 hint: {exc.hint}", file=sys.stderr)
        if getattr(exc, "traceback", ""):
            print(exc.traceback.rstrip(), file=sys.stderr)  # type: ignore[attr-defined]
        return next(code for cls, code in EXIT_CODES if isinstance(exc, cls))
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
