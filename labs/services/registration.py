"""Signing up for meetings, with the waiting list, and the mails about it.

Seats are counted under the meeting's row lock: a sign-up, a confirmation, a
cancellation or a change of capacity locks the meeting row (``select_for_update``),
decides, writes the registration and the meeting's ``seats_taken`` in the same
transaction — and a database constraint refuses any count beyond the seats on offer.
Two people can never take the last seat; the second one is put on the waiting list.

The waiting list is served in order of arrival (``waiting_since``, then id): whenever a
seat frees up or the capacity grows, the first in line is promoted and e-mailed (after
commit, by a task that sends once).

Links in the mails carry a signed token of the registration's id and nonce
(``registration_token``): nothing secret is stored, and the token never travels through
the broker — the task makes it while sending.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from labs.models import ACTIVE_STATUSES, Meeting, MeetingStatus, Registration, RegistrationStatus
from legami.audit import audit_change

R = RegistrationStatus
SIGNING_NAMESPACE = "labs.registration"
# Codes for the door: no 0/O, 1/I/L, easy to read out.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6


def registration_token(registration: Registration) -> str:
    """The token of the links in a registration's mails (confirm, cancel)."""
    # No timestamp: every mail about a registration carries the same link.
    return signing.Signer(salt=SIGNING_NAMESPACE).sign_object(
        [registration.pk, registration.nonce], compress=True
    )


def registration_from_token(token: str) -> Registration | None:
    """The registration a token names, or None for a forged or voided one."""
    try:
        pk, nonce = signing.Signer(salt=SIGNING_NAMESPACE).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return Registration.objects.select_related("meeting__lab").filter(pk=pk, nonce=nonce).first()


def _code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _send_after_commit(registration_id: int, kind: str) -> None:
    from labs.tasks import send_registration_mail

    transaction.on_commit(lambda: send_registration_mail.delay(registration_id, kind))


def require_signup_open(meeting: Meeting, now: dt.datetime) -> None:
    if meeting.status != MeetingStatus.SCHEDULED:
        raise ValidationError(_("This meeting is not taking sign-ups."), code="not_scheduled")
    if meeting.starts_at <= now:
        raise ValidationError(_("This meeting has already started."), code="started")
    if meeting.registration_opens_at and now < meeting.registration_opens_at:
        raise ValidationError(
            _("Sign-ups open on %(when)s.")
            % {
                "when": timezone.localtime(meeting.registration_opens_at).strftime("%d/%m/%Y %H:%M")
            },
            code="not_open",
        )
    if meeting.registration_closes_at and now >= meeting.registration_closes_at:
        raise ValidationError(_("Sign-ups for this meeting are closed."), code="closed")


def _take_seat_or_wait(meeting: Meeting, registration: Registration, now: dt.datetime) -> None:
    """With the meeting locked: a seat if one is free (counted on the meeting), else the
    end of the waiting list."""
    offer = meeting.seats_on_offer
    if offer is None or meeting.seats_taken < offer:
        registration.status = R.CONFIRMED
        registration.confirmed_at = now
        registration.waiting_since = None
        Meeting.objects.filter(pk=meeting.pk).update(seats_taken=F("seats_taken") + 1)
        meeting.seats_taken += 1
    else:
        registration.status = R.WAITING
        registration.waiting_since = now


def _locked_meeting(meeting_id: int) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting_id)


