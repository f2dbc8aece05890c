"""Calendar files of the labs (RFC 5545, with the icalendar library): one meeting as an
.ics attached to the confirmation mail, and each lab's feed that calendar apps can
subscribe to. Times are written in UTC; apps show them in their own zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from labs.models import Lab, Meeting, MeetingStatus

PRODID = "-//Rete Well-fare Legami//Legami//IT"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    return calendar


def _event(meeting: Meeting) -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@legami")
    event.add("summary", f"{meeting.lab.title}: {meeting.title}")
    event.add("dtstart", meeting.starts_at.astimezone(dt.UTC))
    event.add("dtend", meeting.ends_at.astimezone(dt.UTC))
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    location = ", ".join(part for part in (meeting.place, meeting.address) if part)
    if location:
        event.add("location", location)
    description = "\n\n".join(part for part in (meeting.agenda, meeting.online_url) if part)
    if description:
        event.add("description", description)
    if meeting.online_url:
        event.add("url", meeting.online_url)
    event.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED")
    return event


def meeting_ics(meeting: Meeting) -> bytes:
    """One meeting as an .ics file."""
    calendar = _calendar(meeting.lab.title)
    calendar.add("method", "PUBLISH")
    calendar.add_component(_event(meeting))
    return calendar.to_ical()


def lab_feed(lab: Lab, meetings: Iterable[Meeting]) -> bytes:
    """A lab's meetings as a subscribable calendar."""
    calendar = _calendar(lab.title)
    for meeting in meetings:
        calendar.add_component(_event(meeting))
    return calendar.to_ical()
