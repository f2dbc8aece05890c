"""Taking charge: opening a case, assignments, the stages of a case."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from beneficiaries.models import CaseAssignment, CaseStage, ClosureReason, IntakeChannel
from beneficiaries.services.cases import (
    case_advance,
    case_assign,
    case_close,
    case_open,
    case_reopen,
    case_unassign,
    intake_create,
)
from legami.models import ChangeEvent
from tests.beneficiaries.factories import PersonFactory, assign
from tests.legami.factories import AmbitoFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def _org(user):
    return user.memberships.get().organisation


def test_an_intake_opens_a_case_led_by_the_worker(social_worker):
    person = PersonFactory()
    ambito = AmbitoFactory()
    intake = intake_create(
        person=person,
        organisation=_org(social_worker),
        ambito=ambito,
        channel=IntakeChannel.COMMUNITY_LAB,
        actor=social_worker,
    )
    case = case_open(
        intake=intake, organisation=_org(social_worker), ambito=ambito, actor=social_worker
    )
    assert case.person == person
    assert case.stage == CaseStage.INTAKE
    lead = case.assignments.get()
    assert (lead.worker, lead.kind) == (social_worker, CaseAssignment.Kind.LEAD)
    with pytest.raises(ValidationError):
        case_open(
            person=person, organisation=_org(social_worker), ambito=ambito, actor=social_worker
        )


def test_a_case_opens_only_at_a_service_of_the_actor(social_worker):
    with pytest.raises(PermissionDenied):
        case_open(
            person=PersonFactory(),
            organisation=OrganisationFactory(),
            ambito=AmbitoFactory(),
            actor=social_worker,
        )


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (CaseStage.INTAKE, CaseStage.ASSESSMENT),
        (CaseStage.ASSESSMENT, CaseStage.PACT),
        (CaseStage.PACT, CaseStage.MONITORING),
    ],
)
def test_valid_transitions_move_the_case(social_worker, start, to):
    case = assign(social_worker, stage=start)
    case_advance(case=case, to_stage=to, actor=social_worker)
    case.refresh_from_db()
    assert case.stage == to
    assert ChangeEvent.objects.get(target_id=str(case.pk), action="state").changes == {
        "stage": [start, to]
    }


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (CaseStage.INTAKE, CaseStage.PACT),
        (CaseStage.ASSESSMENT, CaseStage.INTAKE),
        (CaseStage.MONITORING, CaseStage.PACT),
        (CaseStage.PACT, CaseStage.CLOSED),
        (CaseStage.ASSESSMENT, "nonsense"),
    ],
)
def test_invalid_transitions_change_nothing(social_worker, start, to):
    case = assign(social_worker, stage=start)
    with pytest.raises(ValidationError) as exc:
        case_advance(case=case, to_stage=to, actor=social_worker)
    assert exc.value.code == "invalid_transition"
    case.refresh_from_db()
    assert case.stage == start
    assert not ChangeEvent.objects.filter(target_id=str(case.pk), action="state").exists()


def test_closing_ends_the_assignments_and_reopening_goes_back_to_assessment(
    social_worker, coordinator
):
    ambito = AmbitoFactory()
    _org(coordinator).ambiti.add(ambito)
    case = assign(social_worker, ambito=ambito, stage=CaseStage.PACT)
    with pytest.raises(ValidationError):
        case_close(case=case, reason="", actor=social_worker)
    case_close(case=case, reason=ClosureReason.GOALS_REACHED, actor=social_worker)
    case.refresh_from_db()
    assert case.stage == CaseStage.CLOSED and case.closed_on is not None
    assert not case.assignments.filter(end__isnull=True).exists()
    with pytest.raises(ValidationError):
        case_close(case=case, reason=ClosureReason.OTHER, actor=coordinator)
    with pytest.raises(ValidationError):
        case_advance(case=case, to_stage=CaseStage.MONITORING, actor=coordinator)
    # The worker, no longer assigned, cannot reopen; the coordinator can.
    with pytest.raises(PermissionDenied):
        case_reopen(case=case, actor=social_worker)
    case_reopen(case=case, actor=coordinator)
    case.refresh_from_db()
    assert (case.stage, case.closed_on, case.closure_reason) == (CaseStage.ASSESSMENT, None, "")


def test_a_new_lead_ends_the_previous_one(social_worker, make_user):
    case = assign(social_worker)
    colleague = make_user("colleague@example.org")
    MembershipFactory(user=colleague, organisation=case.organisation, role="operator")
    case_assign(case=case, worker=colleague, kind=CaseAssignment.Kind.LEAD, actor=social_worker)
    current = case.assignments.filter(end__isnull=True)
    assert [a.worker for a in current] == [colleague]
    assert case.assignments.count() == 2
    with pytest.raises(ValidationError):
        case_assign(case=case, worker=colleague, kind="support", actor=colleague)


def test_only_workers_of_the_service_are_assigned(social_worker, make_user):
    case = assign(social_worker)
    outsider = make_user("outsider@example.org")
    MembershipFactory(user=outsider, organisation=OrganisationFactory(), role="operator")
    with pytest.raises(ValidationError):
        case_assign(case=case, worker=outsider, kind="support", actor=social_worker)


def test_unassigning_ends_the_assignment(social_worker):
    case = assign(social_worker)
    assignment = case.assignments.get()
    case_unassign(assignment=assignment, actor=social_worker)
    assignment.refresh_from_db()
    assert assignment.end is not None
