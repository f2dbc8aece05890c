"""Background tasks of the pacts app: review reminders (the task contract is in
``legami/tasks.py``)."""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.db import transaction

from pacts.services.follow import SEND_ERRORS


@shared_task(name="pacts.scan_review_reminders")
def scan_review_reminders() -> int:
    """Daily (beat): make the review reminders due today and send each one's mail after
    commit. Running it twice makes and sends nothing more."""
    from pacts.services.follow import reminders_scan

    with transaction.atomic():
        made = reminders_scan()
        for reminder_id in made:
            transaction.on_commit(partial(send_review_reminder.delay, reminder_id))
    return len(made)


@shared_task(name="pacts.resend_unsent_reminders")
def resend_unsent_reminders() -> int:
    """Hourly (beat): queue again the reminders whose task was lost (see
    ``reminders_unsent``); each is still sent once."""
    from pacts.services.follow import reminders_unsent

    made = reminders_unsent()
    for reminder_id in made:
        send_review_reminder.delay(reminder_id)
    return len(made)


@shared_task(
    name="pacts.send_review_reminder",
    autoretry_for=SEND_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def send_review_reminder(reminder_id: int) -> bool:
    """E-mail one reminder, once: a re-delivered task finds it sent and does nothing."""
    from pacts.services.follow import reminder_send

    return reminder_send(reminder_id=reminder_id)
