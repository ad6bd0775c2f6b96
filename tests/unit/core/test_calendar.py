import datetime as dt

import pytest

from jupyterlab_quant.core.calendar import default_calendar, in_session
from jupyterlab_quant.core.errors import BadRange

D = dt.date


def test_bundled_calendar_counts_match_the_reference() -> None:
    cal = default_calendar()
    assert cal.first == D(1990, 12, 19) and cal.last == D(2026, 12, 31)
    per_year = {y: len(cal.between(D(y, 1, 1), D(y, 12, 31))) for y in (2023, 2024, 2025, 2026)}
    assert per_year == {2023: 242, 2024: 242, 2025: 243, 2026: 242}
    assert cal.is_trading_day(D(1992, 5, 4))


@pytest.mark.parametrize(
    ("day", "trading"),
    [(D(2024, 10, 1), False), (D(2024, 10, 8), True), (D(2024, 9, 30), True), (D(2025, 4, 7), True),
     (D(2020, 1, 31), False), (D(2020, 2, 3), True), (D(2024, 2, 10), False), (D(2024, 11, 23), False)],
)
def test_holidays_and_weekends(day: dt.date, trading: bool) -> None:
    assert default_calendar().is_trading_day(day) is trading


def test_neighbours() -> None:
    cal = default_calendar()
    assert cal.previous(D(2024, 10, 8)) == D(2024, 9, 30)
    assert cal.next(D(2024, 9, 30)) == D(2024, 10, 8)
    assert cal.latest_on_or_before(D(2024, 10, 5)) == D(2024, 9, 30)


def test_ranges_outside_or_reversed_are_errors() -> None:
    cal = default_calendar()
    with pytest.raises(BadRange, match="outside the calendar"):
        cal.between(D(2030, 1, 1), D(2030, 2, 1))
    with pytest.raises(BadRange):
        cal.between(D(2024, 2, 1), D(2024, 1, 1))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [(dt.datetime(2024, 10, 8, 9, 29), False), (dt.datetime(2024, 10, 8, 9, 30), True),
     (dt.datetime(2024, 10, 8, 12, 0), False), (dt.datetime(2024, 10, 8, 14, 59), True),
     (dt.datetime(2024, 10, 1, 10, 0), False)],
)
def test_in_session(moment: dt.datetime, expected: bool) -> None:
    assert in_session(moment) is expected
