"""API of a person's ties and assessments: same policy as the pages, reads logged."""

from __future__ import annotations

import json

import pytest

from beneficiaries.models import Assessment, Tie
from beneficiaries.services.ecomap import tie_add
from legami.models import AccessEvent, ChangeEvent
from tests.beneficiaries.factories import assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(social_worker):
    return assign(social_worker).person


def _url(person, part, pk=None):
    return f"/api/v1/persons/{person.public_id}/{part}/" + (f"{pk}/" if pk else "")


def _post(client, url, data, method="post"):
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


def test_list_ties_is_logged_with_bounded_queries(
    person, social_worker, social_worker_client, django_assert_max_num_queries
):
    for n in range(6):
        tie_add(person=person, actor=social_worker, label=f"Tie {n}", kind="friend")
    with django_assert_max_num_queries(12):
        response = social_worker_client.get(_url(person, "ties"))
    assert response.status_code == 200
    assert len(response.json()["results"]) == 6
    assert AccessEvent.objects.filter(
        action="api", target_id=str(person.pk), actor=social_worker
    ).exists()


def test_create_update_move_and_delete_a_tie(person, social_worker_client):
    created = _post(
        social_worker_client,
        _url(person, "ties"),
        {"label": "Caritas", "kind": "service", "quality": "supportive"},
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    patched = _post(
        social_worker_client,
        _url(person, "ties", pk),
        {"strength": "strong", "angle": 90, "distance": 0.5},
        method="patch",
    )
    assert patched.status_code == 200, patched.content
    tie = Tie.objects.get()
    assert (tie.strength, tie.angle, tie.distance) == ("strong", 90, 0.5)
    bad = _post(social_worker_client, _url(person, "ties", pk), {"distance": 2}, method="patch")
    assert bad.status_code == 400
    assert social_worker_client.delete(_url(person, "ties", pk)).status_code == 204
    assert not Tie.objects.exists()
    assert ChangeEvent.objects.filter(target_type="beneficiaries.tie").count() >= 4


def test_an_unassigned_worker_gets_not_found(person, make_user, enable_totp):
    from django.test import Client

    stranger = make_user("stranger@example.org", role="operator")
    enable_totp(stranger)
    client = Client()
    client.force_login(stranger)
    assert client.get(_url(person, "ties")).status_code == 404
    assert _post(client, _url(person, "ties"), {"label": "X", "kind": "friend"}).status_code == 404
    assert not Tie.objects.exists()


def test_record_and_list_assessments(person, social_worker_client):
    created = _post(
        social_worker_client,
        _url(person, "assessments"),
        {"kind": "ucla3", "answers": [2, 2, 1], "date": "2025-04-01"},
    )
    assert created.status_code == 201, created.content
    assert (created.json()["total"], created.json()["at_risk"]) == (5, False)
    refused = _post(
        social_worker_client, _url(person, "assessments"), {"kind": "ucla3", "answers": [2, "2", 1]}
    )
    assert refused.status_code == 400
    assert Assessment.objects.count() == 1
    listed = social_worker_client.get(_url(person, "assessments"))
    assert [a["total"] for a in listed.json()["results"]] == [5]
