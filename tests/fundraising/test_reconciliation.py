"""Importing bank statements and reconciling them with pledged gifts: each file once,
each credit once, gifts received on the booking date when the causale (or the amount
and the donor's name) says which gift a credit pays, the rest left for a fundraiser to
confirm or ignore; only the fundraisers of the organisation may do any of it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from fundraising.models import (
    BankEntry,
    BankStatement,
    DonationStatus,
    DonorKind,
    EntryStatus,
    StatementFormat,
)
from fundraising.services.reconciliation import (
    ImportResult,
    entries_to_review,
    entry_confirm,
    entry_ignore,
    statement_import,
)
from legami.models import ChangeEvent
from tests.concurrency import race
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)

DATA = Path(__file__).parent / "data"
D = Decimal
S = DonationStatus


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def gift(org, amount, *, causale=None, first="", last="", company="", **kwargs):
    if company:
        donor = DonorFactory(kind=DonorKind.COMPANY, company_name=company, first_name="")
    else:
        donor = DonorFactory(first_name=first, last_name=last)
    return DonationFactory(
        campaign=CampaignFactory(organisation=org),
        organisation=org,
        donor=donor,
        amount=D(amount),
        causale=causale,
        **kwargs,
    )


@pytest.fixture
def org():
    return collector(name="Fondazione Comunitaria di Cremona")


@pytest.fixture
def user(org):
    return fundraiser(org)


@pytest.fixture
def pledges(org):
    """The gifts the sample camt.053 001.02 statement pays (and one it does not)."""
    return {
        "rossi": gift(org, "150.00", causale="DONO-7K2M9Q", first="Maria", last="Rossi"),
        # Bianchi pledged 75 € but transferred 80 €.
        "bianchi": gift(org, "75.00", causale="DONO-3FH8WX", first="Giuseppe", last="Bianchi"),
        "verdi": gift(org, "50.00", first="Anna", last="Verdi"),
        "panificio": gift(org, "1000.00", causale="DONO-Q4ZP2N", company="Panificio Ferrari Srl"),
        # Collected at a parish market and sent by one of the volunteers.
        "unpaid": gift(org, "70.50", company="Parrocchia di San Pietro"),
    }


def import_file(org, user, name) -> ImportResult:
    return statement_import(organisation=org, by=user, file_name=name, data=read(name))


def state():
    return (
        BankStatement.objects.count(),
        sorted(BankEntry.objects.values_list("reference", "status", "donation")),
        ChangeEvent.objects.count(),
    )


@pytest.mark.django_db
def test_import_matches_by_causale_and_by_amount_and_name(org, user, pledges):
    """Rossi (causale), Verdi (no causale; same amount and name) and the bakery (a
    structured causale in a batch) are received on the booking date; Bianchi (causale,
    different amount) and Galli (nothing to go by) wait for review."""
    result = import_file(org, user, "camt053_v02.xml")

    assert not result.already_imported
    assert (result.new, result.known, result.matched, result.to_review, result.skipped) == (
        5,
        0,
        3,
        2,
        0,
    )
    statement = result.statement
    assert statement.format == StatementFormat.CAMT053
    assert statement.account_iban == "IT60X0542811101000000123456"
    assert statement.imported_by == user
    assert statement.file_name == "camt053_v02.xml"
    entries = {e.reference: e for e in statement.entries.all()}
    assert entries["2026100500012345"].donation == pledges["rossi"]
    assert entries["2026100500012345"].status == EntryStatus.MATCHED
    assert entries["2026101400034567"].donation == pledges["verdi"]
    assert entries["2026102800056789-1"].donation == pledges["panificio"]
    assert entries["2026100900023456"].status == EntryStatus.UNMATCHED
    assert entries["2026100900023456"].donation is None
    assert entries["2026102800056789-2"].status == EntryStatus.UNMATCHED

    for key, booked in (("rossi", 5), ("verdi", 14), ("panificio", 28)):
        donation = pledges[key]
        donation.refresh_from_db()
        assert donation.status == S.RECEIVED
        assert donation.date == dt.date(2026, 10, booked)
        assert donation.received_at is not None
        assert ChangeEvent.objects.filter(
            target_id=str(donation.pk), action="update", changes__status=["pledged", "received"]
        ).exists()
    for key in ("bianchi", "unpaid"):
        pledges[key].refresh_from_db()
        assert pledges[key].status == S.PLEDGED
        assert pledges[key].received_at is None
    assert ChangeEvent.objects.filter(target_id=str(statement.pk), action="create").exists()


@pytest.mark.django_db
def test_the_same_file_twice_changes_nothing(org, user, pledges):
    first = import_file(org, user, "camt053_v02.xml")
    before = state()

    again = statement_import(
        organisation=org, by=user, file_name="renamed.xml", data=read("camt053_v02.xml")
    )

    assert again.already_imported
    assert again.statement == first.statement
    assert (again.new, again.matched, again.to_review) == (0, 0, 0)
    assert state() == before


@pytest.mark.django_db
def test_the_same_file_for_another_organisation_is_its_own(org, user, pledges):
    import_file(org, user, "camt053_v02.xml")
    other = collector()
    result = import_file(other, fundraiser(other), "camt053_v02.xml")
    assert not result.already_imported
    assert result.new == 5
    assert result.matched == 0  # org's pledges are not other's


@pytest.mark.django_db
def test_an_overlapping_statement_adds_only_the_new_credits(org, user, pledges):
    """The 001.08 statement repeats the 14 October credit: it is known, not duplicated;
    the new credit's causale matches whatever its case and spaces; dollars are skipped."""
    import_file(org, user, "camt053_v02.xml")
    coop = gift(org, "250.00", causale="DONO-8RT5VB", company="Cooperativa Il Sentiero")

    result = import_file(org, user, "camt053_v08.xml")

    assert (result.new, result.known, result.matched, result.to_review, result.skipped) == (
        1,
        1,
        1,
        0,
        1,
    )
    assert "USD" in result.skipped_reasons[0]
    assert BankEntry.objects.filter(reference="2026101400034567").count() == 1
    coop.refresh_from_db()
    assert coop.status == S.RECEIVED
    assert coop.bank_entry.reference == "E2E-COOP-1103"
    assert BankEntry.objects.filter(organisation=org).count() == 6


