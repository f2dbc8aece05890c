"""Following a pact: reviews (verifiche), work placements, and review reminders.

Reminders: a beat job (``pacts.scan_review_reminders``) finds running pacts whose next
review falls within PACT_REMINDER_DAYS_BEFORE days or has passed, and makes one
``Reminder`` per recipient, kind and review date — the row's unique key makes a second
run, or a re-delivered task, find it there and do nothing. Each new reminder's e-mail
leaves from its own task, which sends it only if ``sent_at`` is still empty, marking it
in the same locked transaction (as invitations do); the dashboard shows the reminders
not yet dismissed.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from beneficiaries.models import Assessment, AssessmentKind
from legami.audit import audit_change, diff, snapshot
from legami.models import User
from legami.policy import Action, allowed, require
from pacts.models import (
    GoalOutcome,
    Pact,
    PactStatus,
    Placement,
    PlacementOutcome,
    Reminder,
    ReminderKind,
    Review,
    ReviewGoalOutcome,
    SignatoryKind,
)
from pacts.services.pacts import pact_transition, pact_worker_ids

S = PactStatus


# --- Reviews -----------------------------------------------------------------------------


def review_start(*, pact: Pact, actor: Any) -> Pact:
    """Open the review of an active pact (active → in review)."""
    return pact_transition(pact=pact, to=S.IN_REVIEW, actor=actor)


def review_record(
    *,
    pact: Pact,
    actor: Any,
    outcomes: dict[int, tuple[str, str]],
    date: dt.date | None = None,
    notes: str = "",
    next_review_on: dt.date | None = None,
    final: bool = False,
    assessment: Assessment | None = None,
) -> Review:
    """Record the review of a running pact: an outcome for every goal (``outcomes``
    maps goal id to (outcome, note)), notes, and either the next review date — the pact
    goes on (back to active) — or ``final`` — the pact is completed. An active pact is
    put in review first. An LSNS-6 assessment of the person may be attached."""
    require(actor, Action.CHANGE, pact)
    date = date or timezone.localdate()
    errors: dict[str, Any] = {}
    if date > timezone.localdate():
        errors["date"] = _("A review cannot be in the future.")
    elif pact.start_date and date < pact.start_date:
        errors["date"] = _("The review comes before the pact started.")
    if final:
        next_review_on = None
    elif next_review_on is None:
        errors["next_review_on"] = _("Give the date of the next review, or mark this review final.")
    elif next_review_on <= date:
        errors["next_review_on"] = _("The next review comes after this one.")
    goal_ids = set(pact.goals.values_list("pk", flat=True))
    missing = goal_ids - set(outcomes)
    if missing or set(outcomes) - goal_ids:
        errors["outcomes"] = _("Give an outcome for each goal of the pact.")
    if any(value[0] not in GoalOutcome.values for value in outcomes.values()):
        errors["outcomes"] = _("Choose achieved, partly achieved or not achieved.")
    if assessment is not None and (
        assessment.person_id != pact.person_id or assessment.kind != AssessmentKind.LSNS6
    ):
        errors["assessment"] = _("Attach an LSNS-6 assessment of this person.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Pact.objects.select_for_update().get(pk=pact.pk)
        if locked.status == S.ACTIVE:
            locked = pact_transition(pact=locked, to=S.IN_REVIEW, actor=actor)
        if locked.status != S.IN_REVIEW:
            raise ValidationError(
                _("Only a running pact can be reviewed; this one is %(status)s.")
                % {"status": S(locked.status).label},
                code="invalid_transition",
            )
        review = Review.objects.create(
            pact=locked,
            date=date,
            notes=notes,
            next_review_on=next_review_on,
            final=final,
            assessment=assessment,
            held_by=actor,
        )
        ReviewGoalOutcome.objects.bulk_create(
            ReviewGoalOutcome(review=review, goal_id=goal_id, outcome=outcome, note=note[:300])
            for goal_id, (outcome, note) in sorted(outcomes.items())
        )
        audit_change(
            obj=review,
            action="create",
            changes={
                "date": [None, date.isoformat()],
                "final": [None, final],
                "outcomes": [None, {str(k): v[0] for k, v in sorted(outcomes.items())}],
            },
            actor=actor,
        )
        if final:
            pact_transition(pact=locked, to=S.COMPLETED, actor=actor, on=date)
        else:
            pact_transition(pact=locked, to=S.ACTIVE, actor=actor)
            Pact.objects.filter(pk=locked.pk).update(next_review_on=next_review_on)
            audit_change(
                obj=locked,
                action="update",
                changes={
                    "next_review_on": [
                        locked.next_review_on.isoformat() if locked.next_review_on else None,
                        next_review_on.isoformat() if next_review_on else None,
                    ]
                },
                actor=actor,
            )
        # The reminders about this review have done their work.
        Reminder.objects.filter(pact=locked, dismissed_at__isnull=True).update(
            dismissed_at=timezone.now()
        )
    return review


# --- Work placements ---------------------------------------------------------------------

_PLACEMENT_FIELDS = (
    "host_organisation",
    "host_name",
    "tutor",
    "role",
    "start_date",
    "end_date",
    "hours_per_week",
    "outcome",
    "outcome_date",
    "notes",
)


def _check_placement(values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if values.get("host_organisation") is None and not str(values.get("host_name") or "").strip():
        errors["host_name"] = _("Name the company or organisation hosting the placement.")
    if not str(values.get("tutor") or "").strip():
        errors["tutor"] = _("Name the tutor.")
    start, end = values.get("start_date"), values.get("end_date")
    if start is None:
        errors["start_date"] = _("Give the start date.")
    if end is None:
        errors["end_date"] = _("Give the end date.")
    elif start and end < start:
        errors["end_date"] = _("The placement ends before it starts.")
    hours = values.get("hours_per_week")
    if hours is None or not Decimal(0) < Decimal(hours) <= 48:
        errors["hours_per_week"] = _("Give between 0 and 48 hours a week.")
    outcome = values.get("outcome") or PlacementOutcome.ONGOING
    if outcome not in PlacementOutcome.values:
        errors["outcome"] = _("Choose an outcome.")
    elif outcome != PlacementOutcome.ONGOING and values.get("outcome_date") is None:
        errors["outcome_date"] = _("Give the date of the outcome.")
    elif values.get("outcome_date") and values["outcome_date"] > timezone.localdate():
        errors["outcome_date"] = _("The outcome date is in the future.")
    if errors:
        raise ValidationError(errors)


def placement_add(*, pact: Pact, actor: Any, **values: Any) -> Placement:
    """Link a work placement (tirocinio) to a pact that is not over."""
    require(actor, Action.CHANGE, pact)
    if pact.status in (S.COMPLETED, S.INTERRUPTED):
        raise ValidationError(_("This pact is over: placements can no longer be added."))
    if set(values) - set(_PLACEMENT_FIELDS):
        raise ValueError(
            f"placement_add does not take {sorted(set(values) - set(_PLACEMENT_FIELDS))}"
        )
    values.setdefault("outcome", PlacementOutcome.ONGOING)
    _check_placement(values)
    if values["outcome"] == PlacementOutcome.ONGOING:
        values["outcome_date"] = None
    with transaction.atomic():
        placement = Placement.objects.create(pact=pact, **values)
        audit_change(
            obj=placement,
            action="create",
            changes={k: [None, v] for k, v in snapshot(placement).items() if v not in ("", None)},
            actor=actor,
        )
    return placement


def placement_update(*, placement: Placement, actor: Any, **values: Any) -> Placement:
    """Change a placement, e.g. record its outcome (hired, extended, ended)."""
    require(actor, Action.CHANGE, placement.pact)
    if set(values) - set(_PLACEMENT_FIELDS):
        raise ValueError(
            f"placement_update does not take {sorted(set(values) - set(_PLACEMENT_FIELDS))}"
        )
    merged = {name: values.get(name, getattr(placement, name)) for name in _PLACEMENT_FIELDS}
    _check_placement(merged)
    if merged["outcome"] == PlacementOutcome.ONGOING:
        values["outcome_date"] = None
    with transaction.atomic():
        before = snapshot(placement)
        for name, value in values.items():
            setattr(placement, name, value)
        placement.save()
        changes = diff(before, snapshot(placement))
        if changes:
            audit_change(obj=placement, action="update", changes=changes, actor=actor)
    return placement


# --- Reminders ---------------------------------------------------------------------------

# A reminder still unsent this long after it was made has lost its task; it is sent again
# while it is younger than REMINDER_RESEND_WITHIN (a recipient who never may receive it is
# not tried forever).
REMINDER_RESEND_AFTER = dt.timedelta(minutes=30)
REMINDER_RESEND_WITHIN = dt.timedelta(days=3)


def reminder_recipients(pact: Pact) -> set[int]:
    """Who is reminded of a pact's review: the workers assigned to its case, the case
    worker who signed it, and the staff who signed it for partner organisations."""
    ids = pact_worker_ids(pact)
    for kind, user_id, signed_by_id in pact.signatories.values_list(
        "kind", "user_id", "signed_by_id"
    ):
        if kind == SignatoryKind.CASE_WORKER and user_id:
            ids.add(user_id)
        elif kind == SignatoryKind.ORGANISATION and signed_by_id:
            ids.add(signed_by_id)
    users = User.objects.filter(pk__in=ids, is_active=True)
    # Only those who may still read the pact today (a partner whose membership ended, a
    # worker moved off the case): a reminder names the pact.
    return {user.pk for user in users if allowed(user, Action.READ, pact)}


def reminders_scan(*, today: dt.date | None = None) -> list[int]:
    """Make the reminders due today: for each running pact whose next review is within
    PACT_REMINDER_DAYS_BEFORE days ("due soon") or past ("overdue"), one reminder per
    recipient — unless it exists already. Returns the ids of the reminders made now (the
    caller sends their mails)."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.PACT_REMINDER_DAYS_BEFORE)
    made: list[int] = []
    pacts = Pact.objects.filter(
        status__in=[S.ACTIVE, S.IN_REVIEW],
        next_review_on__isnull=False,
        next_review_on__lte=horizon,
    ).select_related("case")
    for pact in pacts.iterator(chunk_size=200):
        if pact.next_review_on is None:  # filtered out above; keeps the type checker sure
            continue
        kind = ReminderKind.OVERDUE if pact.next_review_on < today else ReminderKind.DUE_SOON
        for user_id in sorted(reminder_recipients(pact)):
            key = f"pact:{pact.pk}:review:{pact.next_review_on.isoformat()}:{kind}:user:{user_id}"
            try:
                with transaction.atomic():
                    reminder, created = Reminder.objects.get_or_create(
                        key=key,
                        defaults={
                            "pact": pact,
                            "recipient_id": user_id,
                            "kind": kind,
                            "due_on": pact.next_review_on,
                        },
                    )
            except IntegrityError:  # made at the same moment by a concurrent run
                continue
            if created:
                made.append(reminder.pk)
    return made


