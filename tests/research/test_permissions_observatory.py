"""Permission matrix of the vulnerability observatory (research/views/observatory.py);
see tests/permissions.py.

Researchers, ambito administrators and network administrators read the observatory;
anonymous visitors are sent to the login page (302); everybody else (citizens, social
workers, coordinators, partner staff, facilitators, fundraisers, the DPO) is refused
(403). The page is GET only (405). It names no person: the world's person is never on it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from legami.roles import Role
from tests.beneficiaries.factories import IntakeFactory, PersonAreaFactory, PersonFactory
from tests.permissions import ROLES, Row, check, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

URL = "/research/osservatorio/"
READERS = (Role.RESEARCHER, Role.AMBITO_ADMIN, Role.NETWORK_ADMIN)
READ: dict[str, int | tuple[int, ...]] = {"anonymous": 302, **dict.fromkeys(READERS, 200)}
POST: dict[str, int | tuple[int, ...]] = {"anonymous": 302}

ROWS: list[Row] = [
    *rows("GET", URL, READ, default=403),
    # login_required first, then require_GET: 405 for everyone logged in.
    *rows("POST", URL, POST, default=405),
]


@pytest.fixture
def world(db):
    person = PersonFactory(last_name="Zanardelli")
    PersonAreaFactory(person=person)
    IntakeFactory(person=person, date=timezone.localdate() - dt.timedelta(days=3))
    return {"person": person}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_observatory_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


@pytest.mark.parametrize("role", READERS)
def test_readers_never_see_a_person(role, world, matrix_client):
    html = matrix_client(role, world).get(URL).content.decode()
    assert "Zanardelli" not in html
    assert str(world["person"].public_id) not in html


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(ROLES)


def test_every_observatory_route_has_a_row():
    from research.views import observatory

    routes = [f"research/{r}" for r in _walk(observatory.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
