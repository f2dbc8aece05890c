"""The pages of report files: the form on the report, the file's page with its progress
bar, the download, the list. Bad input is a clear 400 that makes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from legami.models import AccessEvent
from legami.roles import Role
from reports.models import ExportFormat, ExportKind, ExportStatus, ReportExport
from reports.services import export_build
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.permissions import client_for, make_role_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, enable_totp):
    cremona = AmbitoFactory(code="cremona", name="Ambito di Cremona")
    crema = AmbitoFactory(code="crema", name="Ambito di Crema")
    users = {}
    for role in (Role.AMBITO_ADMIN, Role.COORDINATOR):
        users[role] = make_role_user(make_user, enable_totp, role)
        users[role].memberships.get().organisation.ambiti.set([cremona])
    return {
        "cremona": cremona,
        "crema": crema,
        "soresina": ComuneFactory(ambito=cremona, name="Soresina"),
        "crema_town": ComuneFactory(ambito=crema, name="Crema"),
        "admin": users[Role.AMBITO_ADMIN],
        "coordinator": users[Role.COORDINATOR],
    }


def start(client, ambito="cremona", period="2026", **data):
    return client.post(
        reverse("reports:export_start", args=[ambito, period]), {"format": "xlsx", **data}
    )


def test_the_report_page_offers_the_file_in_three_formats(world):
    page = client_for(world["admin"]).get(reverse("reports:report", args=["cremona", "2026"]))
    html = page.content.decode()
    assert reverse("reports:export_start", args=["cremona", "2026"]) in html
    for value in ("xlsx", "csv", "pdf"):
        assert f'value="{value}"' in html


def test_asking_for_a_file_leads_to_its_page_with_the_progress_bar(world):
    client = client_for(world["admin"])
    response = start(client, comune=str(world["soresina"].pk))
    export = ReportExport.objects.get()
    assert response.status_code == 302 and response.url == export.get_absolute_url()
    assert export.comune == world["soresina"] and export.requested_by == world["admin"]

    page = client.get(export.get_absolute_url()).content.decode()
    assert 'role="progressbar"' in page and 'aria-valuenow="0"' in page
    assert reverse("reports:export_progress", args=[export.token]) in page  # htmx polls it
    assert "Soresina" in page

    fragment = client.get(reverse("reports:export_progress", args=[export.token]))
    assert fragment.status_code == 200 and b"<html" not in fragment.content


def test_once_ready_the_page_stops_polling_and_offers_the_download(world):
    client = client_for(world["admin"])
    start(client)
    export = export_build(export_id=ReportExport.objects.get().pk)
    assert export is not None

    fragment = client.get(reverse("reports:export_progress", args=[export.token]))
    html = fragment.content.decode()
    assert "hx-get" not in html and 'aria-valuenow="100"' in html
    assert reverse("reports:export_download", args=[export.token]) in html

    before = set(AccessEvent.objects.values_list("pk", flat=True))
    download = client.get(reverse("reports:export_download", args=[export.token]))
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert download["Content-Disposition"] == f'attachment; filename="{export.file_name}"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download.content[:2] == b"PK"
    event = AccessEvent.objects.exclude(pk__in=before).get()
    assert event.action == AccessEvent.Action.EXPORT and event.actor == world["admin"]


def test_a_file_not_ready_cannot_be_downloaded(world):
    client = client_for(world["admin"])
    start(client)
    export = ReportExport.objects.get()
    assert client.get(reverse("reports:export_download", args=[export.token])).status_code == 404


def test_a_deleted_file_is_gone_and_says_to_ask_again(world):
    client = client_for(world["admin"])
    start(client)
    export = export_build(export_id=ReportExport.objects.get().pk)
    assert export is not None
    ReportExport.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    from reports.services import exports_delete_expired

    exports_delete_expired()
    response = client.get(reverse("reports:export_download", args=[export.token]))
    assert response.status_code == 410
    assert b'data-export-status="expired"' in response.content


@pytest.mark.parametrize(
    ("ambito", "period", "data", "status"),
    [
        ("cremona", "2026-13", {}, 400),
        ("cremona", "2026", {"format": "docx"}, 400),
        ("cremona", "2026", {"comune": "abc"}, 400),
        ("cremona", "2026", {"comune": "crema_town"}, 400),
        ("crema", "2026", {}, 404),
        ("nowhere", "2026", {}, 404),
    ],
)
def test_bad_requests_make_nothing(world, ambito, period, data, status):
    if data.get("comune") == "crema_town":
        data = {"comune": str(world["crema_town"].pk)}
    response = start(client_for(world["admin"]), ambito, period, **data)
    assert response.status_code == status
    assert not ReportExport.objects.exists() and not AccessEvent.objects.exists()


def test_one_cannot_open_another_persons_file_but_everyone_sees_the_monthly_ones(world):
    start(client_for(world["admin"]))
    own = ReportExport.objects.get()
    monthly = ReportExport.objects.create(
        ambito=world["cremona"], period="2026-03", format=ExportFormat.PDF, kind=ExportKind.MONTHLY
    )
    other_ambito = ReportExport.objects.create(
        ambito=world["crema"], period="2026-03", format=ExportFormat.PDF, kind=ExportKind.MONTHLY
    )
    coordinator = client_for(world["coordinator"])
    assert coordinator.get(own.get_absolute_url()).status_code == 404
    assert coordinator.get(monthly.get_absolute_url()).status_code == 200
    assert coordinator.get(other_ambito.get_absolute_url()).status_code == 404

    listing = coordinator.get(reverse("reports:export_list")).content.decode()
    assert str(monthly.token) in listing
    assert str(own.token) not in listing and str(other_ambito.token) not in listing


def test_losing_the_role_loses_the_files(world):
    client = client_for(world["admin"])
    start(client)
    export = ReportExport.objects.get()
    world["admin"].memberships.update(end_date=timezone.localdate() - dt.timedelta(days=1))
    assert client.get(export.get_absolute_url()).status_code == 403


def test_the_list_shows_status_and_progress_in_few_queries(world, django_assert_max_num_queries):
    client = client_for(world["admin"])
    for period in ("2024", "2025", "2026", "2026-Q1", "2026-03"):
        start(client, period=period)
    ReportExport.objects.filter(period="2026").update(status=ExportStatus.RUNNING, progress=45)
    with django_assert_max_num_queries(12):
        html = client.get(reverse("reports:export_list")).content.decode()
    assert html.count("data-export=") == 5 and "45%" in html
    for period in ("2022", "2023", "2025-2027", "2026-Q2", "2026-04", "2026-05"):
        start(client, period=period)
    with django_assert_max_num_queries(12):
        html = client.get(reverse("reports:export_list")).content.decode()
    assert html.count("data-export=") == 11
