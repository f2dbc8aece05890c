"""Donations: pledges, received gifts, refunds, cancellations, causali, monthly gifts,
soft credits, and who may do what."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fundraising.models import (
    CampaignStatus,
    Donation,
    DonationStatus,
    Method,
    RecurringGift,
    RecurringStatus,
    SoftCreditKind,
)
from fundraising.services import donations as services
from fundraising.services.donations import (
    CAUSALE_ALPHABET,
    causale_new,
    donation_cancel,
    donation_pledge,
    donation_receive,
    donation_record,
    donation_refund,
    recurring_generate,
    recurring_start,
    recurring_stop,
    soft_credit_add,
)
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)

pytestmark = pytest.mark.django_db

D = Decimal


def test_causale_is_short_unique_and_avoids_confusable_characters():
    codes = {causale_new() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"DONO-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}", code)
    assert not set("01OI") & set(CAUSALE_ALPHABET)


def test_causale_retries_on_collision():
    """A code already taken is drawn again."""
    DonationFactory(causale="DONO-222222")
    draws = iter("222222" + "333333")
    with mock.patch.object(services.secrets, "choice", lambda _alphabet: next(draws)):
        assert causale_new() == "DONO-333333"


def test_visitor_pledges_by_bank_transfer_and_gets_a_causale():
    """The public form: no account (by=None), a published open campaign."""
    campaign = CampaignFactory()
    donation = donation_pledge(
        campaign=campaign,
        donor=DonorFactory(),
        amount="25,50",
        method=Method.BANK_TRANSFER,
        anonymous=False,
        on_wall=True,
    )
    assert donation.status == DonationStatus.PLEDGED
    assert donation.amount == D("25.50")
    assert donation.organisation == campaign.organisation
    assert donation.causale.startswith("DONO-")
    card = donation_pledge(campaign=campaign, donor=None, amount=D("10"), method=Method.CARD)
    assert card.causale is None


def test_logged_in_citizen_pledges_through_the_public_path(make_user):
    citizen = make_user()
    donation = donation_pledge(
        campaign=CampaignFactory(),
        donor=DonorFactory(user=citizen),
        amount=D("5"),
        method=Method.PAYPAL,
        by=citizen,
    )
    assert donation.created_by == citizen


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("1000000.01", "at most 1,000,000"),
        ("10.005", "two decimals"),
        ("ten", "amount in euro"),
        ("NaN", "amount in euro"),
    ],
)
def test_bad_amounts_are_refused_with_translated_messages(amount, message):
    with pytest.raises(ValidationError) as error:
        donation_pledge(campaign=CampaignFactory(), donor=None, amount=amount, method=Method.CARD)
    assert message in error.value.message_dict["amount"][0]


def test_the_largest_amount_is_accepted():
    donation = donation_pledge(
        campaign=CampaignFactory(), donor=None, amount="1000000", method=Method.CARD
    )
    assert donation.amount == D("1000000.00")


@pytest.mark.parametrize(
    "campaign_kwargs",
    [
        {"status": CampaignStatus.DRAFT},
        {"status": CampaignStatus.CLOSED, "closed_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
        {
            "starts_on": dt.date(2020, 1, 1),
            "ends_on": dt.date(2020, 2, 1),
        },
    ],
)
def test_no_pledges_to_a_campaign_not_collecting(campaign_kwargs):
    with pytest.raises(ValidationError) as error:
        donation_pledge(
            campaign=CampaignFactory(**campaign_kwargs),
            donor=None,
            amount="10",
            method=Method.CARD,
        )
    assert error.value.message_dict["campaign"] == ["This campaign is not collecting gifts."]


def test_fundraiser_records_cash_received_at_a_stand():
    campaign = CampaignFactory()
    user = fundraiser(campaign.organisation)
    day = timezone.localdate() - dt.timedelta(days=1)
    donation = donation_record(
        by=user,
        campaign=campaign,
        donor=DonorFactory(),
        amount="20",
        method=Method.CASH,
        received_on=day,
    )
    assert donation.status == DonationStatus.RECEIVED
    assert donation.date == day
    assert donation.received_at is not None
    assert donation.causale is None


def test_fundraiser_of_another_organisation_cannot_record_or_change():
    campaign = CampaignFactory()
    stranger = fundraiser(collector())
    with pytest.raises(PermissionDenied):
        donation_record(
            by=stranger,
            campaign=campaign,
            donor=None,
            amount="20",
            method=Method.CASH,
            received_on=timezone.localdate(),
        )
    pledged = DonationFactory(campaign=campaign)
    with pytest.raises(PermissionDenied):
        donation_receive(donation=pledged, by=stranger, received_on=timezone.localdate())
    with pytest.raises(PermissionDenied):
        donation_cancel(donation=pledged, by=stranger)


def test_a_citizen_cannot_record_received_gifts(make_user):
    with pytest.raises(PermissionDenied):
        donation_record(
            by=make_user(),
            campaign=CampaignFactory(),
            donor=None,
            amount="20",
            method=Method.CASH,
            received_on=timezone.localdate(),
        )


def test_receiving_twice_changes_nothing():
    donation = DonationFactory()
    user = fundraiser(donation.organisation)
    today = timezone.localdate()
    first = donation_receive(donation=donation, by=user, received_on=today)
    assert first.status == DonationStatus.RECEIVED
    received_at = first.received_at
    again = donation_receive(donation=donation, by=user, received_on=today - dt.timedelta(days=3))
    assert again.pk == donation.pk
    assert again.received_at == received_at
    assert again.date == today


def test_a_provider_reference_seen_before_makes_no_second_gift():
    """A webhook delivered twice, on two pledges: the second gets back the first."""
    first = DonationFactory(method=Method.CARD)
    second = DonationFactory(method=Method.CARD, campaign=first.campaign)
    today = timezone.localdate()
    donation_receive(donation=first, by=None, received_on=today, provider_reference="pi_123")
    result = donation_receive(
        donation=second, by=None, received_on=today, provider_reference="pi_123"
    )
    assert result.pk == first.pk
    second.refresh_from_db()
    assert second.status == DonationStatus.PLEDGED
    assert Donation.objects.filter(status=DonationStatus.RECEIVED).count() == 1


def test_a_cancelled_donation_cannot_be_received():
    donation = DonationFactory(status=DonationStatus.CANCELLED)
    with pytest.raises(ValidationError) as error:
        donation_receive(donation=donation, by=None, received_on=timezone.localdate())
    assert error.value.message_dict["status"] == ["A cancelled donation cannot be received."]


def test_refund_cancels_the_receipt():
    donation = DonationFactory(status=DonationStatus.RECEIVED, received_at=timezone.now())
    user = fundraiser(donation.organisation)
    with mock.patch("fundraising.services.receipts.donation_refund_cancels_receipt") as cancels:
        refunded = donation_refund(donation=donation, by=user, reason="Paid twice")
    assert refunded.status == DonationStatus.REFUNDED
    assert refunded.refunded_at is not None
    cancels.assert_called_once()
    assert cancels.call_args.kwargs["donation"].pk == donation.pk
    assert cancels.call_args.kwargs["reason"] == "Paid twice"


def test_refund_with_the_real_receipts_service_and_no_receipt():
    donation = DonationFactory(status=DonationStatus.RECEIVED, received_at=timezone.now())
    user = fundraiser(donation.organisation)
    assert donation_refund(donation=donation, by=user, reason="Error").status == "refunded"


def test_state_machine_refusals_are_translated():
    donation = DonationFactory()
    user = fundraiser(donation.organisation)
    with pytest.raises(ValidationError) as error:
        donation_refund(donation=donation, by=user, reason="x")
    assert error.value.message_dict["status"] == [
        "Only a received gift can be refunded; this one is pledged."
    ]
    with pytest.raises(ValidationError) as error:
        donation_refund(donation=donation, by=user, reason="  ")
    assert "reason" in error.value.message_dict
    received = DonationFactory(status=DonationStatus.RECEIVED, received_at=timezone.now())
    with pytest.raises(ValidationError) as error:
        donation_cancel(donation=received, by=fundraiser(received.organisation))
    assert error.value.message_dict["status"] == [
        "Only a pledged gift can be cancelled; this one is received."
    ]


def test_cancel_a_pledge():
    donation = DonationFactory()
    user = fundraiser(donation.organisation)
    assert donation_cancel(donation=donation, by=user, reason="never paid").status == "cancelled"
    assert donation_cancel(donation=donation, by=user).status == "cancelled"


def test_monthly_gift_makes_one_donation_per_month_even_if_run_twice():
    campaign = CampaignFactory(ends_on=timezone.localdate() + dt.timedelta(days=400))
    donor = DonorFactory()
    gift = recurring_start(
        donor=donor,
        campaign=campaign,
        amount="15",
        method=Method.BANK_TRANSFER,
        day_of_month=5,
        started_on=dt.date(2026, 1, 1),
    )
    # Started in the past: this month's donation is made at once.
    assert list(gift.donations.values_list("period", flat=True)) == [
        services.period_of(timezone.localdate())
    ]
    made = recurring_generate(today=dt.date(2026, 3, 10))
    assert [d.period for d in made] == ["2026-03"]
    assert made[0].status == DonationStatus.PLEDGED
    assert made[0].date == dt.date(2026, 3, 5)
    # A standing transfer: the gift has the causale, its months none of their own.
    assert gift.causale.startswith("DONO-") and made[0].causale is None
    assert recurring_generate(today=dt.date(2026, 3, 10)) == []
    assert recurring_generate(today=dt.date(2026, 3, 28)) == []
    assert len(recurring_generate(today=dt.date(2026, 4, 1))) == 1
    assert gift.donations.count() == 3

    recurring_stop(gift=gift)
    assert gift.__class__.objects.get(pk=gift.pk).status == RecurringStatus.STOPPED
    assert recurring_generate(today=dt.date(2026, 5, 1)) == []


def test_generation_skips_a_month_made_meanwhile():
    """Two runs at once: the unique (recurring, period) lets one donation through."""
    gift = recurring_start(
        donor=DonorFactory(),
        organisation=collector(),
        amount="15",
        method=Method.CARD,
        started_on=dt.date(2026, 1, 1),
    )
    DonationFactory(
        campaign=None,
        organisation=gift.organisation,
        donor=gift.donor,
        recurring=gift,
        period="2026-02",
        method=Method.CARD,
    )
    # Given a run that chose its gifts before the other run made February's donation
    every_active = RecurringGift.objects.filter(pk=gift.pk)
    with mock.patch.object(services, "_gifts_due", return_value=every_active):
        # When it makes the month's donations, the constraint lets none through twice
        assert recurring_generate(today=dt.date(2026, 2, 20)) == []
    assert recurring_generate(today=dt.date(2026, 2, 20)) == []
    assert gift.donations.filter(period="2026-02").count() == 1


def test_a_gift_to_a_campaign_that_ended_goes_to_the_organisation():
    campaign = CampaignFactory()
    gift = recurring_start(donor=DonorFactory(), campaign=campaign, amount="10", method=Method.CARD)
    later = campaign.ends_on + dt.timedelta(days=31)
    made = recurring_generate(today=later)
    assert len(made) == 1
    assert made[0].campaign is None
    assert made[0].organisation_id == gift.organisation_id


def test_soft_credit():
    donation = DonationFactory(status=DonationStatus.RECEIVED, received_at=timezone.now())
    user = fundraiser(donation.organisation)
    credit = soft_credit_add(
        donation=donation, by=user, kind=SoftCreditKind.IN_MEMORY, name="Nonna Lina"
    )
    assert credit.name == "Nonna Lina"
    with pytest.raises(ValidationError):
        soft_credit_add(donation=donation, by=user, kind=SoftCreditKind.ON_BEHALF)
    with pytest.raises(PermissionDenied):
        soft_credit_add(
            donation=donation,
            by=fundraiser(collector()),
            kind=SoftCreditKind.EMPLOYER,
            name="Acme",
        )
