"""What a security review found and is now shut: a guest form does not reveal who is
signed up; a typed guest address cannot block the account's owner; guest sign-ups are
rate-limited; a registration cannot be cancelled once the meeting has started."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from labs.models import Meeting, RegistrationStatus
from labs.services import registration_cancel, registration_create
from tests.labs.factories import MeetingFactory

R = RegistrationStatus
pytestmark = pytest.mark.django_db


def _guest(client, meeting, email, name="Ospite"):
    return client.post(meeting.get_absolute_url(), {"name": name, "email": email, "consent": "on"})


def test_the_guest_form_answers_the_same_for_an_address_already_signed_up(citizen):
    meeting = MeetingFactory(capacity=5, lab__status="active")
    registration_create(meeting=meeting, user=citizen)
    response = _guest(Client(), meeting, citizen.email.upper())
    assert response.status_code == 302
    assert meeting.registrations.count() == 1


def test_an_unconfirmed_guest_entry_does_not_block_the_accounts_owner(citizen, citizen_client):
    meeting = MeetingFactory(capacity=5, lab__status="active")
    assert _guest(Client(), meeting, citizen.email).status_code == 302
    assert citizen_client.post(meeting.get_absolute_url()).status_code == 302
    assert meeting.registrations.get(user=citizen).status == R.CONFIRMED
    assert meeting.registrations.get(user__isnull=True).status == R.EXPIRED


def test_guest_sign_ups_are_limited_per_mailbox():
    meeting = MeetingFactory(capacity=0, lab__status="active")
    client = Client()
    for n in range(5):
        _guest(client, meeting, f"victim+{n}@example.org")
    assert len([m for m in mail.outbox if "victim" in m.to[0]]) <= 3


def test_a_registration_cannot_be_cancelled_once_the_meeting_has_started(make_user):
    meeting = MeetingFactory(capacity=1, lab__status="active")
    seated = registration_create(meeting=meeting, user=make_user())
    waiting = registration_create(meeting=meeting, user=make_user())
    past = timezone.now() - dt.timedelta(hours=1)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=past, ends_at=past + dt.timedelta(hours=2)
    )
    with pytest.raises(ValidationError, match="already started"):
        registration_cancel(registration=seated)
    seated.refresh_from_db()
    waiting.refresh_from_db()
    assert (seated.status, waiting.status) == (R.CONFIRMED, R.WAITING)


def _guest_from(client, meeting, email, forwarded_for):
    return client.post(
        meeting.get_absolute_url(),
        {"name": "Ospite", "email": email, "consent": "on"},
        REMOTE_ADDR="10.0.0.1",  # the proxy
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_the_proxy_guest_sign_ups_are_limited_per_client_not_for_everyone(settings):
    """With TRUST_X_FORWARDED_FOR (the deployment behind its proxy) the limit of guest
    sign-ups an hour counts each client's address: six guests on six connections all get
    in, while a sixth sign-up from one address is refused and changes nothing."""
    settings.LEGAMI_TRUST_X_FORWARDED_FOR = True
    meeting = MeetingFactory(capacity=50, lab__status="active")
    client = Client()
    for n in range(6):
        response = _guest_from(client, meeting, f"ospite{n}@example.org", f"203.0.113.{n}")
        assert response.status_code == 302
    assert meeting.registrations.count() == 6

    for n in range(5):
        response = _guest_from(client, meeting, f"vicino{n}@example.org", "198.51.100.7")
        assert response.status_code == 302
    response = _guest_from(client, meeting, "vicino5@example.org", "198.51.100.7")
    assert response.status_code == 400
    assert "Too many sign-ups from here" in response.content.decode()
    assert meeting.registrations.count() == 11
