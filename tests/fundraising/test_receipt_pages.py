"""The desk's receipt pages: the list by year, the PDF as issued and a reprint (both as
attachments, written to the access log), issuing the receipt of a received gift that
has none, cancelling one with a reason. Refusals answer 400 and change nothing; another
organisation's receipt is not found; network administrators read and change nothing."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from fundraising.models import DonationStatus, Receipt, ReceiptStatus
from fundraising.services.receipts import receipt_issue
from legami.models import AccessEvent
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)

pytestmark = pytest.mark.django_db

LIST = "/fundraising/gestione/ricevute/"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf(receipt: Receipt) -> str:
    return f"/fundraising/gestione/ricevute/{receipt.pk}/pdf/"


def reprint(receipt: Receipt) -> str:
    return f"/fundraising/gestione/ricevute/{receipt.pk}/ristampa/"


def cancel(receipt: Receipt) -> str:
    return f"/fundraising/gestione/ricevute/{receipt.pk}/annulla/"


def issue(donation) -> str:
    return f"/fundraising/gestione/doni/{donation.public_id}/ricevuta/"


@pytest.fixture
def org():
    return collector(name="Fondazione Comunitaria")


@pytest.fixture
def owner(org):
    return fundraiser(org)


@pytest.fixture
def client_owner(owner):
    return login(owner)


def received(org, *, date=dt.date(2026, 3, 5), **kwargs):
    return DonationFactory(
        campaign=CampaignFactory(organisation=org),
        status=DonationStatus.RECEIVED,
        received_at=timezone.now(),
        date=date,
        **kwargs,
    )


def issued(org, by, **kwargs) -> Receipt:
    return receipt_issue(donation=received(org, **kwargs), by=by)


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_the_list_shows_my_receipts_filtered_by_year(client_owner, owner, org):
    this = issued(org, owner, donor=DonorFactory(first_name="Giulia", last_name="Verdi"))
    last = issued(org, owner, date=dt.date(2025, 12, 30))
    other_org = collector()
    theirs = issued(other_org, fundraiser(other_org))

    everything = client_owner.get(LIST)
    this_year = client_owner.get(LIST, {"year": "2026"})

    assert everything.status_code == 200
    assert {row["receipt"] for row in everything.context["rows"]} == {this, last}
    assert theirs not in {row["receipt"] for row in everything.context["rows"]}
    assert [row["receipt"] for row in this_year.context["rows"]] == [this]
    html = this_year.content.decode()
    assert "No. 1/2026" in html and "Giulia Verdi" in html and "€ 50,00" in html


@pytest.mark.parametrize("year", ["last", "1800"])
def test_a_wrong_year_is_a_bad_request(client_owner, year):
    assert client_owner.get(LIST, {"year": year}).status_code == 400


def test_the_list_reads_in_a_bounded_number_of_queries(
    client_owner, owner, org, django_assert_max_num_queries
):
    def fill(count):
        for _ in range(count):
            issued(org, owner)

    fill(2)
    with django_assert_max_num_queries(12) as few:
        assert client_owner.get(LIST).status_code == 200
    fill(15)
    with django_assert_max_num_queries(12) as many:
        assert client_owner.get(LIST).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_pdf_is_an_attachment_and_its_download_is_logged(client_owner, owner, org):
    receipt = issued(org, owner)

    response = client_owner.get(pdf(receipt))

    body = response.content
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"-2026-{receipt.number:06d}.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "50,00" in text_of(body)
    assert AccessEvent.objects.filter(
        target_type="fundraising.receipt",
        target_id=str(receipt.pk),
        action="export",
        purpose="receipt PDF",
        actor=owner,
    ).exists()


def test_a_reprint_is_the_issued_words_and_is_logged(client_owner, owner, org):
    receipt = issued(org, owner)
    receipt.organisation.fundraising_profile.legal_name = "Nuovo nome ETS"
    receipt.organisation.fundraising_profile.save()

    response = client_owner.get(reprint(receipt))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    text = text_of(response.content)
    assert "Nuovo nome ETS" not in text and "Fondazione Comunitaria ETS" in text
    assert AccessEvent.objects.filter(
        target_type="fundraising.receipt", target_id=str(receipt.pk), purpose="receipt reprint"
    ).exists()


def test_the_receipt_of_a_received_gift_is_issued_once(client_owner, org):
    donation = received(org)

    first = client_owner.post(issue(donation))
    shown = client_owner.get(first["Location"]).content.decode()
    second = client_owner.post(issue(donation))

    assert first.status_code == 302 and "Receipt No. 1/2026 is issued." in shown
    assert second.status_code == 400
    assert Receipt.objects.filter(donation=donation).count() == 1


def test_a_pledge_has_no_receipt(client_owner, org):
    pledge = DonationFactory(campaign=CampaignFactory(organisation=org))

    response = client_owner.post(issue(pledge))

    assert response.status_code == 400
    assert "only for a donation that has been received" in response.content.decode()
    assert not Receipt.objects.exists()


def test_a_receipt_is_cancelled_with_a_reason_once(client_owner, owner, org):
    receipt = issued(org, owner)

    refused = client_owner.post(cancel(receipt), {"reason": ""})
    unchanged = Receipt.objects.get(pk=receipt.pk).status
    done = client_owner.post(cancel(receipt), {"reason": "Wrong donor"})
    again = client_owner.post(cancel(receipt), {"reason": "Again"})

    assert refused.status_code == 400 and unchanged == ReceiptStatus.ISSUED
    assert done.status_code == 302
    assert again.status_code == 400
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.CANCELLED and receipt.cancel_reason == "Wrong donor"
    assert "ANNULLATA" in text_of(client_owner.get(reprint(receipt)).content)


def test_another_organisations_receipt_is_not_found(client_owner):
    other = collector()
    theirs = issued(other, fundraiser(other))

    assert client_owner.get(pdf(theirs)).status_code == 404
    assert client_owner.get(reprint(theirs)).status_code == 404
    assert client_owner.post(cancel(theirs), {"reason": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ReceiptStatus.ISSUED
    assert not AccessEvent.objects.filter(target_type="fundraising.receipt").exists()


def test_a_network_administrator_reads_receipts_and_changes_nothing(
    network_admin_client, owner, org
):
    receipt = issued(org, owner)
    donation = received(org)

    assert network_admin_client.get(LIST).status_code == 200
    assert network_admin_client.get(pdf(receipt)).status_code == 200
    assert network_admin_client.get(reprint(receipt)).status_code == 200
    assert network_admin_client.post(cancel(receipt), {"reason": "x"}).status_code == 403
    assert network_admin_client.post(issue(donation)).status_code == 403
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.ISSUED
    assert not Receipt.objects.filter(donation=donation).exists()
