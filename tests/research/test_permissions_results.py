"""Permission matrix of the results pages of the Wel(l)fare LAB
(research/views/results.py); see tests/permissions.py.

The world: a named survey of ``owner`` in a pathway led by ``lead``, with a few
responses. The results are read by the owner, the pathway's lead and network
administrators (``legami.policy``: READ on research.survey); exporting is the owner's
only (EXPORT: 403 to the other readers). To anybody else the survey does not exist (404),
anonymous visitors go to the login page (302); both pages are GET only (405)."""

from __future__ import annotations

import pytest

from legami.roles import Role
from tests.permissions import ROLES, Row, check, rows
from tests.research.factories import PathwayFactory, build_survey, researcher, response_given
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("owner", "lead")
EVERYONE = (*ROLES, *EXTRA)

Expected = dict[str, int | tuple[int, ...]]

R = "/research/questionari/{survey.pk}/risultati/"
E = "/research/questionari/{survey.pk}/esporta/"
READERS: Expected = {"anonymous": 302, "owner": 200, "lead": 200, Role.NETWORK_ADMIN: 200}
EXPORTER: Expected = {"anonymous": 302, "owner": 200, "lead": 403, Role.NETWORK_ADMIN: 403}
POST: Expected = {"anonymous": 302}


def _rows(method: str, url: str, expected: Expected, default: int, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=default, roles=EVERYONE, **kwargs)


ROWS: list[Row] = [
    *_rows("GET", R, READERS, 404),
    *_rows("GET", R + "?by=organisation_kind&question={question.pk}", READERS, 404),
    *_rows("GET", E + "?format=csv&headers=codes", EXPORTER, 404),
    *_rows("GET", E + "?format=xlsx&headers=texts", EXPORTER, 404),
    *_rows("GET", "/research/questionari/{missing}/risultati/", {"anonymous": 302}, 404),
    *_rows("POST", R, POST, 405),
    *_rows("POST", E, POST, 405),
]


@pytest.fixture
def world(db):
    owner = researcher()
    lead = researcher()
    survey = build_survey(
        owner,
        [{"code": "sector", "text": "Sector?", "kind": "single", "options": ["minori", "anziani"]}],
        anonymous=False,
    )
    survey.pathway = PathwayFactory(lead=lead)
    survey.save(update_fields=["pathway"])
    for code in ("minori", "minori", "anziani"):
        response_given(survey, {"sector": code}, role=Role.OPERATOR)
    return {
        "users": {"owner": owner, "lead": lead},
        "survey": survey,
        "question": survey.questions.get(),
        "missing": survey.pk + 1000,
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_results_page_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(EVERYONE)


def test_every_results_route_has_a_row():
    """Every page of research/views/results.py is named by a row."""
    from research.views import results

    routes = [f"research/{r}" for r in _walk(results.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
