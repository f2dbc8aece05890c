"""The Stripe webhook end to end, with a signed payload (the local fake's signing): a
card gift paid becomes received with the payment's reference, once — a webhook
delivered twice records one gift; a forged one is refused (400) and changes nothing;
an amount that differs from the pledge leaves the gift pledged for a fundraiser to
look at; a refund at the provider refunds the gift; without keys there is no webhook."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fundraising.models import Donation, DonationStatus, Method
from tests.fundraising.factories import DonationFactory
from tests.fundraising.fake_stripe import charge_refunded, session_completed, signed

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_secret"  # noqa: S105 - a test value
URL = "/fundraising/webhooks/stripe/"


@pytest.fixture(autouse=True)
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = SECRET


@pytest.fixture
def card_gift():
    return DonationFactory(method=Method.CARD, amount=Decimal("25.50"))


def post(client, payload, secret=SECRET):
    body, header = signed(payload, secret)
    return client.post(URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def test_a_paid_session_receives_the_gift_once(client, card_gift):
    payload = session_completed(str(card_gift.public_id), 2550, "pi_777")
    assert post(client, payload).status_code == 200
    card_gift.refresh_from_db()
    assert card_gift.status == DonationStatus.RECEIVED
    assert card_gift.provider_reference == "pi_777"
    received_at = card_gift.received_at
    assert post(client, payload).status_code == 200  # delivered again
    card_gift.refresh_from_db()
    assert card_gift.received_at == received_at
    assert Donation.objects.count() == 1


def test_a_forged_webhook_is_refused_and_changes_nothing(client, card_gift):
    payload = session_completed(str(card_gift.public_id), 2550)
    assert post(client, payload, secret="whsec_forged").status_code == 400
    card_gift.refresh_from_db()
    assert card_gift.status == DonationStatus.PLEDGED


def test_a_different_amount_leaves_the_gift_pledged(client, card_gift):
    assert post(client, session_completed(str(card_gift.public_id), 100)).status_code == 200
    card_gift.refresh_from_db()
    assert card_gift.status == DonationStatus.PLEDGED


def test_a_refund_at_the_provider_refunds_the_gift(client, card_gift):
    post(client, session_completed(str(card_gift.public_id), 2550, "pi_888"))
    assert post(client, charge_refunded("pi_888", 2550)).status_code == 200
    card_gift.refresh_from_db()
    assert card_gift.status == DonationStatus.REFUNDED


def test_no_keys_no_webhook(client, settings, card_gift):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert post(client, session_completed(str(card_gift.public_id), 2550)).status_code == 404
