"""The bank statements pages of the fundraisers' desk: a statement uploaded through the
page is imported by a task (claimed once) that reports its progress, the gifts it pays
become received, the same file again changes nothing and says so, a file that cannot be
read is refused with nothing stored; the credits that did not match wait on the review
screen, with the pledges they may pay, to be confirmed, recorded as a new gift or marked
as not a gift — a stale choice is refused and changes nothing; and every page answers
in a number of queries that does not grow with its rows."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fundraising.models import (
    BankEntry,
    BankStatement,
    Donation,
    DonationStatus,
    EntryStatus,
    ImportStatus,
    Method,
)
from fundraising.services import reconciliation
from fundraising.services.reconciliation import statement_import, statement_run
from legami.models import ChangeEvent
from legami.roles import Role
from tests.fundraising.factories import CampaignFactory, DonationFactory, collector, fundraiser
from tests.fundraising.test_reconciliation import gift, read
from tests.permissions import make_role_user

pytestmark = pytest.mark.django_db
BANK = "/fundraising/gestione/banca/"
S = DonationStatus


@pytest.fixture
def org():
    return collector(name="Fondazione Comunitaria di Cremona")


@pytest.fixture
def user(org):
    return fundraiser(org)


@pytest.fixture
def pledges(org):
    """The gifts the sample statements pay (and one they do not)."""
    return {
        "rossi": gift(org, "150.00", causale="DONO-7K2M9Q", first="Maria", last="Rossi"),
        "bianchi": gift(org, "75.00", causale="DONO-3FH8WX", first="Giuseppe", last="Bianchi"),
        "verdi": gift(org, "50.00", first="Anna", last="Verdi"),
        "panificio": gift(org, "1000.00", causale="DONO-Q4ZP2N", company="Panificio Ferrari Srl"),
        "unpaid": gift(org, "70.50", company="Parrocchia di San Pietro"),
    }


@pytest.fixture
def desk(client, user):
    client.force_login(user)
    return client


def upload(client, org, name, data=None, *, run=None):
    """POST the file to the import page; ``run`` (the on-commit capture) runs the task."""
    payload = read(name) if data is None else data
    return client.post(
        BANK + "importa/",
        {"organisation": org.pk, "file": SimpleUploadedFile(name, payload)},
    )


def state():
    return (
        BankStatement.objects.count(),
        sorted(BankEntry.objects.values_list("reference", "status", "donation")),
        sorted(Donation.objects.values_list("pk", "status")),
        ChangeEvent.objects.count(),
    )


# --- Import -------------------------------------------------------------------------------------


def test_a_camt053_statement_uploaded_is_imported_and_its_gifts_received(
    desk, org, pledges, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(desk, org, "camt053_v02.xml")

    statement = BankStatement.objects.get()
    assert response.status_code == 302
    assert response.url == f"{BANK}estratti/{statement.pk}/"
    assert callbacks  # the task was sent after commit
    assert statement.status == ImportStatus.DONE
    assert statement.progress == 100
    assert bytes(statement.data) == b""  # the file is not kept once imported
    assert (statement.total, statement.new, statement.matched, statement.known) == (5, 5, 3, 0)
    for key in ("rossi", "verdi", "panificio"):
        pledges[key].refresh_from_db()
        assert pledges[key].status == S.RECEIVED
    for key in ("bianchi", "unpaid"):
        pledges[key].refresh_from_db()
        assert pledges[key].status == S.PLEDGED

    page = desk.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "The statement is being imported" in html  # the message after the upload
    assert "matched automatically" in html and "to review" in html
    assert f"/fundraising/gestione/doni/{pledges['rossi'].public_id}/" in html
    assert "hx-get" not in html  # done: nothing to poll


def test_a_csv_statement_in_windows_1252_is_imported(
    desk, org, pledges, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(desk, org, "movimenti_cp1252.csv")

    assert response.status_code == 302
    statement = BankStatement.objects.get()
    assert statement.format == "csv"
    assert statement.status == ImportStatus.DONE
    pledges["rossi"].refresh_from_db()
    assert pledges["rossi"].status == S.RECEIVED
    html = desk.get(response.url).content.decode()
    assert "Società Agricola Né Più Né Meno" in html


def test_the_same_file_again_changes_nothing_and_says_already_imported(
    desk, org, pledges, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(desk, org, "camt053_v02.xml")
    before = state()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = upload(desk, org, "camt053_v02.xml")

    assert again.status_code == 302
    assert again.url == first.url
    assert callbacks == []  # no task sent
    assert state() == before
    html = desk.get(again.url).content.decode()
    assert "already imported" in html
    assert "nothing changed" in html


def test_a_file_imported_in_the_request_is_already_imported_for_the_page(
    desk, org, user, pledges, django_capture_on_commit_callbacks
):
    statement_import(organisation=org, by=user, file_name="a.xml", data=read("camt053_v02.xml"))
    before = state()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(desk, org, "camt053_v02.xml")
    assert response.status_code == 302
    assert callbacks == []
    assert state() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"nonsense;columns\n1;2\n", "column"),
        (b"   ", "empty"),
        (b"<?xml version='1.0'?><Document><BkToCstmrStmt><Stmt>", "camt.053"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_and_nothing_stored(
    desk, org, pledges, data, message, django_capture_on_commit_callbacks
):
    before = state()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(desk, org, "broken.csv", data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert message.lower() in html.lower()
    assert callbacks == []
    assert state() == before


def test_a_file_too_large_is_refused(desk, org, monkeypatch):
    monkeypatch.setattr(reconciliation, "MAX_STATEMENT_BYTES", 10)
    monkeypatch.setattr("fundraising.forms_bank.MAX_STATEMENT_BYTES", 10)
    response = upload(desk, org, "big.csv", b"x" * 11)
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not BankStatement.objects.exists()


def test_a_statement_is_imported_for_the_users_own_organisation_only(desk, pledges):
    other = collector()
    response = upload(desk, other, "camt053_v02.xml")
    assert response.status_code == 400
    assert not BankStatement.objects.exists()


# --- Progress -----------------------------------------------------------------------------------


def test_the_page_follows_the_import_until_it_is_done(
    desk, org, pledges, django_capture_on_commit_callbacks
):
    # Given a statement uploaded, its task not yet run
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(desk, org, "camt053_v02.xml")
    statement = BankStatement.objects.get()
    assert len(callbacks) == 1
    assert statement.status == ImportStatus.QUEUED
    assert bytes(statement.data) == read("camt053_v02.xml")

    # The page polls the progress fragment
    html = desk.get(response.url).content.decode()
    status_url = f"{BANK}estratti/{statement.pk}/stato/"
    assert f'hx-get="{status_url}"' in html
    assert "0% done: 0 of 5 credits" in html
    fragment = desk.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="statement-progress"')
    assert "<html" not in fragment

    # When the task runs
    statement_run(statement_id=statement.pk)

    # Then the fragment stops polling and shows the result
    fragment = desk.get(status_url).content.decode()
    assert "hx-get" not in fragment
    assert "Imported" in fragment
    assert "Show the credits" in fragment


def test_the_task_claims_the_import_once(org, user, pledges, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        result = reconciliation.statement_upload(
            organisation=org, by=user, file_name="s.xml", data=read("camt053_v02.xml")
        )
    statement = result.statement

    from fundraising.tasks_bank import import_statement

    import_statement(statement.pk)
    after_first = state()
    import_statement(statement.pk)  # redelivered
    statement_run(statement_id=10**9)  # gone: nothing, quietly

    assert state() == after_first
    statement.refresh_from_db()
    assert (statement.status, statement.new, statement.matched) == (ImportStatus.DONE, 5, 3)
    assert BankEntry.objects.count() == 5


def test_a_failed_import_is_finished_by_uploading_the_file_again(
    desk, org, user, pledges, monkeypatch, django_capture_on_commit_callbacks
):
    """In batches of two credits: the second batch fails, the first stays; the same file
    uploaded again takes the import up where it stopped, and counts each credit once."""
    monkeypatch.setattr(reconciliation, "IMPORT_BATCH", 2)
    real = reconciliation._record
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(reconciliation, "_record", flaky)
    with django_capture_on_commit_callbacks(execute=False):
        upload(desk, org, "camt053_v02.xml")
    statement = BankStatement.objects.get()
    statement_run(statement_id=statement.pk)
    statement.refresh_from_db()
    assert statement.status == ImportStatus.FAILED
    assert (statement.processed, statement.progress, statement.new) == (2, 40, 2)
    assert (
        "Upload the same file again" in desk.get(f"{BANK}estratti/{statement.pk}/").content.decode()
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(desk, org, "camt053_v02.xml")
    assert response.status_code == 302
    assert len(callbacks) == 1
    statement.refresh_from_db()
    assert statement.status == ImportStatus.QUEUED
    statement_run(statement_id=statement.pk)

    statement.refresh_from_db()
    assert statement.status == ImportStatus.DONE
    assert (statement.total, statement.new, statement.known, statement.matched) == (5, 5, 0, 3)
    assert BankEntry.objects.count() == 5


def test_an_import_lost_by_its_worker_is_taken_up_again_by_the_same_file(
    desk, org, pledges, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        upload(desk, org, "camt053_v02.xml")
    statement = BankStatement.objects.get()
    # A worker claimed it and died: a redelivered task does nothing.
    BankStatement.objects.filter(pk=statement.pk).update(status=ImportStatus.RUNNING)
    statement_run(statement_id=statement.pk)
    assert not BankEntry.objects.exists()

    # Uploading the file again within the quarter of an hour changes nothing...
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(desk, org, "camt053_v02.xml")
    assert callbacks == []
    # ...after it, the import is queued again and finished.
    BankStatement.objects.filter(pk=statement.pk).update(
        updated_at=statement.updated_at - reconciliation.STALE_AFTER - dt.timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(desk, org, "camt053_v02.xml")
    assert len(callbacks) == 1
    statement_run(statement_id=statement.pk)
    statement.refresh_from_db()
    assert (statement.status, statement.new, statement.matched) == (ImportStatus.DONE, 5, 3)


# --- Review -------------------------------------------------------------------------------------


@pytest.fixture
def imported(org, user, pledges):
    """The camt.053 sample imported: Bianchi (80 € for a 75 € pledge, with its causale)
    and Galli (70.50 €, nothing to go by) wait for review."""
    statement_import(organisation=org, by=user, file_name="s.xml", data=read("camt053_v02.xml"))
    waiting = {e.reference: e for e in BankEntry.objects.filter(status=EntryStatus.UNMATCHED)}
    return {
        "bianchi": waiting["2026100900023456"],
        "galli": waiting["2026102800056789-2"],
    }


def test_the_review_screen_proposes_the_closest_pledges(desk, imported, pledges):
    response = desk.get(BANK + "da-rivedere/")
    html = response.content.decode()
    assert response.status_code == 200
    rows = {row["entry"].pk: row for row in response.context["rows"]}
    # Bianchi's causale names his pledge, though the amount differs.
    bianchi = [c["gift"] for c in rows[imported["bianchi"].pk]["candidates"]]
    assert bianchi[0] == pledges["bianchi"]
    # Galli's 70.50 € is the parish's pledge, by amount.
    galli = [c["gift"] for c in rows[imported["galli"].pk]["candidates"]]
    assert galli[0] == pledges["unpaid"]
    assert pledges["rossi"] not in galli  # received already: never a candidate
    assert "Confirm the match" in html and "Not a gift" in html


def test_confirming_a_credit_receives_the_pledge(desk, imported, pledges):
    entry = imported["galli"]
    response = desk.post(
        f"{BANK}movimenti/{entry.pk}/conferma/", {"donation": pledges["unpaid"].pk}
    )
    assert response.status_code == 302
    assert response.url == BANK + "da-rivedere/"
    entry.refresh_from_db()
    pledges["unpaid"].refresh_from_db()
    assert entry.status == EntryStatus.CONFIRMED
    assert entry.donation == pledges["unpaid"]
    assert pledges["unpaid"].status == S.RECEIVED
    assert pledges["unpaid"].date == entry.booked_on
    assert "The credit is matched" in desk.get(response.url).content.decode()


def test_a_pledge_is_found_by_its_causale(desk, org, imported):
    pledge = gift(org, "70.50", causale="DONO-ZZ22XX", first="Luca", last="Galli")
    entry = imported["galli"]
    response = desk.post(f"{BANK}movimenti/{entry.pk}/conferma/", {"causale": "dono-zz22xx"})
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == S.RECEIVED


def test_a_stale_choice_is_refused_and_changes_nothing(desk, org, imported, pledges):
    """The parish's pledge was received by a colleague (cash) while the page was open."""
    pledge = pledges["unpaid"]
    Donation.objects.filter(pk=pledge.pk).update(
        status=S.RECEIVED, received_at=dt.datetime(2026, 10, 30, tzinfo=dt.UTC)
    )
    before = state()
    entry = imported["galli"]

    response = desk.post(f"{BANK}movimenti/{entry.pk}/conferma/", {"donation": pledge.pk})

    assert response.status_code == 400
    assert "Only a pledged gift can be matched" in response.content.decode()
    assert state() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"donation": "bianchi"}, "the amounts must be the same"),  # 80 € paid for a 75 € pledge
        ({}, "Choose the pledged gift"),
        ({"causale": "DONO-NOPE22"}, "No gift of this organisation has this causale"),
    ],
)
def test_a_wrong_confirmation_is_refused(desk, imported, pledges, data, message):
    if data.get("donation") == "bianchi":
        data = {"donation": pledges["bianchi"].pk}
    before = state()
    response = desk.post(f"{BANK}movimenti/{imported['bianchi'].pk}/conferma/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert state() == before


def test_a_gift_of_another_organisation_cannot_be_chosen(desk, imported):
    foreign = DonationFactory(amount=Decimal("70.50"))
    before = state()
    response = desk.post(
        f"{BANK}movimenti/{imported['galli'].pk}/conferma/", {"donation": foreign.pk}
    )
    assert response.status_code == 400
    assert state() == before


def test_a_credit_marked_not_a_gift_leaves_the_review(desk, imported):
    entry = imported["galli"]
    response = desk.post(f"{BANK}movimenti/{entry.pk}/ignora/")
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.IGNORED
    assert entry.pk not in {r["entry"].pk for r in desk.get(response.url).context["rows"]}

    before = state()
    again = desk.post(f"{BANK}movimenti/{entry.pk}/ignora/")
    assert again.status_code == 400
    assert "not waiting for review any more" in again.content.decode()
    assert state() == before


def test_a_credit_recorded_as_a_new_gift(desk, org, imported):
    campaign = CampaignFactory(organisation=org, title="Orti condivisi")
    entry = imported["galli"]
    response = desk.post(
        f"{BANK}movimenti/{entry.pk}/nuovo-dono/", {"campaign": campaign.pk, "anonymous": "on"}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.CONFIRMED
    new = entry.donation
    assert (new.status, new.amount, new.date, new.method) == (
        S.RECEIVED,
        entry.amount,
        entry.booked_on,
        Method.BANK_TRANSFER,
    )
    assert new.campaign == campaign
    assert new.anonymous


def test_a_new_gift_for_a_campaign_of_another_organisation_is_refused(desk, imported):
    foreign = CampaignFactory()
    before = state()
    response = desk.post(
        f"{BANK}movimenti/{imported['galli'].pk}/nuovo-dono/", {"campaign": foreign.pk}
    )
    assert response.status_code == 400
    assert state() == before


def test_network_administrators_read_the_review_without_answers(
    client, make_user, enable_totp, imported
):
    client.force_login(make_role_user(make_user, enable_totp, Role.NETWORK_ADMIN))
    html = client.get(BANK + "da-rivedere/").content.decode()
    assert "Galli" in html or "70,50" in html
    assert "Confirm the match" not in html
    assert "Import a statement" not in client.get(BANK).content.decode()


def test_another_organisations_fundraiser_sees_none_of_it(client, imported):
    other = fundraiser(collector())
    client.force_login(other)
    assert client.get(BANK + "da-rivedere/").context["rows"] == []
    assert client.get(f"{BANK}movimenti/{imported['galli'].pk}/").status_code == 404
    statement = imported["galli"].statement
    assert client.get(f"{BANK}estratti/{statement.pk}/").status_code == 404


# --- Query counts -------------------------------------------------------------------------------


def _statement(org, n: int, entries: int, status=EntryStatus.UNMATCHED):
    statement = BankStatement.objects.create(
        organisation=org, file_name=f"s{n}.csv", sha256=f"{n:064d}", format="csv"
    )
    BankEntry.objects.bulk_create(
        BankEntry(
            statement=statement,
            organisation=org,
            reference=f"R{n}-{i}",
            booked_on=dt.date(2026, 10, 1),
            amount=Decimal(10 + i),
            counterparty=f"Donatore {i}",
            status=status,
        )
        for i in range(entries)
    )
    return statement


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_statements_list_answers_in_a_fixed_number_of_queries(desk, org):
    _statement(org, 0, 2)
    few = _queries(desk, BANK)
    for n in range(1, 25):
        _statement(org, n, 3)
    assert _queries(desk, BANK) == few


def test_the_statement_page_answers_in_a_fixed_number_of_queries(desk, org):
    small = _statement(org, 0, 2)
    big = _statement(org, 1, 45)
    pledged = [gift(org, str(10 + i), first="A", last=f"B{i}") for i in range(5)]
    for entry, pledge in zip(big.entries.all()[:5], pledged, strict=True):
        reconciliation.entry_confirm(entry=entry, donation=pledge, by=desk.user)
    assert _queries(desk, f"{BANK}estratti/{big.pk}/") == _queries(
        desk, f"{BANK}estratti/{small.pk}/"
    )


def test_the_review_screen_answers_in_a_fixed_number_of_queries(desk, org):
    _statement(org, 0, 2)
    for i in range(3):
        gift(org, str(10 + i), first="Donatore", last=str(i))
    few = _queries(desk, BANK + "da-rivedere/")
    _statement(org, 1, 25)
    for i in range(3, 30):
        gift(org, str(10 + i), first="Donatore", last=str(i))
    assert _queries(desk, BANK + "da-rivedere/") == few


@pytest.fixture(autouse=True)
def _user_on_client(client, user):
    client.user = user


def test_the_worker_knows_the_import_task():
    """A worker registers the tasks of the modules Celery discovers (each app's
    ``tasks``): the import task must be among them, in a fresh process."""
    code = (
        "import django; django.setup(); from legami.celery import app; "
        "app.loader.import_default_modules(); "
        "print('fundraising.import_statement' in app.tasks)"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "legami.settings"},
    )
    assert out.stdout.strip().splitlines()[-1] == "True"
