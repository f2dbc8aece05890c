"""The database holds the fundraising invariants even against a write that skips the
services: positive amounts, an anonymous gift never on the wall, no blank causale, a
received gift with its date, a closed campaign with its closing time, one receipt
number per issuer and year, bank entries whose status fits the gift they pay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from fundraising.models import (
    BankEntry,
    BankStatement,
    CampaignStatus,
    DonationStatus,
    EntryStatus,
    Receipt,
)
from tests.fundraising.factories import CampaignFactory, DonationFactory, collector

pytestmark = pytest.mark.django_db


def refused(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_gifts():
    refused(lambda: DonationFactory(amount=Decimal("0")))
    refused(lambda: DonationFactory(anonymous=True, on_wall=True))
    refused(lambda: DonationFactory(causale=""))
    refused(lambda: DonationFactory(status=DonationStatus.RECEIVED, received_at=None))
    DonationFactory(anonymous=True, on_wall=False, causale=None)
    DonationFactory(causale="DONO-ABCDEF")
    refused(lambda: DonationFactory(causale="DONO-ABCDEF"))


def test_campaigns():
    refused(lambda: CampaignFactory(goal=Decimal("0")))
    refused(lambda: CampaignFactory(status=CampaignStatus.CLOSED, closed_at=None))
    CampaignFactory(status=CampaignStatus.CLOSED, closed_at=timezone.now())


def test_receipt_numbers():
    org = collector()
    first = DonationFactory(campaign=CampaignFactory(organisation=org))
    second = DonationFactory(campaign=CampaignFactory(organisation=org))
    Receipt.objects.create(organisation=org, year=2026, number=1, donation=first, tax_benefit=True)
    refused(
        lambda: Receipt.objects.create(
            organisation=org, year=2026, number=1, donation=second, tax_benefit=True
        )
    )


def test_bank_entries():
    org = collector()
    statement = BankStatement.objects.create(
        organisation=org, format="csv", file_name="x.csv", sha256="0" * 64
    )
    gift = DonationFactory(campaign=CampaignFactory(organisation=org))

    def entry(reference, status, donation=None):
        return BankEntry.objects.create(
            statement=statement,
            organisation=org,
            reference=reference,
            booked_on=dt.date(2026, 3, 1),
            amount=Decimal("10.00"),
            status=status,
            donation=donation,
        )

    refused(lambda: entry("a", EntryStatus.MATCHED))
    refused(lambda: entry("b", EntryStatus.UNMATCHED, gift))
    entry("c", EntryStatus.MATCHED, gift)
    refused(lambda: entry("c", EntryStatus.UNMATCHED))
