"""Data health dashboard (数据健康看板) for Voila: what the market store holds and how trustworthy it is.

Sections, each built on its own so one failing part shows a message in that section only:

* 数据集 — every dataset of ``QueryService.coverage()`` with symbols, first/last date and the store
  manifest's files, size and last write (what ``jlq data info`` prints);
* 覆盖率 — for the daily bar datasets, trading days of the calendar between the first and last bar
  against the distinct dates present (missing days listed), and the symbols with the lowest coverage;
  two DuckDB aggregates per dataset, never a scan in Python;
* 数据源 — circuit-breaker health of the internet sources (``Fetcher.health_rows()``, overall word from
  :func:`~jupyterlab_quant.data.fetch.overall_health`, the one the REST route uses);
* 最近更新 — the update log per dataset and source (``StateDB.last_updates()``);
* 数据问题 — the findings of ``jlq data check`` (:func:`~jupyterlab_quant.data.quality.run_checks` with the
  CLI's defaults over every daily dataset that has files), through
  :func:`~jupyterlab_quant.data.quality.cached_checks`: reused from ``$JLQ_HOME/state/checks_cache.json``
  while the store has not changed.

Every section's data is read first, the page (whose language may come from the request) is built from it
afterwards: under Voila's pre-heated kernels the reading happens before the request arrives.

Owns the coverage arithmetic (:func:`dataset_coverage`, :func:`symbol_coverage`) and the page; everything
else is read through the services.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import bqplot
import ipywidgets as w
import numpy as np
import pandas as pd

from ..app import Services, default_services
from ..core.calendar import TradingCalendar
from ..data.calendar_store import load_calendar
from ..data.fetch import SOURCE_LABEL, overall_health
from ..data.quality import CachedChecks, Finding, cached_checks, days64
from ..data.query import QueryService
from ..data.schema import DAILY_BY_KIND, DATASETS, Dataset
from . import common

NAME = "data_health"
MAX_FINDINGS = 200       # the table shows the first ones; the counts cover all
TOP_SYMBOLS = 10
MAX_MISSING_LISTED = 8   # missing days named per dataset (the count covers all)
STALE_DAYS = 5           # `jlq data check --stale-days` default
RECHECK_AFTER_S = 2.0    # pre-heated: source health read longer ago than this is read again at the request
BAR_COLOR = "#1c7ed6"    # neutral: red/green mean gain/loss on these pages
PAGE_CSS = (".jlq-dash-data_health .jlq-table td.wrap { white-space: normal; min-width: 260px; }"
            ".jlq-dash-data_health .day { white-space: nowrap; }")

TEXT: common.Text = {
    "title": ("数据健康", "Data health"),
    "datasets": ("数据集", "Datasets"),
    "coverage": ("覆盖率（对照交易日历）", "Coverage vs the trading calendar"),
    "sources": ("数据源", "Sources"),
    "updates": ("最近更新", "Last updates"),
    "problems": ("数据问题（jlq data check）", "Problems (jlq data check)"),
    "empty": ("数据仓库为空", "The data store is empty"),
    "empty_hint": ("运行 jlq data init-sample 载入内置样例，或 jlq data update --symbols 600519.SH 联网下载，"
                   "或 jlq data import 导入 CSV / jlq data import-tdx 导入通达信数据；然后点「刷新」。",
                   "Run `jlq data init-sample` (bundled sample), `jlq data update --symbols 600519.SH` (download) or "
                   "`jlq data import` / `jlq data import-tdx` (files), then press Refresh."),
    "dataset": ("数据集", "Dataset"),
    "rows": ("行数", "Rows"),
    "symbols": ("代码数", "Symbols"),
    "first": ("起始日", "First"),
    "last": ("最新日", "Last"),
    "files": ("文件数", "Files"),
    "size": ("大小", "Size"),
    "written": ("最近写入", "Last write"),
    "trading_days": ("交易日", "Trading days"),
    "present": ("有数据", "Present"),
    "missing": ("缺失", "Missing"),
    "coverage_pct": ("覆盖率", "Coverage"),
    "missing_days": ("缺失的交易日", "Missing days"),
    "off_calendar": ("非交易日数据", "Bars on non-trading days"),
    "symbol": ("代码", "Symbol"),
    "name": ("名称", "Name"),
    "no_daily": ("没有日线数据集", "No daily bar dataset has data"),
    "lowest": ("覆盖率最低的代码（前 {n}）", "Symbols with the lowest coverage (top {n})"),
    "all_complete": ("所有代码在其首末日期之间都没有缺失交易日。", "No symbol misses a trading day between its "
                     "first and last bar."),
    "suspension_note": ("按代码统计时，不记录停牌日的数据源会把停牌计为缺失。",
                        "Per symbol, sources that omit suspended days count suspensions as missing."),
    "chart": ("各数据集覆盖率 %", "Coverage % by dataset"),
    "overall": ("总体", "Overall"),
    "source": ("数据源", "Source"),
    "state": ("状态", "State"),
    "successes": ("成功", "Successes"),
    "failures": ("失败", "Failures"),
    "in_a_row": ("连续失败", "Failing in a row"),
    "last_success": ("最近成功", "Last success"),
    "last_failure": ("最近失败", "Last failure"),
    "last_error": ("最近错误", "Last error"),
    "retry_in": ("{s} 秒后重试", "retry in {s} s"),
    "unused_note": ("还没有用过任何联网数据源（数据来自内置样例或导入）；联网更新后这里显示各源状态。",
                    "No internet source has been used yet (the data came from the bundled sample or imports); "
                    "their state shows here after an update."),
    "ov_unknown": ("未使用", "Not used yet"),
    "ov_ok": ("正常", "OK"),
    "ov_degraded": ("部分故障", "Degraded"),
    "ov_down": ("不可用", "Down"),
    "st_closed": ("正常", "Normal"),
    "st_open": ("熔断", "Circuit open"),
    "st_half_open": ("半开", "Half open"),
    "st_unused": ("未使用", "Not used"),
    "st_failing": ("最近失败", "Last call failed"),
    "last_run": ("最近一次", "Latest run"),
    "last_ok": ("最近成功", "Latest success"),
    "last_failed": ("最近失败", "Latest failure"),
    "never_updated": ("从未联网下载过数据", "Nothing was ever downloaded"),
    "never_updated_hint": ("当前数据来自内置样例（jlq data init-sample）或文件导入（jlq data import）；"
                           "用 jlq data update 或行情面板的「更新数据」联网增量更新。",
                           "The data came from the bundled sample (`jlq data init-sample`) or file imports "
                           "(`jlq data import`); use `jlq data update` or Update data in the Market panel."),
    "check": ("检查项", "Check"),
    "errors": ("错误", "Errors"),
    "warnings": ("警告", "Warnings"),
    "severity": ("级别", "Severity"),
    "sev_error": ("错误", "Error"),
    "sev_warning": ("警告", "Warning"),
    "date": ("日期", "Date"),
    "detail": ("说明", "Detail"),
    "no_problems": ("没有发现问题。", "No problems found."),
    "checks_skipped": ("未运行数据体检（run_checks=False）；在终端运行 jlq data check 查看。",
                       "Data checks were not run (run_checks=False); run `jlq data check` in a terminal."),
    "first_n": ("仅显示前 {n} 条，共 {total} 条（jlq data check --json 可得全部）",
                "Showing the first {n} of {total} (`jlq data check --json` has all of them)"),
    "checked_in": ("{kinds}；用时 {s:.1f} 秒", "{kinds}; took {s:.1f} s"),
    "checked_cached": ("{kinds}；数据自 {at} 检查以来未变，沿用该次结果",
                       "{kinds}; the data has not changed since it was checked at {at}: that result is shown"),
    "updated_in": ("用时 {s:.1f} 秒", "took {s:.1f} s"),
    "data_rows": ("数据行", "Rows of data"),
    "datasets_with_data": ("有数据的数据集", "Datasets with data"),
    "daily_coverage": ("日线覆盖率", "Daily coverage"),
    "source_health": ("数据源", "Sources"),
}

CHECK_LABELS: dict[str, tuple[str, str]] = {
    "duplicate": ("重复行", "Duplicate rows"),
    "ohlc": ("价格不一致", "OHLC inconsistent"),
    "gap": ("缺失交易日", "Missing trading days"),
    "jump": ("异常涨跌", "Unexplained jump"),
    "stale": ("数据滞后", "Stale"),
    "units": ("单位错误", "Wrong units"),
}

DATASET_LABELS: dict[str, tuple[str, str]] = {
    "bars_1d": ("股票日线", "Stock daily bars"),
    "index_1d": ("指数日线", "Index daily bars"),
    "etf_1d": ("ETF 日线", "ETF daily bars"),
    "futures_1d": ("期货日线", "Futures daily bars"),
    "bars_1m": ("1 分钟线", "1-minute bars"),
    "bars_5m": ("5 分钟线", "5-minute bars"),
    "adj_factors": ("复权因子", "Adjustment factors"),
    "instruments": ("证券列表", "Instruments"),
    "valuation_1d": ("每日估值", "Daily valuation"),
    "fund_nav": ("基金净值", "Fund NAV"),
    "fundamentals": ("财务指标", "Financial indicators"),
}


def _t(key: str, lang: str, **kw: Any) -> str:
    s = common.tr(TEXT, key, lang)
    return s.format(**kw) if kw else s


def _label(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    zh, en = table.get(key, (key, key))
    return en if lang == "en" else zh


def _num(v: Any) -> str:
    return "—" if v is None or (isinstance(v, float) and v != v) else f"{int(v):,}"


# --- coverage arithmetic ------------------------------------------------------------------------

@dataclass(frozen=True)
class DatasetCoverage:
    """One daily dataset against the trading calendar, between its first and last bar."""

    dataset: str
    first: dt.date
    last: dt.date
    trading_days: int                 # calendar trading days in [first, last]
    present: int                      # of those, days with at least one bar
    missing_days: list[dt.date] = field(default_factory=list)   # trading days with no bar at all
    off_calendar: list[dt.date] = field(default_factory=list)   # bar dates that are not trading days

    @property
    def missing(self) -> int:
        return self.trading_days - self.present

    @property
    def coverage(self) -> float | None:
        return self.present / self.trading_days if self.trading_days else None


def _cal_days(calendar: TradingCalendar) -> np.ndarray:
    return days64(calendar)


def dataset_coverage(query: QueryService, ds: Dataset, calendar: TradingCalendar, *,
                     days: np.ndarray | None = None) -> DatasetCoverage | None:
    """Distinct bar dates of ``ds`` against ``calendar`` (None when the dataset is empty). One DuckDB
    ``SELECT DISTINCT date`` — a few thousand dates at most — then set arithmetic on sorted arrays.
    ``days``: ``calendar``'s days as ``datetime64[D]``, when the caller already has them."""
    t = ds.time_column or "date"
    dates = query.sql_arrow(f"SELECT DISTINCT {t} AS d FROM {ds.view} ORDER BY d").column(0)
    present = np.asarray(dates.to_numpy(zero_copy_only=False), dtype="datetime64[D]")
    if present.size == 0:
        return None
    days = _cal_days(calendar) if days is None else days
    first, last = present[0], present[-1]
    window = days[(days >= first) & (days <= last)]
    on_cal = np.isin(present, window, assume_unique=True)
    missing = np.setdiff1d(window, present[on_cal], assume_unique=True)
    # a date inside the calendar's range that is not a trading day is a bad bar; beyond its range, unknown
    off = present[~on_cal & (present >= days[0]) & (present <= days[-1])]
    return DatasetCoverage(ds.name, _date(first), _date(last), int(window.size), int(on_cal.sum()),
                           [_date(d) for d in missing], [_date(d) for d in off])


