#!/usr/bin/env python
"""Build the embedded sample dataset (data/sample/*.parquet) and the small test fixtures.

Reads the curated public market-data collection (default ``../shared/data/market`` relative to the
repository root) ONLY at build time; the product reads nothing but the files this script writes.
Every input, derivation and check is documented in the generated ``data/sample/SOURCES.md``
and ``tests/fixtures/SOURCES.md``.

Usage::

    .venv/bin/python scripts/build_sample.py [SRC] [--out data/sample] [--fixtures tests/fixtures]
                                             [--no-fixtures] [--quiet]

Deterministic: the same source folder gives the same table contents on every run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SRC = REPO.parent / "shared" / "data" / "market"

# --------------------------------------------------------------------------------------------
# Output schemas (must match jupyterlab_quant/data/schema.py; checked at the end if importable)
# --------------------------------------------------------------------------------------------
F64, I64, STR = pa.float64(), pa.int64(), pa.string()


def _f(name: str, typ: pa.DataType, nullable: bool = True) -> pa.Field:
    return pa.field(name, typ, nullable=nullable)


_OHLC = [_f("open", F64, False), _f("high", F64, False), _f("low", F64, False), _f("close", F64, False)]
SCHEMAS: dict[str, pa.Schema] = {
    "stock_1d": pa.schema([
        _f("symbol", STR, False), _f("date", pa.date32(), False), *_OHLC, _f("preclose", F64),
        _f("volume", I64, False), _f("amount", F64), _f("turnover", F64),
        _f("trade_status", pa.int8(), False), _f("is_st", pa.bool_(), False)]),
    "valuation_1d": pa.schema([
        _f("symbol", STR, False), _f("date", pa.date32(), False), _f("pe_ttm", F64), _f("pb_mrq", F64),
        _f("ps_ttm", F64), _f("pcf_ttm", F64)]),
    "adj_factors": pa.schema([
        _f("symbol", STR, False), _f("date", pa.date32(), False), _f("factor", F64, False)]),
    "index_1d": pa.schema([
        _f("symbol", STR, False), _f("date", pa.date32(), False), *_OHLC, _f("preclose", F64),
        _f("volume", I64, False), _f("amount", F64)]),
    "etf_1d": pa.schema([
        _f("symbol", STR, False), _f("date", pa.date32(), False), *_OHLC, _f("preclose", F64),
        _f("volume", I64, False), _f("amount", F64)]),
    "futures_1d": pa.schema([
        _f("symbol", STR, False), _f("date", pa.date32(), False), *_OHLC, _f("settle", F64),
        _f("volume", I64, False), _f("open_interest", I64), _f("amount", F64)]),
    "minute_1m": pa.schema([
        _f("symbol", STR, False), _f("ts", pa.timestamp("s"), False), *_OHLC,
        _f("volume", I64, False), _f("amount", F64)]),
    "instruments": pa.schema([
        _f("symbol", STR, False), _f("code", STR, False), _f("exchange", STR, False), _f("name", STR),
        _f("kind", STR, False), _f("board", STR, False), _f("list_date", pa.date32()),
        _f("delist_date", pa.date32()), _f("is_st", pa.bool_(), False)]),
}
# dataset name in jupyterlab_quant.data.schema for each output file
PRODUCT_DATASET = {"stock_1d": "bars_1d", "valuation_1d": "valuation_1d", "adj_factors": "adj_factors",
                   "index_1d": "index_1d", "etf_1d": "etf_1d", "futures_1d": "futures_1d",
                   "minute_1m": "bars_1m", "instruments": "instruments"}

# --------------------------------------------------------------------------------------------
# Selections
# --------------------------------------------------------------------------------------------
QFQ_START = "2010-01-04"          # first date of the akshare Sina qfq series
ETF_CODES = ["510300", "510500", "159915", "518880", "588000", "511360"]
FUTURES = [  # (root, exchange, file) — akshare Sina main-continuous "0" series
    ("RB", "SHFE", "RB.csv"), ("CU", "SHFE", "CU.csv"), ("AU", "SHFE", "AU.csv"),
    ("M", "DCE", "M.csv"), ("I", "DCE", "I.csv"), ("SC", "INE", "SC.csv")]
INDEXES = [  # (symbol, name, baostock file, akshare sina file or None)
    ("000001.SH", "上证指数", "sh.000001.csv", "sh000001.csv"),
    ("000300.SH", "沪深300", "sh.000300.csv", "sh000300.csv"),
    ("399106.SZ", "深证综指", "sz.399106.csv", None)]
# Well-known current short names for stocks absent from the 2016 tushare snapshot (later IPOs).
LATER_IPO_NAMES = {"300750": "宁德时代", "301269": "华大九天", "601136": "首创证券", "603259": "药明康德",
                   "603392": "万泰生物", "605117": "德业股份", "688126": "沪硅产业", "688256": "寒武纪",
                   "688981": "中芯国际"}
IF_NAME = "沪深300股指期货"  # not in any source file; well-known contract name
MINUTE_ZIP_DAYS = ("2016-01-04", "2016-01-15")

# Source repositories (repo, commit, licence) — copied from the source collection's SOURCES.md.
REPOS = {
    "ohlcv": ("ytliu74/Strategy_Optimizer", "8c5bcd68a9c021fd0d5a7a468718c76488a9cbcd",
              "MIT (Copyright (c) 2021 CancerHenry)"),
    "valuation": ("wywzxxz/proof-that-stock-is-predictable", "085a5d4116b49dd574109bb993f97cfec220de6f",
                  "none stated in repo"),
    "sina_qfq": ("IdealAuror/trader-vic-strategy", "2ffccfd4255f532a96eb1e5d97a76389c9bd1c53",
                 "none stated in repo"),
    "index_sina": ("IdealAuror/trader-vic-strategy", "2ffccfd4255f532a96eb1e5d97a76389c9bd1c53",
                   "none stated in repo"),
    "index_baostock": ("ytliu74/Strategy_Optimizer", "8c5bcd68a9c021fd0d5a7a468718c76488a9cbcd",
                       "MIT (Copyright (c) 2021 CancerHenry)"),
    "etf": ("MKY508/mcp-cn-a-stock", "d7a31839f14ab2176f0284c0844047068d97c21b", "none stated in repo"),
    "futures_sina": ("EileenClara/quantitative-trading", "335b6ee975f073b5306b5979483b556f6b3744b3",
                     "MIT (Copyright (c) 2015-present, Xiaoyou Chen)"),
    "futures_wtpy": ("ZzzzHeJ/wtpy_learning_demo", "c59d27e0b479698804ebd1bf51288b845f4a57c5",
                     "MIT (upstream wondertrader/wtpy, Copyright (c) 2020 wondertrader); the copy carries no LICENSE"),
    "minute_csv": ("waditu/czsc", "5999cafaee7a727b3c9ad1921155574afbf9767a",
                   "MIT (Copyright (c) 2019 zengbin93) at that commit"),
    "minute_zip": ("waditu/czsc", "8d31e1f90b65321813fc932b3afd89c414f24b8b", "Apache-2.0 at that commit"),
    "tushare": ("wengowl/stock", "aff60d402352bacbff4a9a4acf5db0f6304353c3", "none stated in repo"),
    "em_2023": ("lixiaodog/A-backtest", "d49e66fb4606b3b9944e65c604086d0a0a00ba5c", "none stated in repo"),
    "sina_raw": ("PandOvo/quant-backtest-portfolio_akshare", "ad9476206b06ecf36ae46d30e1febd594d67ecab",
                 "none stated in repo"),
}

LOG: list[str] = []
EMPTY_SUSP_VOLUME: dict[str, int] = {}
QUIET = False


def log(msg: str = "") -> None:
    LOG.append(msg)
    if not QUIET:
        print(msg)


def round_half_up(x: float, tol_cents: float = 0.01) -> float:
    """Round a price to 0.01 CNY half-up (exchange practice for reference prices).

    ``tol_cents`` lets values estimated a hair below the .5-cent mark (estimation noise of the
    factor step) round up as the exchange would round the exact value.
    """
    return math.floor(x * 100.0 + 0.5 + tol_cents) / 100.0


def to_symbol(bs_code: str) -> str:
    """'sh.600519' -> '600519.SH'."""
    ex, code = bs_code.split(".")
    return f"{code}.{ex.upper()}"


# --------------------------------------------------------------------------------------------
# Stocks: merge raw OHLCV (2005-2021) with raw valuation set (2020-2025)
# --------------------------------------------------------------------------------------------
def load_stock_raw(src: Path) -> dict[str, pd.DataFrame]:
    ohlcv_dir = src / "cn_stock_daily" / "baostock_raw_ohlcv"
    val_dir = src / "cn_stock_daily" / "baostock_raw_valuation"
    codes = sorted({p.stem for p in ohlcv_dir.glob("*.csv")} | {p.stem for p in val_dir.glob("*.csv")})
    out: dict[str, pd.DataFrame] = {}
    for code in codes:
        parts = []
        vf, of = val_dir / f"{code}.csv", ohlcv_dir / f"{code}.csv"
        v = None
        if vf.exists():
            v = pd.read_csv(vf, dtype={"date": str, "code": str})
            v = v.sort_values("date", kind="mergesort").reset_index(drop=True)
            # some suspended rows have an empty volume cell: a suspended day traded nothing → 0
            assert not (v["volume"].isna() & (v["tradestatus"] == 1)).any(), code
            n_empty = int(v["volume"].isna().sum())
            if n_empty:
                EMPTY_SUSP_VOLUME[to_symbol(code)] = n_empty
            v["volume"] = v["volume"].fillna(0).astype("int64")
            v = pd.DataFrame({
                "date": v["date"], "open": v["open"], "high": v["high"], "low": v["low"],
                "close": v["close"], "preclose": v["preclose"], "volume": v["volume"],
                "amount": v["amount"], "turnover": v["turn"], "trade_status": v["tradestatus"],
                "is_st": v["isST"].astype(bool), "pe_ttm": v["peTTM"], "pb_mrq": v["pbMRQ"],
                "ps_ttm": v["psTTM"], "pcf_ttm": v["pcfNcfTTM"], "src": "valuation"})
        if of.exists():
            o = pd.read_csv(of, dtype={"date": str})
            if v is not None:  # where both cover a date, the valuation set's row wins
                o = o[~o["date"].isin(set(v["date"]))]
            o = pd.DataFrame({
                "date": o["date"], "open": o["open"], "high": o["high"], "low": o["low"],
                "close": o["close"], "preclose": np.nan, "volume": o["volume"], "amount": np.nan,
                "turnover": np.nan, "trade_status": (o["volume"] > 0).astype(int), "is_st": False,
                "pe_ttm": np.nan, "pb_mrq": np.nan, "ps_ttm": np.nan, "pcf_ttm": np.nan, "src": "ohlcv"})
            parts.append(o)
        if v is not None:
            parts.append(v)
        df = pd.concat(parts, ignore_index=True).sort_values("date", kind="mergesort").reset_index(drop=True)
        assert not df["date"].duplicated().any(), code
        out[code] = df
    return out


def check_overlap(src: Path) -> dict[str, int]:
    """Where raw OHLCV and valuation both cover a date, are the prices/volumes identical?"""
    ohlcv_dir = src / "cn_stock_daily" / "baostock_raw_ohlcv"
    val_dir = src / "cn_stock_daily" / "baostock_raw_valuation"
    n_rows = n_diff = n_sym = 0
    for of in sorted(ohlcv_dir.glob("*.csv")):
        vf = val_dir / of.name
        if not vf.exists():
            continue
        n_sym += 1
        m = pd.read_csv(of, dtype={"date": str}).merge(pd.read_csv(vf, dtype={"date": str}), on="date",
                                                       suffixes=("", "_v"))
        n_rows += len(m)
        n_diff += int(((m.open != m.open_v) | (m.high != m.high_v) | (m.low != m.low_v)
                       | (m.close != m.close_v) | (m.volume != m.volume_v)).sum())
    return {"symbols": n_sym, "rows": n_rows, "differing": n_diff}


# --------------------------------------------------------------------------------------------
# Adjustment factors
# --------------------------------------------------------------------------------------------
@dataclass
class Event:
    date: str
    ratio: float            # factor_t / factor_{t-1} = close_{t-1} / preclose_t
    method: str             # a | b | c1 | c2
    note: str = ""


@dataclass
class SymbolFactors:
    events: list[Event] = field(default_factory=list)
    b_outliers: list[str] = field(default_factory=list)
    b_all: list[dict] = field(default_factory=list)     # every (b) step over the whole paired range
    up_gaps: list[str] = field(default_factory=list)    # unexplained upward gaps (not adjusted)


TICK = 0.01


def detect_qfq_steps(raw: pd.DataFrame, qfq: pd.DataFrame, look: int = 3) -> tuple[list[dict], list[str]]:
    """Change points of the (piecewise-constant) ratio qfq/raw, robust to the 0.01 rounding of qfq.

    Each traded day's four prices give an interval the true ratio c must lie in:
    c in [(q - 0.005)/raw, (q + 0.005)/raw]. A segment is extended while the intersection of its
    days' intervals stays non-empty; the first day that empties it starts a new segment (the
    ex-date) unless the next ``look`` days are all still compatible with the old segment, in which
    case the day is treated as a one-off data outlier. The step is the ratio of the segment
    mid-points.
    """
    m = raw.merge(qfq, on="date", suffixes=("", "_q"))
    m = m[m["trade_status"] == 1].reset_index(drop=True)
    if len(m) < 2:
        return [], []
    cols = ["open", "high", "low", "close"]
    R = m[cols].to_numpy(float)
    Q = m[[c + "_q" for c in cols]].to_numpy(float)
    lo = ((Q - TICK / 2 - 1e-6) / R).max(axis=1)
    hi = ((Q + TICK / 2 + 1e-6) / R).min(axis=1)
    n = len(m)
    segs: list[tuple[int, int, float, float]] = []
    outliers: list[str] = []
    s, L, H, i = 0, lo[0], hi[0], 1
    while i < n:
        nl, nh = max(L, lo[i]), min(H, hi[i])
        if nl <= nh:
            L, H = nl, nh
            i += 1
            continue
        ahead = range(i + 1, min(n, i + 1 + look))
        if len(ahead) == look:
            aL, aH, ok = L, H, True
            for j in ahead:
                aL, aH = max(aL, lo[j]), min(aH, hi[j])
                if aL > aH:
                    ok = False
                    break
            if ok:
                outliers.append(m.at[i, "date"])
                i += 1
                continue
        segs.append((s, i, L, H))
        s, L, H = i, lo[i], hi[i]
        i += 1
    segs.append((s, n, L, H))
    steps = []
    for a, b in itertools.pairwise(segs):
        ca, cb = (a[2] + a[3]) / 2, (b[2] + b[3]) / 2
        steps.append({"date": m.at[b[0], "date"], "prev_date": m.at[b[0] - 1, "date"], "step": cb / ca,
                      "width": max((a[3] - a[2]) / ca, (b[3] - b[2]) / cb)})
    return steps, outliers


def estimate_gap_ratio(pc: float, o: float, h: float, lo: float, c: float, prev_susp: bool) -> float:
    """(c2) heuristic ex-rights ratio prev_close / reference for a gap day with no adjusted reference.

    * one-price day (O=H=L=C): the stock sat at a limit all day, so the reference is price/1.1
      (limit-up) or price/0.9 (limit-down); take the candidate nearer to a round 1 + k/10.
    * otherwise prev_close / open, clamped to what the ±10 % limit allows (ref ∈ [high/1.1, low/0.9])
      unless the previous day was suspended (resumption days may have had no limit), then snapped
      to the nearest 1 + k/10 (10送/转 k) when within 3 %.
    """
    def grid_dist(x: float) -> float:
        return abs(x / (1 + round((x - 1) * 10) / 10) - 1)

    if o == h == lo == c:
        cands = [pc * 1.1 / c, pc * 0.9 / c]
        return min(cands, key=lambda x: (grid_dist(x), x))
    est = pc / o
    if not prev_susp:
        est = min(max(est, pc * 0.9 / lo), pc * 1.1 / h)
    snapped = 1 + round((est - 1) * 10) / 10
    if abs(snapped / est - 1) <= 0.03 and snapped > 1:
        est = snapped
    return est


def derive_factors(sym: str, df: pd.DataFrame, qfq: pd.DataFrame | None) -> SymbolFactors:
    """Ex-rights events for one stock. ``df`` is the merged raw frame (sorted by date)."""
    res = SymbolFactors()
    dates = df["date"].tolist()
    close = df["close"].to_numpy(float)
    pre_src = df["preclose"].to_numpy(float)
    vol = df["volume"].to_numpy()
    hi_ = df["high"].to_numpy(float)
    lo_ = df["low"].to_numpy(float)
    op_ = df["open"].to_numpy(float)
    idx = {d: i for i, d in enumerate(dates)}
    n = len(df)
    has_src_pre = ~np.isnan(pre_src)
    first_qfq = qfq["date"].iloc[0] if qfq is not None and len(qfq) else None

    # (a) exact from the exchange reference price
    for i in range(1, n):
        if has_src_pre[i]:
            r = close[i - 1] / pre_src[i]
            if abs(r - 1) > 1e-6:
                res.events.append(Event(dates[i], r, "a", f"close_prev={close[i-1]:.2f} preclose={pre_src[i]:.2f}"))

    # c1: suspended row whose price moved (baostock sets suspended O=H=L=C=preclose → ex-rights price)
    c1 = {}
    for i in range(1, n):
        if has_src_pre[i]:
            continue
        if vol[i] == 0 and close[i] != close[i - 1]:
            c1[i] = close[i - 1] / close[i]

    # (b) pair with Sina qfq over the whole paired range (only pre-source-preclose steps are used)
    b_used: set[int] = set()
    if qfq is not None:
        steps, outl = detect_qfq_steps(df, qfq)
        res.b_all = steps
        res.b_outliers = outl
        for st in steps:
            i = idx[st["date"]]
            if has_src_pre[i]:
                continue  # (a) covers it
            pc = close[i - 1]
            # ex-date inside a suspension run just before i? use the exact suspended-row jump(s)
            j0 = idx[st["prev_date"]] + 1
            jumps = [j for j in range(j0, i) if j in c1]
            if jumps:
                prod = float(np.prod([c1[j] for j in jumps]))
                for j in jumps:
                    res.events.append(Event(dates[j], c1[j], "c1", f"suspended-row jump; (b) step {st['step']:.6f}"))
                    b_used.add(j)
                resid = st["step"] / prod
                if abs(resid - 1) > 1e-3:
                    px = round_half_up(pc / resid)
                    res.events.append(Event(dates[i], pc / px, "b", "residual after suspended-row jump"))
                continue
            px = round_half_up(pc / st["step"])
            if px == pc:
                continue  # step too small to move the reference price by a cent
            res.events.append(Event(dates[i], pc / px, "b", f"qfq step {st['step']:.6f} → preclose {px:.2f}"))

    # (c) where neither a source preclose nor a paired qfq ratio exists
    def in_c_region(i: int) -> bool:
        if has_src_pre[i]:
            return False
        if first_qfq is None:
            return True
        # the first qfq day itself cannot show a (b) step: (c) covers it
        return dates[i] <= first_qfq

    for i, r in sorted(c1.items()):
        if i in b_used:
            continue
        if in_c_region(i) or qfq is None:
            res.events.append(Event(dates[i], r, "c1", "suspended-row price change (ex-rights reference)"))
        else:
            # inside the (b) region but (b) saw no step there — keep the exact jump, flag it
            res.events.append(Event(dates[i], r, "c1", "suspended-row jump not seen by (b)"))
    for i in range(1, n):
        if not in_c_region(i) or vol[i] == 0:
            continue
        pc = close[i - 1]
        prev_susp = vol[i - 1] == 0
        if hi_[i] < pc * 0.9 - 0.005:
            est = estimate_gap_ratio(pc, op_[i], hi_[i], lo_[i], close[i], prev_susp)
            px = round_half_up(pc / est)
            res.events.append(Event(dates[i], pc / px, "c2",
                                    f"gap below −10 % limit (open {op_[i]:.2f} vs prev close {pc:.2f}"
                                    f"{', after suspension' if prev_susp else ''}); ratio ≈ {est:.2f}"))
        elif lo_[i] > pc * 1.1 + 0.005:
            res.up_gaps.append(dates[i])
    res.events.sort(key=lambda e: e.date)
    ds = [e.date for e in res.events]
    assert len(ds) == len(set(ds)), (sym, ds)
    return res


def factor_table(sym: str, df: pd.DataFrame, ev: list[Event]) -> pd.DataFrame:
    rows = [(df["date"].iloc[0], 1.0)]
    f = 1.0
    for e in ev:
        f *= e.ratio
        rows.append((e.date, f))
    return pd.DataFrame({"symbol": sym, "date": [r[0] for r in rows], "factor": [r[1] for r in rows]})


def fill_preclose(df: pd.DataFrame, ev: list[Event]) -> pd.Series:
    ratio = {e.date: e.ratio for e in ev}
    close = df["close"].to_numpy(float)
    pre = df["preclose"].to_numpy(float).copy()
    dates = df["date"].tolist()
    for i in range(len(df)):
        if not np.isnan(pre[i]):
            continue
        if i == 0:
            pre[i] = df["open"].iloc[0]
            continue
        r = ratio.get(dates[i], 1.0)
        pre[i] = close[i - 1] if r == 1.0 else round_half_up(close[i - 1] / r, tol_cents=1e-6)
    return pd.Series(pre, index=df.index)


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------
def build_stocks(src: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    raw = load_stock_raw(src)
    qfq_dir = src / "cn_stock_daily" / "akshare_sina_qfq"
    stock_parts, val_parts, fac_parts = [], [], []
    report: dict = {"per_symbol": {}, "ab": [], "c2_calib": [], "b_outliers": 0, "up_gaps": {}}
    for code, df in raw.items():
        sym = to_symbol(code)
        qf = qfq_dir / f"{code[3:]}.csv"
        qfq = None
        if qf.exists():
            qfq = pd.read_csv(qf, encoding="utf-8-sig", dtype={"date": str})
            qfq = qfq.rename(columns={c: c for c in qfq.columns})[["date", "open", "high", "low", "close"]]
        sf = derive_factors(sym, df, qfq)
        # (a) vs (b) agreement where both exist (every (b) step on a day with a source preclose)
        a_ev = {e.date: e for e in sf.events if e.method == "a"}
        if qfq is not None:
            src_pre = dict(zip(df["date"], df["preclose"].notna(), strict=True))
            b_post = {s["date"]: s for s in sf.b_all if src_pre[s["date"]]}
            pcs = df.set_index("date")["close"].shift(1)
            for d in sorted(set(a_ev) | set(b_post)):
                if d < (qfq["date"].iloc[0]):
                    continue
                rec = {"symbol": sym, "date": d, "a": a_ev[d].ratio if d in a_ev else None,
                       "b": b_post[d]["step"] if d in b_post else None}
                if rec["a"] is not None and rec["b"] is not None:
                    pc = pcs[d]
                    rec["pre_a"] = round(pc / rec["a"], 2)
                    rec["pre_b"] = round_half_up(pc / rec["b"])
                report["ab"].append(rec)
            # (c2) heuristic calibration: apply the c2 estimator wherever a known (a)/(b) step exists
            known = {**{s["date"]: s["step"] for s in sf.b_all}, **{d: e.ratio for d, e in a_ev.items()}}
            close, vol = df["close"].to_numpy(float), df["volume"].to_numpy()
            for i in range(1, len(df)):
                d = df["date"].iat[i]
                pc = close[i - 1]
                if vol[i] == 0 or not (df["high"].iat[i] < pc * 0.9 - 0.005) or d not in known:
                    continue
                est = estimate_gap_ratio(pc, df["open"].iat[i], df["high"].iat[i], df["low"].iat[i],
                                         close[i], vol[i - 1] == 0)
                report["c2_calib"].append({"symbol": sym, "date": d, "true": known[d], "est": est})
        report["b_outliers"] += len(sf.b_outliers)
        if sf.up_gaps:
            report["up_gaps"][sym] = sf.up_gaps
        counts = {k: sum(e.method == k for e in sf.events) for k in ("a", "b", "c1", "c2")}
        report["per_symbol"][sym] = {"counts": counts, "events": sf.events, "has_qfq": qfq is not None,
                                     "b_outliers": sf.b_outliers,
                                     "first": df["date"].iloc[0], "last": df["date"].iloc[-1],
                                     "rows": len(df)}
        df = df.copy()
        df["preclose"] = fill_preclose(df, sf.events)
        df.insert(0, "symbol", sym)
        stock_parts.append(df)
        fac_parts.append(factor_table(sym, df, sf.events))
        v = df[df["src"] == "valuation"][["symbol", "date", "pe_ttm", "pb_mrq", "ps_ttm", "pcf_ttm"]]
        if len(v):
            val_parts.append(v)
    stock = pd.concat(stock_parts, ignore_index=True)
    val = pd.concat(val_parts, ignore_index=True)
    fac = pd.concat(fac_parts, ignore_index=True)
    return stock, val, fac, report


def build_index(src: Path) -> tuple[pd.DataFrame, dict]:
    parts, rep = [], {}
    for sym, _name, bf, sf in INDEXES:
        b = pd.read_csv(src / "cn_index_daily" / "baostock" / bf, dtype={"date": str})
        df = b[["date", "open", "high", "low", "close", "volume"]]
        if sf:
            s = pd.read_csv(src / "cn_index_daily" / "akshare_sina" / sf, dtype={"date": str})
            ov = b.merge(s, on="date", suffixes=("", "_s"))
            rep[sym] = {"overlap_days": len(ov),
                        "vol_ratio_min": float((ov.volume_s / ov.volume).min()),
                        "vol_ratio_max": float((ov.volume_s / ov.volume).max()),
                        "max_abs_price_diff": float(max((ov[c] - ov[c + "_s"]).abs().max()
                                                        for c in ("open", "high", "low", "close")))}
            ext = s[s["date"] > b["date"].max()][["date", "open", "high", "low", "close", "volume"]]
            df = pd.concat([df, ext], ignore_index=True)
        df = df.sort_values("date", kind="mergesort").reset_index(drop=True)
        df["preclose"] = df["close"].shift(1)
        df["amount"] = np.nan
        df.insert(0, "symbol", sym)
        parts.append(df)
    return pd.concat(parts, ignore_index=True), rep


def build_etf(src: Path) -> tuple[pd.DataFrame, dict]:
    d0 = src / "cn_etf_daily" / "akshare_em_qfq"
    parts, rep = [], {}
    for code in ETF_CODES:
        e = pd.read_csv(d0 / f"{code}.csv", dtype={"date": str, "code": str})
        e = e.sort_values("date", kind="mergesort").reset_index(drop=True)
        px = e[["open", "high", "low", "close"]]
        nonpos = int((px <= 0).sum().sum())
        if nonpos:
            raise SystemExit(f"ETF {code} has {nonpos} non-positive qfq prices; pick another")
        ratio = float((e["amount"] / (e["volume"] * 100 * e["close"])).median())
        rep[code] = {"rows": len(e), "nonpos": nonpos, "median_amount_over_vol100_close": ratio}
        sym = f"{code}.{'SH' if code[0] in '5' else 'SZ'}"
        df = pd.DataFrame({"symbol": sym, "date": e["date"], "open": e["open"], "high": e["high"],
                           "low": e["low"], "close": e["close"], "preclose": e["close"].shift(1),
                           "volume": e["volume"].astype("int64") * 100, "amount": e["amount"]})
        parts.append(df)
    return pd.concat(parts, ignore_index=True), rep


def build_futures(src: Path) -> tuple[pd.DataFrame, dict]:
    d0 = src / "cn_futures_daily" / "akshare_sina"
    parts, rep = [], {}
    for root, ex, fn in FUTURES:
        f = pd.read_csv(d0 / fn, dtype={"date": str}).sort_values("date", kind="mergesort")
        rep[f"{root}0.{ex}"] = {"settle_zero": f.loc[f.settle == 0, "date"].tolist()}
        parts.append(pd.DataFrame({
            "symbol": f"{root}0.{ex}", "date": f["date"], "open": f["open"], "high": f["high"], "low": f["low"],
            "close": f["close"], "settle": f["settle"].where(f["settle"] != 0), "volume": f["volume"].astype("int64"),
            "open_interest": f["hold"].astype("int64"), "amount": np.nan}))
    w = pd.read_csv(src / "cn_futures_daily" / "wtpy" / "CFFEX.IF.HOT_d.csv", encoding="utf-8-sig")
    assert (w["volume"] % 1 == 0).all() and (w["open_interest"] % 1 == 0).all()
    w["date"] = pd.to_datetime(w["date"], format="%Y/%m/%d").dt.strftime("%Y-%m-%d")
    w = w.sort_values("date", kind="mergesort")
    rep["IF0.CFFEX"] = {"settle_zero": w.loc[w.settlement == 0, "date"].tolist(),
                        "median_amount_over_vol_close_300": float((w.turnover / (w.volume * w.close * 300)).median())}
    parts.append(pd.DataFrame({
        "symbol": "IF0.CFFEX", "date": w["date"], "open": w["open"], "high": w["high"], "low": w["low"],
        "close": w["close"], "settle": w["settlement"].where(w["settlement"] != 0),
        "volume": w["volume"].astype("int64"), "open_interest": w["open_interest"].astype("int64"),
        "amount": w["turnover"]}))
    return pd.concat(parts, ignore_index=True), rep


def build_minute(src: Path) -> tuple[pd.DataFrame, dict]:
    d0 = src / "cn_index_minute" / "czsc"
    z = pd.read_csv(d0 / "000001.XSHG_1min.zip", dtype={"dt": str})
    day = z["dt"].str[:10]
    z = z[(day >= MINUTE_ZIP_DAYS[0]) & (day <= MINUTE_ZIP_DAYS[1])]
    c = pd.read_csv(d0 / "000001.XSHG_1MIN.csv", dtype={"dt": str})
    m = pd.concat([z[["dt", "open", "high", "low", "close", "vol"]], c[["dt", "open", "high", "low", "close", "vol"]]],
                  ignore_index=True)
    assert (m["vol"] % 1 == 0).all()
    m = m.sort_values("dt", kind="mergesort").reset_index(drop=True)
    assert not m["dt"].duplicated().any()
    df = pd.DataFrame({"symbol": "000001.SH", "ts": pd.to_datetime(m["dt"], format="%Y-%m-%d %H:%M:%S"),
                       "open": m["open"], "high": m["high"], "low": m["low"], "close": m["close"],
                       "volume": m["vol"].astype("int64"), "amount": np.nan})
    bars = df.groupby(df["ts"].dt.strftime("%Y-%m-%d")).size()
    # daily cross-check against baostock SSE Composite
    b = pd.read_csv(src / "cn_index_daily" / "baostock" / "sh.000001.csv", dtype={"date": str}).set_index("date")
    g = df.groupby(df["ts"].dt.strftime("%Y-%m-%d"))
    chk = pd.DataFrame({"vol_1m": g["volume"].sum(), "close_1m": g["close"].last()})
    chk["vol_1d"] = b["volume"].reindex(chk.index)
    chk["close_1d"] = b["close"].reindex(chk.index)
    return df, {"bars_per_day": bars.to_dict(), "check": chk}


def build_instruments(src: Path, stock: pd.DataFrame, idx: pd.DataFrame, etf: pd.DataFrame,
                      fut: pd.DataFrame, minute: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    sb = pd.read_csv(src / "cn_fundamentals" / "tushare_legacy" / "stock_basics.csv", dtype={"code": str})
    sb = sb.drop_duplicates("code").set_index("code")
    etf_names = pd.read_csv(src / "cn_etf_daily" / "akshare_em_qfq" / "_codes.csv",
                            dtype={"code": str}).set_index("code")["name"]
    fut_idx = json.loads((src / "cn_futures_daily" / "akshare_sina" / "_index.json").read_text(encoding="utf-8"))
    qfq_dir = src / "cn_stock_daily" / "akshare_sina_qfq"
    rows, notes = [], {"name_from_tushare": 0, "name_later_ipo": [], "list_date_from_data": {}}

    def board_of(code: str, ex: str) -> str:
        if ex == "BJ" or code[:2] in ("43", "83", "87", "88", "92"):
            return "bse"
        if code[:3] in ("688", "689"):
            return "star"
        if code[:3] in ("300", "301", "302"):
            return "chinext"
        if code[:3] in ("600", "601", "603", "605", "000", "001", "002", "003"):
            return "main"
        raise ValueError(code)

    for sym, g in stock.groupby("symbol", sort=True):
        code, ex = sym.split(".")
        if code in sb.index:
            name = sb.at[code, "name"]
            ttm = int(sb.at[code, "timeToMarket"])
            list_date = pd.Timestamp(str(ttm)).date() if ttm else None
            notes["name_from_tushare"] += 1
        else:
            name = LATER_IPO_NAMES[code]
            first = g["date"].iloc[0]
            if first == "2020-01-02":  # data window start, not the IPO: use the qfq series' first day
                q = pd.read_csv(qfq_dir / f"{code}.csv", encoding="utf-8-sig", dtype={"date": str})
                first = q["date"].iloc[0]
                how = "first day of akshare_sina_qfq series (its IPO day)"
            else:
                how = "first row in data (IPO day)"
            list_date = pd.Timestamp(first).date()
            notes["name_later_ipo"].append(f"{code} {name}")
            notes["list_date_from_data"][sym] = f"{first} — {how}"
        rows.append({"symbol": sym, "code": code, "exchange": ex, "name": name, "kind": "stock",
                     "board": board_of(code, ex), "list_date": list_date, "delist_date": None,
                     "is_st": bool(g["is_st"].iloc[-1])})
    for sym, name, _b, _s in INDEXES:
        code, ex = sym.split(".")
        rows.append({"symbol": sym, "code": code, "exchange": ex, "name": name, "kind": "index", "board": "index",
                     "list_date": None, "delist_date": None, "is_st": False})
    for sym, g in etf.groupby("symbol", sort=True):
        code, ex = sym.split(".")
        rows.append({"symbol": sym, "code": code, "exchange": ex, "name": etf_names[code], "kind": "etf",
                     "board": "etf", "list_date": pd.Timestamp(g["date"].iloc[0]).date(), "delist_date": None,
                     "is_st": False})
    for sym in sorted(fut["symbol"].unique()):
        root, ex = sym.split(".")
        root = root[:-1]
        name = fut_idx[root]["name"] if root in fut_idx else IF_NAME
        rows.append({"symbol": sym, "code": root, "exchange": ex, "name": name, "kind": "futures",
                     "board": "futures", "list_date": None, "delist_date": None, "is_st": False})
    inst = pd.DataFrame(rows)
    assert set(minute["symbol"]) <= set(inst["symbol"])
    inst = inst.sort_values("symbol", kind="mergesort").reset_index(drop=True)
    return inst, notes


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def to_table(df: pd.DataFrame, name: str) -> pa.Table:
    schema = SCHEMAS[name]
    df = df.copy()
    key = "ts" if "ts" in schema.names else ("date" if "date" in schema.names else None)
    if key == "date":
        df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d").dt.date
    sort_cols = ["symbol"] + ([key] if key else [])
    df = df.sort_values(sort_cols, kind="mergesort").reset_index(drop=True)
    if key:
        assert not df.duplicated(sort_cols).any(), name
    arrays = []
    for fld in schema:
        col = df[fld.name]
        if pa.types.is_date32(fld.type):
            arr = pa.array([None if (v is None or (isinstance(v, float) and math.isnan(v))) else v
                            for v in col.tolist()], type=fld.type)
        elif pa.types.is_timestamp(fld.type):
            arr = pa.array(col.dt.to_pydatetime().tolist(), type=fld.type)
        elif pa.types.is_string(fld.type):
            arr = pa.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                            for v in col.tolist()], type=fld.type)
        elif pa.types.is_integer(fld.type):
            if col.isna().any():
                arr = pa.array([None if pd.isna(v) else int(v) for v in col.tolist()], type=fld.type)
            else:
                arr = pa.array(col.to_numpy().astype(fld.type.to_pandas_dtype()), type=fld.type)
        elif pa.types.is_boolean(fld.type):
            arr = pa.array(col.astype(bool).to_numpy(), type=fld.type)
        else:
            arr = pa.array(col.to_numpy(dtype=float), type=fld.type, from_pandas=True)
        if not fld.nullable and arr.null_count:
            raise ValueError(f"{name}.{fld.name}: {arr.null_count} nulls in a non-nullable column")
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=schema)


def write(tbl: pa.Table, path: Path) -> None:
    pq.write_table(tbl, path, compression="zstd", compression_level=9, row_group_size=1 << 20,
                   use_dictionary=True, write_statistics=True)


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------
AKSHARE_HEADER = "日期,股票代码,开盘,收盘,最高,最低,成交量,成交额,振幅,涨跌幅,涨跌额,换手率"


def _lines(p: Path, encoding: str = "utf-8-sig") -> list[str]:
    return p.read_text(encoding=encoding).splitlines()


def build_fixtures(src: Path, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    info: dict = {}
    # 1. akshare stock_zh_a_hist format, 600519 2023 (first 60 rows)
    f = src / "cn_stock_daily" / "akshare_em_hist_qfq_2023" / "600519_daily.csv"
    lines = _lines(f)
    hdr = lines[0].split(",")
    assert hdr == ["datetime", "股票代码", "open", "close", "high", "low", "volume", "成交额", "振幅", "涨跌幅",
                   "涨跌额", "换手率"], hdr
    body = lines[1:61]
    ak_text = AKSHARE_HEADER + "\n" + "\n".join(body) + "\n"
    (out / "akshare_600519_2023.csv").write_text(ak_text, encoding="utf-8")
    (out / "akshare_600519_gbk.csv").write_bytes(ak_text.encode("gbk"))
    info["akshare"] = {"rows": len(body), "first": body[0][:10], "last": body[-1][:10]}

    # 2. broken variants of the akshare fixture
    rows = [r.split(",") for r in body]
    cols = AKSHARE_HEADER.split(",")

    def dump(name: str, header: list[str], rws: list[list[str]]) -> None:
        (out / name).write_text(",".join(header) + "\n" + "\n".join(",".join(r) for r in rws) + "\n", encoding="utf-8")

    ci = cols.index("收盘")
    dump("bad_missing_column.csv", cols[:ci] + cols[ci + 1:], [r[:ci] + r[ci + 1:] for r in rows])
    hl = [list(r) for r in rows]
    k = 10  # 0-based data row → line 12 of the file (header = line 1)
    hi_i, lo_i = cols.index("最高"), cols.index("最低")
    hl[k][hi_i], hl[k][lo_i] = hl[k][lo_i], hl[k][hi_i]
    dump("bad_high_lt_low.csv", cols, hl)
    info["high_lt_low"] = {"data_row": k + 1, "line": k + 2, "date": hl[k][0], "最高": hl[k][hi_i], "最低": hl[k][lo_i]}
    neg = [list(r) for r in rows]
    kn = 20
    neg[kn][cols.index("开盘")] = "-1"
    dump("bad_negative_price.csv", cols, neg)
    info["negative"] = {"data_row": kn + 1, "line": kn + 2, "date": neg[kn][0]}
    dup = [list(r) for r in rows]
    kd = 30
    extra = list(dup[kd])
    extra[cols.index("开盘")] = f"{float(extra[cols.index('开盘')]) + 1:.2f}"
    extra[cols.index("收盘")] = f"{float(extra[cols.index('收盘')]) + 1:.2f}"
    extra[cols.index("最高")] = f"{float(extra[cols.index('最高')]) + 1:.2f}"
    dup.insert(kd + 1, extra)
    dump("bad_duplicate_dates.csv", cols, dup)
    info["duplicate"] = {"data_rows": (kd + 1, kd + 2), "lines": (kd + 2, kd + 3), "date": extra[0]}
    bd = [list(r) for r in rows]
    kb = 40
    info["bad_date"] = {"data_row": kb + 1, "line": kb + 2, "replaced": bd[kb][0]}
    bd[kb][0] = "2023-13-45"
    dump("bad_date.csv", cols, bd)

    # 3. baostock raw OHLCV 600036, 80 rows around the 2013-08-28..09-04 suspension (6 volume=0 rows)
    f = src / "cn_stock_daily" / "baostock_raw_ohlcv" / "sh.600036.csv"
    lines = _lines(f)
    start = next(i for i, ln in enumerate(lines) if ln.startswith("2013-08-28")) - 40
    sel = lines[start:start + 80]
    (out / "baostock_sh.600036.csv").write_text(lines[0] + "\n" + "\n".join(sel) + "\n", encoding="utf-8")
    info["baostock"] = {"rows": len(sel), "first": sel[0][:10], "last": sel[-1][:10],
                        "zero_volume": sum(ln.endswith(",0") for ln in sel)}

    # 4. generic (Yahoo-style) raw 000001.SZ, 50 rows incl. the 2024-06-14 ex-dividend day
    f = src / "cn_stock_daily" / "akshare_sina_raw" / "000001.SZ.csv"
    lines = _lines(f)
    start = next(i for i, ln in enumerate(lines) if ln.startswith("2024-06-14")) - 25
    sel = lines[start:start + 50]
    (out / "generic_000001.SZ.csv").write_text(lines[0] + "\n" + "\n".join(sel) + "\n", encoding="utf-8")
    info["generic"] = {"rows": len(sel), "first": sel[0][:10], "last": sel[-1][:10], "header": lines[0]}
    return info


def write_fixture_sources(out: Path, info: dict) -> None:
    r = REPOS
    a, hl, ng, dp, bd, bs, gn = (info["akshare"], info["high_lt_low"], info["negative"], info["duplicate"],
                                 info["bad_date"], info["baostock"], info["generic"])
    same = ("same", "same", "same")
    cells = [
        ("`akshare_600519_2023.csv`", a["rows"], f"{a['first']} → {a['last']}",
         f"{r['em_2023'][0]} @ `{r['em_2023'][1]}`, `data/600519_daily.csv` "
         "(shared copy: `cn_stock_daily/akshare_em_hist_qfq_2023/600519_daily.csv`)", r["em_2023"][2],
         f"first {a['rows']} data rows; the author's partly English header "
         "`datetime,股票代码,open,close,high,low,volume,成交额,…` was replaced by the exact akshare "
         f"`stock_zh_a_hist` header `{AKSHARE_HEADER}` (same column order); CRLF → LF. Data lines "
         "byte-identical. Prices are EastMoney 前复权 (qfq, reference ≈ 2026-03), 成交量 in 手 (100 shares), "
         "成交额 CNY, 换手率 %. 股票代码 is the 6-digit string 600519."),
        ("`akshare_600519_gbk.csv`", a["rows"], *same,
         "identical text to `akshare_600519_2023.csv`, encoded GBK (for encoding-detection tests)."),
        ("`bad_missing_column.csv`", a["rows"], "same", "derived from `akshare_600519_2023.csv`", "same",
         "column `收盘` removed."),
        ("`bad_high_lt_low.csv`", a["rows"], "same", "derived", "same",
         f"data row {hl['data_row']} (file line {hl['line']}, 日期 {hl['date']}): 最高 and 最低 swapped, so "
         f"最高 = {hl['最高']} < 最低 = {hl['最低']}."),
        ("`bad_negative_price.csv`", a["rows"], "same", "derived", "same",
         f"data row {ng['data_row']} (file line {ng['line']}, 日期 {ng['date']}): 开盘 = -1."),
        ("`bad_duplicate_dates.csv`", a["rows"] + 1, "same", "derived", "same",
         f"date {dp['date']} appears twice: data rows {dp['data_rows'][0]} and {dp['data_rows'][1]} "
         f"(file lines {dp['lines'][0]}–{dp['lines'][1]}); the second copy has 开盘/收盘/最高 +1.00."),
        ("`bad_date.csv`", a["rows"], "same", "derived", "same",
         f"data row {bd['data_row']} (file line {bd['line']}): 日期 {bd['replaced']} replaced by `2023-13-45`."),
        ("`baostock_sh.600036.csv`", bs["rows"], f"{bs['first']} → {bs['last']}",
         f"{r['ohlcv'][0]} @ `{r['ohlcv'][1]}`, `data/sh.600036.csv` "
         "(shared copy: `cn_stock_daily/baostock_raw_ohlcv/sh.600036.csv`)", r["ohlcv"][2],
         "header + a contiguous slice of data lines, byte-identical. Raw (不复权) prices; volume in shares. "
         f"Contains {bs['zero_volume']} suspended rows (volume = 0, O=H=L=C = last close), 2013-08-28 → 2013-09-04."),
        ("`generic_000001.SZ.csv`", gn["rows"], f"{gn['first']} → {gn['last']}",
         f"{r['sina_raw'][0]} @ `{r['sina_raw'][1]}`, `data/000001.SZ.csv` "
         "(shared copy: `cn_stock_daily/akshare_sina_raw/000001.SZ.csv`)", r["sina_raw"][2],
         f"header `{gn['header']}` + a contiguous slice, byte-identical. Raw (不复权) Sina prices; `Adj Close` "
         "is a plain copy of `Close` (NOT adjusted); Volume in shares. Includes the 2024-06-14 ex-dividend "
         "day (close 10.80 → open 10.15)."),
    ]
    table = "\n".join("| " + " | ".join(str(c) for c in row) + " |" for row in cells)
    text = f"""# Test fixtures — SOURCES

