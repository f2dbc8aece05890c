"""The needs board of a lab and the interventions designed in response."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from labs.models.lab import Lab
from legami.models import Comune
from partners.models import Organisation


class NeedStatus(models.TextChoices):
    NEW = "new", _("new")
    DISCUSSED = "discussed", _("discussed")
    TAKEN_UP = "taken_up", _("taken up")
    ADDRESSED = "addressed", _("addressed")
    MERGED = "merged", _("merged into another")


class NeedCategory(models.TextChoices):
    LONELINESS = "loneliness", _("loneliness and isolation")
    CARE = "care", _("care of a family member")
    HOUSING = "housing", _("housing")
    WORK = "work", _("work and income")
    MOBILITY = "mobility", _("transport and mobility")
    YOUTH = "youth", _("children and young people")
    PUBLIC_SPACE = "public_space", _("public spaces")
    OTHER = "other", _("other")


class Need(models.Model):
    """A need or problem (bisogno) posted on a lab's board."""

    lab = models.ForeignKey(
        Lab, verbose_name=_("lab"), related_name="needs", on_delete=models.CASCADE
    )
    title = models.CharField(_("need"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=NeedCategory.choices)
    place = models.CharField(_("place"), max_length=200, blank=True)
    comune = models.ForeignKey(
        Comune,
        verbose_name=_("comune"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.NEW
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        related_name="merged",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("posted"), default=timezone.now)
    votes_count = models.PositiveIntegerField(_("supporters"), default=0, editable=False)
    # A need that tells of a person in difficulty can be passed, with that person's
    # consent, to a social service of the network: its coordinators take it in as an
    # intake through the lab channel (counted as intercepted by the community).
    referred_to = models.ForeignKey(
        Organisation,
        verbose_name=_("passed to the social service"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    referral_consent_on = models.DateField(
        _("consent of the person given on"), null=True, blank=True
    )
    referred_at = models.DateTimeField(_("passed on"), null=True, blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    referral_taken_at = models.DateTimeField(_("taken in by the service"), null=True, blank=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering: ClassVar = ["-votes_count", "-created_at", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="labs_need_merged_iff_target",
            ),
            models.CheckConstraint(
                condition=Q(referred_to__isnull=True)
                | (Q(referral_consent_on__isnull=False) & Q(referred_at__isnull=False)),
                name="labs_need_referral_with_consent",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NeedVote(models.Model):
    """Support for a need: one per person and need."""

    need = models.ForeignKey(Need, related_name="votes", on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["need", "user"], name="labs_one_vote_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.need_id}:{self.user_id}"


class InterventionStatus(models.TextChoices):
    DESIGNED = "designed", _("designed")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    DROPPED = "dropped", _("dropped")


class Intervention(models.Model):
    """What the lab designs in response to needs: an owner organisation, a plan, dates."""

    lab = models.ForeignKey(
        Lab, verbose_name=_("lab"), related_name="interventions", on_delete=models.CASCADE
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        Organisation,
        verbose_name=_("owner organisation"),
        related_name="+",
        on_delete=models.PROTECT,
    )
    plan = models.TextField(_("plan"))
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InterventionStatus.choices,
        default=InterventionStatus.DESIGNED,
    )
    needs = models.ManyToManyField(
        Need, verbose_name=_("needs answered"), related_name="interventions", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="labs_intervention_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.title
