"""The fundraising demo step: the foundation's profile, two open campaigns with their
matching pledges (one conditional), one closed with its costs; donors with valid codes;
received gifts with receipts numbered without gaps; the demo citizen's pledge waiting
for its transfer; nothing added by a second seeding. The prerequisite steps (territory,
organisations, logins) are run directly, as in the other apps' demo tests."""

from __future__ import annotations

import pytest
from django.utils import translation

from fundraising import demo as fundraising_demo
from fundraising.models import (
    BankStatement,
    Campaign,
    CampaignStatus,
    Donation,
    DonationStatus,
    Donor,
    EntryStatus,
    MatchingPledge,
    Receipt,
)
from fundraising.selectors import campaign_progress
from fundraising.validators import validate_codice_fiscale, validate_partita_iva
from legami import demo as legami_demo
from legami.demo import DEMO_EMAIL_DOMAIN, demo_steps
from partners import demo as partners_demo

pytestmark = pytest.mark.django_db

PASSWORD = "demo-test-password"  # noqa: S105 - a test value


def seed() -> list[str]:
    with translation.override("en"):
        legami_demo.seed(password=PASSWORD)
        partners_demo.seed(password=PASSWORD)
        return fundraising_demo.seed(password=PASSWORD).summary


def test_the_step_runs_after_the_organisations():
    labels = [label for label, _seed in demo_steps()]
    assert labels.index("partners") < labels.index("fundraising")


def test_campaigns_gifts_and_receipts():
    summary = seed()
    assert summary[0] == "campaigns: 3 created, 0 unchanged"
    open_ = Campaign.objects.filter(status=CampaignStatus.PUBLISHED)
    assert set(open_.values_list("slug", flat=True)) == {
        "nessuno-resta-solo",
        "fondo-comunita-crema",
    }
    closed = Campaign.objects.get(slug="natale-insieme")
    assert closed.status == CampaignStatus.CLOSED and closed.costs.exists()
    conditional = MatchingPledge.objects.get(campaign__slug="nessuno-resta-solo")
    assert conditional.only_if_target_reached
    progress = campaign_progress(Campaign.objects.get(slug="nessuno-resta-solo"))
    assert progress.raised > 0
    # Donors' codes are valid; receipts 1..n without gaps for the foundation's year(s).
    for donor in Donor.objects.exclude(codice_fiscale=""):
        assert validate_codice_fiscale(donor.codice_fiscale) == donor.codice_fiscale
    for donor in Donor.objects.exclude(partita_iva=""):
        assert validate_partita_iva(donor.partita_iva) == donor.partita_iva
    received = Donation.objects.filter(status=DonationStatus.RECEIVED)
    assert received.count() == Receipt.objects.count() == 12
    for year in set(Receipt.objects.values_list("year", flat=True)):
        numbers = sorted(Receipt.objects.filter(year=year).values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
    # The citizen's pledge waits for its transfer, with its causale.
    waiting = Donation.objects.get(donor__user__email=f"cittadino@{DEMO_EMAIL_DOMAIN}")
    assert waiting.status == DonationStatus.PLEDGED and waiting.causale
    assert waiting.causale in summary[1]
    # The bank statement: the company's transfer matched by its causale, one to review.
    statement = BankStatement.objects.get()
    assert sorted(statement.entries.values_list("status", flat=True)) == [
        EntryStatus.MATCHED,
        EntryStatus.UNMATCHED,
    ]
    paid = statement.entries.get(status=EntryStatus.MATCHED).donation
    assert paid.status == DonationStatus.RECEIVED and paid.donor.partita_iva


def test_seeding_twice_adds_nothing():
    seed()
    counts = (Campaign.objects.count(), Donation.objects.count(), Receipt.objects.count())
    assert seed() == ["campaigns: 0 created, 3 unchanged"]
    assert (Campaign.objects.count(), Donation.objects.count(), Receipt.objects.count()) == counts
