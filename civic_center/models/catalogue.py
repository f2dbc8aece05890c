"""The catalogue of care services that families buy and providers offer."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    HOUR = "hour", _("hour")
    SESSION = "session", _("session")
    WEEK = "week", _("week")
    MONTH = "month", _("month")


class ServiceCategory(models.Model):
    """A kind of service (doposcuola, badante condivisa…) and the unit it is sold in.
    Network administrators edit the catalogue; a category in use is retired (not
    active), never deleted."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Italian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering: ClassVar = ["position", "name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the language being spoken (Italian when no English name)."""
        if (get_language() or "it").startswith("en") and self.name_en:
            return self.name_en
        return self.name
