"""The ecomap: services (policy, validation, audit), snapshots and their comparison, and
the fragment pages with bounded queries."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beneficiaries.models import EcomapSnapshot, Tie
from beneficiaries.services.ecomap import (
    ecomap_snapshot_compare,
    ecomap_snapshot_take,
    tie_add,
    tie_move,
    tie_remove,
    tie_update,
)
from legami.models import AccessEvent, ChangeEvent
from tests.beneficiaries.factories import PersonFactory, assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(social_worker):
    return assign(social_worker).person


def _add(person, actor, label="Anna, sister", **extra):
    return tie_add(
        person=person, actor=actor, label=label, kind=extra.pop("kind", "family"), **extra
    )


# --- Services --------------------------------------------------------------------------------


def test_an_assigned_worker_adds_a_tie_and_it_is_audited(person, social_worker):
    tie = _add(person, social_worker, strength="strong", quality="stressful")
    assert (tie.person, tie.strength, tie.quality, tie.angle) == (
        person,
        "strong",
        "stressful",
        None,
    )
    event = ChangeEvent.objects.get(target_type="beneficiaries.tie", target_id=str(tie.pk))
    assert (event.action, event.actor, event.changes["label"]) == (
        "create",
        social_worker,
        "Anna, sister",
    )


def test_an_unassigned_worker_cannot_add_change_move_or_remove_a_tie(
    person, social_worker, make_user
):
    # Given a tie of a person, and a worker of another service not assigned to the case
    tie = _add(person, social_worker)
    stranger = make_user("stranger@example.org", role="operator")
    # When they try to change the ecomap, they are refused and nothing changes
    with pytest.raises(PermissionDenied):
        _add(person, stranger, label="Marco")
    with pytest.raises(PermissionDenied):
        tie_update(tie=tie, actor=stranger, label="Changed")
    with pytest.raises(PermissionDenied):
        tie_move(tie=tie, actor=stranger, angle=10, distance=0.5)
    with pytest.raises(PermissionDenied):
        tie_remove(tie=tie, actor=stranger)
    with pytest.raises(PermissionDenied):
        ecomap_snapshot_take(person=person, actor=stranger)
    tie.refresh_from_db()
    assert (tie.label, tie.angle, Tie.objects.count(), EcomapSnapshot.objects.count()) == (
        "Anna, sister",
        None,
        1,
        0,
    )


def test_a_coordinator_of_the_ambito_may_add_a_tie(person, coordinator):
    coordinator.memberships.get().organisation.ambiti.add(person.cases.get().ambito)
    assert _add(person, coordinator).pk


def test_a_coordinator_of_another_ambito_may_not(person, coordinator):
    with pytest.raises(PermissionDenied):
        _add(person, coordinator)


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "enemy"},
        {"strength": "huge"},
        {"quality": ""},
        {"direction": "sideways"},
        {"frequency": "hourly"},
        {"label": "   "},
        {"label": "x" * 121},
    ],
)
def test_bad_input_adds_nothing(person, social_worker, bad):
    with pytest.raises(ValidationError):
        _add(person, social_worker, **bad)
    assert not Tie.objects.exists()
    assert not ChangeEvent.objects.filter(target_type="beneficiaries.tie").exists()


def test_updating_a_tie_records_what_changed(person, social_worker):
    tie = _add(person, social_worker)
    tie_update(tie=tie, actor=social_worker, quality="ambivalent", label="Anna, sister")
    tie.refresh_from_db()
    assert tie.quality == "ambivalent"
    event = ChangeEvent.objects.filter(action="update").get()
    assert event.changes == {"quality": ["supportive", "ambivalent"]}


def test_updating_with_a_bad_value_changes_nothing(person, social_worker):
    tie = _add(person, social_worker)
    with pytest.raises(ValidationError):
        tie_update(tie=tie, actor=social_worker, label="Anna", kind="enemy")
    tie.refresh_from_db()
    assert (tie.label, tie.kind) == ("Anna, sister", "family")


def test_moving_a_tie_stores_the_angle_normalised(person, social_worker):
    tie = _add(person, social_worker)
    tie_move(tie=tie, actor=social_worker, angle=-90, distance=0.5)
    tie.refresh_from_db()
    assert (tie.angle, tie.distance) == (270, 0.5)


@pytest.mark.parametrize(
    ("angle", "distance"), [(10, 1.01), (10, -0.1), ("x", 0.5), (float("nan"), 0.5), (None, 0.5)]
)
def test_a_bad_position_is_refused(person, social_worker, angle, distance):
    tie = _add(person, social_worker)
    with pytest.raises(ValidationError):
        tie_move(tie=tie, actor=social_worker, angle=angle, distance=distance)
    tie.refresh_from_db()
    assert (tie.angle, tie.distance) == (None, None)


def test_removing_a_tie_is_audited(person, social_worker):
    tie = _add(person, social_worker)
    pk = tie.pk
    tie_remove(tie=tie, actor=social_worker)
    assert not Tie.objects.exists()
    assert ChangeEvent.objects.filter(action="delete", target_id=str(pk)).exists()


# --- Snapshots -------------------------------------------------------------------------------


def test_a_snapshot_freezes_the_ties(person, social_worker):
    anna = _add(person, social_worker)
    snap = ecomap_snapshot_take(person=person, actor=social_worker, note="first interview")
    tie_update(tie=anna, actor=social_worker, label="Anna, sister", strength="strong")
    snap.refresh_from_db()
    assert [(t["label"], t["strength"]) for t in snap.ties] == [("Anna, sister", "ordinary")]
    assert (snap.taken_by, snap.note) == (social_worker, "first interview")


def test_comparing_snapshots_lists_added_removed_and_changed_ties(person, social_worker):
    anna = _add(person, social_worker)
    marco = _add(person, social_worker, label="Marco", kind="friend")
    before = ecomap_snapshot_take(person=person, actor=social_worker)
    tie_remove(tie=marco, actor=social_worker)
    tie_update(tie=anna, actor=social_worker, quality="stressful")
    _add(person, social_worker, label="Caritas", kind="service")
    after = ecomap_snapshot_take(person=person, actor=social_worker)

    differences = ecomap_snapshot_compare(before=before.ties, after=after.ties)

    assert [t["label"] for t in differences["added"]] == ["Caritas"]
    assert [t["label"] for t in differences["removed"]] == ["Marco"]
    assert [(c["tie"]["label"], c["fields"]) for c in differences["changed"]] == [
        ("Anna, sister", {"quality": ["supportive", "stressful"]})
    ]


def test_the_compare_page_shows_both_drawings_and_the_differences(
    person, social_worker, social_worker_client
):
    _add(person, social_worker)
    a = ecomap_snapshot_take(person=person, actor=social_worker)
    _add(person, social_worker, label="Caritas", kind="service")
    b = ecomap_snapshot_take(person=person, actor=social_worker)
    url = reverse("beneficiaries:ecomap_compare", args=[person.public_id])
    response = social_worker_client.get(url, {"a": a.pk, "b": b.pk})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="ecomap-data-a"' in body and 'id="ecomap-data-b"' in body
    assert "Caritas" in body and "tie added" in body


def test_the_compare_page_names_what_changed_in_words(person, social_worker, social_worker_client):
    anna = _add(person, social_worker)
    a = ecomap_snapshot_take(person=person, actor=social_worker)
    tie_update(tie=anna, actor=social_worker, direction="to_person")
    b = ecomap_snapshot_take(person=person, actor=social_worker)
    url = reverse("beneficiaries:ecomap_compare", args=[person.public_id])
    body = social_worker_client.get(url, {"a": a.pk, "b": b.pk}).content.decode()
    assert "support: support both ways → gives support to the person" in body


def test_the_compare_page_does_not_show_another_persons_snapshot(
    person, social_worker, social_worker_client
):
    other = assign(social_worker).person
    a = ecomap_snapshot_take(person=person, actor=social_worker)
    b = ecomap_snapshot_take(person=other, actor=social_worker)
    url = reverse("beneficiaries:ecomap_compare", args=[person.public_id])
    assert social_worker_client.get(url, {"a": a.pk, "b": b.pk}).status_code == 404
    assert social_worker_client.get(url, {"a": a.pk, "b": "x"}).status_code == 404


# --- Pages -----------------------------------------------------------------------------------


def test_the_ecomap_fragment_embeds_the_ties_and_logs_the_read(
    person, social_worker, social_worker_client, django_assert_max_num_queries
):
    for n in range(5):
        _add(person, social_worker, label=f"Tie {n}")
    ecomap_snapshot_take(person=person, actor=social_worker)
    url = reverse("beneficiaries:ecomap", args=[person.public_id])
    with django_assert_max_num_queries(20):
        response = social_worker_client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    data = json.loads(
        response.content.decode()
        .split('id="ecomap-data" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert len(data["ties"]) == 5
    assert AccessEvent.objects.filter(
        action="view", purpose="ecomap", target_id=str(person.pk), actor=social_worker
    ).exists()


def test_the_ecomap_page_queries_do_not_grow_with_the_ties(
    person, social_worker, social_worker_client
):
    url = reverse("beneficiaries:ecomap", args=[person.public_id])
    _add(person, social_worker)
    social_worker_client.get(url)
    with CaptureQueriesContext(connection) as one:
        social_worker_client.get(url)
    for n in range(10):
        _add(person, social_worker, label=f"Tie {n}")
    with CaptureQueriesContext(connection) as eleven:
        social_worker_client.get(url)
    assert len(eleven) == len(one)


def test_a_worker_adds_a_tie_through_the_form(person, social_worker_client):
    url = reverse("beneficiaries:tie_add", args=[person.public_id])
    data = {
        "label": "Parrocchia San Luca",
        "kind": "community_group",
        "strength": "weak",
        "quality": "supportive",
        "direction": "to_person",
        "frequency": "weekly",
        "note": "",
    }
    response = social_worker_client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Parrocchia San Luca" in response.content.decode()
    assert Tie.objects.get().kind == "community_group"


def test_the_form_shows_errors_and_adds_nothing(person, social_worker_client):
    url = reverse("beneficiaries:tie_add", args=[person.public_id])
    response = social_worker_client.post(url, {"label": "", "kind": "enemy"})
    assert response.status_code == 422
    assert not Tie.objects.exists()


def test_edit_move_and_remove_through_the_pages(person, social_worker, social_worker_client):
    tie = _add(person, social_worker)
    args = [person.public_id, tie.pk]
    edit = social_worker_client.get(
        reverse("beneficiaries:ecomap", args=[person.public_id]), {"edit": tie.pk}
    )
    assert "Edit the tie with Anna, sister" in edit.content.decode()
    data = {
        "label": "Anna",
        "kind": "family",
        "strength": "strong",
        "quality": "supportive",
        "direction": "mutual",
        "frequency": "daily",
        "note": "",
    }
    assert (
        social_worker_client.post(reverse("beneficiaries:tie_update", args=args), data).status_code
        == 302
    )
    moved = social_worker_client.post(
        reverse("beneficiaries:tie_move", args=args), {"angle": "45", "distance": "0.4"}
    )
    assert moved.json() == {"id": tie.pk, "angle": 45.0, "distance": 0.4}
    bad = social_worker_client.post(
        reverse("beneficiaries:tie_move", args=args), {"angle": "45", "distance": "3"}
    )
    assert bad.status_code == 400
    tie.refresh_from_db()
    assert (tie.label, tie.strength, tie.frequency, tie.distance) == (
        "Anna",
        "strong",
        "daily",
        0.4,
    )
    assert (
        social_worker_client.post(reverse("beneficiaries:tie_remove", args=args)).status_code == 302
    )
    assert not Tie.objects.exists()


def test_a_tie_of_another_person_is_not_reachable_through_this_person(
    person, social_worker, social_worker_client
):
    other = assign(social_worker).person
    tie = _add(other, social_worker)
    url = reverse("beneficiaries:tie_remove", args=[person.public_id, tie.pk])
    assert social_worker_client.post(url).status_code == 404
    assert Tie.objects.filter(pk=tie.pk).exists()


def test_an_unassigned_worker_gets_not_found(social_worker_client):
    person = PersonFactory()
    url = reverse("beneficiaries:ecomap", args=[person.public_id])
    assert social_worker_client.get(url).status_code == 404
    assert not AccessEvent.objects.filter(target_id=str(person.pk)).exists()


def test_a_snapshot_is_taken_from_the_page(person, social_worker, social_worker_client):
    _add(person, social_worker)
    url = reverse("beneficiaries:ecomap_snapshot", args=[person.public_id])
    response = social_worker_client.post(
        url, {"note": "after the pact"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    snap = EcomapSnapshot.objects.get()
    assert (snap.note, len(snap.ties)) == ("after the pact", 1)
