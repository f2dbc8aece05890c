"""The two dashboards of the reports app: the coordination dashboard of a service
coordinator (/reports/coordinamento/) and the network in figures, open to everyone
(/reports/numeri/).

Expected figures are counted by hand from the small worlds built here. In ambito Alfa:
Anna Rossi follows three open cases alone and one with Bruno Verdi, who follows one
more alone; a closed case of Anna's, a case whose assignment has ended and a case
nobody was ever assigned to complete it. In ambito Beta, Carla Neri follows two cases.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from beneficiaries.models import CaseStage, ClosureReason, IntakeChannel
from labs.models import Registration, RegistrationStatus
from legami.models import AccessEvent
from legami.roles import Role, requires_mfa
from pacts.models import Pact, PactStatus
from reports.dashboards import LIST_LIMIT
from tests.beneficiaries.factories import (
    CaseAssignmentFactory,
    CaseFactory,
    IntakeFactory,
    PersonFactory,
)
from tests.fixtures import english  # noqa: F401  (autouse: pages are read in English)
from tests.labs.factories import LabFactory, MeetingFactory
from tests.legami.factories import AmbitoFactory, UserFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

COORDINATION = "/reports/coordinamento/"
PUBLIC = "/reports/numeri/"
_codes = itertools.count(1)


@pytest.fixture(autouse=True)
def own_cache(settings):
    """A cache of this test alone (the public page keeps its figures there)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-dashboards",
        }
    }
    cache.clear()
    yield
    cache.clear()


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def member(role: str, *ambiti: Any, enable_totp: Any) -> Any:
    user = MembershipFactory(
        organisation=OrganisationFactory(ambiti=list(ambiti)), role=role, user__language="en"
    ).user
    if requires_mfa(user):
        enable_totp(user)
    return user


def open_case(ambito: Any, *workers: Any, last_name: str = "", **fields: Any) -> Any:
    person = PersonFactory(**({"last_name": last_name} if last_name else {}))
    case = CaseFactory(person=person, ambito=ambito, **fields)
    for worker in workers:
        CaseAssignmentFactory(case=case, worker=worker)
    return case


def pact(case: Any, title: str, status: str, next_review_on: dt.date | None) -> Pact:
    return Pact.objects.create(
        case=case,
        person=case.person,
        title=title,
        status=status,
        start_date=dt.date(2025, 1, 10) if status != PactStatus.DRAFT else None,
        next_review_on=next_review_on,
    )


@pytest.fixture
def world() -> dict[str, Any]:
    today = timezone.localdate()
    alfa = AmbitoFactory(code="alfa", name="Ambito Alfa")
    beta = AmbitoFactory(code="beta", name="Ambito Beta")
    anna = UserFactory(first_name="Anna", last_name="Rossi")
    bruno = UserFactory(first_name="Bruno", last_name="Verdi")
    carla = UserFactory(first_name="Carla", last_name="Neri")
    alone = [open_case(alfa, anna, last_name=f"Alfauno{n}") for n in range(3)]
    shared = open_case(alfa, anna, bruno, last_name="Alfacondiviso")
    bruno_alone = open_case(alfa, bruno, last_name="Alfabruno")
    open_case(
        alfa,
        anna,
        stage=CaseStage.CLOSED,
        closed_on=dt.date(2025, 6, 1),
        closure_reason=ClosureReason.GOALS_REACHED,
    )
    ended = open_case(alfa, last_name="Alfafinito")
    CaseAssignmentFactory(case=ended, worker=bruno, end=dt.date(2025, 3, 1))
    open_case(alfa, last_name="Alfanessuno")
    beta_cases = [open_case(beta, carla, last_name=f"Betauno{n}") for n in range(2)]

    overdue = pact(alone[0], "Patto Alfa scaduto", PactStatus.ACTIVE, today - dt.timedelta(3))
    due = pact(shared, "Patto Alfa vicino", PactStatus.IN_REVIEW, today + dt.timedelta(10))
    pact(alone[1], "Patto Alfa lontano", PactStatus.ACTIVE, today + dt.timedelta(40))
    pact(alone[2], "Patto Alfa bozza", PactStatus.DRAFT, today + dt.timedelta(5))
    pact(beta_cases[0], "Patto Beta scaduto", PactStatus.ACTIVE, today - dt.timedelta(3))

    for case, channel, days_ago in (
        (alone[0], IntakeChannel.SELF, 1),
        (bruno_alone, IntakeChannel.SELF, 5),
        (shared, IntakeChannel.SCHOOL, 20),
        (alone[1], IntakeChannel.HEALTH, 40),  # too old
    ):
        case.intake = IntakeFactory(
            person=case.person,
            ambito=alfa,
            channel=channel,
            date=today - dt.timedelta(days=days_ago),
        )
        case.save(update_fields=["intake"])
    IntakeFactory(
        person=beta_cases[1].person,
        ambito=beta,
        channel=IntakeChannel.FAMILY,
        date=today - dt.timedelta(days=2),
    )
    return {
        "alfa": alfa,
        "beta": beta,
        "overdue": overdue,
        "due": due,
        "bruno_alone": bruno_alone,
        "anna": anna,
        "bruno": bruno,
        "carla": carla,
    }


