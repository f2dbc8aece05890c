"""Permission matrix of the findings library (research/views/library.py); see
tests/permissions.py.

The world: ``owner`` (a researcher, lead of ``pathway``) wrote ``item``, a document of
the pathway with a PDF, and ``bare``, a note without a file. Anonymous visitors are sent
to log in; roles with no library rule (citizens, fundraisers, the DPO) get 403; the
network's staff read the list, the items and their files (an item without a file: 404);
researchers add items (other staff: 403); another researcher, or any other reader, does
not reach the change pages (404): only the author or the pathway's lead does.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from legami.policy import NETWORK_STAFF
from legami.roles import Role
from research.models import FindingKind
from research.services import finding_create
from tests.permissions import ROLES, Row, rows
from tests.permissions import check as check_row
from tests.research.factories import PathwayFactory, researcher
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("owner",)
EVERYONE = (*ROLES, *EXTRA)
Expected = dict[str, int | tuple[int, ...]]

I = "/research/biblioteca/{item.public_id}/"  # noqa: E741
B = "/research/biblioteca/{bare.public_id}/"

READ: Expected = {"anonymous": 302, **dict.fromkeys(NETWORK_STAFF, 200), "owner": 200}
NO_FILE: Expected = {"anonymous": 302, **dict.fromkeys(NETWORK_STAFF, 404), "owner": 404}
CREATE_GET: Expected = {"anonymous": 302, Role.RESEARCHER: 200, "owner": 200}
CREATE_POST: Expected = {"anonymous": 302, Role.RESEARCHER: 302, "owner": 302}
CHANGE_GET: Expected = {"anonymous": 302, **dict.fromkeys(NETWORK_STAFF, 404), "owner": 200}
CHANGE_POST: Expected = {"anonymous": 302, **dict.fromkeys(NETWORK_STAFF, 404), "owner": 302}
ITEM = {"kind": "note", "title": "Nuova nota"}


def _rows(method: str, url: str, expected: Expected, default: int, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=default, roles=EVERYONE, **kwargs)


ROWS: list[Row] = [
    *_rows("GET", "/research/biblioteca/", READ, 403),
    *_rows("GET", "/research/biblioteca/", READ, 403, data={"q": "reti", "kind": "document"}),
    *_rows("GET", "/research/biblioteca/nuovo/", CREATE_GET, 403),
    *_rows("POST", "/research/biblioteca/nuovo/", CREATE_POST, 403, data=ITEM),
    *_rows("GET", I, READ, 403),
    *_rows("GET", I + "file/", READ, 403),
    *_rows("GET", B + "file/", NO_FILE, 403),
    *_rows("GET", I + "modifica/", CHANGE_GET, 403),
    *_rows(
        "POST",
        I + "modifica/",
        CHANGE_POST,
        403,
        data={**ITEM, "kind": "document", "pathway": "{pathway.pk}"},
    ),
    *_rows("GET", B + "elimina/", CHANGE_GET, 403),
    *_rows("POST", B + "elimina/", CHANGE_POST, 403),
]


def pdf() -> SimpleUploadedFile:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Reti di prossimità")
    page.save()
    return SimpleUploadedFile("mappa.pdf", buffer.getvalue())


@pytest.fixture
def world(db):
    owner = researcher()
    pathway = PathwayFactory(lead=owner)
    item = finding_create(
        by=owner, kind=FindingKind.DOCUMENT, title="Mappa", pathway=pathway, file=pdf()
    )
    bare = finding_create(by=owner, kind=FindingKind.NOTE, title="Nota")
    return {"users": {"owner": owner}, "item": item, "bare": bare, "pathway": pathway}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_library_page_permissions(row, world, matrix_client):
    client = matrix_client(row.role, world)
    if not row.url.endswith("file/"):
        check_row(row, client, world)
        return
    # A download streams the file: the response is closed here, which closes the file.
    response = client.get(row.url.format(**world))
    response.close()
    assert response.status_code == row.status, f"{row}: got {response.status_code}"


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(EVERYONE)


def test_a_role_with_no_library_rule_is_refused_everywhere():
    for role in ("citizen", Role.FUNDRAISER, Role.DPO):
        assert {row.status for row in ROWS if row.role == role} == {403}


def test_every_library_route_has_a_row():
    from research.views import library

    routes = [f"research/{r}" for r in _walk(library.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []


def test_another_researcher_does_not_change_the_item(world, client):
    """A researcher who is neither the author nor the pathway's lead reads the item but
    finds no change page for it."""
    client.force_login(researcher())
    assert client.get(I.format(**world)).status_code == 200
    assert client.post(I.format(**world) + "modifica/", ITEM).status_code == 404
    world["item"].refresh_from_db()
    assert world["item"].title == "Mappa"
