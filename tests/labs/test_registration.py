"""Signing up for a meeting: seats and the waiting list, guests' double opt-in with its
deadline, one active registration per address, the waiting list served in order of
arrival, changes of capacity, the registration window, and the seat count that always
matches the confirmed registrations (down to the database constraint)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from labs.models import Meeting, Registration, RegistrationStatus
from labs.services import (
    meeting_set_capacity,
    registration_cancel,
    registration_confirm,
    registration_create,
    registrations_expire,
)
from tests.labs.factories import MeetingFactory

pytestmark = pytest.mark.django_db

R = RegistrationStatus


def assert_seats_match(meeting: Meeting) -> Meeting:
    """The meeting's seat count equals its confirmed registrations (and never exceeds
    the seats on offer)."""
    meeting.refresh_from_db()
    confirmed = meeting.registrations.filter(status=R.CONFIRMED).count()
    assert meeting.seats_taken == confirmed
    if meeting.seats_on_offer is not None:
        assert meeting.seats_taken <= meeting.seats_on_offer
    return meeting


@pytest.fixture
def people(make_user):
    """``people(n)``: n fresh account users."""
    return lambda n: [make_user() for _ in range(n)]


def sign_up(meeting: Meeting, user) -> Registration:
    registration = registration_create(meeting=meeting, user=user)
    assert_seats_match(meeting)
    return registration


def guest(meeting: Meeting, email: str, name: str = "Ospite") -> Registration:
    registration = registration_create(meeting=meeting, email=email, name=name)
    assert_seats_match(meeting)
    return registration


def statuses(*registrations: Registration) -> list[str]:
    for registration in registrations:
        registration.refresh_from_db()
    return [registration.status for registration in registrations]


def confirm_and_check(registration: Registration) -> Registration:
    registration = registration_confirm(registration=registration)
    assert_seats_match(registration.meeting)
    return registration


def cancel_and_check(registration: Registration) -> Registration:
    registration = registration_cancel(registration=registration)
    assert_seats_match(registration.meeting)
    return registration


# --- Seats and the waiting list -------------------------------------------------------------


def test_an_account_gets_a_seat_then_the_full_meeting_puts_the_next_on_the_waiting_list(people):
    """Seats on offer are the capacity minus the reserved seats: with 5 and 2 reserved,
    three people get a seat and the fourth waits."""
    meeting = MeetingFactory(capacity=5, reserved_seats=2)
    first, second, third, fourth = (sign_up(meeting, user) for user in people(4))

    assert statuses(first, second, third) == [R.CONFIRMED] * 3
    assert first.confirmed_at is not None
    assert first.waiting_since is None
    assert fourth.status == R.WAITING
    assert fourth.waiting_since is not None
    assert fourth.confirmed_at is None
    assert assert_seats_match(meeting).seats_taken == 3


def test_capacity_zero_means_no_limit(people):
    """A meeting with capacity 0 confirms everyone."""
    meeting = MeetingFactory(capacity=0)
    registrations = [sign_up(meeting, user) for user in people(12)]

    assert statuses(*registrations) == [R.CONFIRMED] * 12
    assert assert_seats_match(meeting).seats_taken == 12


def test_one_active_registration_per_address_whatever_the_case(make_user):
    """A second sign-up with the same address is refused, also written in capitals, for
    a guest and for an account alike; nothing changes."""
    meeting = MeetingFactory(capacity=10)
    user = make_user("anna@example.org")
    sign_up(meeting, user)

    with pytest.raises(ValidationError) as refused:
        registration_create(meeting=meeting, user=user)
    assert "already signed up" in str(refused.value)
    with pytest.raises(ValidationError):
        registration_create(meeting=meeting, email="  ANNA@Example.ORG ", name="Anna")
    guest(meeting, "bruno@example.org")
    with pytest.raises(ValidationError):
        registration_create(meeting=meeting, email="Bruno@EXAMPLE.org", name="Bruno")

    assert meeting.registrations.count() == 2
    assert set(meeting.registrations.values_list("email", flat=True)) == {
        "anna@example.org",
        "bruno@example.org",
    }
    assert_seats_match(meeting)


def test_after_cancelling_the_same_address_can_sign_up_again(make_user):
    """Only active registrations count: a cancelled one does not block a new sign-up."""
    meeting = MeetingFactory(capacity=10)
    user = make_user()
    cancel_and_check(sign_up(meeting, user))

    again = sign_up(meeting, user)

    assert again.status == R.CONFIRMED
    assert assert_seats_match(meeting).seats_taken == 1


# --- Guests: double opt-in ------------------------------------------------------------------


def test_a_guest_is_unconfirmed_and_takes_no_seat_until_they_confirm():
    """A guest's sign-up holds no seat until the link is followed; then it takes one."""
    meeting = MeetingFactory(capacity=1)
    registration = guest(meeting, "Carla@Example.org", "Carla")

    assert registration.status == R.UNCONFIRMED
    assert registration.email == "carla@example.org"
    assert registration.user is None
    assert assert_seats_match(meeting).seats_taken == 0

    confirmed = confirm_and_check(registration)

    assert confirmed.status == R.CONFIRMED
    assert confirmed.confirmed_at is not None
    assert assert_seats_match(meeting).seats_taken == 1


