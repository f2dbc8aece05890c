"""The piano di zona report as JSON, /api/v1/reports/: who reads which ambito, what the
answer holds (small counts of people hidden, other figures as computed), bad input, the
access log, and the queries it takes.

The world: ambito A with comuni C1 and C2, ambito B. In A, in the first quarter of 2026:
two people resident in C1 assessed for isolation (a count below 5: hidden) and 3.50 hours
given back within a pact of one of them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from beneficiaries.models import Case
from legami.models import AccessEvent
from legami.roles import Role
from pacts.models import (
    Commitment,
    CommitmentDirection,
    CommitmentKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Pact,
    PactStatus,
)
from reports.api import AUDIT_PURPOSE
from reports.indicators import INDICATORS
from tests.beneficiaries.factories import AssessmentFactory, CaseFactory, PersonFactory
from tests.fixtures import english, make_user  # noqa: F401 - fixtures of this module
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory
from tests.permissions import client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/reports/"


@pytest.fixture
def world() -> dict[str, Any]:
    a, b = AmbitoFactory(name="Ambito A"), AmbitoFactory(name="Ambito B")
    c1, c2 = ComuneFactory(ambito=a, name="Comune Uno"), ComuneFactory(ambito=a)
    organisation = OrganisationFactory()
    people = []
    for day in (dt.date(2026, 1, 20), dt.date(2026, 2, 5)):
        person = PersonFactory(residence_comune=c1)
        CaseFactory(person=person, organisation=organisation, ambito=a)
        AssessmentFactory(person=person, date=day)
        people.append(person)
    person = people[0]
    pact = Pact.objects.create(
        case=Case.objects.get(person=person),
        person=person,
        title="Patto",
        status=PactStatus.ACTIVE,
        start_date=dt.date(2026, 1, 5),
    )
    commitment = Commitment.objects.create(
        pact=pact,
        direction=CommitmentDirection.GIVES_BACK,
        kind=CommitmentKind.VOLUNTEERING,
        description="Restituzione",
        owner="Parrocchia",
        quantity=Decimal(1),
        unit="hours",
        period="month",
    )
    giver = LedgerAccount.objects.create(person=person)
    receiver = LedgerAccount.objects.create(organisation=organisation)
    txn = LedgerTransaction.objects.create(
        pact=pact,
        commitment=commitment,
        date=dt.date(2026, 2, 10),
        hours=Decimal("3.50"),
        giver=giver,
        receiver=receiver,
    )
    LedgerEntry.objects.create(transaction=txn, account=giver, amount=Decimal("3.50"))
    LedgerEntry.objects.create(transaction=txn, account=receiver, amount=Decimal("-3.50"))
    return {"a": a, "b": b, "c1": c1, "c2": c2}


@pytest.fixture
def login(make_user, enable_totp):  # noqa: F811 - the fixture imported above
    """``login(role, ambito=None) -> Client``: a user holding ``role`` at an organisation
    serving ``ambito`` (a fresh one when None), with a second factor where the role needs
    one; ``login(None)`` logs in a citizen."""

    def _login(role: str | None, ambito: Any = None) -> Client:
        user = make_user()
        if role is not None:
            organisation = OrganisationFactory(ambiti=[ambito] if ambito else [])
            MembershipFactory(user=user, organisation=organisation, role=role)
            enable_totp(user)
        return client_for(user)

    return _login


def url(ambito: Any, period: str = "2026-Q1") -> str:
    return f"{API}{ambito.code}/{period}/"


def indicator(body: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for area in body["areas"] for i in area["indicators"] if i["code"] == code)


# --- The answer ---------------------------------------------------------------------------


def test_the_report_shows_figures_through_small_count_suppression(world, login):
    """Two people assessed is a count below 5: null and hidden, never 2. Hours come back
    as computed, as a decimal string."""
    response = login(Role.AMBITO_ADMIN, world["a"]).get(url(world["a"]))
    assert response.status_code == 200
    body = response.json()
    assert body["ambito"] == {"code": world["a"].code, "name": "Ambito A"}
    assert body["comune"] is None
    assert body["period"] == {
        "code": "2026-Q1",
        "kind": "quarter",
        "start": "2026-01-01",
        "end": "2026-03-31",
    }
    assessed = indicator(body, "isolation_assessed")
    assert assessed["unit"] == "people"
    assert (assessed["value"], assessed["hidden"]) == (None, True)
    hours = indicator(body, "hours_given_back")
    assert hours == {
        "code": "hours_given_back",
        "title": "Hours given back to organisations",
        "unit": "hours",
        "value": "3.50",
        "hidden": False,
        "breakdowns": [
            {
                "dimension": "kind",
                "additive": True,
                "rows": [
                    {
                        "key": "volunteering",
                        "label": str(CommitmentKind.VOLUNTEERING.label),
                        "value": "3.50",
                        "hidden": False,
                    }
                ],
            }
        ],
    }


def test_every_area_and_indicator_is_in_the_full_report(world, login):
    body = login(Role.NETWORK_ADMIN).get(url(world["a"])).json()
    codes = [i["code"] for area in body["areas"] for i in area["indicators"]]
    assert sorted(codes) == sorted(INDICATORS)
    for area in body["areas"]:
        assert area["title"]
        for item in area["indicators"]:
            assert set(item) == {"code", "title", "unit", "value", "hidden", "breakdowns"}
            for part in item["breakdowns"]:
                assert set(part) == {"dimension", "additive", "rows"}
                for row in part["rows"]:
                    assert set(row) == {"key", "label", "value", "hidden"}
                    assert row["value"] is None or isinstance(row["value"], str)


def test_areas_restrict_the_report(world, login):
    client = login(Role.AMBITO_ADMIN, world["a"])
    body = client.get(url(world["a"]), {"area": ["isolation", "pacts"]}).json()
    assert [area["code"] for area in body["areas"]] == ["pacts", "isolation"]  # AREAS order
    body = client.get(url(world["a"]) + "?area=pacts").json()
    assert [area["code"] for area in body["areas"]] == ["pacts"]


def test_a_comune_restricts_the_report(world, login):
    client = login(Role.AMBITO_ADMIN, world["a"])
    body = client.get(url(world["a"]), {"comune": world["c1"].pk, "area": "pacts"}).json()
    assert body["comune"] == {"id": world["c1"].pk, "name": "Comune Uno"}
    assert indicator(body, "hours_given_back")["value"] == "3.50"
    body = client.get(url(world["a"]), {"comune": world["c2"].pk, "area": "pacts"}).json()
    assert indicator(body, "hours_given_back")["value"] == "0.00"


def test_the_list_names_the_readable_ambiti_and_this_years_report(world, login):
    year = timezone.localdate().year
    body = login(Role.COORDINATOR, world["b"]).get(API).json()
    assert body == [
        {
            "code": world["b"].code,
            "name": "Ambito B",
            "url": f"http://testserver{API}{world['b'].code}/{year}/",
        }
    ]
    everything = login(Role.NETWORK_ADMIN).get(API).json()
    assert [row["code"] for row in everything] == [world["a"].code, world["b"].code]


# --- Who reads what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "own", "other"),
    [
        (Role.AMBITO_ADMIN, 200, 404),
        (Role.COORDINATOR, 200, 404),
        (Role.NETWORK_ADMIN, 200, 200),
        (Role.OPERATOR, 403, 403),
        (Role.PARTNER_STAFF, 403, 403),
        (Role.RESEARCHER, 403, 403),
        (Role.FUNDRAISER, 403, 403),
        (Role.FACILITATOR, 403, 403),
        (Role.DPO, 403, 403),
        (None, 403, 403),  # a citizen
    ],
)
def test_who_reads_which_report(world, login, role, own, other):
    client = login(role, world["a"])
    assert client.get(url(world["a"])).status_code == own
    assert client.get(url(world["b"])).status_code == other
    assert client.get(API).status_code == (200 if own == 200 else 403)


def test_an_unknown_ambito_is_not_found(world, login):
    assert login(Role.NETWORK_ADMIN).get(f"{API}no-such-ambito/2026/").status_code == 404


def test_anonymous_callers_are_asked_to_authenticate(world):
    for address in (API, url(world["a"])):
        response = Client().get(address)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Token"


def test_only_get_is_answered(world, login):
    client = login(Role.NETWORK_ADMIN)
    for address in (API, url(world["a"])):
        assert client.post(address).status_code == 405
        assert client.delete(address).status_code == 405


def test_a_token_reads_the_report(world, make_user, enable_totp):  # noqa: F811
    from rest_framework.authtoken.models import Token

    user = make_user(role=Role.NETWORK_ADMIN)
    enable_totp(user)
    token = Token.objects.create(user=user)
    response = Client().get(url(world["a"]), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


# --- Bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["2026-13", "2026-Q5", "26", "2026-2028", "nonsense"])
def test_a_malformed_period_is_refused_with_a_message(world, login, period):
    response = login(Role.AMBITO_ADMIN, world["a"]).get(url(world["a"], period))
    assert response.status_code == 400
    assert response.json() == {
        "period": ["Not a period: write 2026-03, 2026-Q1, 2026 or 2025-2027."]
    }


def test_a_comune_of_another_ambito_or_none_is_refused(world, login):
    client = login(Role.NETWORK_ADMIN)
    other = ComuneFactory(ambito=world["b"])
    response = client.get(url(world["a"]), {"comune": other.pk})
    assert response.status_code == 400
    assert response.json() == {"comune": ["Not a comune of this ambito."]}
    response = client.get(url(world["a"]), {"comune": "uno"})
    assert response.status_code == 400
    assert response.json() == {"comune": ["A valid integer is required."]}


def test_an_unknown_area_is_refused(world, login):
    response = login(Role.NETWORK_ADMIN).get(url(world["a"]), {"area": ["pacts", "weather"]})
    assert response.status_code == 400
    assert response.json() == {"area": {"1": ['"weather" is not a valid choice.']}}


def test_an_ambito_the_user_may_not_read_is_not_found_whatever_the_period(world, login):
    client = login(Role.AMBITO_ADMIN, world["a"])
    assert client.get(url(world["b"], "nonsense")).status_code == 404


# --- Access log, queries, schema ----------------------------------------------------------


def test_each_report_read_is_in_the_access_log(world, login):
    client = login(Role.AMBITO_ADMIN, world["a"])
    client.get(url(world["a"]), {"comune": world["c1"].pk, "area": "pacts"})
    event = AccessEvent.objects.get()
    assert event.action == AccessEvent.Action.API
    assert event.purpose == AUDIT_PURPOSE == "piano di zona report API"
    assert (event.target_type, event.target_id) == ("legami.ambito", str(world["a"].pk))
    assert event.path.startswith(url(world["a"]) + "?")
    assert f"comune={world['c1'].pk}" in event.path
    # Refusals and bad input read nothing and log nothing; nor does the list.
    client.get(url(world["b"]))
    client.get(url(world["a"], "nonsense"))
    client.get(API)
    assert AccessEvent.objects.count() == 1


def test_the_report_takes_a_bounded_number_of_queries(world, login, django_assert_max_num_queries):
    """One query per indicator (as the indicators' own tests check), plus a fixed few for
    the session, the policy, the ambito and the access log."""
    client = login(Role.AMBITO_ADMIN, world["a"])
    with django_assert_max_num_queries(len(INDICATORS) + 15):
        assert client.get(url(world["a"])).status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(API).status_code == 200


def test_the_schema_describes_the_report_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    paths = schema["paths"]
    assert set(paths["/api/v1/reports/"]) == {"get"}
    detail = paths["/api/v1/reports/{ambito_code}/{period_code}/"]
    assert set(detail) == {"get"}
    assert {p["name"] for p in detail["get"]["parameters"]} == {
        "ambito_code",
        "period_code",
        "comune",
        "area",
    }
    value = schema["components"]["schemas"]["ReportIndicator"]["properties"]["value"]
    assert (value["type"], value["format"], value["nullable"]) == ("string", "decimal", True)
