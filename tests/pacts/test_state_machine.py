"""The pact's lifecycle is a state machine: every move in ``TRANSITIONS`` is allowed (when
its conditions hold) and every other is refused with a ValidationError that changes
nothing. A property-based test drives random sequences of moves, valid and not, and
checks the pact's invariants after each one."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from legami.models import ChangeEvent
from pacts.models import (
    CommitmentDirection,
    CommitmentKind,
    Pact,
    PactStatus,
    Review,
    SignatoryKind,
)
from pacts.models.pact import FINAL_STATUSES
from pacts.services import follow, pacts
from pacts.services.pacts import TRANSITIONS
from tests.pacts.factories import draft_pact, pact_in

pytestmark = pytest.mark.django_db

S = PactStatus
SIGNED_STATUSES = {S.SIGNED, S.ACTIVE, S.IN_REVIEW, S.COMPLETED}

# Moves the arrow allows but whose condition the pact reached by ``pact_in`` does not meet.
GUARDED = {(S.PROPOSED, S.SIGNED): "unsigned", (S.IN_REVIEW, S.COMPLETED): "no_final_review"}


def _state(pact: Pact) -> tuple:
    pact.refresh_from_db()
    return (
        pact.status,
        pact.start_date,
        pact.next_review_on,
        pact.ended_on,
        pact.interruption_reason,
        tuple(pact.signatories.order_by("pk").values_list("signed_at", flat=True)),
        ChangeEvent.objects.count(),
    )


def _codes(error: ValidationError) -> set[str | None]:
    return {e.code for e in error.error_list} if hasattr(error, "error_list") else {error.code}


# --- Every arrow, allowed or refused -------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target"),
    [pytest.param(a, b, id=f"{a}->{b}") for a, b in itertools.product(S.values, S.values)],
)
def test_every_move_is_allowed_or_refused_as_the_table_says(
    source, target, social_worker, partner_user
):
    pact = pact_in(source, worker=social_worker, partner_signer=partner_user)
    before = _state(pact)

    if target in TRANSITIONS[source] and (source, target) not in GUARDED:
        moved = pacts.pact_transition(
            pact=pact, to=target, actor=social_worker, reason="La persona ha cambiato città."
        )
        assert moved.status == target
        assert ChangeEvent.objects.filter(
            target_type="pacts.pact", target_id=str(pact.pk), action="state"
        ).exists()
        return

    with pytest.raises(ValidationError) as refused:
        pacts.pact_transition(
            pact=pact, to=target, actor=social_worker, reason="La persona ha cambiato città."
        )
    expected = GUARDED.get((source, target), "invalid_transition")
    assert expected in _codes(refused.value)
    assert _state(pact) == before


def test_the_final_statuses_lead_nowhere():
    assert TRANSITIONS[S.COMPLETED] == frozenset()
    assert TRANSITIONS[S.INTERRUPTED] == frozenset()
    assert set(TRANSITIONS) == set(S.values)
    assert all(targets <= set(S.values) for targets in TRANSITIONS.values())


def test_an_unknown_status_is_refused(social_worker, partner_user):
    pact = pact_in(S.DRAFT, worker=social_worker, partner_signer=partner_user)
    before = _state(pact)
    with pytest.raises(ValidationError):
        pacts.pact_transition(pact=pact, to="archived", actor=social_worker)
    assert _state(pact) == before


# --- Guards --------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["goal", "gives_back", "provides"])
def test_a_proposal_needs_a_goal_a_give_back_and_a_support(missing, social_worker, partner_user):
    """Each of the three parts missing makes the proposal refused, naming what to add."""
    partner = partner_user.memberships.get().organisation
    pact = draft_pact(social_worker, partner=partner, goals=0 if missing == "goal" else 1)
    if missing != "goal":
        pact.commitments.filter(direction=missing).delete()
    before = _state(pact)

    with pytest.raises(ValidationError) as refused:
        pacts.pact_propose(pact=pact, actor=social_worker)

    assert "incomplete" in _codes(refused.value)
    message = {
        "goal": "Add at least one goal.",
        "gives_back": "Add at least one thing the person gives back (restitution).",
        "provides": "Add at least one form of support to the person.",
    }[missing]
    assert message in refused.value.messages
    assert _state(pact) == before


def test_the_last_signature_signs_the_pact(social_worker, partner_user):
    pact = pact_in(S.PROPOSED, worker=social_worker, partner_signer=partner_user)
    signatories = list(pact.signatories.order_by("kind"))
    assert len(signatories) == 3
    *first, last = signatories
    for signatory in first:
        signer = partner_user if signatory.kind == SignatoryKind.ORGANISATION else social_worker
        pact = pacts.pact_sign(pact=pact, signatory=signatory, signer=signer)
        assert pact.status == S.PROPOSED
    signer = partner_user if last.kind == SignatoryKind.ORGANISATION else social_worker
    pact = pacts.pact_sign(pact=pact, signatory=last, signer=signer)
    assert pact.status == S.SIGNED
    assert not pact.signatories.filter(signed_at__isnull=True).exists()


def test_back_to_draft_clears_the_signatures(social_worker, partner_user):
    pact = pact_in(S.PROPOSED, worker=social_worker, partner_signer=partner_user)
    signatory = pact.signatories.get(kind=SignatoryKind.BENEFICIARY)
    pacts.pact_sign(pact=pact, signatory=signatory, signer=social_worker)

    pact = pacts.pact_back_to_draft(pact=pact, actor=social_worker)

    assert pact.status == S.DRAFT
    assert not pact.signatories.filter(signed_at__isnull=False).exists()
    assert ChangeEvent.objects.filter(
        target_type="pacts.signatory",
        target_id=str(signatory.pk),
        note="signature cleared: pact back to draft",
    ).exists()


def test_a_pact_is_completed_only_by_its_final_review(social_worker, partner_user):
    pact = pact_in(S.IN_REVIEW, worker=social_worker, partner_signer=partner_user)
    outcomes = {goal.pk: ("partly", "") for goal in pact.goals.all()}
    follow.review_record(
        pact=pact,
        actor=social_worker,
        outcomes=outcomes,
        next_review_on=timezone.localdate() + dt.timedelta(days=30),
    )
    pact.refresh_from_db()
    assert pact.status == S.ACTIVE
    follow.review_start(pact=pact, actor=social_worker)
    with pytest.raises(ValidationError):
        pacts.pact_transition(pact=pact, to=S.COMPLETED, actor=social_worker)

    follow.review_record(pact=pact, actor=social_worker, outcomes=outcomes, final=True)

    pact.refresh_from_db()
    assert pact.status == S.COMPLETED
    assert pact.ended_on == timezone.localdate()
    assert pact.next_review_on is None


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_interruption_needs_a_reason(reason, social_worker, partner_user):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    before = _state(pact)
    with pytest.raises(ValidationError) as refused:
        pacts.pact_interrupt(pact=pact, actor=social_worker, reason=reason)
    assert "interruption_reason" in refused.value.message_dict
    assert _state(pact) == before


def test_an_interruption_keeps_its_reason_and_date(social_worker, partner_user):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    pact = pacts.pact_interrupt(pact=pact, actor=social_worker, reason="  Trasferita a Lodi. ")
    assert (pact.status, pact.interruption_reason) == (S.INTERRUPTED, "Trasferita a Lodi.")
    assert pact.ended_on == timezone.localdate()
    assert pact.next_review_on is None


def test_starting_sets_the_start_and_the_first_review(social_worker, partner_user):
    pact = pact_in(S.SIGNED, worker=social_worker, partner_signer=partner_user)
    start = timezone.localdate() - dt.timedelta(days=3)
    pact = pacts.pact_start(pact=pact, actor=social_worker, on=start)
    assert pact.start_date == start
    assert pact.next_review_on == start + dt.timedelta(weeks=pact.review_every_weeks)


def test_a_pact_cannot_start_after_its_planned_end(social_worker, partner_user):
    pact = pact_in(S.SIGNED, worker=social_worker, partner_signer=partner_user)
    Pact.objects.filter(pk=pact.pk).update(end_date=timezone.localdate())
    before = _state(pact)
    with pytest.raises(ValidationError):
        pacts.pact_start(
            pact=pact, actor=social_worker, on=timezone.localdate() + dt.timedelta(days=1)
        )
    assert _state(pact) == before


def test_someone_who_may_not_change_the_pact_moves_nothing(social_worker, partner_user, make_user):
    from django.core.exceptions import PermissionDenied

    pact = pact_in(S.DRAFT, worker=social_worker, partner_signer=partner_user)
    stranger = make_user(role="operator")
    before = _state(pact)
    with pytest.raises(PermissionDenied):
        pacts.pact_propose(pact=pact, actor=stranger)
    with pytest.raises(PermissionDenied):
        pacts.pact_propose(pact=pact, actor=partner_user)
    assert _state(pact) == before


# --- Random walks through the machine ----------------------------------------------------

ACTIONS = (
    "propose",
    "back_to_draft",
    "sign_next",
    "start",
    "review_start",
    "review",
    "review_final",
    "interrupt",
    "interrupt_without_reason",
    "renew",
    "add_goal",
    *(f"to:{status}" for status in S.values),
)


def _act(action: str, pact: Pact, worker, partner_signer) -> None:
    today = timezone.localdate()
    if action == "propose":
        pacts.pact_propose(pact=pact, actor=worker)
    elif action == "back_to_draft":
        pacts.pact_back_to_draft(pact=pact, actor=worker)
    elif action == "sign_next":
        signatory = pact.signatories.filter(signed_at__isnull=True).order_by("pk").first()
        if signatory is None:
            signatory = pact.signatories.order_by("pk").first()
        signer = partner_signer if signatory.kind == SignatoryKind.ORGANISATION else worker
        pacts.pact_sign(pact=pact, signatory=signatory, signer=signer)
    elif action == "start":
        pacts.pact_start(pact=pact, actor=worker, on=today - dt.timedelta(days=10))
    elif action == "review_start":
        follow.review_start(pact=pact, actor=worker)
    elif action in ("review", "review_final"):
        outcomes = {goal.pk: ("achieved", "") for goal in pact.goals.all()}
        follow.review_record(
            pact=pact,
            actor=worker,
            outcomes=outcomes,
            final=action == "review_final",
            next_review_on=None if action == "review_final" else today + dt.timedelta(days=20),
        )
    elif action == "interrupt":
        pacts.pact_interrupt(pact=pact, actor=worker, reason="Non si presenta più.")
    elif action == "interrupt_without_reason":
        pacts.pact_interrupt(pact=pact, actor=worker, reason="")
    elif action == "renew":
        pacts.pact_renew(pact=pact, actor=worker)
    elif action == "add_goal":
        pacts.goal_add(
            pact=pact,
            actor=worker,
            description="Obiettivo in più",
            indicator="Partecipa",
            target_date=today + dt.timedelta(days=200),
        )
    else:
        pacts.pact_transition(
            pact=pact, to=action.removeprefix("to:"), actor=worker, reason="Motivo del cambio."
        )


def _check_invariants(pact: Pact, signed_once: bool) -> None:
    pact.refresh_from_db()
    assert pact.status in S.values
    assert (pact.ended_on is not None) == (pact.status in FINAL_STATUSES)
    if pact.running:
        assert pact.start_date is not None
        assert pact.next_review_on is not None
    if pact.status in FINAL_STATUSES:
        assert pact.next_review_on is None
    unsigned = pact.signatories.filter(signed_at__isnull=True).exists()
    if pact.status in SIGNED_STATUSES or (pact.status == S.INTERRUPTED and signed_once):
        assert not unsigned
    if pact.status == S.INTERRUPTED:
        assert pact.interruption_reason
    if pact.status == S.COMPLETED:
        assert Review.objects.filter(pact=pact, final=True).exists()
    if pact.status == S.DRAFT:
        assert not pact.signatories.filter(signed_at__isnull=False).exists()


# The moves along the happy path come up more often, so that most walks get past the
# signatures and into reviews, renewals and interruptions of running pacts.
HAPPY_PATH = ("propose", "sign_next", "sign_next", "sign_next", "start", "review", "review_start")
WEIGHTED = (*ACTIONS, *HAPPY_PATH * 2, "review_final", "review_final", "renew")


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    head=st.integers(min_value=0, max_value=len(HAPPY_PATH)),
    actions=st.lists(st.sampled_from(WEIGHTED), min_size=3, max_size=25),
)
def test_random_sequences_of_moves_keep_the_invariants(head, actions, social_worker, partner_user):
    """Whatever is tried, in whatever order: a move the machine refuses changes nothing,
    an accepted one follows an arrow of ``TRANSITIONS``, and the pact stays coherent.
    Each walk starts some way along the happy path, so that every status is explored."""
    partner = partner_user.memberships.get().organisation
    pact = draft_pact(social_worker, partner=partner, goals=1)
    signed_once = False
    for action in (*HAPPY_PATH[:head], *actions):
        before = _state(pact)
        goals_before = pact.goals.count()
        renewals_before = Pact.objects.filter(renewal_of=pact).count()
        try:
            _act(action, pact, social_worker, partner_user)
        except ValidationError:
            assert _state(pact) == before, action
            assert pact.goals.count() == goals_before
            assert Pact.objects.filter(renewal_of=pact).count() == renewals_before
        else:
            pact.refresh_from_db()
            old, new = before[0], pact.status
            if action == "add_goal":
                assert old == S.DRAFT
                assert pact.goals.count() == goals_before + 1
            elif action == "renew":
                assert old == S.COMPLETED
                renewal = Pact.objects.get(renewal_of=pact)
                assert renewal.status == S.DRAFT
            elif action == "review":
                assert old in (S.ACTIVE, S.IN_REVIEW)
                assert new == S.ACTIVE
            elif action == "review_final":
                assert old in (S.ACTIVE, S.IN_REVIEW)
                assert new == S.COMPLETED
            elif action == "sign_next":
                assert old == S.PROPOSED
                assert new in (S.PROPOSED, S.SIGNED)
            else:
                assert new in TRANSITIONS[old], (action, old, new)
            if new == S.SIGNED:
                signed_once = True
            if new == S.DRAFT:
                signed_once = False
        _check_invariants(pact, signed_once)
        event(f"reached {pact.status}")


def test_goals_commitments_and_signatories_change_only_in_a_draft(social_worker, partner_user):
    for status in (S.PROPOSED, S.SIGNED, S.ACTIVE, S.COMPLETED):
        pact = pact_in(status, worker=social_worker, partner_signer=partner_user)
        goal = pact.goals.first()
        commitment = pact.commitments.first()
        signatory = pact.signatories.filter(kind=SignatoryKind.ORGANISATION).get()
        attempts = [
            lambda p=pact: pacts.goal_add(
                pact=p,
                actor=social_worker,
                description="x",
                indicator="y",
                target_date=timezone.localdate(),
            ),
            lambda g=goal: pacts.goal_update(goal=g, actor=social_worker, description="z"),
            lambda g=goal: pacts.goal_remove(goal=g, actor=social_worker),
            lambda p=pact: pacts.commitment_add(
                pact=p,
                actor=social_worker,
                direction=CommitmentDirection.GIVES_BACK,
                kind=CommitmentKind.LAB,
                description="Laboratorio",
                quantity=1,
                unit="hours",
                period="week",
                owner="Parrocchia",
            ),
            lambda c=commitment: pacts.commitment_update(
                commitment=c, actor=social_worker, description="altro"
            ),
            lambda c=commitment: pacts.commitment_remove(commitment=c, actor=social_worker),
            lambda p=pact: pacts.signatory_add(
                pact=p, actor=social_worker, kind=SignatoryKind.COMMUNITY, name="Pro Loco"
            ),
            lambda s=signatory: pacts.signatory_remove(signatory=s, actor=social_worker),
            lambda p=pact: pacts.pact_update(pact=p, actor=social_worker, context="Nuovo"),
        ]
        for attempt in attempts:
            before = (_state(pact), pact.goals.count(), pact.commitments.count())
            with pytest.raises(ValidationError):
                attempt()
            assert (_state(pact), pact.goals.count(), pact.commitments.count()) == before