@pytest.mark.django_db
def test_a_gift_is_matched_once(org, user, pledges):
    """The CSV export repeats the Rossi transfer under another reference: the gift is
    received already, so this credit is for review, never a second match."""
    import_file(org, user, "camt053_v02.xml")

    result = import_file(org, user, "movimenti_cp1252.csv")

    assert result.statement.format == StatementFormat.CSV
    assert result.new == 4
    assert result.matched == 0
    assert result.skipped == 1  # the balance line
    rossi = BankEntry.objects.get(statement=result.statement, amount=D("150.00"))
    assert rossi.status == EntryStatus.UNMATCHED
    assert BankEntry.objects.filter(donation=pledges["rossi"]).count() == 1


@pytest.mark.django_db
def test_a_causale_with_another_amount_is_never_received(org, user, pledges):
    """Bianchi's 80 € carry his 75 € causale: to review, even though another pledged
    gift of 80 € by Giuseppe Bianchi exists."""
    other = gift(org, "80.00", first="Giuseppe", last="Bianchi")

    import_file(org, user, "camt053_v02.xml")

    entry = BankEntry.objects.get(reference="2026100900023456")
    assert entry.status == EntryStatus.UNMATCHED
    for donation in (pledges["bianchi"], other):
        donation.refresh_from_db()
        assert donation.status == S.PLEDGED


@pytest.mark.django_db
def test_amount_and_name_must_point_at_one_gift(org, user):
    """Two pledged 50 € gifts by Anna Verdi: which one is paid is for a person to say."""
    gift(org, "50.00", first="Anna", last="Verdi")
    gift(org, "50.00", first="Anna", last="Verdi")

    result = import_file(org, user, "camt053_v02.xml")

    assert result.matched == 0
    assert BankEntry.objects.get(reference="2026101400034567").status == EntryStatus.UNMATCHED


