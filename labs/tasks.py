"""Background tasks of the labs app (the task contract is in ``legami/tasks.py``)."""

from __future__ import annotations

import smtplib

from celery import shared_task

SEND_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(
    name="labs.send_registration_mail",
    autoretry_for=SEND_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def send_registration_mail(
    registration_id: int, kind: str, hours_before: int | None = None
) -> bool:
    """Send one mail about a registration, once (a re-delivered task sends nothing)."""
    from labs.services import registration_mail_send

    return registration_mail_send(
        registration_id=registration_id, kind=kind, hours_before=hours_before
    )


@shared_task(name="labs.send_meeting_reminders")
def send_meeting_reminders() -> int:
    """Every ten minutes (beat): queue the meeting reminders now due (LAB_REMINDER_HOURS).
    Each is sent once whatever happens to the workers: the send records it by key."""
    from labs.services import reminders_due

    due = reminders_due()
    for registration_id, hours in due:
        send_registration_mail.delay(registration_id, "reminder", hours)
    return len(due)


@shared_task(name="labs.expire_unconfirmed_registrations")
def expire_unconfirmed_registrations() -> int:
    """Hourly (beat): guests' sign-ups not confirmed in time expire."""
    from labs.services import registrations_expire

    return registrations_expire()


@shared_task(name="labs.remind_to_close_meetings")
def remind_to_close_meetings() -> int:
    """Daily (beat): e-mail each lab's facilitators about its meetings that ended more
    than a day ago and have no minutes yet, once per meeting."""
    from labs.services.meetings import meeting_close_reminder_send, meetings_to_close

    return sum(meeting_close_reminder_send(meeting=m) for m in meetings_to_close())