@pytest.fixture
def coordinator_alfa(world, enable_totp) -> Any:
    return member(Role.COORDINATOR, world["alfa"], enable_totp=enable_totp)


def caseload(html: str) -> dict[str, int]:
    rows = re.findall(
        r'<tr data-worker="\d+"><th scope="row">(.*?)</th><td class="text-end">(\d+)</td>', html
    )
    return {name: int(n) for name, n in rows}


def channels(html: str) -> dict[str, int]:
    rows = re.findall(r'<tr data-channel="(\w+)"><th[^>]*>.*?</th><td[^>]*>(\d+)</td>', html)
    return {key: int(n) for key, n in rows}


# --- The coordination dashboard ------------------------------------------------------------------


def test_a_coordinator_sees_the_open_cases_assigned_to_each_worker(world, coordinator_alfa):
    """Closed cases and ended assignments do not count; a shared case counts for both."""
    response = logged_in(coordinator_alfa).get(COORDINATION)
    assert response.status_code == 200
    html = response.content.decode()
    assert caseload(html) == {"Anna Rossi": 4, "Bruno Verdi": 2}
    # Open cases of Alfa: 3 + shared + Bruno's + the ended one + the unassigned one.
    assert "7 open cases" in html
    assert "2 of them have no worker assigned now" in html
    assert "data-report-chart" in html


def test_another_ambitos_cases_pacts_and_intakes_never_appear(world, coordinator_alfa):
    html = logged_in(coordinator_alfa).get(COORDINATION).content.decode()
    assert "Carla Neri" not in html
    assert "Patto Beta" not in html
    assert "Betauno" not in html
    assert "family" not in channels(html)


def test_reviews_overdue_and_due_link_to_the_pacts(world, coordinator_alfa):
    """Running pacts only; a review beyond 30 days or a draft's is not listed."""
    html = logged_in(coordinator_alfa).get(COORDINATION).content.decode()
    overdue = re.search(r'data-reviews="overdue".*?</table>', html, re.S)
    due = re.search(r'data-reviews="due".*?</table>', html, re.S)
    assert overdue and due
    assert f'href="{world["overdue"].get_absolute_url()}"' in overdue.group(0)
    assert "Patto Alfa vicino" not in overdue.group(0)
    assert f'href="{world["due"].get_absolute_url()}"' in due.group(0)
    assert "Patto Alfa scaduto" not in due.group(0)
    assert "Patto Alfa lontano" not in html
    assert "Patto Alfa bozza" not in html
    assert "1 review overdue" in html
    assert "1 due in the next 30 days" in html


def test_the_pacts_listed_open_for_the_coordinator(world, coordinator_alfa):
    client = logged_in(coordinator_alfa)
    assert client.get(world["overdue"].get_absolute_url()).status_code == 200


def test_new_intakes_of_the_last_30_days_by_channel(world, coordinator_alfa):
    html = logged_in(coordinator_alfa).get(COORDINATION).content.decode()
    assert channels(html) == {"self": 2, "school": 1}
    assert re.search(r"3 intakes from", html)
    listed = re.search(r"data-intakes>.*?</ul>", html, re.S)
    assert listed
    assert listed.group(0).count("data-intake=") == 3
    case = world["bruno_alone"]
    assert f'href="/cases/p/{case.person.public_id}/#case-{case.pk}"' in listed.group(0)


