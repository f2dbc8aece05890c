"""Reads of pacts: the list and its filters, who reads the whole pact, the partner's part
(an exact set of keys), the outcomes of a pact, and the dashboard's reminders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from legami.roles import Role
from pacts.models import Pact, PactStatus, Reminder, ReminderKind
from pacts.selectors import (
    PARTNER_COMMITMENT_FIELDS,
    PARTNER_GOAL_FIELDS,
    PARTNER_PACT_FIELDS,
    PARTNER_SIGNATORY_FIELDS,
    is_full_reader,
    pact_detail,
    pact_list,
    pact_outcomes,
    pacts_of_person,
    partner_organisations,
    partner_view,
    reminders_for,
)
from pacts.services import follow
from pacts.services.ledger import hours_record, transaction_reverse
from tests.beneficiaries.factories import AssessmentFactory
from tests.pacts.factories import pact_in
from tests.partners.factories import MembershipFactory

pytestmark = pytest.mark.django_db

S = PactStatus


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def partner(partner_user):
    return partner_user.memberships.get().organisation


@pytest.fixture
def make(social_worker, partner_user):
    def _make(status):
        return pact_in(status, worker=social_worker, partner_signer=partner_user)

    return _make


# --- The list ------------------------------------------------------------------------------


def test_the_list_filters_by_status_due_mine_and_person(make, social_worker, make_user):
    draft, active, overdue, soon = make(S.DRAFT), make(S.ACTIVE), make(S.ACTIVE), make(S.ACTIVE)
    Pact.objects.filter(pk=overdue.pk).update(next_review_on=today() - dt.timedelta(days=1))
    Pact.objects.filter(pk=soon.pk).update(next_review_on=today() + dt.timedelta(days=2))
    Pact.objects.filter(pk=active.pk).update(next_review_on=today() + dt.timedelta(days=50))

    def ids(**filters):
        return set(pact_list(user=social_worker, filters=filters).values_list("pk", flat=True))

    assert ids() == {draft.pk, active.pk, overdue.pk, soon.pk}
    assert ids(status=S.DRAFT) == {draft.pk}
    assert ids(due="overdue") == {overdue.pk}
    assert ids(due="soon") == {soon.pk}
    assert ids(mine=True) == ids()
    assert ids(person=draft.person) == {draft.pk}
    assert pact_list(user=make_user(role=Role.OPERATOR)).count() == 0
    row = pact_list(user=social_worker).get(pk=draft.pk)
    assert row.goal_count == 2
    assert list(pacts_of_person(user=social_worker, person=draft.person)) == [draft]


def test_partner_staff_list_the_pacts_their_organisation_signs_once_proposed(make, partner_user):
    draft, proposed, active = make(S.DRAFT), make(S.PROPOSED), make(S.ACTIVE)
    listed = set(pact_list(user=partner_user).values_list("pk", flat=True))
    assert listed == {proposed.pk, active.pk}
    assert draft.pk not in listed
    outsider = MembershipFactory(role=Role.PARTNER_STAFF).user
    assert pact_list(user=outsider).count() == 0


def test_the_list_reads_in_a_bounded_number_of_queries(
    make, social_worker, django_assert_max_num_queries
):
    for _ in range(3):
        make(S.ACTIVE)
    with django_assert_max_num_queries(3):
        rows = list(pact_list(user=social_worker))
        assert [r.person.last_name for r in rows]
        assert [r.case.organisation.name for r in rows]


def test_the_case_worker_reads_the_whole_pact_and_partner_staff_their_part(
    make, social_worker, partner_user, partner, make_user
):
    pact = make(S.ACTIVE)
    assert is_full_reader(social_worker, pact)
    assert not is_full_reader(partner_user, pact)
    assert not is_full_reader(make_user(), pact)
    assert partner_organisations(partner_user, pact) == frozenset({partner.pk})
    assert partner_organisations(social_worker, pact) == frozenset()
    assert pact_detail(user=social_worker, public_id=pact.public_id) == pact
    assert pact_detail(user=partner_user, public_id=pact.public_id) == pact
    assert pact_detail(user=make_user(), public_id=pact.public_id) is None


def test_the_partner_view_has_exactly_the_agreed_keys(make, partner_user, partner):
    pact = make(S.ACTIVE)

    view = partner_view(pact, partner_organisations(partner_user, pact))

    assert tuple(view) == PARTNER_PACT_FIELDS
    assert set(PARTNER_PACT_FIELDS) == {
        "public_id",
        "title",
        "status",
        "start_date",
        "end_date",
        "person_name",
        "goals",
        "commitments",
        "signatories",
    }
    assert "context" not in view and "strengths" not in view
    # Only the goal concerning the partner; both commitments are with it.
    assert [g["description"] for g in view["goals"]] == ["Obiettivo 1"]
    assert all(tuple(g) == PARTNER_GOAL_FIELDS for g in view["goals"])
    assert len(view["commitments"]) == 2
    assert all(tuple(c) == PARTNER_COMMITMENT_FIELDS for c in view["commitments"])
    assert all(c["organisation"] == partner.pk for c in view["commitments"])
    assert len(view["signatories"]) == 3
    assert all(tuple(s) == PARTNER_SIGNATORY_FIELDS for s in view["signatories"])
    assert "signed_by" not in view["signatories"][0]


def test_the_partner_view_of_another_organisation_shows_no_goal_or_commitment(make):
    pact = make(S.ACTIVE)
    view = partner_view(pact, frozenset({987654}))
    assert (view["goals"], view["commitments"]) == ([], [])


# --- Outcomes ------------------------------------------------------------------------------


def test_outcomes_count_goals_achieved_at_their_latest_review(make, social_worker):
    pact = make(S.ACTIVE)
    first, second = pact.goals.order_by("position")
    follow.review_record(
        pact=pact,
        actor=social_worker,
        outcomes={first.pk: ("achieved", ""), second.pk: ("achieved", "")},
        date=today() - dt.timedelta(days=10),
        next_review_on=today() + dt.timedelta(days=30),
    )
    follow.review_record(
        pact=pact,
        actor=social_worker,
        outcomes={first.pk: ("achieved", ""), second.pk: ("partly", "Ancora discontinuo")},
        next_review_on=today() + dt.timedelta(days=30),
    )

    outcomes = pact_outcomes(pact)

    assert (outcomes.goals, outcomes.achieved, outcomes.partly) == (2, 1, 1)
    assert outcomes.achieved_share == 0.5


def test_outcomes_count_hours_given_back_net_of_reversals(make, social_worker, partner):
    pact = make(S.ACTIVE)
    day = today() - dt.timedelta(days=1)
    for hours in ("3", "4.5"):
        hours_record(
            pact=pact,
            actor=social_worker,
            hours=hours,
            date=day,
            direction="gives_back",
            organisation=partner,
        )
    wrong = hours_record(
        pact=pact,
        actor=social_worker,
        hours="8",
        date=day,
        direction="gives_back",
        organisation=partner,
    )
    hours_record(
        pact=pact,
        actor=social_worker,
        hours="6",
        date=day,
        direction="provides",
        organisation=partner,
    )
    transaction_reverse(txn=wrong, actor=social_worker, reason="Registrate per errore")

    assert pact_outcomes(pact).hours_given_back == Decimal("7.5")


def test_outcomes_measure_the_lsns6_change_from_start_to_end(make, social_worker):
    pact = make(S.ACTIVE)
    start = pact.start_date
    person = pact.person
    AssessmentFactory(person=person, date=start - dt.timedelta(days=200), total=5)
    AssessmentFactory(person=person, date=start - dt.timedelta(days=10), total=8)
    AssessmentFactory(person=person, date=start + dt.timedelta(days=5), total=11)
    AssessmentFactory(person=person, date=start + dt.timedelta(days=20), total=14)
    AssessmentFactory(person=person, date=today() + dt.timedelta(days=5), total=30)
    AssessmentFactory(
        person=person, date=start + dt.timedelta(days=21), total=3, kind="ucla3", answers=[1, 1, 1]
    )

    outcomes = pact_outcomes(pact)

    assert (outcomes.lsns_start, outcomes.lsns_end, outcomes.lsns_change) == (8, 14, 6)


def test_outcomes_without_assessments_or_reviews_are_empty(make):
    pact = make(S.DRAFT)
    outcomes = pact_outcomes(pact)
    assert outcomes.achieved_share == 0.0
    assert (outcomes.lsns_start, outcomes.lsns_change, outcomes.hours_given_back) == (
        None,
        None,
        0,
    )


def test_a_single_assessment_gives_no_change(make):
    pact = make(S.ACTIVE)
    AssessmentFactory(person=pact.person, date=pact.start_date + dt.timedelta(days=3), total=9)
    outcomes = pact_outcomes(pact)
    assert (outcomes.lsns_start, outcomes.lsns_end, outcomes.lsns_change) == (9, None, None)


# --- Reminders on the dashboard ----------------------------------------------------------


def test_the_dashboard_shows_a_users_undismissed_reminders_of_running_pacts(
    make, social_worker, partner_user
):
    active, completed = make(S.ACTIVE), make(S.COMPLETED)
    mine = Reminder.objects.create(
        key="a", pact=active, recipient=social_worker, kind=ReminderKind.OVERDUE, due_on=today()
    )
    Reminder.objects.create(
        key="b", pact=completed, recipient=social_worker, kind="overdue", due_on=today()
    )
    Reminder.objects.create(
        key="c",
        pact=active,
        recipient=social_worker,
        kind="due_soon",
        due_on=today(),
        dismissed_at=timezone.now(),
    )
    Reminder.objects.create(
        key="d", pact=active, recipient=partner_user, kind="due_soon", due_on=today()
    )
    assert list(reminders_for(user=social_worker)) == [mine]
