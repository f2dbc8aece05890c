"""Services of invitations: create, send (once), revoke, check and accept.

Invitation links carry a random token of which only the SHA-256 hash is stored. The
token is made by ``invitation_send`` (run by the ``partners.send_invitation`` task) in the
same transaction that records the sending, and goes only into the mail: it never sits in
the database, in the broker or in a task's arguments. A re-delivered task finds
``sent_at`` set and sends nothing; a failed sending rolls back, so a retry makes a fresh
token and sends once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from legami.audit import audit_change, diff, snapshot
from legami.models import User
from legami.policy import Action, require
from legami.roles import Role
from partners.models import Invitation, InvitationStatus, Membership, Organisation
from partners.services.common import is_active
from partners.services.memberships import membership_insert
from partners.tasks import send_invitation

INVITATION_FIELDS = (
    "organisation_id",
    "email",
    "role",
    "is_referent",
    "invited_by_id",
    "expires_at",
)
DEFAULT_INVITATION_EXPIRY_DAYS = 7


def invitation_token_hash(token: str) -> str:
    """The form in which an invitation's token is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def _invitation_snapshot(invitation: Invitation) -> dict[str, Any]:
    return snapshot(invitation, INVITATION_FIELDS)


def _already_invited(address: str) -> ValidationError:
    return ValidationError(
        {
            "email": ValidationError(
                gettext_lazy("%(email)s already has a pending invitation in this role."),
                code="already_invited",
                params={"email": address},
            )
        }
    )


def invitation_create(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    invited_by: User,
    is_referent: bool = False,
) -> Invitation:
    """Invite ``email`` to act for ``organisation`` in ``role``; the mail leaves after
    commit. An expired invitation for the same address and role is closed and replaced;
    a pending one is an error."""
    address = (email or "").strip().lower()
    require(invited_by, Action.CREATE, Invitation(organisation=organisation, role=role))
    errors: dict[str, list[ValidationError]] = {}
    try:
        validate_email(address)
    except ValidationError as exc:
        errors.setdefault("email", []).extend(exc.error_list)
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
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    with transaction.atomic():
        if (
            Membership.objects.filter(
                Q(end_date__isnull=True) | Q(end_date__gte=timezone.localdate()),
                user__email__iexact=address,
                organisation=organisation,
                role=role,
            )
            .filter(start_date__lte=timezone.localdate())
            .exists()
        ):
            raise ValidationError(
                {
                    "email": ValidationError(
                        gettext_lazy("%(email)s already acts for %(organisation)s in this role."),
                        code="already_member",
                        params={"email": address, "organisation": organisation.name},
                    )
                }
            )
        previous = (
            Invitation.objects.select_for_update()
            .open()
            .filter(organisation=organisation, email=address, role=role)
            .first()
        )
        if previous is not None and previous.expires_at > now:
            raise _already_invited(address)
        if previous is not None:
            previous.revoked_at = now
            previous.revoked_by = invited_by
            previous.save(update_fields=["revoked_at", "revoked_by"])
            audit_change(
                obj=previous,
                action="state",
                changes={"revoked_at": [None, now.isoformat()]},
                note="expired, replaced by a new invitation",
                actor=invited_by,
            )
        days = getattr(settings, "INVITATION_EXPIRY_DAYS", DEFAULT_INVITATION_EXPIRY_DAYS)
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    organisation=organisation,
                    email=address,
                    role=role,
                    is_referent=is_referent,
                    invited_by=invited_by,
                    created_at=now,
                    expires_at=now + dt.timedelta(days=days),
                )
        except IntegrityError:  # another request invited the same address a moment ago
            raise _already_invited(address) from None
        audit_change(
            obj=invitation,
            action="create",
            changes=diff({}, _invitation_snapshot(invitation)),
            actor=invited_by,
        )
        # celery-types does not know Django's task class, which adds delay_on_commit.
        send_invitation.delay_on_commit(invitation.pk)  # type: ignore[attr-defined]
    return invitation


def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    """Withdraw an invitation that has not been accepted: its link stops working."""
    require(actor, Action.DELETE, invitation)
    with transaction.atomic():
        current = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if current.accepted_at is not None or current.revoked_at is not None:
            raise ValidationError(
                gettext_lazy("This invitation is no longer open (%(status)s)."),
                code="not_open",
                params={"status": current.status.label},
            )
        now = timezone.now()
        current.revoked_at = now
        current.revoked_by = actor
        current.save(update_fields=["revoked_at", "revoked_by"])
        audit_change(
            obj=current,
            action="state",
            changes={"revoked_at": [None, now.isoformat()]},
            note="revoked",
            actor=actor,
        )
    return current


