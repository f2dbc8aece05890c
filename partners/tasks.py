"""Background tasks of the partners app (the task contract is in ``legami/tasks.py``)."""

from __future__ import annotations

import smtplib

from celery import shared_task


@shared_task(
    name="partners.send_invitation",
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def send_invitation(invitation_id: int) -> bool:
    """E-mail an invitation once. Returns quietly (False) if it is gone, no longer
    pending, or already sent, so a re-delivered task sends nothing twice. The link's
    token is made while sending (see ``partners.services``): it never travels through
    the broker."""
    from partners.services import invitation_send

    return invitation_send(invitation_id=invitation_id)
