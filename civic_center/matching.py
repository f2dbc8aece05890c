"""The Civic Center matching engine: families' demand for care services against the offers
of partner cooperatives, priced by group size (see ``civic_center.pricing``).

Pure Python on plain dataclasses; the service layer loads them from the database.

Model
-----
A demand ``d`` is *compatible* with an offer ``o`` when they share the category,
``d.comune`` is one of ``o.comuni``, ``d.windows`` has at least one window where ``o`` has
capacity and the periods overlap (``d.start <= o.end and o.start <= d.end``). An edge
``(d, o)`` of the compatibility graph is kept only if the demand could actually be served
there: some price it may get (the single-family price if the offer takes solo families,
the lowest group price within the offer's size limits if the family shares) is within its
ceiling ``max_price``, and its weekly quantity fits in the offer's capacity over their
common windows.

Each offer serves at most one shared *group* — a purchasing group: families who buy the
same service from the same provider together, each at its own times within the offer's
windows and for its own period, and so reach a lower tier. The group is the families with
``sharing=True`` assigned to it in group, ``n`` of them, with ``n == 0`` or ``min_group <=
n <= max_group``. The group's unit price is ``unit_price(tiers, mode, n)`` and must not
exceed the ceiling of any member. An offer also serves any number of *solo* families at
the single-family price ``unit_price(tiers, mode, 1)``, only if ``min_group <= 1`` and
that price is within the family's ceiling; a sharing family may be served solo too, and
solo families do not count in the group size. Every served family's weekly quantity is
split over windows that are in its mask and where the offer has capacity, in hundredths of
a unit; per window the quantities placed by all the offer's families stay within its
capacity. A family pays ``unit price × quantity`` a week, rounded half-up to cents. A
family is served by at most one offer.

Objective, lexicographic: (1) the most families served; (2) among those, the least total
weekly cost to families. It is solved with OR-Tools CP-SAT on an integer model (cents and
hundredths of a unit) with a single weighted objective, ``W × served − cost`` where ``W``
exceeds the largest possible total cost, so that it is exactly lexicographic. The graph is
split into connected components (union-find), which are independent and solved one by one
(this separates categories and areas automatically). Each component is reported as
proven optimal or not: a component whose model would be larger than ``max_model_vars``
or that hits ``time_limit_s`` keeps the best solution found (the greedy one at least),
and then ``MatchResult.optimal`` is ``False``. With ``total_time_s`` the call has one
wall-clock budget shared by the components (see ``match``).

Formulation per offer: the group sizes are cut into *levels* of constant price (for
``VOLUME`` one per tier, sizes ``max(tier.min, min_group) .. next tier's min − 1``; for
``GRADUATED`` the runs of sizes with the same blended price), bounded by ``max_group`` and
by the number of candidates able to pay the level's price. One boolean chooses the level
(at most one per offer); assignment booleans exist per (demand, offer, level) only where
the level price is within the ceiling, and the number assigned lies in the level's size
range. Solo booleans per (demand, offer). Integer flow variables per (demand, offer,
common window) carry the split when more than one window is common.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np
from ortools.sat.python import cp_model

from civic_center.pricing import Mode, Tier, cents, next_tier, tier_reached, unit_price

WINDOWS = 21
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class OfferIn:
    id: int
    category: int
    comuni: frozenset[int]
    capacity: Mapping[int, Decimal]  # window -> units per week, only windows with capacity > 0
    mode: Mode
    tiers: tuple[Tier, ...]
    min_group: int
    max_group: int | None
    start: date
    end: date


@dataclass(frozen=True)
class DemandIn:
    id: int
    category: int
    comune: int
    windows: int  # bit mask, bit day * 3 + band
    start: date
    end: date
    quantity: Decimal  # units per week, 2 decimals
    max_price: Decimal  # highest unit price the family accepts
    sharing: bool  # accepts sharing the service with other families


@dataclass(frozen=True)
class Assignment:
    demand_id: int
    offer_id: int
    solo: bool
    unit_price: Decimal
    group_size: int  # 1 for a solo family
    tier_min_families: int
    weekly_cost: Decimal
    split: Mapping[int, Decimal]  # window -> units


@dataclass(frozen=True)
class GroupOut:
    offer_id: int
    size: int
    unit_price: Decimal
    tier_min_families: int
    demand_ids: tuple[int, ...]


@dataclass
class MatchResult:
    assignments: list[Assignment]
    groups: list[GroupOut]
    families_served: int
    total_weekly_cost: Decimal
    components: int
    optimal: bool
    seconds: float
    largest_component: int = 0  # demands in the largest component
    optimal_components: int = 0


@dataclass(frozen=True)
class PoolOut:
    offer_id: int
    demand_ids: tuple[int, ...]
    size: int
    unit_price: Decimal | None
    next_tier: tuple[int, Decimal] | None


# --------------------------------------------------------------------------- helpers


def _mask(capacity: Mapping[int, Decimal]) -> int:
    mask = 0
    for w, c in capacity.items():
        if c > 0:
            mask |= 1 << w
    return mask


def _hundredths(value: Decimal) -> int:
    """``value`` in whole hundredths, rounded down (capacities and quantities)."""
    return int((value * HUNDRED).to_integral_value(rounding="ROUND_FLOOR"))


def compatible(d: DemandIn, o: OfferIn) -> bool:
    """Same category, comune served, a common window with capacity, periods overlapping."""
    return (
        d.category == o.category
        and d.comune in o.comuni
        and d.windows & _mask(o.capacity) != 0
        and d.start <= o.end
        and o.start <= d.end
    )


@dataclass
class _Offer:
    """An offer's data precomputed for the engine (prices also in integer cents)."""

    src: OfferIn
    mask: int
    cap: dict[int, int]  # window -> hundredths
    solo_price: Decimal | None  # single-family price if solo families are allowed
    best_group_price: Decimal | None  # lowest group price within the size limits
    hi: int | None  # max_group
    _cents: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, o: OfferIn) -> _Offer:
        cap = {w: _hundredths(c) for w, c in o.capacity.items() if c > 0}
        cap = {w: c for w, c in cap.items() if c > 0}
        mask = 0
        for w in cap:
            mask |= 1 << w
        solo = unit_price(o.tiers, o.mode, 1) if o.min_group <= 1 else None
        best: Decimal | None
        if o.max_group is not None and o.max_group < max(o.min_group, 1):
            best = None
        elif o.max_group is not None:
            best = unit_price(o.tiers, o.mode, o.max_group)
        else:
            best = cents(o.tiers[-1].unit_price)
        return cls(o, mask, cap, solo, best, o.max_group)

    def price(self, n: int) -> Decimal:
        return unit_price(self.src.tiers, self.src.mode, n)

    def price_cents(self, n: int) -> int:
        c = self._cents.get(n)
        if c is None:
            c = self._cents[n] = int(self.price(n) * HUNDRED)
        return c


