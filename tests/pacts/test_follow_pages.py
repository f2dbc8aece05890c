"""The pages that follow a pact: the review form, the ledger of hours with its reversals,
the work placements and the dismissal of reminders."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from legami.models import AccessEvent
from legami.roles import Role
from pacts.models import (
    CommitmentDirection,
    LedgerTransaction,
    PactStatus,
    Placement,
    Reminder,
    ReminderKind,
    Review,
    SignatoryKind,
)
from pacts.services import ledger
from pacts.services import pacts as pact_services
from tests.beneficiaries.factories import AssessmentFactory
from tests.pacts.factories import pact_in
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

S = PactStatus
TODAY = timezone.localdate


@pytest.fixture
def active(social_worker, partner_user):
    return pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)


@pytest.fixture
def partner(partner_user):
    return partner_user.memberships.get().organisation


def url(name, pact, *args):
    return reverse(f"pacts:{name}", args=[pact.public_id, *args])


def field_html(html: str, field_id: str) -> str:
    match = re.search(rf'<(input|select|textarea)[^>]*id="{field_id}"[^>]*>', html)
    assert match, f"no field {field_id}"
    return match.group(0)


def record(pact, actor, organisation, hours="2", direction=CommitmentDirection.GIVES_BACK):
    return ledger.hours_record(
        pact=pact,
        actor=actor,
        hours=hours,
        date=TODAY() - dt.timedelta(days=1),
        direction=direction,
        organisation=organisation,
    )


# --- Reviews -------------------------------------------------------------------------------


def test_the_review_form_proposes_the_next_date_and_recent_lsns6(social_worker_client, active):
    """The next review is proposed review_every_weeks from today, and the LSNS-6 of the
    last 30 days is offered (an older one is not)."""
    recent = AssessmentFactory(person=active.person, date=TODAY() - dt.timedelta(days=5))
    AssessmentFactory(person=active.person, date=TODAY() - dt.timedelta(days=60))
    response = social_worker_client.get(url("review_new", active))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["next_review_on"] == TODAY() + dt.timedelta(weeks=8)
    assert list(form.fields["assessment"].queryset) == [recent]
    html = response.content.decode()
    for goal in active.goals.all():
        assert goal.description in html


def test_a_review_is_recorded_and_the_pact_goes_on(social_worker_client, active):
    goals = list(active.goals.all())
    assessment = AssessmentFactory(person=active.person, date=TODAY())
    next_date = TODAY() + dt.timedelta(weeks=6)
    data = {
        f"goal_{goals[0].pk}": "achieved",
        f"goal_{goals[0].pk}_note": "Frequenta il laboratorio.",
        f"goal_{goals[1].pk}": "partly",
        "notes": "Buon avvio.",
        "next_review_on": next_date.isoformat(),
        "assessment": assessment.pk,
    }
    response = social_worker_client.post(url("review_new", active), data)
    assert response.status_code == 302
    assert response.url == active.get_absolute_url()
    review = Review.objects.get(pact=active)
    assert review.assessment == assessment
    assert {o.goal_id: o.outcome for o in review.outcomes.all()} == {
        goals[0].pk: "achieved",
        goals[1].pk: "partly",
    }
    active.refresh_from_db()
    assert active.status == S.ACTIVE and active.next_review_on == next_date


def test_a_final_review_completes_the_pact(social_worker_client, active):
    data = {f"goal_{g.pk}": "achieved" for g in active.goals.all()} | {"final": "on"}
    assert social_worker_client.post(url("review_new", active), data).status_code == 302
    active.refresh_from_db()
    assert active.status == S.COMPLETED


def test_an_incomplete_review_shows_its_errors_inline_and_changes_nothing(
    social_worker_client, active
):
    # Given a review without outcomes and without a next date
    before = active.next_review_on
    response = social_worker_client.post(url("review_new", active), {"notes": "Scritte"})

    # Then it comes back refused, with each error under its field
    assert response.status_code == 400
    assert not Review.objects.exists()
    active.refresh_from_db()
    assert active.status == S.ACTIVE and active.next_review_on == before
    html = response.content.decode()
    field = field_html(html, "review-next_review_on")
    assert "is-invalid" in field and 'aria-invalid="true"' in field
    assert 'aria-describedby="review-next_review_on_error"' in field
    assert 'id="review-next_review_on_error"' in html
    goal = active.goals.first()
    assert f'id="review-goal_{goal.pk}_error"' in html
    assert "invalid-feedback" in html
    assert "Scritte" in html  # what was typed is kept


def test_a_next_review_before_today_is_refused_by_the_service(social_worker_client, active):
    data = {f"goal_{g.pk}": "achieved" for g in active.goals.all()}
    data["next_review_on"] = (TODAY() - dt.timedelta(days=1)).isoformat()
    response = social_worker_client.post(url("review_new", active), data)
    assert response.status_code == 400
    assert "The next review comes after this one." in response.content.decode()
    assert not Review.objects.exists()


def test_starting_the_review_puts_the_pact_in_review(social_worker_client, active):
    response = social_worker_client.post(url("review_start", active))
    assert response.status_code == 302 and response.url == url("review_new", active)
    active.refresh_from_db()
    assert active.status == S.IN_REVIEW


def test_a_pact_not_running_cannot_be_reviewed(social_worker, partner_user, social_worker_client):
    signed = pact_in(S.SIGNED, worker=social_worker, partner_signer=partner_user)
    response = social_worker_client.get(url("review_new", signed))
    assert response.status_code == 200
    assert "Only a running pact can be reviewed" in response.content.decode()
    assert social_worker_client.post(url("review_start", signed)).status_code == 302
    signed.refresh_from_db()
    assert signed.status == S.SIGNED


# --- The ledger ----------------------------------------------------------------------------


def test_the_ledger_shows_the_hours_the_balance_and_the_chart(
    social_worker, social_worker_client, active, partner
):
    record(active, social_worker, partner, hours="3")
    record(active, social_worker, partner, hours="1.5", direction=CommitmentDirection.PROVIDES)
    response = social_worker_client.get(url("ledger", active))
    assert response.status_code == 200
    balance = response.context["balance"]
    assert (balance.given, balance.received, balance.net) == (
        Decimal("3.00"),
        Decimal("1.50"),
        Decimal("1.50"),
    )
    html = response.content.decode()
    data = json.loads(re.search(r'id="ledger-chart-data"[^>]*>(.*?)</script>', html).group(1))
    assert data["given"] == [3.0] and data["received"] == [1.5]
    assert "pacts/follow_ledger.js" in html
    assert AccessEvent.objects.filter(purpose="pact ledger", target_id=str(active.pk)).exists()


def test_hours_are_recorded_from_the_ledger(social_worker_client, active, partner):
    data = {
        "date": TODAY().isoformat(),
        "hours": "2.5",
        "direction": "gives_back",
        "organisation": partner.pk,
        "description": "Laboratorio con i ragazzi",
    }
    response = social_worker_client.post(url("hours_record", active), data)
    assert response.status_code == 302
    txn = LedgerTransaction.objects.get()
    assert txn.hours == Decimal("2.50") and txn.giver.person_id == active.person_id


def test_hours_in_the_future_are_refused_inline_and_nothing_is_recorded(
    social_worker_client, active, partner
):
    data = {
        "date": (TODAY() + dt.timedelta(days=3)).isoformat(),
        "hours": "2",
        "direction": "gives_back",
        "organisation": partner.pk,
    }
    response = social_worker_client.post(url("hours_record", active), data)
    assert response.status_code == 400
    assert not LedgerTransaction.objects.exists()
    html = response.content.decode()
    field = field_html(html, "hours-date")
    assert "is-invalid" in field and 'aria-describedby="hours-date_error"' in field
    assert "The date is in the future." in html


def test_partner_staff_record_hours_only_for_their_own_organisation(
    social_worker, partner_user, partner_client, make_user
):
    # Given a pact signed by the partner's organisation and by another one
    other = OrganisationFactory(name="Altra Cooperativa")
    other_staff = make_user("other@example.org")
    MembershipFactory(user=other_staff, organisation=other, role=Role.PARTNER_STAFF)
    pact = pact_in(S.DRAFT, worker=social_worker, partner_signer=partner_user)
    pact_services.signatory_add(
        pact=pact, actor=social_worker, kind=SignatoryKind.ORGANISATION, organisation=other
    )
    pact = pact_services.pact_propose(pact=pact, actor=social_worker)
    for signatory in pact.signatories.all():
        signer = social_worker
        if signatory.kind == SignatoryKind.ORGANISATION:
            signer = other_staff if signatory.organisation_id == other.pk else partner_user
        pact = pact_services.pact_sign(pact=pact, signatory=signatory, signer=signer)
    pact = pact_services.pact_start(pact=pact, actor=social_worker)
    own = partner_user.memberships.get().organisation
    data = {"date": TODAY().isoformat(), "hours": "2", "direction": "gives_back"}

    # When the partner offers hours with the other organisation, they are refused
    response = partner_client.post(url("hours_record", pact), {**data, "organisation": other.pk})
    assert response.status_code == 400
    assert not LedgerTransaction.objects.exists()
    assert [o.pk for o in response.context["hours_form"].fields["organisation"].queryset] == [
        own.pk
    ]
    # and with their own, they are recorded
    response = partner_client.post(url("hours_record", pact), {**data, "organisation": own.pk})
    assert response.status_code == 302
    assert LedgerTransaction.objects.get().receiver.organisation_id == own.pk


def test_partner_staff_see_only_the_hours_of_their_organisation(
    social_worker, partner_user, partner_client
):
    other = OrganisationFactory(name="Altra")
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    own = partner_user.memberships.get().organisation
    record(pact, social_worker, own, hours="2")
    # Hours with an organisation not signing are not possible; hours of the partner only.
    response = partner_client.get(url("ledger", pact))
    assert response.status_code == 200
    assert [r["txn"].hours for r in response.context["rows"]] == [Decimal("2.00")]
    assert response.context["balance"].given == Decimal("2.00")
    assert other.name not in response.content.decode()


def test_a_reversal_is_linked_to_what_it_cancels_and_is_refused_twice(
    social_worker, social_worker_client, active, partner
):
    txn = record(active, social_worker, partner, hours="4")
    reverse_url = url("hours_reverse", active, txn.pk)

    response = social_worker_client.post(reverse_url, {"reason": "Registrate per errore."})
    assert response.status_code == 302
    reversal = LedgerTransaction.objects.get(reverses=txn)

    page = social_worker_client.get(url("ledger", active)).content.decode()
    assert f'href="#txn-{txn.pk}"' in page and f'href="#txn-{reversal.pk}"' in page
    assert f'action="{reverse_url}"' not in page  # no second cancel button

    # A second reversal is refused with the reason, and nothing is added
    response = social_worker_client.post(reverse_url, {"reason": "Ancora."})
    assert response.status_code == 400
    assert "These hours have already been cancelled." in response.content.decode()
    assert LedgerTransaction.objects.count() == 2
    # and the balance is back to zero
    assert response.context["balance"].net == Decimal("0.00")


def test_a_reversal_without_a_reason_is_refused_inline(
    social_worker, social_worker_client, active, partner
):
    txn = record(active, social_worker, partner)
    response = social_worker_client.post(url("hours_reverse", active, txn.pk), {"reason": ""})
    assert response.status_code == 400
    assert LedgerTransaction.objects.count() == 1
    field = field_html(response.content.decode(), f"reverse-{txn.pk}-reason")
    assert "is-invalid" in field


@pytest.mark.parametrize("count", [1, 12])
def test_the_ledger_needs_the_same_queries_for_one_or_many_transactions(
    count, social_worker, social_worker_client, active, partner, django_assert_max_num_queries
):
    for n in range(count):
        txn = record(active, social_worker, partner, hours=str(n + 1))
        if n % 3 == 0:
            ledger.transaction_reverse(txn=txn, actor=social_worker, reason="Errore")
    with django_assert_max_num_queries(40):
        response = social_worker_client.get(url("ledger", active))
    assert response.status_code == 200


def test_the_ledger_query_count_does_not_grow(social_worker, social_worker_client, active, partner):
    """The same number of queries for one transaction as for fifteen."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    record(active, social_worker, partner)
    with CaptureQueriesContext(connection) as one:
        social_worker_client.get(url("ledger", active))
    for n in range(14):
        txn = record(active, social_worker, partner, hours=str(n + 1))
        if n % 2:
            ledger.transaction_reverse(txn=txn, actor=social_worker, reason="Errore")
    with CaptureQueriesContext(connection) as many:
        social_worker_client.get(url("ledger", active))
    assert len(many.captured_queries) == len(one.captured_queries)


