"""Stripe Checkout behind the payment interface, against a local fake of Stripe's API
(never the network): the session asked for carries the gift's amount in cents, euro,
its public id and the return addresses; webhooks are accepted only with a valid
signature (the library's check), read into payment events; card payment is offered
only when both keys are configured."""

from __future__ import annotations

import time
from decimal import Decimal
from types import SimpleNamespace

import pytest

from fundraising.payments import WebhookRejected, provider
from fundraising.payments.stripe_provider import StripeProvider, to_cents
from tests.fundraising.fake_stripe import charge_refunded, fake_stripe, session_completed, signed

SECRET = "whsec_test_secret"  # noqa: S105 - a test value


def gift(amount: str = "25.50", email: str = "anna@example.org") -> SimpleNamespace:
    donor = SimpleNamespace(email=email)
    return SimpleNamespace(
        public_id="5b0c6f0e-0000-4000-8000-000000000001",
        amount=Decimal(amount),
        donor_id=1 if email else None,
        donor=donor,
    )


def test_amounts_go_in_cents_exactly():
    assert to_cents(Decimal("25.50")) == 2550
    assert to_cents(Decimal("0.01")) == 1
    assert to_cents(Decimal("1234.99")) == 123499


def test_a_checkout_session_for_one_gift():
    with fake_stripe() as fake:
        stripe = StripeProvider(secret_key="sk_test_x", webhook_secret=SECRET, api_base=fake.base)
        checkout = stripe.checkout(
            donation=gift(),
            description="Un dono per la campagna",
            success_url="https://legami.test/grazie/",
            cancel_url="https://legami.test/annullato/",
        )
    assert checkout.url == "https://checkout.stripe.test/pay/cs_test_1"
    assert checkout.reference == "cs_test_1"
    [request] = fake.requests
    form = request["form"]
    assert request["auth"] == "Bearer sk_test_x"
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["line_items[0][price_data][unit_amount]"] == "2550"
    assert form["line_items[0][quantity]"] == "1"
    assert form["client_reference_id"] == form["metadata[donation]"] == gift().public_id
    assert form["payment_intent_data[metadata][donation]"] == gift().public_id
    assert form["success_url"] == "https://legami.test/grazie/"
    assert form["cancel_url"] == "https://legami.test/annullato/"
    assert form["customer_email"] == "anna@example.org"


def test_a_signed_payment_webhook_becomes_a_paid_event():
    stripe = StripeProvider(secret_key="sk_test_x", webhook_secret=SECRET)
    body, header = signed(session_completed(gift().public_id, 2550, "pi_123"), SECRET)
    event = stripe.parse_webhook(payload=body, headers={"Stripe-Signature": header})
    assert event is not None
    assert event.kind == "paid"
    assert event.donation_public_id == gift().public_id
    assert event.reference == "pi_123"
    assert event.amount == Decimal("25.50")


def test_a_refund_webhook_names_the_payment():
    stripe = StripeProvider(secret_key="sk_test_x", webhook_secret=SECRET)
    body, header = signed(charge_refunded("pi_123", 2550), SECRET)
    event = stripe.parse_webhook(payload=body, headers={"Stripe-Signature": header})
    assert event is not None and event.kind == "refunded" and event.reference == "pi_123"


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "changed body", "no header", "too old"],
)
def test_webhooks_without_a_valid_signature_are_rejected(tamper):
    stripe = StripeProvider(secret_key="sk_test_x", webhook_secret=SECRET)
    payload = session_completed(gift().public_id, 2550)
    body, header = signed(payload, SECRET)
    if tamper == "wrong secret":
        body, header = signed(payload, "whsec_other")
    elif tamper == "changed body":
        body = body.replace(b"2550", b"255000")
    elif tamper == "no header":
        header = ""
    elif tamper == "too old":
        body, header = signed(payload, SECRET, at=int(time.time()) - 3600)
    with pytest.raises(WebhookRejected):
        stripe.parse_webhook(payload=body, headers={"Stripe-Signature": header})


def test_other_events_and_unpaid_sessions_are_ignored():
    stripe = StripeProvider(secret_key="sk_test_x", webhook_secret=SECRET)
    unpaid = session_completed(gift().public_id, 2550)
    unpaid["data"]["object"]["payment_status"] = "unpaid"
    other = {**session_completed(gift().public_id, 2550), "type": "customer.created"}
    for payload in (unpaid, other):
        body, header = signed(payload, SECRET)
        assert stripe.parse_webhook(payload=body, headers={"Stripe-Signature": header}) is None


def test_card_payment_is_offered_only_with_both_keys(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert provider() is None
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    assert provider() is None
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    configured = provider()
    assert configured is not None and configured.name == "stripe"


def test_a_provider_that_cannot_be_reached_is_payment_unavailable():
    from fundraising.payments import PaymentUnavailable

    # Nothing listens on this port: the library's connection error becomes ours.
    stripe = StripeProvider(
        secret_key="sk_test_x", webhook_secret=SECRET, api_base="http://127.0.0.1:9"
    )
    stripe.client._requestor._options.max_network_retries = 0  # type: ignore[attr-defined]
    with pytest.raises(PaymentUnavailable):
        stripe.checkout(
            donation=gift(), description="x", success_url="https://a/", cancel_url="https://b/"
        )
