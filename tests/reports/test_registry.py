"""The registry of indicators: every area of the issue has its indicators, each
registered once under the code its result carries, in the unit it declares; a report
groups them by area, in order, and each costs a bounded number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.indicators import AREAS, INDICATORS, Scope, parse_period
from reports.selectors import report
from tests.legami.factories import AmbitoFactory

pytestmark = pytest.mark.django_db


def test_every_area_has_indicators():
    assert {i.area for i in INDICATORS.values()} == set(AREAS)


def test_a_report_computes_every_indicator_under_its_own_code_and_unit():
    scope = Scope(AmbitoFactory().pk)
    with CaptureQueriesContext(connection) as queries:
        grouped = report(scope, parse_period("2026"))
    assert [area for area, _items in grouped] == list(AREAS)
    computed = [(indicator, result) for _area, items in grouped for indicator, result in items]
    assert len(computed) == len(INDICATORS)
    for indicator, result in computed:
        assert result.code == indicator.code
        assert result.unit == indicator.unit
    # A handful of queries per indicator at most, whatever the data.
    assert len(queries) <= 6 * len(INDICATORS)


def test_a_report_of_some_areas_only():
    grouped = report(Scope(AmbitoFactory().pk), parse_period("2026-Q1"), areas=["pacts", "labs"])
    assert [area for area, _items in grouped] == ["pacts", "labs"]
