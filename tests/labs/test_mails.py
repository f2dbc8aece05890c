"""Mails about registrations: each sent once per key, reminders only to confirmed
seats, the seat mail with the meeting as .ics, each in the language the person signed
up in; reminders due in their windows and sent once by the scan."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone, translation
from icalendar import Calendar

from labs import mails as lab_mails
from labs import tasks
from labs.models import RegistrationMail, RegistrationStatus
from labs.services import (
    registration_cancel,
    registration_create,
    registration_mail_send,
    registration_token,
    reminders_due,
)
from tests.labs.factories import MeetingFactory

pytestmark = pytest.mark.django_db

R = RegistrationStatus


def soon(**delta) -> dict:
    starts_at = timezone.now() + dt.timedelta(**delta)
    return {"starts_at": starts_at, "ends_at": starts_at + dt.timedelta(hours=2)}


def test_a_mail_is_sent_once_per_key(make_user):
    """The same mail asked twice (a re-delivered task) leaves once; another kind or
    another lead time is another mail."""
    registration = registration_create(meeting=MeetingFactory(), user=make_user())

    assert registration_mail_send(registration_id=registration.pk, kind="confirmed") is True
    assert registration_mail_send(registration_id=registration.pk, kind="confirmed") is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [registration.email]

    assert registration_mail_send(registration_id=registration.pk, kind="reminder", hours_before=48)
    assert not registration_mail_send(
        registration_id=registration.pk, kind="reminder", hours_before=48
    )
    assert registration_mail_send(registration_id=registration.pk, kind="reminder", hours_before=2)
    assert len(mail.outbox) == 3
    assert RegistrationMail.objects.filter(registration=registration).count() == 3


def test_a_registration_that_is_gone_sends_nothing():
    """A task for a deleted registration returns quietly."""
    assert registration_mail_send(registration_id=987654, kind="confirmed") is False
    assert mail.outbox == []


def test_reminders_go_only_to_confirmed_registrations(make_user):
    """Waiting, cancelled and unconfirmed registrations get no reminder (and nothing is
    recorded, so a later seat still gets one)."""
    meeting = MeetingFactory(capacity=1)
    seated = registration_create(meeting=meeting, user=make_user())
    waiting = registration_create(meeting=meeting, user=make_user())
    unconfirmed = registration_create(meeting=meeting, email="luca@example.org", name="Luca")
    assert waiting.status == R.WAITING

    for registration in (waiting, unconfirmed):
        assert not registration_mail_send(
            registration_id=registration.pk, kind="reminder", hours_before=48
        )
    assert mail.outbox == []

    registration_cancel(registration=seated)
    assert not registration_mail_send(registration_id=seated.pk, kind="reminder", hours_before=48)
    assert registration_mail_send(registration_id=waiting.pk, kind="reminder", hours_before=48)
    assert [message.to for message in mail.outbox] == [[waiting.email]]


def test_the_seat_mail_carries_the_meeting_as_ics_and_the_links(make_user):
    """The confirmed mail attaches an .ics of the meeting that calendars can read, and
    carries the cancellation link with the registration's token."""
    registration = registration_create(meeting=MeetingFactory(), user=make_user())

    registration_mail_send(registration_id=registration.pk, kind="confirmed")

    (message,) = mail.outbox
    ((filename, content, mimetype),) = message.attachments
    assert filename.endswith(".ics")
    assert mimetype.startswith("text/calendar")
    data = content.encode() if isinstance(content, str) else content
    (event,) = Calendar.from_ical(data).walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{registration.meeting_id}@legami"
    assert registration_token(registration) in message.body
    assert registration.code in message.body
    assert "/confirm/" not in message.body


