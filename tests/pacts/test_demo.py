"""The pacts' demo step: pacts in every state for the demo case files, made through the
services and seeded idempotently by ``manage.py seed_demo``."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from legami.demo import demo_steps
from legami.models import ChangeEvent, User
from pacts.models import (
    LedgerEntry,
    LedgerTransaction,
    Pact,
    PactStatus,
    Placement,
    Reminder,
    Review,
    Signatory,
)
from pacts.selectors import pact_balance, pact_list, pact_outcomes, reminders_for

pytestmark = pytest.mark.django_db

S = PactStatus
MODELS = (Pact, Signatory, Review, Placement, LedgerTransaction, LedgerEntry, Reminder)


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def seed() -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    return seed()


def test_the_pacts_step_runs_after_the_case_files():
    labels = [label for label, _seed in demo_steps()]
    assert labels.index("pacts") > labels.index("beneficiaries")


def test_seeding_twice_adds_nothing(seeded):
    first = _counts()
    events = ChangeEvent.objects.count()
    output = seed()
    assert _counts() == first
    assert ChangeEvent.objects.count() == events
    assert "pacts: 0 created, 8 unchanged" in output
    assert "pacts: 8 created, 0 unchanged" in seeded


def test_there_is_a_pact_in_every_state(seeded):
    assert set(Pact.objects.values_list("status", flat=True)) == set(S.values)


def test_the_completed_pact_has_its_final_review_lsns6_and_renewal(seeded):
    completed = Pact.objects.get(status=S.COMPLETED)
    final = completed.reviews.get(final=True)
    assert final.assessment is not None
    outcomes = pact_outcomes(completed)
    assert outcomes.lsns_start is not None and outcomes.lsns_end is not None
    assert outcomes.lsns_change != 0
    assert outcomes.hours_given_back > 0
    assert outcomes.achieved >= 1
    renewal = completed.renewal
    assert renewal.status == S.DRAFT
    # The goal achieved at the final review is not carried over.
    assert renewal.goals.count() == completed.goals.count() - outcomes.achieved


def test_partners_sign_and_hours_flow_both_ways(seeded):
    signer = User.objects.get(email="partner@demo.legami.it")
    signed = Signatory.objects.filter(kind="organisation", signed_by=signer)
    assert signed.exists()
    assert Signatory.objects.filter(kind="community", on_paper=True).exists()
    assert set(pact_list(user=signer).values_list("status", flat=True)) >= {
        S.PROPOSED,
        S.SIGNED,
        S.ACTIVE,
    }
    active = [p for p in Pact.objects.filter(status=S.ACTIVE) if pact_balance(p).received]
    assert active and pact_balance(active[0]).given > 0
    assert Placement.objects.filter(host_organisation__isnull=True).exists()
    proposed = Pact.objects.get(status=S.PROPOSED)
    assert proposed.signatories.filter(signed_at__isnull=True).exists()
    assert proposed.signatories.filter(signed_at__isnull=False).exists()


def test_an_overdue_review_shows_as_a_reminder(seeded):
    overdue = Pact.objects.filter(status=S.ACTIVE, next_review_on__lt=timezone.localdate())
    assert overdue.count() == 1
    worker = User.objects.get(email="operatore.crema@demo.legami.it")
    reminders = list(reminders_for(user=worker))
    assert [r.pact for r in reminders if r.kind == "overdue"] == [overdue.get()]
    assert {r.kind for r in reminders} == {"overdue", "due_soon"}
