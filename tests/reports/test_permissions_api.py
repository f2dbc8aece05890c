"""Permission matrix of the reports API, /api/v1/reports/ (see tests/permissions.py).

Besides the project's roles: ``own_admin`` and ``own_coordinator``, an ambito
administrator and a service coordinator at an organisation serving the ambito under
test. The ``ambito_admin`` and ``coordinator`` roles serve no ambito: they may read some
report (the list answers, empty) and do not find this one (404). Network administrators
read every ambito's; every other role is refused (403); anonymous callers are asked to
authenticate (401). Only GET is answered (405). What the report holds is in test_api.py.
"""

from __future__ import annotations

import pytest

from legami.roles import Role
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory
from tests.permissions import ROLES, Row, check, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("own_admin", "own_coordinator")
EVERYONE = (*ROLES, *EXTRA)
API = "/api/v1/reports/"
REPORT = API + "{ambito.code}/2026/"

BASE = {"anonymous": 401}
OWN = dict.fromkeys(EXTRA, 200)
# Roles that may read some report, but not this ambito's.
ELSEWHERE = dict.fromkeys((Role.AMBITO_ADMIN, Role.COORDINATOR), 404)
READ = {**BASE, **OWN, **ELSEWHERE, Role.NETWORK_ADMIN: 200}

ROWS: list[Row] = [
    *rows(
        "GET",
        API,
        {**BASE, **OWN, **dict.fromkeys(ELSEWHERE, 200), Role.NETWORK_ADMIN: 200},
        default=403,
        roles=EVERYONE,
        ids={
            **dict.fromkeys(EXTRA, "own"),
            **dict.fromkeys(ELSEWHERE, "nothing"),
            Role.NETWORK_ADMIN: "all",
        },
        id_field="code",
    ),
    *rows("GET", REPORT, READ, default=403, roles=EVERYONE),
    *rows(
        "GET",
        REPORT + "?comune={comune.pk}&area=pacts&area=labs",
        READ,
        default=403,
        roles=EVERYONE,
    ),
    # A malformed period: 400 for whoever may read the ambito; the rest as above.
    *rows(
        "GET",
        API + "{ambito.code}/2026-13/",
        {**READ, **dict.fromkeys(EXTRA, 400), Role.NETWORK_ADMIN: 400},
        default=403,
        roles=EVERYONE,
    ),
    *rows("POST", API, BASE, default=405, roles=EVERYONE),
    *rows("POST", REPORT, BASE, default=405, roles=EVERYONE),
    *rows("DELETE", REPORT, BASE, default=405, roles=EVERYONE),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    ambito, other = AmbitoFactory(), AmbitoFactory()
    users = {}
    for name, role in (("own_admin", Role.AMBITO_ADMIN), ("own_coordinator", Role.COORDINATOR)):
        user = make_user(f"{name}@matrix.example.org")
        MembershipFactory(user=user, organisation=OrganisationFactory(ambiti=[ambito]), role=role)
        enable_totp(user)
        users[name] = user
    return {
        "users": users,
        "ambito": ambito,
        "comune": ComuneFactory(ambito=ambito),
        "own": {ambito.code},
        "all": {ambito.code, other.code},
        "nothing": set(),
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_reports_api_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= {*ROLES, *EXTRA}


def test_every_reports_api_route_has_a_row():
    """Every route of reports/api_urls.py is named by a row."""
    from reports import api_urls

    routes = [f"api/v1/{r}" for r in _walk(api_urls.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