Small slices of real public data, written by `scripts/build_sample.py` (re-run it to regenerate).
Line numbers below count the header as line 1. All files are UTF-8 with `\\n` line endings and no BOM
unless stated.

| file | rows | dates | source (repo @ commit, path) | licence | what was changed |
|---|---|---|---|---|---|
{table}

Licences: files whose source repository states no licence are used here as small test fixtures
with attribution; replace them if that is not acceptable for redistribution.
"""
    (out / "SOURCES.md").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------
def summarize_factors(rep: dict) -> dict:
    ps = rep["per_symbol"]
    log("\n=== Adjustment-factor events per symbol (a = exact from preclose 2020+, b = Sina qfq pairing,"
        " c1 = suspended-row jump, c2 = gap heuristic) ===")
    log(f"{'symbol':<11} {'rows':>5} {'first':<10} {'qfq':<3} {'a':>3} {'b':>3} {'c1':>3} {'c2':>3}")
    tot = {"a": 0, "b": 0, "c1": 0, "c2": 0}
    for sym, d in ps.items():
        c = d["counts"]
        for k in tot:
            tot[k] += c[k]
        log(f"{sym:<11} {d['rows']:>5} {d['first']:<10} {'y' if d['has_qfq'] else 'n':<3} "
            f"{c['a']:>3} {c['b']:>3} {c['c1']:>3} {c['c2']:>3}")
    log(f"TOTAL events: {tot}")

    ab = pd.DataFrame(rep["ab"])
    out: dict = {"totals": tot}
    for label, lo, hi in (("2020-01-02→2021-09-30", "2020-01-02", "2021-09-30"),
                          ("2020-01-02→2025-04-07", "2020-01-02", "2025-04-07")):
        w = ab[(ab.date >= lo) & (ab.date <= hi)]
        both = w[w.a.notna() & w.b.notna()]
        only_a = w[w.a.notna() & w.b.isna()]
        only_b = w[w.a.isna() & w.b.notna()]
        err = (both.b / both.a - 1).abs()
        exact = int((both.pre_a.round(2) == both.pre_b.round(2)).sum())
        maxcent = float((both.pre_a - both.pre_b).abs().max()) if len(both) else 0.0
        res = {"a_events": int(w.a.notna().sum()), "matched": len(both), "only_a": len(only_a),
               "only_b": len(only_b), "symbols": int(w.symbol.nunique()),
               "median_rel_diff": float(err.median()) if len(err) else 0.0,
               "max_rel_diff": float(err.max()) if len(err) else 0.0,
               "preclose_exact": exact, "preclose_max_abs_diff": maxcent,
               "only_a_list": [f"{r.symbol} {r.date}" for r in only_a.itertuples()],
               "only_b_list": [f"{r.symbol} {r.date} (step {r.b:.5f})" for r in only_b.itertuples()],
               "mismatch_list": [f"{r.symbol} {r.date}: exchange preclose {r.pre_a:.2f}, from qfq {r.pre_b:.2f}"
                                 for r in both[both.pre_a.round(2) != both.pre_b.round(2)].itertuples()]}
        out[label] = res
        log(f"\n(a) vs (b) {label}: {res['a_events']} exchange ex-dates on {res['symbols']} symbols; "
            f"(b) found the same date for {res['matched']}, missed {res['only_a']}, extra {res['only_b']}; "
            f"step ratio |b/a−1| median {res['median_rel_diff']:.1e}, max {res['max_rel_diff']:.1e}; "
            f"reference price reproduced to the cent {exact}/{len(both)} (max diff {maxcent:.2f} CNY)")
        for s in res["only_a_list"] + res["only_b_list"]:
            log(f"   unmatched: {s}")
        for s in res["mismatch_list"]:
            log(f"   cent mismatch: {s}")
    cal = pd.DataFrame(rep["c2_calib"])
    e = (cal.est / cal.true - 1).abs()
    out["c2_calib"] = {"n": len(cal), "median": float(e.median()), "p90": float(e.quantile(0.9)),
                       "max": float(e.max()), "within_1pct": int((e <= 0.01).sum()),
                       "worst": [f"{r.symbol} {r.date}: est {r.est:.3f} vs {r.true:.3f}"
                                 for r in cal.assign(e=e).sort_values("e", ascending=False).head(3).itertuples()]}
    c = out["c2_calib"]
    log(f"\n(c2) heuristic calibrated on {c['n']} gap days (2010+) whose true step is known from (a)/(b): "
        f"|est/true−1| median {c['median']:.2%}, p90 {c['p90']:.2%}, max {c['max']:.2%}; "
        f"within 1 %: {c['within_1pct']}")
    log(f"(b) one-day outliers skipped: {rep['b_outliers']}; upward gaps > +10 % left unadjusted: "
        + ", ".join(f"{k} {v}" for k, v in rep["up_gaps"].items()))
    return out


def check_qfq_reproduction(src: Path, stock: pd.DataFrame, fac: pd.DataFrame, rep: dict) -> dict:
    """End-to-end: raw × factor (our hfq) must be proportional to Sina's qfq close on every paired day."""
    qfq_dir = src / "cn_stock_daily" / "akshare_sina_qfq"
    worst, n_days, n_gt1, n_gt2, n_sym, excluded = [], 0, 0, 0, 0, 0
    for sym, g in stock.groupby("symbol", sort=True):
        qf = qfq_dir / f"{sym[:6]}.csv"
        if not qf.exists():
            continue
        f = fac[fac.symbol == sym].set_index("date")["factor"]
        g = g.assign(f=f.reindex(g["date"]).ffill().to_numpy())
        q = pd.read_csv(qf, encoding="utf-8-sig", dtype={"date": str})[["date", "close"]]
        m = g.merge(q, on="date", suffixes=("", "_q"))
        m = m[(m.trade_status == 1) & ~m["date"].isin(set(rep["per_symbol"][sym]["b_outliers"]))]
        excluded += len(rep["per_symbol"][sym]["b_outliers"])
        ours = m["close"] * m["f"]
        k = float((ours / m["close_q"]).median())
        diff = (ours / k - m["close_q"]).abs()
        n_sym += 1
        n_days += len(m)
        n_gt1 += int((diff > 0.0101).sum())
        n_gt2 += int((diff > 0.0201).sum())
        worst.append((float(diff.max()), sym, m["date"].iloc[int(diff.to_numpy().argmax())]))
    worst.sort(reverse=True)
    res = {"symbols": n_sym, "days": n_days, "gt_1cent": n_gt1, "gt_2cent": n_gt2, "excluded_outliers": excluded,
           "worst": [f"{s} {d}: {v:.3f} CNY" for v, s, d in worst[:3]]}
    log(f"\nEnd-to-end: raw × factor rescaled to Sina's qfq close on {n_days:,} paired traded days "
        f"({n_sym} symbols, 2010 → 2025-04-07, {excluded} outlier days excluded): |diff| > 0.01 CNY on "
        f"{n_gt1} days, > 0.02 CNY on {n_gt2}; worst {res['worst']}")
    return res


