"""Permission matrix of the desk's home page (fundraising/views/manage.py); see
tests/permissions.py.

The desk is for the people who see an organisation's bank entries: its fundraisers
(``owner`` here; the ``fundraiser`` role holds the same job at another organisation and
gets its own desk) and the network administrators, who read it (200). Everybody else is
refused (403); anonymous visitors are sent to log in (302); it is read only (405 on
POST). What the desk shows to whom is in test_desk.py.
"""

from __future__ import annotations

import pytest

from legami.roles import Role
from tests.fundraising.factories import CampaignFactory, collector, fundraiser
from tests.permissions import ROLES, Row, rows
from tests.permissions import check as check_row
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("owner",)
EVERYONE = (*ROLES, *EXTRA)
DESK = "/fundraising/gestione/"
READERS = {"anonymous": 302, Role.NETWORK_ADMIN: 200, Role.FUNDRAISER: 200, "owner": 200}

ROWS: list[Row] = [
    *rows("GET", DESK, READERS, default=403, roles=EVERYONE),
    *rows("POST", DESK, {"anonymous": 302}, default=405, roles=EVERYONE),
]


@pytest.fixture
def world(db):
    organisation = collector()
    CampaignFactory(organisation=organisation)
    return {"users": {"owner": fundraiser(organisation)}}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_desk_home_permissions(row, world, matrix_client):
    check_row(row, matrix_client(row.role, world), world)


def test_every_desk_home_route_has_a_row():
    from fundraising.views import manage

    routes = [f"fundraising/{r}" for r in _walk(manage.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