def test_the_people_listed_are_written_to_the_access_log(world, coordinator_alfa):
    logged_in(coordinator_alfa).get(COORDINATION)
    events = AccessEvent.objects.filter(actor=coordinator_alfa, purpose="coordination dashboard")
    # Two pacts' people and three intakes' people, two of them the same (alone[0], shared).
    assert events.count() == 3
    assert set(events.values_list("action", flat=True)) == {"list"}


def test_a_coordinator_of_alfa_cannot_ask_for_beta(world, coordinator_alfa):
    client = logged_in(coordinator_alfa)
    assert client.get(COORDINATION, {"ambito": "beta"}).status_code == 404
    assert client.get(COORDINATION, {"ambito": "nowhere"}).status_code == 404
    assert client.get(COORDINATION, {"ambito": "alfa"}).status_code == 200


def test_a_coordinator_of_two_ambiti_chooses_one(world, enable_totp):
    coordinator = member(Role.COORDINATOR, world["alfa"], world["beta"], enable_totp=enable_totp)
    client = logged_in(coordinator)
    html = client.get(COORDINATION).content.decode()
    assert caseload(html) == {"Anna Rossi": 4, "Bruno Verdi": 2, "Carla Neri": 2}
    assert 'name="ambito"' in html
    html = client.get(COORDINATION, {"ambito": "beta"}).content.decode()
    assert caseload(html) == {"Carla Neri": 2}
    assert "Patto Beta scaduto" in html and "Patto Alfa" not in html
    assert channels(html) == {"family": 1}


def test_a_single_ambito_has_no_filter(world, coordinator_alfa):
    html = logged_in(coordinator_alfa).get(COORDINATION).content.decode()
    assert 'name="ambito"' not in html


@pytest.mark.parametrize("role", [Role.AMBITO_ADMIN, Role.NETWORK_ADMIN, Role.OPERATOR])
def test_only_coordinators_open_the_dashboard(world, enable_totp, role):
    user = member(role, world["alfa"], enable_totp=enable_totp)
    assert logged_in(user).get(COORDINATION).status_code == 403


def many(ambito: Any, n: int, today: dt.date) -> None:
    """``n`` workers, each with one open case, a pact due and an intake."""
    for _ in range(n):
        case = open_case(ambito, UserFactory())
        pact(case, "Patto", PactStatus.ACTIVE, today + dt.timedelta(days=2))
        IntakeFactory(person=case.person, ambito=ambito, date=today)


def test_the_coordination_dashboard_queries_do_not_grow_with_rows(
    enable_totp, django_assert_max_num_queries
):
    today = timezone.localdate()
    small, large = AmbitoFactory(code="small"), AmbitoFactory(code="large")
    many(small, 2, today)
    many(large, 6, today)
    coordinator = member(Role.COORDINATOR, small, large, enable_totp=enable_totp)
    client = logged_in(coordinator)
    # Session, user, memberships, MFA, ambiti; caseload, case counts; review counts,
    # overdue, due; intakes by channel, latest intakes and their cases; the access log (2).
    bound = 15
    with django_assert_max_num_queries(bound):
        html = client.get(COORDINATION, {"ambito": "small"}).content.decode()
    assert len(caseload(html)) == 2
    with django_assert_max_num_queries(bound):
        html = client.get(COORDINATION, {"ambito": "large"}).content.decode()
    assert len(caseload(html)) == 6


def test_long_lists_are_cut(enable_totp):
    today = timezone.localdate()
    ambito = AmbitoFactory(code="busy")
    many(ambito, LIST_LIMIT + 2, today)
    coordinator = member(Role.COORDINATOR, ambito, enable_totp=enable_totp)
    html = logged_in(coordinator).get(COORDINATION).content.decode()
    assert f"{LIST_LIMIT + 2} due in the next 30 days" in html
    assert f"The first {LIST_LIMIT} of {LIST_LIMIT + 2}" in html
    assert html.count("data-intake=") == LIST_LIMIT


# --- The network in figures ----------------------------------------------------------------------


def held_meeting(ambito: Any, start: dt.datetime, attended: int) -> Any:
    meeting = MeetingFactory(
        lab=LabFactory(ambito=ambito),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )
    for n in range(attended):
        code = next(_codes)
        Registration.objects.create(
            meeting=meeting,
            email=f"p{n}-{meeting.pk}@example.org",
            name=f"Persona {n}",
            status=RegistrationStatus.CONFIRMED,
            code=f"D{code:07d}",
            nonce=f"d{code}",
            attended=True,
        )
    return meeting


