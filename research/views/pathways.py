"""The research pathways' pages, under /research/percorsi/: the pathways a person may
see, a new pathway, one pathway (its phases as a timeline with the current one, its
workshops and training sessions, surveys, documents and outputs), and the lead's pages
to change it, its phases, and to plan a workshop.

Who: the network's staff read (policy ``research.pathway``); researchers create; the
pathway's lead changes it. A role with no pathway rule is refused (403); a pathway the
person may not change is not revealed to its change pages (404). Workshops are meetings
of labs/: sign-up, registrations and attendance are the labs pages, linked from here.
Every change goes through research.services.pathways; a refusal comes back on the page,
status 400, nothing changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from legami.forms import add_service_errors
from legami.policy import Action, scope, visible_to
from research import selectors
from research.forms_pathways import DeleteForm, PathwayForm, PhaseForm, WorkshopForm
from research.models import FindingKind, Pathway, Phase, Survey
from research.services import pathways as services
from research.views.builder import me

PER_PAGE = 25

# --- Helpers ------------------------------------------------------------------------------


def require_reader(request: HttpRequest) -> None:
    if scope(request.user, Action.LIST, Pathway) is False:
        raise PermissionDenied


def pathway_or_404(request: HttpRequest, pk: int, action: str = Action.CHANGE) -> Pathway:
    """The pathway ``pk`` if the person may ``action`` it (404 otherwise: not revealed)."""
    require_reader(request)
    pathway = (
        visible_to(request.user, Pathway, action)
        .select_related("lead", "ambito", "lab")
        .filter(pk=pk)
        .first()
    )
    if pathway is None:
        raise Http404(gettext("No such pathway, or it is not yours."))
    return pathway


def phase_or_404(pathway: Pathway, phase_id: int) -> Phase:
    phase = Phase.objects.filter(pathway=pathway, pk=phase_id).select_related("pathway").first()
    if phase is None:
        raise Http404(gettext("No such phase."))
    return phase


def can_change(user: Any, pathway: Pathway) -> bool:
    return visible_to(user, Pathway, Action.CHANGE).filter(pk=pathway.pk).exists()


def to_pathway(pathway: Pathway) -> HttpResponse:
    return redirect("research:pathway_detail", pk=pathway.pk)


def form_page(
    request: HttpRequest, template: str, form: Any, status: int | None = None, **extra: Any
) -> HttpResponse:
    if status is None:
        status = 400 if form.is_bound else 200
    return render(request, template, {"form": form, **extra}, status=status)


# --- Pathways -----------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET"])
def pathway_list(request: HttpRequest) -> HttpResponse:
    require_reader(request)
    page = Paginator(selectors.pathway_list(user=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    can_create = scope(request.user, Action.CREATE, Pathway) is not False
    return render(
        request,
        "research/pathway_list.html",
        {"page": page, "pathways": page.object_list, "can_create": can_create},
    )


def _pathway_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "theme": data["theme"],
        "description": data["description"],
        "ambito": data["ambito"],
        "organisations": list(data["organisations"]),
        "practitioners": list(data["practitioners"]),
        "starts_on": data["starts_on"],
        "ends_on": data["ends_on"],
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def pathway_create(request: HttpRequest) -> HttpResponse:
    if scope(request.user, Action.CREATE, Pathway) is False:
        raise PermissionDenied
    form = PathwayForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            pathway = services.pathway_create(by=me(request), **_pathway_values(form.cleaned_data))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("Pathway created: now add its phases."))
            return to_pathway(pathway)
    return form_page(request, "research/pathway_form.html", form)


@never_cache
@login_required
@require_http_methods(["GET"])
def pathway_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_reader(request)
    try:
        pathway = selectors.pathway_detail(user=request.user, pk=pk)
    except Pathway.DoesNotExist:
        raise Http404(gettext("No such pathway.")) from None
    phases = list(pathway.phases.all())
    findings = list(pathway.findings.all())
    workshops = list(pathway.workshops.all())
    materials: dict[int, list[Any]] = {}
    for finding in findings:
        if finding.workshop_id:
            materials.setdefault(finding.workshop_id, []).append(finding)
    for workshop in workshops:
        workshop.material_list = materials.get(workshop.pk, [])  # type: ignore[attr-defined]
    surveys = list(selectors.pathway_surveys(user=request.user, pathway=pathway))
    editable = can_change(request.user, pathway)
    context = {
        "pathway": pathway,
        "phases": phases,
        "current": services.current_phase(phases, timezone.localdate()),
        "workshops": workshops,
        "surveys": surveys,
        "surveys_readable": set(
            visible_to(request.user, Survey, Action.READ)
            .filter(pk__in=[s.pk for s in surveys])
            .values_list("pk", flat=True)
        )
        if surveys
        else set(),
        "documents": [f for f in findings if f.kind in (FindingKind.DOCUMENT, FindingKind.OUTPUT)],
        "organisations": list(pathway.organisations.all()),
        "practitioners": list(pathway.practitioners.all()),
        "editable": editable,
        "add_document_url": f"{reverse('research:finding_create')}?pathway={pathway.pk}",
    }
    return render(request, "research/pathway_detail.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def pathway_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pathway = pathway_or_404(request, pk)
    initial = {
        "title": pathway.title,
        "theme": pathway.theme,
        "description": pathway.description,
        "ambito": pathway.ambito,
        "organisations": list(pathway.organisations.all()),
        "practitioners": list(pathway.practitioners.all()),
        "starts_on": pathway.starts_on,
        "ends_on": pathway.ends_on,
    }
    form = PathwayForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.pathway_update(
                pathway=pathway, by=me(request), **_pathway_values(form.cleaned_data)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("Pathway saved."))
            return to_pathway(pathway)
    return form_page(request, "research/pathway_form.html", form, pathway=pathway)


# --- Phases -------------------------------------------------------------------------------


def _phase_values(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in ("title", "description", "starts_on", "ends_on")}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def phase_add(request: HttpRequest, pk: int) -> HttpResponse:
    pathway = pathway_or_404(request, pk)
    form = PhaseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.phase_add(pathway=pathway, by=me(request), **_phase_values(form.cleaned_data))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("Phase added."))
            return to_pathway(pathway)
    return form_page(request, "research/pathway_phase_form.html", form, pathway=pathway)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def phase_edit(request: HttpRequest, pk: int, phase_id: int) -> HttpResponse:
    pathway = pathway_or_404(request, pk)
    phase = phase_or_404(pathway, phase_id)
    initial = {name: getattr(phase, name) for name in services.PHASE_FIELDS}
    form = PhaseForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.phase_change(phase=phase, by=me(request), **_phase_values(form.cleaned_data))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("Phase saved."))
            return to_pathway(pathway)
    return form_page(
        request, "research/pathway_phase_form.html", form, pathway=pathway, phase=phase
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def phase_delete(request: HttpRequest, pk: int, phase_id: int) -> HttpResponse:
    pathway = pathway_or_404(request, pk)
    phase = phase_or_404(pathway, phase_id)
    form = DeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.phase_delete(phase=phase, by=me(request))
        messages.success(request, gettext("Phase deleted."))
        return to_pathway(pathway)
    return form_page(
        request, "research/pathway_phase_delete.html", form, pathway=pathway, phase=phase
    )


# --- Workshops ----------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def workshop_create(request: HttpRequest, pk: int) -> HttpResponse:
    pathway = pathway_or_404(request, pk)
    form = WorkshopForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            workshop = services.workshop_create(
                pathway=pathway,
                by=me(request),
                kind=data["kind"],
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data["place"],
                address=data["address"],
                online_url=data["online_url"],
                capacity=data["capacity"],
                agenda=data["agenda"],
                registration_closes_at=data["registration_closes_at"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("%(title)s is planned: practitioners can now sign up.")
                % {"title": workshop.meeting.title},
            )
            return to_pathway(pathway)
    return form_page(request, "research/pathway_workshop_form.html", form, pathway=pathway)


P = "percorsi/<int:pk>/"

urlpatterns: list[URLPattern] = [
    path("percorsi/", pathway_list, name="pathway_list"),
    path("percorsi/nuovo/", pathway_create, name="pathway_create"),
    path(P, pathway_detail, name="pathway_detail"),
    path(P + "modifica/", pathway_edit, name="pathway_edit"),
    path(P + "fasi/nuova/", phase_add, name="phase_add"),
    path(P + "fasi/<int:phase_id>/", phase_edit, name="phase_edit"),
    path(P + "fasi/<int:phase_id>/elimina/", phase_delete, name="phase_delete"),
    path(P + "laboratori/nuovo/", workshop_create, name="workshop_create"),
]
