"""A-share daily price limits (涨跌幅限制) as dated data plus pure functions.

Source: ../reference/ashare-rules.md §4.1–4.2 (SSE/SZSE trading rules and notices). Only the limit
band and the IPO no-limit windows live here so far; fees, lots and T+1 join as the backtester needs them.
"""

from __future__ import annotations

import datetime as dt

from .types import Board

CHINEXT_20PCT_FROM = dt.date(2020, 8, 24)      # 深证上〔2020〕515号: ChiNext ±20 %, ST included
STAR_LAUNCH = dt.date(2019, 7, 22)             # STAR ±20 % from its first day
BSE_OPENING = dt.date(2021, 11, 15)            # BSE ±30 %
MAIN_ST_10PCT_FROM = dt.date(2026, 7, 6)       # 2026 rule revision: main-board ST 5 % → 10 %
MAIN_REGISTRATION_IPO_FROM = dt.date(2023, 4, 10)  # main-board IPOs: first 5 days without limit


def price_limit_pct(board: Board | str, day: dt.date, is_st: bool = False) -> float | None:
    """Daily limit as a fraction (0.10 = ±10 %) for a stock on ``day``; None when no band applies
    (indices, ETFs handled elsewhere, futures, B-shares not modelled)."""
    b = Board(board)
    if b is Board.MAIN:
        return 0.05 if is_st and day < MAIN_ST_10PCT_FROM else 0.10
    if b is Board.CHINEXT:
        if day >= CHINEXT_20PCT_FROM:
            return 0.20
        return 0.05 if is_st else 0.10
    if b is Board.STAR:
        return 0.20
    if b is Board.BSE:
        return 0.30
    if b is Board.ETF:
        return 0.20  # the loosest ETF band: ETFs follow their underlying (10 %, or 20 % on STAR/ChiNext)
    return None


def ipo_no_limit_days(board: Board | str, list_date: dt.date) -> int:
    """How many trading days from the listing day trade without the normal band (§4.2).

    Main-board IPOs 2014-06-13 … 2023-04-09 had a +44 %/−36 % cap on the first day only; that day
    is counted as "no normal band" too, since the normal band does not apply.
    """
    b = Board(board)
    if b is Board.STAR:
        return 5
    if b is Board.CHINEXT:
        return 5 if list_date >= CHINEXT_20PCT_FROM else 1
    if b is Board.MAIN:
        return 5 if list_date >= MAIN_REGISTRATION_IPO_FROM else 1
    if b is Board.BSE:
        return 1
    return 1
