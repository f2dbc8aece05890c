"""The pact (Patto gener-attivo): its goals, the two-way commitments and who signs it."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beneficiaries.models import Case, Person
from partners.models import Organisation


class PactStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PROPOSED = "proposed", _("proposed")
    SIGNED = "signed", _("signed")
    ACTIVE = "active", _("active")
    IN_REVIEW = "in_review", _("in review")
    COMPLETED = "completed", _("completed")
    INTERRUPTED = "interrupted", _("interrupted")


# Statuses in which nothing moves any more.
FINAL_STATUSES = frozenset({PactStatus.COMPLETED, PactStatus.INTERRUPTED})


def scan_storage() -> Any:
    """Scans of signed pacts live in the private storage, never under MEDIA_URL."""
    from django.core.files.storage import storages

    return storages["private"]


class Pact(models.Model):
    """An alliance between a person on file and social actors, for one of the person's
    cases: goals, what each side commits to, and who signs it."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        Case, verbose_name=_("case"), related_name="pacts", on_delete=models.PROTECT
    )
    # The case's person, kept here so that lists and the ledger need no join through the case.
    person = models.ForeignKey(
        Person, verbose_name=_("person"), related_name="pacts", on_delete=models.PROTECT
    )
    covers_household = models.BooleanField(
        _("pact with the household"),
        default=False,
        help_text=_("The pact is made with the whole household, not only with the person."),
    )
    title = models.CharField(_("title"), max_length=200)
    context = models.TextField(_("context"), blank=True)
    strengths = models.TextField(_("strengths and resources of the person"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PactStatus.choices, default=PactStatus.DRAFT
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("planned end date"), null=True, blank=True)
    review_every_weeks = models.PositiveSmallIntegerField(
        _("review every (weeks)"),
        default=8,
        help_text=_("How often the pact is reviewed with the person."),
    )
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    interruption_reason = models.TextField(_("reason for interruption"), blank=True)
    renewal_of = models.OneToOneField(
        "self",
        verbose_name=_("renews"),
        related_name="renewal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    scan = models.FileField(
        _("scan of the signed copy"),
        upload_to="pacts/scans/%Y/%m/",
        storage=scan_storage,
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("pact")
        verbose_name_plural = _("pacts")
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["status", "next_review_on"]),
            models.Index(fields=["person", "status"]),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(review_every_weeks__gte=1) & Q(review_every_weeks__lte=52),
                name="pacts_review_every_1_52_weeks",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="pacts_end_after_start",
            ),
            models.CheckConstraint(
                condition=(Q(status__in=sorted(FINAL_STATUSES)) & Q(ended_on__isnull=False))
                | (~Q(status__in=sorted(FINAL_STATUSES)) & Q(ended_on__isnull=True)),
                name="pacts_ended_iff_final",
            ),
            models.CheckConstraint(
                condition=~Q(status="interrupted") | ~Q(interruption_reason=""),
                name="pacts_interruption_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["active", "in_review"]) | Q(start_date__isnull=False),
                name="pacts_running_has_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pacts:pact_detail", args=[self.public_id])

    @property
    def editable(self) -> bool:
        """Goals, commitments and signatories change only while the pact is a draft."""
        return self.status == PactStatus.DRAFT

    @property
    def running(self) -> bool:
        return self.status in (PactStatus.ACTIVE, PactStatus.IN_REVIEW)