@pytest.mark.django_db
def test_name_matching_ignores_case_accents_and_order(org, user):
    """ "Società Agricola Né Più Né Meno" pays the 1.234,56 € of "societa agricola ne
    piu ne meno" (a company), with no causale."""
    donation = gift(org, "1234.56", company="SOCIETA' AGRICOLA NE PIU NE MENO")
    gift(org, "50.00", first="Anna", last="Verdi")

    result = import_file(org, user, "movimenti_cp1252.csv")

    donation.refresh_from_db()
    assert donation.status == S.RECEIVED
    assert donation.date == dt.date(2026, 10, 9)
    # The two identical 50 € rows: one pays Verdi's gift, the other is to review.
    assert result.matched == 2
    assert result.to_review == 2


@pytest.mark.django_db
def test_a_gift_not_pledged_any_more_is_not_received_again(org, user, pledges):
    pledges["rossi"].status = S.CANCELLED
    pledges["rossi"].save()

    import_file(org, user, "camt053_v02.xml")

    assert BankEntry.objects.get(reference="2026100500012345").status == EntryStatus.UNMATCHED
    pledges["rossi"].refresh_from_db()
    assert pledges["rossi"].status == S.CANCELLED


@pytest.mark.django_db
def test_a_bad_file_is_refused_and_nothing_is_recorded(org, user):
    before = state()
    with pytest.raises(ValidationError):
        statement_import(organisation=org, by=user, file_name="x.csv", data=b"a;b\n1;2\n")
    with pytest.raises(ValidationError):
        statement_import(organisation=org, by=user, file_name="x.csv", data=b"  ")
    assert state() == before


# --- By hand ------------------------------------------------------------------------------------


@pytest.fixture
def imported(org, user, pledges):
    import_file(org, user, "camt053_v02.xml")
    return {
        "galli": BankEntry.objects.get(reference="2026102800056789-2"),
        "bianchi": BankEntry.objects.get(reference="2026100900023456"),
        "rossi": BankEntry.objects.get(reference="2026100500012345"),
    }


@pytest.mark.django_db
def test_entries_to_review_are_the_unmatched_ones_oldest_first(org, imported):
    assert list(entries_to_review(org)) == [imported["bianchi"], imported["galli"]]
    assert list(entries_to_review(collector())) == []


@pytest.mark.django_db
def test_confirm_by_hand_receives_the_gift(org, user, pledges, imported):
    entry = entry_confirm(entry=imported["galli"], donation=pledges["unpaid"], by=user)

    assert entry.status == EntryStatus.CONFIRMED
    pledges["unpaid"].refresh_from_db()
    assert pledges["unpaid"].status == S.RECEIVED
    assert pledges["unpaid"].date == dt.date(2026, 10, 28)
    assert pledges["unpaid"].received_at is not None
    assert pledges["unpaid"].bank_entry == entry
    assert ChangeEvent.objects.filter(
        target_id=str(entry.pk), action="state", changes__status=["unmatched", "confirmed"]
    ).exists()
    assert list(entries_to_review(org)) == [imported["bianchi"]]


@pytest.mark.django_db
def test_confirm_refusals(org, user, pledges, imported):
    """Another amount, a gift already matched or not pledged, another organisation's
    gift, an entry no longer to review: each refused with its reason, nothing changed."""
    cases = [
        (imported["bianchi"], pledges["bianchi"], "amounts must be the same"),
        (imported["galli"], pledges["rossi"], "Only a pledged gift"),  # received already
        (imported["rossi"], pledges["unpaid"], "not waiting for review"),
        (imported["galli"], gift(collector(), "70.50"), "another organisation"),
    ]
    cancelled = gift(org, "70.50", status=S.CANCELLED)
    cases.append((imported["galli"], cancelled, "Only a pledged gift"))
    before = state()
    for entry, donation, message in cases:
        with pytest.raises(ValidationError) as caught:
            entry_confirm(entry=entry, donation=donation, by=user)
        assert message in caught.value.messages[0], message
    assert state() == before