def symbol_coverage(query: QueryService, ds: Dataset, calendar: TradingCalendar,
                    not_trading: list[dt.date] | None = None, *, days: np.ndarray | None = None) -> pd.DataFrame:
    """Per symbol of ``ds``: first, last, calendar trading days between them, days present, missing and
    coverage (0..1). One GROUP BY in DuckDB; ``not_trading`` (bar dates that are not trading days, from
    :func:`dataset_coverage`) are left out of the present count."""
    t = ds.time_column or "date"
    off = sorted(set(not_trading or []))
    off_sql = f"count(DISTINCT {t}) FILTER (WHERE list_contains(?, {t}))" if off else "0"
    df = query.sql(f"SELECT symbol, min({t}) AS first, max({t}) AS last, count(DISTINCT {t}) - {off_sql} AS present "
                   f"FROM {ds.view} GROUP BY symbol ORDER BY symbol", [off] if off else None)
    if df.empty:
        return df.assign(trading_days=[], missing=[], coverage=[])
    days = _cal_days(calendar) if days is None else days
    lo = np.searchsorted(days, df["first"].to_numpy("datetime64[D]"), "left")
    hi = np.searchsorted(days, df["last"].to_numpy("datetime64[D]"), "right")
    expected = (hi - lo).astype(np.int64)
    present = df["present"].to_numpy(np.int64)
    df["trading_days"] = expected
    df["missing"] = np.maximum(expected - present, 0)
    df["coverage"] = np.where(expected > 0, np.minimum(present / np.maximum(expected, 1), 1.0), np.nan)
    return df