@pytest.fixture
def figures_world() -> dict[str, Any]:
    """Last year: in Alfa two meetings with 2 and 1 people present (3 people), in Beta one
    meeting with 6; this year nothing. Beta also has an active pact started last year."""
    last = timezone.localdate().year - 1
    zone = timezone.get_current_timezone()
    alfa = AmbitoFactory(code="alfa", name="Ambito Alfa")
    beta = AmbitoFactory(code="beta", name="Ambito Beta")
    held_meeting(alfa, dt.datetime(last, 3, 10, 17, tzinfo=zone), 2)
    held_meeting(alfa, dt.datetime(last, 4, 10, 17, tzinfo=zone), 1)
    held_meeting(beta, dt.datetime(last, 5, 10, 17, tzinfo=zone), 6)
    case = open_case(beta, UserFactory())
    Pact.objects.create(
        case=case,
        person=case.person,
        title="Patto",
        status=PactStatus.ACTIVE,
        start_date=dt.date(last, 6, 1),
    )
    return {"alfa": alfa, "beta": beta, "last": last}


def figure_section(html: str, code: str) -> str:
    found = re.search(rf'data-figure="{code}".*?</section>', html, re.S)
    assert found, code
    return found.group(0)


def cells(section: str, row: str) -> list[str]:
    found = re.search(rf'<tr data-row="{row}">(.*?)</tr>', section, re.S)
    assert found, row
    return [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)]


def test_anonymous_visitors_read_the_figures_with_small_counts_hidden(figures_world):
    response = Client().get(PUBLIC)
    assert response.status_code == 200
    html = response.content.decode()
    people = figure_section(html, "lab_participants")
    this_year, last_year = cells(people, "Ambito Alfa")
    assert "&lt;5" in last_year and "data-suppressed" in last_year  # 3 people
    assert "3" not in re.sub(r"<[^>]+>", "", last_year)
    assert cells(people, "Ambito Beta")[1] == "6 people"
    assert 'data-row="province"' not in people  # counts of people are not added up
    assert "no province total for counts of people" in people


def test_counts_of_things_have_a_province_total(figures_world):
    html = Client().get(PUBLIC).content.decode()
    meetings = figure_section(html, "lab_meetings")
    assert cells(meetings, "Ambito Alfa") == ["0", "2"]
    assert cells(meetings, "Ambito Beta") == ["0", "1"]
    assert cells(meetings, "province") == ["0", "3"]
    pacts = figure_section(html, "pacts_by_status-active")
    assert cells(pacts, "Ambito Alfa") == ["0", "0"]
    assert cells(pacts, "Ambito Beta") == ["1", "1"]
    assert cells(pacts, "province") == ["1", "1"]
    assert "data-report-chart" in html


def test_the_figures_are_cached_for_anonymous_visitors(
    figures_world, django_assert_max_num_queries, django_assert_num_queries
):
    with django_assert_max_num_queries(60):
        first = Client().get(PUBLIC).content.decode()
    # A new meeting does not show before the cache expires, and no query is made.
    held_meeting(figures_world["alfa"], timezone.now() - dt.timedelta(days=400), 9)
    with django_assert_num_queries(0):
        second = Client().get(PUBLIC).content.decode()
    assert cells(figure_section(second, "lab_meetings"), "province") == cells(
        figure_section(first, "lab_meetings"), "province"
    )


def test_the_public_figures_queries_do_not_grow_with_rows(
    figures_world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(60) as small:
        Client().get(PUBLIC)
    cache.clear()
    zone = timezone.get_current_timezone()
    for n in range(6):
        held_meeting(
            figures_world["alfa"], dt.datetime(figures_world["last"], 7, 1 + n, tzinfo=zone), 3
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = Client().get(PUBLIC).content.decode()
    assert cells(figure_section(html, "lab_meetings"), "Ambito Alfa")[1] == "8"


def test_the_cache_is_kept_per_language(figures_world, django_assert_max_num_queries):
    Client().get(PUBLIC)
    client = Client()
    client.cookies["django_language"] = "it"
    with django_assert_max_num_queries(60) as queries:
        response = client.get(PUBLIC, headers={"accept-language": "it"})
    assert response.headers["Content-Language"] == "it"
    assert len(queries.captured_queries) > 0
