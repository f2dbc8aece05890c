"""The mails about a registration, in the language the person signed up in: confirm your
address, seat confirmed (with the meeting as .ics), on the waiting list, seat freed up
(with .ics), reminder. Each carries the cancellation link; the confirmation mail the
confirmation link."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from labs.ical import meeting_ics
from labs.models import Registration


def registration_message(
    registration: Registration, kind: str, *, hours_before: int | None = None
) -> EmailMessage:
    from labs.services import confirmation_deadline, registration_token

    meeting = registration.meeting
    token = registration_token(registration)
    with translation.override(registration.language or "it"):
        subjects = {
            "confirm_address": _("Confirm your sign-up: %(meeting)s"),
            "confirmed": _("Your seat is confirmed: %(meeting)s"),
            "waiting": _("You are on the waiting list: %(meeting)s"),
            "promoted": _("A seat has freed up for you: %(meeting)s"),
            "reminder": _("Reminder: %(meeting)s"),
            "meeting_cancelled": _("Meeting cancelled: %(meeting)s"),
        }
        context = {
            "registration": registration,
            "meeting": meeting,
            "lab": meeting.lab,
            "kind": kind,
            "hours_before": hours_before,
            "deadline": confirmation_deadline(registration),
            "confirm_link": settings.SITE_URL + reverse("labs:registration_confirm", args=[token]),
            "cancel_link": settings.SITE_URL + reverse("labs:registration_cancel", args=[token]),
        }
        subject = subjects[kind] % {"meeting": f"{meeting.lab.title} — {meeting.title}"}
        body = render_to_string("labs/email/registration.txt", context)
    message = EmailMessage(subject=f"[Legami] {subject}", body=body, to=[registration.email])
    if kind in ("confirmed", "promoted", "reminder"):
        message.attach("incontro.ics", meeting_ics(meeting), "text/calendar; method=PUBLISH")
    return message
