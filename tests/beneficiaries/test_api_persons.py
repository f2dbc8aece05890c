"""API of persons and their cases: the same rules as the pages, every read logged."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from beneficiaries.models import Case, CaseAssignment, CaseStage, Person
from legami.models import AccessEvent
from tests.beneficiaries.factories import (
    AssessmentFactory,
    CaseAssignmentFactory,
    CaseFactory,
    ConsentFactory,
    DiaryNoteFactory,
    PersonFactory,
    ReferralFactory,
    assign,
)
from tests.legami.factories import AmbitoFactory
from tests.partners.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

PERSONS = "/api/v1/persons/"


def _post(client, url, data=None, method="post"):
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json")


def _org(user):
    return user.memberships.get().organisation


@pytest.fixture
def case(social_worker):
    return assign(social_worker)


def _new_person_data(social_worker, **extra):
    return {
        "first_name": "Giuseppina",
        "last_name": "Verdi",
        "no_codice_fiscale_reason": "not_known",
        "birth_date": "1950-03-04",
        "sex": "F",
        "organisation": _org(social_worker).pk,
        "ambito": AmbitoFactory().pk,
        **extra,
    }


def test_list_shows_only_assigned_files_with_bounded_queries(
    social_worker, social_worker_client, django_assert_max_num_queries
):
    # Given two files of the worker and one of someone else
    assign(social_worker)
    assign(social_worker)
    PersonFactory()
    with django_assert_max_num_queries(15) as few:
        response = social_worker_client.get(PERSONS)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    # When the worker has many more files, the queries stay the same
    for _ in range(8):
        assign(social_worker)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = social_worker_client.get(PERSONS)
    assert len(response.json()["results"]) == 10
    assert "id" not in response.json()["results"][0]
    assert AccessEvent.objects.filter(action="api", actor=social_worker).count() == 12


def test_list_filters_by_stage_and_risk(social_worker, social_worker_client):
    monitored = assign(social_worker, stage=CaseStage.MONITORING).person
    at_risk = assign(social_worker).person
    AssessmentFactory(person=at_risk)
    by_stage = social_worker_client.get(PERSONS, {"stage": "monitoring"}).json()["results"]
    assert [p["public_id"] for p in by_stage] == [str(monitored.public_id)]
    risky = social_worker_client.get(PERSONS, {"at_risk": "true"}).json()["results"]
    assert [p["public_id"] for p in risky] == [str(at_risk.public_id)]
    assert social_worker_client.get(PERSONS, {"stage": "nonsense"}).status_code == 400


def test_search_is_a_post_and_ignores_the_query_string(case, social_worker_client):
    person = case.person
    found = _post(social_worker_client, PERSONS + "search/", {"q": person.last_name})
    assert found.status_code == 200
    assert [p["public_id"] for p in found.json()["results"]] == [str(person.public_id)]
    assert _post(social_worker_client, PERSONS + "search/", {"q": "Nobody"}).json()["results"] == []
    # a "search" in the address is not a filter: the list stays whole
    listed = social_worker_client.get(PERSONS, {"search": "Nobody"}).json()["results"]
    assert len(listed) == 1


def test_retrieve_is_logged_and_strangers_get_not_found(
    case, social_worker, social_worker_client, make_user, enable_totp
):
    from django.test import Client

    url = f"{PERSONS}{case.person.public_id}/"
    response = social_worker_client.get(url)
    assert response.status_code == 200
    assert response.json()["public_id"] == str(case.person.public_id)
    assert AccessEvent.objects.filter(
        action="api", target_id=str(case.person.pk), actor=social_worker
    ).exists()
    stranger = make_user("stranger@example.org", role="operator")
    enable_totp(stranger)
    client = Client()
    client.force_login(stranger)
    assert client.get(url).status_code == 404


def test_create_refuses_a_likely_duplicate_until_forced(social_worker, social_worker_client):
    # Given a person on file the worker cannot read
    PersonFactory(first_name="Giuseppina", last_name="Verdi", birth_date="1950-03-04")
    data = _new_person_data(social_worker)
    conflict = _post(social_worker_client, PERSONS, data)
    assert conflict.status_code == 409
    outline = conflict.json()["duplicates"]
    assert outline == [{"public_id": None, "initials": "G. V.", "birth_year": 1950, "services": []}]
    assert Person.objects.count() == 1
    # When the worker confirms it is someone else
    created = _post(social_worker_client, PERSONS, {**data, "force": True})
    assert created.status_code == 201, created.content
    person = Person.objects.get(public_id=created.json()["public_id"])
    assert person.cases.get().assignments.get().worker == social_worker


def test_create_with_a_bad_codice_fiscale_is_a_400(social_worker, social_worker_client):
    data = _new_person_data(social_worker, codice_fiscale="XXXXXXXXXXXXXXXX")
    response = _post(social_worker_client, PERSONS, data)
    assert response.status_code == 400
    assert "codice_fiscale" in response.json()


def test_patch_changes_the_anagrafica(case, social_worker_client):
    url = f"{PERSONS}{case.person.public_id}/"
    response = _post(
        social_worker_client, url, {"phone": "0372 123456", "areas": ["anziani"]}, "patch"
    )
    assert response.status_code == 200, response.content
    case.person.refresh_from_db()
    assert case.person.phone == "0372 123456"
    assert response.json()["areas"] == ["anziani"]


def test_cases_list_open_advance_close_reopen(
    case, social_worker, social_worker_client, django_assert_max_num_queries
):
    base = f"{PERSONS}{case.person.public_id}/cases/"
    with django_assert_max_num_queries(15):
        listed = social_worker_client.get(base)
    assert [c["id"] for c in listed.json()["results"]] == [case.pk]
    url = f"{base}{case.pk}/"
    assert social_worker_client.get(url).json()["stage"] == "assessment"
    advanced = _post(social_worker_client, url + "advance/", {"stage": "pact"})
    assert advanced.status_code == 200, advanced.content
    assert advanced.json()["stage"] == "pact"
    backwards = _post(social_worker_client, url + "advance/", {"stage": "intake"})
    assert backwards.status_code == 400
    closed = _post(social_worker_client, url + "close/", {"closure_reason": "goals_reached"})
    assert closed.status_code == 200, closed.content
    case.refresh_from_db()
    assert case.stage == CaseStage.CLOSED
    assert not case.assignments.filter(end__isnull=True).exists()
    # the worker no longer sees the closed case: reopening is for its coordinators
    assert _post(social_worker_client, url + "reopen/").status_code == 404


def test_coordinator_reopens_and_assigns(
    social_worker, coordinator, coordinator_client, make_user, enable_totp
):
    ambito = AmbitoFactory()
    _org(coordinator).ambiti.add(ambito)
    case = assign(
        social_worker,
        ambito=ambito,
        stage=CaseStage.CLOSED,
        closed_on="2025-02-01",
        closure_reason="goals_reached",
    )
    case.organisation = _org(coordinator)
    case.save()
    url = f"{PERSONS}{case.person.public_id}/cases/{case.pk}/"
    reopened = _post(coordinator_client, url + "reopen/")
    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["stage"] == "assessment"
    worker = make_user("new.worker@example.org")
    worker.memberships.create(
        organisation=_org(coordinator), role="operator", start_date="2024-01-01"
    )
    assigned = _post(coordinator_client, url + "assign/", {"worker": worker.pk})
    assert assigned.status_code == 201, assigned.content
    assert CaseAssignment.objects.filter(case=case, worker=worker, end__isnull=True).exists()


def test_open_a_case_at_the_workers_service(case, social_worker, social_worker_client):
    base = f"{PERSONS}{case.person.public_id}/cases/"
    again = _post(
        social_worker_client, base, {"organisation": case.organisation_id, "ambito": case.ambito_id}
    )
    assert again.status_code == 400
    Case.objects.filter(pk=case.pk).update(
        stage=CaseStage.CLOSED, closed_on="2025-02-01", closure_reason="goals_reached"
    )
    opened = _post(
        social_worker_client, base, {"organisation": case.organisation_id, "ambito": case.ambito_id}
    )
    assert opened.status_code == 201, opened.content
    assert opened.json()["stage"] == "intake"
    assert Case.objects.count() == 2


def test_diary_hides_confidential_notes_from_a_referral_worker(
    case, social_worker, social_worker_client, make_user, enable_totp, django_assert_max_num_queries
):
    from django.test import Client

    base = f"{PERSONS}{case.person.public_id}/diary/"
    for n in range(3):
        note = {"case": case.pk, "category": "interview", "text": f"Note {n}"}
        assert _post(social_worker_client, base, note).status_code == 201
    secret = {"case": case.pk, "category": "interview", "text": "Secret", "confidential": True}
    assert _post(social_worker_client, base, secret).status_code == 201
    with django_assert_max_num_queries(15):
        listed = social_worker_client.get(base).json()["results"]
    assert len(listed) == 4
    # Given a worker elsewhere who follows the person through an accepted referral
    other = make_user("receiving@example.org")
    other_org = OrganisationFactory()
    other.memberships.create(organisation=other_org, role="operator", start_date="2024-01-01")
    enable_totp(other)
    ReferralFactory(case=case, to_organisation=other_org, status="accepted", receiving_worker=other)
    client = Client()
    client.force_login(other)
    seen = client.get(base).json()["results"]
    assert sorted(n["text"] for n in seen) == ["Note 0", "Note 1", "Note 2"]
    # and cannot write in the diary of a case they do not run
    assert _post(client, base, {**secret, "confidential": False}).status_code == 403
    # Four notes written and two lists read are in the access log; the refusal is not.
    assert AccessEvent.objects.filter(action="api", purpose="diary API").count() == 6


def test_referral_request_accept_and_close(
    case, social_worker, social_worker_client, coordinator, coordinator_client
):
    base = f"{PERSONS}{case.person.public_id}/referrals/"
    target = _org(coordinator)
    requested = _post(
        social_worker_client,
        base,
        {
            "case": case.pk,
            "to_organisation": target.pk,
            "reason": "Support at home",
            "consent_given_on": "2025-01-15",
        },
    )
    assert requested.status_code == 201, requested.content
    url = f"{base}{requested.json()['id']}/"
    # The sender cannot decide on it; the receiving coordinator can
    assert _post(social_worker_client, url + "accept/", {"receiving_worker": 1}).status_code == 403
    accepted = _post(coordinator_client, url + "accept/", {"receiving_worker": coordinator.pk})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    assert _post(coordinator_client, url + "decline/", {"reason": "x"}).status_code == 400
    closed = _post(social_worker_client, url + "close/")
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed"


def test_consents_give_list_and_withdraw(case, social_worker_client):
    base = f"{PERSONS}{case.person.public_id}/consents/"
    given = _post(social_worker_client, base, {"kind": "share_partners", "given_on": "2025-01-02"})
    assert given.status_code == 201, given.content
    twice = _post(social_worker_client, base, {"kind": "share_partners"})
    assert twice.status_code == 400
    url = f"{base}{given.json()['id']}/withdraw/"
    withdrawn = _post(social_worker_client, url, {"withdrawn_on": "2025-02-01"})
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["withdrawn_on"] == "2025-02-01"
    assert _post(social_worker_client, url).status_code == 400
    listed = social_worker_client.get(base).json()["results"]
    assert [c["withdrawn_on"] for c in listed] == ["2025-02-01"]


@pytest.mark.parametrize("part", ["cases", "diary", "referrals", "consents"])
def test_part_lists_take_the_same_queries_for_few_and_many_rows(
    part, social_worker, social_worker_client, django_assert_max_num_queries
):
    person = PersonFactory()

    def add_rows(n):
        for _ in range(n):
            # each at another service: one open case per service and person
            case = CaseFactory(person=person)
            CaseAssignmentFactory(case=case, worker=social_worker)
            DiaryNoteFactory(case=case, author=social_worker)
            ReferralFactory(case=case)
            ConsentFactory(person=person, withdrawn_on=dt.date(2025, 2, 1))

    url = f"{PERSONS}{person.public_id}/{part}/"
    add_rows(1)
    with django_assert_max_num_queries(20) as few:
        assert len(social_worker_client.get(url).json()["results"]) == 1
    add_rows(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(social_worker_client.get(url).json()["results"]) == 6
