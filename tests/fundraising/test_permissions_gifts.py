"""Permission matrix of the desk's donors, donations, receipts and exports
(fundraising/views/manage_gifts.py, manage_exports.py); see tests/permissions.py.

The world: a collecting organisation whose fundraiser is ``owner``; ``donor``, who gave
to it; ``pledge``, a bank-transfer pledge; ``received``, a received gift with
``receipt``; ``bare``, a received gift without a receipt. The role ``fundraiser`` raises
funds for another organisation: the lists and forms are theirs (200), the owner's
records are not found (404). Network administrators read everything (200) and change
and export nothing (403). Every other role has no desk (403); anonymous visitors are
sent to log in (302). Forms posted by the owner succeed (302); a form refused by its
service answers 400.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fundraising.models import DonationStatus, DonorKind, Method
from fundraising.services.donations import recurring_start
from fundraising.services.receipts import receipt_issue
from legami.roles import Role
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)
from tests.permissions import ROLES, Row, rows
from tests.permissions import check as check_row
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("owner",)
EVERYONE = (*ROLES, *EXTRA)
Expected = dict[str, int | tuple[int, ...]]
NO_DESK = tuple(r for r in ROLES if r not in ("anonymous", Role.FUNDRAISER, Role.NETWORK_ADMIN))

G = "/fundraising/gestione/"
DONORS = G + "donatori/"
DONOR = DONORS + "{donor.public_id}/"
DONATIONS = G + "doni/"
PLEDGE = DONATIONS + "{pledge.public_id}/"
RECEIVED = DONATIONS + "{received.public_id}/"
BARE = DONATIONS + "{bare.public_id}/"
RECEIPTS = G + "ricevute/"
RECEIPT = RECEIPTS + "{receipt.pk}/"
EXPORTS = G + "esportazioni/"

PERSON = {"kind": DonorKind.PERSON, "first_name": "Anna", "last_name": "Bianchi"}
BAD_CF = {**PERSON, "codice_fiscale": "RSSMRA85T10A562T"}
CONSENT = {"organisation": "{org.pk}", "given": "yes", "source": "paper form"}
GIFT = {
    "campaign": "{campaign.pk}",
    "amount": "20",
    "method": Method.CASH,
    "received_on": "2026-01-10",
}
YEARLY = {"organisation": "{org.pk}", "year": "2025", "format": "csv"}


def _rows(method: str, url: str, expected: Expected, **kwargs) -> list[Row]:
    """Rows for every role: anonymous → 302 to log in, roles without a desk → 403,
    then ``expected`` for the fundraiser of another organisation, the network
    administrator and the owner."""
    full: Expected = {"anonymous": 302, **dict.fromkeys(NO_DESK, 403), **expected}
    return rows(method, url, full, roles=EVERYONE, **kwargs)


def readers(status: int = 200, other: int = 200) -> Expected:
    """A page read by the desk: the owner and the administrator ``status``, the other
    organisation's fundraiser ``other``."""
    return {"owner": status, Role.NETWORK_ADMIN: status, Role.FUNDRAISER: other}


def changers(owner: int, admin: int = 403, other: int = 404) -> Expected:
    return {"owner": owner, Role.NETWORK_ADMIN: admin, Role.FUNDRAISER: other}


