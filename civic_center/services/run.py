"""Matching runs: a coordinator asks, a Celery task aggregates the open demand of the
ambito into pools, solves the matching (``civic_center.matching``) and turns each
matched pool into a proposed group agreement."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from civic_center import matching, pricing
from civic_center.models import (
    ACTIVE_MEMBER,
    Agreement,
    AgreementEvent,
    AgreementMember,
    AgreementStatus,
    Demand,
    DemandStatus,
    MatchingRun,
    Offer,
    OfferStatus,
    RunStatus,
    ServiceCategory,
)
from civic_center.services.agreement import _mail, _mail_provider, answer_deadline, offer_tiers
from legami.audit import audit_change
from legami.models import Ambito
from legami.policy import Action, require

log = logging.getLogger(__name__)

# A run still queued or running after this long is taken as lost (see run_request); the
# task's own time limit (civic_center.tasks.run_matching) is well below it.
STALE_AFTER = dt.timedelta(minutes=15)


def run_request(*, by: Any, ambito: Ambito, category: ServiceCategory | None = None) -> MatchingRun:
    """Ask for a matching run of ``ambito`` (optionally one service). One run at a time
    per ambito: while one is queued or running, asking again returns it."""
    require(by, Action.CREATE, "civic_center.matchingrun", MatchingRun(ambito=ambito))
    from civic_center.tasks import run_matching

    active = MatchingRun.objects.filter(
        ambito=ambito, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).first()
    if active is not None and active.created_at > timezone.now() - STALE_AFTER:
        return active
    if active is not None:
        # A worker that died (or a broker that lost the task) must not block the
        # ambito for good: a run older than STALE_AFTER is given up.
        MatchingRun.objects.filter(pk=active.pk, status=active.status).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error="interrupted"
        )
    try:
        with transaction.atomic():
            run = MatchingRun.objects.create(ambito=ambito, category=category, started_by=by)
            audit_change(obj=run, action="create", actor=by)
            transaction.on_commit(lambda: run_matching.delay(run.pk))
    except IntegrityError:
        # Another coordinator's request won the race: theirs is the run.
        return MatchingRun.objects.get(
            ambito=ambito, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        )
    return run


def _progress(run_id: int, progress: int, stage: str) -> None:
    MatchingRun.objects.filter(pk=run_id).update(progress=progress, stage=stage)


def _load(run: MatchingRun) -> tuple[list[matching.DemandIn], list[matching.OfferIn], dict]:
    """The open demand and the published offers of the run's ambito, with each offer's
    capacity less what its live groups already use."""
    today = timezone.localdate()
    demands_qs = Demand.objects.filter(
        status=DemandStatus.OPEN, comune__ambito=run.ambito, end_date__gte=today
    )
    offers_qs = Offer.objects.filter(
        status=OfferStatus.PUBLISHED, valid_until__gte=today, comuni__ambito=run.ambito
    ).distinct()
    if run.category_id:
        demands_qs = demands_qs.filter(category_id=run.category_id)
        offers_qs = offers_qs.filter(category_id=run.category_id)
    demands = [
        matching.DemandIn(
            id=row["pk"],
            category=row["category_id"],
            comune=row["comune_id"],
            windows=row["windows"],
            start=max(row["start_date"], today),
            end=row["end_date"],
            quantity=row["quantity_per_week"],
            max_price=row["max_unit_price"],
            sharing=row["accepts_sharing"],
        )
        for row in demands_qs.values(
            "pk",
            "category_id",
            "comune_id",
            "windows",
            "start_date",
            "end_date",
            "quantity_per_week",
            "max_unit_price",
            "accepts_sharing",
        )
    ]
    offer_rows = list(offers_qs.prefetch_related("tiers", "capacity", "comuni"))
    used = _capacity_used([o.pk for o in offer_rows], today)
    offers = []
    for offer in offer_rows:
        capacity = {
            w.window: w.units - used[offer.pk][w.window]
            for w in offer.capacity.all()
            if w.units - used[offer.pk][w.window] > 0
        }
        tiers = offer_tiers(offer)
        if not capacity or not tiers:
            continue
        offers.append(
            matching.OfferIn(
                id=offer.pk,
                category=offer.category_id,
                comuni=frozenset(c.pk for c in offer.comuni.all()),
                capacity=capacity,
                mode=pricing.Mode(offer.pricing_mode),
                tiers=tiers,
                min_group=offer.min_group_size,
                max_group=offer.max_group_size,
                start=max(offer.valid_from, today),
                end=offer.valid_until,
            )
        )
    return demands, offers, {o.pk: o for o in offer_rows}


def _capacity_used(offer_ids: list[int], today: Any) -> dict[int, dict[int, Decimal]]:
    """Units per window that the live groups of these offers already hold."""
    used: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for offer_id, split in AgreementMember.objects.filter(
        agreement__offer__in=offer_ids,
        agreement__status__in=[AgreementStatus.PROPOSED, AgreementStatus.CONFIRMED],
        agreement__end_date__gte=today,
        status__in=ACTIVE_MEMBER,
    ).values_list("agreement__offer_id", "split"):
        for window, units in (split or {}).items():
            used[offer_id][int(window)] += Decimal(units)
    return used


def run_execute(*, run_id: int) -> None:
    """Carry out a queued run (the task's body). A run delivered twice is carried out
    once: only the delivery that moves it from queued to running works on it."""
    claimed = MatchingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=5, stage="loading"
    )
    if not claimed:
        return
    run = MatchingRun.objects.select_related("ambito").get(pk=run_id)
    try:
        demands, offers, offer_objs = _load(run)
        _progress(run_id, 25, "pools")
        pools = {p.offer_id: p for p in matching.pools(demands, offers)}
        _progress(run_id, 40, "matching")
        budget = settings.CIVIC_MATCH_TIME_LIMIT
        result = matching.match(
            demands, offers, time_limit_s=budget, total_time_s=budget, workers=2
        )
        _progress(run_id, 85, "saving")
        groups = _save(run, result, {d.id: d for d in demands}, offer_objs, pools)
    except Exception as error:
        log.exception("matching run %s failed", run_id)
        MatchingRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=str(error)[:2000]
        )
        return
    MatchingRun.objects.filter(pk=run_id).update(
        status=RunStatus.DONE,
        finished_at=timezone.now(),
        progress=100,
        stage="done",
        demands_considered=len(demands),
        offers_considered=len(offers),
        families_matched=result.families_served,
        groups_proposed=groups,
        weekly_cost=result.total_weekly_cost,
        proven_optimal=result.optimal,
    )


def _save(
    run: MatchingRun,
    result: matching.MatchResult,
    demands: dict[int, matching.DemandIn],
    offers: dict[int, Offer],
    pools: dict[int, matching.PoolOut],
) -> int:
    """Each matched pool (and each family served alone) becomes a proposed agreement,
    in one transaction; demands that changed meanwhile (withdrawn, or placed by
    someone else) are left out of their group, which is then priced for the rest."""
    by_offer: dict[tuple[int, bool], list[matching.Assignment]] = defaultdict(list)
    for a in result.assignments:
        by_offer[(a.offer_id, a.solo)].append(a)
    created = 0
    with transaction.atomic():
        still_open = set(
            Demand.objects.select_for_update()
            .filter(pk__in=list(demands), status=DemandStatus.OPEN)
            .values_list("pk", flat=True)
        )
        # An offer may serve two ambiti, whose runs can overlap: lock the offers, and
        # place a group only where the capacity is still free.
        locked = list(
            Offer.objects.select_for_update().filter(
                pk__in=sorted({k[0] for k in by_offer}), status=OfferStatus.PUBLISHED
            )
        )
        used = _capacity_used([o.pk for o in locked], timezone.localdate())
        free = {
            o.pk: {w.window: w.units - used[o.pk][w.window] for w in offers[o.pk].capacity.all()}
            for o in locked
        }
        for (offer_id, solo), assignments in sorted(by_offer.items()):
            if offer_id not in free:
                continue  # withdrawn while the run was solving
            offer = offers[offer_id]
            tiers = offer_tiers(offer)
            mode = pricing.Mode(offer.pricing_mode)
            single = pricing.unit_price(tiers, mode, 1)
            chunks = [[a] for a in assignments] if solo else [assignments]
            for chunk in chunks:
                members = [a for a in chunk if a.demand_id in still_open]
                size = len(members)
                if size == 0 or (not solo and size < offer.min_group_size):
                    continue
                price = pricing.unit_price(tiers, mode, size)
                if any(price > demands[a.demand_id].max_price for a in members):
                    continue  # the group shrank and its price rose above someone's ceiling
                needed: dict[int, Decimal] = defaultdict(Decimal)
                for a in members:
                    for window, units in a.split.items():
                        needed[window] += units
                if any(units > free[offer_id].get(w, Decimal(0)) for w, units in needed.items()):
                    continue  # another ambito's run took this capacity meanwhile
                for window, units in needed.items():
                    free[offer_id][window] -= units
                pool = pools.get(offer_id)
                agreement = Agreement.objects.create(
                    run=run,
                    offer=offer,
                    solo=solo,
                    group_size=size,
                    tier_min_families=pricing.tier_reached(tiers, size),
                    unit_price=price,
                    single_family_price=single,
                    start_date=max(
                        min(demands[a.demand_id].start for a in members), offer.valid_from
                    ),
                    end_date=min(max(demands[a.demand_id].end for a in members), offer.valid_until),
                    pricing_mode=offer.pricing_mode,
                    tiers=[[t.min_families, str(t.unit_price)] for t in tiers],
                    min_group_size=offer.min_group_size,
                    answer_by=answer_deadline(),
                    explanation={
                        "pool_size": pool.size if pool else size,
                        "group_size": size,
                        "tier_min_families": max(
                            t.min_families for t in tiers if t.min_families <= size
                        ),
                        "unit_price": str(price),
                        "single_family_price": str(single),
                        "mode": offer.pricing_mode,
                        "solo": solo,
                        "min_group_size": offer.min_group_size,
                    },
                )
                rows = AgreementMember.objects.bulk_create(
                    AgreementMember(
                        agreement=agreement,
                        demand_id=a.demand_id,
                        units_per_week=demands[a.demand_id].quantity,
                        split={str(w): str(u) for w, u in sorted(a.split.items())},
                    )
                    for a in members
                )
                Demand.objects.filter(pk__in=[a.demand_id for a in members]).update(
                    status=DemandStatus.PROPOSED
                )
                still_open -= {a.demand_id for a in members}
                AgreementEvent.objects.create(
                    agreement=agreement,
                    kind=AgreementEvent.Kind.PROPOSED,
                    data={"run": run.pk, "size": size, "price": str(price)},
                )
                members_with_demand = list(
                    AgreementMember.objects.filter(pk__in=[r.pk for r in rows]).select_related(
                        "demand"
                    )
                )
                _mail(agreement, members_with_demand, "proposed")
                _mail_provider(agreement, "proposed")
                created += 1
    return created
