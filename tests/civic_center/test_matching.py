"""The Civic Center matching engine: hand-made cases, agreement with an exhaustive search
on small random instances, and validity (ceilings, capacity) on larger ones."""

from __future__ import annotations

import dataclasses
import random
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.bruteforce import optimum, random_instance
from bench.generate import generate
from civic_center.matching import (
    DemandIn,
    MatchResult,
    OfferIn,
    check,
    compatible,
    match,
    pools,
)
from civic_center.pricing import Mode, Tier

D = Decimal
JAN, DEC = date(2026, 1, 1), date(2026, 12, 31)


def offer(
    id: int = 100,
    tiers: tuple[tuple[int, str], ...] = ((1, "20"), (2, "15"), (4, "10")),
    capacity: dict[int, str] | None = None,
    mode: Mode = Mode.VOLUME,
    min_group: int = 1,
    max_group: int | None = None,
    start: date = JAN,
    end: date = DEC,
    comuni: frozenset[int] = frozenset({1}),
) -> OfferIn:
    return OfferIn(
        id=id,
        category=1,
        comuni=comuni,
        capacity={w: D(c) for w, c in (capacity or {0: "100"}).items()},
        mode=mode,
        tiers=tuple(Tier(m, D(p)) for m, p in tiers),
        min_group=min_group,
        max_group=max_group,
        start=start,
        end=end,
    )


def demand(
    id: int,
    quantity: str = "2",
    max_price: str = "30",
    sharing: bool = True,
    windows: int = 0b1,
    start: date = JAN,
    end: date = DEC,
    comune: int = 1,
) -> DemandIn:
    return DemandIn(
        id=id,
        category=1,
        comune=comune,
        windows=windows,
        start=start,
        end=end,
        quantity=D(quantity),
        max_price=D(max_price),
        sharing=sharing,
    )


def run(demands: list[DemandIn], offers: list[OfferIn]) -> MatchResult:
    result = match(demands, offers, time_limit_s=5)
    assert check(result, demands, offers) == []
    assert result.optimal
    return result


def by_demand(result: MatchResult) -> dict[int, tuple[int, bool, Decimal]]:
    return {a.demand_id: (a.offer_id, a.solo, a.unit_price) for a in result.assignments}


def test_ceiling_excludes_a_tier() -> None:
    # max_group 3 keeps the group at the 15.00 tier: the family with ceiling 12 cannot join
    o = offer(max_group=3)
    ds = [demand(1, max_price="16"), demand(2, max_price="16"), demand(3, max_price="12")]
    r = run(ds, [o])
    assert by_demand(r) == {1: (100, False, D("15.00")), 2: (100, False, D("15.00"))}
    assert r.groups[0].size == 2 and r.groups[0].tier_min_families == 2
    # with a fourth family the 10.00 tier is reached and everybody fits
    r = run([*ds, demand(4, max_price="12")], [offer(max_group=4)])
    assert r.families_served == 4
    assert {a.unit_price for a in r.assignments} == {D("10.00")}


def test_capacity_forces_a_choice_favouring_more_families() -> None:
    o = offer(capacity={0: "3"}, tiers=((1, "10"),))
    ds = [demand(1, quantity="2"), demand(2, quantity="1.5"), demand(3, quantity="1.5")]
    r = run(ds, [o])
    assert set(by_demand(r)) == {2, 3}
    assert r.total_weekly_cost == D("30.00")


def test_more_families_beat_a_lower_cost() -> None:
    # Serving both families needs the dear offer for one of them.
    cheap = offer(100, tiers=((1, "5"),), capacity={0: "2"})
    dear = offer(101, tiers=((1, "25"),), capacity={0: "2"})
    ds = [demand(1, quantity="2"), demand(2, quantity="2", sharing=False)]
    r = run(ds, [cheap, dear])
    assert r.families_served == 2
    assert r.total_weekly_cost == D("60.00")


