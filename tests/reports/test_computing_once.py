"""A report computes each figure once: indicators that read the same figures (the four
of the Civic Center, the three of isolation, the two of intakes, of pact goals, of gifts)
share one query within a report, so a report for one scope and period runs each of its
distinct queries once — and no more than that, nor for longer than the report: the next
report reads the database afresh."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.document import build
from reports.indicators import INDICATORS, Period, Scope, computing_once, once, parse_period
from reports.selectors import report
from tests.beneficiaries.factories import IntakeFactory
from tests.legami.factories import AmbitoFactory
from tests.reports.test_indicators_network import (  # noqa: F401 - fixtures of that module
    Q1,
    civic,
    gifts,
    labs,
    research,
    scopes,
    where,
)

pytestmark = pytest.mark.django_db

# The distinct queries of a whole report of an ambito: people in charge and people new
# (1), intakes (1), pacts by status, goals, hours given back (3), isolation (1),
# placements (1), the four labs indicators (4), the Civic Center (1), gifts (1) and the
# matched funds (the campaigns and their gifts, their pledges: 2; 1 with no campaign),
# the three of the Wel(l)fare LAB (3).
DISTINCT = 18
DISTINCT_NO_CAMPAIGN = 17
# What a report ran before the indicators shared their figures: the people twice, the
# intakes twice, the goals twice, isolation three times, the Civic Center four times,
# the gifts twice, and the matched funds read the campaigns and their pledges for each
# of two days.
BEFORE = 27
BEFORE_NO_CAMPAIGN = 26
# The areas whose records have no comune give no figure for one: the gifts, the matched
# funds and the Wel(l)fare LAB run nothing (5 of the distinct queries; 7 before).
DISTINCT_COMUNE = DISTINCT - 6


def place(request: pytest.FixtureRequest) -> SimpleNamespace:
    """The ambiti and comuni of test_indicators_network's fixtures."""
    found: SimpleNamespace = request.getfixturevalue("where")
    return found


def sql_of(run: Any) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        run()
    return [query["sql"] for query in queries.captured_queries]


def repeated(statements: list[str]) -> list[str]:
    return [sql for sql, times in Counter(statements).items() if times > 1]


def each_on_its_own(scope: Scope, period: Period) -> list[str]:
    """Every indicator computed on its own, outside a report (as before the memo)."""
    return sql_of(lambda: [i.compute(scope, period) for i in INDICATORS.values()])


def values(scope: Scope, period: Period, **kwargs: Any) -> dict[str, Any]:
    return {
        indicator.code: result.value
        for _area, items in report(scope, period, **kwargs)
        for indicator, result in items
    }


@pytest.mark.usefixtures("labs", "civic", "gifts", "research")
def test_a_report_runs_each_distinct_query_once(request: pytest.FixtureRequest):
    places = place(request)
    a = scopes(places)["A"]
    alone = each_on_its_own(a, Q1)
    assert len(alone) == BEFORE
    statements = sql_of(lambda: report(a, Q1))
    assert repeated(statements) == []
    assert len(statements) == len(set(statements)) == DISTINCT
    # The same figures either way.
    assert values(a, Q1) == {
        code: indicator.compute(a, Q1).value for code, indicator in INDICATORS.items()
    }


@pytest.mark.usefixtures("labs", "civic", "gifts", "research")
def test_a_report_of_a_comune_runs_each_distinct_query_once(request: pytest.FixtureRequest):
    places = place(request)
    c1 = scopes(places)["C1"]
    statements = sql_of(lambda: report(c1, Q1))
    assert repeated(statements) == []
    assert len(statements) == DISTINCT_COMUNE
    assert len(each_on_its_own(c1, Q1)) == BEFORE - 7


def test_a_report_of_an_empty_ambito():
    scope = Scope(AmbitoFactory().pk)
    period = parse_period("2026")
    assert len(each_on_its_own(scope, period)) == BEFORE_NO_CAMPAIGN
    statements = sql_of(lambda: report(scope, period))
    assert repeated(statements) == []
    assert len(statements) == DISTINCT_NO_CAMPAIGN


@pytest.mark.usefixtures("labs", "civic", "gifts", "research")
def test_a_document_runs_each_query_of_each_period_once(request: pytest.FixtureRequest):
    """The page and the exports build a document area by area, for the period and the
    one before: each distinct query of each period once. Across the two periods only
    the pledges of the matched campaigns are read again (the same campaigns: the
    campaigns and their gifts are read by day, the pledges with them)."""
    places = place(request)
    statements = sql_of(lambda: build(scopes(places)["A"], Q1))
    assert len(statements) == 2 * DISTINCT
    again = repeated(statements)
    assert len(again) == 1
    assert again[0].startswith('SELECT "fundraising_matchingpledge"')
    assert statements.count(again[0]) == 2


@pytest.mark.usefixtures("civic")
def test_the_civic_figures_of_a_report_are_the_hand_counted_ones(request: pytest.FixtureRequest):
    """As in test_indicators_network, now from one query for the four indicators."""
    places = place(request)
    s = scopes(places)
    with CaptureQueriesContext(connection) as queries:
        figures = values(s["A"], Q1, areas=["civic"])
    assert len(queries) == 1
    assert figures == {
        "civic_families_served": 3,
        "civic_hours_purchased": Decimal("69.01"),
        "civic_families_saving": Decimal("224.75"),
        "civic_provider_hours": Decimal("69.01"),
    }
    assert values(s["C1"], Q1, areas=["civic"]) == {
        "civic_families_served": 1,
        "civic_hours_purchased": Decimal("59.01"),
        "civic_families_saving": Decimal("194.75"),
        "civic_provider_hours": Decimal("59.01"),
    }
    assert values(s["B"], Q1, areas=["civic"])["civic_hours_purchased"] == Decimal("51.44")
    # Another period of the same scope is another query, not the first one's figures.
    assert values(s["A"], parse_period("2024-10"), areas=["civic"])["civic_families_served"] == 0


def test_figures_are_fresh_on_every_report():
    ambito = AmbitoFactory()
    scope, period = Scope(ambito.pk), parse_period("2026-03")
    IntakeFactory(ambito=ambito, date=dt.date(2026, 3, 2))
    assert values(scope, period, areas=["intakes"])["intakes_by_channel"] == 1
    IntakeFactory(ambito=ambito, date=dt.date(2026, 3, 3))
    assert values(scope, period, areas=["intakes"])["intakes_by_channel"] == 2


def test_once_memoises_within_a_block_only():
    calls: list[tuple[Scope, Period]] = []

    @once
    def figures(scope: Scope, period: Period) -> dict[str, int]:
        calls.append((scope, period))
        return {"n": len(calls)}

    here, there = Scope(1), Scope(1, 2)
    march, april = parse_period("2026-03"), parse_period("2026-04")
    assert figures(here, march) == {"n": 1}
    assert figures(here, march) == {"n": 2}  # no block: computed on every call
    with computing_once():
        assert figures(here, march) == {"n": 3}
        assert figures(here, march) == {"n": 3}
        assert figures(there, march) == {"n": 4}  # another scope
        assert figures(here, april) == {"n": 5}  # another period
        with computing_once():  # nested: the outer block's memo
            assert figures(here, march) == {"n": 3}
        assert figures(here, march) == {"n": 3}
    assert figures(here, march) == {"n": 6}  # the memo ended with the block
    with computing_once():
        assert figures(here, march) == {"n": 7}
