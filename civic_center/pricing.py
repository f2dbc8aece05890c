"""Price tiers by group size: families who buy together pay less.

An offer lists tiers ``(min_families, unit_price)``: the first tier (``min_families ==
1``) is the single-family price and every later tier applies from a larger group on, at
a price that never rises. Two ways to apply them:

* ``VOLUME``: the tier reached by the whole group (the largest ``min_families`` not above
  its size) sets the unit price of every family in it.
* ``GRADUATED``: the family in position ``i`` (1-based) is priced at the tier rate for
  ``i``, and every member pays the same blended unit price, the mean of the rates for
  positions ``1..n`` rounded half-up to cents.

All arithmetic is ``Decimal``; floats are never used. Only the messages of
``validate_tiers`` use Django (its translations).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.utils.translation import gettext

CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")


class Mode(StrEnum):
    VOLUME = "volume"
    GRADUATED = "graduated"


@dataclass(frozen=True)
class Tier:
    min_families: int
    unit_price: Decimal


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to cents."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def validate_tiers(tiers: Sequence[Tier]) -> list[str]:
    """The problems of ``tiers``, translated into the active language; an empty list
    means valid.

    Valid tiers: at least one; the first has ``min_families == 1``; ``min_families``
    strictly increasing; prices positive with at most two decimal places and never
    rising from one tier to the next.
    """
    problems: list[str] = []
    if not tiers:
        return [gettext("At least one price tier is required.")]
    if tiers[0].min_families != 1:
        problems.append(gettext("The first tier must start at 1 family (the single-family price)."))
    for i, tier in enumerate(tiers):
        n = {"n": i + 1}
        price = tier.unit_price
        if not isinstance(price, Decimal) or not price.is_finite():
            problems.append(gettext("Tier %(n)s: the price must be a number.") % n)
            continue
        if price <= 0:
            problems.append(gettext("Tier %(n)s: the price must be more than zero.") % n)
        if price != price.quantize(CENT):
            problems.append(gettext("Tier %(n)s: the price has at most 2 decimal places.") % n)
        if i == 0:
            continue
        before = tiers[i - 1]
        if tier.min_families <= before.min_families:
            problems.append(
                gettext("Tier %(n)s: it must start from more families than the tier before.") % n
            )
        if isinstance(before.unit_price, Decimal) and price > before.unit_price:
            problems.append(
                gettext("Tier %(n)s: the price cannot be higher than in the tier before.") % n
            )
    return problems


def _check(tiers: Sequence[Tier], group_size: int) -> None:
    if group_size < 1:
        raise ValueError(f"group size must be at least 1, not {group_size}")
    if not tiers or tiers[0].min_families != 1:
        raise ValueError("the first tier must start at 1 family")


def rate(tiers: Sequence[Tier], position: int) -> Decimal:
    """The tier rate for a group of ``position`` families (largest ``min_families`` not
    above it): the volume price, and the graduated rate of the family in that position."""
    _check(tiers, position)
    price = tiers[0].unit_price
    for tier in tiers:
        if tier.min_families > position:
            break
        price = tier.unit_price
    return price


def tier_reached(tiers: Sequence[Tier], group_size: int) -> int:
    """``min_families`` of the tier reached by a group of ``group_size`` families."""
    _check(tiers, group_size)
    reached = tiers[0].min_families
    for tier in tiers:
        if tier.min_families > group_size:
            break
        reached = tier.min_families
    return reached


def _total(tiers: Sequence[Tier], n: int) -> Decimal:
    """Sum of the graduated rates of positions ``1..n``."""
    total = Decimal(0)
    for i, tier in enumerate(tiers):
        if tier.min_families > n:
            break
        upper = tiers[i + 1].min_families - 1 if i + 1 < len(tiers) else n
        upper = min(upper, n)
        total += tier.unit_price * (upper - tier.min_families + 1)
    return total


def unit_price(tiers: Sequence[Tier], mode: Mode, group_size: int) -> Decimal:
    """The unit price every family of a group of ``group_size`` pays (see module doc).

    Raises ``ValueError`` when ``group_size < 1``.
    """
    _check(tiers, group_size)
    if mode == Mode.VOLUME:
        return cents(rate(tiers, group_size))
    return cents(_total(tiers, group_size) / group_size)


def next_tier(tiers: Sequence[Tier], mode: Mode, group_size: int) -> tuple[int, Decimal] | None:
    """``(families still missing, unit price then)`` for the smallest group larger than
    ``group_size`` whose unit price is strictly lower; ``None`` when the price never falls
    again. Group-size limits of an offer are the caller's business."""
    current = unit_price(tiers, mode, group_size)
    if mode == Mode.VOLUME:
        for tier in tiers:
            if tier.min_families > group_size and tier.unit_price < current:
                return tier.min_families - group_size, cents(tier.unit_price)
        return None
    # Graduated: the mean of non-increasing rates never rises, so the first size whose
    # rounded mean is below ``current`` (mean < current - 0.005) is found by bisection.
    target = current - HALF_CENT
    last = tiers[-1]
    if last.unit_price >= target:
        return None
    k = last.min_families - 1
    excess = _total(tiers, k) - k * last.unit_price if k > 0 else Decimal(0)
    # For m >= k: mean(m) = last + excess / m, below target once m > excess / gap.
    bound = int(excess / (target - last.unit_price)) + 1
    lo, hi = group_size + 1, max(group_size + 1, last.min_families, bound)
    while lo < hi:
        mid = (lo + hi) // 2
        if _total(tiers, mid) < target * mid:
            hi = mid
        else:
            lo = mid + 1
    return lo - group_size, unit_price(tiers, mode, lo)
