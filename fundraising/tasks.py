"""Background tasks of the fundraising app (the task contract is in ``legami/tasks.py``)."""

from __future__ import annotations

import smtplib

from celery import shared_task

# The bank import's task lives in its own module; Celery discovers tasks.py only.
from fundraising.tasks_bank import import_statement  # noqa: F401

SEND_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(
    name="fundraising.send_receipt_mail",
    autoretry_for=SEND_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def send_receipt_mail(receipt_id: int) -> bool:
    """Mail a receipt to its donor, once (a re-delivered task sends nothing; a receipt
    gone or cancelled, or a donor with no address, sends nothing)."""
    from fundraising.services.receipts import receipt_mail_send

    return receipt_mail_send(receipt_id=receipt_id)


@shared_task(name="fundraising.issue_receipt", acks_late=True)
def issue_receipt(donation_id: int) -> int | None:
    """Issue the receipt of a gift just received (and queue its mail); delivered twice,
    it issues one receipt. Returns the receipt's number, or None when none is due."""
    from fundraising.services.receipts import receipt_issue_due

    receipt = receipt_issue_due(donation_id=donation_id)
    return receipt.number if receipt is not None else None


@shared_task(name="fundraising.generate_monthly_gifts")
def generate_monthly_gifts() -> int:
    """This month's pledged donation of every active monthly gift, once per gift and
    month (beat runs it daily, so a gift started mid-month gets its first one the same
    day). Returns how many were made."""
    from django.utils import timezone

    from fundraising.services.donations import recurring_generate

    return len(recurring_generate(today=timezone.localdate()))


@shared_task(name="fundraising.mail_campaign_update")
def mail_campaign_update(update_id: int) -> int:
    """Mail a campaign's news to the donors who consented, once: a re-delivered or
    concurrent task finds the update already claimed and sends nothing; an update gone,
    or not meant for e-mail, sends nothing. No retry: the update is claimed before the
    mails leave, and nobody should get the news twice. Returns how many were mailed."""
    from fundraising.services.campaigns import update_mail_send

    return update_mail_send(update_id=update_id)
