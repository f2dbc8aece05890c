"""Pages: import of an existing case list (CSV or XLSX) by a coordinator. Upload → dry-run
report → confirm (all rows, or only the clean ones). Between the steps the uploaded file
is kept in the user's server-side session (bytes, within ``CASE_IMPORT_MAX_BYTES``) and
dropped once imported or replaced."""

from __future__ import annotations

import base64
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from beneficiaries.services.imports import case_list_import
from legami.models import Ambito
from legami.policy import Action, allowed, subject_for
from legami.roles import Role
from partners.models import Organisation

SESSION_KEY = "beneficiaries_case_import"


class CaseImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Case list"),
        help_text=gettext_lazy(
            "A CSV or Excel (.xlsx) file whose first row names the columns: cognome, nome, "
            "codice_fiscale, data_nascita, sesso, comune_residenza, area, "
            "data_presa_in_carico, operatore."
        ),
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Service"), queryset=Organisation.objects.none()
    )
    ambito = forms.ModelChoiceField(label=gettext_lazy("Ambito"), queryset=Ambito.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        subject = subject_for(user)
        orgs = Organisation.objects.filter(pk__in=subject.orgs(Role.COORDINATOR))
        self.fields["organisation"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["ambito"].queryset = Ambito.objects.filter(  # type: ignore[attr-defined]
            pk__in=subject.ambiti(Role.COORDINATOR)
        )
        if orgs.count() == 1:
            self.fields["organisation"].initial = orgs.get()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.CASE_IMPORT_MAX_BYTES:
            raise ValidationError(
                gettext("The file is larger than %(size)d MB.")
                % {"size": max(1, settings.CASE_IMPORT_MAX_BYTES // (1024 * 1024))}
            )
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise ValidationError(gettext("Upload a CSV or an Excel (.xlsx) file."))
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        organisation, ambito = data.get("organisation"), data.get("ambito")
        if organisation and ambito and not organisation.ambiti.filter(pk=ambito.pk).exists():
            self.add_error("ambito", gettext("The service does not work in this ambito."))
        return data


def _require_coordinator(request: HttpRequest) -> None:
    if not (
        allowed(request.user, Action.CREATE, "beneficiaries.person")
        and subject_for(request.user).has(Role.COORDINATOR)
    ):
        raise PermissionDenied


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def case_import(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request)
    context: dict[str, Any] = {}
    if request.method == "POST" and request.POST.get("step") == "confirm":
        stored = request.session.get(SESSION_KEY)
        if not stored:
            context["expired"] = True
            form = CaseImportForm(user=request.user)
        else:
            organisation = Organisation.objects.get(pk=stored["organisation"])
            ambito = Ambito.objects.get(pk=stored["ambito"])
            report = case_list_import(
                file=base64.b64decode(stored["data"]),
                filename=stored["filename"],
                actor=request.user,  # type: ignore[arg-type]
                organisation=organisation,
                ambito=ambito,
                dry_run=False,
                only_clean=request.POST.get("mode") == "clean",
            )
            if report.created:
                del request.session[SESSION_KEY]
            return render(
                request,
                "beneficiaries/import_done.html",
                {"report": report, "organisation": organisation, "ambito": ambito},
            )
    elif request.method == "POST":
        form = CaseImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            organisation, ambito = form.cleaned_data["organisation"], form.cleaned_data["ambito"]
            report = case_list_import(
                file=data,
                filename=upload.name,
                actor=request.user,  # type: ignore[arg-type]
                organisation=organisation,
                ambito=ambito,
                dry_run=True,
            )
            request.session.pop(SESSION_KEY, None)
            if not report.file_problems:
                request.session[SESSION_KEY] = {
                    "data": base64.b64encode(data).decode("ascii"),
                    "filename": upload.name,
                    "organisation": organisation.pk,
                    "ambito": ambito.pk,
                }
            return render(
                request,
                "beneficiaries/import_report.html",
                {"report": report, "organisation": organisation, "ambito": ambito},
            )
    else:
        form = CaseImportForm(user=request.user)
    context["form"] = form
    return render(request, "beneficiaries/import.html", context)


urlpatterns: list[URLPattern | URLResolver] = [
    path("import/", case_import, name="case_import"),
]
