"""API of a person's household, intakes and restriction of processing: the same rules as
the person page, every change through the services, every list logged."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from beneficiaries.models import HouseholdMember, Intake
from legami.models import AccessEvent, ChangeEvent
from tests.beneficiaries.factories import (
    HouseholdMemberFactory,
    IntakeFactory,
    PersonFactory,
    ReferralFactory,
    assign,
)
from tests.partners.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

PERSONS = "/api/v1/persons/"


def _post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def case(social_worker):
    return assign(social_worker)


@pytest.fixture
def referral_client(case, make_user, enable_totp):
    """A worker elsewhere who follows the person through an accepted referral: they read
    the file but do not run the case."""
    other = make_user("receiving@example.org")
    other_org = OrganisationFactory()
    other.memberships.create(organisation=other_org, role="operator", start_date="2024-01-01")
    enable_totp(other)
    ReferralFactory(case=case, to_organisation=other_org, status="accepted", receiving_worker=other)
    client = Client()
    client.force_login(other)
    return client


def test_household_add_a_named_member_and_one_on_file(case, social_worker, social_worker_client):
    base = f"{PERSONS}{case.person.public_id}/household/"
    named = _post(
        social_worker_client,
        base,
        {"relation": "child", "first_name": " Luca ", "birth_year": 1990},
    )
    assert named.status_code == 201, named.content
    assert named.json()["first_name"] == "Luca"
    assert named.json()["member"] is None
    # A person on file whom the worker may read is linked by public id
    spouse = assign(social_worker).person
    linked = _post(
        social_worker_client, base, {"relation": "spouse", "member": str(spouse.public_id)}
    )
    assert linked.status_code == 201, linked.content
    assert linked.json()["member"] == str(spouse.public_id)
    assert HouseholdMember.objects.get(pk=linked.json()["id"]).member == spouse
    assert (
        ChangeEvent.objects.filter(
            target_type="beneficiaries.householdmember", action="create"
        ).count()
        == 2
    )


def test_household_refuses_a_stranger_an_unnamed_member_and_the_person_itself(
    case, social_worker_client
):
    base = f"{PERSONS}{case.person.public_id}/household/"
    # Someone on file the worker may not read is not found, as if they did not exist
    stranger = PersonFactory()
    hidden = _post(
        social_worker_client, base, {"relation": "sibling", "member": str(stranger.public_id)}
    )
    assert hidden.status_code == 400
    assert "member" in hidden.json()
    unnamed = _post(social_worker_client, base, {"relation": "sibling"})
    assert unnamed.status_code == 400
    assert "first_name" in unnamed.json()
    itself = _post(
        social_worker_client, base, {"relation": "sibling", "member": str(case.person.public_id)}
    )
    assert itself.status_code == 400
    assert "member" in itself.json()
    assert not HouseholdMember.objects.exists()


def test_household_list_is_logged_with_bounded_queries(
    case, social_worker, social_worker_client, django_assert_max_num_queries
):
    base = f"{PERSONS}{case.person.public_id}/household/"
    HouseholdMemberFactory(person=case.person, member=assign(social_worker).person)
    with django_assert_max_num_queries(20) as few:
        assert len(social_worker_client.get(base).json()["results"]) == 1
    for _ in range(5):
        HouseholdMemberFactory(person=case.person, member=assign(social_worker).person)
    with django_assert_max_num_queries(len(few.captured_queries)):
        listed = social_worker_client.get(base).json()["results"]
    assert len(listed) == 6
    assert (
        AccessEvent.objects.filter(
            action="api", purpose="household API", target_id=str(case.person.pk)
        ).count()
        == 2
    )


def test_household_remove(case, social_worker_client, referral_client):
    member = HouseholdMemberFactory(person=case.person)
    url = f"{PERSONS}{case.person.public_id}/household/{member.pk}/"
    # The referral worker reads the household but does not change it
    assert referral_client.get(f"{PERSONS}{case.person.public_id}/household/").status_code == 200
    assert referral_client.delete(url).status_code == 403
    assert social_worker_client.delete(url).status_code == 204
    assert not HouseholdMember.objects.exists()
    assert ChangeEvent.objects.filter(
        target_type="beneficiaries.householdmember", action="delete"
    ).exists()
    # A member of another person's household is not found under this person
    elsewhere = HouseholdMemberFactory()
    other_url = f"{PERSONS}{case.person.public_id}/household/{elsewhere.pk}/"
    assert social_worker_client.delete(other_url).status_code == 404
    assert HouseholdMember.objects.filter(pk=elsewhere.pk).exists()


def test_intake_recorded_at_the_workers_service(case, social_worker_client):
    base = f"{PERSONS}{case.person.public_id}/intakes/"
    data = {
        "channel": "family",
        "organisation": case.organisation_id,
        "ambito": case.ambito_id,
        "reported_by": "The daughter",
        "first_needs": "Help at home",
    }
    created = _post(social_worker_client, base, data)
    assert created.status_code == 201, created.content
    assert created.json()["date"] == timezone.localdate().isoformat()
    assert created.json()["organisation_name"] == case.organisation.name
    intake = Intake.objects.get(pk=created.json()["id"])
    assert (intake.person, intake.reported_by) == (case.person, "The daughter")
    # At a service the worker does not work for: refused
    elsewhere = _post(
        social_worker_client, base, {**data, "organisation": OrganisationFactory().pk}
    )
    assert elsewhere.status_code == 403
    assert Intake.objects.count() == 1


def test_intakes_list_newest_first_logged_with_bounded_queries(
    case, social_worker, social_worker_client, django_assert_max_num_queries
):
    base = f"{PERSONS}{case.person.public_id}/intakes/"
    old = IntakeFactory(person=case.person, date="2024-01-10")
    with django_assert_max_num_queries(20) as few:
        assert len(social_worker_client.get(base).json()["results"]) == 1
    for day in range(1, 6):
        IntakeFactory(person=case.person, date=f"2025-02-0{day}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        listed = social_worker_client.get(base).json()["results"]
    assert [i["date"] for i in listed][:2] == ["2025-02-05", "2025-02-04"]
    assert listed[-1]["id"] == old.pk
    assert AccessEvent.objects.filter(action="api", purpose="intakes API").count() == 2


def test_restriction_on_stops_work_on_the_file_and_off_lifts_it(case, social_worker_client):
    person = case.person
    url = f"{PERSONS}{person.public_id}/restriction/"
    household = f"{PERSONS}{person.public_id}/household/"
    restricted = _post(social_worker_client, url, {"restricted": True, "reason": "Data contested"})
    assert restricted.status_code == 200, restricted.content
    assert restricted.json() == {"restricted": True}
    person.refresh_from_db()
    assert person.restricted
    event = ChangeEvent.objects.get(target_type="beneficiaries.person", action="state")
    assert (event.changes, event.note) == ({"restricted": [False, True]}, "Data contested")
    # While restricted the file is kept, not worked on
    blocked = _post(social_worker_client, household, {"relation": "child", "first_name": "Luca"})
    assert blocked.status_code == 400
    # When lifted, work goes on
    lifted = _post(social_worker_client, url, {"restricted": False})
    assert lifted.status_code == 200, lifted.content
    assert lifted.json() == {"restricted": False}
    person.refresh_from_db()
    assert not person.restricted
    added = _post(social_worker_client, household, {"relation": "child", "first_name": "Luca"})
    assert added.status_code == 201


def test_restriction_needs_a_flag_and_the_right_to_change_the_file(
    case, social_worker_client, referral_client
):
    url = f"{PERSONS}{case.person.public_id}/restriction/"
    assert _post(social_worker_client, url, {}).status_code == 400
    assert _post(referral_client, url, {"restricted": True}).status_code == 403
    case.person.refresh_from_db()
    assert not case.person.restricted
    assert not ChangeEvent.objects.filter(action="state").exists()


def test_no_new_intake_while_the_file_is_restricted(make_user):
    """A restricted file is kept, not worked on: a new intake is refused."""
    from django.core.exceptions import ValidationError

    from beneficiaries.services.cases import intake_create

    worker = make_user("restricted.worker@example.org", role="operator")
    case = assign(worker)
    case.person.restricted = True
    case.person.save()
    with pytest.raises(ValidationError, match="restricted"):
        intake_create(
            person=case.person,
            organisation=case.organisation,
            ambito=case.ambito,
            channel="self",
            actor=worker,
        )
    assert not case.person.intakes.exists()
