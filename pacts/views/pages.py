"""Pages of the pacts app: the list, drafting a pact for a case, the pact page, the
editor and the lifecycle actions (see pacts/views/__init__.py).

Who sees what: the case worker and the coordinator of the ambito read and change the
whole pact; partner staff of a signing organisation read only the part that concerns
them (``selectors.partner_view``) and sign; a social worker not on the case is told the
pact does not exist (404); roles that read no pact at all are refused (403). Every page
that shows a pact writes the read of the person's file to the access log.

The editor changes goals, commitments and signatories in place with htmx: each add or
remove is a POST to its own address, answered with the section of the page (a partial)
when htmx asks, else by a redirect back to the editor. A refused form comes back with
its errors under the fields: the section with status 200 for htmx (htmx swaps only
successful answers), the whole editor with status 400 otherwise; nothing changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beneficiaries.models import Case, Person
from legami.audit import audit_read
from legami.forms import add_service_errors
from legami.models import AccessEvent, ChangeEvent
from legami.policy import Action, allowed, scope, visible_to
from pacts import selectors
from pacts.forms import (
    PACT_FIELDS,
    CommitmentForm,
    GoalForm,
    InterruptForm,
    PactFilterForm,
    PactForm,
    SignatoryForm,
)
from pacts.models import (
    Commitment,
    CommitmentDirection,
    CommitmentPeriod,
    CommitmentUnit,
    Goal,
    Pact,
    PactStatus,
    Signatory,
    SignatoryKind,
)
from pacts.services import pacts as services

PAGE_SIZE = 25
S = PactStatus

# --- Helpers ------------------------------------------------------------------------------


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def url_if_any(name: str, *args: Any) -> str | None:
    """The address of ``name``, or None while no page of that name exists (the follow
    and document pages are added by other parts of the app)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def pact_or_404(request: HttpRequest, public_id: UUID) -> Pact:
    """The pact, if the user may read it; 403 for a role that reads no pact at all, 404
    for one the user may not read (its existence is not revealed)."""
    if scope(request.user, Action.READ, Pact) is False:
        raise PermissionDenied
    pact = selectors.pact_detail(user=request.user, public_id=public_id)
    if pact is None:
        raise Http404(gettext("No such pact, or you may not read it."))
    return pact


def changeable_pact_or_404(request: HttpRequest, public_id: UUID) -> Pact:
    """The pact, if the user may change it (partner staff who read it are refused)."""
    pact = pact_or_404(request, public_id)
    if not allowed(request.user, Action.CHANGE, pact):
        raise PermissionDenied
    return pact


def to_detail(pact: Pact) -> HttpResponse:
    return redirect("pacts:pact_detail", public_id=pact.public_id)


def to_editor(pact: Pact, section: str = "") -> HttpResponse:
    url = reverse("pacts:pact_edit", args=[pact.public_id])
    return redirect(f"{url}#{section}" if section else url)


def review_due(pact: Pact, today: dt.date | None = None) -> str:
    """ "overdue", "soon" or "" for a running pact's next review (the same window as the
    list's filter and the reminders)."""
    from django.conf import settings

    if pact.status not in (S.ACTIVE, S.IN_REVIEW) or pact.next_review_on is None:
        return ""
    today = today or timezone.localdate()
    if pact.next_review_on < today:
        return "overdue"
    if pact.next_review_on <= today + dt.timedelta(days=settings.PACT_REMINDER_DAYS_BEFORE):
        return "soon"
    return ""


# --- The timeline ---------------------------------------------------------------------------

