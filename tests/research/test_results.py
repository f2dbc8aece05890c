"""The results of a survey (research/results.py, research/views/results.py): counts per
option with small counts hidden, number statistics, open answers, the cross-tabulation of
named surveys and the CSV/XLSX exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from legami.models import AccessEvent
from legami.roles import Role
from partners.models import OrganisationKind
from research import results
from tests.research.factories import build_survey, organisation, researcher, response_given

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {
        "code": "sector",
        "text": "Your sector?",
        "kind": "single",
        "options": ["minori", "anziani", "disabili"],
    },
    {
        "code": "tools",
        "text": "Tools you use?",
        "kind": "multiple",
        "options": ["mail", "chat", "phone"],
    },
    {"code": "trust", "text": "How much do you trust the network?", "kind": "likert"},
    {"code": "years", "text": "Years of work?", "kind": "number"},
    {"code": "note", "text": "Anything else?", "kind": "long_text"},
]


def _survey(owner, *, anonymous=True):
    return build_survey(owner, QUESTIONS, anonymous=anonymous)


def _results_url(survey, **params):
    url = reverse("research:survey_results", args=[survey.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _export(client, survey, fmt="csv", headers="codes"):
    return client.get(
        reverse("research:survey_export", args=[survey.pk]), {"format": fmt, "headers": headers}
    )


def _fill(survey, n_minori=6, n_anziani=2, **attrs):
    """Six answer "minori" (mail+chat, trust 4), two "anziani" (phone, trust 2)."""
    for i in range(n_minori):
        response_given(
            survey,
            {
                "sector": "minori",
                "tools": ["mail", "chat"],
                "trust": 4,
                "years": str(10 + i),
                "note": f"nota {i}",
            },
            **attrs,
        )
    for _ in range(n_anziani):
        response_given(survey, {"sector": "anziani", "tools": ["phone"], "trust": 2}, **attrs)


def _by_code(found, code):
    return next(r for r in found.questions if r.question.code == code)


def test_counts_per_option_and_per_kind():
    """Choice and scale questions count answers per option; small counts are hidden;
    numbers get n, mean, median, min and max; open answers are listed with their count."""
    owner = researcher()
    survey = _survey(owner)
    _fill(survey, n_minori=6, n_anziani=2)
    found = results.survey_results(user=owner, survey=survey)

    assert found.responses == 8
    sector = _by_code(found, "sector")
    # 2 anziani is small: hidden; the total (8) would give it away with minori (6) and
    # disabili (0), so a second value is hidden too.
    assert [o.code for o in sector.options] == ["minori", "anziani", "disabili"]
    values = {o.code: o.cell.value for o in sector.options}
    assert values["anziani"] is None
    assert values["disabili"] == 0
    assert values["minori"] is None or sector.total.value is None
    tools = _by_code(found, "tools")
    assert {o.code: o.cell.value for o in tools.options} == {"mail": 6, "chat": 6, "phone": None}
    assert tools.answered == 8
    trust = _by_code(found, "trust")
    assert [o.code for o in trust.options] == ["1", "2", "3", "4", "5"]
    assert trust.options[1].cell.suppressed and trust.answered == 8
    years = _by_code(found, "years").stats
    assert (years.n, years.minimum, years.maximum) == (6, 10, 15)
    assert str(years.mean) == "12.50" and str(years.median) == "12.50"
    note = _by_code(found, "note")
    assert note.text_count == 6 and sorted(note.texts) == [f"nota {i}" for i in range(6)]


def test_counts_without_small_cells_are_all_shown():
    owner = researcher()
    survey = _survey(owner)
    _fill(survey, n_minori=6, n_anziani=5)
    sector = _by_code(results.survey_results(user=owner, survey=survey), "sector")
    assert [o.cell.value for o in sector.options] == [6, 5, 0]
    assert sector.total.value == 11


def test_results_page_shows_small_counts_as_less_than_five(client):
    owner = researcher()
    survey = _survey(owner)
    _fill(survey, n_minori=6, n_anziani=2)
    client.force_login(owner)
    response = client.get(_results_url(survey))
    assert response.status_code == 200
    body = response.content.decode()
    assert "&lt;5" in body
    assert 'id="results-chart-data"' in body
    assert "research/results.js" in body and "<script>" not in body
    assert "nota 3" in body
    charts = response.context["charts"]
    sector_chart = next(c for c in charts if c["labels"] == ["Minori", "Anziani", "Disabili"])
    assert sector_chart["values"][1] is None  # the chart never draws a hidden count


def test_few_number_answers_hide_the_statistics(client):
    owner = researcher()
    survey = _survey(owner)
    _fill(survey, n_minori=3, n_anziani=0)
    client.force_login(owner)
    body = client.get(_results_url(survey)).content.decode()
    assert "Fewer than 5 answers" in body
    assert 'data-stat="min"' not in body


def test_anonymous_survey_has_no_crosstab(client):
    owner = researcher()
    survey = _survey(owner, anonymous=True)
    _fill(survey)
    assert (
        results.cross_tab(
            user=owner, survey=survey, question_id=survey.questions.get(code="sector").pk, by="role"
        )
        is None
    )
    client.force_login(owner)
    response = client.get(_results_url(survey, by="role"))
    assert response.context["crosstab"] is None
    assert "data-no-crosstab" in response.content.decode()
    assert "data-crosstab" not in response.content.decode().replace("data-no-crosstab", "")


def _named_world(owner):
    survey = _survey(owner, anonymous=False)
    coop = organisation(kind=OrganisationKind.COOPERATIVA_SOCIALE)
    comune = organisation(kind=OrganisationKind.COMUNE)
    _fill(survey, n_minori=7, n_anziani=6, organisation=coop, role=Role.OPERATOR)
    _fill(survey, n_minori=6, n_anziani=3, organisation=comune, role=Role.COORDINATOR)
    return survey


def _published_values(table):
    return [cell.value for cell in table.all_cells() if not cell.suppressed]


def test_crosstab_counts_per_organisation_kind():
    """Without small counts every cell and total is published, and right."""
    owner = researcher()
    survey = _survey(owner, anonymous=False)
    coop = organisation(kind=OrganisationKind.COOPERATIVA_SOCIALE)
    comune = organisation(kind=OrganisationKind.COMUNE)
    _fill(survey, n_minori=7, n_anziani=6, organisation=coop, role=Role.OPERATOR)
    _fill(survey, n_minori=6, n_anziani=5, organisation=comune, role=Role.COORDINATOR)
    tools = survey.questions.get(code="tools")
    tab = results.cross_tab(user=owner, survey=survey, question_id=tools.pk, by="organisation_kind")
    assert tab.col_labels == ["Mail", "Chat", "Phone"]
    assert tab.row_labels == ["Municipality", "Social cooperative"]
    assert tab.table.values() == ((6, 6, 5), (7, 7, 6))
    assert [c.value for c in tab.table.row_totals] == [17, 20]
    assert tab.table.grand_total.value == 37 and tab.table.suppressed_count == 0


def test_crosstab_by_organisation_kind_is_suppressed():
    """No published cell is 1–4 and a second cell is hidden in the line of the small one
    (secondary suppression); what is published is true."""
    owner = researcher()
    survey = _named_world(owner)
    sector = survey.questions.get(code="sector")
    tab = results.cross_tab(
        user=owner, survey=survey, question_id=sector.pk, by="organisation_kind"
    )
    assert tab.col_labels == ["Minori", "Anziani", "Disabili"]
    rows = {label: cells for label, cells, _total in tab.rows()}
    assert set(rows) == {"Municipality", "Social cooperative"}
    truth = {"Social cooperative": [7, 6, 0], "Municipality": [6, 3, 0]}
    for label, cells in rows.items():
        assert all(c.suppressed or c.value == v for c, v in zip(cells, truth[label], strict=True))
    assert rows["Municipality"][1].suppressed  # 3 anziani in comuni
    assert all(not 1 <= v <= 4 for v in _published_values(tab.table))
    # The small cell's row has another hidden value (a cell or its total).
    comune_row = list(rows["Municipality"]) + [
        tab.table.row_totals[tab.row_labels.index("Municipality")]
    ]
    assert sum(c.suppressed for c in comune_row) >= 2
    assert tab.table.suppressed_count >= 2


def test_crosstab_by_role_on_the_page(client):
    owner = researcher()
    survey = _named_world(owner)
    trust = survey.questions.get(code="trust")
    client.force_login(owner)
    response = client.get(_results_url(survey, by="role", question=trust.pk))
    assert response.status_code == 200
    tab = response.context["crosstab"]
    assert tab.by == "role" and tab.question == trust
    assert set(tab.row_labels) == {"Operator", "Coordinator"} or len(tab.row_labels) == 2
    body = response.content.decode()
    assert "data-crosstab" in body and "&lt;5" in body
    assert all(not 1 <= v <= 4 for v in _published_values(tab.table))


def test_csv_export_with_codes_anonymous_has_no_respondent_columns(client):
    owner = researcher()
    survey = _survey(owner)
    _fill(survey, n_minori=2, n_anziani=1)
    client.force_login(owner)
    response = _export(client, survey, "csv", "codes")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["sector", "tools", "trust", "years", "note"]
    body = sorted(rows[1:])
    assert len(body) == 3
    assert ["anziani", "phone", "2", "", ""] in body
    assert ["minori", "mail;chat", "4", "10", "nota 0"] in body


def test_csv_export_with_texts(client):
    owner = researcher(user__language="en")
    survey = _survey(owner)
    _fill(survey, n_minori=1, n_anziani=0)
    client.force_login(owner)
    rows = list(
        csv.reader(io.StringIO(_export(client, survey, "csv", "texts").content.decode("utf-8-sig")))
    )
    assert rows[0] == [q["text"] for q in QUESTIONS]


def test_xlsx_export_of_a_named_survey_has_role_and_kind_but_no_names(client):
    owner = researcher(user__language="en")
    survey = _survey(owner, anonymous=False)
    coop = organisation(kind=OrganisationKind.COOPERATIVA_SOCIALE, name="Cooperativa Il Sole")
    response_given(
        survey,
        {
            "sector": "minori",
            "tools": ["chat", "phone"],
            "trust": 5,
            "years": "3.5",
            "note": "=SUM(A1)",
        },
        organisation=coop,
        role=Role.OPERATOR,
    )
    client.force_login(owner)
    for headers, head in (
        ("codes", ["role", "organisation_kind", "sector", "tools", "trust", "years", "note"]),
        ("texts", ["Role", "Organisation kind", *[q["text"] for q in QUESTIONS]]),
    ):
        response = _export(client, survey, "xlsx", headers)
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert rows[0] == head
        assert rows[1][:5] == ["operator", "cooperativa_sociale", "minori", "chat;phone", 5]
        assert float(rows[1][5]) == 3.5
        assert rows[1][6] == "'=SUM(A1)"  # text, never a formula
        flat = " ".join(str(v) for r in rows for v in r)
        assert "Cooperativa Il Sole" not in flat and "@example.org" not in flat


def test_every_export_is_logged(client):
    owner = researcher()
    survey = _survey(owner)
    _fill(survey, n_minori=2, n_anziani=1)
    client.force_login(owner)
    before = AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).count()
    _export(client, survey, "csv")
    _export(client, survey, "xlsx", "texts")
    events = AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).order_by("pk")
    assert events.count() == before + 2
    last = events.last()
    assert last.target_type == "research.response" and last.target_id == "export:3"
    assert str(survey.pk) in last.purpose


def test_unknown_export_format_is_refused(client):
    owner = researcher()
    survey = _survey(owner)
    client.force_login(owner)
    assert _export(client, survey, "pdf").status_code == 400
    assert _export(client, survey, "csv", "names").status_code == 400


@pytest.mark.parametrize("anonymous", [True, False])
def test_results_page_queries_do_not_grow_with_responses(client, anonymous):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = researcher()
    client.force_login(owner)
    counts = []
    for n in (5, 50):
        survey = _survey(owner, anonymous=anonymous)
        _fill(survey, n_minori=n, n_anziani=0, **({} if anonymous else {"role": Role.OPERATOR}))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_results_url(survey)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert counts[1] <= 25
