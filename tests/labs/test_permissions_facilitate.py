"""Permission matrix of the facilitators' pages (/labs/manage/…, see tests/permissions.py).

The world: a lab with its meetings, run by ``lab_facilitator``; the ``facilitator``
role facilitates another lab (so it has the list and may start labs, but the world's lab
and its meetings are not revealed to it: 404); a ``researcher`` may run the workshop lab
of a research pathway it leads (it has the list, finds nothing of the world's lab, and
cannot start a community lab); ``ambito_admin`` administers the lab's ambito and
``network_admin`` runs every lab. Other roles run no lab at all (403); anonymous
visitors are sent to log in.

State-changing rows run each in a fresh world; a refusal by a service still answers
(with a redirect or the form): the rows check who may ask, the page tests what happens.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from labs.models import Meeting
from labs.services import registration_create
from legami.roles import Role
from tests.labs.factories import LabFactory, MeetingFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import MembershipFactory
from tests.permissions import ROLES, Row, check, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("lab_facilitator",)
EVERYONE = (*ROLES, *EXTRA)

Expected = dict[str, int | tuple[int, ...]]
LOGIN: Expected = {"anonymous": 302}
RUNNERS = ("lab_facilitator", Role.AMBITO_ADMIN, Role.NETWORK_ADMIN)

# The list of the labs one runs: whoever may run some lab (researchers run the workshop
# labs of the research pathways they lead). Starting a (community) lab: facilitators
# and administrators.
LIST: Expected = {**LOGIN, **dict.fromkeys((*RUNNERS, Role.FACILITATOR, Role.RESEARCHER), 200)}
CREATE: Expected = {**LOGIN, **dict.fromkeys((*RUNNERS, Role.FACILITATOR), 200)}
CREATE_POST: Expected = {**LOGIN, **dict.fromkeys((*RUNNERS, Role.FACILITATOR), 302)}
# The world's lab and its meetings: its runners; another lab's facilitator, or a
# researcher, finds nothing.
OTHERS = (Role.FACILITATOR, Role.RESEARCHER)
PAGE: Expected = {**LOGIN, **dict.fromkeys(OTHERS, 404), **dict.fromkeys(RUNNERS, 200)}
POST: Expected = {**LOGIN, **dict.fromkeys(OTHERS, 404), **dict.fromkeys(RUNNERS, 302)}

M = "/labs/manage/meetings/{meeting.pk}/"
PAST = "/labs/manage/meetings/{past.pk}/"


def _rows(method: str, url: str, expected: Expected, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=403, roles=EVERYONE, **kwargs)


LAB = {
    "title": "Laboratorio nuovo",
    "slug": "laboratorio-nuovo",
    "context": "town",
    "status": "planned",
    "ambito": "{ambito.pk}",
    "comuni": "{comune.pk}",
    "facilitators": "{facilitator_id}",
}
MEETING = {
    "title": "Incontro",
    "starts_at": "{starts}",
    "ends_at": "{ends}",
    "place": "Sala civica",
    "capacity": "10",
    "reserved_seats": "0",
}

ROWS: list[Row] = [
    *_rows("GET", "/labs/manage/", LIST),
    *_rows("GET", "/labs/manage/new/", CREATE),
    *_rows("POST", "/labs/manage/new/", CREATE_POST, data=LAB),
    *_rows("GET", "/labs/manage/{lab.slug}/edit/", PAGE),
    *_rows(
        "POST",
        "/labs/manage/{lab.slug}/edit/",
        POST,
        data={**LAB, "slug": "{lab.slug}", "title": "Titolo nuovo"},
    ),
    *_rows("GET", "/labs/manage/{lab.slug}/meetings/new/", PAGE),
    *_rows("POST", "/labs/manage/{lab.slug}/meetings/new/", POST, data=MEETING),
    *_rows("GET", M + "edit/", PAGE),
    *_rows("POST", M + "edit/", POST, data=MEETING),
    *_rows("POST", M + "cancel/", POST),
    *_rows("GET", M + "registrations/", PAGE),
    *_rows("GET", M + "attendance/", PAGE),
    *_rows(
        "POST",
        M + "attendance/",
        POST,
        data={"registration": "{registration.pk}", "attended": "1"},
    ),
    *_rows("GET", PAST + "close/", PAGE),
    *_rows(
        "POST",
        PAST + "close/",
        POST,
        data={
            "summary": "Ne abbiamo parlato",
            "needs-TOTAL_FORMS": "1",
            "needs-INITIAL_FORMS": "0",
            "needs-0-title": "Panchine",
            "needs-0-category": "public_space",
        },
    ),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    ambito = AmbitoFactory()
    comune = ComuneFactory(ambito=ambito)
    lab_facilitator = make_user("lab.facilitator@example.org", role=Role.FACILITATOR)
    other_facilitator = MembershipFactory(role=Role.FACILITATOR).user
    admin = MembershipFactory(role=Role.AMBITO_ADMIN).user
    admin.memberships.get().organisation.ambiti.add(ambito)
    enable_totp(admin)
    lab = LabFactory(ambito=ambito, status="active")
    lab.comuni.add(comune)
    lab.facilitators.add(lab_facilitator)
    LabFactory().facilitators.add(other_facilitator)
    now = timezone.now()
    meeting = MeetingFactory(lab=lab, starts_at=now + dt.timedelta(hours=1))
    registration = registration_create(meeting=meeting, user=make_user("p@example.org"))
    past = MeetingFactory(lab=lab)
    Meeting.objects.filter(pk=past.pk).update(
        starts_at=now - dt.timedelta(hours=4), ends_at=now - dt.timedelta(hours=2)
    )
    starts = timezone.localtime(now + dt.timedelta(days=10))
    return {
        "users": {
            "lab_facilitator": lab_facilitator,
            Role.FACILITATOR: other_facilitator,
            Role.AMBITO_ADMIN: admin,
        },
        "ambito": ambito,
        "comune": comune,
        "lab": lab,
        "meeting": meeting,
        "registration": registration,
        "past": past,
        "facilitator_id": lab_facilitator.pk,
        "starts": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends": (starts + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_facilitate_page_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= {*ROLES, *EXTRA}


def test_every_facilitate_route_has_a_row():
    """Every page of labs/views/facilitate.py is named by a row."""
    from labs.views import facilitate

    routes = [f"labs/{r}" for r in _walk(facilitate.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
