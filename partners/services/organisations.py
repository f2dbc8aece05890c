"""Services of the network's organisations: add, change, deactivate, reactivate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext_lazy

from legami.audit import audit_change, diff, snapshot
from legami.models import Ambito, User
from legami.policy import Action, require
from partners.models import Organisation
from partners.validators import normalize_tax_code

ORGANISATION_FIELDS = (
    "name",
    "slug",
    "kind",
    "tax_code",
    "address",
    "email",
    "phone",
    "website",
    "is_funder",
    "member_since",
)


def _organisation_snapshot(organisation: Organisation) -> dict[str, Any]:
    data = snapshot(organisation, [*ORGANISATION_FIELDS, "is_active"])
    data["ambiti"] = sorted(a.code for a in organisation.ambiti.all())
    return data


def _clean_organisation_values(values: dict[str, Any]) -> dict[str, Any]:
    if "tax_code" in values:
        values["tax_code"] = normalize_tax_code(values["tax_code"] or "")
    for name in ("name", "address", "email", "phone", "website"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if "email" in values:
        values["email"] = values["email"].lower()
    return values


def organisation_insert(
    *,
    actor: User | None,
    name: str,
    kind: str,
    slug: str = "",
    tax_code: str = "",
    address: str = "",
    email: str = "",
    phone: str = "",
    website: str = "",
    ambiti: Iterable[Ambito] = (),
    is_funder: bool = False,
    member_since: dt.date | None = None,
    note: str = "",
) -> Organisation:
    """Add an organisation without asking the policy, for callers that have decided
    already: ``organisation_create`` after asking it, the console's bootstrap. Cleans and
    validates the values, saves and audits in one transaction (``actor`` None: the system)."""
    values = _clean_organisation_values(
        {
            "name": name,
            "kind": kind,
            "tax_code": tax_code,
            "address": address,
            "email": email,
            "phone": phone,
            "website": website,
            "is_funder": is_funder,
            "member_since": member_since,
        }
    )
    values["slug"] = slug.strip() or slugify(values["name"])[:80]
    organisation = Organisation(**values)
    organisation.full_clean()
    with transaction.atomic():
        organisation.save()
        organisation.ambiti.set(list(ambiti))
        audit_change(
            obj=organisation,
            action="create",
            changes=diff({}, _organisation_snapshot(organisation)),
            note=note,
            actor=actor,
        )
    return organisation


def organisation_create(
    *,
    actor: User,
    name: str,
    kind: str,
    slug: str = "",
    tax_code: str = "",
    address: str = "",
    email: str = "",
    phone: str = "",
    website: str = "",
    ambiti: Iterable[Ambito] = (),
    is_funder: bool = False,
    member_since: dt.date | None = None,
) -> Organisation:
    """Add an organisation to the network (network administrators)."""
    require(actor, Action.CREATE, Organisation)
    return organisation_insert(
        actor=actor,
        name=name,
        kind=kind,
        slug=slug,
        tax_code=tax_code,
        address=address,
        email=email,
        phone=phone,
        website=website,
        ambiti=ambiti,
        is_funder=is_funder,
        member_since=member_since,
    )


def organisation_update(
    *, organisation: Organisation, actor: User, data: Mapping[str, Any]
) -> Organisation:
    """Change an organisation's details (``data``: any of ORGANISATION_FIELDS and
    ``ambiti``). Activation has its own services."""
    unknown = set(data) - {*ORGANISATION_FIELDS, "ambiti"}
    if unknown:
        raise ValueError(f"organisation_update cannot change {sorted(unknown)}")
    require(actor, Action.CHANGE, organisation)
    with transaction.atomic():
        # Start from the stored row: a form may have changed the instance it was given.
        current = Organisation.objects.select_for_update().get(pk=organisation.pk)
        before = _organisation_snapshot(current)
        values = _clean_organisation_values({k: v for k, v in data.items() if k != "ambiti"})
        for name, value in values.items():
            setattr(current, name, value)
        current.full_clean()
        current.save()
        if "ambiti" in data:
            current.ambiti.set(list(data["ambiti"]))
        changes = diff(before, _organisation_snapshot(current))
        if changes:
            audit_change(obj=current, action="update", changes=changes, actor=actor)
    return current


def _organisation_set_active(
    *, organisation: Organisation, actor: User, active: bool
) -> Organisation:
    require(actor, Action.CHANGE, organisation)
    with transaction.atomic():
        current = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if current.is_active == active:
            raise ValidationError(
                gettext_lazy("%(organisation)s is already active.")
                if active
                else gettext_lazy("%(organisation)s is already inactive."),
                code="unchanged",
                params={"organisation": current.name},
            )
        current.is_active = active
        current.save(update_fields=["is_active"])
        audit_change(
            obj=current,
            action="state",
            changes={"is_active": [not active, active]},
            note="reactivated" if active else "deactivated",
            actor=actor,
        )
    return current


def organisation_deactivate(*, organisation: Organisation, actor: User) -> Organisation:
    """Take an organisation out of the network (network administrators).

    Nothing is ended or deleted: its memberships stay as they are, but the policy no
    longer counts them (a role held at an inactive organisation gives nothing), it leaves
    the public list, and its pending invitations can no longer be accepted.
    """
    return _organisation_set_active(organisation=organisation, actor=actor, active=False)


def organisation_reactivate(*, organisation: Organisation, actor: User) -> Organisation:
    """Bring a deactivated organisation back (network administrators)."""
    return _organisation_set_active(organisation=organisation, actor=actor, active=True)
