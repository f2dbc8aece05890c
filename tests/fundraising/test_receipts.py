"""Receipts of gifts: numbered per issuer and year from 1 with no gap, one per gift, a PDF
in Italian with the right statement on the tax benefits, mailed once, cancelled but
never renumbered, and only by the fundraisers of the recipient."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pypdf import PdfReader

from fundraising import receipt_pdf as receipt_pdf_module
from fundraising.models import (
    DonationStatus,
    DonorKind,
    FundraisingProfile,
    Method,
    Receipt,
    ReceiptCounter,
    ReceiptStatus,
)
from fundraising.receipt_pdf import euro
from fundraising.services import receipts as receipts_service
from fundraising.services.receipts import (
    donation_refund_cancels_receipt,
    receipt_cancel,
    receipt_issue,
    receipt_mail_send,
    receipt_reprint,
)
from legami.models import AccessEvent, ChangeEvent
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)
from tests.partners.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

BENEFIT = "art. 83 del D.Lgs. 3 luglio 2017, n. 117 (detrazione"
CASH = "L'erogazione è stata effettuata in contanti: non dà diritto"


def received(organisation=None, *, date=None, **kwargs):
    """A received gift to ``organisation`` (a new ETS foundation if None)."""
    campaign = CampaignFactory(organisation=organisation or collector())
    kwargs.setdefault("date", date or dt.date(2026, 3, 5))
    return DonationFactory(
        campaign=campaign, status=DonationStatus.RECEIVED, received_at=timezone.now(), **kwargs
    )


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return " ".join(text.split())


def stored_text(receipt: Receipt) -> str:
    with receipt.pdf.open("rb") as handle:
        return pdf_text(handle.read())


# --- Numbering -----------------------------------------------------------------------------


def test_numbers_start_at_one_per_organisation_and_year():
    """Each issuer counts its own receipts from 1; a new year starts again from 1."""
    org_a, org_b = collector(), collector()
    by_a, by_b = fundraiser(org_a), fundraiser(org_b)

    a1 = receipt_issue(donation=received(org_a), by=by_a)
    a2 = receipt_issue(donation=received(org_a), by=by_a)
    b1 = receipt_issue(donation=received(org_b), by=by_b)
    a_next_year = receipt_issue(donation=received(org_a, date=dt.date(2027, 1, 2)), by=by_a)
    a3 = receipt_issue(donation=received(org_a), by=by_a)

    assert [(r.number, r.year) for r in (a1, a2, a3)] == [(1, 2026), (2, 2026), (3, 2026)]
    assert (b1.number, b1.year) == (1, 2026)
    assert (a_next_year.number, a_next_year.year) == (1, 2027)
    assert ReceiptCounter.objects.get(organisation=org_a, year=2026).last_number == 3


def test_the_year_is_the_gifts_not_the_issue_date():
    """A gift of December receipted in January is numbered in December's year."""
    org = collector()
    receipt = receipt_issue(donation=received(org, date=dt.date(2025, 12, 30)), by=fundraiser(org))
    assert (receipt.number, receipt.year) == (1, 2025)


def test_a_second_issue_returns_the_same_receipt():
    """Issuing twice gives the first receipt back and takes no new number."""
    org = collector()
    by = fundraiser(org)
    donation = received(org)

    first = receipt_issue(donation=donation, by=by)
    second = receipt_issue(donation=donation, by=by)

    assert second.pk == first.pk
    assert Receipt.objects.count() == 1
    assert ReceiptCounter.objects.get(organisation=org).last_number == 1


def test_a_failure_after_the_number_is_taken_leaves_no_gap(monkeypatch):
    """If the PDF cannot be made, nothing is saved and the number is not lost: the next
    receipt takes it."""
    org = collector()
    by = fundraiser(org)
    donation = received(org)

    def broken(receipt):
        raise RuntimeError("printer on fire")

    monkeypatch.setattr(receipts_service, "receipt_pdf", broken)
    with pytest.raises(RuntimeError):
        receipt_issue(donation=donation, by=by)
    assert not Receipt.objects.exists()
    assert not ReceiptCounter.objects.filter(last_number__gt=0).exists()

    monkeypatch.undo()
    assert receipt_issue(donation=received(org), by=by).number == 1
    assert receipt_issue(donation=donation, by=by).number == 2