def spot_check_600519(stock: pd.DataFrame, fac: pd.DataFrame, rep: dict) -> list[str]:
    ev = [e for e in rep["per_symbol"]["600519.SH"]["events"]]
    lines = []
    log("\n=== 600519.SH events (all) ===")
    g = stock[stock.symbol == "600519.SH"].set_index("date")
    f = fac[fac.symbol == "600519.SH"].set_index("date")["factor"]
    for e in ev:
        i = g.index.get_loc(e.date)
        pc = g["close"].iloc[i - 1]
        s = (f"{e.date} {e.method:<2} ratio {e.ratio:.6f} factor {f[e.date]:.6f} prev close {pc:.2f} "
             f"preclose {g['preclose'].iloc[i]:.2f} (−{pc - g['preclose'].iloc[i]:.3f}) | {e.note}")
        log("  " + s)
        lines.append(s)
    want = ["2020-06-24", "2021-06-25", "2022-06-30", "2023-06-30", "2023-12-20", "2024-06-19", "2024-12-20"]
    found = {e.date for e in ev}
    log("  expected 2020-2024 dividend ex-dates present: "
        + ", ".join(f"{d}:{'yes' if d in found else 'NO'}" for d in want))
    post = sorted(d for d in found if d >= "2020-01-01")
    log(f"  all 2020+ events: {post}")
    return lines


