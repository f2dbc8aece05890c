"""A provider's offer: what it sells, where, when, at which prices by group size."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic_center import windows
from civic_center.models.catalogue import ServiceCategory
from legami.models import Comune
from partners.models import Organisation


class PricingMode(models.TextChoices):
    VOLUME = "volume", _("volume: the tier reached sets the price for everyone")
    GRADUATED = "graduated", _("graduated: each place priced at its tier, everyone pays the mean")


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Offer(models.Model):
    """A partner organisation's (or several organisations') offer for one service: the
    comuni it serves, its capacity per weekly window, its price tiers by group size,
    the smallest group it runs and its validity. Only its own staff (and the joint
    partners') read its prices; competitors see that it covers a comune, not at what
    price."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        related_name="civic_offers",
        on_delete=models.PROTECT,
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("service"), related_name="offers", on_delete=models.PROTECT
    )
    comuni = models.ManyToManyField(
        Comune, verbose_name=_("comuni served"), related_name="civic_offers"
    )
    pricing_mode = models.CharField(
        _("price tiers"), max_length=10, choices=PricingMode.choices, default=PricingMode.VOLUME
    )
    min_group_size = models.PositiveSmallIntegerField(
        _("smallest group"), default=1, validators=[MinValueValidator(1)]
    )
    max_group_size = models.PositiveSmallIntegerField(
        _("largest group"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("service offer")
        verbose_name_plural = _("service offers")
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="civic_offer_validity"
            ),
            models.CheckConstraint(
                condition=Q(min_group_size__gte=1), name="civic_offer_min_group_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_group_size__isnull=True)
                | Q(max_group_size__gte=F("min_group_size")),
                name="civic_offer_group_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.organisation})"

    def get_absolute_url(self) -> str:
        return reverse("civic_center:offer_detail", args=[self.public_id])


class OfferPartner(models.Model):
    """Another organisation in a joint offer, with its agreed share of the work and the
    revenue (the lead organisation keeps the rest)."""

    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), related_name="partners", on_delete=models.CASCADE
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        related_name="joint_civic_offers",
        on_delete=models.PROTECT,
    )
    share_percent = models.DecimalField(
        _("share (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("99.99"))],
    )

    class Meta:
        verbose_name = _("joint-offer partner")
        verbose_name_plural = _("joint-offer partners")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["offer", "organisation"], name="civic_partner_once"),
            models.CheckConstraint(
                condition=Q(share_percent__gt=0) & Q(share_percent__lt=100),
                name="civic_partner_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.share_percent}%)"


class OfferWindow(models.Model):
    """Capacity of an offer in one weekly window, in the category's unit per week."""

    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), related_name="capacity", on_delete=models.CASCADE
    )
    window = models.PositiveSmallIntegerField(_("window"), choices=windows.choices)
    units = models.DecimalField(_("capacity per week"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("capacity window")
        verbose_name_plural = _("capacity windows")
        ordering: ClassVar = ["window"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["offer", "window"], name="civic_window_once"),
            models.CheckConstraint(
                condition=Q(window__lt=windows.COUNT), name="civic_window_in_grid"
            ),
            models.CheckConstraint(condition=Q(units__gt=0), name="civic_window_units_positive"),
        ]

    def __str__(self) -> str:
        return f"{windows.label(self.window)}: {self.units}"


class PriceTier(models.Model):
    """From ``min_families`` families in the group, this unit price (see
    ``civic_center.pricing`` for volume and graduated tiers)."""

    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), related_name="tiers", on_delete=models.CASCADE
    )
    min_families = models.PositiveSmallIntegerField(
        _("from families"), validators=[MinValueValidator(1)]
    )
    unit_price = models.DecimalField(_("unit price (€)"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("price tier")
        verbose_name_plural = _("price tiers")
        ordering: ClassVar = ["min_families"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["offer", "min_families"], name="civic_tier_once"),
            models.CheckConstraint(condition=Q(min_families__gte=1), name="civic_tier_min_pos"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="civic_tier_price_pos"),
        ]

    def __str__(self) -> str:
        return f"≥{self.min_families}: {self.unit_price} €"