def invitation_send(*, invitation_id: int) -> bool:
    """E-mail a pending invitation that has not been sent yet, with a fresh link.

    Returns whether a mail left. The token is made here, its hash stored and ``sent_at``
    recorded in the same transaction as the sending: if the mail fails, nothing is
    recorded (and the task may retry); if it was sent already, nothing happens.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("organisation", "invited_by")
            .filter(pk=invitation_id)
            .first()
        )
        if (
            invitation is None
            or invitation.sent_at is not None
            or invitation.status != InvitationStatus.PENDING
        ):
            return False
        token = secrets.token_urlsafe(32)
        invitation.token_hash = invitation_token_hash(token)
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["token_hash", "sent_at"])
        audit_change(
            obj=invitation,
            action="state",
            changes={"sent_at": [None, invitation.sent_at.isoformat()]},
            note="e-mailed",
        )
        _invitation_mail(invitation, token).send()
    return True


def _invitation_mail(invitation: Invitation, token: str) -> EmailMultiAlternatives:
    """The invitation mail, in the invitee's language if they have an account, else Italian."""
    language = (
        User.objects.filter(email__iexact=invitation.email)
        .values_list("language", flat=True)
        .first()
    ) or "it"
    link = settings.SITE_URL + reverse("partners:invitation", kwargs={"token": token})
    with translation.override(language):
        context = {
            "invitation": invitation,
            "organisation": invitation.organisation,
            "role": invitation.get_role_display(),
            "inviter": invitation.invited_by.get_full_name() if invitation.invited_by else "",
            "link": link,
            "expires_at": invitation.expires_at,
        }
        subject = gettext("Invitation to act for %(organisation)s in Legami") % {
            "organisation": invitation.organisation.name
        }
        text = render_to_string("partners/email/invitation.txt", context)
        html = render_to_string("partners/email/invitation.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[invitation.email])
    message.attach_alternative(html, "text/html")
    return message


def invitation_check(*, invitation: Invitation, user: Any) -> None:
    """Raise ValidationError (with the code naming the problem) unless ``user`` may accept
    ``invitation`` now: it is pending, its organisation active, and it was sent to an
    e-mail address ``user`` has verified."""
    status = invitation.status
    if status == InvitationStatus.ACCEPTED:
        raise ValidationError(
            gettext_lazy("This invitation has already been accepted."), code="accepted"
        )
    if status == InvitationStatus.REVOKED:
        raise ValidationError(gettext_lazy("This invitation has been withdrawn."), code="revoked")
    if status == InvitationStatus.EXPIRED:
        raise ValidationError(
            gettext_lazy("This invitation expired on %(expires)s."),
            code="expired",
            params={"expires": date_format(timezone.localtime(invitation.expires_at))},
        )
    if not invitation.organisation.is_active:
        raise ValidationError(
            gettext_lazy("%(organisation)s is no longer active in the network."),
            code="organisation_inactive",
            params={"organisation": invitation.organisation.name},
        )
    if not getattr(user, "is_authenticated", False):
        raise ValidationError(
            gettext_lazy("Log in to accept the invitation."), code="login_required"
        )
    if (user.email or "").lower() != invitation.email:
        raise ValidationError(
            gettext_lazy(
                "This invitation was sent to another e-mail address. Log in with the "
                "address it was sent to."
            ),
            code="wrong_user",
        )
    if not EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists():
        raise ValidationError(
            gettext_lazy("Confirm your e-mail address before accepting the invitation."),
            code="unverified",
        )


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Accept an invitation: ``user`` acts for its organisation in its role from today.

    If they already do (they were added in the meantime), that membership is kept, made
    a referent one if the invitation says so, and returned.
    """
    with transaction.atomic():
        current = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=invitation.pk)
        )
        invitation_check(invitation=current, user=user)
        today = timezone.localdate()
        existing = (
            Membership.objects.select_for_update()
            .filter(
                Q(end_date__isnull=True) | Q(end_date__gte=today),
                user=user,
                organisation=current.organisation,
                role=current.role,
                start_date__lte=today,
            )
            .first()
        )
        if existing is None:
            membership = membership_insert(
                user=user,
                organisation=current.organisation,
                role=current.role,
                start_date=today,
                end_date=None,
                is_referent=current.is_referent,
                actor=user,
                note=f"invitation {current.pk} accepted",
            )
        else:
            membership = existing
            if current.is_referent and not existing.is_referent:
                existing.is_referent = True
                existing.save(update_fields=["is_referent"])
                audit_change(
                    obj=existing,
                    action="update",
                    changes={"is_referent": [False, True]},
                    note=f"invitation {current.pk} accepted",
                    actor=user,
                )
        now = timezone.now()
        current.accepted_at = now
        current.accepted_by = user
        current.save(update_fields=["accepted_at", "accepted_by"])
        audit_change(
            obj=current,
            action="state",
            changes={"accepted_at": [None, now.isoformat()], "accepted_by": [None, user.pk]},
            note="accepted",
            actor=user,
        )
    return membership
