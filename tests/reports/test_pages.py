"""The piano di zona report pages: the list of the ambiti a person reads (/reports/) and
one report (/reports/<ambito>/<period>/?comune=<id>).

Figures come from a small world counted by hand: in ambito A, six women taken in charge
in 2026 (two of them living in comune C1), seven intakes in 2026 and two in 2025; in
ambito B, one person. An ambito the person may not read is not there (404); a comune
that is not one of the ambito's, or not a number, is a bad request (400, as in the API).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from beneficiaries.models import IntakeChannel, Sex
from legami.models import AccessEvent
from legami.roles import Role, requires_mfa
from tests.beneficiaries.factories import CaseFactory, IntakeFactory, PersonFactory
from tests.fixtures import english  # noqa: F401  (autouse: pages are read in English)
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

D = dt.date


def reader(role: str, *ambiti: Any, enable_totp: Any) -> Any:
    user = MembershipFactory(
        organisation=OrganisationFactory(ambiti=list(ambiti)), role=role, user__language="en"
    ).user
    if requires_mfa(user):
        enable_totp(user)
    return user


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def taken_in_charge(ambito: Any, comune: Any, opened: dt.date) -> Any:
    person = PersonFactory(residence_comune=comune, sex=Sex.FEMALE, birth_date=D(1950, 1, 1))
    CaseFactory(person=person, ambito=ambito, opened_on=opened)
    return person


@pytest.fixture
def world() -> dict[str, Any]:
    a = AmbitoFactory(code="ambito-a", name="Ambito Alfa")
    b = AmbitoFactory(code="ambito-b", name="Ambito Beta")
    c1 = ComuneFactory(ambito=a, name="Comune Uno")
    c2 = ComuneFactory(ambito=a, name="Comune Due")
    c3 = ComuneFactory(ambito=b, name="Comune Tre")
    people = [taken_in_charge(a, c1 if n < 2 else c2, D(2026, 2, 1 + n)) for n in range(6)]
    taken_in_charge(b, c3, D(2026, 2, 1))
    for n in range(7):
        IntakeFactory(person=people[n % 6], ambito=a, date=D(2026, 3, 1 + n))
    for n in range(2):
        IntakeFactory(person=people[n], ambito=a, date=D(2025, 5, 1 + n))
    return {"a": a, "b": b, "c1": c1, "c2": c2, "c3": c3}


@pytest.fixture
def admin_a(world, enable_totp) -> Client:
    return logged_in(reader(Role.AMBITO_ADMIN, world["a"], enable_totp=enable_totp))


def indicator(html: str, code: str) -> str:
    """The part of the page about one indicator."""
    found = re.search(rf'data-indicator="{code}".*?</article>', html, re.S)
    assert found, code
    return found.group(0)


def value(html: str, code: str) -> str:
    found = re.search(r"data-value>(.*?)</dd>", indicator(html, code), re.S)
    assert found
    return found.group(1).strip()


# --- The list ---------------------------------------------------------------------------------


def test_an_ambito_admin_finds_the_reports_of_their_ambito(world, admin_a):
    html = admin_a.get("/reports/").content.decode()
    year = timezone.localdate().year
    assert "Ambito Alfa" in html
    assert "Ambito Beta" not in html
    assert f'href="/reports/ambito-a/{year}/"' in html
    assert f'href="/reports/ambito-a/{year - 1}/"' in html
    # The form offers the ambito's comuni only.
    assert "Comune Uno" in html and "Comune Tre" not in html


def test_a_network_admin_finds_every_ambito(world, enable_totp):
    html = logged_in(reader(Role.NETWORK_ADMIN, enable_totp=enable_totp)).get("/reports/")
    text = html.content.decode()
    assert "Ambito Alfa" in text and "Ambito Beta" in text


def test_the_form_opens_the_report_chosen(world, admin_a):
    response = admin_a.get(
        "/reports/", {"ambito": "ambito-a", "period": "2026-q1", "comune": world["c1"].pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/reports/ambito-a/2026-Q1/?comune={world['c1'].pk}"
    response = admin_a.get("/reports/", {"ambito": "ambito-a", "period": "2026", "comune": ""})
    assert response["Location"] == "/reports/ambito-a/2026/"


def test_the_form_refuses_a_bad_period_a_foreign_ambito_or_comune(world, admin_a):
    response = admin_a.get("/reports/", {"ambito": "ambito-a", "period": "2026-13"})
    assert response.status_code == 400
    assert "Write the period as 2026-03, 2026-Q1, 2026 or 2025-2027." in response.content.decode()
    response = admin_a.get("/reports/", {"ambito": "ambito-b", "period": "2026"})
    assert response.status_code == 400
    response = admin_a.get(
        "/reports/", {"ambito": "ambito-a", "period": "2026", "comune": world["c3"].pk}
    )
    assert response.status_code == 400


# --- The report -------------------------------------------------------------------------------


def test_the_report_shows_the_figures_of_the_ambito(world, admin_a):
    response = admin_a.get("/reports/ambito-a/2026/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ambito Alfa" in html and "Year 2026" in html
    assert value(html, "people_in_charge") == "6 people"
    assert value(html, "intakes_by_channel") == "7"
    intakes = indicator(html, "intakes_by_channel")
    # 2025: two intakes; the difference is said in words.
    assert "5 more than in the previous period." in intakes
    # The breakdown is a table with a caption and header cells, and a chart.
    assert "<caption>Intakes by channel: breakdown by channel</caption>" in intakes
    assert '<th scope="col">Channel</th>' in intakes
    assert '<th scope="row">the person themselves</th><td class="text-end">7</td>' in intakes
    # The chart plots the same figures, from the canvas's data attributes.
    plotted = re.search(r'data-report-chart .*?data-values="\[(.*?)\]"', intakes)
    assert plotted and sorted(int(v) for v in plotted.group(1).split(", "))[-1] == 7
    # Areas in their order, each with its heading.
    positions = [html.index(f'id="area-{area}"') for area in ("people", "intakes", "pacts")]
    assert positions == sorted(positions)
    # The chart is drawn by a static file, never inline.
    assert "/static/reports/report.js" in html
    assert "<script>" not in html


def test_a_small_count_of_people_reads_less_than_five_and_is_not_compared(world, admin_a):
    response = admin_a.get(f"/reports/ambito-a/2026/?comune={world['c1'].pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Comune Uno" in html
    assert 'href="/reports/ambito-a/2026/">Show the whole ambito Ambito Alfa</a>' in html
    people = indicator(html, "people_in_charge")
    assert "&lt;5" in value(html, "people_in_charge")
    assert "fewer than 5" in people
    assert "data-comparison" not in people
    # Every other value of its breakdowns is zero: nothing to compare, no chart.
    assert "data-report-chart" not in people
    # Fundraising has no comune.
    assert "not available for a comune" in value(html, "fundraising_raised")


def test_the_report_links_to_the_periods_around_it(world, admin_a):
    html = admin_a.get(f"/reports/ambito-a/2026-Q1/?comune={world['c2'].pk}").content.decode()
    assert f'href="/reports/ambito-a/2025-Q4/?comune={world["c2"].pk}" rel="prev"' in html
    assert f'href="/reports/ambito-a/2026-Q2/?comune={world["c2"].pk}" rel="next"' in html
    assert "First quarter of 2026" in html
    html = admin_a.get("/reports/ambito-a/2026-03/").content.decode()
    assert 'href="/reports/ambito-a/2026-02/" rel="prev"' in html
    assert 'href="/reports/ambito-a/2026-04/" rel="next"' in html
    assert "March 2026" in html
    html = admin_a.get("/reports/ambito-a/2025-2027/").content.decode()
    assert 'href="/reports/ambito-a/2022-2024/" rel="prev"' in html
    assert 'href="/reports/ambito-a/2028-2030/" rel="next"' in html


def test_reading_a_report_is_written_to_the_access_log(world, admin_a):
    admin_a.get("/reports/ambito-a/2026/")
    event = AccessEvent.objects.get()
    assert event.action == AccessEvent.Action.VIEW
    assert event.purpose == "piano di zona report"
    assert event.target_type == "legami.ambito"
    assert event.target_id == str(world["a"].pk)


def test_a_coordinator_reads_the_report_of_their_ambito(world, enable_totp):
    client = logged_in(reader(Role.COORDINATOR, world["a"], enable_totp=enable_totp))
    assert client.get("/reports/ambito-a/2026/").status_code == 200
    assert client.get("/reports/ambito-b/2026/").status_code == 404


def test_a_network_admin_reads_every_report(world, enable_totp):
    client = logged_in(reader(Role.NETWORK_ADMIN, enable_totp=enable_totp))
    assert client.get("/reports/ambito-a/2026/").status_code == 200
    assert client.get("/reports/ambito-b/2026/").status_code == 200


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/reports/ambito-b/2026/", 404),  # another ambito
        ("/reports/no-such-ambito/2026/", 404),
        ("/reports/ambito-a/2026-13/", 400),
        ("/reports/ambito-a/2026-Q5/", 400),
        ("/reports/ambito-a/2026-2028/", 400),  # not a plan's years
        ("/reports/ambito-a/yesterday/", 400),
        ("/reports/ambito-a/2026/?comune=one", 400),
        ("/reports/ambito-a/2026/?comune=-1", 400),
        ("/reports/ambito-a/2026/?comune=99999999999999999999", 400),
        ("/reports/ambito-a/2026/?comune={c3}", 400),  # a comune of another ambito
        ("/reports/ambito-a/2026/?comune=999999", 400),
    ],
)
def test_what_is_not_a_report_of_the_ambito(world, admin_a, url, status):
    response = admin_a.get(url.format(c3=world["c3"].pk))
    assert response.status_code == status
    if status == 400:
        assert "data-report-error" in response.content.decode()
    assert not AccessEvent.objects.exists()


def test_a_bad_period_says_how_to_write_one(world, admin_a):
    html = admin_a.get("/reports/ambito-a/2026-13/").content.decode()
    assert "is not a period: write 2026-03, 2026-Q1, 2026 or 2025-2027." in html


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.RESEARCHER, Role.DPO, Role.FUNDRAISER])
def test_other_roles_are_refused(world, enable_totp, role):
    client = logged_in(reader(role, world["a"], enable_totp=enable_totp))
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/ambito-a/2026/").status_code == 403


def test_the_navigation_offers_reports_to_their_readers_only(world, enable_totp):
    for role, shown in [
        (Role.AMBITO_ADMIN, True),
        (Role.COORDINATOR, True),
        (Role.NETWORK_ADMIN, True),
        (Role.OPERATOR, False),
        (Role.RESEARCHER, False),
        (Role.PARTNER_STAFF, False),
    ]:
        client = logged_in(reader(role, world["a"], enable_totp=enable_totp))
        assert ('href="/reports/"' in client.get("/").content.decode()) is shown, role
    assert 'href="/reports/"' not in Client().get("/").content.decode()


def test_the_report_runs_a_bounded_number_of_queries(world, admin_a):
    """More intakes and people in one area do not make the page ask more queries."""

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_a.get("/reports/ambito-a/2026/").status_code == 200
        return len(queries)

    before = count()
    for n in range(15):
        person = taken_in_charge(world["a"], world["c1"], D(2026, 4, 1 + n))
        IntakeFactory(person=person, ambito=world["a"], date=D(2026, 4, 1 + n))
        IntakeFactory(
            person=person, ambito=world["a"], date=D(2025, 4, 1 + n), channel=IntakeChannel.PARTNER
        )
    after = count()
    assert after == before
    assert after <= 100


def test_a_chart_leaves_hidden_values_out_and_says_so():
    """Hidden values are not plotted (null), the others are; a breakdown whose shown
    values are all zero has no chart."""
    from reports.document import _line
    from reports.indicators import INDICATORS, Breakdown, Result, Unit

    indicator = INDICATORS["people_in_charge"]
    mixed = Breakdown("area", {"a": 3, "b": 10, "c": 0}, additive=False)
    zeros = Breakdown("sex", {"F": 0, "M": 0}, additive=False)
    now = Result("people_in_charge", Unit.PEOPLE, 13, (mixed, zeros))
    line = _line(indicator, "people", now, now, False, 1)
    chart, flat = line.tables
    assert chart.chart and chart.some_hidden and chart.chart_values == "[null, 10, 0]"
    assert not flat.chart
