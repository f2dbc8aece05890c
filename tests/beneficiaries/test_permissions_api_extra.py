"""Permission matrix of the household, intakes and restriction API of a person (see
tests/permissions.py and test_permissions_api, whose roles these rows share).

``assigned_worker`` is a social worker assigned to the person's case; the coordinator's
organisation serves the case's ambito; the ``operator`` role is a social worker who is
not assigned and does not find the person (404). Roles that reach no file at all are
refused (403) by the policy before the person is looked up.
"""

from __future__ import annotations

import pytest

from legami.roles import Role
from tests.beneficiaries.factories import HouseholdMemberFactory, IntakeFactory
from tests.beneficiaries.matrix import CASE_READERS, EVERYONE, EXTRA, case_file_world
from tests.permissions import ROLES, Row, check, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

PERSON = "/api/v1/persons/{person.public_id}"

ON_FILE = {"anonymous": 401, Role.OPERATOR: 404}
READ = {**ON_FILE, **dict.fromkeys(CASE_READERS, 200)}
CREATED = {**ON_FILE, **dict.fromkeys(CASE_READERS, 201)}
DELETED = {**ON_FILE, **dict.fromkeys(CASE_READERS, 204)}

ROWS: list[Row] = [
    *rows(
        "GET",
        PERSON + "/household/",
        READ,
        default=403,
        roles=EVERYONE,
        ids=dict.fromkeys(CASE_READERS, "household"),
    ),
    *rows(
        "POST",
        PERSON + "/household/",
        CREATED,
        default=403,
        roles=EVERYONE,
        data={"relation": "child", "first_name": "Luca"},
    ),
    *rows("DELETE", PERSON + "/household/{member.pk}/", DELETED, default=403, roles=EVERYONE),
    *rows(
        "GET",
        PERSON + "/intakes/",
        READ,
        default=403,
        roles=EVERYONE,
        ids=dict.fromkeys(CASE_READERS, "intakes"),
    ),
    # Recording an intake at the social workers' service: the coordinator does not work
    # there.
    *rows(
        "POST",
        PERSON + "/intakes/",
        {**ON_FILE, "assigned_worker": 201, Role.COORDINATOR: 403},
        default=403,
        roles=EVERYONE,
        data={"channel": "family", "organisation": "{operator_org.pk}", "ambito": "{ambito.pk}"},
    ),
    *rows(
        "POST",
        PERSON + "/restriction/",
        READ,
        default=403,
        roles=EVERYONE,
        data={"restricted": True, "reason": "Accuracy contested"},
    ),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    base = case_file_world(make_user, enable_totp)
    users, cremona, case = base["users"], base["ambito"], base["case"]
    member = HouseholdMemberFactory(person=case.person)
    intake = IntakeFactory(person=case.person, organisation=case.organisation, ambito=cremona)
    return {
        "users": users,
        "person": case.person,
        "ambito": cremona,
        "operator_org": case.organisation,
        "member": member,
        "household": {member.pk},
        "intakes": {intake.pk},
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_persons_api_extra_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= {*ROLES, *EXTRA}


@pytest.mark.parametrize("part", ["/household/", "/intakes/", "/restriction/"])
def test_every_route_of_the_part_has_a_row(part):
    """The routes left out of test_permissions_api's route check are named here."""
    from beneficiaries import api_urls

    routes = [
        f"api/v1/{r.lstrip('^')}"
        for r in _walk(api_urls.urlpatterns)
        if "(?P<format>" not in r and part in r
    ]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
