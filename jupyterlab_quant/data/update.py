"""Incremental, resumable updates from internet sources: plan → fetch → normalise → validate → write.

**Plan.** Per symbol, what is known is the union of the store's rows and the *coverage* record (the
range already checked at a source, kept in ``state/sources.db``). Missing = trading days of the
trading calendar (bundled + ``state/calendar.json``, see ``calendar_store.py``) in [start, end] outside
that interval. Coverage is what makes suspensions (停牌, absent from eastmoney/Sina) and delisted symbols
known gaps: a range that was checked and came back empty is not asked for again. Nothing known → fetch
[start, end] (start defaults to one year back).

**Fetch with fail-over.** Sources are tried in order per dataset (stocks: eastmoney → sina →
tencent; indices: eastmoney → sina; ETFs: eastmoney; futures: sina). A source whose circuit is open
is skipped without a request. When every source fails the symbol keeps its cached store data and the
failure is reported (report + ingest log + source health), never silently.

**Write order and resumability.** Fetched symbols are written in small batches (``batch_symbols``):
factors first, then bars, then the coverage record, each through ``MarketStore.write`` (atomic,
idempotent upserts). A crash or Ctrl-C between those steps loses at most the batch in flight: the next
run's plan starts from what the store holds, so symbols already written are not fetched again. On an
exception the batch fetched so far is flushed before the exception propagates.

**Whole market.** ``update_snapshot`` appends one day's bar for every stock from the realtime snapshot
(``stock_zh_a_spot_em``: ~57 requests for ~5,600 stocks) instead of thousands of history calls; symbols
with an older gap are listed for a history backfill, not papered over.

**Ingest log.** A SQLite table (``ingest_log`` in ``state/sources.db``), not a Parquet dataset: one
small row per symbol and run, appended by CLI, server and scheduler processes concurrently, read
newest-first — transactional state by DESIGN.md's split, and it must survive a failed store write.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ..core.calendar import TradingCalendar
from ..core.errors import InvalidInput, QuantError, SourceError, SourceUnavailable, UnknownSymbol
from ..core.types import board_of, split_symbol
from .calendar_store import CalendarRefresh, calendar_path, load_calendar, refresh_calendar
from .fetch import Fetcher, StateDB, request_counts
from .ingest import validate
from .schema import ADJ_FACTORS, BARS_1M, FUND_NAV, FUNDAMENTALS, INSTRUMENTS, VALUATION_1D, get
from .sources.akshare_em import EastmoneySource
from .sources.akshare_fin import FinancialAbstractSource
from .sources.akshare_fund import FundNavSource, fund_symbol
from .sources.akshare_sina import SinaSource
from .sources.akshare_tx import TencentSource
from .sources.base import DATASET_OF_KIND, DailyBars, Snapshot, Source
from .sources.csv_files import ParsedFile
from .store import MarketStore

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSE_TIME = dt.time(15, 0)
DEFAULT_LOOKBACK_DAYS = 365
FACTOR_RTOL = 1e-4
SOURCE_CHOICES = ("akshare", "sina", "tencent")
ORIGIN_FIN = "sina:stock_financial_abstract"


@dataclass(frozen=True)
class ProgressEvent:
    symbol: str
    done: int
    total: int
    eta_s: float | None
    source: str | None = None
    status: str = "ok"


@dataclass
class SymbolPlan:
    symbol: str
    kind: str
    dataset: str
    ranges: list[tuple[dt.date, dt.date]]
    has_data: bool


@dataclass
class UpdateReport:
    run_id: str
    dataset: str
    planned: int = 0
    up_to_date: int = 0
    fetched: int = 0
    rows: int = 0
    factor_rows: int = 0
    source_calls: Counter[str] = field(default_factory=Counter)
    http_requests: dict[str, int] = field(default_factory=dict)
    failovers: list[tuple[str, str, str]] = field(default_factory=list)   # (symbol, failed source, reason)
    failures: dict[str, QuantError] = field(default_factory=dict)
    empty: list[str] = field(default_factory=list)
    needs_backfill: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [f"{self.dataset}: 计划 {self.planned} 个代码, 已是最新 {self.up_to_date}, 抓取 {self.fetched}, "
                 f"写入 {self.rows} 行 + 复权因子 {self.factor_rows} 行, 耗时 {self.seconds:.1f}s "
                 f"(planned {self.planned}, up to date {self.up_to_date}, fetched {self.fetched}, rows {self.rows})"]
        if self.source_calls:
            lines.append("数据源 sources: " + ", ".join(f"{k} {v}" for k, v in sorted(self.source_calls.items())))
        if self.http_requests:
            lines.append("HTTP 请求 requests: " + ", ".join(f"{k} {v}" for k, v in sorted(self.http_requests.items())))
        lines.extend(self.notes)
        for sym, src, why in self.failovers:
            lines.append(f"切换数据源 fail-over: {sym}: {src} 失败 → 使用备用源 ({why[:120]})")
        if self.empty:
            lines.append(f"无新数据（停牌/退市/未上市?） no rows upstream: {', '.join(self.empty[:20])}")
        if self.needs_backfill:
            lines.append(f"{len(self.needs_backfill)} 个代码有缺口需补历史 (need a history backfill): "
                         f"jlq data update --symbols {','.join(self.needs_backfill[:10])} --start <date>")
        for sym, err in self.failures.items():
            lines.append(f"失败 FAILED {sym}: {err.message}" + (f" — {err.hint}" if err.hint else ""))
        if self.failures:
            lines.append("以上代码保留本地缓存数据，未被修改 (the store keeps the cached data of those symbols)")
        return "\n".join(lines)


def _today_shanghai() -> dt.datetime:
    return dt.datetime.now(SHANGHAI).replace(tzinfo=None)


class UpdateService:
    """Fills the store from internet sources; see the module docstring for the guarantees."""

    def __init__(self, store: MarketStore, fetcher: Fetcher, *, sources: Sequence[Source] | None = None,
                 batch_symbols: int = 20, now: Callable[[], dt.datetime] | None = None) -> None:
        self.store = store
        self.fetcher = fetcher
        self.state: StateDB = fetcher.state
        self.sources: list[Source] = list(sources) if sources is not None else [
            EastmoneySource(fetcher), SinaSource(fetcher), TencentSource(fetcher)]
        self.batch_symbols = max(1, batch_symbols)
        self.now: Callable[[], dt.datetime] = now or (lambda: _today_shanghai())   # looked up at call time
        self._calendar: tuple[tuple[int, int], TradingCalendar] | None = None

    # ---- helpers ----------------------------------------------------------------------------
    def calendar(self) -> TradingCalendar:
        """Bundled calendar extended by ``$JLQ_HOME/state/calendar.json`` (re-read when the file changes)."""
        path = calendar_path(self.state.path.parent)
        try:
            token: tuple[int, int] = (path.stat().st_mtime_ns, path.stat().st_size)
        except FileNotFoundError:
            token = (0, 0)
        if self._calendar is None or self._calendar[0] != token:
            self._calendar = (token, load_calendar(self.state.path.parent))
        return self._calendar[1]

    def refresh_calendar(self) -> CalendarRefresh:
        """Fetch Sina's trade-date list and merge it into ``state/calendar.json`` (``jlq data calendar --refresh``)."""
        return refresh_calendar(self.fetcher, self.state.path.parent)

    def chain(self, kind: str, source: str | None = None) -> list[Source]:
        if source in (None, "", "akshare"):
            chosen = self.sources
        elif source in {s.name for s in self.sources}:
            chosen = [s for s in self.sources if s.name == source]
        else:
            raise InvalidInput(f"未知数据源 {source!r} (unknown source)", f"可选: {', '.join(SOURCE_CHOICES)}")
        out = [s for s in chosen if kind in s.kinds]
        if not out:
            raise InvalidInput(f"数据源 {source or 'akshare'} 不提供 {kind} 日线 "
                               f"(source {source or 'akshare'!r} serves no {kind} daily bars)",
                               "换一个 --source（股票: akshare/sina/tencent；指数: akshare/sina；期货: sina）或 --kind")
        return out

    def kinds_of(self, symbols: Sequence[str], default: str | None) -> dict[str, str]:
        if default is not None and default not in DATASET_OF_KIND:
            raise InvalidInput(f"尚不支持 {default} 的联网更新 (updating kind {default!r} is not implemented yet)",
                               f"可用: {', '.join(DATASET_OF_KIND)}, fund, fundamentals")
        inst = self.store.read(INSTRUMENTS.name, columns=["symbol", "kind"]).to_pandas()
        known = dict(zip(inst["symbol"], inst["kind"], strict=True))
        out = {}
        for s in symbols:
            _, exch = split_symbol(s)
            out[s] = default or known.get(s) or ("futures" if exch not in ("SH", "SZ", "BJ") else "stock")
        return out

    def _end_day(self, end: dt.date | None) -> dt.date:
        cal = self.calendar()
        now = self.now()
        today = now.date()
        last_closed = today if (cal.is_trading_day(today) and now.time() >= CLOSE_TIME) else cal.previous(today)
        target = min(end, today) if end else today
        if target > cal.last:
            raise InvalidInput(f"结束日期 {target} 超出交易日历 ({cal.last}) (end beyond the trading calendar)",
                               "运行 jlq data calendar --refresh 获取新一年的交易日历（或升级 jupyterlab-quant），"
                               "或调整 --end")
        day = cal.latest_on_or_before(target)
        if day is None:
            raise InvalidInput(f"{target} 之前没有交易日 (no trading day on or before {target})", "调整 --end")
        if last_closed is not None and day > last_closed:
            day = last_closed  # today's session has not closed: its bar is not final
        return day

    # ---- plan ---------------------------------------------------------------------------------
    def plan(self, symbols: Sequence[str], kinds: dict[str, str], start: dt.date | None,
             end: dt.date | None) -> list[SymbolPlan]:
        cal = self.calendar()
        end_day = self._end_day(end)
        if start and start > end_day:
            raise InvalidInput(f"开始日期 {start} 晚于最近收盘交易日 {end_day} (start after the last closed session)",
                               "调整 --start/--end")
        by_ds: dict[str, list[str]] = {}
        for s in symbols:
            by_ds.setdefault(DATASET_OF_KIND[kinds[s]], []).append(s)
        plans = []
        for ds_name, syms in by_ds.items():
            extent = self._extent(ds_name)
            cov = self.state.coverage(ds_name)
            for s in syms:
                intervals = [iv for iv in (extent.get(s), cov.get(s)) if iv]
                s_start = start or (end_day - dt.timedelta(days=DEFAULT_LOOKBACK_DAYS) if not intervals else None)
                ranges: list[tuple[dt.date, dt.date]] = []
                if not intervals:
                    ranges.append((s_start or end_day, end_day))
                else:
                    lo = min(iv[0] for iv in intervals)
                    hi = max(iv[1] for iv in intervals)
                    if s_start and s_start < lo:
                        prev = cal.previous(lo)
                        if prev and prev >= s_start and cal.between(s_start, prev):
                            ranges.append((s_start, prev))
                    nxt = cal.next(hi)
                    if nxt and nxt <= end_day:
                        ranges.append((nxt, end_day))
                ranges = [(a, b) for a, b in ranges if a <= b and cal.between(a, b)]
                plans.append(SymbolPlan(s, kinds[s], ds_name, ranges, bool(intervals)))
        return plans

    def _extent(self, ds_name: str) -> dict[str, tuple[dt.date, dt.date]]:
        t = self.store.read(ds_name, columns=["symbol", "date"])
        if t.num_rows == 0:
            return {}
        g = t.group_by("symbol").aggregate([("date", "min"), ("date", "max")]).to_pydict()
        return {s: (a, b) for s, a, b in zip(g["symbol"], g["date_min"], g["date_max"], strict=True)}

    # ---- daily history update --------------------------------------------------------------------
    def update_daily(self, symbols: Sequence[str], *, kind: str | None = None, start: dt.date | None = None,
                     end: dt.date | None = None, source: str | None = None,
                     progress: Callable[[ProgressEvent], None] | None = None) -> UpdateReport:
        if not symbols:
            raise InvalidInput("没有要更新的代码 (no symbols to update)", "用 --symbols 600519.SH,000001.SZ 或 --all")
        if kind == "fund":
            return self.update_fund(symbols, start=start, end=end, progress=progress)
        if kind == "fundamentals":
            return self.update_fundamentals(symbols, progress=progress)
        t0 = time.monotonic()
        req0 = request_counts()
        kinds = self.kinds_of(symbols, kind)
        plans = self.plan(symbols, kinds, start, end)
        run_id = uuid.uuid4().hex[:12]
        report = UpdateReport(run_id, ",".join(sorted({p.dataset for p in plans})), planned=len(plans))
        todo = [p for p in plans if p.ranges]
        report.up_to_date = len(plans) - len(todo)
        factors_all = self._factors()
        pending: list[tuple[SymbolPlan, list[DailyBars]]] = []
        try:
            for i, p in enumerate(todo):
                fetched, used = self._fetch_plan(p, report, run_id, source)
                if fetched is not None:
                    pending.append((p, fetched))
                    report.fetched += 1
                if len(pending) >= self.batch_symbols:
                    self._flush(pending, factors_all, report, run_id)
                    pending = []
                if progress:
                    el = time.monotonic() - t0
                    progress(ProgressEvent(p.symbol, i + 1, len(todo), el / (i + 1) * (len(todo) - i - 1), used,
                                           "failed" if p.symbol in report.failures else "ok"))
        finally:
            if pending:
                self._flush(pending, factors_all, report, run_id)
            now = request_counts()
            report.http_requests = {h: n - req0.get(h, 0) for h, n in now.items() if n - req0.get(h, 0)}
            report.seconds = time.monotonic() - t0
        return report

    def _fetch_plan(self, p: SymbolPlan, report: UpdateReport, run_id: str, source: str | None
                    ) -> tuple[list[DailyBars] | None, str | None]:
        chain = self.chain(p.kind, source)
        out: list[DailyBars] = []
        used = None
        for a, b in p.ranges:
            last_err: SourceError | None = None
            got = None
            for src in chain:
                try:
                    got = src.daily(p.symbol, p.kind, a, b)
                except SourceError as err:
                    last_err = err
                    report.failovers.append((p.symbol, src.name, err.message))
                    continue
                report.source_calls[src.name] += 1
                used = src.name
                break
            if got is None:
                assert last_err is not None
                final: SourceError = last_err if len(chain) == 1 else SourceUnavailable(
                    f"{p.symbol}: 所有数据源均失败 (all sources failed: {', '.join(s.name for s in chain)}); "
                    f"最后错误 last error: {last_err.message}",
                    "已保留本地缓存数据；稍后重试，或查看 jlq data sources", source=last_err.source, symbol=p.symbol)
                report.failures[p.symbol] = final
                report.failovers = [f for f in report.failovers if f[0] != p.symbol]
                self.state.log(run_id, p.dataset, p.symbol, None, a, b, 0, "failed", final.message)
                return None, None
            if got.bars.empty and not p.has_data and (a, b) == p.ranges[0]:
                err2 = UnknownSymbol(
                    f"{p.symbol}: {got.source} 没有该代码 {a}…{b} 的数据 (unknown, delisted or not yet listed)",
                    "检查代码是否正确（例如 600519.SH）；已退市的代码无法从该源获取")
                report.failures[p.symbol] = err2
                self.state.log(run_id, p.dataset, p.symbol, got.source, a, b, 0, "unknown_symbol", err2.message)
                return None, used
            got.span = (a, b)
            out.append(got)
        return out, used

    def _factors(self) -> pd.DataFrame:
        return self.store.read(ADJ_FACTORS.name).to_pandas()

    def _flush(self, pending: list[tuple[SymbolPlan, list[DailyBars]]], stored_factors: pd.DataFrame,
               report: UpdateReport, run_id: str) -> None:
        by_ds: dict[str, list[pd.DataFrame]] = {}
        factor_frames: list[pd.DataFrame] = []
        coverage: dict[str, list[tuple[str, dt.date, dt.date, str]]] = {}
        logs = []
        for p, results in pending:
            for r in results:
                assert r.span is not None
                a, b = r.span
                if not r.bars.empty:
                    frame = self._normalise(p, r)
                    by_ds.setdefault(p.dataset, []).append(frame)
                    if not r.factors.empty:
                        factor_frames.append(self._rescale_factors(r.factors, stored_factors, p.symbol))
                else:
                    report.empty.append(p.symbol)
                coverage.setdefault(p.dataset, []).append((p.symbol, a, b, r.source))
                logs.append((p.dataset, p.symbol, r.source, a, b, len(r.bars)))
        if factor_frames:
            f = pd.concat(factor_frames, ignore_index=True)
            if not f.empty:
                self.store.write(ADJ_FACTORS.name, f, origin="adj_factors")
                report.factor_rows += len(f)
                stored_factors.drop(stored_factors.index, inplace=True)
                stored_factors[list(ADJ_FACTORS.column_names)] = self._factors()
        for ds_name, frames in by_ds.items():
            data = pd.concat(frames, ignore_index=True)
            self.store.write(ds_name, data, origin=ds_name)
            report.rows += len(data)
        self._register_instruments([p for p, _ in pending])
        for ds_name, items in coverage.items():
            self.state.extend_coverage(ds_name, items)
        for ds_name, sym, src, a, b, n in logs:
            self.state.log(run_id, ds_name, sym, src, a, b, n, "ok" if n else "empty")

    def _normalise(self, p: SymbolPlan, r: DailyBars) -> pd.DataFrame:
        ds = get(p.dataset)
        tcol = ds.time_column or "date"
        frame = r.bars[[c for c in ds.column_names if c in r.bars.columns]].copy()
        frame = frame.sort_values(tcol).reset_index(drop=True)
        frame["line"] = np.arange(1, len(frame) + 1)
        validate(ParsedFile(f"{r.source}:{p.symbol}", r.source, p.kind, frame), frame, tcol)
        return frame.drop(columns=["line"])

    @staticmethod
    def _rescale_factors(obs: pd.DataFrame, stored: pd.DataFrame, symbol: str) -> pd.DataFrame:
        """Put a source's factor observations onto the store's base and keep only change points.

        Anchor: the stored factor in force on the first observed date (if any) — the ratio between
        consecutive factors is what a source tells reliably; its base differs between sources.
        """
        obs = obs.sort_values("date").reset_index(drop=True)
        mine = stored[stored["symbol"] == symbol].sort_values("date")
        first = obs["date"].iloc[0]
        before = mine[mine["date"] <= first]
        scale = float(before["factor"].iloc[-1] / obs["factor"].iloc[0]) if len(before) else 1.0
        if len(before) and abs(scale - 1) < FACTOR_RTOL:
            scale = 1.0
        f = obs.assign(factor=obs["factor"] * scale)
        prev = np.concatenate([[before["factor"].iloc[-1] if len(before) else np.nan], f["factor"].to_numpy()[:-1]])
        changed = ~(np.abs(f["factor"].to_numpy() / prev - 1) < FACTOR_RTOL)
        return f[changed][["symbol", "date", "factor"]].reset_index(drop=True)

    def _register_instruments(self, plans: Sequence[SymbolPlan], names: dict[str, str] | None = None) -> None:
        existing = set(self.store.read(INSTRUMENTS.name, columns=["symbol"]).column("symbol").to_pylist())
        new = [p for p in plans if p.symbol not in existing]
        if not new:
            return
        rows = []
        for p in new:
            code, exch = split_symbol(p.symbol)
            name = (names or {}).get(p.symbol)
            rows.append({"symbol": p.symbol, "code": code, "exchange": exch, "name": name, "kind": p.kind,
                         "board": board_of(p.symbol, p.kind).value, "list_date": None, "delist_date": None,
                         "is_st": bool(name and "ST" in name.upper())})
        self.store.write(INSTRUMENTS.name, pd.DataFrame(rows), origin="instruments")

    # ---- whole market via the realtime snapshot -------------------------------------------------------
    def update_snapshot(self, *, symbols: Sequence[str] | None = None, day: dt.date | None = None,
                        progress: Callable[[ProgressEvent], None] | None = None) -> UpdateReport:
        """Append ``day``'s bar (default: the last closed session) for every stock from one snapshot."""
        t0 = time.monotonic()
        req0 = request_counts()
        cal = self.calendar()
        target = self._end_day(day)
        if day and target != day:
            raise InvalidInput(f"{day} 不是已收盘的交易日 (not a closed trading session; nearest: {target})",
                               "快照只能给出最近一个交易日的收盘数据；历史请用 --symbols 和 --start")
        if target != self._end_day(None):
            raise InvalidInput(f"实时快照只能更新最近一个交易日 {self._end_day(None)}，不能补 {target} "
                               "(the snapshot only holds the latest session)", "历史数据请用 --symbols --start")
        run_id = uuid.uuid4().hex[:12]
        report = UpdateReport(run_id, "bars_1d")
        em = next((s for s in self.sources if isinstance(s, EastmoneySource)), None)
        if em is None:
            raise InvalidInput("快照需要东财源 (the snapshot needs the eastmoney source)", "用 --source akshare")
        try:
            snap = em.snapshot(target)
        except SourceError as err:
            report.failures["*"] = err
            self.state.log(run_id, "bars_1d", None, em.name, target, target, 0, "failed", err.message)
            report.seconds = time.monotonic() - t0
            return report
        report.source_calls[em.name] += 1
        wanted = set(symbols) if symbols else None
        extent = self._extent("bars_1d")
        cov = self.state.coverage("bars_1d")
        prev_day = cal.previous(target)
        bars = snap.bars
        if wanted is not None:
            bars = bars[bars["symbol"].isin(wanted)]
        universe = set(bars["symbol"]) | set(snap.suspended if wanted is None else set(snap.suspended) & wanted)
        report.planned = len(universe)
        keep, covered, gaps = [], [], []
        for sym in sorted(universe):
            known = [iv for iv in (extent.get(sym), cov.get(sym)) if iv]
            hi = max(iv[1] for iv in known) if known else None
            if hi is not None and hi >= target:
                report.up_to_date += 1
            elif hi is None or hi >= (prev_day or target):
                keep.append(sym)
                covered.append((sym, target if hi is None else (prev_day or target), target, em.name))
            else:
                gaps.append(sym)
        report.needs_backfill = gaps
        out = bars[bars["symbol"].isin(set(keep))].reset_index(drop=True)
        if not out.empty:
            checked = out.assign(line=np.arange(1, len(out) + 1), key=out["symbol"])
            validate(ParsedFile(f"{em.name}:stock_zh_a_spot_em", em.name, "stock", checked), checked, "key")
            self.store.write("bars_1d", out, origin="stock_zh_a_spot_em")
        self._apply_snapshot_reference(snap, report)
        self.state.extend_coverage("bars_1d", covered)
        report.rows = len(out)
        report.fetched = len(keep)
        self.state.log(run_id, "bars_1d", None, em.name, target, target, len(out), "ok",
                       detail={"suspended": len(snap.suspended), "needs_backfill": len(gaps)})
        if progress:
            progress(ProgressEvent("*", 1, 1, 0.0, em.name))
        report.http_requests = {h: n - req0.get(h, 0) for h, n in request_counts().items() if n - req0.get(h, 0)}
        report.seconds = time.monotonic() - t0
        return report

    # ---- stock list and valuation from the snapshot ----------------------------------------------------
    def refresh_instruments(self, names: dict[str, str]) -> tuple[int, int]:
        """Upsert stock instruments from ``{symbol: name}``: new symbols get code/exchange/board from the code;
        known ones get the new name and ST flag. A known name is never replaced by an empty one, and
        columns the source does not give (list/delist dates) keep their stored values. Returns
        (added, renamed)."""
        inst = self.store.read(INSTRUMENTS.name).to_pandas()
        by_sym = {r["symbol"]: r for r in inst.to_dict("records")}
        rows, added, renamed = [], 0, 0
        for sym, name in sorted(names.items()):
            name = (name or "").strip()
            old = by_sym.get(sym)
            if old is None:
                code, exch = split_symbol(sym)
                rows.append({"symbol": sym, "code": code, "exchange": exch, "name": name or None, "kind": "stock",
                             "board": board_of(sym, "stock").value, "list_date": None, "delist_date": None,
                             "is_st": "ST" in name.upper()})
                added += 1
            elif name and name != old["name"]:
                rows.append({**old, "name": name, "is_st": "ST" in name.upper()})
                renamed += 1
        if rows:
            self.store.write(INSTRUMENTS.name, pd.DataFrame(rows), origin="stock_zh_a_spot_em")
        return added, renamed

    def _apply_snapshot_reference(self, snap: Snapshot, report: UpdateReport) -> None:
        added, renamed = self.refresh_instruments(snap.names)
        val = snap.valuation
        if not val.empty:
            self.store.write(VALUATION_1D.name, val, origin="stock_zh_a_spot_em")
        report.notes.append(f"代码表 instruments: 新增 {added}, 更名 {renamed}, 共 {len(snap.names)} 只 "
                            f"(added {added}, renamed {renamed}); 估值 valuation_1d {snap.day}: {len(val)} 行 rows")

    def refresh_stock_list(self) -> UpdateReport:
        """``jlq data symbols --refresh``: names/boards of every A-share and that day's PE/PB from one snapshot
        (~57 requests), without writing bars."""
        t0 = time.monotonic()
        req0 = request_counts()
        run_id = uuid.uuid4().hex[:12]
        report = UpdateReport(run_id, INSTRUMENTS.name)
        em = next((s for s in self.sources if isinstance(s, EastmoneySource)), None)
        if em is None:
            raise InvalidInput("代码表需要东财源 (the stock list needs the eastmoney source)", "用 --source akshare")
        day = self._end_day(None)
        try:
            snap = em.snapshot(day)
        except SourceError as err:
            report.failures["*"] = err
            self.state.log(run_id, INSTRUMENTS.name, None, em.name, day, day, 0, "failed", err.message)
        else:
            report.source_calls[em.name] += 1
            report.planned = report.fetched = len(snap.names)
            self._apply_snapshot_reference(snap, report)
            self.state.log(run_id, INSTRUMENTS.name, None, em.name, day, day, len(snap.names), "ok")
        report.http_requests = {h: n - req0.get(h, 0) for h, n in request_counts().items() if n - req0.get(h, 0)}
        report.seconds = time.monotonic() - t0
        return report

    # ---- minute bars -------------------------------------------------------------------------------
    def update_minute(self, symbols: Sequence[str], *, progress: Callable[[ProgressEvent], None] | None = None
                      ) -> UpdateReport:
        """Append 1-minute bars from eastmoney's 5-day window; the store accumulates history beyond it."""
        t0 = time.monotonic()
        run_id = uuid.uuid4().hex[:12]
        report = UpdateReport(run_id, BARS_1M.name, planned=len(symbols))
        em = next((s for s in self.sources if isinstance(s, EastmoneySource)), None)
        if em is None:
            raise InvalidInput("分钟线需要东财源 (minute bars need the eastmoney source)", "用 --source akshare")
        last_close = dt.datetime.combine(self._end_day(None), CLOSE_TIME)
        t = self.store.read(BARS_1M.name, columns=["symbol", "ts"])
        last = {} if t.num_rows == 0 else dict(zip(
            *t.group_by("symbol").aggregate([("ts", "max")]).to_pydict().values(), strict=True))
        for i, sym in enumerate(symbols):
            have = last.get(sym)
            if have is not None and have >= last_close:
                report.up_to_date += 1
                continue
            try:
                frame = em.minute(sym, (have + dt.timedelta(minutes=1)) if have else last_close - dt.timedelta(days=10),
                                  last_close)
            except SourceError as err:
                report.failures[sym] = err
                self.state.log(run_id, BARS_1M.name, sym, em.name, None, None, 0, "failed", err.message)
                continue
            report.source_calls[em.name] += 1
            if not frame.empty:
                frame = frame[frame["volume"] >= 0]
                self._register_instruments([SymbolPlan(sym, "stock", BARS_1M.name, [], True)])
                self.store.write(BARS_1M.name, frame, origin="stock_zh_a_hist_min_em")
                report.rows += len(frame)
                report.fetched += 1
            self.state.log(run_id, BARS_1M.name, sym, em.name, None, None, len(frame), "ok")
            if progress:
                progress(ProgressEvent(sym, i + 1, len(symbols), None, em.name))
        report.seconds = time.monotonic() - t0
        return report

    # ---- open-end fund NAV -------------------------------------------------------------------------
    def update_fund(self, symbols: Sequence[str], *, start: dt.date | None = None, end: dt.date | None = None,
                    progress: Callable[[ProgressEvent], None] | None = None) -> UpdateReport:
        """NAV history of open-end funds (``fund_nav``; symbols ``CODE.OF``) from eastmoney 天天基金.

        One download carries a fund's whole history, so a new fund gets all of it (or from ``start``). A
        fund is up to date when its coverage (the range checked at the source) reaches the last closed
        session; NAVs are published in the evening, so a fund whose latest NAV is not out yet is simply
        asked again on the next run. Each fund is written on its own (atomic upsert) as soon as it is
        fetched, so an interrupted run resumes with the funds not yet written.
        """
        if not symbols:
            raise InvalidInput("没有要更新的基金代码 (no fund codes)", "例如 --kind fund --symbols 161725,110022")
        t0 = time.monotonic()
        req0 = request_counts()
        syms = [fund_symbol(s) for s in symbols]
        end_day = self._end_day(end)
        run_id = uuid.uuid4().hex[:12]
        report = UpdateReport(run_id, FUND_NAV.name, planned=len(syms))
        known = self._extent(FUND_NAV.name)
        cov = self.state.coverage(FUND_NAV.name)
        src = FundNavSource(self.fetcher)
        try:
            for i, sym in enumerate(syms):
                ivs = [iv for iv in (known.get(sym), cov.get(sym)) if iv]
                lo = min((iv[0] for iv in ivs), default=None)
                hi = max((iv[1] for iv in ivs), default=None)
                if hi is not None and hi >= end_day and (start is None or (lo is not None and lo <= start)):
                    report.up_to_date += 1
                    continue
                status = "ok"
                try:
                    frame = src.nav(sym)
                except QuantError as err:
                    report.failures[sym] = err
                    self.state.log(run_id, FUND_NAV.name, sym, src.name, start, end_day, 0, "failed", err.message)
                    status = "failed"
                else:
                    report.source_calls[src.name] += 1
                    report.fetched += 1
                    frame = src.in_range(frame, start, end_day)
                    if frame.empty:
                        report.empty.append(sym)
                    else:
                        self.store.write(FUND_NAV.name, frame, origin="fund_open_fund_info_em")
                        report.rows += len(frame)
                        self.state.extend_coverage(FUND_NAV.name, [(sym, start or frame["date"].iloc[0],
                                                                    frame["date"].iloc[-1], src.name)])
                    self.state.log(run_id, FUND_NAV.name, sym, src.name, start, end_day, len(frame),
                                   "ok" if len(frame) else "empty")
                if progress:
                    el = time.monotonic() - t0
                    progress(ProgressEvent(sym, i + 1, len(syms), el / (i + 1) * (len(syms) - i - 1), src.name,
                                           status))
        finally:
            report.http_requests = {h: n - req0.get(h, 0) for h, n in request_counts().items()
                                    if n - req0.get(h, 0)}
            report.seconds = time.monotonic() - t0
        return report

    # ---- financial indicators ---------------------------------------------------------------------------
    def update_fundamentals(self, symbols: Sequence[str], *,
                            progress: Callable[[ProgressEvent], None] | None = None) -> UpdateReport:
        """``fundamentals`` (long: symbol, report_date, indicator, value, asof) from Sina's 关键指标.

        One request per stock returns every report period. A stock checked on or after the last closed
        session is up to date. ``asof`` is point-in-time safe: rows already stored keep their ``asof``;
        only new report periods, new indicators and restated values (value changed) get today's date.
        """
        if not symbols:
            raise InvalidInput("没有要更新的代码 (no symbols)", "例如 --kind fundamentals --symbols 600519.SH")
        t0 = time.monotonic()
        req0 = request_counts()
        run_id = uuid.uuid4().hex[:12]
        report = UpdateReport(run_id, FUNDAMENTALS.name, planned=len(symbols))
        day = self._end_day(None)
        today = self.now().date()
        cov = self.state.coverage(FUNDAMENTALS.name)
        src = FinancialAbstractSource(self.fetcher)
        stored = self.store.read(FUNDAMENTALS.name, columns=["symbol", "report_date", "indicator", "value",
                                                             "asof"]).to_pandas()
        try:
            for i, sym in enumerate(symbols):
                if sym in cov and cov[sym][1] >= day:
                    report.up_to_date += 1
                    continue
                try:
                    frame = src.fundamentals(sym, today)
                except QuantError as err:
                    report.failures[sym] = err
                    self.state.log(run_id, FUNDAMENTALS.name, sym, src.name, None, day, 0, "failed", err.message)
                else:
                    report.source_calls[src.name] += 1
                    report.fetched += 1
                    old = stored[stored["symbol"] == sym]
                    m = frame.merge(old, on=["symbol", "report_date", "indicator"], how="left", suffixes=("", "_old"))
                    same = m["value_old"].notna() & ((m["value"] - m["value_old"]).abs() <= 1e-9 * m["value"].abs())
                    frame["asof"] = m["asof_old"].where(same, m["asof"]).to_numpy()
                    changed = ~same.to_numpy()
                    if changed.any():
                        self.store.write(FUNDAMENTALS.name, frame[changed], origin=ORIGIN_FIN)
                    report.rows += int(changed.sum())
                    first = min(frame["report_date"]) if len(frame) else today
                    self.state.extend_coverage(FUNDAMENTALS.name, [(sym, first, today, src.name)])
                    self.state.log(run_id, FUNDAMENTALS.name, sym, src.name, None, today, int(changed.sum()), "ok")
                if progress:
                    progress(ProgressEvent(sym, i + 1, len(symbols), None, src.name,
                                           "failed" if sym in report.failures else "ok"))
        finally:
            report.http_requests = {h: n - req0.get(h, 0) for h, n in request_counts().items()
                                    if n - req0.get(h, 0)}
            report.seconds = time.monotonic() - t0
        return report
