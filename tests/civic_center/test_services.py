"""The Civic Center's services: demand, offers, a matching run end to end, the group
agreement's answers, re-pricing, confirmation and the figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civic_center import services
from civic_center.models import (
    Agreement,
    AgreementMail,
    AgreementMember,
    AgreementStatus,
    Demand,
    DemandStatus,
    MatchingRun,
    MemberStatus,
    Offer,
    OfferStatus,
    RunStatus,
)
from civic_center.selectors import agreement_contacts, figures, market_demand, pool_status
from legami.models import AccessEvent
from legami.roles import Role
from tests.civic_center.factories import (
    WEEKDAY_AFTERNOONS,
    DemandFactory,
    OfferFactory,
    ServiceCategoryFactory,
)
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def area():
    ambito = AmbitoFactory()
    return {
        "ambito": ambito,
        "comune": ComuneFactory(ambito=ambito),
        "other": ComuneFactory(ambito=ambito),
        "category": ServiceCategoryFactory(),
    }


@pytest.fixture
def provider(area, make_user):
    org = OrganisationFactory(ambiti=[area["ambito"]])
    user = make_user("coop@example.org")
    MembershipFactory(user=user, organisation=org, role=Role.PARTNER_STAFF)
    return {"org": org, "user": user}


@pytest.fixture
def coordinator(area, make_user):
    org = OrganisationFactory(ambiti=[area["ambito"]])
    user = make_user("coord@example.org")
    MembershipFactory(user=user, organisation=org, role=Role.COORDINATOR)
    return user


def _demand(area, make_user, n, **extra):
    family = make_user(f"family{n}@example.org")
    return DemandFactory(family=family, category=area["category"], comune=area["comune"], **extra)


def _create(by, area, **extra):
    today = timezone.localdate()
    values = {
        "category": area["category"],
        "comune": area["comune"],
        "windows": WEEKDAY_AFTERNOONS,
        "start_date": today + dt.timedelta(days=7),
        "end_date": today + dt.timedelta(days=97),
        "quantity_per_week": Decimal("4"),
        "max_unit_price": Decimal("12.00"),
        "accepts_sharing": True,
    }
    values.update(extra)
    return services.demand_create(by=by, **values)


# --- Demand ------------------------------------------------------------------------------------


def test_a_family_states_a_demand_with_its_account_as_contact(area, make_user):
    family = make_user("rossi@example.org", first_name="Anna", last_name="Rossi")
    demand = _create(family, area)
    assert demand.family == family
    assert demand.contact_name == "Anna Rossi"
    assert demand.contact_email == "rossi@example.org"
    assert demand.status == DemandStatus.OPEN
    assert demand.pseudonym.startswith("D-") and "Rossi" not in demand.pseudonym


def test_bad_demand_input_is_refused_with_every_reason_and_saves_nothing(area, make_user):
    family = make_user()
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        _create(
            family,
            area,
            windows=0,
            start_date=today + dt.timedelta(days=10),
            end_date=today,
            quantity_per_week=Decimal("0"),
            max_unit_price=Decimal("-1"),
        )
    assert set(error.value.message_dict) == {
        "windows",
        "end_date",
        "quantity_per_week",
        "max_unit_price",
    }
    assert not Demand.objects.exists()


def test_a_second_overlapping_demand_for_the_same_service_is_refused(area, make_user):
    family = make_user()
    _create(family, area)
    with pytest.raises(ValidationError) as error:
        _create(family, area)
    assert "already have a demand" in str(error.value.message_dict["category"])
    assert Demand.objects.count() == 1


def test_only_operators_enter_demand_on_a_familys_behalf(area, make_user, social_worker):
    citizen = make_user()
    with pytest.raises(PermissionDenied):
        _create(citizen, area, on_behalf=True, contact_name="Famiglia Bianchi")
    demand = _create(social_worker, area, on_behalf=True, contact_name="Famiglia Bianchi")
    assert demand.family is None and demand.created_by == social_worker
    with pytest.raises(ValidationError):
        _create(social_worker, area, on_behalf=True, contact_name=" ")


def test_an_invitation_links_the_new_demand_to_the_inviting_one(area, make_user):
    inviter = _create(make_user(), area)
    token = services.invitation_token(inviter)
    assert services.invitation_read(token) == inviter
    assert services.invitation_read(token + "x") is None
    neighbour = _create(make_user(), area, invitation=token)
    assert neighbour.invited_by == inviter


def test_a_family_withdraws_its_demand_and_nobody_else_can(area, make_user):
    family = make_user()
    demand = _create(family, area)
    with pytest.raises(PermissionDenied):
        services.demand_withdraw(demand=demand, by=make_user())
    services.demand_withdraw(demand=demand, by=family)
    demand.refresh_from_db()
    assert demand.status == DemandStatus.WITHDRAWN
    with pytest.raises(ValidationError):
        services.demand_withdraw(demand=demand, by=family)


def test_past_demands_expire(area, make_user):
    old = _demand(area, make_user, 1)
    Demand.objects.filter(pk=old.pk).update(
        start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 2, 1)
    )
    current = _demand(area, make_user, 2)
    assert services.demand.demand_expire_past() == 1
    assert Demand.objects.get(pk=old.pk).status == DemandStatus.EXPIRED
    assert Demand.objects.get(pk=current.pk).status == DemandStatus.OPEN


# --- Offers ------------------------------------------------------------------------------------


def _offer_values(area, **extra):
    today = timezone.localdate()
    values = {
        "title": "Doposcuola insieme",
        "category": area["category"],
        "comuni": [area["comune"]],
        "pricing_mode": "volume",
        "min_group_size": 2,
        "max_group_size": None,
        "valid_from": today,
        "valid_until": today + dt.timedelta(days=365),
        "tiers": [(1, Decimal("15")), (3, Decimal("12")), (5, Decimal("9"))],
        "capacity": {1: Decimal("40"), 4: Decimal("40")},
    }
    values.update(extra)
    return values


def test_a_provider_saves_and_publishes_an_offer(area, provider):
    offer = services.offer_save(
        by=provider["user"], organisation=provider["org"], **_offer_values(area)
    )
    assert offer.status == OfferStatus.DRAFT
    assert [(t.min_families, t.unit_price) for t in offer.tiers.all()] == [
        (1, Decimal("15.00")),
        (3, Decimal("12.00")),
        (5, Decimal("9.00")),
    ]
    services.offer_publish(offer=offer, by=provider["user"])
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.PUBLISHED


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tiers": [(2, Decimal("10"))]}, "tiers"),
        ({"tiers": [(1, Decimal("10")), (3, Decimal("12"))]}, "tiers"),
        ({"capacity": {}}, "capacity"),
        ({"comuni": []}, "comuni"),
        ({"min_group_size": 4, "max_group_size": 2}, "max_group_size"),
    ],
)
def test_a_bad_offer_is_refused_and_nothing_is_saved(area, provider, change, field):
    with pytest.raises(ValidationError) as error:
        services.offer_save(
            by=provider["user"], organisation=provider["org"], **_offer_values(area, **change)
        )
    assert field in error.value.message_dict
    assert not Offer.objects.exists()


def test_staff_of_another_organisation_cannot_save_an_offer_for_it(area, provider, partner_user):
    with pytest.raises(PermissionDenied):
        services.offer_save(by=partner_user, organisation=provider["org"], **_offer_values(area))


# --- Matching run, agreements ------------------------------------------------------------------


@pytest.fixture
def matched(
    area, provider, coordinator, make_user, eager_tasks, django_capture_on_commit_callbacks
):
    """Four families in one comune, an offer 15 € alone / 12 € from 3 / 9 € from 5 with
    a smallest group of 2, and a run: one group of four at 12 €."""
    offer = OfferFactory(
        organisation=provider["org"],
        category=area["category"],
        comuni=[area["comune"]],
        min_group_size=2,
    )
    demands = [_demand(area, make_user, n) for n in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_request(by=coordinator, ambito=area["ambito"])
    run.refresh_from_db()
    return {"offer": offer, "demands": demands, "run": run}


def test_a_run_turns_the_pool_into_a_proposed_group_at_the_tier_price(matched):
    run = matched["run"]
    assert run.status == RunStatus.DONE and run.progress == 100
    assert run.families_matched == 4 and run.groups_proposed == 1 and run.proven_optimal
    agreement = Agreement.objects.get()
    assert agreement.group_size == 4
    assert agreement.unit_price == Decimal("12.00")
    assert agreement.tier_min_families == 3
    assert agreement.single_family_price == Decimal("15.00")
    assert agreement.explanation["pool_size"] == 4
    assert {d.status for d in Demand.objects.all()} == {DemandStatus.PROPOSED}
    assert run.weekly_cost == Decimal("192.00")  # 4 families × 4 h × 12 €
    # Each family is asked, and the provider's staff told.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [d.contact_email for d in matched["demands"]] + ["coop@example.org"]
    )


def test_a_run_delivered_twice_works_once(matched):
    services.run_execute(run_id=matched["run"].pk)
    assert Agreement.objects.count() == 1
    assert AgreementMail.objects.count() == 5


def test_asking_for_a_run_while_one_is_active_returns_it(area, coordinator):
    first = services.run_request(by=coordinator, ambito=area["ambito"])
    again = services.run_request(by=coordinator, ambito=area["ambito"])
    assert first == again and MatchingRun.objects.count() == 1


def test_only_coordinators_of_the_ambito_run_the_matching(area, provider, make_user):
    with pytest.raises(PermissionDenied):
        services.run_request(by=provider["user"], ambito=area["ambito"])
    outsider = make_user()
    MembershipFactory(user=outsider, organisation=OrganisationFactory(), role=Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        services.run_request(by=outsider, ambito=area["ambito"])


def _members(agreement):
    return list(agreement.members.select_related("demand__family").order_by("pk"))


def test_a_family_that_declines_reprices_the_group_for_the_others(
    matched, eager_tasks, django_capture_on_commit_callbacks
):
    agreement = Agreement.objects.get()
    first, second, *_ = _members(agreement)
    mail.outbox.clear()
    services.member_decline(member=second, by=second.demand.family)
    agreement.refresh_from_db()
    assert agreement.group_size == 3 and agreement.unit_price == Decimal("12.00")
    assert Demand.objects.get(pk=second.demand_id).status == DemandStatus.OPEN
    third = _members(agreement)[2]
    with django_capture_on_commit_callbacks(execute=True):
        services.member_decline(member=third, by=third.demand.family)
    agreement.refresh_from_db()
    assert agreement.group_size == 2 and agreement.unit_price == Decimal("15.00")
    assert agreement.events.filter(kind="repriced").count() == 1
    # The two families still in are told the new price, once each, and the provider.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [m.demand.contact_email for m in _members(agreement) if m.status == MemberStatus.PROPOSED]
        + ["coop@example.org"]
    )
    with pytest.raises(PermissionDenied):
        services.member_accept(member=first, by=third.demand.family)


def test_below_the_smallest_group_the_group_is_cancelled(matched, eager_tasks):
    agreement = Agreement.objects.get()
    members = _members(agreement)
    for member in members[:3]:
        services.member_decline(member=member, by=member.demand.family)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.CANCELLED
    assert {d.status for d in Demand.objects.all()} == {DemandStatus.OPEN}


def test_the_provider_confirms_those_who_accepted_and_only_then_sees_contacts(
    matched, provider, eager_tasks
):
    agreement = Agreement.objects.get()
    members = _members(agreement)
    for member in members[:3]:
        services.member_accept(member=member, by=member.demand.family)
    assert agreement_contacts(provider["user"], agreement) == []
    services.agreement_confirm(agreement=agreement, by=provider["user"])
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.CONFIRMED
    assert agreement.group_size == 3 and agreement.unit_price == Decimal("12.00")
    assert Demand.objects.get(pk=members[3].demand_id).status == DemandStatus.OPEN
    contacts = agreement_contacts(provider["user"], agreement)
    assert sorted(c["email"] for c in contacts) == sorted(
        m.demand.contact_email for m in members[:3]
    )
    assert AccessEvent.objects.filter(purpose="civic_center.agreement_contacts").count() == 3
    # A withdrawal before the start re-prices the group: two left would pay the single
    # price, which they have not accepted: they are asked again, and the group waits for
    # the provider's confirmation again (the contacts with it).
    services.member_withdraw(member=members[0], by=members[0].demand.family)
    agreement.refresh_from_db()
    assert agreement.group_size == 2 and agreement.unit_price == Decimal("15.00")
    assert agreement.status == AgreementStatus.PROPOSED
    assert {m.status for m in _members(agreement)[1:3]} == {MemberStatus.PROPOSED}
    assert {m.demand.status for m in _members(agreement)[1:3]} == {DemandStatus.PROPOSED}
    assert agreement_contacts(provider["user"], agreement) == []


def test_confirming_needs_enough_acceptances_and_the_lead_provider(
    matched, provider, partner_user, eager_tasks
):
    agreement = Agreement.objects.get()
    with pytest.raises(ValidationError):
        services.agreement_confirm(agreement=agreement, by=provider["user"])
    with pytest.raises(PermissionDenied):
        services.agreement_confirm(agreement=agreement, by=partner_user)


def test_no_withdrawal_once_the_service_has_started(matched, provider, eager_tasks):
    agreement = Agreement.objects.get()
    members = _members(agreement)
    for member in members:
        services.member_accept(member=member, by=member.demand.family)
    services.agreement_confirm(agreement=agreement, by=provider["user"])
    Agreement.objects.filter(pk=agreement.pk).update(start_date=timezone.localdate())
    with pytest.raises(ValidationError):
        services.member_withdraw(member=members[0], by=members[0].demand.family)


def test_figures_count_families_hours_saving_and_new_families(matched, provider, eager_tasks):
    agreement = Agreement.objects.get()
    for member in _members(agreement):
        services.member_accept(member=member, by=member.demand.family)
    services.agreement_confirm(agreement=agreement, by=provider["user"])
    agreement.refresh_from_db()
    weeks = Decimal((agreement.end_date - agreement.start_date).days + 1) / 7
    result = figures(Agreement.objects.all())
    assert result.families_served == 4
    assert result.new_families == 4
    expected_hours = (Decimal(16) * weeks.quantize(Decimal("0.01"))).quantize(Decimal("0.01"))
    assert result.hours_purchased == expected_hours
    assert result.saving == (expected_hours * 3).quantize(Decimal("0.01"))  # 15 € − 12 €


def test_providers_see_demand_without_identity(area, provider, make_user):
    demand = _demand(area, make_user, 1, contact_name="Maria Verdi", address="Via Po 3")
    rows = list(market_demand(provider["user"]))
    assert len(rows) == 1
    assert set(rows[0]) == {
        "pseudonym",
        "category_id",
        "category__name",
        "category__name_en",
        "category__unit",
        "comune_id",
        "comune__name",
        "windows",
        "start_date",
        "end_date",
        "quantity_per_week",
        "max_unit_price",
        "accepts_sharing",
    }
    assert rows[0]["pseudonym"] == demand.pseudonym
    assert "Maria Verdi" not in str(rows) and "Via Po" not in str(rows)


def test_the_pool_status_says_how_many_families_are_missing(area, provider, make_user):
    OfferFactory(organisation=provider["org"], category=area["category"], comuni=[area["comune"]])
    demands = [_demand(area, make_user, n) for n in range(2)]
    status = pool_status(demands[0])
    assert status is not None
    assert status.size == 2 and status.unit_price == Decimal("15.00")
    assert (status.next_missing, status.next_price) == (1, Decimal("12.00"))


def test_runs_never_place_more_than_the_capacity_left(
    area, provider, coordinator, make_user, eager_tasks, django_capture_on_commit_callbacks
):
    """8 units on Monday afternoon: two families of 4 fit, the third waits; a later
    run finds the capacity held by the first group and places nobody."""
    OfferFactory(
        organisation=provider["org"],
        category=area["category"],
        comuni=[area["comune"]],
        min_group_size=1,
        tiers=[(1, "10.00")],
        capacity={1: "8"},
    )
    for n in range(3):
        _demand(area, make_user, n)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_request(by=coordinator, ambito=area["ambito"])
    placed = Demand.objects.filter(status=DemandStatus.PROPOSED).count()
    assert placed == 2
    _demand(area, make_user, 9)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_request(by=coordinator, ambito=area["ambito"])
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.families_matched == 0
    assert Demand.objects.filter(status=DemandStatus.PROPOSED).count() == 2


def test_the_agreement_page_says_why_the_matching_made_the_group(
    matched, provider, client, enable_totp
):
    agreement = Agreement.objects.get()
    enable_totp(provider["user"])
    client.force_login(provider["user"])
    body = " ".join(client.get(agreement.get_absolute_url()).content.decode().split())
    assert "4 families compatible with this offer were waiting" in body
    assert "reaches the tier from 3 families: € 12.00 per unit instead of € 15.00" in body
    assert "Pool size" not in body


def test_a_price_that_rose_since_the_page_was_shown_is_not_accepted(matched):
    agreement = Agreement.objects.get()
    first, second, third, _ = _members(agreement)
    shown = agreement.price_version
    services.member_decline(member=second, by=second.demand.family)
    services.member_decline(member=third, by=third.demand.family)  # 12 € → 15 €
    with pytest.raises(ValidationError) as error:
        services.member_accept(member=first, by=first.demand.family, price_version=shown)
    assert "15.00" in str(error.value)
    assert AgreementMember.objects.get(pk=first.pk).status == MemberStatus.PROPOSED
    agreement.refresh_from_db()
    services.member_accept(
        member=first, by=first.demand.family, price_version=agreement.price_version
    )


def test_the_provider_cannot_confirm_a_price_the_families_did_not_accept(matched, provider):
    """Two of four accepted at 12 €; with them alone the price would be 15 €."""
    agreement = Agreement.objects.get()
    members = _members(agreement)
    for member in members[:2]:
        services.member_accept(member=member, by=member.demand.family)
    with pytest.raises(ValidationError) as error:
        services.agreement_confirm(agreement=agreement, by=provider["user"])
    assert "15.00" in str(error.value)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.PROPOSED and agreement.unit_price == Decimal("12.00")


def test_silent_families_drop_out_after_the_deadline_and_the_rest_are_asked_again(matched):
    agreement = Agreement.objects.get()
    members = _members(agreement)
    for member in members[:2]:
        services.member_accept(member=member, by=member.demand.family)
    assert services.agreement.agreements_lapse_unanswered() == 0  # not yet due
    Agreement.objects.filter(pk=agreement.pk).update(
        answer_by=timezone.now() - dt.timedelta(minutes=1)
    )
    assert services.agreement.agreements_lapse_unanswered() == 1
    agreement.refresh_from_db()
    statuses = [m.status for m in _members(agreement)]
    assert statuses[2:] == [MemberStatus.LAPSED, MemberStatus.LAPSED]
    # Two left: 15 € instead of 12 €, so the two who had said yes are asked again, with
    # a new deadline.
    assert agreement.unit_price == Decimal("15.00")
    assert statuses[:2] == [MemberStatus.PROPOSED, MemberStatus.PROPOSED]
    assert agreement.answer_by > timezone.now()


def test_changing_the_offer_does_not_reprice_its_groups(matched, provider):
    agreement = Agreement.objects.get()
    offer = matched["offer"]
    offer.tiers.update(unit_price=Decimal("25.00"))
    member = _members(agreement)[0]
    services.member_decline(member=member, by=member.demand.family)
    agreement.refresh_from_db()
    assert agreement.group_size == 3 and agreement.unit_price == Decimal("12.00")


def test_a_run_left_running_by_a_dead_worker_does_not_block_the_ambito(area, coordinator):
    stale = MatchingRun.objects.create(ambito=area["ambito"], status=RunStatus.RUNNING)
    MatchingRun.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    fresh = services.run_request(by=coordinator, ambito=area["ambito"])
    assert fresh != stale
    assert MatchingRun.objects.get(pk=stale.pk).status == RunStatus.FAILED


def test_provider_staff_do_not_post_family_demand_with_their_work_account(area, provider):
    with pytest.raises(PermissionDenied):
        _create(provider["user"], area)


def test_a_mail_whose_news_is_stale_does_not_leave(matched):
    """The proposal mail of a family that already declined is not sent."""
    from civic_center.mails import agreement_mail_send

    agreement = Agreement.objects.get()
    member = _members(agreement)[0]
    services.member_decline(member=member, by=member.demand.family)
    assert not agreement_mail_send(key="proposed:again", member_id=member.pk, kind="proposed")


def test_figures_count_each_family_over_its_own_period(matched, provider):
    agreement = Agreement.objects.get()
    members = _members(agreement)
    for member in members:
        services.member_accept(member=member, by=member.demand.family)
    services.agreement_confirm(agreement=agreement, by=provider["user"])
    agreement.refresh_from_db()
    # One family needs only the first 2 weeks (14 days).
    Demand.objects.filter(pk=members[0].demand_id).update(
        end_date=agreement.start_date + dt.timedelta(days=13)
    )
    weeks = (Decimal((agreement.end_date - agreement.start_date).days + 1) / 7).quantize(
        Decimal("0.01")
    )
    result = figures(Agreement.objects.all())
    assert result.hours_purchased == (Decimal(12) * weeks + Decimal(4) * 2).quantize(
        Decimal("0.01")
    )