# --- Work placements -----------------------------------------------------------------------


PLACEMENT = {
    "tutor": "Mario Rossi",
    "role": "Aiuto magazziniere",
    "hours_per_week": "12",
    "outcome": "ongoing",
}


def _dates(**extra):
    return {
        "start_date": (TODAY() - dt.timedelta(days=10)).isoformat(),
        "end_date": (TODAY() + dt.timedelta(days=80)).isoformat(),
        **extra,
    }


def test_a_placement_at_a_company_is_added(social_worker_client, active):
    data = {**PLACEMENT, **_dates(), "host_name": "Falegnameria Rossi"}
    response = social_worker_client.post(url("placement_add", active), data)
    assert response.status_code == 302
    placement = Placement.objects.get()
    assert placement.host_label == "Falegnameria Rossi"
    page = social_worker_client.get(url("placements", active)).content.decode()
    assert "Falegnameria Rossi" in page and "Aiuto magazziniere" in page


def test_a_placement_without_a_host_is_refused_inline(social_worker_client, active):
    response = social_worker_client.post(url("placement_add", active), {**PLACEMENT, **_dates()})
    assert response.status_code == 400
    assert not Placement.objects.exists()
    html = response.content.decode()
    field = field_html(html, "placement-new-host_name")
    assert "is-invalid" in field and "placement-new-host_name_error" in field


