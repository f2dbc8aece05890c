"""Report files (see ``reports.services``): asking for one from the report page, its page
with the progress bar (htmx polls the ``progress`` fragment while the task works), the
download, and the list of one's files and of the monthly reports.

Who: whoever may export the report of the ambito (``reports.ambito_report``,
``Action.EXPORT``); a role that exports no report at all is refused (403), a file that
is not one's own (nor a monthly report of an ambito one exports) is not there (404).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from legami.policy import Action
from reports.document import period_words
from reports.exports import CSV_TYPE, PDF_TYPE, XLSX_TYPE
from reports.forms import ExportForm
from reports.indicators import parse_period
from reports.models import ExportFormat, ExportStatus, ReportExport
from reports.selectors import export_for, export_list, report_ambiti
from reports.services import STAGES, export_content, export_request
from reports.views import bad_request, chosen_comune

CONTENT_TYPES = {
    ExportFormat.XLSX: XLSX_TYPE,
    ExportFormat.CSV: CSV_TYPE,
    ExportFormat.PDF: PDF_TYPE,
}


def _may_export(request: HttpRequest) -> None:
    if not report_ambiti(request.user, Action.EXPORT).exists():
        raise PermissionDenied


def _stage(export: ReportExport) -> str:
    words = {"computing": gettext("computing the figures"), "writing": gettext("writing the file")}
    return words.get(export.stage, "") if export.stage in STAGES else ""


def _context(export: ReportExport) -> dict[str, Any]:
    return {
        "export": export,
        "active": export.active,
        "period_words": period_words(parse_period(export.period)),
        "stage": _stage(export),
        # The bar's width comes from a class (the CSP forbids style attributes), in steps of 5.
        "width": 5 * round(export.progress / 5),
    }


@never_cache
@login_required
@require_POST
def export_start(request: HttpRequest, ambito_code: str, period_code: str) -> HttpResponse:
    """Ask for a file of the report of the page (the form on the report page)."""
    _may_export(request)
    try:
        period = parse_period(period_code)
    except ValueError:
        return bad_request(request, gettext("This is not a period."))
    form = ExportForm(request.POST)
    if not form.is_valid():
        return bad_request(request, gettext("Choose the format of the file: XLSX, CSV or PDF."))
    ambito = report_ambiti(request.user, Action.EXPORT).filter(code=ambito_code).first()
    if ambito is None:
        raise Http404
    comune, error = chosen_comune(ambito, request.POST.get("comune", ""))
    if error:
        return bad_request(request, error)
    export = export_request(
        user=request.user,
        ambito=ambito,
        comune=comune,
        period=period,
        format=form.cleaned_data["format"],
    )
    return HttpResponseRedirect(export.get_absolute_url())


@never_cache
@login_required
@require_GET
def export_page(request: HttpRequest, token: str) -> HttpResponse:
    """A report file: its progress while it is prepared, then the download."""
    _may_export(request)
    export = export_for(request.user, token)
    if export is None:
        raise Http404
    return render(request, "reports/export.html", _context(export))


@never_cache
@login_required
@require_GET
def export_progress(request: HttpRequest, token: str) -> HttpResponse:
    """The fragment htmx polls while the file is prepared."""
    _may_export(request)
    export = export_for(request.user, token)
    if export is None:
        raise Http404
    return render(request, "reports/export.html#progress", _context(export))


@never_cache
@login_required
@require_GET
def export_download(request: HttpRequest, token: str) -> HttpResponse:
    """The file, as an attachment (each download is written to the access log); a file
    no longer kept is gone (410), one not ready yet is not there (404)."""
    _may_export(request)
    export = export_for(request.user, token)
    if export is None:
        raise Http404
    if export.status == ExportStatus.EXPIRED:
        return render(request, "reports/export.html", _context(export), status=410)
    content = export_content(export=export, user=request.user)
    if content is None:
        raise Http404
    response = HttpResponse(content, content_type=CONTENT_TYPES[ExportFormat(export.format)])
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@login_required
@require_GET
def export_list_page(request: HttpRequest) -> HttpResponse:
    """One's report files and the monthly reports, newest first (the latest 100)."""
    _may_export(request)
    exports = list(export_list(request.user)[:100])
    rows = [(export, period_words(parse_period(export.period))) for export in exports]
    return render(request, "reports/export_list.html", {"rows": rows})
