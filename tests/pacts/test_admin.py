"""The admin shows pacts and the ledger read-only, to those the policy lets read them,
and logs each record opened. Nothing is added, changed or deleted there; partner staff,
who read only their organisation's part of a pact, do not see whole pacts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.test import Client
from django.utils import timezone

from legami.models import AccessEvent
from legami.roles import Role
from pacts.models import LedgerEntry, LedgerTransaction, Pact, PactStatus
from pacts.services.ledger import hours_record
from tests.pacts.factories import pact_in
from tests.partners.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_worker(make_user, enable_totp):
    user = make_user("staff.worker@example.org", role=Role.OPERATOR, is_staff=True)
    enable_totp(user)
    return user


@pytest.fixture
def staff_partner(enable_totp):
    user = MembershipFactory(role=Role.PARTNER_STAFF, user__is_staff=True).user
    enable_totp(user)
    return user


@pytest.fixture
def world(staff_worker, staff_partner, make_user):
    mine = pact_in(PactStatus.ACTIVE, worker=staff_worker, partner_signer=staff_partner)
    Pact.objects.filter(pk=mine.pk).update(title="Patto di Adelmina")
    other_worker = make_user("other@example.org", role=Role.COORDINATOR)
    other = pact_in(PactStatus.DRAFT, worker=other_worker, partner_signer=staff_partner)
    Pact.objects.filter(pk=other.pk).update(title="Patto di qualcun altro")
    txn = hours_record(
        pact=mine,
        actor=staff_worker,
        hours="2",
        date=timezone.localdate() - dt.timedelta(days=1),
        direction="gives_back",
        organisation=staff_partner.memberships.get().organisation,
    )
    return {"mine": mine, "other": other, "txn": txn}


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_worker_sees_only_the_pacts_of_their_cases_and_opening_one_is_logged(world, staff_worker):
    client = login(staff_worker)
    page = client.get("/admin/pacts/pact/")
    assert page.status_code == 200
    assert "Patto di Adelmina" in page.content.decode()
    assert "Patto di qualcun altro" not in page.content.decode()

    response = client.get(f"/admin/pacts/pact/{world['mine'].pk}/change/")

    assert response.status_code == 200
    assert "Vive solo dopo la vedovanza." in response.content.decode()
    assert AccessEvent.objects.filter(
        action="view", target_type="pacts.pact", target_id=str(world["mine"].pk)
    ).exists()
    assert client.get(f"/admin/pacts/pact/{world['other'].pk}/change/").status_code in (302, 404)


def test_nothing_is_added_changed_or_deleted_in_the_admin(world, staff_worker):
    client = login(staff_worker)
    pact, txn = world["mine"], world["txn"]
    assert client.get("/admin/pacts/pact/add/").status_code == 403
    assert client.get("/admin/pacts/ledgertransaction/add/").status_code == 403
    response = client.post(
        f"/admin/pacts/pact/{pact.pk}/change/", {"title": "Cambiato", "status": "completed"}
    )
    assert response.status_code == 403
    for url in (
        f"/admin/pacts/pact/{pact.pk}/delete/",
        f"/admin/pacts/ledgertransaction/{txn.pk}/delete/",
    ):
        assert client.post(url, {"post": "yes"}).status_code == 403
    response = client.post(
        "/admin/pacts/ledgertransaction/",
        {"action": "delete_selected", "_selected_action": [txn.pk], "post": "yes"},
    )
    assert LedgerTransaction.objects.filter(pk=txn.pk).exists()
    assert LedgerEntry.objects.filter(transaction=txn).count() == 2
    pact.refresh_from_db()
    assert (pact.title, pact.status) == ("Patto di Adelmina", PactStatus.ACTIVE)


def test_the_ledger_is_read_only_for_its_readers(world, staff_worker):
    client = login(staff_worker)
    listing = client.get("/admin/pacts/ledgertransaction/")
    assert listing.status_code == 200
    response = client.get(f"/admin/pacts/ledgertransaction/{world['txn'].pk}/change/")
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert AccessEvent.objects.filter(
        action="view", target_type="pacts.ledgertransaction", target_id=str(world["txn"].pk)
    ).exists()


def test_partner_staff_do_not_read_whole_pacts_in_the_admin(world, staff_partner):
    client = login(staff_partner)
    listing = client.get("/admin/pacts/pact/")
    assert listing.status_code in (200, 403)
    assert "Patto di Adelmina" not in listing.content.decode()
    response = client.get(f"/admin/pacts/pact/{world['mine'].pk}/change/")
    assert response.status_code in (302, 403, 404)
    assert b"vedovanza" not in response.content


def test_every_pacts_admin_is_read_only():
    for model in (Pact, LedgerTransaction):
        model_admin = admin.site._registry[model]
        assert not model_admin.get_actions(None)  # type: ignore[arg-type]
        assert set(model_admin.readonly_fields) == set(model_admin.fields)
        for inline in model_admin.inlines:
            assert not inline(model, admin.site).has_add_permission(None)  # type: ignore[arg-type]
