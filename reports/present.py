"""Figures as they are shown — on pages, in exports and through the API: counts of
people below the threshold (5) are hidden as "<5", with the secondary suppression of
``legami.aggregates`` so that a breakdown and its total cannot give a hidden count
away. A share of people (``Result.basis``) is hidden when the part or the rest of the
group is 1 to 4. Other units (counts of things, hours, euro) are shown as computed.

Across reports: the report of a whole ambito for a year (or a three-year plan) is the
finest one with exact counts of people. A comune's report, or a month's or a quarter's,
shows them **rounded to the nearest 5** (``rounding_for``), small ones still hidden:
set against the ambito's or the year's exact figure, the difference (the rest of the
ambito, the other months) can then only be narrowed to a few possible values, never
pinned down — otherwise one hidden comune among its ambito's, or one hidden month of a
year, could be worked out by subtraction. Rounded figures may not add up to their
total; the pages say so."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from legami.aggregates import DEFAULT_THRESHOLD, suppress_series
from reports.indicators.base import Breakdown, Number, Period, Result, Scope, Unit

HIDDEN = "<5"


def hidden_mark(unit: Unit) -> str:
    """What stands for a hidden figure: "<5" for a count, "hidden" for a share (a
    "<5" next to percentages would read as "below 5 %")."""
    return str(gettext("hidden")) if unit is Unit.SHARE else HIDDEN


ROUNDING = 5
EXACT_PERIODS = frozenset({"year", "plan"})


def rounding_for(scope: Scope, period: Period) -> int:
    """The base counts of people are rounded to in the report of ``scope`` and
    ``period``: 1 (exact) for a whole ambito and a year or a plan, else 5."""
    return 1 if scope.comune_id is None and period.kind in EXACT_PERIODS else ROUNDING


def rounded(value: int, base: int) -> int:
    """``value`` to the nearest multiple of ``base`` (halves up): 7 → 5, 8 → 10."""
    return value if base == 1 else (value + base // 2) // base * base


@dataclass(frozen=True)
class Shown:
    """One figure ready to show: ``value`` None when hidden (``hidden`` True)."""

    value: Number | None
    hidden: bool = False


@dataclass(frozen=True)
class ShownBreakdown:
    dimension: str
    rows: tuple[tuple[str, str, Shown], ...]  # (key, label, figure)


@dataclass(frozen=True)
class ShownResult:
    code: str
    unit: Unit
    value: Shown
    breakdowns: tuple[ShownBreakdown, ...]


def _plain(breakdown: Breakdown) -> ShownBreakdown:
    return ShownBreakdown(
        breakdown.dimension,
        tuple(
            (key, breakdown.labels.get(key, key), Shown(value))
            for key, value in breakdown.values.items()
        ),
    )


def _small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def _share_of_small_group(basis: tuple[int, int] | None, threshold: int) -> bool:
    """Whether a share computed from ``basis`` (part, whole) tells about a small group:
    the part or the rest is 1 to 4 (with a whole below 5 one of them always is)."""
    if basis is None:
        return False
    part, whole = basis
    return _small(part, threshold) or _small(whole - part, threshold)


def _share(result: Result, threshold: int) -> ShownResult:
    """A share of people is hidden when it speaks of a small group (``basis``); each
    breakdown value likewise by its own basis, and all of them with the headline."""
    headline_hidden = result.value is not None and _share_of_small_group(result.basis, threshold)
    breakdowns = []
    for breakdown in result.breakdowns:
        rows = []
        for key, value in breakdown.values.items():
            hidden = headline_hidden or _share_of_small_group(breakdown.bases.get(key), threshold)
            rows.append(
                (key, breakdown.labels.get(key, key), Shown(None, True) if hidden else Shown(value))
            )
        breakdowns.append(ShownBreakdown(breakdown.dimension, tuple(rows)))
    headline = Shown(None, True) if headline_hidden else Shown(result.value)
    return ShownResult(result.code, result.unit, headline, tuple(breakdowns))


def show(result: Result, *, threshold: int = DEFAULT_THRESHOLD, rounding: int = 1) -> ShownResult:
    """``result`` with its small counts of people hidden. The headline is hidden when
    it is small, or when a breakdown that adds up to it needs it hidden to protect one
    of its values; each breakdown is suppressed with the headline as its total when it
    adds up to it, on its own otherwise. Then the counts of people still shown are
    rounded to ``rounding`` (see ``rounding_for``)."""
    if result.unit is Unit.SHARE:
        return _share(result, threshold)
    if result.unit is not Unit.PEOPLE or result.value is None:
        return ShownResult(
            result.code,
            result.unit,
            Shown(result.value),
            tuple(_plain(b) for b in result.breakdowns),
        )
    headline_hidden = 0 < int(result.value) < threshold
    shown: list[ShownBreakdown] = []
    for breakdown in result.breakdowns:
        keys = list(breakdown.values)
        counts = [int(breakdown.values[key]) for key in keys]
        if not counts:
            shown.append(ShownBreakdown(breakdown.dimension, ()))
            continue
        adds_up = breakdown.additive and sum(counts) == int(result.value)
        series = suppress_series(counts, threshold=threshold, total=adds_up)
        if adds_up and series.total is not None and series.total.suppressed:
            headline_hidden = True
        shown.append(
            ShownBreakdown(
                breakdown.dimension,
                tuple(
                    (
                        key,
                        breakdown.labels.get(key, key),
                        Shown(None, True)
                        if cell.suppressed or cell.value is None
                        else Shown(rounded(int(cell.value), rounding)),
                    )
                    for key, cell in zip(keys, series, strict=True)
                ),
            )
        )
    headline = Shown(None, True) if headline_hidden else Shown(rounded(int(result.value), rounding))
    return ShownResult(result.code, result.unit, headline, tuple(shown))