def test_a_guest_who_confirms_when_the_meeting_is_full_waits(people):
    """Seats go in order of confirmation: a guest who signed up first but confirms after
    the meeting filled waits."""
    meeting = MeetingFactory(capacity=1)
    registration = guest(meeting, "dario@example.org")
    sign_up(meeting, people(1)[0])

    assert confirm_and_check(registration).status == R.WAITING


def test_confirming_after_the_deadline_expires_the_registration_and_changes_nothing_else(
    settings, people
):
    """A link followed after LAB_GUEST_CONFIRMATION_HOURS is refused, the registration
    expires (and stays expired), and no seat or waiting place is given."""
    settings.LAB_GUEST_CONFIRMATION_HOURS = 24
    meeting = MeetingFactory(capacity=2)
    seated = sign_up(meeting, people(1)[0])
    late = guest(meeting, "elena@example.org")
    Registration.objects.filter(pk=late.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=24, minutes=1)
    )

    with pytest.raises(ValidationError) as refused:
        registration_confirm(registration=late)

    assert refused.value.code == "expired"
    late.refresh_from_db()
    assert late.status == R.EXPIRED
    assert late.confirmed_at is None
    assert late.waiting_since is None
    assert statuses(seated) == [R.CONFIRMED]
    assert assert_seats_match(meeting).seats_taken == 1
    # Following the link again changes nothing either.
    assert registration_confirm(registration=late).status == R.EXPIRED
    assert assert_seats_match(meeting).seats_taken == 1


def test_confirming_just_before_the_deadline_gives_the_seat(settings):
    """Within LAB_GUEST_CONFIRMATION_HOURS the link works."""
    settings.LAB_GUEST_CONFIRMATION_HOURS = 24
    meeting = MeetingFactory(capacity=2)
    registration = guest(meeting, "franco@example.org")
    Registration.objects.filter(pk=registration.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=23, minutes=59)
    )

    assert confirm_and_check(registration).status == R.CONFIRMED


def test_confirming_twice_is_a_no_op():
    """Following the confirmation link a second time takes no second seat."""
    meeting = MeetingFactory(capacity=3)
    registration = guest(meeting, "gina@example.org")
    first = confirm_and_check(registration)
    confirmed_at = first.confirmed_at

    second = confirm_and_check(registration)

    assert second.status == R.CONFIRMED
    assert second.confirmed_at == confirmed_at
    assert assert_seats_match(meeting).seats_taken == 1


