"""Receipts: numbered per issuing organisation and year with no gaps and no duplicates
(``ReceiptCounter``, read and advanced under a row lock), a PDF kept in the private
storage, sent by e-mail, re-printable, and cancelled (never deleted, never renumbered)
when the gift is refunded."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundraising.models.donation import Donation
from partners.models import Organisation


def receipt_storage() -> Any:
    from django.core.files.storage import storages

    return storages["private"]


class ReceiptCounter(models.Model):
    """The last number given by an organisation in a year."""

    organisation = models.ForeignKey(Organisation, related_name="+", on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "year"], name="fundraising_one_counter_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.year}: {self.last_number}"


class ReceiptStatus(models.TextChoices):
    ISSUED = "issued", _("issued")
    CANCELLED = "cancelled", _("cancelled")


class Receipt(models.Model):
    """The receipt of one received gift."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("issuer"), related_name="receipts", on_delete=models.PROTECT
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    donation = models.OneToOneField(
        Donation, verbose_name=_("donation"), related_name="receipt", on_delete=models.PROTECT
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    # Whether the statement on the tax benefits (art. 83 D.Lgs. 117/2017) is printed:
    # the issuer is a third-sector body and the gift is traceable (not cash).
    tax_benefit = models.BooleanField(_("tax benefits stated"))
    pdf = models.FileField(upload_to="receipts/%Y/", storage=receipt_storage, blank=True)
    # The words printed when it was issued (issuer, donor, gift, statements): a reprint
    # says the same even after the issuer's or the donor's details change.
    snapshot = models.JSONField(default=dict, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ReceiptStatus.choices, default=ReceiptStatus.ISSUED
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=250, blank=True, default="")
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True
    )
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering: ClassVar = ["organisation", "year", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "year", "number"], name="fundraising_receipt_number"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="fundraising_cancelled_receipt_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}/{self.year}"
