"""Permission matrix of the persons and cases API (see tests/permissions.py).

Besides the project's roles, ``assigned_worker``: a social worker assigned to the cases of
the person under test. The coordinator's organisation serves the cases' ambito; the
``operator`` role is a social worker of the same service who is not assigned. Roles that
reach no file at all are refused (403) by the policy before the person is looked up; a
social worker who may see some files but not this one does not find the person (404).
"""

from __future__ import annotations

import datetime as dt

import pytest

from beneficiaries.models import CaseStage
from legami.roles import Role
from tests.beneficiaries.factories import (
    CaseAssignmentFactory,
    CaseFactory,
    ConsentFactory,
    DiaryNoteFactory,
    ReferralFactory,
)
from tests.beneficiaries.matrix import CASE_READERS, EVERYONE, EXTRA, case_file_world
from tests.partners.factories import OrganisationFactory
from tests.permissions import ROLES, Row, check, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

API = "/api/v1/persons"
PERSON = API + "/{person.public_id}"
CASE = PERSON + "/cases/{case.pk}"
REFERRAL = PERSON + "/referrals/{referral.pk}"

BASE = {"anonymous": 401}
ON_FILE = {**BASE, Role.OPERATOR: 404}
LIST = {**BASE, Role.OPERATOR: 200, **dict.fromkeys(CASE_READERS, 200)}
READ = {**ON_FILE, **dict.fromkeys(CASE_READERS, 200)}
CREATED = {**ON_FILE, **dict.fromkeys(CASE_READERS, 201)}
LISTED = {Role.OPERATOR: "nobody", **dict.fromkeys(CASE_READERS, "people")}

NEW_PERSON = {
    "first_name": "Nuova",
    "last_name": "Persona",
    "no_codice_fiscale_reason": "not_known",
    "birth_date": "1931-07-08",
    "sex": "F",
    "organisation": "{operator_org.pk}",
    "ambito": "{ambito.pk}",
    "force": True,
}

