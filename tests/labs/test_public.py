"""The public pages of the labs: the upcoming meetings and their filters, a lab's page,
signing up on a meeting's page (with an account: a seat or the waiting list; as a guest:
a mail with the link that confirms), refusals shown on the page, the calendar files,
and a person's own registrations with the cancel button that promotes the waiting list.
Every page reads in a number of queries that does not grow with its rows."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from labs.models import (
    Intervention,
    LabStatus,
    MeetingStatus,
    Need,
    NeedCategory,
    Registration,
    RegistrationStatus,
)
from labs.services import registration_create
from tests.labs.factories import LabFactory, MeetingFactory
from tests.legami.factories import ComuneFactory
from tests.partners.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

R = RegistrationStatus
ROME = zoneinfo.ZoneInfo("Europe/Rome")


def active_lab(**kwargs):
    kwargs.setdefault("status", LabStatus.ACTIVE)
    return LabFactory(**kwargs)


def meeting_url(meeting) -> str:
    return reverse("labs:meeting_detail", args=[meeting.lab.slug, meeting.pk])


def at(days: float, hour: int = 18) -> dict:
    """Start and end of a meeting ``days`` from now at ``hour`` (Italian time), 2 hours."""
    day = (timezone.now() + dt.timedelta(days=days)).astimezone(ROME)
    starts_at = day.replace(hour=hour, minute=0, second=0, microsecond=0)
    return {"starts_at": starts_at, "ends_at": starts_at + dt.timedelta(hours=2)}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- The upcoming meetings --------------------------------------------------------------------


def test_the_list_shows_upcoming_meetings_of_labs_under_way_only(client):
    """Scheduled meetings not over, of labs under way; not the planned lab's, not the
    cancelled or past ones."""
    lab = active_lab(title="Quartiere Po")
    shown = MeetingFactory(lab=lab, title="Incontro visibile", **at(3))
    MeetingFactory(lab=lab, title="Incontro annullato", status=MeetingStatus.CANCELLED)
    MeetingFactory(lab=lab, title="Incontro passato", **at(-3))
    MeetingFactory(lab=LabFactory(status=LabStatus.PLANNED), title="Incontro in preparazione")

    response = client.get(reverse("labs:meeting_list"))

    assert response.status_code == 200
    body = text(response)
    assert "Incontro visibile" in body and meeting_url(shown) in body
    assert "Incontro annullato" not in body
    assert "Incontro passato" not in body
    assert "Incontro in preparazione" not in body


def test_the_list_shows_times_in_italy_and_the_seats(client):
    """Times are shown in Europe/Rome; seats left, or full with the waiting list."""
    lab = active_lab()
    MeetingFactory(lab=lab, title="Con posti", capacity=5, **at(3, hour=18))
    full = MeetingFactory(lab=lab, title="Pieno", capacity=1, **at(4, hour=9))
    registration_create(meeting=full, email="a@example.org", name="A")  # unconfirmed: no seat
    full.seats_taken = 1
    full.save(update_fields=["seats_taken"])

    body = text(client.get(reverse("labs:meeting_list")))

    assert "18:00" in body and "09:00" in body
    assert "5 seats left" in body
    assert "full — waiting list" in body


def test_the_list_filters_by_comune_of_the_meeting_or_of_the_lab(client):
    cremona, crema = ComuneFactory(name="Cremona"), ComuneFactory(name="Crema")
    lab_cremona = active_lab(title="Lab Cremona")
    lab_cremona.comuni.add(cremona)
    lab_crema = active_lab(title="Lab Crema")
    lab_crema.comuni.add(crema)
    MeetingFactory(lab=lab_cremona, title="Nel lab di Cremona")
    MeetingFactory(lab=lab_crema, title="A Cremona ospite", comune=cremona)
    MeetingFactory(lab=lab_crema, title="Solo a Crema")

    body = text(client.get(reverse("labs:meeting_list"), {"comune": cremona.pk}))

    assert "Nel lab di Cremona" in body
    assert "A Cremona ospite" in body
    assert "Solo a Crema" not in body
    assert "2 upcoming meetings" in body


def test_the_list_filters_by_lab_and_htmx_gets_the_results_only(client):
    one, other = active_lab(title="Primo"), active_lab(title="Secondo")
    MeetingFactory(lab=one, title="Del primo")
    MeetingFactory(lab=other, title="Del secondo")

    response = client.get(reverse("labs:meeting_list"), {"lab": one.slug}, HTTP_HX_REQUEST="true")

    body = text(response)
    assert "Del primo" in body and "Del secondo" not in body
    assert "<html" not in body and 'id="meeting-results"' in body


def test_an_unknown_filter_is_shown_as_an_error_and_filters_nothing(client):
    MeetingFactory(lab=active_lab(), title="Qualsiasi")

    response = client.get(reverse("labs:meeting_list"), {"lab": "nessuno"})

    assert response.status_code == 200
    body = text(response)
    assert "Qualsiasi" in body
    assert "Select a valid choice" in body


@pytest.mark.parametrize("many", [1, 12])
def test_the_list_reads_in_bounded_queries(client, citizen, many, django_assert_max_num_queries):
    """The same bound for one meeting as for many, in labs with comuni."""
    for n in range(many):
        lab = active_lab()
        lab.comuni.add(ComuneFactory())
        MeetingFactory(lab=lab, comune=ComuneFactory(), capacity=n, **at(n + 1))
    client.force_login(citizen)

    with django_assert_max_num_queries(7):
        response = client.get(reverse("labs:meeting_list"))

    assert text(response).count('class="legami-lab-meeting"') == many


# --- A lab's page ---------------------------------------------------------------------------


def test_the_lab_page_shows_the_lab_its_people_meetings_needs_and_interventions(client, make_user):
    lab = active_lab(title="Quartiere Cambonino", description="Un quartiere che si incontra.")
    lab.comuni.add(ComuneFactory(name="Cremona"))
    lab.facilitators.add(make_user(first_name="Anna", last_name="Rossi"))
    partner = OrganisationFactory(name="Cooperativa Il Cerchio")
    lab.organisations.add(partner)
    MeetingFactory(lab=lab, title="Prossimo incontro", **at(5))
    MeetingFactory(lab=lab, title="Incontro di ieri", **at(-1))
    Need.objects.create(lab=lab, title="Poco sostenuta", category=NeedCategory.OTHER)
    Need.objects.create(
        lab=lab, title="Panchine al parco", category=NeedCategory.PUBLIC_SPACE, votes_count=7
    )
    Intervention.objects.create(lab=lab, title="Merenda in piazza", owner=partner, plan="…")

    response = client.get(reverse("labs:lab_detail", args=[lab.slug]))

    assert response.status_code == 200
    body = text(response)
    for shown in (
        "Quartiere Cambonino",
        "Un quartiere che si incontra.",
        "Cremona",
        "Anna Rossi",
        "Cooperativa Il Cerchio",
        "Prossimo incontro",
        "Incontro di ieri",
        "7 supporters",
        "Merenda in piazza",
        reverse("labs:lab_feed", args=[lab.slug]),
    ):
        assert shown in body, shown
    assert body.index("Panchine al parco") < body.index("Poco sostenuta")


def test_the_lab_page_links_the_needs_board_when_it_exists(client):
    lab = active_lab()
    body = text(client.get(reverse("labs:lab_detail", args=[lab.slug])))
    try:
        board = reverse("labs:need_board", args=[lab.slug])
    except Exception:  # the board is another part of the app: without it, no link
        assert "/needs/" not in body
    else:
        assert board in body


def test_a_planned_lab_is_not_found_by_the_public(client):
    lab = LabFactory(status=LabStatus.PLANNED)
    assert client.get(reverse("labs:lab_detail", args=[lab.slug])).status_code == 404


@pytest.mark.parametrize("many", [1, 10])
def test_the_lab_page_reads_in_bounded_queries(
    client, make_user, many, django_assert_max_num_queries
):
    lab = active_lab()
    partner = OrganisationFactory()
    for n in range(many):
        lab.comuni.add(ComuneFactory())
        lab.facilitators.add(make_user(first_name=f"F{n}"))
        lab.organisations.add(OrganisationFactory())
        MeetingFactory(lab=lab, comune=ComuneFactory(), **at(n + 1))
        MeetingFactory(lab=lab, **at(-n - 1))
        Need.objects.create(lab=lab, title=f"Bisogno {n}", category=NeedCategory.OTHER)
        Intervention.objects.create(lab=lab, title=f"Intervento {n}", owner=partner, plan="…")

    with django_assert_max_num_queries(8):
        assert client.get(reverse("labs:lab_detail", args=[lab.slug])).status_code == 200


# --- Signing up -----------------------------------------------------------------------------


def test_a_person_with_an_account_gets_a_seat_with_one_button(client, citizen):
    meeting = MeetingFactory(lab=active_lab(), capacity=3)
    client.force_login(citizen)

    response = client.post(meeting_url(meeting), follow=True)

    registration = Registration.objects.get(meeting=meeting, user=citizen)
    assert registration.status == R.CONFIRMED
    body = text(response)
    assert f"You have a seat. Your code at the door is {registration.code}." in body
    assert "You are signed up" in body


def test_a_full_meeting_puts_the_account_on_the_waiting_list(client, citizen, make_user):
    meeting = MeetingFactory(lab=active_lab(), capacity=1)
    registration_create(meeting=meeting, user=make_user())
    client.force_login(citizen)

    page = text(client.get(meeting_url(meeting)))
    assert "Join the waiting list" in page
    response = client.post(meeting_url(meeting), follow=True)

    assert Registration.objects.get(meeting=meeting, user=citizen).status == R.WAITING
    assert "you are on the waiting list" in text(response)


def test_signing_up_twice_is_refused_on_the_page(client, citizen):
    meeting = MeetingFactory(lab=active_lab())
    registration_create(meeting=meeting, user=citizen)
    client.force_login(citizen)

    response = client.post(meeting_url(meeting))

    assert response.status_code == 400
    assert "This address is already signed up for this meeting." in text(response)
    assert Registration.objects.filter(meeting=meeting).count() == 1


def test_a_closed_registration_is_refused_on_the_page(client, citizen):
    meeting = MeetingFactory(
        lab=active_lab(), registration_closes_at=timezone.now() - dt.timedelta(hours=1)
    )
    client.force_login(citizen)

    assert "Sign-ups for this meeting are closed." in text(client.get(meeting_url(meeting)))
    response = client.post(meeting_url(meeting))

    assert response.status_code == 400
    assert "Sign-ups for this meeting are closed." in text(response)
    assert not Registration.objects.exists()


def test_a_guest_signs_up_confirms_from_the_mail_and_gets_a_seat(
    client, eager_tasks, django_capture_on_commit_callbacks
):
    """Name, address and the privacy notice; a mail with the link; GET shows the page,
    POST confirms."""
    meeting = MeetingFactory(lab=active_lab(), capacity=2, accessibility="Senza gradini")
    page = text(client.get(meeting_url(meeting)))
    assert "Privacy notice" in page and "Senza gradini" in page and "Via Roma 1" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            meeting_url(meeting),
            {"name": "Giulia Bianchi", "email": "Giulia@Example.org", "consent": "on"},
            follow=True,
        )

    registration = Registration.objects.get(meeting=meeting)
    assert (registration.status, registration.email, registration.user) == (
        R.UNCONFIRMED,
        "giulia@example.org",
        None,
    )
    assert "we have sent a link to giulia@example.org" in text(response)
    [message] = mail.outbox
    link = re.search(r"https?://\S+/registrations/\S+/confirm/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    assert client.get("/" + path).status_code == 200
    registration.refresh_from_db()
    assert registration.status == R.UNCONFIRMED  # opening the link changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/" + path)

    registration.refresh_from_db()
    assert registration.status == R.CONFIRMED


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "Ospite", "email": "non-valido", "consent": "on"}, "Enter a valid email"),
        ({"name": "", "email": "o@example.org", "consent": "on"}, "This field is required."),
        (
            {"name": "Ospite", "email": "o@example.org"},
            "Please agree to the privacy notice to sign up.",
        ),
    ],
)
def test_a_guest_s_mistakes_are_shown_under_the_fields(client, data, error):
    meeting = MeetingFactory(lab=active_lab())

    response = client.post(meeting_url(meeting), data)

    assert response.status_code == 400
    assert error in text(response)
    assert not Registration.objects.exists()
    assert mail.outbox == []


def test_the_guest_form_does_not_tell_who_is_signed_up(client):
    """Typing an address already signed up gets the same answer as a new one (whether
    someone is signed up is nobody else's business) and changes nothing."""
    meeting = MeetingFactory(lab=active_lab())
    registration_create(meeting=meeting, email="o@example.org", name="Ospite")

    response = client.post(
        meeting_url(meeting),
        {"name": "Ospite", "email": "O@example.org", "consent": "on"},
        follow=True,
    )

    assert response.status_code == 200
    assert "This address is already signed up" not in text(response)
    assert "we have sent a link to o@example.org" in text(response)
    assert Registration.objects.count() == 1


@pytest.mark.parametrize("many", [0, 8])
def test_the_meeting_page_reads_in_bounded_queries(
    client, citizen, make_user, many, django_assert_max_num_queries
):
    meeting = MeetingFactory(lab=active_lab(), capacity=3, comune=ComuneFactory())
    for _ in range(many):
        registration_create(meeting=meeting, user=make_user())
    registration_create(meeting=meeting, user=citizen)
    client.force_login(citizen)

    with django_assert_max_num_queries(5):
        assert client.get(meeting_url(meeting)).status_code == 200


# --- Calendar files -------------------------------------------------------------------------


def test_the_lab_feed_is_a_calendar_of_its_meetings(client):
    lab = active_lab(title="Lab del calendario")
    kept = MeetingFactory(lab=lab, title="In calendario", **at(2))
    MeetingFactory(lab=lab, title="Annullato", status=MeetingStatus.CANCELLED)
    MeetingFactory(lab=active_lab(), title="Di un altro lab")

    response = client.get(reverse("labs:lab_feed", args=[lab.slug]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"meeting-{kept.pk}@legami"]
    assert events[0].decoded("dtstart") == kept.starts_at


def test_one_meeting_as_a_calendar_file(client):
    meeting = MeetingFactory(lab=active_lab(), title="Da aggiungere")

    response = client.get(reverse("labs:meeting_ics", args=[meeting.lab.slug, meeting.pk]))

    assert response["Content-Type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert "Da aggiungere" in str(event["summary"])


# --- My registrations -----------------------------------------------------------------------


def test_my_registrations_lists_mine_only_with_status_and_code(client, citizen, make_user):
    mine = registration_create(
        meeting=MeetingFactory(lab=active_lab(), title="Il mio"), user=citizen
    )
    registration_create(meeting=MeetingFactory(lab=active_lab(), title="Altrui"), user=make_user())
    client.force_login(citizen)

    body = text(client.get(reverse("labs:my_registrations")))

    assert "Il mio" in body and mine.code in body and "Status: <strong>confirmed</strong>" in body
    assert "Altrui" not in body


def test_my_registrations_asks_to_log_in(client):
    response = client.get(reverse("labs:my_registrations"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_cancelling_from_my_registrations_promotes_the_next_on_the_waiting_list(
    client, citizen, make_user, eager_tasks, django_capture_on_commit_callbacks
):
    """Given a full meeting with one person waiting, when the seat holder cancels from
    their page, then the waiting person gets the seat and a mail about it."""
    meeting = MeetingFactory(lab=active_lab(), capacity=1)
    seat = registration_create(meeting=meeting, user=citizen)
    waiting = registration_create(meeting=meeting, user=make_user("waiting@example.org"))
    assert waiting.status == R.WAITING
    client.force_login(citizen)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("labs:my_registration_cancel", args=[seat.pk]), follow=True)

    assert "Your registration is cancelled." in text(response)
    seat.refresh_from_db()
    waiting.refresh_from_db()
    assert (seat.status, waiting.status) == (R.CANCELLED, R.CONFIRMED)
    assert [m.to for m in mail.outbox] == [["waiting@example.org"]]
    assert "freed up" in mail.outbox[0].subject


def test_nobody_cancels_another_person_s_registration(client, citizen, make_user):
    other = registration_create(meeting=MeetingFactory(lab=active_lab()), user=make_user())
    client.force_login(citizen)

    response = client.post(reverse("labs:my_registration_cancel", args=[other.pk]))

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == R.CONFIRMED


@pytest.mark.parametrize("many", [1, 10])
def test_my_registrations_reads_in_bounded_queries(
    client, citizen, many, django_assert_max_num_queries
):
    for n in range(many):
        registration_create(meeting=MeetingFactory(lab=active_lab(), **at(n + 1)), user=citizen)
    client.force_login(citizen)

    with django_assert_max_num_queries(4):
        assert client.get(reverse("labs:my_registrations")).status_code == 200
