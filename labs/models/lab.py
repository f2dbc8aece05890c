"""A community lab (laboratorio di comunità) and its meetings."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legami.models import Ambito, Comune
from partners.models import Organisation


class LabContext(models.TextChoices):
    NEIGHBOURHOOD = "neighbourhood", _("neighbourhood")
    TOWN = "town", _("town")
    WORKPLACE = "workplace", _("workplace")
    SCHOOL = "school", _("school")
    # The workshops of a Wel(l)fare LAB research pathway (research.Pathway.lab).
    PRACTITIONERS = "practitioners", _("practitioners (Wel(l)fare LAB)")


class LabStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    ACTIVE = "active", _("active")
    CLOSED = "closed", _("closed")


class Lab(models.Model):
    """People and organisations of a context who meet to read problems together,
    listen to needs and design interventions."""

    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    context = models.CharField(_("context"), max_length=20, choices=LabContext.choices)
    ambito = models.ForeignKey(
        Ambito, verbose_name=_("ambito"), related_name="labs", on_delete=models.PROTECT
    )
    comuni = models.ManyToManyField(Comune, verbose_name=_("comuni"), related_name="labs")
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("facilitators"), related_name="facilitated_labs"
    )
    organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("partner organisations"),
        related_name="labs",
        blank=True,
    )
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=LabStatus.choices, default=LabStatus.PLANNED
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("community lab")
        verbose_name_plural = _("community labs")
        ordering: ClassVar = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("labs:lab_detail", args=[self.slug])


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    CANCELLED = "cancelled", _("cancelled")
    CLOSED = "closed", _("closed (minutes written)")


class Meeting(models.Model):
    """A meeting of a lab: in a place, online, or both; with a capacity (0 = no limit),
    seats held back by the facilitators and a registration window.

    ``seats_taken`` counts the confirmed registrations; the sign-up service changes it
    in the same transaction as the registration, under the meeting's row lock, and the
    database refuses a count beyond the seats on offer — overbooking cannot be stored
    even by a bug."""

    lab = models.ForeignKey(
        Lab, verbose_name=_("lab"), related_name="meetings", on_delete=models.CASCADE
    )
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    comune = models.ForeignKey(
        Comune,
        verbose_name=_("comune"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    accessibility = models.TextField(
        _("accessibility"),
        blank=True,
        help_text=_("Step-free access, hearing loop, toilets, parking, how to get there…"),
    )
    online_url = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), default=0, help_text=_("0 means no limit.")
    )
    reserved_seats = models.PositiveIntegerField(_("seats reserved by the facilitators"), default=0)
    seats_taken = models.PositiveIntegerField(_("seats taken"), default=0, editable=False)
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(_("registration closes"), null=True, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    # Minutes (verbale), written when the meeting is closed.
    summary = models.TextField(_("summary"), blank=True)
    organisations_present = models.ManyToManyField(
        Organisation, verbose_name=_("organisations present"), related_name="+", blank=True
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # When the facilitators were reminded to write the minutes (once per meeting).
    close_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering: ClassVar = ["starts_at", "id"]
        indexes: ClassVar = [models.Index(fields=["status", "starts_at"])]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="labs_meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(place="", online_url=""), name="labs_meeting_has_place_or_link"
            ),
            models.CheckConstraint(
                condition=Q(capacity=0) | Q(reserved_seats__lte=F("capacity")),
                name="labs_meeting_reserved_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(capacity=0) | Q(seats_taken__lte=F("capacity") - F("reserved_seats")),
                name="labs_meeting_no_overbooking",
            ),
            models.CheckConstraint(
                condition=Q(registration_opens_at__isnull=True)
                | Q(registration_closes_at__isnull=True)
                | Q(registration_closes_at__gt=F("registration_opens_at")),
                name="labs_meeting_registration_window",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="labs_meeting_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} · {timezone.localtime(self.starts_at):%d/%m/%Y %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("labs:meeting_detail", args=[self.lab.slug, self.pk])

    @property
    def seats_on_offer(self) -> int | None:
        """Seats open to sign-up (None: no limit)."""
        return None if self.capacity == 0 else self.capacity - self.reserved_seats

    @property
    def seats_left(self) -> int | None:
        offer = self.seats_on_offer
        return None if offer is None else max(offer - self.seats_taken, 0)
