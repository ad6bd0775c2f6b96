"""Data health (数据体检): checks over the stored daily bars, each finding naming symbol, date, check,
severity, what is wrong and what to do.

Checks (``CHECKS``):

* ``duplicate`` — more than one stored row for a (symbol, date) key (e.g. two files of one partition
  both holding the day). Error.
* ``ohlc`` — non-positive prices, high < low, high below open/close or low above them beyond 0.5 %
  (sources round). Error.
* ``gap`` — trading days (core.calendar) missing between a symbol's first bar and its last bar (or
  delisting). A date missing for every symbol at once is a dataset hole (error, symbol ``*``). For one
  symbol: an error when its source records suspensions as rows (trade_status 0 rows exist for it) or
  the instrument never suspends (indices, continuous futures); a warning otherwise (通达信 and eastmoney
  histories omit suspended days, ETFs suspend for share splits, so the gap may be a suspension). Bars dated on a
  non-trading day are errors.
* ``jump`` — |close / reference − 1| beyond the board's daily limit (core.ashare), where reference is
  the stored preclose (前收盘, already the ex-rights price) or, when missing, the previous close
  moved by the adjustment-factor ratio. IPO no-limit windows are skipped. Error, downgraded to a
  warning on days with a known explanation the data cannot confirm: the first bar after a
  suspension or a gap (historic no-limit resumptions, e.g. 股改 2005-06) and ex-rights days (the
  factor may be approximate). Indices and futures have no band and are not checked.
* ``stale`` — a symbol's last bar is more than ``stale_days`` trading days older than the dataset's
  latest date and it is not recorded as delisted. Warning.
* ``units`` — amount / (volume × close) ≈ 100 (volume in 手 lots, not shares) or ≈ 1/100. Error.

:func:`compare_adjusted` cross-checks adjusted closes from another source (e.g. an imported 前复权
CSV) against ``QueryService.bars(adjust=...)``.

:func:`cached_checks` is :func:`run_checks` over whole datasets with its findings kept in
``$JLQ_HOME/state/checks_cache.json``, one entry per dataset kind, reused while nothing the checks read
has changed: the key holds the store manifest (token and version) of the checked dataset, of
``instruments`` and of ``adj_factors``, the check parameters, a digest of the calendar and of this
module's and ``core.ashare``'s source. Any write or compaction commits a new manifest and so misses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.ashare import ipo_no_limit_days, price_limit_pct
from ..core.calendar import TradingCalendar, default_calendar
from ..core.errors import InvalidInput, NoData
from ..core.types import Adjust, Board, Kind, board_of, normalize_symbol, parse_enum
from .query import QueryService
from .schema import DAILY_BY_KIND, Dataset

CHECKS = ("duplicate", "ohlc", "gap", "jump", "stale", "units")
OHLC_TOLERANCE = 0.005
ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    symbol: str
    date: str | None
    check: str
    severity: str
    message: str
    hint: str = ""
    dataset: str = ""

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


def _iso(d: object) -> str:
    return pd.Timestamp(d).strftime("%Y-%m-%d")  # type: ignore[arg-type]


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def days64(cal: TradingCalendar) -> np.ndarray:
    """The calendar's days as ``datetime64[D]`` (via ordinals: ~20× faster than ``np.array(days)``)."""
    ordinals = np.fromiter((d.toordinal() for d in cal.days), np.int64, len(cal.days))
    return (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]")


def _runs(pos: np.ndarray) -> list[np.ndarray]:
    """Split sorted integer positions into runs of consecutive values."""
    if len(pos) == 0:
        return []
    return np.split(pos, np.flatnonzero(np.diff(pos) != 1) + 1)


def _load(query: QueryService, ds: Dataset, symbols: list[str] | None) -> pd.DataFrame:
    cols = ", ".join(f'"{c}"' for c in ds.column_names)
    if symbols:
        return query.sql(f"SELECT {cols} FROM {ds.view} WHERE list_contains(?, symbol)", [symbols])
    return query.sql(f"SELECT {cols} FROM {ds.view}")


