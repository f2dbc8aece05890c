"""Services of the reports app (see ../shared/ARCHITECTURE.md): report files.

A person who may export an ambito's report asks for a file of it (``export_request``);
beat asks for last month's report of every ambito (``monthly_exports_make``). The task
``reports.build_export`` computes the report area by area, writing its progress on the
export, lays it out (``reports.exports``), keeps the file in the private storage for
``REPORT_EXPORT_KEEP_DAYS`` days and records when it will be deleted; the task
``reports.delete_expired_exports`` deletes it then. A monthly report, once ready, is
mailed to the administrators of its ambito (a link: the file is read only after logging
in, through the access policy).

Every file is in Italian, the language of the piano di zona and of the accounts to the
Region. Asking for a file and every download are written to the access log.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from legami.audit import audit_read
from legami.models import AccessEvent, Ambito, Comune
from legami.roles import Role
from partners.selectors import members_with_role
from reports.document import build, period_words
from reports.exports import Heading, file_name, write_csv, write_pdf, write_xlsx
from reports.indicators import Period, Scope, parse_period
from reports.models import (
    ACTIVE_EXPORT,
    ExportFormat,
    ExportKind,
    ExportStatus,
    ReportExport,
)

logger = logging.getLogger(__name__)

PURPOSE = "piano di zona report file"
FILE_LANGUAGE = "it"
# A task that has shown no sign of life for this long is taken to be lost; the next
# delivery of the task (or a new request) carries the export out again.
STALE_AFTER = dt.timedelta(minutes=15)
WRITERS = {
    ExportFormat.XLSX: (write_xlsx, "xlsx"),
    ExportFormat.CSV: (write_csv, "csv"),
    ExportFormat.PDF: (write_pdf, "pdf"),
}
MONTHLY_FORMATS = (ExportFormat.PDF, ExportFormat.XLSX)
STAGES = ("computing", "writing")


def _queue_build(export: ReportExport) -> None:
    from reports.tasks import build_export

    transaction.on_commit(lambda: build_export.delay(export.pk))


def export_request(
    *, user: Any, ambito: Ambito, comune: Comune | None, period: Period, format: str
) -> ReportExport:
    """Ask for a report file. The caller has checked that ``user`` may export the report
    of ``ambito`` (``reports.selectors.report_scope(..., action=EXPORT)``). The same
    file asked for again while the first is still being prepared is the same export
    (a double click makes one file)."""
    if format not in ExportFormat.values:
        raise ValueError(f"unknown export format {format!r}")
    if comune is not None and comune.ambito_id != ambito.pk:
        raise ValueError("the comune is not in the ambito")
    with transaction.atomic():
        running = (
            ReportExport.objects.select_for_update()
            .filter(
                requested_by=user,
                ambito=ambito,
                comune=comune,
                period=period.code,
                format=format,
                kind=ExportKind.REQUESTED,
                status__in=ACTIVE_EXPORT,
            )
            .first()
        )
        if running is not None:
            return running
        export = ReportExport.objects.create(
            ambito=ambito,
            comune=comune,
            period=period.code,
            format=format,
            kind=ExportKind.REQUESTED,
            language=FILE_LANGUAGE,
            requested_by=user,
        )
        audit_read(objs=[ambito], action=AccessEvent.Action.EXPORT, purpose=PURPOSE, actor=user)
        _queue_build(export)
    return export


def _claim(export_id: int, now: dt.datetime) -> bool:
    """Take the export for this delivery of the task: a queued one, or one whose task
    was lost. A second delivery while the first is at work takes nothing."""
    claimed = (
        ReportExport.objects.filter(pk=export_id)
        .filter(
            Q(status=ExportStatus.QUEUED)
            | Q(status=ExportStatus.RUNNING, started_at__lt=now - STALE_AFTER)
        )
        .update(status=ExportStatus.RUNNING, started_at=now, progress=5, stage="computing")
    )
    return claimed == 1


def _progress(export_id: int, progress: int, stage: str) -> None:
    # started_at moves with the progress: a task at work is never taken for a lost one.
    ReportExport.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
        progress=progress, stage=stage, started_at=timezone.now()
    )


def export_build(*, export_id: int) -> ReportExport | None:
    """Carry out an export (once, however often the task is delivered): compute the
    report, lay it out, keep the file. None when there was nothing to do."""
    now = timezone.now()
    if not _claim(export_id, now):
        return None
    export = ReportExport.objects.select_related("ambito", "comune").get(pk=export_id)
    try:
        content = _render(export)
    except Exception as exc:  # noqa: BLE001 — any failure is recorded on the export
        logger.exception("report export %s failed", export.pk)
        ReportExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        export.refresh_from_db()
        return export
    _, extension = WRITERS[ExportFormat(export.format)]
    storage = storages["private"]
    path = storage.save(f"reports/exports/{export.token}.{extension}", ContentFile(content))
    finished = timezone.now()
    ReportExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.DONE,
        progress=100,
        stage="",
        file_path=path,
        size=len(content),
        finished_at=finished,
        expires_at=finished + dt.timedelta(days=settings.REPORT_EXPORT_KEEP_DAYS),
    )
    export.refresh_from_db()
    if export.kind == ExportKind.MONTHLY:
        from reports.tasks import mail_monthly_report

        mail_monthly_report.delay(export.pk)
    return export


def _render(export: ReportExport) -> bytes:
    writer, extension = WRITERS[ExportFormat(export.format)]
    period = parse_period(export.period)
    scope = Scope(export.ambito_id, export.comune_id)

    def progress(done: int, total: int) -> None:
        _progress(export.pk, 5 + (80 * done) // total, "computing")

    with translation.override(export.language):
        document = build(scope, period, progress=progress)
        _progress(export.pk, 90, "writing")
        heading = Heading(
            ambito=export.ambito.name,
            comune=export.comune.name if export.comune else None,
            generated_at=timezone.now(),
        )
        content = writer(document, heading)
        ReportExport.objects.filter(pk=export.pk).update(
            file_name=file_name(heading, document, extension)[:120]
        )
    return content


def export_content(*, export: ReportExport, user: Any) -> bytes | None:
    """The file of a ready export, written to the access log as read by ``user``; None
    when it is not ready or no longer kept."""
    if export.status != ExportStatus.DONE or not export.file_path:
        return None
    storage = storages["private"]
    if not storage.exists(export.file_path):
        return None
    with storage.open(export.file_path, "rb") as handle:
        content = handle.read()
    audit_read(objs=[export.ambito], action=AccessEvent.Action.EXPORT, purpose=PURPOSE, actor=user)
    return content


def exports_delete_expired(*, now: dt.datetime | None = None) -> int:
    """Delete the files kept past their time; the exports stay, marked expired."""
    now = now or timezone.now()
    storage = storages["private"]
    done = 0
    for export in ReportExport.objects.filter(status=ExportStatus.DONE, expires_at__lte=now):
        if export.file_path and storage.exists(export.file_path):
            storage.delete(export.file_path)
        done += ReportExport.objects.filter(pk=export.pk, status=ExportStatus.DONE).update(
            status=ExportStatus.EXPIRED, file_path=""
        )
    return done


def monthly_exports_make(*, today: dt.date | None = None) -> list[ReportExport]:
    """Ask for last month's report of every active ambito, once per ambito, month and
    format however often beat runs (a unique constraint backs this up)."""
    today = today or timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    made: list[ReportExport] = []
    for ambito in Ambito.objects.filter(is_active=True).order_by("pk"):
        for format in MONTHLY_FORMATS:
            with transaction.atomic():
                export, created = ReportExport.objects.get_or_create(
                    ambito=ambito,
                    period=last_month,
                    format=format,
                    kind=ExportKind.MONTHLY,
                    defaults={"language": FILE_LANGUAGE},
                )
                if created:
                    audit_read(objs=[ambito], action=AccessEvent.Action.EXPORT, purpose=PURPOSE)
                    _queue_build(export)
                    made.append(export)
    return made


def monthly_report_mail(*, export_id: int) -> int:
    """Mail the administrators of the ambito that its monthly report is ready, at most
    once per export: a second delivery sends nothing. When the very first mail cannot
    be sent the claim is released so that the task's retry sends them all; a failure
    after some were sent leaves the others without this mail (never twice). The number
    of mails sent."""
    claimed = ReportExport.objects.filter(
        pk=export_id,
        kind=ExportKind.MONTHLY,
        status=ExportStatus.DONE,
        mailed_at__isnull=True,
    ).update(mailed_at=timezone.now())
    if not claimed:
        return 0
    export = ReportExport.objects.select_related("ambito").get(pk=export_id)
    sent = 0
    for user in members_with_role(role=Role.AMBITO_ADMIN, ambito_id=export.ambito_id):
        with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
            context = {
                "user": user,
                "export": export,
                "period_words": period_words(parse_period(export.period)),
                "url": settings.SITE_URL + export.get_absolute_url(),
            }
            subject = gettext("Monthly report of %(ambito)s: %(period)s") % {
                "ambito": export.ambito.name,
                "period": context["period_words"],
            }
            body = render_to_string("reports/email/monthly_report.txt", context)
        try:
            EmailMessage(subject=subject, body=body, to=[user.email]).send()
        except Exception:
            if sent == 0:  # nobody has it yet: the retry may send to everybody
                ReportExport.objects.filter(pk=export_id).update(mailed_at=None)
            raise
        sent += 1
    return sent
