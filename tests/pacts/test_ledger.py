"""The reciprocity ledger: hours in double entry (every transaction, and the whole ledger,
sums to zero), balances of a pact, a person and an organisation, corrections by reversal
(once, never of a reversal), validation, who may record, and — on PostgreSQL — rows that
not even raw SQL can change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legami.models import ChangeEvent
from legami.roles import Role
from pacts.gdpr import _scrub_ledger_descriptions
from pacts.models import (
    CommitmentDirection,
    LedgerEntry,
    LedgerTransaction,
    PactStatus,
)
from pacts.selectors import organisation_balance, pact_balance, person_balance
from pacts.services.ledger import hours_record, transaction_reverse
from tests.pacts.factories import pact_in
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

S = PactStatus
GIVES_BACK = CommitmentDirection.GIVES_BACK
PROVIDES = CommitmentDirection.PROVIDES
TODAY = timezone.localdate


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)


@pytest.fixture
def partner(partner_user):
    return partner_user.memberships.get().organisation


@pytest.fixture
def active(social_worker, partner_user):
    return pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)


def record(pact, actor, hours="2", direction=GIVES_BACK, organisation=None, **extra):
    organisation = organisation or pact.signatories.get(kind="organisation").organisation
    extra.setdefault("date", TODAY() - dt.timedelta(days=1))
    return hours_record(
        pact=pact,
        actor=actor,
        hours=hours,
        direction=direction,
        organisation=organisation,
        **extra,
    )


def _sum(qs) -> Decimal:
    return qs.aggregate(total=Sum("amount"))["total"] or Decimal(0)


# --- Double entry --------------------------------------------------------------------------


def test_hours_given_back_move_from_the_person_to_the_organisation(active, social_worker, partner):
    txn = record(active, social_worker, hours="3.5", description="  Laboratorio  ")

    entries = {e.account: e.amount for e in txn.entries.select_related("account")}
    assert entries == {txn.giver: Decimal("3.50"), txn.receiver: Decimal("-3.50")}
    assert txn.giver.person_id == active.person_id
    assert txn.receiver.organisation_id == partner.pk
    assert txn.description == "Laboratorio"
    assert txn.recorded_by == social_worker
    assert ChangeEvent.objects.filter(
        target_type="pacts.ledgertransaction", target_id=str(txn.pk), action="create"
    ).exists()


def test_hours_received_move_from_the_organisation_to_the_person(active, social_worker, partner):
    txn = record(active, social_worker, hours=4, direction=PROVIDES)
    assert txn.giver.organisation_id == partner.pk
    assert txn.receiver.person_id == active.person_id
    assert _sum(txn.entries.all()) == 0


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("record"),
            st.sampled_from([GIVES_BACK, PROVIDES]),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("40"), places=2),
        ),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=20), st.just(None)),
    ),
    max_size=12,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_the_ledger_always_sums_to_zero(operations, social_worker, partner_user):
    """Random recordings and reversals: every transaction sums to zero, so does the
    ledger, and the balances are the hours recorded less the hours reversed."""
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    recorded: list[tuple[LedgerTransaction, str]] = []
    expected = {GIVES_BACK: Decimal(0), PROVIDES: Decimal(0)}
    for op, arg, hours in operations:
        if op == "record":
            txn = record(pact, social_worker, hours=hours, direction=arg)
            recorded.append((txn, arg))
            expected[arg] += hours
        elif recorded:
            txn, direction = recorded[arg % len(recorded)]
            try:
                transaction_reverse(txn=txn, actor=social_worker, reason="Errore di inserimento")
            except ValidationError:
                assert LedgerTransaction.objects.filter(reverses=txn).count() == 1
            else:
                expected[direction] -= txn.hours

    for txn in LedgerTransaction.objects.filter(pact=pact):
        assert _sum(txn.entries.all()) == 0
        assert txn.entries.count() == 2
    assert _sum(LedgerEntry.objects.all()) == 0
    balance = pact_balance(pact)
    assert (balance.given, balance.received) == (expected[GIVES_BACK], expected[PROVIDES])
    assert person_balance(pact.person) == balance


# --- Balances ------------------------------------------------------------------------------


def test_balances_of_a_pact_a_person_and_an_organisation(
    social_worker, partner_user, partner, make_user
):
    first = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    # A second pact of the same person, with the same partner.
    from tests.pacts.factories import draft_pact, sign_all

    second = draft_pact(social_worker, case=first.case, partner=partner)
    from pacts.services import pacts as pact_services

    second = pact_services.pact_propose(pact=second, actor=social_worker)
    second = sign_all(second, social_worker, partner_user)
    second = pact_services.pact_start(
        pact=second, actor=social_worker, on=TODAY() - dt.timedelta(days=5)
    )

    record(first, social_worker, hours="3")
    record(first, social_worker, hours="2", direction=PROVIDES)
    record(second, social_worker, hours="1.5")
    wrong = record(second, social_worker, hours="10")
    transaction_reverse(txn=wrong, actor=social_worker, reason="Ore inserite due volte")

    assert pact_balance(first).given == Decimal("3")
    assert pact_balance(first).received == Decimal("2")
    assert pact_balance(first).net == Decimal("1")
    assert pact_balance(second).given == Decimal("1.5")
    assert pact_balance(second).received == 0
    person = person_balance(first.person)
    assert (person.given, person.received) == (Decimal("4.5"), Decimal("2"))
    org = organisation_balance(user=partner_user, organisation=partner)
    assert org is not None
    assert (org.given, org.received) == (Decimal("2"), Decimal("4.5"))
    assert organisation_balance(user=make_user(), organisation=partner) is None


def test_a_reversal_of_hours_received_takes_them_off_what_was_received(active, social_worker):
    """Reversed hours net out on their own side: they are neither "given" nor "received"."""
    txn = record(active, social_worker, hours="6", direction=PROVIDES)
    transaction_reverse(txn=txn, actor=social_worker, reason="Mai avvenuto")
    balance = pact_balance(active)
    assert (balance.given, balance.received) == (0, 0)


# --- Reversal ------------------------------------------------------------------------------


def test_a_reversal_swaps_the_sides_once(active, social_worker):
    txn = record(active, social_worker, hours="2.25")

    reversal = transaction_reverse(txn=txn, actor=social_worker, reason="  Doppione  ")

    assert (reversal.giver, reversal.receiver) == (txn.receiver, txn.giver)
    assert reversal.hours == txn.hours
    assert reversal.reverses == txn
    assert reversal.is_reversal and not txn.is_reversal
    assert reversal.date == TODAY()
    assert reversal.description == "Doppione"
    assert _sum(LedgerEntry.objects.filter(transaction__pact=active)) == 0
    assert ChangeEvent.objects.filter(
        target_type="pacts.ledgertransaction", target_id=str(reversal.pk), action="reverse"
    ).exists()

    with pytest.raises(ValidationError) as twice:
        transaction_reverse(txn=txn, actor=social_worker, reason="Ancora")
    assert twice.value.code == "reversed"
    with pytest.raises(ValidationError):
        transaction_reverse(txn=reversal, actor=social_worker, reason="Annullo l'annullo")
    assert LedgerTransaction.objects.filter(pact=active).count() == 2


def test_a_reversal_needs_a_reason(active, social_worker):
    txn = record(active, social_worker)
    with pytest.raises(ValidationError):
        transaction_reverse(txn=txn, actor=social_worker, reason=" ")
    assert not LedgerTransaction.objects.filter(reverses=txn).exists()


def test_a_concurrent_reversal_loses_to_the_one_to_one_link(active, social_worker, monkeypatch):
    """Two reversals at the same moment both pass the check; the database keeps one."""
    txn = record(active, social_worker)
    transaction_reverse(txn=txn, actor=social_worker, reason="Prima")
    # The second request read "not reversed yet" before the first one committed.
    look = LedgerTransaction.objects.filter

    def stale_filter(*args, **kwargs):
        return LedgerTransaction.objects.none() if "reverses" in kwargs else look(*args, **kwargs)

    monkeypatch.setattr(LedgerTransaction.objects, "filter", stale_filter)

    with pytest.raises(ValidationError) as lost:
        transaction_reverse(txn=txn, actor=social_worker, reason="Seconda, in parallelo")

    monkeypatch.undo()
    assert lost.value.code == "reversed"
    assert LedgerTransaction.objects.filter(reverses=txn).count() == 1
    assert _sum(LedgerEntry.objects.all()) == 0


# --- Validation ----------------------------------------------------------------------------


@pytest.mark.parametrize("hours", ["0", "-1", "1000.01", "abc", 0])
def test_hours_must_be_between_a_hundredth_and_a_thousand(active, social_worker, hours):
    with pytest.raises(ValidationError) as refused:
        record(active, social_worker, hours=hours)
    assert "hours" in refused.value.message_dict
    assert not LedgerTransaction.objects.exists()


def test_a_thousand_hours_are_the_most(active, social_worker):
    assert record(active, social_worker, hours="1000").hours == Decimal("1000")


def test_the_date_is_neither_in_the_future_nor_before_the_start(active, social_worker):
    with pytest.raises(ValidationError) as future:
        record(active, social_worker, date=TODAY() + dt.timedelta(days=1))
    assert "date" in future.value.message_dict
    with pytest.raises(ValidationError) as early:
        record(active, social_worker, date=active.start_date - dt.timedelta(days=1))
    assert "date" in early.value.message_dict
    assert record(active, social_worker, date=active.start_date).date == active.start_date
    assert record(active, social_worker, date=TODAY()).date == TODAY()


def test_a_commitment_must_be_of_the_pact_in_the_same_direction(
    active, social_worker, partner_user
):
    gives_back = active.commitments.get(direction=GIVES_BACK)
    provides = active.commitments.get(direction=PROVIDES)
    other = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    other_commitment = other.commitments.get(direction=GIVES_BACK)

    for commitment, direction in (
        (provides, GIVES_BACK),
        (gives_back, PROVIDES),
        (other_commitment, GIVES_BACK),
    ):
        with pytest.raises(ValidationError) as refused:
            record(active, social_worker, direction=direction, commitment=commitment)
        assert "commitment" in refused.value.message_dict
    assert record(active, social_worker, commitment=gives_back).commitment == gives_back


def test_a_commitment_with_another_organisation_is_refused(active, social_worker):
    commitment = active.commitments.get(direction=GIVES_BACK)
    elsewhere = OrganisationFactory()
    with pytest.raises(ValidationError) as refused:
        record(active, social_worker, commitment=commitment, organisation=elsewhere)
    assert "commitment" in refused.value.message_dict


def test_direction_and_organisation_are_required(active, social_worker):
    with pytest.raises(ValidationError) as refused:
        hours_record(
            pact=active,
            actor=social_worker,
            hours="1",
            date=TODAY(),
            direction="sideways",
            organisation=None,
        )
    assert {"direction", "organisation"} <= set(refused.value.message_dict)


@pytest.mark.parametrize("status", [S.DRAFT, S.PROPOSED, S.COMPLETED, S.INTERRUPTED])
def test_hours_go_only_on_a_signed_or_running_pact(status, social_worker, partner_user):
    pact = pact_in(status, worker=social_worker, partner_signer=partner_user)
    with pytest.raises(ValidationError) as refused:
        record(pact, social_worker, date=TODAY())
    assert refused.value.code == "not_running"
    assert not LedgerTransaction.objects.exists()


@pytest.mark.parametrize("status", [S.SIGNED, S.IN_REVIEW])
def test_hours_go_on_a_signed_pact_or_one_in_review(status, social_worker, partner_user):
    pact = pact_in(status, worker=social_worker, partner_signer=partner_user)
    assert record(pact, social_worker, date=TODAY()).pact == pact


# --- Who records ---------------------------------------------------------------------------


def test_partner_staff_record_the_hours_of_their_own_signatory_organisation(
    active, partner_user, partner
):
    txn = record(active, partner_user, organisation=partner)
    assert txn.recorded_by == partner_user
    transaction_reverse(txn=txn, actor=partner_user, reason="Sbagliato")


def test_partner_staff_cannot_record_for_another_organisation(active, partner_user, social_worker):
    elsewhere = OrganisationFactory()
    MembershipFactory(user=partner_user, organisation=elsewhere, role=Role.PARTNER_STAFF)
    with pytest.raises(PermissionDenied):
        record(active, partner_user, organisation=elsewhere)
    txn = record(active, social_worker, organisation=elsewhere)
    other_staff = MembershipFactory(organisation=OrganisationFactory(), role=Role.PARTNER_STAFF)
    with pytest.raises(PermissionDenied):
        transaction_reverse(txn=txn, actor=other_staff.user, reason="Non mio")


def test_staff_of_a_non_signatory_organisation_cannot_record(active):
    outsider = MembershipFactory(role=Role.PARTNER_STAFF).user
    with pytest.raises(PermissionDenied):
        record(active, outsider, organisation=outsider.memberships.get().organisation)


def test_a_worker_not_assigned_to_the_case_cannot_record(active, make_user, social_worker):
    stranger = make_user(role=Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        record(active, stranger)
    txn = record(active, social_worker)
    with pytest.raises(PermissionDenied):
        transaction_reverse(txn=txn, actor=stranger, reason="Non mio")
    assert not LedgerTransaction.objects.filter(reverses=txn).exists()


# --- Append-only on PostgreSQL -------------------------------------------------------------


@on_postgresql
def test_ledger_rows_cannot_be_changed_or_deleted_in_the_database(active, social_worker):
    """Even raw SQL cannot rewrite the ledger: UPDATE and DELETE fail at the database."""
    txn = record(active, social_worker, hours="2")
    entry = txn.entries.first()
    for statement, table, pk in (
        ("UPDATE {t} SET hours = 99 WHERE id = %s", "pacts_ledgertransaction", txn.pk),
        ("DELETE FROM {t} WHERE id = %s", "pacts_ledgertransaction", txn.pk),
        ("UPDATE {t} SET amount = 99 WHERE id = %s", "pacts_ledgerentry", entry.pk),
        ("DELETE FROM {t} WHERE id = %s", "pacts_ledgerentry", entry.pk),
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement.format(t=table), [pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerTransaction.objects.filter(pk=txn.pk).update(description="forged")
    txn.refresh_from_db()
    assert (txn.hours, txn.description) == (Decimal("2"), "")
    assert LedgerEntry.objects.filter(transaction=txn).count() == 2


@on_postgresql
def test_the_anonymisation_door_lets_only_the_description_be_emptied(active, social_worker):
    """With ``pacts.ledger_anonymise`` on for the transaction, the description of a
    ledger transaction may change — nothing else, and entries not at all."""
    txn = record(active, social_worker, hours="2", description="Con la signora Rossi")
    entry = txn.entries.first()
    _scrub_ledger_descriptions(active.person)
    txn.refresh_from_db()
    assert txn.description == ""
    for statement, pk in (
        ("UPDATE pacts_ledgertransaction SET hours = 9 WHERE id = %s", txn.pk),
        ("UPDATE pacts_ledgertransaction SET description = 'x', hours = 9 WHERE id = %s", txn.pk),
        ("DELETE FROM pacts_ledgertransaction WHERE id = %s", txn.pk),
        ("UPDATE pacts_ledgerentry SET amount = 9 WHERE id = %s", entry.pk),
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL pacts.ledger_anonymise = 'on'")
            cursor.execute(statement, [pk])
    # The anonymisation closes the door behind it, even inside a larger transaction.
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerTransaction.objects.filter(pk=txn.pk).update(description="again")
