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
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from legami.audit import audit_read
from legami.models import AccessEvent, Ambito, Comune
from legami.policy import Action
from reports.document import build, period_words, rounding_note
from reports.forms import ExportForm, ReportChoiceForm
from reports.indicators import (
    Period,
    Scope,
    parse_period,
    period_ending,
)
from reports.selectors import report_ambiti, report_comune, reports_allowed

PURPOSE = "piano di zona report"


def _report_url(ambito_code: str, period: Period, comune_id: int | None) -> str:
    url = reverse("reports:report", args=[ambito_code, period.code])
    return f"{url}?{urlencode({'comune': comune_id})}" if comune_id else url


def comune_number_error(raw: str) -> str:
    """Why ``raw`` (a request's "comune") is not a comune's number; "" when it is one or
    is empty."""
    raw = raw.strip()
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        return gettext("The comune must be given by its number.")
    return ""


def chosen_comune(ambito: Ambito, raw: str) -> tuple[Comune | None, str]:
    """The comune of ``ambito`` a request names by number in ``raw`` (None when it names
    none), and why it cannot be used ("" when it can): not a number, or not a comune of
    the ambito. The page and the file request answer 400 with that message."""
    error = comune_number_error(raw)
    if error or not raw.strip():
        return None, error
    comune = report_comune(ambito, int(raw.strip()))
    if comune is None:
        return None, gettext("This comune is not in the ambito chosen.")
    return comune, ""


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
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
        return bad_request(
            request,
            gettext("“%(code)s” is not a period: write 2026-03, 2026-Q1, 2026 or 2025-2027.")
            % {"code": period_code},
        )
    raw_comune = request.GET.get("comune", "")
    if comune_number_error(raw_comune):  # before the ambito: a malformed address is a 400
        return bad_request(request, comune_number_error(raw_comune))
    ambito = report_ambiti(request.user).filter(code=ambito_code).first()
    if ambito is None:
        raise Http404
    comune, error = chosen_comune(ambito, raw_comune)
    if error:  # as the API: bad input, not a missing page
        return bad_request(request, error)
    comune_id = comune.pk if comune else None
    scope = Scope(ambito.pk, comune_id)
    document = build(scope, period)
    previous = document.previous
    following = period_ending(period.kind, period.end + dt.timedelta(days=1))
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
        "sections": document.sections,
        "rounding_note": rounding_note(document.people_rounded_to)
        if document.people_rounded_to > 1
        else "",
        "export_form": ExportForm()
        if report_ambiti(request.user, Action.EXPORT).filter(pk=ambito.pk).exists()
        else None,
    }
    return render(request, "reports/report.html", context)
