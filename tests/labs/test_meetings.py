"""What facilitators do, through the services of ``labs.services.meetings``: labs and
meetings (times typed in Rome, stored in UTC), seats that serve the waiting list,
cancelling, attendance at the door, the minutes with the needs raised, and the daily
reminder to write the minutes. Every refusal is a translated error that changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from labs.models import Lab, Meeting, MeetingStatus, Need, Registration, RegistrationStatus
from labs.services import meetings as services
from labs.services import registration_create
from labs.tasks import remind_to_close_meetings
from legami.models import ChangeEvent
from legami.roles import Role
from tests.labs.factories import LabFactory, MeetingFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

R = RegistrationStatus


@pytest.fixture
def runner(make_user):
    return make_user("runner@example.org", role=Role.FACILITATOR)


@pytest.fixture
def lab(runner):
    ambito = AmbitoFactory()
    lab = LabFactory(ambito=ambito, status="active")
    lab.comuni.add(ComuneFactory(ambito=ambito))
    lab.facilitators.add(runner)
    return lab


def soon(hours: float = 1) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def move_to_past(meeting: Meeting, hours_ago: float = 3) -> Meeting:
    """The meeting took place (people signed up while it was to come)."""
    start = timezone.now() - dt.timedelta(hours=hours_ago)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    meeting.refresh_from_db()
    return meeting


def changes_of(obj) -> list[ChangeEvent]:
    return list(ChangeEvent.objects.filter(target_type=obj._meta.label_lower, target_id=obj.pk))


# --- Labs ---------------------------------------------------------------------------------


def test_a_facilitator_who_starts_a_lab_runs_it(runner):
    ambito = AmbitoFactory()
    comune = ComuneFactory(ambito=ambito)

    lab = services.lab_create(
        actor=runner,
        title=" Quartiere Po ",
        slug="quartiere-po",
        context="neighbourhood",
        ambito=ambito,
        comuni=[comune],
        facilitators=[],
        description="Un laboratorio",
    )

    assert lab.title == "Quartiere Po"
    assert list(lab.facilitators.all()) == [runner]
    assert list(lab.comuni.all()) == [comune]
    assert lab.status == "planned"
    (event,) = changes_of(lab)
    assert event.action == "create"
    assert event.changes["facilitators"] == [None, [runner.pk]]


def test_a_lab_with_wrong_values_is_refused_field_by_field_and_nothing_is_created(
    runner, make_user, lab
):
    other_ambito = AmbitoFactory()
    citizen = make_user("someone@example.org")

    with pytest.raises(ValidationError) as caught:
        services.lab_create(
            actor=runner,
            title=" ",
            slug=lab.slug,
            context="moon",
            ambito=other_ambito,
            comuni=[lab.comuni.get()],
            facilitators=[runner, citizen],
        )

    assert set(caught.value.message_dict) == {"title", "slug", "context", "comuni", "facilitators"}
    assert "Another lab already uses this short name." in caught.value.message_dict["slug"]
    assert Lab.objects.count() == 1


@pytest.mark.parametrize("slug", ["manage", "mine", "referred-needs"])
def test_a_lab_may_not_take_the_short_name_of_a_fixed_address(runner, lab, slug):
    with pytest.raises(ValidationError) as caught:
        services.lab_update(lab=lab, actor=runner, slug=slug)

    assert caught.value.message_dict["slug"] == ["This short name is reserved: choose another."]
    lab.refresh_from_db()
    assert lab.slug != slug


def test_an_ambito_administrator_starts_labs_only_in_their_ambiti(make_user):
    mine, theirs = AmbitoFactory(), AmbitoFactory()
    admin = make_user("admin@example.org", role=Role.AMBITO_ADMIN)
    admin.memberships.get().organisation.ambiti.add(mine)
    facilitator = make_user("f@example.org", role=Role.FACILITATOR)
    values = {
        "title": "Lab",
        "context": "town",
        "facilitators": [facilitator],
    }

    lab = services.lab_create(
        actor=admin, slug="a", ambito=mine, comuni=[ComuneFactory(ambito=mine)], **values
    )
    with pytest.raises(PermissionDenied):
        services.lab_create(
            actor=admin, slug="b", ambito=theirs, comuni=[ComuneFactory(ambito=theirs)], **values
        )

    # The administrator runs it through their ambito, not as a facilitator.
    assert list(lab.facilitators.all()) == [facilitator]


def test_only_the_runners_of_a_lab_change_it(lab, runner, make_user):
    stranger = make_user("other.facilitator@example.org", role=Role.FACILITATOR)
    LabFactory().facilitators.add(stranger)

    with pytest.raises(PermissionDenied):
        services.lab_update(lab=lab, actor=stranger, title="Mio")
    updated = services.lab_update(lab=lab, actor=runner, title="Nuovo titolo", status="closed")

    assert (updated.title, updated.status) == ("Nuovo titolo", "closed")
    event = changes_of(lab)[-1]
    assert event.changes["title"][1] == "Nuovo titolo"


# --- Meetings -----------------------------------------------------------------------------


def test_times_typed_in_rome_are_stored_in_utc(lab, runner):
    # As typed, naive on purpose: summer time in Rome, UTC+2.
    starts = dt.datetime(2030, 7, 1, 18, 0)  # noqa: DTZ001

    meeting = services.meeting_create(
        lab=lab,
        actor=runner,
        title="Cena di quartiere",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        online_url="https://meet.example.org/po",
        capacity=20,
        reserved_seats=2,
    )

    meeting.refresh_from_db()
    assert meeting.starts_at == dt.datetime(2030, 7, 1, 16, 0, tzinfo=dt.UTC)
    assert meeting.ends_at == dt.datetime(2030, 7, 1, 18, 0, tzinfo=dt.UTC)
    assert meeting.seats_on_offer == 18
    assert changes_of(meeting)[0].action == "create"


def test_a_meeting_needs_a_place_or_a_link_times_in_order_and_a_future_start(lab, runner):
    past = timezone.now() - dt.timedelta(days=1)

    with pytest.raises(ValidationError) as caught:
        services.meeting_create(
            lab=lab,
            actor=runner,
            title="Incontro",
            starts_at=past,
            ends_at=past - dt.timedelta(hours=1),
            capacity=5,
            reserved_seats=6,
        )

    assert set(caught.value.message_dict) == {"starts_at", "ends_at", "place", "reserved_seats"}
    assert Meeting.objects.count() == 0


def test_a_closed_lab_holds_no_meetings_and_a_stranger_plans_none(lab, runner, make_user):
    stranger = make_user("stranger@example.org", role=Role.FACILITATOR)
    values = {"title": "X", "starts_at": soon(24), "ends_at": soon(26), "place": "Sala"}

    with pytest.raises(PermissionDenied):
        services.meeting_create(lab=lab, actor=stranger, **values)
    Lab.objects.filter(pk=lab.pk).update(status="closed")
    lab.refresh_from_db()
    with pytest.raises(ValidationError, match="closed"):
        services.meeting_create(lab=lab, actor=runner, **values)

    assert Meeting.objects.count() == 0


def test_more_seats_promote_the_waiting_list_through_the_sign_up_service(lab, runner, make_user):
    meeting = MeetingFactory(lab=lab, capacity=1)
    first, second, third = (make_user() for _ in range(3))
    registration_create(meeting=meeting, user=first)
    waiting = [registration_create(meeting=meeting, user=u) for u in (second, third)]

    services.meeting_update(meeting=meeting, actor=runner, capacity=2, agenda="Ordine del giorno")

    meeting.refresh_from_db()
    assert meeting.agenda == "Ordine del giorno"
    assert meeting.seats_taken == 2
    assert [Registration.objects.get(pk=r.pk).status for r in waiting] == [R.CONFIRMED, R.WAITING]


def test_fewer_seats_than_taken_are_refused_and_nothing_changes(lab, runner, make_user):
    meeting = MeetingFactory(lab=lab, capacity=3, title="Prima")
    for _ in range(2):
        registration_create(meeting=meeting, user=make_user())

    with pytest.raises(ValidationError) as caught:
        services.meeting_update(meeting=meeting, actor=runner, capacity=1, title="Dopo")

    assert "capacity" in caught.value.message_dict
    meeting.refresh_from_db()
    assert (meeting.title, meeting.capacity, meeting.seats_taken) == ("Prima", 3, 2)


def test_cancelling_a_meeting_cancels_its_registrations_and_frees_the_seats(lab, runner, make_user):
    meeting = MeetingFactory(lab=lab, capacity=1)
    seated = registration_create(meeting=meeting, user=make_user())
    waiting = registration_create(meeting=meeting, user=make_user())
    guest = registration_create(meeting=meeting, email="ospite@example.org", name="Ospite")

    services.meeting_cancel(meeting=meeting, actor=runner, reason="Maltempo")

    meeting.refresh_from_db()
    assert (meeting.status, meeting.seats_taken) == (MeetingStatus.CANCELLED, 0)
    for registration in (seated, waiting, guest):
        registration.refresh_from_db()
        assert registration.status == R.CANCELLED
        assert registration.cancelled_at is not None
    assert changes_of(meeting)[-1].note == "Maltempo"
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        services.meeting_cancel(meeting=meeting, actor=runner)


# --- Attendance ---------------------------------------------------------------------------


def test_the_code_shown_at_the_door_marks_the_person_present(lab, runner, make_user):
    meeting = MeetingFactory(lab=lab, starts_at=soon(1), ends_at=soon(3))
    registration = registration_create(meeting=meeting, user=make_user())
    typed = " " + registration.code[:3].lower() + "-" + registration.code[3:] + " "

    marked = services.attendance_by_code(meeting=meeting, code=typed, actor=runner)

    assert marked.pk == registration.pk
    assert marked.attended is True
    assert changes_of(registration)[-1].changes == {"attended": [None, True]}


def test_an_unknown_code_or_one_without_a_seat_is_refused(lab, runner, make_user):
    meeting = MeetingFactory(lab=lab, starts_at=soon(1), ends_at=soon(3), capacity=1)
    registration_create(meeting=meeting, user=make_user())
    waiting = registration_create(meeting=meeting, user=make_user())

    with pytest.raises(ValidationError) as unknown:
        services.attendance_by_code(meeting=meeting, code="ZZZZZZ", actor=runner)
    with pytest.raises(ValidationError) as not_seated:
        services.attendance_by_code(meeting=meeting, code=waiting.code, actor=runner)

    assert "No registration with the code ZZZZZZ" in unknown.value.message_dict["code"][0]
    assert "is not confirmed (on the waiting list)" in not_seated.value.message_dict["code"][0]
    assert not Registration.objects.filter(attended=True).exists()


def test_attendance_is_taken_on_the_day_not_a_week_before(lab, runner, make_user):
    meeting = MeetingFactory(lab=lab)  # a week from now
    registration = registration_create(meeting=meeting, user=make_user())

    with pytest.raises(ValidationError, match="from two hours before"):
        services.attendance_mark(registration=registration, attended=True, actor=runner)

    registration.refresh_from_db()
    assert registration.attended is None


def test_a_stranger_marks_nobody(lab, make_user):
    stranger = make_user("stranger@example.org", role=Role.FACILITATOR)
    meeting = MeetingFactory(lab=lab, starts_at=soon(1), ends_at=soon(3))
    registration = registration_create(meeting=meeting, user=make_user())

    with pytest.raises(PermissionDenied):
        services.attendance_mark(registration=registration, attended=True, actor=stranger)
    with pytest.raises(PermissionDenied):
        services.attendance_by_code(meeting=meeting, code=registration.code, actor=stranger)


# --- The minutes --------------------------------------------------------------------------


def test_a_meeting_is_closed_only_after_it_ends(lab, runner):
    meeting = MeetingFactory(lab=lab, starts_at=soon(-1), ends_at=soon(1))

    with pytest.raises(ValidationError, match="after it ends"):
        services.meeting_close(
            meeting=meeting, actor=runner, summary="Detto", needs_raised=[("Panchine", "other")]
        )

    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.SCHEDULED
    assert Need.objects.count() == 0


def test_the_minutes_post_the_needs_raised_and_record_who_was_there(lab, runner, make_user):
    meeting = MeetingFactory(lab=lab, starts_at=soon(1), ends_at=soon(3))
    present, absent = (registration_create(meeting=meeting, user=make_user()) for _ in range(2))
    services.attendance_mark(registration=present, attended=True, actor=runner)
    move_to_past(meeting)
    cooperative = OrganisationFactory()

    services.meeting_close(
        meeting=meeting,
        actor=runner,
        summary="  Abbiamo parlato del parco.  ",
        organisations_present=[cooperative],
        needs_raised=[
            ("Il parco è buio", "public_space"),
            ("", ""),
            ("Anziani soli", "loneliness"),
        ],
    )

    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    assert meeting.summary == "Abbiamo parlato del parco."
    assert (meeting.closed_by, list(meeting.organisations_present.all())) == (
        runner,
        [cooperative],
    )
    assert sorted(lab.needs.values_list("title", "category")) == [
        ("Anziani soli", "loneliness"),
        ("Il parco è buio", "public_space"),
    ]
    absent.refresh_from_db()
    assert absent.attended is False
    assert changes_of(meeting)[-1].changes["attendees"] == [None, 1]
    with pytest.raises(ValidationError, match="cannot be closed"):
        services.meeting_close(meeting=meeting, actor=runner, summary="Di nuovo")
    with pytest.raises(ValidationError, match="can no longer change"):
        services.attendance_mark(registration=absent, attended=True, actor=runner)


def test_minutes_without_a_summary_or_with_a_half_need_change_nothing(lab, runner):
    meeting = move_to_past(MeetingFactory(lab=lab))

    with pytest.raises(ValidationError) as caught:
        services.meeting_close(
            meeting=meeting, actor=runner, summary=" ", needs_raised=[("Senza categoria", "")]
        )

    assert set(caught.value.message_dict) == {"summary", "needs_raised"}
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.SCHEDULED
    assert Need.objects.count() == 0


# --- The reminder to write the minutes ------------------------------------------------------


def test_facilitators_are_reminded_once_of_meetings_ended_a_day_ago_without_minutes(
    lab, runner, make_user
):
    second = make_user("second@example.org", role=Role.FACILITATOR)
    lab.facilitators.add(second)
    overdue = move_to_past(MeetingFactory(lab=lab, title="Vecchio"), hours_ago=30)
    move_to_past(MeetingFactory(lab=lab, title="Ieri sera"), hours_ago=5)
    move_to_past(MeetingFactory(lab=lab, title="Annullato", status="cancelled"), hours_ago=30)

    assert remind_to_close_meetings() == 1
    assert remind_to_close_meetings() == 0

    assert sorted(m.to[0] for m in mail.outbox) == ["runner@example.org", "second@example.org"]
    assert all("Vecchio" in m.subject for m in mail.outbox)
    assert f"/labs/manage/meetings/{overdue.pk}/close/" in mail.outbox[0].body


def test_a_cancelled_meeting_tells_the_people_who_had_a_seat_or_were_waiting(
    lab, runner, make_user, eager_tasks, django_capture_on_commit_callbacks
):
    """Those seated or waiting get one "meeting cancelled" mail each; a guest who never
    confirmed their address gets none."""
    meeting = MeetingFactory(lab=lab, capacity=1)
    seated = registration_create(meeting=meeting, user=make_user("seated@example.org"))
    registration_create(meeting=meeting, user=make_user("waiting@example.org"))
    registration_create(meeting=meeting, email="ospite@example.org", name="Ospite")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_cancel(meeting=meeting, actor=runner, reason="Maltempo")

    assert sorted(m.to[0] for m in mail.outbox) == ["seated@example.org", "waiting@example.org"]
    assert all(meeting.title in m.subject for m in mail.outbox)
    # A second delivery of the same task sends nothing.
    from labs.tasks import send_registration_mail

    assert send_registration_mail(seated.pk, "meeting_cancelled") is False
    assert len(mail.outbox) == 2


def test_the_reminder_to_write_the_minutes_is_recorded_on_the_meeting(lab, runner):
    """Once-only lives in the database (``close_reminded_at``), not in a cache that can
    be flushed; a failing send records nothing and the next scan tries again."""
    overdue = move_to_past(MeetingFactory(lab=lab, title="Vecchio"), hours_ago=30)
    original = services._close_reminder_mails

    def failing(*args, **kwargs):
        raise ConnectionError("mail server down")

    services._close_reminder_mails = failing
    try:
        with pytest.raises(ConnectionError):
            services.meeting_close_reminder_send(meeting=overdue)
    finally:
        services._close_reminder_mails = original
    overdue.refresh_from_db()
    assert overdue.close_reminded_at is None

    assert remind_to_close_meetings() == 1
    overdue.refresh_from_db()
    assert overdue.close_reminded_at is not None
    assert remind_to_close_meetings() == 0
