"""The pacts, isolation and work-inclusion indicators against figures counted by hand.

The world: ambito A with comuni C1 and C2, ambito B with comune C3; the period is the
first quarter of 2026. Every record names, in a comment, where it should count.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beneficiaries.models import AssessmentKind, Case, Person
from beneficiaries.scoring import LSNS6_RISK_BELOW
from legami.models import Ambito, Comune
from pacts.models import (
    Commitment,
    CommitmentDirection,
    CommitmentKind,
    Goal,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Pact,
    PactStatus,
    Placement,
    PlacementOutcome,
    Review,
    ReviewGoalOutcome,
    Signatory,
    SignatoryKind,
)
from partners.models import Organisation
from reports.indicators import INDICATORS, Scope, Unit, period_ending
from reports.indicators.pacts import (
    hours_given_back,
    isolation_assessed,
    isolation_at_risk,
    isolation_improved,
    pact_goals_achieved,
    pact_goals_achieved_share,
    pacts_by_status,
    placements_started,
)
from tests.beneficiaries.factories import AssessmentFactory, CaseFactory, PersonFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

S = PactStatus
Q1 = period_ending("quarter", dt.date(2026, 2, 1))  # 2026-01-01 .. 2026-03-31
UTC = dt.UTC
D = dt.date


@dataclass
class World:
    ambito: Ambito
    other_ambito: Ambito
    c1: Comune
    c2: Comune
    c3: Comune
    organisation: Organisation

    @property
    def a(self) -> Scope:
        return Scope(self.ambito.pk)

    @property
    def a_c1(self) -> Scope:
        return Scope(self.ambito.pk, self.c1.pk)

    @property
    def a_c2(self) -> Scope:
        return Scope(self.ambito.pk, self.c2.pk)

    @property
    def b(self) -> Scope:
        return Scope(self.other_ambito.pk)

    def person(self, comune: Comune | None, ambito: Ambito | None = None) -> Person:
        """A person resident in ``comune`` with a case in ``ambito`` (the comune's)."""
        person = cast(Person, PersonFactory(residence_comune=comune))
        CaseFactory(
            person=person,
            organisation=self.organisation,
            ambito=ambito or (comune.ambito if comune else self.ambito),
        )
        return person

    def pact(
        self,
        comune: Comune,
        status: str,
        *,
        signed: list[dt.datetime | None] | None = None,
        start: dt.date | None = None,
        ended: dt.date | None = None,
        person: Person | None = None,
    ) -> Pact:
        """A pact of a person of ``comune`` with its signatories (``signed``: one
        signature time per signatory, None for one not given)."""
        person = person or self.person(comune)
        case = Case.objects.filter(person=person).get()
        pact = Pact.objects.create(
            case=case,
            person=person,
            title="Patto",
            status=status,
            start_date=start,
            ended_on=ended,
            interruption_reason="Trasferita." if status == S.INTERRUPTED else "",
        )
        for n, at in enumerate(signed or []):
            kind = SignatoryKind.BENEFICIARY if n == 0 else SignatoryKind.COMMUNITY
            Signatory.objects.create(pact=pact, kind=kind, name=f"Firmatario {n}", signed_at=at)
        return pact


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world() -> World:
    ambito, other = cast(Ambito, AmbitoFactory()), cast(Ambito, AmbitoFactory())
    return World(
        ambito=ambito,
        other_ambito=other,
        c1=cast(Comune, ComuneFactory(ambito=ambito)),
        c2=cast(Comune, ComuneFactory(ambito=ambito)),
        c3=cast(Comune, ComuneFactory(ambito=other)),
        organisation=cast(Organisation, OrganisationFactory()),
    )


# --- Pacts by status -----------------------------------------------------------------------


@pytest.fixture
def pacts(world: World) -> dict[str, Pact]:
    w = world
    return {
        # signed and active in Q1
        "p1": w.pact(
            w.c1, S.ACTIVE, signed=[at(D(2026, 2, 9)), at(D(2026, 2, 10))], start=D(2026, 2, 15)
        ),
        # active in Q1 (signed before), completed in Q1
        "p2": w.pact(
            w.c1,
            S.COMPLETED,
            signed=[at(D(2025, 11, 1))],
            start=D(2025, 11, 10),
            ended=D(2026, 3, 10),
        ),
        # interrupted in Q1 while proposed: one signature missing; never signed nor run
        "p3": w.pact(
            w.c1,
            S.INTERRUPTED,
            signed=[at(D(2026, 1, 20)), None],
            start=D(2026, 1, 25),
            ended=D(2026, 2, 1),
        ),
        # signed on 1 January in Rome (23:30 UTC on 31 December); not started
        "p4": w.pact(w.c1, S.SIGNED, signed=[at(D(2025, 12, 31), 23, 30)], start=D(2026, 1, 5)),
        # signed on 1 April in Rome (22:30 UTC on 31 March): not in Q1
        "p5": w.pact(w.c1, S.SIGNED, signed=[at(D(2026, 3, 31), 22, 30)]),
        # ran and was interrupted before Q1: nothing
        "p6": w.pact(
            w.c1,
            S.INTERRUPTED,
            signed=[at(D(2025, 6, 1))],
            start=D(2025, 6, 10),
            ended=D(2025, 12, 20),
        ),
        # ran into Q1 and was interrupted in it
        "p7": w.pact(
            w.c1,
            S.INTERRUPTED,
            signed=[at(D(2025, 10, 1))],
            start=D(2025, 10, 5),
            ended=D(2026, 1, 15),
        ),
        # a draft: nothing
        "p8": w.pact(w.c1, S.DRAFT, signed=[None, None]),
        # comune C2 of ambito A: signed and active
        "p9": w.pact(w.c2, S.ACTIVE, signed=[at(D(2026, 1, 10))], start=D(2026, 1, 12)),
        # ambito B: signed and active, counted only there
        "p10": w.pact(w.c3, S.ACTIVE, signed=[at(D(2026, 1, 10))], start=D(2026, 1, 12)),
        # signed in Q1, in review, but starting after it: signed only
        "p11": w.pact(w.c1, S.IN_REVIEW, signed=[at(D(2026, 3, 1))], start=D(2026, 4, 10)),
        # signed in Q1 and interrupted before its planned start: signed, interrupted
        "p12": w.pact(
            w.c1,
            S.INTERRUPTED,
            signed=[at(D(2026, 1, 5))],
            start=D(2026, 2, 1),
            ended=D(2026, 1, 20),
        ),
    }


def test_pacts_by_status_in_the_ambito(world: World, pacts: dict[str, Pact]) -> None:
    """Signed: p1, p4, p9, p11, p12; active: p1, p2, p7, p9; completed: p2;
    interrupted: p3, p7, p12."""
    result = pacts_by_status(world.a, Q1)
    assert result.unit == Unit.COUNT
    assert result.value == 5
    status = result.breakdown("status")
    assert status.values == {"signed": 5, "active": 4, "completed": 1, "interrupted": 3}
    assert set(status.labels) == set(status.values)


def test_pacts_by_status_in_a_comune_and_the_other_ambito(
    world: World, pacts: dict[str, Pact]
) -> None:
    """The comune keeps the pacts of its residents; the other ambito sees only its own."""
    c1 = pacts_by_status(world.a_c1, Q1).breakdown("status").values
    assert c1 == {"signed": 4, "active": 3, "completed": 1, "interrupted": 3}
    c2 = pacts_by_status(world.a_c2, Q1).breakdown("status").values
    assert c2 == {"signed": 1, "active": 1, "completed": 0, "interrupted": 0}
    b = pacts_by_status(world.b, Q1).breakdown("status").values
    assert b == {"signed": 1, "active": 1, "completed": 0, "interrupted": 0}


def test_pacts_by_status_in_other_periods(world: World, pacts: dict[str, Pact]) -> None:
    """April 2026: p5 signed; p1, p9 still active and p11 started. December 2025: p2,
    p6, p7 active, p6 interrupted."""
    april = pacts_by_status(world.a, period_ending("month", D(2026, 4, 1)))
    assert april.breakdown("status").values == {
        "signed": 1,
        "active": 3,
        "completed": 0,
        "interrupted": 0,
    }
    december = pacts_by_status(world.a, period_ending("month", D(2025, 12, 1)))
    assert december.breakdown("status").values == {
        "signed": 0,
        "active": 3,
        "completed": 0,
        "interrupted": 1,
    }


# --- Goals ---------------------------------------------------------------------------------


def review(pact: Pact, day: dt.date, outcomes: dict[Goal, str], final: bool = False) -> Review:
    r = Review.objects.create(
        pact=pact, date=day, final=final, next_review_on=None if final else day + dt.timedelta(1)
    )
    for goal, outcome in outcomes.items():
        ReviewGoalOutcome.objects.create(review=r, goal=goal, outcome=outcome)
    return r


def goal(pact: Pact, n: int) -> Goal:
    return Goal.objects.create(
        pact=pact,
        position=n,
        description=f"Obiettivo {n}",
        indicator="x",
        target_date=D(2026, 6, 1),
    )


@pytest.fixture
def goals(world: World, pacts: dict[str, Pact]) -> None:
    g1, g2 = goal(pacts["p1"], 1), goal(pacts["p1"], 2)
    g3, g4, g5 = goal(pacts["p2"], 1), goal(pacts["p9"], 1), goal(pacts["p10"], 1)
    review(pacts["p1"], D(2026, 2, 20), {g1: "partly", g2: "not_achieved"})
    review(pacts["p1"], D(2026, 3, 20), {g1: "achieved", g2: "partly"})  # latest of Q1
    review(pacts["p1"], D(2026, 4, 5), {g1: "not_achieved", g2: "achieved"})  # after Q1
    review(pacts["p2"], D(2025, 12, 15), {g3: "achieved"})  # before Q1
    review(pacts["p2"], D(2026, 3, 10), {g3: "not_achieved"}, final=True)
    review(pacts["p9"], D(2026, 1, 30), {g4: "not_achieved"})
    review(pacts["p9"], D(2026, 1, 30), {g4: "achieved"})  # same day, recorded later
    review(pacts["p10"], D(2026, 2, 1), {g5: "achieved"})  # ambito B


@pytest.mark.usefixtures("goals")
def test_goals_achieved_count_each_goal_once_at_its_latest_review(world: World) -> None:
    """Ambito A in Q1: g1 achieved, g2 partly, g3 not achieved, g4 achieved."""
    result = pact_goals_achieved(world.a, Q1)
    assert result.value == 2
    assert result.breakdown("outcome").values == {
        "achieved": 2,
        "partly": 1,
        "not_achieved": 1,
    }
    share = pact_goals_achieved_share(world.a, Q1)
    assert share.unit == Unit.SHARE
    assert share.value == Decimal("50.0")


@pytest.mark.usefixtures("goals")
def test_goals_achieved_in_a_comune_another_ambito_and_another_period(world: World) -> None:
    c1 = pact_goals_achieved(world.a_c1, Q1)
    assert c1.value == 1
    assert c1.breakdown("outcome").values == {"achieved": 1, "partly": 1, "not_achieved": 1}
    assert pact_goals_achieved_share(world.a_c1, Q1).value == Decimal("33.3")
    assert pact_goals_achieved(world.b, Q1).value == 1
    april = period_ending("month", D(2026, 4, 1))
    assert pact_goals_achieved(world.a, april).breakdown("outcome").values == {
        "achieved": 1,
        "partly": 0,
        "not_achieved": 1,
    }
    nobody = period_ending("month", D(2026, 6, 1))
    assert pact_goals_achieved(world.a, nobody).value == 0
    assert pact_goals_achieved_share(world.a, nobody).value is None


# --- Hours given back ----------------------------------------------------------------------


def account(*, person: Person | None = None, organisation: Organisation | None = None) -> Any:
    found, _ = LedgerAccount.objects.get_or_create(person=person, organisation=organisation)
    return found


def hours(
    pact: Pact,
    day: dt.date,
    amount: str,
    *,
    giver: LedgerAccount,
    receiver: LedgerAccount,
    kind: str | None = None,
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    commitment = None
    if kind is not None:
        commitment = Commitment.objects.create(
            pact=pact,
            direction=CommitmentDirection.GIVES_BACK,
            kind=kind,
            description="Restituzione",
            owner="Parrocchia",
            quantity=Decimal(1),
            unit="hours",
            period="month",
        )
    txn = LedgerTransaction.objects.create(
        pact=pact,
        commitment=commitment,
        date=day,
        hours=Decimal(amount),
        giver=giver,
        receiver=receiver,
        reverses=reverses,
    )
    LedgerEntry.objects.create(transaction=txn, account=giver, amount=Decimal(amount))
    LedgerEntry.objects.create(transaction=txn, account=receiver, amount=-Decimal(amount))
    return txn


@pytest.fixture
def ledger(world: World, pacts: dict[str, Pact]) -> None:
    org = account(organisation=world.organisation)
    p1, p9, p10 = pacts["p1"], pacts["p9"], pacts["p10"]
    me = account(person=p1.person)
    volunteering = CommitmentKind.VOLUNTEERING
    hours(p1, D(2026, 1, 10), "3.50", giver=me, receiver=org, kind=volunteering)  # counts
    hours(p1, D(2026, 2, 10), "2", giver=me, receiver=org)  # counts, no commitment
    wrong = hours(p1, D(2026, 2, 15), "4", giver=me, receiver=org, kind=volunteering)
    hours(p1, D(2026, 4, 2), "4", giver=org, receiver=me, reverses=wrong)  # cancels it
    hours(p1, D(2025, 12, 31), "5", giver=me, receiver=org)  # before Q1
    hours(p1, D(2026, 3, 1), "1.25", giver=org, receiver=me)  # support, not given back
    old = hours(p1, D(2025, 12, 20), "1", giver=me, receiver=org)
    hours(p1, D(2026, 1, 5), "1", giver=org, receiver=me, reverses=old)  # a reversal in Q1
    other = account(person=p9.person)
    hours(p9, D(2026, 3, 5), "2", giver=other, receiver=org, kind=CommitmentKind.LAB)  # C2
    hours(p10, D(2026, 1, 20), "7", giver=account(person=p10.person), receiver=org)  # B


@pytest.mark.usefixtures("ledger")
def test_hours_given_back_net_of_reversals(world: World) -> None:
    result = hours_given_back(world.a, Q1)
    assert result.unit == Unit.HOURS
    assert result.value == Decimal("7.50")
    assert result.breakdown("kind").values == {
        "volunteering": Decimal("3.50"),
        "lab": Decimal("2.00"),
        "unknown": Decimal("2.00"),
    }
    assert hours_given_back(world.a_c1, Q1).value == Decimal("5.50")
    assert hours_given_back(world.a_c2, Q1).value == Decimal("2.00")
    assert hours_given_back(world.b, Q1).value == Decimal("7.00")
    december = period_ending("month", D(2025, 12, 1))
    assert hours_given_back(world.a, december).value == Decimal("5.00")  # not the reversed 1
    assert hours_given_back(world.a, period_ending("month", D(2026, 4, 1))).value == Decimal("0.00")


# --- Isolation -----------------------------------------------------------------------------


def lsns(person: Person, day: dt.date, total: int, kind: str = AssessmentKind.LSNS6) -> None:
    if kind == AssessmentKind.UCLA3:
        AssessmentFactory(
            person=person,
            kind=kind,
            date=day,
            answers=[2, 2, 2],
            total=6,
            family_score=None,
            friends_score=None,
            at_risk=True,
        )
        return
    AssessmentFactory(
        person=person,
        date=day,
        total=total,
        family_score=total // 2,
        friends_score=total - total // 2,
        at_risk=total < LSNS6_RISK_BELOW,
    )


@pytest.fixture
def assessments(world: World) -> None:
    w = world
    a1 = w.person(w.c1)
    lsns(a1, D(2025, 10, 1), 8)
    lsns(a1, D(2026, 2, 1), 14)  # at risk at start, not now: improved
    a2 = w.person(w.c1)
    CaseFactory(person=a2, organisation=OrganisationFactory(), ambito=w.ambito)  # two cases
    lsns(a2, D(2026, 1, 15), 10)  # at risk at start and now
    a3 = w.person(w.c1)
    lsns(a3, D(2026, 2, 1), 20)
    lsns(a3, D(2026, 3, 1), 9)  # at risk now
    lsns(a3, D(2026, 5, 1), 25)  # after Q1: not the latest up to its end
    a4 = w.person(w.c2)
    lsns(a4, D(2025, 6, 1), 12)  # 12 is not at risk
    lsns(a4, D(2026, 3, 15), 15)  # improved
    a5 = w.person(w.c1)
    lsns(a5, D(2025, 12, 1), 5)  # not assessed in Q1
    a6 = w.person(w.c1)
    lsns(a6, D(2026, 2, 1), 0, kind=AssessmentKind.UCLA3)  # another scale
    a7 = w.person(w.c3)
    lsns(a7, D(2026, 2, 1), 5)  # ambito B
    a8 = cast(Person, PersonFactory(residence_comune=w.c1))
    lsns(a8, D(2026, 2, 1), 5)  # no case in the ambito
    a9 = w.person(w.c1)
    lsns(a9, D(2026, 3, 20), 11)
    lsns(a9, D(2026, 3, 20), 13)  # same day, recorded later: the latest; improved


@pytest.mark.usefixtures("assessments")
def test_isolation_in_the_ambito(world: World) -> None:
    """Assessed in Q1: a1, a2, a3, a4, a9; at risk at first: a1, a2, a9; at risk at the
    latest: a2, a3; improved: a1, a4, a9."""
    assessed = isolation_assessed(world.a, Q1)
    assert (assessed.unit, assessed.value) == (Unit.PEOPLE, 5)
    risk = isolation_at_risk(world.a, Q1)
    assert risk.unit == Unit.SHARE
    assert risk.value == Decimal("40.0")
    assert risk.breakdown("moment").values == {"start": Decimal("60.0"), "latest": Decimal("40.0")}
    improved = isolation_improved(world.a, Q1)
    assert (improved.unit, improved.value) == (Unit.PEOPLE, 3)


@pytest.mark.usefixtures("assessments")
def test_isolation_in_a_comune_another_ambito_and_nobody(world: World) -> None:
    assert isolation_assessed(world.a_c1, Q1).value == 4
    assert isolation_at_risk(world.a_c1, Q1).breakdown("moment").values == {
        "start": Decimal("75.0"),
        "latest": Decimal("50.0"),
    }
    assert isolation_improved(world.a_c1, Q1).value == 2
    assert isolation_assessed(world.b, Q1).value == 1
    assert isolation_at_risk(world.b, Q1).value == Decimal("100.0")
    may = period_ending("month", D(2026, 5, 1))
    # a3 alone: 20 at first, 25 now.
    assert isolation_assessed(world.a, may).value == 1
    assert isolation_at_risk(world.a, may).breakdown("moment").values == {
        "start": Decimal("0.0"),
        "latest": Decimal("0.0"),
    }
    assert isolation_improved(world.a, may).value == 1
    april = period_ending("month", D(2026, 4, 1))
    assert isolation_assessed(world.a, april).value == 0
    assert isolation_at_risk(world.a, april).value is None
    assert isolation_at_risk(world.a, april).breakdown("moment").values == {}


# --- Work placements -----------------------------------------------------------------------


def placement(
    pact: Pact, start: dt.date, outcome: str = "ongoing", outcome_date: dt.date | None = None
) -> None:
    Placement.objects.create(
        pact=pact,
        host_name="Falegnameria Rossi",
        tutor="Mario Rossi",
        start_date=start,
        end_date=start + dt.timedelta(days=90),
        hours_per_week=Decimal(20),
        outcome=outcome,
        outcome_date=outcome_date,
    )


@pytest.fixture
def placements(pacts: dict[str, Pact]) -> None:
    placement(pacts["p1"], D(2026, 1, 10))
    placement(pacts["p1"], D(2026, 2, 1), PlacementOutcome.HIRED, D(2026, 5, 1))
    placement(pacts["p2"], D(2026, 3, 31), PlacementOutcome.ENDED, D(2026, 4, 30))
    placement(pacts["p2"], D(2025, 12, 31), PlacementOutcome.ENDED, D(2026, 3, 1))  # before
    placement(pacts["p9"], D(2026, 3, 1), PlacementOutcome.EXTENDED, D(2026, 6, 1))  # C2
    placement(pacts["p10"], D(2026, 2, 1))  # ambito B


@pytest.mark.usefixtures("placements")
def test_placements_started_by_outcome(world: World) -> None:
    result = placements_started(world.a, Q1)
    assert (result.unit, result.value) == (Unit.COUNT, 4)
    assert result.breakdown("outcome").values == {
        "ongoing": 1,
        "hired": 1,
        "extended": 1,
        "ended": 1,
    }
    c1 = placements_started(world.a_c1, Q1)
    assert c1.value == 3
    assert c1.breakdown("outcome").values == {"ongoing": 1, "hired": 1, "extended": 0, "ended": 1}
    assert placements_started(world.b, Q1).value == 1
    assert placements_started(world.a, period_ending("year", D(2025, 1, 1))).value == 1


# --- Registry and queries ------------------------------------------------------------------

CODES = {
    "pacts_by_status": "pacts",
    "pact_goals_achieved": "pacts",
    "pact_goals_achieved_share": "pacts",
    "hours_given_back": "pacts",
    "isolation_assessed": "isolation",
    "isolation_at_risk": "isolation",
    "isolation_improved": "isolation",
    "placements_started": "work",
}


def test_the_indicators_are_registered_in_their_areas() -> None:
    assert {code: INDICATORS[code].area for code in CODES} == CODES
    assert INDICATORS["hours_given_back"].unit == Unit.HOURS
    assert INDICATORS["isolation_assessed"].unit == Unit.PEOPLE


def queries_per_indicator(scope: Scope) -> dict[str, int]:
    counts = {}
    for code in CODES:
        with CaptureQueriesContext(connection) as ctx:
            INDICATORS[code].compute(scope, Q1)
        counts[code] = len(ctx.captured_queries)
    return counts


@pytest.mark.usefixtures("goals", "ledger", "assessments", "placements")
def test_one_query_each_whatever_the_rows(world: World) -> None:
    few = queries_per_indicator(world.a)
    assert few == dict.fromkeys(CODES, 1)
    # Given many more records of every kind in the ambito
    org = account(organisation=world.organisation)
    for n in range(12):
        comune = (world.c1, world.c2)[n % 2]
        pact = world.pact(comune, S.ACTIVE, signed=[at(D(2026, 1, 1 + n))], start=D(2026, 1, 2 + n))
        review(pact, D(2026, 2, 1 + n), {goal(pact, 1): "achieved", goal(pact, 2): "partly"})
        hours(
            pact,
            D(2026, 2, 1 + n),
            "1",
            giver=account(person=pact.person),
            receiver=org,
            kind=CommitmentKind.PEER_SUPPORT,
        )
        placement(pact, D(2026, 3, 1 + n))
        for day in itertools.islice((D(2025, 5, 1), D(2026, 3, 1)), 1 + n % 2):
            lsns(pact.person, day, 5 + n)
    # Then the number of queries is the same
    assert queries_per_indicator(world.a) == few
    assert queries_per_indicator(world.a_c1) == few
    assert pacts_by_status(world.a, Q1).value == 5 + 12
