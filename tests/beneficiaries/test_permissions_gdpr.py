"""Permission matrix of the GDPR export and case-list import pages (see tests/permissions.py).

Besides the project's roles, ``assigned_operator``: the social worker following the
person's case (who reads the file but may not export it). The coordinator works for an
organisation serving the person's ambito.
"""

from __future__ import annotations

import pytest

from legami.roles import Role
from tests.beneficiaries.factories import assign
from tests.legami.factories import AmbitoFactory
from tests.permissions import ROLES, Row, check, make_role_user, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("assigned_operator",)
EVERYONE = (*ROLES, *EXTRA)
LOGIN = {"anonymous": 302}
COORDINATOR_ONLY = {**LOGIN, Role.COORDINATOR: 200}

PERSON = "/cases/p/{person.public_id}"

ROWS: list[Row] = [
    *rows("GET", PERSON + "/export.json", COORDINATOR_ONLY, default=403, roles=EVERYONE),
    *rows("GET", PERSON + "/export.pdf", COORDINATOR_ONLY, default=403, roles=EVERYONE),
    *rows("POST", PERSON + "/export.json", {**LOGIN}, default=(403, 405), roles=EVERYONE),
    *rows("GET", "/cases/import/", COORDINATOR_ONLY, default=403, roles=EVERYONE),
    # An empty upload: the coordinator sees the form again with its errors.
    *rows("POST", "/cases/import/", COORDINATOR_ONLY, default=403, roles=EVERYONE),
    # Confirming with no file checked: the coordinator is asked to upload again.
    *rows(
        "POST",
        "/cases/import/",
        COORDINATOR_ONLY,
        default=403,
        roles=EVERYONE,
        data={"step": "confirm", "mode": "all"},
    ),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    ambito = AmbitoFactory(code="cremona", name="Ambito di Cremona")
    users = {role: make_role_user(make_user, enable_totp, role) for role in ROLES}
    users.pop("anonymous")
    users[Role.COORDINATOR].memberships.get().organisation.ambiti.add(ambito)
    operator = make_user("assegnata@example.org", role=Role.OPERATOR)
    enable_totp(operator)
    users["assigned_operator"] = operator
    case = assign(operator, ambito=ambito)
    return {"users": users, "person": case.person}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_gdpr_and_import_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(EVERYONE)


def test_every_gdpr_and_import_route_has_a_row():
    from beneficiaries.views import gdpr, imports

    routes = [f"cases/{r}" for r in _walk([*gdpr.urlpatterns, *imports.urlpatterns])]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
