"""Bank reconciliation: a statement imported once (by its hash), each of its credits
once (by the bank's reference), and each credit matched to the pledged gift it pays —
by the causale the donor wrote, or by amount and name — so that the gift is received on
the booking date. What cannot be matched with certainty waits for a fundraiser, who
confirms the gift by hand or marks the credit as not a gift."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Replace, Upper
from django.utils.translation import gettext as _

from fundraising.bank import StatementEntry, parse_statement
from fundraising.models import (
    BankEntry,
    BankStatement,
    Donation,
    DonationStatus,
    EntryStatus,
    StatementFormat,
)
from fundraising.services.donations import donation_receive
from legami.audit import audit_bulk_change, audit_change, snapshot
from legami.policy import Action, require
from partners.models import Organisation

# A statement of a year of a busy account is well under this.
MAX_STATEMENT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ImportResult:
    """What an import did. ``already_imported``: the same file had been imported before
    and nothing changed. ``known``: credits already recorded from another (overlapping)
    statement, left as they were. ``skipped``: credits of the file that cannot be used
    (another currency, no date), with ``skipped_reasons``."""

    statement: BankStatement
    already_imported: bool = False
    new: int = 0
    known: int = 0
    matched: int = 0
    to_review: int = 0
    skipped: int = 0
    skipped_reasons: tuple[str, ...] = field(default=())


def statement_import(
    *, organisation: Organisation, by: Any, file_name: str, data: bytes
) -> ImportResult:
    """Import a camt.053 or CSV statement for ``organisation`` and match its credits."""
    require(by, Action.CREATE, BankStatement(organisation=organisation))
    if not data.strip():
        raise ValidationError(_("The statement file is empty."), code="empty")
    if len(data) > MAX_STATEMENT_BYTES:
        raise ValidationError(
            _("The statement file is larger than %(mb)s MB.")
            % {"mb": MAX_STATEMENT_BYTES // (1024 * 1024)},
            code="too_large",
        )
    sha256 = hashlib.sha256(data).hexdigest()
    existing = _already_imported(organisation, sha256)
    if existing is not None:
        return existing
    kind, parsed = parse_statement(data)
    for attempt in range(2):
        try:
            return _import(
                organisation=organisation,
                by=by,
                file_name=file_name,
                sha256=sha256,
                kind=kind,
                statement_data=parsed,
            )
        except IntegrityError:
            # Another import of the same file won the race: it is the import.
            existing = _already_imported(organisation, sha256)
            if existing is not None:
                return existing
            # Else an overlapping statement (or a match of the same gift) committed
            # meanwhile: once more, now seeing its entries.
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _already_imported(organisation: Organisation, sha256: str) -> ImportResult | None:
    statement = BankStatement.objects.filter(organisation=organisation, sha256=sha256).first()
    if statement is None:
        return None
    return ImportResult(statement=statement, already_imported=True)


def _import(
    *,
    organisation: Organisation,
    by: Any,
    file_name: str,
    sha256: str,
    kind: str,
    statement_data: Any,
) -> ImportResult:
    entries: list[StatementEntry] = statement_data.entries
    with transaction.atomic():
        statement = BankStatement.objects.create(
            organisation=organisation,
            format=StatementFormat(kind),
            file_name=file_name[:200],
            sha256=sha256,
            account_iban=statement_data.account_iban[:34],
            imported_by=by,
        )
        known_refs = set(
            BankEntry.objects.filter(
                organisation=organisation, reference__in=[e.reference for e in entries]
            ).values_list("reference", flat=True)
        )
        created: list[BankEntry] = []
        known = matched = 0
        for item in entries:
            if item.reference in known_refs:
                known += 1
                continue
            known_refs.add(item.reference)
            entry = BankEntry(
                statement=statement,
                organisation=organisation,
                reference=item.reference,
                booked_on=item.booked_on,
                amount=item.amount,
                counterparty=item.counterparty,
                counterparty_iban=item.counterparty_iban,
                remittance=item.remittance,
                status=EntryStatus.UNMATCHED,
            )
            donation = _match(organisation, entry)
            if donation is not None:
                # Locked, and still pledged: a gift received meanwhile is for review.
                donation = (
                    Donation.objects.select_for_update()
                    .filter(pk=donation.pk, status=DonationStatus.PLEDGED)
                    .first()
                )
            if donation is not None:
                entry.status = EntryStatus.MATCHED
                entry.donation = donation
            entry.save()
            if donation is not None:
                _received_by(entry, donation, by)
                matched += 1
            created.append(entry)
        result = ImportResult(
            statement=statement,
            new=len(created),
            known=known,
            matched=matched,
            to_review=len(created) - matched,
            skipped=len(statement_data.skipped),
            skipped_reasons=tuple(statement_data.skipped),
        )
        audit_change(
            obj=statement,
            action="create",
            changes={
                "file_name": [None, statement.file_name],
                "format": [None, statement.format],
                "sha256": [None, sha256],
                "new": [None, result.new],
                "known": [None, result.known],
                "matched": [None, result.matched],
                "skipped": [None, result.skipped],
            },
            actor=by,
        )
        if created:
            audit_bulk_change(
                objs=created,
                action="create",
                changes=lambda e: {
                    k: [None, v] for k, v in snapshot(e, _ENTRY_FIELDS).items() if v
                },
                note=statement.file_name,
                actor=by,
            )
    return result


_ENTRY_FIELDS = ("reference", "booked_on", "amount", "counterparty", "status", "donation")


# --- Matching -----------------------------------------------------------------------------------


def _compact(text: str) -> str:
    """Upper case, no whitespace: how a causale is compared."""
    return re.sub(r"\s+", "", text).upper()


def _name_key(name: str) -> tuple[str, ...]:
    """A name without case, accents, punctuation or word order ("ROSSI MARIA" and
    "Maria Rossi"; "Bianchi S.r.l." and "BIANCHI SRL")."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[.'’]", "", text)
    return tuple(sorted(w for w in re.split(r"[^a-z0-9]+", text) if w))


