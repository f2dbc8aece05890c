"""Services of memberships: who acts for which organisation, in which role, when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy

from legami.audit import audit_change, diff, snapshot
from legami.models import User
from legami.policy import Action, require
from legami.roles import Role
from partners.models import Membership, Organisation
from partners.services.common import is_active

MEMBERSHIP_FIELDS = ("user_id", "organisation_id", "role", "start_date", "end_date", "is_referent")
MEMBERSHIP_UPDATABLE = frozenset({"end_date", "is_referent"})


def _membership_snapshot(membership: Membership) -> dict[str, Any]:
    return snapshot(membership, MEMBERSHIP_FIELDS)


def membership_validate_new(
    *,
    user: User,
    organisation: Organisation,
    role: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
) -> None:
    """Raise ValidationError unless a membership with these values may be created: a
    known role, an active organisation, dates in order, no overlapping membership of the
    same person in the same role at the same organisation."""
    errors: dict[str, list[ValidationError]] = {}
    if role not in Role.values:
        errors.setdefault("role", []).append(
            ValidationError(gettext_lazy("Choose a role of the network."), code="invalid_role")
        )
    if not is_active(organisation):
        errors.setdefault("organisation", []).append(
            ValidationError(
                gettext_lazy("%(organisation)s is not active in the network."),
                code="organisation_inactive",
                params={"organisation": organisation.name},
            )
        )
    if end_date is not None and end_date < start_date:
        errors.setdefault("end_date", []).append(
            ValidationError(
                gettext_lazy("A membership cannot end before it starts."), code="end_before_start"
            )
        )
    if not errors:
        overlapping = Membership.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=start_date),
            user=user,
            organisation=organisation,
            role=role,
        )
        if end_date is not None:
            overlapping = overlapping.filter(start_date__lte=end_date)
        if overlapping.exists():
            errors.setdefault("user", []).append(
                ValidationError(
                    gettext_lazy(
                        "%(user)s already acts for %(organisation)s in this role in that period."
                    ),
                    code="overlapping_membership",
                    params={"user": user.email, "organisation": organisation.name},
                )
            )
    if errors:
        raise ValidationError(errors)


def membership_insert(
    *,
    user: User,
    organisation: Organisation,
    role: str,
    start_date: dt.date,
    end_date: dt.date | None,
    is_referent: bool,
    actor: User | None,
    note: str = "",
) -> Membership:
    membership_validate_new(
        user=user, organisation=organisation, role=role, start_date=start_date, end_date=end_date
    )
    membership = Membership.objects.create(
        user=user,
        organisation=organisation,
        role=role,
        start_date=start_date,
        end_date=end_date,
        is_referent=is_referent,
    )
    audit_change(
        obj=membership,
        action="create",
        changes=diff({}, _membership_snapshot(membership)),
        note=note,
        actor=actor,
    )
    return membership


def membership_create(
    *,
    user: User,
    organisation: Organisation,
    role: str,
    actor: User,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    is_referent: bool = False,
) -> Membership:
    """Let ``user`` act for ``organisation`` in ``role`` from ``start_date`` (today by
    default): network administrators, and referents for the roles the policy lets them
    grant at their organisation."""
    start = start_date or timezone.localdate()
    require(
        actor,
        Action.CREATE,
        Membership(user=user, organisation=organisation, role=role, start_date=start),
    )
    with transaction.atomic():
        return membership_insert(
            user=user,
            organisation=organisation,
            role=role,
            start_date=start,
            end_date=end_date,
            is_referent=is_referent,
            actor=actor,
        )


def membership_validate_update(*, membership: Membership, data: Mapping[str, Any]) -> None:
    """Raise ValidationError unless ``data`` (end date, referent flag) may be applied to
    ``membership``."""
    end_date = data.get("end_date", membership.end_date)
    if end_date is not None and end_date < membership.start_date:
        raise ValidationError(
            {
                "end_date": ValidationError(
                    gettext_lazy("A membership cannot end before it starts (%(start)s)."),
                    code="end_before_start",
                    params={"start": date_format(membership.start_date)},
                )
            }
        )


def membership_update(
    *, membership: Membership, actor: User, data: Mapping[str, Any]
) -> Membership:
    """Change the end date or the referent flag of a membership (who holds which role,
    where and since when does not change: end it and create another)."""
    unknown = set(data) - MEMBERSHIP_UPDATABLE
    if unknown:
        raise ValueError(f"membership_update cannot change {sorted(unknown)}")
    require(actor, Action.CHANGE, membership)
    with transaction.atomic():
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        if not data:
            return current
        membership_validate_update(membership=current, data=data)
        before = _membership_snapshot(current)
        for name, value in data.items():
            setattr(current, name, value)
        current.full_clean()
        current.save(update_fields=list(data))
        changes = diff(before, _membership_snapshot(current))
        if changes:
            audit_change(obj=current, action="update", changes=changes, actor=actor)
    return current


def membership_end(*, membership: Membership, end_date: dt.date, actor: User) -> Membership:
    """End a membership on ``end_date`` (the last day it holds)."""
    require(actor, Action.CHANGE, membership)
    with transaction.atomic():
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        membership_validate_update(membership=current, data={"end_date": end_date})
        if current.end_date is not None and current.end_date <= end_date:
            raise ValidationError(
                {
                    "end_date": ValidationError(
                        gettext_lazy("This membership already ends on %(end)s."),
                        code="already_ended",
                        params={"end": date_format(current.end_date)},
                    )
                }
            )
        before = current.end_date
        current.end_date = end_date
        current.save(update_fields=["end_date"])
        audit_change(
            obj=current,
            action="state",
            changes={"end_date": [before.isoformat() if before else None, end_date.isoformat()]},
            note="ended",
            actor=actor,
        )
    return current
