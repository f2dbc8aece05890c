"""Permission matrix of the two dashboards of the reports app (reports/dashboards.py);
see tests/permissions.py.

The coordination dashboard (/reports/coordinamento/) is for service coordinators only:
the coordinator's organisation serves the ambito ``cremona``, not ``crema``, so asking
for ``crema`` finds nothing (404). Every other role, ambito and network administrators
included, is refused (403); anonymous visitors are sent to log in (302). The network in
figures (/reports/numeri/) is open to everyone. Both are read only (405 on POST). What
they show is in test_dashboards.py.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from legami.roles import Role
from tests.legami.factories import AmbitoFactory
from tests.permissions import ROLES, Row, check, make_role_user, rows

Expected = dict[str, int | tuple[int, ...]]
LOGIN: Expected = {"anonymous": 302}

COORDINATION = "/reports/coordinamento/"
COORDINATION_OWN = "/reports/coordinamento/?ambito={ambito.code}"
COORDINATION_OTHER = "/reports/coordinamento/?ambito={other.code}"
PUBLIC = "/reports/numeri/"

ROWS: list[Row] = [
    *rows("GET", COORDINATION, {**LOGIN, Role.COORDINATOR: 200}, default=403),
    *rows("GET", COORDINATION_OWN, {**LOGIN, Role.COORDINATOR: 200}, default=403),
    *rows("GET", COORDINATION_OTHER, {**LOGIN, Role.COORDINATOR: 404}, default=403),
    *rows("POST", COORDINATION, LOGIN, default=405),
    *rows("GET", PUBLIC, {}, default=200),
    *rows("POST", PUBLIC, {}, default=405),
]


@pytest.fixture
def world(db, make_user, enable_totp, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "permissions-dashboards",
        }
    }
    cache.clear()
    cremona = AmbitoFactory(code="cremona", name="Ambito di Cremona")
    crema = AmbitoFactory(code="crema", name="Ambito di Crema")
    users = {role: make_role_user(make_user, enable_totp, role) for role in ROLES}
    users.pop("anonymous")
    for role in (Role.AMBITO_ADMIN, Role.COORDINATOR):
        users[role].memberships.get().organisation.ambiti.set([cremona])
    return {"users": users, "ambito": cremona, "other": crema}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_dashboard_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    for url in (COORDINATION, COORDINATION_OWN, COORDINATION_OTHER, PUBLIC):
        assert {row.role for row in ROWS if row.url == url and row.method == "GET"} == set(ROLES)
