"""Receipts issued at the same instant on PostgreSQL: the counter row's lock gives every
receipt of an issuer and year the next number, 1..N with no gap and no duplicate, even
for the very first receipt of a year (the counter row is created by one of the racers);
the same gift issued twice at once gets one receipt; and a failure inside the race
leaves no hole in the numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from fundraising.models import DonationStatus, Receipt, ReceiptCounter
from fundraising.services import receipts as receipts_service
from fundraising.services.receipts import receipt_issue
from tests.concurrency import race
from tests.fundraising.factories import CampaignFactory, DonationFactory, collector, fundraiser

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks"),
]


def gifts(organisation, n: int, *, year: int = 2026) -> list:
    campaign = CampaignFactory(organisation=organisation)
    return [
        DonationFactory(
            campaign=campaign,
            status=DonationStatus.RECEIVED,
            received_at=timezone.now(),
            date=dt.date(year, 1 + i % 12, 1),
        )
        for i in range(n)
    ]


def issue_all(donations: list, by) -> list:
    """Issue the receipts of ``donations`` one after the other (a thread's share)."""
    return [receipt_issue(donation=d, by=by) for d in donations]


@pytest.mark.parametrize("round_", range(3))
def test_sixteen_receipts_in_eight_threads_are_numbered_one_to_sixteen(round_):
    """16 gifts receipted by 8 threads at once, from an empty counter: numbers 1..16,
    one receipt each, and one mail each."""
    org = collector()
    by = fundraiser(org)
    donations = gifts(org, 16)

    results = race([lambda share=donations[i::8]: issue_all(share, by) for i in range(8)])

    assert [r for r in results if isinstance(r, BaseException)] == []
    numbers = sorted(r.number for share in results for r in share)
    assert numbers == list(range(1, 17))
    assert sorted(
        Receipt.objects.filter(organisation=org, year=2026).values_list("number", flat=True)
    ) == list(range(1, 17))
    assert set(Receipt.objects.values_list("donation_id", flat=True)) == {d.pk for d in donations}
    assert ReceiptCounter.objects.get(organisation=org, year=2026).last_number == 16
    assert len(mail.outbox) == 16


def test_two_issuers_racing_keep_their_own_numbers():
    """Two organisations issuing at the same time do not wait for or number each other."""
    org_a, org_b = collector(), collector()
    by_a, by_b = fundraiser(org_a), fundraiser(org_b)
    a, b = gifts(org_a, 6), gifts(org_b, 6)

    results = race(
        [lambda share=a[i::3]: issue_all(share, by_a) for i in range(3)]
        + [lambda share=b[i::3]: issue_all(share, by_b) for i in range(3)]
    )

    assert [r for r in results if isinstance(r, BaseException)] == []
    for org in (org_a, org_b):
        numbers = Receipt.objects.filter(organisation=org).values_list("number", flat=True)
        assert sorted(numbers) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("round_", range(3))
def test_the_same_gift_issued_twice_at_once_gets_one_receipt(round_):
    org = collector()
    by = fundraiser(org)
    (donation,) = gifts(org, 1)

    results = race([lambda: receipt_issue(donation=donation, by=by) for _ in range(4)])

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert len({r.pk for r in results}) == 1
    assert {r.number for r in results} == {1}
    assert Receipt.objects.count() == 1
    assert ReceiptCounter.objects.get(organisation=org).last_number == 1
    assert len(mail.outbox) == 1


def test_a_failure_in_the_race_leaves_no_gap(monkeypatch):
    """One of the racers fails after taking its number: it gives the number back, and
    the others' numbers are 1..N-1 with no hole."""
    org = collector()
    by = fundraiser(org)
    donations = gifts(org, 8)
    doomed = donations[3].pk
    real_pdf = receipts_service.receipt_pdf

    def pdf(receipt):
        if receipt.donation_id == doomed:
            raise RuntimeError("printer on fire")
        return real_pdf(receipt)

    monkeypatch.setattr(receipts_service, "receipt_pdf", pdf)
    results = race([lambda d=d: receipt_issue(donation=d, by=by) for d in donations])

    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1 and "printer on fire" in str(failures[0])
    assert sorted(Receipt.objects.values_list("number", flat=True)) == list(range(1, 8))
    assert ReceiptCounter.objects.get(organisation=org).last_number == 7

    monkeypatch.undo()
    assert receipt_issue(donation=donations[3], by=by).number == 8