ROWS: list[Row] = [
    # Donors
    *_rows("GET", DONORS, readers()),
    *_rows("GET", DONORS + "?q=bianchi", readers()),
    *_rows("GET", DONORS + "nuovo/", changers(200, other=200)),
    *_rows("POST", DONORS + "nuovo/", changers(302, other=302), data=PERSON),
    *_rows("POST", DONORS + "nuovo/", changers(400, other=400), data=BAD_CF),
    *_rows("GET", DONOR, readers(other=404)),
    *_rows("GET", DONOR + "modifica/", changers(200)),
    *_rows("POST", DONOR + "modifica/", changers(302), data=PERSON),
    *_rows("POST", DONOR + "modifica/", changers(400), data=BAD_CF),
    *_rows("POST", DONOR + "consenso/", changers(302), data=CONSENT),
    *_rows("POST", DONOR + "consenso/", changers(400), data={**CONSENT, "source": ""}),
    *rows("GET", DONOR + "consenso/", {"anonymous": 302}, default=405, roles=EVERYONE),
    *_rows("POST", DONOR + "mensili/{monthly.pk}/ferma/", changers(302)),
    *rows(
        "GET",
        DONOR + "mensili/{monthly.pk}/ferma/",
        {"anonymous": 302},
        default=405,
        roles=EVERYONE,
    ),
    # Donations
    *_rows("GET", DONATIONS, readers()),
    *_rows("GET", DONATIONS + "?status=pledged", readers()),
    *_rows("GET", DONATIONS + "?status=lost", readers(400, other=400)),
    *_rows("GET", DONATIONS + "nuovo/", changers(200, other=200)),
    *_rows("POST", DONATIONS + "nuovo/", changers(302, other=400), data=GIFT),
    *_rows("POST", DONATIONS + "nuovo/", changers(400, other=400), data={**GIFT, "amount": "0"}),
    *_rows("GET", PLEDGE, readers(other=404)),
    *_rows("POST", PLEDGE + "ricevuto/", changers(302), data={"received_on": "2026-01-10"}),
    *_rows("POST", PLEDGE + "ricevuto/", changers(400), data={"received_on": "2099-01-10"}),
    *_rows("POST", PLEDGE + "annulla/", changers(302), data={"reason": "Changed their mind"}),
    *_rows("POST", RECEIVED + "annulla/", changers(400), data={"reason": "No"}),
    *_rows("POST", RECEIVED + "rimborso/", changers(302), data={"reason": "Paid twice"}),
    *_rows("POST", PLEDGE + "rimborso/", changers(400), data={"reason": "Paid twice"}),
    *_rows(
        "POST", RECEIVED + "credito/", changers(302), data={"kind": "in_memory", "name": "Pina"}
    ),
    *_rows("POST", RECEIVED + "credito/", changers(400), data={"kind": "in_memory"}),
    *_rows("POST", BARE + "ricevuta/", changers(302)),
    *_rows("POST", PLEDGE + "ricevuta/", changers(400)),
    # Receipts
    *_rows("GET", RECEIPTS, readers()),
    *_rows("GET", RECEIPTS + "?year=2026", readers()),
    *_rows("GET", RECEIPTS + "?year=last", readers(400, other=400)),
    *_rows("GET", RECEIPT + "pdf/", readers(other=404)),
    *_rows("GET", RECEIPT + "ristampa/", readers(other=404)),
    *_rows("POST", RECEIPT + "annulla/", changers(302), data={"reason": "Wrong donor"}),
    *_rows("POST", RECEIPT + "annulla/", changers(400), data={"reason": ""}),
    # Exports
    *_rows("GET", EXPORTS, readers()),
    *_rows("GET", EXPORTS + "doni/?format=xlsx", changers(200, other=200)),
    *_rows("GET", EXPORTS + "doni/?format=ods", changers(400, other=400)),
    *_rows("GET", EXPORTS + "donatori/?format=csv", changers(200, other=200)),
    *_rows("GET", EXPORTS + "totali-annui/", changers(200, other=400), data=YEARLY),
]


@pytest.fixture
def world(db):
    org = collector()
    owner = fundraiser(org)
    campaign = CampaignFactory(organisation=org)
    donor = DonorFactory(first_name="Anna", last_name="Bianchi")
    now = timezone.now()
    pledge = DonationFactory(campaign=campaign, donor=donor, causale="DONO-PERM22")
    received = DonationFactory(
        campaign=campaign,
        donor=donor,
        status=DonationStatus.RECEIVED,
        received_at=now,
        date=dt.date(2026, 1, 5),
    )
    bare = DonationFactory(
        campaign=campaign, donor=donor, status=DonationStatus.RECEIVED, received_at=now
    )
    receipt = receipt_issue(donation=received, by=owner)
    monthly = recurring_start(
        donor=donor, amount="10", method=Method.BANK_TRANSFER, organisation=org, by=owner
    )
    return {
        "users": {"owner": owner},
        "org": org,
        "campaign": campaign,
        "donor": donor,
        "pledge": pledge,
        "received": received,
        "bare": bare,
        "receipt": receipt,
        "monthly": monthly,
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_desk_gifts_page_permissions(row, world, matrix_client):
    check_row(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(EVERYONE)


def test_every_gifts_route_has_a_row():
    from fundraising.views import manage_gifts

    routes = [f"fundraising/{r}" for r in _walk(manage_gifts.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
