"""The needs board and interventions: posting needs, one support per person with a count
that always equals the supports, the moves along the board, merging duplicates,
passing a need to a social service with the person's consent, and interventions that
answer only needs of their own lab."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from labs.models import InterventionStatus, LabStatus, Need, NeedStatus, NeedVote
from labs.services import needs as services
from legami.models import ChangeEvent
from legami.roles import Role
from tests.labs.factories_needs import (
    ActiveLabFactory,
    InterventionFactory,
    NeedFactory,
    facilitated_lab,
)
from tests.legami.factories import ComuneFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

N = NeedStatus


def assert_count_matches(*needs: Need) -> None:
    """Each need's supporter count equals its supports."""
    for need in needs:
        need.refresh_from_db()
        assert need.votes_count == NeedVote.objects.filter(need=need).count()


@pytest.fixture
def facilitator(make_user):
    return make_user("runs.the.lab@example.org", role=Role.FACILITATOR)


@pytest.fixture
def lab(facilitator):
    return facilitated_lab(facilitator)


@pytest.fixture
def people(make_user):
    return lambda n: [make_user() for _ in range(n)]


# --- Posting --------------------------------------------------------------------------------


def test_a_person_with_an_account_posts_a_need(lab, make_user):
    citizen = make_user()
    comune = ComuneFactory()
    lab.comuni.add(comune)

    need = services.need_post(
        lab=lab,
        actor=citizen,
        title="  Nessuno accompagna gli anziani dal medico ",
        category="mobility",
        place="Quartiere Po",
        comune=comune,
    )

    assert need.title == "Nessuno accompagna gli anziani dal medico"
    assert need.status == N.NEW and need.votes_count == 0 and need.posted_by == citizen
    assert ChangeEvent.objects.filter(target_type="labs.need", target_id=str(need.pk)).exists()


def test_a_closed_lab_takes_no_new_needs(make_user):
    lab = ActiveLabFactory(status=LabStatus.CLOSED)

    with pytest.raises(ValidationError, match="closed"):
        services.need_post(lab=lab, actor=make_user(), title="Parco buio", category="public_space")
    assert not Need.objects.exists()


def test_an_anonymous_visitor_posts_nothing(lab):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.need_post(lab=lab, actor=AnonymousUser(), title="X", category="other")
    assert not Need.objects.exists()


def test_a_need_names_a_comune_of_its_lab_and_a_category(lab, make_user):
    with pytest.raises(ValidationError) as refused:
        services.need_post(
            lab=lab, actor=make_user(), title=" ", category="nope", comune=ComuneFactory()
        )
    assert set(refused.value.message_dict) == {"title", "category", "comune"}
    assert not Need.objects.exists()


# --- Supporting -----------------------------------------------------------------------------


def test_one_support_per_person(lab, make_user):
    need = NeedFactory(lab=lab)
    citizen = make_user()
    services.need_vote(need=need, actor=citizen)

    with pytest.raises(ValidationError, match="already support"):
        services.need_vote(need=need, actor=citizen)
    assert_count_matches(need)
    assert need.votes_count == 1


def test_the_database_refuses_a_second_support_of_the_same_person(lab, make_user):
    need = NeedFactory(lab=lab)
    citizen = make_user()
    NeedVote.objects.create(need=need, user=citizen)

    with pytest.raises(IntegrityError), transaction.atomic():
        NeedVote.objects.create(need=need, user=citizen)


def test_the_count_always_equals_the_supports(lab, people):
    needs = [NeedFactory(lab=lab) for _ in range(3)]
    crowd = people(5)

    for i, person in enumerate(crowd):
        for need in needs[: i % 3 + 1]:
            services.need_vote(need=need, actor=person)
    services.need_unvote(need=needs[0], actor=crowd[0])
    services.need_unvote(need=needs[1], actor=crowd[1])

    assert_count_matches(*needs)
    assert [n.votes_count for n in needs] == [4, 2, 1]