def verify_outputs(out: Path, expected: dict[str, pa.Schema]) -> dict:
    stats = {}
    for name, schema in expected.items():
        p = out / f"{name}.parquet"
        t = pq.read_table(p)
        # Parquet has no second-resolution timestamp: timestamp[s] is stored as timestamp[ms]
        # (naive, isAdjustedToUTC=false); it casts back losslessly (safe cast fails on sub-seconds).
        t = t.cast(schema.with_metadata(t.schema.metadata), safe=True)
        assert t.schema.remove_metadata().equals(schema), (name, t.schema, schema)
        df = t.to_pandas()
        key = "ts" if "ts" in df.columns else ("date" if "date" in df.columns else None)
        if key:
            assert not df.duplicated(["symbol", key]).any(), name
            order = df.sort_values(["symbol", key], kind="mergesort").index
            assert (order == df.index).all(), f"{name} not sorted"
        st = {"rows": t.num_rows, "symbols": df["symbol"].nunique(), "bytes": p.stat().st_size}
        if key:
            st["min"] = str(df[key].min())
            st["max"] = str(df[key].max())
        if {"open", "high", "low", "close"} <= set(df.columns):
            bad = ((df.high < df[["open", "close"]].max(axis=1)) | (df.low > df[["open", "close"]].min(axis=1))).sum()
            st["hl_violations"] = int(bad)
            st["nonpos"] = int((df[["open", "high", "low", "close"]] <= 0).sum().sum())
        stats[name] = st
    # against the product's declarations when importable
    try:
        sys.path.insert(0, str(REPO))
        from jupyterlab_quant.data import schema as S  # type: ignore

        for name, ds in PRODUCT_DATASET.items():
            prod = S.DATASETS[ds].schema
            if not prod.equals(expected[name]):
                log(f"WARNING: {name}.parquet schema differs from jupyterlab_quant dataset {ds!r}:\n"
                    f"  product: {prod}\n  sample:  {expected[name]}")
            else:
                log(f"schema ok: {name}.parquet == jupyterlab_quant dataset {ds!r}")
    except Exception as exc:  # pragma: no cover - the package is being written concurrently
        log(f"(product schema not checked: {exc!r})")
    return stats


