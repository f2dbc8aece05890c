"""Reads of the Civic Center that have rules; each starts from the access policy.

Providers and coordinators read demand only through ``market_demand`` (the keys of
``PSEUDONYMISED_FIELDS``: no name, address, e-mail or telephone) and a family's contact
details only through ``agreement_contacts`` once the family accepted and the provider
confirmed (every such read is logged)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from civic_center import pricing
from civic_center.models import (
    ACTIVE_MEMBER,
    Agreement,
    AgreementMember,
    AgreementStatus,
    Demand,
    DemandStatus,
    MemberStatus,
    Offer,
    OfferStatus,
    Unit,
)
from legami.audit import audit_read
from legami.policy import Action, visible_to

# What a provider receives about a demand, and nothing more.
PSEUDONYMISED_FIELDS: tuple[str, ...] = (
    "pseudonym",
    "category_id",
    "category__name",
    "category__name_en",
    "category__unit",
    "comune_id",
    "comune__name",
    "windows",
    "start_date",
    "end_date",
    "quantity_per_week",
    "max_unit_price",
    "accepts_sharing",
)
CENT = Decimal("0.01")


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError) as exc:
        raise Http404 from exc


def family_demands(user: Any) -> QuerySet[Demand]:
    """The demands of the user's family, and those they entered for families."""
    return visible_to(user, "civic_center.demand").select_related("category", "comune")


def demand_for(user: Any, public_id: Any, action: str = Action.READ) -> Demand:
    demand = (
        visible_to(user, "civic_center.demand", action)
        .select_related("category", "comune__ambito", "family")
        .filter(public_id=_uuid(public_id))
        .first()
    )
    if demand is None:
        raise Http404
    return demand


def live_membership(demand: Demand) -> AgreementMember | None:
    """The demand's place in a group that is proposed or confirmed, with the offer."""
    return (
        AgreementMember.objects.filter(
            demand=demand,
            status__in=ACTIVE_MEMBER,
            agreement__status__in=[AgreementStatus.PROPOSED, AgreementStatus.CONFIRMED],
        )
        .select_related("agreement__offer__organisation", "agreement__offer__category")
        .first()
    )


@dataclass(frozen=True)
class PoolStatus:
    offer_title: str
    organisation_name: str
    size: int
    unit_price: Decimal | None
    min_group_size: int
    next_missing: int | None
    next_price: Decimal | None
    unit: str


def _compatible_demands(offer: Offer, mask: int) -> QuerySet[Demand]:
    return (
        Demand.objects.filter(
            status=DemandStatus.OPEN,
            accepts_sharing=True,
            category_id=offer.category_id,
            comune__in=offer.comuni.all(),
            start_date__lte=offer.valid_until,
            end_date__gte=max(offer.valid_from, timezone.localdate()),
        )
        .annotate(common=F("windows").bitand(mask))
        .filter(common__gt=0)
    )


def pool_status(demand: Demand, *, offers_considered: int = 5) -> PoolStatus | None:
    """How close the demand's pool is to the next price tier: among the published
    offers that could serve it (service, comune, a common window, period), the one
    whose pool gives the lowest price now; ``None`` when no offer serves it.

    Queries: one for the offers, one per offer considered (at most ``offers_considered``)."""
    today = timezone.localdate()
    offers = list(
        Offer.objects.filter(
            status=OfferStatus.PUBLISHED,
            category_id=demand.category_id,
            comuni=demand.comune_id,
            valid_until__gte=max(today, demand.start_date),
            valid_from__lte=demand.end_date,
        )
        .select_related("organisation", "category")
        .prefetch_related("tiers", "capacity")[:offers_considered]
    )
    best: tuple[tuple[Any, ...], PoolStatus] | None = None
    for offer in offers:
        mask = sum(1 << w.window for w in offer.capacity.all())
        if not mask & demand.windows:
            continue
        tiers = tuple(pricing.Tier(t.min_families, t.unit_price) for t in offer.tiers.all())
        if not tiers:
            continue
        mode = pricing.Mode(offer.pricing_mode)
        size = _compatible_demands(offer, mask).count()
        if demand.status != DemandStatus.OPEN or not demand.accepts_sharing:
            size += 1  # the family itself, not counted by the query
        size = max(size, 1)
        price = pricing.unit_price(tiers, mode, size) if size >= offer.min_group_size else None
        step = pricing.next_tier(tiers, mode, size)
        if size < offer.min_group_size:
            step = (
                offer.min_group_size - size,
                pricing.unit_price(tiers, mode, offer.min_group_size),
            )
        status = PoolStatus(
            offer_title=offer.title,
            organisation_name=offer.organisation.name,
            size=size,
            unit_price=price,
            min_group_size=offer.min_group_size,
            next_missing=step[0] if step else None,
            next_price=step[1] if step else None,
            unit=str(Unit(offer.category.unit).label),
        )
        key = (price is None, price or Decimal(0), step[1] if step else Decimal(0))
        if best is None or key < best[0]:
            best = (key, status)
    return best[1] if best else None