def test_withdrawing_a_support_one_did_not_give_is_refused(lab, make_user):
    need = NeedFactory(lab=lab)
    services.need_vote(need=need, actor=make_user())

    with pytest.raises(ValidationError, match="do not support"):
        services.need_unvote(need=need, actor=make_user())
    assert_count_matches(need)
    assert need.votes_count == 1


def test_no_support_on_a_closed_lab_or_a_merged_need(lab, facilitator, make_user):
    closed = NeedFactory(lab=ActiveLabFactory(status=LabStatus.CLOSED))
    duplicate, target = NeedFactory(lab=lab), NeedFactory(lab=lab)
    services.need_merge(duplicate=duplicate, into=target, actor=facilitator)
    citizen = make_user()

    with pytest.raises(ValidationError, match="closed"):
        services.need_vote(need=closed, actor=citizen)
    with pytest.raises(ValidationError, match="merged"):
        services.need_vote(need=duplicate, actor=citizen)
    assert not NeedVote.objects.exists()


def test_needs_of_a_planned_lab_are_hidden_from_the_public(make_user):
    need = NeedFactory(lab=ActiveLabFactory(status=LabStatus.PLANNED))

    with pytest.raises(PermissionDenied):
        services.need_vote(need=need, actor=make_user())


# --- Moving along the board ------------------------------------------------------------------


def test_a_need_moves_one_step_at_a_time(lab, facilitator):
    need = NeedFactory(lab=lab)

    for to in (N.DISCUSSED, N.TAKEN_UP, N.ADDRESSED):
        need = services.need_set_status(need=need, to=to, actor=facilitator)
        assert need.status == to
    need = services.need_set_status(need=need, to=N.TAKEN_UP, actor=facilitator)
    assert need.status == N.TAKEN_UP
    events = ChangeEvent.objects.filter(target_type="labs.need", action="state")
    assert events.count() == 4


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (N.NEW, N.TAKEN_UP),
        (N.NEW, N.ADDRESSED),
        (N.DISCUSSED, N.ADDRESSED),
        (N.ADDRESSED, N.NEW),
        (N.NEW, N.NEW),
        (N.NEW, N.MERGED),
        (N.NEW, "nonsense"),
    ],
)
def test_invalid_moves_are_refused_and_change_nothing(lab, facilitator, start, to):
    need = NeedFactory(lab=lab, status=start)

    with pytest.raises(ValidationError):
        services.need_set_status(need=need, to=to, actor=facilitator)
    need.refresh_from_db()
    assert need.status == start


def test_only_the_labs_runners_move_needs(lab, make_user):
    need = NeedFactory(lab=lab)
    other_facilitator = make_user(role=Role.FACILITATOR)

    for actor in (make_user(), other_facilitator):
        with pytest.raises(PermissionDenied):
            services.need_set_status(need=need, to=N.DISCUSSED, actor=actor)
    need.refresh_from_db()
    assert need.status == N.NEW


def test_a_need_an_intervention_answers_stays_taken_up(lab, facilitator):
    need = NeedFactory(lab=lab, status=N.DISCUSSED)
    services.intervention_create(
        lab=lab,
        actor=facilitator,
        title="Serate insieme",
        owner=OrganisationFactory(),
        plan="Ogni giovedì",
        needs=[need],
    )
    need.refresh_from_db()
    assert need.status == N.TAKEN_UP

    with pytest.raises(ValidationError, match="intervention"):
        services.need_set_status(need=need, to=N.DISCUSSED, actor=facilitator)


# --- Merging --------------------------------------------------------------------------------


