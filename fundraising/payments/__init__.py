"""Card payments behind one interface (``PaymentProvider``): a checkout page at the
provider for a pledged gift, and the provider's webhook read back into a
``PaymentEvent`` once its signature is verified.

``provider()`` gives the configured one: Stripe Checkout (``StripeProvider``, the
official ``stripe`` library) when STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are set,
otherwise none — and the donation form hides card payment. Nothing here records a gift:
the webhook view hands the event to ``fundraising.services.donations``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol


class PaymentUnavailable(Exception):
    """The provider could not be reached or refused to open a checkout."""


class WebhookRejected(Exception):
    """A webhook whose signature does not verify (or that cannot be read)."""


@dataclass(frozen=True)
class PaymentEvent:
    """What a webhook tells: a gift paid (or refunded) at the provider."""

    kind: str  # "paid" | "refunded"
    donation_public_id: str  # may be "" for a refund: the reference finds the gift
    reference: str  # the provider's payment reference (unique per payment)
    amount: Decimal


@dataclass(frozen=True)
class Checkout:
    url: str
    reference: str  # the provider's session id


class PaymentProvider(Protocol):
    name: str

    def checkout(
        self, *, donation: Any, description: str, success_url: str, cancel_url: str
    ) -> Checkout: ...

    def parse_webhook(self, *, payload: bytes, headers: Any) -> PaymentEvent | None: ...


def provider() -> PaymentProvider | None:
    """The card payment provider configured, or None (card payment is then hidden)."""
    from django.conf import settings

    if settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET:
        from fundraising.payments.stripe_provider import StripeProvider

        return StripeProvider(
            secret_key=settings.STRIPE_SECRET_KEY,
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
            api_base=settings.STRIPE_API_BASE or None,
        )
    return None
