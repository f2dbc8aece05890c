"""Sign-ups racing each other on PostgreSQL: many people at once for few seats, the
same person clicking many times, cancellations crossing sign-ups. The meeting's row
lock decides: never more seats than on offer, the count always the confirmed
registrations, and every loser told why with a ValidationError. The mails that follow
each commit are sent in the same threads (tasks run eagerly)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from labs.models import Meeting, Registration, RegistrationStatus
from labs.services import registration_cancel, registration_create
from legami.models import User
from tests.concurrency import race
from tests.labs.factories import MeetingFactory

R = RegistrationStatus

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks"),
]


def users(n: int, prefix: str) -> list[User]:
    return [
        User.objects.create_user(email=f"{prefix}{i}@example.org", password=None, language="en")
        for i in range(n)
    ]


def assert_seats_match(meeting: Meeting) -> Meeting:
    meeting.refresh_from_db()
    assert meeting.seats_taken == meeting.registrations.filter(status=R.CONFIRMED).count()
    assert meeting.seats_on_offer is None or meeting.seats_taken <= meeting.seats_on_offer
    return meeting


@pytest.mark.parametrize("round_", range(5))
def test_fifty_people_at_once_for_ten_seats(round_):
    """50 sign-ups at the same instant for 10 seats: exactly 10 seats and 40 on the
    waiting list, no error, one mail each."""
    meeting = MeetingFactory(capacity=12, reserved_seats=2)
    people = users(50, f"r{round_}-")

    results = race(
        [lambda user=user: registration_create(meeting=meeting, user=user) for user in people]
    )

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert sorted(r.status for r in results).count(R.CONFIRMED) == 10
    assert meeting.registrations.filter(status=R.CONFIRMED).count() == 10
    assert meeting.registrations.filter(status=R.WAITING).count() == 40
    assert assert_seats_match(meeting).seats_taken == 10
    # Each registration got its mail (seat or waiting list), sent in its own thread.
    assert len(mail.outbox) == 50
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in people)


def test_the_same_address_twenty_times_at_once_makes_one_registration():
    """A double (twenty-fold) click: one registration, every other attempt refused with
    a ValidationError, never an IntegrityError."""
    meeting = MeetingFactory(capacity=5)
    (person,) = users(1, "twice-")

    results = race([lambda: registration_create(meeting=meeting, user=person)] * 20)

    made = [r for r in results if isinstance(r, Registration)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == 1
    assert len(refused) == 19
    assert all("already signed up" in " ".join(r.messages) for r in refused)
    assert Registration.objects.filter(meeting=meeting).count() == 1
    assert assert_seats_match(meeting).seats_taken == 1


def test_the_same_guest_address_at_once_makes_one_registration():
    """Guests racing with one address (in different cases): one registration."""
    meeting = MeetingFactory(capacity=5)
    addresses = ["pia@example.org", "PIA@example.org", "Pia@Example.org", " pia@example.ORG"] * 5

    results = race(
        [
            lambda email=email: registration_create(meeting=meeting, email=email, name="Pia")
            for email in addresses
        ]
    )

    assert sum(isinstance(r, Registration) for r in results) == 1
    assert sum(isinstance(r, ValidationError) for r in results) == 19
    assert Registration.objects.filter(meeting=meeting).count() == 1


def test_cancellations_crossing_sign_ups_never_overbook():
    """While seated and waiting people cancel, newcomers sign up: the seats never exceed
    the offer, the count matches, and nobody waits while a seat is free."""
    meeting = MeetingFactory(capacity=10)
    early = users(20, "early-")
    registrations = [registration_create(meeting=meeting, user=user) for user in early]
    assert [r.status for r in registrations] == [R.CONFIRMED] * 10 + [R.WAITING] * 10
    leaving = registrations[:6] + registrations[10:14]
    newcomers = users(20, "new-")

    results = race(
        [lambda r=r: registration_cancel(registration=r) for r in leaving]
        + [lambda user=user: registration_create(meeting=meeting, user=user) for user in newcomers]
    )

    assert [r for r in results if isinstance(r, BaseException)] == []
    meeting = assert_seats_match(meeting)
    assert meeting.seats_taken == 10
    assert meeting.registrations.filter(status=R.CANCELLED).count() == 10
    assert meeting.registrations.filter(status=R.WAITING).count() == 20
    # Each freed seat went at once to the first in line: the six who were already
    # waiting (and stayed) have the seats, every newcomer waits behind them.
    for registration in registrations[6:10] + registrations[14:]:
        registration.refresh_from_db()
        assert registration.status == R.CONFIRMED
    assert set(meeting.registrations.filter(status=R.WAITING).values_list("user", flat=True)) == {
        user.pk for user in newcomers
    }
