"""The coopetition board's reads: open demand by comune and weekly window, who covers
what, where demand meets no capacity, and the market figures of each service.

Every query starts from the access policy: demand from
``visible_to(user, "civic_center.demand_market")`` (pseudonymised demand of the ambiti
the user's organisations serve) and coverage from
``visible_to(user, "civic_center.offer_coverage")`` (published offers, no prices).
Counting is done by the database (``values()`` / ``annotate()``): the number of queries
does not grow with the number of demands or offers.

Small cells are suppressed, as for every aggregate of Legami: a count of one or two
demands is shown as "<3" and left out of the colour scale, so that no family can be
singled out by where and when it needs help. The public market figures follow the same
rule; the median of families' price ceilings is shown only when at least five families
are looking for the service (with three, the median is one family's ceiling), and the
median of published single-family prices only when at least five different
organisations publish in the service (fewer would let a competitor work out a rival's
price). Medians are computed by the database, a bounded number of rows per service.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from civic_center import windows
from civic_center.models import (
    Demand,
    DemandStatus,
    Offer,
    OfferStatus,
    OfferWindow,
    PriceTier,
    ServiceCategory,
)
from legami.models import Ambito, Comune
from legami.policy import Action, visible_to

# Counts below this are shown as "<3" and left out of the colour scale.
SMALL_CELL = 3
# Colour levels of the heat map: legami-heat-0 (no demand) .. legami-heat-5.
HEAT_LEVELS = 5
# Organisations that must publish in a service before the median price is shown: the
# competition authorities' "safety zone" for sharing price information is at least five
# sources (with three, the median is one of them, and a provider who knows its own price
# learns much about the other two).
MIN_PROVIDERS_FOR_PRICES = 5
# Open demands a service must have before the median of their price ceilings is shown:
# the same five as for providers' prices (with three demands the median is one family's
# ceiling, and with four the mean of two of them).
MIN_DEMANDS_FOR_CEILING = 5

DEMAND_MARKET = "civic_center.demand_market"
OFFER_COVERAGE = "civic_center.offer_coverage"


def market_demand_scope(user: Any) -> QuerySet[Demand]:
    """The demand rows ``user`` may count (pseudonymised demand, as the policy says)."""
    return visible_to(user, DEMAND_MARKET, Action.LIST, queryset=Demand.objects.all())


def coverage_scope(user: Any) -> QuerySet[Offer]:
    """The offers ``user`` may see as coverage (no prices): published and still valid."""
    return visible_to(user, OFFER_COVERAGE, Action.LIST, queryset=Offer.objects.all()).filter(
        status=OfferStatus.PUBLISHED, valid_until__gte=timezone.localdate()
    )


def board_ambiti(user: Any) -> QuerySet[Ambito]:
    """The ambiti whose demand ``user`` sees, for the board's ambito selector."""
    return Ambito.objects.filter(
        is_active=True,
        pk__in=market_demand_scope(user).values("comune__ambito"),
    ).order_by("name")


def board_comuni(user: Any) -> QuerySet[Comune]:
    """The comuni of the ambiti whose demand ``user`` sees (filters of the market)."""
    return Comune.objects.filter(ambito__in=board_ambiti(user)).order_by("name")


# --- The heat map -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    window: int
    count: int
    level: int  # 0..HEAT_LEVELS, or -1 for a suppressed cell

    @property
    def suppressed(self) -> bool:
        return 0 < self.count < SMALL_CELL

    @property
    def shown(self) -> str:
        if self.suppressed:
            return f"<{SMALL_CELL}"
        return str(self.count)

    @property
    def css(self) -> str:
        return "legami-heat-s" if self.suppressed else f"legami-heat-{self.level}"

    @property
    def label(self) -> str:
        return windows.label(self.window)


@dataclass
class HeatRow:
    comune_id: int
    comune: str
    cells: list[Cell] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(c.count for c in self.cells)


def _level(count: int, top: int) -> int:
    if count == 0:
        return 0
    if count < SMALL_CELL or top == 0:
        return -1
    return max(1, math.ceil(HEAT_LEVELS * count / top))


