"""Permission matrix of the pages that follow a pact and of its documents: reviews, the
ledger, placements, reminders, the PDFs and the scan (see tests/permissions.py).

Besides the project's roles: ``assigned_worker``, the social worker assigned to the
pact's case; ``signing_partner``, partner staff of the organisation that signed it. The
coordinator's organisation serves the case's ambito. The ``operator`` and
``partner_staff`` roles hold the role elsewhere: the pact does not exist for them (404).
Roles that read no pact at all are refused (403). Partner staff of the signing
organisation read the pact and its ledger, and record hours with their organisation,
but not the reviews, placements or documents of the whole pact (403).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from legami.roles import Role
from pacts.models import CommitmentDirection, Placement, Reminder, ReminderKind
from pacts.services import follow, ledger, pacts
from tests.beneficiaries.factories import assign
from tests.legami.factories import AmbitoFactory
from tests.pacts.factories import draft_pact, sign_all
from tests.permissions import ROLES, Row, check, make_role_user, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("assigned_worker", "signing_partner")
EVERYONE = (*ROLES, *EXTRA)
FULL = ("assigned_worker", Role.COORDINATOR)
ELSEWHERE = {Role.OPERATOR: 404, Role.PARTNER_STAFF: 404}

P = "/pacts/{pact.public_id}"
Expected = dict[str, int | tuple[int, ...]]
LOGIN: Expected = {"anonymous": 302}
# Pages of the whole pact: its case workers; partner staff who signed are refused.
FULL_PAGE: Expected = {**LOGIN, **ELSEWHERE, **dict.fromkeys(FULL, 200), "signing_partner": 403}
FULL_POST: Expected = {**LOGIN, **ELSEWHERE, **dict.fromkeys(FULL, 302), "signing_partner": 403}
FULL_REFUSED: Expected = {**LOGIN, **ELSEWHERE, **dict.fromkeys(FULL, 400), "signing_partner": 403}
# The ledger: partner staff of the signing organisation too.
LEDGER_PAGE: Expected = {**LOGIN, **ELSEWHERE, **dict.fromkeys((*FULL, "signing_partner"), 200)}
LEDGER_POST: Expected = {**LOGIN, **ELSEWHERE, **dict.fromkeys((*FULL, "signing_partner"), 302)}

TODAY = timezone.localdate().isoformat()
HOURS = {
    "date": TODAY,
    "hours": "2",
    "direction": "gives_back",
    "organisation": "{partner_org.pk}",
    "description": "Laboratorio",
}
PLACEMENT = {
    "host_name": "Falegnameria Rossi",
    "tutor": "Mario Rossi",
    "start_date": TODAY,
    "end_date": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
    "hours_per_week": "12",
    "outcome": "ongoing",
}

ROWS: list[Row] = [
    # --- Reviews -------------------------------------------------------------------------
    *rows("GET", P + "/reviews/new/", FULL_PAGE, default=403, roles=EVERYONE),
    # Sent without an outcome per goal: refused with the errors on the page.
    *rows("POST", P + "/reviews/new/", FULL_REFUSED, default=403, roles=EVERYONE, data={}),
    *rows("POST", P + "/reviews/start/", FULL_POST, default=403, roles=EVERYONE),
    # --- The ledger ----------------------------------------------------------------------
    *rows("GET", P + "/ledger/", LEDGER_PAGE, default=403, roles=EVERYONE),
    *rows("POST", P + "/ledger/record/", LEDGER_POST, default=403, roles=EVERYONE, data=HOURS),
    *rows(
        "POST",
        P + "/ledger/{txn.pk}/reverse/",
        LEDGER_POST,
        default=403,
        roles=EVERYONE,
        data={"reason": "Registrate due volte."},
    ),
    # --- Work placements -------------------------------------------------------------------
    *rows("GET", P + "/placements/", FULL_PAGE, default=403, roles=EVERYONE),
    *rows("POST", P + "/placements/add/", FULL_POST, default=403, roles=EVERYONE, data=PLACEMENT),
    *rows(
        "POST",
        P + "/placements/{placement.pk}/",
        FULL_POST,
        default=403,
        roles=EVERYONE,
        data={**PLACEMENT, "outcome": "hired", "outcome_date": TODAY},
    ),
    # --- Documents -------------------------------------------------------------------------
    *rows("GET", P + "/documents/", FULL_PAGE, default=403, roles=EVERYONE),
    *rows("GET", P + "/pdf/", FULL_PAGE, default=403, roles=EVERYONE),
    *rows("GET", P + "/plain.pdf", FULL_PAGE, default=403, roles=EVERYONE),
    *rows("GET", P + "/scan/", FULL_PAGE, default=403, roles=EVERYONE),
    # Sent without a file: refused with the error on the documents page.
    *rows("POST", P + "/scan/upload/", FULL_REFUSED, default=403, roles=EVERYONE, data={}),
    # --- Reminders: one's own only; another's is not found -----------------------------------
    *rows(
        "POST",
        "/pacts/reminders/{reminder.pk}/dismiss/",
        {**LOGIN, "assigned_worker": 302},
        default=404,
        roles=EVERYONE,
    ),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    cremona = AmbitoFactory(code="cremona", name="Ambito di Cremona")
    users = {role: make_role_user(make_user, enable_totp, role) for role in ROLES}
    users.pop("anonymous")
    worker = users["assigned_worker"] = make_user("assigned@matrix.example.org", role=Role.OPERATOR)
    enable_totp(worker)
    signer = users["signing_partner"] = make_user("signer@matrix.example.org")
    enable_totp(signer)
    users[Role.COORDINATOR].memberships.get().organisation.ambiti.set([cremona])
    from tests.partners.factories import MembershipFactory, OrganisationFactory

    partner_org = OrganisationFactory(name="Cooperativa Firmataria")
    MembershipFactory(user=signer, organisation=partner_org, role=Role.PARTNER_STAFF)
    pact = draft_pact(worker, case=assign(worker, ambito=cremona), partner=partner_org)
    pact = pacts.pact_propose(pact=pact, actor=worker)
    pact = sign_all(pact, worker, signer)
    pact = pacts.pact_start(
        pact=pact, actor=worker, on=timezone.localdate() - dt.timedelta(days=30)
    )
    txn = ledger.hours_record(
        pact=pact,
        actor=worker,
        hours=Decimal(3),
        date=timezone.localdate() - dt.timedelta(days=2),
        direction=CommitmentDirection.GIVES_BACK,
        organisation=partner_org,
    )
    placement = follow.placement_add(
        pact=pact,
        actor=worker,
        host_name="Ditta Bianchi",
        tutor="Anna Bianchi",
        start_date=timezone.localdate() - dt.timedelta(days=20),
        end_date=timezone.localdate() + dt.timedelta(days=60),
        hours_per_week=Decimal(10),
    )
    pact = pacts.pact_attach_scan(
        pact=pact,
        actor=worker,
        file=SimpleUploadedFile("firmato.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
    )
    reminder = Reminder.objects.create(
        key=f"matrix:{pact.pk}",
        pact=pact,
        recipient=worker,
        kind=ReminderKind.DUE_SOON,
        due_on=timezone.localdate() + dt.timedelta(days=3),
    )
    return {
        "users": users,
        "pact": pact,
        "partner_org": partner_org,
        "txn": txn,
        "placement": placement,
        "reminder": reminder,
    }


def closing(client):
    """The client, closing a streamed answer (the scan) once it is read, as the server
    does: the file it streams is not left open."""
    get = client.get

    def get_and_close(*args, **kwargs):
        response = get(*args, **kwargs)
        if response.streaming:
            b"".join(response.streaming_content)
            response.close()
        return response

    client.get = get_and_close
    return client


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_follow_and_document_permissions(row, world, matrix_client):
    check(row, closing(matrix_client(row.role, world)), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= {*ROLES, *EXTRA}


def test_every_follow_and_document_route_has_a_row():
    """Every page of pacts/views/follow.py and documents.py is named by a row."""
    from pacts.views import documents, follow

    routes = [f"pacts/{r}" for r in _walk([*follow.urlpatterns, *documents.urlpatterns])]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []


def test_a_placement_row_changes_the_placement(world, matrix_client):
    """The update rows do change something: the placement is recorded as hired."""
    client = matrix_client("assigned_worker", world)
    url = f"/pacts/{world['pact'].public_id}/placements/{world['placement'].pk}/"
    client.post(url, {**PLACEMENT, "outcome": "hired", "outcome_date": TODAY})
    assert Placement.objects.get(pk=world["placement"].pk).outcome == "hired"
