"""The services of research pathways (research.services.pathways): the pathway and its
workshop lab, its phases, and its workshops, which are meetings of labs/ (the same
registrations and attendance as any lab meeting)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from labs.models import LabContext, RegistrationStatus
from labs.services.meetings import attendance_mark
from labs.services.registration import registration_create
from research.models import Pathway, Phase, WorkshopKind
from research.services import pathways as services
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.research.factories import organisation, practitioner, researcher

pytestmark = pytest.mark.django_db

D = dt.date


def in_hours(hours: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def meeting_args(**extra):
    args = {
        "title": "Primo laboratorio",
        "starts_at": in_hours(48),
        "ends_at": in_hours(50),
        "place": "Sala civica",
    }
    args.update(extra)
    return args


@pytest.fixture
def ambito():
    ambito = AmbitoFactory()
    ComuneFactory(ambito=ambito)
    return ambito


@pytest.fixture
def lead():
    return researcher()


@pytest.fixture
def pathway(lead, ambito):
    return services.pathway_create(
        by=lead,
        title="Nuove fragilità",
        theme="Isolamento relazionale",
        ambito=ambito,
        organisations=[organisation()],
        starts_on=D(2026, 1, 1),
        ends_on=D(2026, 12, 31),
    )


# --- Pathways --------------------------------------------------------------------------------


def test_a_researcher_creates_a_pathway_they_lead(lead, ambito):
    org = organisation()
    person = practitioner(org)
    pathway = services.pathway_create(
        by=lead, title="  Legami  ", ambito=ambito, organisations=[org], practitioners=[person]
    )
    assert pathway.title == "Legami"
    assert pathway.lead == lead
    assert list(pathway.organisations.all()) == [org]
    assert list(pathway.practitioners.all()) == [person]
    assert pathway.lab is None


def test_a_practitioner_cannot_create_a_pathway():
    with pytest.raises(PermissionDenied):
        services.pathway_create(by=practitioner(organisation()), title="No")


def test_a_pathway_does_not_end_before_it_starts(lead):
    with pytest.raises(ValidationError) as caught:
        services.pathway_create(by=lead, title="T", starts_on=D(2026, 5, 1), ends_on=D(2026, 4, 1))
    assert "ends_on" in caught.value.error_dict
    assert not Pathway.objects.exists()


def test_only_the_lead_changes_a_pathway(pathway):
    with pytest.raises(PermissionDenied):
        services.pathway_update(pathway=pathway, by=researcher(), title="Altro")
    pathway.refresh_from_db()
    assert pathway.title == "Nuove fragilità"


# --- Phases ----------------------------------------------------------------------------------


def test_phases_come_in_date_order(pathway, lead):
    late = services.phase_add(
        pathway=pathway,
        by=lead,
        title="Restituzione",
        starts_on=D(2026, 9, 1),
        ends_on=D(2026, 12, 1),
    )
    early = services.phase_add(
        pathway=pathway,
        by=lead,
        title="Esplorazione",
        starts_on=D(2026, 1, 10),
        ends_on=D(2026, 3, 1),
    )
    assert list(pathway.phases.all()) == [early, late]


def test_a_phase_does_not_end_before_it_starts(pathway, lead):
    with pytest.raises(ValidationError) as caught:
        services.phase_add(
            pathway=pathway, by=lead, title="X", starts_on=D(2026, 5, 1), ends_on=D(2026, 4, 1)
        )
    assert "ends_on" in caught.value.error_dict
    assert not Phase.objects.exists()


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "field"),
    [
        (D(2025, 12, 1), D(2026, 2, 1), "starts_on"),
        (D(2026, 11, 1), D(2027, 1, 31), "ends_on"),
    ],
)
def test_a_phase_lies_within_the_pathway_dates(pathway, lead, starts_on, ends_on, field):
    with pytest.raises(ValidationError) as caught:
        services.phase_add(
            pathway=pathway, by=lead, title="Fuori", starts_on=starts_on, ends_on=ends_on
        )
    # The error is under the date that falls outside.
    assert list(caught.value.error_dict) == [field]
    assert not Phase.objects.exists()


def test_changing_a_phase_checks_its_dates_too(pathway, lead):
    phase = services.phase_add(
        pathway=pathway, by=lead, title="Campo", starts_on=D(2026, 3, 1), ends_on=D(2026, 6, 1)
    )
    with pytest.raises(ValidationError):
        services.phase_change(phase=phase, by=lead, ends_on=D(2026, 2, 1))
    phase.refresh_from_db()
    assert phase.ends_on == D(2026, 6, 1)
    services.phase_change(phase=phase, by=lead, title="Lavoro sul campo")
    phase.refresh_from_db()
    assert phase.title == "Lavoro sul campo"


def test_only_the_lead_adds_or_deletes_phases(pathway, lead):
    phase = services.phase_add(
        pathway=pathway, by=lead, title="Campo", starts_on=D(2026, 3, 1), ends_on=D(2026, 6, 1)
    )
    other = researcher()
    with pytest.raises(PermissionDenied):
        services.phase_add(
            pathway=pathway, by=other, title="X", starts_on=D(2026, 3, 1), ends_on=D(2026, 4, 1)
        )
    with pytest.raises(PermissionDenied):
        services.phase_delete(phase=phase, by=other)
    services.phase_delete(phase=phase, by=lead)
    assert not Phase.objects.exists()


def test_the_current_phase_is_the_one_under_way_the_latest_started_if_they_overlap():
    a = Phase(pk=1, title="A", starts_on=D(2026, 1, 1), ends_on=D(2026, 6, 30))
    b = Phase(pk=2, title="B", starts_on=D(2026, 3, 1), ends_on=D(2026, 4, 30))
    c = Phase(pk=3, title="C", starts_on=D(2026, 9, 1), ends_on=D(2026, 9, 30))
    assert services.current_phase([a, b, c], D(2026, 2, 1)) == a
    assert services.current_phase([a, b, c], D(2026, 3, 15)) == b
    assert services.current_phase([a, b, c], D(2026, 4, 30)) == b
    assert services.current_phase([a, b, c], D(2026, 8, 1)) is None
    assert services.current_phase([], D(2026, 8, 1)) is None


# --- Workshops -------------------------------------------------------------------------------


def test_the_first_workshop_makes_the_pathways_lab_run_by_its_lead(pathway, lead, ambito):
    workshop = services.workshop_create(
        pathway=pathway, by=lead, kind=WorkshopKind.TRAINING, **meeting_args()
    )
    pathway.refresh_from_db()
    lab = pathway.lab
    assert lab is not None
    assert lab.context == LabContext.PRACTITIONERS
    assert lab.ambito == ambito
    assert lab.title == pathway.title
    assert lead in lab.facilitators.all()
    assert set(lab.organisations.all()) == set(pathway.organisations.all())
    assert workshop.meeting.lab == lab
    assert workshop.kind == WorkshopKind.TRAINING
    assert workshop.pathway == pathway
    # A second workshop is a meeting of the same lab.
    second = services.workshop_create(pathway=pathway, by=lead, **meeting_args(title="Secondo"))
    assert second.meeting.lab == lab
    assert second.kind == WorkshopKind.WORKSHOP


def test_changing_the_pathway_changes_its_lab(pathway, lead):
    services.workshop_create(pathway=pathway, by=lead, **meeting_args())
    elsewhere = AmbitoFactory()
    ComuneFactory(ambito=elsewhere)
    services.pathway_update(pathway=pathway, by=lead, title="Legami nuovi", ambito=elsewhere)
    pathway.refresh_from_db()
    assert pathway.lab is not None
    pathway.lab.refresh_from_db()
    assert pathway.lab.title == "Legami nuovi"
    assert pathway.lab.ambito == elsewhere
    assert lead in pathway.lab.facilitators.all()


def test_a_pathway_with_workshops_keeps_its_host_ambito(pathway, lead, ambito):
    services.workshop_create(pathway=pathway, by=lead, **meeting_args())
    with pytest.raises(ValidationError) as caught:
        services.pathway_update(pathway=pathway, by=lead, ambito=None)
    assert "ambito" in caught.value.error_dict
    pathway.refresh_from_db()
    assert pathway.ambito == ambito


def test_no_workshop_without_a_host_ambito(lead):
    pathway = services.pathway_create(by=lead, title="Senza ambito")
    with pytest.raises(ValidationError) as caught:
        services.workshop_create(pathway=pathway, by=lead, **meeting_args())
    assert "ambito" in caught.value.error_dict
    pathway.refresh_from_db()
    assert pathway.lab is None
    assert not pathway.workshops.exists()


def test_only_the_lead_plans_workshops(pathway):
    with pytest.raises(PermissionDenied):
        services.workshop_create(pathway=pathway, by=researcher(), **meeting_args())
    with pytest.raises(PermissionDenied):
        services.workshop_create(pathway=pathway, by=practitioner(organisation()), **meeting_args())
    assert not pathway.workshops.exists()


def test_a_bad_meeting_is_refused_by_labs_and_makes_nothing(pathway, lead):
    with pytest.raises(ValidationError) as caught:
        services.workshop_create(
            pathway=pathway, by=lead, **meeting_args(ends_at=in_hours(47), place="")
        )
    assert {"ends_at", "place"} <= set(caught.value.error_dict)
    assert not pathway.workshops.exists()


def test_an_unknown_kind_is_refused(pathway, lead):
    with pytest.raises(ValidationError) as caught:
        services.workshop_create(pathway=pathway, by=lead, kind="party", **meeting_args())
    assert "kind" in caught.value.error_dict


def test_practitioners_sign_up_and_the_lead_marks_attendance_with_labs(pathway, lead, eager_tasks):
    # Given a workshop starting in an hour, with two seats
    workshop = services.workshop_create(
        pathway=pathway,
        by=lead,
        **meeting_args(starts_at=in_hours(1), ends_at=in_hours(3), capacity=2),
    )
    meeting = workshop.meeting
    person = practitioner(organisation())
    # When a practitioner signs up through labs
    registration = registration_create(meeting=meeting, user=person, language="en")
    # Then they have a seat, and the lead marks them present
    assert registration.status == RegistrationStatus.CONFIRMED
    meeting.refresh_from_db()
    assert meeting.seats_left == 1
    marked = attendance_mark(registration=registration, attended=True, actor=lead)
    assert marked.attended is True
    # Another researcher does not run the pathway's lab
    with pytest.raises(PermissionDenied):
        attendance_mark(registration=registration, attended=False, actor=researcher())


def test_the_kind_of_a_workshop_changes(pathway, lead):
    workshop = services.workshop_create(pathway=pathway, by=lead, **meeting_args())
    services.workshop_set_kind(workshop=workshop, by=lead, kind=WorkshopKind.TRAINING)
    workshop.refresh_from_db()
    assert workshop.kind == WorkshopKind.TRAINING
    with pytest.raises(PermissionDenied):
        services.workshop_set_kind(workshop=workshop, by=researcher(), kind=WorkshopKind.WORKSHOP)
