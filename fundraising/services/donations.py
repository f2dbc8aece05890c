"""Donations: promised online (a pledge), entered by a fundraiser (cash at a stand, a
cheque), received, refunded, cancelled; monthly gifts; soft credits.

States: ``pledged → received → refunded`` and ``pledged → cancelled``. Every change locks
the donation's row first. Receiving twice changes nothing (the same donation comes
back); a payment provider's reference seen before gives back the donation that already
carries it, so a webhook delivered twice records one gift.

A bank-transfer pledge gets a ``causale``, the short code the donor writes on the
transfer ("DONO-7K2M9Q") and the bank-statement reconciliation looks for.

Who: anybody may *pledge* to a published, open campaign (the online form, ``by=None``
for a visitor without an account); only the fundraisers of the collecting organisation
record received gifts and change a donation's state (``by=None`` there is the system: a
payment provider's webhook, a task).
"""

from __future__ import annotations

import calendar
import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fundraising.models import (
    Campaign,
    CampaignStatus,
    Donation,
    DonationStatus,
    Donor,
    Method,
    RecurringGift,
    RecurringStatus,
    SoftCredit,
    SoftCreditKind,
)
from fundraising.services.donors import is_fundraiser_of, require_fundraiser_of
from legami.audit import audit_change
from legami.policy import Action, require
from partners.models import Organisation

AMOUNT_MAX = Decimal("1000000.00")
CAUSALE_PREFIX = "DONO-"
# No 0/O and 1/I: read aloud or copied from paper, they are confused.
CAUSALE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CAUSALE_LENGTH = 6
CAUSALE_ATTEMPTS = 10


def causale_new() -> str:
    """A causale no donation has yet, like ``DONO-7K2M9Q`` (32⁶ ≈ 10⁹ codes)."""
    for _attempt in range(CAUSALE_ATTEMPTS):
        code = CAUSALE_PREFIX + "".join(
            secrets.choice(CAUSALE_ALPHABET) for _ in range(CAUSALE_LENGTH)
        )
        if (
            not Donation.objects.filter(causale=code).exists()
            and not RecurringGift.objects.filter(causale=code).exists()
        ):
            return code
    raise RuntimeError("no free causale after several attempts")


def clean_amount(amount: Any, *, field: str = "amount") -> Decimal:
    """``amount`` as euro and cents, more than 0 and at most 1,000,000."""
    try:
        value = (
            Decimal(str(amount).replace(",", ".")) if not isinstance(amount, Decimal) else amount
        )
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Give an amount in euro, e.g. 25.00.")}) from None
    if not value.is_finite():
        raise ValidationError({field: _("Give an amount in euro, e.g. 25.00.")})
    if value <= 0:
        raise ValidationError({field: _("The amount must be more than zero.")})
    if value > AMOUNT_MAX:
        raise ValidationError({field: _("The amount can be at most 1,000,000 €.")})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({field: _("The amount has at most two decimals (cents).")})
    return value.quantize(Decimal("0.01"))


def _check_method(method: str) -> None:
    if method not in Method.values:
        raise ValidationError({"method": _("Choose how the gift is paid.")})


def _recipient(campaign: Campaign | None, organisation: Organisation | None) -> Organisation:
    if campaign is not None:
        if organisation is not None and organisation.pk != campaign.organisation_id:
            raise ValidationError(
                {"organisation": _("The campaign collects for another organisation.")}
            )
        return campaign.organisation
    if organisation is None:
        raise ValidationError({"campaign": _("Choose a campaign or an organisation.")})
    return organisation


