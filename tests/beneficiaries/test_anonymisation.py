"""Anonymisation of case files at the end of the retention period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from beneficiaries.models import (
    Case,
    CaseStage,
    ClosureReason,
    EcomapSnapshot,
    Person,
    Tie,
    TieKind,
)
from beneficiaries.services.gdpr import (
    ANONYMISED_TEXT,
    person_anonymise,
    persons_anonymise_due,
    retention_cutoff,
)
from beneficiaries.tasks import anonymise_closed_files
from legami.models import ChangeEvent
from tests.beneficiaries.factories import (
    AssessmentFactory,
    CaseFactory,
    DiaryNoteFactory,
    HouseholdMemberFactory,
    PersonAreaFactory,
    PersonFactory,
    ReferralFactory,
)
from tests.legami.factories import ComuneFactory

TODAY = dt.date(2026, 6, 15)


def _closed_case(person, closed_on, **fields):
    return CaseFactory(
        person=person,
        opened_on=closed_on - dt.timedelta(days=200),
        stage=CaseStage.CLOSED,
        closed_on=closed_on,
        closure_reason=ClosureReason.GOALS_REACHED,
        **fields,
    )


def test_the_cutoff_is_the_retention_in_months_before_today(settings):
    settings.CASE_FILE_RETENTION_MONTHS = 60
    assert retention_cutoff(TODAY) == dt.date(2021, 6, 15)
    settings.CASE_FILE_RETENTION_MONTHS = 4
    assert retention_cutoff(dt.date(2026, 6, 30)) == dt.date(2026, 2, 28)


@pytest.mark.django_db
def test_files_are_anonymised_after_the_retention_not_before(settings):
    settings.CASE_FILE_RETENTION_MONTHS = 60
    due = PersonFactory()
    _closed_case(due, dt.date(2021, 6, 14))
    at_boundary = PersonFactory()
    _closed_case(at_boundary, dt.date(2021, 6, 15))

    assert persons_anonymise_due(today=TODAY) == 1

    due.refresh_from_db()
    at_boundary.refresh_from_db()
    assert due.anonymised_at is not None
    assert at_boundary.anonymised_at is None


@pytest.mark.django_db
def test_an_open_case_or_a_recent_closure_keeps_the_file(settings):
    settings.CASE_FILE_RETENTION_MONTHS = 60
    still_open = PersonFactory()
    _closed_case(still_open, dt.date(2019, 1, 10))
    CaseFactory(person=still_open, stage=CaseStage.MONITORING)
    recent = PersonFactory()
    _closed_case(recent, dt.date(2018, 1, 10))
    _closed_case(recent, dt.date(2024, 1, 10))
    no_case = PersonFactory()

    assert persons_anonymise_due(today=TODAY) == 0
    assert not Person.objects.filter(anonymised_at__isnull=False).exists()
    assert no_case.cases.count() == 0


@pytest.mark.django_db
def test_anonymisation_scrubs_identity_and_keeps_aggregates():
    comune = ComuneFactory(name="Soresina", belfiore_code="I827")
    birthplace = ComuneFactory(name="Cremona", belfiore_code="D150")
    person = PersonFactory(
        first_name="Nicolò",
        last_name="Dell'Acqua",
        codice_fiscale="DLLNCL50D03D150J",
        no_codice_fiscale_reason="",
        birth_date=dt.date(1950, 4, 3),
        sex="M",
        phone="333 1234567",
        email="nicolo@example.org",
        address="Via Roma 1",
        residence_comune=comune,
        birth_comune=birthplace,
        restricted=True,
    )
    PersonAreaFactory(person=person)
    case = _closed_case(person, dt.date(2020, 1, 10))
    DiaryNoteFactory(case=case, text="Racconta della moglie scomparsa.")
    ReferralFactory(case=case, reason="Invio al centro diurno di via Roma.")
    HouseholdMemberFactory(person=person, first_name="Ginevra", last_name="Dell'Acqua")
    Tie.objects.create(
        person=person, label="Anna, sorella", kind=TieKind.FAMILY, note="vive a Lodi"
    )
    EcomapSnapshot.objects.create(
        person=person, ties=[{"label": "Anna, sorella", "kind": "family"}], note="prima mappa"
    )
    AssessmentFactory(person=person, note="Piange spesso", total=6)

    person_anonymise(person=person)

    person.refresh_from_db()
    assert person.first_name == "—"
    assert person.last_name.startswith("ANON-") and "Acqua" not in person.last_name
    assert (person.codice_fiscale, person.no_codice_fiscale_reason) == ("", "other")
    assert person.birth_date == dt.date(1950, 7, 1)
    assert (person.phone, person.email, person.address) == ("", "", "")
    assert person.birth_comune is None
    assert person.anonymised_at is not None
    # What counts in aggregates stays.
    assert (person.sex, person.residence_comune) == ("M", comune)
    assert list(person.areas.values_list("area", flat=True)) == ["anziani"]
    assert Case.objects.get(pk=case.pk).stage == CaseStage.CLOSED
    assert person.assessments.get().total == 6
    # The story in words goes.
    assert list(case.notes.values_list("text", flat=True)) == [ANONYMISED_TEXT]
    assert case.referrals.get().reason == ANONYMISED_TEXT
    member = person.household.get()
    assert "Ginevra" not in member.first_name and member.last_name == ""
    tie = person.ties.get()
    assert (tie.label, tie.note, tie.kind) == ("family", "", "family")
    snapshot = person.ecomap_snapshots.get()
    assert snapshot.ties == [{"label": "family", "kind": "family"}] and snapshot.note == ""
    assert person.assessments.get().note == ""
    assert ChangeEvent.objects.filter(
        target_type="beneficiaries.person", target_id=str(person.pk), note="anonymised"
    ).exists()


@pytest.mark.django_db
def test_the_nightly_task_is_idempotent(settings):
    settings.CASE_FILE_RETENTION_MONTHS = 12
    person = PersonFactory()
    _closed_case(person, timezone.localdate() - dt.timedelta(days=400))

    assert anonymise_closed_files() == 1
    person.refresh_from_db()
    first = (person.last_name, person.anonymised_at)
    events = ChangeEvent.objects.count()

    assert anonymise_closed_files() == 0
    person.refresh_from_db()
    assert (person.last_name, person.anonymised_at) == first
    assert ChangeEvent.objects.count() == events


def test_the_task_is_scheduled_nightly(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "beneficiaries.anonymise_closed_files" in tasks


@pytest.mark.django_db
def test_batches_cover_every_due_file(settings):
    settings.CASE_FILE_RETENTION_MONTHS = 60
    people = [PersonFactory() for _ in range(5)]
    for person in people:
        _closed_case(person, dt.date(2020, 1, 1))
    assert persons_anonymise_due(today=TODAY, batch_size=2) == 5
    assert Person.objects.filter(anonymised_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_anonymisation_forgets_the_change_history_that_holds_the_old_values():
    """The history of the file held the names just erased: it goes, through the
    append-only trigger's one door, and a single event records the anonymisation."""
    from legami.audit import audit_change

    person = PersonFactory(first_name="Nicolò", last_name="Dell'Acqua")
    case = _closed_case(person, dt.date(2020, 1, 10))
    audit_change(obj=person, action="create", changes={"last_name": [None, "Dell'Acqua"]})
    audit_change(obj=case, action="state", changes={"stage": ["monitoring", "closed"]})
    unrelated = PersonFactory(last_name="Altri")
    kept = audit_change(obj=unrelated, action="create", changes={"last_name": [None, "Altri"]})

    person_anonymise(person=person)

    history = ChangeEvent.objects.exclude(pk=kept.pk)
    assert [(e.target_type, e.note) for e in history] == [("beneficiaries.person", "anonymised")]
    assert not ChangeEvent.objects.filter(changes__icontains="Dell").exclude(pk=kept.pk).exists()
    assert ChangeEvent.objects.filter(pk=kept.pk).exists()
