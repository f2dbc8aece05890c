"""Taking charge: intake, the case, who is assigned, the diary and referrals."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beneficiaries.models.person import Person
from legami.models import Ambito
from partners.models import Organisation


class IntakeChannel(models.TextChoices):
    SELF = "self", _("the person themselves")
    FAMILY = "family", _("family")
    COMMUNITY_LAB = "community_lab", _("community lab")
    PARTNER = "partner", _("partner organisation")
    SCHOOL = "school", _("school")
    HEALTH = "health", _("health services")
    OTHER = "other", _("other")


# Intakes through these channels count as "intercepted by the community" in reports.
COMMUNITY_CHANNELS = frozenset({IntakeChannel.COMMUNITY_LAB, IntakeChannel.PARTNER})


class Intake(models.Model):
    """An access or report (accesso / segnalazione) that may lead to taking charge."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), related_name="intakes", on_delete=models.PROTECT
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("service"), related_name="+", on_delete=models.PROTECT
    )
    ambito = models.ForeignKey(
        Ambito, verbose_name=_("ambito"), related_name="+", on_delete=models.PROTECT
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    channel = models.CharField(_("channel"), max_length=20, choices=IntakeChannel.choices)
    reported_by = models.CharField(_("reported by"), max_length=200, blank=True)
    reporting_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("reporting organisation"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    first_needs = models.TextField(_("first needs"), blank=True)
    triaged_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("triaged to (coordinator)"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True
    )

    class Meta:
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        ordering: ClassVar = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} · {self.get_channel_display()}"

    @property
    def intercepted_by_community(self) -> bool:
        return self.channel in COMMUNITY_CHANNELS


class CaseStage(models.TextChoices):
    INTAKE = "intake", _("intake")
    ASSESSMENT = "assessment", _("assessment")
    PACT = "pact", _("pact")
    MONITORING = "monitoring", _("monitoring")
    CLOSED = "closed", _("closed")


class ClosureReason(models.TextChoices):
    GOALS_REACHED = "goals_reached", _("goals reached")
    REFERRED = "referred", _("taken over by another service")
    MOVED = "moved", _("moved away")
    WITHDREW = "withdrew", _("the person withdrew")
    DECEASED = "deceased", _("deceased")
    OTHER = "other", _("other")


class Case(models.Model):
    """Taking charge of a person (presa in carico) by a service of the network."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), related_name="cases", on_delete=models.PROTECT
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("service"), related_name="+", on_delete=models.PROTECT
    )
    ambito = models.ForeignKey(
        Ambito, verbose_name=_("ambito"), related_name="+", on_delete=models.PROTECT
    )
    intake = models.ForeignKey(
        Intake,
        verbose_name=_("intake"),
        related_name="cases",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    stage = models.CharField(
        _("stage"), max_length=20, choices=CaseStage.choices, default=CaseStage.INTAKE
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering: ClassVar = ["-opened_on", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["ambito", "stage"]),
            # "Does this person have a case of the ambito open on a day?" (the reports'
            # people in charge, new and continuing): answered from the index alone.
            models.Index(
                fields=["person", "ambito", "opened_on", "closed_on"],
                name="beneficiaries_case_open_idx",
            ),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["person", "organisation"],
                condition=~Q(stage="closed"),
                name="beneficiaries_one_open_case_per_service",
            ),
            models.CheckConstraint(
                condition=(Q(stage="closed") & Q(closed_on__isnull=False) & ~Q(closure_reason=""))
                | (~Q(stage="closed") & Q(closed_on__isnull=True)),
                name="beneficiaries_case_closed_consistent",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="beneficiaries_case_closed_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.organisation} · {self.get_stage_display()}"


class CaseAssignment(models.Model):
    """A worker assigned to a case for a period: the history of who followed it."""

    class Kind(models.TextChoices):
        LEAD = "lead", _("case manager")
        SUPPORT = "support", _("support")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), related_name="assignments", on_delete=models.CASCADE
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("worker"),
        related_name="case_assignments",
        on_delete=models.PROTECT,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.LEAD)
    start = models.DateField(_("from"), default=timezone.localdate)
    end = models.DateField(_("until"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering: ClassVar = ["-start", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["case", "worker"],
                condition=Q(end__isnull=True),
                name="beneficiaries_one_current_assignment_per_worker",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="beneficiaries_assignment_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} → {self.case_id}"


class DiaryCategory(models.TextChoices):
    INTERVIEW = "interview", _("interview")
    HOME_VISIT = "home_visit", _("home visit")
    PHONE = "phone", _("phone call")
    MEETING = "meeting", _("network meeting")
    NOTE = "note", _("note")


class DiaryNote(models.Model):
    """A dated entry of the case diary; a confidential one is read only by the workers
    assigned to the case and the coordinator."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), related_name="notes", on_delete=models.CASCADE
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    category = models.CharField(_("category"), max_length=20, choices=DiaryCategory.choices)
    text = models.TextField(_("text"))
    confidential = models.BooleanField(_("confidential"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        related_name="+",
        on_delete=models.PROTECT,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("diary note")
        verbose_name_plural = _("diary")
        ordering: ClassVar = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} · {self.get_category_display()}"


class ReferralStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    CLOSED = "closed", _("closed")


OPEN_REFERRAL_STATUSES = frozenset({ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED})


class Referral(models.Model):
    """A referral (invio) of a case to another organisation, with the person's consent.
    While it is accepted and open, the receiving organisation's assigned worker can see
    the file."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), related_name="referrals", on_delete=models.CASCADE
    )
    to_organisation = models.ForeignKey(
        Organisation, verbose_name=_("to"), related_name="+", on_delete=models.PROTECT
    )
    reason = models.TextField(_("reason"))
    consent_given_on = models.DateField(
        _("consent of the person given on"),
        help_text=_("A referral needs the person's consent to share their file."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("why declined"), blank=True)
    receiving_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned worker at the receiving organisation"),
        related_name="received_referrals",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering: ClassVar = ["-requested_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["case", "to_organisation"],
                condition=Q(status__in=["requested", "accepted"]),
                name="beneficiaries_one_open_referral_per_organisation",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(receiving_worker__isnull=False),
                name="beneficiaries_accepted_referral_has_worker",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.to_organisation} ({self.get_status_display()})"
