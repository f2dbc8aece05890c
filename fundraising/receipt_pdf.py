"""The receipt of a gift as a PDF (reportlab, A4), always in Italian: it is a document
for the tax return of the donor, and Italian is its legal language, whatever the
language of the fundraiser who issues or reprints it. Its words are plain Italian
constants for that reason (they are not translated).

``receipt_lines`` puts the words together, in reading order (tests can read them
without parsing the PDF); ``receipt_pdf`` lays them out. The PDF is built with
reportlab's invariant mode, so the same receipt gives the same bytes: a reprint is the
document that was issued (plus "ANNULLATA" once it is cancelled).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone

from fundraising.models import (
    DonorKind,
    FundraisingProfile,
    Method,
    Receipt,
    ReceiptStatus,
)
from legami.pdf import pdf_fonts

METHODS = {
    Method.BANK_TRANSFER: "bonifico bancario",
    Method.CARD: "carta di pagamento",
    Method.PAYPAL: "PayPal",
    Method.CASH: "contanti",
    Method.CHEQUE: "assegno",
}

# Art. 83 D.Lgs. 117/2017: persons detract 30% of the gift (up to 30.000 euro a year),
# or persons, bodies and companies deduct it within 10% of their declared income; the
# gift must be paid through banks, post offices or the other traceable systems of art. 23
# D.Lgs. 241/1997. The receipt states the entitlement, not the amount of the benefit.
BENEFIT_STATEMENT = (
    "L'erogazione liberale è destinata a un ente del Terzo settore iscritto nel Registro "
    "unico nazionale del Terzo settore ed è stata effettuata con un mezzo di pagamento "
    "tracciabile: dà diritto alle agevolazioni fiscali previste dall'art. 83 del D.Lgs. "
    "3 luglio 2017, n. 117 (detrazione dall'imposta lorda per le persone fisiche, oppure "
    "deduzione dal reddito complessivo netto per persone fisiche, enti e società), nei "
    "limiti e alle condizioni previsti dalla legge."
)
CASH_STATEMENT = (
    "L'erogazione è stata effettuata in contanti: non dà diritto alle agevolazioni "
    "fiscali previste dall'art. 83 del D.Lgs. 3 luglio 2017, n. 117, che le riconosce "
    "solo alle erogazioni effettuate tramite banche, uffici postali o gli altri sistemi "
    "di pagamento tracciabili previsti dall'art. 23 del D.Lgs. 9 luglio 1997, n. 241."
)
RECEIVED_STATEMENT = (
    "Si attesta di aver ricevuto la somma indicata a titolo di erogazione liberale, "
    "senza alcun corrispettivo."
)


def euro(amount: Decimal) -> str:
    """An amount as Italians write it: "€ 1.234,50"."""
    cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    whole, _, fraction = f"{abs(cents):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"€ {sign}{'.'.join(groups)},{fraction or '00'}"


def day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


@dataclass
class ReceiptText:
    """The words of a receipt, by place on the page."""

    issuer: list[str]
    title: str
    cancelled: list[str]
    donor: list[str]
    gift: list[str]
    statements: list[str]
    signature: list[str]

    def text(self) -> str:
        parts = [
            *self.issuer,
            self.title,
            *self.cancelled,
            *self.donor,
            *self.gift,
            *self.statements,
            *self.signature,
        ]
        return "\n".join(p for p in parts if p)


def issued_words(receipt: Receipt) -> dict[str, list[str]]:
    """The words of ``receipt`` as issued: its issuer, donor, gift, statements and
    signature, from the data in force now. ``receipt_issue`` stores them on the receipt
    (``Receipt.snapshot``), so that a reprint says what was issued even after the
    issuer's profile or the donor's details change."""
    donation = receipt.donation
    profile = FundraisingProfile.objects.get(organisation_id=receipt.organisation_id)
    issuer = [profile.legal_name, profile.address, f"Codice fiscale: {profile.fiscal_code}"]
    if profile.third_sector_body:
        issuer.append(
            "Ente del Terzo settore iscritto al RUNTS"
            + (f", n. {profile.runts_number}" if profile.runts_number else "")
        )

    donor_lines = ["Ricevuta da:"]
    donor = donation.donor
    if donor is None:
        donor_lines.append("donatore non identificato")
    else:
        donor_lines.append(donor.display_name or "—")
        if donor.codice_fiscale:
            donor_lines.append(f"Codice fiscale: {donor.codice_fiscale}")
        if donor.kind == DonorKind.COMPANY and donor.partita_iva:
            donor_lines.append(f"Partita IVA: {donor.partita_iva}")
        place = " ".join(p for p in (donor.postcode, donor.city) if p)
        address = ", ".join(p for p in (donor.address, place) if p)
        if address:
            donor_lines.append(f"Indirizzo: {address}")

    gift = [
        f"Importo: {euro(donation.amount)}",
        f"Data dell'erogazione: {day(donation.date)}",
        f"Modalità di pagamento: {METHODS.get(Method(donation.method), donation.method)}",
    ]
    if donation.campaign_id is not None and donation.campaign is not None:
        gift.append(f"Campagna: {donation.campaign.title}")

    statements = [RECEIVED_STATEMENT]
    if receipt.tax_benefit:
        statements.append(BENEFIT_STATEMENT)
    elif profile.third_sector_body and donation.method == Method.CASH:
        statements.append(CASH_STATEMENT)

    place_date = f"Data della ricevuta: {day(timezone.localdate(receipt.issued_at))}"
    signature = [place_date, f"Per {profile.legal_name}"]
    if profile.receipt_signatory:
        signature.append(profile.receipt_signatory)
    signature.append("_______________________________")
    return {
        "issuer": issuer,
        "donor": donor_lines,
        "gift": gift,
        "statements": statements,
        "signature": signature,
    }


def receipt_lines(receipt: Receipt) -> ReceiptText:
    """The words of ``receipt``: as issued (its snapshot), and its cancellation."""
    words = receipt.snapshot or issued_words(receipt)
    cancelled: list[str] = []
    if receipt.status == ReceiptStatus.CANCELLED and receipt.cancelled_at is not None:
        cancelled = [
            f"ANNULLATA il {day(timezone.localdate(receipt.cancelled_at))}",
            f"Motivo: {receipt.cancel_reason}",
        ]
    return ReceiptText(
        issuer=list(words["issuer"]),
        title=f"Ricevuta n. {receipt.number}/{receipt.year}",
        cancelled=cancelled,
        donor=list(words["donor"]),
        gift=list(words["gift"]),
        statements=list(words["statements"]),
        signature=list(words["signature"]),
    )


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as an A4 PDF."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    words = receipt_lines(receipt)
    font, bold = pdf_fonts()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=14)
    strong = ParagraphStyle("strong", parent=body, fontName=bold)
    title = ParagraphStyle(
        "title", parent=body, fontName=bold, fontSize=16, leading=20, spaceBefore=6
    )
    alert = ParagraphStyle(
        "alert", parent=body, fontName=bold, fontSize=14, leading=18, textColor=colors.red
    )
    small = ParagraphStyle("small", parent=body, fontSize=9.5, leading=12.5, spaceAfter=6)

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text), style)

    story: list[object] = [para(words.issuer[0], strong)]
    story += [para(line, body) for line in words.issuer[1:]]
    story += [Spacer(1, 8 * mm), para(words.title, title)]
    story += [para(line, alert) for line in words.cancelled]
    story += [Spacer(1, 6 * mm)]
    story += [para(words.donor[0], strong)] + [para(line, body) for line in words.donor[1:]]
    story += [Spacer(1, 6 * mm)] + [para(line, body) for line in words.gift]
    story += [Spacer(1, 6 * mm)] + [para(line, small) for line in words.statements]
    story += [Spacer(1, 10 * mm)] + [para(line, body) for line in words.signature]

    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=words.title,
        author=words.issuer[0],
        invariant=True,
    )
    document.build(story)
    return buffer.getvalue()
