"""Benchmark of the Civic Center matching engine.

    .venv/bin/python -m bench.matching             # province scale: 100,000 demands, 2,000 offers
    .venv/bin/python -m bench.matching --small 500 # 500 tiny instances against brute force

Province mode times (a) a floor, reading every generated demand and offer and sorting the
demands by (category, comune); (b) ``pools()``; (c) ``match()``; then validates the result
with ``check()``. It exits non-zero if (b) + (c) take more than 10 s or ``check()`` finds a
problem. It also prints a simple upper bound on the families that can be served (per
component: the most demands whose quantities fit in the component's total capacity,
smallest first), to show how far a not-proven-optimal result can be from the optimum.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench import common
from bench.bruteforce import optimum, random_instance
from bench.generate import generate
from civic_center import matching
from civic_center.matching import DemandIn, OfferIn, check, match, pools

BUDGET_S = 10.0
MARGIN_S = 1.5  # kept free of the budget: timings vary with the load of the machine


def floor(demands: Sequence[DemandIn], offers: Sequence[OfferIn]) -> int:
    """Read every field of the input and sort the demands by (category, comune)."""
    rows = sorted(
        (d.category, d.comune, d.windows, d.start, d.end, d.quantity, d.max_price, d.sharing)
        for d in demands
    )
    cells = sorted(
        (o.category, min(o.comuni), len(o.capacity), len(o.tiers), o.start, o.id) for o in offers
    )
    return len(rows) + len(cells)


def families_bound(demands: Sequence[DemandIn], offers: Sequence[OfferIn]) -> int:
    """An upper bound on the families served: per component, the most of its demands
    whose quantities fit together in the total capacity of its offers."""
    prepared = [matching._Offer.of(o) for o in offers]
    cols = matching._Demands(demands)
    edges = matching._edges(cols, prepared)
    qty = cols.qty.tolist()
    bound = 0
    for comp in matching._components(len(demands), len(prepared), edges):
        room = sum(sum(prepared[j].cap.values()) for j in comp.offers)
        for q in sorted(qty[i] for i in comp.demands):
            if q > room:
                break
            room -= q
            bound += 1
    return bound


def lp_bound(demands: Sequence[DemandIn], offers: Sequence[OfferIn]) -> int:
    """A tighter upper bound on the families served (slow: not part of the timing): per
    component, the floor of the LP relaxation of serving families on the usable edges,
    in group (sharing families whose ceiling meets the offer's lowest group price, at
    most ``max_group`` of them) or solo (``min_group <= 1`` and the single-family price
    within the ceiling), with every offer's capacity per window; exact group prices and
    ``min_group`` are relaxed."""
    from ortools.linear_solver import pywraplp

    prepared = [matching._Offer.of(o) for o in offers]
    cols = matching._Demands(demands)
    edges = matching._edges(cols, prepared)
    qty = cols.qty.tolist()
    ceil = cols.ceil.tolist()
    bound = 0
    inf = pywraplp.Solver.infinity()
    for comp in matching._components(len(demands), len(prepared), edges):
        solver = pywraplp.Solver.CreateSolver("GLOP")
        one = {i: solver.Constraint(-inf, 1) for i in comp.demands}
        objective = solver.Objective()
        for j in comp.offers:
            o = prepared[j]
            cap = o.cap
            rows = {w: solver.Constraint(-inf, cap[w]) for w in cap}
            group = solver.Constraint(-inf, inf if o.hi is None else o.hi)
            best = None if o.best_group_price is None else int(o.best_group_price * 100)
            solo = None if o.solo_price is None else int(o.solo_price * 100)
            for i, ws in comp.edges[j]:
                split = solver.Constraint(0, 0)
                if demands[i].sharing and best is not None and ceil[i] >= best:
                    g = solver.NumVar(0, 1, "")
                    group.SetCoefficient(g, 1)
                    for v, c in ((one[i], 1), (split, -qty[i])):
                        v.SetCoefficient(g, c)
                    objective.SetCoefficient(g, 1)
                if solo is not None and ceil[i] >= solo:
                    x = solver.NumVar(0, 1, "")
                    for v, c in ((one[i], 1), (split, -qty[i])):
                        v.SetCoefficient(x, c)
                    objective.SetCoefficient(x, 1)
                for w in ws:
                    f = solver.NumVar(0, min(qty[i], cap[w]), "")
                    split.SetCoefficient(f, 1)
                    rows[w].SetCoefficient(f, 1)
        objective.SetMaximization()
        if solver.Solve() != pywraplp.Solver.OPTIMAL:
            raise RuntimeError("LP bound not solved")
        bound += int(objective.Value() + 1e-6)
    return bound


def province(args: argparse.Namespace) -> int:
    t = time.perf_counter()
    demands, offers = generate(args.demands, args.offers, args.seed)
    print(
        f"generated {len(demands)} demands, {len(offers)} offers in {time.perf_counter() - t:.2f} s"
    )

    t = time.perf_counter()
    floor(demands, offers)
    t_floor = time.perf_counter() - t

    t = time.perf_counter()
    pool_list = pools(demands, offers)
    t_pools = time.perf_counter() - t

    total_time = args.total_time
    if total_time is None:  # what the budget leaves after pools(), less a safety margin
        total_time = BUDGET_S - t_pools - MARGIN_S
    t = time.perf_counter()
    result = match(
        demands,
        offers,
        time_limit_s=args.time_limit,
        workers=2,
        max_model_vars=args.max_model_vars,
        total_time_s=total_time if total_time > 0 else None,
    )
    t_match = time.perf_counter() - t

    problems = check(result, demands, offers)
    bound = families_bound(demands, offers)
    if args.lp_bound:
        t = time.perf_counter()
        bound = min(bound, lp_bound(demands, offers))
        print(f"LP bound computed in {time.perf_counter() - t:.1f} s")
    total = t_pools + t_match
    print(f"(a) floor (read + sort input): {t_floor:6.2f} s")
    print(f"(b) pools():                   {t_pools:6.2f} s  ({t_pools / t_floor:5.1f}× floor)")
    print(f"(c) match():                   {t_match:6.2f} s  ({t_match / t_floor:5.1f}× floor)")
    print(f"    pools + match:             {total:6.2f} s  (budget {BUDGET_S:.0f} s)")
    print(f"pools with families: {len(pool_list)}")
    print(
        f"families served: {result.families_served} of {len(demands)} "
        f"(upper bound {bound}, gap ≤ {bound - result.families_served})"
    )
    print(f"groups: {len(result.groups)}, total weekly cost: {result.total_weekly_cost} €")
    print(
        f"components: {result.components}, largest: {result.largest_component} demands, "
        f"proven optimal: {result.optimal_components}/{result.components} "
        f"(all optimal: {result.optimal})"
    )
    print(f"check() problems: {len(problems)}")
    for p in problems[:10]:
        print("   ", p)
    res = common.result(
        "matching",
        title="Civic Center matching",
        scale=args.scale,
        measured=("pools() + match()", total, "s"),
        floor=("read and sort the input", t_floor, "s"),
        checks={
            "check() finds no problem": not problems,
            f"pools + match within {BUDGET_S:g} s": total <= BUDGET_S,
        },
        details={
            "demands": len(demands),
            "offers": len(offers),
            "pools_s": t_pools,
            "match_s": t_match,
            "families_served": result.families_served,
            "families_upper_bound": bound,
            "groups": len(result.groups),
            "components": result.components,
            "proven_optimal_components": result.optimal_components,
        },
    )
    return common.emit(res, args.json)


def small(n: int, seed: int) -> int:
    bad = 0
    t = time.perf_counter()
    served = 0
    for k in range(n):
        demands, offers = random_instance(random.Random(seed + k))
        result = match(demands, offers, time_limit_s=10)
        expected = optimum(demands, offers)
        got = (result.families_served, result.total_weekly_cost)
        problems = check(result, demands, offers)
        served += result.families_served
        if got != expected or problems or not result.optimal:
            bad += 1
            print(f"instance {seed + k}: engine {got}, brute force {expected}, {problems}")
    print(
        f"{n} small instances in {time.perf_counter() - t:.1f} s, {served} families served, "
        f"{bad} disagreeing with brute force"
    )
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--small", type=int, metavar="N", help="N small instances vs brute force")
    parser.add_argument(
        "--lp-bound", action="store_true", help="tighter bound on families (slow, untimed)"
    )
    parser.add_argument("--demands", type=int, help="default 100,000 × --scale")
    parser.add_argument("--offers", type=int, help="default 2,000 × --scale")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor of the province")
    parser.add_argument("--json", type=Path, help="write the result (JSON) to this file")
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument("--time-limit", type=float, default=0.5, help="CP-SAT s per component")
    parser.add_argument(
        "--total-time",
        type=float,
        help="match() budget in s for all components (default: 10 s - pools() - 1.5 s; "
        "0: no shared budget, CP-SAT per component only)",
    )
    parser.add_argument(
        "--max-model-vars",
        type=int,
        default=20_000,
        help="components with a larger model keep the greedy solution",
    )
    args = parser.parse_args(argv)
    if args.demands is None:
        args.demands = common.scaled(100_000, args.scale, minimum=50)
    if args.offers is None:
        args.offers = common.scaled(2_000, args.scale, minimum=5)
    if args.small:
        return small(args.small, args.seed)
    return province(args)


if __name__ == "__main__":
    sys.exit(main())
