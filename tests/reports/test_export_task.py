"""Report files: asked for from the report page or by beat, prepared by a Celery task that
shows its progress, kept for ``REPORT_EXPORT_KEEP_DAYS`` and then deleted, mailed to
the ambito's administrators when monthly, written to the access log when asked for and
when downloaded."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from legami.models import AccessEvent
from legami.roles import Role
from reports import services
from reports.indicators import parse_period
from reports.models import ExportFormat, ExportKind, ExportStatus, ReportExport
from reports.services import (
    export_build,
    export_request,
    exports_delete_expired,
    monthly_exports_make,
    monthly_report_mail,
)
from tests.beneficiaries.factories import CaseFactory
from tests.fixtures import eager_tasks  # noqa: F401
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory
from tests.permissions import make_role_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, enable_totp):
    cremona = AmbitoFactory(code="cremona", name="Ambito di Cremona")
    crema = AmbitoFactory(code="crema", name="Ambito di Crema")
    soresina = ComuneFactory(ambito=cremona, name="Soresina")
    admin = make_role_user(make_user, enable_totp, Role.AMBITO_ADMIN)
    admin.memberships.get().organisation.ambiti.set([cremona])
    coordinator = make_role_user(make_user, enable_totp, Role.COORDINATOR)
    coordinator.memberships.get().organisation.ambiti.set([cremona])
    return {
        "cremona": cremona,
        "crema": crema,
        "soresina": soresina,
        "admin": admin,
        "coordinator": coordinator,
    }


def ask(world, *, format=ExportFormat.XLSX, period="2026", user=None, comune=None):
    return export_request(
        user=user or world["admin"],
        ambito=world["cremona"],
        comune=comune,
        period=parse_period(period),
        format=format,
    )


def stored(export: ReportExport) -> bytes:
    with storages["private"].open(export.file_path, "rb") as handle:
        return handle.read()


# --- The task ---------------------------------------------------------------------------------


def test_the_task_prepares_the_file_keeps_it_and_says_until_when(world, settings):
    settings.REPORT_EXPORT_KEEP_DAYS = 3
    CaseFactory.create_batch(6, ambito=world["cremona"], opened_on=dt.date(2026, 2, 1))
    export = ask(world)
    assert export.status == ExportStatus.QUEUED and export.progress == 0

    done = export_build(export_id=export.pk)

    assert done is not None and done.status == ExportStatus.DONE and done.progress == 100
    assert done.finished_at is not None
    assert done.expires_at == done.finished_at + dt.timedelta(days=3)
    assert done.file_name.endswith(".xlsx") and done.size == len(stored(done))
    book = openpyxl.load_workbook(io.BytesIO(stored(done)))
    cells = [str(c) for s in book.worksheets for row in s.iter_rows(values_only=True) for c in row]
    assert any("Ambito di Cremona" in c for c in cells)
    assert any("Anno 2026" in c for c in cells)  # the file is in Italian
    assert 6 in [c.value for s in book.worksheets for row in s.iter_rows() for c in row]


def test_a_pdf_is_in_italian(world):
    export = export_build(export_id=ask(world, format=ExportFormat.PDF).pk)
    assert export is not None and export.status == ExportStatus.DONE
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(stored(export))).pages)
    assert "Ambito di Cremona" in text and "Anno 2026" in text


def test_a_csv_of_one_comune(world):
    export = export_build(
        export_id=ask(world, format=ExportFormat.CSV, comune=world["soresina"]).pk
    )
    assert export is not None and export.status == ExportStatus.DONE
    text = stored(export).decode("utf-8-sig")
    assert "Soresina" in text and ";" in text.splitlines()[0]


def test_the_progress_rises_area_by_area_then_the_file_is_written(world, monkeypatch):
    seen: list[tuple[int, str]] = []
    original = services._progress

    def spy(export_id, progress, stage):
        original(export_id, progress, stage)
        row = ReportExport.objects.get(pk=export_id)
        seen.append((row.progress, row.stage))

    monkeypatch.setattr(services, "_progress", spy)
    export_build(export_id=ask(world).pk)

    progresses = [p for p, _ in seen]
    assert progresses == sorted(progresses) and len(progresses) >= 5
    assert seen[-1] == (90, "writing") and seen[-2] == (85, "computing")
    assert all(5 < p < 90 for p, stage in seen if stage == "computing")


def test_a_task_delivered_twice_makes_one_file(world):
    export = ask(world)
    first = export_build(export_id=export.pk)
    assert first is not None
    assert export_build(export_id=export.pk) is None
    again = ReportExport.objects.get(pk=export.pk)
    assert again.file_path == first.file_path and again.finished_at == first.finished_at


def test_a_task_at_work_is_not_taken_again_but_a_lost_one_is(world):
    export = ask(world)
    ReportExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, started_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert export_build(export_id=export.pk) is None
    ReportExport.objects.filter(pk=export.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=20)
    )
    done = export_build(export_id=export.pk)
    assert done is not None and done.status == ExportStatus.DONE


def test_a_failure_is_recorded_and_leaves_no_file(world, monkeypatch):
    def broken(document, heading):
        raise RuntimeError("disk full")

    monkeypatch.setitem(services.WRITERS, ExportFormat.XLSX, (broken, "xlsx"))
    export = export_build(export_id=ask(world).pk)
    assert export is not None and export.status == ExportStatus.FAILED
    assert "disk full" in export.error and export.file_path == ""


def test_asking_twice_while_the_first_is_prepared_is_one_export(world):
    first = ask(world)
    assert ask(world) == first
    assert ask(world, format=ExportFormat.PDF) != first
    assert ask(world, user=world["coordinator"]) != first
    export_build(export_id=first.pk)
    assert ask(world) != first  # once ready, a new request makes a new file


def test_asking_is_written_to_the_access_log(world):
    ask(world)
    event = AccessEvent.objects.get()
    assert event.action == AccessEvent.Action.EXPORT and event.actor == world["admin"]
    assert event.purpose == services.PURPOSE


def test_asking_runs_the_task_after_commit(
    world,
    eager_tasks,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export = ask(world)
    assert len(callbacks) == 1 and ReportExport.objects.get().status == ExportStatus.QUEUED
    callbacks[0]()
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE


# --- Expiry -----------------------------------------------------------------------------------


def test_files_past_their_time_are_deleted_and_the_others_kept(world):
    old = export_build(export_id=ask(world).pk)
    new = export_build(export_id=ask(world, format=ExportFormat.CSV).pk)
    assert old is not None and new is not None
    ReportExport.objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    assert exports_delete_expired() == 1
    assert exports_delete_expired() == 0  # twice is harmless

    old.refresh_from_db()
    assert old.status == ExportStatus.EXPIRED and old.file_path == ""
    storage = storages["private"]
    assert not any(
        name.startswith(str(old.token)) for name in storage.listdir("reports/exports")[1]
    )
    assert storage.exists(new.file_path)


# --- Monthly reports --------------------------------------------------------------------------


def test_beat_asks_for_last_months_report_of_every_ambito_once(world):
    made = monthly_exports_make(today=dt.date(2026, 4, 3))
    assert {(e.ambito.code, e.period, e.format) for e in made} == {
        (code, "2026-03", fmt)
        for code in ("cremona", "crema")
        for fmt in (ExportFormat.PDF, ExportFormat.XLSX)
    }
    assert all(e.kind == ExportKind.MONTHLY for e in made)
    assert monthly_exports_make(today=dt.date(2026, 4, 4)) == []
    assert ReportExport.objects.count() == 4


def test_a_ready_monthly_report_is_mailed_to_the_ambitos_administrators_once(
    world, mailoutbox, make_user
):
    other_admin = MembershipFactory(
        organisation=OrganisationFactory(ambiti=[world["crema"]]), role=Role.AMBITO_ADMIN
    ).user
    monthly_exports_make(today=dt.date(2026, 4, 3))
    export = ReportExport.objects.get(
        ambito=world["cremona"], format=ExportFormat.XLSX, kind=ExportKind.MONTHLY
    )
    export_build(export_id=export.pk)
    mailoutbox.clear()  # the build queued the mail; send it here, twice

    assert monthly_report_mail(export_id=export.pk) == 1
    assert monthly_report_mail(export_id=export.pk) == 0
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [world["admin"].email] and other_admin.email not in mail.to
    assert world["coordinator"].email not in mail.to
    assert reverse("reports:export", args=[export.token]) in mail.body
    assert "Ambito di Cremona" in mail.subject


def test_the_monthly_mail_follows_the_file_through_the_task(
    world,
    mailoutbox,
    eager_tasks,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        monthly_exports_make(today=dt.date(2026, 4, 3))
    assert ReportExport.objects.filter(status=ExportStatus.DONE).count() == 4
    assert sorted(m.to[0] for m in mailoutbox) == [world["admin"].email] * 2


def test_a_first_mail_that_cannot_be_sent_is_retried_for_everyone(world, monkeypatch):
    export = ReportExport.objects.create(
        ambito=world["cremona"],
        period="2026-03",
        format=ExportFormat.PDF,
        kind=ExportKind.MONTHLY,
        status=ExportStatus.DONE,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )

    def refuse(self, *args, **kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with pytest.raises(ConnectionError):
        monthly_report_mail(export_id=export.pk)
    export.refresh_from_db()
    assert export.mailed_at is None
