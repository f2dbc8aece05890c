"""Synthetic province-scale input for the matching benchmark (fixed seed).

The 113 comuni of the province of Cremona come from ``legami/data/ambiti_cremona.csv``
(comune id = row index). Nine categories of care service have a market price and the
windows they are usually needed in (weekday afternoons for doposcuola, mornings for
elderly care, …). Demands: a comune, 1–5 windows of the category's pattern, 1–20 units a
week in steps of 0.5, a ceiling at the market price ±30%, a period within 2026, 70%
accepting to share. Offers: a cooperative serves 3–12 comuni of ONE ambito, 1–4 volume or
graduated tiers falling from about the market price, ``min_group`` 1–4, an optional
``max_group``; capacities are set so that in every category × ambito the offers' total
weekly capacity is 60–90% of the demand there.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from civic_center.matching import DemandIn, OfferIn
from civic_center.pricing import Mode, Tier

CSV = Path(__file__).resolve().parent.parent / "legami" / "data" / "ambiti_cremona.csv"
MON_FRI = range(5)
MORNING, AFTERNOON, EVENING = 0, 1, 2


def _w(days: range | list[int], bands: list[int]) -> tuple[int, ...]:
    return tuple(d * 3 + b for d in days for b in bands)


@dataclass(frozen=True)
class Category:
    name: str
    price: Decimal  # market unit price
    windows: tuple[int, ...]  # usual windows
    weight: int  # share of demand


CATEGORIES = (
    Category("doposcuola", Decimal("12"), _w(MON_FRI, [AFTERNOON]), 22),
    Category("babysitting", Decimal("10"), _w(range(7), [AFTERNOON, EVENING]), 18),
    Category("assistenza domiciliare", Decimal("20"), _w(range(6), [MORNING]), 16),
    Category("pre-scuola", Decimal("8"), _w(MON_FRI, [MORNING]), 8),
    Category("centro estivo", Decimal("15"), _w(MON_FRI, [MORNING, AFTERNOON]), 8),
    Category("sostegno DSA", Decimal("25"), _w(MON_FRI, [AFTERNOON]), 7),
    Category("aiuto domestico", Decimal("14"), _w(range(6), [MORNING, AFTERNOON]), 9),
    Category("accompagnamento", Decimal("18"), _w(MON_FRI, [MORNING]), 5),
    Category("sport e tempo libero", Decimal("9"), _w(range(6), [AFTERNOON]), 7),
)
YEAR = date(2026, 1, 1)


def comuni() -> list[tuple[str, str]]:
    """``(name, ambito)`` per comune; the row index is the comune id."""
    with CSV.open(newline="", encoding="utf-8") as fh:
        return [(row["name"], row["ambito"]) for row in csv.DictReader(fh)]


def _money(x: float) -> Decimal:
    return Decimal(f"{x:.2f}")


def generate(
    n_demands: int = 100_000, n_offers: int = 2_000, seed: int = 20260
) -> tuple[list[DemandIn], list[OfferIn]]:
    """Demands and offers for the whole province (deterministic for a seed)."""
    rng = random.Random(seed)
    places = comuni()
    by_ambito: dict[str, list[int]] = defaultdict(list)
    for i, (_name, ambito) in enumerate(places):
        by_ambito[ambito].append(i)
    weights = [c.weight for c in CATEGORIES]
    demands: list[DemandIn] = []
    load: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for k in range(n_demands):
        cat = rng.choices(range(len(CATEGORIES)), weights)[0]
        c = CATEGORIES[cat]
        comune = rng.randrange(len(places))
        wins = rng.sample(c.windows, min(len(c.windows), rng.randint(1, 5)))
        mask = 0
        for w in wins:
            mask |= 1 << w
        start = YEAR + timedelta(days=rng.randrange(300))
        end = min(start + timedelta(days=rng.randint(60, 365)), date(2026, 12, 31))
        quantity = Decimal(rng.randint(2, 40)) / 2
        demands.append(
            DemandIn(
                id=k + 1,
                category=cat,
                comune=comune,
                windows=mask,
                start=start,
                end=end,
                quantity=quantity,
                max_price=_money(float(c.price) * rng.uniform(0.7, 1.3)),
                sharing=rng.random() < 0.7,
            )
        )
        load[(cat, places[comune][1])] += quantity
    # Offers per category × ambito in proportion to demand there.
    cells = sorted(load)
    total = sum(load.values())
    exact = {cell: n_offers * load[cell] / total for cell in cells}
    counts = {cell: max(1, int(exact[cell])) for cell in cells}
    by_remainder = sorted(cells, key=lambda c: int(exact[c]) - exact[c])
    for cell in by_remainder[: max(0, n_offers - sum(counts.values()))]:
        counts[cell] += 1  # largest remainders first: exactly n_offers in all
    offers: list[OfferIn] = []
    for cell in cells:
        cat, ambito = cell
        c = CATEGORIES[cat]
        area = by_ambito[ambito]
        served = [rng.sample(area, rng.randint(3, min(12, len(area)))) for _ in range(counts[cell])]
        share = sum(len(s) for s in served)
        supply = float(load[cell]) * rng.uniform(0.6, 0.9)
        for cs in served:
            n_w = rng.randint(min(3, len(c.windows)), len(c.windows))
            wins = rng.sample(c.windows, n_w)
            per_window = supply * len(cs) / share / n_w
            capacity = {
                w: Decimal(max(1, round(per_window * rng.uniform(0.7, 1.3) * 2))) / 2 for w in wins
            }
            price = float(c.price) * rng.uniform(0.85, 1.15)
            mins = [1] + sorted(rng.sample(range(2, 9), rng.randint(0, 3)))
            tiers = []
            for m in mins:
                tiers.append(Tier(m, _money(price)))
                price *= rng.uniform(0.85, 0.95)
            min_group = rng.randint(1, 4)
            max_group = None if rng.random() < 0.3 else max(min_group, rng.randint(4, 15))
            start = YEAR + timedelta(days=rng.randrange(120))
            offers.append(
                OfferIn(
                    id=len(offers) + 1,
                    category=cat,
                    comuni=frozenset(cs),
                    capacity=capacity,
                    mode=rng.choice([Mode.VOLUME, Mode.GRADUATED]),
                    tiers=tuple(tiers),
                    min_group=min_group,
                    max_group=max_group,
                    start=start,
                    end=start + timedelta(days=rng.randint(180, 365)),
                )
            )
    return demands, offers