def test_merging_moves_supporters_without_counting_anyone_twice(lab, facilitator, people):
    duplicate, target = NeedFactory(lab=lab), NeedFactory(lab=lab)
    a, b, c, d = people(4)
    for person in (a, b, c):
        services.need_vote(need=duplicate, actor=person)
    for person in (c, d):
        services.need_vote(need=target, actor=person)
    earlier = NeedFactory(lab=lab, status=N.MERGED, merged_into=duplicate)

    result = services.need_merge(duplicate=duplicate, into=target, actor=facilitator)

    assert result == target
    duplicate.refresh_from_db()
    earlier.refresh_from_db()
    assert duplicate.status == N.MERGED and duplicate.merged_into == target
    assert earlier.merged_into == target
    assert set(NeedVote.objects.filter(need=target).values_list("user", flat=True)) == {
        a.pk,
        b.pk,
        c.pk,
        d.pk,
    }
    assert_count_matches(duplicate, target)
    assert (duplicate.votes_count, target.votes_count) == (0, 4)


@pytest.mark.parametrize("case", ["itself", "other lab", "merged target", "merged duplicate"])
def test_merges_that_make_no_sense_are_refused(lab, facilitator, case):
    need, other = NeedFactory(lab=lab), NeedFactory(lab=lab)
    if case == "itself":
        other = need
    elif case == "other lab":
        other = NeedFactory(lab=facilitated_lab(facilitator))
    elif case == "merged target":
        services.need_merge(duplicate=other, into=NeedFactory(lab=lab), actor=facilitator)
    else:
        services.need_merge(duplicate=need, into=NeedFactory(lab=lab), actor=facilitator)
    before = Need.objects.get(pk=need.pk).status

    with pytest.raises(ValidationError):
        services.need_merge(duplicate=need, into=other, actor=facilitator)
    assert Need.objects.get(pk=need.pk).status == before


# --- Passing a need to a social service ------------------------------------------------------


def test_a_need_is_passed_on_with_the_persons_consent(lab, facilitator):
    need = NeedFactory(lab=lab)
    service = OrganisationFactory()
    consent = timezone.localdate() - dt.timedelta(days=1)

    need = services.need_refer(
        need=need, actor=facilitator, organisation=service, consent_given_on=consent
    )

    assert need.referred_to == service and need.referral_consent_on == consent
    assert need.referred_by == facilitator and need.referred_at is not None


@pytest.mark.parametrize("case", ["no consent", "future consent", "inactive", "twice"])
def test_a_referral_needs_consent_and_an_active_organisation(lab, facilitator, case):
    need = NeedFactory(lab=lab)
    service = OrganisationFactory()
    consent: dt.date | None = timezone.localdate()
    if case == "no consent":
        consent = None
    elif case == "future consent":
        consent = timezone.localdate() + dt.timedelta(days=1)
    elif case == "inactive":
        service = OrganisationFactory(is_active=False)
    else:
        services.need_refer(
            need=need,
            actor=facilitator,
            organisation=OrganisationFactory(),
            consent_given_on=consent,
        )
    before = Need.objects.filter(pk=need.pk).values("referred_to", "referred_at").get()

    with pytest.raises(ValidationError):
        services.need_refer(
            need=need, actor=facilitator, organisation=service, consent_given_on=consent
        )
    assert Need.objects.filter(pk=need.pk).values("referred_to", "referred_at").get() == before


def test_only_the_labs_runners_pass_needs_on(lab, make_user):
    need = NeedFactory(lab=lab)

    with pytest.raises(PermissionDenied):
        services.need_refer(
            need=need,
            actor=make_user(),
            organisation=OrganisationFactory(),
            consent_given_on=timezone.localdate(),
        )


def test_only_coordinators_of_the_receiving_organisation_see_and_take_in(lab, facilitator):
    service, elsewhere = OrganisationFactory(), OrganisationFactory()
    coordinator = MembershipFactory(organisation=service, role=Role.COORDINATOR).user
    other_coordinator = MembershipFactory(organisation=elsewhere, role=Role.COORDINATOR).user
    operator = MembershipFactory(organisation=service, role=Role.OPERATOR).user
    need = services.need_refer(
        need=NeedFactory(lab=lab),
        actor=facilitator,
        organisation=service,
        consent_given_on=timezone.localdate(),
    )
    NeedFactory(lab=lab)  # not passed on

    assert list(services.referred_needs(user=coordinator)) == [need]
    assert not services.referred_needs(user=other_coordinator).exists()
    assert not services.referred_needs(user=operator).exists()
    assert not services.referred_needs(user=facilitator).exists()
    for actor in (other_coordinator, operator, facilitator):
        with pytest.raises(PermissionDenied):
            services.need_referral_taken(need=need, actor=actor)

    need = services.need_referral_taken(need=need, actor=coordinator)
    assert need.referral_taken_at is not None
    with pytest.raises(ValidationError, match="already"):
        services.need_referral_taken(need=need, actor=coordinator)


