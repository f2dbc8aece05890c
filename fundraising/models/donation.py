"""Donations: amount in euro (Decimal), date, method, status, anonymity and the wall,
soft credits, recurring monthly gifts, and the unique causale of a bank transfer."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundraising.models.campaign import Campaign
from fundraising.models.donor import Donor
from partners.models import Organisation


class Method(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("bank transfer")
    CARD = "card", _("card")
    PAYPAL = "paypal", _("PayPal")
    CASH = "cash", _("cash")
    CHEQUE = "cheque", _("cheque")


class DonationStatus(models.TextChoices):
    PLEDGED = "pledged", _("pledged")
    RECEIVED = "received", _("received")
    REFUNDED = "refunded", _("refunded")
    CANCELLED = "cancelled", _("cancelled")


class RecurringStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    STOPPED = "stopped", _("stopped")


class RecurringGift(models.Model):
    """A monthly gift: each month a pledged donation is made (by a beat task, once per
    month: the donation's ``recurring`` and ``period`` are unique together)."""

    donor = models.ForeignKey(Donor, related_name="recurring_gifts", on_delete=models.PROTECT)
    campaign = models.ForeignKey(
        Campaign, related_name="recurring_gifts", on_delete=models.PROTECT, null=True, blank=True
    )
    organisation = models.ForeignKey(Organisation, related_name="+", on_delete=models.PROTECT)
    amount = models.DecimalField(_("monthly amount (€)"), max_digits=12, decimal_places=2)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), default=1)
    started_on = models.DateField(_("started on"))
    status = models.CharField(
        max_length=10, choices=RecurringStatus.choices, default=RecurringStatus.ACTIVE
    )
    stopped_on = models.DateField(_("stopped on"), null=True, blank=True)
    # The provider's subscription, for card gifts.
    provider_reference = models.CharField(max_length=120, blank=True, default="")
    # For a gift by standing bank transfer: the causale the donor's bank repeats every
    # month (a causale no donation has), which finds the month's pledged donation.
    causale = models.CharField(_("causale"), max_length=20, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("monthly gift")
        verbose_name_plural = _("monthly gifts")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="fundraising_recurring_positive"
            ),
            models.CheckConstraint(
                condition=Q(day_of_month__gte=1, day_of_month__lte=28),
                name="fundraising_recurring_day",
            ),
            models.UniqueConstraint(
                fields=["provider_reference"],
                condition=~Q(provider_reference=""),
                name="fundraising_one_subscription_per_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donor} · {self.amount} €/month"


class Donation(models.Model):
    """A gift to an organisation, for a campaign or not. ``causale`` is the unique text
    a donor writes on a bank transfer (the reconciliation matches it); the provider's
    reference identifies a card or PayPal payment (unique: a webhook delivered twice
    records one gift)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("recipient"),
        related_name="donations",
        on_delete=models.PROTECT,
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        related_name="donations",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    donor = models.ForeignKey(
        Donor,
        verbose_name=_("donor"),
        related_name="donations",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    amount = models.DecimalField(_("amount (€)"), max_digits=12, decimal_places=2)
    date = models.DateField(_("date"), default=timezone.localdate)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DonationStatus.choices, default=DonationStatus.PLEDGED
    )
    # Not named anywhere public (the wall shows "anonymous"); the organisation still
    # knows the donor for the receipt.
    anonymous = models.BooleanField(_("anonymous"), default=False)
    on_wall = models.BooleanField(_("the donor agreed to appear on the donor wall"), default=False)
    causale = models.CharField(_("causale"), max_length=40, unique=True, null=True, blank=True)
    provider = models.CharField(max_length=20, blank=True, default="")
    provider_reference = models.CharField(max_length=120, null=True, blank=True, unique=True)
    recurring = models.ForeignKey(
        RecurringGift, related_name="donations", on_delete=models.PROTECT, null=True, blank=True
    )
    period = models.CharField(max_length=7, blank=True, default="")  # "2026-11" for monthly gifts
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering: ClassVar = ["-date", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["organisation", "date"]),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fundraising_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="received") | Q(received_at__isnull=False),
                name="fundraising_received_has_date",
            ),
            # No causale is NULL, never "" (unique among the gifts that have one).
            models.CheckConstraint(condition=~Q(causale=""), name="fundraising_causale_not_blank"),
            # An anonymous gift is never on the donor wall.
            models.CheckConstraint(
                condition=~Q(anonymous=True, on_wall=True), name="fundraising_anonymous_off_wall"
            ),
            models.UniqueConstraint(
                fields=["recurring", "period"],
                condition=Q(recurring__isnull=False),
                name="fundraising_one_gift_per_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} € · {self.get_method_display()} · {self.date}"


class SoftCreditKind(models.TextChoices):
    EMPLOYER = "employer", _("through an employer (employees' giving)")
    IN_MEMORY = "in_memory", _("in memory of")
    ON_BEHALF = "on_behalf", _("on behalf of")


class SoftCredit(models.Model):
    """Credit for a gift to someone who did not pay it: a company whose employees gave,
    a person remembered, a group on whose behalf it was given."""

    donation = models.ForeignKey(Donation, related_name="soft_credits", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=12, choices=SoftCreditKind.choices)
    donor = models.ForeignKey(
        Donor, related_name="soft_credits", on_delete=models.PROTECT, null=True, blank=True
    )
    name = models.CharField(_("name"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("soft credit")
        verbose_name_plural = _("soft credits")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(donor__isnull=False) | ~Q(name=""), name="fundraising_soft_credit_who"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name or self.donor}"
