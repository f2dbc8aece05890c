"""Campaigns: writing, publishing, closing, matching pledges, news and costs; their
totals, progress, donor wall, account and the donors' yearly totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fundraising.matching import PledgeState
from fundraising.models import (
    Campaign,
    CampaignStatus,
    DonationStatus,
    DonorKind,
    FundraisingProfile,
)
from fundraising.selectors import (
    campaign_account,
    campaign_progress,
    campaign_totals,
    donor_wall,
    totals_of,
    yearly_donor_totals,
)
from fundraising.services.campaigns import (
    campaign_close,
    campaign_create,
    campaign_publish,
    campaign_update,
    cost_add,
    pledge_add,
    update_post,
)
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)
from tests.partners.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

D = Decimal


def _received(campaign, amount, *, donor="new", date=None, **kwargs):
    kwargs.setdefault("anonymous", False)
    return DonationFactory(
        campaign=campaign,
        donor=DonorFactory() if donor == "new" else donor,
        amount=D(amount),
        status=DonationStatus.RECEIVED,
        received_at=timezone.now(),
        date=date or timezone.localdate(),
        **kwargs,
    )


def _draft(org, user, **kwargs):
    today = timezone.localdate()
    values = {
        "slug": "pranzi-solidali",
        "title": "Pranzi solidali",
        "goal": "5000",
        "starts_on": today,
        "ends_on": today + dt.timedelta(days=30),
        "story": "Un pranzo insieme ogni domenica.",
    }
    values.update(kwargs)
    return campaign_create(by=user, organisation=org, **values)


# --- Services ----------------------------------------------------------------------------


def test_fundraiser_writes_publishes_and_closes_a_campaign():
    org = collector()
    user = fundraiser(org)
    campaign = _draft(org, user)
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.goal == D("5000")
    campaign = campaign_update(campaign=campaign, by=user, title="Pranzi della domenica")
    assert campaign.title == "Pranzi della domenica"
    assert campaign_publish(campaign=campaign, by=user).status == CampaignStatus.PUBLISHED
    closed = campaign_close(campaign=campaign, by=user)
    assert closed.status == CampaignStatus.CLOSED
    assert closed.closed_at is not None
    with pytest.raises(ValidationError) as error:
        campaign_update(campaign=closed, by=user, title="Again")
    assert error.value.message_dict["status"] == ["This campaign is closed."]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"goal": "0"}, "goal"),
        ({"goal": "-1"}, "goal"),
        ({"goal": "abc"}, "goal"),
        ({"title": " "}, "title"),
        ({"ends_on": dt.date(2000, 1, 1)}, "ends_on"),
    ],
)
def test_invalid_campaign_is_refused_under_its_field(kwargs, field):
    org = collector()
    with pytest.raises(ValidationError) as error:
        _draft(org, fundraiser(org), **kwargs)
    assert field in error.value.message_dict


def test_slug_taken_is_refused():
    org = collector()
    user = fundraiser(org)
    _draft(org, user)
    with pytest.raises(ValidationError) as error:
        _draft(org, user)
    assert error.value.message_dict["slug"] == ["Another campaign already has this short name."]


def test_publish_needs_a_story_and_a_fundraising_profile():
    org = OrganisationFactory()  # no fundraising profile
    user = fundraiser(org)
    campaign = _draft(org, user, story="")
    with pytest.raises(ValidationError) as error:
        campaign_publish(campaign=campaign, by=user)
    assert set(error.value.message_dict) == {"story", "organisation"}
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT
    FundraisingProfile.objects.create(
        organisation=org, legal_name="X", fiscal_code="1", address="Y", iban="IT00"
    )
    campaign_update(campaign=campaign, by=user, story="Ora c'è.")
    assert campaign_publish(campaign=campaign, by=user).status == CampaignStatus.PUBLISHED


def test_only_a_published_campaign_closes():
    org = collector()
    user = fundraiser(org)
    with pytest.raises(ValidationError) as error:
        campaign_close(campaign=_draft(org, user), by=user)
    assert error.value.message_dict["status"] == ["Only a published campaign can be closed."]


def test_fundraiser_of_another_organisation_is_denied_everywhere():
    campaign = CampaignFactory()
    stranger = fundraiser(collector())
    with pytest.raises(PermissionDenied):
        _draft(campaign.organisation, stranger)
    with pytest.raises(PermissionDenied):
        campaign_update(campaign=campaign, by=stranger, title="Mine")
    with pytest.raises(PermissionDenied):
        campaign_close(campaign=campaign, by=stranger)
    with pytest.raises(PermissionDenied):
        pledge_add(campaign=campaign, by=stranger, funder=stranger, ratio="1", cap="10")
    with pytest.raises(PermissionDenied):
        update_post(campaign=campaign, by=stranger, title="t", body="b")
    with pytest.raises(PermissionDenied):
        cost_add(
            campaign=campaign, by=stranger, date=timezone.localdate(), description="x", amount="1"
        )


def test_pledge_add_validates_ratio_cap_and_deadline():
    campaign = CampaignFactory()
    user = fundraiser(campaign.organisation)
    funder = OrganisationFactory()
    pledge = pledge_add(
        campaign=campaign, by=user, funder=funder, ratio="1.5", cap="2000", deadline=None
    )
    assert (pledge.ratio, pledge.cap) == (D("1.5"), D("2000"))
    with pytest.raises(ValidationError) as error:
        pledge_add(
            campaign=campaign,
            by=user,
            funder=funder,
            ratio="0",
            cap="-1",
            deadline=campaign.ends_on + dt.timedelta(days=1),
        )
    assert set(error.value.message_dict) == {"ratio", "cap", "deadline"}


def test_update_post_and_cost_add():
    campaign = CampaignFactory()
    user = fundraiser(campaign.organisation)
    news = update_post(
        campaign=campaign, by=user, title="Primo pranzo", body="Eravamo 40.", send_by_email=True
    )
    assert news.send_by_email and news.emailed_at is None
    with pytest.raises(ValidationError) as error:
        update_post(campaign=campaign, by=user, title="", body="")
    assert set(error.value.message_dict) == {"title", "body"}
    cost = cost_add(
        campaign=campaign, by=user, date=timezone.localdate(), description="Volantini", amount="80"
    )
    assert cost.amount == D("80")


# --- Selectors ---------------------------------------------------------------------------


def test_totals_count_received_gifts_only():
    campaign = CampaignFactory()
    regular = DonorFactory()
    _received(campaign, "100", donor=regular)
    _received(campaign, "50", donor=regular)  # the same donor twice: one donor
    _received(campaign, "30", anonymous=True)
    _received(campaign, "20", donor=None)  # cash, no name
    DonationFactory(campaign=campaign, amount=D("1000"))  # pledged only
    DonationFactory(campaign=campaign, amount=D("500"), status=DonationStatus.REFUNDED)
    DonationFactory(campaign=campaign, amount=D("70"), status=DonationStatus.CANCELLED)
    totals = campaign_totals(campaign)
    assert totals.raised == D("200.00")
    assert totals.gifts == 4
    assert totals.donors == 3  # one named donor + one anonymous gift + one without donor


def test_totals_of_a_campaign_without_gifts_are_zero():
    totals = campaign_totals(CampaignFactory())
    assert (totals.raised, totals.gifts, totals.donors) == (D("0"), 0, 0)


def test_campaign_totals_of_many_campaigns_is_one_query(django_assert_num_queries):
    org = collector()
    campaigns = [CampaignFactory(organisation=org) for _ in range(6)]
    for i, campaign in enumerate(campaigns):
        for _ in range(i):
            _received(campaign, "10")
    with django_assert_num_queries(1):
        rows = list(campaign_totals(Campaign.objects.filter(organisation=org).order_by("pk")))
        raised = [totals_of(c).raised for c in rows]
    assert raised == [D("10") * i for i in range(6)]
    assert [totals_of(c).gifts for c in rows] == list(range(6))


def test_progress_with_matching_pledges():
    """Goal 10,000 €: 6,000 € of gifts; a 1:1 pledge capped at 2,000 € (due), a
    conditional 0.5 pledge up to 5,000 € (counting until the end)."""
    campaign = CampaignFactory(goal=D("10000"))
    user = fundraiser(campaign.organisation)
    _received(campaign, "6000")
    pledge_add(campaign=campaign, by=user, funder=OrganisationFactory(), ratio="1", cap="2000")
    pledge_add(
        campaign=campaign,
        by=user,
        funder=OrganisationFactory(),
        ratio="0.5",
        cap="5000",
        only_if_target_reached=True,
    )
    progress = campaign_progress(campaign)
    assert [r.state for r in progress.pledges] == [PledgeState.DUE, PledgeState.COUNTING]
    assert progress.raised == D("6000.00")
    assert progress.due == D("2000.00")
    assert progress.counting == D("3000.00")
    assert progress.grand_total == D("11000.00")
    assert progress.progress == D("0.8000")


def test_conditional_pledge_is_decided_by_gifts_dated_by_its_deadline():
    today = timezone.localdate()
    campaign = CampaignFactory(
        goal=D("1000"),
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=5),
    )
    user = fundraiser(campaign.organisation)
    deadline = today - dt.timedelta(days=5)
    pledge_add(
        campaign=campaign,
        by=user,
        funder=OrganisationFactory(),
        ratio="1",
        cap="500",
        only_if_target_reached=True,
        deadline=deadline,
    )
    _received(campaign, "600", date=deadline - dt.timedelta(days=1))
    _received(campaign, "600", date=today)  # after the deadline: too late for it
    progress = campaign_progress(campaign)
    assert progress.pledges[0].state is PledgeState.LAPSED
    assert progress.matched == D("0.00")
    _received(campaign, "400", date=deadline)
    assert campaign_progress(campaign).pledges[0].state is PledgeState.DUE


def test_donor_wall_names_and_anonymous_count():
    campaign = CampaignFactory()
    maria = DonorFactory(first_name="Maria", last_name="Rossi")
    _received(campaign, "10", donor=maria, on_wall=True)
    _received(campaign, "10", donor=maria, on_wall=True)  # once on the wall
    _received(campaign, "10", donor=DonorFactory(wall_name="La famiglia Bianchi"), on_wall=True)
    _received(
        campaign,
        "10",
        donor=DonorFactory(kind=DonorKind.COMPANY, company_name="Latteria Soresina"),
        on_wall=True,
    )
    _received(campaign, "10", donor=DonorFactory(first_name="Gino"), on_wall=False)
    _received(campaign, "10", donor=DonorFactory(first_name="Ada"), anonymous=True)
    _received(campaign, "10", donor=DonorFactory(first_name="Eva"), anonymous=True)
    DonationFactory(campaign=campaign, donor=DonorFactory(first_name="Pia"), on_wall=True)
    wall = donor_wall(campaign)
    assert wall.names == ["Maria R.", "La famiglia Bianchi", "Latteria Soresina"]
    assert wall.anonymous == 2


def test_campaign_account():
    """Income: 300 € of gifts + 150 € matched (0.5, due); costs 80 + 20; net 350 €."""
    campaign = CampaignFactory()
    user = fundraiser(campaign.organisation)
    _received(campaign, "200")
    _received(campaign, "100")
    DonationFactory(campaign=campaign, amount=D("999"), status=DonationStatus.REFUNDED)
    pledge_add(campaign=campaign, by=user, funder=OrganisationFactory(), ratio="0.5", cap="1000")
    pledge_add(
        campaign=campaign,
        by=user,
        funder=OrganisationFactory(),
        ratio="1",
        cap="1000",
        only_if_target_reached=True,
    )  # counting, not income
    today = timezone.localdate()
    cost_add(campaign=campaign, by=user, date=today, description="Volantini", amount="80")
    cost_add(campaign=campaign, by=user, date=today, description="Commissioni", amount="20")
    account = campaign_account(campaign)
    assert account.gifts == D("300.00")
    assert account.matched_due == D("150.00")
    assert account.income == D("450.00")
    assert account.costs_total == D("100.00")
    assert account.net == D("350.00")


def test_yearly_donor_totals_for_the_tax_declaration(django_assert_num_queries):
    org = collector()
    campaign = CampaignFactory(organisation=org)
    person = DonorFactory(last_name="Alfa", codice_fiscale="RSSMRA85T10A562S")
    company = DonorFactory(
        kind=DonorKind.COMPANY, last_name="", company_name="Beta srl", partita_iva="01114601006"
    )
    nameless = DonorFactory(last_name="Gamma")  # no code: cannot be declared
    _received(campaign, "100", donor=person, date=dt.date(2025, 3, 1))
    _received(campaign, "50.50", donor=person, date=dt.date(2025, 12, 31), anonymous=True)
    _received(campaign, "70", donor=person, date=dt.date(2024, 12, 31))  # another year
    _received(campaign, "30", donor=company, date=dt.date(2025, 6, 1))
    _received(campaign, "20", donor=nameless, date=dt.date(2025, 6, 1))
    DonationFactory(
        campaign=campaign,
        donor=company,
        amount=D("900"),
        status=DonationStatus.REFUNDED,
        date=dt.date(2025, 6, 2),
    )
    other_campaign = CampaignFactory()  # another organisation
    _received(other_campaign, "1000", donor=person, date=dt.date(2025, 5, 1))
    with django_assert_num_queries(1):
        rows = [(d.pk, d.year_total, d.year_gifts) for d in yearly_donor_totals(org, 2025)]
    # Ordered by last name, then company name: the company (no last name) first.
    assert rows == [(company.pk, D("30.00"), 1), (person.pk, D("150.50"), 2)]
    everyone = {d.pk for d in yearly_donor_totals(org, 2025, identified_only=False)}
    assert everyone == {person.pk, company.pk, nameless.pk}