def campaign_open_for_gifts(campaign: Campaign, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return campaign.status == CampaignStatus.PUBLISHED and campaign.ends_on >= today


def _check_open(campaign: Campaign | None) -> None:
    if campaign is not None and not campaign_open_for_gifts(campaign):
        raise ValidationError({"campaign": _("This campaign is not collecting gifts.")})


def _check_receivable_org(organisation: Organisation) -> None:
    if not hasattr(organisation, "fundraising_profile"):
        raise ValidationError({"organisation": _("This organisation does not collect gifts.")})


def _lock(donation: Donation) -> Donation:
    return Donation.objects.select_for_update().get(pk=donation.pk)


def _require_change(by: Any, donation: Donation) -> None:
    """``by=None`` is the system (a webhook, a task); a person must be allowed."""
    if by is not None:
        require(by, Action.CHANGE, donation)


@transaction.atomic
def donation_pledge(
    *,
    donor: Donor | None,
    amount: Any,
    method: str,
    campaign: Campaign | None = None,
    organisation: Organisation | None = None,
    anonymous: bool = False,
    on_wall: bool = False,
    by: Any = None,
    note: str = "",
) -> Donation:
    """A promised gift (the online form): to an open campaign, or to an organisation
    that collects gifts. A bank transfer gets its causale; card and PayPal gifts are
    received when the provider confirms them (``donation_receive``)."""
    recipient = _recipient(campaign, organisation)
    value = clean_amount(amount)
    _check_method(method)
    _check_open(campaign)
    _check_receivable_org(recipient)
    donation = Donation.objects.create(
        organisation=recipient,
        campaign=campaign,
        donor=donor,
        amount=value,
        method=method,
        status=DonationStatus.PLEDGED,
        date=timezone.localdate(),
        anonymous=anonymous,
        on_wall=on_wall and not anonymous,
        causale=causale_new() if method == Method.BANK_TRANSFER else None,
        note=note,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_change(
        obj=donation,
        action="create",
        changes={"status": [None, donation.status], "amount": [None, str(value)]},
        actor=by,
    )
    return donation


@transaction.atomic
def donation_record(
    *,
    by: Any,
    donor: Donor | None,
    amount: Any,
    method: str,
    received_on: dt.date,
    campaign: Campaign | None = None,
    organisation: Organisation | None = None,
    anonymous: bool = False,
    on_wall: bool = False,
    note: str = "",
) -> Donation:
    """A gift a fundraiser has in hand (cash at a stand, a cheque, a transfer seen on
    the account): recorded as received. Also for a campaign already closed, if the gift
    came before it closed; never for a draft."""
    recipient = _recipient(campaign, organisation)
    require(by, Action.CREATE, Donation(organisation=recipient))
    value = clean_amount(amount)
    _check_method(method)
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("A gift cannot be received in the future.")})
    if campaign is not None:
        if campaign.status == CampaignStatus.DRAFT:
            raise ValidationError({"campaign": _("This campaign is not collecting gifts.")})
        if campaign.closed_at is not None and received_on > timezone.localdate(campaign.closed_at):
            raise ValidationError({"received_on": _("The campaign was closed before this date.")})
    donation = Donation.objects.create(
        organisation=recipient,
        campaign=campaign,
        donor=donor,
        amount=value,
        method=method,
        status=DonationStatus.RECEIVED,
        date=received_on,
        received_at=timezone.now(),
        anonymous=anonymous,
        on_wall=on_wall and not anonymous,
        note=note,
        created_by=by,
    )
    audit_change(
        obj=donation,
        action="create",
        changes={"status": [None, donation.status], "amount": [None, str(value)]},
        actor=by,
    )
    _receipt_after_commit(donation)
    return donation


def _receipt_after_commit(donation: Donation) -> None:
    """A gift received: its receipt is issued (and mailed) by a task once the change is
    committed (``receipts.receipt_issue_later``)."""
    from fundraising.services.receipts import receipt_issue_later

    receipt_issue_later(donation)


@transaction.atomic
def donation_receive(
    *,
    donation: Donation,
    by: Any,
    received_on: dt.date,
    provider_reference: str | None = None,
    note: str = "",
) -> Donation:
    """The promised money arrived: pledged → received (dated ``received_on``, the date
    of the gift for receipts and tax totals). Received already: returned as it is. A
    provider reference carried by another donation: that one is returned, nothing
    changes (a webhook delivered twice)."""
    _require_change(by, donation)
    reference = (provider_reference or "").strip() or None
    if reference is not None:
        seen = Donation.objects.filter(provider_reference=reference).exclude(pk=donation.pk).first()
        if seen is not None:
            return seen
    donation = _lock(donation)
    if donation.status == DonationStatus.RECEIVED:
        return donation
    if donation.status != DonationStatus.PLEDGED:
        raise ValidationError(
            {
                "status": _("A %(status)s donation cannot be received.")
                % {"status": donation.get_status_display()}
            }
        )
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("A gift cannot be received in the future.")})
    donation.status = DonationStatus.RECEIVED
    donation.date = received_on
    donation.received_at = timezone.now()
    if reference is not None:
        donation.provider_reference = reference
    try:
        with transaction.atomic():
            donation.save(update_fields=["status", "date", "received_at", "provider_reference"])
    except IntegrityError:  # the same reference stored meanwhile by another delivery
        seen = Donation.objects.filter(provider_reference=reference).first()
        if seen is None:
            raise
        return seen
    audit_change(
        obj=donation,
        action="update",
        changes={"status": [DonationStatus.PLEDGED, DonationStatus.RECEIVED]},
        note=note,
        actor=by,
    )
    _receipt_after_commit(donation)
    return donation


