"""The pacts in the data-protection rights of a person's file: the export holds every
pact and all that is in it; anonymisation scrubs the words about the person and the
scan, forgets the pacts' change history, and keeps statuses, dates, outcomes and hours
for the aggregates. The case-file app knows none of this: the pacts register their part."""

from __future__ import annotations

import ast
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from beneficiaries.services import gdpr
from beneficiaries.services.gdpr import (
    ANONYMISED_TEXT,
    person_anonymise,
    person_export_data,
    person_export_pdf,
)
from legami.models import ChangeEvent
from pacts import gdpr as pacts_gdpr
from pacts.models import LedgerEntry, LedgerTransaction, Pact, PactStatus, Placement, Review
from pacts.selectors import pact_outcomes
from pacts.services import follow, ledger, pacts
from tests.pacts.factories import pact_in

pytestmark = pytest.mark.django_db

S = PactStatus
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def partner(partner_user):
    return partner_user.memberships.get().organisation


@pytest.fixture
def file(social_worker, partner_user, partner):
    """A person with a completed pact (reviews, a placement, hours, a scan) and an
    interrupted one on the same case."""
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    pacts.pact_attach_scan(
        pact=pact, actor=social_worker, file=SimpleUploadedFile("patto-firmato.pdf", PDF)
    )
    placement = follow.placement_add(
        pact=pact,
        actor=social_worker,
        host_name="Panificio Ghisolfi",
        tutor="Carla Ghisolfi",
        start_date=today() - dt.timedelta(days=20),
        end_date=today() + dt.timedelta(days=40),
        hours_per_week=Decimal(15),
        notes="Si è ambientata bene, timida con i clienti.",
    )
    ledger.hours_record(
        pact=pact,
        actor=social_worker,
        hours="3",
        date=today() - dt.timedelta(days=2),
        direction="gives_back",
        organisation=partner,
        description="Laboratorio di falegnameria",
    )
    goals = list(pact.goals.all())
    follow.review_record(
        pact=pact,
        actor=social_worker,
        outcomes={g.pk: ("partly", "Fatica a uscire di casa") for g in goals},
        notes="Parla della morte del marito, umore basso.",
        date=today() - dt.timedelta(days=1),
        next_review_on=today() + dt.timedelta(days=30),
    )
    follow.review_record(
        pact=pact,
        actor=social_worker,
        outcomes={g.pk: ("achieved", "") for g in goals},
        notes="Molto migliorata.",
        final=True,
    )
    pact.refresh_from_db()
    interrupted = pacts.pact_create(
        case=pact.case, actor=social_worker, title="Secondo patto", context="Sfratto in corso."
    )
    interrupted = Pact.objects.get(pk=interrupted.pk)
    Pact.objects.filter(pk=interrupted.pk).update(
        status=S.INTERRUPTED, ended_on=today(), interruption_reason="Ricoverata in RSA."
    )
    return {"person": pact.person, "pact": pact, "interrupted": interrupted, "placement": placement}


def test_the_pacts_register_their_part_of_the_file():
    assert pacts_gdpr.pacts_export in gdpr.EXPORT_PARTS
    assert pacts_gdpr.pacts_records in gdpr.RECORD_PARTS
    assert pacts_gdpr.pacts_anonymise in gdpr.ANONYMISE_PARTS
    pacts_gdpr.register()  # again: nothing twice
    assert gdpr.EXPORT_PARTS.count(pacts_gdpr.pacts_export) == 1


def test_the_case_file_app_does_not_import_the_pacts():
    root = Path(settings.BASE_DIR) / "beneficiaries"
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n == "pacts" or n.startswith("pacts.") for n in names), path


