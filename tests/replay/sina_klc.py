"""Encoder for Sina's ``klc_kl.js`` daily K-line payload (format id 3466), the inverse of the JS decoder
that akshare runs (``akshare.stock.cons.hk_js_decode``, function ``d``) — written for the replay server.

The payload is a 6-bit alphabet (A-Z a-z 0-9 + /) carrying an LSB-first bit stream. Header: 12 bits format
id (3466) + 6 bits (63 → no shift). Per row we emit: a "width/param" preamble on the first row (turn off
amount estimation so amounts are plain deltas, widen the field widths), an absolute day number (days since
1970-01-01 minus 7657), then signed/unsigned deltas: open−prev close, high−open, open−low, close−open
(cents), volume delta (shares), amount delta (CNY, integer). A 5-bit terminator ends the stream.
"""

from __future__ import annotations

import datetime as dt

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
EPOCH_OFFSET = 7657
WIDTH = {"o": 8, "h": 8, "l": 8, "c": 8, "v": 12, "a": 13}   # ×3 bits each
START = {"o": 3, "h": 3, "l": 3, "c": 3, "v": 5, "a": 5}


class _Bits:
    def __init__(self) -> None:
        self.bits: list[int] = []

    def put(self, value: int, width: int, signed: bool = False) -> None:
        if width > 30:
            lo = value % (1 << 30)
            hi = (value - lo) >> 30
            self.put(lo, 30)
            self.put(hi, width - 30, signed)
            return
        if signed:
            if not -(1 << (width - 1)) <= value < (1 << (width - 1)):
                raise ValueError(f"{value} does not fit {width} signed bits")
            value &= (1 << width) - 1
        elif not 0 <= value < (1 << width):
            raise ValueError(f"{value} does not fit {width} bits")
        self.bits.extend((value >> i) & 1 for i in range(width))

    def flag(self, b: int | bool) -> None:
        self.bits.append(1 if b else 0)

    def n(self, value: int) -> None:
        """Sina's signed unary number N(): sign bit, then |v|-1 ones, then a zero."""
        assert value != 0
        self.flag(value > 0)
        self.bits.extend([1] * (abs(value) - 1) + [0])

    def text(self) -> str:
        bits = self.bits + [0] * (-len(self.bits) % 6)
        return "".join(ALPHABET[sum(bits[i + k] << k for k in range(6))] for i in range(0, len(bits), 6))


def encode(rows: list[tuple[dt.date, float, float, float, float, int, float]]) -> str:
    """rows: (date, open, high, low, close, volume shares, amount CNY) → the payload string."""
    b = _Bits()
    b.put(3466, 12)
    b.put(63, 6)
    prev_close = prev_vol = prev_amt = 0
    for i, (day, o, h, lo, c, v, a) in enumerate(rows):
        oc, hc, lc, cc = (round(x * 100) for x in (o, h, lo, c))
        vol, amt = int(v), round(a)
        b.flag(1)
        b.flag(1)
        if i == 0:
            b.flag(1)            # parameter block
            b.flag(1)            # toggle b_avp off → amount is a plain cumulative delta
            b.flag(1)
            b.flag(0)
            b.flag(0)
            b.flag(0)            # b_ph, b_phx, b_sep unchanged
            b.flag(0)            # wd unchanged
            b.flag(0)
            b.flag(0)
            b.flag(0)            # no precision changes
        else:
            b.flag(0)
        b.flag(1)                # width/day block
        for k in "ohlcva":
            if i == 0:
                b.flag(1)
                b.n(WIDTH[k] - START[k])
            else:
                b.flag(0)
        b.flag(1)                # day: x() with t == 1 → absolute day
        b.put(1, 3)
        b.put((day - dt.date(1970, 1, 1)).days - EPOCH_OFFSET, 18, signed=True)
        b.flag(0)                # no prevclose
        b.put(oc - prev_close, 3 * WIDTH["o"], signed=True)
        b.put(hc - oc, 3 * WIDTH["h"])
        b.put(oc - lc, 3 * WIDTH["l"])
        b.put(cc - oc, 3 * WIDTH["c"], signed=True)
        b.put(vol - prev_vol, 3 * WIDTH["v"], signed=True)
        b.put(amt - prev_amt, 3 * WIDTH["a"], signed=True)
        prev_close, prev_vol, prev_amt = cc, vol, amt
    for bit in (1, 1, 0, 0, 0):  # terminator: a row with no flags
        b.flag(bit)
    return b.text()


TD_FORMAT = 139          # hk_js_decode: the "_139" decoder (function R) returns a list of dates
TD_RUN_BITS = 4          # run lengths are 3 × 4 = 12-bit unsigned numbers


def encode_trade_dates(days: list[dt.date]) -> str:
    """Sina ``klc_td_sh.txt`` payload (the inverse of decoder R): walk the weekdays from the first trading
    day to the last; the first run header starts on the first day, every later header sits on a
    non-trading weekday (skipped) and gives the length of the run of trading days that follows
    (a 0-length run for each extra holiday)."""
    days = sorted(set(days))
    base = dt.date(1970, 1, 1) + dt.timedelta(days=EPOCH_OFFSET)      # 1990-12-19 = day 0
    num = [(d - base).days for d in days]
    b = _Bits()
    b.put(TD_FORMAT, 12)
    b.put(63, 6)
    b.put(num[0], 18)              # r.d = value − 1, then S(1) steps onto the first day
    b.put(num[-1], 18)             # stop after this day
    trading = set(num)
    # runs[0] = the first run of trading days; every later value is announced on a holiday weekday and is
    # the length of the run right after it (0 when the next weekday is a holiday too)
    runs: list[int] = []
    d, run = num[0], 0
    while d <= num[-1]:
        if d % 7 not in (3, 4):    # Saturday/Sunday are skipped by the decoder itself
            if d in trading:
                run += 1
            else:
                runs.append(run)
                run = 0
        d += 1
    runs.append(run)
    for i, v in enumerate(runs):
        if i == 0:
            b.flag(1)              # width change: run lengths use 3 × TD_RUN_BITS bits
            b.n(TD_RUN_BITS)
        else:
            b.flag(0)
        b.put(v, 3 * TD_RUN_BITS)
    return b.text()
