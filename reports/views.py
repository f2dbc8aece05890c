"""The piano di zona report pages (see ../shared/ARCHITECTURE.md).

``/reports/``: the ambiti whose report the person reads, and a form to open one for any
period (and one comune of the ambito). ``/reports/<ambito>/<period>/``: the report, every
indicator of every area for the period and the one before, figures always shown through
``reports.present.show`` (counts of people below 5 read "<5").

A role that reads no report at all is refused (403); an ambito the person may not read,
or that does not exist, is not there (404); a malformed period, or a comune that is not
a number or not one of the ambito's, is a bad request (400, as in the API). Each report
read is one row of the access log (``audit_read`` of the ambito, action "view", purpose
"piano di zona report").
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from legami.audit import audit_read
from legami.models import AccessEvent
from reports.forms import ReportChoiceForm
from reports.indicators import (
    AREAS,
    Indicator,
    Period,
    Result,
    Scope,
    Unit,
    parse_period,
    period_ending,
)
from reports.present import Shown, show
from reports.selectors import report, report_ambiti, report_comune, reports_allowed

PURPOSE = "piano di zona report"
# Areas whose records have no comune: their indicators give no figure for a comune.
NO_COMUNE_AREAS = frozenset({"fundraising", "research"})


# --- Figures in words -------------------------------------------------------------------------


def _italian(number: Any, places: int) -> str:
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
        return ngettext("%(n)s person", "%(n)s people", count) % {"n": _italian(count, 0)}
    if unit is Unit.HOURS:
        return gettext("%(n)s hours") % {"n": _italian(value, 2)}
    if unit is Unit.EURO:
        return f"€ {_italian(value, 2)}"
    if unit is Unit.SHARE:
        return f"{_italian(value, 1)} %"
    return _italian(int(value), 0)


def _cell(value: Any, unit: Unit) -> str:
    """A figure in a table whose column heading names the unit (people: the number)."""
    return _italian(int(value), 0) if unit is Unit.PEOPLE else figure(value, unit)


def _unit_words(unit: Unit) -> str:
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
        points = _italian(abs(difference), 1)
        if difference > 0:
            return gettext("%(n)s percentage points more than in the previous period.") % {
                "n": points
            }
        return gettext("%(n)s percentage points less than in the previous period.") % {"n": points}
    amount = figure(abs(difference), unit)
    if difference > 0:
        return gettext("%(amount)s more than in the previous period.") % {"amount": amount}
    return gettext("%(amount)s less than in the previous period.") % {"amount": amount}


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


def _dimension_label(dimension: str) -> str:
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


# --- What the page shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    label: str
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


def _line(indicator: Indicator, area: str, now: Result, before: Result, comune: bool) -> Line:
    shown, shown_before = show(now), show(before)
    tables = []
    for raw, breakdown in zip(now.breakdowns, shown.breakdowns, strict=True):
        if not breakdown.rows:
            continue
        dimension = _dimension_label(breakdown.dimension)
        tables.append(
            Table(
                dimension=breakdown.dimension,
                caption=gettext("%(title)s: breakdown by %(dimension)s")
                % {"title": indicator.title, "dimension": dimension.lower()},
                heading=dimension,
                unit=_unit_words(now.unit),
                cells=tuple(
                    Cell(
                        label,
                        "" if cell.hidden or cell.value is None else _cell(cell.value, now.unit),
                        cell.hidden,
                    )
                    for _key, label, cell in breakdown.rows
                ),
                chart_labels=json.dumps([label for _key, label, _cell in breakdown.rows]),
                chart_values=json.dumps([_plot(cell) for _key, _label, cell in breakdown.rows]),
                some_hidden=any(cell.hidden for _key, _label, cell in breakdown.rows),
                additive=raw.additive,
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
    )


Grouped = list[tuple[str, list[tuple[Indicator, Result]]]]


def _sections(now: Grouped, before: Grouped, comune: bool) -> list[dict[str, Any]]:
    """One section per area (in the order of ``AREAS``), each indicator with its figure
    for the period and for the one before."""
    earlier = dict(before)
    return [
        {
            "area": area,
            "title": AREAS[area],
            "lines": [
                _line(indicator, area, result, old, comune)
                for (indicator, result), (_same, old) in zip(items, earlier[area], strict=True)
            ],
        }
        for area, items in now
    ]


def _report_url(ambito_code: str, period: Period, comune_id: int | None) -> str:
    url = reverse("reports:report", args=[ambito_code, period.code])
    return f"{url}?{urlencode({'comune': comune_id})}" if comune_id else url


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "reports/bad_request.html", {"message": message}, status=400)


# --- Pages ------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """The ambiti whose report the person reads, with this year's and last year's, and
    the form that opens any report (sent by GET: a valid choice redirects to it)."""
    if not reports_allowed(request.user):
        raise PermissionDenied
    ambiti = report_ambiti(request.user)
    asked = any(key in request.GET for key in ("ambito", "period", "comune"))
    form = ReportChoiceForm(request.GET if asked else None, ambiti=ambiti)
    if asked and form.is_valid():
        data = form.cleaned_data
        return HttpResponseRedirect(_report_url(data["ambito"], data["period"], data["comune"]))
    year = timezone.localdate().year
    context = {
        "ambiti": list(form.ambiti.values()),
        "this_year": str(year),
        "last_year": str(year - 1),
        "form": form,
    }
    return render(request, "reports/report_list.html", context, status=400 if asked else 200)


@never_cache
@login_required
@require_GET
def report_page(request: HttpRequest, ambito_code: str, period_code: str) -> HttpResponse:
    """The report of one ambito (or one of its comuni) for one period."""
    if not reports_allowed(request.user):
        raise PermissionDenied
    try:
        period = parse_period(period_code)
    except ValueError:
        return _bad_request(
            request,
            gettext("“%(code)s” is not a period: write 2026-03, 2026-Q1, 2026 or 2025-2027.")
            % {"code": period_code},
        )
    raw_comune = request.GET.get("comune", "").strip()
    comune_id: int | None = None
    if raw_comune:
        if not (raw_comune.isascii() and raw_comune.isdigit() and len(raw_comune) <= 9):
            return _bad_request(request, gettext("The comune must be given by its number."))
        comune_id = int(raw_comune)
    ambito = report_ambiti(request.user).filter(code=ambito_code).first()
    if ambito is None:
        raise Http404
    comune = report_comune(ambito, comune_id) if comune_id is not None else None
    if comune_id is not None and comune is None:  # as the API: bad input, not a missing page
        return _bad_request(request, gettext("This comune is not in the ambito chosen."))
    scope = Scope(ambito.pk, comune_id)
    previous = period.previous()
    following = period_ending(period.kind, period.end + dt.timedelta(days=1))
    sections = _sections(report(scope, period), report(scope, previous), comune is not None)
    audit_read(objs=[ambito], action=AccessEvent.Action.VIEW, purpose=PURPOSE, actor=request.user)
    context = {
        "ambito": ambito,
        "comune": comune,
        "period": period,
        "period_words": period_words(period),
        "previous": previous,
        "previous_words": period_words(previous),
        "previous_url": _report_url(ambito.code, previous, comune_id),
        "following": following,
        "following_words": period_words(following),
        "following_url": _report_url(ambito.code, following, comune_id),
        "whole_ambito_url": _report_url(ambito.code, period, None),
        "sections": sections,
    }
    return render(request, "reports/report.html", context)
