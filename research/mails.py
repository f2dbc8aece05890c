"""The mails of a survey invitation: the invitation and its reminders, each with a link
of its own, in the language of the person invited (Italian if unknown)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from research.models import Invitation, InvitationMailKind


def answer_link(token: str) -> str:
    return settings.SITE_URL + reverse("research:answer", kwargs={"token": token})


def invitation_message(invitation: Invitation, kind: str, token: str) -> EmailMessage:
    survey = invitation.survey
    user = invitation.user
    language = (getattr(user, "language", "") if user is not None else "") or "it"
    with translation.override(language):
        subject = (
            _("Reminder: %(survey)s")
            if kind == InvitationMailKind.REMINDER
            else _("A survey for you: %(survey)s")
        ) % {"survey": survey.title}
        context = {
            "kind": kind,
            "survey": survey,
            "name": user.get_full_name() if user is not None else "",
            "link": answer_link(token),
        }
        body = render_to_string("research/email/invitation.txt", context)
    return EmailMessage(
        subject=f"[Legami · Wel(l)fare LAB] {subject}", body=body, to=[invitation.email]
    )
