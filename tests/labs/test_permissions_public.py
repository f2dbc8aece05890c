"""Permission matrix of the public lab pages (labs/views/public.py) and of the links in
the registration mails (labs/views/registration.py); see tests/permissions.py.

The world: a lab under way with a meeting, and a planned lab with its own meeting.
Everybody, anonymous visitors included, reads the lab under way, its meetings and
calendars and signs up (a guest with name, address and consent; a person with an
account with the button). A planned lab is seen only by those who run it: its
facilitator (``lab_facilitator``) and network administrators; to everybody else it does
not exist (404). ``registrant`` has a seat at the meeting: signing up again is refused
(400), and only they cancel it from their page (anybody else: 404). The mail links work
for whoever holds a valid token (200, 302), and a forged token finds nothing (404).
"""

from __future__ import annotations

import pytest
from django.core import signing

from labs.models import LabStatus
from labs.services import registration_create, registration_token
from legami.roles import Role
from tests.labs.factories import LabFactory, MeetingFactory
from tests.legami.factories import ComuneFactory
from tests.permissions import ROLES, Row, check, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("lab_facilitator", "registrant")
EVERYONE = (*ROLES, *EXTRA)
LOGGED_IN = tuple(role for role in EVERYONE if role != "anonymous")

Expected = dict[str, int | tuple[int, ...]]
RUNNERS = ("lab_facilitator", Role.NETWORK_ADMIN)

L = "/labs/{lab.slug}/"
M = L + "meetings/{meeting.pk}/"
PL = "/labs/{planned.slug}/"
PM = PL + "meetings/{planned_meeting.pk}/"
GUEST = {"name": "Ospite", "email": "ospite@example.org", "consent": "on"}

PLANNED: Expected = dict.fromkeys(RUNNERS, 200)
PLANNED_SIGN_UP: Expected = dict.fromkeys(RUNNERS, 302)
SIGN_UP: Expected = {"registrant": 400}
MINE: Expected = {"anonymous": 302}
CANCEL_MINE: Expected = {"anonymous": 302, "registrant": 302}
CANCEL_MINE_GET: Expected = {"anonymous": 302}


def _rows(method: str, url: str, expected: Expected, default: int, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=default, roles=EVERYONE, **kwargs)


ROWS: list[Row] = [
    # --- labs/views/public.py ----------------------------------------------------------------
    *_rows("GET", "/labs/", {}, 200),
    *_rows("GET", "/labs/?comune={comune.pk}&lab={lab.slug}", {}, 200),
    *_rows("GET", L, {}, 200),
    *_rows("GET", PL, PLANNED, 404),
    *_rows("GET", L + "calendar.ics", {}, 200),
    *_rows("GET", PL + "calendar.ics", PLANNED, 404),
    *_rows("GET", M, {}, 200),
    *_rows("GET", PM, PLANNED, 404),
    *_rows("POST", M, SIGN_UP, 302, data=GUEST),
    *_rows("POST", PM, PLANNED_SIGN_UP, 404, data=GUEST),
    *_rows("GET", M + "meeting.ics", {}, 200),
    *_rows("GET", PM + "meeting.ics", PLANNED, 404),
    *_rows("GET", "/labs/mine/", MINE, 200),
    *_rows("POST", "/labs/mine/{registration.pk}/cancel/", CANCEL_MINE, 404),
    *_rows("GET", "/labs/mine/{registration.pk}/cancel/", CANCEL_MINE_GET, 405),
    # --- labs/views/registration.py: the links of the mails ----------------------------------
    *_rows("GET", "/labs/registrations/{token}/confirm/", {}, 200),
    *_rows("POST", "/labs/registrations/{token}/confirm/", {}, 302),
    *_rows("GET", "/labs/registrations/{forged}/confirm/", {}, 404),
    *_rows("POST", "/labs/registrations/{forged}/confirm/", {}, 404),
    *_rows("GET", "/labs/registrations/{token}/cancel/", {}, 200),
    *_rows("POST", "/labs/registrations/{token}/cancel/", {}, 302),
    *_rows("GET", "/labs/registrations/{forged}/cancel/", {}, 404),
    *_rows("POST", "/labs/registrations/{forged}/cancel/", {}, 404),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    comune = ComuneFactory(name="Cremona")
    lab = LabFactory(status=LabStatus.ACTIVE)
    lab.comuni.add(comune)
    meeting = MeetingFactory(lab=lab, capacity=10)
    lab_facilitator = make_user("lab.facilitator@matrix.example.org", role=Role.FACILITATOR)
    enable_totp(lab_facilitator)
    planned = LabFactory(status=LabStatus.PLANNED)
    planned.facilitators.add(lab_facilitator)
    registrant = make_user("registrant@matrix.example.org")
    guest = registration_create(meeting=meeting, email="guest@example.org", name="Ospite")
    return {
        "users": {"lab_facilitator": lab_facilitator, "registrant": registrant},
        "comune": comune,
        "lab": lab,
        "meeting": meeting,
        "planned": planned,
        "planned_meeting": MeetingFactory(lab=planned),
        "registration": registration_create(meeting=meeting, user=registrant),
        "token": registration_token(guest),
        # The guest's id and nonce, signed with another key: refused.
        "forged": signing.dumps([guest.pk, guest.nonce], key="forged-" + "x" * 40),
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_public_lab_page_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(EVERYONE)


def test_every_public_and_mail_link_route_has_a_row():
    """Every page of labs/views/public.py and labs/views/registration.py is named by a
    row."""
    from labs.views import public, registration

    routes = [f"labs/{r}" for r in _walk([*public.urlpatterns, *registration.urlpatterns])]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
