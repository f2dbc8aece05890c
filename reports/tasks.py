"""Tasks of the reports app (the task contract is in ``legami/tasks.py``)."""

from __future__ import annotations

import smtplib

from celery import shared_task

SEND_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(name="reports.build_export", acks_late=True, soft_time_limit=1500, time_limit=1560)
def build_export(export_id: int) -> None:
    """Carry out a report export (once, however often it is delivered)."""
    from reports.services import export_build

    export_build(export_id=export_id)


@shared_task(name="reports.delete_expired_exports")
def delete_expired_exports() -> int:
    """Delete the report files kept past their time; safe to run twice."""
    from reports.services import exports_delete_expired

    return exports_delete_expired()


@shared_task(name="reports.make_monthly_reports")
def make_monthly_reports() -> int:
    """Ask for last month's report of every ambito (once per month, however often)."""
    from reports.services import monthly_exports_make

    return len(monthly_exports_make())


@shared_task(
    name="reports.mail_monthly_report",
    autoretry_for=SEND_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def mail_monthly_report(export_id: int) -> int:
    """Tell the ambito's administrators that its monthly report is ready (once)."""
    from reports.services import monthly_report_mail

    return monthly_report_mail(export_id=export_id)
