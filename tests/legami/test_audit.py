"""The audit trail: who changed or read what, from which request; append-only rows;
retention enforced by a beat job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone

from legami.audit import (
    RequestContext,
    audit_bulk_change,
    audit_change,
    audit_history,
    audit_purge,
    audit_read,
    diff,
    request_context,
    snapshot,
)
from legami.models import AccessEvent, Ambito, ChangeEvent
from legami.roles import Role
from legami.tasks import audit_retention

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)


@pytest.fixture
def ambito():
    return Ambito.objects.create(code="crema", name="Ambito di Crema", managing_body="CSC")


def test_every_response_carries_a_request_id(client):
    """A well-formed X-Request-ID from the proxy is kept; anything else is replaced."""
    generated = client.get("/health/")["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/health/", HTTP_X_REQUEST_ID="proxy-1234abcd")["X-Request-ID"] == (
        "proxy-1234abcd"
    )
    forged = client.get("/health/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert forged != "<script>" and len(forged) == 32


def test_a_change_records_who_when_what_and_from_which_request(make_user, ambito):
    worker = make_user("worker@example.org", role=Role.COORDINATOR)
    before = snapshot(ambito, ["name", "managing_body"])
    ambito.managing_body = "Comunità Sociale Cremasca"
    request = RequestFactory().post("/x/", REMOTE_ADDR="10.1.2.3")
    with request_context(
        RequestContext(request_id="req-1", ip="10.1.2.3", path="/x/", user=worker)
    ):
        event = audit_change(
            obj=ambito, action="update", changes=diff(before, snapshot(ambito, before))
        )
    assert request.method == "POST"
    event.refresh_from_db()
    assert event.actor == worker
    assert event.actor_label == "worker@example.org"
    assert event.actor_roles == "coordinator"
    assert (event.request_id, event.ip, event.path) == ("req-1", "10.1.2.3", "/x/")
    assert event.target_type == "legami.ambito" and event.target_id == str(ambito.pk)
    assert event.changes == {"managing_body": ["CSC", "Comunità Sociale Cremasca"]}
    assert list(audit_history(ambito)) == [event]


def test_outside_a_request_the_system_is_the_actor(ambito):
    event = audit_change(obj=ambito, action="create")
    assert event.actor is None and event.actor_label == "system" and event.request_id == ""


def test_a_bulk_change_writes_one_row_per_record_in_one_batch(ambito, django_assert_num_queries):
    other = Ambito.objects.create(code="cremona", name="Ambito di Cremona", managing_body="ASC")
    with django_assert_num_queries(1):
        batch = audit_bulk_change(
            objs=[ambito, other], action="update", changes=lambda a: {"is_active": [True, False]}
        )
    rows = ChangeEvent.objects.filter(batch=batch)
    assert {r.target_id for r in rows} == {str(ambito.pk), str(other.pk)}


def test_reads_are_logged_without_content_in_one_query(make_user, django_assert_max_num_queries):
    reader = make_user("dpo@example.org", role=Role.DPO)
    people = [make_user(f"p{n}@example.org") for n in range(5)]
    with django_assert_max_num_queries(3):  # roles, organisations, one insert
        count = audit_read(
            objs=people, action="list", purpose="test", actor=reader, subject_user=lambda u: u
        )
    assert count == 5
    rows = AccessEvent.objects.filter(actor=reader)
    assert {r.subject_user_id for r in rows} == {p.pk for p in people}
    assert all(r.target_type == "legami.user" and r.purpose == "test" for r in rows)
    assert rows[0].actor_organisations  # the organisation the reader acted for


@on_postgresql
def test_audit_rows_cannot_be_changed_or_deleted_in_the_database(ambito):
    """Even raw SQL cannot rewrite history: UPDATE and DELETE fail at the database."""
    event = audit_change(obj=ambito, action="create")
    read = AccessEvent.objects.create(action="view", target_type="legami.ambito", target_id="1")
    for statement, table, pk in (
        ("UPDATE {t} SET target_id = 'forged' WHERE id = %s", "legami_changeevent", event.pk),
        ("DELETE FROM {t} WHERE id = %s", "legami_changeevent", event.pk),
        ("UPDATE {t} SET purpose = 'forged' WHERE id = %s", "legami_accessevent", read.pk),
        ("DELETE FROM {t} WHERE id = %s", "legami_accessevent", read.pk),
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement.format(t=table), [pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        ChangeEvent.objects.filter(pk=event.pk).update(note="forged")
    assert ChangeEvent.objects.get(pk=event.pk).note == ""


def test_retention_deletes_only_access_rows_older_than_the_limit():
    now = timezone.now()
    old = AccessEvent.objects.create(
        action="view", target_type="t.t", target_id="1", at=now - dt.timedelta(days=800)
    )
    recent = AccessEvent.objects.create(
        action="view", target_type="t.t", target_id="2", at=now - dt.timedelta(days=10)
    )
    change = ChangeEvent.objects.create(
        action="create", target_type="t.t", target_id="1", at=now - dt.timedelta(days=3000)
    )
    assert audit_retention() == 1  # 24 months by default; change history is kept
    assert set(AccessEvent.objects.values_list("pk", flat=True)) == {recent.pk}
    assert ChangeEvent.objects.filter(pk=change.pk).exists()
    assert old.pk not in AccessEvent.objects.values_list("pk", flat=True)
    assert audit_retention() == 0


@override_settings(AUDIT_ACCESS_LOG_RETENTION_MONTHS=1, AUDIT_CHANGE_LOG_RETENTION_MONTHS=60)
def test_retention_follows_the_settings():
    now = timezone.now()
    AccessEvent.objects.create(
        action="view", target_type="t", target_id="1", at=now - dt.timedelta(days=40)
    )
    ChangeEvent.objects.create(
        action="create", target_type="t", target_id="1", at=now - dt.timedelta(days=2000)
    )
    ChangeEvent.objects.create(
        action="create", target_type="t", target_id="2", at=now - dt.timedelta(days=20)
    )
    assert audit_retention() == 2
    assert list(ChangeEvent.objects.values_list("target_id", flat=True)) == ["2"]


def test_purge_outside_the_job_is_the_only_way_and_is_transactional():
    """The purge switch is local to its transaction: right after it, deletes fail again."""
    AccessEvent.objects.create(
        action="view", target_type="t", target_id="1", at=timezone.now() - dt.timedelta(days=1)
    )
    assert audit_purge(access_before=timezone.now()) == 1
    if connection.vendor == "postgresql":
        event = AccessEvent.objects.create(action="view", target_type="t", target_id="2")
        with pytest.raises(DatabaseError), transaction.atomic():
            AccessEvent.objects.filter(pk=event.pk).delete()


def test_a_records_history_shows_to_its_editors_and_the_dpo_only(
    client, network_admin_client, dpo_client, citizen_client, network_admin
):
    """The organisation page shows its history to who may change it and to the DPO."""
    from partners.models import Organisation

    org = Organisation.objects.create(name="Cisvol Cremona", slug="cisvol", kind="associazione")
    audit_change(obj=org, action="update", changes={"phone": ["", "0372 1"]}, actor=network_admin)
    url = f"/partners/{org.slug}/"
    for viewer, sees in (
        (network_admin_client, True),
        (dpo_client, True),
        (citizen_client, False),
        (client, False),
    ):
        html = viewer.get(url).content.decode()
        assert ("0372 1" in html) is sees
        assert ('id="history-title"' in html) is sees
