"""The reciprocity ledger: recording hours given and received, and reversing a mistake.

Double entry: a transaction moves ``hours`` from the giver's account (+hours) to the
receiver's (-hours), so every transaction, and the whole ledger, sums to zero. Rows are
never edited or deleted (a PostgreSQL trigger refuses it); a correction is a reversal
transaction with the sides swapped, and a transaction is reversed at most once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beneficiaries.models import Person
from legami.audit import audit_change
from legami.policy import may_record_hours
from pacts.models import (
    Commitment,
    CommitmentDirection,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Pact,
    PactStatus,
)
from partners.models import Organisation

MAX_HOURS = Decimal("1000")


def account_for(
    *, person: Person | None = None, organisation: Organisation | None = None
) -> LedgerAccount:
    """The ledger account of a person or an organisation (opened on first use)."""
    if (person is None) == (organisation is None):
        raise ValueError("an account is of a person or of an organisation")
    lookup: dict[str, Any] = (
        {"person": person} if person is not None else {"organisation": organisation}
    )
    try:
        with transaction.atomic():
            account, _created = LedgerAccount.objects.get_or_create(**lookup)
    except IntegrityError:  # opened at the same moment by another request
        account = LedgerAccount.objects.get(**lookup)
    return account


def _entries(txn: LedgerTransaction) -> None:
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(transaction=txn, account=txn.giver, amount=txn.hours),
            LedgerEntry(transaction=txn, account=txn.receiver, amount=-txn.hours),
        ]
    )


def hours_record(
    *,
    pact: Pact,
    actor: Any,
    hours: Decimal | str | int,
    date: dt.date,
    direction: str,
    organisation: Organisation | None,
    commitment: Commitment | None = None,
    description: str = "",
) -> LedgerTransaction:
    """Record hours of a running (or signed) pact: given back by the person to an
    organisation (``direction`` = gives_back), or received by the person from it
    (provides). The date is not in the future nor before the pact starts; a commitment,
    if named, is one of this pact's, in the same direction and with the same
    organisation."""
    if not may_record_hours(actor, pact, organisation):
        raise PermissionDenied
    errors: dict[str, str] = {}
    try:
        amount = Decimal(str(hours)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        amount = Decimal(0)
    if not Decimal(0) < amount <= MAX_HOURS:
        errors["hours"] = _("Give a number of hours between 0.01 and 1000.")
    if direction not in CommitmentDirection.values:
        errors["direction"] = _("Choose whether the hours were given back or received.")
    if organisation is None:
        errors["organisation"] = _("Choose the organisation the hours were exchanged with.")
    today = timezone.localdate()
    if date > today:
        errors["date"] = _("The date is in the future.")
    elif pact.start_date and date < pact.start_date:
        errors["date"] = _("The date comes before the pact started.")
    if commitment is not None and (
        commitment.pact_id != pact.pk
        or commitment.direction != direction
        or (
            commitment.organisation_id
            and commitment.organisation_id != getattr(organisation, "pk", None)
        )
    ):
        errors["commitment"] = _("This commitment is not one of these hours.")
    if errors or organisation is None:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Pact.objects.select_for_update().get(pk=pact.pk)
        if locked.status not in (PactStatus.SIGNED, PactStatus.ACTIVE, PactStatus.IN_REVIEW):
            raise ValidationError(
                _("Hours are recorded on a signed or running pact."), code="not_running"
            )
        person_account = account_for(person=locked.person)
        org_account = account_for(organisation=organisation)
        giver, receiver = (
            (person_account, org_account)
            if direction == CommitmentDirection.GIVES_BACK
            else (org_account, person_account)
        )
        txn = LedgerTransaction.objects.create(
            pact=locked,
            commitment=commitment,
            date=date,
            hours=amount,
            giver=giver,
            receiver=receiver,
            description=description.strip()[:300],
            recorded_by=actor,
        )
        _entries(txn)
        audit_change(
            obj=txn,
            action="create",
            changes={
                "hours": [None, str(amount)],
                "direction": [None, direction],
                "organisation": [None, organisation.pk],
                "date": [None, date.isoformat()],
            },
            actor=actor,
        )
    return txn


def transaction_reverse(*, txn: LedgerTransaction, actor: Any, reason: str) -> LedgerTransaction:
    """Cancel a recorded transaction with a reversal (the sides swapped, same hours,
    today). A reversal is not itself reversed, and a transaction is reversed once."""
    organisation = (txn.giver if txn.giver.organisation_id else txn.receiver).organisation
    if not may_record_hours(actor, txn.pact, organisation):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the hours are being cancelled.")})
    if txn.reverses_id is not None:
        raise ValidationError(_("A reversal cannot be reversed: record the hours again."))
    try:
        with transaction.atomic():
            if LedgerTransaction.objects.filter(reverses=txn).exists():
                raise ValidationError(
                    _("These hours have already been cancelled."), code="reversed"
                )
            reversal = LedgerTransaction.objects.create(
                pact=txn.pact,
                commitment=txn.commitment,
                date=timezone.localdate(),
                hours=txn.hours,
                giver=txn.receiver,
                receiver=txn.giver,
                description=reason.strip()[:300],
                reverses=txn,
                recorded_by=actor,
            )
            _entries(reversal)
            audit_change(
                obj=reversal,
                action="reverse",
                changes={"reverses": [None, txn.pk], "hours": [None, str(txn.hours)]},
                note=reason.strip(),
                actor=actor,
            )
    except IntegrityError as exc:  # a concurrent reversal took the one-to-one link
        raise ValidationError(
            _("These hours have already been cancelled."), code="reversed"
        ) from exc
    return reversal
