"""Inviting practitioners to a survey and reminding those who have not answered.

``invitations_send`` chooses people by organisation and role through their current
memberships (and/or by name), makes one invitation per person per survey, and queues
one mail each after commit. ``reminders_send`` starts a reminder round for those who
have not answered and were not contacted in the last days. Each mail is sent by the
``research.send_invitation_mail`` task through ``invitation_mail_send``, under a unique
key (``invitation:<id>``, ``reminder:<id>:<round>``) recorded in the transaction that
sends it: a re-delivered task, or a second call, sends nothing twice.

Practitioners need no account page or policy row to answer: the link's token *is* the
permission, and it reaches only its own invitation's survey (see
``research.services.responses``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legami.models import User
from legami.policy import Action, require
from partners.models import Membership, Organisation
from research.models import Invitation, InvitationMail, InvitationMailKind, Survey
from research.services.tokens import new_token, token_hash
from research.tasks import send_invitation_mail


def _current_memberships() -> Q:
    today = timezone.localdate()
    return (
        Q(start_date__lte=today)
        & (Q(end_date__isnull=True) | Q(end_date__gte=today))
        & Q(organisation__is_active=True, user__is_active=True)
    )


def _people(
    *,
    organisations: Iterable[Organisation],
    roles: Iterable[str],
    users: Iterable[User],
) -> dict[int, tuple[User, Membership | None]]:
    """Who to invite, each once with the membership they are invited for: the holders of
    a current membership at one of ``organisations`` (any, if none given) in one of
    ``roles`` (any, if none given), when either is given; and ``users`` (with their first
    current membership, if any)."""
    org_ids = [o.pk for o in organisations]
    role_names = list(roles)
    people: dict[int, tuple[User, Membership | None]] = {}
    if org_ids or role_names:
        memberships = Membership.objects.filter(_current_memberships()).select_related(
            "user", "organisation"
        )
        if org_ids:
            memberships = memberships.filter(organisation__in=org_ids)
        if role_names:
            memberships = memberships.filter(role__in=role_names)
        for m in memberships.order_by("user_id", "organisation__name", "role"):
            people.setdefault(m.user_id, (m.user, m))
    chosen = [u for u in users if u.pk not in people and u.is_active]
    if chosen:
        first: dict[int, Membership] = {}
        for m in (
            Membership.objects.filter(_current_memberships(), user__in=[u.pk for u in chosen])
            .select_related("organisation")
            .order_by("user_id", "organisation__name", "role")
        ):
            first.setdefault(m.user_id, m)
        for user in chosen:
            people[user.pk] = (user, first.get(user.pk))
    return people


def invitations_send(
    *,
    survey: Survey,
    by: User,
    organisations: Iterable[Organisation] = (),
    roles: Iterable[str] = (),
    users: Iterable[User] = (),
) -> list[Invitation]:
    """Invite to an open survey the practitioners chosen by organisation and role
    (current memberships) and/or named in ``users``; each gets a mail with a link of
    their own after commit. Somebody already invited (by account or address) is not
    invited again. Returns the new invitations."""
    organisations, roles, users = list(organisations), list(roles), list(users)
    if not (organisations or roles or users):
        raise ValidationError(
            _("Choose organisations, roles or people to invite."), code="nobody_chosen"
        )
    with transaction.atomic():
        current = Survey.objects.select_for_update().get(pk=survey.pk)
        require(by, Action.CHANGE, current)
        if not current.accepts_answers():
            raise ValidationError(_("Invitations go out for an open survey only."), code="not_open")
        people = _people(organisations=organisations, roles=roles, users=users)
        invited_users = set(
            Invitation.objects.filter(survey=current, user__isnull=False).values_list(
                "user_id", flat=True
            )
        )
        invited_emails = set(
            Invitation.objects.filter(survey=current).values_list("email", flat=True)
        )
        created: list[Invitation] = []
        now = timezone.now()
        for user_id, (user, membership) in sorted(people.items()):
            email = (user.email or "").strip().lower()
            if not email or user_id in invited_users or email in invited_emails:
                continue
            try:
                with transaction.atomic():
                    invitation = Invitation.objects.create(
                        survey=current,
                        user=user,
                        email=email,
                        organisation=membership.organisation if membership else None,
                        role=membership.role if membership else "",
                        invited_by=by,
                        created_at=now,
                    )
            except IntegrityError:  # invited meanwhile: the constraint holds the line
                continue
            invited_emails.add(email)
            created.append(invitation)
        for invitation in created:
            # celery-types does not know Django's task class, which adds delay_on_commit.
            send_invitation_mail.delay_on_commit(  # type: ignore[attr-defined]
                invitation.pk, InvitationMailKind.INVITATION.value, 0
            )
    return created


def reminders_send(
    *,
    survey: Survey,
    by: User | None = None,
    now: dt.datetime | None = None,
    min_days: int | None = None,
) -> int:
    """Start a reminder round: a mail to each invited person who has not answered and
    was not e-mailed (invited or reminded) in the last ``min_days`` days
    (``RESEARCH_REMINDER_DAYS``, 7 by default). Nobody due, no round. Returns how many
    reminders were queued. ``by`` None is the system (a scheduled round)."""
    now = now or timezone.now()
    days = min_days if min_days is not None else settings.RESEARCH_REMINDER_DAYS
    cutoff = now - dt.timedelta(days=days)
    with transaction.atomic():
        current = Survey.objects.select_for_update().get(pk=survey.pk)
        if by is not None:
            require(by, Action.CHANGE, current)
        if not current.accepts_answers(now):
            raise ValidationError(_("Reminders go out for an open survey only."), code="not_open")
        due = list(
            Invitation.objects.filter(
                survey=current, answered=False, sent_at__isnull=False, sent_at__lte=cutoff
            )
            .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=cutoff))
            .values_list("pk", flat=True)
        )
        if not due:
            return 0
        current.reminder_round += 1
        current.save(update_fields=["reminder_round"])
        Invitation.objects.filter(pk__in=due).update(reminded_at=now)
        for pk in due:
            send_invitation_mail.delay_on_commit(  # type: ignore[attr-defined]
                pk, InvitationMailKind.REMINDER.value, current.reminder_round
            )
    return len(due)


def mail_key(invitation_id: int, kind: str, round: int) -> str:
    if kind == InvitationMailKind.INVITATION:
        return f"invitation:{invitation_id}"
    return f"reminder:{invitation_id}:{round}"


def invitation_mail_send(
    *, invitation_id: int, kind: str, round: int = 0, connection: Any = None
) -> bool:
    """Send the invitation mail (or the reminder of ``round``) once, with a fresh link,
    through ``connection`` (a mail backend; the configured one when None).

    The token is made here and goes only into the mail; its hash is stored with the
    mail's key in the same transaction as the sending. Nothing leaves when the mail was
    sent already, the invitation is gone or answered, or the survey no longer takes
    answers; a failed sending records nothing (the task may retry). Returns whether a
    mail left."""
    from research.mails import invitation_message

    key = mail_key(invitation_id, kind, round)
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("survey", "user", "organisation")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None or InvitationMail.objects.filter(key=key).exists():
            return False
        if invitation.answered or not invitation.survey.accepts_answers():
            return False
        token = new_token()
        now = timezone.now()
        InvitationMail.objects.create(
            key=key,
            invitation=invitation,
            kind=kind,
            round=round,
            token_hash=token_hash(token),
            sent_at=now,
        )
        if kind == InvitationMailKind.INVITATION:
            invitation.sent_at = now
            invitation.save(update_fields=["sent_at"])
        message = invitation_message(invitation, kind, token)
        message.connection = connection
        message.send()
    return True
