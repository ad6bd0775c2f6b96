"""Local CSV files: akshare exports (Chinese headers), baostock CSV and generic OHLCV CSV.

akshare ``stock_zh_a_hist`` / ``fund_etf_hist_em`` / ``index_zh_a_hist`` report 成交量 in 手 (lots of
100 shares) and give 涨跌额, so preclose = 收盘 − 涨跌额 (../reference/akshare.md §3.1, §4).
``futures_main_sina`` exports use 开盘价/收盘价/持仓量/动态结算价 with volume in contracts.
baostock ``query_history_k_data(_plus)`` reports volume in shares and may carry preclose/tradestatus/isST.
Files may be UTF-8 (with or without BOM) or GBK, as Chinese brokers and Excel write them.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ...core.errors import ImportFormatError
from ...core.types import Kind, normalize_symbol

FORMATS = ("auto", "akshare", "baostock", "csv")

AKSHARE_STOCK = {"日期": "date", "股票代码": "code", "开盘": "open", "收盘": "close", "最高": "high",
                 "最低": "low", "成交量": "volume", "成交额": "amount", "涨跌额": "change", "换手率": "turnover"}
AKSHARE_FUTURES = {"日期": "date", "开盘价": "open", "最高价": "high", "最低价": "low", "收盘价": "close",
                   "成交量": "volume", "持仓量": "open_interest", "动态结算价": "settle"}
BAOSTOCK = {"date": "date", "code": "code", "open": "open", "high": "high", "low": "low", "close": "close",
            "preclose": "preclose", "volume": "volume", "amount": "amount", "turn": "turnover",
            "tradestatus": "trade_status", "isST": "is_st"}
GENERIC_SYNONYMS = {
    "date": ("date", "datetime", "trade_date", "day", "time", "日期", "交易日期"),
    "symbol": ("symbol", "code", "ts_code", "ticker", "代码", "证券代码"),
    "open": ("open", "开盘", "开盘价"), "high": ("high", "最高", "最高价"), "low": ("low", "最低", "最低价"),
    "close": ("close", "收盘", "收盘价"), "volume": ("volume", "vol", "成交量"),
    "amount": ("amount", "turnover_value", "money", "成交额", "成交金额"),
    "preclose": ("preclose", "pre_close", "prev_close", "前收盘", "昨收"),
}


@dataclass(frozen=True)
class ParsedFile:
    path: str
    format: str
    kind: str
    frame: pd.DataFrame   # canonical columns; ``line`` = 1-based line number in the file
    record_size: int = 0  # > 0: a binary file of fixed-size records and ``line`` is the record number


def read_text(path: Path, encoding: str | None = None) -> tuple[str, str]:
    raw = path.read_bytes()
    tried = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for enc in tried:
        try:
            return raw.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    raise ImportFormatError(f"{path}: 无法以 {'/'.join(tried)} 解码 (file is not UTF-8 or GBK text)",
                            "用 --encoding 指定文件编码，或另存为 UTF-8 CSV", path=str(path))


def _symbol_from_name(path: Path) -> str | None:
    stem = path.stem
    m = re.search(r"(?i)(sh|sz|bj)[._]?(\d{6})|(\d{6})(?:\.(sh|sz|bj|xshg|xshe))?", stem)
    if not m:
        return None
    if m.group(2):
        return normalize_symbol(f"{m.group(1)}{m.group(2)}")
    return normalize_symbol(m.group(3) + (f".{m.group(4)}" if m.group(4) else ""))


def detect_format(columns: list[str]) -> str:
    cols = set(columns)
    if "日期" in cols and len(cols & {"开盘", "收盘", "最高", "最低", "开盘价", "收盘价"}) >= 2:
        return "akshare"
    if {"date", "open", "high", "low", "close", "volume"} <= cols and (
            "code" in cols or "tradestatus" in cols or "preclose" in cols or list(columns)[:2] == ["date", "high"]):
        return "baostock"
    return "csv"


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def parse_csv(path: str | Path, *, fmt: str = "auto", kind: str | None = None, symbol: str | None = None,
              encoding: str | None = None) -> ParsedFile:
    """Read one CSV into canonical columns. Raises ImportFormatError naming file, row and field."""
    p = Path(path)
    if not p.is_file():
        raise ImportFormatError(f"{p}: 文件不存在 (file not found)", "检查路径", path=str(p))
    text, _enc = read_text(p, encoding)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportFormatError(f"{p}: 不是有效的 CSV: {exc} (not a readable CSV)", "检查分隔符与表头",
                                path=str(p)) from exc
    df.columns = [str(c).strip() for c in df.columns]
    if df.empty:
        raise ImportFormatError(f"{p}: 文件没有数据行 (no data rows)", "检查文件内容", path=str(p))
    fmt = detect_format(list(df.columns)) if fmt == "auto" else fmt
    if fmt == "akshare":
        out, volume_lots = _from_akshare(df, p)
    elif fmt == "baostock":
        out = _from_mapping(df, BAOSTOCK, p, required=("date", "open", "high", "low", "close", "volume"))
        volume_lots = False
    elif fmt == "csv":
        out, volume_lots = _from_generic(df, p), False
    else:
        raise ImportFormatError(f"未知格式 {fmt!r} (unknown format)", f"可选: {', '.join(FORMATS)}", path=str(p))
    out["line"] = range(2, len(out) + 2)
    sym = symbol or None
    if sym is None and "code" in out.columns:
        codes = out["code"].astype(str).str.strip()
        codes = codes[codes != ""]
        if not codes.empty:
            sym = codes.iloc[-1]
    if sym is None and "symbol" in out.columns:
        sym = out["symbol"].iloc[0]
    sym = sym or _symbol_from_name(p)
    if not sym:
        raise ImportFormatError(f"{p}: 无法确定代码 (no symbol column and none in the file name)",
                                "用 --symbol 600519.SH 指定，或把文件命名为 600519.SH.csv", path=str(p))
    sym = _normalise(sym, p, kind)
    k = kind or _infer_kind(sym, fmt, out)
    if volume_lots and k != Kind.FUTURES.value:
        out["volume_lots"] = True
    out["symbol"] = sym
    return ParsedFile(str(p), fmt, k, out.drop(columns=[c for c in ("code",) if c in out.columns]))


def _normalise(sym: str, p: Path, kind: str | None) -> str:
    s = str(sym).strip()
    if s.isdigit() and len(s) < 6 and kind != "futures":
        s = s.zfill(6)  # akshare CSVs saved through Excel lose the leading zeros ("338" → 000338)
    try:
        if kind == "index" and re.fullmatch(r"\d{6}", s):
            return f"{s}.{'SZ' if s.startswith('399') else 'SH'}"
        return normalize_symbol(s)
    except Exception as exc:
        raise ImportFormatError(f"{p}: 代码 {sym!r} 无法识别: {exc}", "用 --symbol 指定", path=str(p),
                                field="symbol") from exc


def _infer_kind(sym: str, fmt: str, out: pd.DataFrame) -> str:
    code, exch = sym.split(".")
    if exch in ("SHFE", "DCE", "CZCE", "CFFEX", "INE", "GFEX") or "open_interest" in out.columns:
        return Kind.FUTURES.value
    if code.startswith(("51", "56", "58", "159")):
        return Kind.ETF.value
    if code.startswith("399"):
        return Kind.INDEX.value
    return Kind.STOCK.value


def _from_akshare(df: pd.DataFrame, p: Path) -> tuple[pd.DataFrame, bool]:
    if "开盘价" in df.columns:
        return _from_mapping(df, AKSHARE_FUTURES, p, required=("date", "open", "high", "low", "close", "volume")), False
    out = _from_mapping(df, AKSHARE_STOCK, p, required=("date", "open", "close", "high", "low", "volume"),
                        labels={v: k for k, v in AKSHARE_STOCK.items()})
    return out, True


def _from_mapping(df: pd.DataFrame, mapping: dict[str, str], p: Path, required: tuple[str, ...],
                  labels: dict[str, str] | None = None) -> pd.DataFrame:
    labels = labels or {v: k for k, v in mapping.items()}
    missing = [labels.get(r, r) for r in required if r not in mapping.values() or
               not any(src in df.columns for src, dst in mapping.items() if dst == r)]
    if missing:
        raise ImportFormatError(
            f"{p}: 缺少列 {', '.join(missing)} (missing columns; found: {', '.join(df.columns)})",
            "检查表头是否被改名，或用 --format 指定正确格式", path=str(p), field=missing[0])
    return pd.DataFrame({dst: df[src] for src, dst in mapping.items() if src in df.columns})


def _from_generic(df: pd.DataFrame, p: Path) -> pd.DataFrame:
    out = {}
    for canon, names in GENERIC_SYNONYMS.items():
        col = _pick(list(df.columns), names)
        if col is not None:
            out[canon] = df[col]
    missing = [c for c in ("date", "open", "high", "low", "close", "volume") if c not in out]
    if missing:
        raise ImportFormatError(
            f"{p}: 缺少列 {', '.join(missing)} (missing columns; found: {', '.join(df.columns)})",
            "通用 CSV 需要 date,open,high,low,close,volume 列", path=str(p), field=missing[0])
    return pd.DataFrame(out)