class _Demands:
    """Column arrays of the demands, and their indices bucketed by (category, comune)."""

    def __init__(self, demands: Sequence[DemandIn]) -> None:
        n = len(demands)
        self.mask = np.fromiter((d.windows for d in demands), np.int64, n)
        self.start = np.fromiter((d.start.toordinal() for d in demands), np.int64, n)
        self.end = np.fromiter((d.end.toordinal() for d in demands), np.int64, n)
        self.qty = np.fromiter((_hundredths(d.quantity) for d in demands), np.int64, n)
        self.ceil = np.fromiter((_hundredths(d.max_price) for d in demands), np.int64, n)
        self.sharing = np.fromiter((d.sharing for d in demands), np.bool_, n)
        lists: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i, d in enumerate(demands):
            lists[(d.category, d.comune)].append(i)
        self.buckets = {k: np.array(v, np.int64) for k, v in lists.items()}

    def candidates(self, o: _Offer, sharing_only: bool) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the demands with a usable edge to ``o`` (compatible, some price within
        the ceiling, quantity fitting the common windows' capacity) and their common
        window masks. With ``sharing_only``, only sharing demands for the group price."""
        src = o.src
        parts = [self.buckets[k] for c in src.comuni if (k := (src.category, c)) in self.buckets]
        empty = np.zeros(0, np.int64)
        if not parts:
            return empty, empty
        idx = np.concatenate(parts)
        common = self.mask[idx] & o.mask
        keep = (
            (common != 0)
            & (self.start[idx] <= src.end.toordinal())
            & (self.end[idx] >= src.start.toordinal())
        )
        ceil = self.ceil[idx]
        group_ok = np.zeros(len(idx), np.bool_)
        if o.best_group_price is not None:
            group_ok = self.sharing[idx] & (ceil >= int(o.best_group_price * HUNDRED))
        if sharing_only:
            keep &= group_ok
        else:
            solo_ok = np.zeros(len(idx), np.bool_)
            if o.solo_price is not None:
                solo_ok = ceil >= int(o.solo_price * HUNDRED)
            keep &= group_ok | solo_ok
        capsum = np.zeros(len(idx), np.int64)
        for w, c in o.cap.items():
            capsum += ((common >> w) & 1) * c
        keep &= capsum >= self.qty[idx]
        return idx[keep], common[keep]


_WINDOWS_OF: dict[int, tuple[int, ...]] = {}


def _windows(mask: int) -> tuple[int, ...]:
    ws = _WINDOWS_OF.get(mask)
    if ws is None:
        ws = _WINDOWS_OF[mask] = tuple(w for w in range(WINDOWS) if mask >> w & 1)
    return ws


def _edges(cols: _Demands, offers: Sequence[_Offer]) -> list[list[tuple[int, tuple[int, ...]]]]:
    """Per offer, its usable edges ``(demand index, common windows)``; only the demands
    of the offer's (category, comune) buckets are looked at."""
    out: list[list[tuple[int, tuple[int, ...]]]] = []
    for o in offers:
        idx, common = cols.candidates(o, sharing_only=False)
        masks = common.tolist()
        for m in set(masks) - _WINDOWS_OF.keys():
            _windows(m)
        of = _WINDOWS_OF
        out.append([(i, of[m]) for i, m in zip(idx.tolist(), masks, strict=True)])
    return out


# --------------------------------------------------------------------------- components


@dataclass
class _Component:
    demands: list[int]  # global demand indices
    offers: list[int]  # global offer indices
    edges: dict[int, list[tuple[int, tuple[int, ...]]]] = field(default_factory=dict)
    # offer index -> [(demand index, windows)]


@dataclass
class _Choice:
    offer: int
    solo: bool
    split: dict[int, int]  # window -> hundredths


def _components(
    n_demands: int, n_offers: int, edges: list[list[tuple[int, tuple[int, ...]]]]
) -> list[_Component]:
    parent = list(range(n_demands + n_offers))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for j, mine in enumerate(edges):
        rj = find(n_demands + j)
        for i, _ws in mine:
            ri = find(i)
            if ri != rj:
                parent[ri] = rj
                rj = find(rj)
    comps: dict[int, _Component] = {}
    for j, mine in enumerate(edges):
        if not mine:
            continue
        root = find(n_demands + j)
        comp = comps.get(root)
        if comp is None:
            comp = comps[root] = _Component([], [])
        comp.offers.append(j)
        comp.edges[j] = mine
    for i in range(n_demands):
        root = find(i)
        if root in comps:
            comps[root].demands.append(i)
    return sorted(comps.values(), key=lambda c: (-len(c.demands), c.offers[0]))


def _levels(o: _Offer, ceilings: list[Decimal]) -> list[tuple[int, int, Decimal]]:
    """Group-size levels ``(lb, ub, price)`` of constant price for an offer whose sharing
    candidates have these ceilings; levels nobody can reach are left out."""
    src = o.src
    m = len(ceilings)
    hi = m if o.hi is None else min(o.hi, m)
    lo = max(src.min_group, 1)
    raw: list[tuple[int, int, Decimal]] = []
    if src.mode == Mode.VOLUME:
        tiers = src.tiers
        for k, t in enumerate(tiers):
            lb = max(t.min_families, lo)
            ub = tiers[k + 1].min_families - 1 if k + 1 < len(tiers) else hi
            ub = min(ub, hi)
            if lb <= ub:
                raw.append((lb, ub, cents(t.unit_price)))
    else:
        for n in range(lo, hi + 1):
            p = o.price(n)
            if raw and raw[-1][2] == p:
                raw[-1] = (raw[-1][0], n, p)
            else:
                raw.append((n, n, p))
    levels = []
    for lb, ub, p in raw:
        able = sum(1 for c in ceilings if c >= p)
        ub = min(ub, able)
        if lb <= ub:
            levels.append((lb, ub, p))
    return levels


def _greedy(
    comp: _Component,
    demands: Sequence[DemandIn],
    qty: Sequence[int],
    ceil: Sequence[int],
    offers: Sequence[_Offer],
    until: float | None = None,
) -> dict[int, _Choice]:
    """A quick feasible solution, no optimality claimed. Smallest quantities first.

    A bounded group (``max_group`` set) has few places, and nearly all of them fill up,
    so they are kept for the families that need them: a family takes a place in such a
    group only if it cannot be served solo or in an unbounded group, and then in the
    dearest bounded group it can afford (the cheap ones are left to families with low
    ceilings), the one with the most room among equals. Solo and unbounded-group options:
    the one with the most room left in the family's windows, the cheapest among equals.
    A bounded group is first priced at ``max_group`` (the size it is expected to reach,
    so families with a low ceiling can join from the start); a group that ends smaller is
    repaired: the members whose ceiling its real price exceeds leave, and from then on it
    is priced at its current size (joining only lowers the price, so earlier members stay
    within their ceilings; a family joining a group still below ``min_group`` must accept
    the price at ``min_group``). Unserved families are retried once groups have grown;
    groups that end below ``min_group`` are dissolved, their offer takes no group any
    more, and their families are retried. Then the improving passes of ``_improve``
    (moves that never lose a family). Used alone for oversized components and as the
    starting point of the solver otherwise. The passes are repeated while they serve
    more families and a round fits before ``until``
    (``time.perf_counter()`` value; ``None``: once)."""
    by_demand: dict[int, list[tuple[int, tuple[int, ...]]]] = defaultdict(list)
    for j, mine in comp.edges.items():
        for i, ws in mine:
            by_demand[i].append((j, ws))
    rem = {j: dict(offers[j].cap) for j in comp.offers}
    members: dict[int, list[int]] = defaultdict(list)
    closed: set[int] = set()
    exact: set[int] = set()  # bounded groups priced at their current size
    chosen: dict[int, _Choice] = {}
    solo_c: dict[int, int | None] = {}
    low_c: dict[int, int] = {}
    for j in comp.offers:
        o = offers[j]
        solo_c[j] = o.price_cents(1) if o.solo_price is not None else None
        if o.hi is not None:
            if o.hi < max(o.src.min_group, 1):
                closed.add(j)
            else:
                low_c[j] = o.price_cents(o.hi)

    hi_of = {j: offers[j].hi for j in comp.offers}
    lo_of = {j: offers[j].src.min_group for j in comp.offers}
    price_of = {j: offers[j].price_cents for j in comp.offers}

    def place(i: int) -> None:
        sharing = demands[i].sharing
        q = qty[i]
        top = ceil[i]
        best: tuple[int, int, int, int, int] | None = None  # (bounded, -room, cost, solo, j)
        best_ws: tuple[int, ...] = ()
        for j, ws in by_demand[i]:
            r = rem[j]
            room = 0
            for w in ws:
                room += r[w]
            if room < q:
                continue
            if sharing and j not in closed:
                hi = hi_of[j]
                size = len(members[j]) + 1
                if hi is None:
                    lo = lo_of[j]
                    p = price_of[j](size if size > lo else lo)
                    if p <= top:
                        key = (0, -room, p * q, 0, j)
                        if best is None or key < best:
                            best, best_ws = key, ws
                elif size <= hi:
                    if j in exact:
                        lo = lo_of[j]
                        p = price_of[j](size if size > lo else lo)
                    else:
                        p = low_c[j]
                    if p <= top:
                        key = (1, -p, -room, 0, j)
                        if best is None or key < best:
                            best, best_ws = key, ws
            p1 = solo_c[j]
            if p1 is not None and p1 <= top:
                key = (0, -room, p1 * q, 1, j)
                if best is None or key < best:
                    best, best_ws = key, ws
        if best is None:
            return
        solo, j = best[3], best[4]
        chosen[i] = _Choice(j, bool(solo), _take(rem[j], best_ws, q))
        if not solo:
            members[j].append(i)

    def order(ids: Iterable[int]) -> list[int]:
        return sorted(ids, key=lambda i: (qty[i], len(by_demand[i]), ceil[i], i))

    def drop(i: int) -> None:
        c = chosen.pop(i)
        r = rem[c.offer]
        for w, v in c.split.items():
            r[w] += v

    for i in order(comp.demands):
        place(i)
    # Groups have grown since the first families were turned away, so their prices may
    # now be within reach: the unserved families are tried again, as are those of groups
    # that had to be repaired or dissolved, until every group is valid.
    for _round in range(100):
        for i in order(set(comp.demands) - set(chosen)):
            place(i)
        changed = False
        for j, ms in members.items():
            o = offers[j]
            while ms:
                if len(ms) < o.src.min_group:
                    closed.add(j)
                    for i in ms:
                        drop(i)
                    ms.clear()
                    changed = True
                    break
                p = o.price_cents(len(ms))
                bad = [i for i in ms if ceil[i] < p]
                if not bad:
                    break
                exact.add(j)
                changed = True
                for i in bad:
                    drop(i)
                ms[:] = [i for i in ms if i in chosen]
        if not changed:
            break
    else:  # pragma: no cover - the rounds above always settle
        raise RuntimeError("greedy did not settle")
    while True:
        began = time.perf_counter()
        gained = _improve(comp, by_demand, demands, qty, ceil, offers, chosen, rem, members, closed)
        now = time.perf_counter()
        if until is None or gained == 0 or now + (now - began) > until:
            return chosen


def _take(r: dict[int, int], ws: Iterable[int], q: int) -> dict[int, int]:
    """Split ``q`` over the windows ``ws``, the roomiest first, taking it from ``r``."""
    split: dict[int, int] = {}
    left = q
    for w in sorted(ws, key=lambda w: -r[w]):
        take = min(left, r[w])
        if take > 0:
            split[w] = take
            r[w] -= take
            left -= take
        if left == 0:
            break
    return split


def _improve(
    comp: _Component,
    by_demand: Mapping[int, list[tuple[int, tuple[int, ...]]]],
    demands: Sequence[DemandIn],
    qty: Sequence[int],
    ceil: Sequence[int],
    offers: Sequence[_Offer],
    chosen: dict[int, _Choice],
    rem: dict[int, dict[int, int]],
    members: dict[int, list[int]],
    closed: set[int],
) -> int:
    """Passes over a valid solution of ``comp`` (``rem``, ``members`` and ``closed`` as
    the greedy leaves them) that keep it valid and never serve fewer families: (1) an
    unserved sharing family takes the place, in a full group it can afford, of a member
    that stays at the same offer solo (same windows) or moves to a solo or unbounded-group
    option elsewhere; (2) an unserved family short of room at an offer takes the room
    freed by a family that moves elsewhere, replacing it in its group if it was in one
    (or is placed directly where earlier moves freed enough room); (3) solo sharing
    families join their offer's group where the price does not rise for anybody.
    Returns the number of families gained."""
    served = len(chosen)

    def elsewhere(
        k: int, j: int, bounded: bool = False
    ) -> tuple[int, tuple[int, ...], bool] | None:
        """The roomiest option of family ``k`` outside offer ``j``: solo, or in a group
        (with ``bounded``, also a free place in a bounded group)."""
        best: tuple[int, int, tuple[int, ...], bool] | None = None
        q, top = qty[k], ceil[k]
        for j2, ws in by_demand[k]:
            if j2 == j:
                continue
            r = rem[j2]
            room = sum(r[w] for w in ws)
            if room < q or (best is not None and room <= best[0]):
                continue
            o = offers[j2]
            if o.solo_price is not None and o.price_cents(1) <= top:
                best = (room, j2, ws, True)
                continue
            if (bounded or o.hi is None) and j2 not in closed and demands[k].sharing:
                n = len(members[j2]) + 1
                if (o.hi is None or n <= o.hi) and n >= o.src.min_group and o.price_cents(n) <= top:
                    best = (room, j2, ws, False)
        return None if best is None else best[1:]

    flexible: set[int] = set()  # group members with an option elsewhere (lazily)
    looked: set[int] = set()

    for i in sorted(set(comp.demands) - set(chosen), key=lambda i: (qty[i], i)):
        if not demands[i].sharing:
            continue
        q = qty[i]
        for j, ws in by_demand[i]:
            o = offers[j]
            ms = members.get(j)
            if j in closed or not ms or o.hi is None or len(ms) < o.hi:
                continue
            if o.price_cents(len(ms)) > ceil[i]:
                continue
            r = rem[j]
            room = sum(r[w] for w in ws)
            if room >= q and o.solo_price is not None:
                solo = o.price_cents(1)
                stayers = [k for k in ms if ceil[k] >= solo]
                if stayers:
                    k = min(stayers, key=lambda k: (qty[k], k))
                    chosen[k] = _Choice(j, True, chosen[k].split)
                    ms.remove(k)
                    chosen[i] = _Choice(j, False, _take(r, ws, q))
                    ms.append(i)
                    break
            moved = False
            if j not in looked:
                looked.add(j)
                flexible.update(k for k in ms if elsewhere(k, j) is not None)
            for k in sorted((k for k in ms if k in flexible), key=lambda k: (qty[k], k)):
                split = chosen[k].split
                if room + sum(split.get(w, 0) for w in ws) < q:
                    continue
                alt = elsewhere(k, j)
                if alt is None:
                    flexible.discard(k)
                    continue
                j2, ws2, solo2 = alt
                for w, v in split.items():
                    r[w] += v
                ms.remove(k)
                chosen[k] = _Choice(j2, solo2, _take(rem[j2], ws2, qty[k]))
                if not solo2:
                    members[j2].append(k)
                flexible.discard(k)
                chosen[i] = _Choice(j, False, _take(r, ws, q))
                ms.append(i)
                moved = True
                break
            if moved:
                break
    # (2) An unserved family short of room at an offer takes the room freed by a family
    # that moves to another offer (where it has room and can pay), replacing it in the
    # group if it was in one so that the group's size and price stay the same.
    by_offer: dict[int, list[int]] = defaultdict(list)
    for k, c in chosen.items():
        by_offer[c.offer].append(k)
    at: dict[int, list[int]] = {}  # movable families by offer, largest first (lazily)

    def movable(j: int) -> list[int]:
        ks = at.get(j)
        if ks is None:
            ks = at[j] = sorted(
                (k for k in by_offer[j] if k in chosen and chosen[k].offer == j),
                key=lambda k: (-qty[k], k),
            )
        return ks

    for i in sorted(set(comp.demands) - set(chosen), key=lambda i: (qty[i], i)):
        q, top, sharing = qty[i], ceil[i], demands[i].sharing
        for j, ws in by_demand[i]:
            o = offers[j]
            r = rem[j]
            room = 0
            for w in ws:
                room += r[w]
            ms = members[j]
            n = len(ms)
            solo_ok = o.solo_price is not None and o.price_cents(1) <= top
            if room < q and not at.get(j, True):
                continue  # nobody left to move
            join_ok = (
                sharing
                and j not in closed
                and (o.hi is None or n < o.hi)
                and n + 1 >= o.src.min_group
                and o.price_cents(n + 1) <= top
            )
            stay_ok = sharing and n > 0 and o.price_cents(n) <= top
            if not (solo_ok or join_ok or stay_ok):
                continue
            if room >= q:  # room freed by earlier moves
                if solo_ok or join_ok:
                    solo_i = not join_ok or (o.hi is not None and solo_ok)
                    chosen[i] = _Choice(j, solo_i, _take(r, ws, q))
                    if not solo_i:
                        ms.append(i)
                    break
                continue
            done = False
            for k in list(movable(j)):
                if room + qty[k] < q:
                    break  # largest quantities first
                c = chosen[k]
                if room + sum(c.split.get(w, 0) for w in ws) < q:
                    continue
                if c.solo:
                    if not (solo_ok or join_ok):
                        continue
                    solo_i = not join_ok or (o.hi is not None and solo_ok)
                elif stay_ok:
                    solo_i = False
                else:
                    continue
                alt = elsewhere(k, j, bounded=True)
                if alt is None:
                    at[j].remove(k)
                    continue
                j2, ws2, solo2 = alt
                for w, v in c.split.items():
                    r[w] += v
                if not c.solo:
                    ms.remove(k)
                at[j].remove(k)
                chosen[k] = _Choice(j2, solo2, _take(rem[j2], ws2, qty[k]))
                if not solo2:
                    members[j2].append(k)
                chosen[i] = _Choice(j, solo_i, _take(r, ws, q))
                if not solo_i:
                    ms.append(i)
                done = True
                break
            if done:
                break
    solos: dict[int, list[int]] = defaultdict(list)
    for i, c in chosen.items():
        if c.solo and demands[i].sharing and c.offer not in closed:
            solos[c.offer].append(i)
    for j, ks in solos.items():
        o = offers[j]
        ms = members[j]
        for k in sorted(ks, key=lambda k: (-qty[k], k)):
            n = len(ms) + 1
            if (o.hi is not None and n > o.hi) or n < o.src.min_group:
                continue
            p = o.price_cents(n)
            if p > ceil[k] or p > o.price_cents(1) or (ms and p > o.price_cents(n - 1)):
                continue
            chosen[k] = _Choice(j, False, chosen[k].split)
            ms.append(k)
    return len(chosen) - served


def _solve(
    comp: _Component,
    demands: Sequence[DemandIn],
    qty: Sequence[int],
    ceil: Sequence[int],
    offers: Sequence[_Offer],
    time_limit_s: float,
    workers: int,
    max_model_vars: int,
) -> tuple[dict[int, _Choice], bool]:
    """The component's assignment and whether it is proven optimal."""
    hint = _greedy(comp, demands, qty, ceil, offers)
    got, optimal = _cp_solve(
        comp, demands, qty, offers, hint, time_limit_s, workers, max_model_vars
    )
    return (hint, False) if got is None else (got, optimal)


def _cp_solve(
    comp: _Component,
    demands: Sequence[DemandIn],
    qty: Sequence[int],
    offers: Sequence[_Offer],
    hint: Mapping[int, _Choice],
    time_limit_s: float,
    workers: int,
    max_model_vars: int,
) -> tuple[dict[int, _Choice] | None, bool]:
    """CP-SAT on ``comp`` (an offers' capacities entirely available to its demands),
    starting from the valid solution ``hint``: the best solution found, never worse than
    the hint, and whether it is proven optimal; ``None`` if the model would be larger
    than ``max_model_vars`` or nothing was solved."""
    n_edges = sum(len(e) for e in comp.edges.values())
    if 2 * n_edges > max_model_vars:  # the model has at least this many variables
        return None, False
    model = cp_model.CpModel()
    # Per offer: levels, then variables.
    plan: list[tuple[int, list[tuple[int, int, Decimal]], list[int]]] = []
    n_vars = 0
    for j in comp.offers:
        o = offers[j]
        sharers = [i for i, _ws in comp.edges[j] if demands[i].sharing]
        lv = _levels(o, [demands[i].max_price for i in sharers])
        plan.append((j, lv, sharers))
        for _lb, _ub, p in lv:
            n_vars += 1 + sum(1 for i in sharers if demands[i].max_price >= p)
        for _i, ws in comp.edges[j]:
            n_vars += 1 + (len(ws) if len(ws) > 1 else 0)
        if n_vars > max_model_vars:
            return None, False

    per_demand: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    cost_terms: list[tuple[cp_model.IntVar, int]] = []
    worst: dict[int, int] = defaultdict(int)
    hints: list[tuple[cp_model.IntVar, int]] = []
    options: list[tuple[int, int, bool, cp_model.IntVar]] = []  # (demand, offer, solo, var)
    flows_of: dict[tuple[int, int], dict[int, cp_model.IntVar]] = {}
    windows_of: dict[tuple[int, int], tuple[int, ...]] = {}
    for j, lv, sharers in plan:
        o = offers[j]
        uses: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        level_vars = []
        group_members = {i for i, c in hint.items() if c.offer == j and not c.solo}
        n_hint = len(group_members)
        for lb, ub, p in lv:
            y = model.new_bool_var("")
            level_vars.append(y)
            in_level = lb <= n_hint <= ub
            hints.append((y, int(in_level)))
            xs = []
            for i in sharers:
                if demands[i].max_price < p:
                    continue
                x = model.new_bool_var("")
                model.add_implication(x, y)
                xs.append(x)
                uses[i].append(x)
                options.append((i, j, False, x))
                c = _cost_cents(p, qty[i])
                cost_terms.append((x, c))
                worst[i] = max(worst[i], c)
                hints.append((x, int(in_level and i in group_members)))
            model.add(sum(xs) >= lb * y)
            model.add(sum(xs) <= ub * y)
        if len(level_vars) > 1:
            model.add_at_most_one(level_vars)
        if o.solo_price is not None:
            for i, _ws in comp.edges[j]:
                if o.solo_price > demands[i].max_price:
                    continue
                s = model.new_bool_var("")
                uses[i].append(s)
                options.append((i, j, True, s))
                c = _cost_cents(o.solo_price, qty[i])
                cost_terms.append((s, c))
                worst[i] = max(worst[i], c)
                ch = hint.get(i)
                hints.append((s, int(ch is not None and ch.offer == j and ch.solo)))
        load: dict[int, list[cp_model.LinearExprT]] = defaultdict(list)
        demand_on: dict[int, int] = defaultdict(int)
        for i, ws in comp.edges[j]:
            if not uses[i]:
                continue
            windows_of[(i, j)] = ws
            per_demand[i].extend(uses[i])
            used = sum(uses[i])
            q = qty[i]
            if len(ws) == 1:
                load[ws[0]].append(q * used)
                demand_on[ws[0]] += q
                continue
            ch = hint.get(i)
            flows: dict[int, cp_model.IntVar] = {}
            for w in ws:
                f = model.new_int_var(0, min(q, o.cap[w]), "")
                flows[w] = f
                load[w].append(f)
                demand_on[w] += min(q, o.cap[w])
                hints.append((f, ch.split.get(w, 0) if ch is not None and ch.offer == j else 0))
            flows_of[(i, j)] = flows
            model.add(sum(flows.values()) == q * used)
        for w, terms in load.items():
            if demand_on[w] > o.cap[w]:  # otherwise the window cannot overflow
                model.add(sum(terms) <= o.cap[w])
    for xs in per_demand.values():
        if len(xs) > 1:
            model.add_at_most_one(xs)
    weight = 1 + sum(worst.values())
    served = [v for xs in per_demand.values() for v in xs]
    model.minimize(sum(c * v for v, c in cost_terms) - weight * sum(served))
    for v, val in hints:
        model.add_hint(v, val)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 12345
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False
    chosen: dict[int, _Choice] = {}
    for i, j, solo, v in options:
        if not solver.boolean_value(v):
            continue
        fl = flows_of.get((i, j))
        if fl is None:
            split = {windows_of[(i, j)][0]: qty[i]}
        else:
            split = {w: val for w, f in fl.items() if (val := int(solver.value(f))) > 0}
        chosen[i] = _Choice(j, solo, split)
    if status != cp_model.OPTIMAL and _score(hint, qty, offers) > _score(chosen, qty, offers):
        return dict(hint), False
    return chosen, status == cp_model.OPTIMAL


def _score(
    chosen: Mapping[int, _Choice], qty: Sequence[int], offers: Sequence[_Offer]
) -> tuple[int, int]:
    """``(families served, −total cost in cents)``: larger is better."""
    size: dict[int, int] = defaultdict(int)
    for c in chosen.values():
        if not c.solo:
            size[c.offer] += 1
    cost = 0
    for i, c in chosen.items():
        o = offers[c.offer]
        cost += _cost_cents(o.price(1 if c.solo else size[c.offer]), qty[i])
    return len(chosen), -cost


def _cost_cents(price: Decimal, q: int) -> int:
    """Weekly cost in cents of ``q`` hundredths of a unit at ``price``."""
    return int(cents(price * Decimal(q) / HUNDRED) * HUNDRED)


# --------------------------------------------------------------------------- entry points


def match(
    demands: Sequence[DemandIn],
    offers: Sequence[OfferIn],
    *,
    time_limit_s: float = 10.0,
    workers: int = 2,
    max_model_vars: int = 400_000,
    total_time_s: float | None = None,
) -> MatchResult:
    """Serve as many families as possible, then at the least total weekly cost (see the
    module docstring). ``time_limit_s`` bounds the solver per component; components whose
    model would exceed ``max_model_vars`` variables keep the greedy solution. ``optimal``
    says whether every component was proven optimal.

    ``total_time_s``, if given, is a wall-clock budget for the whole call, shared by the
    components in proportion to their demands: a component gets CP-SAT for at most its
    share (and at most ``time_limit_s``), an oversized one repeats the greedy's improving
    passes while they serve more families and fit in its share; the time left at the end
    is shared by the components CP-SAT has not proven optimal, resumed from their best
    solution. The greedy itself always runs, so a budget too small for it is exceeded.
    ``None``: per-component limits only."""
    began = time.perf_counter()
    prepared = [_Offer.of(o) for o in offers]
    cols = _Demands(demands)
    qty: list[int] = cols.qty.tolist()
    ceil: list[int] = cols.ceil.tolist()
    edges = _edges(cols, prepared)
    comps = _components(len(demands), len(prepared), edges)
    chosen: dict[int, _Choice] = {}
    proven = 0
    if total_time_s is None:
        for comp in comps:
            part, ok = _solve(
                comp, demands, qty, ceil, prepared, time_limit_s, workers, max_model_vars
            )
            chosen.update(part)
            proven += ok
    else:
        # One budget for the whole call, shared by the components in proportion to
        # their demands (less the time kept for building the result): CP-SAT where the
        # model is small enough, more rounds of the greedy's improving passes elsewhere.
        deadline = began + total_time_s - (0.1 + 8e-6 * len(demands))
        todo = sum(len(c.demands) for c in comps)
        unproven: list[tuple[_Component, dict[int, _Choice]]] = []
        for comp in comps:
            now = time.perf_counter()
            until = now + max(0.0, deadline - now) * len(comp.demands) / todo
            todo -= len(comp.demands)
            n_edges = sum(len(e) for e in comp.edges.values())
            if 2 * n_edges > max_model_vars:
                chosen.update(_greedy(comp, demands, qty, ceil, prepared, until))
                continue
            hint = _greedy(comp, demands, qty, ceil, prepared)
            share = min(time_limit_s, until - time.perf_counter())
            got, ok = (None, False)
            if share > 0.01:
                got, ok = _cp_solve(
                    comp, demands, qty, prepared, hint, share, workers, max_model_vars
                )
            if got is not None and not ok:
                unproven.append((comp, got))
            else:
                chosen.update(hint if got is None else got)
                proven += ok
        # The time left goes to the components CP-SAT has not proven optimal yet, each
        # resumed from its best solution.
        for k, (comp, part) in enumerate(unproven):
            share = (deadline - time.perf_counter()) / (len(unproven) - k)
            if share > 0.05:
                got, ok = _cp_solve(
                    comp, demands, qty, prepared, part, share, workers, max_model_vars
                )
                if got is not None:
                    part = got
                    proven += ok
            chosen.update(part)
    result = _result(chosen, demands, qty, prepared)
    result.components = len(comps)
    result.optimal = proven == len(comps)
    result.optimal_components = proven
    result.largest_component = max((len(c.demands) for c in comps), default=0)
    result.seconds = time.perf_counter() - began
    return result


def _result(
    chosen: Mapping[int, _Choice],
    demands: Sequence[DemandIn],
    qty: Sequence[int],
    offers: Sequence[_Offer],
) -> MatchResult:
    members: dict[int, list[int]] = defaultdict(list)
    for i, c in chosen.items():
        if not c.solo:
            members[c.offer].append(i)
    groups: list[GroupOut] = []
    group_price: dict[int, tuple[Decimal, int, int]] = {}
    for j in sorted(members):
        o = offers[j]
        n = len(members[j])
        p = o.price(n)
        tier = tier_reached(o.src.tiers, n)
        group_price[j] = (p, n, tier)
        ids = tuple(sorted(demands[i].id for i in members[j]))
        groups.append(GroupOut(o.src.id, n, p, tier, ids))
    assignments: list[Assignment] = []
    total = Decimal(0)
    solo_price: dict[int, tuple[Decimal, int, int]] = {}
    amounts: dict[int, Decimal] = {}
    for i in sorted(chosen, key=lambda i: demands[i].id):
        c = chosen[i]
        o = offers[c.offer]
        d = demands[i]
        if c.solo:
            got = solo_price.get(c.offer)
            if got is None:
                got = solo_price[c.offer] = (o.price(1), 1, tier_reached(o.src.tiers, 1))
            p, n, tier = got
        else:
            p, n, tier = group_price[c.offer]
        cost = cents(p * d.quantity)
        total += cost
        split: dict[int, Decimal] = {}
        for w in sorted(c.split):
            v = c.split[w]
            if v > 0:
                amount = amounts.get(v)
                if amount is None:
                    amount = amounts[v] = Decimal(v) / HUNDRED
                split[w] = amount
        assignments.append(Assignment(d.id, o.src.id, c.solo, p, n, tier, cost, split))
    return MatchResult(
        assignments=assignments,
        groups=groups,
        families_served=len(assignments),
        total_weekly_cost=total,
        components=0,
        optimal=True,
        seconds=0.0,
    )


def pools(demands: Sequence[DemandIn], offers: Sequence[OfferIn]) -> list[PoolOut]:
    """Aggregation, per offer: its compatible sharing demands whose ceiling some allowed
    group size can meet and whose quantity fits the common windows' capacity (the same
    edges ``match`` uses). ``size`` counts them; ``unit_price`` is the price at that size
    (at ``max_group`` if the pool is larger), ``None`` while it is below ``min_group``;
    ``next_tier`` is ``(families missing, price)`` for the next size where the price falls
    (below ``min_group``: the families missing to start the group and its price then),
    ``None`` if it never falls within ``max_group``. Offers with no such demand are left
    out. Demands are bucketed by (category, comune): the work is proportional to edges."""
    cols = _Demands(demands)
    out: list[PoolOut] = []
    for src in offers:
        o = _Offer.of(src)
        if o.best_group_price is None:
            continue
        idx, _common = cols.candidates(o, sharing_only=True)
        ids = sorted(demands[i].id for i in idx.tolist())
        if not ids:
            continue
        size = len(ids)
        eff = size if src.max_group is None else min(size, src.max_group)
        lo = max(src.min_group, 1)
        price: Decimal | None
        nxt: tuple[int, Decimal] | None
        if eff < lo:
            price, nxt = None, (lo - size, o.price(lo))
        else:
            price = o.price(eff)
            nxt = next_tier(src.tiers, src.mode, eff)
            if nxt is not None and src.max_group is not None and eff + nxt[0] > src.max_group:
                nxt = None
            if nxt is not None:
                nxt = (eff + nxt[0] - size, nxt[1])
        out.append(PoolOut(src.id, tuple(ids), size, price, nxt))
    return out


def check(result: MatchResult, demands: Sequence[DemandIn], offers: Sequence[OfferIn]) -> list[str]:
    """Problems of ``result`` against the rules of the module docstring; empty if valid."""
    problems: list[str] = []
    dem = {d.id: d for d in demands}
    off = {o.id: o for o in offers}
    seen: set[int] = set()
    load: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    members: dict[int, list[Assignment]] = defaultdict(list)
    total = Decimal(0)
    for a in result.assignments:
        d, o = dem.get(a.demand_id), off.get(a.offer_id)
        if d is None or o is None:
            problems.append(f"demand {a.demand_id}/offer {a.offer_id}: unknown")
            continue
        tag = f"demand {d.id} at offer {o.id}"
        if d.id in seen:
            problems.append(f"{tag}: demand assigned more than once")
        seen.add(d.id)
        if not compatible(d, o):
            problems.append(f"{tag}: not compatible")
        if a.unit_price > d.max_price:
            problems.append(f"{tag}: price {a.unit_price} above ceiling {d.max_price}")
        if a.solo:
            if o.min_group > 1:
                problems.append(f"{tag}: solo but min_group is {o.min_group}")
            if a.unit_price != unit_price(o.tiers, o.mode, 1) or a.group_size != 1:
                problems.append(f"{tag}: solo price or size wrong")
        else:
            if not d.sharing:
                problems.append(f"{tag}: in a group without accepting sharing")
            members[o.id].append(a)
        if a.weekly_cost != cents(a.unit_price * d.quantity):
            problems.append(f"{tag}: weekly cost {a.weekly_cost} wrong")
        total += a.weekly_cost
        placed = Decimal(0)
        for w, v in a.split.items():
            if not (d.windows >> w & 1) or o.capacity.get(w, Decimal(0)) <= 0:
                problems.append(f"{tag}: window {w} not common")
            if v < 0 or v != v.quantize(Decimal("0.01")):
                problems.append(f"{tag}: bad amount {v} in window {w}")
            placed += v
            load[(o.id, w)] += v
        if placed != d.quantity:
            problems.append(f"{tag}: split {placed} != quantity {d.quantity}")
    for (oid, w), v in sorted(load.items()):
        cap = off[oid].capacity.get(w, Decimal(0))
        if v > cap:
            problems.append(f"offer {oid} window {w}: load {v} above capacity {cap}")
    groups = {g.offer_id: g for g in result.groups}
    if len(groups) != len(result.groups):
        problems.append("more than one group for an offer")
    for oid, ms in members.items():
        o = off[oid]
        n = len(ms)
        if n < o.min_group or (o.max_group is not None and n > o.max_group):
            problems.append(f"offer {oid}: group of {n} outside [{o.min_group}, {o.max_group}]")
        p = unit_price(o.tiers, o.mode, n)
        for a in ms:
            if a.unit_price != p or a.group_size != n:
                problems.append(f"demand {a.demand_id} at offer {oid}: group price/size wrong")
            if a.tier_min_families != tier_reached(o.tiers, n):
                problems.append(f"demand {a.demand_id} at offer {oid}: tier wrong")
        g = groups.get(oid)
        ids = tuple(sorted(a.demand_id for a in ms))
        if g is None or g.size != n or g.unit_price != p or g.demand_ids != ids:
            problems.append(f"offer {oid}: group record does not match its assignments")
    for oid in groups:
        if oid not in members:
            problems.append(f"offer {oid}: group without members")
    if result.families_served != len(result.assignments):
        problems.append("families_served does not match the assignments")
    if result.total_weekly_cost != total:
        problems.append("total_weekly_cost does not match the assignments")
    return problems
