"""Card gifts: the provider's checkout for a pledged gift, and what its webhooks say
applied to the gifts — once: a webhook delivered twice, or late, changes nothing more
(the provider's payment reference is unique among gifts)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundraising.models import Donation, DonationStatus, Method
from fundraising.payments import PaymentEvent, PaymentUnavailable, provider

logger = logging.getLogger(__name__)


def card_checkout(*, donation: Donation, success_url: str, cancel_url: str) -> str:
    """The address of the provider's payment page for a pledged card gift."""
    card = provider()
    if card is None:
        raise ValidationError(_("Card payment is not available."), code="no_provider")
    if donation.method != Method.CARD or donation.status != DonationStatus.PLEDGED:
        raise ValidationError(_("This gift is not waiting for a card payment."), code="state")
    campaign = donation.campaign
    description = campaign.title if campaign is not None else str(donation.organisation)
    try:
        checkout = card.checkout(
            donation=donation,
            description=description,
            success_url=success_url,
            cancel_url=cancel_url,
        )
    except PaymentUnavailable:
        logger.warning("card checkout unavailable for gift %s", donation.public_id, exc_info=True)
        raise ValidationError(
            _(
                "Card payment is not available right now: try again in a few minutes, or "
                "give by bank transfer."
            ),
            code="provider_down",
        ) from None
    Donation.objects.filter(pk=donation.pk).update(provider=card.name)
    return checkout.url


def payment_event_apply(*, event: PaymentEvent) -> Donation | None:
    """Record what the provider says: a card gift paid becomes received (with the
    payment's reference); a payment refunded at the provider refunds the gift (and
    cancels its receipt). Unknown gifts and amounts that differ are logged and left
    alone for a fundraiser to look at."""
    from fundraising.services.donations import donation_receive, donation_refund

    with transaction.atomic():
        if event.kind == "paid":
            donation = (
                Donation.objects.select_for_update()
                .filter(public_id=_uuid_or_none(event.donation_public_id), method=Method.CARD)
                .first()
            )
            if donation is None:
                logger.warning("payment for an unknown gift %s", event.donation_public_id)
                return None
            if donation.status != DonationStatus.PLEDGED:
                return donation  # already received (a webhook delivered again) or cancelled
            if event.amount != donation.amount:
                logger.warning(
                    "gift %s: paid %s, pledged %s",
                    donation.public_id,
                    event.amount,
                    donation.amount,
                )
                return donation
            return donation_receive(
                donation=donation,
                by=None,
                received_on=timezone.localdate(),
                provider_reference=event.reference,
            )
        if event.kind == "refunded":
            donation = (
                Donation.objects.select_for_update()
                .filter(provider_reference=event.reference)
                .first()
            )
            if donation is None or donation.status != DonationStatus.RECEIVED:
                return donation
            return donation_refund(
                donation=donation, by=None, reason=str(_("Refunded by the payment provider."))
            )
    return None


def _uuid_or_none(value: Any) -> Any:
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
