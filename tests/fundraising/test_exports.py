"""The desk's exports, read back: donations and donors as XLSX (titled sheet, frozen
header, euro amounts as numbers with a euro format, dates as dates) and as CSV (UTF-8
with BOM, semicolons, decimal comma), and the yearly per-donor totals for the tax
declarations. Only one's own organisations' gifts go out, texts never run as formulas,
and every export is written to the access log. Network administrators export nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from fundraising.exports import safe_text
from fundraising.models import DonationStatus, DonorKind, Method
from legami.models import AccessEvent
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)

pytestmark = pytest.mark.django_db

PAGE = "/fundraising/gestione/esportazioni/"
DONATIONS = PAGE + "doni/"
DONORS = PAGE + "donatori/"
YEARLY = PAGE + "totali-annui/"
CF = "RSSMRA85T10A562S"
PIVA = "01114601006"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def org():
    return collector(name="Fondazione Comunitaria")


@pytest.fixture
def owner(org):
    return fundraiser(org)


@pytest.fixture
def client_owner(owner):
    return login(owner)


def gift(org, donor=None, **kwargs):
    kwargs.setdefault("status", DonationStatus.RECEIVED)
    if kwargs["status"] in (DonationStatus.RECEIVED, DonationStatus.REFUNDED):
        kwargs.setdefault("received_at", timezone.now())
    return DonationFactory(
        campaign=CampaignFactory(organisation=org, title="Nonni in rete"),
        donor=donor or DonorFactory(),
        **kwargs,
    )


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(response.content))
    return book.worksheets[0]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM
    text = raw.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_the_donations_workbook_has_typed_cells_and_a_frozen_header(client_owner, org):
    donor = DonorFactory(first_name="Giulia", last_name="Verdi", codice_fiscale=CF)
    gift(org, donor, amount=Decimal("1234.50"), date=dt.date(2026, 3, 5), method=Method.CHEQUE)
    gift(collector(), amount=Decimal("9.00"))  # another organisation's

    sheet = workbook(client_owner.get(DONATIONS, {"format": "xlsx"}))

    assert sheet.title == "Donations"
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Date", "Donor", "Codice fiscale"] and "Amount" in header
    assert sheet.max_row == 2
    row = {header[i]: cell for i, cell in enumerate(sheet[2])}
    assert row["Donor"].value == "Giulia Verdi" and row["Codice fiscale"].value == CF
    assert row["Amount"].value == pytest.approx(1234.5)
    assert row["Amount"].data_type == "n" and "€" in row["Amount"].number_format
    assert row["Date"].value.date() == dt.date(2026, 3, 5)
    assert row["Date"].is_date
    assert row["Method"].value == "cheque" and row["Status"].value == "received"
    assert row["Campaign"].value == "Nonni in rete"


def test_the_donations_csv_follows_the_filters(client_owner, org):
    gift(org, DonorFactory(first_name="Anna", last_name="Bruni"), amount=Decimal("40.50"))
    gift(org, status=DonationStatus.PLEDGED, amount=Decimal("7.00"))

    rows = csv_rows(client_owner.get(DONATIONS, {"format": "csv", "status": "received"}))

    header, body = rows[0], rows[1:]
    assert header[:2] == ["Date", "Donor"]
    assert len(body) == 1
    line = dict(zip(header, body[0], strict=True))
    assert line["Donor"] == "Anna Bruni" and line["Amount"] == "40,50"
    assert line["Date"] == timezone.localdate().isoformat()


def test_texts_never_run_as_formulas(client_owner, org):
    rogue = DonorFactory(first_name='=HYPERLINK("http://x")', last_name="", email="@evil")
    gift(org, rogue)

    sheet = workbook(client_owner.get(DONATIONS, {"format": "xlsx"}))
    rows = csv_rows(client_owner.get(DONATIONS, {"format": "csv"}))

    header = [c.value for c in sheet[1]]
    donor = sheet.cell(row=2, column=header.index("Donor") + 1)
    assert donor.data_type == "s" and donor.value.startswith("'=")
    assert rows[1][1].startswith("'=")
    assert rows[1][rows[0].index("E-mail")] == "'@evil"
    assert safe_text("-1") == "'-1" and safe_text("Maria") == "Maria"


def test_every_export_is_written_to_the_access_log(client_owner, owner, org):
    gift(org, DonorFactory(codice_fiscale=CF), date=dt.date(2025, 6, 1))
    gift(org, date=dt.date(2025, 6, 1))

    client_owner.get(DONATIONS, {"format": "xlsx", "status": "received"})
    b"".join(client_owner.get(DONORS, {"format": "csv"}).streaming_content)
    client_owner.get(YEARLY, {"organisation": org.pk, "year": "2025", "format": "xlsx"})

    events = list(AccessEvent.objects.filter(action="export", actor=owner).order_by("pk"))
    assert [(e.target_type, e.target_id) for e in events] == [
        ("fundraising.donation", "export:2"),
        ("fundraising.donor", "export:2"),
        ("fundraising.donor", "export:1"),
    ]
    assert "status=received" in events[0].purpose and "2025" in events[2].purpose


def test_the_donors_export_has_my_donors_with_their_received_gifts(client_owner, org):
    donor = DonorFactory(first_name="Giulia", last_name="Verdi", codice_fiscale=CF, city="Cremona")
    gift(org, donor, amount=Decimal("100.00"), date=dt.date(2026, 1, 10))
    gift(org, donor, amount=Decimal("20.00"), date=dt.date(2026, 2, 10))
    gift(org, donor, amount=Decimal("5.00"), status=DonationStatus.PLEDGED)
    gift(collector(), DonorFactory(last_name="Altrui"))

    sheet = workbook(client_owner.get(DONORS, {"format": "xlsx"}))
    rows = csv_rows(client_owner.get(DONORS, {"format": "csv"}))

    assert sheet.title == "Donors" and sheet.max_row == 2
    header = [c.value for c in sheet[1]]
    row = {header[i]: c.value for i, c in enumerate(sheet[2])}
    assert row["Last name"] == "Verdi" and row["Codice fiscale"] == CF
    assert row["Gifts received"] == 2 and row["Total received"] == pytest.approx(120)
    assert row["Last gift"].date() == dt.date(2026, 2, 10)
    line = dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2 and line["Total received"] == "120,00" and line["City"] == "Cremona"


def test_the_yearly_totals_leave_out_refunds_other_years_and_unidentified_donors(client_owner, org):
    person = DonorFactory(first_name="Giulia", last_name="Verdi", codice_fiscale=CF)
    company = DonorFactory(kind=DonorKind.COMPANY, company_name="Acciaierie Srl", partita_iva=PIVA)
    gift(org, person, amount=Decimal("100.00"), date=dt.date(2025, 3, 1))
    gift(org, person, amount=Decimal("50.25"), date=dt.date(2025, 11, 1))
    gift(org, person, amount=Decimal("70.00"), date=dt.date(2025, 4, 1), status="refunded")
    gift(org, person, amount=Decimal("30.00"), date=dt.date(2026, 1, 2))
    gift(org, company, amount=Decimal("1000.00"), date=dt.date(2025, 6, 1))
    gift(org, DonorFactory(), amount=Decimal("10.00"), date=dt.date(2025, 6, 1))  # no code
    gift(collector(), person, amount=Decimal("999.00"), date=dt.date(2025, 6, 1))

    sheet = workbook(
        client_owner.get(YEARLY, {"organisation": org.pk, "year": "2025", "format": "xlsx"})
    )
    rows = csv_rows(
        client_owner.get(YEARLY, {"organisation": org.pk, "year": "2025", "format": "csv"})
    )

    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values == [
        ["Acciaierie Srl", "company or body", None, PIVA, pytest.approx(1000), 1],
        ["Verdi Giulia", "person", CF, None, pytest.approx(150.25), 2],
    ]
    assert sheet.freeze_panes == "A2"
    assert rows[1:] == [
        ["Acciaierie Srl", "company or body", "", PIVA, "1000,00", "1"],
        ["Verdi Giulia", "person", CF, "", "150,25", "2"],
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"year": "2025", "format": "pdf"},
        {"year": "2999", "format": "xlsx"},
        {"year": "", "format": "xlsx"},
    ],
)
def test_a_wrong_yearly_choice_is_a_bad_request(client_owner, org, params):
    assert client_owner.get(YEARLY, {"organisation": org.pk, **params}).status_code == 400


def test_another_organisations_totals_are_refused(client_owner):
    theirs = collector()
    response = client_owner.get(
        YEARLY, {"organisation": theirs.pk, "year": "2025", "format": "csv"}
    )

    assert response.status_code == 400
    assert not AccessEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize(
    ("url", "params"),
    [(DONATIONS, {"format": "ods"}), (DONATIONS, {"status": "lost"}), (DONORS, {"format": "x"})],
)
def test_a_wrong_format_or_filter_is_a_bad_request(client_owner, url, params):
    assert client_owner.get(url, params).status_code == 400
    assert not AccessEvent.objects.filter(action="export").exists()


def test_the_export_page_offers_the_three_exports(client_owner, org):
    html = client_owner.get(PAGE).content.decode()

    assert "Export the donations" in html and "Export the donors" in html
    assert "Yearly totals for the tax declarations" in html and "Fondazione Comunitaria" in html


def test_a_network_administrator_exports_nothing(network_admin_client, org):
    gift(org)

    page = network_admin_client.get(PAGE)
    assert page.status_code == 200
    assert "Only the organisations' fundraisers export" in page.content.decode()
    for url in (DONATIONS, DONORS):
        assert network_admin_client.get(url, {"format": "csv"}).status_code == 403
    response = network_admin_client.get(YEARLY, {"organisation": org.pk, "year": "2025"})
    assert response.status_code == 403
    assert not AccessEvent.objects.filter(action="export").exists()
