"""An action-research pathway (percorso): its theme, lead, participating organisations
and practitioners, its phases with dates, and its workshops and training sessions.

Workshops are meetings of labs/ (one implementation of meetings, registrations, waiting
list, attendance, reminders and calendar files): a pathway owns a lab of context
"practitioners", created when its first workshop is planned, and each workshop is one of
that lab's meetings with what research adds (its kind). Documents, outputs and workshop
materials are items of the findings library (``research.models.finding``)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from labs.models import Lab, Meeting
from legami.models import Ambito
from partners.models import Organisation


class Pathway(models.Model):
    """A path of action research on a theme, led by a researcher, with the organisations
    and the practitioners taking part."""

    title = models.CharField(_("title"), max_length=200)
    theme = models.CharField(_("theme"), max_length=200, blank=True, default="")
    description = models.TextField(_("description"), blank=True, default="")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        related_name="led_pathways",
        on_delete=models.PROTECT,
    )
    # The ambito that hosts the pathway's workshops (their lab belongs to it).
    ambito = models.ForeignKey(
        Ambito,
        verbose_name=_("host ambito"),
        related_name="research_pathways",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("participating organisations"),
        related_name="research_pathways",
        blank=True,
    )
    practitioners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("participating practitioners"),
        related_name="research_pathways_joined",
        blank=True,
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    # The lab whose meetings are this pathway's workshops (made with the first one).
    lab = models.OneToOneField(
        Lab,
        verbose_name=_("workshop lab"),
        related_name="pathway",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

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

    def get_absolute_url(self) -> str:
        return reverse("research:pathway_detail", args=[self.pk])


class Phase(models.Model):
    """A stretch of a pathway with its dates: e.g. exploration, fieldwork, restitution."""

    pathway = models.ForeignKey(
        Pathway, verbose_name=_("pathway"), related_name="phases", on_delete=models.CASCADE
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering: ClassVar = ["starts_on", "ends_on", "id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="research_phase_ends_after_start",
                violation_error_message=_("A phase cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class WorkshopKind(models.TextChoices):
    WORKSHOP = "workshop", _("workshop")
    TRAINING = "training", _("training session")


class Workshop(models.Model):
    """What research adds to a lab meeting that is one of a pathway's workshops: its
    kind. Everything else (time, place, seats, registrations, attendance, reminders,
    minutes) is the meeting's, handled by labs."""

    meeting = models.OneToOneField(
        Meeting,
        verbose_name=_("meeting"),
        related_name="workshop",
        on_delete=models.CASCADE,
        primary_key=True,
    )
    pathway = models.ForeignKey(
        Pathway, verbose_name=_("pathway"), related_name="workshops", on_delete=models.CASCADE
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=WorkshopKind.choices, default=WorkshopKind.WORKSHOP
    )

    class Meta:
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        ordering: ClassVar = ["meeting__starts_at"]

    def __str__(self) -> str:
        return str(self.meeting)
