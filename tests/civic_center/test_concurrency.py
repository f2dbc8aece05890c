"""The Civic Center under concurrent clicks, on PostgreSQL: coordinators starting runs
at once get one run; a family double-clicking gets one demand; families answering a
group at the same moment leave it priced for exactly the families still in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from civic_center import pricing, services
from civic_center.models import (
    Agreement,
    AgreementMember,
    Demand,
    MatchingRun,
    MemberStatus,
)
from legami.models import User
from legami.roles import Role
from tests.civic_center.factories import (
    WEEKDAY_AFTERNOONS,
    DemandFactory,
    OfferFactory,
    ServiceCategoryFactory,
)
from tests.labs.test_concurrency import race
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
]


def _user(email: str) -> User:
    return User.objects.create_user(email=email, password=None, language="en")


@pytest.fixture
def area():
    ambito = AmbitoFactory()
    return {"ambito": ambito, "comune": ComuneFactory(ambito=ambito)}


def test_coordinators_starting_runs_at_once_get_one_run(area):
    org = OrganisationFactory(ambiti=[area["ambito"]])
    coordinators = [_user(f"coord{i}@example.org") for i in range(8)]
    for user in coordinators:
        MembershipFactory(user=user, organisation=org, role=Role.COORDINATOR)
    results = race(
        [
            lambda user=user: services.run_request(by=user, ambito=area["ambito"])
            for user in coordinators
        ]
    )
    assert all(isinstance(r, MatchingRun) for r in results), results
    assert MatchingRun.objects.count() == 1
    assert {r.pk for r in results} == {MatchingRun.objects.get().pk}


def test_a_double_click_makes_one_demand(area):
    family = _user("family@example.org")
    category = ServiceCategoryFactory()
    start = timezone.localdate() + dt.timedelta(days=7)

    def create():
        return services.demand_create(
            by=family,
            category=category,
            comune=area["comune"],
            windows=WEEKDAY_AFTERNOONS,
            start_date=start,
            end_date=start + dt.timedelta(days=60),
            quantity_per_week=Decimal("4"),
            max_unit_price=Decimal("12"),
            accepts_sharing=True,
        )

    results = race([create for _ in range(6)])
    assert sum(isinstance(r, Demand) for r in results) == 1
    assert all(isinstance(r, Demand | ValidationError) for r in results), results
    assert Demand.objects.count() == 1


@pytest.mark.parametrize("round_", range(2))
def test_families_answering_at_once_leave_the_group_priced_right(area, round_):
    """Eight families in a proposed group: four decline and four accept at the same
    instant. The group ends with the four who did not decline, at the four-family price
    (those who had accepted before the price rose are asked again)."""
    category = ServiceCategoryFactory()
    offer = OfferFactory(category=category, comuni=[area["comune"]], min_group_size=2)
    agreement = Agreement.objects.create(
        offer=offer,
        group_size=8,
        tier_min_families=5,
        unit_price=Decimal("9.00"),
        single_family_price=Decimal("15.00"),
        tiers=[[1, "15.00"], [3, "12.00"], [5, "9.00"]],
        min_group_size=2,
        start_date=timezone.localdate() + dt.timedelta(days=10),
        end_date=timezone.localdate() + dt.timedelta(days=100),
    )
    members = []
    for i in range(8):
        demand = DemandFactory(
            family=_user(f"r{round_}f{i}@example.org"),
            category=category,
            comune=area["comune"],
            status="proposed",
        )
        members.append(
            AgreementMember.objects.create(
                agreement=agreement, demand=demand, units_per_week=Decimal("4"), split={}
            )
        )
    jobs = [
        (
            lambda m=m, i=i: (
                services.member_decline(member=m, by=m.demand.family)
                if i % 2
                else services.member_accept(member=m, by=m.demand.family)
            )
        )
        for i, m in enumerate(members)
    ]
    results = race(jobs)
    assert not [r for r in results if isinstance(r, Exception)], results
    agreement.refresh_from_db()
    live = AgreementMember.objects.filter(
        agreement=agreement, status__in=[MemberStatus.ACCEPTED, MemberStatus.PROPOSED]
    )
    assert live.count() == 4 == agreement.group_size
    assert set(live.values_list("pk", flat=True)) == {m.pk for m in members[::2]}
    tiers = tuple(pricing.Tier(t.min_families, t.unit_price) for t in offer.tiers.all())
    assert agreement.unit_price == pricing.unit_price(tiers, pricing.Mode.VOLUME, 4)


@pytest.mark.parametrize("round_", range(2))
def test_a_family_withdrawing_while_the_provider_confirms_never_deadlocks(area, round_):
    """The provider confirms while one family withdraws its demand and another
    declines: each either happens before or after the other, never a database error."""
    category = ServiceCategoryFactory()
    org = OrganisationFactory(ambiti=[area["ambito"]])
    staff = _user(f"r{round_}staff@example.org")
    MembershipFactory(user=staff, organisation=org, role=Role.PARTNER_STAFF)
    offer = OfferFactory(
        organisation=org, category=category, comuni=[area["comune"]], min_group_size=1
    )
    agreement = Agreement.objects.create(
        offer=offer,
        group_size=4,
        tier_min_families=3,
        unit_price=Decimal("12.00"),
        single_family_price=Decimal("15.00"),
        tiers=[[1, "15.00"], [3, "12.00"], [5, "9.00"]],
        min_group_size=1,
        start_date=timezone.localdate() + dt.timedelta(days=10),
        end_date=timezone.localdate() + dt.timedelta(days=100),
    )
    members = []
    for i in range(4):
        demand = DemandFactory(
            family=_user(f"r{round_}w{i}@example.org"),
            category=category,
            comune=area["comune"],
            status="proposed",
        )
        members.append(
            AgreementMember.objects.create(
                agreement=agreement,
                demand=demand,
                units_per_week=Decimal("4"),
                split={},
                status=MemberStatus.ACCEPTED if i < 3 else MemberStatus.PROPOSED,
            )
        )
    leaving, declining = members[0], members[3]
    results = race(
        [
            lambda: services.agreement_confirm(agreement=agreement, by=staff),
            lambda: services.demand_withdraw(demand=leaving.demand, by=leaving.demand.family),
            lambda: services.member_decline(member=declining, by=declining.demand.family),
        ]
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, ValidationError) for e in errors), errors
    assert Demand.objects.get(pk=leaving.demand_id).status == "withdrawn"
