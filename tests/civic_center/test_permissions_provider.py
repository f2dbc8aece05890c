"""Permission matrix of the providers' and coordinators' pages of the Civic Center
(civic_center/views/provider.py and coordination.py); see tests/permissions.py.

The world: an ambito with a comune, served by the organisations of ``partner_staff``
(whose organisation publishes ``offer`` and has a draft), of the coordinator and of the
ambito administrator; ``rival_staff`` works for a competitor serving the same ambito.
Open demand of three families, a proposed group agreement on ``offer`` that they all
accepted, and a matching run of the ambito.

Offers: their organisation's staff list, create, read, change, publish and withdraw
them; coordinators and administrators of the ambito read them (with prices) but may not
change them (403); a competitor and everybody else are told they do not exist (404).
Pseudonymised demand and the board: providers, coordinators and administrators (every
other role: 403). The market figures are public. Agreements: the provider's staff
confirm and cancel; coordinators and administrators read them; a competitor gets 404.
Matching: coordinators, ambito and network administrators (everybody else: 403).
Anonymous visitors are sent to log in, but for the public market page.

State-changing rows run each in a fresh world (the ``world`` fixture is per test).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from civic_center import windows
from civic_center.models import (
    Agreement,
    AgreementMember,
    DemandStatus,
    MatchingRun,
    MemberStatus,
    RunStatus,
)
from legami.roles import Role
from tests.civic_center.factories import DemandFactory, OfferFactory, ServiceCategoryFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory
from tests.permissions import ROLES, Row, check, make_role_user, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("rival_staff",)
EVERYONE = (*ROLES, *EXTRA)
Expected = dict[str, int | tuple[int, ...]]

LOGIN: Expected = {"anonymous": 302}
PROVIDERS = (Role.PARTNER_STAFF, "rival_staff")
RUNNERS = (Role.COORDINATOR, Role.AMBITO_ADMIN, Role.NETWORK_ADMIN)
MARKET_READERS = (*PROVIDERS, *RUNNERS)

STAFF_PAGE: Expected = {**LOGIN, **dict.fromkeys(PROVIDERS, 200)}
STAFF_FORM_POST: Expected = {**LOGIN, **dict.fromkeys(PROVIDERS, 400)}
MARKET_PAGE: Expected = {**LOGIN, **dict.fromkeys(MARKET_READERS, 200)}
OFFER_READ: Expected = {**LOGIN, Role.PARTNER_STAFF: 200, **dict.fromkeys(RUNNERS, 200)}
OFFER_EDIT: Expected = {**LOGIN, Role.PARTNER_STAFF: 200, **dict.fromkeys(RUNNERS, 403)}
OFFER_EDIT_POST: Expected = {**LOGIN, Role.PARTNER_STAFF: 400, **dict.fromkeys(RUNNERS, 403)}
OFFER_ACTION: Expected = {**LOGIN, Role.PARTNER_STAFF: 302, **dict.fromkeys(RUNNERS, 403)}
AGREEMENT_READ: Expected = OFFER_READ
AGREEMENT_ACTION: Expected = OFFER_ACTION
RUN_PAGE: Expected = {**LOGIN, **dict.fromkeys(RUNNERS, 200)}
RUN_POST: Expected = {**LOGIN, **dict.fromkeys(RUNNERS, 302)}

OF = "/civic-center/offerte/{offer.public_id}/"
A = "/civic-center/accordi/{agreement.public_id}/"
R = "/civic-center/abbinamenti/{run.pk}/"


def _rows(method: str, url: str, expected: Expected, default: int, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=default, roles=EVERYONE, **kwargs)


ROWS: list[Row] = [
    # --- Offers ---------------------------------------------------------------------------
    *_rows("GET", "/civic-center/offerte/", STAFF_PAGE, 403),
    *_rows("GET", "/civic-center/offerte/nuova/", STAFF_PAGE, 403),
    *_rows("POST", "/civic-center/offerte/nuova/", STAFF_FORM_POST, 403, data={"title": ""}),
    *_rows("GET", OF, OFFER_READ, 404),
    *_rows("GET", OF + "modifica/", OFFER_EDIT, 404),
    *_rows("POST", OF + "modifica/", OFFER_EDIT_POST, 404, data={"title": ""}),
    *_rows("POST", "/civic-center/offerte/{draft.public_id}/pubblica/", OFFER_ACTION, 404),
    *_rows("GET", "/civic-center/offerte/{draft.public_id}/pubblica/", LOGIN, 405),
    *_rows("POST", OF + "ritira/", OFFER_ACTION, 404),
    *_rows("GET", OF + "ritira/", LOGIN, 405),
    # --- Pseudonymised demand, board, market ----------------------------------------------
    *_rows("GET", "/civic-center/domanda-aperta/", MARKET_PAGE, 403),
    *_rows("GET", "/civic-center/domanda-aperta/?category={service.pk}", MARKET_PAGE, 403),
    *_rows("GET", "/civic-center/bacheca/", MARKET_PAGE, 403),
    *_rows(
        "GET", "/civic-center/bacheca/?ambito={ambito.pk}&category={service.pk}", MARKET_PAGE, 403
    ),
    *_rows("GET", "/civic-center/mercato/", {}, 200),
    # --- Agreements -----------------------------------------------------------------------
    *_rows("GET", "/civic-center/accordi/", MARKET_PAGE, 403),
    *_rows("GET", A, AGREEMENT_READ, 404),
    *_rows("POST", A + "conferma/", AGREEMENT_ACTION, 404),
    *_rows("POST", A + "annulla/", AGREEMENT_ACTION, 404),
    *_rows("GET", A + "conferma/", LOGIN, 405),
    # --- Matching -------------------------------------------------------------------------
    *_rows("GET", "/civic-center/abbinamenti/", RUN_PAGE, 403),
    *_rows("POST", "/civic-center/abbinamenti/", RUN_POST, 403, data={"ambito": "{ambito.pk}"}),
    *_rows("GET", R, RUN_PAGE, 403),
    *_rows("GET", R + "stato/", RUN_PAGE, 403),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    ambito = AmbitoFactory(code="crema", name="Ambito di Crema")
    comune = ComuneFactory(ambito=ambito, name="Crema")
    users = {role: make_role_user(make_user, enable_totp, role) for role in ROLES}
    users.pop("anonymous")
    for role in (Role.PARTNER_STAFF, Role.COORDINATOR, Role.AMBITO_ADMIN):
        users[role].memberships.get().organisation.ambiti.set([ambito])
    rival = OrganisationFactory(name="Cooperativa Rivale", ambiti=[ambito])
    users["rival_staff"] = MembershipFactory(organisation=rival, role=Role.PARTNER_STAFF).user
    enable_totp(users["rival_staff"])

    service = ServiceCategoryFactory(code="doposcuola")
    org = users[Role.PARTNER_STAFF].memberships.get().organisation
    offer = OfferFactory(organisation=org, category=service, comuni=[comune])
    draft = OfferFactory(organisation=org, category=service, comuni=[comune], status="draft")
    OfferFactory(organisation=rival, category=service, comuni=[comune])

    today = timezone.localdate()
    agreement = Agreement.objects.create(
        offer=offer,
        group_size=3,
        tier_min_families=3,
        unit_price=Decimal("12.00"),
        single_family_price=Decimal("15.00"),
        start_date=today + dt.timedelta(days=14),
        end_date=today + dt.timedelta(days=104),
        pricing_mode="volume",
        tiers=[[1, "15.00"], [3, "12.00"]],
        min_group_size=1,
    )
    for demand in DemandFactory.create_batch(3, comune=comune, category=service):
        AgreementMember.objects.create(
            agreement=agreement,
            demand=demand,
            status=MemberStatus.ACCEPTED,
            units_per_week=demand.quantity_per_week,
            split={str(windows.index(0, 1)): "4"},
        )
        demand.status = DemandStatus.PROPOSED
        demand.save(update_fields=["status"])
    DemandFactory.create_batch(2, comune=comune, category=service)
    run = MatchingRun.objects.create(ambito=ambito, status=RunStatus.DONE, progress=100)
    return {
        "users": users,
        "ambito": ambito,
        "service": service,
        "offer": offer,
        "draft": draft,
        "agreement": agreement,
        "run": run,
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_provider_page_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= {*ROLES, *EXTRA}


@pytest.mark.parametrize("module", ["provider", "coordination"])
def test_every_provider_and_coordination_route_has_a_row(module):
    """Every page of civic_center/views/provider.py and coordination.py is named by a row."""
    from civic_center.views import coordination, provider

    patterns = {"provider": provider, "coordination": coordination}[module].urlpatterns
    routes = [f"civic-center/{r}" for r in _walk(patterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
