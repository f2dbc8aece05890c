"""Permission matrix of the piano di zona report pages (reports/views.py); see
tests/permissions.py.

The organisations of the ambito administrator and of the coordinator serve the ambito
``cremona``, not ``crema``. They read the list and the report of their ambito (200) and
are told another ambito's report does not exist (404); network administrators read every
ambito. Every other role reads no report at all (403); anonymous visitors are sent to log
in (302). A malformed period is a bad request (400) for whoever may read reports. The
pages are read only (405 on POST). What the pages show is in test_pages.py.
"""

from __future__ import annotations

import pytest

from legami.roles import Role
from tests.legami.factories import AmbitoFactory
from tests.permissions import ROLES, Row, check, make_role_user, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

Expected = dict[str, int | tuple[int, ...]]
LOGIN: Expected = {"anonymous": 302}
READERS = (Role.AMBITO_ADMIN, Role.COORDINATOR, Role.NETWORK_ADMIN)

LIST = "/reports/"
OWN = "/reports/{ambito.code}/2026/"
OTHER = "/reports/{other.code}/2026-Q1/"
BAD_PERIOD = "/reports/{ambito.code}/2026-13/"

ROWS: list[Row] = [
    *rows("GET", LIST, {**LOGIN, **dict.fromkeys(READERS, 200)}, default=403),
    *rows("POST", LIST, LOGIN, default=405),
    *rows("GET", OWN, {**LOGIN, **dict.fromkeys(READERS, 200)}, default=403),
    *rows(
        "GET",
        OTHER,
        {**LOGIN, Role.AMBITO_ADMIN: 404, Role.COORDINATOR: 404, Role.NETWORK_ADMIN: 200},
        default=403,
    ),
    *rows("GET", BAD_PERIOD, {**LOGIN, **dict.fromkeys(READERS, 400)}, default=403),
    *rows("POST", OWN, LOGIN, default=405),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    cremona = AmbitoFactory(code="cremona", name="Ambito di Cremona")
    crema = AmbitoFactory(code="crema", name="Ambito di Crema")
    users = {role: make_role_user(make_user, enable_totp, role) for role in ROLES}
    users.pop("anonymous")
    for role in (Role.AMBITO_ADMIN, Role.COORDINATOR):
        users[role].memberships.get().organisation.ambiti.set([cremona])
    return {"users": users, "ambito": cremona, "other": crema}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_report_page_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    for url in (LIST, OWN, OTHER, BAD_PERIOD):
        assert {row.role for row in ROWS if row.url == url and row.method == "GET"} == set(ROLES)


def test_every_report_route_has_a_row():
    from reports import urls

    # The rows of every reports matrix (pages, dashboards, exports).
    from tests.test_permission_matrix import all_rows

    routes = [f"reports/{r}" for r in _walk(urls.urlpatterns)]
    concrete = {_concrete(row.url) for row in all_rows() if row.url.startswith("/reports/")}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
