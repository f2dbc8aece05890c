"""The person on file and their household."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legami.models import Comune


class Sex(models.TextChoices):
    FEMALE = "F", _("female")
    MALE = "M", _("male")


class NoCodiceFiscaleReason(models.TextChoices):
    NEWLY_ARRIVED = "newly_arrived", _("newly arrived, not yet assigned")
    NOT_KNOWN = "not_known", _("not known to the person")
    REFUSED = "refused", _("not given by the person")
    OTHER = "other", _("other reason")


class VulnerabilityArea(models.TextChoices):
    """The ISTAT areas of social spending (indagine sugli interventi e servizi sociali)."""

    FAMILY_MINORS = "famiglia_minori", _("families and minors")
    DISABILITY = "disabili", _("people with disabilities")
    ELDERLY = "anziani", _("older people")
    POVERTY = "poverta", _("poverty and adult hardship")
    IMMIGRANTS = "immigrati", _("immigrants")
    ADDICTION = "dipendenze", _("addictions")
    MULTI = "multiutenza", _("multi-user services")


class HouseholdRelation(models.TextChoices):
    SPOUSE = "spouse", _("spouse or partner")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")
    SIBLING = "sibling", _("brother or sister")
    GRANDPARENT = "grandparent", _("grandparent")
    GRANDCHILD = "grandchild", _("grandchild")
    OTHER_RELATIVE = "relative", _("other relative")
    COHABITANT = "cohabitant", _("cohabitant, not related")
    CARER = "carer", _("live-in carer")


class NeedTag(models.Model):
    """A need that workers tag files with (e.g. "casa", "lavoro", "solitudine")."""

    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("need tag")
        verbose_name_plural = _("need tags")
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A person with a social case file.

    Addressed in URLs and the API only by ``public_id`` (never by name or codice fiscale).
    """

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    codice_fiscale = models.CharField(_("codice fiscale"), max_length=16, blank=True)
    no_codice_fiscale_reason = models.CharField(
        _("why there is no codice fiscale"),
        max_length=20,
        choices=NoCodiceFiscaleReason.choices,
        blank=True,
    )
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_comune = models.ForeignKey(
        Comune,
        verbose_name=_("comune of birth"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    birth_country = models.CharField(
        _("country of birth"), max_length=100, blank=True, help_text=_("When born abroad.")
    )
    citizenship = models.CharField(_("citizenship"), max_length=100, blank=True)
    languages = models.CharField(
        _("languages spoken"), max_length=200, blank=True, help_text=_("Comma-separated.")
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    residence_comune = models.ForeignKey(
        Comune,
        verbose_name=_("comune of residence"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    domicile_comune = models.ForeignKey(
        Comune,
        verbose_name=_("comune of domicile"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Where the person actually lives, if not the residence."),
    )
    need_tags = models.ManyToManyField(NeedTag, verbose_name=_("needs"), blank=True)
    restricted = models.BooleanField(
        _("processing restricted"),
        default=False,
        help_text=_("GDPR art. 18: the file is kept but not used while this is on."),
    )
    anonymised_at = models.DateTimeField(_("anonymised on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created on"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering: ClassVar = ["last_name", "first_name", "id"]
        indexes: ClassVar = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["birth_date"]),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["codice_fiscale"],
                condition=~Q(codice_fiscale=""),
                name="beneficiaries_person_cf_unique",
            ),
            models.CheckConstraint(
                condition=Q(codice_fiscale="") | Q(Exact(Length("codice_fiscale"), 16)),
                name="beneficiaries_person_cf_length",
            ),
            models.CheckConstraint(
                condition=~Q(codice_fiscale="")
                | ~Q(no_codice_fiscale_reason="")
                | Q(anonymised_at__isnull=False),
                name="beneficiaries_person_cf_or_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()


class PersonArea(models.Model):
    """One vulnerability area of a person (a person may have several)."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), related_name="areas", on_delete=models.CASCADE
    )
    area = models.CharField(_("area"), max_length=20, choices=VulnerabilityArea.choices)

    class Meta:
        verbose_name = _("vulnerability area")
        verbose_name_plural = _("vulnerability areas")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["person", "area"], name="beneficiaries_area_unique")
        ]

    def __str__(self) -> str:
        return self.get_area_display()


class HouseholdMember(models.Model):
    """A member of the person's household: another person on file, or just named."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), related_name="household", on_delete=models.CASCADE
    )
    relation = models.CharField(_("relation"), max_length=20, choices=HouseholdRelation.choices)
    member = models.ForeignKey(
        Person,
        verbose_name=_("person on file"),
        related_name="household_of",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    cohabiting = models.BooleanField(_("lives with the person"), default=True)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(member__isnull=False) | ~Q(first_name=""),
                name="beneficiaries_household_member_named",
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=True) | ~Q(member=models.F("person")),
                name="beneficiaries_household_not_self",
            ),
        ]

    def __str__(self) -> str:
        name = str(self.member) if self.member_id else f"{self.last_name} {self.first_name}"
        return f"{name.strip()} ({self.get_relation_display()})"