# --------------------------------------------------------------------------------------------
# SOURCES.md for the sample
# --------------------------------------------------------------------------------------------
def repo_ref(key: str) -> str:
    r, c, _ = REPOS[key]
    return f"[{r}](https://github.com/{r}) @ `{c[:12]}`"


def write_sample_sources(out: Path, stats: dict, fsum: dict, idx_rep: dict, etf_rep: dict, fut_rep: dict,
                         min_rep: dict, inst_notes: dict, overlap: dict, rep: dict, spot: list[str],
                         stock: pd.DataFrame, val: pd.DataFrame) -> None:
    def row(name: str, sources: str, lic: str, deriv: str) -> str:
        s = stats[name]
        rng = f"{s['min'][:16]} → {s['max'][:16]}" if "min" in s else "—"
        return (f"| `{name}.parquet` | {s['rows']:,} | {s['symbols']} | {rng} | {s['bytes'] / 1e6:.2f} MB | "
                f"{sources} | {lic} | {deriv} |")

    ref = repo_ref
    table = "\n".join([
        row("stock_1d", f"`cn_stock_daily/baostock_raw_ohlcv/` ({ref('ohlcv')}) + "
            f"`cn_stock_daily/baostock_raw_valuation/` ({ref('valuation')})", "MIT / none stated",
            "merge (valuation row wins); preclose derived before 2020 (see below); trade_status, is_st"),
        row("valuation_1d", f"`cn_stock_daily/baostock_raw_valuation/` ({ref('valuation')})", "none stated",
            "columns renamed only"),
        row("adj_factors", "derived from the two stock sources + `cn_stock_daily/akshare_sina_qfq/` "
            f"({ref('sina_qfq')})", "derived (inputs: MIT / none stated)", "see *adj_factors* below"),
        row("index_1d", f"`cn_index_daily/baostock/` ({ref('index_baostock')}) to 2021-09-30, then "
            f"`cn_index_daily/akshare_sina/` ({ref('index_sina')})", "MIT / none stated",
            "spliced; preclose = previous close"),
        row("etf_1d", f"`cn_etf_daily/akshare_em_qfq/` ({ref('etf')})", "none stated",
            "volume ×100 (手 → shares); preclose = previous close"),
        row("futures_1d", f"`cn_futures_daily/akshare_sina/` ({ref('futures_sina')}); "
            f"`cn_futures_daily/wtpy/CFFEX.IF.HOT_d.csv` ({ref('futures_wtpy')})", "MIT",
            "settle 0.0 → null; hold → open_interest"),
        row("minute_1m", f"`cn_index_minute/czsc/000001.XSHG_1MIN.csv` ({ref('minute_csv')}); "
            f"`000001.XSHG_1min.zip` ({ref('minute_zip')})", "MIT / Apache-2.0", "selection of days; vol → volume"),
        row("instruments", f"`cn_fundamentals/tushare_legacy/stock_basics.csv` ({ref('tushare')}), "
            "`cn_etf_daily/akshare_em_qfq/_codes.csv`, `cn_futures_daily/akshare_sina/_index.json`",
            "none stated / MIT", "board from code prefix; see *instruments* below"),
    ])
    # limit sanity of the derived preclose: traded days before 2020 beyond ±10 % (+ rounding slack)
    x = stock[(stock.date < "2020-01-02") & stock.symbol.duplicated() & (stock.trade_status == 1)]
    beyond = x[(x.close / x.preclose - 1).abs() > 0.106]
    beyond_txt = "; ".join(f"{r.symbol} {r.date} {r.close / r.preclose - 1:+.1%}" for r in beyond.itertuples())
    log(f"derived-preclose sanity: {len(beyond)} of {len(x):,} traded days before 2020 move beyond ±10 %: {beyond_txt}")
    vn = val[val[["pe_ttm", "pb_mrq", "ps_ttm", "pcf_ttm"]].isna().all(axis=1)]
    vn_days = vn.groupby("date")["symbol"].nunique()
    val_null_txt = ", ".join(f"{d} ({n} symbols)" for d, n in vn_days.items()) or "none"
    total = sum(s["bytes"] for s in stats.values())
    ab21, ab25, cal = fsum["2020-01-02→2021-09-30"], fsum["2020-01-02→2025-04-07"], fsum["c2_calib"]
    qr = fsum["qfq_repro"]
    tot = fsum["totals"]
    ps = rep["per_symbol"]
    n_b_syms = sum(1 for d in ps.values() if d["has_qfq"] and d["first"] < "2020-01-02")
    no_qfq = sorted(s for s, d in ps.items() if not d["has_qfq"] and d["first"] < "2020-01-02")
    susp = int((stock.trade_status == 0).sum())
    st_rows = int(stock.is_st.sum())
    derived_pre = int(((stock.date < "2020-01-02")).sum())
    bars = min_rep["bars_per_day"]
    chk = min_rep["check"]
    vol_ok = int((chk.vol_1m - chk.vol_1d).abs().le(chk.vol_1d * 1e-6).sum())
    close_diff = chk[(chk.close_1m - chk.close_1d).abs() > 0.01]
    close_diff_txt = ", ".join(f"{d} ({r.close_1m} vs {r.close_1d})" for d, r in close_diff.iterrows()) or "none"
    etf_lines = ", ".join(f"{k}: {v['median_amount_over_vol100_close']:.3f}" for k, v in etf_rep.items())
    settle0 = "; ".join(f"{k} {', '.join(v['settle_zero'])}" for k, v in fut_rep.items() if v["settle_zero"])
    idx_lines = "; ".join(f"{k}: {v['overlap_days']} common days, Sina/baostock volume ratio "
                          f"{v['vol_ratio_min']:.7f}–{v['vol_ratio_max']:.7f}, max |price diff| "
                          f"{v['max_abs_price_diff']:.4f} pt" for k, v in idx_rep.items())
    up = "; ".join(f"{k}: {', '.join(v)}" for k, v in rep["up_gaps"].items())
    c2_list = []
    for s, d in ps.items():
        for e in d["events"]:
            if e.method in ("c1", "c2"):
                c2_list.append(f"{s} {e.date} {e.method} ×{e.ratio:.4f}")

    text = f"""# Embedded sample dataset — SOURCES

Written by `scripts/build_sample.py` from the curated public collection `shared/data/market/`
(read only at build time; the product never reads it). Re-run
`.venv/bin/python scripts/build_sample.py` to regenerate; the table contents are deterministic.
All files: Parquet, zstd, one file per dataset, sorted by `symbol` then `date`/`ts`; dates are
`date32`, minute timestamps `timestamp[s]` naive Asia/Shanghai exchange time (bar END time); prices
float64 CNY (index/futures: points/price units); volume int64 in SHARES (futures: lots).
Parquet has no second-resolution timestamp type, so `minute_1m.ts` is physically stored as
`timestamp[ms]` (isAdjustedToUTC = false) holding whole seconds; cast to `timestamp[s]` losslessly.
Total size {total / 1e6:.2f} MB.

## Files

| file | rows | symbols | range | size | source(s) | licence | derivations |
|---|---|---|---|---|---|---|---|
{table}

Full commits: """ + "; ".join(f"{r} `{c}` ({lic})" for r, c, lic in sorted(set(REPOS.values()))) + f""".

Licences: where the source repository states no licence, the data are redistributed here as a
small sample with attribution only; the product must not depend on them being present (swap in the
MIT-licensed subsets if that is a concern — baostock_raw_ohlcv, index baostock, futures).

## stock_1d — A-share daily, UNADJUSTED (不复权)

* Symbols: {stats['stock_1d']['symbols']} = union of 37 baostock raw-OHLCV stocks (2005-01-04 → 2021-09-30) and
  62 baostock raw-valuation stocks (2020-01-02 → 2025-04-07). Where both cover a date the valuation
  set's row is used. Check: on the {overlap['rows']:,} overlapping symbol-days ({overlap['symbols']} symbols)
  open/high/low/close/volume are identical in both sources ({overlap['differing']} differences).
* Suspensions are kept: {susp:,} rows with `trade_status = 0`, volume 0 and O=H=L=C = baostock's
  reference price (the last close, moved to the ex-rights price when an ex-date falls inside a suspension).
  Raw-OHLCV rows: trade_status = 1 if volume > 0 else 0; valuation rows: `tradestatus`.
  {sum(EMPTY_SUSP_VOLUME.values())} suspended valuation rows have an EMPTY volume cell in the source
  ({', '.join(f"{k} {v}" for k, v in EMPTY_SUSP_VOLUME.items())}); their volume is stored as 0.
* `amount` (CNY) and `turnover` (换手率 %) exist only in the valuation set (2020-01-02 →); NULL before
  that (and NULL on some suspended days, as in the source). `is_st` from `isST` (2020+, {st_rows:,} ST rows); FALSE
  where unknown (all rows before 2020-01-02 — the 2005-2019 rows of these stocks are NOT checked for ST).
* `preclose`: source value from 2020-01-02 on. For the {derived_pre:,} earlier rows it is DERIVED as the
  ex-rights reference price `round_half_up(prev_close × factor(prev) / factor(this), 0.01)` from
  `adj_factors` — i.e. previous close on ordinary days, the ex-rights price on detected ex-dates.
  The first row of every symbol whose history starts before 2020 gets `preclose = open`
  (nothing else is known; for IPO first days this is NOT the issue price). Consequently, before 2010
  (and for {', '.join(no_qfq)} through 2021-09) cash-dividend ex-dates are not detected and their
  preclose equals the previous close (see *Limitations*).

## adj_factors — cumulative back-adjustment (后复权) factors

One row at each symbol's first date (factor 1.0) plus one row per ex-rights date, where the factor
changes. `hfq = raw × factor(as of date)`, `qfq = raw × factor(date) / factor(latest)`. Every step
satisfies `factor_t / factor_(t−1) = close_(t−1) / preclose_t` exactly with the stored preclose.
Events: {tot['a']} from (a), {tot['b']} from (b), {tot['c1']} from (c1), {tot['c2']} from (c2).

* **(a) 2020-01-02 onward — exact.** `ratio_t = close_(t−1) / preclose_t` from baostock's exchange
  reference price; an ex-date wherever |ratio − 1| > 1e-6. (No ex-date fell on a suspended day in
  2020-2025.)
* **(b) 2010-01-04 → 2019-12-31 — paired with akshare Sina 前复权** (multiplicative, reference date
  ≈ 2026-06-17) for the {n_b_syms} stocks that have both series. The ratio qfq/raw is piecewise constant;
  because Sina prices are rounded to 0.01, every traded day's four prices give an interval
  [(q−0.005)/raw, (q+0.005)/raw] that the true ratio must lie in. A segment grows while the
  intersection of its intervals is non-empty; the first day that empties it is the ex-date unless the
  next three days still fit the old segment (then it is a one-day data outlier and skipped —
  {rep['b_outliers']} such days). Step = ratio of the segment mid-points; the reference price
  `round_half_up(prev_close / step)` is stored and the factor step recomputed from it (so a step
  too small to move the price by a cent is dropped). If the ex-date falls inside a suspension,
  the exact suspended-row jump (c1) is used instead.
* **Check (a) vs (b)**: (b) was also run over 2020-2025 (Sina qfq paired with the raw valuation
  set) and compared with the exact (a) events:
  * 2020-01-02 → 2021-09-30: {ab21['a_events']} exchange ex-dates on {ab21['symbols']} symbols; (b) found
    {ab21['matched']} on the same day, missed {ab21['only_a']}, extra {ab21['only_b']}; |step_b/step_a − 1| median
    {ab21['median_rel_diff']:.1e}, max {ab21['max_rel_diff']:.1e}; reference price reproduced to the cent
    {ab21['preclose_exact']}/{ab21['matched']} (max difference {ab21['preclose_max_abs_diff']:.2f} CNY).
  * 2020-01-02 → 2025-04-07: {ab25['a_events']} ex-dates on {ab25['symbols']} symbols; same day {ab25['matched']},
    missed {ab25['only_a']}, extra {ab25['only_b']}; median {ab25['median_rel_diff']:.1e},
    max {ab25['max_rel_diff']:.1e};
    to the cent {ab25['preclose_exact']}/{ab25['matched']} (max {ab25['preclose_max_abs_diff']:.2f} CNY). The cent
    mismatches are cases where the exchange's reference price differs from Sina's theoretical
    ex-price (typically 差异化分红 — no dividend on repurchased shares, so the exchange uses a
    smaller "virtual" dividend — or rounding of a rights-issue price):
    {'; '.join(ab25['mismatch_list']) or 'none'}.
* **End-to-end check**: on {qr['days']:,} traded days of the {qr['symbols']} stocks with a Sina qfq series
  (2010 → 2025-04-07; the {qr['excluded_outliers']} (b)-outlier days excluded), raw close × factor, rescaled by
  one constant per symbol (Sina's reference date is later), reproduces Sina's qfq close to within
  0.01 CNY except on {qr['gt_1cent']} days ({qr['gt_2cent']} beyond 0.02 CNY; worst: {'; '.join(qr['worst'])}).
  The residual is Sina's 0.01 rounding plus the cent-level reference-price differences above.
* **(c) where no adjusted reference exists** (before 2010-01-04; the first qfq day; and for
  {', '.join(no_qfq)}, which have no Sina qfq series, the whole 2005-2021 raw history):
  * (c1) exact: a suspended row whose price differs from the previous close — baostock sets suspended
    rows to the (ex-rights) reference price, so `ratio = prev_close / close`.
  * (c2) heuristic: a traded day whose HIGH is below 0.9 × previous close (impossible under the
    ±10 % limit without an ex-rights adjustment). Estimate `prev_close / open`, clamped to what the
    ±10 % limit allows (unless the previous day was suspended: resumption days, e.g. 2005-06 股改,
    may have had no limit) and snapped to the nearest 1 + k/10 (10送/转 k) if within 3 %; on a
    one-price day (O=H=L=C, i.e. at a limit all day) the reference is price/1.1 or price/0.9,
    whichever gives the ratio nearer to a round 1 + k/10. Calibrated
    on the {cal['n']} such gap days from 2010 on where the true step is known: |est/true − 1| median
    {cal['median']:.2%}, 90th pct {cal['p90']:.2%}, max {cal['max']:.2%} ({cal['within_1pct']} within 1 %). Cash
    dividends are invisible to this rule (< 10 % gaps) and are NOT adjusted; upward gaps beyond
    +10 % (no-limit resumptions after restructuring) are left unadjusted: {up or 'none'}.
  * c-events: {'; '.join(c2_list)}.

600519.SH spot check (2020-2024 dividend ex-dates found by (a) — verified in the data, not assumed):
""" + "\n".join(f"* {s}" for s in spot if s[:4] >= "2020") + f"""

## valuation_1d

`pe_ttm`/`pb_mrq`/`ps_ttm`/`pcf_ttm` = baostock `peTTM`/`pbMRQ`/`psTTM`/`pcfNcfTTM` (rows of the
62-stock valuation set, including suspended days; empty source cells → NULL: {val_null_txt}).

## index_1d

`000001.SH` 上证指数 and `000300.SH` 沪深300: baostock to 2021-09-30, extended with akshare Sina from
2021-10-08 to 2026-06-16. Units agree on the overlap (both volume in shares): {idx_lines}.
`399106.SZ` 深证综指: baostock only (2005-01-04 → 2021-09-30; 5 rows where low exceeds min(open, close) by
0.001 — source rounding, kept). `preclose` = previous row's close (NULL on the first row); `amount` NULL
(neither source has it).

## etf_1d

{', '.join(ETF_CODES)}: akshare EastMoney `fund_etf_hist_em(adjust="qfq")` prices AS DELIVERED —
前复权 (EM method, reference ≈ 2026-03-20); NO raw series exists in the sources, so these are not
exchange prices (earlier prices are lowered by later distributions/splits). All six have no
non-positive price. `volume` converted from 手 to shares (×100) — check: median amount / (volume×100 ×
close) = {etf_lines} (≈1 where qfq ≈ raw; > 1 where qfq lowered old prices, e.g. 510300/510500 after
their distributions). `amount` = source 成交额 CNY (unadjusted). `preclose` = previous qfq close.

## futures_1d

Main-continuous (Sina "0" symbols, spliced at rolls WITHOUT back-adjustment, so roll gaps are real):
{', '.join(f'{r}0.{e}' for r, e, _ in FUTURES)} from akshare `futures_zh_daily_sina`, 2023-06-19 → 2026-06-17;
`hold` → `open_interest`; `settle` 0.0 (missing) → NULL ({settle0}); `amount` NULL.
`IF0.CFFEX`: WonderTrader `CFFEX.IF.HOT_d.csv` (2010-04-16 → 2021-12-13), `turnover` → `amount` (CNY;
check: median amount/(volume × close × 300) = {fut_rep['IF0.CFFEX']['median_amount_over_vol_close_300']:.4f}),
`settlement` → `settle`. Volumes and open interest in lots.

## minute_1m

SSE Composite `000001.SH` 1-minute bars, `ts` = bar END time (first bar 09:31, last 15:00):
{MINUTE_ZIP_DAYS[0]} → {MINUTE_ZIP_DAYS[1]} from the zip (includes both circuit-breaker days: 2016-01-04 has
{bars.get('2016-01-04')} bars ending 13:35, 2016-01-07 has {bars.get('2016-01-07')} bars ending 10:00) and
2020-07-01 → 07-15 from the csv (240 bars a day, 11 zero-volume bars kept). `volume` in shares: the daily
sum equals baostock's daily volume on {vol_ok}/{len(chk)} days (within 1e-6). Last-bar close vs baostock
daily close differs by more than 0.01 on: {close_diff_txt} (the official close of a circuit-breaker
day is not the last traded minute). `amount` NULL.

## instruments

One row per symbol in the files above ({stats['instruments']['rows']} rows). Stocks: `name` and `list_date`
(`timeToMarket`) from the tushare legacy `stock_basics` snapshot of ~2016-09-13 for
{inst_notes['name_from_tushare']} stocks — names are the 2016 short names, verbatim (e.g. full-width
letters/spaces such as "万 科Ａ", "五 粮 液"; later renames are NOT applied: 601127 小康股份 is today
赛力斯, 601888 中国国旅 → 中国中免, 000408 *ST金源 → 藏格矿业, 600705 中航资本 → 中航产融,
600745 中茵股份 → 闻泰科技, 002558 世纪游轮 → 巨人网络, 600372 中航电子 → 中航机载, 601211 国泰君安 → 国泰海通;
tushare's 000333 list date 1993-11-12 is the predecessor's, 美的集团 itself listed 2013-09-18). Later IPOs
(not in the 2016 snapshot) use their well-known current short names ({', '.join(inst_notes['name_later_ipo'])})
and list_date from the data: """ + "; ".join(f"{k} {v}" for k, v in inst_notes["list_date_from_data"].items()) + """.
`is_st` = latest `isST` in stock_1d (FALSE for stocks without 2020+ data). `board` from the code prefix
(600/601/603/605 and 000/001/002/003 main, 688/689 star, 300/301/302 chinext, 43/83/87/88/92 bse).
Indexes: board "index", no list date. ETFs: names from `_codes.csv`, `list_date` = first row of
the EM history (= listing day). Futures: `code` = contract root, `exchange` SHFE/DCE/INE/CFFEX,
names from `_index.json` (IF: 沪深300股指期货, not from a source file); no list date.
`delist_date` is NULL everywhere (no delisting is recorded in the sources).

## Limitations

* Before 2010-01-04 (and for """ + ", ".join(no_qfq) + f""" until 2021-09-30) cash dividends and
  small bonus issues are NOT in `adj_factors`; only suspended-row jumps (exact) and obvious
  bonus/split gaps (approximate, ~1-3 % error typical) are. hfq/qfq series over those years are
  therefore only approximately total-return adjusted, and the derived `preclose` equals the previous
  close on undetected ex-dates.
* Sanity check of the derived preclose: only {len(beyond)} of {len(x):,} traded days before 2020 close
  beyond ±10 % of it — no-limit resumption days (股改 2005-06, restructurings) or ex-rights events the
  heuristics missed: {beyond_txt}.
* The 2005-2006 split-share-structure reform (股权分置改革) consideration shares show up as (c2)
  gaps after a suspension; they are treated as bonus shares (what a tradable holder received), with a
  heuristic ratio.
* (b) inherits Sina's theoretical ex-rights price; the stored reference price is rounded half-up to
  the cent and can be 0.01-0.02 CNY off the exchange's own (see the (a)/(b) check).
* No amount/turnover before 2020; is_st unknown (FALSE) before 2020; stock names are 2016 names.
* ETF prices are qfq, not raw; index volumes are shares; futures are main-continuous without roll
  adjustment.
"""
    (out / "SOURCES.md").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    global QUIET
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", nargs="?", default=str(DEFAULT_SRC), help="shared/data/market folder")
    ap.add_argument("--out", default=str(REPO / "data" / "sample"))
    ap.add_argument("--fixtures", default=str(REPO / "tests" / "fixtures"))
    ap.add_argument("--no-fixtures", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    QUIET = args.quiet
    src, out = Path(args.src).resolve(), Path(args.out)
    if not (src / "SOURCES.md").exists():
        raise SystemExit(f"source folder not found: {src}")
    out.mkdir(parents=True, exist_ok=True)

    stock, val, fac, rep = build_stocks(src)
    overlap = check_overlap(src)
    idx, idx_rep = build_index(src)
    etf, etf_rep = build_etf(src)
    fut, fut_rep = build_futures(src)
    minute, min_rep = build_minute(src)
    inst, inst_notes = build_instruments(src, stock, idx, etf, fut, minute)

    frames = {"stock_1d": stock, "valuation_1d": val, "adj_factors": fac, "index_1d": idx, "etf_1d": etf,
              "futures_1d": fut, "minute_1m": minute, "instruments": inst}
    for name, df in frames.items():
        write(to_table(df, name), out / f"{name}.parquet")
    stats = verify_outputs(out, SCHEMAS)
    # every symbol in every file has an instruments row
    inst_syms = set(inst.symbol)
    for name, df in frames.items():
        missing = set(df.symbol) - inst_syms
        assert not missing, (name, missing)

    fsum = summarize_factors(rep)
    spot = spot_check_600519(stock, fac, rep)
    fsum["qfq_repro"] = check_qfq_reproduction(src, stock.assign(date=stock["date"].astype(str)), fac, rep)
    write_sample_sources(out, stats, fsum, idx_rep, etf_rep, fut_rep, min_rep, inst_notes, overlap, rep, spot, stock,
                         val)

    log("\n=== Outputs ===")
    for name, s in stats.items():
        log(f"{name + '.parquet':<22} {s['rows']:>8,} rows {s['symbols']:>3} symbols "
            f"{s.get('min', '')[:19]:>19} → {s.get('max', '')[:19]:<19} {s['bytes'] / 1e6:6.2f} MB"
            + (f"  hl-viol {s['hl_violations']} nonpos {s['nonpos']}" if "hl_violations" in s else ""))
    log(f"total {sum(s['bytes'] for s in stats.values()) / 1e6:.2f} MB")

    if not args.no_fixtures:
        info = build_fixtures(src, Path(args.fixtures))
        write_fixture_sources(Path(args.fixtures), info)
        log(f"fixtures written to {args.fixtures}: {json.dumps(info, ensure_ascii=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
