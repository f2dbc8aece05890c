"""Invitations of practitioners to answer a survey, and the mails that carry their
links.

A link's token is random; only its SHA-256 hash is stored, on the record of the mail
that carried it (``InvitationMail``): the invitation and each reminder carry a link of
their own, and every link of an invitation works until it is answered. The token is
made while the mail is sent and exists only in that mail (see
``research.services.invitations``)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legami.roles import Role
from partners.models import Organisation
from research.models.survey import Survey


class Invitation(models.Model):
    """One person asked to answer one survey. ``answered`` and the day (``answered_on``,
    never a time) are all it records of the answer: in an anonymous survey nothing leads
    from here to the response."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), related_name="invitations", on_delete=models.CASCADE
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        related_name="research_invitations",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    email = models.EmailField(_("e-mail address"))
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        related_name="research_invitations",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)
    answered = models.BooleanField(_("answered"), default=False)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering: ClassVar = ["survey", "email"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["survey", "user"],
                condition=Q(user__isnull=False),
                name="research_invitation_one_per_person",
                violation_error_message=_("This person is already invited to this survey."),
            ),
            models.UniqueConstraint(
                fields=["survey", "email"],
                name="research_invitation_one_per_address",
                violation_error_message=_("This address is already invited to this survey."),
            ),
            models.CheckConstraint(
                condition=Q(answered=False, answered_on__isnull=True)
                | Q(answered=True, answered_on__isnull=False),
                name="research_invitation_answered_has_day",
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="research_invitation_email_lower_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} · {self.survey}"


class InvitationMailKind(models.TextChoices):
    INVITATION = "invitation", _("invitation")
    REMINDER = "reminder", _("reminder")


class InvitationMail(models.Model):
    """A mail with a link to answer, recorded under a unique key in the transaction that
    sends it (``invitation:<id>``, ``reminder:<id>:<round>``): a re-delivered task finds
    the key and sends nothing; a failed sending records nothing."""

    key = models.CharField(max_length=80, unique=True)
    invitation = models.ForeignKey(Invitation, related_name="mails", on_delete=models.CASCADE)
    kind = models.CharField(max_length=12, choices=InvitationMailKind.choices)
    round = models.PositiveSmallIntegerField(default=0)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("survey invitation mail")
        verbose_name_plural = _("survey invitation mails")

    def __str__(self) -> str:
        return self.key
