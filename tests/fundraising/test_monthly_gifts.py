"""Monthly gifts by standing bank transfer: given on the campaign's page, the donor gets
one causale for the standing order they set up at their bank; each month's transfer is
matched to that month's pledged donation by it; a fundraiser stops a monthly gift from
the donor's page, and no more months are pledged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fundraising.demo import camt053
from fundraising.forms import MONTHLY, GiveForm
from fundraising.models import (
    DonationStatus,
    DonorKind,
    EntryStatus,
    Method,
    RecurringGift,
    RecurringStatus,
)
from fundraising.services.donations import recurring_generate, recurring_start
from fundraising.services.reconciliation import statement_import
from tests.fundraising.factories import CampaignFactory, DonorFactory, collector, fundraiser

pytestmark = pytest.mark.django_db
IBAN = "IT60X0542811101000000123456"


def give(client, campaign, **overrides):
    data = {
        "amount": "25",
        "method": Method.BANK_TRANSFER,
        "frequency": MONTHLY,
        "kind": DonorKind.PERSON,
        "first_name": "Anna",
        "last_name": "Bianchi",
        "email": "anna.bianchi@example.org",
    }
    data.update(overrides)
    return client.post(f"/fundraising/campagne/{campaign.slug}/dona/", data)


def test_a_monthly_gift_from_the_campaign_page_gets_one_causale_for_the_standing_order(client):
    campaign = CampaignFactory()

    response = give(client, campaign)

    gift = RecurringGift.objects.get()
    assert gift.causale and gift.causale.startswith("DONO-")
    assert gift.amount == Decimal("25.00") and gift.status == RecurringStatus.ACTIVE
    assert gift.day_of_month == min(timezone.localdate().day, 28)
    (month,) = gift.donations.all()
    assert month.status == DonationStatus.PLEDGED and month.causale is None
    assert response.status_code == 302 and response.url == f"/fundraising/dono/{month.public_id}/"
    html = client.get(response.url).content.decode()
    assert "Set up the standing order" in html
    assert gift.causale in html and "€ 25 a month" in html


def test_a_monthly_gift_is_made_by_bank_transfer_only():
    form = GiveForm(
        data={
            "amount": "25",
            "method": Method.CARD,
            "frequency": MONTHLY,
            "kind": DonorKind.PERSON,
            "first_name": "Anna",
            "last_name": "Bianchi",
            "email": "anna@example.org",
        },
        organisation="Fondazione",
        card=True,
    )
    assert not form.is_valid()
    assert "standing bank transfer" in str(form.errors["frequency"])


def test_each_months_transfer_pays_that_months_pledge_by_the_standing_causale():
    org = collector()
    user = fundraiser(org)
    start = timezone.localdate().replace(day=1) - dt.timedelta(days=40)
    gift = recurring_start(
        donor=DonorFactory(),
        amount="20",
        method=Method.BANK_TRANSFER,
        organisation=org,
        day_of_month=5,
        started_on=start,
    )
    recurring_generate(today=start)  # the first month (made already: nothing more)
    recurring_generate(today=timezone.localdate())  # this month
    months = list(gift.donations.order_by("date"))
    assert len(months) == 2 and all(m.status == DonationStatus.PLEDGED for m in months)

    def transfer(reference: str, day: dt.date, amount: str = "20.00") -> bytes:
        return camt053(
            iban=IBAN,
            entries=[
                (reference, day, amount, "ROSSI MARIA", f"BONIFICO PERMANENTE {gift.causale}")
            ],
        )

    statement_import(organisation=org, by=user, file_name="a.xml", data=transfer("T1", start))
    statement_import(
        organisation=org, by=user, file_name="b.xml", data=transfer("T2", timezone.localdate())
    )
    # A third transfer with another amount pays nothing by itself: to review.
    result = statement_import(
        organisation=org,
        by=user,
        file_name="c.xml",
        data=transfer("T3", timezone.localdate(), "35.00"),
    )
    for month in months:
        month.refresh_from_db()
    assert [m.status for m in months] == [DonationStatus.RECEIVED, DonationStatus.RECEIVED]
    assert result.statement.entries.get().status == EntryStatus.UNMATCHED


def test_a_fundraiser_stops_a_monthly_gift_from_the_donors_page(client):
    org = collector()
    user = fundraiser(org)
    donor = DonorFactory(first_name="Maria", last_name="Rossi")
    gift = recurring_start(donor=donor, amount="20", method=Method.BANK_TRANSFER, organisation=org)
    client.force_login(user)
    page = client.get(f"/fundraising/gestione/donatori/{donor.public_id}/").content.decode()
    assert "€ 20,00 a month" in page and gift.causale in page

    stop = f"/fundraising/gestione/donatori/{donor.public_id}/mensili/{gift.pk}/ferma/"
    assert client.get(stop).status_code == 405
    response = client.post(stop, follow=True)

    gift.refresh_from_db()
    assert gift.status == RecurringStatus.STOPPED
    assert "The monthly gift is stopped" in response.content.decode()
    next_month = timezone.localdate().replace(day=28) + dt.timedelta(days=5)
    assert recurring_generate(today=next_month) == []
    # Another organisation's fundraiser does not find it.
    client.force_login(fundraiser(collector()))
    assert client.post(stop).status_code == 404