def _date(d: Any) -> dt.date:
    return pd.Timestamp(d).date()


# --- the page -----------------------------------------------------------------------------------

class DataHealthDashboard:
    """The data health page. ``widget`` is the root; :meth:`refresh` (also the 刷新 button) rebuilds it.

    Data first, page second: :meth:`_gather` reads everything the sections show, then the page language is
    resolved (``common.request_params()``: a pre-heated Voila kernel waits there for the browser's request)
    and the widgets are built from what was read. So under ``--preheat_kernel`` the coverage SQL and the
    checks run before anyone asks for the page; if the store changed while the kernel waited, it is read
    again (the checks come from :func:`~jupyterlab_quant.data.quality.cached_checks` either way).
    """

    def __init__(self, services: Services | None = None, lang: str | None = None, *,
                 run_checks: bool = True) -> None:
        t0 = time.perf_counter()
        self.services = services or default_services()
        self.run_checks = run_checks
        # what the last refresh found (tests and notebooks read these)
        self.datasets: list[tuple[str, int, str | None, str | None]] = []
        self.coverage: list[DatasetCoverage] = []
        self.symbols: pd.DataFrame = pd.DataFrame()
        self.sources: list[dict[str, Any]] = []
        self.overall = "unknown"
        self.updates: list[dict[str, Any]] = []
        self.findings: list[Finding] = []
        self.checks: CachedChecks | None = None
        self.checks_s: float | None = None
        self.refresh_s = 0.0
        self._updater: Any = None
        self._ready = False
        self._failed: dict[str, Exception] = {}
        self._info: dict[str, dict[str, Any]] = {}
        self._symbol_counts: dict[str, int] = {}
        self._names: dict[str, str] = {}
        self._token: tuple[tuple[int, int], ...] = ()
        self._gathered_at = 0.0

        self._gather()
        params = common.request_params()   # pre-heated: returns once the request arrives (see the class doc)
        self.lang = common.resolve_lang(lang, params)
        if self._store_token() != self._token:   # written while a pre-heated kernel waited
            self._gather()
        elif time.perf_counter() - self._gathered_at > RECHECK_AFTER_S:
            self._gather_sources()             # breaker state and update log change without the store

        self.refresh_button = w.Button(description=common.tr(common.COMMON_TEXT, "refresh", self.lang),
                                       icon="refresh", layout=w.Layout(width="auto"))
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.status = w.HTML()
        self.body = w.VBox(layout=w.Layout(width="100%"))
        top = w.HBox([w.HTML(f"<h2>{common.esc(_t('title', self.lang))}</h2>"), self.refresh_button, self.status],
                     layout=w.Layout(width="100%", align_items="center", flex_flow="row wrap", grid_gap="12px"))
        self.widget = common.page(NAME, w.HTML(f"<style>{PAGE_CSS}</style>"), top, self.body)
        self._render(t0, gathered=True)

    # ---- reading ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read everything and rebuild the sections."""
        self._render(time.perf_counter(), gathered=False)

    def _store_token(self) -> tuple[tuple[int, int], ...]:
        store = self.services.store
        return tuple(store.manifest_token(name) for name in DATASETS)

    def _gather(self) -> None:
        """Read every section's data; a part that fails keeps its exception for its own section."""
        self._token = self._store_token()
        self._failed = {}
        self.datasets, self.coverage, self.symbols, self._names = [], [], pd.DataFrame(), {}
        self._info, self._symbol_counts = {}, {}
        self.findings, self.checks, self.checks_s = [], None, None
        try:
            self.datasets = self.services.query.coverage()
        except Exception as exc:  # the datasets section says what went wrong; the rest still renders
            self._failed["datasets"] = exc
        if not self._empty():
            self._attempt("datasets", self._gather_datasets)
            self._attempt("coverage", self._gather_coverage)
            if self.run_checks:
                self._attempt("problems", self._gather_checks)
        self._gather_sources()

    def _gather_sources(self) -> None:
        self.sources, self.overall, self.updates = [], "unknown", []
        self._failed.pop("sources", None)
        self._failed.pop("updates", None)
        self._attempt("sources", self._gather_health)
        self._attempt("updates", self._gather_updates)
        self._gathered_at = time.perf_counter()

    def _attempt(self, part: str, read: Callable[[], None]) -> None:
        if part in self._failed:
            return
        try:
            read()
        except Exception as exc:  # shown in that section only
            self._failed[part] = exc

    def _empty(self) -> bool:
        return "datasets" not in self._failed and not any(n for _, n, _, _ in self.datasets)

    def _gather_datasets(self) -> None:
        try:
            self._info = {r["dataset"]: r for r in self.services.store.info()}
        except OSError:  # a file replaced while we stat it: show the table without sizes
            self._info = {}
        # every dataset's distinct symbols in one DuckDB statement (not one query per dataset)
        names = [name for name, n, _, _ in self.datasets if n and "symbol" in DATASETS[name].column_names]
        if names:
            sql = " UNION ALL ".join(f"SELECT '{name}' AS dataset, count(DISTINCT symbol) AS n "
                                     f"FROM {DATASETS[name].view}" for name in names)
            df = self.services.query.sql(sql)
            self._symbol_counts = {str(d): int(n) for d, n in zip(df["dataset"], df["n"], strict=True)}

    def _calendar(self) -> TradingCalendar:
        # the calendar the update planner uses: bundled, extended by a `jlq data calendar --refresh`
        return load_calendar(self.services.settings.home / "state")

    def _gather_coverage(self) -> None:
        q, cal = self.services.query, self._calendar()
        days = _cal_days(cal)
        frames, found = [], []
        for ds in DAILY_BY_KIND.values():
            if not self.services.store.manifest(ds.name).rows:
                continue
            c = dataset_coverage(q, ds, cal, days=days)
            if c is None:
                continue
            found.append(c)
            frames.append(symbol_coverage(q, ds, cal, c.off_calendar, days=days).assign(dataset=ds.name))
        self.coverage = found
        self.symbols = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if not self.symbols.empty and (self.symbols["missing"] > 0).any():
            try:
                inst = q.instruments()
                self._names = dict(zip(inst["symbol"], inst["name"].fillna(""), strict=False))
            except Exception:  # names are decoration only
                self._names = {}

    def _gather_health(self) -> None:
        rows = self._updater_service().fetcher.health_rows()
        self.sources, self.overall = rows, overall_health(rows)

    def _gather_updates(self) -> None:
        self.updates = self._updater_service().state.last_updates()

    def _gather_checks(self) -> None:
        t0 = time.perf_counter()
        # what `jlq data check` reports (every daily dataset with files, its defaults), reused while the
        # store is unchanged
        self.checks = cached_checks(self.services.query, self.services.settings.home / "state",
                                    stale_days=STALE_DAYS)
        self.findings = self.checks.findings
        self.checks_s = time.perf_counter() - t0

    # ---- building ---------------------------------------------------------------------------------
    def _render(self, t0: float, *, gathered: bool) -> None:
        lang = self.lang
        self.refresh_button.disabled = True
        self.status.value = f'<span class="muted">{common.esc(common.tr(common.COMMON_TEXT, "loading", lang))}</span>'
        try:
            if not gathered:
                self._gather()
            children = self._build()
        except Exception as exc:  # the page edge: every failure becomes a readable message
            children = [w.HTML(common.error_html(exc, lang))]
        finally:
            self.refresh_button.disabled = False
        self.body.children = tuple(children)
        self.refresh_s = time.perf_counter() - t0
        stamp = dt.datetime.now(common.SHANGHAI).strftime("%H:%M:%S")
        self.status.value = (f'<span class="muted">{common.esc(common.tr(common.COMMON_TEXT, "updated", lang))} '
                             f'{stamp} · {common.esc(_t("updated_in", lang, s=self.refresh_s))}</span>')
        if not self._ready:  # after the first full render
            self._ready = True
            self.widget.children = (*self.widget.children, common.ready_marker(NAME))

    def _section(self, key: str, name: str, build: Callable[[], list[w.Widget]], *, wide: bool = False) -> w.VBox:
        def body() -> w.Widget:
            failed = self._failed.get(name)
            if failed is not None:
                raise failed
            return w.VBox(build(), layout=w.Layout(min_width="0"))

        box = common.section(_t(key, self.lang), common.guard(body, self.lang), name=name)
        if wide:  # wide tables get the whole row of the grid
            box.add_class("jlq-wide")
        return box

    def _updater_service(self) -> Any:
        if self._updater is None:
            self._updater = self.services.updater()
        return self._updater

    def _build(self) -> list[w.Widget]:
        empty = self._empty()
        sections: list[w.Widget] = []
        if not empty:
            sections += [self._section("datasets", "datasets", self._datasets, wide=True),
                         self._section("coverage", "coverage", self._coverage, wide=True)]
        sections += [self._section("sources", "sources", self._sources),
                     self._section("updates", "updates", self._updates)]
        if not empty:
            sections.append(self._section("problems", "problems", self._problems, wide=True))
        head: list[w.Widget] = []
        if empty:
            head.append(common.message("info", _t("empty", self.lang), hint=_t("empty_hint", self.lang)))
        else:
            head.append(w.HTML(self._summary_cards()))
        return [*head, common.grid(*sections)]

    def _summary_cards(self) -> str:
        lang = self.lang
        with_data = sum(1 for _, n, _, _ in self.datasets if n)
        rows = sum(n for name, n, _, _ in self.datasets if name != "instruments")
        days = sum(c.trading_days for c in self.coverage)
        pct = (sum(c.present for c in self.coverage) / days) if days else None
        items = [common.card(_t("datasets_with_data", lang), f"{with_data} / {len(self.datasets)}", key="datasets"),
                 common.card(_t("data_rows", lang), _num(rows), key="rows"),
                 common.card(_t("daily_coverage", lang), common.fmt_pct(pct), key="coverage"),
                 common.card(_t("source_health", lang),
                             common.state_badge(self.overall, _t(f"ov_{self.overall}", lang)), key="sources")]
        if self.checks_s is not None:
            errors = sum(f.severity == "error" for f in self.findings)
            items += [common.card(_t("errors", lang), _num(errors), "jlq-bad" if errors else "", key="errors"),
                      common.card(_t("warnings", lang), _num(len(self.findings) - errors), key="warnings")]
        return common.cards(items)

    # ---- sections ---------------------------------------------------------------------------------
    def _datasets(self) -> list[w.Widget]:
        lang = self.lang
        rows = []
        for name, n, first, last in self.datasets:
            symbols = self._symbol_counts.get(name)
            meta = self._info.get(name, {})
            muted = "" if n else "muted"
            rows.append([(f"{common.esc(name)}<br><span class='muted'>{common.esc(_label(DATASET_LABELS, name, lang))}"
                          "</span>", muted),
                         (_num(n), "num"), (_num(symbols), "num"), (common.esc(first or "—"), ""),
                         (common.esc(last or "—"), ""), (_num(meta.get("files")), "num"),
                         (_size(meta.get("bytes")), "num"),
                         (common.esc(common.local_time(meta.get("updated_at"))), "")])
        headers = [_t(k, lang) for k in ("dataset", "rows", "symbols", "first", "last", "files", "size", "written")]
        return [w.HTML(common.table(headers, rows, empty=common.tr(common.COMMON_TEXT, "empty", lang),
                                    key="datasets"))]

    def _coverage(self) -> list[w.Widget]:
        lang = self.lang
        if not self.coverage:
            return [w.HTML(f'<p class="muted">{common.esc(_t("no_daily", lang))}</p>')]
        rows = []
        for c in self.coverage:
            listed = _days_html(c.missing_days)
            if c.off_calendar:
                off = _days_html(c.off_calendar)
                listed += f"<br><span class='jlq-bad'>{common.esc(_t('off_calendar', lang))}: {off}</span>"
            rows.append([(f"{common.esc(c.dataset)}<br><span class='muted'>"
                          f"{common.esc(_label(DATASET_LABELS, c.dataset, lang))}</span>", ""),
                         (c.first.isoformat(), ""), (c.last.isoformat(), ""), (_num(c.trading_days), "num"),
                         (_num(c.present), "num"), (_num(c.missing), "num jlq-bad" if c.missing else "num"),
                         (common.fmt_pct(c.coverage), "num"), (listed or "—", "wrap")])
        headers = [_t(k, lang) for k in ("dataset", "first", "last", "trading_days", "present", "missing",
                                         "coverage_pct", "missing_days")]
        out: list[w.Widget] = [self._coverage_chart(),
                               w.HTML(common.table(headers, rows, empty="", key="coverage"))]
        out.append(w.HTML(self._lowest_symbols_html()))
        return out

    def _coverage_chart(self) -> bqplot.Figure:
        names = np.array([c.dataset for c in self.coverage])
        values = np.array([100.0 * (c.coverage or 0.0) for c in self.coverage])
        xs, ys = bqplot.OrdinalScale(), bqplot.LinearScale(min=0.0, max=100.0)
        bars = bqplot.Bars(x=names, y=values, scales={"x": xs, "y": ys}, colors=[BAR_COLOR], padding=0.4,
                           label_display=True, label_display_format=".2f",
                           label_font_style={"font-size": "12px", "fill": "#212529"},
                           tooltip=bqplot.Tooltip(fields=["x", "y"], formats=["", ".2f"]))
        axes = [bqplot.Axis(scale=xs), bqplot.Axis(scale=ys, orientation="vertical", tick_format=".0f")]
        fig = bqplot.Figure(marks=[bars], axes=axes, title=_t("chart", self.lang),
                            fig_margin={"top": 40, "bottom": 35, "left": 50, "right": 10},
                            layout=w.Layout(width="100%", height="230px"))
        fig.add_class("jlq-coverage-chart")
        return fig

    def _lowest_symbols_html(self) -> str:
        lang, df = self.lang, self.symbols
        title = f"<h4>{common.esc(_t('lowest', lang, n=TOP_SYMBOLS))}</h4>"
        note = f'<p class="muted">{common.esc(_t("suspension_note", lang))}</p>'
        if df.empty or not (df["missing"] > 0).any():
            return f'{title}<p class="muted">{common.esc(_t("all_complete", lang))}</p>'
        worst = df[df["missing"] > 0].sort_values(["coverage", "missing", "symbol"], ascending=[True, False, True])
        names = self._names
        rows = [[(common.esc(r["dataset"]), ""), (common.esc(r["symbol"]), ""),
                 (common.esc(names.get(r["symbol"], "")), ""), (_date(r["first"]).isoformat(), ""),
                 (_date(r["last"]).isoformat(), ""), (_num(r["trading_days"]), "num"), (_num(r["present"]), "num"),
                 (_num(r["missing"]), "num jlq-bad"), (common.fmt_pct(float(r["coverage"])), "num")]
                for r in worst.head(TOP_SYMBOLS).to_dict("records")]
        headers = [_t(k, lang) for k in ("dataset", "symbol", "name", "first", "last", "trading_days", "present",
                                         "missing", "coverage_pct")]
        return title + common.table(headers, rows, empty="", key="lowest") + note

    def _sources(self) -> list[w.Widget]:
        lang, rows = self.lang, self.sources
        out = [f"<p><b>{common.esc(_t('overall', lang))}</b> "
               f"{common.state_badge(self.overall, _t(f'ov_{self.overall}', lang))}</p>"]
        if self.overall == "unknown":
            out.append(f'<p class="muted">{common.esc(_t("unused_note", lang))}</p>')
        cells = []
        for r in rows:
            used = bool(r["successes"] or r["failures"])
            state = r["state"]
            if not used:
                css, label = "unknown", _t("st_unused", lang)
            elif state == "closed" and r["consecutive_failures"]:
                css, label = "degraded", _t("st_failing", lang)
            elif state == "closed":
                css, label = "ok", _t("st_closed", lang)
            else:
                css, label = state, _t(f"st_{state}", lang) if state in ("open", "half_open") else state
            badge = common.state_badge(css, label)
            if state == "open" and r.get("retry_in_s"):
                badge += f' <span class="muted">{common.esc(_t("retry_in", lang, s=r["retry_in_s"]))}</span>'
            err = str(r.get("last_error") or "")
            cells.append([(common.esc(SOURCE_LABEL.get(r["source"], r["source"])), ""), (badge, ""),
                          (_num(r["successes"]), "num"), (_num(r["failures"]), "num"),
                          (_num(r["consecutive_failures"]), "num jlq-bad" if r["consecutive_failures"] else "num"),
                          (common.esc(common.local_time(r.get("last_success_at"))), ""),
                          (common.esc(common.local_time(r.get("last_failure_at"))), ""),
                          (f'<span title="{common.esc(err)}">{common.esc(_clip(err, 160)) or "—"}</span>', "wrap")])
        headers = [_t(k, lang) for k in ("source", "state", "successes", "failures", "in_a_row", "last_success",
                                         "last_failure", "last_error")]
        out.append(common.table(headers, cells, empty="", key="sources"))
        return [w.HTML("".join(out))]

    def _updates(self) -> list[w.Widget]:
        lang = self.lang
        if not self.updates:
            return [common.message("info", _t("never_updated", lang), hint=_t("never_updated_hint", lang))]
        rows = []
        for r in self.updates:
            err = str(r.get("last_error") or "")
            rows.append([(f"{common.esc(r['dataset'])}<br><span class='muted'>"
                          f"{common.esc(_label(DATASET_LABELS, r['dataset'], lang))}</span>", ""),
                         (common.esc(SOURCE_LABEL.get(r.get("source") or "", r.get("source") or "—")), ""),
                         (common.esc(common.local_time(r.get("last_at"))), ""),
                         (common.esc(common.local_time(r.get("last_ok_at"))), ""),
                         (common.esc(common.local_time(r.get("last_failed_at"))),
                          "jlq-bad" if r.get("last_failed_at") else ""),
                         (_num(r.get("rows")), "num"), (_num(r.get("symbols")), "num"),
                         (f'<span title="{common.esc(err)}">{common.esc(_clip(err, 160)) or "—"}</span>', "wrap")])
        headers = [_t(k, lang) for k in ("dataset", "source", "last_run", "last_ok", "last_failed", "rows",
                                         "symbols", "last_error")]
        return [w.HTML(common.table(headers, rows, empty="", key="updates"))]

    def _problems(self) -> list[w.Widget]:
        lang = self.lang
        if not self.run_checks or self.checks is None:
            return [w.HTML(f'<p class="muted">{common.esc(_t("checks_skipped", lang))}</p>')]
        found, run = self.findings, self.checks
        kinds = ", ".join(run.kinds)
        if run.all_cached:
            at = min(run.checked_at.values(), default="")
            note_text = _t("checked_cached", lang, kinds=kinds, at=common.local_time(at) if at else "—")
        else:
            note_text = _t("checked_in", lang, kinds=kinds, s=self.checks_s or 0.0)
        note = f'<p class="muted">{common.esc(note_text)}</p>'
        if not found:
            return [w.HTML(f"<p>{common.esc(_t('no_problems', lang))}</p>{note}")]
        counts = Counter((f.check, f.severity) for f in found)
        checks = [c for c in CHECK_LABELS if any(k[0] == c for k in counts)]
        checks += sorted({c for c, _ in counts} - set(checks))
        count_rows = [[(common.esc(_label(CHECK_LABELS, c, lang)) + f" <span class='muted'>{common.esc(c)}</span>", ""),
                       (_num(counts[(c, "error")]), "num jlq-bad" if counts[(c, "error")] else "num"),
                       (_num(counts[(c, "warning")]), "num")] for c in checks]
        summary = common.table([_t("check", lang), _t("errors", lang), _t("warnings", lang)], count_rows, empty="",
                               key="problem-counts")
        rows = []
        for f in found[:MAX_FINDINGS]:
            sev = common.state_badge(f.severity, _t(f"sev_{f.severity}", lang) if f.severity in ("error", "warning")
                                     else f.severity)
            hint = f"<br><span class='muted'>→ {common.esc(f.hint)}</span>" if f.hint else ""
            detail = common.esc(f.message) + hint
            rows.append([(sev, ""), (common.esc(_label(CHECK_LABELS, f.check, lang)), ""),
                         (f"{common.esc(f.symbol)}<br><span class='muted'>{common.esc(f.dataset)}</span>", ""),
                         (common.esc(f.date or "—"), ""), (detail, "wrap")])
        table = common.table([_t(k, lang) for k in ("severity", "check", "symbol", "date", "detail")],
                             rows, empty="", key="findings")
        more = ""
        if len(found) > MAX_FINDINGS:
            more = f'<p class="muted">{common.esc(_t("first_n", lang, n=MAX_FINDINGS, total=len(found)))}</p>'
        return [w.HTML(summary + note + table + more)]


def _days_html(days: list[dt.date]) -> str:
    """The first days of a list (each kept on one line), then how many more."""
    out = ", ".join(f'<span class="day">{d.isoformat()}</span>' for d in days[:MAX_MISSING_LISTED])
    if len(days) > MAX_MISSING_LISTED:
        out += f" … (+{len(days) - MAX_MISSING_LISTED})"
    return out


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _size(b: Any) -> str:
    if not b:
        return "—"
    mb = float(b) / 1e6
    return f"{mb:,.2f} MB" if mb >= 0.01 else f"{float(b) / 1e3:,.1f} kB"
