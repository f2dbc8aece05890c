"""Permission matrix of the pacts API (see tests/permissions.py).

Besides the project's roles: ``assigned_worker``, the social worker assigned to the case
of the pacts under test (who drafted them); ``partner_signer``, partner staff of the
organisation that signs them. The coordinator's organisation serves the cases' ambito.
The ``operator`` role is a social worker who is not assigned: the policy lets them ask
(they may see some pacts) and they do not find these ones (404). The ``partner_staff``
role works at an organisation that signs none of them: it reads no pact (404), and may
change none (403, before any lookup). Roles that reach no pact at all are refused (403).

Each row builds only the pacts it names (``world`` reads the row), through the services,
so that every pact is one the state machine could reach.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from legami.roles import Role
from pacts.models import PactStatus, Reminder, ReminderKind, SignatoryKind
from pacts.services import follow, ledger
from partners.models import Membership
from tests.beneficiaries.factories import assign
from tests.legami.factories import AmbitoFactory
from tests.pacts.factories import pact_in
from tests.partners.factories import OrganisationFactory
from tests.permissions import ROLES, Row, check, make_role_user, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

S = PactStatus
EXTRA = ("assigned_worker", "partner_signer")
EVERYONE = (*ROLES, *EXTRA)
CASE_READERS = ("assigned_worker", Role.COORDINATOR)

API = "/api/v1/pacts"
ACTIVE = API + "/{active.public_id}"
DRAFT = API + "/{draft.public_id}"
PROPOSED = API + "/{proposed.public_id}"

BASE = {"anonymous": 401}
# Reading a pact: its case readers and the signing partner; the others who may read some
# pact do not find this one.
READ = {
    **BASE,
    Role.OPERATOR: 404,
    Role.PARTNER_STAFF: 404,
    "partner_signer": 200,
    **dict.fromkeys(CASE_READERS, 200),
}
# Changing a pact: its case readers; partner staff may change no pact.
CHANGE = {**BASE, Role.OPERATOR: 404, **dict.fromkeys(CASE_READERS, 200)}
CREATED = {**CHANGE, **dict.fromkeys(CASE_READERS, 201)}
DELETED = {**CHANGE, **dict.fromkeys(CASE_READERS, 204)}
# What only full readers see (reviews, placements): partner staff are refused outright.
FOLLOW = {**BASE, Role.OPERATOR: 404, **dict.fromkeys(CASE_READERS, 200)}
# Hours: partner staff reach the ledger of the pacts their organisation signs.
HOURS = {**BASE, Role.OPERATOR: 404, Role.PARTNER_STAFF: 404}

ROWS: list[Row] = [
    *rows(
        "GET",
        API + "/",
        {
            **BASE,
            Role.OPERATOR: 200,
            Role.PARTNER_STAFF: 200,
            "partner_signer": 200,
            **dict.fromkeys(CASE_READERS, 200),
        },
        default=403,
        roles=EVERYONE,
        ids={
            Role.OPERATOR: "nothing",
            Role.PARTNER_STAFF: "nothing",
            "partner_signer": "pacts",
            **dict.fromkeys(CASE_READERS, "pacts"),
        },
        id_field="public_id",
    ),
    # Drafting: for a case the user may change. An unassigned worker cannot name it.
    *rows(
        "POST",
        API + "/",
        {**BASE, Role.OPERATOR: 400, **dict.fromkeys(CASE_READERS, 201)},
        default=403,
        roles=EVERYONE,
        data={"case": "{case.pk}", "title": "Nuovo patto"},
    ),
    *rows("GET", ACTIVE + "/", READ, default=403, roles=EVERYONE),
    *rows("PATCH", DRAFT + "/", CHANGE, default=403, roles=EVERYONE, data={"title": "Nuovo"}),
    # --- The lifecycle --------------------------------------------------------------------
    *rows("POST", DRAFT + "/propose/", CHANGE, default=403, roles=EVERYONE),
    *rows("POST", PROPOSED + "/back-to-draft/", CHANGE, default=403, roles=EVERYONE),
    *rows("POST", API + "/{signed.public_id}/start/", CHANGE, default=403, roles=EVERYONE),
    *rows(
        "POST",
        PROPOSED + "/interrupt/",
        CHANGE,
        default=403,
        roles=EVERYONE,
        data={"reason": "Trasferito"},
    ),
    *rows(
        "POST",
        API + "/{completed.public_id}/renew/",
        CREATED,
        default=403,
        roles=EVERYONE,
        data={"title": "Secondo patto"},
    ),
    *rows("POST", ACTIVE + "/review-start/", CHANGE, default=403, roles=EVERYONE),
    # Signing for the partner organisation: its staff only (the service decides, after
    # the policy let everyone who reads the pact ask).
    *rows(
        "POST",
        PROPOSED + "/sign/",
        {**READ, **dict.fromkeys(CASE_READERS, 403)},
        default=403,
        roles=EVERYONE,
        data={"signatory": "{partner_signatory.pk}"},
    ),
    # Balances and outcomes: full readers only.
    *rows(
        "GET", ACTIVE + "/balance/", {**READ, "partner_signer": 403}, default=403, roles=EVERYONE
    ),
    *rows(
        "GET", ACTIVE + "/outcomes/", {**READ, "partner_signer": 403}, default=403, roles=EVERYONE
    ),
    # --- Goals, commitments, signatories --------------------------------------------------
    *rows(
        "GET",
        ACTIVE + "/goals/",
        READ,
        default=403,
        roles=EVERYONE,
        ids={"partner_signer": "partner_goals", **dict.fromkeys(CASE_READERS, "goals")},
    ),
    *rows(
        "POST",
        DRAFT + "/goals/",
        CREATED,
        default=403,
        roles=EVERYONE,
        data={"description": "Nuovo", "indicator": "Conteggio", "target_date": "2030-01-01"},
    ),
    *rows(
        "PATCH",
        DRAFT + "/goals/{draft_goal.pk}/",
        CHANGE,
        default=403,
        roles=EVERYONE,
        data={"target": "Due volte"},
    ),
    *rows("DELETE", DRAFT + "/goals/{draft_goal.pk}/", DELETED, default=403, roles=EVERYONE),
    *rows(
        "GET",
        ACTIVE + "/commitments/",
        READ,
        default=403,
        roles=EVERYONE,
        ids={"partner_signer": "commitments", **dict.fromkeys(CASE_READERS, "commitments")},
    ),
    *rows(
        "POST",
        DRAFT + "/commitments/",
        CREATED,
        default=403,
        roles=EVERYONE,
        data={
            "direction": "gives_back",
            "kind": "lab",
            "description": "Laboratorio",
            "owner": "Centro anziani",
            "quantity": "2",
            "unit": "times",
            "period": "month",
        },
    ),
    *rows(
        "PATCH",
        DRAFT + "/commitments/{draft_commitment.pk}/",
        CHANGE,
        default=403,
        roles=EVERYONE,
        data={"quantity": "4"},
    ),
    *rows(
        "DELETE",
        DRAFT + "/commitments/{draft_commitment.pk}/",
        DELETED,
        default=403,
        roles=EVERYONE,
    ),
    *rows(
        "GET",
        ACTIVE + "/signatories/",
        READ,
        default=403,
        roles=EVERYONE,
        ids={"partner_signer": "signatories", **dict.fromkeys(CASE_READERS, "signatories")},
    ),
    *rows(
        "POST",
        DRAFT + "/signatories/",
        CREATED,
        default=403,
        roles=EVERYONE,
        data={"kind": "community", "name": "Parrocchia di San Luca"},
    ),
    *rows(
        "DELETE",
        DRAFT + "/signatories/{draft_signatory.pk}/",
        DELETED,
        default=403,
        roles=EVERYONE,
    ),
    # --- Reviews and placements: the case readers ------------------------------------------
    *rows(
        "GET",
        ACTIVE + "/reviews/",
        FOLLOW,
        default=403,
        roles=EVERYONE,
        ids=dict.fromkeys(CASE_READERS, "nothing"),
    ),
    *rows(
        "POST",
        ACTIVE + "/reviews/",
        {**FOLLOW, **dict.fromkeys(CASE_READERS, 201)},
        default=403,
        roles=EVERYONE,
        data={"final": True, "outcomes": "{outcomes}"},
    ),
    *rows(
        "GET",
        ACTIVE + "/placements/",
        FOLLOW,
        default=403,
        roles=EVERYONE,
        ids=dict.fromkeys(CASE_READERS, "placements"),
    ),
    *rows(
        "POST",
        ACTIVE + "/placements/",
        {**FOLLOW, **dict.fromkeys(CASE_READERS, 201)},
        default=403,
        roles=EVERYONE,
        data={
            "host_name": "Falegnameria Rossi",
            "tutor": "Mario Rossi",
            "start_date": "2026-01-01",
            "end_date": "2026-06-30",
            "hours_per_week": "20",
        },
    ),
    *rows(
        "PATCH",
        ACTIVE + "/placements/{placement.pk}/",
        FOLLOW,
        default=403,
        roles=EVERYONE,
        data={"notes": "Va bene"},
    ),
    # --- Hours: the case readers, and the signing partner for its own organisation ---------
    *rows(
        "GET",
        ACTIVE + "/transactions/",
        {**HOURS, "partner_signer": 200, **dict.fromkeys(CASE_READERS, 200)},
        default=403,
        roles=EVERYONE,
        ids={
            "partner_signer": "partner_transactions",
            **dict.fromkeys(CASE_READERS, "transactions"),
        },
    ),
    *rows(
        "POST",
        ACTIVE + "/transactions/",
        {**HOURS, "partner_signer": 201, **dict.fromkeys(CASE_READERS, 201)},
        default=403,
        roles=EVERYONE,
        data={
            "hours": "1.5",
            "date": "{today}",
            "direction": "gives_back",
            "organisation": "{partner_org.pk}",
        },
    ),
    *rows(
        "POST",
        ACTIVE + "/transactions/{transaction.pk}/reverse/",
        {**HOURS, "partner_signer": 201, **dict.fromkeys(CASE_READERS, 201)},
        default=403,
        roles=EVERYONE,
        data={"reason": "Data sbagliata"},
    ),
    # --- Reminders: one's own -----------------------------------------------------------
    *rows(
        "GET",
        "/api/v1/pact-reminders/",
        BASE,
        default=200,
        roles=EVERYONE,
        ids={
            **{role: "nothing" for role in EVERYONE if role != "anonymous"},
            "assigned_worker": "reminders",
        },
    ),
    *rows(
        "POST",
        "/api/v1/pact-reminders/{reminder.pk}/dismiss/",
        {**BASE, "assigned_worker": 200},
        default=404,
        roles=EVERYONE,
    ),
]


# --- The world ---------------------------------------------------------------------------


def _users(make_user: Callable[..., Any], enable_totp: Callable[[Any], Any]) -> dict[str, Any]:
    users = {role: make_role_user(make_user, enable_totp, role) for role in ROLES}
    users.pop("anonymous")
    users["assigned_worker"] = make_user("assigned@matrix.example.org", role=Role.OPERATOR)
    enable_totp(users["assigned_worker"])
    signer = make_user("signer@matrix.example.org")
    Membership.objects.create(
        user=signer,
        organisation=OrganisationFactory(name="Cooperativa firmataria"),
        role=Role.PARTNER_STAFF,
        start_date=dt.date(2024, 1, 1),
    )
    enable_totp(signer)
    users["partner_signer"] = signer
    return users


class World:
    """Builds what a row names, once: the pacts by status and what hangs from them."""

    PACTS = {
        "draft": S.DRAFT,
        "proposed": S.PROPOSED,
        "signed": S.SIGNED,
        "active": S.ACTIVE,
        "completed": S.COMPLETED,
    }

    def __init__(self, users: dict[str, Any]) -> None:
        self.users = users
        self.worker = users["assigned_worker"]
        self.signer = users["partner_signer"]
        self.partner_org = self.signer.memberships.get().organisation
        self.coordinator_org = users[Role.COORDINATOR].memberships.get().organisation
        self.built: dict[str, Any] = {
            "users": users,
            "partner_org": self.partner_org,
            "today": timezone.localdate().isoformat(),
            "nothing": set(),
        }

    def _pact(self, status: str) -> Any:
        pact = pact_in(status, worker=self.worker, partner_signer=self.signer)
        # The coordinator's organisation serves the ambito of the pact's case.
        self.coordinator_org.ambiti.add(pact.case.ambito)
        return pact

    def _transactions(self) -> tuple[Any, Any]:
        active = self["active"]
        recorded = [
            ledger.hours_record(
                pact=active,
                actor=self.worker,
                hours=Decimal(2),
                date=timezone.localdate(),
                direction="gives_back",
                organisation=organisation,
            )
            for organisation in (self.partner_org, OrganisationFactory())
        ]
        return recorded[0], recorded[1]

    def make(self, name: str) -> Any:  # noqa: C901 - one branch per name, flat
        if name in self.PACTS:
            return self._pact(self.PACTS[name])
        if name == "case":
            ambito = AmbitoFactory()
            self.coordinator_org.ambiti.add(ambito)
            return assign(self.worker, ambito=ambito)
        if name == "pacts":
            return {self["active"].public_id}
        if name in ("goals", "commitments", "signatories"):
            return set(getattr(self["active"], name).values_list("pk", flat=True))
        if name == "partner_goals":
            return set(
                self["active"]
                .goals.filter(organisation=self.partner_org)
                .values_list("pk", flat=True)
            )
        if name == "draft_goal":
            return self["draft"].goals.first()
        if name == "draft_commitment":
            return self["draft"].commitments.first()
        if name == "draft_signatory":
            return self["draft"].signatories.get(kind=SignatoryKind.ORGANISATION)
        if name == "partner_signatory":
            return self["proposed"].signatories.get(kind=SignatoryKind.ORGANISATION)
        if name == "outcomes":
            return [{"goal": g.pk, "outcome": "achieved"} for g in self["active"].goals.all()]
        if name in ("transaction", "transactions", "partner_transactions"):
            own, other = self._transactions()
            self.built["transaction"] = own
            self.built["partner_transactions"] = {own.pk}
            self.built["transactions"] = {own.pk, other.pk}
            return self.built[name]
        if name == "placement":
            return follow.placement_add(
                pact=self["active"],
                actor=self.worker,
                host_name="Falegnameria Rossi",
                tutor="Mario Rossi",
                start_date=dt.date(2026, 1, 1),
                end_date=dt.date(2026, 6, 30),
                hours_per_week=Decimal(20),
            )
        if name == "placements":
            return {self["placement"].pk}
        if name == "reminder":
            active = self["active"]
            return Reminder.objects.create(
                key=f"pact:{active.pk}:matrix",
                pact=active,
                recipient=self.worker,
                kind=ReminderKind.DUE_SOON,
                due_on=active.next_review_on,
            )
        if name == "reminders":
            return {self["reminder"].pk}
        raise KeyError(name)

    def __getitem__(self, name: str) -> Any:
        if name not in self.built:
            self.built[name] = self.make(name)
        return self.built[name]


def _names(row: Row) -> set[str]:
    text = row.url + json.dumps(row.data)
    names = set(re.findall(r"\{(\w+)", text))
    return names | ({row.ids} if row.ids else set())


@pytest.fixture
def world(db, row, make_user, enable_totp):
    """What ``row`` names, and the users of every role."""
    built = World(_users(make_user, enable_totp))
    for name in sorted(_names(row)):
        built[name]  # noqa: B018 - builds it
    return built.built


def _resolved(row: Row, world: dict[str, Any]) -> Row:
    """The row with its structured data filled in (``check`` fills only strings)."""
    data = {k: (world[v[1:-1]] if v == "{outcomes}" else v) for k, v in row.data.items()}
    return dataclasses.replace(row, data=data)


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_pacts_api_permissions(row, world, matrix_client):
    check(_resolved(row, world), matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= {*ROLES, *EXTRA}


def test_every_pacts_api_route_has_a_row():
    """Every route of pacts/api_urls.py is named by a row."""
    from pacts import api_urls

    routes = [
        f"api/v1/{r.lstrip('^')}" for r in _walk(api_urls.urlpatterns) if "(?P<format>" not in r
    ]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
