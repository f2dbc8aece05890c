"""The vulnerability observatory: counts drawn from case files through the case-file
apps' selectors, small cells suppressed with secondary suppression, no person."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from beneficiaries import selectors as case_files
from beneficiaries.models import IntakeChannel, Sex, VulnerabilityArea
from pacts import selectors as pact_files
from pacts.models import Pact, PactStatus, Signatory, SignatoryKind
from tests.beneficiaries.factories import (
    AssessmentFactory,
    CaseFactory,
    IntakeFactory,
    PersonAreaFactory,
    PersonFactory,
)
from tests.legami.factories import AmbitoFactory
from tests.partners.factories import OrganisationFactory
from tests.research.factories import researcher

URL = "/research/osservatorio/"
A = VulnerabilityArea


def month_start(back: int) -> dt.date:
    """The first day of the month ``back`` months before the current one."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def month_key(back: int) -> str:
    first = month_start(back)
    return f"{first.year:04d}-{first.month:02d}"


# (months back, area, how many): 33 intakes; month 1 has one small cell (disability: 2).
PLAN = [
    (1, A.ELDERLY, 7),
    (1, A.POVERTY, 6),
    (1, A.DISABILITY, 2),
    (2, A.ELDERLY, 6),
    (2, A.POVERTY, 5),
    (3, A.ELDERLY, 5),
    (3, A.POVERTY, 2),
]


@pytest.fixture
def world(db):
    ambito = AmbitoFactory(name="Cremonese")
    organisation = OrganisationFactory()
    intakes = []
    for back, area, count in PLAN:
        for i in range(count):
            person = PersonFactory(
                sex=Sex.FEMALE if i % 2 else Sex.MALE, birth_date=dt.date(1950, 3, 1)
            )
            PersonAreaFactory(person=person, area=area)
            intakes.append(
                IntakeFactory(
                    person=person,
                    ambito=ambito,
                    organisation=organisation,
                    date=month_start(back) + dt.timedelta(days=i),
                    channel=IntakeChannel.COMMUNITY_LAB if i % 3 else IntakeChannel.SELF,
                )
            )
    return {"ambito": ambito, "organisation": organisation, "intakes": intakes}


def published_numbers(html: str) -> list[int]:
    """Every whole number in a table cell of the page."""
    return [int(n) for n in re.findall(r"<td[^>]*>\s*(\d+)\s*</td>", html)]


# --- Selectors: counts only --------------------------------------------------------------


def _only_counts(result: object) -> None:
    assert isinstance(result, dict)
    for key, value in result.items():
        assert isinstance(key, tuple) and all(type(part) is str for part in key), key
        assert type(value) is int and value >= 0
        assert not isinstance(value, models.Model)


@pytest.mark.parametrize("dimension", case_files.OBSERVATORY_DIMENSIONS)
def test_intake_selectors_return_counts_only(world, dimension):
    since, until = month_start(11), timezone.localdate()
    counts = case_files.intakes_by_month(since=since, until=until, dimension=dimension)
    _only_counts(counts)
    if dimension != "area":
        assert sum(counts.values()) == len(world["intakes"])


def test_intakes_are_counted_per_month_and_category(world):
    since, until = month_start(11), timezone.localdate()
    by_area = case_files.intakes_by_month(since=since, until=until, dimension="area")
    assert by_area[(month_key(1), A.DISABILITY)] == 2
    assert by_area[(month_key(1), A.ELDERLY)] == 7
    by_ambito = case_files.intakes_by_month(since=since, until=until, dimension="ambito")
    assert by_ambito[(month_key(2), "Cremonese")] == 11
    by_age = case_files.intakes_by_month(since=since, until=until, dimension="age_band")
    assert {band for _month, band in by_age} <= {"65-79", "80+"}
    with pytest.raises(ValueError):
        case_files.intakes_by_month(since=since, until=until, dimension="first_name")


def test_isolation_risk_counts_the_latest_lsns6_of_each_quarter(db):
    today = timezone.localdate()
    first = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    for i in range(6):
        person = PersonFactory()
        # An earlier score of the quarter is replaced by the latest one.
        AssessmentFactory(person=person, date=first, total=20, at_risk=False)
        AssessmentFactory(person=person, date=first + dt.timedelta(days=1), total=6 + i)
    counts = case_files.isolation_risk(since=first, until=today)
    _only_counts(counts)
    label = case_files.quarters(first, today)[-1][0]
    assert counts[(label, case_files.AT_RISK)] == 6  # totals 6..11
    assert counts[(label, case_files.NOT_AT_RISK)] == 0


