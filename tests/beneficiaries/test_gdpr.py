"""The export of everything held about a person (GDPR art. 15/20), as JSON and PDF."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest

from beneficiaries.models import EcomapSnapshot, NeedTag, Tie, TieKind
from legami.audit import audit_change, audit_read
from legami.models import AccessEvent
from legami.roles import Role
from tests.beneficiaries.factories import (
    AssessmentFactory,
    ConsentFactory,
    DiaryNoteFactory,
    HouseholdMemberFactory,
    IntakeFactory,
    PersonAreaFactory,
    PersonFactory,
    ReferralFactory,
    assign,
)
from tests.legami.factories import AmbitoFactory
from tests.partners.factories import OrganisationFactory


@pytest.fixture
def ambito(db):
    return AmbitoFactory(code="cremona", name="Ambito di Cremona")


@pytest.fixture
def file(ambito, social_worker, coordinator):
    """A full file in the coordinator's ambito, followed by the social worker."""
    coordinator.memberships.get().organisation.ambiti.add(ambito)
    person = PersonFactory(first_name="Nicolò", last_name="Dell'Acqua")
    case = assign(social_worker, person, ambito=ambito)
    PersonAreaFactory(person=person)
    person.need_tags.add(NeedTag.objects.create(name="solitudine"))
    HouseholdMemberFactory(person=person, first_name="Ginevra")
    IntakeFactory(person=person, ambito=ambito, first_needs="Vive solo da due anni.")
    DiaryNoteFactory(case=case, text="Nota riservata sulla salute.", confidential=True)
    DiaryNoteFactory(case=case, text="Colloquio di conoscenza.")
    ReferralFactory(case=case, reason="Invio al gruppo di cammino.")
    ConsentFactory(person=person)
    tie = Tie.objects.create(person=person, label="Anna, sorella", kind=TieKind.FAMILY)
    EcomapSnapshot.objects.create(person=person, ties=[{"label": "Anna, sorella"}])
    AssessmentFactory(person=person, date=dt.date(2026, 3, 1), note="Molto isolato")
    audit_change(obj=tie, action="create", actor=social_worker)
    audit_read(objs=[person], action="view", actor=social_worker, purpose="case work")
    return {"person": person, "case": case, "tie": tie}


def _exports(person):
    return AccessEvent.objects.filter(
        action="export", target_type="beneficiaries.person", target_id=str(person.pk)
    )


def test_the_json_export_holds_the_whole_file(file, coordinator_client, social_worker):
    person = file["person"]
    response = coordinator_client.get(f"/cases/p/{person.public_id}/export.json")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert str(person.public_id) in disposition
    assert "Acqua" not in disposition
    data = json.loads(response.content)
    assert data["person"]["first_name"] == "Nicolò"
    assert data["areas"][0]["area"] == "anziani"
    assert data["need_tags"] == ["solitudine"]
    assert data["household"][0]["first_name"] == "Ginevra"
    assert data["intakes"][0]["first_needs"] == "Vive solo da due anni."
    assert data["cases"][0]["assignments"][0]["worker"] == social_worker.email
    assert {n["text"] for n in data["diary"]} == {
        "Nota riservata sulla salute.",
        "Colloquio di conoscenza.",
    }
    assert data["referrals"][0]["reason"] == "Invio al gruppo di cammino."
    assert len(data["consents"]) == 1
    assert data["ties"][0]["label"] == "Anna, sorella"
    assert data["ecomap_snapshots"][0]["ties"] == [{"label": "Anna, sorella"}]
    assert data["assessments"][0]["note"] == "Molto isolato"
    assert [e["target_type"] for e in data["change_history"]] == ["beneficiaries.tie"]
    assert {e["action"] for e in data["access_log"]} >= {"view"}


def test_each_export_is_logged(file, coordinator_client, coordinator):
    person = file["person"]
    coordinator_client.get(f"/cases/p/{person.public_id}/export.json")
    coordinator_client.get(f"/cases/p/{person.public_id}/export.pdf")
    events = _exports(person)
    assert events.count() == 2
    assert {(e.actor_id, e.purpose) for e in events} == {(coordinator.pk, "GDPR export")}


def test_the_pdf_export_is_a_pdf_named_by_the_public_id(file, coordinator_client):
    person = file["person"]
    response = coordinator_client.get(f"/cases/p/{person.public_id}/export.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"legami-persona-{person.public_id}.pdf" in response["Content-Disposition"]
    if Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists():
        assert b"DejaVuSans" in response.content


@pytest.mark.parametrize("suffix", ["export.json", "export.pdf"])
def test_the_assigned_operator_may_not_export(file, social_worker_client, suffix):
    person = file["person"]
    response = social_worker_client.get(f"/cases/p/{person.public_id}/{suffix}")
    assert response.status_code == 403
    assert not _exports(person).exists()


def test_a_coordinator_of_another_ambito_may_not_export(file, make_user, enable_totp):
    from tests.permissions import client_for

    other = make_user("other.coordinator@example.org")
    org = OrganisationFactory(ambiti=[AmbitoFactory(code="crema")])
    other.memberships.create(
        organisation=org, role=Role.COORDINATOR, start_date=dt.date(2024, 1, 1)
    )
    enable_totp(other)
    response = client_for(other).get(f"/cases/p/{file['person'].public_id}/export.json")
    assert response.status_code == 403


def test_an_unknown_person_is_not_found(coordinator_client, db):
    assert coordinator_client.get(f"/cases/p/{uuid.uuid4()}/export.json").status_code == 404


def test_the_export_reads_in_a_bounded_number_of_queries(
    file, coordinator_client, social_worker, django_assert_max_num_queries
):
    person = file["person"]
    for n in range(5):
        DiaryNoteFactory(case=file["case"], text=f"Nota {n}", author=social_worker)
        Tie.objects.create(person=person, label=f"Amico {n}", kind=TieKind.FRIEND)
    with django_assert_max_num_queries(40):
        response = coordinator_client.get(f"/cases/p/{person.public_id}/export.json")
    assert response.status_code == 200


def test_the_pdf_falls_back_to_helvetica_without_dejavu(file, coordinator, monkeypatch):
    from beneficiaries.services import gdpr
    from legami import pdf as legami_pdf

    monkeypatch.setattr(legami_pdf, "FONT_DIR", "/nonexistent")
    pdf = gdpr.person_export_pdf(
        data=gdpr.person_export_data(person=file["person"], actor=coordinator)
    )
    assert pdf.startswith(b"%PDF") and b"Helvetica" in pdf


def test_the_pdf_shows_dates_and_times_as_people_read_them():
    """The JSON keeps ISO 8601 in UTC; the PDF shows Italian dates in Europe/Rome."""
    from django.utils import translation

    from beneficiaries.services.gdpr import _cell

    with translation.override("it"):
        assert _cell("2026-11-29T05:23:38.138578+00:00") == "29/11/2026 06:23"
        assert _cell("1979-05-28") == "28/05/1979"
        assert _cell("Via Roma 1") == "Via Roma 1"
        assert _cell(None) == "—"
