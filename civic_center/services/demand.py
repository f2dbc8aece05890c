"""Families' demand: stated, withdrawn, shared with neighbours through an invitation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic_center import windows as weekly
from civic_center.models import Demand, DemandStatus, ServiceCategory
from legami.audit import audit_change
from legami.models import Comune
from legami.policy import Action, allowed, require

INVITATION_SALT = "civic_center.invitation"
INVITATION_MAX_AGE = dt.timedelta(days=120)
LIVE_DEMAND = (DemandStatus.OPEN, DemandStatus.PROPOSED, DemandStatus.AGREED)
MAX_QUANTITY = Decimal("999")
MAX_PRICE = Decimal("9999")
LONGEST_PERIOD = dt.timedelta(days=2 * 366)


def demand_create(
    *,
    by: Any,
    category: ServiceCategory,
    comune: Comune,
    windows: int,
    start_date: dt.date,
    end_date: dt.date,
    quantity_per_week: Decimal,
    max_unit_price: Decimal,
    accepts_sharing: bool,
    on_behalf: bool = False,
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    address: str = "",
    invitation: str | None = None,
    lab_need: Any = None,
) -> Demand:
    """A family states what it needs. With ``on_behalf`` an operator enters it for a
    family without an account (name required); otherwise the demand is the account's
    own and its contact defaults to the account. A family has one live demand per
    service and period: a second one that overlaps is refused."""
    if on_behalf:
        require(by, Action.CREATE, "civic_center.demand_on_behalf")
    else:
        require(by, Action.CREATE, "civic_center.demand")
    errors: dict[str, list[str]] = {}
    if not category.is_active:
        errors.setdefault("category", []).append(_("This service is no longer offered."))
    if comune.ambito_id is None:
        errors.setdefault("comune", []).append(
            _("This comune is not served by the network's ambiti.")
        )
    if not 0 < windows <= weekly.ALL:
        errors.setdefault("windows", []).append(_("Choose at least one time window."))
    today = timezone.localdate()
    if end_date < start_date:
        errors.setdefault("end_date", []).append(_("The end date is before the start date."))
    elif end_date < today:
        errors.setdefault("end_date", []).append(_("The period is already over."))
    elif end_date - start_date > LONGEST_PERIOD:
        errors.setdefault("end_date", []).append(_("A demand lasts two years at most."))
    if not Decimal(0) < quantity_per_week <= MAX_QUANTITY:
        errors.setdefault("quantity_per_week", []).append(
            _("The quantity per week must be more than 0 and at most 999.")
        )
    if not Decimal(0) < max_unit_price <= MAX_PRICE:
        errors.setdefault("max_unit_price", []).append(
            _("The price must be more than 0 and at most 9,999 €.")
        )
    if on_behalf and not contact_name.strip():
        errors.setdefault("contact_name", []).append(_("Write the family's name."))
    if lab_need is not None and lab_need.posted_by_id != by.pk:
        raise PermissionDenied  # a need becomes a demand of the family that raised it
    if errors:
        raise ValidationError(errors)

    inviter = invitation_read(invitation) if invitation else None
    with transaction.atomic():
        if on_behalf:
            family = None
            name, email = contact_name.strip(), contact_email.strip()
        else:
            family = get_user_model().objects.select_for_update().get(pk=by.pk)
            name = contact_name.strip() or by.get_full_name() or by.email
            email = contact_email.strip() or by.email
            overlapping = Demand.objects.filter(
                family=family,
                category=category,
                status__in=LIVE_DEMAND,
                start_date__lte=end_date,
                end_date__gte=start_date,
            )
            if overlapping.exists():
                raise ValidationError(
                    {
                        "category": [
                            _(
                                "You already have a demand for this service in this period: "
                                "change or withdraw that one."
                            )
                        ]
                    }
                )
        demand = Demand.objects.create(
            family=family,
            created_by=by,
            contact_name=name[:200],
            contact_email=email,
            contact_phone=contact_phone.strip(),
            address=address.strip(),
            category=category,
            comune=comune,
            windows=windows,
            start_date=start_date,
            end_date=end_date,
            quantity_per_week=quantity_per_week,
            max_unit_price=max_unit_price,
            accepts_sharing=accepts_sharing,
            invited_by=inviter if inviter is not None and inviter.family_id != by.pk else None,
            lab_need=lab_need,
        )
        audit_change(obj=demand, action="create", actor=by)
    return demand


def demand_withdraw(*, demand: Demand, by: Any) -> Demand:
    """The family (or who entered the demand) withdraws it; if it is in a group, it
    leaves the group first (which re-prices the group for the others)."""
    from civic_center.services.agreement import member_withdraw

    require(by, Action.CHANGE, "civic_center.demand", demand)
    with transaction.atomic():
        # The group first (its row, then its families' demands: the order every
        # agreement service locks in), then this demand.
        live = demand.memberships.filter(status__in=["proposed", "accepted"]).first()
        if live is not None:
            member_withdraw(member=live, by=by)
        locked = Demand.objects.select_for_update().get(pk=demand.pk)
        if locked.status not in LIVE_DEMAND:
            raise ValidationError(_("This demand is no longer active."))
        locked.status = DemandStatus.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["status", "withdrawn_at"])
        audit_change(obj=locked, action="update", changes={"status": ["", "withdrawn"]}, actor=by)
    return locked


def invitation_token(demand: Demand) -> str:
    """The code of the link a family shares with its neighbours: random, it names
    neither the family nor the demand's own page."""
    return demand.invitation_code


def invitation_read(token: str | None) -> Demand | None:
    """The demand that invited, or None for an unknown code or a demand no longer live."""
    if not token or len(token) > 64:
        return None
    return (
        Demand.objects.select_related("category", "comune")
        .filter(invitation_code=token, status__in=LIVE_DEMAND)
        .first()
    )


def demand_can_change(user: Any, demand: Demand) -> bool:
    return allowed(user, Action.CHANGE, "civic_center.demand", demand)


def demand_expire_past(*, today: dt.date | None = None) -> int:
    """Open demands whose period ended leave the pool, and demands served by a group
    whose period ended are marked ended (the beat job, daily)."""
    today = today or timezone.localdate()
    expired = Demand.objects.filter(status=DemandStatus.OPEN, end_date__lt=today).update(
        status=DemandStatus.EXPIRED
    )
    ended = Demand.objects.filter(
        status=DemandStatus.AGREED,
        memberships__status="accepted",
        memberships__agreement__status="confirmed",
        memberships__agreement__end_date__lt=today,
    ).update(status=DemandStatus.ENDED)
    return expired + ended
