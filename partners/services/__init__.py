"""Services of the partners app: every change to organisations, memberships and
invitations goes through one of these functions.

Each asks the access policy (``legami.policy.require``) before it changes anything, runs
in one transaction, and writes the change to the audit trail. Invalid input raises
``django.core.exceptions.ValidationError`` with a translated message and changes nothing.
``organisations``, ``memberships`` and ``invitations`` hold them; this package exports
them all. The exceptions have no person to ask about: ``invitation_send`` runs in a task,
and ``bootstrap.role_grant_from_console`` serves ``manage.py grant_role``, whose user
already controls the server; both are audited as the system.
"""

from partners.services.bootstrap import RoleGrant, role_grant_from_console
from partners.services.invitations import (
    DEFAULT_INVITATION_EXPIRY_DAYS,
    INVITATION_FIELDS,
    invitation_accept,
    invitation_check,
    invitation_create,
    invitation_revoke,
    invitation_send,
    invitation_token_hash,
)
from partners.services.memberships import (
    MEMBERSHIP_FIELDS,
    MEMBERSHIP_UPDATABLE,
    membership_create,
    membership_end,
    membership_update,
    membership_validate_new,
    membership_validate_update,
)
from partners.services.organisations import (
    ORGANISATION_FIELDS,
    organisation_create,
    organisation_deactivate,
    organisation_reactivate,
    organisation_update,
)

__all__ = [
    "DEFAULT_INVITATION_EXPIRY_DAYS",
    "INVITATION_FIELDS",
    "MEMBERSHIP_FIELDS",
    "MEMBERSHIP_UPDATABLE",
    "ORGANISATION_FIELDS",
    "RoleGrant",
    "invitation_accept",
    "invitation_check",
    "invitation_create",
    "invitation_revoke",
    "invitation_send",
    "invitation_token_hash",
    "membership_create",
    "membership_end",
    "membership_update",
    "membership_validate_new",
    "membership_validate_update",
    "organisation_create",
    "organisation_deactivate",
    "organisation_reactivate",
    "organisation_update",
    "role_grant_from_console",
]
