"""Pages that act on a person's cases: opening a case (with its intake), assigning
workers, moving the stage, the diary, referrals (requested by the case's workers,
decided by the receiving organisation's coordinators). Each POSTs to a service and
goes back to the tab of the person page it came from (a refused form comes back in that
tab with its errors, see ``common.run_form``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from beneficiaries import selectors
from beneficiaries.forms import (
    AssignForm,
    CaseOpenForm,
    DiaryNoteForm,
    ReferralDecisionForm,
    ReferralForm,
    StageForm,
)
from beneficiaries.models import Case, CaseAssignment, CaseStage, Person, Referral
from beneficiaries.services import cases as services
from beneficiaries.views.common import back_to, form_error_text, person_or_404, report, run_form
from legami.policy import Action, allowed, visible_to


def _case_of(request: HttpRequest, person: Person, pk: int) -> Case:
    return get_object_or_404(
        visible_to(request.user, Case, Action.READ).select_related("organisation"),
        pk=pk,
        person=person,
    )


@login_required
@require_POST
def case_open(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Record an intake and open a case of the person at one of the user's services."""
    person = person_or_404(request, public_id)

    def call(data: dict[str, Any]) -> None:
        with transaction.atomic():
            intake = services.intake_create(
                person=person,
                organisation=data["organisation"],
                ambito=data["ambito"],
                channel=data["channel"],
                reported_by=data["reported_by"],
                first_needs=data["first_needs"],
                actor=request.user,
            )
            services.case_open(
                intake=intake,
                organisation=data["organisation"],
                ambito=data["ambito"],
                actor=request.user,
            )

    return run_form(
        request,
        person=person,
        tab="anagrafica",
        slot="case_open",
        form=CaseOpenForm(request.POST, user=request.user),
        call=call,
        done=gettext("The case has been opened."),
    )


