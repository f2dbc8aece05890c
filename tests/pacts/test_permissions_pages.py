"""Permission matrix of the pact pages: the list, drafting, the pact page, the editor and
its in-place changes, and the lifecycle actions (see tests/permissions.py).

The world is the case-file world (tests/beneficiaries/matrix.py): ``assigned_worker``
follows the case, the coordinator's organisation serves its ambito, ``operator`` is a
social worker not on the case (told the pact does not exist: 404). Besides them,
``signing_partner``: partner staff of the organisation the pacts ask to sign. The
``partner_staff`` role is partner staff of an organisation that signs nothing here (404:
the pact is not theirs to see). A draft is seen by its case workers only, so partner
staff do not find it (404); the proposed pact they read (200) and sign for their
organisation, and nothing else (403). Other roles read no pact at all (403); anonymous
visitors are sent to log in.

State-changing rows run each in a fresh world. A move that the state machine refuses
(starting a proposed pact) still answers with the redirect and a message: the row
checks who may ask, the page tests check what happens.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from legami.roles import Role
from pacts.models import SignatoryKind
from pacts.services import pacts as services
from tests.beneficiaries.matrix import CASE_READERS, case_file_world
from tests.pacts.factories import draft_pact
from tests.partners.factories import MembershipFactory, OrganisationFactory
from tests.permissions import ROLES, Row, check, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("assigned_worker", "signing_partner")
EVERYONE = (*ROLES, *EXTRA)

Expected = dict[str, int | tuple[int, ...]]
LOGIN: Expected = {"anonymous": 302}
NOT_THEIRS: Expected = {Role.OPERATOR: 404, Role.PARTNER_STAFF: 404}

D = "/pacts/{draft.public_id}/"
P = "/pacts/{proposed.public_id}/"

# The list: whoever reads some pact.
LIST: Expected = {
    **LOGIN,
    **dict.fromkeys((*CASE_READERS, Role.OPERATOR, Role.PARTNER_STAFF, "signing_partner"), 200),
}
# Drafting for the case: its case workers.
CREATE_PAGE: Expected = {**LOGIN, **dict.fromkeys(CASE_READERS, 200), Role.OPERATOR: 404}
CREATE_POST: Expected = {**LOGIN, **dict.fromkeys(CASE_READERS, 302), Role.OPERATOR: 404}
# The proposed pact: its case workers and the signing partner read it.
READ: Expected = {**LOGIN, **NOT_THEIRS, **dict.fromkeys((*CASE_READERS, "signing_partner"), 200)}
# Changing the proposed pact: its case workers; the signing partner reads it but may not.
CHANGE_PAGE: Expected = {
    **LOGIN,
    **NOT_THEIRS,
    **dict.fromkeys(CASE_READERS, 200),
    "signing_partner": 403,
}
CHANGE_POST: Expected = {**CHANGE_PAGE, **dict.fromkeys(CASE_READERS, 302)}
# Changing the draft: partner staff do not see drafts at all.
DRAFT_POST: Expected = {
    **LOGIN,
    **NOT_THEIRS,
    **dict.fromkeys(CASE_READERS, 302),
    "signing_partner": 404,
}
# Signing for the partner organisation: its staff only.
SIGN_FOR_PARTNER: Expected = {
    **LOGIN,
    **NOT_THEIRS,
    "signing_partner": 302,
    **dict.fromkeys(CASE_READERS, 403),
}
# Recording the person's signature: the case workers.
SIGN_FOR_PERSON: Expected = {**CHANGE_POST}


def _rows(method: str, url: str, expected: Expected, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=403, roles=EVERYONE, **kwargs)


GOAL = {
    "description": "Frequenta il laboratorio",
    "indicator": "Due incontri al mese",
    "target_date": "{target_date}",
}
COMMITMENT = {
    "direction": "gives_back",
    "kind": "peer_support",
    "description": "Aiuta un vicino",
    "quantity": "1",
    "unit": "hours",
    "period": "week",
    "owner": "Condominio",
}

ROWS: list[Row] = [
    # --- The list and drafting --------------------------------------------------------------
    *_rows("GET", "/pacts/", LIST),
    *_rows("GET", "/pacts/?status=proposed&due=overdue&mine=on", LIST),
    *_rows("GET", "/pacts/new/{case.pk}/", CREATE_PAGE),
    *_rows(
        "POST",
        "/pacts/new/{case.pk}/",
        CREATE_POST,
        data={"title": "Nuovo patto", "review_every_weeks": "8"},
    ),
    # --- The pact page and the editor ------------------------------------------------------
    *_rows("GET", P, READ),
    *_rows("GET", P + "edit/", CHANGE_PAGE),
    *_rows("POST", D + "edit/", DRAFT_POST, data={"title": "Titolo", "review_every_weeks": "6"}),
    *_rows("POST", D + "goals/add/", DRAFT_POST, data=GOAL),
    *_rows("POST", D + "goals/{goal.pk}/remove/", DRAFT_POST),
    *_rows("POST", D + "commitments/add/", DRAFT_POST, data=COMMITMENT),
    *_rows("POST", D + "commitments/{commitment.pk}/remove/", DRAFT_POST),
    *_rows(
        "POST", D + "signatories/add/", DRAFT_POST, data={"kind": "community", "name": "Pro Loco"}
    ),
    *_rows("POST", D + "signatories/{draft_signatory.pk}/remove/", DRAFT_POST),
    # --- The lifecycle ----------------------------------------------------------------------
    *_rows("POST", D + "propose/", DRAFT_POST),
    *_rows("POST", P + "back-to-draft/", CHANGE_POST),
    *_rows("POST", P + "start/", CHANGE_POST),
    *_rows("POST", P + "interrupt/", CHANGE_POST, data={"reason": "Trasferita"}),
    *_rows("POST", P + "renew/", CHANGE_POST),
    *_rows("POST", P + "sign/{partner_signatory.pk}/", SIGN_FOR_PARTNER),
    *_rows("POST", P + "sign/{person_signatory.pk}/", SIGN_FOR_PERSON),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    base = case_file_world(make_user, enable_totp)
    users, case = base["users"], base["case"]
    worker = users["assigned_worker"]
    signing_org = OrganisationFactory(name="Cooperativa firmataria")
    users["signing_partner"] = MembershipFactory(
        organisation=signing_org, role=Role.PARTNER_STAFF
    ).user
    enable_totp(users["signing_partner"])
    draft = draft_pact(worker, case=case, partner=signing_org, title="Bozza")
    proposed = services.pact_propose(
        pact=draft_pact(worker, case=case, partner=signing_org, title="Proposto"), actor=worker
    )
    return {
        "users": users,
        "case": case,
        "draft": draft,
        "proposed": proposed,
        "goal": draft.goals.first(),
        "commitment": draft.commitments.first(),
        "draft_signatory": draft.signatories.get(kind=SignatoryKind.ORGANISATION),
        "partner_signatory": proposed.signatories.get(kind=SignatoryKind.ORGANISATION),
        "person_signatory": proposed.signatories.get(kind=SignatoryKind.BENEFICIARY),
        "target_date": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_pact_page_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= {*ROLES, *EXTRA}


def test_every_pact_page_route_has_a_row():
    """Every page of pacts/views/pages.py is named by a row."""
    from pacts.views import pages

    routes = [f"pacts/{r}" for r in _walk(pages.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
