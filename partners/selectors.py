"""Reads of the partners app. Each starts from the access policy (``visible_to``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from legami.models import Ambito
from legami.policy import Action, allowed, visible_to
from legami.roles import Role
from partners.models import Invitation, InvitationQuerySet, Membership, Organisation
from partners.services import invitation_token_hash


def organisation_list(
    *,
    user: Any,
    kind: str | None = None,
    ambito: Ambito | None = None,
    active_only: bool = True,
    action: Action = Action.LIST,
) -> QuerySet[Organisation]:
    """The organisations ``user`` may list (active ones for everybody, all of them for
    network administrators unless ``active_only``), optionally of one kind or serving one
    ambito, with their ambiti."""
    qs = visible_to(user, Organisation, action)
    if active_only:
        qs = qs.filter(is_active=True)
    if kind:
        qs = qs.filter(kind=kind)
    if ambito is not None:
        qs = qs.filter(ambiti=ambito)
    return qs.prefetch_related("ambiti").order_by("name")


def organisation_for(*, user: Any, slug: str, action: Action = Action.READ) -> Organisation | None:
    """The organisation with ``slug`` if ``user`` may ``action`` it, else None."""
    return (
        visible_to(user, Organisation, action).prefetch_related("ambiti").filter(slug=slug).first()
    )


def membership_list(
    *,
    user: Any,
    organisation: Organisation | None = None,
    current_only: bool = False,
    action: Action = Action.LIST,
) -> QuerySet[Membership]:
    """The memberships ``user`` may see, with person and organisation."""
    qs = visible_to(user, Membership, action).select_related("user", "organisation")
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    if current_only:
        today = timezone.localdate()
        qs = qs.filter(Q(end_date__isnull=True) | Q(end_date__gte=today), start_date__lte=today)
    return qs.order_by("organisation__name", "role", "user__last_name", "user__email", "pk")


def invitation_list(
    *,
    user: Any,
    organisation: Organisation | None = None,
    open_only: bool = False,
    action: Action = Action.LIST,
) -> QuerySet[Invitation]:
    """The invitations ``user`` may see (network administrators; referents, those of their
    organisations), newest first."""
    qs = visible_to(user, Invitation, action).select_related("organisation", "invited_by")
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    if open_only:
        qs = cast(InvitationQuerySet, qs).open()
    return qs.order_by("-created_at", "-pk")


def invitation_by_token(*, token: str) -> Invitation | None:
    """The invitation whose link carries ``token`` (looked up by its hash), if any."""
    return (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


def invitation_roles_grantable(*, user: Any, organisation: Organisation) -> list[str]:
    """The roles ``user`` may invite people to at ``organisation``, as the policy says."""
    return [
        role
        for role in Role.values
        if allowed(user, Action.CREATE, Invitation(organisation=organisation, role=role))
    ]


def members_page_allowed(
    *, user: Any, organisation: Organisation, memberships: Iterable[Membership] | None = None
) -> bool:
    """Whether ``user`` may open the members page of ``organisation``: they may invite
    people to it, or the policy shows them the membership of someone other than
    themselves there (``memberships``: those already read, to spare a query)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if invitation_roles_grantable(user=user, organisation=organisation):
        return True
    if memberships is not None:
        return any(m.user_id != user.pk for m in memberships)
    return membership_list(user=user, organisation=organisation).exclude(user=user.pk).exists()


def organisation_permissions(*, user: Any, organisation: Organisation) -> dict[str, bool]:
    """What ``user`` may do with ``organisation``, for the buttons a page shows."""
    return {
        "change": allowed(user, Action.CHANGE, organisation),
        "members": members_page_allowed(user=user, organisation=organisation),
    }


def members_with_role(*, role: str, ambito_id: int) -> QuerySet[Any]:
    """The active people with an e-mail address who hold ``role`` today at an active
    organisation serving the ambito ``ambito_id`` (e.g. whom to mail its monthly report),
    each once."""
    today = timezone.localdate()
    memberships = Membership.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today),
        role=role,
        start_date__lte=today,
        organisation__is_active=True,
        organisation__ambiti=ambito_id,
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=memberships.values("user_id"))
        .exclude(email="")
        .order_by("pk")
    )