@login_required
@require_POST
def case_assign(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    """Assign a worker of the case's service to the case."""
    person = person_or_404(request, public_id)
    case = _case_of(request, person, pk)
    form = AssignForm(request.POST, organisation=case.organisation, prefix=f"c{case.pk}")
    return run_form(
        request,
        person=person,
        tab="anagrafica",
        slot="assign",
        case_pk=case.pk,
        form=form,
        call=lambda d: services.case_assign(
            case=case, worker=d["worker"], kind=d["kind"], actor=request.user
        ),
        done=gettext("The worker has been assigned."),
    )


@login_required
@require_POST
def case_unassign(request: HttpRequest, public_id: UUID, pk: int, assignment: int) -> HttpResponse:
    """End a current assignment."""
    person = person_or_404(request, public_id)
    case = _case_of(request, person, pk)
    row = get_object_or_404(CaseAssignment, pk=assignment, case=case)
    try:
        services.case_unassign(assignment=row, actor=request.user)
    except ValidationError as exc:
        report(request, exc)
    else:
        messages.success(request, gettext("The assignment has ended."))
    return back_to(person, "anagrafica")


@login_required
@require_POST
def case_stage(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    """Move the case to another stage: forward, closed (with a reason) or reopened."""
    person = person_or_404(request, public_id)
    case = _case_of(request, person, pk)

    def call(data: dict[str, Any]) -> None:
        if data["to_stage"] == CaseStage.CLOSED:
            services.case_close(case=case, reason=data["closure_reason"], actor=request.user)
        elif case.stage == CaseStage.CLOSED:
            if data["to_stage"] != CaseStage.ASSESSMENT:
                raise ValidationError(gettext("A closed case reopens in the assessment stage."))
            services.case_reopen(case=case, actor=request.user)
        else:
            services.case_advance(case=case, to_stage=data["to_stage"], actor=request.user)

    return run_form(
        request,
        person=person,
        tab="anagrafica",
        slot="stage",
        case_pk=case.pk,
        form=StageForm(request.POST),
        call=call,
        done=gettext("The stage of the case has been changed."),
    )


@login_required
@require_POST
def diary_add(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    """Write a note in the diary of one of the person's cases."""
    person = person_or_404(request, public_id)
    case = _case_of(request, person, pk)
    return run_form(
        request,
        person=person,
        tab="diary",
        slot="diary",
        case_pk=case.pk,
        form=DiaryNoteForm(request.POST),
        call=lambda d: services.diary_note_add(case=case, actor=request.user, **d),
        done=gettext("The note has been added to the diary."),
    )


@login_required
@require_POST
def referral_request(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    """Refer one of the person's cases to another organisation."""
    person = person_or_404(request, public_id)
    case = _case_of(request, person, pk)
    return run_form(
        request,
        person=person,
        tab="referrals",
        slot="referral",
        case_pk=case.pk,
        form=ReferralForm(request.POST),
        call=lambda d: services.referral_request(case=case, actor=request.user, **d),
        done=gettext("The referral has been requested."),
    )


@login_required
@require_POST
def referral_close(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    """Close an open referral (from the person page)."""
    person = person_or_404(request, public_id)
    referral = get_object_or_404(
        visible_to(request.user, Referral, Action.READ), pk=pk, case__person=person
    )
    try:
        services.referral_close(referral=referral, actor=request.user)
    except ValidationError as exc:
        report(request, exc)
    else:
        messages.success(request, gettext("The referral has been closed."))
    return back_to(person, "referrals")


@never_cache
@login_required
@require_GET
def referral_inbox(request: HttpRequest) -> HttpResponse:
    """The referrals waiting for a decision of an organisation the user coordinates.
    The person is not named here: the file opens to the receiving worker on acceptance."""
    if not allowed(request.user, Action.CHANGE, Referral):
        raise PermissionDenied
    referrals = list(selectors.referrals_to_decide(user=request.user))
    forms = {
        r.pk: ReferralDecisionForm(organisation=r.to_organisation, prefix=f"r{r.pk}")
        for r in referrals
    }
    return render(
        request,
        "beneficiaries/referral_inbox.html",
        {"items": [(r, forms[r.pk]) for r in referrals]},
    )


@login_required
@require_POST
def referral_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept (naming the worker who follows the case) or decline a referral."""
    referral = get_object_or_404(
        visible_to(request.user, Referral, Action.CHANGE).select_related("to_organisation"),
        pk=pk,
    )
    form = ReferralDecisionForm(
        request.POST, organisation=referral.to_organisation, prefix=f"r{referral.pk}"
    )
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return redirect("beneficiaries:referral_inbox")
    data = form.cleaned_data
    try:
        if data["decision"] == "accept":
            if data["receiving_worker"] is None:
                raise ValidationError(gettext("Choose the worker who follows the case."))
            services.referral_accept(
                referral=referral, receiving_worker=data["receiving_worker"], actor=request.user
            )
            messages.success(request, gettext("The referral has been accepted."))
        else:
            services.referral_decline(
                referral=referral, reason=data["decline_reason"], actor=request.user
            )
            messages.success(request, gettext("The referral has been declined."))
    except ValidationError as exc:
        report(request, exc)
    return redirect("beneficiaries:referral_inbox")


urlpatterns = [
    path("p/<uuid:public_id>/cases/open/", case_open, name="case_open"),
    path("p/<uuid:public_id>/cases/<int:pk>/assign/", case_assign, name="case_assign"),
    path(
        "p/<uuid:public_id>/cases/<int:pk>/assignments/<int:assignment>/end/",
        case_unassign,
        name="case_unassign",
    ),
    path("p/<uuid:public_id>/cases/<int:pk>/stage/", case_stage, name="case_stage"),
    path("p/<uuid:public_id>/cases/<int:pk>/diary/", diary_add, name="diary_add"),
    path(
        "p/<uuid:public_id>/cases/<int:pk>/referrals/",
        referral_request,
        name="referral_request",
    ),
    path("p/<uuid:public_id>/referrals/<int:pk>/close/", referral_close, name="referral_close"),
    path("referrals/", referral_inbox, name="referral_inbox"),
    path("referrals/<int:pk>/decide/", referral_decide, name="referral_decide"),
]
