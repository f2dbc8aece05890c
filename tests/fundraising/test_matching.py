"""The arithmetic of matching pledges (fundraising.matching): pure, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fundraising.matching import Pledge, PledgeState, compute, pledge_matched

D = Decimal
GOAL = D("10000.00")

money = st.decimals(min_value=D("0"), max_value=D("1000000"), places=2)
ratios = st.decimals(min_value=D("0.01"), max_value=D("999.99"), places=2)
caps = st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2)


def test_unconditional_pledge_matches_one_to_one_up_to_cap():
    """A 1:1 pledge capped at 3,000 € on 2,000 € of gifts adds 2,000 €, due; on 5,000 €, 3,000 €."""
    pledge = Pledge(ratio=D("1.00"), cap=D("3000.00"))
    small = compute(raised=D("2000.00"), goal=GOAL, pledges=[pledge])
    assert small.pledges[0].state is PledgeState.DUE
    assert small.pledges[0].matched == D("2000.00")
    assert small.due == D("2000.00")
    assert small.grand_total == D("4000.00")
    assert small.progress == D("0.4000")
    big = compute(raised=D("5000.00"), goal=GOAL, pledges=[pledge])
    assert big.matched == D("3000.00")


def test_each_pledge_matches_the_gifts_not_each_other():
    """Two pledges both match the 1,000 € of gifts: 1,000 € and 500 €."""
    result = compute(
        raised=D("1000.00"),
        goal=GOAL,
        pledges=[Pledge(ratio=D("1"), cap=D("5000")), Pledge(ratio=D("0.5"), cap=D("5000"))],
    )
    assert [r.matched for r in result.pledges] == [D("1000.00"), D("500.00")]
    assert result.matched == D("1500.00")


def test_rounding_is_to_the_cent_half_up():
    """0.33 × 10.05 = 3.3165 → 3.32; 0.5 × 0.05 = 0.025 → 0.03."""
    assert pledge_matched(Pledge(ratio=D("0.33"), cap=D("100")), D("10.05")) == D("3.32")
    assert pledge_matched(Pledge(ratio=D("0.50"), cap=D("100")), D("0.05")) == D("0.03")


def test_conditional_pledge_before_its_deadline_is_counting():
    """Before the deadline, with the goal not reached, the pledge shows what it would add."""
    deadline = dt.date(2026, 12, 31)
    pledge = Pledge(ratio=D("1"), cap=D("4000"), conditional=True, deadline=deadline)
    result = compute(raised=D("6000.00"), goal=GOAL, pledges=[pledge])
    assert result.pledges[0].state is PledgeState.COUNTING
    assert result.pledges[0].matched == D("4000.00")
    assert result.counting == D("4000.00")
    assert result.due == D("0.00")
    assert result.matched == D("4000.00")
    # The share toward the goal counts only matched funds that are certain.
    assert result.progress == D("0.6000")


def test_goal_counts_gifts_only_not_matched_funds():
    """6,000 € of gifts and 4,000 € matched unconditionally are 10,000 €, but the goal
    of a conditional pledge is not reached: gifts alone count."""
    result = compute(
        raised=D("6000.00"),
        goal=GOAL,
        pledges=[
            Pledge(ratio=D("1"), cap=D("4000")),
            Pledge(ratio=D("1"), cap=D("1000"), conditional=True, goal_reached=None),
        ],
    )
    assert not result.goal_reached
    assert result.pledges[1].state is PledgeState.COUNTING


def test_conditional_pledge_is_due_once_gifts_reach_the_goal():
    """Reached before the deadline, or decided reached at it: due."""
    early = compute(
        raised=D("10000.00"),
        goal=GOAL,
        pledges=[Pledge(ratio=D("1"), cap=D("2000"), conditional=True)],
    )
    assert early.pledges[0].state is PledgeState.DUE
    assert early.due == D("2000.00")
    assert early.progress == D("1.2000")
    decided = compute(
        raised=D("10000.00"),
        goal=GOAL,
        pledges=[Pledge(ratio=D("1"), cap=D("2000"), conditional=True, goal_reached=True)],
    )
    assert decided.pledges[0].state is PledgeState.DUE


def test_conditional_pledge_lapses_when_the_goal_was_missed():
    """Deadline passed, goal not reached by it: the pledge pays nothing."""
    result = compute(
        raised=D("9999.99"),
        goal=GOAL,
        pledges=[Pledge(ratio=D("2"), cap=D("5000"), conditional=True, goal_reached=False)],
    )
    assert result.pledges[0].state is PledgeState.LAPSED
    assert result.pledges[0].matched == D("0.00")
    assert result.matched == D("0.00")
    assert result.grand_total == D("9999.99")


def test_no_gifts_no_matching():
    result = compute(raised=D("0"), goal=GOAL, pledges=[Pledge(ratio=D("1"), cap=D("10"))])
    assert result.matched == D("0.00")
    assert result.progress == D("0.0000")


@given(
    total=money,
    ratio=ratios,
    cap=caps,
    conditional=st.booleans(),
    reached=st.sampled_from([None, True, False]),
)
def test_matched_never_exceeds_cap_nor_ratio_times_total(total, ratio, cap, conditional, reached):
    pledge = Pledge(ratio=ratio, cap=cap, conditional=conditional, goal_reached=reached)
    result = compute(raised=total, goal=GOAL, pledges=[pledge])
    matched = result.pledges[0].matched
    assert D("0") <= matched <= cap
    # Rounding to the cent may add at most half a cent.
    assert matched <= ratio * total + D("0.005")
    assert result.matched == result.due + result.counting
    assert result.grand_total == result.raised + result.matched


@given(a=money, b=money, ratio=ratios, cap=caps)
def test_matched_is_monotone_in_the_total(a, b, ratio, cap):
    low, high = sorted((a, b))
    pledge = Pledge(ratio=ratio, cap=cap)
    assert pledge_matched(pledge, low) <= pledge_matched(pledge, high)


@given(total=money, ratio=ratios, cap=caps)
def test_a_lapsed_pledge_pays_nothing(total, ratio, cap):
    pledge = Pledge(ratio=ratio, cap=cap, conditional=True, goal_reached=False)
    result = compute(raised=total, goal=GOAL, pledges=[pledge])
    assert result.pledges[0].state is PledgeState.LAPSED
    assert result.pledges[0].matched == D("0.00")
    assert result.due == D("0.00")
