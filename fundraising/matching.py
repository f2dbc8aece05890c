"""The arithmetic of matching pledges: how much each funder adds to a campaign's gifts.

Pure (Decimal in, Decimal out, no Django), so that the rules can be read and tested on
their own; ``fundraising.selectors.campaign_progress`` feeds it from the database.

The rules:

* The *eligible total* is the sum of the campaign's received gifts (refunded and
  cancelled gifts and mere pledges do not count).
* Every pledge matches that same total on its own: ``min(cap, ratio × eligible total)``,
  in cents, ROUND_HALF_UP. Pledges do not match each other's matched funds.
* An unconditional pledge is **due**: the funder owes what it matched so far.
* A conditional pledge (``only_if_target_reached``) depends on whether the goal is
  reached by its deadline. **The goal counts donations only, never matched funds**: a
  funder cannot make its own condition come true, and two conditional funders cannot
  make each other's come true.

  - goal reached (by the deadline, or already before it) → **due**;
  - deadline not yet passed and goal not reached yet → **counting**: shown as
    "promised if the goal is reached by <deadline>", with the amount it would pay now;
  - deadline passed, goal not reached → **lapsed**: pays 0.

* Totals: ``raised`` (gifts), ``matched`` (due + counting: what the page shows as
  matched, with the counting part marked as conditional), ``due`` (only what is owed),
  ``grand_total`` = raised + matched, and ``progress`` = (raised + due) / goal: the
  share toward the goal counts gifts and the matched funds that are certain.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class PledgeState(enum.StrEnum):
    COUNTING = "counting"
    DUE = "due"
    LAPSED = "lapsed"


@dataclass(frozen=True)
class Pledge:
    """A matching pledge as the arithmetic needs it.

    ``goal_reached`` is only read for a conditional pledge: True (the goal was reached by
    donations by the deadline), False (the deadline passed and it was not), None (the
    deadline has not passed yet: not decided)."""

    ratio: Decimal
    cap: Decimal
    conditional: bool = False
    deadline: dt.date | None = None
    goal_reached: bool | None = None


@dataclass(frozen=True)
class PledgeResult:
    pledge: Pledge
    state: PledgeState
    matched: Decimal


@dataclass(frozen=True)
class Matching:
    raised: Decimal
    goal: Decimal
    pledges: tuple[PledgeResult, ...]
    due: Decimal
    counting: Decimal
    matched: Decimal
    grand_total: Decimal
    progress: Decimal  # (raised + due) / goal, 4 decimal places, may exceed 1

    @property
    def goal_reached(self) -> bool:
        """Whether the gifts alone reach the goal (matched funds never count)."""
        return self.raised >= self.goal


def pledge_matched(pledge: Pledge, eligible: Decimal) -> Decimal:
    """What the pledge matches of ``eligible`` before its condition: min(cap, ratio × total)."""
    if eligible <= 0:
        return ZERO
    return cents(min(pledge.cap, pledge.ratio * eligible))


def pledge_state(pledge: Pledge, raised: Decimal, goal: Decimal) -> PledgeState:
    if not pledge.conditional:
        return PledgeState.DUE
    if pledge.goal_reached is True or (pledge.goal_reached is None and raised >= goal):
        return PledgeState.DUE
    if pledge.goal_reached is None:
        return PledgeState.COUNTING
    return PledgeState.LAPSED


def compute(*, raised: Decimal, goal: Decimal, pledges: Sequence[Pledge]) -> Matching:
    """The matched funds of ``pledges`` (in creation order) on ``raised`` euro of
    received gifts toward ``goal``."""
    raised = cents(max(raised, ZERO))
    results: list[PledgeResult] = []
    for pledge in pledges:
        state = pledge_state(pledge, raised, goal)
        matched = ZERO if state is PledgeState.LAPSED else pledge_matched(pledge, raised)
        results.append(PledgeResult(pledge=pledge, state=state, matched=matched))
    due = sum((r.matched for r in results if r.state is PledgeState.DUE), ZERO)
    counting = sum((r.matched for r in results if r.state is PledgeState.COUNTING), ZERO)
    matched = due + counting
    progress = (
        ((raised + due) / goal).quantize(Decimal("0.0001"), ROUND_HALF_UP) if goal > 0 else ZERO
    )
    return Matching(
        raised=raised,
        goal=goal,
        pledges=tuple(results),
        due=due,
        counting=counting,
        matched=matched,
        grand_total=raised + matched,
        progress=progress,
    )