def test_the_outcome_of_a_placement_is_recorded(social_worker_client, active, partner):
    data = {**PLACEMENT, **_dates(), "host_organisation": partner.pk}
    social_worker_client.post(url("placement_add", active), data)
    placement = Placement.objects.get()
    update = url("placement_update", active, placement.pk)

    # An outcome without its date is refused and changes nothing
    response = social_worker_client.post(update, {**data, "outcome": "hired"})
    assert response.status_code == 400
    placement.refresh_from_db()
    assert placement.outcome == "ongoing"
    assert "is-invalid" in field_html(
        response.content.decode(), f"placement-{placement.pk}-outcome_date"
    )

    response = social_worker_client.post(
        update, {**data, "outcome": "hired", "outcome_date": TODAY().isoformat()}
    )
    assert response.status_code == 302
    placement.refresh_from_db()
    assert (placement.outcome, placement.outcome_date) == ("hired", TODAY())


def test_a_placement_of_another_pact_is_not_found(
    social_worker, partner_user, social_worker_client, active
):
    other = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    data = {**PLACEMENT, **_dates(), "host_name": "Ditta"}
    social_worker_client.post(url("placement_add", other), data)
    placement = Placement.objects.get()
    response = social_worker_client.post(url("placement_update", active, placement.pk), data)
    assert response.status_code == 404


# --- Reminders -----------------------------------------------------------------------------


def _reminder(pact, user, key="k"):
    return Reminder.objects.create(
        key=key, pact=pact, recipient=user, kind=ReminderKind.OVERDUE, due_on=TODAY()
    )


def test_a_user_dismisses_their_reminder(social_worker, social_worker_client, active):
    reminder = _reminder(active, social_worker)
    response = social_worker_client.post(reverse("pacts:reminder_dismiss", args=[reminder.pk]))
    assert response.status_code == 302 and response.url == reverse("legami:dashboard")
    reminder.refresh_from_db()
    assert reminder.dismissed_at is not None


def test_a_reminder_dismissed_with_htmx_leaves_nothing_in_its_place(
    social_worker, social_worker_client, active
):
    reminder = _reminder(active, social_worker)
    response = social_worker_client.post(
        reverse("pacts:reminder_dismiss", args=[reminder.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response.content == b""


def test_someone_elses_reminder_is_not_found(
    social_worker, coordinator, coordinator_client, active
):
    reminder = _reminder(active, social_worker)
    response = coordinator_client.post(reverse("pacts:reminder_dismiss", args=[reminder.pk]))
    assert response.status_code == 404
    reminder.refresh_from_db()
    assert reminder.dismissed_at is None
