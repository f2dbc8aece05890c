"""Permission matrix of the public fundraising pages (fundraising/views/public.py); see
tests/permissions.py.

The world: ``open`` (published, collecting), ``closed`` and ``draft`` campaigns of one
collecting organisation, whose fundraiser is ``owner``; ``donation``, a bank-transfer
pledge to ``open``. Published and closed campaigns are everybody's, anonymous visitors
included (200); a draft exists only for its fundraisers and the network administrators,
who read everything (200), for everybody else it does not exist (404). Everybody may
give to a collecting campaign (302 to the thanks page); a gift to a closed campaign is
refused (400), to a draft not found (404) — its readers get the refusal (400). The
thanks page is reached by the pledge's public id (200 for anybody holding it), an
unknown id is 404.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from fundraising.models import CampaignStatus, DonorKind, Method
from legami.roles import Role
from tests.fundraising.factories import CampaignFactory, DonationFactory, collector, fundraiser
from tests.permissions import ROLES, Row, rows
from tests.permissions import check as check_row
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("owner",)
EVERYONE = (*ROLES, *EXTRA)
Expected = dict[str, int | tuple[int, ...]]

OPEN = "/fundraising/campagne/{open.slug}/"
CLOSED = "/fundraising/campagne/{closed.slug}/"
DRAFT = "/fundraising/campagne/{draft.slug}/"
THANKS = "/fundraising/dono/{donation.public_id}/"
UNKNOWN = "/fundraising/dono/00000000-0000-4000-8000-000000000000/"
GIFT = {
    "amount": "25",
    "method": Method.BANK_TRANSFER,
    "kind": DonorKind.PERSON,
    "first_name": "Anna",
    "last_name": "Bianchi",
    "email": "anna.bianchi@example.org",
}

DRAFT_READERS: Expected = {Role.NETWORK_ADMIN: 200, "owner": 200}
DRAFT_GIVE: Expected = {Role.NETWORK_ADMIN: 400, "owner": 400}


def _rows(method: str, url: str, expected: Expected, default: int, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=default, roles=EVERYONE, **kwargs)


ROWS: list[Row] = [
    *_rows("GET", "/fundraising/campagne/", {}, 200),
    *_rows("GET", OPEN, {}, 200),
    *_rows("GET", CLOSED, {}, 200),
    *_rows("GET", DRAFT, DRAFT_READERS, 404),
    *_rows("GET", OPEN + "dona/", {}, 405),
    *_rows("POST", OPEN + "dona/", {}, 302, data=GIFT),
    *_rows("POST", OPEN + "dona/", {}, 400, data={**GIFT, "email": ""}),
    *_rows("POST", CLOSED + "dona/", {}, 400, data=GIFT),
    *_rows("POST", DRAFT + "dona/", DRAFT_GIVE, 404, data=GIFT),
    *_rows("GET", THANKS, {}, 200),
    *_rows("GET", UNKNOWN, {}, 404),
    *_rows("POST", THANKS, {}, 405),
]


@pytest.fixture
def world(db):
    organisation = collector()
    owner = fundraiser(organisation)
    open_campaign = CampaignFactory(organisation=organisation)
    closed = CampaignFactory(
        organisation=organisation, status=CampaignStatus.CLOSED, closed_at=timezone.now()
    )
    draft = CampaignFactory(organisation=organisation, status=CampaignStatus.DRAFT)
    donation = DonationFactory(campaign=open_campaign, causale="DONO-TEST22")
    return {
        "users": {"owner": owner},
        "open": open_campaign,
        "closed": closed,
        "draft": draft,
        "donation": donation,
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_public_fundraising_page_permissions(row, world, matrix_client):
    check_row(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(EVERYONE)


def test_public_pages_are_open_to_anonymous_visitors():
    anonymous = {(r.method, r.url): r.status for r in ROWS if r.role == "anonymous"}
    assert anonymous[("GET", "/fundraising/campagne/")] == 200
    assert anonymous[("GET", OPEN)] == anonymous[("GET", CLOSED)] == 200
    assert anonymous[("GET", DRAFT)] == 404


def test_every_public_fundraising_route_has_a_row():
    from fundraising.views import public

    routes = [f"fundraising/{r}" for r in _walk(public.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