def _groups(df: pd.DataFrame) -> Iterable[tuple[str, int, int]]:
    """(symbol, start, stop) row ranges of a frame sorted by symbol."""
    sym = df["symbol"].to_numpy()
    if len(sym) == 0:
        return []
    starts = np.flatnonzero(np.r_[True, sym[1:] != sym[:-1]])
    stops = np.r_[starts[1:], len(sym)]
    return [(str(sym[a]), int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def run_checks(query: QueryService, symbols: Iterable[str] | None = None, kind: str = "stock", *,
               checks: Iterable[str] | None = None, stale_days: int = 5,
               calendar: TradingCalendar | None = None) -> list[Finding]:
    """Run the health checks over one daily dataset (``kind``: stock | index | etf | futures).

    ``symbols`` limits the rows checked (UnknownSymbol for a symbol the store lacks); the stale check
    still compares against the whole dataset's latest date. Findings are sorted by symbol, date, check.
    """
    k = parse_enum(Kind, kind, "kind", Kind.STOCK).value
    ds = DAILY_BY_KIND[k]
    chosen = set(checks or CHECKS)
    unknown = chosen - set(CHECKS)
    if unknown:
        raise InvalidInput(f"未知检查项 {sorted(unknown)} (unknown checks)", f"可选: {', '.join(CHECKS)}")
    wanted = None
    if symbols:
        wanted = sorted({str(query.resolve(s)["symbol"]) for s in symbols})
    raw = _load(query, ds, wanted)
    if raw.empty:
        return []
    cal = calendar or default_calendar()
    inst = query.instruments().drop_duplicates("symbol").set_index("symbol")
    out: list[Finding] = []
    if "duplicate" in chosen:
        out += _duplicates(ds, raw)
    df = (raw.drop_duplicates(["symbol", "date"], keep="last").sort_values(["symbol", "date"])
          .reset_index(drop=True))
    if "ohlc" in chosen:
        out += _ohlc(ds, df)
    if "gap" in chosen:
        out += _gaps(ds, df, inst, cal)
    if "jump" in chosen:
        out += _jumps(query, ds, df, inst, k, cal)
    if "stale" in chosen:
        latest = query.sql(f"SELECT max(date) AS d FROM {ds.view}")["d"].iloc[0]
        out += _stale(ds, df, inst, cal, pd.Timestamp(latest).date(), stale_days)
    if "units" in chosen and "amount" in df.columns and k != Kind.FUTURES.value:
        out += _units(ds, df, k)
    return sorted(out, key=lambda f: (f.symbol, f.date or "", f.check))


def _duplicates(ds: Dataset, raw: pd.DataFrame) -> list[Finding]:
    counts = raw.groupby(["symbol", "date"], sort=True).size().rename("n").reset_index()
    out = []
    for sym, day, n in counts[counts["n"] > 1].itertuples(index=False):
        out.append(Finding(str(sym), _iso(day), "duplicate", ERROR,
                           f"{sym} {_iso(day)} 在存储中有 {n} 行 ({n} stored rows for one key in {ds.name})",
                           "运行 jlq data compact 合并去重 (keeps the newest row), 然后重新检查", ds.name))
    return out


def _ohlc(ds: Dataset, df: pd.DataFrame) -> list[Finding]:
    o, h, lo, c = (df[x].to_numpy(np.float64) for x in ("open", "high", "low", "close"))
    tests = [
        (np.minimum.reduce([o, h, lo, c]) <= 0, "价格非正 (non-positive price)"),
        (h < lo, "最高价低于最低价 (high < low)"),
        (h < np.maximum(o, c) * (1 - OHLC_TOLERANCE), "最高价低于开盘/收盘价 (high below open/close)"),
        (lo > np.minimum(o, c) * (1 + OHLC_TOLERANCE), "最低价高于开盘/收盘价 (low above open/close)"),
    ]
    out, seen = [], np.zeros(len(df), dtype=bool)
    for bad, what in tests:
        for i in map(int, np.flatnonzero(bad & ~seen)):
            out.append(Finding(str(df["symbol"].iat[i]), _iso(df["date"].iat[i]), "ohlc", ERROR,
                               f"{what}: 开 {o[i]:g} 高 {h[i]:g} 低 {lo[i]:g} 收 {c[i]:g}",
                               "从数据源重新获取该日 (jlq data update / 重新导入) 或修正后重新导入", ds.name))
        seen |= bad
    return out


def _gaps(ds: Dataset, df: pd.DataFrame, inst: pd.DataFrame, cal: TradingCalendar) -> list[Finding]:
    days = days64(cal)
    has_status = "trade_status" in df.columns
    dates = df["date"].to_numpy("datetime64[D]")
    per_symbol: list[tuple[str, np.ndarray, bool]] = []
    active = np.zeros(len(days) + 1, dtype=np.int64)
    present = np.zeros(len(days), dtype=np.int64)
    out: list[Finding] = []
    for sym, a, b in _groups(df):
        d = dates[a:b]
        last = d[-1]
        delist = inst["delist_date"].get(sym) if "delist_date" in inst.columns else None
        if delist is not None and not pd.isna(delist):
            last = min(last, np.datetime64(pd.Timestamp(delist).date(), "D"))
        lo = int(np.searchsorted(days, d[0], "left"))
        hi = int(np.searchsorted(days, last, "right"))
        active[lo] += 1
        active[hi] -= 1
        idx = np.searchsorted(days, d)
        on_cal = (idx < len(days)) & (days[np.clip(idx, 0, len(days) - 1)] == d)
        present[idx[on_cal]] += 1
        for bad in d[~on_cal & (d >= days[0]) & (d <= days[-1])]:
            out.append(Finding(sym, _iso(bad), "gap", ERROR, f"{sym} 在非交易日 {_iso(bad)} 有 K 线 "
                               f"(bar on a non-trading day)", "删除该行后重新导入；或更新交易日历", ds.name))
        missing = np.setdiff1d(np.arange(lo, hi), idx[on_cal])
        if has_status:
            records_suspensions = bool((df["trade_status"].to_numpy()[a:b] == 0).any())
        else:  # indices and continuous futures never suspend; ETF sources omit suspended days (splits)
            records_suspensions = ds.kind in (Kind.INDEX.value, Kind.FUTURES.value)
        per_symbol.append((sym, missing, records_suspensions))
    active = np.cumsum(active)[:-1]
    holes = (present == 0) & (active >= 2)
    for run in _runs(np.flatnonzero(holes)):
        out.append(Finding("*", _iso(days[run[0]]), "gap", ERROR,
                           f"{ds.name} 在 {_iso(days[run[0]])} … {_iso(days[run[-1]])} 没有任何代码的数据 "
                           f"({len(run)} trading day(s) missing for every symbol: a hole in the dataset)",
                           "用 jlq data update --start/--end 重新获取该区间", ds.name))
    for sym, missing, strict in per_symbol:
        for run in _runs(missing[~holes[missing]]):
            first, last = _iso(days[run[0]]), _iso(days[run[-1]])
            span = first if len(run) == 1 else f"{first} … {last}"
            if strict:
                sev, hint = ERROR, (f"该代码的数据源把停牌记为行，缺口即数据空洞: jlq data update --symbols {sym} "
                                    f"--start {first} --end {last} (the source records suspensions, so this is a hole)")
            else:
                sev, hint = WARNING, ("数据源不记录停牌日；若当日停牌可忽略，否则重新导入/更新该区间 "
                                      "(the source omits suspended days: expected if suspended)")
            out.append(Finding(sym, first, "gap", sev, f"{sym} 缺少 {len(run)} 个交易日 {span} "
                               f"(missing {len(run)} trading day(s))", hint, ds.name))
    return out


def _factor_at(query: QueryService, sym: str, dates: np.ndarray) -> np.ndarray:
    fdays, fvals = query.factors(sym)
    if len(fdays) == 0:
        return np.ones(len(dates))
    t = dates.astype("datetime64[D]").astype(np.int64)
    idx = np.searchsorted(fdays, t, side="right") - 1
    return np.where(idx >= 0, fvals[np.clip(idx, 0, None)], fvals[0])


def _jumps(query: QueryService, ds: Dataset, df: pd.DataFrame, inst: pd.DataFrame, kind: str,
           cal: TradingCalendar) -> list[Finding]:
    if kind not in (Kind.STOCK.value, Kind.ETF.value):
        return []
    out: list[Finding] = []
    dates = df["date"].to_numpy("datetime64[D]")
    tick = 0.001 if kind == Kind.ETF.value else 0.01
    caldays = days64(cal)
    for sym, a, b in _groups(df):
        g = df.iloc[a:b]
        d = dates[a:b]
        close = g["close"].to_numpy(np.float64)
        status = g["trade_status"].to_numpy() if "trade_status" in g.columns else np.ones(len(g), dtype=np.int8)
        st = g["is_st"].to_numpy(bool) if "is_st" in g.columns else np.zeros(len(g), dtype=bool)
        f = _factor_at(query, sym, d)
        prev_close = np.r_[np.nan, close[:-1]]
        derived = prev_close * np.r_[np.nan, f[:-1]] / f
        pre = g["preclose"].to_numpy(np.float64) if "preclose" in g.columns else np.full(len(g), np.nan)
        ref = np.where(np.isfinite(pre) & (pre > 0), pre, derived)
        ok = (status == 1) & np.isfinite(ref) & (ref > 0)
        move = np.abs(close - ref)
        cand = np.flatnonzero(ok & (move > 0.05 * ref))
        if len(cand) == 0:
            continue
        board = board_of(sym, kind)
        list_date = inst["list_date"].get(sym) if "list_date" in inst.columns else None
        exempt_until = None
        if list_date is not None and not pd.isna(list_date):
            ld = pd.Timestamp(list_date).date()
            n = ipo_no_limit_days(board, ld) if board is not Board.ETF else 1
            window = caldays[np.searchsorted(caldays, np.datetime64(ld, "D")):][:n]
            exempt_until = window[-1] if len(window) else None
        pos_cal = np.searchsorted(caldays, d)
        for i in cand:
            day = pd.Timestamp(d[i]).date()
            if exempt_until is not None and d[i] <= exempt_until:
                continue
            band = price_limit_pct(board, day, bool(st[i]))
            if band is None or move[i] <= band * ref[i] + tick + 1e-9:
                continue
            reasons = []
            if i > 0 and (status[i - 1] == 0 or pos_cal[i] - pos_cal[i - 1] > 1):
                reasons.append("复牌首日 (first bar after a suspension/gap: possibly a no-limit resumption)")
            if i > 0 and f[i] != f[i - 1]:
                reasons.append("除权日 (ex-rights day: the factor/reference price may be approximate)")
            pct = close[i] / ref[i] - 1
            basis = ("前收盘 preclose" if np.isfinite(pre[i]) and pre[i] > 0
                     else "前收×复权因子比 prev close × factor ratio")
            msg = (f"{sym} {_iso(d[i])} 收盘 {close[i]:g} 相对 {basis} {ref[i]:.3f} 涨跌 {pct:+.1%}，超出"
                   f"{'ST ' if st[i] else ''}{board.value} 涨跌幅限制 ±{band:.0%} (move beyond the daily limit, "
                   f"not explained by adjustment factors)")
            if reasons:
                out.append(Finding(sym, _iso(d[i]), "jump", WARNING, f"{msg}; {'; '.join(reasons)}",
                                   "核对当日行情与除权信息 (check the bar and the ex-rights data)", ds.name))
            else:
                out.append(Finding(sym, _iso(d[i]), "jump", ERROR, msg,
                                   "核对当日行情；常见原因是缺少复权因子/前收盘或价格错误 — 重新获取该日数据 "
                                   "(a missing ex-rights factor or a wrong price is the usual cause)", ds.name))
    return out


def _stale(ds: Dataset, df: pd.DataFrame, inst: pd.DataFrame, cal: TradingCalendar, latest: dt.date,
           stale_days: int) -> list[Finding]:
    out = []
    days = days64(cal)
    hi = int(np.searchsorted(days, np.datetime64(latest, "D"), "right"))
    dates = df["date"].to_numpy("datetime64[D]")
    for sym, _a, b in _groups(df):
        last = dates[b - 1]
        delist = inst["delist_date"].get(sym) if "delist_date" in inst.columns else None
        if delist is not None and not pd.isna(delist):
            continue
        behind = hi - int(np.searchsorted(days, last, "right"))
        if behind > stale_days:
            out.append(Finding(sym, _iso(last), "stale", WARNING,
                               f"{sym} 最后一根 K 线在 {_iso(last)}，比 {ds.name} 最新日期 {latest} 落后 {behind} "
                               f"个交易日 (stale: {behind} trading days behind the dataset)",
                               f"jlq data update --symbols {sym}；若已退市/数据源止于此，"
                               f"在 instruments 记录 delist_date",
                               ds.name))
    return out


def _units(ds: Dataset, df: pd.DataFrame, kind: str) -> list[Finding]:
    amount = df["amount"].to_numpy(np.float64)
    volume = df["volume"].to_numpy(np.float64)
    close = df["close"].to_numpy(np.float64)
    ok = np.isfinite(amount) & (amount > 0) & (volume > 0) & (close > 0)
    ratio = np.full(len(df), np.nan)
    if kind == Kind.INDEX.value:  # points are no price: amount / volume is the average price per share
        ratio[ok] = amount[ok] / volume[ok] / 10.0
    else:
        ratio[ok] = amount[ok] / (volume[ok] * close[ok])
    lots = ok & (ratio >= 30) & (ratio <= 300)
    hundred = ok & (ratio >= 1 / 300) & (ratio <= 1 / 30)
    out = []
    for bad, what, hint in (
        (lots, "成交量像是以手为单位 (volume looks like lots of 100, not shares)",
         "存储要求成交量单位为股；按 手×100 重新导入 (akshare 成交量单位是手)"),
        (hundred, "成交量比成交额大约 100 倍 (volume ≈ 100× too large for the turnover, or amount in 百元)",
         "检查该数据源的成交量/成交额单位后重新导入"),
    ):
        pos = np.flatnonzero(bad)
        for run in _runs(pos):
            for part in _split_by_symbol(df, run):
                sym = str(df["symbol"].iat[part[0]])
                a, b = _iso(df["date"].iat[part[0]]), _iso(df["date"].iat[part[-1]])
                span = a if len(part) == 1 else f"{a} … {b} ({len(part)} rows)"
                out.append(Finding(sym, a, "units", ERROR,
                                   f"{sym} {span}: {what}; 成交额/(成交量×收盘) = {np.median(ratio[part]):.3g}",
                                   hint, ds.name))
    return out


def _split_by_symbol(df: pd.DataFrame, run: np.ndarray) -> list[np.ndarray]:
    sym = df["symbol"].to_numpy()[run]
    cuts = np.flatnonzero(sym[1:] != sym[:-1]) + 1
    return np.split(run, cuts)


def compare_adjusted(query: QueryService, reference: pd.DataFrame, adjust: str | Adjust = Adjust.QFQ, *,
                     rescale: bool = True, abs_tol: float = 0.011, rel_tol: float = 0.002,
                     source: str = "reference") -> list[Finding]:
    """Cross-check adjusted closes of another source against ours (``QueryService.bars(adjust=...)``).

    ``reference``: columns ``symbol``, ``date``, ``close`` (adjusted by ``adjust``). With ``rescale``
    (default), one constant per symbol — the median ratio — is divided out first, because 前复权 series
    of different sources are anchored at different dates. A day differs when
    |ref − ours| > max(abs_tol, rel_tol × ref); consecutive differing days form one finding.
    """
    adj = parse_enum(Adjust, adjust, "adjust", Adjust.QFQ)
    missing = {"symbol", "date", "close"} - set(reference.columns)
    if missing:
        raise InvalidInput(f"参考数据缺少列 {sorted(missing)} (reference needs symbol, date, close)",
                           "提供含 symbol/date/close 列的表")
    ref = pd.DataFrame({"symbol": reference["symbol"].map(lambda s: normalize_symbol(str(s))),
                        "date": pd.to_datetime(reference["date"]).dt.normalize(),
                        "ref": pd.to_numeric(reference["close"], errors="coerce")}).dropna()
    out: list[Finding] = []
    for sym, g in ref.groupby("symbol", sort=True):
        g = g.sort_values("date")
        try:
            ours = query.bars(str(sym), g["date"].iloc[0].date(), g["date"].iloc[-1].date(), adjust=adj)
        except NoData as exc:
            out.append(Finding(str(sym), None, "adjusted", ERROR, f"{sym}: 无可比较的数据 ({exc.message})",
                               exc.hint))
            continue
        if "trade_status" in ours.columns:
            ours = ours[ours["trade_status"] == 1]
        m = g.merge(ours[["date", "close"]].assign(date=pd.to_datetime(ours["date"])), on="date", how="inner")
        if m.empty:
            continue
        k = float(np.median(m["ref"] / m["close"])) if rescale else 1.0
        mine = m["close"].to_numpy() * k
        diff = np.abs(m["ref"].to_numpy() - mine)
        bad = np.flatnonzero(diff > np.maximum(abs_tol, rel_tol * m["ref"].to_numpy()) + 1e-9)
        for run in _runs(bad):
            a, b = _iso(m["date"].iat[run[0]]), _iso(m["date"].iat[run[-1]])
            j = run[int(np.argmax(diff[run]))]
            span = a if len(run) == 1 else f"{a} … {b} ({len(run)} days)"
            out.append(Finding(str(sym), a, "adjusted", ERROR,
                               f"{sym} {span}: {adj.value} 收盘与 {source} 不一致, 最大差 {diff[j]:.3f} "
                               f"({_iso(m['date'].iat[j])}: {source} {m['ref'].iat[j]:g} vs ours {mine[j]:.3f}; "
                               f"scale {k:.6f}) (adjusted close differs between sources)",
                               "核对该区间的复权因子 (adj_factors) 与前收盘；缺少或错误的除权事件是常见原因"))
    return out


# --- cached whole-dataset checks (the data health dashboard) -------------------------------------

CACHE_FILE = "checks_cache.json"
CACHE_FORMAT = 1
_CODE_TOKEN: str | None = None


@dataclass(frozen=True)
class CachedChecks:
    """Findings of :func:`cached_checks` (in ``kinds`` order) and which kinds came from the cache."""

    findings: list[Finding]
    kinds: tuple[str, ...]
    hits: tuple[str, ...] = ()
    checked_at: dict[str, str] = field(default_factory=dict)   # kind → when its findings were computed (UTC)

    @property
    def all_cached(self) -> bool:
        return bool(self.kinds) and set(self.kinds) == set(self.hits)


def _code_token() -> str:
    """Digest of the sources the findings depend on: a changed check invalidates every entry."""
    global _CODE_TOKEN
    if _CODE_TOKEN is None:
        from ..core import ashare

        h = hashlib.sha256()
        for path in (Path(__file__), Path(ashare.__file__)):
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(str(path).encode())
        _CODE_TOKEN = h.hexdigest()[:16]
    return _CODE_TOKEN


def _calendar_token(cal: TradingCalendar) -> str:
    days = days64(cal).astype(np.int64)
    return hashlib.sha256(days.tobytes()).hexdigest()[:16]


def _cache_key(query: QueryService, kind: str, checks: list[str], stale_days: int, cal_token: str) -> str:
    store = query.store
    datasets = (DAILY_BY_KIND[kind].name, "instruments", "adj_factors")
    tokens = {name: [*store.manifest_token(name), store.manifest(name).version] for name in datasets}
    return json.dumps({"format": CACHE_FORMAT, "code": _code_token(), "kind": kind, "checks": checks,
                       "stale_days": stale_days, "calendar": cal_token, "store": tokens}, sort_keys=True)


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):   # missing or unreadable: recomputed and rewritten
        return {}
    entries = raw.get("entries") if isinstance(raw, dict) and raw.get("format") == CACHE_FORMAT else None
    return entries if isinstance(entries, dict) else {}


def _write_cache(path: Path, updates: dict[str, Any]) -> None:
    """Merge ``updates`` into the file (re-read first: another process may have added kinds), atomically."""
    entries = {**_read_cache(path), **updates}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(json.dumps({"format": CACHE_FORMAT, "entries": entries}, ensure_ascii=False),
                       encoding="utf-8")
        os.replace(tmp, path)
    except OSError:   # a read-only home still gets its findings, just not cached
        tmp.unlink(missing_ok=True)


def cached_checks(query: QueryService, state_dir: Path, kinds: Iterable[str] | None = None, *,
                  checks: Iterable[str] | None = None, stale_days: int = 5,
                  calendar: TradingCalendar | None = None) -> CachedChecks:
    """:func:`run_checks` over every row of each kind in ``kinds`` (default: every daily dataset with files,
    as ``jlq data check`` does), reusing the findings stored in ``state_dir/checks_cache.json`` for a kind
    whose key is unchanged. Findings are identical to ``run_checks(query, None, kind, ...)`` per kind.

    The key is taken before the checks run, so a write that lands during a run stores the findings under
    the older key and the next call recomputes.
    """
    store = query.store
    if kinds is None:
        kinds = [k for k, d in DAILY_BY_KIND.items() if store.manifest(d.name).files]
    wanted = [parse_enum(Kind, k, "kind", Kind.STOCK).value for k in kinds]
    chosen = sorted(set(checks or CHECKS))
    cal = calendar or default_calendar()
    cal_token = _calendar_token(cal)
    path = Path(state_dir) / CACHE_FILE
    entries = _read_cache(path)
    found: list[Finding] = []
    hits: list[str] = []
    at: dict[str, str] = {}
    updates: dict[str, Any] = {}
    for kind in wanted:
        key = _cache_key(query, kind, chosen, stale_days, cal_token)
        entry = entries.get(kind)
        cached: list[Finding] | None = None
        if isinstance(entry, dict) and entry.get("key") == key:
            try:
                cached = [Finding(**f) for f in entry["findings"]]
                at[kind] = str(entry.get("checked_at", ""))
            except (KeyError, TypeError):
                cached = None
        if cached is not None:
            hits.append(kind)
            found += cached
            continue
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        fresh = run_checks(query, None, kind, checks=chosen, stale_days=stale_days, calendar=cal)
        found += fresh
        at[kind] = now
        updates[kind] = {"key": key, "checked_at": now, "findings": [f.to_dict() for f in fresh]}
    if updates:
        _write_cache(path, updates)
    return CachedChecks(found, tuple(wanted), tuple(hits), at)
