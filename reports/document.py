"""A report as people read it — on the page and in the exported files (XLSX, CSV, PDF):
every indicator of every area with its figure for the period and for the one before,
its breakdowns, and the figures in words. Figures always pass through
``reports.present.show`` first, so counts of people below 5 are hidden everywhere the
same way. ``build`` computes a whole report; the page and the export task both use it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext

from reports.indicators import AREAS, Indicator, Period, Result, Scope, Unit, computing_once
from reports.indicators.base import Number
from reports.present import Shown, rounding_for, show
from reports.selectors import report

# Areas whose records have no comune: their indicators give no figure for a comune.
NO_COMUNE_AREAS = frozenset({"fundraising", "research"})


# --- Figures in words -------------------------------------------------------------------------


def italian(number: Any, places: int) -> str:
    """``number`` as Italians write it: 1.234,50 (``places`` decimals)."""
    quantized = Decimal(number).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if quantized < 0 else ""
    whole, _, fraction = f"{abs(quantized):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + fraction if places else "")


def figure(value: Any, unit: Unit) -> str:
    """A shown figure with its unit: 12 people, 3, 4,50 hours, € 1.234,50, 12,5 %."""
    if unit is Unit.PEOPLE:
        count = int(value)
        return ngettext("%(n)s person", "%(n)s people", count) % {"n": italian(count, 0)}
    if unit is Unit.HOURS:
        return gettext("%(n)s hours") % {"n": italian(value, 2)}
    if unit is Unit.EURO:
        return f"€ {italian(value, 2)}"
    if unit is Unit.SHARE:
        return f"{italian(value, 1)} %"
    return italian(int(value), 0)


def cell_words(value: Any, unit: Unit) -> str:
    """A figure in a table whose column heading names the unit (people: the number)."""
    return italian(int(value), 0) if unit is Unit.PEOPLE else figure(value, unit)


def unit_words(unit: Unit) -> str:
    return {
        Unit.PEOPLE: gettext("people"),
        Unit.COUNT: gettext("number"),
        Unit.HOURS: gettext("hours"),
        Unit.EURO: gettext("euro"),
        Unit.SHARE: gettext("share"),
    }[unit]


def comparison(now: Shown, before: Shown, unit: Unit) -> str:
    """How the figure compares with the previous period's, in words; empty when either
    is hidden or missing (a difference must never give a hidden count away)."""
    if now.hidden or before.hidden or now.value is None or before.value is None:
        return ""
    difference = Decimal(now.value) - Decimal(before.value)
    if difference == 0:
        return gettext("The same as in the previous period.")
    if unit is Unit.SHARE:
        points = italian(abs(difference), 1)
        if difference > 0:
            return gettext("%(n)s percentage points more than in the previous period.") % {
                "n": points
            }
        return gettext("%(n)s percentage points less than in the previous period.") % {"n": points}
    amount = figure(abs(difference), unit)
    if difference > 0:
        return gettext("%(amount)s more than in the previous period.") % {"amount": amount}
    return gettext("%(amount)s less than in the previous period.") % {"amount": amount}


def rounding_note(base: int) -> str:
    """Why the counts of people of a comune's, a month's or a quarter's report are
    rounded (see ``reports.present.rounding_for``)."""
    return gettext(
        "Counts of people of 5 or more are rounded to the nearest %(base)s in the report "
        "of a comune, a month or a quarter: set against the figures of the whole ambito "
        "or of the whole year they cannot reveal a small group. Rounded figures may not "
        "add up to their total."
    ) % {"base": base}


def period_words(period: Period) -> str:
    """The period as a heading says it: March 2026, first quarter of 2026…"""
    year = period.start.year
    if period.kind == "month":
        return capfirst(formats.date_format(period.start, "YEAR_MONTH_FORMAT"))
    if period.kind == "quarter":
        ordinals = [gettext("first"), gettext("second"), gettext("third"), gettext("fourth")]
        ordinal = ordinals[(period.start.month - 1) // 3]
        return capfirst(
            gettext("%(ordinal)s quarter of %(year)s") % {"ordinal": ordinal, "year": year}
        )
    if period.kind == "year":
        return gettext("Year %(year)s") % {"year": year}
    return gettext("Piano di zona %(start)s–%(end)s") % {"start": year, "end": period.end.year}


def dimension_label(dimension: str) -> str:
    labels = {
        "area": gettext("Vulnerability area"),
        "age_band": gettext("Age band"),
        "sex": gettext("Sex"),
        "status": gettext("Status"),
        "channel": gettext("Channel"),
        "comune": gettext("Comune"),
        "kind": gettext("Kind"),
        "outcome": gettext("Outcome"),
        "moment": gettext("Moment"),
        "minutes": gettext("Minutes"),
    }
    return labels.get(dimension, capfirst(dimension.replace("_", " ")))


# --- What the report shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    label: str
    number: Number | None  # the figure, None when hidden
    text: str  # the figure in words, empty when hidden
    hidden: bool


@dataclass(frozen=True)
class Table:
    dimension: str
    caption: str
    heading: str
    unit: str  # what the figures count, for the column heading
    cells: tuple[Cell, ...]
    chart_labels: str  # JSON for the chart's data attributes
    chart_values: str  # JSON: null where a value is hidden (not plotted)
    some_hidden: bool
    additive: bool
    chart: bool = True  # False when every value shown is zero: nothing to compare


@dataclass(frozen=True)
class Line:
    code: str
    title: str
    unit: Unit
    value: str  # the headline in words; empty when hidden or missing
    hidden: bool
    missing: str  # why there is no figure (empty when there is one)
    previous: str
    previous_hidden: bool
    previous_missing: str
    comparison: str
    tables: tuple[Table, ...]
    number: Number | None = None  # the figure, None when hidden or missing
    previous_number: Number | None = None

    @property
    def is_share(self) -> bool:
        return self.unit is Unit.SHARE


def _missing(result: Result, area: str, comune: bool) -> str:
    if result.value is not None:
        return ""
    if comune and area in NO_COMUNE_AREAS:
        return gettext("not available for a comune")
    return gettext("no figure for this period")


def _plot(shown: Shown) -> int | float | None:
    if shown.hidden or shown.value is None:
        return None
    return int(shown.value) if isinstance(shown.value, int) else float(shown.value)


def _line(
    indicator: Indicator, area: str, now: Result, before: Result, comune: bool, rounding: int
) -> Line:
    shown = show(now, rounding=rounding)
    shown_before = show(before, rounding=rounding)
    tables = []
    for raw, breakdown in zip(now.breakdowns, shown.breakdowns, strict=True):
        if not breakdown.rows:
            continue
        dimension = dimension_label(breakdown.dimension)
        tables.append(
            Table(
                dimension=breakdown.dimension,
                caption=gettext("%(title)s: breakdown by %(dimension)s")
                % {"title": indicator.title, "dimension": dimension.lower()},
                heading=dimension,
                unit=unit_words(now.unit),
                cells=tuple(
                    Cell(
                        label,
                        None if cell.hidden else cell.value,
                        ""
                        if cell.hidden or cell.value is None
                        else cell_words(cell.value, now.unit),
                        cell.hidden,
                    )
                    for _key, label, cell in breakdown.rows
                ),
                chart_labels=json.dumps([label for _key, label, _cell in breakdown.rows]),
                chart_values=json.dumps([_plot(cell) for _key, _label, cell in breakdown.rows]),
                some_hidden=any(cell.hidden for _key, _label, cell in breakdown.rows),
                additive=raw.additive,
                chart=any(_plot(cell) for _key, _label, cell in breakdown.rows),
            )
        )

    def words(item: Shown) -> str:
        return "" if item.hidden or item.value is None else figure(item.value, now.unit)

    return Line(
        code=indicator.code,
        title=str(indicator.title),
        unit=now.unit,
        value=words(shown.value),
        hidden=shown.value.hidden,
        missing=_missing(now, area, comune),
        previous=words(shown_before.value),
        previous_hidden=shown_before.value.hidden,
        previous_missing=_missing(before, area, comune),
        comparison=comparison(shown.value, shown_before.value, now.unit),
        tables=tuple(tables),
        number=None if shown.value.hidden else shown.value.value,
        previous_number=None if shown_before.value.hidden else shown_before.value.value,
    )


@dataclass(frozen=True)
class Section:
    area: str
    title: str
    lines: list[Line]


@dataclass(frozen=True)
class Document:
    scope: Scope
    period: Period
    previous: Period
    sections: list[Section]

    @property
    def people_rounded_to(self) -> int:
        """1 when counts of people are exact, else the base they are rounded to."""
        return rounding_for(self.scope, self.period)


Grouped = list[tuple[str, list[tuple[Indicator, Result]]]]


def _sections(now: Grouped, before: Grouped, comune: bool, rounding: int) -> list[Section]:
    """One section per area (in the order of ``AREAS``), each indicator with its figure
    for the period and for the one before."""
    earlier = dict(before)
    return [
        Section(
            area=area,
            title=str(AREAS[area]),
            lines=[
                _line(indicator, area, result, old, comune, rounding)
                for (indicator, result), (_same, old) in zip(items, earlier[area], strict=True)
            ],
        )
        for area, items in now
    ]


def build(
    scope: Scope,
    period: Period,
    *,
    areas: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Document:
    """The report of ``scope`` for ``period`` (and the period before), area by area;
    ``progress(done, total)`` is called after each area (the export task's bar). The
    whole document shares one ``computing_once`` memo (each figure it reads is computed
    once per period), dropped when it is built."""
    wanted = list(AREAS) if areas is None else [a for a in AREAS if a in set(areas)]
    previous = period.previous()
    sections: list[Section] = []
    with computing_once():
        for done, area in enumerate(wanted, start=1):
            now = report(scope, period, areas=[area])
            before = report(scope, previous, areas=[area])
            sections.extend(
                _sections(now, before, scope.comune_id is not None, rounding_for(scope, period))
            )
            if progress is not None:
                progress(done, len(wanted))
    return Document(scope, period, previous, sections)
