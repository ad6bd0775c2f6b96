"""通达信 (TDX) local files: daily ``vipdoc/{sh,sz,bj}/lday/*.day``, 1-minute ``minline/*.lc1`` and
5-minute ``fzline/*.lc5`` (older clients: ``*.1`` / ``*.5``). Layouts: ../reference/broker-records.md §3–4.

Every file is a run of 32-byte little-endian records, oldest first:

* ``.day`` ``<IIIIIfII``: date ``YYYYMMDD``, open/high/low/close as integers (× 0.01 for stocks and
  indices, × 0.001 for funds/ETFs), amount float32 CNY, volume uint32, reserved.
* ``.lc1``/``.lc5`` ``<HHfffffII``: packed date (``year = n // 2048 + 2004``, ``month = n % 2048 // 100``,
  ``day = n % 2048 % 100``), minutes since midnight of the bar END, OHLC float32, amount float32,
  volume uint32, reserved. Older ``.1``/``.5`` files hold OHLC as uint32 × 100 (``<HHIIIIfII``).

Units, decided explicitly:

* Prices are unadjusted (不复权); ex-rights data live in ``T0002/hq_cache/gbbq`` and are not read here.
* Volume is stored in shares (股). Stock files hold shares ([V] in the reference). Index and fund
  volumes do not fit uint32 in shares (SSE Composite trades ~4e10 shares a day, 588000 ~2.5e10), and
  pytdx's coefficients leave index/fund volumes unscaled while scaling stocks shares → lots, so those
  files hold lots (手). Rather than trust a prefix table alone, every file with turnover is measured:
  ``median(amount / (volume × close))`` is ≈1 when volume is in shares and ≈100 when it is in lots
  (for indices, whose points are not a price, ``amount / volume`` is the average price per share:
  ≈3–60 CNY in shares, ≈300–6000 in lots). The prefix default is used only without turnover.
* ``amount`` is float32 in the file (7 significant digits); 0 means unknown and is stored as null.
* ``preclose`` is not in the files (the reserved word is unreliable) and is left null; a TDX file
  has no rows for suspended days, so every row has ``trade_status`` 1 (0 only when volume is 0).

Truncated files (size not a multiple of 32, e.g. copied while 通达信 was still downloading): the
complete records are imported and the dangling tail is reported with its byte offset (``strict``
turns this into an error). A file with no complete record, or whose records do not decode as the
layout its extension promises, raises :class:`ImportFormatError` naming the file, record and offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ...core.errors import ImportFormatError
from ...core.types import Kind
from ..schema import BARS_1M, BARS_5M, DAILY_BY_KIND
from .csv_files import ParsedFile

RECORD = 32
DAY_DTYPE = np.dtype([("date", "<u4"), ("open", "<u4"), ("high", "<u4"), ("low", "<u4"), ("close", "<u4"),
                      ("amount", "<f4"), ("volume", "<u4"), ("reserved", "<u4")])
LC_DTYPE = np.dtype([("date", "<u2"), ("minute", "<u2"), ("open", "<f4"), ("high", "<f4"), ("low", "<f4"),
                     ("close", "<f4"), ("amount", "<f4"), ("volume", "<u4"), ("reserved", "<u4")])
OLD_MIN_DTYPE = np.dtype([("date", "<u2"), ("minute", "<u2"), ("open", "<u4"), ("high", "<u4"),
                          ("low", "<u4"), ("close", "<u4"), ("amount", "<f4"), ("volume", "<u4"),
                          ("reserved", "<u4")])
# extension → (frequency, dtype, price scale for integer prices or None for float prices)
LAYOUTS: dict[str, tuple[str, np.dtype, bool]] = {
    ".day": ("1d", DAY_DTYPE, True), ".lc1": ("1m", LC_DTYPE, False), ".lc5": ("5m", LC_DTYPE, False),
    ".1": ("1m", OLD_MIN_DTYPE, True), ".5": ("5m", OLD_MIN_DTYPE, True),
}
FOLDERS = {"1d": "lday", "1m": "minline", "5m": "fzline"}
FILE_NAME = re.compile(r"^(sh|sz|bj)(\d{6})$", re.IGNORECASE)
RE_EXPORT = "在通达信中重新下载/导出该文件 (re-export it from 通达信: 选项 → 盘后数据下载)"


@dataclass(frozen=True)
class Security:
    """What a TDX file name says: symbol, kind (or None = not imported) and price scale."""

    symbol: str
    kind: str | None
    price_scale: float  # integer price × scale = CNY
    default_lots: bool  # volume unit when the file carries no turnover to measure it
    note: str = ""


def classify(market: str, code: str) -> Security:
    """Instrument kind of a TDX file by market folder and code prefix (pytdx's table, extended with
    SH 52/56/58 ETFs and the BSE; bonds, repos and B-shares are not imported)."""
    m = market.lower()
    sym = f"{code}.{m.upper()}"
    if m == "sh":
        if code.startswith(("60", "68")):
            return Security(sym, Kind.STOCK.value, 0.01, False)
        if code.startswith("000"):
            return Security(sym, Kind.INDEX.value, 0.01, True)
        if code.startswith(("50", "51", "52", "56", "58")):
            return Security(sym, Kind.ETF.value, 0.001, True)
        if code.startswith(("88", "99")):
            return Security(sym, None, 0.01, True, "通达信自编板块/指数 (TDX-internal sector index)")
        if code.startswith("900"):
            return Security(sym, None, 0.001, False, "B 股 (B-shares are not stored)")
        return Security(sym, None, 0.001, False, "债券/回购等 (bonds, repos and others are not stored)")
    if m == "sz":
        if code.startswith(("00", "30")):
            return Security(sym, Kind.STOCK.value, 0.01, False)
        if code.startswith("399"):
            return Security(sym, Kind.INDEX.value, 0.01, True)
        if code.startswith(("15", "16", "18")):
            return Security(sym, Kind.ETF.value, 0.001, True)
        if code.startswith("20"):
            return Security(sym, None, 0.01, False, "B 股 (B-shares are not stored)")
        return Security(sym, None, 0.001, False, "债券/回购等 (bonds, repos and others are not stored)")
    if m == "bj":
        if code.startswith(("43", "83", "87", "92")):
            return Security(sym, Kind.STOCK.value, 0.01, False)
        if code.startswith("899"):
            return Security(sym, Kind.INDEX.value, 0.01, True)
        return Security(sym, None, 0.01, False, "未知北交所代码段 (unknown BSE code range)")
    raise ImportFormatError(f"未知市场 {market!r} (unknown TDX market folder)", "应为 sh / sz / bj")


@dataclass(frozen=True)
class TdxFile:
    path: Path
    market: str
    code: str
    freq: str
    security: Security

    @property
    def symbol(self) -> str:
        return self.security.symbol


@dataclass
class TdxParsed:
    """One decoded file: canonical frame (with ``line`` = 1-based record number) plus notes."""

    file: TdxFile
    parsed: ParsedFile
    dataset: str
    records: int
    truncated_bytes: int = 0
    volume_unit: str = "shares"
    warnings: list[str] = field(default_factory=list)


def describe(path: Path) -> TdxFile | None:
    """TdxFile for a path named like ``sh600519.day``; None when the name is not a TDX bar file."""
    layout = LAYOUTS.get(path.suffix.lower())
    m = FILE_NAME.match(path.stem)
    if layout is None or m is None:
        return None
    market, code = m.group(1).lower(), m.group(2)
    return TdxFile(path, market, code, layout[0], classify(market, code))


def find_files(root: Path) -> list[TdxFile]:
    """TDX bar files under a vipdoc folder (or the TDX install folder holding it, or one market
    folder, or a single file), sorted by market, frequency and code."""
    root = Path(root)
    if root.is_file():
        f = describe(root)
        if f is None:
            raise ImportFormatError(f"{root}: 不是通达信行情文件 (not a TDX .day/.lc1/.lc5 file name)",
                                    "文件名应形如 sh600519.day / sz000001.lc1 / bj920799.lc5", path=str(root))
        return [f]
    if not root.is_dir():
        raise ImportFormatError(f"{root}: 目录不存在 (folder not found)", "传入通达信安装目录下的 vipdoc 文件夹",
                                path=str(root))
    if (root / "vipdoc").is_dir():
        root = root / "vipdoc"
    out = []
    for p in root.rglob("*"):
        if p.is_file():
            f = describe(p)
            if f is not None:
                out.append(f)
    return sorted(out, key=lambda f: (f.market, f.freq, f.code, str(f.path)))


def _fail(f: TdxFile, record: int | None, what: str, hint: str = RE_EXPORT, fieldname: str | None = None
          ) -> ImportFormatError:
    where = str(f.path)
    if record is not None:
        where += f": 第 {record} 条记录 (record {record}, byte offset {(record - 1) * RECORD})"
    return ImportFormatError(f"{where}: {what}", hint, path=str(f.path), row=record, field=fieldname)


def _decode_lc_dates(f: TdxFile, raw: np.ndarray) -> np.ndarray:
    n = raw["date"].astype(np.int64)
    year, rest = n // 2048 + 2004, n % 2048
    month, day = rest // 100, rest % 100
    minute = raw["minute"].astype(np.int64)
    bad = (month < 1) | (month > 12) | (day < 1) | (day > 31) | (minute < 9 * 60) | (minute > 15 * 60 + 30)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _fail(f, i + 1, f"日期/时间无法按 {f.path.suffix} 格式解码 (packed date {int(n[i])}, minute "
                    f"{int(minute[i])}) — unknown layout, not a 通达信 minute file",
                    "确认文件来自通达信 vipdoc/*/minline 或 fzline；" + RE_EXPORT, "date")
    dates = pd.to_datetime({"year": year, "month": month, "day": day}, errors="coerce")
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise _fail(f, i + 1, f"无效日期 {year[i]}-{month[i]:02d}-{day[i]:02d} (invalid date) — unknown layout",
                    RE_EXPORT, "date")
    return (dates + pd.to_timedelta(minute, unit="min")).to_numpy("datetime64[s]")


def _decode_day_dates(f: TdxFile, raw: np.ndarray) -> np.ndarray:
    n = raw["date"].astype(np.int64)
    dates = pd.to_datetime(pd.Series(n.astype(str)), format="%Y%m%d", errors="coerce")
    bad = dates.isna().to_numpy() | (n < 19901219) | (n > 21000101)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _fail(f, i + 1, f"日期字段 {int(n[i])} 不是 YYYYMMDD (not a date) — unknown layout, not a "
                    f"通达信 .day file", "确认文件来自通达信 vipdoc/*/lday；" + RE_EXPORT, "date")
    return dates.dt.date.to_numpy()


def _volume_in_lots(f: TdxFile, close: np.ndarray, volume: np.ndarray, amount: np.ndarray
                    ) -> tuple[bool, str | None]:
    """Measure the volume unit from turnover; (lots?, warning or None)."""
    ok = (volume > 0) & (amount > 0) & (close > 0)
    if ok.sum() < 1:
        return f.security.default_lots, None
    if f.security.kind == Kind.INDEX.value:
        r = float(np.median(amount[ok] / volume[ok]))  # CNY per unit: a share price, or 100 of them
        if 1.0 <= r <= 150.0:
            return False, None
        if 150.0 < r <= 15000.0:
            return True, None
    else:
        r = float(np.median(amount[ok] / (volume[ok] * close[ok])))
        if 0.3 <= r <= 3.0:
            return False, None
        if 30.0 <= r <= 300.0:
            return True, None
    unit = "手 lots" if f.security.default_lots else "股 shares"
    return f.security.default_lots, (f"{f.path}: 无法由成交额判断成交量单位 (median ratio {r:.3g}); 按 {unit} 处理 "
                                     f"(cannot tell the volume unit from turnover; assumed {unit})")


def read_file(f: TdxFile, *, strict: bool = False) -> TdxParsed:
    """Decode one TDX file into canonical columns. Raises ImportFormatError naming file and record."""
    if f.security.kind is None:
        raise _fail(f, None, f"不导入此类证券: {f.security.note}", "用 --symbols 只选择股票、指数和 ETF")
    freq, dtype, int_prices = LAYOUTS[f.path.suffix.lower()]
    data = f.path.read_bytes()
    whole, tail = divmod(len(data), RECORD)
    warnings: list[str] = []
    if whole == 0:
        raise _fail(f, None, f"文件只有 {len(data)} 字节，不足一条 32 字节记录 (no complete record; "
                    f"truncated at byte offset 0)")
    if tail:
        msg = (f"{f.path}: 文件被截断: 字节偏移 {whole * RECORD} 处剩余 {tail} 字节不足一条记录，已忽略；"
               f"已导入前 {whole} 条完整记录 (truncated: {tail} dangling bytes at byte offset {whole * RECORD} "
               f"ignored, {whole} complete records imported) — {RE_EXPORT}")
        if strict:
            raise _fail(f, whole + 1, f"文件被截断 (truncated: {tail} bytes at byte offset {whole * RECORD})")
        warnings.append(msg)
    raw = np.frombuffer(data, dtype=dtype, count=whole)
    times = _decode_day_dates(f, raw) if freq == "1d" else _decode_lc_dates(f, raw)
    prices = {}
    for c in ("open", "high", "low", "close"):
        v = raw[c].astype(np.float64)
        if int_prices:
            scale = f.security.price_scale if freq == "1d" else 0.01
            v = np.round(v * scale, 3 if scale < 0.01 else 2)
        else:
            v = np.round(v, 3 if f.security.price_scale < 0.01 else 2)
        prices[c] = v
    if not int_prices:
        fl = raw["close"].astype(np.float64)
        weird = ~np.isfinite(fl) | ((fl != 0) & (np.abs(fl) < 1e-6)) | (np.abs(fl) > 1e7)
        if weird.any():
            i = int(np.flatnonzero(weird)[0])
            raise _fail(f, i + 1, f"收盘价 {fl[i]!r} 不是合理的浮点价格 (close is not a plausible float price) — "
                        f"unknown layout; older integer-price files are named .1/.5",
                        "若这是旧版 .1/.5 文件请改回原扩展名；否则" + RE_EXPORT, "close")
    amount = raw["amount"].astype(np.float64)
    amount = np.where(np.isfinite(amount) & (amount > 0), amount, np.nan)
    volume = raw["volume"].astype(np.int64)
    lots, note = _volume_in_lots(f, prices["close"], volume.astype(np.float64), np.nan_to_num(amount))
    if note:
        warnings.append(note)
    if lots:
        volume = volume * 100
    frame = pd.DataFrame({"symbol": f.symbol, **prices, "volume": volume, "amount": amount})
    frame["trade_status"] = (frame["volume"] > 0).astype("int8")
    frame["is_st"] = False
    tcol = "date" if freq == "1d" else "ts"
    frame[tcol] = times
    frame["line"] = np.arange(1, whole + 1)
    kind = f.security.kind
    if freq == "1d":
        dataset = DAILY_BY_KIND[kind].name
        frame["preclose"] = np.nan
    else:
        dataset = (BARS_1M if freq == "1m" else BARS_5M).name
        frame = frame.drop(columns=["trade_status", "is_st"])
    pf = ParsedFile(str(f.path), "tdx", kind, frame, record_size=RECORD)
    return TdxParsed(f, pf, dataset, whole, tail, "lots" if lots else "shares", warnings)
