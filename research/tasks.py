"""Background tasks of the research app (the task contract is in ``legami/tasks.py``)."""

from __future__ import annotations

import smtplib

from celery import shared_task

SEND_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(
    name="research.send_invitation_mail",
    autoretry_for=SEND_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def send_invitation_mail(invitation_id: int, kind: str, round: int = 0) -> bool:
    """E-mail a survey invitation or the reminder of ``round``, once: a re-delivered task
    finds the mail's key recorded and sends nothing. The link's token is made while
    sending: it never travels through the broker."""
    from research.services.invitations import invitation_mail_send

    return invitation_mail_send(invitation_id=invitation_id, kind=kind, round=round)


@shared_task(name="research.close_due_surveys")
def close_due_surveys() -> int:
    """Close the surveys whose closing time has passed (beat, hourly); safe to run twice."""
    from research.services.surveys import surveys_close_due

    return surveys_close_due()
