"""Figures as shown: small counts of people hidden as "<5", never derivable from the
totals published next to them; other units shown as computed."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from reports.indicators import Breakdown, Result, Unit
from reports.present import show


def people(value, *breakdowns):
    return Result("test", Unit.PEOPLE, value, tuple(breakdowns))


def shown_values(result, dimension):
    (breakdown,) = [b for b in show(result).breakdowns if b.dimension == dimension]
    return {key: figure.value for key, _label, figure in breakdown.rows}


def test_other_units_are_shown_as_computed():
    result = Result(
        "hours", Unit.HOURS, Decimal("3.5"), (Breakdown("org", {"a": Decimal("1"), "b": 2}),)
    )
    assert show(result).value.value == Decimal("3.5")
    assert shown_values(result, "org") == {"a": Decimal("1"), "b": 2}


def test_a_small_count_is_hidden_with_a_second_value_so_the_total_does_not_give_it_away():
    result = people(13, Breakdown("sex", {"F": 10, "M": 3}, {"F": "women", "M": "men"}))
    shown = show(result)
    values = shown_values(result, "sex")
    assert values["M"] is None
    # With 13 published, "F" must be hidden too (or the headline).
    assert values["F"] is None or shown.value.hidden
    labels = [label for _key, label, _figure in shown.breakdowns[0].rows]
    assert labels == ["women", "men"]


def test_a_small_headline_is_hidden():
    assert show(people(3)).value.hidden
    assert show(people(0)).value.value == 0  # nobody is not a small count
    assert show(people(7)).value.value == 7


def test_a_breakdown_that_does_not_add_up_is_suppressed_on_its_own():
    # Persons counted in each of their areas: 12 persons, areas 10 + 8 + 2.
    result = people(12, Breakdown("area", {"a": 10, "b": 8, "c": 2}, additive=False))
    values = shown_values(result, "area")
    assert values == {"a": 10, "b": 8, "c": None}
    assert show(result).value.value == 12


@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=6))
def test_no_hidden_count_is_the_headline_minus_the_published_ones(counts):
    total = sum(counts)
    result = people(total, Breakdown("x", {str(i): c for i, c in enumerate(counts)}))
    shown = show(result)
    values = list(shown_values(result, "x").values())
    hidden = [i for i, v in enumerate(values) if v is None]
    for i, count in enumerate(counts):
        if 0 < count < 5:
            assert values[i] is None
    if len(hidden) == 1 and not shown.value.hidden:
        raise AssertionError("one hidden count and the total published: derivable")


def share_of(part, whole, *, breakdown=None):
    from reports.indicators import share

    return Result("s", Unit.SHARE, share(part, whole), breakdown or (), basis=(part, whole))


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=1, max_value=200))
def test_a_share_of_people_is_hidden_when_the_part_or_the_rest_is_a_small_group(part, whole):
    part = min(part, whole)
    shown = show(share_of(part, whole)).value
    small = 0 < part < 5 or 0 < whole - part < 5
    assert shown.hidden is small
    if not small:
        assert shown.value is not None


def test_shares_hidden_and_shown():
    assert show(share_of(2, 3)).value.hidden  # 66,7 % of three people: hidden
    assert show(share_of(2, 100)).value.hidden  # two people
    assert show(share_of(98, 100)).value.hidden  # all but two
    assert show(share_of(0, 10)).value.value == Decimal("0.0")
    assert show(share_of(50, 100)).value.value == Decimal("50.0")
    # A share without its counts (not of people) is shown as computed.
    assert show(Result("s", Unit.SHARE, Decimal("33.3"))).value.value == Decimal("33.3")


def test_a_breakdown_of_shares_is_hidden_value_by_value_and_with_the_headline():
    moments = Breakdown(
        "moment",
        {"start": Decimal("10.0"), "latest": Decimal("50.0")},
        bases={"start": (2, 20), "latest": (10, 20)},
    )
    shown = show(share_of(10, 20, breakdown=(moments,)))
    rows = {key: figure for key, _label, figure in shown.breakdowns[0].rows}
    assert rows["start"].hidden and not rows["latest"].hidden
    hidden_all = show(share_of(2, 20, breakdown=(moments,)))
    assert hidden_all.value.hidden
    assert all(figure.hidden for _k, _l, figure in hidden_all.breakdowns[0].rows)
