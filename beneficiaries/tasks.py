"""Tasks of the beneficiaries app (see ../shared/ARCHITECTURE.md)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="beneficiaries.anonymise_closed_files")
def anonymise_closed_files() -> int:
    """Anonymise the case files whose retention has ended (scheduled nightly); a person
    already anonymised is skipped, so running it twice does nothing more. Returns how
    many files were anonymised."""
    from beneficiaries.services.gdpr import persons_anonymise_due

    return persons_anonymise_due()
