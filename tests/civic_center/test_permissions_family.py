"""Permission matrix of the families' pages of the Civic Center
(civic_center/views/family.py); see tests/permissions.py.

The world: ``family`` has an open demand (``demand``) in a proposed group; an operator
(``entering_operator``) entered another demand (``behalf``) for a family without an
account. Everybody, anonymous visitors included, reads the front page and a valid
invitation (a code that names no demand: 404). Asking for a service and one's own
demands need an account (anonymous: the login page, 302); every logged-in person may
ask for a service (302 to the new demand), except partner staff (a provider's work
account: 403) and ``family``, which already has a live demand for the same service and
period (400). Entering a demand for a family is for operators and coordinators (else
403). A demand, and its buttons, exist only for its family and for
who entered it (anybody else: 404); the buttons are POST only (405)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from civic_center import services, windows
from civic_center.models import Agreement, AgreementMember, DemandStatus
from legami.roles import Role
from tests.civic_center.factories import DemandFactory, OfferFactory, ServiceCategoryFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.permissions import ROLES, Row, check, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("family", "entering_operator")
EVERYONE = (*ROLES, *EXTRA)
LOGGED_IN = tuple(role for role in EVERYONE if role != "anonymous")
ON_BEHALF_ROLES = (Role.OPERATOR, Role.COORDINATOR, "entering_operator")

Expected = dict[str, int | tuple[int, ...]]

D = "/civic-center/domande/{demand.public_id}/"
B = "/civic-center/domande/{behalf.public_id}/"
_START = timezone.localdate() + dt.timedelta(days=20)
DEMAND = {
    "category": "{category.code}",
    "comune": "{comune.pk}",
    "windows": [str(windows.index(0, 1)), str(windows.index(3, 2))],
    "start_date": _START.isoformat(),
    "end_date": (_START + dt.timedelta(days=60)).isoformat(),
    "quantity_per_week": "3",
    "max_unit_price": "14",
    "accepts_sharing": "on",
}
FOR_A_FAMILY = {**DEMAND, "contact_name": "Famiglia Verdi", "contact_phone": "0372 222222"}

ANONYMOUS_LOGIN: Expected = {"anonymous": 302}
# A provider's work account states no demand of its own (the pool shows prices).
CREATE_GET: Expected = {"anonymous": 302, Role.PARTNER_STAFF: 403}
CREATE: Expected = {"anonymous": 302, "family": 400, Role.PARTNER_STAFF: 403}
ON_BEHALF_GET: Expected = {"anonymous": 302, **dict.fromkeys(ON_BEHALF_ROLES, 200)}
ON_BEHALF_POST: Expected = {"anonymous": 302, **dict.fromkeys(ON_BEHALF_ROLES, 302)}
FAMILY_ONLY_GET: Expected = {"anonymous": 302, "family": 200}
FAMILY_ONLY_POST: Expected = {"anonymous": 302, "family": 302}
BEHALF_GET: Expected = {"anonymous": 302, "entering_operator": 200}
BEHALF_POST: Expected = {"anonymous": 302, "entering_operator": 302}


def _rows(method: str, url: str, expected: Expected, default: int, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=default, roles=EVERYONE, **kwargs)


ROWS: list[Row] = [
    *_rows("GET", "/civic-center/", {}, 200),
    *_rows("GET", "/civic-center/domande/", ANONYMOUS_LOGIN, 200),
    *_rows("GET", "/civic-center/domande/nuova/", CREATE_GET, 200),
    *_rows("GET", "/civic-center/domande/nuova/?invito={token}", CREATE_GET, 200),
    *_rows("POST", "/civic-center/domande/nuova/", CREATE, 302, data=DEMAND),
    *_rows("GET", "/civic-center/domande/per-una-famiglia/", ON_BEHALF_GET, 403),
    *_rows(
        "POST", "/civic-center/domande/per-una-famiglia/", ON_BEHALF_POST, 403, data=FOR_A_FAMILY
    ),
    *_rows("GET", D, FAMILY_ONLY_GET, 404),
    *_rows("GET", B, BEHALF_GET, 404),
    *_rows("POST", D + "ritira/", FAMILY_ONLY_POST, 404),
    *_rows("POST", B + "ritira/", BEHALF_POST, 404),
    *_rows("GET", D + "ritira/", ANONYMOUS_LOGIN, 405),
    *_rows("POST", D + "accetta/", FAMILY_ONLY_POST, 404),
    *_rows("GET", D + "accetta/", ANONYMOUS_LOGIN, 405),
    *_rows("POST", D + "rifiuta/", FAMILY_ONLY_POST, 404),
    *_rows("GET", D + "rifiuta/", ANONYMOUS_LOGIN, 405),
    *_rows("GET", "/civic-center/invito/{token}/", {}, 200),
    *_rows("GET", "/civic-center/invito/{forged}/", {}, 404),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    comune = ComuneFactory(name="Casalbuttano", ambito=AmbitoFactory())
    category = ServiceCategoryFactory(code="matrice-doposcuola")
    family = make_user("family@matrix.example.org")
    entering_operator = make_user("entering.operator@matrix.example.org", role=Role.OPERATOR)
    enable_totp(entering_operator)
    demand = DemandFactory(family=family, category=category, comune=comune)
    offer = OfferFactory(category=category, comuni=[comune])
    agreement = Agreement.objects.create(
        offer=offer,
        group_size=3,
        tier_min_families=3,
        unit_price="12.00",
        single_family_price="15.00",
        start_date=demand.start_date,
        end_date=demand.end_date,
    )
    AgreementMember.objects.create(
        agreement=agreement, demand=demand, units_per_week="4", split={"4": "4"}
    )
    demand.status = DemandStatus.PROPOSED
    demand.save(update_fields=["status"])
    behalf = DemandFactory(
        family=None, created_by=entering_operator, contact_name="Famiglia Neri", comune=comune
    )
    return {
        "users": {"family": family, "entering_operator": entering_operator},
        "comune": comune,
        "category": category,
        "demand": demand,
        "behalf": behalf,
        "token": services.invitation_token(demand),
        "forged": "no-such-invitation-code",
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_family_page_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(EVERYONE)


def test_every_family_route_has_a_row():
    """Every page of civic_center/views/family.py is named by a row."""
    from civic_center.views import family

    routes = [f"civic-center/{r}" for r in _walk(family.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
