"""The mail that brings a donor the receipt of their gift, with the PDF attached, in
the language of the donor's account (Italian when they have none). The receipt itself
is always in Italian."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from fundraising.models import FundraisingProfile, Receipt
from fundraising.receipt_pdf import euro, receipt_pdf


def receipt_attachment(receipt: Receipt) -> bytes:
    """The PDF as it was issued (stored), or made again from the data if the file is gone."""
    if receipt.pdf and receipt.pdf.storage.exists(receipt.pdf.name):
        with receipt.pdf.open("rb") as handle:
            return handle.read()
    return receipt_pdf(receipt)


def receipt_message(receipt: Receipt) -> EmailMessage:
    donation = receipt.donation
    donor = donation.donor
    if donor is None or not donor.email:
        raise ValueError("a receipt is mailed only to a donor with an e-mail address")
    profile = FundraisingProfile.objects.get(organisation_id=receipt.organisation_id)
    language = (getattr(donor.user, "language", "") if donor.user_id else "") or "it"
    with translation.override(language):
        subject = _("Receipt no. %(number)s/%(year)s for your gift to %(issuer)s") % {
            "number": receipt.number,
            "year": receipt.year,
            "issuer": profile.legal_name,
        }
        context = {
            "receipt": receipt,
            "donation": donation,
            "donor": donor,
            "name": donor.display_name,
            "issuer": profile.legal_name,
            "amount": euro(donation.amount),
            "campaign": donation.campaign,
        }
        body = render_to_string("fundraising/email/receipt_issued.txt", context)
    message = EmailMessage(subject=f"[Legami] {subject}", body=body, to=[donor.email])
    message.attach(
        f"ricevuta-{receipt.year}-{receipt.number}.pdf",
        receipt_attachment(receipt),
        "application/pdf",
    )
    return message
