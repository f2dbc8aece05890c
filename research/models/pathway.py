"""An action-research pathway (percorso): the frame a survey can belong to. Minimal for
now: its phases, documents, workshops and outputs come with their own issue."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from partners.models import Organisation


class Pathway(models.Model):
    """A path of action research on a theme, led by a researcher, with the organisations
    taking part."""

    title = models.CharField(_("title"), max_length=200)
    theme = models.CharField(_("theme"), max_length=200, blank=True, default="")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        related_name="led_pathways",
        on_delete=models.PROTECT,
    )
    organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("participating organisations"),
        related_name="research_pathways",
        blank=True,
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("research pathway")
        verbose_name_plural = _("research pathways")
        ordering: ClassVar = ["title"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="research_pathway_ends_after_start",
                violation_error_message=_("A pathway cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.title