ROWS: list[Row] = [
    *rows("GET", API + "/", LIST, default=403, roles=EVERYONE, ids=LISTED, id_field="public_id"),
    *rows(
        "POST",
        API + "/search/",
        LIST,
        default=403,
        roles=EVERYONE,
        ids=LISTED,
        id_field="public_id",
        data={"q": "{person.last_name}"},
    ),
    # Registering: social workers at their own service; the coordinator does not work
    # for the social workers' service named in the request.
    *rows(
        "POST",
        API + "/",
        {**BASE, Role.OPERATOR: 201, "assigned_worker": 201, Role.COORDINATOR: 403},
        default=403,
        roles=EVERYONE,
        data=NEW_PERSON,
    ),
    *rows("GET", PERSON + "/", READ, default=403, roles=EVERYONE),
    *rows("PATCH", PERSON + "/", READ, default=403, roles=EVERYONE, data={"phone": "0372 1"}),
    *rows(
        "GET",
        PERSON + "/cases/",
        READ,
        default=403,
        roles=EVERYONE,
        ids=dict.fromkeys(CASE_READERS, "cases"),
    ),
    # Opening a case at the coordinator's service: only its coordinator works there.
    *rows(
        "POST",
        PERSON + "/cases/",
        {**ON_FILE, Role.COORDINATOR: 201, "assigned_worker": 403},
        default=403,
        roles=EVERYONE,
        data={"organisation": "{coordinator_org.pk}", "ambito": "{ambito.pk}"},
    ),
    *rows("GET", CASE + "/", READ, default=403, roles=EVERYONE),
    *rows("POST", CASE + "/advance/", READ, default=403, roles=EVERYONE, data={"stage": "pact"}),
    *rows(
        "POST",
        CASE + "/close/",
        READ,
        default=403,
        roles=EVERYONE,
        data={"closure_reason": "moved"},
    ),
    *rows(
        "POST",
        PERSON + "/cases/{closed_case.pk}/reopen/",
        READ,
        default=403,
        roles=EVERYONE,
    ),
    *rows(
        "POST",
        CASE + "/assign/",
        {**ON_FILE, **dict.fromkeys(CASE_READERS, 201)},
        default=403,
        roles=EVERYONE,
        data={"worker": "{colleague.pk}"},
    ),
    # --- Diary, referrals, consents ------------------------------------------------------
    *rows(
        "GET",
        PERSON + "/diary/",
        READ,
        default=403,
        roles=EVERYONE,
        ids=dict.fromkeys(CASE_READERS, "notes"),
    ),
    *rows(
        "POST",
        PERSON + "/diary/",
        CREATED,
        default=403,
        roles=EVERYONE,
        data={"case": "{case.pk}", "category": "phone", "text": "Call"},
    ),
    *rows(
        "GET",
        PERSON + "/referrals/",
        READ,
        default=403,
        roles=EVERYONE,
        ids=dict.fromkeys(CASE_READERS, "referrals"),
    ),
    *rows(
        "POST",
        PERSON + "/referrals/",
        CREATED,
        default=403,
        roles=EVERYONE,
        data={
            "case": "{case.pk}",
            "to_organisation": "{third_org.pk}",
            "reason": "Support at home",
            "consent_given_on": "2025-01-15",
        },
    ),
    # Deciding: the coordinator of the receiving organisation only.
    *rows(
        "POST",
        REFERRAL + "/accept/",
        {**BASE, Role.COORDINATOR: 200},
        default=403,
        roles=EVERYONE,
        data={"receiving_worker": "{coordinator.pk}"},
    ),
    *rows(
        "POST",
        REFERRAL + "/decline/",
        {**BASE, Role.COORDINATOR: 200},
        default=403,
        roles=EVERYONE,
        data={"reason": "No capacity"},
    ),
    # Closing: the sending side too.
    *rows("POST", REFERRAL + "/close/", READ, default=403, roles=EVERYONE),
    *rows(
        "GET",
        PERSON + "/consents/",
        READ,
        default=403,
        roles=EVERYONE,
        ids=dict.fromkeys(CASE_READERS, "consents"),
    ),
    *rows(
        "POST",
        PERSON + "/consents/",
        CREATED,
        default=403,
        roles=EVERYONE,
        data={"kind": "volunteer_contact"},
    ),
    *rows("POST", PERSON + "/consents/{consent.pk}/withdraw/", READ, default=403, roles=EVERYONE),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    base = case_file_world(make_user, enable_totp)
    users, cremona, case = base["users"], base["ambito"], base["case"]
    coordinator_org = base["coordinator_org"]
    person = case.person
    # A closed case of the person at a third service, which the worker followed.
    closed_case = CaseFactory(
        person=person,
        organisation=OrganisationFactory(),
        ambito=cremona,
        stage=CaseStage.CLOSED,
        closed_on=dt.date(2025, 3, 1),
        closure_reason="moved",
    )
    CaseAssignmentFactory(case=closed_case, worker=users["assigned_worker"])
    note = DiaryNoteFactory(case=case, author=users["assigned_worker"])
    secret = DiaryNoteFactory(case=case, author=users["assigned_worker"], confidential=True)
    referral = ReferralFactory(case=case, to_organisation=coordinator_org)
    consent = ConsentFactory(person=person)
    return {
        "users": users,
        "person": person,
        "case": case,
        "closed_case": closed_case,
        "ambito": cremona,
        "operator_org": case.organisation,
        "coordinator_org": coordinator_org,
        "colleague": users[Role.OPERATOR],
        "coordinator": users[Role.COORDINATOR],
        "third_org": OrganisationFactory(),
        "referral": referral,
        "consent": consent,
        "notes": {note.pk, secret.pk},
        "referrals": {referral.pk},
        "consents": {consent.pk},
        "nobody": set(),
        "people": {person.public_id},
        "cases": {case.pk, closed_case.pk},
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_persons_api_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= {*ROLES, *EXTRA}


def test_every_persons_api_route_has_a_row():
    """Every route of beneficiaries/api_urls.py other than ties and assessments (covered by
    test_permissions_ecomap) and household, intakes and restriction (covered by
    test_permissions_api_extra) is named by a row."""
    from beneficiaries import api_urls

    elsewhere = ("/ties/", "/assessments/", "/household/", "/intakes/", "/restriction/")
    routes = [
        f"api/v1/{r.lstrip('^')}"
        for r in _walk(api_urls.urlpatterns)
        if "(?P<format>" not in r and not any(part in r for part in elsewhere)
    ]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
