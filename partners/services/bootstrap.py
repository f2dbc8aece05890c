"""Bootstrapping from the console: give a person a role at an organisation.

On a fresh installation nobody holds a role yet, and only a network administrator may
add organisations and memberships (the policy gives superusers nothing). Whoever runs
``manage.py grant_role`` already controls the server, so this service does not ask the
policy: it creates what is missing (the account, the organisation) and the membership
with the same unchecked helpers the checked services use, in one transaction, and
records every change as made by the system "from the command line".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from legami.audit import audit_change, diff, snapshot
from legami.models import User
from legami.roles import Role
from partners.models import Membership, Organisation, OrganisationKind
from partners.services.memberships import membership_insert
from partners.services.organisations import organisation_insert

CONSOLE_NOTE = "granted from the command line"


@dataclass(frozen=True)
class RoleGrant:
    """What ``role_grant_from_console`` did: the membership, and what it had to create
    (nothing at all when the same role was already held)."""

    membership: Membership
    user_created: bool
    organisation_created: bool
    membership_created: bool


def _user_for(address: str) -> tuple[User, bool]:
    """The account with this e-mail address, or a new one with no usable password and
    the address verified (the person sets a password with "forgot password")."""
    user = User.objects.select_for_update().filter(email__iexact=address).first()
    if user is not None:
        return user, False
    owner = (
        EmailAddress.objects.filter(email__iexact=address, verified=True)
        .select_related("user")
        .first()
    )
    if owner is not None:
        raise ValidationError(
            {
                "email": ValidationError(
                    gettext_lazy(
                        "%(email)s is a verified address of the account %(account)s: grant "
                        "the role to that account."
                    ),
                    code="address_of_another_account",
                    params={"email": address, "account": owner.user.email},
                )
            }
        )
    user = User(email=address)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    EmailAddress.objects.create(user=user, email=address, verified=True, primary=True)
    audit_change(
        obj=user,
        action="create",
        changes=diff({}, snapshot(user, ["email", "is_active", "is_staff", "is_superuser"])),
        note=CONSOLE_NOTE,
        actor=None,
    )
    return user, True


def _organisation_for(
    slug: str, create_name: str | None, kind: str | None
) -> tuple[Organisation, bool]:
    """The organisation with this short name; created if ``create_name`` is given and
    there is none (the same name and kind again find the one created before)."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if create_name is None:
        if kind:
            raise ValidationError(
                {
                    "kind": ValidationError(
                        gettext_lazy("A kind is given only with a new organisation's name."),
                        code="kind_without_organisation",
                    )
                }
            )
        if organisation is None:
            raise ValidationError(
                {
                    "organisation": ValidationError(
                        gettext_lazy("There is no organisation with the short name %(slug)s."),
                        code="unknown_organisation",
                        params={"slug": slug},
                    )
                }
            )
        return organisation, False
    name = create_name.strip()
    if kind not in OrganisationKind.values:
        raise ValidationError(
            {
                "kind": ValidationError(
                    gettext_lazy("Choose the kind of the new organisation: %(kinds)s."),
                    code="invalid_kind",
                    params={"kinds": ", ".join(OrganisationKind.values)},
                )
            }
        )
    if organisation is not None:
        if (organisation.name, organisation.kind) != (name, kind):
            raise ValidationError(
                {
                    "organisation": ValidationError(
                        gettext_lazy(
                            "The short name %(slug)s is taken by %(organisation)s "
                            "(%(kind)s): choose another, or leave out the new name to use it."
                        ),
                        code="slug_taken",
                        params={
                            "slug": slug,
                            "organisation": organisation.name,
                            "kind": organisation.get_kind_display(),
                        },
                    )
                }
            )
        return organisation, False
    organisation = organisation_insert(
        actor=None, name=name, kind=kind, slug=slug, note=CONSOLE_NOTE
    )
    return organisation, True


def role_grant_from_console(
    *,
    email: str,
    role: str,
    organisation_slug: str,
    is_referent: bool = False,
    create_organisation_name: str | None = None,
    kind: str | None = None,
    start_date: dt.date | None = None,
) -> RoleGrant:
    """Let the person with ``email`` act for the organisation ``organisation_slug`` in
    ``role`` from ``start_date`` (today by default), without asking the policy.

    Creates the account if there is none (no usable password, the address verified) and,
    with ``create_organisation_name`` and ``kind``, the organisation. Granting a role the
    person already holds there today, open-ended and with the same referent flag, changes
    nothing. Anything invalid raises ValidationError and changes nothing. Every change is
    audited as made by the system, "granted from the command line".
    """
    address = (email or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError({"email": exc.error_list}) from None
    if role not in Role.values:
        raise ValidationError(
            {
                "role": ValidationError(
                    gettext_lazy("Unknown role %(role)s: choose one of %(roles)s."),
                    code="invalid_role",
                    params={"role": role, "roles": ", ".join(Role.values)},
                )
            }
        )
    today = timezone.localdate()
    with transaction.atomic():
        organisation, organisation_created = _organisation_for(
            organisation_slug.strip(), create_organisation_name, kind
        )
        user, user_created = _user_for(address)
        held = (
            Membership.objects.filter(
                user=user,
                organisation=organisation,
                role=role,
                is_referent=is_referent,
                start_date__lte=today,
                end_date__isnull=True,
            )
            .filter(**({"start_date": start_date} if start_date else {}))
            .first()
        )
        if held is not None and organisation.is_active:
            return RoleGrant(
                membership=held,
                user_created=False,
                organisation_created=False,
                membership_created=False,
            )
        membership = membership_insert(
            user=user,
            organisation=organisation,
            role=role,
            start_date=start_date or today,
            end_date=None,
            is_referent=is_referent,
            actor=None,
            note=CONSOLE_NOTE,
        )
    return RoleGrant(
        membership=membership,
        user_created=user_created,
        organisation_created=organisation_created,
        membership_created=True,
    )
