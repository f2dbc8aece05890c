"""Permission matrix of the ecomap and assessment pages and API (see tests/permissions.py).

Besides the project's roles, ``assigned_worker``: a social worker assigned to the case of
the person under test. The coordinator's organisation serves the case's ambito; the
``operator`` role is a social worker not assigned to the case. Everyone else logged in
is told the person does not exist (404) on pages; the API refuses (403) roles that reach
no file at all before looking the person up.
"""

from __future__ import annotations

import pytest

from beneficiaries.models import Assessment, AssessmentKind, EcomapSnapshot, Tie
from legami.roles import Role
from tests.beneficiaries.matrix import CASE_READERS, EVERYONE, EXTRA, case_file_world
from tests.permissions import ROLES, Row, check, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

P = "/cases/p/{person.public_id}"
API = "/api/v1/persons/{person.public_id}"

PAGE = {"anonymous": 302, **dict.fromkeys(CASE_READERS, 200)}
FORM_POST = {"anonymous": 302, **dict.fromkeys(CASE_READERS, 302)}
MOVE = {"anonymous": 302, **dict.fromkeys(CASE_READERS, 200)}
# The API: roles that reach no file are refused by the policy; a social worker who is
# not assigned to the case does not find the person.
API_BASE = {"anonymous": 401, Role.OPERATOR: 404}
API_READ = {**API_BASE, **dict.fromkeys(CASE_READERS, 200)}
API_CREATE = {**API_BASE, **dict.fromkeys(CASE_READERS, 201)}
API_DELETE = {**API_BASE, **dict.fromkeys(CASE_READERS, 204)}

TIE = {
    "label": "Vicina di casa",
    "kind": "neighbour",
    "strength": "weak",
    "quality": "supportive",
    "direction": "to_person",
    "frequency": "weekly",
    "note": "",
}
LSNS6 = {"kind": "lsns6", "lsns6-date": "2025-03-01"} | {f"lsns6-q{n}": "2" for n in range(1, 7)}

ROWS: list[Row] = [
    # --- Pages ---------------------------------------------------------------------------
    *rows("GET", P + "/ecomap/", PAGE, default=404, roles=EVERYONE),
    *rows("GET", P + "/ecomap/?edit={tie.pk}", PAGE, default=404, roles=EVERYONE),
    *rows("POST", P + "/ecomap/ties/", FORM_POST, default=404, roles=EVERYONE, data=TIE),
    *rows("POST", P + "/ecomap/ties/{tie.pk}/", FORM_POST, default=404, roles=EVERYONE, data=TIE),
    *rows("POST", P + "/ecomap/ties/{tie.pk}/remove/", FORM_POST, default=404, roles=EVERYONE),
    *rows(
        "POST",
        P + "/ecomap/ties/{tie.pk}/move/",
        MOVE,
        default=404,
        roles=EVERYONE,
        data={"angle": "30", "distance": "0.5"},
    ),
    *rows("POST", P + "/ecomap/snapshots/", FORM_POST, default=404, roles=EVERYONE),
    *rows(
        "GET",
        P + "/ecomap/compare/?a={snap_a.pk}&b={snap_b.pk}",
        PAGE,
        default=404,
        roles=EVERYONE,
    ),
    *rows("GET", P + "/assessments/", PAGE, default=404, roles=EVERYONE),
    *rows("POST", P + "/assessments/new/", FORM_POST, default=404, roles=EVERYONE, data=LSNS6),
    # --- API -----------------------------------------------------------------------------
    *rows(
        "GET",
        API + "/ties/",
        API_READ,
        default=403,
        roles=EVERYONE,
        ids=dict.fromkeys(CASE_READERS, "ties"),
    ),
    *rows("POST", API + "/ties/", API_CREATE, default=403, roles=EVERYONE, data=TIE),
    *rows("GET", API + "/ties/{tie.pk}/", API_READ, default=403, roles=EVERYONE),
    *rows(
        "PATCH",
        API + "/ties/{tie.pk}/",
        API_READ,
        default=403,
        roles=EVERYONE,
        data={"strength": "strong"},
    ),
    *rows("DELETE", API + "/ties/{tie.pk}/", API_DELETE, default=403, roles=EVERYONE),
    *rows(
        "GET",
        API + "/assessments/",
        API_READ,
        default=403,
        roles=EVERYONE,
        ids=dict.fromkeys(CASE_READERS, "assessments"),
    ),
    *rows(
        "POST",
        API + "/assessments/",
        API_CREATE,
        default=403,
        roles=EVERYONE,
        data={"kind": "ucla3", "answers": [1, 2, 3]},
    ),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    base = case_file_world(make_user, enable_totp)
    users, case = base["users"], base["case"]
    person = case.person
    tie = Tie.objects.create(person=person, label="Anna, sorella", kind="family")
    snap_a = EcomapSnapshot.objects.create(person=person, ties=[])
    snap_b = EcomapSnapshot.objects.create(person=person, ties=[{"id": tie.pk, "label": "Anna"}])
    assessment = Assessment.objects.create(
        person=person,
        kind=AssessmentKind.UCLA3,
        answers=[1, 1, 1],
        total=3,
        at_risk=False,
    )
    return {
        "users": users,
        "person": person,
        "tie": tie,
        "snap_a": snap_a,
        "snap_b": snap_b,
        "ties": {tie.pk},
        "assessments": {assessment.pk},
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_ecomap_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= {*ROLES, *EXTRA}


def test_every_ecomap_route_has_a_row():
    """Every page of beneficiaries/views/ecomap.py and every ties or assessments route of
    beneficiaries/api_urls.py is named by a row (persons and cases: test_permissions_api)."""
    from beneficiaries import api_urls
    from beneficiaries.views import ecomap

    routes = [f"cases/{r}" for r in _walk(ecomap.urlpatterns)] + [
        f"api/v1/{r.lstrip('^')}"
        for r in _walk(api_urls.urlpatterns)
        if "(?P<format>" not in r and ("/ties/" in r or "/assessments/" in r)
    ]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
