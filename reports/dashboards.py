"""Two dashboards of the reports app (see ../shared/ARCHITECTURE.md).

``/reports/coordinamento/``: the coordination dashboard of a service coordinator, for the
ambiti their organisations serve (``?ambito=<code>``: one of them): open cases assigned
now per worker, pact reviews overdue and due in the next 30 days, intakes of the last 30
days by channel. Operational, not aggregate: every row comes through the access policy
(the case, pact and intake rules), so a coordinator sees exactly the cases they may open,
and no small count is hidden. Who reads no coordination dashboard is refused (403); an
ambito they do not coordinate, or that does not exist, is not there (404). The people
listed (pacts and intakes) are written to the access log, as the case list does.

``/reports/numeri/``: the network in figures, for everyone: a few yearly figures of each
ambito, this year so far and last year, computed only by the registered indicators and
shown through ``reports.present.show`` (counts of people from 1 to 4 read "<5"). A
province total is given only for units that add up across ambiti (counts of things,
hours, euro), never for counts of people. The figures are kept in the cache for an hour
per year and language, so that anonymous traffic does not reach the database.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from beneficiaries import selectors as case_selectors
from legami.audit import audit_read
from legami.models import Ambito
from legami.policy import Action, allowed, visible_to
from pacts import selectors as pact_selectors
from reports.document import figure
from reports.indicators import INDICATORS, Period, Scope, Unit, period_ending
from reports.present import Shown, show

COORDINATION = "reports.coordination"
PUBLIC_FIGURES = "reports.public_figures"
PURPOSE = "coordination dashboard"
WINDOW_DAYS = 30  # reviews due within, intakes of the last
LIST_LIMIT = 25  # rows of each list on the page (the counts say how many there are)
PUBLIC_CACHE_SECONDS = 60 * 60
PUBLIC_CACHE_VERSION = 1

# Units whose figures of the ambiti add up to the province's (each record belongs to one
# ambito); a person can be counted in two ambiti, and a hidden count cannot be added.
ADDITIVE_UNITS = frozenset({Unit.COUNT, Unit.HOURS, Unit.EURO})


def _chart(labels: list[str], values: list[Any]) -> dict[str, str]:
    """Data attributes of a bar chart (reports/report.js): JSON arrays, None not drawn."""
    return {"labels": json.dumps(labels), "values": json.dumps(values)}


# --- The coordination dashboard -----------------------------------------------------------------


def _coordinated_ambiti(user: Any) -> QuerySet[Ambito]:
    return visible_to(user, COORDINATION, Action.READ, queryset=Ambito.objects.all()).order_by(
        "name"
    )


@never_cache
@login_required
@require_GET
def coordination(request: HttpRequest) -> HttpResponse:
    """Caseload per worker, pact reviews due and new intakes of the coordinator's ambiti."""
    ambiti = list(_coordinated_ambiti(request.user))
    if not ambiti:
        raise PermissionDenied
    code = request.GET.get("ambito", "").strip()
    chosen = [a for a in ambiti if a.code == code] if code else ambiti
    if not chosen:
        raise Http404
    ids = [a.pk for a in chosen]
    user = request.user
    today = timezone.localdate()
    since = today - dt.timedelta(days=WINDOW_DAYS - 1)
    until = today + dt.timedelta(days=WINDOW_DAYS)

    caseload = case_selectors.coordination_caseload(user=user, ambito_ids=ids)
    cases = case_selectors.coordination_case_counts(user=user, ambito_ids=ids)
    reviews = pact_selectors.coordination_reviews(user=user, ambito_ids=ids, until=until)
    review_counts = pact_selectors.coordination_review_counts(
        user=user, ambito_ids=ids, today=today, until=until
    )
    overdue = list(reviews.filter(next_review_on__lt=today)[:LIST_LIMIT])
    due = list(reviews.filter(next_review_on__gte=today)[:LIST_LIMIT])
    channels = case_selectors.coordination_intakes_by_channel(
        user=user, ambito_ids=ids, since=since, until=until
    )
    intakes = list(
        case_selectors.coordination_intakes(user=user, ambito_ids=ids, since=since, until=until)[
            :LIST_LIMIT
        ]
    )
    people = {p.pk: p for p in [*(x.person for x in overdue + due), *(i.person for i in intakes)]}
    if people:
        audit_read(objs=people.values(), action="list", purpose=PURPOSE, actor=user)

    context = {
        "ambiti": ambiti,
        "chosen": chosen,
        "chosen_code": code,
        "today": today,
        "since": since,
        "until": until,
        "window": WINDOW_DAYS,
        "limit": LIST_LIMIT,
        "cases": cases,
        "caseload": caseload,
        "caseload_chart": _chart([r["name"] for r in caseload], [r["cases"] for r in caseload]),
        "review_counts": review_counts,
        "overdue": overdue,
        "due": due,
        "intake_total": sum(n for _key, _label, n in channels),
        "channels": channels,
        "channels_chart": _chart([label for _k, label, _n in channels], [n for *_, n in channels]),
        "intakes": [(intake, _intake_url(intake)) for intake in intakes],
    }
    return render(request, "reports/dashboard_coordinator.html", context)


