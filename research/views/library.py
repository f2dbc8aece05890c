"""The findings library of Wel(l)fare LAB, under /research/biblioteca/: the list with
full-text search and filters (theme, pathway, kind), an item's page, adding, changing
and removing an item, and the download of its file.

Who: the network's staff read (policy ``research.finding``); researchers add items; the
author or the lead of the item's pathway changes one. A role with no library rule is
refused (403); an item the person may not change is not revealed to the change pages
(404). Every change goes through research.services.findings; a refusal comes back on
the form, status 400, nothing changed. Files live in the private storage and leave it
only through the download view, as attachments.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from legami.forms import add_service_errors
from legami.policy import Action, scope, visible_to
from research import selectors, services
from research.forms_library import FindingForm, LibraryFilterForm
from research.models import Finding, FindingKind, Pathway, Workshop
from research.search import highlighted
from research.views.builder import me

PER_PAGE = 20
# Types of the files the service accepts (it sniffs them and names them by extension),
# office formats included, which not every system's mimetypes table knows.
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
# What an item's form sends to the services, by form field.
VALUE_FIELDS = ("kind", "title", "summary", "body", "pathway", "workshop", "link")

# --- Helpers ------------------------------------------------------------------------------


def require_reader(request: HttpRequest) -> None:
    """Roles with no library rule (citizens, fundraisers, the DPO) are refused."""
    if scope(request.user, Action.LIST, Finding) is False:
        raise PermissionDenied


def finding_or_404(request: HttpRequest, public_id: Any, action: str = Action.CHANGE) -> Finding:
    require_reader(request)
    if action == Action.READ:
        try:
            return selectors.finding_detail(user=request.user, public_id=public_id)
        except Finding.DoesNotExist:
            raise Http404(gettext("No such library item.")) from None
    finding = (
        visible_to(request.user, Finding, action)
        .select_related("pathway", "workshop__meeting")
        .prefetch_related("themes")
        .filter(public_id=public_id)
        .first()
    )
    if finding is None:
        raise Http404(gettext("No such library item, or you may not change it."))
    return finding


def can_change(user: Any, finding: Finding) -> bool:
    return visible_to(user, Finding, Action.CHANGE).filter(pk=finding.pk).exists()


def _int_or_none(value: str | None) -> int | None:
    """A key from the query string: None unless a number the database can hold."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number is not None and abs(number) < 2**63 else None


def _save(form: FindingForm, request: HttpRequest, finding: Finding | None) -> Finding | None:
    """Send a valid form to the service; None (with the refusal on the form) if it says
    no. Themes named for the first time are made only if the item is saved."""
    data = form.cleaned_data
    values = {name: data[name] for name in VALUE_FIELDS}
    try:
        with transaction.atomic():
            themes = services.themes_from_text(data["themes"])
            if finding is None:
                return services.finding_create(
                    by=me(request), themes=themes, file=data["file"], **values
                )
            return services.finding_update(
                finding=finding,
                by=me(request),
                themes=themes,
                file=data["file"],
                remove_file=bool(data.get("remove_file")),
                **values,
            )
    except ValidationError as exc:
        add_service_errors(form, exc)
    except PermissionDenied:
        form.add_error(
            "pathway", gettext("Only the lead of a pathway files items under that pathway.")
        )
    return None


def _form_page(
    request: HttpRequest, form: FindingForm, finding: Finding | None = None
) -> HttpResponse:
    status = 400 if form.is_bound else 200
    return render(
        request, "research/library_form.html", {"form": form, "finding": finding}, status=status
    )


