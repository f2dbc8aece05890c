"""Background tasks of the fundraising app (the task contract is in ``legami/tasks.py``)."""

from __future__ import annotations

import smtplib

from celery import shared_task

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
