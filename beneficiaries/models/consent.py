"""Privacy notice and consents, with their withdrawal."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beneficiaries.models.person import Person


class ConsentKind(models.TextChoices):
    PRIVACY_NOTICE = "privacy_notice", _("privacy notice given")
    SHARE_WITH_PARTNERS = "share_partners", _("share the file with partner organisations")
    VOLUNTEER_CONTACT = "volunteer_contact", _("be contacted by volunteers")


class Consent(models.Model):
    """A consent given (or a notice handed over) on a date, until withdrawn."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), related_name="consents", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ConsentKind.choices)
    given_on = models.DateField(_("given on"), default=timezone.localdate)
    notice_version = models.CharField(_("version of the notice"), max_length=40, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering: ClassVar = ["-given_on", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["person", "kind"],
                condition=Q(withdrawn_on__isnull=True),
                name="beneficiaries_one_current_consent_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("given_on")),
                name="beneficiaries_consent_withdrawn_after_given",
            ),
            models.CheckConstraint(
                condition=~Q(kind="privacy_notice") | ~Q(notice_version=""),
                name="beneficiaries_notice_has_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.given_on:%Y-%m-%d}"
