"""Figures as they are shown — on pages, in exports and through the API: counts of
people below the threshold (5) are hidden as "<5", with the secondary suppression of
``legami.aggregates`` so that a breakdown and its total cannot give a hidden count
away. Other units (counts of things, hours, euro, shares) are shown as computed."""

from __future__ import annotations

from dataclasses import dataclass

from legami.aggregates import DEFAULT_THRESHOLD, suppress_series
from reports.indicators.base import Breakdown, Number, Result, Unit

HIDDEN = "<5"


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


def show(result: Result, *, threshold: int = DEFAULT_THRESHOLD) -> ShownResult:
    """``result`` with its small counts of people hidden. The headline is hidden when
    it is small, or when a breakdown that adds up to it needs it hidden to protect one
    of its values; each breakdown is suppressed with the headline as its total when it
    adds up to it, on its own otherwise."""
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
                    (key, breakdown.labels.get(key, key), Shown(cell.value, cell.suppressed))
                    for key, cell in zip(keys, series, strict=True)
                ),
            )
        )
    headline = Shown(None, True) if headline_hidden else Shown(result.value)
    return ShownResult(result.code, result.unit, headline, tuple(shown))
