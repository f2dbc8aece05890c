"""A family's paid demand for a service (domanda pagante)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic_center import windows
from civic_center.models.catalogue import ServiceCategory
from legami.models import Comune


def pseudonym_for(public_id: uuid.UUID) -> str:
    """``D-`` and 10 hex digits of a keyed hash of the demand's id."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:demand:{public_id}".encode())
    return "D-" + digest.hexdigest()[:10].upper()


def new_invitation_code() -> str:
    return secrets.token_urlsafe(16)


class DemandStatus(models.TextChoices):
    OPEN = "open", _("looking for a group")
    PROPOSED = "proposed", _("group proposed")
    AGREED = "agreed", _("in a group agreement")
    WITHDRAWN = "withdrawn", _("withdrawn")
    EXPIRED = "expired", _("expired")
    ENDED = "ended", _("service ended")


# Demands that matching may still place.
MATCHABLE = (DemandStatus.OPEN,)


class Demand(models.Model):
    """What a family needs and what it can pay: category, comune, weekly windows,
    period, quantity per week and the highest unit price. Stated by the family itself
    (``family`` is its account) or by an operator on its behalf (``created_by``).

    The identity and contact fields are never shown to a provider before the family has
    accepted a group and the provider confirmed it: providers read the pseudonymised
    keys of ``civic_center.selectors.PSEUDONYMISED_FIELDS``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # A stable reference that does not lead back to the family: what providers and the
    # coordinators' pages show instead of a name (``pseudonym_for``).
    pseudonym = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    family = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("family account"),
        related_name="civic_demands",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    contact_name = models.CharField(_("name"), max_length=200)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    contact_phone = models.CharField(_("telephone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    category = models.ForeignKey(
        ServiceCategory,
        verbose_name=_("service"),
        related_name="demands",
        on_delete=models.PROTECT,
    )
    comune = models.ForeignKey(
        Comune, verbose_name=_("comune"), related_name="civic_demands", on_delete=models.PROTECT
    )
    windows = models.PositiveIntegerField(_("weekly time windows"))
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    quantity_per_week = models.DecimalField(_("quantity per week"), max_digits=6, decimal_places=2)
    max_unit_price = models.DecimalField(
        _("highest unit price (€)"), max_digits=8, decimal_places=2
    )
    accepts_sharing = models.BooleanField(_("accepts sharing with other families"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DemandStatus.choices, default=DemandStatus.OPEN
    )
    # The code of the link the family shares with neighbours: random, so that the link
    # names neither the family nor the demand's own page.
    invitation_code = models.CharField(max_length=32, unique=True, default=new_invitation_code)
    invited_by = models.ForeignKey(
        "self",
        verbose_name=_("invited by"),
        related_name="invited",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # A need raised in a community lab that became this demand (labs' needs board).
    lab_need = models.ForeignKey(
        "labs.Need",
        verbose_name=_("from the lab need"),
        related_name="civic_demands",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("family demand")
        verbose_name_plural = _("family demands")
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["status", "category", "comune"], name="civic_demand_match_idx"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(windows__gt=0) & Q(windows__lte=windows.ALL),
                name="civic_demand_windows_valid",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="civic_demand_period_valid"
            ),
            models.CheckConstraint(
                condition=Q(quantity_per_week__gt=0), name="civic_demand_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_unit_price__gt=0), name="civic_demand_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(family__isnull=False) | Q(created_by__isnull=False),
                name="civic_demand_has_an_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} — {self.comune} ({self.pseudonym})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.pseudonym:
            self.pseudonym = pseudonym_for(self.public_id)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("civic_center:demand_detail", args=[self.public_id])

    @property
    def window_list(self) -> list[int]:
        return windows.indices_of(self.windows)