def _window_counts(demand: QuerySet[Demand]) -> dict[int, list[int]]:
    """``{comune_id: [count of demands needing window 0, …, window 20]}`` in one query."""
    annotations = {
        f"w{i}": Count("pk", filter=Q(GreaterThan(F("windows").bitand(1 << i), 0)))
        for i in range(windows.COUNT)
    }
    rows = demand.order_by().values("comune_id").annotate(**annotations)
    return {row["comune_id"]: [row[f"w{i}"] for i in range(windows.COUNT)] for row in rows}


def open_demand(user: Any, *, ambito: Ambito, category: ServiceCategory) -> QuerySet[Demand]:
    return market_demand_scope(user).filter(
        status=DemandStatus.OPEN, category=category, comune__ambito=ambito
    )


def heat_map(user: Any, *, ambito: Ambito, category: ServiceCategory) -> list[HeatRow]:
    """One row per comune of ``ambito`` with the number of open demands for ``category``
    in each of the 21 weekly windows (a demand counts in every window it names). Cells
    of 1–2 demands are suppressed; the colour level of the others is relative to the
    largest shown cell."""
    counts = _window_counts(open_demand(user, ambito=ambito, category=category))
    comuni = Comune.objects.filter(ambito=ambito).order_by("name").values_list("pk", "name")
    top = max(
        (c for per in counts.values() for c in per if c >= SMALL_CELL),
        default=0,
    )
    result = []
    for pk, name in comuni:
        per = counts.get(pk, [0] * windows.COUNT)
        result.append(
            HeatRow(
                comune_id=pk,
                comune=name,
                cells=[Cell(i, per[i], _level(per[i], top)) for i in range(windows.COUNT)],
            )
        )
    return result


# --- Who covers what, and the gaps ------------------------------------------------------------


def coverage(user: Any, *, ambito: Ambito, category: ServiceCategory) -> dict[int, list[str]]:
    """``{comune_id: [organisation names]}``: who has a published offer for ``category``
    serving each comune of ``ambito`` (the lead organisation and its joint partners; no
    prices)."""
    offers = coverage_scope(user).filter(category=category)
    links = Offer.comuni.through.objects.filter(offer__in=offers, comune__ambito=ambito)
    covered: dict[int, set[str]] = defaultdict(set)
    for comune_id, name in links.values_list("comune_id", "offer__organisation__name").distinct():
        covered[comune_id].add(name)
    for comune_id, name in (
        links.filter(offer__partners__isnull=False)
        .values_list("comune_id", "offer__partners__organisation__name")
        .distinct()
    ):
        covered[comune_id].add(name)
    return {pk: sorted(names) for pk, names in covered.items()}


@dataclass(frozen=True)
class Gap:
    comune: str
    window: int
    count: int

    @property
    def label(self) -> str:
        return windows.label(self.window)

    @property
    def shown(self) -> str:
        return f"<{SMALL_CELL}" if self.count < SMALL_CELL else str(self.count)


def covered_cells(user: Any, *, ambito: Ambito, category: ServiceCategory) -> set[tuple[int, int]]:
    """``{(comune_id, window)}`` where a published offer for ``category`` has capacity."""
    offers = coverage_scope(user).filter(category=category)
    rows = (
        OfferWindow.objects.filter(offer__in=offers, units__gt=0, offer__comuni__ambito=ambito)
        .values_list("offer__comuni", "window")
        .distinct()
    )
    return {(comune_id, window) for comune_id, window in rows}


def gaps(heat: list[HeatRow], covered: set[tuple[int, int]]) -> list[Gap]:
    """The cells of ``heat`` with demand and no published capacity, busiest first."""
    found = [
        Gap(row.comune, cell.window, cell.count)
        for row in heat
        for cell in row.cells
        if cell.count > 0 and (row.comune_id, cell.window) not in covered
    ]
    return sorted(found, key=lambda g: (-g.count, g.comune, g.window))


# --- Market figures ---------------------------------------------------------------------------


