"""The desk's exports, under /fundraising/gestione/esportazioni/: the donations (with
the donations list's filters), the donors, and the yearly per-donor totals for the tax
declarations, each as XLSX or CSV (fundraising.exports lays them out).

Who: the fundraisers of the organisations that received the gifts (the policy's
``Action.EXPORT``); network administrators read the desk but export nothing (403),
anybody else has no desk (403). Only the gifts to one's own organisations go out. Each
export is written to the access log (``audit_export``: what, how many rows, which
filters). An unknown format or filter value is a bad request (400).

The URLs are included by manage_gifts' urlpatterns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fundraising import exports
from fundraising.forms_gifts import FORMATS, DonationFilterForm, YearlyTotalsForm
from fundraising.models import Campaign, Donation, Donor
from fundraising.selectors import (
    desk_campaigns,
    desk_donations,
    desk_gifts_q,
    donations_filtered,
    yearly_donor_totals,
)
from fundraising.views.manage import desk_orgs, require_desk
from legami.audit import audit_export
from legami.policy import Action, allowed, visible_to
from partners.models import Organisation

FORMAT_NAMES = {name for name, _label in FORMATS}


def filter_campaigns(user: Any) -> QuerySet[Campaign]:
    """The campaigns the donations' filters offer: those on the desk."""
    return desk_campaigns(user).order_by("title", "pk")


def filtered_donations(user: Any, data: dict[str, Any], action: Action) -> QuerySet[Donation]:
    """The desk's donations that the valid filters of ``DonationFilterForm`` select."""
    return donations_filtered(
        desk_donations(user, action),
        status=data.get("status") or "",
        campaign=data.get("campaign"),
        method=data.get("method") or "",
        since=data.get("since"),
        until=data.get("until"),
    )


def export_orgs(user: Any) -> QuerySet[Organisation]:
    """The organisations whose donors ``user`` may export (those they raise funds for)."""
    orgs = [
        org.pk
        for org in desk_orgs(user)
        if allowed(user, Action.EXPORT, Donation(organisation=org))
    ]
    return Organisation.objects.filter(pk__in=orgs).order_by("name")


def require_export(request: HttpRequest) -> None:
    require_desk(request)
    if not allowed(request.user, Action.EXPORT, Donation):
        raise PermissionDenied


def bad_request(text: str) -> HttpResponse:
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


def _format(request: HttpRequest) -> str | None:
    fmt = request.GET.get("format", "xlsx")
    return fmt if fmt in FORMAT_NAMES else None


def _file(
    *,
    fmt: str,
    name: str,
    title: str,
    columns: Sequence[exports.Column],
    rows: Iterable[Sequence[Any]],
) -> HttpResponse | StreamingHttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response: HttpResponse | StreamingHttpResponse
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.csv_lines(columns, rows), content_type=exports.CSV_TYPE
        )
    else:
        response = HttpResponse(exports.xlsx(title, columns, rows), content_type=exports.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@login_required
@require_GET
def export_page(request: HttpRequest) -> HttpResponse:
    """What can be exported, with the choices of each export."""
    require_desk(request)
    user = request.user
    orgs = export_orgs(user)
    return render(
        request,
        "fundraising/manage/export_page.html",
        {
            "may_export": allowed(user, Action.EXPORT, Donation),
            "filter_form": DonationFilterForm(campaigns=filter_campaigns(user)),
            "yearly_form": YearlyTotalsForm(organisations=orgs),
            "formats": FORMATS,
        },
    )


@never_cache
@login_required
@require_GET
def export_donations(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered donations (the donations list's filters)."""
    require_export(request)
    user = request.user
    fmt = _format(request)
    params = request.GET.copy()
    params.pop("format", None)
    form = DonationFilterForm(params, campaigns=filter_campaigns(user))
    if fmt is None or not form.is_valid():
        return bad_request(gettext("Unknown export format or filter: correct the choices."))
    qs = filtered_donations(user, form.cleaned_data, Action.EXPORT)
    audit_export(
        resource="fundraising.donation",
        count=qs.count(),
        purpose=f"donations export ({fmt}) {params.urlencode()}",
    )
    return _file(
        fmt=fmt,
        name="donazioni",
        title=gettext("Donations"),
        columns=exports.DONATION_COLUMNS,
        rows=exports.donation_rows(qs),
    )


@never_cache
@login_required
@require_GET
def export_donors(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The donors who gave to the person's organisations, with their received gifts."""
    require_export(request)
    user = request.user
    fmt = _format(request)
    if fmt is None:
        return bad_request(gettext("Unknown export format."))
    donors = visible_to(user, Donor, Action.EXPORT)
    qs = exports.donors_for_export(donors, desk_gifts_q(user, "donations__"))
    audit_export(
        resource="fundraising.donor", count=donors.count(), purpose=f"donors export ({fmt})"
    )
    return _file(
        fmt=fmt,
        name="donatori",
        title=gettext("Donors"),
        columns=exports.DONOR_COLUMNS,
        rows=exports.donor_rows(qs),
    )


@never_cache
@login_required
@require_GET
def export_yearly(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Per donor with a codice fiscale or partita IVA, the received (not refunded) gifts
    of a year to one organisation: for its tax declarations."""
    require_export(request)
    form = YearlyTotalsForm(request.GET, organisations=export_orgs(request.user))
    if not form.is_valid():
        return bad_request(gettext("Choose the organisation, a year that has begun and a format."))
    organisation = form.cleaned_data["organisation"]
    year = form.cleaned_data["year"]
    fmt = form.cleaned_data["format"]
    qs = yearly_donor_totals(organisation, year)
    audit_export(
        resource="fundraising.donor",
        count=qs.count(),
        purpose=f"yearly donor totals {year} organisation={organisation.pk} ({fmt})",
    )
    return _file(
        fmt=fmt,
        name=f"totali-donatori-{year}-{organisation.slug}",
        title=gettext("Totals %(year)s") % {"year": year},
        columns=exports.YEARLY_COLUMNS,
        rows=exports.yearly_rows(qs),
    )


urlpatterns: list[URLPattern] = [
    path("gestione/esportazioni/", export_page, name="manage_exports"),
    path("gestione/esportazioni/doni/", export_donations, name="manage_export_donations"),
    path("gestione/esportazioni/donatori/", export_donors, name="manage_export_donors"),
    path("gestione/esportazioni/totali-annui/", export_yearly, name="manage_export_yearly"),
]