def test_min_group_not_reached_serves_nobody_in_group() -> None:
    o = offer(min_group=3)
    ds = [demand(1), demand(2)]
    r = run(ds, [o])
    assert r.families_served == 0 and r.groups == []
    r = run([*ds, demand(3)], [o])
    assert r.families_served == 3
    assert r.groups[0].size == 3 and r.groups[0].unit_price == D("15.00")


def test_non_sharing_family_is_served_solo_only() -> None:
    o = offer()
    ds = [demand(1), demand(2), demand(3, sharing=False, max_price="25")]
    r = run(ds, [o])
    got = by_demand(r)
    assert got[1] == got[2] == (100, False, D("15.00"))
    assert got[3] == (100, True, D("20.00"))
    assert r.groups[0].size == 2  # solo families do not count in the group
    # too dear alone, and sharing refused: not served
    r = run([demand(1), demand(2), demand(3, sharing=False, max_price="18")], [o])
    assert 3 not in by_demand(r)
    # an offer that needs groups takes no solo family
    r = run([demand(3, sharing=False)], [offer(min_group=2)])
    assert r.families_served == 0


def test_sharing_family_may_be_served_solo_when_the_group_is_full() -> None:
    o = offer(max_group=2)
    r = run([demand(1), demand(2), demand(3)], [o])
    assert r.families_served == 3
    assert sorted(a.solo for a in r.assignments) == [False, False, True]
    assert r.total_weekly_cost == D("2") * (15 + 15 + 20)


def test_quantity_split_across_two_windows() -> None:
    o = offer(capacity={0: "2", 1: "2"}, tiers=((1, "10"),))
    ds = [demand(1, quantity="3", windows=0b11), demand(2, quantity="1", windows=0b01)]
    r = run(ds, [o])
    assert r.families_served == 2
    split = {a.demand_id: dict(a.split) for a in r.assignments}
    assert split[1] == {0: D("1"), 1: D("2")}
    assert split[2] == {0: D("1")}


def test_fractional_split_in_hundredths() -> None:
    o = offer(capacity={0: "1.25", 1: "1.26"}, tiers=((1, "10"),))
    ds = [demand(1, quantity="2.51", windows=0b11)]
    r = run(ds, [o])
    assert dict(r.assignments[0].split) == {0: D("1.25"), 1: D("1.26")}
    assert r.assignments[0].weekly_cost == D("25.10")


def test_periods_must_overlap() -> None:
    o = offer(start=date(2026, 6, 1), end=date(2026, 8, 31))
    before = demand(1, start=JAN, end=date(2026, 5, 31))
    after = demand(2, start=date(2026, 9, 1), end=DEC)
    touching = demand(3, start=date(2026, 8, 31), end=DEC)
    assert not compatible(before, o) and not compatible(after, o)
    assert compatible(touching, o)
    r = run([before, after, touching], [o])
    assert set(by_demand(r)) == {3}


def test_compatibility_needs_category_comune_and_a_common_window() -> None:
    o = offer(capacity={0: "5", 1: "5"})
    assert compatible(demand(1, windows=0b10), o)
    assert not compatible(demand(1, windows=0b100), o)
    assert not compatible(demand(1, comune=2), o)
    assert not compatible(dataclasses.replace(demand(1), category=2), o)


def test_graduated_group_price_and_cost_rounding() -> None:
    o = offer(mode=Mode.GRADUATED, tiers=((1, "12"), (3, "10")))
    ds = [demand(i, quantity="1.5") for i in (1, 2, 3)]
    r = run(ds, [o])
    assert r.families_served == 3
    assert {a.unit_price for a in r.assignments} == {D("11.33")}
    assert {a.weekly_cost for a in r.assignments} == {D("17.00")}  # 16.995 -> 17.00