def test_a_failure_after_the_file_is_written_leaves_no_gap_and_no_file(monkeypatch):
    """If the audit record fails after the PDF is stored, the file goes with the number."""
    org = collector()
    by = fundraiser(org)
    donation = received(org)
    storage = Receipt._meta.get_field("pdf").storage
    written: list[str] = []
    real_store = receipts_service._store_pdf

    def store(receipt, content):
        written.append(real_store(receipt, content))
        return written[-1]

    def broken_audit(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(receipts_service, "_store_pdf", store)
    monkeypatch.setattr(receipts_service, "audit_change", broken_audit)
    with pytest.raises(RuntimeError):
        receipt_issue(donation=donation, by=by)

    assert written and not storage.exists(written[0])
    monkeypatch.undo()
    assert receipt_issue(donation=donation, by=by).number == 1


@pytest.mark.parametrize(
    "status", [DonationStatus.PLEDGED, DonationStatus.REFUNDED, DonationStatus.CANCELLED]
)
def test_only_a_received_gift_has_a_receipt(status):
    org = collector()
    donation = DonationFactory(campaign=CampaignFactory(organisation=org), status=status)
    with pytest.raises(ValidationError) as error:
        receipt_issue(donation=donation, by=fundraiser(org))
    assert error.value.code == "not_received"
    assert "received" in error.value.messages[0]
    assert not ReceiptCounter.objects.exists()


def test_an_organisation_without_a_fundraising_profile_issues_no_receipt():
    org = OrganisationFactory()
    campaign = CampaignFactory(organisation=org)
    donation = DonationFactory(
        campaign=campaign, status=DonationStatus.RECEIVED, received_at=timezone.now()
    )
    with pytest.raises(ValidationError) as error:
        receipt_issue(donation=donation, by=fundraiser(org))
    assert error.value.code == "no_profile"
    assert "fundraising profile" in error.value.messages[0]


def test_issuing_is_audited_and_the_file_is_named_by_issuer_and_number():
    org = collector()
    by = fundraiser(org)
    donation = received(org, donor=DonorFactory(last_name="Bianchi"))

    receipt = receipt_issue(donation=donation, by=by)

    assert receipt.pdf.name == (f"receipts/2026/{org.slug}/ricevuta-{org.slug}-2026-000001.pdf")
    assert "Bianchi" not in receipt.pdf.name
    event = ChangeEvent.objects.get(target_type="fundraising.receipt", target_id=str(receipt.pk))
    assert event.action == "create"
    assert event.actor_id == by.pk


# --- Permissions ---------------------------------------------------------------------------


def test_a_fundraiser_of_another_organisation_may_not_issue_cancel_or_reprint():
    org, other = collector(), collector()
    donation = received(org)
    stranger = fundraiser(other)

    with pytest.raises(PermissionDenied):
        receipt_issue(donation=donation, by=stranger)
    assert not Receipt.objects.exists()

    receipt = receipt_issue(donation=donation, by=fundraiser(org))
    with pytest.raises(PermissionDenied):
        receipt_cancel(receipt=receipt, by=stranger, reason="rimborso")
    with pytest.raises(PermissionDenied):
        receipt_reprint(receipt, stranger)
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.ISSUED


# --- The PDF -------------------------------------------------------------------------------


def test_euro_amounts_are_written_the_italian_way():
    assert euro(Decimal("1234.5")) == "€ 1.234,50"
    assert euro(Decimal("50")) == "€ 50,00"
    assert euro(Decimal("1234567.891")) == "€ 1.234.567,89"
    assert euro(Decimal("0.5")) == "€ 0,50"


def test_the_receipt_of_an_ets_for_a_bank_transfer_states_the_art_83_benefits():
    """Issuer, donor, amount, date, method in Italian, the campaign and the statement,
    in Italian although the fundraiser reads the interface in English."""
    org = collector(third_sector_body=True)
    donor = DonorFactory(
        first_name="Giulia",
        last_name="Ferrari",
        codice_fiscale="FRRGLI80A41D150X",
        address="Via Mazzini 4",
        postcode="26013",
        city="Crema",
    )
    campaign = CampaignFactory(organisation=org, title="Nonni in rete")
    donation = DonationFactory(
        campaign=campaign,
        donor=donor,
        amount=Decimal("1234.50"),
        date=dt.date(2026, 3, 5),
        method=Method.BANK_TRANSFER,
        status=DonationStatus.RECEIVED,
        received_at=timezone.now(),
    )

    receipt = receipt_issue(donation=donation, by=fundraiser(org))
    text = stored_text(receipt)

    assert receipt.tax_benefit is True
    profile = FundraisingProfile.objects.get(organisation=org)
    for expected in (
        profile.legal_name,
        "Via del Giordano 2, 26100 Cremona (CR)",
        "Codice fiscale: 93012345678",
        "RUNTS, n. RUNTS-12345",
        "Ricevuta n. 1/2026",
        "Giulia Ferrari",
        "Codice fiscale: FRRGLI80A41D150X",
        "Via Mazzini 4, 26013 Crema",
        "€ 1.234,50",
        "Data dell'erogazione: 05/03/2026",
        "bonifico bancario",
        "Campagna: Nonni in rete",
        BENEFIT,
        "Il Presidente",
    ):
        assert expected in text, expected
    assert CASH not in text
    assert "ANNULLATA" not in text


def test_a_company_donor_shows_its_partita_iva():
    org = collector()
    company = DonorFactory(
        kind=DonorKind.COMPANY, company_name="Latteria Padana S.r.l.", partita_iva="01234567897"
    )
    receipt = receipt_issue(
        donation=received(org, donor=company, method=Method.CARD), by=fundraiser(org)
    )
    text = stored_text(receipt)
    assert "Latteria Padana S.r.l." in text
    assert "Partita IVA: 01234567897" in text
    assert "carta di pagamento" in text


def test_a_gift_in_cash_to_an_ets_is_not_eligible_for_the_benefits():
    org = collector(third_sector_body=True)
    receipt = receipt_issue(donation=received(org, method=Method.CASH), by=fundraiser(org))
    text = stored_text(receipt)

    assert receipt.tax_benefit is False
    assert CASH in text
    assert "contanti" in text
    assert BENEFIT not in text


@pytest.mark.parametrize("method", [Method.BANK_TRANSFER, Method.CASH])
def test_a_body_outside_the_third_sector_states_no_benefit(method):
    org = collector(third_sector_body=False)
    receipt = receipt_issue(donation=received(org, method=method), by=fundraiser(org))
    text = stored_text(receipt)

    assert receipt.tax_benefit is False
    assert BENEFIT not in text
    assert CASH not in text
    assert "RUNTS" not in text


@pytest.mark.parametrize(
    ("method", "words"),
    [(Method.PAYPAL, "PayPal"), (Method.CHEQUE, "assegno"), (Method.CARD, "carta di pagamento")],
)
def test_every_method_is_named_in_italian(method, words):
    org = collector()
    receipt = receipt_issue(donation=received(org, method=method), by=fundraiser(org))
    assert f"Modalità di pagamento: {words}" in stored_text(receipt)
    assert receipt.tax_benefit is True


def test_a_reprint_is_the_issued_document_and_is_recorded():
    org = collector()
    by = fundraiser(org)
    receipt = receipt_issue(donation=received(org), by=by)

    content = receipt_reprint(receipt, by)

    with receipt.pdf.open("rb") as handle:
        assert content == handle.read()
    event = AccessEvent.objects.get(target_type="fundraising.receipt", target_id=str(receipt.pk))
    assert event.action == AccessEvent.Action.EXPORT
    assert event.actor_id == by.pk


def test_a_reprint_says_what_was_issued_after_the_details_change():
    org = collector()
    by = fundraiser(org)
    gift = received(org)
    receipt = receipt_issue(donation=gift, by=by)
    issued = stored_text(receipt)
    donor_name = gift.donor.display_name
    org.fundraising_profile.legal_name = "Nome nuovo ETS"
    org.fundraising_profile.save()
    gift.donor.last_name = "Cambiato"
    gift.donor.save()

    reprint = pdf_text(receipt_reprint(Receipt.objects.get(pk=receipt.pk), by))

    assert reprint == issued
    assert donor_name in reprint and "Cambiato" not in reprint
    assert "Nome nuovo ETS" not in reprint


# --- Cancelling ----------------------------------------------------------------------------


def test_a_cancelled_receipt_keeps_its_number_and_its_reprint_says_annullata():
    org = collector()
    by = fundraiser(org)
    receipt = receipt_issue(donation=received(org), by=by)

    cancelled = receipt_cancel(receipt=receipt, by=by, reason="Bonifico rimborsato")

    cancelled.refresh_from_db()
    assert cancelled.status == ReceiptStatus.CANCELLED
    assert cancelled.number == 1
    assert cancelled.cancelled_by == by
    assert cancelled.cancel_reason == "Bonifico rimborsato"
    assert cancelled.cancelled_at is not None
    text = pdf_text(receipt_reprint(cancelled, by))
    assert f"ANNULLATA il {timezone.localdate():%d/%m/%Y}" in text
    assert "Motivo: Bonifico rimborsato" in text
    assert "Ricevuta n. 1/2026" in text
    # The number is not given again.
    assert receipt_issue(donation=received(org), by=by).number == 2
    assert ChangeEvent.objects.filter(
        target_type="fundraising.receipt", target_id=str(receipt.pk), action="state"
    ).exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_cancelling_needs_a_reason(reason):
    org = collector()
    by = fundraiser(org)
    receipt = receipt_issue(donation=received(org), by=by)
    with pytest.raises(ValidationError) as error:
        receipt_cancel(receipt=receipt, by=by, reason=reason)
    assert "Say why" in error.value.messages[0]
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.ISSUED


def test_a_receipt_is_cancelled_once():
    org = collector()
    by = fundraiser(org)
    receipt = receipt_issue(donation=received(org), by=by)
    receipt_cancel(receipt=receipt, by=by, reason="errore")
    with pytest.raises(ValidationError):
        receipt_cancel(receipt=receipt, by=by, reason="di nuovo")


def test_a_refund_cancels_the_issued_receipt_if_any():
    org = collector()
    by = fundraiser(org)
    without = received(org)
    assert donation_refund_cancels_receipt(donation=without, by=by, reason="rimborso") is None

    receipt = receipt_issue(donation=received(org), by=by)
    cancelled = donation_refund_cancels_receipt(donation=receipt.donation, by=by, reason="rimborso")
    assert cancelled is not None and cancelled.pk == receipt.pk
    assert cancelled.status == ReceiptStatus.CANCELLED
    # Refunded again (nothing issued left): nothing to cancel.
    assert (
        donation_refund_cancels_receipt(donation=receipt.donation, by=by, reason="rimborso") is None
    )


# --- The mail ------------------------------------------------------------------------------


@pytest.mark.usefixtures("eager_tasks")
def test_the_receipt_is_mailed_once_after_commit(django_capture_on_commit_callbacks):
    org = collector()
    donor = DonorFactory(email="giulia@example.org")
    donation = received(org, donor=donor)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        receipt = receipt_issue(donation=donation, by=fundraiser(org))
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["giulia@example.org"]
    assert "1/2026" in message.subject
    assert "€ 50,00" in message.body
    ((filename, content, mimetype),) = message.attachments
    assert filename == "ricevuta-2026-1.pdf"
    assert mimetype == "application/pdf"
    assert "Ricevuta n. 1/2026" in pdf_text(content)
    receipt.refresh_from_db()
    assert receipt.emailed_at is not None

    # The task delivered again, and the service called again: nothing more leaves.
    from fundraising.tasks import send_receipt_mail

    assert send_receipt_mail.delay(receipt.pk).get() is False
    assert receipt_mail_send(receipt_id=receipt.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("eager_tasks")
def test_no_mail_without_an_address_nor_for_a_second_issue(django_capture_on_commit_callbacks):
    org = collector()
    by = fundraiser(org)
    donation = received(org, donor=DonorFactory(email=""))
    with django_capture_on_commit_callbacks(execute=True):
        receipt = receipt_issue(donation=donation, by=by)
    assert mail.outbox == []
    receipt.refresh_from_db()
    assert receipt.emailed_at is None

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        receipt_issue(donation=donation, by=by)
    assert callbacks == []


def test_no_mail_for_a_cancelled_receipt_or_one_gone():
    org = collector()
    by = fundraiser(org)
    receipt = receipt_issue(donation=received(org), by=by)
    receipt_cancel(receipt=receipt, by=by, reason="errore")
    assert receipt_mail_send(receipt_id=receipt.pk) is False
    assert receipt_mail_send(receipt_id=receipt.pk + 1000) is False
    assert mail.outbox == []


def test_a_pdf_made_twice_is_the_same_document():
    """The reprint of an issued receipt gives the same bytes (reportlab's invariant mode)."""
    org = collector()
    receipt = receipt_issue(donation=received(org), by=fundraiser(org))
    assert receipt_pdf_module.receipt_pdf(receipt) == receipt_pdf_module.receipt_pdf(receipt)
