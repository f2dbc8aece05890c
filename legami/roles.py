"""The roles a person can hold in the network (through a partners.Membership).

They live in the core so that the access policy and the navigation, which are in
``legami``, can reason about roles without importing ``partners``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OPERATOR = "operator", _("Social worker")
    COORDINATOR = "coordinator", _("Service coordinator")
    PARTNER_STAFF = "partner_staff", _("Partner staff")
    FACILITATOR = "facilitator", _("Lab facilitator")
    RESEARCHER = "researcher", _("Researcher")
    FUNDRAISER = "fundraiser", _("Fundraiser")
    AMBITO_ADMIN = "ambito_admin", _("Ambito administrator")
    NETWORK_ADMIN = "network_admin", _("Network administrator")
    DPO = "dpo", _("Data-protection officer")


# Roles that can reach a person's data: whoever holds one must log in with a second factor.
MFA_REQUIRED_ROLES: frozenset[str] = frozenset(
    {
        Role.OPERATOR,
        Role.COORDINATOR,
        Role.PARTNER_STAFF,
        # Donors' codici fiscali, addresses and gifts: personal data.
        Role.FUNDRAISER,
        Role.AMBITO_ADMIN,
        Role.NETWORK_ADMIN,
        Role.DPO,
    }
)


def requires_mfa(user: object) -> bool:
    """Whether ``user`` must use a second factor: a role that reaches personal data, or
    Django staff (the admin reaches everything)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_staff", False)) or bool(active_roles(user) & MFA_REQUIRED_ROLES)


def active_roles(user: object) -> frozenset[str]:
    """The roles a user holds today through their current memberships at active
    organisations; none for a citizen, an anonymous visitor or a disabled account.

    Read from the access policy's subject of the user, computed once per request, so
    navigation, the second-factor checks and the policy share one query.
    """
    from legami.policy import subject_for  # the policy builds on this module

    return subject_for(user).roles
