"""Matching runs and the group agreements they propose."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic_center.models.catalogue import ServiceCategory
from civic_center.models.demand import Demand
from civic_center.models.offer import Offer
from legami.models import Ambito


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class MatchingRun(models.Model):
    """One run of the matching over the open demand and the published offers of an
    ambito (and optionally one service), started by a coordinator and carried out by a
    Celery task that reports its progress here."""

    ambito = models.ForeignKey(
        Ambito, verbose_name=_("ambito"), related_name="civic_runs", on_delete=models.PROTECT
    )
    category = models.ForeignKey(
        ServiceCategory,
        verbose_name=_("service"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("stage"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    demands_considered = models.PositiveIntegerField(_("demands considered"), default=0)
    offers_considered = models.PositiveIntegerField(_("offers considered"), default=0)
    families_matched = models.PositiveIntegerField(_("families matched"), default=0)
    groups_proposed = models.PositiveIntegerField(_("groups proposed"), default=0)
    weekly_cost = models.DecimalField(
        _("weekly cost to families (€)"), max_digits=12, decimal_places=2, default=0
    )
    proven_optimal = models.BooleanField(_("proven optimal"), default=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            # One run at a time per ambito: two coordinators pressing the button at once
            # get one run.
            models.UniqueConstraint(
                fields=["ambito"],
                condition=Q(status__in=["queued", "running"]),
                name="civic_one_active_run_per_ambito",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="civic_run_progress"),
        ]

    def __str__(self) -> str:
        return f"{self.ambito} {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("civic_center:run_detail", args=[self.pk])


class AgreementStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed: waiting for families and provider")
    CONFIRMED = "confirmed", _("confirmed")
    CANCELLED = "cancelled", _("cancelled")


class Agreement(models.Model):
    """A matched pool that becomes a group agreement: the families accept, the provider
    confirms, and the schedule and unit price are then fixed. A solo agreement has one
    family at the single-family price.

    ``unit_price`` and ``group_size`` follow the families who are still in (re-priced on
    every acceptance, refusal and withdrawal); ``explanation`` keeps why the matching
    made it (pool, tier, price)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    run = models.ForeignKey(
        MatchingRun,
        verbose_name=_("matching run"),
        related_name="agreements",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), related_name="agreements", on_delete=models.PROTECT
    )
    solo = models.BooleanField(_("single family"), default=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AgreementStatus.choices,
        default=AgreementStatus.PROPOSED,
    )
    group_size = models.PositiveSmallIntegerField(_("families"))
    tier_min_families = models.PositiveSmallIntegerField(_("tier (from families)"))
    unit_price = models.DecimalField(_("unit price (€)"), max_digits=8, decimal_places=2)
    single_family_price = models.DecimalField(
        _("single-family price (€)"), max_digits=8, decimal_places=2
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    explanation = models.JSONField(_("why"), default=dict, blank=True)
    # The offer's terms when the group was proposed: the group is priced from these, so
    # a later change of the offer does not re-price it.
    pricing_mode = models.CharField(_("price tiers"), max_length=10, default="volume")
    tiers = models.JSONField(_("price tiers"), default=list)
    min_group_size = models.PositiveSmallIntegerField(_("smallest group"), default=1)
    # Families who have not answered by then drop out (a beat job); moved on whenever
    # the price rises and the families are asked again.
    answer_by = models.DateTimeField(_("answer by"), null=True, blank=True)
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # Bumped at every re-pricing: price-change mails are sent once per version.
    price_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("group agreement")
        verbose_name_plural = _("group agreements")
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="civic_agreement_period"
            ),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="civic_agreement_price"),
        ]

    def __str__(self) -> str:
        return f"{self.offer.title} ×{self.group_size}"

    def get_absolute_url(self) -> str:
        return reverse("civic_center:agreement_detail", args=[self.public_id])


class MemberStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    WITHDRAWN = "withdrawn", _("withdrawn")
    LAPSED = "lapsed", _("did not answer in time")
    CANCELLED = "cancelled", _("group cancelled")


ACTIVE_MEMBER = (MemberStatus.PROPOSED, MemberStatus.ACCEPTED)


class AgreementMember(models.Model):
    """A family's place in a group agreement, with its weekly quantity split over the
    windows the matching chose."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), related_name="members", on_delete=models.CASCADE
    )
    demand = models.ForeignKey(
        Demand, verbose_name=_("demand"), related_name="memberships", on_delete=models.CASCADE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MemberStatus.choices, default=MemberStatus.PROPOSED
    )
    units_per_week = models.DecimalField(_("units per week"), max_digits=6, decimal_places=2)
    split = models.JSONField(_("windows"), default=dict)
    is_new_family = models.BooleanField(_("new family reached"), default=False)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement member")
        verbose_name_plural = _("agreement members")
        constraints: ClassVar = [
            # A demand is in one live agreement at a time.
            models.UniqueConstraint(
                fields=["demand"],
                condition=Q(status__in=["proposed", "accepted"]),
                name="civic_one_live_membership",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.demand.pseudonym}"


class AgreementEvent(models.Model):
    """The history of an agreement, written by the services (append-only)."""

    class Kind(models.TextChoices):
        PROPOSED = "proposed", _("proposed by the matching")
        ACCEPTED = "accepted", _("a family accepted")
        DECLINED = "declined", _("a family declined")
        WITHDRAWN = "withdrawn", _("a family withdrew")
        REPRICED = "repriced", _("new group price")
        CONFIRMED = "confirmed", _("confirmed by the provider")
        CANCELLED = "cancelled", _("cancelled")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), related_name="events", on_delete=models.CASCADE
    )
    kind = models.CharField(_("event"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("agreement event")
        verbose_name_plural = _("agreement events")
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


class AgreementMail(models.Model):
    """A mail about an agreement, recorded by its key before it is sent: a task
    delivered twice finds the key and sends nothing."""

    key = models.CharField(max_length=120, unique=True)
    member = models.ForeignKey(
        AgreementMember, related_name="mails", on_delete=models.CASCADE, null=True, blank=True
    )
    agreement = models.ForeignKey(Agreement, related_name="mails", on_delete=models.CASCADE)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agreement mail")
        verbose_name_plural = _("agreement mails")

    def __str__(self) -> str:
        return self.key