# --- Pages --------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET"])
def finding_list(request: HttpRequest) -> HttpResponse:
    require_reader(request)
    form = LibraryFilterForm(request.GET, user=request.user)
    can_create = scope(request.user, Action.CREATE, Finding) is not False
    if not form.is_valid():
        context = {"form": form, "can_create": can_create, "invalid": True}
        return render(request, "research/library_list.html", context, status=400)
    data = form.cleaned_data
    items = selectors.finding_list(
        user=request.user,
        text=data["q"],
        theme=data["theme"],
        pathway=data["pathway"],
        kind=data["kind"],
    )
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.excerpt_html = highlighted(getattr(item, "excerpt", None))
    filtered = any(data[name] for name in ("q", "theme", "pathway", "kind"))
    context = {
        "form": form,
        "page": page,
        "items": page.object_list,
        "searching": bool(data["q"].strip()),
        "filtered": filtered,
        "can_create": can_create,
    }
    return render(request, "research/library_list.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def finding_create(request: HttpRequest) -> HttpResponse:
    if scope(request.user, Action.CREATE, Finding) is False:
        raise PermissionDenied
    if request.method == "POST":
        form = FindingForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            finding = _save(form, request, None)
            if finding is not None:
                messages.success(request, gettext("Item added to the library."))
                return redirect(finding)
        return _form_page(request, form)
    initial: dict[str, Any] = {}
    pathway = _int_or_none(request.GET.get("pathway"))
    workshop = _int_or_none(request.GET.get("workshop"))
    if workshop is not None:
        found = Workshop.objects.filter(pk=workshop).values_list("pathway_id", flat=True).first()
        if found is not None:
            initial.update(workshop=workshop, pathway=found, kind=FindingKind.MATERIAL)
    elif pathway is not None and Pathway.objects.filter(pk=pathway).exists():
        initial.update(pathway=pathway, kind=FindingKind.DOCUMENT)
    return _form_page(request, FindingForm(user=request.user, initial=initial))


@never_cache
@login_required
@require_http_methods(["GET"])
def finding_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    finding = finding_or_404(request, public_id, Action.READ)
    context = {
        "finding": finding,
        "themes": list(finding.themes.all()),
        "editable": can_change(request.user, finding),
        "file_extension": os.path.splitext(finding.file.name)[1].lstrip(".").upper()
        if finding.file
        else "",
    }
    return render(request, "research/library_detail.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def finding_edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    finding = finding_or_404(request, public_id)
    if request.method == "POST":
        form = FindingForm(request.POST, request.FILES, user=request.user, finding=finding)
        if form.is_valid() and _save(form, request, finding) is not None:
            messages.success(request, gettext("Library item saved."))
            return redirect(finding)
        return _form_page(request, form, finding)
    initial = {
        "kind": finding.kind,
        "title": finding.title,
        "summary": finding.summary,
        "body": finding.body,
        "themes": ", ".join(t.name for t in finding.themes.all()),
        "pathway": finding.pathway_id,
        "workshop": finding.workshop_id,
        "link": finding.link,
    }
    form = FindingForm(user=request.user, finding=finding, initial=initial)
    return _form_page(request, form, finding)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def finding_delete(request: HttpRequest, public_id: Any) -> HttpResponse:
    finding = finding_or_404(request, public_id)
    if request.method == "POST":
        services.finding_delete(finding=finding, by=me(request))
        messages.success(request, gettext("Library item removed."))
        return redirect("research:finding_list")
    return render(request, "research/library_delete.html", {"finding": finding})


@never_cache
@login_required
@require_http_methods(["GET"])
def finding_file(request: HttpRequest, public_id: Any) -> FileResponse:
    finding = finding_or_404(request, public_id, Action.READ)
    if not finding.file:
        raise Http404(gettext("This item has no file."))
    try:
        handle = finding.file.open("rb")
    except FileNotFoundError:
        raise Http404(gettext("This item has no file.")) from None
    extension = os.path.splitext(finding.file.name)[1].lower()
    content_type = CONTENT_TYPES.get(extension) or "application/octet-stream"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=finding.file_name or os.path.basename(finding.file.name),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


F = "biblioteca/<uuid:public_id>/"

urlpatterns: list[URLPattern] = [
    path("biblioteca/", finding_list, name="finding_list"),
    path("biblioteca/nuovo/", finding_create, name="finding_create"),
    path(F, finding_detail, name="finding_detail"),
    path(F + "modifica/", finding_edit, name="finding_edit"),
    path(F + "elimina/", finding_delete, name="finding_delete"),
    path(F + "file/", finding_file, name="finding_file"),
]