class Goal(models.Model):
    """A goal of the pact with a measurable indicator and a target date. A goal may
    concern one partner organisation: that organisation's staff see it."""

    pact = models.ForeignKey(
        Pact, verbose_name=_("pact"), related_name="goals", on_delete=models.CASCADE
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    description = models.CharField(_("goal"), max_length=300)
    indicator = models.CharField(
        _("indicator"),
        max_length=300,
        help_text=_("How you will know it is reached, e.g. 'attends the lab twice a month'."),
    )
    target = models.CharField(_("target value"), max_length=100, blank=True)
    target_date = models.DateField(_("target date"))
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("concerns the organisation"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering: ClassVar = ["position", "id"]

    def __str__(self) -> str:
        return self.description


class CommitmentDirection(models.TextChoices):
    PROVIDES = "provides", _("support to the person")
    GIVES_BACK = "gives_back", _("given back by the person")


class CommitmentKind(models.TextChoices):
    SERVICE = "service", _("service")
    ECONOMIC = "economic", _("economic support")
    MENTORING = "mentoring", _("mentoring")
    HOURS = "hours", _("hours of support")
    PLACE = "place", _("a place")
    VOLUNTEERING = "volunteering", _("volunteering hours")
    LAB = "lab", _("taking part in a community lab")
    PEER_SUPPORT = "peer_support", _("peer support")
    OTHER = "other", _("other")


GIVE_BACK_KINDS = frozenset(
    {
        CommitmentKind.VOLUNTEERING,
        CommitmentKind.LAB,
        CommitmentKind.PEER_SUPPORT,
        CommitmentKind.OTHER,
    }
)
PROVIDE_KINDS = frozenset(
    {
        CommitmentKind.SERVICE,
        CommitmentKind.ECONOMIC,
        CommitmentKind.MENTORING,
        CommitmentKind.HOURS,
        CommitmentKind.PLACE,
        CommitmentKind.OTHER,
    }
)


class CommitmentUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    EUROS = "euros", _("euros")
    MEETINGS = "meetings", _("meetings")
    DAYS = "days", _("days")
    TIMES = "times", _("times")


class CommitmentPeriod(models.TextChoices):
    WEEK = "week", _("per week")
    MONTH = "month", _("per month")
    PACT = "pact", _("for the whole pact")
    ONCE = "once", _("once")


class Commitment(models.Model):
    """What one actor commits to: support to the person, or what the person gives back
    to the community (restituzione), with an owner, quantity, unit and period."""

    pact = models.ForeignKey(
        Pact, verbose_name=_("pact"), related_name="commitments", on_delete=models.CASCADE
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    direction = models.CharField(_("direction"), max_length=12, choices=CommitmentDirection.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=CommitmentKind.choices)
    description = models.CharField(_("description"), max_length=300)
    # Who provides it (support) or where the person gives back (restitution).
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    owner = models.CharField(
        _("owner"),
        max_length=200,
        blank=True,
        help_text=_("Who is responsible, when not an organisation of the network."),
    )
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=10, choices=CommitmentUnit.choices)
    period = models.CharField(_("period"), max_length=10, choices=CommitmentPeriod.choices)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering: ClassVar = ["direction", "position", "id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="pacts_commitment_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | ~Q(owner=""),
                name="pacts_commitment_has_owner",
            ),
            models.CheckConstraint(
                condition=Q(direction="provides", kind__in=sorted(str(k) for k in PROVIDE_KINDS))
                | Q(direction="gives_back", kind__in=sorted(str(k) for k in GIVE_BACK_KINDS)),
                name="pacts_commitment_kind_fits_direction",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def owner_label(self) -> str:
        return self.organisation.name if self.organisation_id else self.owner  # type: ignore[union-attr]


class SignatoryKind(models.TextChoices):
    BENEFICIARY = "beneficiary", _("the person")
    CASE_WORKER = "case_worker", _("case worker")
    ORGANISATION = "organisation", _("partner organisation")
    COMMUNITY = "community", _("community actor")


class Signatory(models.Model):
    """Who signs the pact. Partner organisations sign in Legami through their staff; the
    person and community actors sign the paper copy, and the case worker records it."""

    pact = models.ForeignKey(
        Pact, verbose_name=_("pact"), related_name="signatories", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SignatoryKind.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        related_name="signed_pacts",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    on_paper = models.BooleanField(_("signed on paper"), default=False)

    class Meta:
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")
        ordering: ClassVar = ["pact", "kind", "id"]
        # A pact's last signature and whether one is missing (the reports' pacts signed).
        indexes: ClassVar = [
            models.Index(fields=["pact", "signed_at"], name="pacts_signatory_signed_idx")
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["pact", "organisation"],
                condition=Q(organisation__isnull=False),
                name="pacts_one_signature_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["pact", "kind"],
                condition=Q(kind__in=["beneficiary", "case_worker"]),
                name="pacts_one_beneficiary_and_worker_signatory",
            ),
            models.CheckConstraint(
                condition=~Q(kind="organisation") | Q(organisation__isnull=False),
                name="pacts_organisation_signatory_names_it",
            ),
            models.CheckConstraint(
                condition=~Q(kind="case_worker") | Q(user__isnull=False),
                name="pacts_case_worker_signatory_is_a_user",
            ),
            models.CheckConstraint(
                condition=~Q(kind="community") | ~Q(name=""),
                name="pacts_community_signatory_has_name",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.kind == SignatoryKind.ORGANISATION and self.organisation_id:
            return self.organisation.name  # type: ignore[union-attr]
        if self.kind == SignatoryKind.CASE_WORKER and self.user_id:
            return self.user.get_full_name() or self.user.email  # type: ignore[union-attr]
        if self.kind == SignatoryKind.BENEFICIARY:
            return self.name or str(self.pact.person)
        return self.name

    @property
    def signed(self) -> bool:
        return self.signed_at is not None
