"""The network: its organisations and the people who act for them."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from legami.models import Ambito
from legami.roles import Role


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
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    tax_code = models.CharField(
        _("codice fiscale / partita IVA"), max_length=16, blank=True, default=""
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

    def __str__(self) -> str:
        return self.name


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
            ),
            models.UniqueConstraint(
                fields=["user", "organisation", "role", "start_date"],
                name="partners_membership_unique_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"