def test_a_need_not_passed_on_cannot_be_taken_in(lab):
    coordinator = MembershipFactory(organisation=OrganisationFactory(), role=Role.COORDINATOR).user

    with pytest.raises(PermissionDenied):
        services.need_referral_taken(need=NeedFactory(lab=lab), actor=coordinator)


# --- Interventions --------------------------------------------------------------------------


def test_an_intervention_answers_needs_of_its_lab_which_move_to_taken_up(lab, facilitator):
    new, addressed = NeedFactory(lab=lab), NeedFactory(lab=lab, status=N.ADDRESSED)

    intervention = services.intervention_create(
        lab=lab,
        actor=facilitator,
        title="Navetta solidale",
        owner=OrganisationFactory(),
        plan="Volontari accompagnano",
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2026, 6, 30),
        needs=[new, addressed],
    )

    assert set(intervention.needs.all()) == {new, addressed}
    new.refresh_from_db()
    addressed.refresh_from_db()
    assert (new.status, addressed.status) == (N.TAKEN_UP, N.ADDRESSED)


def test_an_intervention_answers_no_need_of_another_lab(lab, facilitator):
    foreign = NeedFactory(lab=facilitated_lab(facilitator))
    intervention = InterventionFactory(lab=lab)

    with pytest.raises(ValidationError) as refused:
        services.intervention_create(
            lab=lab,
            actor=facilitator,
            title="X",
            owner=OrganisationFactory(),
            plan="Y",
            needs=[foreign],
        )
    assert "needs" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.intervention_update(
            intervention=intervention,
            actor=facilitator,
            title="X",
            owner=intervention.owner,
            plan="Y",
            start_date=None,
            end_date=None,
            status=InterventionStatus.RUNNING,
            needs=[foreign],
        )
    foreign.refresh_from_db()
    intervention.refresh_from_db()
    assert foreign.status == N.NEW and intervention.status == InterventionStatus.DESIGNED
    assert lab.interventions.count() == 1


def test_an_intervention_is_checked_and_changed_by_the_runners(lab, facilitator, make_user):
    owner = OrganisationFactory()
    intervention = InterventionFactory(lab=lab, owner=owner)
    need = NeedFactory(lab=lab)

    with pytest.raises(ValidationError) as refused:
        services.intervention_create(
            lab=lab,
            actor=facilitator,
            title=" ",
            owner=OrganisationFactory(is_active=False),
            plan="",
            start_date=dt.date(2026, 5, 1),
            end_date=dt.date(2026, 4, 1),
        )
    assert set(refused.value.message_dict) == {"title", "owner", "plan", "end_date"}
    with pytest.raises(PermissionDenied):
        services.intervention_create(lab=lab, actor=make_user(), title="X", owner=owner, plan="Y")

    intervention = services.intervention_update(
        intervention=intervention,
        actor=facilitator,
        title="Nuovo titolo",
        owner=owner,
        plan="Piano",
        start_date=None,
        end_date=None,
        status=InterventionStatus.RUNNING,
        needs=[need],
    )
    need.refresh_from_db()
    assert intervention.status == InterventionStatus.RUNNING and need.status == N.TAKEN_UP
    assert ChangeEvent.objects.filter(
        target_type="labs.intervention", target_id=str(intervention.pk), action="update"
    ).exists()
    assert lab.interventions.count() == 1
