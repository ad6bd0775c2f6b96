"""Query service: bars with 复权 (none/qfq/hfq) computed from factors at read time, cross-sections,
universe scans, symbol search, and read-only SQL over named DuckDB views (``bars_1d``, ``bars_1m``,
``instruments``, …).

Per-symbol, cross-section and universe reads go through the memory-mapped snapshot
(:mod:`.snapshot`) when ``hot_cache`` is on; otherwise, and for user SQL, through DuckDB views over
the manifest's Parquet files. Both paths return identical frames (tested).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ..core.errors import BadQuery, InvalidInput, NoData, QuantError, UnknownSymbol
from ..core.live import Quote
from ..core.types import Adjust, Freq, Kind, normalize_symbol, parse_enum, parse_range
from .schema import BARS_1M, DAILY_BY_KIND, DATASETS, Dataset
from .snapshot import Snapshot, column_f64, open_snapshot
from .store import MarketStore

EPOCH = dt.date(1970, 1, 1)
PRICE_COLS = ("open", "high", "low", "close", "preclose")
_SQL_OK = {duckdb.StatementType.SELECT}


def _days(d: dt.date | None) -> int | None:
    return None if d is None else (d - EPOCH).days


def _seconds(d: dt.date | None, end: bool = False) -> int | None:
    if d is None:
        return None
    base = dt.datetime.combine(d, dt.time(23, 59, 59) if end else dt.time(0, 0))
    return int((base - dt.datetime(1970, 1, 1)).total_seconds())


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    # small slices are the common case: thread start-up would cost more than the conversion
    return table.to_pandas(date_as_object=False, timestamp_as_object=False, use_threads=table.num_rows > 200_000)


class QueryService:
    """Reads the store. Thread-safe: DuckDB work runs on per-call cursors of one in-memory database."""

    def __init__(self, store: MarketStore, *, hot_cache: bool = True, threads: int | None = None) -> None:
        self.store = store
        self.hot_cache = hot_cache
        self._con = duckdb.connect(":memory:")
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        self._con.execute("SET parquet_metadata_cache = true")
        self._lock = threading.RLock()
        self._view_tokens: dict[str, tuple[int, int]] = {}
        self._snaps: dict[str, tuple[tuple[int, int], Snapshot]] = {}
        self._instr: tuple[tuple, pd.DataFrame, dict[str, dict[str, Any]]] | None = None
        self._factor_cache: tuple[tuple[int, int], dict[str, tuple[np.ndarray, np.ndarray]]] | None = None

    # ---- DuckDB views ---------------------------------------------------------------------
    def _refresh_views(self) -> None:
        with self._lock:
            for ds in DATASETS.values():
                token = self.store.manifest_token(ds.name)
                if self._view_tokens.get(ds.name) == token:
                    continue
                files = [str(f) for f in self.store.files(ds.name)]
                cols = ", ".join(f'"{c}"' for c in ds.column_names)
                if files:
                    listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
                    # union_by_name: files written before a nullable column was declared read it as NULL
                    self._con.execute(f"CREATE OR REPLACE VIEW {ds.view} AS SELECT {cols} "
                                      f"FROM read_parquet([{listing}], hive_partitioning=false, union_by_name=true)")
                else:
                    empty = ds.schema.empty_table()  # noqa: F841 - referenced by name in the SQL below
                    self._con.execute(f"CREATE OR REPLACE TABLE {ds.view} AS SELECT * FROM empty")
                self._view_tokens[ds.name] = token

    def cursor(self) -> duckdb.DuckDBPyConnection:
        self._refresh_views()
        return self._con.cursor()

    def sql(self, query: str, params: list[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """Run one read-only SELECT over the named views with bound parameters (``?`` or ``$name``)."""
        return _to_pandas(self.sql_arrow(query, params))

    def sql_arrow(self, query: str, params: list[Any] | dict[str, Any] | None = None) -> pa.Table:
        try:
            statements = duckdb.extract_statements(query)
        except duckdb.Error as exc:
            raise BadQuery(f"SQL 语法错误: {exc}", "检查 SQL；视图: " + ", ".join(DATASETS)) from exc
        if len(statements) != 1 or statements[0].type not in _SQL_OK:
            raise BadQuery("只允许一条只读 SELECT 语句 (only one read-only SELECT is allowed)",
                           "数据通过 jlq data import 写入；参数用 ? 绑定")
        cur = self.cursor()
        try:
            return cur.sql(query, params=params or None).to_arrow_table()
        except duckdb.Error as exc:
            raise BadQuery(f"SQL 执行失败: {exc}", "可用视图: " + ", ".join(DATASETS)) from exc
        finally:
            cur.close()

    # ---- instruments ----------------------------------------------------------------------
    def instruments(self) -> pd.DataFrame:
        """Instruments with ``first_date``/``last_date`` coverage from the daily datasets (cached per version)."""
        return self._instruments()[0]

    def _instruments(self) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
        token = tuple(self.store.manifest_token(n) for n in ("instruments", *[d.name for d in DAILY_BY_KIND.values()]))
        with self._lock:
            if self._instr and self._instr[0] == token:
                return self._instr[1], self._instr[2]
        inst = _to_pandas(self.store.read("instruments"))
        cover = [self._coverage_of(kind, ds) for kind, ds in DAILY_BY_KIND.items()
                 if self.store.manifest(ds.name).files]
        if cover:
            cov = pd.concat(cover, ignore_index=True).drop_duplicates("symbol")
            inst = inst.merge(cov, on="symbol", how="outer")
            inst["kind"] = inst["kind"].fillna(inst["data_kind"])
            inst = inst.drop(columns=["data_kind"])
        else:
            inst["first_date"] = pd.NaT
            inst["last_date"] = pd.NaT
        inst = inst.sort_values("symbol").reset_index(drop=True)
        records = {str(r["symbol"]): {str(k): (None if (not isinstance(v, str) and pd.isna(v)) else v)
                                      for k, v in r.items()} for r in inst.to_dict("records")}
        with self._lock:
            self._instr = (token, inst, records)
        return inst, records

    def _coverage_of(self, kind: str, ds: Dataset) -> pd.DataFrame:
        """First/last date per symbol: from the snapshot's offsets when hot, else a DuckDB GROUP BY."""
        if self.hot_cache:
            snap = self.snapshot(ds)
            first = snap.times[snap.starts[:-1]].astype("datetime64[D]")
            last = snap.times[snap.starts[1:] - 1].astype("datetime64[D]")
            return pd.DataFrame({"symbol": snap.symbols.tolist(), "first_date": first, "last_date": last,
                                 "data_kind": kind})
        cur = self.cursor()
        try:
            c = cur.sql(f"SELECT symbol, min(date) AS first_date, max(date) AS last_date, "
                        f"'{kind}' AS data_kind FROM {ds.view} GROUP BY symbol").to_arrow_table()
        finally:
            cur.close()
        return _to_pandas(c)

    def resolve(self, symbol: str) -> dict[str, Any]:
        """Normalise ``symbol`` and return its instrument row; UnknownSymbol when the store lacks it."""
        sym = normalize_symbol(symbol)
        rec = self._instruments()[1].get(sym)
        if rec is None:
            raise UnknownSymbol(f"未知代码 {sym}: 存储中没有该代码的数据 (unknown symbol {sym})",
                                "用 jlq data symbols 查看可用代码，或先 jlq data import 导入数据")
        return dict(rec)

    def search(self, q: str = "", kind: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        inst = self.instruments()
        if kind:
            kind = parse_enum(Kind, kind, "kind", Kind.STOCK).value
            inst = inst[inst["kind"] == kind]
        q = (q or "").strip()
        if q:
            qu = q.upper()
            by_code = inst["symbol"].str.startswith(qu) | inst["code"].fillna("").str.startswith(qu)
            by_name = inst["name"].fillna("").str.contains(q, regex=False)
            inst = pd.concat([inst[by_code], inst[by_name & ~by_code]])
        out = []
        for rec in inst.head(max(1, min(int(limit), 500))).to_dict("records"):
            out.append({"symbol": rec["symbol"], "code": rec.get("code") or rec["symbol"].split(".")[0],
                        "name": rec.get("name") if isinstance(rec.get("name"), str) else "",
                        "kind": rec.get("kind"), "exchange": rec["symbol"].split(".")[-1],
                        "board": rec.get("board") if isinstance(rec.get("board"), str) else "",
                        "first_date": _iso(rec.get("first_date")), "last_date": _iso(rec.get("last_date"))})
        return out

    def warm(self) -> None:
        """Open what the first K-line request needs (views, instruments, daily snapshots, factors)."""
        self.instruments()
        for ds in DAILY_BY_KIND.values():
            if self.hot_cache and self.store.manifest(ds.name).files:
                self.snapshot(ds)
        self.factors("")

    def coverage(self) -> list[tuple[str, int, str | None, str | None]]:
        """(dataset, rows, first, last) for every dataset; dates as YYYY-MM-DD (None when empty/undated)."""
        out = []
        for ds in DATASETS.values():
            rows = self.store.manifest(ds.name).rows
            first = last = None
            if rows and ds.time_column:
                cur = self.cursor()
                try:
                    t = ds.time_column
                    lo, hi = cur.sql(f"SELECT min({t}), max({t}) FROM {ds.view}").fetchall()[0]
                finally:
                    cur.close()
                first, last = _iso(lo), _iso(hi)
            out.append((ds.name, rows, first, last))
        return out

    # ---- snapshots and factors ------------------------------------------------------------
    def snapshot(self, ds: Dataset) -> Snapshot:
        token = self.store.manifest_token(ds.name)
        with self._lock:
            hit = self._snaps.get(ds.name)
            if hit and hit[0] == token:
                return hit[1]
            snap = open_snapshot(self.store, ds)
            self._snaps[ds.name] = (token, snap)
            return snap

    def factors(self, symbol: str) -> tuple[np.ndarray, np.ndarray]:
        """(epoch days, cumulative factor) of a symbol's ex-dates; empty arrays when it has none."""
        token = self.store.manifest_token("adj_factors")
        with self._lock:
            if self._factor_cache is None or self._factor_cache[0] != token:
                t = self.store.read("adj_factors").sort_by([("symbol", "ascending"), ("date", "ascending")])
                df = _to_pandas(t)
                cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
                for sym, g in df.groupby("symbol", sort=False):
                    days = g["date"].to_numpy("datetime64[D]").astype(np.int64)
                    cache[str(sym)] = (days, g["factor"].to_numpy(np.float64))
                self._factor_cache = (token, cache)
            empty = (np.empty(0, np.int64), np.empty(0, np.float64))
            return self._factor_cache[1].get(symbol, empty)

    # ---- bars -----------------------------------------------------------------------------
    def dataset_for(self, kind: str | None, freq: Freq) -> Dataset:
        if freq is not Freq.D1:
            return BARS_1M
        return DAILY_BY_KIND.get(kind or "stock", DAILY_BY_KIND["stock"])

    def bars(self, symbol: str, start: str | dt.date | None = None, end: str | dt.date | None = None,
             adjust: str | Adjust = Adjust.NONE, freq: str | Freq = Freq.D1) -> pd.DataFrame:
        """Bars of one symbol in [start, end]; prices adjusted by ``adjust``; volume always in shares."""
        s, e = parse_range(start, end)
        adj = parse_enum(Adjust, adjust, "adjust", Adjust.NONE)
        fq = parse_enum(Freq, freq, "freq", Freq.D1)
        inst = self.resolve(symbol)
        sym = inst["symbol"]
        ds = self.dataset_for(inst.get("kind"), fq)  # type: ignore[arg-type]
        df = self._read_symbol(ds, sym, s, e)
        if df.empty:
            cover = self._coverage_text(ds, sym)
            raise NoData(f"{sym} 在 {s or '最早'} 至 {e or '最新'} 没有{'日线' if fq is Freq.D1 else '分钟'}数据"
                         f" (no {fq.value} bars in range; {cover})",
                         "调整日期范围，或先导入/更新该代码的数据")
        if fq is Freq.M5:
            df = resample_minutes(df, 5)
        if adj is not Adjust.NONE:
            df = self._adjust(df, sym, adj, ds)
        return df

    def last_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        """Each symbol's last stored daily bar as a ``Quote`` timed 15:00 of that day (NaN price when that
        bar is a suspension). Unknown symbols and symbols without bars are left out."""
        out: dict[str, Quote] = {}
        names: dict[str, str] = {}
        try:
            inst = self.instruments()
            names = dict(zip(inst["symbol"], inst["name"].fillna(""), strict=False))
        except Exception:  # names are decoration only
            names = {}
        for sym in symbols:
            try:
                info = self.resolve(sym)
            except QuantError:
                continue
            df = self._read_symbol(self.dataset_for(info.get("kind"), Freq.D1), info["symbol"], None, None)
            if df.empty:
                continue
            r = df.iloc[-1]
            traded = float(r.get("volume", 0) or 0) > 0 and int(r.get("trade_status", 1) or 1) != 0
            when = dt.datetime.combine(pd.Timestamp(r["date"]).date(), dt.time(15, 0))
            pc = r.get("preclose")
            out[sym] = Quote(sym, float(r["close"]) if traded else math.nan,
                             float(pc) if pc is not None and not pd.isna(pc) else math.nan, when,
                             float(r["open"]), float(r["high"]), float(r["low"]), int(r.get("volume", 0) or 0),
                             float(r.get("amount") or 0.0) if not pd.isna(r.get("amount")) else 0.0,
                             str(names.get(sym, "") or ""))
        return out

    def _coverage_text(self, ds: Dataset, sym: str) -> str:
        whole = self._read_symbol(ds, sym, None, None)
        if whole.empty:
            return f"the store has no {ds.name} rows for it"
        t = ds.time_column or "date"
        return f"data covers {whole[t].iloc[0]:%Y-%m-%d} … {whole[t].iloc[-1]:%Y-%m-%d}"

    def _read_symbol(self, ds: Dataset, sym: str, s: dt.date | None, e: dt.date | None) -> pd.DataFrame:
        minute = ds.time_column == "ts"
        lo = _seconds(s) if minute else _days(s)
        hi = _seconds(e, end=True) if minute else _days(e)
        if self.hot_cache:
            snap = self.snapshot(ds)
            rng = snap.rows_of(sym, lo, hi)
            if rng is None:
                return _to_pandas(ds.schema.empty_table())
            return _to_pandas(snap.table.slice(rng[0], rng[1] - rng[0]))
        cond, params = ["symbol = ?"], [sym]
        if s:
            cond.append(f"{ds.time_column} >= ?")
            params.append(s if not minute else dt.datetime.combine(s, dt.time()))  # type: ignore[arg-type]
        if e:
            cond.append(f"{ds.time_column} <= ?")
            params.append(e if not minute else dt.datetime.combine(e, dt.time(23, 59, 59)))  # type: ignore[arg-type]
        cur = self.cursor()
        try:
            t = cur.sql(f"SELECT * FROM {ds.view} WHERE {' AND '.join(cond)} ORDER BY {ds.time_column}",
                        params=params).to_arrow_table()
        finally:
            cur.close()
        return _to_pandas(t.cast(ds.schema))

    def _adjust(self, df: pd.DataFrame, sym: str, adj: Adjust, ds: Dataset) -> pd.DataFrame:
        fdays, fvals = self.factors(sym)
        if len(fdays) == 0:
            return df
        t = df[ds.time_column or "date"].to_numpy("datetime64[D]").astype(np.int64)
        idx = np.searchsorted(fdays, t, side="right") - 1
        f = np.where(idx >= 0, fvals[np.clip(idx, 0, None)], fvals[0])
        if adj is Adjust.QFQ:
            f = f / fvals[-1]
        out = df.copy()
        for c in PRICE_COLS:
            if c in out.columns:
                out[c] = out[c].to_numpy(np.float64) * f
        return out

    def bars_many(self, symbols: list[str], start: str | dt.date | None = None, end: str | dt.date | None = None,
                  adjust: str | Adjust = Adjust.NONE, freq: str | Freq = Freq.D1) -> pd.DataFrame:
        frames = [self.bars(s, start, end, adjust, freq) for s in symbols]
        return pd.concat(frames, ignore_index=True)

    # ---- cross-sections and universe scans ------------------------------------------------
    def cross_section(self, date: str | dt.date, kind: str = "stock") -> pd.DataFrame:
        """All symbols' bars on one date (unadjusted)."""
        d, _ = parse_range(date, None)
        if d is None:
            raise InvalidInput("缺少日期 (date required)", "例如 2020-03-02")
        ds = DAILY_BY_KIND.get(parse_enum(Kind, kind, "kind", Kind.STOCK).value, DAILY_BY_KIND["stock"])
        if self.hot_cache:
            snap = self.snapshot(ds)
            rows = snap.rows_at(_days(d))  # type: ignore[arg-type]
            df = _to_pandas(snap.table.take(pa.array(rows)))
        else:
            cur = self.cursor()
            try:
                df = _to_pandas(cur.sql(f"SELECT * FROM {ds.view} WHERE date = ? ORDER BY symbol",
                                        params=[d]).to_arrow_table().cast(ds.schema))
            finally:
                cur.close()
        if df.empty:
            raise NoData(f"{d} 没有 {kind} 行情 (no bars on that date; not a trading day or not imported)",
                         "换一个交易日，或先导入该日数据")
        return df

    def universe_returns(self, window: int = 20, kind: str = "stock") -> pd.DataFrame:
        """``window``-bar close-to-close return for every symbol on every date (NaN for the first bars)."""
        if window < 1:
            raise InvalidInput(f"window 必须 ≥ 1: {window}", "例如 20")
        ds = DAILY_BY_KIND.get(kind, DAILY_BY_KIND["stock"])
        snap = self.snapshot(ds)
        close = column_f64(snap, "close")
        n = len(close)
        ret = np.empty(n)
        if n > window:
            np.divide(close[window:], close[:-window], out=ret[window:])
            np.subtract(ret[window:], 1.0, out=ret[window:])
        # the first `window` rows of each symbol look back into the previous symbol: blank them
        heads = (snap.starts[:-1, None] + np.arange(window)[None, :])
        heads = heads[heads < snap.starts[1:, None]]
        ret[heads] = np.nan
        counts = np.diff(snap.starts)
        codes = np.repeat(np.arange(len(snap.symbols), dtype=np.int32), counts)
        sym = pd.Categorical.from_codes(codes, categories=pd.Index(snap.symbols.tolist()))
        dates = np.multiply(snap.times, 86400).view("datetime64[s]")
        return pd.DataFrame({"symbol": sym, "date": dates, f"ret_{window}": ret}, copy=False)


def resample_minutes(df: pd.DataFrame, minutes: int) -> pd.DataFrame:
    """Aggregate 1-minute bars (ts = bar end) into ``minutes`` bars labelled by their end time."""
    key = df["ts"].dt.ceil(f"{minutes}min")
    g = df.groupby([df["symbol"], key], sort=True)
    out = g.agg(open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last"),
                volume=("volume", "sum"), amount=("amount", lambda s: s.sum(min_count=1)))
    return out.reset_index()


def _iso(v: Any) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return pd.Timestamp(v).strftime("%Y-%m-%d")
