"""Periods of the piano di zona reports: months, quarters, years and the three-year plan,
written as 2026-03, 2026-Q1, 2026 and 2025-2027; anything else is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.indicators import parse_period, period_ending

D = dt.date


@pytest.mark.parametrize(
    ("code", "kind", "start", "end"),
    [
        ("2026-03", "month", D(2026, 3, 1), D(2026, 3, 31)),
        ("2024-02", "month", D(2024, 2, 1), D(2024, 2, 29)),
        ("2026-Q1", "quarter", D(2026, 1, 1), D(2026, 3, 31)),
        ("2026-q4", "quarter", D(2026, 10, 1), D(2026, 12, 31)),
        ("2026", "year", D(2026, 1, 1), D(2026, 12, 31)),
        ("2025-2027", "plan", D(2025, 1, 1), D(2027, 12, 31)),
        ("2028-2030", "plan", D(2028, 1, 1), D(2030, 12, 31)),
    ],
)
def test_periods_are_read_from_their_codes(code, kind, start, end):
    period = parse_period(code)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert parse_period(period.code) == period


@pytest.mark.parametrize(
    "code", ["", "2026-13", "2026-00", "2026-Q5", "26", "2026-2028", "2025-2026", "1899", "x"]
)
def test_anything_else_is_refused(code):
    with pytest.raises(ValueError):
        parse_period(code)


def test_the_previous_period_is_of_the_same_kind():
    assert parse_period("2026-01").previous().code == "2025-12"
    assert parse_period("2026-Q1").previous().code == "2025-Q4"
    assert parse_period("2026").previous().code == "2025"
    assert parse_period("2028-2030").previous().code == "2025-2027"


@given(
    st.dates(min_value=D(2001, 1, 1), max_value=D(2099, 12, 31)),
    st.sampled_from(["month", "quarter", "year", "plan"]),
)
def test_every_day_is_in_exactly_its_period(day, kind):
    period = period_ending(kind, day)
    assert day in period
    assert period.previous().end == period.start - dt.timedelta(days=1)
    assert parse_period(period.code) == period
