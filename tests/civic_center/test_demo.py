"""The Civic Center's demo step: published offers (one joint) in the three ambiti, the
families' demand entered on their behalf and the demo citizen's, one matching run per
ambito carried out at once, a confirmed group in Cremona with non-zero figures, the
citizen's proposal and pool — made through the services and seeded idempotently.

The prerequisite steps (the territory and the citizen, the organisations and the demo
logins) are run directly rather than through ``seed_demo``, to keep the tests fast."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from civic_center import demo as civic_demo
from civic_center.models import (
    Agreement,
    AgreementEvent,
    AgreementMember,
    AgreementStatus,
    Demand,
    DemandStatus,
    MatchingRun,
    MemberStatus,
    Offer,
    OfferPartner,
    OfferStatus,
    OfferWindow,
    PriceTier,
    RunStatus,
)
from civic_center.selectors import family_demands, figures, live_membership, pool_status
from civic_center.services import run_execute
from legami import demo as legami_demo
from legami.demo import DEMO_EMAIL_DOMAIN, demo_steps
from legami.models import Ambito, User
from partners import demo as partners_demo
from partners.models import Membership

pytestmark = pytest.mark.django_db

PASSWORD = "demo-test-password"  # noqa: S105 - a test value
MODELS = (
    User,
    Membership,
    Offer,
    OfferPartner,
    PriceTier,
    OfferWindow,
    Demand,
    MatchingRun,
    Agreement,
    AgreementMember,
    AgreementEvent,
)


def seed() -> list[str]:
    """The legami, partners and civic_center steps, in that order; the Civic Center's
    summary lines."""
    with translation.override("en"):
        legami_demo.seed(password=PASSWORD)
        partners_demo.seed(password=PASSWORD)
        return civic_demo.seed(password=PASSWORD).summary


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def _citizen() -> User:
    return User.objects.get(email=f"cittadino@{DEMO_EMAIL_DOMAIN}")


def test_seed_demo_runs_the_step_after_the_steps_it_relies_on():
    labels = [label for label, _seed in demo_steps()]
    assert dict(demo_steps())["civic_center"] is civic_demo.seed
    assert labels.index("legami") < labels.index("partners") < labels.index("civic_center")


def test_every_ambito_has_published_offers_demand_and_a_matching_run():
    summary = seed()
    assert "offers: 9 created, 0 unchanged" in summary
    assert "matching runs: 3 carried out, 0 already done" in summary
    for ambito in Ambito.objects.all():
        offers = Offer.objects.filter(status=OfferStatus.PUBLISHED, comuni__ambito=ambito)
        assert offers.distinct().count() >= 2, ambito
        # Every comune an offer serves is in the offer's ambito.
        for offer in offers.distinct():
            assert {c.ambito_id for c in offer.comuni.all()} == {ambito.pk}
            assert 3 <= offer.comuni.count() <= 6
        assert Demand.objects.filter(comune__ambito=ambito).count() >= 12, ambito
        run = MatchingRun.objects.get(ambito=ambito)
        assert run.status == RunStatus.DONE, run.error
        assert run.groups_proposed > 0 and run.families_matched > 0
    # One joint offer: the lead keeps 60%, its partner 40%.
    joint = OfferPartner.objects.get()
    assert joint.share_percent == 40 and joint.organisation != joint.offer.organisation
    # The families' demand was entered by the operator, on their behalf.
    operator = User.objects.get(email=f"operatore@{DEMO_EMAIL_DOMAIN}")
    on_behalf = Demand.objects.filter(family__isnull=True)
    assert on_behalf.count() >= 36
    assert set(on_behalf.values_list("created_by", flat=True)) == {operator.pk}
    assert all(d.contact_name and d.contact_email for d in on_behalf)


def test_a_confirmed_group_in_cremona_gives_figures_above_zero():
    seed()
    confirmed = Agreement.objects.get(status=AgreementStatus.CONFIRMED)
    assert confirmed.offer.comuni.filter(ambito__code="cremona").exists()
    assert confirmed.members.filter(status=MemberStatus.ACCEPTED).count() == confirmed.group_size
    assert confirmed.unit_price < confirmed.single_family_price
    assert all(
        m.demand.status == DemandStatus.AGREED for m in confirmed.members.select_related("demand")
    )
    result = figures(Agreement.objects.all())
    assert result.agreements == 1
    assert result.families_served == confirmed.group_size
    assert result.hours_purchased > 0 and result.saving > 0
    assert result.new_families == confirmed.group_size
    # Other groups stay proposed, for the families and the providers to act on.
    assert Agreement.objects.filter(status=AgreementStatus.PROPOSED, solo=False).count() >= 4


def test_the_citizen_has_a_proposal_and_a_demand_still_in_its_pool():
    seed()
    demands = list(family_demands(_citizen()).filter(family=_citizen()))
    assert len(demands) == 2
    proposed = next(d for d in demands if d.status == DemandStatus.PROPOSED)
    membership = live_membership(proposed)
    assert membership is not None
    assert membership.status == MemberStatus.PROPOSED
    assert membership.agreement.status == AgreementStatus.PROPOSED
    assert membership.agreement.group_size > 1

    waiting = next(d for d in demands if d.status == DemandStatus.OPEN)
    status = pool_status(waiting)
    assert status is not None
    # Not enough families yet for the smallest group: how many more, and the price then.
    assert status.size < status.min_group_size
    assert status.unit_price is None
    assert status.next_missing == status.min_group_size - status.size == 1
    assert status.next_price is not None


def test_seeding_twice_adds_nothing():
    seed()
    before = _counts()
    summary = seed()
    assert _counts() == before
    assert summary == [
        "provider logins: 0 created or updated, 2 unchanged",
        "offers: 0 created, 9 unchanged",
        "demands: 0 created, 38 unchanged",
        "matching runs: 0 carried out, 3 already done",
        "groups confirmed: 0",
    ]


@pytest.mark.usefixtures("eager_tasks")
def test_the_tasks_sent_on_commit_find_the_runs_done(django_capture_on_commit_callbacks):
    """The task each run request sends on commit is a second delivery: it does nothing;
    the families are told of their groups by mail."""
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    after = _counts()
    for run in MatchingRun.objects.all():
        run_execute(run_id=run.pk)
    assert _counts() == after
    assert mail.outbox