def test_registrations_expire_marks_only_the_unconfirmed_past_the_deadline(settings, people):
    """The hourly scan expires the guests' sign-ups older than the deadline, and only
    those."""
    settings.LAB_GUEST_CONFIRMATION_HOURS = 24
    meeting = MeetingFactory(capacity=5)
    old = guest(meeting, "old@example.org")
    fresh = guest(meeting, "fresh@example.org")
    old_confirmed = confirm_and_check(guest(meeting, "done@example.org"))
    account = sign_up(meeting, people(1)[0])
    long_ago = timezone.now() - dt.timedelta(hours=25)
    Registration.objects.filter(pk__in=[old.pk, old_confirmed.pk, account.pk]).update(
        created_at=long_ago
    )

    assert registrations_expire() == 1

    assert statuses(old, fresh, old_confirmed, account) == [
        R.EXPIRED,
        R.UNCONFIRMED,
        R.CONFIRMED,
        R.CONFIRMED,
    ]
    assert assert_seats_match(meeting).seats_taken == 2
    # An expired address may sign up again.
    assert guest(meeting, "old@example.org").status == R.UNCONFIRMED


# --- The waiting list, in order of arrival --------------------------------------------------


def test_a_freed_seat_goes_to_the_first_on_the_waiting_list_one_at_a_time(people):
    """Each cancellation of a seat promotes exactly one person: the one who joined the
    waiting list first (a guest who signed up earlier but confirmed later comes after)."""
    meeting = MeetingFactory(capacity=1)
    early_guest = guest(meeting, "helga@example.org")  # lowest id, confirms last
    seated_user, first_user, second_user = people(3)
    seated = sign_up(meeting, seated_user)
    first = sign_up(meeting, first_user)
    second = sign_up(meeting, second_user)
    late = confirm_and_check(early_guest)
    assert statuses(first, second, late) == [R.WAITING] * 3
    assert late.pk < first.pk

    cancel_and_check(seated)
    assert statuses(first, second, late) == [R.CONFIRMED, R.WAITING, R.WAITING]
    first.refresh_from_db()
    assert first.promoted_at is not None
    assert first.waiting_since is None

    cancel_and_check(first)
    assert statuses(second, late) == [R.CONFIRMED, R.WAITING]

    cancel_and_check(second)
    assert statuses(late) == [R.CONFIRMED]


def test_on_equal_waiting_times_the_earlier_registration_goes_first(people):
    """Same moment on the waiting list: the lower id is promoted first."""
    meeting = MeetingFactory(capacity=1)
    seated, a, b = (sign_up(meeting, user) for user in people(3))
    same = timezone.now()
    Registration.objects.filter(pk__in=[a.pk, b.pk]).update(waiting_since=same)

    cancel_and_check(seated)

    assert statuses(a, b) == [R.CONFIRMED, R.WAITING]


def test_more_seats_promote_several_in_order_of_arrival(people, facilitator):
    """Growing the capacity promotes as many as the new seats, first come first served."""
    meeting = MeetingFactory(capacity=2)
    registrations = [sign_up(meeting, user) for user in people(7)]
    waiting = registrations[2:]
    # The waiting list's order is not the ids' order.
    now = timezone.now()
    order = [waiting[3], waiting[0], waiting[4], waiting[1], waiting[2]]
    for position, registration in enumerate(order):
        Registration.objects.filter(pk=registration.pk).update(
            waiting_since=now + dt.timedelta(seconds=position)
        )

    meeting_set_capacity(meeting=meeting, capacity=5, reserved_seats=0, actor=facilitator)

    assert statuses(*order) == [R.CONFIRMED] * 3 + [R.WAITING] * 2
    assert assert_seats_match(meeting).seats_taken == 5


def test_no_limit_promotes_everyone_waiting(people, facilitator):
    """Capacity 0 (no limit) gives everyone waiting a seat."""
    meeting = MeetingFactory(capacity=1)
    registrations = [sign_up(meeting, user) for user in people(4)]

    meeting_set_capacity(meeting=meeting, capacity=0, reserved_seats=0, actor=facilitator)

    assert statuses(*registrations) == [R.CONFIRMED] * 4
    assert assert_seats_match(meeting).seats_taken == 4


def test_cancelling_a_waiting_registration_promotes_nobody(people):
    """Leaving the waiting list frees no seat."""
    meeting = MeetingFactory(capacity=1)
    seated, first, second = (sign_up(meeting, user) for user in people(3))

    cancel_and_check(first)

    assert statuses(seated, first, second) == [R.CONFIRMED, R.CANCELLED, R.WAITING]
    assert assert_seats_match(meeting).seats_taken == 1


