"""Signing up for a meeting: registrations with the waiting list, guest confirmation,
attendance, and reminders sent once."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from labs.models.lab import Meeting


class RegistrationStatus(models.TextChoices):
    # A guest has signed up and not yet confirmed their address.
    UNCONFIRMED = "unconfirmed", _("waiting for e-mail confirmation")
    CONFIRMED = "confirmed", _("confirmed")
    WAITING = "waiting", _("on the waiting list")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("not confirmed in time")


# A person has at most one registration in these statuses per meeting.
ACTIVE_STATUSES = (
    RegistrationStatus.UNCONFIRMED,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITING,
)


class Registration(models.Model):
    """A person's place at a meeting (or in its waiting list). Citizens with an account
    sign up as themselves; guests give a name and an address they confirm (double
    opt-in). ``code`` is the short code shown at the door; the links in the mails carry
    a signed token (``labs.services.registration_token``), never stored."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), related_name="registrations", on_delete=models.CASCADE
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        related_name="lab_registrations",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    # Lower-cased: one active registration per address and meeting (accounts included).
    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=12, choices=RegistrationStatus.choices)
    code = models.CharField(_("code"), max_length=8)
    # With the id, signed into the links of the mails (confirm, cancel); a new nonce voids
    # every link sent before.
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    # Order of the waiting list: the moment the person joined it.
    waiting_since = models.DateTimeField(_("on the waiting list since"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    # Set by the service when a mail about this registration is due (sent by a task).
    promoted_at = models.DateTimeField(_("promoted from the waiting list"), null=True, blank=True)
    language = models.CharField(max_length=10, default="it")

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering: ClassVar = ["created_at", "id"]
        indexes: ClassVar = [models.Index(fields=["meeting", "status", "waiting_since"])]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["meeting", "email"],
                condition=Q(status__in=["unconfirmed", "confirmed", "waiting"]),
                name="labs_one_active_registration_per_person",
            ),
            models.UniqueConstraint(
                fields=["meeting", "code"], name="labs_registration_code_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status="waiting") | Q(waiting_since__isnull=False),
                name="labs_waiting_has_position",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.get_status_display()}"


class MailKind(models.TextChoices):
    CONFIRM_ADDRESS = "confirm_address", _("confirm your address")
    CONFIRMED = "confirmed", _("seat confirmed")
    WAITING = "waiting", _("on the waiting list")
    PROMOTED = "promoted", _("seat freed up")
    REMINDER = "reminder", _("meeting reminder")
    MEETING_CANCELLED = "meeting_cancelled", _("meeting cancelled")


class RegistrationMail(models.Model):
    """A mail about a registration, recorded before it leaves. The key is unique (the
    registration, the kind, and for reminders the hours before the meeting): a second
    scan, or a re-delivered task, finds it and sends nothing."""

    key = models.CharField(max_length=200, unique=True)
    registration = models.ForeignKey(Registration, related_name="mails", on_delete=models.CASCADE)
    kind = models.CharField(max_length=20, choices=MailKind.choices)
    hours_before = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registration mail")
        verbose_name_plural = _("registration mails")

    def __str__(self) -> str:
        return self.key
