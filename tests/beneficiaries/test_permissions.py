"""Permission matrix of the case-file pages: the list, new file, person page, summary and
the forms that change a file (see tests/permissions.py).

Besides the project's roles, ``assigned_worker``: a social worker assigned to the case of
the person under test. The coordinator's organisation serves the case's ambito and is the
organisation the world's referral is addressed to; the ``operator`` role is a social
worker not assigned to the case, who is told the file does not exist (404). Roles that
read no file at all are refused (403).
"""

from __future__ import annotations

import datetime as dt

import pytest

from beneficiaries.models import Consent, HouseholdMember, Referral
from legami.roles import Role
from tests.beneficiaries.matrix import CASE_READERS, EVERYONE, EXTRA, case_file_world
from tests.permissions import ROLES, Row, check, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

CASE_WORKERS = (*CASE_READERS, Role.OPERATOR)

P = "/cases/p/{person.public_id}"
Expected = dict[str, int | tuple[int, ...]]
LOGIN: Expected = {"anonymous": 302}
# Pages every social worker and coordinator reaches (the list, a new file).
WORKER_PAGE: Expected = {**LOGIN, **dict.fromkeys(CASE_WORKERS, 200)}
WORKER_POST: Expected = {**LOGIN, **dict.fromkeys(CASE_WORKERS, 302)}
# The file of the person under test: its readers; an unassigned worker does not find it.
FILE_PAGE: Expected = {**LOGIN, **dict.fromkeys(CASE_READERS, 200), Role.OPERATOR: 404}
FILE_POST: Expected = {**LOGIN, **dict.fromkeys(CASE_READERS, 302), Role.OPERATOR: 404}
FILE_FORM_INVALID: Expected = {**LOGIN, **dict.fromkeys(CASE_READERS, 200), Role.OPERATOR: 404}
# A form of the person page sent incomplete comes back in its tab with its errors (400).
FILE_FORM_REFUSED: Expected = {**LOGIN, **dict.fromkeys(CASE_READERS, 400), Role.OPERATOR: 404}

ROWS: list[Row] = [
    # --- The list and a new file ---------------------------------------------------------
    *rows("GET", "/cases/", WORKER_PAGE, default=403, roles=EVERYONE),
    *rows("GET", "/cases/?stage=assessment&at_risk=on", WORKER_PAGE, default=403, roles=EVERYONE),
    *rows("POST", "/cases/", WORKER_POST, default=403, roles=EVERYONE, data={"q": "rossi"}),
    *rows("GET", "/cases/new/", WORKER_PAGE, default=403, roles=EVERYONE),
    # An incomplete form comes back (200) to those who may open files.
    *rows("POST", "/cases/new/", WORKER_PAGE, default=403, roles=EVERYONE, data={}),
    # --- The person page, summary, anagrafica ----------------------------------------------
    *rows("GET", P + "/", FILE_PAGE, default=403, roles=EVERYONE),
    *rows("GET", P + "/summary/", FILE_PAGE, default=403, roles=EVERYONE),
    *rows("GET", P + "/edit/", FILE_PAGE, default=403, roles=EVERYONE),
    *rows("POST", P + "/edit/", FILE_FORM_INVALID, default=403, roles=EVERYONE, data={}),
    *rows(
        "POST",
        P + "/household/add/",
        FILE_POST,
        default=403,
        roles=EVERYONE,
        data={"relation": "child", "first_name": "Luca"},
    ),
    *rows("POST", P + "/household/{member.pk}/remove/", FILE_POST, default=403, roles=EVERYONE),
    *rows(
        "POST",
        P + "/restriction/",
        FILE_POST,
        default=403,
        roles=EVERYONE,
        data={"restricted": "1"},
    ),
    *rows(
        "POST",
        P + "/consents/give/",
        FILE_POST,
        default=403,
        roles=EVERYONE,
        data={"kind": "volunteer_contact"},
    ),
    *rows("POST", P + "/consents/{consent.pk}/withdraw/", FILE_POST, default=403, roles=EVERYONE),
    # --- Cases ----------------------------------------------------------------------------
    *rows("POST", P + "/cases/open/", FILE_FORM_REFUSED, default=403, roles=EVERYONE, data={}),
    *rows(
        "POST",
        P + "/cases/{case.pk}/assign/",
        FILE_FORM_REFUSED,
        default=403,
        roles=EVERYONE,
        data={},
    ),
    *rows(
        "POST",
        P + "/cases/{case.pk}/assignments/{assignment.pk}/end/",
        FILE_POST,
        default=403,
        roles=EVERYONE,
    ),
    *rows(
        "POST",
        P + "/cases/{case.pk}/stage/",
        FILE_POST,
        default=403,
        roles=EVERYONE,
        data={"to_stage": "pact"},
    ),
    *rows(
        "POST",
        P + "/cases/{case.pk}/diary/",
        FILE_POST,
        default=403,
        roles=EVERYONE,
        data={"category": "note", "text": "Telefonata."},
    ),
    *rows(
        "POST",
        P + "/cases/{case.pk}/referrals/",
        FILE_POST,
        default=403,
        roles=EVERYONE,
        data={"to_organisation": "{other_org.pk}", "reason": "r", "consent_given_on": "2025-01-01"},
    ),
    *rows("POST", P + "/referrals/{referral.pk}/close/", FILE_POST, default=403, roles=EVERYONE),
    # --- Referrals to decide: coordinators of the receiving organisation ------------------
    *rows(
        "GET", "/cases/referrals/", {**LOGIN, Role.COORDINATOR: 200}, default=403, roles=EVERYONE
    ),
    *rows(
        "POST",
        "/cases/referrals/{referral.pk}/decide/",
        {**LOGIN, Role.COORDINATOR: 302},
        default=404,
        roles=EVERYONE,
        data={"r{referral.pk}-decision": "decline", "r{referral.pk}-decline_reason": "No."},
    ),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    base = case_file_world(make_user, enable_totp)
    users, case, coordinator_org = base["users"], base["case"], base["coordinator_org"]
    person = case.person
    member = HouseholdMember.objects.create(person=person, relation="child", first_name="Sara")
    consent = Consent.objects.create(person=person, kind="share_partners")
    referral = Referral.objects.create(
        case=case,
        to_organisation=coordinator_org,
        reason="Supporto",
        consent_given_on=dt.date(2025, 1, 1),
        requested_by=users["assigned_worker"],
    )
    return {
        "users": users,
        "person": person,
        "case": case,
        "assignment": case.assignments.get(),
        "member": member,
        "consent": consent,
        "referral": referral,
        "other_org": users[Role.PARTNER_STAFF].memberships.get().organisation,
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_case_file_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= {*ROLES, *EXTRA}


def test_every_person_and_case_route_has_a_row():
    """Every page of beneficiaries/views/persons.py and cases.py is named by a row."""
    from beneficiaries.views import cases, persons

    routes = [f"cases/{r}" for r in _walk([*persons.urlpatterns, *cases.urlpatterns])]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
