"""Permission matrix of the payment provider's webhook (see tests/permissions.py): no
session and no role opens it — only a valid signature does (tests/fundraising/
test_payments_webhook.py). Unsigned, every visitor and every role gets 400 and nothing
changes."""

from __future__ import annotations

import pytest

from tests.permissions import ROLES, Row, check, rows

URL = "/fundraising/webhooks/stripe/"

ROWS: list[Row] = [*rows("POST", URL, {}, default=400, roles=ROLES, data={"type": "x"})]


@pytest.fixture
def world(db, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"  # noqa: S105 - a test value
    return {"users": {}}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_webhook_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)
