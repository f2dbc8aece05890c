"""Models of the reports app (see ../shared/ARCHITECTURE.md).

The figures themselves are never stored: every report is computed when it is read
(``reports.indicators``). What is stored is an *export*: the request for a report file
(XLSX, CSV or PDF) of one ambito — or one of its comuni — and one period, made by a
person from the report page or by beat for the monthly report, carried out by a Celery
task that writes its progress here, and the file it produced, kept in the private
storage until ``expires_at`` and then deleted.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legami.models import Ambito, Comune


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", _("spreadsheet (XLSX)")
    CSV = "csv", _("table (CSV)")
    PDF = "pdf", _("document (PDF)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting to start")
    RUNNING = "running", _("being prepared")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")
    EXPIRED = "expired", _("deleted (expired)")


class ExportKind(models.TextChoices):
    REQUESTED = "requested", _("requested")
    MONTHLY = "monthly", _("monthly report")


ACTIVE_EXPORT = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class ReportExport(models.Model):
    """One report file of an ambito (or one of its comuni) for one period."""

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    ambito = models.ForeignKey(
        Ambito, verbose_name=_("ambito"), related_name="+", on_delete=models.PROTECT
    )
    comune = models.ForeignKey(
        Comune,
        verbose_name=_("comune"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    period = models.CharField(_("period"), max_length=9)  # a Period's code: 2026, 2026-Q1…
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    kind = models.CharField(
        _("kind"), max_length=10, choices=ExportKind.choices, default=ExportKind.REQUESTED
    )
    language = models.CharField(_("language"), max_length=8, default="it")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("stage"), max_length=20, blank=True)
    file_path = models.CharField(_("file"), max_length=200, blank=True)
    file_name = models.CharField(_("file name"), max_length=120, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("kept until"), null=True, blank=True)
    mailed_at = models.DateTimeField(_("mailed"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("report export")
        verbose_name_plural = _("report exports")
        ordering: ClassVar = ["-created_at", "-pk"]
        constraints: ClassVar = [
            # Beat makes each monthly report once, however often it runs.
            models.UniqueConstraint(
                fields=["ambito", "period", "format"],
                condition=Q(kind="monthly"),
                name="reports_one_monthly_export",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="reports_export_progress"),
            models.CheckConstraint(
                condition=Q(kind="requested") | Q(comune__isnull=True),
                name="reports_monthly_export_whole_ambito",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["status", "expires_at"], name="reports_export_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.ambito} {self.period} {self.format}"

    def get_absolute_url(self) -> str:
        return reverse("reports:export", args=[self.token])

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_EXPORT