PART_TYPES = ("pacts.goal", "pacts.commitment", "pacts.signatory")
PART_NAMES = {
    "pacts.pact": "pact",
    "pacts.goal": "goal",
    "pacts.commitment": "commitment",
    "pacts.signatory": "signatory",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    action: str  # create, update, delete, state, sign, renew, review
    part: str  # pact, goal, commitment, signatory, review
    label: str
    actor: str
    status: str = ""  # the status a pact moved to, for "state"
    note: str = ""


def pact_timeline(pact: Pact, *, limit: int = 100) -> list[TimelineEntry]:
    """The history of the pact, newest first: the changes recorded for the pact and
    for its goals, commitments and signatories (those removed since included), and its
    reviews. Two queries, whatever the number of parts."""
    part_ids = {
        "pacts.goal": [str(g.pk) for g in pact.goals.all()],
        "pacts.commitment": [str(c.pk) for c in pact.commitments.all()],
        "pacts.signatory": [str(s.pk) for s in pact.signatories.all()],
    }
    # Parts removed since: their creation recorded the pact they belonged to.
    for target_type, target_id in ChangeEvent.objects.filter(
        target_type__in=PART_TYPES, action=ChangeEvent.Action.CREATE, changes__pact_id__1=pact.pk
    ).values_list("target_type", "target_id"):
        if target_id not in part_ids[target_type]:
            part_ids[target_type].append(target_id)
    where = Q(target_type="pacts.pact", target_id=str(pact.pk))
    for target_type, ids in part_ids.items():
        if ids:
            where |= Q(target_type=target_type, target_id__in=ids)
    entries = [
        TimelineEntry(
            at=event.at,
            action=event.action,
            part=PART_NAMES.get(event.target_type, ""),
            label=event.target_label,
            actor=event.actor_label,
            status=_moved_to(event),
            note=event.note,
        )
        for event in ChangeEvent.objects.filter(where).order_by("-at", "-id")[:limit]
    ]
    for review in pact.reviews.all():
        held_by = review.held_by
        entries.append(
            TimelineEntry(
                at=review.created_at,
                action="review",
                part="review",
                label=review.date.isoformat(),
                actor=(held_by.get_full_name() or held_by.email) if held_by else "",
                note=gettext("final review") if review.final else "",
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _moved_to(event: ChangeEvent) -> str:
    if event.action != ChangeEvent.Action.STATE:
        return ""
    change = (event.changes or {}).get("status")
    if not isinstance(change, list) or len(change) != 2 or change[1] not in S.values:
        return ""
    return str(S(change[1]).label)


# --- The list -------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def pact_list(request: HttpRequest) -> HttpResponse:
    """The pacts the user may see, with their next review, filtered by status, by due
    review and to the user's own cases (filters in the address: none names a person)."""
    if not allowed(request.user, Action.LIST, Pact):
        raise PermissionDenied
    form = PactFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    page = Paginator(selectors.pact_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    # Partner staff see of a pact only what partner_view holds: not the case's service,
    # the number of goals or the review dates.
    full = selectors.full_reader_case_ids(request.user, {p.case_id for p in page.object_list})
    rows = [
        (pact, review_due(pact, today) if pact.case_id in full else None, pact.case_id in full)
        for pact in page.object_list
    ]
    audit_read(
        objs=[pact.person for pact, _due, _full in rows],
        action=AccessEvent.Action.LIST,
        purpose="pact list",
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "pacts/pact_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "filtered": bool(filters),
        },
    )


# --- Drafting a pact ------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def pact_create(request: HttpRequest, case_id: int) -> HttpResponse:
    """Draft a pact for an open case the user works on; then on to the editor."""
    if scope(request.user, Action.CREATE, Pact) is False:
        raise PermissionDenied
    case = get_object_or_404(
        visible_to(request.user, Case, Action.READ).select_related("person"), pk=case_id
    )
    if not allowed(request.user, Action.CHANGE, case):
        raise PermissionDenied
    form = PactForm(request.POST if request.method == "POST" else None, auto_id="pact-%s")
    if request.method == "POST" and form.is_valid():
        try:
            pact = services.pact_create(case=case, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, gettext("The pact has been drafted: add its goals and commitments.")
            )
            return to_editor(pact)
    if request.method == "GET":
        audit_read(objs=[case.person], action=AccessEvent.Action.VIEW, purpose="new pact")
    status = 400 if request.method == "POST" else 200
    return render(request, "pacts/pact_create.html", {"case": case, "form": form}, status=status)


# --- The pact page --------------------------------------------------------------------------


def _signable(user: Any, pact: Pact) -> set[int]:
    """The signatories ``user`` may sign for now (none unless the pact is proposed)."""
    if pact.status != S.PROPOSED:
        return set()
    return {s.pk for s in pact.signatories.all() if services.can_sign(user, s)}


def _links(pact: Pact) -> dict[str, str | None]:
    return {
        name: url_if_any(f"pacts:{name}", pact.public_id)
        for name in (
            "review_new",
            "ledger",
            "placements",
            "documents",
            "pact_pdf",
            "pact_plain_pdf",
            "scan",
        )
    }


def _actions(pact: Pact, can_change: bool) -> dict[str, bool]:
    """The lifecycle moves the page offers from the pact's current status."""
    if not can_change:
        return {}
    moves = services.TRANSITIONS.get(pact.status, frozenset())
    renewed = hasattr(pact, "renewal")
    offered = {
        "propose": S.PROPOSED in moves,
        "back_to_draft": pact.status == S.PROPOSED,
        "start": pact.status == S.SIGNED,
        "interrupt": S.INTERRUPTED in moves,
        "renew": pact.status == S.COMPLETED and not renewed,
    }
    # Only the moves on offer: a pact that is over shows no empty "move on" box.
    return {name: True for name, on in offered.items() if on}


def _partner_page(request: HttpRequest, pact: Pact) -> HttpResponse:
    """What partner staff see: only ``selectors.partner_view`` (and their Sign button)."""
    view = selectors.partner_view(pact, selectors.partner_organisations(request.user, pact))
    names = {
        s.organisation_id: s.organisation.name for s in pact.signatories.all() if s.organisation
    }
    for item in (*view["goals"], *view["commitments"]):
        item["organisation_name"] = names.get(item["organisation"], "")
    # The same names as a Commitment's, for the template both pages share.
    for item in view["commitments"]:
        item["owner_label"] = item["organisation_name"]
        item["get_unit_display"] = CommitmentUnit(item["unit"]).label
        item["get_period_display"] = CommitmentPeriod(item["period"]).label
    signable = _signable(request.user, pact)
    for item in view["signatories"]:
        item["can_sign"] = item["id"] in signable
    return render(
        request,
        "pacts/pact_partner.html",
        {
            "pact": pact,
            "view": view,
            "status_label": S(view["status"]).label,
            # Partner staff record and read the hours exchanged with their organisation.
            "hours_open": pact.status in (S.SIGNED, S.ACTIVE, S.IN_REVIEW, S.COMPLETED),
            "provides": [c for c in view["commitments"] if c["direction"] == "provides"],
            "gives_back": [c for c in view["commitments"] if c["direction"] == "gives_back"],
        },
    )


@never_cache
@login_required
@require_GET
def pact_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The pact page: the whole pact for its case workers, the part that concerns them
    for partner staff."""
    pact = pact_or_404(request, public_id)
    audit_read(objs=[pact.person], action=AccessEvent.Action.VIEW, purpose="pact page")
    if not selectors.is_full_reader(request.user, pact):
        return _partner_page(request, pact)
    can_change = allowed(request.user, Action.CHANGE, pact)
    latest = selectors.latest_outcomes(pact)
    goals = [(goal, latest.get(goal.pk)) for goal in pact.goals.all()]
    commitments = list(pact.commitments.all())
    signable = _signable(request.user, pact)
    return render(
        request,
        "pacts/pact_detail.html",
        {
            "pact": pact,
            "goals": goals,
            "provides": [c for c in commitments if c.direction == CommitmentDirection.PROVIDES],
            "gives_back": [c for c in commitments if c.direction == CommitmentDirection.GIVES_BACK],
            "signatories": [(s, s.pk in signable) for s in pact.signatories.all()],
            "can_change": can_change,
            "actions": _actions(pact, can_change),
            "interrupt_form": InterruptForm(auto_id="interrupt-%s"),
            "timeline": pact_timeline(pact),
            "outcomes": selectors.pact_outcomes(pact),
            "balance": selectors.pact_balance(pact),
            "links": _links(pact),
            "due": review_due(pact),
        },
    )


# --- The editor -----------------------------------------------------------------------------

SECTIONS = ("goals", "commitments", "signatories")


def _pact_initial(pact: Pact) -> dict[str, Any]:
    return {name: getattr(pact, name) for name in PACT_FIELDS}


def editor_context(
    request: HttpRequest, pact: Pact, *, forms: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The editor's context; ``forms`` replaces the empty forms with ones sent back."""
    forms = forms or {}
    commitments = list(pact.commitments.all())
    return {
        "pact": pact,
        "pact_form": forms.get("pact") or PactForm(initial=_pact_initial(pact), auto_id="pact-%s"),
        "goal_form": forms.get("goal") or GoalForm(auto_id="goal-%s"),
        "commitment_form": forms.get("commitment") or CommitmentForm(auto_id="commitment-%s"),
        "signatory_form": forms.get("signatory") or SignatoryForm(auto_id="signatory-%s"),
        "goals": list(pact.goals.all()),
        "provides": [c for c in commitments if c.direction == CommitmentDirection.PROVIDES],
        "gives_back": [c for c in commitments if c.direction == CommitmentDirection.GIVES_BACK],
        "signatories": list(pact.signatories.all()),
        "fixed_signatories": (SignatoryKind.BENEFICIARY, SignatoryKind.CASE_WORKER),
        "section_error": forms.get("section_error", ""),
        "section_done": forms.get("section_done", ""),
    }


def editor_response(
    request: HttpRequest,
    pact: Pact,
    *,
    section: str | None = None,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The editor, or only its ``section`` for htmx (always 200: htmx swaps it). What a
    POST sends back shows the pact too: it is logged as a read like the GET."""
    if request.method != "GET":
        audit_read(objs=[pact.person], action=AccessEvent.Action.VIEW, purpose="pact editor")
    context = editor_context(request, pact, forms=forms)
    if section is not None and is_htmx(request):
        return render(request, f"pacts/pact_edit.html#{section}", context)
    return render(request, "pacts/pact_edit.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def pact_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The editor: the pact's title, context, strengths, dates and review schedule, and
    its goals, commitments and signatories (changed in place, section by section)."""
    pact = changeable_pact_or_404(request, public_id)
    if request.method == "GET":
        audit_read(objs=[pact.person], action=AccessEvent.Action.VIEW, purpose="pact editor")
        return editor_response(request, pact)
    form = PactForm(request.POST, auto_id="pact-%s")
    if form.is_valid():
        # Only what was changed: a running pact may still change its review schedule.
        changed = {
            name: value for name, value in form.cleaned_data.items() if getattr(pact, name) != value
        }
        try:
            if changed:
                services.pact_update(pact=pact, actor=request.user, **changed)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The pact has been saved."))
            return to_editor(pact)
    return editor_response(request, pact, forms={"pact": form}, status=400)


def _part_added(
    request: HttpRequest,
    pact: Pact,
    *,
    section: str,
    slot: str,
    form: Any,
    call: Any,
    done: str,
) -> HttpResponse:
    """Run ``call(cleaned_data)`` for a valid form: back to the editor's ``section``
    (the section itself for htmx). A form that is not valid, or that the service
    refuses, comes back with its errors and nothing changes."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            pact = _reloaded(request, pact)
            if is_htmx(request):
                return editor_response(request, pact, section=section, forms={"section_done": done})
            messages.success(request, done)
            return to_editor(pact, section)
    sent: dict[str, Any] = {slot: form}
    if not pact.editable:  # the section shows no form: it says why instead
        sent["section_error"] = " ".join(str(e) for e in form.non_field_errors())
    return editor_response(request, pact, section=section, forms=sent, status=400)


def _part_removed(
    request: HttpRequest, pact: Pact, *, section: str, call: Any, done: str
) -> HttpResponse:
    """Run ``call()``; a refusal is told in the section (htmx) or as a message."""
    try:
        call()
    except ValidationError as exc:
        if is_htmx(request):
            return editor_response(
                request, pact, section=section, forms={"section_error": error_text(exc)}
            )
        messages.error(request, error_text(exc))
        return to_editor(pact, section)
    pact = _reloaded(request, pact)
    if is_htmx(request):
        return editor_response(request, pact, section=section, forms={"section_done": done})
    messages.success(request, done)
    return to_editor(pact, section)


def _reloaded(request: HttpRequest, pact: Pact) -> Pact:
    """The pact read again with its parts, after a change."""
    fresh = selectors.pact_detail(user=request.user, public_id=pact.public_id)
    return fresh if fresh is not None else pact


@login_required
@require_POST
def goal_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    pact = changeable_pact_or_404(request, public_id)
    return _part_added(
        request,
        pact,
        section="goals",
        slot="goal",
        form=GoalForm(request.POST, auto_id="goal-%s"),
        call=lambda data: services.goal_add(pact=pact, actor=request.user, **data),
        done=gettext("The goal has been added."),
    )


@login_required
@require_POST
def goal_remove(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    pact = changeable_pact_or_404(request, public_id)
    goal = get_object_or_404(Goal, pk=pk, pact=pact)
    return _part_removed(
        request,
        pact,
        section="goals",
        call=lambda: services.goal_remove(goal=goal, actor=request.user),
        done=gettext("The goal has been removed."),
    )


@login_required
@require_POST
def commitment_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    pact = changeable_pact_or_404(request, public_id)
    return _part_added(
        request,
        pact,
        section="commitments",
        slot="commitment",
        form=CommitmentForm(request.POST, auto_id="commitment-%s"),
        call=lambda data: services.commitment_add(pact=pact, actor=request.user, **data),
        done=gettext("The commitment has been added."),
    )


@login_required
@require_POST
def commitment_remove(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    pact = changeable_pact_or_404(request, public_id)
    commitment = get_object_or_404(Commitment, pk=pk, pact=pact)
    return _part_removed(
        request,
        pact,
        section="commitments",
        call=lambda: services.commitment_remove(commitment=commitment, actor=request.user),
        done=gettext("The commitment has been removed."),
    )


@login_required
@require_POST
def signatory_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    pact = changeable_pact_or_404(request, public_id)
    return _part_added(
        request,
        pact,
        section="signatories",
        slot="signatory",
        form=SignatoryForm(request.POST, auto_id="signatory-%s"),
        call=lambda data: services.signatory_add(pact=pact, actor=request.user, **data),
        done=gettext("The signatory has been added."),
    )


@login_required
@require_POST
def signatory_remove(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    pact = changeable_pact_or_404(request, public_id)
    signatory = get_object_or_404(Signatory, pk=pk, pact=pact)
    return _part_removed(
        request,
        pact,
        section="signatories",
        call=lambda: services.signatory_remove(signatory=signatory, actor=request.user),
        done=gettext("The signatory has been removed."),
    )


# --- The lifecycle --------------------------------------------------------------------------


def _move(request: HttpRequest, pact: Pact, call: Any, done: str) -> HttpResponse:
    """Run the service; its refusal becomes a message and nothing changes (PRG)."""
    try:
        call()
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done)
    return to_detail(pact)


@login_required
@require_POST
def pact_propose(request: HttpRequest, public_id: UUID) -> HttpResponse:
    pact = changeable_pact_or_404(request, public_id)
    return _move(
        request,
        pact,
        lambda: services.pact_propose(pact=pact, actor=request.user),
        gettext("The pact has been proposed: it can now be signed."),
    )


@login_required
@require_POST
def pact_back_to_draft(request: HttpRequest, public_id: UUID) -> HttpResponse:
    pact = changeable_pact_or_404(request, public_id)
    return _move(
        request,
        pact,
        lambda: services.pact_back_to_draft(pact=pact, actor=request.user),
        gettext("The pact is a draft again; the signatures given so far have been cleared."),
    )


@login_required
@require_POST
def pact_start(request: HttpRequest, public_id: UUID) -> HttpResponse:
    pact = changeable_pact_or_404(request, public_id)
    return _move(
        request,
        pact,
        lambda: services.pact_start(pact=pact, actor=request.user),
        gettext("The pact has started."),
    )


@login_required
@require_POST
def pact_interrupt(request: HttpRequest, public_id: UUID) -> HttpResponse:
    pact = changeable_pact_or_404(request, public_id)
    form = InterruptForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Give the reason for interrupting the pact."))
        return to_detail(pact)
    return _move(
        request,
        pact,
        lambda: services.pact_interrupt(
            pact=pact, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        gettext("The pact has been interrupted."),
    )


@login_required
@require_POST
def pact_renew(request: HttpRequest, public_id: UUID) -> HttpResponse:
    pact = changeable_pact_or_404(request, public_id)
    try:
        new = services.pact_renew(pact=pact, actor=request.user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return to_detail(pact)
    messages.success(request, gettext("The pact has been renewed: a new draft to sign again."))
    return to_editor(new)


@login_required
@require_POST
def pact_sign(request: HttpRequest, public_id: UUID, signatory_id: int) -> HttpResponse:
    """Sign for a signatory (partner staff for their organisation, the case worker for
    themselves; the person's and community actors' paper signatures recorded by the
    worker). Whoever may not sign for it is refused (403)."""
    pact = pact_or_404(request, public_id)
    signatory = get_object_or_404(Signatory, pk=signatory_id, pact=pact)
    return _move(
        request,
        pact,
        lambda: services.pact_sign(pact=pact, signatory=signatory, signer=request.user),
        gettext("The signature of %(signatory)s has been recorded.")
        % {"signatory": signatory.label},
    )


U = "<uuid:public_id>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", pact_list, name="pact_list"),
    path("new/<int:case_id>/", pact_create, name="pact_create"),
    path(U, pact_detail, name="pact_detail"),
    path(U + "edit/", pact_edit, name="pact_edit"),
    path(U + "goals/add/", goal_add, name="goal_add"),
    path(U + "goals/<int:pk>/remove/", goal_remove, name="goal_remove"),
    path(U + "commitments/add/", commitment_add, name="commitment_add"),
    path(U + "commitments/<int:pk>/remove/", commitment_remove, name="commitment_remove"),
    path(U + "signatories/add/", signatory_add, name="signatory_add"),
    path(U + "signatories/<int:pk>/remove/", signatory_remove, name="signatory_remove"),
    path(U + "propose/", pact_propose, name="pact_propose"),
    path(U + "back-to-draft/", pact_back_to_draft, name="pact_back_to_draft"),
    path(U + "start/", pact_start, name="pact_start"),
    path(U + "interrupt/", pact_interrupt, name="pact_interrupt"),
    path(U + "renew/", pact_renew, name="pact_renew"),
    path(U + "sign/<int:signatory_id>/", pact_sign, name="pact_sign"),
]


def person_pacts_panel(
    request: HttpRequest, *, person: Person, open_cases: Any
) -> dict[str, Any] | None:
    """The pacts tab of a person's file: their pacts, the hours they gave back and
    received, and a "new pact" button for each open case the user may change. Nothing
    for a user who reads no pact."""
    if scope(request.user, Action.LIST, Pact) is False:
        return None
    changeable = set(
        visible_to(request.user, Case, Action.CHANGE)
        .filter(pk__in=[c.pk for c in open_cases])
        .values_list("pk", flat=True)
    )
    return {
        "person": person,
        "person_pacts": selectors.pacts_of_person(user=request.user, person=person),
        "person_balance": selectors.person_balance(person),
        "open_cases": [c for c in open_cases if c.pk in changeable],
    }
