"""The indicators of the community network (labs, Civic Center, fundraising, Wel(l)fare
LAB) for the first quarter of 2025, on a fixture with records inside and outside the
period, the ambito and its comuni; every expected figure is counted by hand."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from civic_center.models import (
    Agreement,
    AgreementMember,
    AgreementStatus,
    MemberStatus,
)
from civic_center.models import (
    Unit as CivicUnit,
)
from fundraising.models import DonationStatus, MatchingPledge
from labs.models import (
    InterventionStatus,
    LabContext,
    MeetingStatus,
    NeedStatus,
    Registration,
    RegistrationStatus,
)
from reports.indicators import INDICATORS, Period, Scope, Unit, network, parse_period
from research.models import Invitation, Survey, SurveyStatus
from tests.civic_center.factories import DemandFactory, OfferFactory, ServiceCategoryFactory
from tests.fundraising.factories import CampaignFactory, DonationFactory, DonorFactory
from tests.labs.factories import LabFactory, MeetingFactory
from tests.labs.factories_needs import InterventionFactory, NeedFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory, UserFactory
from tests.research.factories import PathwayFactory

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
Q1 = parse_period("2025-Q1")
D = dt.date
_codes = itertools.count()


def rome(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ROME)


# --- The fixture ------------------------------------------------------------------------------


@pytest.fixture
def where() -> SimpleNamespace:
    """Ambito A with comuni C1 and C2; ambito B with comune C3."""
    a, b = AmbitoFactory(), AmbitoFactory()
    return SimpleNamespace(
        a=a,
        b=b,
        c1=ComuneFactory(ambito=a),
        c2=ComuneFactory(ambito=a),
        c3=ComuneFactory(ambito=b),
    )


def scopes(where: SimpleNamespace) -> dict[str, Scope]:
    return {
        "A": Scope(where.a.pk),
        "C1": Scope(where.a.pk, where.c1.pk),
        "C2": Scope(where.a.pk, where.c2.pk),
        "B": Scope(where.b.pk),
    }


def value(code: str, scope: Scope, period: Period = Q1) -> Any:
    return INDICATORS[code].compute(scope, period).value


def registration(meeting: Any, email: str, *, attended: bool | None) -> Registration:
    n = next(_codes)
    return Registration.objects.create(
        meeting=meeting,
        email=email,
        name=email,
        status=RegistrationStatus.CONFIRMED,
        code=f"C{n:07d}",
        nonce=f"n{n}",
        attended=attended,
    )


def meeting(lab: Any, start: dt.datetime, **kwargs: Any) -> Any:
    kwargs.setdefault("status", MeetingStatus.SCHEDULED)
    if kwargs["status"] == MeetingStatus.CLOSED:
        kwargs.setdefault("closed_at", start + dt.timedelta(days=1))
    return MeetingFactory(lab=lab, starts_at=start, ends_at=start + dt.timedelta(hours=2), **kwargs)


@pytest.fixture
def labs(where: SimpleNamespace) -> SimpleNamespace:
    lab_a = LabFactory(ambito=where.a)
    lab_a.comuni.set([where.c1, where.c2])
    lab_a2 = LabFactory(ambito=where.a)
    lab_a2.comuni.set([where.c2])
    lab_b = LabFactory(ambito=where.b)
    lab_b.comuni.set([where.c3])
    workshops = LabFactory(ambito=where.a, context=LabContext.PRACTITIONERS)
    workshops.comuni.set([where.c1])

    m1 = meeting(lab_a, rome(2025, 1, 10, 18), comune=where.c1, status=MeetingStatus.CLOSED)
    m2 = meeting(lab_a, rome(2025, 2, 5, 18), comune=None, online_url="https://meet.example.org/x")
    m3 = meeting(lab_a, rome(2025, 3, 31, 23, 30), comune=where.c2)  # 22:30 UTC: in Q1
    m4 = meeting(lab_a, rome(2025, 2, 10, 18), comune=where.c1, status=MeetingStatus.CANCELLED)
    m5 = meeting(lab_a, rome(2025, 4, 1, 0, 30), comune=where.c1)  # 22:30 UTC on 31/3: Q2
    m6 = meeting(lab_b, rome(2025, 1, 15, 18), comune=where.c3)
    m7 = meeting(workshops, rome(2025, 1, 20, 18), comune=where.c1)
    for email in ("a@example.org", "b@example.org"):
        registration(m1, email, attended=True)
    registration(m1, "c@example.org", attended=False)
    registration(m2, "a@example.org", attended=True)
    registration(m2, "d@example.org", attended=True)
    registration(m3, "e@example.org", attended=True)
    registration(m4, "f@example.org", attended=True)
    registration(m5, "g@example.org", attended=True)
    registration(m6, "h@example.org", attended=True)
    registration(m7, "i@example.org", attended=True)

    n1 = NeedFactory(
        lab=lab_a, comune=where.c1, created_at=rome(2025, 1, 5), status=NeedStatus.ADDRESSED
    )
    NeedFactory(lab=lab_a, comune=None, created_at=rome(2025, 2, 1))
    NeedFactory(
        lab=lab_a, comune=where.c2, created_at=rome(2025, 3, 1), status=NeedStatus.ADDRESSED
    )
    NeedFactory(
        lab=lab_a,
        comune=where.c1,
        created_at=rome(2025, 2, 2),
        status=NeedStatus.MERGED,
        merged_into=n1,
    )
    NeedFactory(lab=lab_a, comune=where.c1, created_at=rome(2024, 12, 31, 23, 30))
    NeedFactory(
        lab=lab_b, comune=where.c3, created_at=rome(2025, 1, 10), status=NeedStatus.ADDRESSED
    )
    NeedFactory(lab=workshops, comune=where.c1, created_at=rome(2025, 1, 10))

    running, done = InterventionStatus.RUNNING, InterventionStatus.DONE
    i1 = InterventionFactory(lab=lab_a, start_date=D(2025, 1, 15), status=running)
    InterventionFactory(lab=lab_a, start_date=D(2025, 3, 31), status=done)
    InterventionFactory(lab=lab_a, start_date=D(2025, 2, 1), status=InterventionStatus.DESIGNED)
    InterventionFactory(lab=lab_a, start_date=D(2025, 4, 1), status=running)
    InterventionFactory(lab=lab_a, start_date=D(2025, 2, 15), status=InterventionStatus.DROPPED)
    InterventionFactory(lab=lab_a2, start_date=D(2025, 2, 20), status=running)
    InterventionFactory(lab=lab_b, start_date=D(2025, 2, 1), status=running)
    InterventionFactory(lab=workshops, start_date=D(2025, 2, 1), status=running)
    return SimpleNamespace(lab_a=lab_a, lab_b=lab_b, intervention=i1)


@pytest.fixture
def civic(where: SimpleNamespace) -> None:
    hour = ServiceCategoryFactory(unit=CivicUnit.HOUR)
    session = ServiceCategoryFactory(unit=CivicUnit.SESSION)
    hour_offer = OfferFactory(category=hour, comuni=[where.c1, where.c2, where.c3])
    session_offer = OfferFactory(category=session, comuni=[where.c1])
    u1, u2, u3 = UserFactory(), UserFactory(), UserFactory()
    operator = UserFactory()

    def agreement(offer: Any, start: dt.date, end: dt.date, price: str, single: str, **kw: Any):
        return Agreement.objects.create(
            offer=offer,
            status=kw.get("status", AgreementStatus.CONFIRMED),
            group_size=2,
            tier_min_families=1,
            unit_price=Decimal(price),
            single_family_price=Decimal(single),
            start_date=start,
            end_date=end,
        )

    def member(agreement: Any, per_week: str, status: str = MemberStatus.ACCEPTED, **demand: Any):
        AgreementMember.objects.create(
            agreement=agreement,
            demand=DemandFactory(category=agreement.offer.category, **demand),
            status=status,
            units_per_week=Decimal(per_week),
        )

    ag1 = agreement(hour_offer, D(2024, 12, 1), D(2025, 2, 28), "12.00", "15.00")
    # Served 1/1–28/2: 59 days, 8.43 weeks × 7 = 59.01 hours, saving 3 × 59.01 = 177.03.
    member(ag1, "7", family=u1, comune=where.c1, start_date=D(2024, 11, 1), end_date=D(2025, 6, 30))
    # Served 1/2–28/2: 4 weeks × 2 = 8 hours, saving 24.
    member(ag1, "2", family=u2, comune=where.c2, start_date=D(2025, 2, 1), end_date=D(2025, 12, 31))
    member(
        ag1,
        "5",
        MemberStatus.DECLINED,
        family=u3,
        comune=where.c1,
        start_date=D(2025, 1, 1),
        end_date=D(2025, 3, 31),
    )
    ag2 = agreement(session_offer, D(2025, 3, 1), D(2025, 5, 31), "10.00", "14.00")
    # The same family as the first: served 1/3–31/3, 4.43 weeks = 4.43 sessions (not
    # hours), saving 4 × 4.43 = 17.72.
    member(ag2, "1", family=u1, comune=where.c1, start_date=D(2025, 3, 1), end_date=D(2025, 5, 31))
    ag3 = agreement(
        hour_offer, D(2025, 1, 1), D(2025, 3, 31), "12.00", "15.00", status=AgreementStatus.PROPOSED
    )
    member(ag3, "3", comune=where.c1, start_date=D(2025, 1, 1), end_date=D(2025, 3, 31))
    ag4 = agreement(hour_offer, D(2025, 4, 1), D(2025, 6, 30), "12.00", "15.00")
    member(ag4, "3", comune=where.c1, start_date=D(2025, 4, 1), end_date=D(2025, 6, 30))
    ag5 = agreement(hour_offer, D(2025, 1, 1), D(2025, 3, 31), "12.00", "15.00")
    # A family without an account or address: 1/1–14/1, 2 weeks × 1 = 2 hours, saving 6.
    member(
        ag5,
        "1",
        family=None,
        created_by=operator,
        contact_email="",
        comune=where.c2,
        start_date=D(2025, 1, 1),
        end_date=D(2025, 1, 14),
    )
    member(
        ag5,
        "4",
        family=None,
        created_by=operator,
        contact_email="Famiglia@Example.org",
        comune=where.c3,
        start_date=D(2025, 1, 1),
        end_date=D(2025, 3, 31),
    )


@pytest.fixture
def gifts(where: SimpleNamespace, labs: SimpleNamespace) -> None:
    dates = {"starts_on": D(2024, 12, 1), "ends_on": D(2025, 12, 31)}
    k1 = CampaignFactory(ambito=where.a, **dates)
    k2 = CampaignFactory(intervention=labs.intervention, **dates)  # lab of ambito A
    k3 = CampaignFactory(**dates)  # neither: no ambito
    k4 = CampaignFactory(ambito=where.b, **dates)
    d1, d2 = DonorFactory(), DonorFactory()

    def gift(campaign: Any, amount: str, day: dt.date, status: str = DonationStatus.RECEIVED, **kw):
        received = rome(day.year, day.month, day.day, 12)
        kw.setdefault("donor", DonorFactory())
        DonationFactory(
            campaign=campaign,
            amount=Decimal(amount),
            date=day,
            status=status,
            received_at=received if status != DonationStatus.PLEDGED else None,
            **kw,
        )

    gift(k1, "100", D(2025, 1, 10), donor=d1)
    gift(k1, "50", D(2025, 2, 10), donor=d1)
    gift(k2, "200", D(2025, 3, 31), donor=d2, anonymous=True)
    gift(k2, "30", D(2025, 3, 1), donor=None)
    gift(k1, "500", D(2025, 2, 1), DonationStatus.REFUNDED)
    gift(k1, "70", D(2025, 1, 5), DonationStatus.PLEDGED)
    gift(k1, "80", D(2024, 12, 31))
    gift(k3, "1000", D(2025, 1, 10))
    gift(k4, "40", D(2025, 1, 10))
    gift(k1, "25", D(2025, 4, 1))

    def pledge(campaign: Any, ratio: str, cap: str, **kw: Any) -> None:
        MatchingPledge.objects.create(
            campaign=campaign,
            funder=campaign.organisation,
            ratio=Decimal(ratio),
            cap=Decimal(cap),
            **kw,
        )

    pledge(k1, "1.00", "1000")  # 230 by 31/3 − 80 before: 150
    pledge(k2, "2.00", "300")  # min(300, 2 × 230) − 0: 300
    pledge(k1, "1.00", "1000", only_if_target_reached=True)  # goal 10,000 not reached: 0
    pledge(k3, "1.00", "1000")  # no ambito
    pledge(k4, "1.00", "1000")  # ambito B: 40


@pytest.fixture
def research(where: SimpleNamespace) -> None:
    pw1 = PathwayFactory(ambito=where.a, starts_on=D(2024, 6, 1))
    PathwayFactory(ambito=where.a, starts_on=D(2025, 3, 31), ends_on=D(2025, 6, 30))
    PathwayFactory(ambito=where.a, starts_on=D(2024, 1, 1), ends_on=D(2024, 12, 31))
    PathwayFactory(ambito=where.a, starts_on=None)
    pw5 = PathwayFactory(ambito=where.b, starts_on=D(2025, 1, 1))
    PathwayFactory(ambito=where.a, starts_on=D(2025, 4, 1))
    owner = UserFactory()
    open_, closed = SurveyStatus.OPEN, SurveyStatus.CLOSED

    def survey(pathway: Any, status: str, opens: dt.datetime | None, **kw: Any) -> Survey:
        return Survey.objects.create(
            title="Questionario", owner=owner, pathway=pathway, status=status, opens_at=opens, **kw
        )

    s1 = survey(pw1, open_, rome(2025, 2, 1))
    s2 = survey(pw1, closed, rome(2024, 10, 1), closed_at=rome(2025, 1, 15))
    s3 = survey(pw1, closed, rome(2024, 10, 1), closed_at=rome(2024, 12, 20))
    survey(pw1, open_, rome(2024, 10, 1), closes_at=rome(2024, 12, 31, 12))
    survey(pw1, SurveyStatus.DRAFT, None)
    s6 = survey(pw5, open_, rome(2025, 1, 10))
    survey(pw1, open_, rome(2025, 4, 1, 0, 30))
    survey(None, open_, rome(2025, 1, 10))

    def answered(s: Survey, day: dt.date | None) -> None:
        Invitation.objects.create(
            survey=s,
            email=f"p{next(_codes)}@example.org",
            answered=day is not None,
            answered_on=day,
        )

    for day in (D(2025, 2, 2), D(2025, 3, 15), D(2025, 3, 31), D(2025, 4, 1), None):
        answered(s1, day)
    answered(s2, D(2025, 1, 10))
    answered(s3, D(2024, 12, 1))
    answered(s6, D(2025, 1, 20))


# --- Labs -------------------------------------------------------------------------------------


def test_meetings_held_count_by_the_meetings_start_and_comune(where, labs):
    """Held: not cancelled, started in the period (Rome's days), over; a meeting
    without a comune counts in every comune of its lab; practitioners' workshops and
    other ambiti's labs are left out."""
    s = scopes(where)
    result = INDICATORS["lab_meetings"].compute(s["A"], Q1)
    assert result.unit == Unit.COUNT
    assert result.value == 3
    assert result.breakdown("minutes").values == {"closed": 1, "scheduled": 2}
    assert set(result.breakdown("minutes").labels) == {"closed", "scheduled"}
    c1 = INDICATORS["lab_meetings"].compute(s["C1"], Q1)
    assert (c1.value, c1.breakdown("minutes").values) == (2, {"closed": 1, "scheduled": 1})
    assert value("lab_meetings", s["C2"]) == 2
    assert value("lab_meetings", s["B"]) == 1
    assert value("lab_meetings", s["A"], parse_period("2025-04")) == 1


def test_a_meeting_not_over_yet_is_not_held(where, labs):
    """A meeting later today, in the current month, is not counted until it ends."""
    from django.utils import timezone

    later = timezone.now() + dt.timedelta(minutes=30)
    meeting(labs.lab_a, later, comune=where.c1)
    month = parse_period(f"{timezone.localdate():%Y-%m}")
    assert value("lab_meetings", scopes(where)["A"], month) == 0


def test_participants_are_distinct_people_present(where, labs):
    """Present (not merely registered) at a held meeting; one person at two meetings
    counts once."""
    s = scopes(where)
    result = INDICATORS["lab_participants"].compute(s["A"], Q1)
    assert (result.unit, result.value) == (Unit.PEOPLE, 4)
    assert value("lab_participants", s["C1"]) == 3
    assert value("lab_participants", s["C2"]) == 3
    assert value("lab_participants", s["B"]) == 1


def test_needs_raised_in_the_period_and_how_many_are_addressed(where, labs):
    """Merged duplicates are not counted again; a need at 23:30 of 31 December (Rome)
    belongs to the year before."""
    s = scopes(where)
    result = INDICATORS["lab_needs"].compute(s["A"], Q1)
    assert result.value == 3
    assert result.breakdown("status").values == {"raised": 3, "addressed": 2}
    with translation.override("en"):
        labels = INDICATORS["lab_needs"].compute(s["A"], Q1).breakdown("status").labels
    assert labels == {"raised": "raised", "addressed": "addressed"}
    assert INDICATORS["lab_needs"].compute(s["C1"], Q1).breakdown("status").values == {
        "raised": 2,
        "addressed": 1,
    }
    assert INDICATORS["lab_needs"].compute(s["C2"], Q1).breakdown("status").values == {
        "raised": 2,
        "addressed": 1,
    }
    assert value("lab_needs", s["B"]) == 1
    assert value("lab_needs", s["A"], parse_period("2024-12")) == 1


def test_interventions_started_running_or_done(where, labs):
    """Designed and dropped ones are not counted; an intervention belongs to every
    comune of its lab."""
    s = scopes(where)
    assert value("lab_interventions_started", s["A"]) == 3
    assert value("lab_interventions_started", s["C1"]) == 2
    assert value("lab_interventions_started", s["C2"]) == 3
    assert value("lab_interventions_started", s["B"]) == 1
    assert value("lab_interventions_started", s["A"], parse_period("2025-Q2")) == 1


# --- Civic Center -----------------------------------------------------------------------------


def test_civic_figures_over_the_days_served_in_the_period(where, civic):
    """Accepted families of confirmed agreements, each over the overlap of its demand,
    its agreement and the period; a family with two services counts once."""
    s = scopes(where)
    assert value("civic_families_served", s["A"]) == 3
    assert value("civic_hours_purchased", s["A"]) == Decimal("69.01")
    assert value("civic_families_saving", s["A"]) == Decimal("224.75")
    assert value("civic_provider_hours", s["A"]) == Decimal("69.01")

    assert value("civic_families_served", s["C1"]) == 1
    assert value("civic_hours_purchased", s["C1"]) == Decimal("59.01")
    assert value("civic_families_saving", s["C1"]) == Decimal("194.75")
    assert value("civic_families_served", s["C2"]) == 2
    assert value("civic_hours_purchased", s["C2"]) == Decimal("10.00")
    assert value("civic_families_saving", s["C2"]) == Decimal("30.00")

    # Ambito B: 1/1–31/3, 90 days, 12.86 weeks × 4 = 51.44 hours, saving 154.32.
    assert value("civic_families_served", s["B"]) == 1
    assert value("civic_hours_purchased", s["B"]) == Decimal("51.44")
    assert value("civic_families_saving", s["B"]) == Decimal("154.32")


def test_civic_figures_of_a_period_with_nobody_served(where, civic):
    s = scopes(where)
    period = parse_period("2024-10")
    assert value("civic_families_served", s["A"], period) == 0
    assert value("civic_hours_purchased", s["A"], period) == Decimal("0.00")
    assert value("civic_families_saving", s["A"], period) == Decimal("0.00")


def test_civic_figures_of_the_whole_agreement_match_the_selector(where, civic):
    """Over a period that covers whole agreements, the figures are the Civic Center's own
    (``civic_center.selectors.figures``)."""
    from civic_center.selectors import figures

    expected = figures(Agreement.objects.all())
    plan = Period("plan", D(2024, 1, 1), D(2026, 12, 31))
    both = (scopes(where)["A"], scopes(where)["B"])
    hours = sum(value("civic_hours_purchased", scope, plan) for scope in both)
    saving = sum(value("civic_families_saving", scope, plan) for scope in both)
    assert (hours, saving) == (expected.hours_purchased, expected.saving)
    # 90 days × 7/week (90.02) + 8 + 91 days × 3/week (39) + 2 + 51.44 (ambito B).
    assert hours == Decimal("190.46")


# --- Fundraising ------------------------------------------------------------------------------


def test_funds_raised_donors_and_matched_funds(where, gifts):
    """Received gifts dated in the period, to campaigns of the ambito (its own, or the
    intervention of one of its labs); refunded and pledged gifts left out; matched funds
    due through the period's gifts, a conditional pledge whose goal is not reached
    left out."""
    s = scopes(where)
    raised = INDICATORS["fundraising_raised"].compute(s["A"], Q1)
    assert (raised.unit, raised.value) == (Unit.EURO, Decimal("380.00"))
    assert value("fundraising_donors", s["A"]) == 3
    assert value("fundraising_matched", s["A"]) == Decimal("450.00")
    assert value("fundraising_raised", s["B"]) == Decimal("40.00")
    assert value("fundraising_donors", s["B"]) == 1
    assert value("fundraising_matched", s["B"]) == Decimal("40.00")
    # Matched funds of the periods add up: 80 in 2024-Q4, 450 in Q1, 25 in Q2.
    assert value("fundraising_matched", s["A"], parse_period("2024-Q4")) == Decimal("80.00")
    assert value("fundraising_matched", s["A"], parse_period("2025-Q2")) == Decimal("25.00")
    assert value("fundraising_matched", s["A"], parse_period("2025")) == Decimal("475.00")


def test_a_conditional_pledge_is_due_once_the_goal_is_reached(where, gifts):
    from fundraising.models import Campaign

    k1 = Campaign.objects.get(ambito=where.a)
    Campaign.objects.filter(pk=k1.pk).update(goal=Decimal("200.00"))
    # The goal of 200 is reached in the period (80 before it, 230 by its end): the
    # conditional pledge's 230 all becomes due then, with 150 and 300 as before.
    assert value("fundraising_matched", scopes(where)["A"]) == Decimal("680.00")


def test_fundraising_has_no_figure_for_a_comune(where, gifts):
    """Campaigns have no comune: a comune's scope gets no figure, not the ambito's."""
    for code in ("fundraising_raised", "fundraising_donors", "fundraising_matched"):
        result = INDICATORS[code].compute(scopes(where)["C1"], Q1)
        assert result.value is None


# --- Wel(l)fare LAB ---------------------------------------------------------------------------


def test_pathways_surveys_and_responses_of_the_ambito(where, research):
    s = scopes(where)
    assert value("research_pathways", s["A"]) == 2
    assert value("research_surveys", s["A"]) == 2
    assert value("research_responses", s["A"]) == 4
    assert value("research_pathways", s["B"]) == 1
    assert value("research_surveys", s["B"]) == 1
    assert value("research_responses", s["B"]) == 1
    for code in ("research_pathways", "research_surveys", "research_responses"):
        assert value(code, s["C1"]) is None


def test_counting_responses_reads_no_response_nor_respondent(where, research):
    """Anonymity: the count reads the answered day of invitations only."""
    with CaptureQueriesContext(connection) as queries:
        value("research_responses", scopes(where)["A"])
    sql = " ".join(q["sql"] for q in queries.captured_queries).lower()
    assert "research_response" not in sql
    assert "legami_user" not in sql
    assert '"email"' not in sql


# --- Registration and query counts ------------------------------------------------------------


CODES = (
    "lab_meetings",
    "lab_participants",
    "lab_needs",
    "lab_interventions_started",
    "civic_families_served",
    "civic_hours_purchased",
    "civic_families_saving",
    "civic_provider_hours",
    "fundraising_raised",
    "fundraising_donors",
    "fundraising_matched",
    "research_pathways",
    "research_surveys",
    "research_responses",
)


def test_every_indicator_is_registered_in_its_area():
    areas = {code: INDICATORS[code].area for code in CODES}
    assert set(areas.values()) == {"labs", "civic", "fundraising", "research"}
    assert all(INDICATORS[code].compute.__module__ == network.__name__ for code in CODES)


def _queries(where: SimpleNamespace) -> dict[tuple[str, str], int]:
    counts = {}
    for code in CODES:
        for name, scope in scopes(where).items():
            with CaptureQueriesContext(connection) as queries:
                INDICATORS[code].compute(scope, Q1)
            counts[(code, name)] = len(queries.captured_queries)
    return counts


def test_queries_do_not_grow_with_rows(where, labs, civic, gifts, research):
    """One query per indicator (the matched funds: six at most), with few or many
    rows."""
    few = _queries(where)
    assert max(few.values()) <= 6
    assert few[("lab_meetings", "A")] == 1
    assert few[("civic_families_saving", "C1")] == 1
    # Many more rows of every kind, in the ambito and the period.
    for day in range(1, 25):
        m = meeting(labs.lab_a, rome(2025, 2, day, 10), comune=where.c1)
        registration(m, f"many{day}@example.org", attended=True)
        NeedFactory(lab=labs.lab_a, comune=where.c2, created_at=rome(2025, 2, day))
        InterventionFactory(
            lab=labs.lab_a, start_date=D(2025, 2, day), status=InterventionStatus.RUNNING
        )
        campaign = CampaignFactory(ambito=where.a)
        MatchingPledge.objects.create(
            campaign=campaign, funder=campaign.organisation, ratio=Decimal(1), cap=Decimal(10)
        )
        DonationFactory(
            campaign=campaign,
            date=D(2025, 2, day),
            status=DonationStatus.RECEIVED,
            received_at=rome(2025, 2, day),
        )
        PathwayFactory(ambito=where.a, starts_on=D(2025, 2, day))
    agreement = Agreement.objects.filter(status=AgreementStatus.CONFIRMED).first()
    for _ in range(20):
        AgreementMember.objects.create(
            agreement=agreement,
            demand=DemandFactory(comune=where.c1, start_date=D(2024, 1, 1), end_date=D(2026, 1, 1)),
            status=MemberStatus.ACCEPTED,
            units_per_week=Decimal(1),
        )
    assert value("lab_meetings", scopes(where)["A"]) == 27
    assert value("fundraising_matched", scopes(where)["A"]) == Decimal("690.00")
    assert _queries(where) == few
