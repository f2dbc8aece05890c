"""Permission matrix of the needs board, interventions and the needs passed to social
services (labs/views/needs.py); see tests/permissions.py.

The world: a lab under way in an ambito, run by ``lab_facilitator`` (its facilitator),
by the ambito administrator (their organisation serves the ambito) and by network
administrators; a planned lab in the same ambito; needs on the board (every user of the
world supports ``need``), an intervention, and a need passed to the coordinator's
organisation. The ``facilitator`` role facilitates another lab, not this one.

Everybody reads the board of the lab under way and its needs; the planned lab's board
exists only for its runners (404 for everybody else). People with an account post,
support and withdraw their support (anonymous visitors are sent to log in); the lab's
runners move, merge and pass needs on and design interventions (everybody else with an
account: 403). The needs passed on are seen by service coordinators (``coordinator``,
whose organisation received one, and ``other_coordinator``, whose list is empty); only
the receiving coordinator takes one in (the other one is told it does not exist: 404);
every other role is refused (403).

State-changing rows run each in a fresh world (the ``world`` fixture is per test).
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from labs.models import LabStatus
from labs.services import needs as services
from legami.roles import Role
from tests.labs.factories_needs import (
    ActiveLabFactory,
    InterventionFactory,
    NeedFactory,
)
from tests.legami.factories import AmbitoFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory
from tests.permissions import ROLES, Row, check, make_role_user, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("lab_facilitator", "other_coordinator")
EVERYONE = (*ROLES, *EXTRA)
LOGGED_IN = tuple(role for role in EVERYONE if role != "anonymous")

Expected = dict[str, int | tuple[int, ...]]
RUNNERS = ("lab_facilitator", Role.AMBITO_ADMIN, Role.NETWORK_ADMIN)
LOGIN: Expected = {"anonymous": 302}

B = "/labs/{lab.slug}/needs/"
D = B + "{need.pk}/"
PB = "/labs/{planned.slug}/needs/"

PUBLIC: Expected = {}
PLANNED: Expected = dict.fromkeys(RUNNERS, 200)
ACCOUNT_POST: Expected = {**LOGIN, **dict.fromkeys(LOGGED_IN, 302)}
RUN_POST: Expected = {**LOGIN, **dict.fromkeys(RUNNERS, 302)}
RUN_PAGE: Expected = {**LOGIN, **dict.fromkeys(RUNNERS, 200)}
REFERRED_LIST: Expected = {**LOGIN, Role.COORDINATOR: 200, "other_coordinator": 200}
TAKE_IN: Expected = {**LOGIN, Role.COORDINATOR: 302, "other_coordinator": 404}

NEED = {"title": "Manca un posto per i compiti", "category": "youth", "place": "Via Po"}
INTERVENTION = {
    "title": "Doposcuola solidale",
    "owner": "{service.pk}",
    "plan": "Due pomeriggi a settimana",
    "status": "designed",
    "needs": "{need.pk}",
}


def _rows(method: str, url: str, expected: Expected, default: int, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=default, roles=EVERYONE, **kwargs)


ROWS: list[Row] = [
    # --- The board ------------------------------------------------------------------------
    *_rows("GET", B, PUBLIC, 200),
    *_rows("GET", B + "?category=youth&status=new", PUBLIC, 200),
    *_rows("GET", PB, PLANNED, 404),
    *_rows("POST", B, ACCOUNT_POST, 403, data=NEED),
    *_rows("POST", PB, {**dict.fromkeys(RUNNERS, 302)}, 404, data=NEED),
    # --- A need ---------------------------------------------------------------------------
    *_rows("GET", D, PUBLIC, 200),
    *_rows("GET", PB + "{planned_need.pk}/", PLANNED, 404),
    *_rows("POST", D + "unsupport/", ACCOUNT_POST, 403),
    *_rows("POST", B + "{other.pk}/support/", ACCOUNT_POST, 403),
    *_rows("POST", D + "status/", RUN_POST, 403, data={"to": "discussed"}),
    *_rows("POST", D + "merge/", RUN_POST, 403, data={"into": "{other.pk}"}),
    *_rows(
        "POST",
        D + "refer/",
        RUN_POST,
        403,
        data={"organisation": "{service.pk}", "consent_given_on": "{today}"},
    ),
    # --- Interventions --------------------------------------------------------------------
    *_rows("GET", "/labs/{lab.slug}/interventions/new/", RUN_PAGE, 403),
    *_rows("POST", "/labs/{lab.slug}/interventions/new/", RUN_POST, 403, data=INTERVENTION),
    *_rows("GET", "/labs/interventions/{intervention.pk}/edit/", RUN_PAGE, 403),
    *_rows("POST", "/labs/interventions/{intervention.pk}/edit/", RUN_POST, 403, data=INTERVENTION),
    # --- Needs passed to a social service -------------------------------------------------
    *_rows("GET", "/labs/referred-needs/", REFERRED_LIST, 403),
    *_rows("POST", "/labs/referred-needs/{referred.pk}/taken/", TAKE_IN, 403),
    *_rows("GET", "/labs/referred-needs/{referred.pk}/taken/", LOGIN, 405),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    ambito = AmbitoFactory(code="casalmaggiore", name="Ambito di Casalmaggiore")
    users = {role: make_role_user(make_user, enable_totp, role) for role in ROLES}
    users.pop("anonymous")
    users["lab_facilitator"] = make_user(
        "lab.facilitator@matrix.example.org", role=Role.FACILITATOR
    )
    users["other_coordinator"] = MembershipFactory(
        organisation=OrganisationFactory(), role=Role.COORDINATOR
    ).user
    enable_totp(users["other_coordinator"])
    users[Role.AMBITO_ADMIN].memberships.get().organisation.ambiti.set([ambito])
    # A social service of the ambito: the coordinator's organisation.
    service = users[Role.COORDINATOR].memberships.get().organisation
    service.ambiti.set([ambito])

    lab = ActiveLabFactory(ambito=ambito, slug="casalmaggiore-centro")
    lab.facilitators.add(users["lab_facilitator"])
    planned = ActiveLabFactory(ambito=ambito, slug="in-preparazione", status=LabStatus.PLANNED)
    planned.facilitators.add(users["lab_facilitator"])
    runner = users["lab_facilitator"]

    need, other = NeedFactory(lab=lab), NeedFactory(lab=lab)
    for user in users.values():
        services.need_vote(need=need, actor=user)
    referred = services.need_refer(
        need=NeedFactory(lab=lab),
        actor=runner,
        organisation=service,
        consent_given_on=timezone.localdate(),
    )
    return {
        "users": users,
        "lab": lab,
        "planned": planned,
        "planned_need": NeedFactory(lab=planned),
        "need": need,
        "other": other,
        "referred": referred,
        "service": service,
        "intervention": InterventionFactory(lab=lab, owner=service),
        "today": timezone.localdate().isoformat(),
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_needs_page_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= {*ROLES, *EXTRA}


def test_every_needs_route_has_a_row():
    """Every page of labs/views/needs.py is named by a row."""
    from labs.views import needs

    routes = [f"labs/{r}" for r in _walk(needs.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