@pytest.mark.django_db
def test_confirm_refuses_a_pledged_gift_already_matched(org, user, pledges, imported):
    """A gift still pledged but already tied to another credit (its receipt undone
    elsewhere, say) is not matched twice."""
    again = gift(org, "70.50")
    BankEntry.objects.filter(pk=imported["bianchi"].pk).update(
        donation=again, status=EntryStatus.MATCHED
    )
    with pytest.raises(ValidationError, match="already matched"):
        entry_confirm(entry=imported["galli"], donation=again, by=user)


@pytest.mark.django_db
def test_ignore_takes_an_entry_off_the_review_list(org, user, imported):
    entry = entry_ignore(entry=imported["galli"], by=user)
    assert entry.status == EntryStatus.IGNORED
    assert list(entries_to_review(org)) == [imported["bianchi"]]
    with pytest.raises(ValidationError, match="not waiting for review"):
        entry_ignore(entry=imported["galli"], by=user)
    with pytest.raises(ValidationError, match="not waiting for review"):
        entry_ignore(entry=imported["rossi"], by=user)


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_fundraiser_of_another_organisation_may_do_nothing(org, pledges, imported, make_user):
    other = fundraiser(collector())
    citizen = make_user()
    before = state()
    for person in (other, citizen):
        with pytest.raises(PermissionDenied):
            statement_import(
                organisation=org, by=person, file_name="v08.xml", data=read("camt053_v08.xml")
            )
        with pytest.raises(PermissionDenied):
            entry_confirm(entry=imported["galli"], donation=pledges["unpaid"], by=person)
        with pytest.raises(PermissionDenied):
            entry_ignore(entry=imported["galli"], by=person)
    assert state() == before


# --- At the same time (PostgreSQL) --------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent imports are tested on PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_five_times_at_once_is_imported_once(org, user, pledges):
    data = read("camt053_v02.xml")

    results = race(
        [
            lambda: statement_import(organisation=org, by=user, file_name="s.xml", data=data)
            for _ in range(5)
        ]
    )

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert sorted(r.already_imported for r in results) == [False, True, True, True, True]
    assert BankStatement.objects.filter(organisation=org).count() == 1
    assert BankEntry.objects.filter(organisation=org).count() == 5
    assert BankEntry.objects.filter(donation__isnull=False).count() == 3
    pledges["rossi"].refresh_from_db()
    assert pledges["rossi"].status == S.RECEIVED
    assert (
        ChangeEvent.objects.filter(target_id=str(pledges["rossi"].pk), action="update").count() == 1
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent imports are tested on PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_overlapping_statements_imported_at_once_record_each_credit_once(org, user, pledges):
    results = race(
        [
            lambda: import_file(org, user, "camt053_v02.xml"),
            lambda: import_file(org, user, "camt053_v08.xml"),
        ]
    )

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert BankStatement.objects.filter(organisation=org).count() == 2
    assert BankEntry.objects.filter(reference="2026101400034567").count() == 1
    assert BankEntry.objects.filter(organisation=org).count() == 6
    assert sum(r.known for r in results) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "remittance",
    ["DONO-7K2M9Q", "dono-7k2m9q erogazione liberale", "DONO 7K2M 9Q", "DONO7K2M9Q Rossi"],
)
def test_the_causale_is_found_however_the_payers_bank_wrote_it(org, user, remittance):
    """Case, spaces and the hyphen aside; looked up by the causale's index."""
    from fundraising.demo import camt053

    pledge = gift(org, "150.00", causale="DONO-7K2M9Q", first="Maria", last="Rossi")
    data = camt053(
        iban="IT60X0542811101000000123456",
        entries=[("REF-1", dt.date(2026, 10, 5), "150.00", "MARIA ROSSI", remittance)],
    )
    result = statement_import(organisation=org, by=user, file_name="s.xml", data=data)
    assert result.matched == 1
    pledge.refresh_from_db()
    assert pledge.status == DonationStatus.RECEIVED
