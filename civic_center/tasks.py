"""Background tasks of the Civic Center (the task contract is in ``legami/tasks.py``)."""

from __future__ import annotations

import smtplib

from celery import shared_task

SEND_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(name="civic_center.run_matching", soft_time_limit=600, time_limit=660)
def run_matching(run_id: int) -> None:
    """Carry out a matching run (once, however often it is delivered)."""
    from civic_center.services import run_execute

    run_execute(run_id=run_id)


@shared_task(
    name="civic_center.send_agreement_mail",
    autoretry_for=SEND_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def send_agreement_mail(key: str, member_id: int, kind: str) -> bool:
    """Send one mail about a family's place in a group, once per key."""
    from civic_center.mails import agreement_mail_send

    return agreement_mail_send(key=key, member_id=member_id, kind=kind)


@shared_task(name="civic_center.expire_demands")
def expire_demands() -> int:
    """Open demands whose period is over leave the pool."""
    from civic_center.services.demand import demand_expire_past

    return demand_expire_past()


@shared_task(
    name="civic_center.send_provider_mail",
    autoretry_for=SEND_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def send_provider_mail(key: str, agreement_id: int, kind: str) -> int:
    """Tell the lead organisation's staff about a group, once per key."""
    from civic_center.mails import provider_mail_send

    return provider_mail_send(key=key, agreement_id=agreement_id, kind=kind)


@shared_task(name="civic_center.lapse_unanswered")
def lapse_unanswered() -> int:
    """Families who did not answer a group proposal in time drop out (hourly)."""
    from civic_center.services.agreement import agreements_lapse_unanswered

    return agreements_lapse_unanswered()
