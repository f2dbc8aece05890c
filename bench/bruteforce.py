"""Exhaustive reference for the matching engine on tiny instances, and their generator.

``optimum`` enumerates every demand's option (unserved, in the group of an offer, solo at
an offer), applies the rules of ``civic_center.matching`` written out again independently
(compatibility, group sizes, ceilings, capacity) and returns the lexicographic best
``(families served, total weekly cost)``. Capacity feasibility of an offer's families is
a max-flow in hundredths of a unit (families -> common windows -> capacity), which is
exact: with integer capacities an integral maximum flow exists.
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from civic_center.matching import DemandIn, OfferIn
from civic_center.pricing import Mode, Tier, unit_price

CENT = Decimal("0.01")


def _max_flow(quantities: list[int], arcs: list[list[int]], caps: dict[int, int]) -> int:
    """Max flow source -> family k (quantities[k]) -> windows arcs[k] -> sink (caps)."""
    windows = sorted(caps)
    n_f = len(quantities)
    node = {w: n_f + 1 + i for i, w in enumerate(windows)}
    size = n_f + len(windows) + 2
    source, sink = 0, size - 1
    cap = [[0] * size for _ in range(size)]
    for k, q in enumerate(quantities):
        cap[source][k + 1] = q
        for w in arcs[k]:
            cap[k + 1][node[w]] = q
    for w in windows:
        cap[node[w]][sink] = caps[w]
    flow = 0
    while True:
        prev = [-1] * size
        prev[source] = source
        queue = deque([source])
        while queue and prev[sink] < 0:
            u = queue.popleft()
            for v in range(size):
                if prev[v] < 0 and cap[u][v] > 0:
                    prev[v] = u
                    queue.append(v)
        if prev[sink] < 0:
            return flow
        push = None
        v = sink
        while v != source:
            u = prev[v]
            push = cap[u][v] if push is None else min(push, cap[u][v])
            v = u
        assert push is not None
        v = sink
        while v != source:
            u = prev[v]
            cap[u][v] -= push
            cap[v][u] += push
            v = u
        flow += push


def _hundredths(x: Decimal) -> int:
    return int(x * 100)


def _fits(d: DemandIn, o: OfferIn) -> bool:
    cap_mask = sum(1 << w for w, c in o.capacity.items() if c > 0)
    return (
        d.category == o.category
        and d.comune in o.comuni
        and (d.windows & cap_mask) != 0
        and d.start <= o.end
        and o.start <= d.end
    )


def optimum(demands: Sequence[DemandIn], offers: Sequence[OfferIn]) -> tuple[int, Decimal]:
    """The lexicographic optimum ``(families served, least total weekly cost)``."""
    choices: list[list[tuple[int, bool] | None]] = []
    for d in demands:
        opts: list[tuple[int, bool] | None] = [None]
        for j, o in enumerate(offers):
            if not _fits(d, o):
                continue
            if d.sharing:
                opts.append((j, False))
            if o.min_group <= 1 and unit_price(o.tiers, o.mode, 1) <= d.max_price:
                opts.append((j, True))
        choices.append(opts)
    feasible_cache: dict[tuple[int, frozenset[int]], bool] = {}

    def feasible(j: int, fam: frozenset[int]) -> bool:
        key = (j, fam)
        if key not in feasible_cache:
            o = offers[j]
            caps = {w: _hundredths(c) for w, c in o.capacity.items() if c > 0}
            order = sorted(fam)
            qs = [_hundredths(demands[i].quantity) for i in order]
            arcs = [[w for w in caps if demands[i].windows >> w & 1] for i in order]
            feasible_cache[key] = _max_flow(qs, arcs, caps) == sum(qs)
        return feasible_cache[key]

    best: tuple[int, Decimal] = (0, Decimal(0))
    for combo in itertools.product(*choices):
        served = sum(1 for c in combo if c is not None)
        if served < best[0]:
            continue
        ok = True
        cost = Decimal(0)
        for j, o in enumerate(offers):
            group = [i for i, c in enumerate(combo) if c == (j, False)]
            solo = [i for i, c in enumerate(combo) if c == (j, True)]
            n = len(group)
            if n and (n < o.min_group or (o.max_group is not None and n > o.max_group)):
                ok = False
                break
            price = unit_price(o.tiers, o.mode, n) if n else Decimal(0)
            if any(demands[i].max_price < price for i in group):
                ok = False
                break
            if (group or solo) and not feasible(j, frozenset(group + solo)):
                ok = False
                break
            p1 = unit_price(o.tiers, o.mode, 1)
            for i in group:
                cost += (price * demands[i].quantity).quantize(CENT, rounding=ROUND_HALF_UP)
            for i in solo:
                cost += (p1 * demands[i].quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        if not ok:
            continue
        if served > best[0] or cost < best[1]:
            best = (served, cost)
    return best


def random_instance(
    rng: random.Random, max_demands: int = 6, max_offers: int = 3
) -> tuple[list[DemandIn], list[OfferIn]]:
    """A tiny random instance: 1–2 categories, 2 comuni, 3 windows, tight capacities."""
    base = date(2026, 1, 1)
    offers: list[OfferIn] = []
    for j in range(rng.randint(min(2, max_offers), max_offers)):
        n_tiers = rng.randint(1, 3)
        mins = [1] + sorted(rng.sample(range(2, 6), n_tiers - 1))
        price = Decimal(rng.randint(1000, 2000)) / 100
        tiers = []
        for m in mins:
            tiers.append(Tier(m, price))
            price = max(Decimal("1.00"), price - Decimal(rng.randint(0, 400)) / 100)
        min_group = rng.choice([1, 1, 1, 2, 2, 3])
        max_group = rng.choice([None, None, None, 2, 3, 4])
        if max_group is not None and max_group < min_group:
            max_group = min_group
        capacity = {
            w: Decimal(rng.randint(4, 32)) / 4 for w in rng.sample(range(3), rng.randint(1, 3))
        }
        start = base + timedelta(days=rng.choice([0, 0, 0, 100]))
        offers.append(
            OfferIn(
                id=100 + j,
                category=rng.choice([0] * 9 + [1]),
                comuni=frozenset(rng.choice([[0], [1], [0, 1], [0, 1], [0, 1]])),
                capacity=capacity,
                mode=rng.choice([Mode.VOLUME, Mode.GRADUATED]),
                tiers=tuple(tiers),
                min_group=min_group,
                max_group=max_group,
                start=start,
                end=start + timedelta(days=rng.choice([50, 300, 300])),
            )
        )
    demands: list[DemandIn] = []
    for i in range(rng.randint(min(3, max_demands), max_demands)):
        start = base + timedelta(days=rng.choice([0, 0, 60, 150]))
        demands.append(
            DemandIn(
                id=i + 1,
                category=rng.choice([0] * 9 + [1]),
                comune=rng.randrange(2),
                windows=rng.randint(1, 7),
                start=start,
                end=start + timedelta(days=rng.choice([10, 100, 200, 200])),
                quantity=Decimal(rng.randint(1, 8)) / 2,
                max_price=Decimal(rng.randint(1100, 2400)) / 100,
                sharing=rng.random() < 0.7,
            )
        )
    return demands, offers
