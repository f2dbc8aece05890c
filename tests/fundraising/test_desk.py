"""The fundraisers' desk (/fundraising/gestione/): reached from the navigation by
fundraisers and network administrators only, it shows the organisation's campaigns with
their progress, what waits (bank entries to review, pledges not yet paid) and the latest
receipts — only the organisation's own, in a number of queries that does not grow with
the campaigns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fundraising.models import (
    BankEntry,
    BankStatement,
    CampaignStatus,
    DonationStatus,
    EntryStatus,
    Receipt,
)
from legami.roles import Role
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)
from tests.permissions import make_role_user

pytestmark = pytest.mark.django_db
DESK = "/fundraising/gestione/"


def _entry(org, n: int, status=EntryStatus.UNMATCHED):
    statement = BankStatement.objects.create(
        organisation=org, file_name=f"s{n}.xml", sha256=f"{n:064d}", format="camt053"
    )
    return BankEntry.objects.create(
        statement=statement,
        organisation=org,
        reference=f"R{n}",
        booked_on=dt.date(2026, 3, 2),
        amount=Decimal("10"),
        status=status,
    )


def test_the_navigation_shows_the_campaigns_to_all_and_the_desk_to_fundraisers(
    client, make_user, enable_totp
):
    org = collector()
    assert 'href="/fundraising/campagne/"' in client.get("/").content.decode()
    assert f'href="{DESK}"' not in client.get("/").content.decode()
    client.force_login(fundraiser(org))
    assert f'href="{DESK}"' in client.get("/").content.decode()
    client.force_login(make_role_user(make_user, enable_totp, "citizen"))
    assert f'href="{DESK}"' not in client.get("/").content.decode()


def test_the_desk_shows_only_the_organisations_own_work(client):
    org, other = collector(name="Fondazione Comunitaria"), collector(name="Altra Fondazione")
    mine = CampaignFactory(organisation=org, title="Orti condivisi")
    CampaignFactory(organisation=other, title="Campagna altrui")  # published: public, not mine
    DonationFactory(campaign=mine, status=DonationStatus.PLEDGED)
    DonationFactory(campaign=mine, status=DonationStatus.PLEDGED)
    DonationFactory(campaign=CampaignFactory(organisation=other), status=DonationStatus.PLEDGED)
    _entry(org, 1)
    _entry(other, 2)
    _entry(other, 3)
    received = DonationFactory(
        campaign=mine,
        donor=DonorFactory(first_name="Luisa", last_name="Ferrari"),
        status=DonationStatus.RECEIVED,
        received_at=timezone.now(),
    )
    Receipt.objects.create(
        organisation=org,
        year=2026,
        number=7,
        donation=received,
        issued_at=timezone.now(),
        tax_benefit=True,
    )
    client.force_login(fundraiser(org))
    response = client.get(DESK)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Orti condivisi" in html and "Campagna altrui" not in html
    assert "1 bank entry to review" in html
    assert "2 pledges not yet paid" in html
    assert "No. 7/2026" in html and "Luisa Ferrari" in html


def test_live_campaigns_come_first_then_drafts_then_closed(client):
    org = collector()
    CampaignFactory(
        organisation=org, title="Chiusa", status=CampaignStatus.CLOSED, closed_at=timezone.now()
    )
    CampaignFactory(organisation=org, title="Bozza", status=CampaignStatus.DRAFT)
    CampaignFactory(organisation=org, title="In corso")
    client.force_login(fundraiser(org))
    html = client.get(DESK).content.decode()
    assert html.index("In corso") < html.index("Bozza") < html.index("Chiusa")


def test_a_network_administrator_reads_the_desk_and_others_are_refused(
    client, make_user, enable_totp
):
    CampaignFactory(organisation=collector(), title="Orti condivisi")
    client.force_login(make_role_user(make_user, enable_totp, Role.NETWORK_ADMIN))
    html = client.get(DESK).content.decode()
    assert "Orti condivisi" in html
    assert "only the organisations' fundraisers change it" in html
    assert "New campaign" not in html
    for role in ("citizen", Role.OPERATOR, Role.PARTNER_STAFF):
        client.force_login(make_role_user(make_user, enable_totp, role))
        assert client.get(DESK).status_code == 403
    client.logout()
    assert client.get(DESK).status_code == 302


def test_the_desk_costs_the_same_queries_with_many_campaigns(client):
    org = collector()
    user = fundraiser(org)
    CampaignFactory(organisation=org)
    client.force_login(user)
    client.get(DESK)
    with CaptureQueriesContext(connection) as few:
        client.get(DESK)
    for _ in range(8):
        campaign = CampaignFactory(organisation=org)
        DonationFactory(campaign=campaign, status=DonationStatus.PLEDGED)
    with CaptureQueriesContext(connection) as many:
        assert client.get(DESK).status_code == 200
    assert len(many) == len(few)
