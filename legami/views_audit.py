"""Pages of the audit trail: the access log, its CSV export, and a person's own report."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from legami import policy
from legami.audit import audit_export
from legami.exports import BOM, Echo, safe_cell
from legami.forms import AccessLogFilterForm
from legami.models import AccessEvent
from legami.selectors import access_event_list, own_access_report

PAGE_SIZE = 50
EXPORT_COLUMNS = (
    "at",
    "actor_label",
    "actor_roles",
    "actor_organisations",
    "action",
    "target_type",
    "target_id",
    "subject_user_id",
    "purpose",
    "request_id",
    "ip",
    "path",
)


def _filters(request: HttpRequest) -> tuple[AccessLogFilterForm, dict[str, Any]]:
    form = AccessLogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, filters


@login_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    """The access log, as far as the person may see it, filtered and paginated."""
    if not policy.allowed(request.user, policy.Action.LIST, AccessEvent):
        raise PermissionDenied
    form, filters = _filters(request)
    page = Paginator(access_event_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "legami/access_log.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_export": policy.allowed(request.user, policy.Action.EXPORT, AccessEvent),
        },
    )


@login_required
@require_GET
def access_log_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered access log as CSV (UTF-8 with BOM, so Excel reads the accents)."""
    if not policy.allowed(request.user, policy.Action.EXPORT, AccessEvent):
        raise PermissionDenied
    form, filters = _filters(request)
    if request.GET and not form.is_valid():
        return HttpResponse(
            _("The filters are not valid: correct them on the access log page."), status=400
        )
    rows = access_event_list(user=request.user, filters=filters)
    audit_export(
        resource="legami.accessevent",
        count=rows.count(),
        purpose=f"access log export {request.GET.urlencode()}"[:200],
    )
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="legami-access-log-{stamp}.csv"'
    return response


def _csv_lines(rows: Any) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield BOM + writer.writerow(EXPORT_COLUMNS)
    for event in rows.values_list(*EXPORT_COLUMNS).iterator(chunk_size=2000):
        values = list(event)
        values[0] = timezone.localtime(values[0]).isoformat(timespec="seconds")
        yield writer.writerow([safe_cell(value) for value in values])


@login_required
@require_GET
def my_access_report(request: HttpRequest) -> HttpResponse:
    """Who looked at my data: the access log rows whose person concerned is me."""
    page = Paginator(own_access_report(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "legami/my_access_report.html", {"page": page})
