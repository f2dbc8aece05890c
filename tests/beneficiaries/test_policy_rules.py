"""The access policy for case files, at the edges the services rely on."""

from __future__ import annotations

import datetime as dt

import pytest

from beneficiaries.models import Case, NeedTag, Person, Referral, ReferralStatus
from legami.policy import Action, allowed
from legami.roles import Role
from tests.beneficiaries.factories import assign
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_a_referral_opens_the_file_to_the_receiving_worker_but_not_the_case(make_user):
    """The receiving worker reads the person while the referral is accepted, but does
    not run the sending service's case (stage, assignments, closing)."""
    sender = make_user("sender@example.org", role=Role.OPERATOR)
    case = assign(sender)
    receiver = make_user("receiver@example.org", role=Role.OPERATOR)
    referral = Referral.objects.create(
        case=case,
        to_organisation=receiver.memberships.get().organisation,
        reason="sostegno educativo",
        consent_given_on=dt.date(2026, 1, 10),
        requested_by=sender,
    )
    person = case.person
    assert not allowed(receiver, Action.READ, person)

    referral.status = ReferralStatus.ACCEPTED
    referral.receiving_worker = receiver
    referral.save()
    receiver = type(receiver).objects.get(pk=receiver.pk)  # a new request
    assert allowed(receiver, Action.READ, person)
    assert not allowed(receiver, Action.CHANGE, person)
    assert not allowed(receiver, Action.CHANGE, case)
    assert allowed(sender, Action.CHANGE, case)

    referral.status = ReferralStatus.CLOSED
    referral.save()
    receiver = type(receiver).objects.get(pk=receiver.pk)
    assert not allowed(receiver, Action.READ, person)


def test_a_service_opens_cases_only_for_itself(make_user):
    worker = make_user("worker@example.org", role=Role.OPERATOR)
    own = worker.memberships.get().organisation
    other = OrganisationFactory()
    person = Person.objects.create(
        first_name="Ada", last_name="Rossi", no_codice_fiscale_reason="other"
    )
    ambito = assign(worker).ambito
    mine = Case(person=person, organisation=own, ambito=ambito)
    theirs = Case(person=person, organisation=other, ambito=ambito)
    assert allowed(worker, Action.CREATE, mine)
    assert not allowed(worker, Action.CREATE, theirs)
    assert not allowed(make_user("citizen@example.org"), Action.CREATE, mine)


def test_need_tags_are_used_by_case_workers_and_curated_by_network_admins(make_user):
    tag = NeedTag.objects.create(name="casa")
    worker = make_user("w@example.org", role=Role.OPERATOR)
    admin = make_user("a@example.org")
    MembershipFactory(user=admin, role=Role.NETWORK_ADMIN)
    assert allowed(worker, Action.READ, tag) and not allowed(worker, Action.CHANGE, tag)
    assert allowed(admin, Action.CHANGE, tag)
    assert not allowed(make_user("c@example.org"), Action.LIST, NeedTag)