def test_check_reports_violations() -> None:
    o = offer(capacity={0: "3"}, tiers=((1, "10"),))
    ds = [demand(1, quantity="2", max_price="10")]
    r = run(ds, [o])
    a = r.assignments[0]
    dear = dataclasses.replace(a, unit_price=D("11.00"), weekly_cost=D("22.00"))
    assert any("ceiling" in p for p in check(dataclasses.replace(r, assignments=[dear]), ds, [o]))
    small = offer(capacity={0: "1"}, tiers=((1, "10"),))
    assert any("capacity" in p for p in check(r, ds, [small]))
    twice = dataclasses.replace(r, assignments=[a, a], families_served=2)
    assert any("more than once" in p for p in check(twice, ds, [o]))


def test_pools_show_the_next_price() -> None:
    o = offer(tiers=((1, "12"), (3, "10"), (6, "9")))
    ds = [
        demand(1),
        demand(2),
        demand(3),
        demand(4, sharing=False),
        demand(5, comune=7),
        demand(6, max_price="8"),  # no size reaches its ceiling
    ]
    (pool,) = pools(ds, [o])
    assert pool.demand_ids == (1, 2, 3) and pool.size == 3
    assert pool.unit_price == D("10.00")
    assert pool.next_tier == (3, D("9.00"))
    (pool,) = pools(ds, [offer(min_group=5, tiers=((1, "12"), (3, "10"), (6, "9")))])
    assert pool.unit_price is None and pool.next_tier == (2, D("10.00"))
    (pool,) = pools(ds, [offer(max_group=4, tiers=((1, "12"), (3, "10"), (6, "9")))])
    assert pool.next_tier is None


@settings(deadline=None, max_examples=300)
@given(st.integers(0, 2**32))
def test_engine_matches_exhaustive_search(seed: int) -> None:
    demands, offers = random_instance(random.Random(seed))
    result = match(demands, offers, time_limit_s=10)
    assert check(result, demands, offers) == []
    assert result.optimal
    best = optimum(demands, offers)
    assert (result.families_served, result.total_weekly_cost) == best
    # the greedy fallback of oversized components is valid, never better than the optimum
    greedy = match(demands, offers, max_model_vars=0)
    assert check(greedy, demands, offers) == []
    assert not greedy.optimal or greedy.components == 0
    assert (greedy.families_served, -greedy.total_weekly_cost) <= (best[0], -best[1])


def test_medium_instances_respect_ceilings_and_capacity() -> None:
    for seed in range(3):
        demands, offers = random_instance(random.Random(seed), max_demands=200, max_offers=20)
        result = match(demands, offers, time_limit_s=3)
        assert check(result, demands, offers) == []
        assert result.families_served > 0
    demands, offers = generate(n_demands=3000, n_offers=60, seed=7)
    greedy = match(demands, offers, max_model_vars=0)  # greedy only
    for result in (
        match(demands, offers, time_limit_s=2),
        greedy,
        match(demands, offers, max_model_vars=0, total_time_s=1.0),  # more greedy rounds
        match(demands, offers, time_limit_s=2, total_time_s=2.0),  # one shared budget
    ):
        assert check(result, demands, offers) == []
        assert result.families_served >= greedy.families_served > 0


def test_shared_budget_is_exact_on_small_instances() -> None:
    for seed in range(40):
        demands, offers = random_instance(random.Random(seed))
        result = match(demands, offers, time_limit_s=10, total_time_s=10)
        assert check(result, demands, offers) == []
        assert result.optimal
        assert (result.families_served, result.total_weekly_cost) == optimum(demands, offers)


def test_greedy_frees_bounded_group_places() -> None:
    # The group of offer 100 has exactly two places. Family 1 (the smallest quantity,
    # placed first) can also be served solo at offer 101; families 2 and 3 can only
    # afford the group.
    group = offer(100, tiers=((1, "20"), (2, "10")), min_group=2, max_group=2)
    solo = offer(101, tiers=((1, "12"),))
    ds = [
        demand(1, quantity="1", max_price="12"),
        demand(2, quantity="2", max_price="11"),
        demand(3, quantity="3", max_price="11"),
    ]
    for result in (run(ds, [group, solo]), match(ds, [group, solo], max_model_vars=0)):
        assert check(result, ds, [group, solo]) == []
        assert result.families_served == 3
        assert by_demand(result)[1][0] == 101