@transaction.atomic
def donation_refund(*, donation: Donation, by: Any, reason: str) -> Donation:
    """Give a received gift back: received → refunded; its receipt, if any, is
    cancelled (``receipts.donation_refund_cancels_receipt``)."""
    from fundraising.services.receipts import donation_refund_cancels_receipt

    _require_change(by, donation)  # by=None: the payment provider's refund (webhook)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the gift is refunded.")})
    donation = _lock(donation)
    if donation.status != DonationStatus.RECEIVED:
        raise ValidationError(
            {
                "status": _("Only a received gift can be refunded; this one is %(status)s.")
                % {"status": donation.get_status_display()}
            }
        )
    donation.status = DonationStatus.REFUNDED
    donation.refunded_at = timezone.now()
    donation.note = f"{donation.note}\n{reason}".strip()
    donation.save(update_fields=["status", "refunded_at", "note"])
    audit_change(
        obj=donation,
        action="update",
        changes={"status": [DonationStatus.RECEIVED, DonationStatus.REFUNDED]},
        note=reason,
        actor=by,
    )
    donation_refund_cancels_receipt(donation=donation, by=by, reason=reason)
    return donation


@transaction.atomic
def donation_cancel(*, donation: Donation, by: Any, reason: str = "") -> Donation:
    """A promise that will not be kept: pledged → cancelled (cancelled again: no change)."""
    _require_change(by, donation)
    donation = _lock(donation)
    if donation.status == DonationStatus.CANCELLED:
        return donation
    if donation.status != DonationStatus.PLEDGED:
        raise ValidationError(
            {
                "status": _("Only a pledged gift can be cancelled; this one is %(status)s.")
                % {"status": donation.get_status_display()}
            }
        )
    donation.status = DonationStatus.CANCELLED
    if reason:
        donation.note = f"{donation.note}\n{reason}".strip()
    donation.save(update_fields=["status", "note"])
    audit_change(
        obj=donation,
        action="update",
        changes={"status": [DonationStatus.PLEDGED, DonationStatus.CANCELLED]},
        note=reason,
        actor=by,
    )
    return donation


# --- Monthly gifts ------------------------------------------------------------------------


@transaction.atomic
def recurring_start(
    *,
    donor: Donor,
    amount: Any,
    method: str,
    campaign: Campaign | None = None,
    organisation: Organisation | None = None,
    day_of_month: int = 1,
    started_on: dt.date | None = None,
    provider_reference: str = "",
    by: Any = None,
) -> RecurringGift:
    """A monthly gift (from the online form, ``by=None``, or entered by a fundraiser).
    By bank transfer it gets its own causale, which the donor's standing order repeats
    every month. Its first month's donation is made at once when it starts today or
    earlier (then every month by ``recurring_generate``)."""
    recipient = _recipient(campaign, organisation)
    value = clean_amount(amount)
    _check_method(method)
    _check_open(campaign)
    _check_receivable_org(recipient)
    if not 1 <= day_of_month <= 28:
        raise ValidationError({"day_of_month": _("Choose a day between 1 and 28.")})
    gift = RecurringGift.objects.create(
        donor=donor,
        campaign=campaign,
        organisation=recipient,
        amount=value,
        method=method,
        day_of_month=day_of_month,
        started_on=started_on or timezone.localdate(),
        provider_reference=provider_reference,
        causale=causale_new() if method == Method.BANK_TRANSFER else None,
    )
    audit_change(obj=gift, action="create", changes={"amount": [None, str(value)]}, actor=by)
    today = timezone.localdate()
    if gift.started_on <= today:
        _month_donation(gift, today)
    return gift


