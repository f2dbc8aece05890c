"""Receipts of gifts: issued once per received donation, numbered per issuing
organisation and year with no gap and no duplicate, kept as a PDF in the private
storage, mailed to the donor once, reprinted on demand, cancelled (never deleted, the
number never reused) when the gift is refunded.

The number comes from the organisation's ``ReceiptCounter`` row for the year of the
gift, advanced under a row lock in the same transaction that saves the receipt: if
anything fails after it is taken (the PDF, the file, the row), both roll back and the
next receipt takes the same number. Locks are always taken in the same order (the
donation, then the counter), so two issues cannot deadlock.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundraising.models import (
    Donation,
    DonationStatus,
    FundraisingProfile,
    Method,
    Receipt,
    ReceiptCounter,
    ReceiptStatus,
)
from fundraising.receipt_pdf import issued_words, receipt_pdf
from legami.audit import audit_change, audit_read
from legami.models import AccessEvent
from legami.policy import Action, require

logger = logging.getLogger(__name__)

COUNTER_ATTEMPTS = 5


def receipt_file_name(receipt: Receipt) -> str:
    """Where the PDF is kept: by year, issuer and number (never the donor's name)."""
    slug = receipt.organisation.slug
    return f"receipts/{receipt.year}/{slug}/ricevuta-{slug}-{receipt.year}-{receipt.number:06d}.pdf"


def _locked_counter(*, organisation_id: int, year: int) -> ReceiptCounter:
    """The organisation's counter for ``year``, created if missing (two first receipts
    of a year may race to create it: the loser's savepoint rolls back and it reads the
    winner's row), then locked until the end of the transaction."""
    for _attempt in range(COUNTER_ATTEMPTS):
        try:
            with transaction.atomic():
                ReceiptCounter.objects.get_or_create(organisation_id=organisation_id, year=year)
            break
        except IntegrityError:
            continue
    return ReceiptCounter.objects.select_for_update().get(
        organisation_id=organisation_id, year=year
    )


def receipt_issue(*, donation: Donation, by: Any) -> Receipt:
    """Issue the receipt of a received ``donation``: the next number of its recipient
    for the year of the gift, the PDF, the audit record, and the mail to the donor
    after commit. A donation that already has a receipt gets it back (no new number).
    ``by=None`` is the system (``receipt_issue_due``)."""
    from fundraising.tasks import send_receipt_mail

    if by is not None:  # None: the system, for a gift just received (receipt_issue_due)
        require(by, Action.CHANGE, donation)
    with transaction.atomic():
        # The donation's lock makes two issues of the same gift wait for each other:
        # the second finds the first's receipt.
        donation = (
            Donation.objects.select_for_update(of=("self",))
            .select_related("organisation", "donor", "campaign")
            .get(pk=donation.pk)
        )
        existing = Receipt.objects.filter(donation=donation).first()
        if existing is not None:
            return existing
        if donation.status != DonationStatus.RECEIVED:
            raise ValidationError(
                _("A receipt can be issued only for a donation that has been received."),
                code="not_received",
            )
        profile = FundraisingProfile.objects.filter(
            organisation_id=donation.organisation_id
        ).first()
        if profile is None:
            raise ValidationError(
                _(
                    "%(organisation)s has no fundraising profile (legal name, fiscal code, "
                    "address): it cannot issue receipts."
                )
                % {"organisation": donation.organisation.name},
                code="no_profile",
            )

        year = donation.date.year
        counter = _locked_counter(organisation_id=donation.organisation_id, year=year)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])

        receipt = Receipt(
            organisation=donation.organisation,
            year=year,
            number=counter.last_number,
            donation=donation,
            issued_at=timezone.now(),
            tax_benefit=profile.third_sector_body and donation.method != Method.CASH,
        )
        receipt.snapshot = issued_words(receipt)
        content = receipt_pdf(receipt)
        name = _store_pdf(receipt, content)
        try:
            receipt.save()
            audit_change(
                obj=receipt,
                action="create",
                changes={
                    "number": [None, f"{receipt.number}/{receipt.year}"],
                    "donation": [None, str(donation.public_id)],
                    "amount": [None, str(donation.amount)],
                    "tax_benefit": [None, receipt.tax_benefit],
                },
                actor=by,
            )
        except BaseException:
            receipt.pdf.storage.delete(name)
            raise
        receipt_id = receipt.pk
        transaction.on_commit(lambda: send_receipt_mail.delay(receipt_id))
    return receipt


def receipt_issue_later(donation: Donation) -> None:
    """Once the current transaction commits, issue the receipt of ``donation`` (just
    received) in the background: ``fundraising.issue_receipt``. Nothing is queued if
    the transaction rolls back."""
    from fundraising.tasks import issue_receipt

    donation_id = donation.pk
    transaction.on_commit(lambda: issue_receipt.delay(donation_id))


