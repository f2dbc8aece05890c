"""Permission matrix of the research pathways' pages (research/views/pathways.py); see
tests/permissions.py.

The world: ``owner`` (a researcher) leads a pathway (``pathway``, with a host ambito) that
has a phase (``phase``). Anonymous visitors are sent to log in; roles with no pathway
rule (citizens, fundraisers, the DPO) get 403; the network's staff read the list and the
pathway page; researchers create pathways; only the lead changes one: anybody else who
may read it does not find its change pages (404).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from legami.roles import Role
from research.services import pathways as services
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.permissions import ROLES, Row, rows
from tests.permissions import check as check_row
from tests.research.factories import researcher
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("owner",)
EVERYONE = (*ROLES, *EXTRA)
Expected = dict[str, int | tuple[int, ...]]

# The network's staff: they read pathways (policy "research.pathway").
READERS = (
    Role.OPERATOR,
    Role.COORDINATOR,
    Role.PARTNER_STAFF,
    Role.FACILITATOR,
    Role.RESEARCHER,
    Role.AMBITO_ADMIN,
    Role.NETWORK_ADMIN,
    "owner",
)

P = "/research/percorsi/{pathway.pk}/"

LIST: Expected = {"anonymous": 302, **dict.fromkeys(READERS, 200)}
READ: Expected = LIST
CREATE_GET: Expected = {"anonymous": 302, Role.RESEARCHER: 200, "owner": 200}
CREATE_POST: Expected = {"anonymous": 302, Role.RESEARCHER: 302, "owner": 302}
CHANGE_GET: Expected = {"anonymous": 302, **dict.fromkeys(READERS, 404), "owner": 200}
CHANGE_POST: Expected = {"anonymous": 302, **dict.fromkeys(READERS, 404), "owner": 302}

PHASE = {"title": "Restitution", "starts_on": "{day}", "ends_on": "{day}"}
WORKSHOP = {
    "kind": "workshop",
    "title": "Opening workshop",
    "starts_at": "{starts_at}",
    "ends_at": "{ends_at}",
    "place": "Sala civica",
    "capacity": "0",
}


def _rows(method: str, url: str, expected: Expected, default: int, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=default, roles=EVERYONE, **kwargs)


ROWS: list[Row] = [
    *_rows("GET", "/research/percorsi/", LIST, 403),
    *_rows("GET", "/research/percorsi/nuovo/", CREATE_GET, 403),
    *_rows("POST", "/research/percorsi/nuovo/", CREATE_POST, 403, data={"title": "T"}),
    *_rows("GET", P, READ, 403),
    *_rows("GET", P + "modifica/", CHANGE_GET, 403),
    *_rows(
        "POST",
        P + "modifica/",
        CHANGE_POST,
        403,
        data={"title": "New title", "ambito": "{ambito.pk}"},
    ),
    *_rows("GET", P + "fasi/nuova/", CHANGE_GET, 403),
    *_rows("POST", P + "fasi/nuova/", CHANGE_POST, 403, data=PHASE),
    *_rows("GET", P + "fasi/{phase.pk}/", CHANGE_GET, 403),
    *_rows("POST", P + "fasi/{phase.pk}/", CHANGE_POST, 403, data=PHASE),
    *_rows("GET", P + "fasi/{phase.pk}/elimina/", CHANGE_GET, 403),
    *_rows("POST", P + "fasi/{phase.pk}/elimina/", CHANGE_POST, 403, data={"confirm": "on"}),
    *_rows("GET", P + "laboratori/nuovo/", CHANGE_GET, 403),
    *_rows("POST", P + "laboratori/nuovo/", CHANGE_POST, 403, data=WORKSHOP),
]


@pytest.fixture
def world(db):
    owner = researcher()
    ambito = AmbitoFactory()
    ComuneFactory(ambito=ambito)
    pathway = services.pathway_create(by=owner, title="Nuove fragilità", ambito=ambito)
    day = timezone.localdate()
    phase = services.phase_add(
        pathway=pathway, by=owner, title="Ascolto", starts_on=day, ends_on=day
    )
    start = timezone.localtime(timezone.now() + dt.timedelta(days=3))
    return {
        "users": {"owner": owner},
        "pathway": pathway,
        "phase": phase,
        "ambito": ambito,
        "day": day.isoformat(),
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_pathway_page_permissions(row, world, matrix_client):
    check_row(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(EVERYONE)


def test_every_pathway_route_has_a_row():
    from research.views import pathways

    routes = [f"research/{r}" for r in _walk(pathways.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
