"""Stripe Checkout through the official ``stripe`` library: a Checkout Session for one
gift (amount in cents, euro, the gift's public id as client reference and metadata),
and webhooks verified with ``StripeClient.construct_event`` (the library's signature
check, with its tolerance on the timestamp)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import stripe

from fundraising.payments import Checkout, PaymentEvent, PaymentUnavailable, WebhookRejected

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_value())


class StripeProvider:
    name = "stripe"

    def __init__(self, *, secret_key: str, webhook_secret: str, api_base: str | None = None):
        addresses: Any = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(secret_key, base_addresses=addresses)
        self.webhook_secret = webhook_secret

    def checkout(
        self, *, donation: Any, description: str, success_url: str, cancel_url: str
    ) -> Checkout:
        params: Any = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": to_cents(donation.amount),
                        "product_data": {"name": description[:250]},
                    },
                }
            ],
            "client_reference_id": str(donation.public_id),
            "metadata": {"donation": str(donation.public_id)},
            "payment_intent_data": {"metadata": {"donation": str(donation.public_id)}},
            "success_url": success_url,
            "cancel_url": cancel_url,
            "locale": "it",
        }
        if donation.donor_id and donation.donor.email:
            params["customer_email"] = donation.donor.email
        try:
            session = self.client.v1.checkout.sessions.create(params=params)
        except stripe.StripeError as exc:
            raise PaymentUnavailable(str(exc)) from exc
        return Checkout(url=str(session.url), reference=str(session.id))

    def parse_webhook(self, *, payload: bytes, headers: Any) -> PaymentEvent | None:
        signature = headers.get("Stripe-Signature", "")
        try:
            event = self.client.construct_event(payload, signature, self.webhook_secret)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise WebhookRejected(str(exc)) from exc
        data = event.data.object
        if event.type == "checkout.session.completed":
            if data.get("payment_status") != "paid":
                return None
            public_id = (data.get("metadata") or {}).get("donation") or data.get(
                "client_reference_id"
            )
            reference = data.get("payment_intent") or data.get("id")
            return PaymentEvent(
                kind="paid",
                donation_public_id=str(public_id),
                reference=str(reference),
                amount=Decimal(int(data.get("amount_total") or 0)) * CENT,
            )
        if event.type == "charge.refunded":
            # A full refund; the gift is found by its payment (the reference kept when
            # it was paid): a charge does not carry the session's metadata.
            if not data.get("refunded"):
                return None
            return PaymentEvent(
                kind="refunded",
                donation_public_id=str((data.get("metadata") or {}).get("donation") or ""),
                reference=str(data.get("payment_intent") or data.get("id")),
                amount=Decimal(int(data.get("amount_refunded") or 0)) * CENT,
            )
        return None
