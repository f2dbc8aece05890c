"""Calendar files: one meeting as an .ics with its times in UTC, its title, place and
link, and a lab's feed with one event per meeting, cancelled ones marked as such."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from labs.ical import lab_feed, meeting_ics
from labs.models import MeetingStatus
from tests.labs.factories import LabFactory, MeetingFactory

pytestmark = pytest.mark.django_db

ROME = dt.timezone(dt.timedelta(hours=1))


def events(data: bytes) -> list:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_a_meeting_is_one_event_with_its_times_in_utc_title_and_place():
    """The .ics of a meeting has one event: a stable UID, start and end at the meeting's
    instants written in UTC, the lab and meeting titles, and the place with its address."""
    lab = LabFactory(title="Lab Porta Nuova")
    meeting = MeetingFactory(
        lab=lab,
        title="Ascolto dei bisogni",
        starts_at=dt.datetime(2030, 3, 5, 18, 30, tzinfo=ROME),
        ends_at=dt.datetime(2030, 3, 5, 20, 0, tzinfo=ROME),
        place="Biblioteca civica",
        address="Via Dante 3",
    )

    (event,) = events(meeting_ics(meeting))

    assert str(event["UID"]) == f"meeting-{meeting.pk}@legami"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == meeting.starts_at
    assert end == meeting.ends_at
    assert start.utcoffset() == dt.timedelta(0)
    assert (start.hour, start.minute) == (17, 30)
    assert "Lab Porta Nuova" in str(event["SUMMARY"])
    assert "Ascolto dei bisogni" in str(event["SUMMARY"])
    assert str(event["LOCATION"]) == "Biblioteca civica, Via Dante 3"
    assert "URL" not in event
    assert str(event["STATUS"]) == "CONFIRMED"


def test_an_online_meeting_carries_its_link():
    """An online meeting gives the link as URL (and in the description)."""
    meeting = MeetingFactory(place="", address="", online_url="https://meet.example.org/lab")

    (event,) = events(meeting_ics(meeting))

    assert str(event["URL"]) == "https://meet.example.org/lab"
    assert "https://meet.example.org/lab" in str(event["DESCRIPTION"])
    assert "LOCATION" not in event


def test_a_lab_feed_has_one_event_per_meeting_and_marks_the_cancelled_one():
    """The lab's feed lists every meeting given, each with its own UID; a cancelled
    meeting stays in the feed with STATUS:CANCELLED so that calendars drop it."""
    lab = LabFactory()
    meetings = [MeetingFactory(lab=lab) for _ in range(3)]
    cancelled = MeetingFactory(lab=lab, status=MeetingStatus.CANCELLED)

    found = events(lab_feed(lab, [*meetings, cancelled]))

    assert len(found) == 4
    by_uid = {str(event["UID"]): event for event in found}
    assert set(by_uid) == {f"meeting-{m.pk}@legami" for m in [*meetings, cancelled]}
    assert str(by_uid[f"meeting-{cancelled.pk}@legami"]["STATUS"]) == "CANCELLED"
    assert {str(by_uid[f"meeting-{m.pk}@legami"]["STATUS"]) for m in meetings} == {"CONFIRMED"}
    assert str(Calendar.from_ical(lab_feed(lab, meetings))["X-WR-CALNAME"]) == lab.title


def test_a_cancelled_meeting_alone_is_marked_cancelled():
    """The single-meeting .ics of a cancelled meeting says so too."""
    meeting = MeetingFactory(status=MeetingStatus.CANCELLED)

    (event,) = events(meeting_ics(meeting))

    assert str(event["STATUS"]) == "CANCELLED"
