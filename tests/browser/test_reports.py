"""The yearly piano di zona report as a file, in a real Chromium under the real CSP: an
ambito administrator opens the year's report, asks for the XLSX, watches the progress bar
move while the worker computes the figures area by area, and downloads the workbook,
which holds the ambito's figures one sheet per area."""

from __future__ import annotations

import datetime as dt
import io
import threading

import openpyxl
import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from legami.roles import Role
from reports import services, tasks
from reports.indicators import AREAS
from reports.models import ExportStatus, ReportExport
from tests.beneficiaries.factories import CaseFactory
from tests.browser.helpers import log_in, open_browser, verified
from tests.legami.factories import AmbitoFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_ambito_administrator_downloads_the_yearly_report_as_xlsx(
    chromium, live_server, make_user, enable_totp, totp_code, monkeypatch
):
    year = timezone.localdate().year
    crema = AmbitoFactory(code="crema", name="Ambito di Crema")
    CaseFactory.create_batch(7, ambito=crema, opened_on=dt.date(year, 1, 15))
    admin = verified(make_user("ufficio.piano@example.org", language="en"))
    MembershipFactory(
        user=admin, organisation=OrganisationFactory(ambiti=[crema]), role=Role.AMBITO_ADMIN
    )
    secret = enable_totp(admin)

    # The worker: the task is queued (not run in the web server's thread) and carried out
    # here, in a thread that stops half-way until the browser has shown that point.
    queued: list[int] = []
    monkeypatch.setattr(tasks.build_export, "delay", lambda export_id: queued.append(export_id))
    halfway, go_on = threading.Event(), threading.Event()
    progress_of = services._progress

    def held(export_id: int, progress: int, stage: str) -> None:
        progress_of(export_id, progress, stage)
        if stage == "computing" and progress >= 40 and not go_on.is_set():
            halfway.set()
            go_on.wait(timeout=60)

    monkeypatch.setattr(services, "_progress", held)

    # Given the administrator on the year's report of her ambito.
    page = open_browser(chromium, live_server)
    log_in(page, admin.email, secret, totp_code)
    page.goto("/reports/")
    page.get_by_role("link", name=f"Report {year}").first.click()
    expect(page.get_by_role("heading", name="Ambito di Crema", level=1)).to_be_visible()

    # When she asks for the spreadsheet.
    page.get_by_label("spreadsheet (XLSX)").check()
    page.get_by_role("button", name="Prepare the file").click()

    # Then the file's page shows a bar that starts at 0 and moves while the worker works.
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    assert len(queued) == 1

    def work() -> None:
        try:
            services.export_build(export_id=queued[0])
        finally:
            connections.close_all()  # the test database is dropped at the end

    worker = threading.Thread(target=work)
    worker.start()
    assert halfway.wait(timeout=60)
    midway = ReportExport.objects.get(pk=queued[0]).progress
    assert 5 < midway < 90
    expect(bar).to_have_attribute("aria-valuenow", str(midway))
    expect(page.get_by_text(f"{midway}% done")).to_be_visible()
    go_on.set()
    worker.join(timeout=120)
    expect(bar).to_have_attribute("aria-valuenow", "100")

    # And once ready she downloads the workbook: one sheet per area, titled, her figures.
    link = page.get_by_role("link", name="Download")
    with page.expect_download() as download:
        link.click()
    content = download.value.path().read_bytes()
    export = ReportExport.objects.get(pk=queued[0])
    assert export.status == ExportStatus.DONE
    assert download.value.suggested_filename == export.file_name.split("/")[-1]
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert len(book.sheetnames) == 1 + len(AREAS)
    cells = [
        c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row
    ]
    assert any(isinstance(c, str) and "Ambito di Crema" in c for c in cells)
    assert any(isinstance(c, str) and f"Anno {year}" in c for c in cells)  # in Italian
    assert 7 in cells  # the seven people taken in charge this year
    assert page.console_errors == []
