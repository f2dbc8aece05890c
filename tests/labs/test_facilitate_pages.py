"""The facilitators' pages: the labs one runs, the lab and meeting forms (errors under
the fields, status 400, nothing changed), who signed up (logged as a read), attendance on
a phone (a toggle per person, swapped in place by htmx or posted without JavaScript; the
code at the door) and the minutes. Query counts do not grow with the registrations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from labs.models import Meeting, MeetingStatus, Need, Registration, RegistrationStatus
from labs.services import registration_create
from legami.models import AccessEvent
from legami.roles import Role
from tests.labs.factories import LabFactory, MeetingFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory

pytestmark = pytest.mark.django_db

R = RegistrationStatus
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def runner(make_user):
    return make_user("runner@example.org", role=Role.FACILITATOR)


@pytest.fixture
def lab(runner):
    ambito = AmbitoFactory()
    lab = LabFactory(ambito=ambito, status="active", title="Quartiere Po")
    lab.comuni.add(ComuneFactory(ambito=ambito))
    lab.facilitators.add(runner)
    return lab


@pytest.fixture
def client(runner, client):
    client.force_login(runner)
    return client


@pytest.fixture
def today(lab):
    """A meeting starting in an hour: attendance is open."""
    now = timezone.now()
    return MeetingFactory(
        lab=lab, starts_at=now + dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=3)
    )


def sign_up(meeting, make_user, n):
    return [registration_create(meeting=meeting, user=make_user()) for _ in range(n)]


def reads_of(meeting) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(target_type="labs.meeting", target_id=str(meeting.pk)))


# --- The labs I run -----------------------------------------------------------------------


def test_the_manage_page_lists_the_labs_one_runs_and_their_meetings(client, lab, today):
    LabFactory(title="Laboratorio di altri", status="active")

    response = client.get("/labs/manage/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Quartiere Po" in body and today.title in body
    assert "Laboratorio di altri" not in body
    assert "/labs/manage/new/" in body


def test_a_lab_form_with_errors_comes_back_400_and_creates_nothing(client, lab):
    response = client.post(
        "/labs/manage/new/",
        {"title": "Nuovo", "slug": lab.slug, "context": "town", "status": "planned"},
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was saved" in body
    assert "Another lab already uses this short name." not in body  # the form stops first
    assert 'aria-invalid="true"' in body
    assert lab.__class__.objects.count() == 1


def test_a_refused_slug_is_shown_under_its_field(client, lab, runner):
    response = client.post(
        f"/labs/manage/{lab.slug}/edit/",
        {
            "title": "Nuovo titolo",
            "slug": "altro",
            "context": "town",
            "status": "active",
            "ambito": lab.ambito_id,
            "comuni": [ComuneFactory(ambito=AmbitoFactory()).pk],
            "facilitators": [runner.pk],
        },
    )

    assert response.status_code == 400
    assert "Not in the ambito of the lab" in response.content.decode()
    lab.refresh_from_db()
    assert (lab.title, lab.slug) == ("Quartiere Po", lab.slug)


# --- Meetings -----------------------------------------------------------------------------


def test_a_meeting_is_planned_in_rome_time(client, lab):
    response = client.post(
        f"/labs/manage/{lab.slug}/meetings/new/",
        {
            "title": "Cena",
            "starts_at": "2030-01-15T19:00",
            "ends_at": "2030-01-15T21:30",
            "place": "Oratorio",
            "capacity": "30",
            "reserved_seats": "5",
        },
    )

    assert response.status_code == 302
    meeting = Meeting.objects.get(title="Cena")
    assert meeting.starts_at == dt.datetime(2030, 1, 15, 18, 0, tzinfo=dt.UTC)
    edit = client.get(f"/labs/manage/meetings/{meeting.pk}/edit/").content.decode()
    assert 'value="2030-01-15T19:00"' in edit


def test_a_meeting_form_with_errors_comes_back_400_and_changes_nothing(client, today):
    response = client.post(
        f"/labs/manage/meetings/{today.pk}/edit/",
        {
            "title": "Cambiato",
            "starts_at": "2030-01-15T19:00",
            "ends_at": "2030-01-15T18:00",
            "capacity": "0",
            "reserved_seats": "0",
        },
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "The meeting ends after it starts." in body
    assert "Give a place, an online link, or both." in body
    today.refresh_from_db()
    assert today.title != "Cambiato"


def test_cancelling_from_the_page(client, today, make_user):
    (registration,) = sign_up(today, make_user, 1)

    response = client.post(f"/labs/manage/meetings/{today.pk}/cancel/", {"reason": "Neve"})

    assert response.status_code == 302
    today.refresh_from_db()
    registration.refresh_from_db()
    assert (today.status, registration.status) == (MeetingStatus.CANCELLED, R.CANCELLED)


# --- Who signed up ------------------------------------------------------------------------


def test_the_registrations_list_shows_seats_the_waiting_list_in_order_and_guests(
    client, lab, make_user
):
    meeting = MeetingFactory(lab=lab, capacity=1)
    seated, first, second = (
        registration_create(meeting=meeting, user=make_user(first_name=name, last_name="X"))
        for name in ("Anna", "Bruno", "Carla")
    )
    registration_create(meeting=meeting, email="guest@example.org", name="Dario Ospite")

    response = client.get(f"/labs/manage/meetings/{meeting.pk}/registrations/")

    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("Anna X") < body.index("Bruno X") < body.index("Carla X")
    assert "Dario Ospite" in body
    assert "Confirmed (1)" in body and "Waiting list (2)" in body
    assert "Not confirmed yet (1)" in body
    (read,) = reads_of(meeting)
    assert (read.action, read.purpose) == ("view", "registrations list")


@pytest.mark.parametrize("page", ["registrations", "attendance", "close"])
def test_pages_listing_registrations_take_as_many_queries_for_one_as_for_many(
    client, today, make_user, django_assert_max_num_queries, page
):
    url = f"/labs/manage/meetings/{today.pk}/{page}/"
    sign_up(today, make_user, 1)
    with django_assert_max_num_queries(14) as one:
        client.get(url)
    for registration in sign_up(today, make_user, 12):
        Registration.objects.filter(pk=registration.pk).update(attended=True)

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)

    assert response.status_code == 200


# --- Attendance at the door ---------------------------------------------------------------


def test_the_htmx_toggle_marks_a_person_present_and_returns_their_row(client, today, make_user):
    (registration,) = sign_up(today, make_user, 1)
    url = f"/labs/manage/meetings/{today.pk}/attendance/"

    response = client.post(url, {"registration": registration.pk, "attended": "1"}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith(f'<li id="registration-{registration.pk}"')
    assert "<html" not in body
    assert 'aria-pressed="true"' in body and 'name="attended" value="0"' in body
    registration.refresh_from_db()
    assert registration.attended is True

    # Tapped again: not marked any more.
    client.post(url, {"registration": registration.pk, "attended": "0"}, **HTMX)
    registration.refresh_from_db()
    assert registration.attended is False


def test_the_toggle_works_without_javascript(client, today, make_user):
    (registration,) = sign_up(today, make_user, 1)
    url = f"/labs/manage/meetings/{today.pk}/attendance/"

    response = client.post(url, {"registration": registration.pk, "attended": "1"})

    assert response.status_code == 302
    assert response.url == f"{url}#registration-{registration.pk}"
    registration.refresh_from_db()
    assert registration.attended is True
    page = client.get(url).content.decode()
    assert "1 present of 1" in page


def test_a_refused_toggle_comes_back_as_the_row_with_the_reason(client, lab, make_user):
    meeting = MeetingFactory(lab=lab)  # a week from now
    (registration,) = sign_up(meeting, make_user, 1)

    response = client.post(
        f"/labs/manage/meetings/{meeting.pk}/attendance/",
        {"registration": registration.pk, "attended": "1"},
        **HTMX,
    )

    assert response.status_code == 200
    assert "from two hours before" in response.content.decode()
    registration.refresh_from_db()
    assert registration.attended is None


def test_a_toggle_for_another_meetings_registration_finds_nothing(client, today, lab, make_user):
    (elsewhere,) = sign_up(MeetingFactory(lab=lab), make_user, 1)

    response = client.post(
        f"/labs/manage/meetings/{today.pk}/attendance/",
        {"registration": elsewhere.pk, "attended": "1"},
    )

    assert response.status_code == 404


def test_the_code_at_the_door(client, today, make_user):
    (registration,) = sign_up(today, make_user, 1)
    url = f"/labs/manage/meetings/{today.pk}/attendance/"

    unknown = client.post(url, {"code": "zzz zzz"})
    known = client.post(url, {"code": registration.code.lower()})

    assert unknown.status_code == 400
    assert "No registration with the code ZZZZZZ for this meeting." in unknown.content.decode()
    assert known.status_code == 302
    registration.refresh_from_db()
    assert registration.attended is True


# --- The minutes --------------------------------------------------------------------------


def test_the_minutes_close_the_meeting_and_post_the_needs(client, lab, make_user):
    meeting = MeetingFactory(lab=lab)
    present, _absent = sign_up(meeting, make_user, 2)
    Registration.objects.filter(pk=present.pk).update(attended=True)
    now = timezone.now()
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=1)
    )
    url = f"/labs/manage/meetings/{meeting.pk}/close/"
    assert present.name in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "summary": "Parlato del parco",
            "needs-TOTAL_FORMS": "3",
            "needs-INITIAL_FORMS": "0",
            "needs-0-title": "Luci nel parco",
            "needs-0-category": "public_space",
            "needs-1-title": "Trasporto per anziani",
            "needs-1-category": "mobility",
        },
    )

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    assert set(Need.objects.filter(lab=lab).values_list("title", flat=True)) == {
        "Luci nel parco",
        "Trasporto per anziani",
    }


def test_minutes_before_the_end_or_with_a_half_row_come_back_400(client, today):
    url = f"/labs/manage/meetings/{today.pk}/close/"
    data = {"summary": "Troppo presto", "needs-TOTAL_FORMS": "1", "needs-INITIAL_FORMS": "0"}

    early = client.post(url, data)
    half = client.post(url, {**data, "needs-0-title": "Senza categoria"})

    assert early.status_code == 400
    assert "A meeting is closed after it ends" in early.content.decode()
    assert half.status_code == 400
    assert "Choose the category of this need." in half.content.decode()
    today.refresh_from_db()
    assert today.status == MeetingStatus.SCHEDULED
    assert Need.objects.count() == 0
