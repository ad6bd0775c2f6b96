import datetime as dt

import pytest

from jupyterlab_quant.core.errors import BadDate, BadRange, BadSymbol
from jupyterlab_quant.core.types import Board, board_of, normalize_symbol, parse_date, parse_range


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("600519", "600519.SH"), ("600519.SH", "600519.SH"), ("sh600519", "600519.SH"),
        ("sh.600519", "600519.SH"), ("SH600519", "600519.SH"), ("600519.XSHG", "600519.SH"),
        ("000001.XSHE", "000001.SZ"), ("000001", "000001.SZ"), ("sz.000001", "000001.SZ"),
        ("300750", "300750.SZ"), ("688981", "688981.SH"), ("920799", "920799.BJ"), ("830799", "830799.BJ"),
        ("510300", "510300.SH"), ("159915", "159915.SZ"), ("000300.SH", "000300.SH"),
        ("399006.SZ", "399006.SZ"), ("338", "000338.SZ"), ("RB0.SHFE", "RB0.SHFE"), ("IF0.CFX", "IF0.CFFEX"),
        (" 600519.sh ", "600519.SH"),
    ],
)
def test_normalize_symbol(raw: str, expected: str) -> None:
    assert normalize_symbol(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "6005191.SH", "600519.XX", "12345678"])
def test_normalize_symbol_rejects(raw: str) -> None:
    with pytest.raises(BadSymbol) as e:
        normalize_symbol(raw)
    assert e.value.hint


@pytest.mark.parametrize(
    ("symbol", "board"),
    [("600519.SH", Board.MAIN), ("601398.SH", Board.MAIN), ("603259.SH", Board.MAIN), ("605117.SH", Board.MAIN),
     ("688981.SH", Board.STAR), ("689009.SH", Board.STAR), ("000001.SZ", Board.MAIN), ("002415.SZ", Board.MAIN),
     ("300750.SZ", Board.CHINEXT), ("301269.SZ", Board.CHINEXT), ("302132.SZ", Board.CHINEXT),
     ("920799.BJ", Board.BSE), ("830799.BJ", Board.BSE), ("900901.SH", Board.B_SHARE)],
)
def test_board_of(symbol: str, board: Board) -> None:
    assert board_of(symbol) is board


def test_board_of_non_stock_kinds() -> None:
    assert board_of("000300.SH", "index") is Board.INDEX
    assert board_of("510300.SH", "etf") is Board.ETF


def test_parse_date_formats_and_errors() -> None:
    assert parse_date("2019-01-02") == dt.date(2019, 1, 2)
    assert parse_date("20190102") == dt.date(2019, 1, 2)
    assert parse_date(None) is None
    with pytest.raises(BadDate, match="2019-13-01"):
        parse_date("2019-13-01", "start")


def test_parse_range_end_before_start() -> None:
    with pytest.raises(BadRange) as e:
        parse_range("2020-02-01", "2020-01-01")
    assert "end before start" in e.value.message
