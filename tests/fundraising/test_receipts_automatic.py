"""Every gift received gets its receipt without anybody asking: a transfer matched from a
bank statement, a card payment confirmed by the provider, a gift a fundraiser records.
The receipt is issued by a task after the change commits, once (a task delivered twice
issues one receipt), and mailed to the donor; no receipt for a gift with no donor, for an
organisation that issues none, or for a gift refunded before the task ran."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from fundraising.models import (
    DonationStatus,
    FundraisingProfile,
    Method,
    Receipt,
    RecurringGift,
)
from fundraising.payments import PaymentEvent
from fundraising.services.donations import (
    donation_receive,
    donation_record,
    donation_refund,
    period_of,
    recurring_start,
)
from fundraising.services.payments import payment_event_apply
from fundraising.services.reconciliation import statement_import
from fundraising.tasks import generate_monthly_gifts, issue_receipt
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]
DATA = Path(__file__).parent / "data"


def pledge(org, amount="150.00", **kwargs):
    kwargs.setdefault("donor", DonorFactory(email="maria.rossi@example.org"))
    return DonationFactory(
        campaign=CampaignFactory(organisation=org),
        organisation=org,
        amount=Decimal(amount),
        status=DonationStatus.PLEDGED,
        **kwargs,
    )


def test_a_transfer_matched_from_the_statement_gets_its_receipt_and_mail(
    django_capture_on_commit_callbacks,
):
    org = collector(name="Fondazione Comunitaria di Cremona")
    gift = pledge(
        org,
        causale="DONO-7K2M9Q",
        donor=DonorFactory(first_name="Maria", last_name="Rossi", email="maria@example.org"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        statement_import(
            organisation=org,
            by=fundraiser(org),
            data=(DATA / "camt053_v02.xml").read_bytes(),
            file_name="estratto.xml",
        )
    gift.refresh_from_db()
    assert gift.status == DonationStatus.RECEIVED
    receipt = Receipt.objects.get(donation=gift)
    assert (receipt.number, receipt.year) == (1, gift.date.year)
    assert receipt.pdf.name
    (message,) = [m for m in mail.outbox if m.to == ["maria@example.org"]]
    assert message.attachments[0][0] == f"ricevuta-{receipt.year}-1.pdf"


def test_a_card_payment_confirmed_by_the_provider_gets_its_receipt(
    django_capture_on_commit_callbacks,
):
    org = collector()
    gift = pledge(org, amount="40.00", method=Method.CARD)
    event = PaymentEvent(
        kind="paid", donation_public_id=str(gift.public_id), reference="pi_1", amount=gift.amount
    )
    with django_capture_on_commit_callbacks(execute=True):
        payment_event_apply(event=event)
    with django_capture_on_commit_callbacks(execute=True):
        payment_event_apply(event=event)  # the webhook delivered again
    assert Receipt.objects.filter(donation=gift).count() == 1
    assert len(mail.outbox) == 1


def test_a_gift_recorded_by_a_fundraiser_gets_its_receipt(django_capture_on_commit_callbacks):
    org = collector()
    with django_capture_on_commit_callbacks(execute=True):
        gift = donation_record(
            by=fundraiser(org),
            donor=DonorFactory(),
            amount="20",
            method=Method.CASH,
            received_on=timezone.localdate(),
            organisation=org,
        )
    receipt = Receipt.objects.get(donation=gift)
    assert receipt.tax_benefit is False  # cash: marked as not eligible


def test_the_task_delivered_twice_issues_one_receipt(django_capture_on_commit_callbacks):
    org = collector()
    gift = pledge(org)
    with django_capture_on_commit_callbacks(execute=True):
        donation_receive(donation=gift, by=None, received_on=timezone.localdate())
    assert issue_receipt.delay(gift.pk).get() == 1  # again: the same receipt, no new number
    other = pledge(org)
    with django_capture_on_commit_callbacks(execute=True):
        donation_receive(donation=other, by=None, received_on=timezone.localdate())
    assert list(Receipt.objects.order_by("number").values_list("number", flat=True)) == [1, 2]


def test_nothing_is_queued_when_the_change_rolls_back(django_capture_on_commit_callbacks):
    org = collector()
    gift = pledge(org)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        donation_receive(donation=gift, by=None, received_on=timezone.localdate())
        raise RuntimeError
    assert callbacks == []
    assert not Receipt.objects.exists()


@pytest.mark.parametrize("case", ["no donor", "no profile", "refunded first", "unknown"])
def test_no_receipt_when_none_is_due(case):
    org = collector()
    gift = pledge(org, donor=None) if case == "no donor" else pledge(org)
    donation_receive(donation=gift, by=None, received_on=timezone.localdate())
    if case == "no profile":
        FundraisingProfile.objects.filter(organisation=org).delete()
    if case == "refunded first":
        donation_refund(donation=gift, by=None, reason="doppio bonifico")
    pk = -1 if case == "unknown" else gift.pk
    assert issue_receipt.delay(pk).get() is None
    assert not Receipt.objects.exists()


def test_monthly_gifts_are_generated_once_a_month_by_the_beat_task(settings):
    assert (
        settings.CELERY_BEAT_SCHEDULE["fundraising-monthly-gifts"]["task"]
        == "fundraising.generate_monthly_gifts"
    )
    org = collector()
    recurring_start(
        donor=DonorFactory(),
        amount="10",
        method=Method.BANK_TRANSFER,
        organisation=org,
        day_of_month=5,
        started_on=timezone.localdate() - dt.timedelta(days=1),
    )
    gift = RecurringGift.objects.get()
    gift.donations.all().delete()  # as if it started before this month
    assert generate_monthly_gifts.delay().get() == 1
    assert generate_monthly_gifts.delay().get() == 0
    (made,) = gift.donations.all()
    assert made.status == DonationStatus.PLEDGED and made.period == period_of(timezone.localdate())
