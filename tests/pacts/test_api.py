"""The pacts API: the same rules as the pages, every change through the services, every
read of a pact in the access log, and partner staff reading only their part."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from legami.models import AccessEvent
from legami.roles import Role
from legami.security import SECOND_FACTOR_API_MESSAGE
from pacts import selectors
from pacts.models import (
    CommitmentDirection,
    CommitmentKind,
    Goal,
    LedgerTransaction,
    Pact,
    PactStatus,
    Reminder,
    ReminderKind,
    SignatoryKind,
)
from pacts.services import pacts as pact_services
from tests.beneficiaries.factories import assign
from tests.pacts.factories import draft_pact, pact_in
from tests.partners.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

S = PactStatus
PACTS = "/api/v1/pacts/"


def _send(client, url, data=None, method="post"):
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json")


def _url(pact, tail=""):
    return f"{PACTS}{pact.public_id}/{tail}"


def _client(user, enable_totp):
    enable_totp(user)
    client = Client()
    client.force_login(user)
    return client


def _partner_org(partner_user):
    return partner_user.memberships.get().organisation


def _api_reads(actor, purpose=None):
    events = AccessEvent.objects.filter(action="api", actor=actor)
    return events.filter(purpose=purpose) if purpose else events


# --- List and retrieve ---------------------------------------------------------------------


def test_list_queries_do_not_grow_with_the_pacts(
    social_worker, social_worker_client, partner_user, django_assert_max_num_queries
):
    # Given one pact of the worker
    pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    with django_assert_max_num_queries(20) as few:
        response = social_worker_client.get(PACTS)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    # When the worker follows many more, the queries stay the same
    for status in (S.DRAFT, S.PROPOSED, S.SIGNED, S.ACTIVE, S.COMPLETED):
        pact_in(status, worker=social_worker, partner_signer=partner_user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = social_worker_client.get(PACTS)
    assert len(response.json()["results"]) == 6
    assert _api_reads(social_worker, "pact list API").count() == 7


def test_partner_list_queries_do_not_grow_with_the_pacts(
    social_worker, partner_user, partner_client, django_assert_max_num_queries
):
    pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    with django_assert_max_num_queries(20) as few:
        response = partner_client.get(PACTS)
    assert len(response.json()["results"]) == 1
    for status in (S.DRAFT, S.PROPOSED, S.SIGNED, S.ACTIVE):
        pact_in(status, worker=social_worker, partner_signer=partner_user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = partner_client.get(PACTS)
    rows = response.json()["results"]
    # The draft is not shown to the partner before it is proposed.
    assert len(rows) == 4
    assert all(set(row) == set(selectors.PARTNER_PACT_FIELDS) for row in rows)


def test_list_filters(social_worker, social_worker_client, partner_user, make_user, enable_totp):
    active = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    draft = pact_in(S.DRAFT, worker=social_worker, partner_signer=partner_user)
    Pact.objects.filter(pk=active.pk).update(
        next_review_on=timezone.localdate() - dt.timedelta(days=3)
    )

    def ids(**params):
        response = social_worker_client.get(PACTS, params)
        assert response.status_code == 200, response.content
        return {row["public_id"] for row in response.json()["results"]}

    assert ids(status="draft") == {str(draft.public_id)}
    assert ids(due="overdue") == {str(active.public_id)}
    assert ids(due="soon") == set()
    assert ids(person=str(active.person.public_id)) == {str(active.public_id)}
    assert ids(person="00000000-0000-0000-0000-000000000000") == set()
    assert ids(mine="true") == {str(active.public_id), str(draft.public_id)}
    assert social_worker_client.get(PACTS, {"status": "nonsense"}).status_code == 400
    assert social_worker_client.get(PACTS, {"due": "later"}).status_code == 400


def test_a_full_reader_reads_the_whole_pact_and_the_read_is_logged(
    social_worker, social_worker_client, partner_user
):
    pact = pact_in(S.COMPLETED, worker=social_worker, partner_signer=partner_user)
    response = social_worker_client.get(_url(pact))
    assert response.status_code == 200
    body = response.json()
    assert body["context"] == "Vive solo dopo la vedovanza."
    assert body["strengths"] == "Ex falegname, disponibile ad insegnare."
    assert len(body["reviews"]) == 1 and body["reviews"][0]["final"] is True
    assert {o["outcome"] for o in body["reviews"][0]["outcomes"]} == {"achieved"}
    assert len(body["goals"]) == 2
    assert AccessEvent.objects.filter(
        action="api", actor=social_worker, target_id=str(pact.person.pk), purpose="pact API"
    ).exists()


@pytest.fixture
def shared_pact(social_worker, partner_user):
    """An active pact whose second goal and a commitment concern another organisation,
    which signs too."""
    partner = _partner_org(partner_user)
    other = OrganisationFactory(name="Altra cooperativa")
    pact = draft_pact(social_worker, partner=partner)
    pact_services.goal_add(
        pact=pact,
        actor=social_worker,
        description="Obiettivo dell'altra",
        indicator="Altro indicatore",
        target_date=timezone.localdate() + dt.timedelta(days=90),
        organisation=other,
    )
    pact_services.commitment_add(
        pact=pact,
        actor=social_worker,
        direction=CommitmentDirection.PROVIDES,
        kind=CommitmentKind.SERVICE,
        description="Servizio dell'altra",
        quantity=Decimal(1),
        unit="meetings",
        period="month",
        organisation=other,
    )
    pact_services.signatory_add(
        pact=pact, actor=social_worker, kind=SignatoryKind.ORGANISATION, organisation=other
    )
    pact = pact_services.pact_propose(pact=pact, actor=social_worker)
    for signatory in pact.signatories.all():
        if signatory.organisation_id == other.pk:
            signatory_other = signatory
    other_staff = _other_staff(other)
    for signatory in pact.signatories.exclude(pk=signatory_other.pk):
        signer = partner_user if signatory.kind == SignatoryKind.ORGANISATION else social_worker
        pact = pact_services.pact_sign(pact=pact, signatory=signatory, signer=signer)
    pact = pact_services.pact_sign(pact=pact, signatory=signatory_other, signer=other_staff)
    pact = pact_services.pact_start(pact=pact, actor=social_worker)
    pact.other = other  # type: ignore[attr-defined]
    return pact


def _other_staff(organisation):
    from legami.models import User
    from partners.models import Membership

    user = User.objects.create_user(email="other.staff@example.org", password="x-long-pass-1")
    Membership.objects.create(
        user=user,
        organisation=organisation,
        role=Role.PARTNER_STAFF,
        start_date=dt.date(2024, 1, 1),
    )
    return user


def test_partner_staff_read_exactly_their_part(shared_pact, partner_user, partner_client):
    partner = _partner_org(partner_user)
    response = partner_client.get(_url(shared_pact))
    assert response.status_code == 200
    body = response.json()
    # Exactly the keys of partner_view, at the top and in each nested list
    assert set(body) == set(selectors.PARTNER_PACT_FIELDS)
    assert body["goals"] and body["commitments"] and body["signatories"]
    assert all(set(g) == set(selectors.PARTNER_GOAL_FIELDS) for g in body["goals"])
    assert all(set(c) == set(selectors.PARTNER_COMMITMENT_FIELDS) for c in body["commitments"])
    assert all(set(s) == set(selectors.PARTNER_SIGNATORY_FIELDS) for s in body["signatories"])
    # Only the goals and commitments of their organisation; every signatory
    assert {g["organisation"] for g in body["goals"]} == {partner.pk}
    assert {c["organisation"] for c in body["commitments"]} == {partner.pk}
    assert "Obiettivo dell'altra" not in json.dumps(body)
    assert "Servizio dell'altra" not in json.dumps(body)
    assert len(body["signatories"]) == 4
    for private in ("context", "strengths", "reviews", "interruption_reason"):
        assert private not in body
    assert AccessEvent.objects.filter(
        action="api", actor=partner_user, target_id=str(shared_pact.person.pk)
    ).exists()
    # The same part in the list of pacts and in the goals and commitments lists
    row = partner_client.get(PACTS).json()["results"][0]
    assert row == body
    goals = partner_client.get(_url(shared_pact, "goals/")).json()
    assert goals == body["goals"]
    commitments = partner_client.get(_url(shared_pact, "commitments/")).json()
    assert commitments == body["commitments"]


def test_the_partner_part_is_the_selector_view(shared_pact, partner_user, partner_client):
    """The API answer is partner_view, value by value (dates as ISO, quantities as text)."""
    view = selectors.partner_view(
        shared_pact, selectors.partner_organisations(partner_user, shared_pact)
    )
    body = partner_client.get(_url(shared_pact)).json()
    assert [g["id"] for g in body["goals"]] == [g["id"] for g in view["goals"]]
    assert [c["id"] for c in body["commitments"]] == [c["id"] for c in view["commitments"]]
    assert body["title"] == view["title"] and body["person_name"] == view["person_name"]
    assert body["start_date"] == view["start_date"].isoformat()
    assert [Decimal(c["quantity"]) for c in body["commitments"]] == [
        c["quantity"] for c in view["commitments"]
    ]


def test_partner_staff_may_not_read_balances_outcomes_or_reviews(shared_pact, partner_client):
    for tail in ("balance/", "outcomes/", "reviews/", "placements/"):
        assert partner_client.get(_url(shared_pact, tail)).status_code == 403, tail


def test_balance_and_outcomes_for_a_full_reader(social_worker, social_worker_client, partner_user):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    _send(
        social_worker_client,
        _url(pact, "transactions/"),
        {
            "hours": "3.5",
            "date": timezone.localdate().isoformat(),
            "direction": "gives_back",
            "organisation": _partner_org(partner_user).pk,
        },
    )
    balance = social_worker_client.get(_url(pact, "balance/"))
    assert balance.status_code == 200
    assert balance.json() == {"given": "3.50", "received": "0.00", "net": "3.50"}
    outcomes = social_worker_client.get(_url(pact, "outcomes/")).json()
    assert outcomes["goals"] == 2 and outcomes["hours_given_back"] == "3.50"


# --- Drafting ------------------------------------------------------------------------------


def test_a_worker_drafts_a_pact_for_their_case(social_worker, social_worker_client):
    case = assign(social_worker)
    response = _send(
        social_worker_client,
        PACTS,
        {
            "case": case.pk,
            "title": "Ricominciare",
            "context": "Contesto",
            "strengths": "Risorse",
            "start_date": "2026-01-10",
            "end_date": "2026-12-31",
            "review_every_weeks": 6,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["review_every_weeks"] == 6
    assert {s["kind"] for s in body["signatories"]} == {"beneficiary", "case_worker"}
    pact = Pact.objects.get(public_id=body["public_id"])
    assert pact.person == case.person and pact.created_by == social_worker
    assert _api_reads(social_worker, "pact API").filter(target_id=str(case.person.pk)).exists()


def test_drafting_refuses_bad_dates_with_the_service_message(social_worker, social_worker_client):
    case = assign(social_worker)
    response = _send(
        social_worker_client,
        PACTS,
        {"case": case.pk, "title": "X", "start_date": "2026-05-01", "end_date": "2026-01-01"},
    )
    assert response.status_code == 400
    assert response.json() == {"end_date": ["The planned end comes before the start."]}
    assert not Pact.objects.exists()


def test_a_case_of_someone_else_cannot_be_named(social_worker_client, make_user):
    other = make_user("other.worker@example.org", role=Role.OPERATOR)
    case = assign(other)
    response = _send(social_worker_client, PACTS, {"case": case.pk, "title": "X"})
    assert response.status_code == 400
    assert "case" in response.json()
    assert not Pact.objects.exists()


def test_goals_commitments_and_signatories_change_while_draft(
    social_worker, social_worker_client, partner_user
):
    pact = pact_in(S.DRAFT, worker=social_worker, partner_signer=partner_user)
    org = OrganisationFactory()
    # Goals
    added = _send(
        social_worker_client,
        _url(pact, "goals/"),
        {"description": "Nuovo", "indicator": "Conteggio", "target_date": "2027-01-01"},
    )
    assert added.status_code == 201, added.content
    goal_id = added.json()["id"]
    changed = _send(
        social_worker_client,
        _url(pact, f"goals/{goal_id}/"),
        {"target": "4 volte", "organisation": org.pk},
        method="patch",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["organisation_name"] == org.name
    assert Goal.objects.get(pk=goal_id).target == "4 volte"
    listed = social_worker_client.get(_url(pact, "goals/")).json()
    assert [g["id"] for g in listed][-1] == goal_id and len(listed) == 3
    assert social_worker_client.delete(_url(pact, f"goals/{goal_id}/")).status_code == 204
    assert not Goal.objects.filter(pk=goal_id).exists()
    # Commitments
    added = _send(
        social_worker_client,
        _url(pact, "commitments/"),
        {
            "direction": "gives_back",
            "kind": "lab",
            "description": "Laboratorio",
            "owner": "Centro anziani",
            "quantity": "2",
            "unit": "times",
            "period": "month",
        },
    )
    assert added.status_code == 201, added.content
    commitment_id = added.json()["id"]
    changed = _send(
        social_worker_client,
        _url(pact, f"commitments/{commitment_id}/"),
        {"quantity": "3.5"},
        method="patch",
    )
    assert changed.json()["quantity"] == "3.50"
    wrong_kind = _send(
        social_worker_client,
        _url(pact, f"commitments/{commitment_id}/"),
        {"kind": "economic"},
        method="patch",
    )
    assert wrong_kind.status_code == 400
    assert wrong_kind.json() == {"kind": ["This kind of commitment does not fit its direction."]}
    assert (
        social_worker_client.delete(_url(pact, f"commitments/{commitment_id}/")).status_code == 204
    )
    # Signatories
    added = _send(
        social_worker_client,
        _url(pact, "signatories/"),
        {"kind": "community", "name": "Parrocchia di San Luca"},
    )
    assert added.status_code == 201, added.content
    assert added.json()["label"] == "Parrocchia di San Luca"
    beneficiary = pact.signatories.get(kind=SignatoryKind.BENEFICIARY)
    refused = social_worker_client.delete(_url(pact, f"signatories/{beneficiary.pk}/"))
    assert refused.status_code == 400
    assert refused.json() == ["The person and the case worker sign every pact."]
    assert (
        social_worker_client.delete(_url(pact, f"signatories/{added.json()['id']}/")).status_code
        == 204
    )
    assert pact.signatories.count() == 3
    # The change of the pact itself
    patched = _send(social_worker_client, _url(pact), {"title": "Nuovo titolo"}, method="patch")
    assert patched.status_code == 200 and patched.json()["title"] == "Nuovo titolo"


def test_after_proposal_nothing_changes(social_worker, social_worker_client, partner_user):
    pact = pact_in(S.PROPOSED, worker=social_worker, partner_signer=partner_user)
    goal = pact.goals.first()
    commitment = pact.commitments.first()
    signatory = pact.signatories.get(kind=SignatoryKind.ORGANISATION)
    not_draft = ["Only a draft can be changed: take the pact back to draft first."]
    attempts = [
        _send(
            social_worker_client,
            _url(pact, "goals/"),
            {"description": "Nuovo", "indicator": "X", "target_date": "2027-01-01"},
        ),
        _send(
            social_worker_client,
            _url(pact, f"goals/{goal.pk}/"),
            {"description": "Cambiato"},
            method="patch",
        ),
        social_worker_client.delete(_url(pact, f"goals/{goal.pk}/")),
        _send(
            social_worker_client,
            _url(pact, f"commitments/{commitment.pk}/"),
            {"description": "Cambiato"},
            method="patch",
        ),
        social_worker_client.delete(_url(pact, f"commitments/{commitment.pk}/")),
        _send(social_worker_client, _url(pact, "signatories/"), {"kind": "community", "name": "A"}),
        social_worker_client.delete(_url(pact, f"signatories/{signatory.pk}/")),
        _send(social_worker_client, _url(pact), {"title": "Cambiato"}, method="patch"),
    ]
    for response in attempts:
        assert response.status_code == 400, response.content
        assert response.json() == not_draft
    pact.refresh_from_db()
    assert pact.title == "Patto di prova" and pact.status == S.PROPOSED
    assert pact.goals.count() == 2 and pact.commitments.count() == 2
    assert pact.signatories.count() == 3
    assert not pact.goals.filter(description="Cambiato").exists()


# --- The lifecycle -------------------------------------------------------------------------


def test_invalid_moves_answer_400_with_the_reason(
    social_worker, social_worker_client, partner_user
):
    active = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    response = _send(social_worker_client, _url(active, "propose/"))
    assert response.status_code == 400
    assert response.json() == ["A pact cannot move from active to proposed."]
    draft = pact_in(S.DRAFT, worker=social_worker, partner_signer=partner_user)
    response = _send(social_worker_client, _url(draft, "start/"))
    assert response.json() == ["A pact cannot move from draft to active."]
    response = _send(social_worker_client, _url(draft, "renew/"))
    assert response.status_code == 400
    assert response.json() == [
        "Only a completed pact can be renewed (complete it with a final review)."
    ]
    proposed = pact_in(S.PROPOSED, worker=social_worker, partner_signer=partner_user)
    response = _send(social_worker_client, _url(proposed, "interrupt/"), {"reason": " "})
    assert response.status_code == 400
    assert response.json() == {
        "interruption_reason": ["Give the reason for interrupting the pact."]
    }
    for pact, status in ((active, S.ACTIVE), (draft, S.DRAFT), (proposed, S.PROPOSED)):
        pact.refresh_from_db()
        assert pact.status == status


def test_an_incomplete_draft_is_not_proposed(social_worker, social_worker_client):
    case = assign(social_worker)
    pact = pact_services.pact_create(case=case, actor=social_worker, title="Vuoto")
    response = _send(social_worker_client, _url(pact, "propose/"))
    assert response.status_code == 400
    assert response.json() == [
        "Add at least one goal.",
        "Add at least one thing the person gives back (restitution).",
        "Add at least one form of support to the person.",
    ]


def test_a_pact_lives_its_whole_life_through_the_api(
    social_worker, social_worker_client, partner_user, partner_client
):
    pact = draft_pact(social_worker, partner=_partner_org(partner_user))
    assert _send(social_worker_client, _url(pact, "propose/")).json()["status"] == "proposed"
    # Back to draft clears nothing yet signed, and proposing again works
    assert _send(social_worker_client, _url(pact, "back-to-draft/")).json()["status"] == "draft"
    _send(social_worker_client, _url(pact, "propose/"))
    signatories = {s.kind: s for s in pact.signatories.all()}
    # Partner staff sign for their organisation, not for the worker
    refused = _send(
        partner_client, _url(pact, "sign/"), {"signatory": signatories["case_worker"].pk}
    )
    assert refused.status_code == 403
    signed = _send(
        partner_client, _url(pact, "sign/"), {"signatory": signatories["organisation"].pk}
    )
    assert signed.status_code == 200 and set(signed.json()) == set(selectors.PARTNER_PACT_FIELDS)
    again = _send(
        partner_client, _url(pact, "sign/"), {"signatory": signatories["organisation"].pk}
    )
    assert again.status_code == 400
    assert again.json() == ["This signature has already been given."]
    for kind in ("beneficiary", "case_worker"):
        response = _send(
            social_worker_client, _url(pact, "sign/"), {"signatory": signatories[kind].pk}
        )
        assert response.status_code == 200
    assert response.json()["status"] == "signed"
    started = _send(social_worker_client, _url(pact, "start/"), {"on": "2026-01-05"})
    assert started.status_code == 200, started.content
    assert started.json()["status"] == "active" and started.json()["start_date"] == "2026-01-05"
    assert _send(social_worker_client, _url(pact, "review-start/")).json()["status"] == "in_review"
    goals = list(pact.goals.all())
    review = _send(
        social_worker_client,
        _url(pact, "reviews/"),
        {
            "final": True,
            "notes": "Concluso",
            "outcomes": [
                {"goal": goals[0].pk, "outcome": "achieved"},
                {"goal": goals[1].pk, "outcome": "partly", "note": "Quasi"},
            ],
        },
    )
    assert review.status_code == 201, review.content
    assert {o["outcome"] for o in review.json()["outcomes"]} == {"achieved", "partly"}
    pact.refresh_from_db()
    assert pact.status == S.COMPLETED
    listed = social_worker_client.get(_url(pact, "reviews/")).json()["results"]
    assert [r["id"] for r in listed] == [review.json()["id"]]
    renewed = _send(social_worker_client, _url(pact, "renew/"), {"title": "Secondo patto"})
    assert renewed.status_code == 201, renewed.content
    assert renewed.json()["status"] == "draft" and renewed.json()["title"] == "Secondo patto"
    # Only the goal not achieved is carried over
    assert [g["description"] for g in renewed.json()["goals"]] == [goals[1].description]


def test_a_review_needs_an_outcome_for_every_goal(
    social_worker, social_worker_client, partner_user
):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    goal = pact.goals.first()
    response = _send(
        social_worker_client,
        _url(pact, "reviews/"),
        {
            "next_review_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
            "outcomes": [{"goal": goal.pk, "outcome": "achieved"}],
        },
    )
    assert response.status_code == 400
    assert response.json() == {"outcomes": ["Give an outcome for each goal of the pact."]}
    duplicated = _send(
        social_worker_client,
        _url(pact, "reviews/"),
        {"final": True, "outcomes": [{"goal": goal.pk, "outcome": "achieved"}] * 2},
    )
    assert duplicated.status_code == 400
    pact.refresh_from_db()
    assert pact.status == S.ACTIVE and not pact.reviews.exists()


# --- Hours, placements, reminders ----------------------------------------------------------


def test_partner_staff_record_and_cancel_hours_of_their_organisation_only(
    shared_pact, partner_user, partner_client, social_worker_client
):
    today = timezone.localdate().isoformat()
    hours = {"hours": "2", "date": today, "direction": "gives_back"}
    # For another organisation of the pact: refused, nothing recorded
    refused = _send(
        partner_client,
        _url(shared_pact, "transactions/"),
        {**hours, "organisation": shared_pact.other.pk},
    )
    assert refused.status_code == 403
    assert not LedgerTransaction.objects.exists()
    # For their own
    recorded = _send(
        partner_client,
        _url(shared_pact, "transactions/"),
        {**hours, "organisation": _partner_org(partner_user).pk},
    )
    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["direction"] == "gives_back" and recorded.json()["hours"] == "2.00"
    # The worker records hours with the other organisation; the partner does not see them
    _send(
        social_worker_client,
        _url(shared_pact, "transactions/"),
        {**hours, "organisation": shared_pact.other.pk},
    )
    mine = partner_client.get(_url(shared_pact, "transactions/")).json()["results"]
    assert [t["id"] for t in mine] == [recorded.json()["id"]]
    assert len(social_worker_client.get(_url(shared_pact, "transactions/")).json()["results"]) == 2
    # Cancelling: once, with a reason
    url = _url(shared_pact, f"transactions/{recorded.json()['id']}/reverse/")
    assert _send(partner_client, url, {"reason": ""}).status_code == 400
    reversed_ = _send(partner_client, url, {"reason": "Errore di data"})
    assert reversed_.status_code == 201
    assert reversed_.json()["reverses"] == recorded.json()["id"]
    twice = _send(partner_client, url, {"reason": "Ancora"})
    assert twice.status_code == 400
    assert twice.json() == ["These hours have already been cancelled."]


def test_hours_only_on_a_signed_or_running_pact(social_worker, social_worker_client, partner_user):
    pact = pact_in(S.COMPLETED, worker=social_worker, partner_signer=partner_user)
    response = _send(
        social_worker_client,
        _url(pact, "transactions/"),
        {
            "hours": "1",
            "date": timezone.localdate().isoformat(),
            "direction": "provides",
            "organisation": _partner_org(partner_user).pk,
        },
    )
    assert response.status_code == 400
    assert response.json() == ["Hours are recorded on a signed or running pact."]


def test_placements_are_added_and_their_outcome_recorded(
    social_worker, social_worker_client, partner_user
):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    added = _send(
        social_worker_client,
        _url(pact, "placements/"),
        {
            "host_name": "Falegnameria Rossi",
            "tutor": "Mario Rossi",
            "start_date": "2026-01-01",
            "end_date": "2026-06-30",
            "hours_per_week": "20",
        },
    )
    assert added.status_code == 201, added.content
    assert added.json()["outcome"] == "ongoing"
    url = _url(pact, f"placements/{added.json()['id']}/")
    undated = _send(social_worker_client, url, {"outcome": "hired"}, method="patch")
    assert undated.status_code == 400
    assert undated.json() == {"outcome_date": ["Give the date of the outcome."]}
    hired = _send(
        social_worker_client,
        url,
        {"outcome": "hired", "outcome_date": timezone.localdate().isoformat()},
        method="patch",
    )
    assert hired.status_code == 200 and hired.json()["outcome"] == "hired"
    listed = social_worker_client.get(_url(pact, "placements/")).json()["results"]
    assert [p["host_label"] for p in listed] == ["Falegnameria Rossi"]


def test_reminders_are_the_users_own(
    social_worker, social_worker_client, partner_user, partner_client
):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    reminder = Reminder.objects.create(
        key="k1",
        pact=pact,
        recipient=social_worker,
        kind=ReminderKind.DUE_SOON,
        due_on=pact.next_review_on,
    )
    listed = social_worker_client.get("/api/v1/pact-reminders/").json()["results"]
    assert [(r["id"], r["pact"]) for r in listed] == [(reminder.pk, str(pact.public_id))]
    assert _api_reads(social_worker, "pact reminders API").exists()
    assert partner_client.get("/api/v1/pact-reminders/").json()["results"] == []
    url = f"/api/v1/pact-reminders/{reminder.pk}/dismiss/"
    assert _send(partner_client, url).status_code == 404
    dismissed = _send(social_worker_client, url)
    assert dismissed.status_code == 200 and dismissed.json()["dismissed_at"]
    assert social_worker_client.get("/api/v1/pact-reminders/").json()["results"] == []


def test_unassigned_worker_does_not_find_the_pact(
    social_worker, partner_user, make_user, enable_totp
):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    stranger = _client(make_user("stranger@example.org", role=Role.OPERATOR), enable_totp)
    for tail in ("", "goals/", "transactions/", "reviews/", "balance/"):
        assert stranger.get(_url(pact, tail)).status_code == 404, tail
    assert stranger.get(PACTS).json()["results"] == []


def test_a_social_worker_without_a_second_factor_is_refused(social_worker, partner_user):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    client = Client()
    client.force_login(social_worker)  # no authenticator app set up
    response = client.get(_url(pact))
    assert response.status_code == 403
    assert response.json()["detail"] == str(SECOND_FACTOR_API_MESSAGE)
    assert not AccessEvent.objects.filter(actor=social_worker).exists()


def test_a_malformed_public_id_is_not_found(social_worker_client):
    malformed = "-" * 36  # matches the route, is no UUID
    assert social_worker_client.get(f"{PACTS}{malformed}/").status_code == 404
    assert social_worker_client.get(f"{PACTS}{malformed}/goals/").status_code == 404