def _intake_url(intake: Any) -> str:
    """The person's page, at the case the intake led to (when the reader sees one)."""
    url = reverse("beneficiaries:person_detail", args=[intake.person.public_id])
    cases = getattr(intake, "visible_cases", [])
    return f"{url}#case-{cases[0].pk}" if cases else url


# --- The network in figures (public) ------------------------------------------------------------


@dataclass(frozen=True)
class PublicFigure:
    """One figure of the public page: an indicator's headline, or one value of one of
    its breakdowns (``dimension`` and ``key``)."""

    code: str
    title: str | Promise
    dimension: str | None = None
    key: str | None = None


PUBLIC_FIGURE_LIST = (
    PublicFigure("lab_meetings", _("Community lab meetings held")),
    PublicFigure("lab_participants", _("People who took part in community lab meetings")),
    PublicFigure("pacts_by_status", _("Generative pacts active"), "status", "active"),
    PublicFigure("hours_given_back", _("Hours given back to the community through the pacts")),
    PublicFigure("civic_families_served", _("Families served by the Civic Center")),
    PublicFigure("fundraising_raised", _("Funds raised for the network's projects")),
)


def _pick(item: PublicFigure, scope: Scope, period: Period) -> Shown:
    """The figure as it may be shown (suppressed through ``reports.present.show``)."""
    shown = show(INDICATORS[item.code].compute(scope, period))
    if item.dimension is None:
        return shown.value
    for breakdown in shown.breakdowns:
        if breakdown.dimension == item.dimension:
            for key, _label, cell in breakdown.rows:
                if key == item.key:
                    return cell
    return Shown(None)


def _cell(shown: Shown, unit: Unit) -> dict[str, Any]:
    if shown.hidden:
        return {"text": "", "hidden": True, "missing": "", "chart": None}
    if shown.value is None:
        return {"text": "", "hidden": False, "missing": "—", "chart": None}
    return {
        "text": figure(shown.value, unit),
        "hidden": False,
        "missing": "",
        "chart": float(shown.value),
    }


def _total(values: list[Shown], unit: Unit) -> dict[str, Any]:
    """The province's figure: the sum of the ambiti's, for units that add up."""
    known = [Decimal(v.value) for v in values if v.value is not None and not v.hidden]
    total = sum(known, Decimal(0))
    return _cell(Shown(total if unit is not Unit.COUNT else int(total)), unit)


def public_figures_data(today: dt.date) -> dict[str, Any]:
    """Every figure of the public page for the year of ``today`` and the one before,
    ready to show (plain strings, numbers and a date: it is kept in the cache)."""
    this_year = period_ending("year", today)
    last_year = this_year.previous()
    years = (this_year, last_year)
    ambiti = list(
        visible_to(
            AnonymousUser(),
            "legami.ambito",
            Action.LIST,
            queryset=Ambito.objects.filter(is_active=True),
        ).order_by("name")
    )
    sections = []
    for item in PUBLIC_FIGURE_LIST:
        unit = INDICATORS[item.code].unit
        by_year: dict[Period, list[Shown]] = {
            period: [_pick(item, Scope(ambito.pk), period) for ambito in ambiti] for period in years
        }
        rows = [
            {
                "name": ambito.name,
                "cells": [_cell(by_year[period][n], unit) for period in years],
            }
            for n, ambito in enumerate(ambiti)
        ]
        additive = unit in ADDITIVE_UNITS
        sections.append(
            {
                "code": item.code + (f"-{item.key}" if item.key else ""),
                "title": str(item.title),
                "people": unit is Unit.PEOPLE,
                "rows": rows,
                "total": [_total(by_year[p], unit) for p in years] if additive else None,
                "some_hidden": any(v.hidden for p in years for v in by_year[p]),
                "chart_labels": json.dumps([a.name for a in ambiti]),
                "chart_series": json.dumps(
                    [
                        {
                            "label": str(period.start.year),
                            "values": [_cell(v, unit)["chart"] for v in by_year[period]],
                        }
                        for period in years
                    ]
                ),
            }
        )
    return {
        "this_year": str(this_year.start.year),
        "last_year": str(last_year.start.year),
        "computed_on": today,
        "ambiti": [a.name for a in ambiti],
        "sections": sections,
    }


def public_cache_key(year: int, language: str | None) -> str:
    return f"reports:public-figures:v{PUBLIC_CACHE_VERSION}:{year}:{language or 'it'}"


@require_GET
def public_figures(request: HttpRequest) -> HttpResponse:
    """The network in figures: a few open figures of each ambito, this year and last."""
    if not allowed(request.user, Action.READ, PUBLIC_FIGURES):
        raise PermissionDenied
    today = timezone.localdate()
    key = public_cache_key(today.year, translation.get_language())
    data = cache.get(key)
    if data is None:
        data = public_figures_data(today)
        cache.set(key, data, PUBLIC_CACHE_SECONDS)
    return render(request, "reports/public.html", data)
