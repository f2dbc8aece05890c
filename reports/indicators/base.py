"""What every piano di zona indicator shares: the territory it is computed for
(``Scope``), the period (``Period``), the shape of its result (``Result``) and the
registry that pages, exports and the API read (``INDICATORS``).

An indicator is one function ``(scope, period) -> Result`` that computes its figures in
the database (aggregates, a bounded number of queries whatever the rows) and returns
plain numbers: small-count suppression is applied where figures are shown
(``Unit.PEOPLE`` counts), never inside the function, so that tests compare true values.

Several indicators often read the same figures (the four of the Civic Center one
query, the three of isolation another): the helper that computes them is decorated
with ``once``, and within a ``computing_once()`` block (one report:
``reports.selectors.report``) it runs once per scope and period, the other indicators
reusing its result. Outside such a block every call computes afresh; the memo ends
with the block, so figures are never stale from one page to the next.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Unit(StrEnum):
    PEOPLE = "people"  # counts of persons: suppressed below 5 when shown
    COUNT = "count"  # counts of things (meetings, pacts…)
    HOURS = "hours"
    EURO = "euro"
    SHARE = "share"  # a percentage, 0–100, Decimal with one decimal place


Number = int | Decimal


@dataclass(frozen=True)
class Scope:
    """Where: one ambito, or one comune of it (``comune_id``). Ids, so that a scope is
    cheap to build and to pass to a task."""

    ambito_id: int
    comune_id: int | None = None


PERIOD_KINDS = ("month", "quarter", "year", "plan")
PLAN_YEARS = 3  # a piano di zona lasts three years


@dataclass(frozen=True)
class Period:
    """When: ``start`` and ``end`` inclusive. ``kind`` is month, quarter, year or plan
    (the three-year piano di zona)."""

    kind: str
    start: dt.date
    end: dt.date

    @property
    def code(self) -> str:
        """The period as it is written in addresses: 2026-03, 2026-Q1, 2026, 2025-2027."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.year}-{self.end.year}"

    def previous(self) -> Period:
        """The period of the same kind just before (for comparisons)."""
        return period_ending(self.kind, self.start - dt.timedelta(days=1))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def period_ending(kind: str, day: dt.date) -> Period:
    """The period of ``kind`` that contains ``day`` (a plan starts in ``day``'s year
    minus its offset within the three-year cycle: plans start on years ≡ 2025 mod 3)."""
    if kind == "month":
        return Period(kind, day.replace(day=1), _month_end(day.year, day.month))
    if kind == "quarter":
        first = (day.month - 1) // 3 * 3 + 1
        return Period(kind, dt.date(day.year, first, 1), _month_end(day.year, first + 2))
    if kind == "year":
        return Period(kind, dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
    if kind == "plan":
        first = day.year - (day.year - 2025) % PLAN_YEARS
        return Period(kind, dt.date(first, 1, 1), dt.date(first + PLAN_YEARS - 1, 12, 31))
    raise ValueError(f"unknown period kind {kind!r}")


_PATTERNS = (
    ("month", re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$")),
    ("year", re.compile(r"^(\d{4})$")),
    ("plan", re.compile(r"^(\d{4})-(\d{4})$")),
)


def parse_period(code: str) -> Period:
    """``2026-03``, ``2026-Q1``, ``2026`` or ``2025-2027`` (a piano di zona: three
    years, starting on a plan year) as a Period; ValueError otherwise."""
    text = (code or "").strip().upper()
    for kind, pattern in _PATTERNS:
        found = pattern.match(text)
        if not found:
            continue
        year = int(found.group(1))
        if not 2000 <= year <= 2100:
            break
        if kind == "month":
            return period_ending(kind, dt.date(year, int(found.group(2)), 1))
        if kind == "quarter":
            return period_ending(kind, dt.date(year, (int(found.group(2)) - 1) * 3 + 1, 1))
        if kind == "year":
            return period_ending(kind, dt.date(year, 1, 1))
        plan = period_ending(kind, dt.date(year, 1, 1))
        if plan.start.year != year or plan.end.year != int(found.group(2)):
            break
        return plan
    raise ValueError(f"not a period: {code!r}")


@dataclass(frozen=True)
class Breakdown:
    """A figure split along one dimension (``dimension``: "area", "sex", "age_band",
    "channel", "comune", "status"…): ``values`` by key, in display order; ``labels``
    the translated name of each key."""

    dimension: str
    values: dict[str, Number]
    labels: dict[str, str] = field(default_factory=dict)
    # Whether the values add up to the indicator's headline value (a person counted
    # once per sex does; a person counted in each of their areas does not).
    additive: bool = True
    # For shares of people: the (part, whole) counts each value was computed from, so
    # that ``reports.present.show`` can hide a share of a small group.
    bases: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """An indicator's figures for one scope and period: the headline ``value`` (None
    when it has none, e.g. a share of nobody) and any breakdowns."""

    code: str
    unit: Unit
    value: Number | None
    breakdowns: tuple[Breakdown, ...] = ()
    # For a share of people (or of their goals): the (part, whole) counts the headline
    # was computed from. ``reports.present.show`` hides the share when the part or the
    # rest is a small group (1 to 4): 2 of 3 people is not to be told as 66,7 %.
    basis: tuple[int, int] | None = None

    def breakdown(self, dimension: str) -> Breakdown:
        for item in self.breakdowns:
            if item.dimension == dimension:
                return item
        raise KeyError(dimension)


Compute = Callable[[Scope, Period], Result]


@dataclass(frozen=True)
class Indicator:
    code: str
    area: str
    title: str | Promise
    unit: Unit
    compute: Compute


AREAS = {
    "people": _("People taken in charge"),
    "intakes": _("Intakes"),
    "pacts": _("Pacts"),
    "isolation": _("Isolation"),
    "work": _("Work inclusion"),
    "labs": _("Community labs"),
    "civic": _("Civic Center"),
    "fundraising": _("Fundraising"),
    "research": _("Wel(l)fare LAB"),
}
INDICATORS: dict[str, Indicator] = {}


def indicator(
    code: str, *, area: str, title: str | Promise, unit: Unit
) -> Callable[[Compute], Compute]:
    """Register ``compute`` as the indicator ``code`` of ``area`` (one per code)."""
    if area not in AREAS:
        raise ValueError(f"unknown area {area!r}")

    def register(compute: Compute) -> Compute:
        if code in INDICATORS:
            raise ValueError(f"indicator {code!r} registered twice")
        INDICATORS[code] = Indicator(code, area, title, unit, compute)
        return compute

    return register


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` as a percentage with one decimal (None of nobody)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


# --- Computing once -------------------------------------------------------------------------

# The figures computed so far in the current ``computing_once()`` block, by helper, scope
# and period (None outside any block). A context variable: each thread, task and request
# has its own, so one report never sees another's figures.
_MEMO: ContextVar[dict[Hashable, Any] | None] = ContextVar("reports_indicator_memo", default=None)

T = TypeVar("T")


@contextmanager
def computing_once() -> Iterator[None]:
    """Within the block, every ``once`` helper runs once per scope and period and its
    result is reused. Blocks nest: an inner block keeps the outer one's memo (a whole
    document's reports share one). The memo is dropped when the outermost block ends."""
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def once(compute: Callable[[Scope, Period], T]) -> Callable[[Scope, Period], T]:
    """``compute(scope, period)``, memoised within a ``computing_once()`` block (and
    computed on every call outside one). Its result is shared by every caller of the
    block: they must not change it."""
    name = f"{compute.__module__}.{compute.__qualname__}"

    @functools.wraps(compute)
    def memoised(scope: Scope, period: Period) -> T:
        memo = _MEMO.get()
        if memo is None:
            return compute(scope, period)
        key = (name, scope, period)
        if key not in memo:
            memo[key] = compute(scope, period)
        result: T = memo[key]
        return result

    return memoised