def receipt_issue_due(*, donation_id: int) -> Receipt | None:
    """The receipt of a received gift, issued by the system: every received gift with
    a known donor, to an organisation that issues receipts, gets one — once (a task
    delivered twice finds the first receipt). None when no receipt is due: the gift is
    not received (refunded meanwhile), has no donor (an anonymous cash gift), or its
    organisation has no fundraising profile."""
    donation = Donation.objects.filter(pk=donation_id).select_related("organisation").first()
    if donation is None or donation.status != DonationStatus.RECEIVED or donation.donor_id is None:
        return None
    if not FundraisingProfile.objects.filter(organisation_id=donation.organisation_id).exists():
        logger.warning(
            "No receipt for donation %s: %s has no fundraising profile.",
            donation.public_id,
            donation.organisation,
        )
        return None
    try:
        return receipt_issue(donation=donation, by=None)
    except ValidationError:  # refunded between the check and the lock
        return None


def _store_pdf(receipt: Receipt, content: bytes) -> str:
    """Write the PDF under its name. The counter row is locked, so no committed receipt
    can have this number yet: a file already there is left by a transaction that rolled
    back after writing it, and is replaced."""
    storage = receipt.pdf.storage
    name = receipt_file_name(receipt)
    if storage.exists(name):
        storage.delete(name)
    receipt.pdf.name = storage.save(name, ContentFile(content))
    return receipt.pdf.name


def receipt_reprint(receipt: Receipt, by: Any) -> bytes:
    """The PDF of ``receipt`` again, made from its stored data (with "ANNULLATA", the
    date and the reason once cancelled); the read is recorded in the audit trail."""
    require(by, Action.READ, receipt)
    receipt = Receipt.objects.select_related(
        "organisation", "donation__donor", "donation__campaign"
    ).get(pk=receipt.pk)
    content = receipt_pdf(receipt)
    audit_read(
        objs=[receipt],
        action=AccessEvent.Action.EXPORT,
        purpose="receipt reprint",
        actor=by,
        subject_user=lambda r: r.donation.donor.user if r.donation.donor else None,  # type: ignore[attr-defined]
    )
    return content


def receipt_cancel(*, receipt: Receipt, by: Any, reason: str) -> Receipt:
    """Cancel ``receipt`` (e.g. the gift was refunded): it keeps its number, which is
    never given again, and its PDF; a reprint says it is cancelled, when and why.
    ``by=None`` is the system (a refund reported by the payment provider)."""
    if by is not None:
        require(by, Action.CHANGE, receipt)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say why the receipt is cancelled.")}, code="reason_required"
        )
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
        if receipt.status == ReceiptStatus.CANCELLED:
            raise ValidationError(_("This receipt is already cancelled."), code="cancelled")
        receipt.status = ReceiptStatus.CANCELLED
        receipt.cancelled_at = timezone.now()
        receipt.cancelled_by = by
        receipt.cancel_reason = reason[: Receipt._meta.get_field("cancel_reason").max_length]
        receipt.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        audit_change(
            obj=receipt,
            action="state",
            changes={"status": [ReceiptStatus.ISSUED, ReceiptStatus.CANCELLED]},
            note=receipt.cancel_reason,
            actor=by,
        )
    return receipt


def donation_refund_cancels_receipt(*, donation: Donation, by: Any, reason: str) -> Receipt | None:
    """For the refund of ``donation``: cancel its receipt if it has an issued one, and
    return it (None when there is none)."""
    receipt = Receipt.objects.filter(donation=donation, status=ReceiptStatus.ISSUED).first()
    if receipt is None:
        return None
    return receipt_cancel(receipt=receipt, by=by, reason=reason)


def receipt_mail_send(*, receipt_id: int) -> bool:
    """Mail the receipt to its donor, once: ``emailed_at`` is set in the same locked
    transaction as the sending, so a re-delivered task finds it set and sends nothing; a
    mail that fails sets nothing (the task may retry). No mail for a cancelled receipt
    or a donor with no e-mail address. Returns whether a mail left."""
    from fundraising.mails import receipt_message

    with transaction.atomic():
        receipt = (
            Receipt.objects.select_for_update(of=("self",))
            .select_related("organisation", "donation__donor__user", "donation__campaign")
            .filter(pk=receipt_id)
            .first()
        )
        if receipt is None or receipt.emailed_at is not None:
            return False
        if receipt.status != ReceiptStatus.ISSUED:
            return False
        donor = receipt.donation.donor
        if donor is None or not donor.email:
            return False
        message = receipt_message(receipt)
        receipt.emailed_at = timezone.now()
        receipt.save(update_fields=["emailed_at"])
        message.send()
    logger.info("Receipt %s/%s mailed.", receipt.number, receipt.year)
    return True