def test_intake_to_pact_counts_by_band_of_days(db):
    today = timezone.localdate()
    for days in (10, 20, 45):
        intake = IntakeFactory(date=today - dt.timedelta(days=days))
        case = CaseFactory(person=intake.person, intake=intake, opened_on=intake.date)
        pact = Pact.objects.create(
            case=case, person=case.person, title="Patto", status=PactStatus.SIGNED
        )
        Signatory.objects.create(
            pact=pact, kind=SignatoryKind.BENEFICIARY, signed_at=timezone.now()
        )
    counts = pact_files.intake_to_pact(since=today - dt.timedelta(days=100), until=today)
    _only_counts(counts)
    assert sorted((band, n) for (_quarter, band), n in counts.items()) == [
        ("0-30", 2),
        ("31-90", 1),
    ]


# --- The page -----------------------------------------------------------------------------


def test_the_page_shows_counts_with_small_cells_suppressed(world, client):
    client.force_login(researcher())
    response = client.get(URL, {"dimension": "area", "months": "12"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "New intakes per month by vulnerability area" in html
    numbers = published_numbers(html)
    assert 7 in numbers and 11 in numbers and 33 in numbers
    assert not [n for n in numbers if 1 <= n <= 4]
    data = response.context["data"]
    for table in (data.intakes, data.isolation, data.intake_to_pact):
        assert not [n for n in table.published_values() if 1 <= n <= 4]
    rows = {row.label: row for row in data.intakes.rows}
    small = rows[month_key(1)]
    hidden = [cell for cell in (*small.cells, small.total) if cell.suppressed]
    # The disability count (2) is hidden, and a second value of the row with it.
    assert len(hidden) >= 2
    assert [c.value for c in small.cells if not c.suppressed] != [7, 6]
    # The column of the small count hides its total too (it would be the count itself).
    disability = data.intakes.columns.index(str(A.DISABILITY.label))
    assert data.intakes.col_totals[disability].suppressed
    # Published values are the true ones.
    assert rows[month_key(2)].total.value == 11
    assert data.intakes.grand_total.value == 33
    # The chart holds the monthly totals, None where suppressed.
    assert data.chart["labels"][-3] == month_key(2)
    assert data.chart["values"][-3] == 11
    assert 'id="observatory-chart-data"' in html
    assert "research/observatory.js" in html


def test_the_page_names_no_person_and_links_to_no_case_file(world, client):
    client.force_login(researcher())
    html = client.get(URL, {"dimension": "sex"}).content.decode()
    for intake in world["intakes"]:
        assert intake.person.last_name not in html
        assert str(intake.person.public_id) not in html
    assert "/beneficiaries/" not in html and "/casi/" not in html


@pytest.mark.parametrize("dimension", case_files.OBSERVATORY_DIMENSIONS)
def test_every_dimension_renders(world, client, dimension):
    client.force_login(researcher())
    response = client.get(URL, {"dimension": dimension, "months": "24"})
    assert response.status_code == 200
    assert not [n for n in response.context["data"].intakes.published_values() if 1 <= n <= 4]


def test_a_wrong_choice_is_refused_with_the_error_summary(world, client):
    client.force_login(researcher())
    response = client.get(URL, {"dimension": "codice_fiscale"})
    assert response.status_code == 400
    assert "data-error-summary" in response.content.decode()


def test_an_empty_observatory_renders(db, client):
    client.force_login(researcher())
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["data"].intakes.grand_total.value == 0


def _queries(client, n_per_month: int) -> int:
    for back in range(5):
        for i in range(n_per_month):
            person = PersonFactory()
            PersonAreaFactory(person=person, area=A.ELDERLY)
            IntakeFactory(person=person, date=month_start(back) + dt.timedelta(days=i % 20))
            AssessmentFactory(person=person, date=month_start(back), total=8 + i % 10)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, {"dimension": "area"}).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_intakes(client):
    client.force_login(researcher())
    few = _queries(client, 2)  # 10 intakes
    many = _queries(client, 10)  # 60 intakes in all
    assert few == many
    assert many <= 20
