"""The results of a survey: counts per option (chart and table), number statistics, open
answers, a cross-tabulation by role or organisation kind (named surveys only), and the
exports (CSV, XLSX). A survey the person may not read does not exist (404); reading
without the right to export gets 403 on the export. Who may do what is the access
policy's business (``legami.policy``), asked by ``research.results``."""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.text import slugify
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from legami.audit import audit_export
from legami.policy import Action, allowed
from research import results
from research.models import Survey
from research.selectors import survey_detail

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _survey(request: HttpRequest, pk: int) -> Survey:
    try:
        return survey_detail(user=request.user, pk=pk)
    except Survey.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
@never_cache
def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    found = results.survey_results(user=request.user, survey=survey)
    by = request.GET.get("by", "role")
    by = by if by in results.BY_CHOICES else "role"
    choices = found.crosstab_questions()
    chosen = None
    crosstab = None
    if not survey.anonymous and choices:
        try:
            question_id = int(request.GET.get("question") or choices[0].pk)
        except ValueError:
            question_id = choices[0].pk
        chosen = next((q for q in choices if q.pk == question_id), choices[0])
        crosstab = results.cross_tab(user=request.user, survey=survey, question_id=chosen.pk, by=by)
    context = {
        "survey": survey,
        "results": found,
        "charts": found.charts(),
        "by": by,
        "by_choices": [
            ("role", gettext("Role")),
            ("organisation_kind", gettext("Organisation kind")),
        ],
        "crosstab_questions": choices,
        "chosen": chosen,
        "crosstab": crosstab,
        "may_export": allowed(request.user, Action.EXPORT, survey),
    }
    if request.headers.get("HX-Request") and request.GET.get("partial") == "crosstab":
        return render(request, "research/partials/results_crosstab.html", context)
    return render(request, "research/results_survey.html", context)


@login_required
@require_GET
@never_cache
def survey_export(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    fmt = request.GET.get("format", "csv")
    headers = request.GET.get("headers", "codes")
    if fmt not in {"csv", "xlsx"} or headers not in {"codes", "texts"}:
        return HttpResponse(
            gettext("Unknown export format."), status=400, content_type="text/plain"
        )
    if not allowed(request.user, Action.EXPORT, survey):
        raise PermissionDenied
    table = results.export_table(user=request.user, survey=survey, headers=headers)
    audit_export(
        resource="research.response",
        count=len(table.rows),
        purpose=f"survey {survey.pk} results ({fmt}, headers={headers})",
        actor=request.user,
    )
    name = f"{slugify(survey.title) or 'survey'}-{survey.pk}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows(results.iter_csv_rows(table))
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(_xlsx(table, survey.title), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _xlsx(table: results.ExportTable, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(slugify(title) or "survey")[:31])
    sheet.append(table.headers)
    for row in table.rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


urlpatterns: list[URLPattern] = [
    path("questionari/<int:pk>/risultati/", survey_results, name="survey_results"),
    path("questionari/<int:pk>/esporta/", survey_export, name="survey_export"),
]