def reminders_unsent(*, now: dt.datetime | None = None) -> list[int]:
    """Reminders made but not e-mailed whose task must have been lost on its way: made
    more than REMINDER_RESEND_AFTER ago (their task would have run by then) and less than
    REMINDER_RESEND_WITHIN ago, for a running pact and a recipient with an address. A
    worker that dies between taking a task from Redis and recording it as taken loses it
    for good (kombu's Redis transport; bench/reminders.py caught it); sending them again
    is safe, since ``reminder_send`` sends each reminder once."""
    now = now or timezone.now()
    return list(
        Reminder.objects.filter(
            sent_at__isnull=True,
            dismissed_at__isnull=True,
            created_at__lte=now - REMINDER_RESEND_AFTER,
            created_at__gte=now - REMINDER_RESEND_WITHIN,
            pact__status__in=[S.ACTIVE, S.IN_REVIEW],
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def reminder_send(*, reminder_id: int) -> bool:
    """E-mail a reminder once: returns quietly (False) if it is gone, dismissed, already
    sent, or its recipient has no address. ``sent_at`` is written in the same locked
    transaction as the sending, so a mail that fails records nothing (the task retries)
    and a second delivery finds it sent."""
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(of=("self",))
            .select_related("pact", "recipient")
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None or reminder.sent_at is not None or reminder.dismissed_at is not None:
            return False
        if reminder.pact.status not in (S.ACTIVE, S.IN_REVIEW):
            return False  # completed or interrupted since: there is no review to hold
        if not reminder.recipient.email or not reminder.recipient.is_active:
            return False
        if not allowed(reminder.recipient, Action.READ, reminder.pact):
            return False
        reminder.sent_at = timezone.now()
        reminder.save(update_fields=["sent_at"])
        _reminder_mail(reminder).send()
    return True


def _reminder_mail(reminder: Reminder) -> EmailMultiAlternatives:
    """The reminder in the recipient's language. It names the pact by its title and
    links to it; nothing else about the person travels by e-mail."""
    recipient = reminder.recipient
    with translation.override(recipient.language or "it"):
        context = {
            "reminder": reminder,
            "pact": reminder.pact,
            "overdue": reminder.kind == ReminderKind.OVERDUE,
            "link": settings.SITE_URL
            + reverse("pacts:pact_detail", args=[reminder.pact.public_id]),
        }
        subject = (
            _("Pact review overdue since %(date)s")
            if reminder.kind == ReminderKind.OVERDUE
            else _("Pact review due on %(date)s")
        ) % {"date": reminder.due_on.strftime("%d/%m/%Y")}
        text = render_to_string("pacts/email/review_reminder.txt", context)
    message = EmailMultiAlternatives(subject=f"[Legami] {subject}", body=text, to=[recipient.email])
    return message


SEND_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


def reminder_dismiss(*, reminder: Reminder, actor: Any) -> Reminder:
    """Take a reminder off the user's dashboard (their own only)."""
    if reminder.recipient_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if reminder.dismissed_at is None:
        reminder.dismissed_at = timezone.now()
        reminder.save(update_fields=["dismissed_at"])
    return reminder
