"""The network: its organisations, the people who act for them, and the invitations
that bring new people in."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Lower, Upper
from django.db.models.lookups import In
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legami.models import Ambito
from legami.roles import Role
from partners.validators import validate_organisation_slug, validate_tax_code


class OrganisationKind(models.TextChoices):
    COMUNE = "comune", _("Municipality")
    AZIENDA_CONSORTILE = "azienda_consortile", _("Special consortium company")
    CONSORZIO = "consorzio", _("Consortium")
    COOPERATIVA_SOCIALE = "cooperativa_sociale", _("Social cooperative")
    ASSOCIAZIONE = "associazione", _("Association / ODV / APS")
    FONDAZIONE = "fondazione", _("Foundation")
    IMPRESA = "impresa", _("Company")
    ENTE_PUBBLICO = "ente_pubblico", _("Public body")
    SCUOLA = "scuola", _("School")
    SINDACATO = "sindacato", _("Trade union")
    CAMERA_COMMERCIO = "camera_commercio", _("Chamber of commerce")


class Organisation(models.Model):
    """A member of the network: a comune, a consortium, a cooperative, a foundation…"""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(
        _("short name"),
        max_length=80,
        unique=True,
        validators=[validate_organisation_slug],
        help_text=_("Used in the address of the organisation's page."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    tax_code = models.CharField(
        _("codice fiscale / partita IVA"),
        max_length=16,
        blank=True,
        default="",
        validators=[validate_tax_code],
        help_text=_(
            "The 11 digits of the partita IVA, or the 16 characters of the codice fiscale."
        ),
    )
    address = models.CharField(_("address"), max_length=250, blank=True, default="")
    email = models.EmailField(_("e-mail"), blank=True, default="")
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    website = models.URLField(_("website"), blank=True, default="")
    ambiti = models.ManyToManyField(
        Ambito, verbose_name=_("ambiti served"), related_name="organisations", blank=True
    )
    is_funder = models.BooleanField(
        _("funder"), default=False, help_text=_("Funds the programme without being a partner.")
    )
    member_since = models.DateField(_("member of the network since"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["tax_code"],
                condition=~Q(tax_code=""),
                name="partners_organisation_tax_code_unique",
                violation_error_message=_(
                    "Another organisation of the network has this codice fiscale / partita IVA."
                ),
            ),
            # Stored as the validator accepts it: empty, 11 or 16 characters, capitals.
            models.CheckConstraint(
                condition=Q(In(Length("tax_code"), [0, 11, 16])) & Q(tax_code=Upper("tax_code")),
                name="partners_organisation_tax_code_form",
                violation_error_message=_(
                    "The codice fiscale / partita IVA is stored with 11 or 16 characters, "
                    "in capitals."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("partners:organisation_detail", kwargs={"slug": self.slug})


class Membership(models.Model):
    """A user acting for an organisation in a role, for a period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="memberships",
        on_delete=models.CASCADE,
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        related_name="memberships",
        on_delete=models.PROTECT,
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    is_referent = models.BooleanField(
        _("referent of the organisation"),
        default=False,
        help_text=_("Invites people to the organisation and manages their memberships."),
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering: ClassVar = ["organisation__name", "role"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="partners_membership_end_after_start",
                violation_error_message=_("A membership cannot end before it starts."),
            ),
            models.UniqueConstraint(
                fields=["user", "organisation", "role", "start_date"],
                name="partners_membership_unique_start",
                violation_error_message=_(
                    "This person already has a membership in this role at this organisation "
                    "starting on the same day."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"

    def is_current(self, on: dt.date | None = None) -> bool:
        """Whether the membership holds on ``on`` (today by default)."""
        day = on or timezone.localdate()
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self) -> InvitationQuerySet:
        """Neither accepted nor revoked (whether expired or not)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)

    def pending(self, now: dt.datetime | None = None) -> InvitationQuerySet:
        """Open and not yet expired: the link still works."""
        return self.open().filter(expires_at__gt=now or timezone.now())


class Invitation(models.Model):
    """An invitation to act for an organisation in a role, sent to an e-mail address.

    Only the SHA-256 hash of the link's token is stored: the token itself is made when
    the mail is sent and exists only in that mail, so nobody who reads the database (or
    the task queue) can accept an invitation in the invitee's place.
    """

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        related_name="invitations",
        on_delete=models.PROTECT,
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    is_referent = models.BooleanField(_("referent of the organisation"), default=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    token_hash = models.CharField(
        _("token hash"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    sent_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "email", "role"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="partners_invitation_one_open",
                violation_error_message=_(
                    "This address already has a pending invitation in this role at this "
                    "organisation."
                ),
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="partners_invitation_accepted_or_revoked",
            ),
            models.CheckConstraint(
                condition=Q(accepted_by__isnull=True) | Q(accepted_at__isnull=False),
                name="partners_invitation_accepted_by_when_accepted",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="partners_invitation_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")),
                name="partners_invitation_email_lower_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} · {self.get_role_display()} · {self.organisation}"

    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    def get_status_display(self) -> str:
        return str(self.status.label)
