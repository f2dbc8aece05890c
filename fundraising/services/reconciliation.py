"""Bank reconciliation: a statement imported once (by its hash), each of its credits
once (by the bank's reference), and each credit matched to the pledged gift it pays —
by the causale the donor wrote, or by amount and name — so that the gift is received on
the booking date. What cannot be matched with certainty waits for a fundraiser, who
confirms the gift by hand or marks the credit as not a gift."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fundraising.bank import StatementEntry, parse_statement
from fundraising.models import (
    BankEntry,
    BankStatement,
    Campaign,
    Donation,
    DonationStatus,
    Donor,
    EntryStatus,
    ImportStatus,
    Method,
    StatementFormat,
)
from fundraising.services.donations import (
    CAUSALE_ALPHABET,
    CAUSALE_LENGTH,
    CAUSALE_PREFIX,
    donation_receive,
    donation_record,
)
from legami.audit import audit_bulk_change, audit_change, snapshot
from legami.policy import Action, require
from partners.models import Organisation

log = logging.getLogger(__name__)

# A statement of a year of a busy account is well under this.
MAX_STATEMENT_BYTES = 20 * 1024 * 1024
# The credits an asynchronous import records per transaction (and per progress step).
IMPORT_BATCH = 100
# An import queued or running without progress for this long is taken as lost (its
# worker died, or the broker lost the task): uploading the file again resumes it.
STALE_AFTER = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class ImportResult:
    """What an import did. ``already_imported``: the same file had been imported before
    and nothing changed (the earlier result is on ``statement``). ``known``: credits
    already recorded from another (overlapping) statement, left as they were.
    ``skipped``: credits of the file that cannot be used (another currency, no date),
    with ``skipped_reasons``."""

    statement: BankStatement
    already_imported: bool = False
    new: int = 0
    known: int = 0
    matched: int = 0
    to_review: int = 0
    skipped: int = 0
    skipped_reasons: tuple[str, ...] = field(default=())


def _check_file(data: bytes) -> str:
    """The file's SHA-256, once it is known to be neither empty nor too large."""
    if not data.strip():
        raise ValidationError(_("The statement file is empty."), code="empty")
    if len(data) > MAX_STATEMENT_BYTES:
        raise ValidationError(
            _("The statement file is larger than %(mb)s MB.")
            % {"mb": MAX_STATEMENT_BYTES // (1024 * 1024)},
            code="too_large",
        )
    return hashlib.sha256(data).hexdigest()


def statement_import(
    *, organisation: Organisation, by: Any, file_name: str, data: bytes
) -> ImportResult:
    """Import a camt.053 or CSV statement for ``organisation`` and match its credits."""
    require(by, Action.CREATE, BankStatement(organisation=organisation))
    sha256 = _check_file(data)
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
        created, known, matched = _record(
            organisation=organisation, statement=statement, items=entries, by=by
        )
        result = ImportResult(
            statement=statement,
            new=len(created),
            known=known,
            matched=matched,
            to_review=len(created) - matched,
            skipped=len(statement_data.skipped),
            skipped_reasons=tuple(statement_data.skipped),
        )
        statement.total = statement.processed = len(entries)
        statement.new, statement.known, statement.matched = result.new, known, matched
        statement.skipped, statement.skipped_reasons = result.skipped, list(result.skipped_reasons)
        statement.save(
            update_fields=[
                "total",
                "processed",
                "new",
                "known",
                "matched",
                "skipped",
                "skipped_reasons",
            ]
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
        _audit_entries(created, statement, by)
    return result


def _record(
    *,
    organisation: Organisation,
    statement: BankStatement,
    items: Sequence[StatementEntry],
    by: Any,
) -> tuple[list[BankEntry], int, int]:
    """Record the credits ``items`` of ``statement`` that are new (by reference) and
    receive the gifts they pay; inside the caller's transaction. Returns the entries
    created, how many were known already and how many were matched."""
    known_refs = set(
        BankEntry.objects.filter(
            organisation=organisation, reference__in=[e.reference for e in items]
        ).values_list("reference", flat=True)
    )
    created: list[BankEntry] = []
    known = matched = 0
    today = timezone.localdate()
    for item in items:
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
        # A booking dated in the future (a wrong file) receives no gift by itself.
        donation = _match(organisation, entry) if item.booked_on <= today else None
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
    return created, known, matched


def _audit_entries(created: list[BankEntry], statement: BankStatement, by: Any) -> None:
    if created:
        audit_bulk_change(
            objs=created,
            action="create",
            changes=lambda e: {k: [None, v] for k, v in snapshot(e, _ENTRY_FIELDS).items() if v},
            note=statement.file_name,
            actor=by,
        )


# --- Asynchronous import ------------------------------------------------------------------------


def statement_upload(
    *, organisation: Organisation, by: Any, file_name: str, data: bytes
) -> ImportResult:
    """Take a camt.053 or CSV statement for ``organisation`` and have it imported by a
    Celery task (``fundraising.import_statement``), which reports its progress on the
    statement. The file is read here first: one that cannot be read is refused
    (ValidationError) and nothing is stored. The same file again: the statement it made
    (``already_imported``), nothing changes; but an import that failed, or was lost
    (nothing done for ``STALE_AFTER``), is taken up again where it stopped."""
    require(by, Action.CREATE, BankStatement(organisation=organisation))
    sha256 = _check_file(data)
    existing = BankStatement.objects.filter(organisation=organisation, sha256=sha256).first()
    if existing is not None:
        return _resume_or_result(existing, data)
    kind, parsed = parse_statement(data)
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                organisation=organisation,
                format=StatementFormat(kind),
                file_name=file_name[:200],
                sha256=sha256,
                account_iban=parsed.account_iban[:34],
                imported_by=by,
                status=ImportStatus.QUEUED,
                progress=0,
                data=data,
                total=len(parsed.entries),
                skipped=len(parsed.skipped),
                skipped_reasons=list(parsed.skipped),
            )
            audit_change(
                obj=statement,
                action="create",
                changes={
                    "file_name": [None, statement.file_name],
                    "format": [None, statement.format],
                    "sha256": [None, sha256],
                    "total": [None, statement.total],
                    "skipped": [None, statement.skipped],
                },
                actor=by,
            )
            _send(statement.pk)
    except IntegrityError:
        # Another upload of the same file won the race: its statement is the import.
        existing = BankStatement.objects.get(organisation=organisation, sha256=sha256)
        return ImportResult(statement=existing, already_imported=True)
    return ImportResult(statement=statement)


def _send(statement_id: int) -> None:
    from fundraising.tasks_bank import import_statement

    transaction.on_commit(lambda: import_statement.delay(statement_id))


def _resume_or_result(statement: BankStatement, data: bytes) -> ImportResult:
    stale = timezone.now() - STALE_AFTER
    if statement.status == ImportStatus.FAILED or (
        statement.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
        and statement.updated_at < stale
    ):
        with transaction.atomic():
            requeued = BankStatement.objects.filter(
                pk=statement.pk, status=statement.status, updated_at=statement.updated_at
            ).update(status=ImportStatus.QUEUED, data=data, error="", updated_at=timezone.now())
            if requeued:
                audit_change(
                    obj=statement,
                    action="state",
                    changes={"status": [statement.status, ImportStatus.QUEUED]},
                )
                _send(statement.pk)
        statement.refresh_from_db()
    return ImportResult(statement=statement, already_imported=True)


def statement_run(*, statement_id: int) -> None:
    """Carry out a queued import (the task's body), in batches of ``IMPORT_BATCH``
    credits, each in its own transaction with the progress it makes. Delivered twice, it
    is carried out once: only the delivery that moves the statement from queued to
    running works on it. It starts after the credits already processed (an import taken
    up again). An error marks the import as failed (the file stays, to try again)."""
    claimed = BankStatement.objects.filter(pk=statement_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return
    statement = BankStatement.objects.select_related("organisation", "imported_by").get(
        pk=statement_id
    )
    by = statement.imported_by
    try:
        _kind, parsed = parse_statement(bytes(statement.data))
        entries = parsed.entries
        total = len(entries)
        for start in range(statement.processed, total, IMPORT_BATCH):
            batch = entries[start : start + IMPORT_BATCH]
            _run_batch(statement, batch, by, done=start + len(batch), total=total)
    except Exception as error:
        log.exception("import of bank statement %s failed", statement_id)
        BankStatement.objects.filter(pk=statement_id).update(
            status=ImportStatus.FAILED, updated_at=timezone.now(), error=str(error)[:2000]
        )
        return
    with transaction.atomic():
        BankStatement.objects.filter(pk=statement_id).update(
            status=ImportStatus.DONE,
            progress=100,
            data=b"",
            total=total,
            processed=total,
            updated_at=timezone.now(),
            finished_at=timezone.now(),
        )
        statement.refresh_from_db()
        audit_change(
            obj=statement,
            action="state",
            changes={
                "status": [ImportStatus.RUNNING, ImportStatus.DONE],
                "new": [None, statement.new],
                "known": [None, statement.known],
                "matched": [None, statement.matched],
            },
            actor=by,
        )


def _run_batch(
    statement: BankStatement, batch: list[StatementEntry], by: Any, *, done: int, total: int
) -> None:
    for attempt in range(2):
        try:
            with transaction.atomic():
                created, known, matched = _record(
                    organisation=statement.organisation, statement=statement, items=batch, by=by
                )
                _audit_entries(created, statement, by)
                BankStatement.objects.filter(pk=statement.pk).update(
                    processed=done,
                    progress=min(99, done * 100 // total) if total else 99,
                    new=F("new") + len(created),
                    known=F("known") + known,
                    matched=F("matched") + matched,
                    updated_at=timezone.now(),
                )
            return
        except IntegrityError:
            # An overlapping statement (or a match of the same gift) committed
            # meanwhile: once more, now seeing its entries.
            if attempt:
                raise


_ENTRY_FIELDS = ("reference", "booked_on", "amount", "counterparty", "status", "donation")


# --- Matching -----------------------------------------------------------------------------------


def _compact(text: str) -> str:
    """Upper case, no whitespace: how a causale is compared."""
    return re.sub(r"\s+", "", text).upper()


# A causale as ``causale_new`` makes it, found in a transfer's text however the payer's
# bank wrote it: any case, spaces anywhere, with or without the hyphen.
CAUSALE_IN_TEXT = re.compile(
    re.escape(CAUSALE_PREFIX.rstrip("-"))
    + "-?(["
    + CAUSALE_ALPHABET
    + "]{"
    + str(CAUSALE_LENGTH)
    + "})"
)


def causali_in(text: str) -> list[str]:
    """The causali a remittance text may carry, as stored (``DONO-7K2M9Q``): looked up
    by the unique index, never by scanning the gifts."""
    return sorted({CAUSALE_PREFIX + code for code in CAUSALE_IN_TEXT.findall(_compact(text or ""))})


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
    automatically. A monthly gift's causale (a standing order): its oldest pledged
    month of the same amount. (b) No causale: the one pledged gift of the same amount
    whose donor's name is the counterparty's."""
    codes = causali_in(entry.remittance)
    if codes:
        by_causale = list(Donation.objects.filter(organisation=organisation, causale__in=codes)[:2])
        if not by_causale:
            month = _month_of_standing_order(organisation, codes, entry.amount)
            if month is not None:
                return month
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


def _month_of_standing_order(
    organisation: Organisation, codes: list[str], amount: Decimal
) -> Donation | None:
    """The oldest month of a monthly gift (by its causale) still pledged at ``amount``
    and paid by no credit: what one more transfer of a standing order pays."""
    return (
        _pledged(organisation)
        .filter(recurring__causale__in=codes, amount=amount)
        .order_by("date", "pk")
        .first()
    )


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


def review_candidates(
    entries: Iterable[BankEntry], *, per_entry: int = 5
) -> dict[int, list[Donation]]:
    """For each credit to review, the pledged gifts (of its organisation, not paid by
    another credit) it may pay, closest first: by the causale in the remittance, then
    the amount (the same, then the nearest), then the donor's name against the payer's.
    Two queries however many credits: the pledges of the organisations, then Python."""
    entries = list(entries)
    if not entries:
        return {}
    pledges = list(
        Donation.objects.filter(
            organisation__in={e.organisation_id for e in entries},
            status=DonationStatus.PLEDGED,
            bank_entry__isnull=True,
        )
        .select_related("donor", "campaign")
        .order_by("date", "pk")
    )
    names = {d.pk: set(_name_key(d.donor.display_name)) if d.donor else set() for d in pledges}
    causali = {d.pk: _compact(d.causale or "") for d in pledges}
    result: dict[int, list[Donation]] = {}
    for entry in entries:
        remittance = _compact(entry.remittance)
        payer = set(_name_key(entry.counterparty))
        scale = max(entry.amount, Decimal("0.01"))
        ranked: list[tuple[Any, Donation]] = []
        for d in pledges:
            if d.organisation_id != entry.organisation_id:
                continue
            causale = bool(causali[d.pk]) and causali[d.pk] in remittance
            common = len(payer & names[d.pk])
            if not (causale or d.amount == entry.amount or common):
                continue
            diff = abs(d.amount - entry.amount) / scale
            ranked.append(((not causale, diff, -common, d.date, d.pk), d))
        ranked.sort(key=lambda pair: pair[0])
        result[entry.pk] = [d for _key, d in ranked[:per_entry]]
    return result


def pledge_by_causale(organisation: Organisation, causale: str) -> Donation | None:
    """The gift of ``organisation`` with this causale (spaces, hyphen and case aside)."""
    codes = causali_in(causale)
    if not codes:
        return None
    found = Donation.objects.filter(organisation=organisation, causale__in=codes).first()
    if found is None:  # a monthly gift's causale: its oldest month still pledged
        found = (
            _pledged(organisation)
            .filter(recurring__causale__in=codes)
            .order_by("date", "pk")
            .first()
        )
    return found


def entry_record_gift(
    *,
    entry: BankEntry,
    by: Any,
    campaign: Campaign | None = None,
    donor: Donor | None = None,
    anonymous: bool = False,
) -> BankEntry:
    """A credit to review is a gift nobody pledged online (a transfer made after a
    leaflet, say): it is recorded as a gift received by bank transfer, of the credit's
    amount on its booking date (``donation_record``), and the credit is matched to it
    by hand; all in one transaction."""
    require(by, Action.CHANGE, entry)
    with transaction.atomic():
        locked = BankEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status != EntryStatus.UNMATCHED:
            raise ValidationError(
                _("This bank entry is not waiting for review any more."), code="not_unmatched"
            )
        if campaign is not None and campaign.organisation_id != locked.organisation_id:
            raise ValidationError(
                {"campaign": _("The campaign collects for another organisation.")}
            )
        gift = donation_record(
            by=by,
            donor=donor,
            amount=locked.amount,
            method=Method.BANK_TRANSFER,
            received_on=locked.booked_on,
            campaign=campaign,
            organisation=None if campaign is not None else locked.organisation,
            anonymous=anonymous,
            note=str(_("bank entry %(reference)s") % {"reference": locked.reference}),
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
    entry.status, entry.donation = locked.status, gift
    return locked


__all__ = [
    "IMPORT_BATCH",
    "MAX_STATEMENT_BYTES",
    "STALE_AFTER",
    "ImportResult",
    "entries_to_review",
    "entry_confirm",
    "entry_ignore",
    "entry_record_gift",
    "pledge_by_causale",
    "review_candidates",
    "statement_import",
    "statement_run",
    "statement_upload",
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