def test_the_confirm_address_mail_carries_the_confirmation_link_and_no_ics():
    """A guest's first mail has the confirmation link, and no calendar yet."""
    registration = registration_create(meeting=MeetingFactory(), email="m@example.org", name="M")

    registration_mail_send(registration_id=registration.pk, kind="confirm_address")

    (message,) = mail.outbox
    assert message.attachments == []
    assert "/confirm/" in message.body
    assert registration_token(registration) in message.body


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_mail_is_written_in_the_language_of_the_registration(make_user, monkeypatch, language):
    """Subject and body are rendered with the person's language active, whatever the
    language of the process that sends them."""
    registration = registration_create(
        meeting=MeetingFactory(),
        user=make_user(language=language),
    )
    assert registration.language == language
    seen: list[str | None] = []
    render = lab_mails.render_to_string

    def spy(*args, **kwargs):
        seen.append(translation.get_language())
        return render(*args, **kwargs)

    monkeypatch.setattr(lab_mails, "render_to_string", spy)
    other = "it" if language == "en" else "en"

    with translation.override(other):
        registration_mail_send(registration_id=registration.pk, kind="confirmed")
        assert translation.get_language() == other

    assert seen == [language]
    (message,) = mail.outbox
    with translation.override(language):
        expected = translation.gettext("Your seat is confirmed: %(meeting)s") % {
            "meeting": f"{registration.meeting.lab.title} — {registration.meeting.title}"
        }
    assert message.subject == f"[Legami] {expected}"


def test_a_guest_mail_uses_the_language_given_at_sign_up(monkeypatch):
    """A guest has no account: the language given with the sign-up is the mail's."""
    registration = registration_create(
        meeting=MeetingFactory(), email="nina@example.org", name="Nina", language="en"
    )
    seen: list[str | None] = []
    render = lab_mails.render_to_string
    monkeypatch.setattr(
        lab_mails,
        "render_to_string",
        lambda *a, **k: seen.append(translation.get_language()) or render(*a, **k),
    )

    with translation.override("it"):
        registration_mail_send(registration_id=registration.pk, kind="confirm_address")

    assert seen == ["en"]


# --- Reminders ------------------------------------------------------------------------------


@pytest.fixture
def leads(settings):
    settings.LAB_REMINDER_HOURS = [2, 48]


def test_a_meeting_in_30_hours_is_due_its_48_hour_reminder(leads, make_user):
    """Within 48 hours but not within 2: the 48-hour reminder only."""
    registration = registration_create(meeting=MeetingFactory(**soon(hours=30)), user=make_user())

    assert reminders_due() == [(registration.pk, 48)]


def test_a_meeting_in_90_minutes_is_due_only_its_2_hour_reminder(leads, make_user):
    """Someone who signs up 90 minutes before gets the 2-hour reminder, not the 48-hour."""
    registration = registration_create(meeting=MeetingFactory(**soon(minutes=90)), user=make_user())

    assert reminders_due() == [(registration.pk, 2)]


def test_no_reminder_is_due_far_ahead_or_for_the_unconfirmed(leads, make_user):
    """A meeting in three days, waiting and unconfirmed registrations: nothing due."""
    registration_create(meeting=MeetingFactory(**soon(days=3)), user=make_user())
    close = MeetingFactory(capacity=1, **soon(hours=30))
    seated = registration_create(meeting=close, user=make_user())
    registration_create(meeting=close, user=make_user())  # waiting
    registration_create(meeting=close, email="o@example.org", name="O")  # unconfirmed

    assert reminders_due() == [(seated.pk, 48)]


def test_a_sent_reminder_is_no_longer_due(leads, make_user):
    """Once the 48-hour reminder has left, the scan no longer lists it; the 2-hour one
    comes due later."""
    meeting = MeetingFactory(**soon(hours=30))
    registration = registration_create(meeting=meeting, user=make_user())
    registration_mail_send(registration_id=registration.pk, kind="reminder", hours_before=48)

    assert reminders_due() == []
    later = meeting.starts_at - dt.timedelta(minutes=90)
    assert reminders_due(now=later) == [(registration.pk, 2)]


def test_the_reminder_scan_run_twice_sends_each_reminder_once(leads, make_user, eager_tasks):
    """The beat task, run twice, mails each due reminder once."""
    tomorrow = MeetingFactory(**soon(hours=30))
    today = MeetingFactory(**soon(minutes=90))
    a = registration_create(meeting=tomorrow, user=make_user())
    b = registration_create(meeting=today, user=make_user())

    assert tasks.send_meeting_reminders.delay().get() == 2
    assert tasks.send_meeting_reminders.delay().get() == 0

    assert sorted(message.to[0] for message in mail.outbox) == sorted([a.email, b.email])
    assert sorted(
        RegistrationMail.objects.filter(kind="reminder").values_list("registration", "hours_before")
    ) == sorted([(a.pk, 48), (b.pk, 2)])
