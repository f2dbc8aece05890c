"""Bank statements imported for reconciliation (CSV or ISO 20022 camt.053): each file
once per organisation (by its hash), each entry once (by the bank's reference), so that
importing the same statement twice changes nothing."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundraising.models.donation import Donation
from partners.models import Organisation


class StatementFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    CAMT053 = "camt053", _("ISO 20022 camt.053 (XML)")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting to be imported")
    RUNNING = "running", _("being imported")
    DONE = "done", _("imported")
    FAILED = "failed", _("import failed")


class BankStatement(models.Model):
    """A statement file, imported in the request (``statement_import``) or by a Celery
    task that reports its progress here (``statement_upload`` then ``statement_run``):
    the file waits in ``data`` until its import is done, the entries are read in
    batches and ``processed`` says how many of the file's credits are done."""

    organisation = models.ForeignKey(
        Organisation, related_name="bank_statements", on_delete=models.PROTECT
    )
    format = models.CharField(_("format"), max_length=8, choices=StatementFormat.choices)
    file_name = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(max_length=64)
    account_iban = models.CharField(_("bank account"), max_length=34, blank=True, default="")
    imported_at = models.DateTimeField(_("imported on"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True
    )
    status = models.CharField(
        _("status"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.DONE
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=100)
    # The file, kept while it waits for (or is under) the import; emptied once done.
    data = models.BinaryField(default=b"", editable=False)
    # Credits of the file (``total``) and how many the import has gone through.
    total = models.PositiveIntegerField(_("credits in the file"), default=0)
    processed = models.PositiveIntegerField(_("credits processed"), default=0)
    new = models.PositiveIntegerField(_("new credits"), default=0)
    known = models.PositiveIntegerField(_("credits already known"), default=0)
    matched = models.PositiveIntegerField(_("matched automatically"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    skipped_reasons = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(_("last progress"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering: ClassVar = ["-imported_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "sha256"], name="fundraising_statement_once"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="fundraising_statement_progress"
            ),
        ]

    def __str__(self) -> str:
        return self.file_name


class EntryStatus(models.TextChoices):
    MATCHED = "matched", _("matched automatically")
    CONFIRMED = "confirmed", _("matched by hand")
    UNMATCHED = "unmatched", _("to review")
    IGNORED = "ignored", _("not a gift")


class BankEntry(models.Model):
    """An incoming credit of a statement, and the gift it pays (when found)."""

    statement = models.ForeignKey(BankStatement, related_name="entries", on_delete=models.CASCADE)
    organisation = models.ForeignKey(Organisation, related_name="+", on_delete=models.PROTECT)
    # The bank's reference of the entry (AcctSvcrRef / EndToEndId, or a digest of the
    # row for CSV files without one): one entry per reference per organisation.
    reference = models.CharField(max_length=120)
    booked_on = models.DateField(_("booked on"))
    amount = models.DecimalField(_("amount (€)"), max_digits=12, decimal_places=2)
    counterparty = models.CharField(_("payer"), max_length=200, blank=True, default="")
    counterparty_iban = models.CharField(
        _("payer's account"), max_length=34, blank=True, default=""
    )
    remittance = models.CharField(_("causale"), max_length=500, blank=True, default="")
    status = models.CharField(max_length=10, choices=EntryStatus.choices)
    donation = models.OneToOneField(
        Donation, related_name="bank_entry", on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = _("bank entry")
        verbose_name_plural = _("bank entries")
        ordering: ClassVar = ["booked_on", "pk"]
        indexes: ClassVar = [models.Index(fields=["organisation", "status", "booked_on"])]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "reference"], name="fundraising_entry_once"
            ),
            # Matched entries pay a gift; the others pay none.
            models.CheckConstraint(
                condition=Q(status__in=["matched", "confirmed"], donation__isnull=False)
                | Q(status__in=["unmatched", "ignored"], donation__isnull=True),
                name="fundraising_entry_status_fits_gift",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} · {self.amount} € · {self.counterparty}"