def _pledged(organisation: Organisation) -> QuerySet[Donation]:
    return Donation.objects.filter(
        organisation=organisation, status=DonationStatus.PLEDGED, bank_entry__isnull=True
    )


def _match(organisation: Organisation, entry: BankEntry) -> Donation | None:
    """The one pledged gift this credit pays, or None (the credit is to be reviewed).

    (a) The remittance holds a donation's causale: that gift, if the amount is the same;
    a different amount (or a causale of a gift not pledged any more) is never received
    automatically. (b) No causale: the one pledged gift of the same amount whose donor's
    name is the counterparty's."""
    remittance = _compact(entry.remittance)
    if remittance:
        by_causale = list(
            Donation.objects.filter(organisation=organisation, causale__isnull=False)
            .exclude(causale="")
            .annotate(
                compact=Upper(Replace("causale", Value(" "), Value(""))),
                text=Value(remittance, output_field=CharField()),
            )
            .filter(text__contains=F("compact"))[:2]
        )
        if by_causale:
            if len(by_causale) > 1:
                return None
            donation = by_causale[0]
            if (
                donation.status == DonationStatus.PLEDGED
                and donation.amount == entry.amount
                and not BankEntry.objects.filter(donation=donation).exists()
            ):
                return donation
            return None
    counterparty = _name_key(entry.counterparty)
    if not counterparty:
        return None
    candidates = [
        d
        for d in _pledged(organisation)
        .filter(amount=entry.amount, donor__isnull=False)
        .select_related("donor")
        if _name_key(d.donor.display_name) == counterparty  # type: ignore[union-attr]
    ]
    return candidates[0] if len(candidates) == 1 else None


def entry_confirm(*, entry: BankEntry, donation: Donation, by: Any) -> BankEntry:
    """Match a credit to be reviewed to a pledged gift of the same organisation and the
    same amount, by hand: the gift is received on the booking date."""
    require(by, Action.CHANGE, entry)
    if donation.organisation_id != entry.organisation_id:
        raise ValidationError(
            _("This gift was made to another organisation."), code="other_organisation"
        )
    try:
        with transaction.atomic():
            locked = BankEntry.objects.select_for_update().get(pk=entry.pk)
            if locked.status != EntryStatus.UNMATCHED:
                raise ValidationError(
                    _("This bank entry is not waiting for review any more."), code="not_unmatched"
                )
            gift = Donation.objects.select_for_update().get(pk=donation.pk)
            if gift.status != DonationStatus.PLEDGED:
                raise ValidationError(
                    _("Only a pledged gift can be matched to a bank entry."), code="not_pledged"
                )
            if BankEntry.objects.filter(donation=gift).exists():
                raise ValidationError(
                    _("This gift is already matched to another bank entry."), code="taken"
                )
            if gift.amount != locked.amount:
                raise ValidationError(
                    _(
                        "The gift is of %(gift)s € and the bank entry of %(entry)s €: the "
                        "amounts must be the same."
                    )
                    % {"gift": gift.amount, "entry": locked.amount},
                    code="amount",
                )
            locked.status = EntryStatus.CONFIRMED
            locked.donation = gift
            locked.save(update_fields=["status", "donation"])
            audit_change(
                obj=locked,
                action="state",
                changes={
                    "status": [EntryStatus.UNMATCHED, EntryStatus.CONFIRMED],
                    "donation": [None, gift.pk],
                },
                actor=by,
            )
            _received_by(locked, gift, by)
    except IntegrityError as exc:
        raise ValidationError(
            _("This gift is already matched to another bank entry."), code="taken"
        ) from exc
    entry.status, entry.donation = locked.status, gift
    donation.status, donation.received_at = gift.status, gift.received_at
    return locked


def entry_ignore(*, entry: BankEntry, by: Any) -> BankEntry:
    """Mark a credit to be reviewed as not a gift (a refund, a grant, a transfer between
    accounts): it leaves the review list."""
    require(by, Action.CHANGE, entry)
    with transaction.atomic():
        locked = BankEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status != EntryStatus.UNMATCHED:
            raise ValidationError(
                _("This bank entry is not waiting for review any more."), code="not_unmatched"
            )
        locked.status = EntryStatus.IGNORED
        locked.save(update_fields=["status"])
        audit_change(
            obj=locked,
            action="state",
            changes={"status": [EntryStatus.UNMATCHED, EntryStatus.IGNORED]},
            actor=by,
        )
    entry.status = locked.status
    return locked


def entries_to_review(organisation: Organisation) -> QuerySet[BankEntry]:
    """The credits of ``organisation`` waiting for a fundraiser, oldest first."""
    return (
        BankEntry.objects.filter(organisation=organisation, status=EntryStatus.UNMATCHED)
        .select_related("statement")
        .order_by("booked_on", "pk")
    )


__all__ = [
    "MAX_STATEMENT_BYTES",
    "ImportResult",
    "entries_to_review",
    "entry_confirm",
    "entry_ignore",
    "statement_import",
]


def _received_by(entry: BankEntry, donation: Donation, by: Any) -> Donation:
    """The gift paid by ``entry`` is received on the entry's booking date."""
    received = donation_receive(
        donation=donation,
        by=by,
        received_on=entry.booked_on,
        note=str(_("bank entry %(reference)s") % {"reference": entry.reference}),
    )
    donation.status, donation.date = received.status, received.date
    donation.received_at = received.received_at
    return received
