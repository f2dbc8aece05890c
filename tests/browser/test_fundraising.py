"""A gift by bank transfer from pledge to receipt, in a real Chromium under the real CSP:
a citizen pledges on a campaign's page and is given the causale; the fundraiser imports
the bank statement that contains the transfer, which is matched to the pledge; the gift
is received, the campaign's progress bar moves, and the receipt — issued and mailed by
itself — carries the right figures (read from the PDF's text)."""

from __future__ import annotations

import re
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from codicefiscale import codicefiscale
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from fundraising.demo import camt053
from fundraising.models import Donation, DonationStatus, Receipt
from legami.roles import Role
from tests.browser.helpers import log_in, open_browser, verified
from tests.fixtures import eager_tasks  # noqa: F401  (the fixture, used by name)
from tests.fundraising.factories import CampaignFactory, collector
from tests.partners.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Nessuno resta solo"
FOUNDATION = "Fondazione Comunitaria della Provincia di Cremona"


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def test_a_pledge_by_transfer_is_received_from_the_statement_and_gets_its_receipt(
    chromium,
    live_server,
    make_user,
    enable_totp,
    totp_code,
    tmp_path: Path,
    eager_tasks,  # noqa: F811  (the import, the receipt and its mail run in the server's thread)
):
    foundation = collector(name=FOUNDATION)
    campaign = CampaignFactory(organisation=foundation, title=TITLE, goal=Decimal("1000.00"))
    fundraiser = verified(make_user("raccolta.fondi@example.org", language="en"))
    MembershipFactory(user=fundraiser, organisation=foundation, role=Role.FUNDRAISER)
    secret = enable_totp(fundraiser)
    tax_code = codicefiscale.encode(
        lastname="Rossi",
        firstname="Maria",
        gender="F",
        birthdate="03/04/1980",
        birthplace="Cremona",
    )

    # Given a citizen on the campaign's page, where nothing has been raised yet.
    citizen = open_browser(chromium, live_server)
    citizen.goto(f"/fundraising/campagne/{campaign.slug}/")
    expect(citizen.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    progress = citizen.get_by_role("progressbar", name="Progress toward the goal")
    expect(progress).to_have_attribute("aria-valuenow", "0")

    # When she pledges 120 € by bank transfer.
    citizen.get_by_text("another amount", exact=True).click()
    citizen.get_by_label("Other amount (€)").fill("120")
    citizen.get_by_label("First name").fill("Maria")
    citizen.get_by_label("Last name").fill("Rossi")
    citizen.get_by_label("E-mail").fill("maria.rossi@example.org")
    citizen.get_by_label("Codice fiscale or partita IVA").fill(tax_code)
    citizen.get_by_role("button", name="Give").click()

    # Then she is given the causale and the IBAN to make the transfer with.
    expect(citizen.get_by_role("heading", name="Thank you for your gift", level=1)).to_be_visible()
    causale = citizen.locator("#causale").inner_text().strip()
    assert re.fullmatch(r"DONO-[A-Z0-9]{6}", causale), causale
    expect(citizen.get_by_text("IT60 X054 2811 1010 0000 0123 456")).to_be_visible()
    gift = Donation.objects.get(causale=causale)
    assert (gift.status, gift.amount) == (DonationStatus.PLEDGED, Decimal("120.00"))

    # When the fundraiser imports the statement in which the transfer arrived.
    booked_on = timezone.localdate()
    path = tmp_path / "estratto-conto.xml"
    path.write_bytes(
        camt053(
            iban="IT60X0542811101000000123456",
            entries=[
                ("BROWSER-1", booked_on, "120.00", "ROSSI MARIA", f"{causale} {TITLE}"),
            ],
        )
    )
    desk = open_browser(chromium, live_server)
    log_in(desk, fundraiser.email, secret, totp_code)
    desk.goto("/fundraising/gestione/")
    desk.get_by_role("link", name="Bank statements").first.click()
    expect(desk.get_by_role("heading", name="Bank statements", level=1)).to_be_visible()
    desk.get_by_label("Statement file").set_input_files(str(path))
    desk.get_by_role("button", name="Import").click()

    # Then the transfer is matched to the pledge, which is received on the booking date.
    heading = desk.get_by_role("heading", name=re.compile("^Bank statement "), level=1)
    expect(heading).to_be_visible()
    credits = desk.get_by_role("table").filter(has_text=causale)
    expect(credits.get_by_role("row").filter(has_text=causale)).to_contain_text(
        "matched automatically"
    )
    gift.refresh_from_db()
    assert (gift.status, gift.date) == (DonationStatus.RECEIVED, booked_on)

    # And the campaign's progress bar has moved: 120 € of 1,000 €.
    citizen.get_by_role("link", name="Back to the campaign").click()
    expect(progress).to_have_attribute("aria-valuenow", "12")
    moved = re.compile(r"^€ 120(,00)? raised of € 1\.000(,00)?, 12%$")
    expect(progress).to_have_attribute("aria-valuetext", moved)
    expect(citizen.get_by_text(moved)).to_be_visible()

    # And the receipt was issued and mailed, and its PDF carries the right figures.
    receipt = Receipt.objects.get(donation=gift)
    sent = [m for m in mail.outbox if m.to == ["maria.rossi@example.org"]]
    assert len(sent) == 1 and sent[0].attachments, [m.subject for m in mail.outbox]
    desk.goto("/fundraising/gestione/ricevute/")
    row = desk.get_by_role("row").filter(has_text=f"No. {receipt.number}/{receipt.year}")
    expect(row).to_contain_text("Maria Rossi")
    with desk.expect_download() as download:
        row.get_by_role("link", name=re.compile("^PDF")).click()
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert f"Ricevuta n. {receipt.number}/{receipt.year}" in text
    assert "€ 120,00" in text
    assert "Rossi" in text and tax_code in text
    assert booked_on.strftime("%d/%m/%Y") in text
    assert "bonifico" in text.lower()
    assert "art. 83" in text  # a gift by transfer to a third-sector body

    for page in (citizen, desk):
        assert page.console_errors == [], page.console_errors  # type: ignore[attr-defined]
        page.context.close()