def registration_create(
    *,
    meeting: Meeting,
    user: Any = None,
    email: str = "",
    name: str = "",
    language: str = "it",
) -> Registration:
    """Sign up for a meeting: a citizen with an account (``user``) gets a seat, or a
    place on the waiting list, at once; a guest (``email`` and ``name``) is registered
    as unconfirmed until they follow the link in the confirmation mail. One active
    registration per address and meeting."""
    now = timezone.now()
    if user is not None and getattr(user, "is_authenticated", False):
        email = user.email
        name = name or user.get_full_name() or user.email
        language = getattr(user, "language", "") or language
    else:
        user = None
    email = (email or "").strip().lower()
    errors: dict[str, str] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Give a valid e-mail address.")
    if not name.strip():
        errors["name"] = _("Give your name.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            locked = _locked_meeting(meeting.pk)
            require_signup_open(locked, now)
            if user is not None:
                # Someone else may have typed this person's address as a guest: the
                # account's own address is verified, so its sign-up wins over an
                # unconfirmed guest entry.
                locked.registrations.filter(email=email, status=R.UNCONFIRMED).update(
                    status=R.EXPIRED
                )
            if locked.registrations.filter(email=email, status__in=ACTIVE_STATUSES).exists():
                raise ValidationError(
                    _("This address is already signed up for this meeting."), code="duplicate"
                )
            registration = Registration(
                meeting=locked,
                user=user,
                email=email,
                name=name.strip()[:200],
                code=_free_code(locked),
                nonce=secrets.token_urlsafe(16),
                language=language[:10],
                created_at=now,
            )
            if user is None:
                registration.status = R.UNCONFIRMED
            else:
                _take_seat_or_wait(locked, registration, now)
            registration.save()
            _send_after_commit(
                registration.pk, "confirm_address" if user is None else registration.status
            )
    except IntegrityError as exc:
        # The one-active-registration constraint caught a double submission racing this one.
        raise ValidationError(
            _("This address is already signed up for this meeting."), code="duplicate"
        ) from exc
    return registration


def _free_code(meeting: Meeting) -> str:
    taken = set(meeting.registrations.values_list("code", flat=True))
    while True:
        code = _code()
        if code not in taken:
            return code


def confirmation_deadline(registration: Registration) -> dt.datetime:
    return registration.created_at + dt.timedelta(hours=settings.LAB_GUEST_CONFIRMATION_HOURS)


def registration_confirm(*, registration: Registration) -> Registration:
    """A guest confirms their address (the link in the mail): they get a seat, or a
    place on the waiting list, in order of confirmation. A link followed after
    LAB_GUEST_CONFIRMATION_HOURS finds the registration expired; following it again
    changes nothing."""
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_meeting(registration.meeting_id)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != R.UNCONFIRMED:
            return registration
        expired = now > confirmation_deadline(registration)
        if expired:
            registration.status = R.EXPIRED
            registration.save(update_fields=["status"])
        else:
            require_signup_open(locked, now)
            _take_seat_or_wait(locked, registration, now)
            registration.save(update_fields=["status", "confirmed_at", "waiting_since"])
            _send_after_commit(registration.pk, registration.status)
    if expired:
        # Raised once the block has committed: inside it, the error would roll the
        # expiry back and the registration would stay unconfirmed.
        raise ValidationError(_("This link has expired: sign up again."), code="expired")
    return registration


def registration_cancel(*, registration: Registration, actor: Any = None) -> Registration:
    """Cancel a registration (the person's own link, or a facilitator). A seat that
    frees up goes to the first in the waiting list, who is e-mailed."""
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_meeting(registration.meeting_id)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status not in ACTIVE_STATUSES:
            return registration
        if locked.starts_at <= now or locked.status != MeetingStatus.SCHEDULED:
            # Past the start, attendance and minutes speak for the meeting; nobody is
            # promoted into it any more.
            raise ValidationError(
                _("This meeting has already started: the registration can no longer be cancelled."),
                code="started",
            )
        had_seat = registration.status == R.CONFIRMED
        registration.status = R.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at"])
        if had_seat:
            Meeting.objects.filter(pk=locked.pk).update(seats_taken=F("seats_taken") - 1)
            locked.seats_taken -= 1
            _promote(locked, now)
        if actor is not None:
            audit_change(
                obj=registration,
                action="state",
                changes={"status": [None, "cancelled"]},
                actor=actor,
            )
    return registration


def _promote(meeting: Meeting, now: dt.datetime) -> list[Registration]:
    """With the meeting locked: give the free seats to the waiting list, in order."""
    promoted: list[Registration] = []
    offer = meeting.seats_on_offer
    while offer is None or meeting.seats_taken < offer:
        first = (
            meeting.registrations.select_for_update()
            .filter(status=R.WAITING)
            .order_by("waiting_since", "id")
            .first()
        )
        if first is None:
            break
        first.status = R.CONFIRMED
        first.confirmed_at = now
        first.promoted_at = now
        first.waiting_since = None
        first.save(update_fields=["status", "confirmed_at", "promoted_at", "waiting_since"])
        Meeting.objects.filter(pk=meeting.pk).update(seats_taken=F("seats_taken") + 1)
        meeting.seats_taken += 1
        _send_after_commit(first.pk, "promoted")
        promoted.append(first)
    return promoted


def meeting_set_capacity(
    *, meeting: Meeting, capacity: int, reserved_seats: int, actor: Any
) -> Meeting:
    """Change a meeting's capacity (0 = no limit) and the seats held back. More seats
    promote the waiting list at once; fewer than the seats already taken are refused."""
    if capacity < 0 or reserved_seats < 0:
        raise ValidationError(_("Seats cannot be negative."))
    if capacity and reserved_seats > capacity:
        raise ValidationError({"reserved_seats": _("More seats reserved than the capacity.")})
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_meeting(meeting.pk)
        if capacity and locked.seats_taken > capacity - reserved_seats:
            raise ValidationError(
                {
                    "capacity": _(
                        "%(taken)s people already have a seat: offer at least as many seats."
                    )
                    % {"taken": locked.seats_taken}
                }
            )
        before = {"capacity": locked.capacity, "reserved_seats": locked.reserved_seats}
        Meeting.objects.filter(pk=locked.pk).update(
            capacity=capacity, reserved_seats=reserved_seats
        )
        locked.capacity, locked.reserved_seats = capacity, reserved_seats
        _promote(locked, now)
        audit_change(
            obj=locked,
            action="update",
            changes={
                "capacity": [before["capacity"], capacity],
                "reserved_seats": [before["reserved_seats"], reserved_seats],
            },
            actor=actor,
        )
    meeting.refresh_from_db()
    return meeting


def registrations_expire(*, now: dt.datetime | None = None) -> int:
    """Mark as expired the guests' sign-ups not confirmed in time (beat, hourly)."""
    now = now or timezone.now()
    limit = now - dt.timedelta(hours=settings.LAB_GUEST_CONFIRMATION_HOURS)
    return Registration.objects.filter(status=R.UNCONFIRMED, created_at__lt=limit).update(
        status=R.EXPIRED
    )


# --- Mails: status changes and reminders, each sent once ---------------------------------


def registration_mail_send(
    *, registration_id: int, kind: str, hours_before: int | None = None
) -> bool:
    """Send one mail about a registration, once. The mail is recorded under a unique key
    (registration, kind, hours before) in the same locked transaction as its sending: a
    re-delivered task, or a second scan, finds it recorded and sends nothing; a mail that
    fails records nothing (the task may retry). Returns whether a mail left."""
    from labs.mails import registration_message
    from labs.models import RegistrationMail

    key = f"registration:{registration_id}:{kind}" + (
        f":{hours_before}h" if hours_before is not None else ""
    )
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("meeting__lab")
            .filter(pk=registration_id)
            .first()
        )
        if registration is None or RegistrationMail.objects.filter(key=key).exists():
            return False
        if kind == "reminder" and registration.status != R.CONFIRMED:
            return False
        RegistrationMail.objects.create(
            key=key,
            registration=registration,
            kind=kind,
            hours_before=hours_before,
            sent_at=timezone.now(),
        )
        registration_message(registration, kind, hours_before=hours_before).send()
    return True


def reminders_due(*, now: dt.datetime | None = None) -> list[tuple[int, int]]:
    """The (registration, hours before) reminders due now: for each lead time of
    LAB_REMINDER_HOURS, confirmed registrations of scheduled meetings starting within
    it (and not within the next shorter one) not yet reminded for it. The sending
    itself is once-only, whatever this says."""
    from labs.models import RegistrationMail

    now = now or timezone.now()
    due: list[tuple[int, int]] = []
    leads = sorted(set(settings.LAB_REMINDER_HOURS))
    for index, hours in enumerate(leads):
        # Each lead time has its window: closer than it, farther than the next shorter
        # one (a person who signs up 90 minutes before gets the 2-hour reminder only).
        after = now + dt.timedelta(hours=leads[index - 1]) if index else now
        registrations = Registration.objects.filter(
            status=R.CONFIRMED,
            meeting__status=MeetingStatus.SCHEDULED,
            meeting__starts_at__gt=after,
            meeting__starts_at__lte=now + dt.timedelta(hours=hours),
        ).exclude(
            pk__in=RegistrationMail.objects.filter(kind="reminder", hours_before=hours).values(
                "registration_id"
            )
        )
        due += [(pk, hours) for pk in registrations.values_list("pk", flat=True)]
    return due
