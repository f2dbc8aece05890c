"""Across reports: exact counts of people only for a whole ambito and a year or a plan;
the report of a comune, a month or a quarter rounds them to 5, so that subtracting it
from the ambito's or the year's exact figure never pins a small group down."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from legami.roles import Role
from reports.indicators import Breakdown, Result, Scope, Unit, parse_period
from reports.present import rounded, rounding_for, show
from tests.beneficiaries.factories import CaseFactory, PersonFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.permissions import client_for, make_role_user


@pytest.mark.parametrize(
    ("comune", "period", "base"),
    [
        (None, "2026", 1),
        (None, "2025-2027", 1),
        (None, "2026-Q1", 5),
        (None, "2026-03", 5),
        (7, "2026", 5),
        (7, "2025-2027", 5),
    ],
)
def test_only_a_whole_ambito_over_a_year_or_a_plan_is_exact(comune, period, base):
    assert rounding_for(Scope(1, comune), parse_period(period)) == base


def test_rounding_is_to_the_nearest_five_halves_up():
    assert [rounded(v, 5) for v in (5, 6, 7, 8, 12, 13, 0)] == [5, 5, 5, 10, 10, 15, 0]
    assert rounded(13, 1) == 13


counts = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=6)


@given(counts)
def test_rounded_figures_hide_the_same_cells_and_stay_within_two(values):
    result = Result(
        "test",
        Unit.PEOPLE,
        sum(values),
        (Breakdown("x", {str(i): v for i, v in enumerate(values)}),),
    )
    exact, round5 = show(result), show(result, rounding=5)
    assert exact.value.hidden == round5.value.hidden
    pairs = [(exact.value, round5.value)] + [
        (a, b)
        for (_k, _l, a), (_k2, _l2, b) in zip(
            exact.breakdowns[0].rows, round5.breakdowns[0].rows, strict=True
        )
    ]
    for plain, five in pairs:
        assert plain.hidden == five.hidden
        if not five.hidden:
            assert five.value % 5 == 0 and abs(five.value - plain.value) <= 2


@given(
    st.integers(min_value=5, max_value=500),  # a comune's (or a month's) count
    st.integers(min_value=0, max_value=4),  # the small rest of the ambito (or of the year)
)
def test_subtracting_a_rounded_figure_from_the_exact_total_leaves_several_candidates(part, rest):
    """The reader knows the ambito's exact total and the comune's rounded figure: every
    comune count that rounds the same way is possible, so a small rest of the ambito is
    never pinned down: it could be at least one other value (up to four others)."""
    total = part + rest
    shown = show(Result("t", Unit.PEOPLE, part, ()), rounding=5).value.value
    candidates = {total - c for c in range(5, total + 1) if rounded(c, 5) == shown}
    assert rest in candidates
    if rest > 0:
        assert len(candidates) >= 2


def test_a_comunes_report_shows_rounded_counts_and_says_why(db, make_user, enable_totp):
    ambito = AmbitoFactory(code="cremona")
    soresina = ComuneFactory(ambito=ambito, name="Soresina")
    for _ in range(8):
        CaseFactory(ambito=ambito, person=PersonFactory(residence_comune=soresina))
    admin = make_role_user(make_user, enable_totp, Role.AMBITO_ADMIN)
    admin.memberships.get().organisation.ambiti.set([ambito])
    client = client_for(admin)

    whole = client.get(reverse("reports:report", args=["cremona", "2025"])).content.decode()
    one = client.get(
        reverse("reports:report", args=["cremona", "2025"]), {"comune": soresina.pk}
    ).content.decode()

    assert "data-rounding" not in whole and "data-rounding" in one
    api = client.get(f"/api/v1/reports/cremona/2025/?comune={soresina.pk}&area=people").json()
    (people,) = [
        i for a in api["areas"] for i in a["indicators"] if i["code"] == "people_in_charge"
    ]
    assert api["people_rounded_to"] == 5 and people["value"] == "10"
    api = client.get("/api/v1/reports/cremona/2025/?area=people").json()
    (people,) = [
        i for a in api["areas"] for i in a["indicators"] if i["code"] == "people_in_charge"
    ]
    assert api["people_rounded_to"] == 1 and people["value"] == "8"
