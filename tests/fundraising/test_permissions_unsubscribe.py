"""Permission matrix of the unsubscribe page of the news mails
(fundraising/views/public_consent.py); see tests/permissions.py.

The world: ``donor`` gave to a collecting organisation (whose fundraiser is ``owner``)
and agreed to hear from it; ``token`` is the signed token of their unsubscribe link,
``bad`` the same token with its signature changed. The page needs no login: whoever
holds a valid link, signed in or not and whatever their role, is asked (GET 200) and
may withdraw that donor's consent (POST 200, the confirmation; again, 200 saying it was
already done). A changed link is not found for anybody (404), GET or POST. Only GET and
POST are answered (PUT 405).
"""

from __future__ import annotations

import pytest

from fundraising.models import ConsentChange
from fundraising.services.donors import consent_set, unsubscribe_token
from tests.fundraising.factories import DonorFactory, collector, fundraiser
from tests.permissions import ROLES, Row, rows
from tests.permissions import check as check_row
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("owner",)
EVERYONE = (*ROLES, *EXTRA)
Expected = dict[str, int | tuple[int, ...]]

VALID = "/fundraising/notizie/basta/{token}/"
BAD = "/fundraising/notizie/basta/{bad}/"


def _rows(method: str, url: str, expected: Expected, default: int, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=default, roles=EVERYONE, **kwargs)


ROWS: list[Row] = [
    *_rows("GET", VALID, {}, 200),
    *_rows("POST", VALID, {}, 200),
    *_rows("PUT", VALID, {}, 405),
    *_rows("GET", BAD, {}, 404),
    *_rows("POST", BAD, {}, 404),
]


@pytest.fixture
def world(db):
    organisation = collector()
    owner = fundraiser(organisation)
    donor = DonorFactory()
    consent_set(donor=donor, organisation=organisation, given=True, source="form")
    token = unsubscribe_token(donor, organisation)
    payload, signature = token.rsplit(":", 1)
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    return {
        "users": {"owner": owner},
        "donor": donor,
        "organisation": organisation,
        "token": token,
        "bad": f"{payload}:{flipped}",
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_unsubscribe_page_permissions(row, world, matrix_client):
    before = ConsentChange.objects.count()
    check_row(row, matrix_client(row.role, world), world)
    changes = ConsentChange.objects.filter(donor=world["donor"], given=False)
    if row.method == "POST" and row.url == VALID:
        assert changes.get().source == "unsubscribe link"
    else:
        assert ConsentChange.objects.count() == before


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(EVERYONE)


def test_the_page_is_open_to_anonymous_visitors():
    anonymous = {(r.method, r.url): r.status for r in ROWS if r.role == "anonymous"}
    assert anonymous[("GET", VALID)] == anonymous[("POST", VALID)] == 200
    assert anonymous[("GET", BAD)] == anonymous[("POST", BAD)] == 404


def test_every_unsubscribe_route_has_a_row():
    from fundraising.views import public_consent

    routes = [f"fundraising/{r}" for r in _walk(public_consent.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
