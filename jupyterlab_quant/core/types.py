"""Value types: Symbol (``600519.SH``), Exchange, Board, Kind, Freq, Adjust, and date parsing.

Symbol normalisation (代码规范化) accepts the spellings users paste from other tools —
``600519``, ``sh600519``, ``sh.600519``, ``600519.XSHG``, ``SH600519`` — and returns ``CODE.EXCHANGE``.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import TypeVar

from .errors import BadDate, BadRange, BadSymbol


class Exchange(str, Enum):
    SH = "SH"
    SZ = "SZ"
    BJ = "BJ"
    SHFE = "SHFE"
    DCE = "DCE"
    CZCE = "CZCE"
    CFFEX = "CFFEX"
    INE = "INE"
    GFEX = "GFEX"


class Kind(str, Enum):
    STOCK = "stock"
    INDEX = "index"
    ETF = "etf"
    FUTURES = "futures"


class Board(str, Enum):
    MAIN = "main"        # 主板
    CHINEXT = "chinext"  # 创业板
    STAR = "star"        # 科创板
    BSE = "bse"          # 北交所
    B_SHARE = "b_share"
    INDEX = "index"
    ETF = "etf"
    FUTURES = "futures"


class Freq(str, Enum):
    D1 = "1d"
    M1 = "1m"
    M5 = "5m"


class Adjust(str, Enum):
    NONE = "none"  # 不复权
    QFQ = "qfq"    # 前复权
    HFQ = "hfq"    # 后复权


FUTURES_EXCHANGES = {e.value for e in (Exchange.SHFE, Exchange.DCE, Exchange.CZCE, Exchange.CFFEX,
                                       Exchange.INE, Exchange.GFEX)}
_ALIASES = {"XSHG": "SH", "SS": "SH", "SSE": "SH", "XSHE": "SZ", "SZSE": "SZ", "BSE": "BJ", "XBSE": "BJ",
            "SHF": "SHFE", "CZC": "CZCE", "CFX": "CFFEX", "GFE": "GFEX"}
_CODE6 = re.compile(r"^\d{6}$")


def exchange_of_stock_code(code: str) -> str:
    """Exchange of a 6-digit A-share/ETF code by prefix (source: ../reference/ashare-rules.md §7).

    SSE indices (000xxx) clash with SZ 000xxx stocks; those must be given with an explicit suffix.
    """
    if code.startswith(("60", "68", "69", "90", "5", "11")):
        return "SH"
    if code.startswith(("00", "30", "20", "159", "12", "399", "1")):
        return "SZ"
    if code.startswith(("43", "83", "87", "88", "92")):
        return "BJ"
    raise BadSymbol(f"无法判断代码 {code} 所属交易所 (cannot tell the exchange of code {code})",
                    "请写成 CODE.EXCHANGE 形式，例如 600519.SH / 000001.SZ / 920799.BJ")


def normalize_symbol(raw: str, *, default_exchange: str | None = None) -> str:
    """Return ``CODE.EXCHANGE`` for the common spellings of A-share, index, ETF and futures symbols."""
    s = str(raw).strip().upper().replace("'", "")
    if not s:
        raise BadSymbol("代码为空 (empty symbol)", "请输入代码，例如 600519.SH")
    m = re.fullmatch(r"(SH|SZ|BJ)\.?(\d{6})", s)
    if m:
        return f"{m.group(2)}.{m.group(1)}"
    m = re.fullmatch(r"([0-9A-Z]+)\.([A-Z]+)", s)
    if m:
        code, exch = m.group(1), _ALIASES.get(m.group(2), m.group(2))
        if exch not in Exchange.__members__:
            raise BadSymbol(f"未知交易所后缀 {m.group(2)!r} in {raw!r} (unknown exchange suffix)",
                            "A 股用 .SH/.SZ/.BJ，期货用 .SHFE/.DCE/.CZCE/.CFFEX/.INE/.GFEX")
        if exch in ("SH", "SZ", "BJ") and not _CODE6.match(code):
            raise BadSymbol(f"代码 {raw!r} 不是 6 位数字 (A-share codes have 6 digits)",
                            "例如 600519.SH")
        return f"{code}.{exch}"
    if _CODE6.match(s):
        return f"{s}.{default_exchange or exchange_of_stock_code(s)}"
    if re.fullmatch(r"\d{1,5}", s):
        return normalize_symbol(s.zfill(6), default_exchange=default_exchange)
    raise BadSymbol(f"无法识别的代码 {raw!r} (unrecognised symbol)",
                    "请写成 CODE.EXCHANGE 形式，例如 600519.SH")


def split_symbol(symbol: str) -> tuple[str, str]:
    code, _, exch = symbol.partition(".")
    return code, exch


def board_of(symbol: str, kind: Kind | str = Kind.STOCK) -> Board:
    """Board (板块) of a symbol; for stocks by code prefix (ashare-rules.md §7)."""
    kind = Kind(kind)
    if kind is Kind.INDEX:
        return Board.INDEX
    if kind is Kind.ETF:
        return Board.ETF
    if kind is Kind.FUTURES:
        return Board.FUTURES
    code, exch = split_symbol(symbol)
    if exch == "BJ" or code.startswith(("43", "83", "87", "88", "92")):
        return Board.BSE
    if code.startswith(("688", "689")):
        return Board.STAR
    if code.startswith(("300", "301", "302")):
        return Board.CHINEXT
    if code.startswith(("900", "200")):
        return Board.B_SHARE
    return Board.MAIN


def parse_date(value: str | dt.date | None, field: str = "date") -> dt.date | None:
    """Parse ``YYYY-MM-DD`` or ``YYYYMMDD``; None passes through. Raises BadDate naming the field."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise BadDate(f"{field} 日期格式错误: {text!r} (malformed date)", "请用 YYYY-MM-DD，例如 2019-01-02")


def parse_range(start: str | dt.date | None, end: str | dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    s, e = parse_date(start, "start"), parse_date(end, "end")
    if s and e and e < s:
        raise BadRange(f"结束日期 {e} 早于开始日期 {s} (end before start)", "请交换 start 与 end")
    return s, e


E = TypeVar("E", bound=Enum)


def parse_enum(enum: type[E], value: str | Enum | None, field: str, default: E) -> E:
    if value is None or value == "":
        return default
    if isinstance(value, enum):
        return value  # type: ignore[return-value]
    try:
        return enum(str(value).strip().lower() if enum is not Freq else str(value).strip())
    except ValueError:
        allowed = "|".join(str(m.value) for m in enum)  # type: ignore[attr-defined]
        from .errors import InvalidInput

        raise InvalidInput(f"{field} 取值无效: {value!r} (invalid {field})", f"可选值: {allowed}") from None
