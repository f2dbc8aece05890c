"""Hostile input: Schemathesis against the OpenAPI schema, once per role.

The schema is the one the app serves (``/api/schema/``); every operation gets a bounded
number of generated requests (hypothesis, derandomized), sent in process through the WSGI
application, authenticated as the role (an API token: session cookies would also need a
CSRF token on every unsafe method). Some requests keep the generated path parameters,
some have them pointed at records of a small world (a person with a case, a referral and
a consent, a pact with goals, commitments and signatories, an organisation, an
ambito...), so both "found" and "not found" are exercised; for a person logged in, some
are invalid on purpose (Schemathesis' negative mode: wrong types, missing fields, values
out of range).

For every role: no server error, and every status code, content type and response body
as the schema declares them. For the anonymous visitor, without credentials or with
credentials that do not exist: every operation declares authentication, so every one
answers 401 or 403.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.beneficiaries.factories import (
    ConsentFactory,
    HouseholdMemberFactory,
    ReferralFactory,
    assign,
)
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.pacts.factories import draft_pact
from tests.permissions import ROLES, make_role_user

pytestmark = pytest.mark.django_db

# Generated requests per operation and role (and for the anonymous visitor, whose every
# request is refused before its input is read): bounded, so that the file stays within a
# few minutes in CI; derandomized, so that a run is reproducible.
EXAMPLES = {False: 6, True: 2}
SCHEMA_PATH = "/api/schema/"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Known failures: {"METHOD /path/": reason}. Empty: every operation passes.
KNOWN_FAILURES: dict[str, str] = {}


_LOADED: dict[str, OpenApiSchema] = {}


@pytest.fixture
def api_schema(caplog) -> Iterator[OpenApiSchema]:
    """The schema the app serves, bound to Django's WSGI application (loaded once per
    process). The database connection stays open at the end of each request (as with
    Django's test client): the test's transaction must survive."""
    caplog.set_level(logging.ERROR, logger="django.request")  # 4xx are expected here
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        if "schema" not in _LOADED:
            _LOADED["schema"] = schemathesis.openapi.from_wsgi(SCHEMA_PATH, WSGIHandler())
        yield _LOADED["schema"]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def users(make_user, enable_totp) -> dict[str, Any]:
    """One user per role (TOTP set up where the role requires it); None for anonymous."""
    return {role: make_role_user(make_user, enable_totp, role) for role in ROLES}


@pytest.fixture
def known(users) -> dict[str, Any]:
    """Records the API can reach, by the path segment that comes before their parameter:
    the operator follows a case, in an ambito the coordinator's and the ambito
    administrator's organisations serve, whose pact the partner staff's organisation
    signs and to which the case is referred."""
    operator, partner_staff = users["operator"], users["partner_staff"]
    ambito = AmbitoFactory()
    for role in ("operator", "coordinator", "ambito_admin"):  # the ambito their work is in
        users[role].memberships.get().organisation.ambiti.add(ambito)
    comune = ComuneFactory(ambito=ambito)
    case = assign(operator, ambito=ambito)
    partner_membership = partner_staff.memberships.get()
    pact = draft_pact(operator, case=case, partner=partner_membership.organisation)
    person = case.person
    household = HouseholdMemberFactory(person=person)
    consent = ConsentFactory(person=person)
    referral = ReferralFactory(case=case, to_organisation=partner_membership.organisation)
    return {
        "ambiti": ambito.code,
        "comuni": comune.belfiore_code,
        "memberships": partner_membership.pk,
        "organisations": partner_membership.organisation.slug,
        "pacts": pact.public_id,
        "goals": pact.goals.first().pk,
        "commitments": pact.commitments.first().pk,
        "signatories": pact.signatories.first().pk,
        "persons": person.public_id,
        "cases": case.pk,
        "household": household.pk,
        "consents": consent.pk,
        "referrals": referral.pk,
        "reports": ambito.code,
        "period_code": str(case.opened_on.year),
    }


_PARAMETER = re.compile(r"([^/]+)/\{([^}]+)\}")


def _point_at_known(case: Any, known: dict[str, Any]) -> Any:
    """``case`` with every path parameter whose resource the world holds set to it."""
    for segment, name in _PARAMETER.findall(case.operation.path):
        if name in known:
            case.path_parameters[name] = str(known[name])
        elif segment in known:
            case.path_parameters[name] = str(known[segment])
    return case


# What an anonymous visitor sends: nothing, or credentials that are not (a token and a
# session that do not exist).
ANONYMOUS_CREDENTIALS: tuple[dict[str, str], ...] = (
    {},
    {"Authorization": "Token " + "0" * 40, "Cookie": "sessionid=" + "x" * 32},
)


def _credentials(user: Any) -> tuple[dict[str, str], ...]:
    if user is None:
        return ANONYMOUS_CREDENTIALS
    token, _ = Token.objects.get_or_create(user=user)
    return ({"Authorization": f"Token {token.key}"},)


def _summary(error: BaseException) -> str:
    """The failure in a few lines: the check's title and message, and how to reproduce."""
    text = str(error)
    notes = "\n".join(getattr(error, "__notes__", []))
    return "\n".join([f"{type(error).__name__}: {text[:1500]}", notes[-600:]])


def _strategy(operation: Any, known: dict[str, Any], role: str) -> st.SearchStrategy[Any]:
    """Valid requests as generated and pointed at the world's records; for a person who
    is logged in, also invalid ones (a wrong type, a missing field, a value out of range),
    which must be refused with a declared 4xx, never a 500."""
    valid = operation.as_strategy()
    strategies = [valid, valid.map(lambda case: _point_at_known(case, known))]
    if role != "anonymous":
        invalid = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
        strategies.append(invalid.map(lambda case: _point_at_known(case, known)))
    return st.one_of(strategies)


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_api_under_generated_requests(role, users, known, api_schema):
    failures: dict[str, str] = {}
    answered: dict[str, Counter[int]] = defaultdict(Counter)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 50

    for operation, headers in itertools.product(operations, _credentials(users[role])):
        label = f"{operation.method.upper()} {operation.path}"

        @settings(
            max_examples=EXAMPLES[role == "anonymous"],
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_strategy(operation, known, role))
        def run(case: Any) -> None:
            response = case.call(headers=headers)  # noqa: B023 - run here, in the loop
            answered[label][response.status_code] += 1  # noqa: B023
            if role == "anonymous":
                assert response.status_code in (401, 403), (
                    f"answered {response.status_code} without valid credentials"
                )
            case.validate_response(response, checks=CHECKS, headers=headers)  # noqa: B023

        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - reported below
            failures[label] = _summary(error)

    unexpected = {label: why for label, why in failures.items() if label not in KNOWN_FAILURES}
    assert not unexpected, f"{role}: " + "\n\n".join(
        f"{label}\n{why}" for label, why in sorted(unexpected.items())
    )
    # The credentials worked: a person logged in reads who they are.
    if role != "anonymous":
        assert set(answered["GET /api/v1/me/"]) == {200}, answered["GET /api/v1/me/"]


# --- What the fuzzing found, pinned ------------------------------------------------------


def test_an_api_address_no_view_answers_is_a_json_404(client):
    """A path parameter that no route takes (an id that is not a number) used to get the
    HTML "page not found" under /api/ too; the schema declares JSON."""
    response = client.get("/api/v1/pact-reminders/not-a-number/dismiss/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_a_page_no_view_answers_is_still_the_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_schema_declares_the_refusals_and_closes_the_partners_part(api_schema):
    raw = api_schema.raw_schema
    pact = raw["paths"]["/api/v1/pacts/{public_id}/"]
    assert {"200", "401", "403", "404"} <= set(pact["get"]["responses"])
    assert {"200", "400", "401", "403", "404"} <= set(pact["patch"]["responses"])
    assert raw["components"]["schemas"]["PartnerPact"]["additionalProperties"] is False
