"""Permission matrix of the core's pages and API (see tests/permissions.py)."""

from __future__ import annotations

import pytest

from legami.models import Ambito, Comune
from legami.roles import Role
from tests.permissions import ROLES, STAFF_ROLES, check, rows

SIGNED_IN = {role: 200 for role in ROLES if role != "anonymous"}
TO_LOGIN = {"anonymous": 302}
API_SIGNED_IN = {role: 200 for role in ROLES if role != "anonymous"}
API_ANONYMOUS = {"anonymous": 401}
LOG_READERS = {Role.DPO: 200, Role.COORDINATOR: 200}
AMBITI_LIST = {role: "ambiti" for role in ROLES if role != "anonymous"}
COMUNI_LIST = {role: "comuni" for role in ROLES if role != "anonymous"}

ROWS = [
    *rows("GET", "/", {}, default=200),
    *rows("GET", "/health/", {}, default=200),
    *rows("GET", "/dashboard/", {**TO_LOGIN, **SIGNED_IN}),
    *rows("GET", "/account/access-report/", {**TO_LOGIN, **SIGNED_IN}),
    *rows("GET", "/audit/access/", {**TO_LOGIN, **LOG_READERS}, default=403),
    *rows("GET", "/audit/access/export.csv", {**TO_LOGIN, **LOG_READERS}, default=403),
    *rows("GET", "/api/schema/", {}, default=200),
    *rows("GET", "/api/docs/", {}, default=200),
    *rows("GET", "/api/v1/", {**API_ANONYMOUS, **API_SIGNED_IN}),
    *rows("GET", "/api/v1/me/", {**API_ANONYMOUS, **API_SIGNED_IN}),
    *rows(
        "GET",
        "/api/v1/ambiti/",
        {**API_ANONYMOUS, **API_SIGNED_IN},
        ids=AMBITI_LIST,
        id_field="code",
    ),
    *rows("GET", "/api/v1/ambiti/{ambito.code}/", {**API_ANONYMOUS, **API_SIGNED_IN}),
    *rows(
        "GET",
        "/api/v1/comuni/",
        {**API_ANONYMOUS, **API_SIGNED_IN},
        ids=COMUNI_LIST,
        id_field="belfiore_code",
    ),
    *rows("GET", "/api/v1/comuni/{comune.belfiore_code}/", {**API_ANONYMOUS, **API_SIGNED_IN}),
]


@pytest.fixture
def world(db):
    ambito = Ambito.objects.create(code="crema", name="Ambito di Crema", managing_body="CSC")
    comune = Comune.objects.create(belfiore_code="D142", name="Crema", province="CR", ambito=ambito)
    return {"ambito": ambito, "comune": comune, "ambiti": {"crema"}, "comuni": {"D142"}}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_core_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_staff_role():
    assert {row.role for row in ROWS} >= set(STAFF_ROLES) | {"anonymous", "citizen"}
