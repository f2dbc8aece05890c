"""Pages of the ecomap and of the isolation assessments of a person.

Each page is a fragment that htmx loads into the person's page (``HX-Request``) and a
standalone page otherwise. The SVG drawing is a picture of the table of ties, whose ties
are placed with the mouse or the arrow keys (both saved by ``tie_move``); the table and
its forms edit everything else (keyboard, screen readers). Every page that shows
ties or assessments writes the read to the access log.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from beneficiaries.models import Assessment, EcomapSnapshot, Person, Tie
from beneficiaries.models.ecomap import AssessmentKind
from beneficiaries.scoring import LSNS6_RISK_BELOW, UCLA3_LONELY_FROM
from beneficiaries.services import ecomap as services
from legami.audit import audit_read
from legami.policy import Action, visible_to
from partners.forms import StyledFormMixin

# --- Forms (the ecomap's own: the app's forms.py belongs to the person pages) ----------------


class TieForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Tie
        fields = ("label", "kind", "strength", "quality", "direction", "frequency", "note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


LSNS6_QUESTIONS = (
    _("How many relatives do you see or hear from at least once a month?"),
    _("How many relatives do you feel at ease with that you can talk about private matters?"),
    _("How many relatives do you feel close to such that you could call on them for help?"),
    _("How many of your friends do you see or hear from at least once a month?"),
    _("How many friends do you feel at ease with that you can talk about private matters?"),
    _("How many friends do you feel close to such that you could call on them for help?"),
)
LSNS6_ANSWERS = (
    (0, _("none")),
    (1, _("one")),
    (2, _("two")),
    (3, _("three or four")),
    (4, _("five to eight")),
    (5, _("nine or more")),
)
UCLA3_QUESTIONS = (
    _("How often do you feel that you lack companionship?"),
    _("How often do you feel left out?"),
    _("How often do you feel isolated from others?"),
)
UCLA3_ANSWERS = ((1, _("hardly ever")), (2, _("some of the time")), (3, _("often")))
SCALES = {
    AssessmentKind.LSNS6: (LSNS6_QUESTIONS, LSNS6_ANSWERS),
    AssessmentKind.UCLA3: (UCLA3_QUESTIONS, UCLA3_ANSWERS),
}


class AssessmentForm(StyledFormMixin, forms.Form):
    """The questions of one scale, each a group of radio buttons."""

    date = forms.DateField(
        label=_("date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", kind)
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["date"].initial = timezone.localdate
        questions, answers = SCALES[AssessmentKind(kind)]
        for number, question in enumerate(questions, start=1):
            self.fields[f"q{number}"] = forms.TypedChoiceField(
                label=question, choices=answers, coerce=int, widget=forms.RadioSelect
            )
        self._style()

    def answers(self) -> list[int]:
        return [self.cleaned_data[name] for name in self.fields if name.startswith("q")]

    def question_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("q")]


def _add_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


# --- Helpers ------------------------------------------------------------------------------


def _person(request: HttpRequest, public_id: UUID) -> Person:
    """The person, if the user may read their file (404 otherwise: not even whether the
    person exists is told)."""
    return get_object_or_404(visible_to(request.user, Person, Action.READ), public_id=public_id)


def _tie(request: HttpRequest, person: Person, pk: int) -> Tie:
    return get_object_or_404(
        visible_to(request.user, Tie, Action.READ).filter(person=person), pk=pk
    )


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _ecomap_response(
    request: HttpRequest,
    person: Person,
    *,
    form: TieForm | None = None,
    editing: Tie | None = None,
    status: int = 200,
) -> HttpResponse:
    ties = list(visible_to(request.user, Tie, Action.READ).filter(person=person))
    snapshots = list(
        visible_to(request.user, EcomapSnapshot, Action.LIST)
        .filter(person=person)
        .select_related("taken_by")
        .defer("ties")
    )
    audit_read(objs=[person], action="view", purpose="ecomap")
    context = {
        "person": person,
        "ties": ties,
        "snapshots": snapshots,
        "form": form or TieForm(instance=editing),
        "editing": editing,
        "drawing": {
            "person": gettext("The person"),
            "roledescription": gettext("movable tie"),
            # "%(label)s" is filled in by the drawing's script with the tie moved.
            "messages": {
                "saved": gettext("The new place of %(label)s has been saved."),
                "failed": gettext("The new place of %(label)s could not be saved."),
            },
            "ties": [
                {
                    **services.tie_as_json(t),
                    "kind_label": t.get_kind_display(),
                    "quality_label": t.get_quality_display(),
                    "strength_label": t.get_strength_display(),
                    "move_url": reverse("beneficiaries:tie_move", args=[person.public_id, t.pk]),
                    "move_label": gettext("%(label)s, %(kind)s: the arrow keys move it")
                    % {"label": t.label, "kind": t.get_kind_display()},
                }
                for t in ties
            ],
        },
    }
    template = "beneficiaries/ecomap.html"
    if _is_htmx(request):
        # htmx swaps only 2xx answers: a form with errors comes back as 200.
        template, status = "beneficiaries/partials/ecomap.html", 200
    return render(request, template, context, status=status)


# --- Ecomap -------------------------------------------------------------------------------


@login_required
@require_GET
def ecomap(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = _person(request, public_id)
    editing = None
    if request.GET.get("edit", "").isdigit():
        editing = _tie(request, person, int(request.GET["edit"]))
    return _ecomap_response(request, person, editing=editing)


@login_required
@require_POST
def tie_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = _person(request, public_id)
    form = TieForm(request.POST)
    if form.is_valid():
        try:
            services.tie_add(person=person, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if not _is_htmx(request):
                return redirect("beneficiaries:ecomap", person.public_id)
            return _ecomap_response(request, person)
    return _ecomap_response(request, person, form=form, status=422)


@login_required
@require_POST
def tie_update(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    person = _person(request, public_id)
    tie = _tie(request, person, pk)
    # The form validates a copy: the service compares the tie before and after.
    form = TieForm(request.POST, instance=Tie.objects.get(pk=tie.pk))
    if form.is_valid():
        try:
            services.tie_update(tie=tie, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if not _is_htmx(request):
                return redirect("beneficiaries:ecomap", person.public_id)
            return _ecomap_response(request, person)
    return _ecomap_response(request, person, form=form, editing=tie, status=422)


@login_required
@require_POST
def tie_remove(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    person = _person(request, public_id)
    services.tie_remove(tie=_tie(request, person, pk), actor=request.user)
    if not _is_htmx(request):
        return redirect("beneficiaries:ecomap", person.public_id)
    return _ecomap_response(request, person)


@login_required
@require_POST
def tie_move(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    """Where the drawing's drag-and-drop saves a tie's place (JSON answer)."""
    person = _person(request, public_id)
    tie = _tie(request, person, pk)
    try:
        services.tie_move(
            tie=tie,
            actor=request.user,
            angle=request.POST.get("angle"),  # type: ignore[arg-type]
            distance=request.POST.get("distance"),  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        return JsonResponse({"errors": exc.messages}, status=400)
    return JsonResponse({"id": tie.pk, "angle": tie.angle, "distance": tie.distance})


@login_required
@require_POST
def snapshot_take(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = _person(request, public_id)
    try:
        services.ecomap_snapshot_take(
            person=person, actor=request.user, note=request.POST.get("note", "")
        )
    except ValidationError:
        return _ecomap_response(request, person, status=422)
    if not _is_htmx(request):
        return redirect("beneficiaries:ecomap", person.public_id)
    return _ecomap_response(request, person)


def _snapshot_id(request: HttpRequest, name: str) -> int:
    value = request.GET.get(name, "")
    if not value.isdigit():
        raise Http404
    return int(value)


def _readable(differences: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The changed fields of a comparison named and valued in the reader's language."""
    changed = []
    for change in differences["changed"]:
        fields = []
        for name, (before, after) in change["fields"].items():
            field: Any = Tie._meta.get_field(name)
            choices = dict(field.choices or [])
            fields.append(
                (field.verbose_name, choices.get(before, before), choices.get(after, after))
            )
        changed.append({"tie": change["tie"], "fields": fields})
    return {**differences, "changed": changed}


