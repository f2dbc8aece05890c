"""Following a pact: reviews with an outcome per goal, review reminders (sent once each)
and work-inclusion placements (tirocini)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beneficiaries.models import Assessment
from pacts.models.pact import Goal, Pact
from partners.models import Organisation


class Review(models.Model):
    """A review (verifica) of the pact with the person: an outcome per goal, notes, the
    date of the next review, and possibly an LSNS-6 assessment taken that day."""

    pact = models.ForeignKey(
        Pact, verbose_name=_("pact"), related_name="reviews", on_delete=models.CASCADE
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    notes = models.TextField(_("notes"), blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    final = models.BooleanField(
        _("final review"), default=False, help_text=_("Concludes the pact.")
    )
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("LSNS-6 assessment"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering: ClassVar = ["-date", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(final=True) | Q(next_review_on__isnull=False),
                name="pacts_review_next_date_unless_final",
            ),
            models.CheckConstraint(
                condition=Q(next_review_on__isnull=True) | Q(next_review_on__gt=models.F("date")),
                name="pacts_review_next_after_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pact} · {self.date:%Y-%m-%d}"


class GoalOutcome(models.TextChoices):
    ACHIEVED = "achieved", _("achieved")
    PARTLY = "partly", _("partly achieved")
    NOT_ACHIEVED = "not_achieved", _("not achieved")


class ReviewGoalOutcome(models.Model):
    review = models.ForeignKey(
        Review, verbose_name=_("review"), related_name="outcomes", on_delete=models.CASCADE
    )
    goal = models.ForeignKey(
        Goal, verbose_name=_("goal"), related_name="outcomes", on_delete=models.CASCADE
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=GoalOutcome.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("goal outcome")
        verbose_name_plural = _("goal outcomes")
        ordering: ClassVar = ["goal__position", "goal_id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["review", "goal"], name="pacts_one_outcome_per_goal_per_review"
            )
        ]

    def __str__(self) -> str:
        return f"{self.goal}: {self.get_outcome_display()}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("review due soon")
    OVERDUE = "overdue", _("review overdue")


class Reminder(models.Model):
    """A review reminder for one person about one review date. The key is unique: the
    beat job may run twice, a task may be delivered twice, a worker may die half-way —
    a reminder exists once, and its e-mail is sent once (``sent_at``)."""

    key = models.CharField(max_length=200, unique=True)
    pact = models.ForeignKey(Pact, related_name="reminders", on_delete=models.CASCADE)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="pact_reminders", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ReminderKind.choices)
    due_on = models.DateField(_("review due on"))
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    dismissed_at = models.DateTimeField(_("dismissed"), null=True, blank=True)

    class Meta:
        verbose_name = _("review reminder")
        verbose_name_plural = _("review reminders")
        ordering: ClassVar = ["due_on", "id"]
        indexes: ClassVar = [models.Index(fields=["recipient", "dismissed_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.due_on:%Y-%m-%d}"


class PlacementOutcome(models.TextChoices):
    ONGOING = "ongoing", _("ongoing")
    HIRED = "hired", _("hired")
    EXTENDED = "extended", _("extended")
    ENDED = "ended", _("ended")


class Placement(models.Model):
    """A work-inclusion placement (tirocinio) linked to the pact, often at a company
    outside the network: host, tutor, dates, hours and outcome."""

    pact = models.ForeignKey(
        Pact, verbose_name=_("pact"), related_name="placements", on_delete=models.CASCADE
    )
    host_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("host organisation of the network"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    host_name = models.CharField(
        _("host company"),
        max_length=200,
        blank=True,
        help_text=_("The company or body hosting the placement, when not in the network."),
    )
    tutor = models.CharField(_("tutor"), max_length=200)
    role = models.CharField(_("role or tasks"), max_length=200, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    hours_per_week = models.DecimalField(_("hours per week"), max_digits=5, decimal_places=2)
    outcome = models.CharField(
        _("outcome"),
        max_length=10,
        choices=PlacementOutcome.choices,
        default=PlacementOutcome.ONGOING,
    )
    outcome_date = models.DateField(_("outcome date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("work placement")
        verbose_name_plural = _("work placements")
        ordering: ClassVar = ["-start_date", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(host_organisation__isnull=False) | ~Q(host_name=""),
                name="pacts_placement_has_host",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="pacts_placement_dates"
            ),
            models.CheckConstraint(
                condition=Q(hours_per_week__gt=0) & Q(hours_per_week__lte=48),
                name="pacts_placement_hours",
            ),
            models.CheckConstraint(
                condition=Q(outcome="ongoing", outcome_date__isnull=True)
                | (~Q(outcome="ongoing") & Q(outcome_date__isnull=False)),
                name="pacts_placement_outcome_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.host_label} · {self.start_date:%Y-%m-%d}"

    @property
    def host_label(self) -> str:
        return self.host_organisation.name if self.host_organisation_id else self.host_name  # type: ignore[union-attr]