def test_the_export_holds_every_pact_and_all_that_is_in_it(file, coordinator):
    person, pact = file["person"], file["pact"]

    data = person_export_data(person=person, actor=coordinator)

    assert [p["title"] for p in data["pacts"]] == ["Patto di prova", "Secondo patto"]
    row = data["pacts"][0]
    assert row["context"] == "Vive solo dopo la vedovanza."
    assert row["status"] == S.COMPLETED
    assert row["scan"].startswith("pacts/scans/")
    assert {g["description"] for g in data["pact_goals"]} == {"Obiettivo 1", "Obiettivo 2"}
    assert len(data["pact_commitments"]) == 2
    assert {s["kind"] for s in data["pact_signatories"]} >= {"beneficiary", "organisation"}
    assert [r["final"] for r in data["pact_reviews"]] == [False, True]
    assert "Parla della morte del marito, umore basso." in {
        r["notes"] for r in data["pact_reviews"]
    }
    assert len(data["pact_review_outcomes"]) == 4
    assert data["pact_placements"][0]["tutor"] == "Carla Ghisolfi"
    assert [h["hours"] for h in data["pact_hours"]] == [Decimal("3.00")]
    assert {e["target_type"] for e in data["change_history"]} >= {
        "pacts.pact",
        "pacts.goal",
        "pacts.review",
        "pacts.placement",
        "pacts.ledgertransaction",
    }
    assert all(
        e["target_id"] in {str(pact.pk), str(file["interrupted"].pk)}
        for e in data["change_history"]
        if e["target_type"] == "pacts.pact"
    )
    # The JSON and the PDF of the export take the new sections.
    assert json.loads(json.dumps(data, cls=DjangoJSONEncoder))["pacts"][0]["title"]
    assert person_export_pdf(data=data).startswith(b"%PDF")


def test_the_export_of_a_file_without_pacts_has_empty_sections(social_worker, coordinator):
    from tests.beneficiaries.factories import assign

    case = assign(social_worker)
    data = person_export_data(person=case.person, actor=coordinator)
    assert all(data[name] == [] for name in pacts_gdpr.SECTIONS)
    assert list(data)[-2:] == ["change_history", "access_log"]


def test_the_export_does_not_show_other_peoples_pacts(
    file, social_worker, partner_user, coordinator
):
    other = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    data = person_export_data(person=file["person"], actor=coordinator)
    assert other.pk not in {p["id"] for p in data["pacts"]}
    assert len(data["pact_goals"]) == 2  # the other pact has two goals of its own
    assert not any(
        e["target_type"] == "pacts.pact" and e["target_id"] == str(other.pk)
        for e in data["change_history"]
    )


def test_anonymisation_scrubs_the_words_and_keeps_the_aggregates(file):
    person, pact = file["person"], file["pact"]
    outcomes_before = pact_outcomes(pact)
    scan = pact.scan
    storage, scan_name = scan.storage, scan.name
    assert storage.exists(scan_name)
    entries_before = list(LedgerEntry.objects.values_list("pk", "amount"))

    person_anonymise(person=person)

    pact.refresh_from_db()
    assert (pact.context, pact.strengths) == ("", "")
    assert not pact.scan
    assert not storage.exists(scan_name)
    assert (pact.status, pact.start_date, pact.ended_on) == (
        S.COMPLETED,
        file["pact"].start_date,
        today(),
    )
    assert pact.goals.count() == 2
    assert not Review.objects.filter(pact=pact).exclude(notes="").exists()
    assert set(Review.objects.filter(pact=pact).values_list("outcomes__note", flat=True)) == {""}
    placement = Placement.objects.get(pk=file["placement"].pk)
    assert (placement.tutor, placement.notes, placement.host_name) == (
        ANONYMISED_TEXT,
        "",
        "Panificio Ghisolfi",
    )
    interrupted = Pact.objects.get(pk=file["interrupted"].pk)
    assert interrupted.interruption_reason == ANONYMISED_TEXT
    assert interrupted.context == ""
    assert pact.title == ANONYMISED_TEXT
    # The aggregates do not move; the ledger keeps its hours and loses only its words.
    assert pact_outcomes(pact) == outcomes_before
    assert list(LedgerEntry.objects.values_list("pk", "amount")) == entries_before
    assert LedgerTransaction.objects.get().description == ""


def test_anonymisation_forgets_the_pacts_change_history(file):
    person = file["person"]
    assert ChangeEvent.objects.filter(target_type="pacts.pact").exists()

    person_anonymise(person=person)

    remaining = ChangeEvent.objects.filter(target_type__startswith="pacts.")
    assert not remaining.exists()
    for text in ("vedovanza", "falegname", "Ghisolfi", "Sfratto", "RSA"):
        assert not ChangeEvent.objects.filter(changes__icontains=text).exists(), text
