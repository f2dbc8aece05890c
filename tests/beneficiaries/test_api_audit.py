"""Every answer of the case-file API that shows a person's data writes the read to the
access log, as the lists and the detail do: the changes (a new record, a PATCH) and the
actions (case advance, close, reopen, assign; referral accept, decline, close; consent
withdraw; the restriction) alike, with action "api" and the purpose of the endpoint."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from beneficiaries.models import Case, CaseStage, Person, Tie
from legami.models import AccessEvent
from tests.beneficiaries.factories import ConsentFactory, ReferralFactory, assign
from tests.legami.factories import AmbitoFactory

pytestmark = pytest.mark.django_db

PERSONS = "/api/v1/persons/"


def _closed(case: Case) -> Case:
    Case.objects.filter(pk=case.pk).update(
        stage=CaseStage.CLOSED, closed_on="2025-02-01", closure_reason="goals_reached"
    )
    return case


def _colleague(w: dict[str, Any]) -> Any:
    colleague = w["make_user"]("colleague@example.org", role=None)
    colleague.memberships.create(
        organisation=w["case"].organisation, role="operator", start_date="2024-01-01"
    )
    return colleague


def _referral_to_coordinator(w: dict[str, Any], **fields: Any) -> Any:
    target = w["coordinator"].memberships.get().organisation
    return ReferralFactory(case=w["case"], to_organisation=target, **fields)


# (what is done, the purpose logged, how: world -> (who, method, path under the person, data))
Operation = Callable[[dict[str, Any]], tuple[str, str, str, dict[str, Any]]]
OPERATIONS: list[tuple[str, str, Operation]] = [
    ("person PATCH", "person API", lambda w: ("worker", "patch", "", {"phone": "0372 123456"})),
    (
        "restriction",
        "person API",
        lambda w: ("worker", "post", "restriction/", {"restricted": True, "reason": "Asked."}),
    ),
    (
        "case open",
        "cases API",
        lambda w: (
            "worker",
            "post",
            "cases/",
            {"organisation": _closed(w["case"]).organisation_id, "ambito": w["case"].ambito_id},
        ),
    ),
    (
        "case advance",
        "cases API",
        lambda w: ("worker", "post", f"cases/{w['case'].pk}/advance/", {"stage": "pact"}),
    ),
    (
        "case close",
        "cases API",
        lambda w: (
            "worker",
            "post",
            f"cases/{w['case'].pk}/close/",
            {"closure_reason": "goals_reached"},
        ),
    ),
    (
        "case reopen",
        "cases API",
        lambda w: ("worker", "post", f"cases/{_closed(w['case']).pk}/reopen/", {}),
    ),
    (
        "case assign",
        "cases API",
        lambda w: (
            "worker",
            "post",
            f"cases/{w['case'].pk}/assign/",
            {"worker": _colleague(w).pk, "kind": "support"},
        ),
    ),
    (
        "diary note",
        "diary API",
        lambda w: (
            "worker",
            "post",
            "diary/",
            {"case": w["case"].pk, "category": "interview", "text": "Colloquio."},
        ),
    ),
    (
        "referral request",
        "referrals API",
        lambda w: (
            "worker",
            "post",
            "referrals/",
            {
                "case": w["case"].pk,
                "to_organisation": w["coordinator"].memberships.get().organisation_id,
                "reason": "Support at home",
                "consent_given_on": "2025-01-15",
            },
        ),
    ),
    (
        "referral accept",
        "referrals API",
        lambda w: (
            "coordinator",
            "post",
            f"referrals/{_referral_to_coordinator(w).pk}/accept/",
            {"receiving_worker": w["coordinator"].pk},
        ),
    ),
    (
        "referral decline",
        "referrals API",
        lambda w: (
            "coordinator",
            "post",
            f"referrals/{_referral_to_coordinator(w).pk}/decline/",
            {"reason": "No places."},
        ),
    ),
    (
        "referral close",
        "referrals API",
        lambda w: ("worker", "post", f"referrals/{_referral_to_coordinator(w).pk}/close/", {}),
    ),
    (
        "consent give",
        "consents API",
        lambda w: ("worker", "post", "consents/", {"kind": "share_partners"}),
    ),
    (
        "consent withdraw",
        "consents API",
        lambda w: (
            "worker",
            "post",
            f"consents/{ConsentFactory(person=w['person']).pk}/withdraw/",
            {},
        ),
    ),
    (
        "household member",
        "household API",
        lambda w: ("worker", "post", "household/", {"relation": "child", "first_name": "Luca"}),
    ),
    (
        "intake",
        "intakes API",
        lambda w: (
            "worker",
            "post",
            "intakes/",
            {
                "channel": "self",
                "organisation": w["case"].organisation_id,
                "ambito": w["case"].ambito_id,
            },
        ),
    ),
    (
        "tie add",
        "ecomap API",
        lambda w: ("worker", "post", "ties/", {"label": "Anna", "kind": "family"}),
    ),
    (
        "tie PATCH",
        "ecomap API",
        lambda w: (
            "worker",
            "patch",
            f"ties/{Tie.objects.create(person=w['person'], label='Anna', kind='family').pk}/",
            {"strength": "strong", "angle": 90, "distance": 0.5},
        ),
    ),
    (
        "assessment",
        "assessments API",
        lambda w: ("worker", "post", "assessments/", {"kind": "lsns6", "answers": [2] * 6}),
    ),
]


@pytest.fixture
def world(social_worker, social_worker_client, coordinator, coordinator_client, make_user):
    """A person whose case the social worker follows, in an ambito the coordinator's
    organisation serves (the organisation that referrals go to)."""
    ambito = AmbitoFactory()
    coordinator.memberships.get().organisation.ambiti.add(ambito)
    case = assign(social_worker, ambito=ambito)
    return {
        "case": case,
        "person": case.person,
        "coordinator": coordinator,
        "make_user": make_user,
        "users": {"worker": social_worker, "coordinator": coordinator},
        "clients": {"worker": social_worker_client, "coordinator": coordinator_client},
    }


def _reads(person: Person, user: Any, purpose: str) -> int:
    return AccessEvent.objects.filter(
        action="api",
        purpose=purpose,
        actor=user,
        target_type="beneficiaries.person",
        target_id=str(person.pk),
    ).count()


@pytest.mark.parametrize(
    ("name", "purpose", "operation"), OPERATIONS, ids=[o[0] for o in OPERATIONS]
)
def test_an_answer_with_the_persons_data_is_in_the_access_log(world, name, purpose, operation):
    who, method, path, data = operation(world)
    person, user = world["person"], world["users"][who]
    before = _reads(person, user, purpose)
    response = getattr(world["clients"][who], method)(
        f"{PERSONS}{person.public_id}/{path}", json.dumps(data), content_type="application/json"
    )
    assert response.status_code in (200, 201), response.content
    assert response.content  # the answer shows the person's data
    assert _reads(person, user, purpose) == before + 1


def test_a_new_person_registered_through_the_api_is_in_the_access_log(
    social_worker, social_worker_client
):
    organisation = social_worker.memberships.get().organisation
    data = {
        "first_name": "Giuseppina",
        "last_name": "Verdi",
        "no_codice_fiscale_reason": "not_known",
        "birth_date": "1950-03-04",
        "sex": "F",
        "organisation": organisation.pk,
        "ambito": AmbitoFactory().pk,
    }
    response = social_worker_client.post(PERSONS, json.dumps(data), content_type="application/json")
    assert response.status_code == 201, response.content
    person = Person.objects.get(last_name="Verdi")
    assert _reads(person, social_worker, "person API") == 1


def test_a_refused_change_writes_no_read(world):
    """An answer that shows no data of the person (a refusal) is not a read."""
    person = world["person"]
    client = world["clients"]["worker"]
    url = f"{PERSONS}{person.public_id}/cases/{world['case'].pk}/advance/"
    response = client.post(
        url, json.dumps({"stage": "monitoring"}), content_type="application/json"
    )
    assert response.status_code == 400
    assert not AccessEvent.objects.filter(target_id=str(person.pk), action="api").exists()