def market_demand(
    user: Any,
    *,
    category: Any = None,
    comune: Any = None,
    ambito: Any = None,
) -> QuerySet[Any]:
    """Open demand as a provider or a coordinator sees it: pseudonymised rows (dicts
    with the keys of PSEUDONYMISED_FIELDS), newest first."""
    qs = visible_to(
        user,
        "civic_center.demand_market",
        queryset=Demand.objects.filter(
            status=DemandStatus.OPEN, end_date__gte=timezone.localdate()
        ),
    )
    if category:
        qs = qs.filter(category=category)
    if comune:
        qs = qs.filter(comune=comune)
    if ambito:
        qs = qs.filter(comune__ambito=ambito)
    return qs.order_by("-created_at", "-pk").values(*PSEUDONYMISED_FIELDS)


def agreements_for(user: Any) -> QuerySet[Agreement]:
    return visible_to(user, "civic_center.agreement").select_related(
        "offer__organisation", "offer__category", "run"
    )


def agreement_for(user: Any, public_id: Any) -> Agreement:
    agreement = (
        agreements_for(user)
        .filter(public_id=_uuid(public_id))
        .prefetch_related(
            Prefetch(
                "members",
                queryset=AgreementMember.objects.select_related("demand").order_by("pk"),
            ),
            "events",
        )
        .first()
    )
    if agreement is None:
        raise Http404
    return agreement


def agreement_contacts(user: Any, agreement: Agreement) -> list[dict[str, Any]]:
    """The contact details of the families who accepted a confirmed group, for the
    provider's staff (the policy's ``civic_center.demand_contact``); each read logged."""
    if agreement.status != AgreementStatus.CONFIRMED:
        return []
    demands = list(
        visible_to(
            user,
            "civic_center.demand_contact",
            Action.READ,
            queryset=Demand.objects.filter(
                memberships__agreement=agreement, memberships__status=MemberStatus.ACCEPTED
            ),
        )
        .select_related("family")
        .order_by("pk")
    )
    if not demands:
        return []
    audit_read(
        objs=demands,
        action="read",
        purpose="civic_center.agreement_contacts",
        actor=user,
        subject_user=lambda d: getattr(d, "family", None),
    )
    return [
        {
            "pseudonym": d.pseudonym,
            "name": d.contact_name,
            "email": d.contact_email,
            "phone": d.contact_phone,
            "address": d.address,
            "comune": d.comune_id,
        }
        for d in demands
    ]


def _weeks(start: dt.date, end: dt.date) -> Decimal:
    return (Decimal((end - start).days + 1) / 7).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Figures:
    agreements: int
    families_served: int
    units_purchased: Decimal
    hours_purchased: Decimal
    saving: Decimal
    guaranteed_hours: Decimal
    new_families: int


def figures(agreements: QuerySet[Agreement]) -> Figures:
    """The win-win figures of the confirmed agreements among ``agreements``: families
    served; units (and hours) purchased, each family over the part of its own period
    that the group covers; the saving for families against the provider's
    single-family price; the hours of work this guarantees to providers (the hours
    purchased, for services sold by the hour); the families reached for the first time.
    One query (one row per family served)."""
    rows = (
        AgreementMember.objects.filter(
            agreement__in=agreements.filter(status=AgreementStatus.CONFIRMED).values("pk"),
            status=MemberStatus.ACCEPTED,
        )
        .values_list(
            "agreement_id",
            "units_per_week",
            "is_new_family",
            "demand__start_date",
            "demand__end_date",
            "agreement__start_date",
            "agreement__end_date",
            "agreement__unit_price",
            "agreement__single_family_price",
            "agreement__offer__category__unit",
        )
        .order_by()
    )
    agreement_ids: set[int] = set()
    families = new = 0
    units = hours = saving = Decimal(0)
    for (
        agreement_id,
        per_week,
        is_new,
        d_start,
        d_end,
        a_start,
        a_end,
        price,
        single,
        unit,
    ) in rows.iterator(chunk_size=2000):
        agreement_ids.add(agreement_id)
        families += 1
        new += bool(is_new)
        start, end = max(d_start, a_start), min(d_end, a_end)
        purchased = per_week * _weeks(start, end) if end >= start else Decimal(0)
        units += purchased
        if unit == Unit.HOUR:
            hours += purchased
        saving += (single - price) * purchased
    return Figures(
        agreements=len(agreement_ids),
        families_served=families,
        units_purchased=units.quantize(CENT, ROUND_HALF_UP),
        hours_purchased=hours.quantize(CENT, ROUND_HALF_UP),
        saving=saving.quantize(CENT, ROUND_HALF_UP),
        guaranteed_hours=hours.quantize(CENT, ROUND_HALF_UP),
        new_families=new,
    )


# --- Piano di zona reports (read by reports.indicators) ---
# See ``civic_center.selectors.reporting``.

from civic_center.selectors.reporting import AgreementStatus as AgreementStatus  # noqa: E402, F811
from civic_center.selectors.reporting import MemberStatus as MemberStatus  # noqa: E402, F811
from civic_center.selectors.reporting import Unit as Unit  # noqa: E402, F811
from civic_center.selectors.reporting import (  # noqa: E402
    report_agreement_members as report_agreement_members,
)
