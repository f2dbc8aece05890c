"""Providers' offers: saved as drafts, published, withdrawn."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic_center import pricing
from civic_center import windows as weekly
from civic_center.models import (
    Offer,
    OfferPartner,
    OfferStatus,
    OfferWindow,
    PriceTier,
    PricingMode,
    ServiceCategory,
)
from legami.audit import audit_change, diff, snapshot
from legami.models import Comune
from legami.policy import Action, require
from partners.models import Organisation

FIELDS = (
    "title",
    "description",
    "category_id",
    "pricing_mode",
    "min_group_size",
    "max_group_size",
    "valid_from",
    "valid_until",
)


def offer_save(
    *,
    by: Any,
    organisation: Organisation,
    offer: Offer | None = None,
    title: str,
    description: str = "",
    category: ServiceCategory,
    comuni: Iterable[Comune],
    pricing_mode: str,
    min_group_size: int,
    max_group_size: int | None,
    valid_from: dt.date,
    valid_until: dt.date,
    tiers: Sequence[tuple[int, Decimal]],
    capacity: Mapping[int, Decimal],
    partners: Sequence[tuple[Organisation, Decimal]] = (),
) -> Offer:
    """Create (as a draft) or change an offer of ``organisation``. Tiers, capacity and
    joint partners are replaced as a whole. Groups already proposed or agreed keep the
    price they were given."""
    comuni = list(comuni)
    candidate = Offer(organisation=organisation)
    require(by, Action.CREATE if offer is None else Action.CHANGE, "civic_center.offer", candidate)
    if offer is not None:
        require(by, Action.CHANGE, "civic_center.offer", offer)
        if offer.organisation_id != organisation.pk:
            raise ValidationError({"organisation": [_("An offer cannot change organisation.")]})
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors.setdefault("title", []).append(_("Give the offer a title."))
    if not category.is_active:
        errors.setdefault("category", []).append(_("This service is no longer in the catalogue."))
    if not comuni:
        errors.setdefault("comuni", []).append(_("Choose at least one comune served."))
    if pricing_mode not in PricingMode.values:
        errors.setdefault("pricing_mode", []).append(_("Choose how the tiers work."))
    if min_group_size < 1:
        errors.setdefault("min_group_size", []).append(_("The smallest group is at least 1."))
    if max_group_size is not None and max_group_size < min_group_size:
        errors.setdefault("max_group_size", []).append(
            _("The largest group cannot be smaller than the smallest.")
        )
    if valid_until < valid_from:
        errors.setdefault("valid_until", []).append(_("The end date is before the start date."))
    tier_rows = sorted(
        (pricing.Tier(int(n), Decimal(price)) for n, price in tiers), key=lambda t: t.min_families
    )
    tier_problems = pricing.validate_tiers(tier_rows)
    if tier_problems:
        errors.setdefault("tiers", []).extend(str(p) for p in tier_problems)
    cleaned_capacity = {int(w): Decimal(u) for w, u in capacity.items() if u}
    if not cleaned_capacity:
        errors.setdefault("capacity", []).append(
            _("Give the capacity of at least one time window.")
        )
    elif any(not 0 <= w < weekly.COUNT or u <= 0 for w, u in cleaned_capacity.items()):
        errors.setdefault("capacity", []).append(_("Capacities must be more than 0."))
    partner_rows = [(org, Decimal(share)) for org, share in partners]
    partner_ids = [org.pk for org, _share in partner_rows]
    if organisation.pk in partner_ids or len(set(partner_ids)) != len(partner_ids):
        errors.setdefault("partners", []).append(
            _("Each partner organisation appears once, and not the lead organisation.")
        )
    if any(not Decimal(0) < share < 100 for _org, share in partner_rows) or (
        sum((share for _org, share in partner_rows), Decimal(0)) >= 100
    ):
        errors.setdefault("partners", []).append(
            _("Partners' shares are between 0 and 100% and leave a share to the lead.")
        )
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        if offer is None:
            offer = Offer(organisation=organisation, created_by=by)
            before: dict[str, Any] = {}
        else:
            offer = Offer.objects.select_for_update().get(pk=offer.pk)
            before = snapshot(offer, FIELDS)
        offer.title = title.strip()
        offer.description = description.strip()
        offer.category = category
        offer.pricing_mode = pricing_mode
        offer.min_group_size = min_group_size
        offer.max_group_size = max_group_size
        offer.valid_from = valid_from
        offer.valid_until = valid_until
        offer.save()
        offer.comuni.set(comuni)
        offer.tiers.all().delete()
        PriceTier.objects.bulk_create(
            PriceTier(offer=offer, min_families=t.min_families, unit_price=t.unit_price)
            for t in tier_rows
        )
        offer.capacity.all().delete()
        OfferWindow.objects.bulk_create(
            OfferWindow(offer=offer, window=w, units=u) for w, u in sorted(cleaned_capacity.items())
        )
        offer.partners.all().delete()
        OfferPartner.objects.bulk_create(
            OfferPartner(offer=offer, organisation=org, share_percent=share)
            for org, share in partner_rows
        )
        after = snapshot(offer, FIELDS)
        audit_change(
            obj=offer,
            action="create" if not before else "update",
            changes=diff(before, after),
            actor=by,
        )
    return offer


def offer_publish(*, offer: Offer, by: Any) -> Offer:
    """A draft offer goes public: matching may use it from now on."""
    require(by, Action.CHANGE, "civic_center.offer", offer)
    with transaction.atomic():
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        if locked.status == OfferStatus.PUBLISHED:
            return locked
        if locked.valid_until < timezone.localdate():
            raise ValidationError(_("This offer has expired: change its validity first."))
        if not locked.tiers.filter(min_families=1).exists() or not locked.capacity.exists():
            raise ValidationError(_("An offer needs its prices and its capacity to be published."))
        locked.status = OfferStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.save(update_fields=["status", "published_at"])
        audit_change(obj=locked, action="update", changes={"status": ["", "published"]}, actor=by)
    return locked


def offer_withdraw(*, offer: Offer, by: Any) -> Offer:
    """The offer leaves the market; groups already agreed go on."""
    require(by, Action.CHANGE, "civic_center.offer", offer)
    with transaction.atomic():
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        if locked.status == OfferStatus.WITHDRAWN:
            return locked
        locked.status = OfferStatus.WITHDRAWN
        locked.save(update_fields=["status"])
        audit_change(obj=locked, action="update", changes={"status": ["", "withdrawn"]}, actor=by)
    return locked
