"""Background import of bank statements (the task contract is in ``legami/tasks.py``):
a statement of thousands of credits takes minutes to match, too long for a request."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="fundraising.import_statement", acks_late=True)
def import_statement(statement_id: int) -> None:
    """Import a queued bank statement (once, however often it is delivered)."""
    from fundraising.services.reconciliation import statement_run

    statement_run(statement_id=statement_id)
