"""Ties and isolation, the heart of the programme: the ecomap and the assessments."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beneficiaries.models.person import Person
from partners.models import Organisation


class TieKind(models.TextChoices):
    FAMILY = "family", _("family")
    FRIEND = "friend", _("friend")
    NEIGHBOUR = "neighbour", _("neighbour")
    COLLEAGUE = "colleague", _("colleague")
    VOLUNTEER = "volunteer", _("volunteer")
    SERVICE = "service", _("service")
    COMMUNITY_GROUP = "community_group", _("community group")
    ORGANISATION = "organisation", _("organisation")


class TieStrength(models.TextChoices):
    WEAK = "weak", _("weak")
    ORDINARY = "ordinary", _("ordinary")
    STRONG = "strong", _("strong")


class TieQuality(models.TextChoices):
    SUPPORTIVE = "supportive", _("supportive")
    STRESSFUL = "stressful", _("stressful")
    AMBIVALENT = "ambivalent", _("ambivalent")


class TieDirection(models.TextChoices):
    TO_PERSON = "to_person", _("gives support to the person")
    FROM_PERSON = "from_person", _("receives support from the person")
    MUTUAL = "mutual", _("support both ways")
    NONE = "none", _("no support")


class TieFrequency(models.TextChoices):
    DAILY = "daily", _("every day")
    WEEKLY = "weekly", _("every week")
    MONTHLY = "monthly", _("every month")
    RARELY = "rarely", _("a few times a year")
    NEVER = "never", _("no longer")


class Tie(models.Model):
    """One tie of the person's ecomap."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), related_name="ties", on_delete=models.CASCADE
    )
    label = models.CharField(
        _("who"), max_length=120, help_text=_('A name or a description, e.g. "Anna, sister".')
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TieKind.choices)
    strength = models.CharField(
        _("strength"), max_length=10, choices=TieStrength.choices, default=TieStrength.ORDINARY
    )
    quality = models.CharField(
        _("quality"), max_length=12, choices=TieQuality.choices, default=TieQuality.SUPPORTIVE
    )
    direction = models.CharField(
        _("support"), max_length=12, choices=TieDirection.choices, default=TieDirection.MUTUAL
    )
    frequency = models.CharField(
        _("how often they meet"),
        max_length=10,
        choices=TieFrequency.choices,
        default=TieFrequency.WEEKLY,
    )
    linked_person = models.ForeignKey(
        Person,
        verbose_name=_("person on file"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    linked_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation of the network"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # Where the worker placed the tie on the drawing (angle in degrees, 0 = right, and
    # distance from the centre 0..1); empty: placed automatically.
    angle = models.FloatField(null=True, blank=True)
    distance = models.FloatField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tie")
        verbose_name_plural = _("ties")
        ordering: ClassVar = ["kind", "label", "id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(distance__isnull=True) | (Q(distance__gte=0) & Q(distance__lte=1)),
                name="beneficiaries_tie_distance_range",
            ),
            models.CheckConstraint(
                condition=Q(linked_person__isnull=True) | ~Q(linked_person=models.F("person")),
                name="beneficiaries_tie_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_kind_display()})"


class EcomapSnapshot(models.Model):
    """The ecomap as it was on a day, frozen, to compare over time."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), related_name="ecomap_snapshots", on_delete=models.CASCADE
    )
    taken_on = models.DateField(_("date"), default=timezone.localdate)
    ties = models.JSONField(_("ties"), default=list)
    note = models.CharField(_("note"), max_length=300, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True
    )

    class Meta:
        verbose_name = _("ecomap snapshot")
        verbose_name_plural = _("ecomap snapshots")
        ordering: ClassVar = ["-taken_on", "-id"]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.taken_on:%Y-%m-%d}"


class AssessmentKind(models.TextChoices):
    LSNS6 = "lsns6", _("Lubben Social Network Scale (LSNS-6)")
    UCLA3 = "ucla3", _("UCLA loneliness scale, 3 items")


class Assessment(models.Model):
    """An isolation assessment: the answers, and the scores computed from them by the
    service (``beneficiaries.scoring``)."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), related_name="assessments", on_delete=models.CASCADE
    )
    kind = models.CharField(_("scale"), max_length=10, choices=AssessmentKind.choices)
    date = models.DateField(_("date"), default=timezone.localdate)
    answers = models.JSONField(_("answers"))
    total = models.PositiveSmallIntegerField(_("total"))
    family_score = models.PositiveSmallIntegerField(_("family subscale"), null=True, blank=True)
    friends_score = models.PositiveSmallIntegerField(_("friends subscale"), null=True, blank=True)
    at_risk = models.BooleanField(_("at risk"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering: ClassVar = ["-date", "-id"]
        indexes: ClassVar = [models.Index(fields=["person", "kind", "date"])]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    Q(kind="lsns6")
                    & Q(total__lte=30)
                    & Q(family_score__lte=15)
                    & Q(friends_score__lte=15)
                )
                | (Q(kind="ucla3") & Q(total__gte=3) & Q(total__lte=9)),
                name="beneficiaries_assessment_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%Y-%m-%d}: {self.total}"
