"""Permission matrix of the desk's bank statements pages (fundraising/views/manage_bank.py);
see tests/permissions.py.

The world: one collecting organisation, whose fundraiser is ``owner``, with a
``statement`` holding ``waiting`` (a credit to review), ``paid`` (a credit matched to a
gift) and ``pledge``, a pledged gift of the waiting credit's amount. The pages are the
fundraisers' (the ``fundraiser`` role, held at another organisation, has its own bank
pages, without this statement or these credits: 404) and the network administrators',
who read and change nothing (403 on every change). Everybody else is refused (403);
anonymous visitors are sent to log in (302). An upload without a file is refused (400);
the happy paths are in test_bank_pages.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fundraising.models import BankEntry, BankStatement, DonationStatus, EntryStatus
from legami.roles import Role
from tests.fundraising.factories import CampaignFactory, DonationFactory, collector, fundraiser
from tests.permissions import ROLES, Row, rows
from tests.permissions import check as check_row
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("owner",)
EVERYONE = (*ROLES, *EXTRA)
Expected = dict[str, int | tuple[int, ...]]

BANK = "/fundraising/gestione/banca/"
STATEMENT = BANK + "estratti/{statement.pk}/"
WAITING = BANK + "movimenti/{waiting.pk}/"
PAID = BANK + "movimenti/{paid.pk}/"

# The desk's lists: every fundraiser (their own organisations') and the administrators.
LIST: Expected = {"anonymous": 302, Role.NETWORK_ADMIN: 200, "owner": 200, Role.FUNDRAISER: 200}
# This organisation's records: its fundraiser and the administrators.
READ: Expected = {**LIST, Role.FUNDRAISER: 404}
# A change: the owner's; administrators only read.
DONE: Expected = {**READ, Role.NETWORK_ADMIN: 403, "owner": 302}
REFUSED: Expected = {**DONE, "owner": 400}
NOT_ALLOWED: Expected = {"anonymous": 302}


def _rows(method: str, url: str, expected: Expected, default: int, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=default, roles=EVERYONE, **kwargs)


ROWS: list[Row] = [
    *_rows("GET", BANK, LIST, 403),
    *_rows("GET", BANK + "?page=2", LIST, 403),
    # An upload without a file comes back refused; administrators import nothing.
    *_rows(
        "POST",
        BANK + "importa/",
        {**LIST, Role.NETWORK_ADMIN: 403, "owner": 400, Role.FUNDRAISER: 400},
        403,
        data={"organisation": "{org.pk}"},
    ),
    *_rows("GET", BANK + "importa/", NOT_ALLOWED, 405),
    *_rows("GET", STATEMENT, READ, 403),
    *_rows("GET", STATEMENT + "stato/", READ, 403),
    *_rows("POST", STATEMENT, NOT_ALLOWED, 405),
    *_rows("GET", BANK + "da-rivedere/", LIST, 403),
    *_rows("GET", WAITING, READ, 403),
    *_rows("GET", PAID, READ, 403),
    *_rows("POST", WAITING + "conferma/", DONE, 403, data={"donation": "{pledge.pk}"}),
    *_rows("POST", WAITING + "conferma/", REFUSED, 403, data={"causale": "DONO-NONE22"}),
    *_rows("POST", PAID + "conferma/", REFUSED, 403, data={"donation": "{pledge.pk}"}),
    *_rows("POST", WAITING + "nuovo-dono/", DONE, 403, data={}),
    *_rows("POST", PAID + "nuovo-dono/", REFUSED, 403, data={}),
    *_rows("POST", WAITING + "ignora/", DONE, 403),
    *_rows("POST", PAID + "ignora/", REFUSED, 403),
    *_rows("GET", WAITING + "ignora/", NOT_ALLOWED, 405),
]


@pytest.fixture
def world(db):
    organisation = collector()
    owner = fundraiser(organisation)
    campaign = CampaignFactory(organisation=organisation)
    pledge = DonationFactory(campaign=campaign, amount=Decimal("40.00"))
    received = DonationFactory(
        campaign=campaign,
        amount=Decimal("25.00"),
        status=DonationStatus.RECEIVED,
        received_at=timezone.now(),
    )
    statement = BankStatement.objects.create(
        organisation=organisation, format="csv", file_name="ottobre.csv", sha256="a" * 64
    )
    day = dt.date(2026, 10, 5)
    common = {"statement": statement, "organisation": organisation, "booked_on": day}
    waiting = BankEntry.objects.create(
        **common,
        reference="R1",
        amount=Decimal("40.00"),
        counterparty="Anna Verdi",
        status=EntryStatus.UNMATCHED,
    )
    paid = BankEntry.objects.create(
        **common,
        reference="R2",
        amount=Decimal("25.00"),
        status=EntryStatus.MATCHED,
        donation=received,
    )
    return {
        "users": {"owner": owner},
        "org": organisation,
        "statement": statement,
        "waiting": waiting,
        "paid": paid,
        "pledge": pledge,
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_bank_desk_permissions(row, world, matrix_client):
    check_row(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(EVERYONE)


def test_every_bank_route_has_a_row():
    from fundraising.views import manage_bank

    routes = [f"fundraising/{r}" for r in _walk(manage_bank.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
