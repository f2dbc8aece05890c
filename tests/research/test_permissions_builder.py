"""Permission matrix of the survey builder (research/views/builder.py) and the answering
page (research/views/answer.py); see tests/permissions.py.

The world: ``owner`` (a researcher) has a draft survey (``draft``: a section with a
choice question, a second empty section, a text question) and an open survey (``open``)
with one invitation whose link carries ``token``. Anonymous visitors are sent to log in;
roles with no survey rule get 403; another researcher does not see the owner's surveys
(404); network administrators read the list, the builder page and the preview, and
change nothing (404; creating: 403). The answering page needs no account: the token is
the key, for anybody (a forged one: 404).
"""

from __future__ import annotations

import pytest

from legami.roles import Role
from research.models import Section
from research.services import invitations_send
from tests.permissions import ROLES, Row, rows
from tests.permissions import check as check_row
from tests.research.factories import build_survey, organisation, practitioner, researcher, token_for
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("owner",)
EVERYONE = (*ROLES, *EXTRA)
Expected = dict[str, int | tuple[int, ...]]

D = "/research/questionari/{draft.pk}/"
O = "/research/questionari/{open.pk}/"  # noqa: E741

LIST: Expected = {"anonymous": 302, Role.RESEARCHER: 200, Role.NETWORK_ADMIN: 200, "owner": 200}
CREATE_GET: Expected = {"anonymous": 302, Role.RESEARCHER: 200, "owner": 200}
CREATE_POST: Expected = {"anonymous": 302, Role.RESEARCHER: 302, "owner": 302}
READ: Expected = {"anonymous": 302, Role.RESEARCHER: 404, Role.NETWORK_ADMIN: 200, "owner": 200}
CHANGE_GET: Expected = {
    "anonymous": 302,
    Role.RESEARCHER: 404,
    Role.NETWORK_ADMIN: 404,
    "owner": 200,
}
CHANGE_POST: Expected = {
    "anonymous": 302,
    Role.RESEARCHER: 404,
    Role.NETWORK_ADMIN: 404,
    "owner": 302,
}
DOWN = {"direction": "down"}
QUESTION = {"kind": "number", "code": "nuova", "text": "How many?"}


def _rows(method: str, url: str, expected: Expected, default: int, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=default, roles=EVERYONE, **kwargs)


ROWS: list[Row] = [
    *_rows("GET", "/research/questionari/", LIST, 403),
    *_rows("GET", "/research/questionari/nuovo/", CREATE_GET, 403),
    *_rows("POST", "/research/questionari/nuovo/", CREATE_POST, 403, data={"title": "T"}),
    *_rows("GET", D, READ, 403),
    *_rows("GET", D + "anteprima/", READ, 403),
    *_rows("GET", D + "modifica/", CHANGE_GET, 403),
    *_rows("POST", D + "modifica/", CHANGE_POST, 403, data={"title": "Nuovo titolo"}),
    *_rows("POST", D + "apri/", CHANGE_POST, 403),
    *_rows("POST", D + "sezioni/nuova/", CHANGE_POST, 403, data={"title": "Altro"}),
    *_rows("GET", D + "sezioni/{section.pk}/", CHANGE_GET, 403),
    *_rows("POST", D + "sezioni/{section.pk}/", CHANGE_POST, 403, data={"title": "Primo"}),
    *_rows("POST", D + "sezioni/{empty_section.pk}/elimina/", CHANGE_POST, 403),
    *_rows("GET", D + "sezioni/{section.pk}/domande/nuova/", CHANGE_GET, 403),
    *_rows("POST", D + "sezioni/{section.pk}/domande/nuova/", CHANGE_POST, 403, data=QUESTION),
    *_rows("GET", D + "domande/{question.pk}/", CHANGE_GET, 403),
    *_rows("POST", D + "domande/{text_question.pk}/elimina/", CHANGE_POST, 403),
    *_rows("POST", D + "domande/{question.pk}/sposta/", CHANGE_POST, 403, data=DOWN),
    *_rows("POST", D + "sezioni/{section.pk}/sposta/", CHANGE_POST, 403, data=DOWN),
    *_rows("GET", O + "inviti/", CHANGE_GET, 403),
    *_rows("POST", O + "inviti/", CHANGE_POST, 403, data={"organisations": "{org.pk}"}),
    *_rows("POST", O + "promemoria/", CHANGE_POST, 403),
    *_rows("POST", O + "chiudi/", CHANGE_POST, 403),
    *_rows("GET", "/research/questionari/rispondi/{token}/", {}, 200),
    *_rows("POST", "/research/questionari/rispondi/{token}/", {}, 200, data={"q-n": "3"}),
    *_rows("GET", "/research/questionari/rispondi/{forged}/", {}, 404),
]


@pytest.fixture
def world(db):
    owner = researcher()
    draft = build_survey(
        owner,
        [
            {"code": "s", "text": "S?", "kind": "single", "options": ["a", "b"]},
            {"code": "t", "text": "T?", "kind": "short_text"},
        ],
        open_it=False,
    )
    section = draft.sections.get()
    empty_section = Section.objects.create(survey=draft, order=2)
    open_survey = build_survey(owner, [{"code": "n", "text": "N?", "kind": "number"}])
    org = organisation()
    practitioner(org)
    [invitation] = invitations_send(
        survey=open_survey, by=owner, users=[practitioner(organisation())]
    )
    return {
        "users": {"owner": owner},
        "draft": draft,
        "open": open_survey,
        "section": section,
        "empty_section": empty_section,
        "question": draft.questions.get(code="s"),
        "text_question": draft.questions.get(code="t"),
        "org": org,
        "token": token_for(invitation),
        "forged": "no-such-token",
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_builder_page_permissions(row, world, matrix_client):
    check_row(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(EVERYONE)


def test_every_builder_and_answer_route_has_a_row():
    from research.views import answer, builder

    routes = [f"research/{r}" for r in _walk([*builder.urlpatterns, *answer.urlpatterns])]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