@login_required
@require_GET
def ecomap_compare(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Two snapshots side by side, with the ties added, removed and changed."""
    person = _person(request, public_id)
    snaps = visible_to(request.user, EcomapSnapshot, Action.READ).filter(person=person)
    a = get_object_or_404(snaps, pk=_snapshot_id(request, "a"))
    b = get_object_or_404(snaps, pk=_snapshot_id(request, "b"))
    audit_read(objs=[person], action="view", purpose="ecomap comparison")
    return render(
        request,
        "beneficiaries/ecomap_compare.html",
        {
            "person": person,
            "a": a,
            "b": b,
            "differences": _readable(services.ecomap_snapshot_compare(before=a.ties, after=b.ties)),
            "drawing_a": {"person": gettext("The person"), "ties": a.ties, "static": True},
            "drawing_b": {"person": gettext("The person"), "ties": b.ties, "static": True},
        },
    )


# --- Assessments --------------------------------------------------------------------------


def _assessments_response(
    request: HttpRequest,
    person: Person,
    forms_by_kind: dict[str, AssessmentForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    assessments = list(
        visible_to(request.user, Assessment, Action.LIST)
        .filter(person=person)
        .select_related("assessor")
    )
    audit_read(objs=[person], action="view", purpose="assessments")
    forms_by_kind = forms_by_kind or {}
    chart: dict[str, Any] = {
        kind: {
            "label": str(label),
            "threshold": LSNS6_RISK_BELOW if kind == AssessmentKind.LSNS6 else UCLA3_LONELY_FROM,
            "threshold_label": gettext("risk threshold"),
            "max": 30 if kind == AssessmentKind.LSNS6 else 9,
            "points": [
                {"date": a.date.isoformat(), "total": a.total}
                for a in sorted(assessments, key=lambda a: (a.date, a.pk))
                if a.kind == kind
            ],
        }
        for kind, label in AssessmentKind.choices
    }
    context = {
        "person": person,
        "assessments": assessments,
        "forms": [
            forms_by_kind.get(kind) or AssessmentForm(kind) for kind in AssessmentKind.values
        ],
        "chart": chart,
    }
    template = "beneficiaries/assessments.html"
    if _is_htmx(request):
        template, status = "beneficiaries/partials/assessments.html", 200
    return render(request, template, context, status=status)


@login_required
@require_GET
def assessments(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _assessments_response(request, _person(request, public_id))


@login_required
@require_POST
def assessment_record(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = _person(request, public_id)
    kind = request.POST.get("kind", "")
    if kind not in AssessmentKind.values:
        raise Http404
    form = AssessmentForm(kind, request.POST)
    if form.is_valid():
        try:
            services.assessment_record(
                person=person,
                kind=kind,
                answers=form.answers(),
                date=form.cleaned_data["date"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if not _is_htmx(request):
                return redirect("beneficiaries:assessments", person.public_id)
            return _assessments_response(request, person)
    return _assessments_response(request, person, {kind: form}, status=422)


urlpatterns: list[URLPattern | URLResolver] = [
    path("p/<uuid:public_id>/ecomap/", ecomap, name="ecomap"),
    path("p/<uuid:public_id>/ecomap/ties/", tie_add, name="tie_add"),
    path("p/<uuid:public_id>/ecomap/ties/<int:pk>/", tie_update, name="tie_update"),
    path("p/<uuid:public_id>/ecomap/ties/<int:pk>/remove/", tie_remove, name="tie_remove"),
    path("p/<uuid:public_id>/ecomap/ties/<int:pk>/move/", tie_move, name="tie_move"),
    path("p/<uuid:public_id>/ecomap/snapshots/", snapshot_take, name="ecomap_snapshot"),
    path("p/<uuid:public_id>/ecomap/compare/", ecomap_compare, name="ecomap_compare"),
    path("p/<uuid:public_id>/assessments/", assessments, name="assessments"),
    path("p/<uuid:public_id>/assessments/new/", assessment_record, name="assessment_record"),
]
