"""Tier arithmetic of the Civic Center: volume and graduated prices, validation and the
"N more families and the price falls" hint."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civic_center.pricing import Mode, Tier, next_tier, unit_price, validate_tiers

D = Decimal
TIERS = (Tier(1, D("12")), Tier(3, D("10")), Tier(6, D("9")))


@pytest.mark.parametrize(
    ("n", "price"),
    [
        (1, "12.00"),
        (2, "12.00"),
        (3, "10.00"),
        (4, "10.00"),
        (5, "10.00"),
        (6, "9.00"),
        (7, "9.00"),
    ],
)
def test_volume_price_at_tier_boundaries(n: int, price: str) -> None:
    assert unit_price(TIERS, Mode.VOLUME, n) == D(price)


@pytest.mark.parametrize(
    ("n", "price"),
    [
        (1, "12.00"),
        (2, "12.00"),
        (3, "11.33"),  # (12 + 12 + 10) / 3 = 11.333…
        (4, "11.00"),  # 44 / 4
        (5, "10.80"),  # 54 / 5
        (6, "10.50"),  # 63 / 6
        (7, "10.29"),  # 72 / 7 = 10.2857…
    ],
)
def test_graduated_blended_price_at_tier_boundaries(n: int, price: str) -> None:
    assert unit_price(TIERS, Mode.GRADUATED, n) == D(price)


def test_graduated_rounds_half_up() -> None:
    tiers = (Tier(1, D("10.01")), Tier(2, D("10.00")))
    # mean 10.005: half-up gives 10.01 (banker's rounding would give 10.00)
    assert unit_price(tiers, Mode.GRADUATED, 2) == D("10.01")
    tiers = (Tier(1, D("10.03")), Tier(2, D("10.00")))
    # mean 10.015 -> 10.02 (half-even would also give 10.02; pairs with the case above)
    assert unit_price(tiers, Mode.GRADUATED, 2) == D("10.02")
    tiers = (Tier(1, D("1.00")), Tier(2, D("0.99")), Tier(4, D("0.98")))
    # (1.00 + 0.99 + 0.99 + 0.98) / 4 = 0.99; (… + 0.98) / 5 = 0.988 -> 0.99
    assert unit_price(tiers, Mode.GRADUATED, 4) == D("0.99")
    assert unit_price(tiers, Mode.GRADUATED, 5) == D("0.99")


def test_prices_are_decimals_with_cents() -> None:
    for mode in Mode:
        for n in range(1, 10):
            p = unit_price(TIERS, mode, n)
            assert isinstance(p, Decimal)
            assert p == p.quantize(D("0.01"))
            assert p.as_tuple().exponent == -2


@pytest.mark.parametrize("mode", list(Mode))
def test_group_size_below_one_is_an_error(mode: Mode) -> None:
    with pytest.raises(ValueError):
        unit_price(TIERS, mode, 0)
    with pytest.raises(ValueError):
        unit_price(TIERS, mode, -3)


def test_validate_tiers_accepts_valid_tiers() -> None:
    assert validate_tiers(TIERS) == []
    assert validate_tiers([Tier(1, D("5.50"))]) == []
    assert validate_tiers([Tier(1, D("10")), Tier(2, D("10"))]) == []  # equal is allowed


@pytest.mark.parametrize(
    ("tiers", "words"),
    [
        ([], "at least one price tier"),
        ([Tier(2, D("10"))], "first tier must start at 1"),
        ([Tier(1, D("10")), Tier(1, D("9"))], "more families than the tier before"),
        (
            [Tier(1, D("10")), Tier(4, D("9")), Tier(3, D("8"))],
            "more families than the tier before",
        ),
        ([Tier(1, D("0"))], "more than zero"),
        ([Tier(1, D("-1"))], "more than zero"),
        ([Tier(1, D("10.005"))], "at most 2 decimal places"),
        ([Tier(1, D("10")), Tier(2, D("11"))], "cannot be higher"),
    ],
)
def test_validate_tiers_reports_each_problem(tiers: list[Tier], words: str) -> None:
    problems = validate_tiers(tiers)
    assert problems
    assert any(words.lower() in p.lower() for p in problems), problems


def hint(tiers: tuple[Tier, ...], mode: Mode, n: int) -> str | None:
    nxt = next_tier(tiers, mode, n)
    if nxt is None:
        return None
    missing, price = nxt
    return f"{missing} more families and the price falls to {price}"


def test_next_tier_text() -> None:
    assert hint(TIERS, Mode.VOLUME, 3) == "3 more families and the price falls to 9.00"
    assert hint(TIERS, Mode.VOLUME, 1) == "2 more families and the price falls to 10.00"
    assert hint(TIERS, Mode.VOLUME, 5) == "1 more families and the price falls to 9.00"
    assert hint(TIERS, Mode.VOLUME, 6) is None
    assert hint(TIERS, Mode.GRADUATED, 3) == "1 more families and the price falls to 11.00"


def test_next_tier_skips_tiers_without_a_lower_price() -> None:
    tiers = (Tier(1, D("10")), Tier(3, D("10")), Tier(5, D("8")))
    assert next_tier(tiers, Mode.VOLUME, 1) == (4, D("8.00"))
    assert next_tier((Tier(1, D("10")),), Mode.GRADUATED, 4) is None
    # graduated with a rounding plateau: 2 families pay 10.01, the 3rd lowers it to 10.00
    tiers = (Tier(1, D("10.01")), Tier(2, D("10.00")))
    assert unit_price(tiers, Mode.GRADUATED, 2) == D("10.01")
    assert next_tier(tiers, Mode.GRADUATED, 2) == (1, D("10.00"))
    assert next_tier(tiers, Mode.GRADUATED, 3) is None


@st.composite
def tier_lists(draw: st.DrawFn) -> tuple[Tier, ...]:
    mins = [1, *sorted(draw(st.sets(st.integers(2, 12), max_size=3)))]
    price = draw(st.integers(100, 3000))
    tiers = []
    for m in mins:
        tiers.append(Tier(m, D(price) / 100))
        price = max(1, price - draw(st.integers(0, 500)))
    return tuple(tiers)


@settings(deadline=None, max_examples=150)
@given(tier_lists(), st.sampled_from(list(Mode)), st.integers(1, 15))
def test_next_tier_is_the_first_strictly_lower_price(
    tiers: tuple[Tier, ...], mode: Mode, n: int
) -> None:
    assert validate_tiers(tiers) == []
    now = unit_price(tiers, mode, n)
    nxt = next_tier(tiers, mode, n)
    if nxt is None:
        # the price never falls again: check well past the last tier
        for m in range(n + 1, n + 400):
            assert unit_price(tiers, mode, m) == now
        return
    missing, price = nxt
    assert missing >= 1
    assert unit_price(tiers, mode, n + missing) == price < now
    for m in range(n + 1, min(n + missing, n + 400)):
        assert unit_price(tiers, mode, m) == now


@settings(deadline=None, max_examples=100)
@given(tier_lists(), st.sampled_from(list(Mode)), st.integers(1, 30))
def test_price_never_rises_with_group_size(tiers: tuple[Tier, ...], mode: Mode, n: int) -> None:
    assert unit_price(tiers, mode, n + 1) <= unit_price(tiers, mode, n) <= tiers[0].unit_price
    assert unit_price(tiers, mode, n) >= tiers[-1].unit_price