@transaction.atomic
def recurring_stop(
    *, gift: RecurringGift, by: Any = None, on: dt.date | None = None
) -> RecurringGift:
    """Stop a monthly gift (the donor, ``by=None``, or a fundraiser of the organisation).
    Stopped already: no change."""
    if by is not None:
        require_fundraiser_of(by, gift.organisation_id)
    gift = RecurringGift.objects.select_for_update().get(pk=gift.pk)
    if gift.status == RecurringStatus.STOPPED:
        return gift
    gift.status = RecurringStatus.STOPPED
    gift.stopped_on = on or timezone.localdate()
    gift.save(update_fields=["status", "stopped_on"])
    audit_change(
        obj=gift,
        action="update",
        changes={"status": [RecurringStatus.ACTIVE, RecurringStatus.STOPPED]},
        actor=by,
    )
    return gift


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _gifts_due(today: dt.date, period: str) -> QuerySet[RecurringGift]:
    """Active monthly gifts started by ``today`` without their donation of ``period``."""
    return (
        RecurringGift.objects.filter(status=RecurringStatus.ACTIVE, started_on__lte=today)
        .exclude(donations__period=period)
        .select_related("campaign")
        .order_by("pk")
    )


def recurring_generate(*, today: dt.date) -> list[Donation]:
    """This month's pledged donation of every active monthly gift that started by
    ``today``, once per gift and month (the unique (recurring, period) decides: running
    it twice, or twice at once, makes nothing the second time). Returns the donations
    made now."""
    period = period_of(today)
    made: list[Donation] = []
    for gift in _gifts_due(today, period):
        donation = _month_donation(gift, today)
        if donation is not None:
            made.append(donation)
    return made


def _month_donation(gift: RecurringGift, today: dt.date) -> Donation | None:
    """The pledged donation of ``gift`` for the month of ``today``, or None when another
    run made it meanwhile. A gift whose campaign no longer collects goes to the
    organisation, without the campaign. A standing transfer's donations carry no causale
    of their own: the gift's causale finds them (reconciliation)."""
    period = period_of(today)
    last_day = calendar.monthrange(today.year, today.month)[1]
    campaign = gift.campaign
    if campaign is not None and not campaign_open_for_gifts(campaign, today):
        campaign = None
    try:
        with transaction.atomic():
            donation = Donation.objects.create(
                organisation_id=gift.organisation_id,
                campaign=campaign,
                donor_id=gift.donor_id,
                amount=gift.amount,
                method=gift.method,
                status=DonationStatus.PLEDGED,
                date=today.replace(day=min(gift.day_of_month, last_day)),
                causale=(
                    causale_new()
                    if gift.method == Method.BANK_TRANSFER and not gift.causale
                    else None
                ),
                recurring=gift,
                period=period,
            )
            audit_change(
                obj=donation,
                action="create",
                changes={"recurring": [None, gift.pk], "period": [None, period]},
            )
    except IntegrityError:  # made meanwhile by another run
        return None
    return donation


# --- Soft credits -------------------------------------------------------------------------


@transaction.atomic
def soft_credit_add(
    *,
    donation: Donation,
    by: Any,
    kind: str,
    donor: Donor | None = None,
    name: str = "",
) -> SoftCredit:
    """Credit ``donation`` also to ``donor`` or ``name`` (an employer, a person
    remembered, a group)."""
    require(by, Action.CHANGE, donation)
    if kind not in SoftCreditKind.values:
        raise ValidationError({"kind": _("Choose the kind of credit.")})
    name = (name or "").strip()
    if donor is None and not name:
        raise ValidationError({"name": _("Give the name or choose a donor.")})
    credit = SoftCredit.objects.create(donation=donation, kind=kind, donor=donor, name=name)
    audit_change(
        obj=donation,
        action="update",
        changes={"soft_credit": [None, f"{kind}:{donor.pk if donor else name}"]},
        actor=by,
    )
    return credit


def may_record(user: Any, organisation: Organisation) -> bool:
    """Whether ``user`` may enter received gifts for ``organisation`` (the pages ask)."""
    return is_fundraiser_of(user, organisation)
