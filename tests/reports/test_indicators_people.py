"""People taken in charge (new and continuing, by area, age band and sex) and intakes
(by channel, and the share intercepted by the community), per ambito, comune and period.

Every expected figure below is counted by hand from the world that ``world`` builds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beneficiaries.models import CaseStage, ClosureReason, IntakeChannel, Sex, VulnerabilityArea
from reports.indicators import INDICATORS, Scope, Unit, parse_period
from reports.indicators.people import (
    intakes_by_channel,
    intakes_community_share,
    people_in_charge,
    people_new,
)
from tests.beneficiaries.factories import (
    CaseFactory,
    IntakeFactory,
    PersonAreaFactory,
    PersonFactory,
)
from tests.fixtures import english  # noqa: F401  (autouse: labels are read in English)
from tests.legami.factories import AmbitoFactory, ComuneFactory

pytestmark = pytest.mark.django_db

D = dt.date
Q1 = parse_period("2026-Q1")  # 1 January .. 31 March 2026

F, M = Sex.FEMALE, Sex.MALE
ELDERLY = VulnerabilityArea.ELDERLY
DISABILITY = VulnerabilityArea.DISABILITY
FAMILY = VulnerabilityArea.FAMILY_MINORS
POVERTY = VulnerabilityArea.POVERTY
IMMIGRANTS = VulnerabilityArea.IMMIGRANTS


def person(comune: Any, sex: str, born: dt.date | None, *areas: str) -> Any:
    someone = PersonFactory(residence_comune=comune, sex=sex, birth_date=born)
    for area in areas:
        PersonAreaFactory(person=someone, area=area)
    return someone


def case(someone: Any, ambito: Any, opened: dt.date, closed: dt.date | None = None) -> Any:
    if closed is None:
        return CaseFactory(person=someone, ambito=ambito, opened_on=opened)
    return CaseFactory(
        person=someone,
        ambito=ambito,
        opened_on=opened,
        stage=CaseStage.CLOSED,
        closed_on=closed,
        closure_reason=ClosureReason.GOALS_REACHED,
    )


@pytest.fixture
def world() -> dict[str, Any]:
    """Ambito A with comuni C1 and C2, ambito B with comune C3; people, their cases and
    intakes in and around 2026-Q1 (comments: status in A for 2026-Q1, age on 31 March)."""
    a, b = AmbitoFactory(), AmbitoFactory()
    c1, c2, c3 = ComuneFactory(ambito=a), ComuneFactory(ambito=a), ComuneFactory(ambito=b)

    # P1 continuing: open since 2025. 75 (born 1950), two areas.
    p1 = person(c1, F, D(1950, 6, 1), ELDERLY, DISABILITY)
    case(p1, a, D(2025, 5, 1))
    # P2 new: two cases opened in the period, counted once. 17 (18 on 1 April).
    p2 = person(c1, M, D(2008, 4, 1), FAMILY)
    case(p2, a, D(2026, 2, 10))
    case(p2, a, D(2026, 1, 20))
    # P3 continuing: a case closed on the first day, and a new one. 35 on 31 March.
    p3 = person(c2, F, D(1991, 3, 31))
    case(p3, a, D(2024, 1, 1), closed=D(2026, 1, 1))
    case(p3, a, D(2026, 3, 1))
    # P4 new again: an earlier case closed before the period, a new one on its last day.
    p4 = person(c1, "", None, POVERTY)
    case(p4, a, D(2023, 1, 1), closed=D(2025, 6, 30))
    case(p4, a, D(2026, 3, 31))
    # P5 out: case opened the day after the period.
    p5 = person(c2, F, D(1960, 1, 1), ELDERLY)
    case(p5, a, D(2026, 4, 1))
    # P6 out: case closed the day before the period.
    p6 = person(c1, M, D(1980, 5, 5))
    case(p6, a, D(2025, 1, 1), closed=D(2025, 12, 31))
    # P7 lives in C1 but is in charge in ambito B only (new there).
    p7 = person(c1, F, D(1990, 1, 1))
    case(p7, b, D(2026, 1, 15))
    # P8 lives in C3 (ambito B): new in A, continuing in B. 26.
    p8 = person(c3, M, D(2000, 1, 1), IMMIGRANTS)
    case(p8, a, D(2026, 1, 5))
    case(p8, b, D(2025, 3, 1))
    # P9 no comune of residence: continuing in A, in no comune. 71.
    p9 = person(None, F, D(1955, 1, 1), ELDERLY)
    case(p9, a, D(2025, 12, 1))
    # P10 continuing, closed within the period. 64 (65 on 1 April).
    p10 = person(c1, F, D(1961, 4, 1))
    case(p10, a, D(2025, 11, 1), closed=D(2026, 2, 15))

    channel = IntakeChannel
    IntakeFactory(person=p1, ambito=a, date=D(2026, 1, 1), channel=channel.SELF)
    IntakeFactory(person=p2, ambito=a, date=D(2026, 2, 10), channel=channel.COMMUNITY_LAB)
    IntakeFactory(person=p2, ambito=a, date=D(2026, 3, 31), channel=channel.PARTNER)
    IntakeFactory(person=p3, ambito=a, date=D(2026, 2, 1), channel=channel.COMMUNITY_LAB)
    IntakeFactory(person=p8, ambito=a, date=D(2026, 1, 5), channel=channel.SCHOOL)
    IntakeFactory(person=p9, ambito=a, date=D(2026, 3, 15), channel=channel.HEALTH)
    IntakeFactory(person=p4, ambito=a, date=D(2025, 12, 31), channel=channel.FAMILY)  # before
    IntakeFactory(person=p5, ambito=a, date=D(2026, 4, 1), channel=channel.PARTNER)  # after
    IntakeFactory(person=p7, ambito=b, date=D(2026, 1, 15), channel=channel.COMMUNITY_LAB)
    return {"a": a, "b": b, "c1": c1, "c2": c2, "c3": c3}


def values(result: Any, dimension: str) -> dict[str, Any]:
    return result.breakdown(dimension).values


AREAS_ZERO = {str(code): 0 for code in VulnerabilityArea.values} | {"unknown": 0}
AGES_ZERO = {"0-17": 0, "18-34": 0, "35-64": 0, "65-74": 0, "75+": 0, "unknown": 0}


# --- people_in_charge -------------------------------------------------------------------


def test_people_in_charge_of_an_ambito_are_new_or_continuing_by_area_age_and_sex(world):
    """Seven people have a case of ambito A open in 2026-Q1: three new (P2, P4, P8) and
    four continuing (P1, P3, P9, P10); P1 counts in two areas."""
    result = people_in_charge(Scope(world["a"].pk), Q1)

    assert result.code == "people_in_charge"
    assert result.unit == Unit.PEOPLE
    assert result.value == 7
    assert values(result, "status") == {"new": 3, "continuing": 4}
    assert values(result, "area") == AREAS_ZERO | {
        "anziani": 2,
        "disabili": 1,
        "famiglia_minori": 1,
        "poverta": 1,
        "immigrati": 1,
        "unknown": 2,
    }
    assert values(result, "age_band") == {
        "0-17": 1,
        "18-34": 1,
        "35-64": 2,
        "65-74": 1,
        "75+": 1,
        "unknown": 1,
    }
    assert values(result, "sex") == {"F": 4, "M": 2, "unknown": 1}


def test_breakdown_keys_come_in_display_order_with_labels(world):
    """Keys are the choice codes in their order, then unknown; each has a label."""
    result = people_in_charge(Scope(world["a"].pk), Q1)

    area = result.breakdown("area")
    assert not area.additive  # a person counts in each of their areas
    assert result.breakdown("sex").additive and result.breakdown("age_band").additive
    assert list(area.values) == [*VulnerabilityArea.values, "unknown"]
    assert area.labels["anziani"] == "older people"
    assert area.labels["unknown"] == "no area recorded"
    age = result.breakdown("age_band")
    assert list(age.values) == ["0-17", "18-34", "35-64", "65-74", "75+", "unknown"]
    assert set(age.labels) == set(age.values)
    assert result.breakdown("status").labels == {"new": "new", "continuing": "continuing"}
    assert result.breakdown("sex").labels == {
        "F": "female",
        "M": "male",
        "unknown": "sex not recorded",
    }


def test_people_in_charge_of_a_comune_are_its_residents_in_charge_in_the_ambito(world):
    """C1: P1, P2, P4 and P10; not P6 (closed before), nor P7 (in charge in ambito B)."""
    result = people_in_charge(Scope(world["a"].pk, world["c1"].pk), Q1)

    assert result.value == 4
    assert values(result, "status") == {"new": 2, "continuing": 2}
    assert values(result, "area") == AREAS_ZERO | {
        "anziani": 1,
        "disabili": 1,
        "famiglia_minori": 1,
        "poverta": 1,
        "unknown": 1,
    }
    assert values(result, "age_band") == AGES_ZERO | {
        "0-17": 1,
        "35-64": 1,
        "75+": 1,
        "unknown": 1,
    }
    assert values(result, "sex") == {"F": 2, "M": 1, "unknown": 1}

    other = people_in_charge(Scope(world["a"].pk, world["c2"].pk), Q1)
    assert other.value == 1  # P3; P5's case opens after the period
    assert values(other, "status") == {"new": 0, "continuing": 1}


def test_people_in_charge_are_counted_per_ambito(world):
    """In ambito B, P7 is new and P8 continuing, though P8 is new in ambito A."""
    result = people_in_charge(Scope(world["b"].pk), Q1)

    assert result.value == 2
    assert values(result, "status") == {"new": 1, "continuing": 1}
    assert values(result, "area") == AREAS_ZERO | {"immigrati": 1, "unknown": 1}
    assert values(result, "sex") == {"F": 1, "M": 1, "unknown": 0}
    # A comune of ambito B counts its residents in charge in B only (P8; P7 lives in C1).
    assert people_in_charge(Scope(world["b"].pk, world["c3"].pk), Q1).value == 1
    assert people_in_charge(Scope(world["b"].pk, world["c1"].pk), Q1).value == 1


def test_new_and_continuing_depend_on_the_start_of_the_period(world):
    """In 2025, P1, P6, P9 and P10 were taken in charge (new) and P3 and P4 continued
    from 2024 and 2023 (P4's case closed in June)."""
    result = people_in_charge(Scope(world["a"].pk), parse_period("2025"))

    assert result.value == 6
    assert values(result, "status") == {"new": 4, "continuing": 2}


def test_age_band_is_the_age_on_the_last_day_of_the_period(world):
    """On 31 March 2026 P2 is 17 and P10 is 64; both have a birthday on 1 April."""
    quarter = people_in_charge(Scope(world["a"].pk, world["c1"].pk), Q1)
    assert values(quarter, "age_band") == AGES_ZERO | {
        "0-17": 1,
        "35-64": 1,
        "75+": 1,
        "unknown": 1,
    }

    # Over the year 2026 (ending 31 December) P2 is 18 and P10 is 65.
    year = people_in_charge(Scope(world["a"].pk, world["c1"].pk), parse_period("2026"))
    assert values(year, "age_band") == AGES_ZERO | {
        "18-34": 1,
        "65-74": 1,
        "75+": 1,
        "unknown": 1,
    }


def test_nobody_in_charge_gives_zeros(world):
    result = people_in_charge(Scope(world["a"].pk), parse_period("2020"))

    assert result.value == 0
    assert values(result, "status") == {"new": 0, "continuing": 0}
    assert values(result, "area") == AREAS_ZERO
    assert values(result, "sex") == {"F": 0, "M": 0, "unknown": 0}


# --- people_new -------------------------------------------------------------------------


def test_people_new_are_those_not_in_charge_the_day_before_the_period(world):
    """P2 (two new cases, once), P4 (taken in charge again) and P8."""
    result = people_new(Scope(world["a"].pk), Q1)

    assert result.code == "people_new"
    assert result.unit == Unit.PEOPLE
    assert result.value == 3
    assert [item.dimension for item in result.breakdowns] == ["area", "age_band", "sex"]
    assert values(result, "area") == AREAS_ZERO | {
        "famiglia_minori": 1,
        "poverta": 1,
        "immigrati": 1,
    }
    assert values(result, "age_band") == AGES_ZERO | {"0-17": 1, "18-34": 1, "unknown": 1}
    assert values(result, "sex") == {"F": 0, "M": 2, "unknown": 1}

    assert people_new(Scope(world["a"].pk, world["c1"].pk), Q1).value == 2  # P2, P4
    assert people_new(Scope(world["a"].pk, world["c2"].pk), Q1).value == 0
    assert people_new(Scope(world["b"].pk), Q1).value == 1  # P7
    assert people_new(Scope(world["a"].pk), parse_period("2025")).value == 4


# --- intakes ----------------------------------------------------------------------------


def test_intakes_by_channel_counts_the_intakes_dated_in_the_period(world):
    """Six intakes of ambito A in 2026-Q1 (first and last day included; P2 has two)."""
    result = intakes_by_channel(Scope(world["a"].pk), Q1)

    assert result.code == "intakes_by_channel"
    assert result.unit == Unit.COUNT
    assert result.value == 6
    channel = result.breakdown("channel")
    assert channel.values == {
        "self": 1,
        "family": 0,
        "community_lab": 2,
        "partner": 1,
        "school": 1,
        "health": 1,
        "other": 0,
    }
    assert channel.labels["community_lab"] == "community lab"
    assert list(channel.labels) == list(channel.values)


def test_intakes_of_a_comune_are_those_of_its_residents_in_the_ambito(world):
    """C1: P1's and P2's three intakes; P7 lives in C1 but came to ambito B."""
    result = intakes_by_channel(Scope(world["a"].pk, world["c1"].pk), Q1)

    assert result.value == 3
    assert values(result, "channel") == {
        "self": 1,
        "family": 0,
        "community_lab": 1,
        "partner": 1,
        "school": 0,
        "health": 0,
        "other": 0,
    }
    assert intakes_by_channel(Scope(world["b"].pk), Q1).value == 1
    assert intakes_by_channel(Scope(world["b"].pk, world["c1"].pk), Q1).value == 1
    assert intakes_by_channel(Scope(world["a"].pk), parse_period("2025-12")).value == 1


def test_community_share_is_the_share_through_labs_and_partners(world):
    """Ambito A: 3 of 6 (two labs, one partner); C1: 2 of 3; ambito B: 1 of 1."""
    result = intakes_community_share(Scope(world["a"].pk), Q1)

    assert result.code == "intakes_community_share"
    assert result.unit == Unit.SHARE
    assert result.value == Decimal("50.0")
    assert values(result, "channel") == {
        "community_lab": Decimal("33.3"),
        "partner": Decimal("16.7"),
    }

    comune = intakes_community_share(Scope(world["a"].pk, world["c1"].pk), Q1)
    assert comune.value == Decimal("66.7")
    assert values(comune, "channel") == {
        "community_lab": Decimal("33.3"),
        "partner": Decimal("33.3"),
    }
    assert intakes_community_share(Scope(world["b"].pk), Q1).value == Decimal("100.0")
    december = intakes_community_share(Scope(world["a"].pk), parse_period("2025-12"))
    assert december.value == Decimal("0.0")  # one intake, by the family


def test_community_share_of_no_intake_is_none(world):
    result = intakes_community_share(Scope(world["a"].pk), parse_period("2025-Q3"))

    assert result.value is None
    assert result.breakdowns == ()


# --- registry and queries ---------------------------------------------------------------


def test_the_indicators_are_registered_in_their_areas():
    expected = {
        "people_in_charge": ("people", Unit.PEOPLE, people_in_charge),
        "people_new": ("people", Unit.PEOPLE, people_new),
        "intakes_by_channel": ("intakes", Unit.COUNT, intakes_by_channel),
        "intakes_community_share": ("intakes", Unit.SHARE, intakes_community_share),
    }
    for code, (area, unit, compute) in expected.items():
        registered = INDICATORS[code]
        assert (registered.area, registered.unit, registered.compute) == (area, unit, compute)
        assert str(registered.title)


COMPUTES = [people_in_charge, people_new, intakes_by_channel, intakes_community_share]


def _queries(scope: Scope) -> list[int]:
    counts = []
    for compute in COMPUTES:
        with CaptureQueriesContext(connection) as context:
            compute(scope, Q1)
        counts.append(len(context.captured_queries))
    return counts


def test_each_indicator_runs_one_query_however_many_rows(world):
    scopes = [Scope(world["a"].pk), Scope(world["a"].pk, world["c1"].pk)]
    before = [_queries(scope) for scope in scopes]

    # Given many more people, areas, cases and intakes in the scope
    for index in range(30):
        someone = person(world["c1"], M, D(1970 + index, 1, 1), ELDERLY, POVERTY)
        case(someone, world["a"], D(2025, 6, 1))
        case(someone, world["a"], D(2026, 2, 1))
        IntakeFactory(
            person=someone, ambito=world["a"], date=D(2026, 2, 2), channel=IntakeChannel.PARTNER
        )

    after = [_queries(scope) for scope in scopes]
    assert before == after == [[1, 1, 1, 1], [1, 1, 1, 1]]
    assert people_in_charge(scopes[1], Q1).value == 34