def test_cancelling_twice_frees_one_seat_only(people):
    """A second cancellation of the same registration changes nothing."""
    meeting = MeetingFactory(capacity=1)
    seated, first, second = (sign_up(meeting, user) for user in people(3))
    cancel_and_check(seated)

    cancel_and_check(seated)

    assert statuses(first, second) == [R.CONFIRMED, R.WAITING]


def test_fewer_seats_than_those_taken_are_refused(people, facilitator):
    """The capacity cannot drop below the seats already taken (reserved seats count
    against it); nothing changes."""
    meeting = MeetingFactory(capacity=5)
    for user in people(4):
        sign_up(meeting, user)

    with pytest.raises(ValidationError) as refused:
        meeting_set_capacity(meeting=meeting, capacity=3, reserved_seats=0, actor=facilitator)
    assert "capacity" in refused.value.message_dict
    with pytest.raises(ValidationError):
        meeting_set_capacity(meeting=meeting, capacity=5, reserved_seats=2, actor=facilitator)

    meeting = assert_seats_match(meeting)
    assert (meeting.capacity, meeting.reserved_seats, meeting.seats_taken) == (5, 0, 4)
    # Exactly the seats taken is allowed.
    meeting_set_capacity(meeting=meeting, capacity=5, reserved_seats=1, actor=facilitator)
    meeting = assert_seats_match(meeting)
    assert (meeting.capacity, meeting.reserved_seats) == (5, 1)


# --- The registration window ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"registration_opens_at": dt.timedelta(days=1)},
            "Sign-ups open on",
        ),
        (
            {
                "registration_opens_at": -dt.timedelta(days=2),
                "registration_closes_at": -dt.timedelta(minutes=1),
            },
            "Sign-ups for this meeting are closed.",
        ),
        (
            {"starts_at": -dt.timedelta(minutes=5)},
            "This meeting has already started.",
        ),
    ],
    ids=["not-yet-open", "closed", "started"],
)
def test_sign_ups_outside_the_window_are_refused(make_user, fields, message):
    """Before the window opens, after it closes, or once the meeting has started, a
    sign-up is refused with a message saying why, and nothing is stored."""
    now = timezone.now()
    values = {name: now + delta for name, delta in fields.items()}
    if "starts_at" in values:
        values["ends_at"] = values["starts_at"] + dt.timedelta(hours=2)
    meeting = MeetingFactory(capacity=10, **values)

    with pytest.raises(ValidationError) as refused:
        registration_create(meeting=meeting, user=make_user())
    assert message in " ".join(refused.value.messages)
    with pytest.raises(ValidationError):
        registration_create(meeting=meeting, email="ida@example.org", name="Ida")

    assert not meeting.registrations.exists()
    assert assert_seats_match(meeting).seats_taken == 0


def test_sign_ups_inside_the_window_are_taken(make_user):
    """Between opening and closing, sign-ups are taken."""
    now = timezone.now()
    meeting = MeetingFactory(
        capacity=10,
        registration_opens_at=now - dt.timedelta(hours=1),
        registration_closes_at=now + dt.timedelta(hours=1),
    )

    assert sign_up(meeting, make_user()).status == R.CONFIRMED


# --- The database guard ---------------------------------------------------------------------


def test_the_database_refuses_overbooking_even_from_a_raw_update(people):
    """labs_meeting_no_overbooking: a seat count beyond capacity minus reserved seats
    cannot be stored, whatever code tries."""
    meeting = MeetingFactory(capacity=5, reserved_seats=2)
    for user in people(3):
        sign_up(meeting, user)

    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(seats_taken=4)
    assert "labs_meeting_no_overbooking" in str(refused.value)

    assert assert_seats_match(meeting).seats_taken == 3
    # Within the offer, the same update is accepted (the guard is not always refusing).
    with transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(seats_taken=2)
        meeting.refresh_from_db()
        assert meeting.seats_taken == 2
        transaction.set_rollback(True)