@dataclass
class MarketFigures:
    category: ServiceCategory
    demands: int = 0
    units_per_week: Decimal = Decimal(0)
    median_ceiling: Decimal | None = None
    providers: int = 0
    median_price: Decimal | None = None

    @property
    def demand_suppressed(self) -> bool:
        return 0 < self.demands < SMALL_CELL

    @property
    def demands_shown(self) -> str:
        return f"<{SMALL_CELL}" if self.demand_suppressed else str(self.demands)

    @property
    def ceiling_suppressed(self) -> bool:
        """Demand shown as a count, but too few demands for the median ceiling."""
        return SMALL_CELL <= self.demands < MIN_DEMANDS_FOR_CEILING

    @property
    def prices_shown(self) -> bool:
        return self.providers >= MIN_PROVIDERS_FOR_PRICES and self.median_price is not None


def _db_median(rows: QuerySet[Any], field: str, count: int) -> Decimal | None:
    """The median of ``field`` over ``rows`` (``count`` of them), read from the database
    as the middle one or two values: one query, at most two rows."""
    if count <= 0:
        return None
    start = (count - 1) // 2
    middle = list(
        rows.order_by(field, "pk").values_list(field, flat=True)[start : start + 2 - count % 2]
    )
    if not middle:
        return None
    return (sum(middle, Decimal(0)) / len(middle)).quantize(Decimal("0.01"))


def market_figures(
    *, demand: QuerySet[Demand] | None = None, offers: QuerySet[Offer] | None = None
) -> list[MarketFigures]:
    """The figures of every active service: open demands, total units per week, the
    median price ceiling when at least five families are looking for it, number of
    providers, and the median published single-family price when at least five
    organisations publish in it. Five queries, plus at most two per service whose medians
    are shown (each reads at most two rows), whatever the number of demands and offers.

    ``demand`` and ``offers`` narrow what is counted (the board passes the user's policy
    scopes); by default the whole network's open demand and published valid offers are
    aggregated, which is what the public market page shows: aggregates with small cells
    suppressed, no row and no organisation's price. Demand figures of fewer than three
    demands are not shown, and the median ceiling of fewer than five (it would be one
    family's ceiling, or the mean of two)."""
    today = timezone.localdate()
    demand = (demand if demand is not None else Demand.objects.all()).filter(
        status=DemandStatus.OPEN
    )
    offers = (offers if offers is not None else Offer.objects.all()).filter(
        status=OfferStatus.PUBLISHED, valid_until__gte=today
    )
    figures = {c.pk: MarketFigures(c) for c in ServiceCategory.objects.filter(is_active=True)}

    for row in (
        demand.order_by()
        .values("category_id")
        .annotate(n=Count("pk"), units=Sum("quantity_per_week"))
    ):
        if row["category_id"] in figures:
            f = figures[row["category_id"]]
            f.demands, f.units_per_week = row["n"], row["units"] or Decimal(0)

    for row in (
        offers.order_by().values("category_id").annotate(n=Count("organisation", distinct=True))
    ):
        if row["category_id"] in figures:
            figures[row["category_id"]].providers = row["n"]

    # The single-family prices (each offer's tier from one family), counted per service.
    single_prices = PriceTier.objects.filter(offer__in=offers, min_families=1)
    singles = {
        row["offer__category_id"]: row["n"]
        for row in single_prices.order_by().values("offer__category_id").annotate(n=Count("pk"))
    }
    for pk, f in figures.items():
        if f.demands < SMALL_CELL:
            f.units_per_week = Decimal(0)
        if f.demands >= MIN_DEMANDS_FOR_CEILING:
            f.median_ceiling = _db_median(
                demand.filter(category_id=pk), "max_unit_price", f.demands
            )
        if f.providers >= MIN_PROVIDERS_FOR_PRICES:
            f.median_price = _db_median(
                single_prices.filter(offer__category_id=pk), "unit_price", singles.get(pk, 0)
            )
    return list(figures.values())


def board_market_figures(user: Any) -> list[MarketFigures]:
    """The market figures over what ``user`` may see (demand and coverage scopes)."""
    return market_figures(demand=market_demand_scope(user), offers=coverage_scope(user))
