"""A pact goes through its whole life by the services."""

import pytest

from pacts.models import PactStatus
from tests.pacts.factories import pact_in


@pytest.mark.parametrize("status", PactStatus.values)
def test_a_pact_reaches_every_status_through_the_services(status, social_worker, partner_user):
    pact = pact_in(status, worker=social_worker, partner_signer=partner_user)
    pact.refresh_from_db()
    assert pact.status == status
