"""Donors: persons and companies, with their fiscal codes validated, and their consent to
be contacted, recorded with its date and withdrawable (GDPR)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DonorKind(models.TextChoices):
    PERSON = "person", _("person")
    COMPANY = "company", _("company or body")


class Donor(models.Model):
    """Somebody who gives. A person has a codice fiscale (checked with
    python-codicefiscale); a company a partita IVA (checked by its check digit) and,
    often, a fiscal code. Both are optional (a gift of cash at a stand), but never
    invalid; one donor per code."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=DonorKind.choices)
    first_name = models.CharField(_("first name"), max_length=100, blank=True, default="")
    last_name = models.CharField(_("last name"), max_length=100, blank=True, default="")
    company_name = models.CharField(_("company name"), max_length=200, blank=True, default="")
    codice_fiscale = models.CharField(_("codice fiscale"), max_length=16, blank=True, default="")
    partita_iva = models.CharField(_("partita IVA"), max_length=11, blank=True, default="")
    email = models.EmailField(_("e-mail"), blank=True, default="")
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    address = models.CharField(_("address"), max_length=250, blank=True, default="")
    postcode = models.CharField(_("postcode"), max_length=10, blank=True, default="")
    city = models.CharField(_("city"), max_length=100, blank=True, default="")
    # The account of a citizen who gives online, when they have one.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="donor_records",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # The name shown on the donor wall, for gifts whose donor agreed to it.
    wall_name = models.CharField(_("name on the donor wall"), max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        ordering: ClassVar = ["last_name", "first_name", "company_name", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["codice_fiscale"],
                condition=~Q(codice_fiscale=""),
                name="fundraising_one_donor_per_codice_fiscale",
            ),
            models.UniqueConstraint(
                fields=["partita_iva"],
                condition=~Q(partita_iva=""),
                name="fundraising_one_donor_per_partita_iva",
            ),
            models.CheckConstraint(
                condition=Q(kind="person") | ~Q(company_name=""),
                name="fundraising_company_has_name",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == DonorKind.COMPANY:
            return self.company_name
        return f"{self.first_name} {self.last_name}".strip() or self.email


class ConsentChange(models.Model):
    """One change of a donor's consent to hear from an organisation (campaign news,
    appeals): given or withdrawn, when, how. The latest change is the consent in force;
    the history is never rewritten."""

    donor = models.ForeignKey(Donor, related_name="consent_changes", on_delete=models.CASCADE)
    organisation = models.ForeignKey(
        "partners.Organisation", related_name="+", on_delete=models.PROTECT
    )
    given = models.BooleanField(_("consent given"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    source = models.CharField(_("how"), max_length=40)  # donation form, unsubscribe link…
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True
    )

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        ordering: ClassVar = ["at", "pk"]
        indexes: ClassVar = [models.Index(fields=["donor", "organisation", "at"])]

    def __str__(self) -> str:
        return f"{self.donor} · {'+' if self.given else '-'} · {self.at:%Y-%m-%d}"
