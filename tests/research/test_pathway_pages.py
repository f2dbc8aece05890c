"""The research pathways' pages: the list, a new pathway and its changes, its phases as a
timeline with the current one marked, workshops planned as meetings of the pathway's lab
(sign-up, registrations and attendance are the labs pages), its surveys, documents and
outputs. A refusal of the services comes back on the form, status 400, nothing changed;
the list and the pathway page read in a bounded number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from research.models import Finding, FindingKind, Pathway, Phase, Workshop, WorkshopKind
from research.services import pathways as services
from research.services import survey_create
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.research.factories import organisation, practitioner, researcher

pytestmark = pytest.mark.django_db

D = dt.date


def local(hours: float) -> str:
    """A datetime-local value ``hours`` from now, in Italian time."""
    when = timezone.localtime(timezone.now() + dt.timedelta(hours=hours))
    return when.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def ambito():
    ambito = AmbitoFactory(name="Ambito di Crema")
    ComuneFactory(ambito=ambito)
    return ambito


@pytest.fixture
def lead():
    return researcher()


@pytest.fixture
def client_lead(client, lead):
    client.force_login(lead)
    return client


@pytest.fixture
def pathway(lead, ambito):
    today = timezone.localdate()
    return services.pathway_create(
        by=lead,
        title="Nuove fragilità",
        theme="Relational isolation",
        description="Who is alone, and why.",
        ambito=ambito,
        starts_on=today - dt.timedelta(days=60),
        ends_on=today + dt.timedelta(days=300),
    )


def operator(enable_totp):
    """A social worker (their role needs a second factor: they have set it up)."""
    person = practitioner(organisation(), user__language="en")
    enable_totp(person)
    return person


def detail(pathway):
    return reverse("research:pathway_detail", args=[pathway.pk])


def workshop_data(**extra):
    data = {
        "kind": "training",
        "title": "Listening to isolation",
        "starts_at": local(48),
        "ends_at": local(50),
        "place": "Sala civica",
        "address": "Via Roma 1",
        "online_url": "",
        "capacity": "20",
        "agenda": "Introductions",
        "registration_closes_at": "",
    }
    data.update(extra)
    return data


def plan_workshop(pathway, lead, **extra):
    start = timezone.now() + dt.timedelta(days=2)
    values = {
        "title": "Workshop",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "place": "Sala civica",
    }
    values.update(extra)
    return services.workshop_create(pathway=pathway, by=lead, **values)


# --- List ------------------------------------------------------------------------------------


def test_the_list_shows_pathways_with_counts_and_new_only_for_researchers(
    client, client_lead, pathway, lead, enable_totp
):
    plan_workshop(pathway, lead)
    survey_create(by=lead, title="Survey", pathway=pathway)
    response = client_lead.get(reverse("research:pathway_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nuove fragilità" in page and "Relational isolation" in page
    assert reverse("research:pathway_create") in page
    row = response.context["pathways"][0]
    assert (row.n_workshops, row.n_surveys, row.n_findings) == (1, 1, 0)

    client.force_login(operator(enable_totp))
    response = client.get(reverse("research:pathway_list"))
    assert response.status_code == 200
    assert "Nuove fragilità" in response.content.decode()
    assert reverse("research:pathway_create") not in response.content.decode()


def test_the_list_is_paginated_by_25(client_lead, lead):
    Pathway.objects.bulk_create([Pathway(title=f"P{n:02d}", lead=lead) for n in range(30)])
    first = client_lead.get(reverse("research:pathway_list"))
    assert len(first.context["pathways"]) == 25
    second = client_lead.get(reverse("research:pathway_list"), {"page": 2})
    assert len(second.context["pathways"]) == 5


# --- Create and change -----------------------------------------------------------------------


def test_a_researcher_creates_a_pathway(client_lead, lead, ambito):
    org = organisation(name="Cooperativa Iride")
    person = practitioner(org, user__first_name="Anna", user__last_name="Bassi")
    form = client_lead.get(reverse("research:pathway_create"))
    assert form.status_code == 200
    assert "Anna Bassi (Cooperativa Iride)" in form.content.decode()
    response = client_lead.post(
        reverse("research:pathway_create"),
        {
            "title": "Legami di quartiere",
            "theme": "Neighbourhoods",
            "description": "",
            "ambito": str(ambito.pk),
            "organisations": [str(org.pk)],
            "practitioners": [str(person.pk)],
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
    )
    pathway = Pathway.objects.get(title="Legami di quartiere")
    assert response.status_code == 302 and response.url == detail(pathway)
    assert pathway.lead == lead and pathway.ambito == ambito
    assert list(pathway.organisations.all()) == [org]
    assert list(pathway.practitioners.all()) == [person]


def test_a_pathway_ending_before_it_starts_is_refused_on_the_form(client_lead):
    response = client_lead.post(
        reverse("research:pathway_create"),
        {"title": "Backwards", "starts_on": "2026-05-01", "ends_on": "2026-04-01"},
    )
    assert response.status_code == 400
    assert "A pathway cannot end before it starts." in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert not Pathway.objects.exists()


def test_the_lead_changes_the_pathway(client_lead, pathway):
    edit = reverse("research:pathway_edit", args=[pathway.pk])
    assert client_lead.get(edit).status_code == 200
    response = client_lead.post(
        edit,
        {
            "title": "Fragilità nuove",
            "theme": "Isolation",
            "ambito": str(pathway.ambito_id),
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
    )
    assert response.status_code == 302
    pathway.refresh_from_db()
    assert (pathway.title, pathway.theme) == ("Fragilità nuove", "Isolation")


def test_a_pathway_with_workshops_keeps_its_ambito_on_the_form(client_lead, pathway, lead):
    plan_workshop(pathway, lead)
    response = client_lead.post(
        reverse("research:pathway_edit", args=[pathway.pk]),
        {"title": "Without ambito", "ambito": ""},
    )
    assert response.status_code == 400
    assert "A pathway with workshops keeps its host ambito." in response.content.decode()
    pathway.refresh_from_db()
    assert pathway.title == "Nuove fragilità" and pathway.ambito is not None


# --- Detail ----------------------------------------------------------------------------------


def test_the_pathway_page_shows_everything_and_the_leads_buttons(
    client, client_lead, pathway, lead, enable_totp
):
    today = timezone.localdate()
    org = organisation(name="Fondazione Comunitaria")
    person = practitioner(org, user__first_name="Bruno", user__last_name="Conti")
    services.pathway_update(pathway=pathway, by=lead, organisations=[org], practitioners=[person])
    services.phase_add(
        pathway=pathway,
        by=lead,
        title="Exploration",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today - dt.timedelta(days=1),
    )
    now_phase = services.phase_add(
        pathway=pathway,
        by=lead,
        title="Fieldwork",
        starts_on=today,
        ends_on=today + dt.timedelta(days=30),
    )
    workshop = plan_workshop(pathway, lead, title="Opening workshop", capacity=10)
    survey = survey_create(by=lead, title="Professional cultures", pathway=pathway)
    document = Finding.objects.create(
        kind=FindingKind.OUTPUT, title="Final report", pathway=pathway, author=lead
    )
    material = Finding.objects.create(
        kind=FindingKind.MATERIAL,
        title="Slides",
        pathway=pathway,
        workshop=workshop,
        author=lead,
    )
    Finding.objects.create(
        kind=FindingKind.NOTE, title="A loose note", pathway=pathway, author=lead
    )

    response = client_lead.get(detail(pathway))
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["current"] == now_phase
    assert "current phase" in page and 'aria-current="step"' in page
    for text in (
        "Relational isolation",
        "Ambito di Crema",
        "Fondazione Comunitaria",
        "Bruno Conti",
        "Exploration",
        "Opening workshop",
        "training session" if workshop.kind == WorkshopKind.TRAINING else "workshop",
        "Professional cultures",
        "Final report",
        "Slides",
    ):
        assert text in page, text
    assert "A loose note" not in page
    meeting = workshop.meeting
    assert reverse("labs:meeting_detail", args=[meeting.lab.slug, meeting.pk]) in page
    assert reverse("labs:meeting_registrations", args=[meeting.pk]) in page
    assert reverse("labs:meeting_attendance", args=[meeting.pk]) in page
    assert reverse("research:survey_detail", args=[survey.pk]) in page
    assert str(document.public_id) in page and str(material.public_id) in page
    assert reverse("research:pathway_edit", args=[pathway.pk]) in page
    assert reverse("research:workshop_create", args=[pathway.pk]) in page
    assert f"?pathway={pathway.pk}" in page

    # A practitioner reads the page, signs up on labs' page, and has no lead's links.
    client.force_login(operator(enable_totp))
    response = client.get(detail(pathway))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("labs:meeting_detail", args=[meeting.lab.slug, meeting.pk]) in page
    assert reverse("labs:meeting_registrations", args=[meeting.pk]) not in page
    assert reverse("research:pathway_edit", args=[pathway.pk]) not in page
    assert reverse("research:phase_add", args=[pathway.pk]) not in page
    assert f"?pathway={pathway.pk}" not in page


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _grow(pathway, lead, n, today):
    orgs = [organisation() for _ in range(n)]
    people = [practitioner(org) for org in orgs]
    services.pathway_update(pathway=pathway, by=lead, organisations=orgs, practitioners=people)
    for i in range(n):
        services.phase_add(
            pathway=pathway,
            by=lead,
            title=f"Phase {i}",
            starts_on=today + dt.timedelta(days=i),
            ends_on=today + dt.timedelta(days=i + 1),
        )
        workshop = plan_workshop(pathway, lead, title=f"Workshop {i}")
        survey_create(by=lead, title=f"Survey {i}", pathway=pathway)
        for kind in (FindingKind.DOCUMENT, FindingKind.OUTPUT):
            Finding.objects.create(kind=kind, title=f"Item {i}", pathway=pathway, author=lead)
        Finding.objects.create(
            kind=FindingKind.MATERIAL,
            title=f"Material {i}",
            pathway=pathway,
            workshop=workshop,
            author=lead,
        )


def test_query_counts_do_not_grow_with_rows(
    client_lead, lead, ambito, django_assert_max_num_queries
):
    today = timezone.localdate()
    few = services.pathway_create(by=lead, title="Few", ambito=ambito)
    _grow(few, lead, 1, today)
    bound = max(
        _count(client_lead, detail(few)), _count(client_lead, reverse("research:pathway_list"))
    )

    many = services.pathway_create(by=lead, title="Many", ambito=ambito)
    _grow(many, lead, 6, today)
    for n in range(8):
        services.pathway_create(by=lead, title=f"More {n}", ambito=ambito)
    with django_assert_max_num_queries(bound):
        client_lead.get(detail(many))
    with django_assert_max_num_queries(bound):
        client_lead.get(reverse("research:pathway_list"))


# --- Phases ----------------------------------------------------------------------------------


def test_the_lead_adds_changes_and_deletes_a_phase(client_lead, pathway):
    today = timezone.localdate()
    response = client_lead.post(
        reverse("research:phase_add", args=[pathway.pk]),
        {"title": "Exploration", "description": "", "starts_on": str(today), "ends_on": str(today)},
    )
    assert response.status_code == 302 and response.url == detail(pathway)
    phase = Phase.objects.get(pathway=pathway)

    edit = reverse("research:phase_edit", args=[pathway.pk, phase.pk])
    assert client_lead.get(edit).status_code == 200
    response = client_lead.post(
        edit,
        {
            "title": "Deep exploration",
            "starts_on": str(today),
            "ends_on": str(today + dt.timedelta(days=5)),
        },
    )
    assert response.status_code == 302
    phase.refresh_from_db()
    assert phase.title == "Deep exploration"

    delete = reverse("research:phase_delete", args=[pathway.pk, phase.pk])
    assert client_lead.get(delete).status_code == 200
    # Without the confirmation nothing is deleted.
    assert client_lead.post(delete, {}).status_code == 400
    assert Phase.objects.filter(pk=phase.pk).exists()
    response = client_lead.post(delete, {"confirm": "on"})
    assert response.status_code == 302
    assert not Phase.objects.filter(pk=phase.pk).exists()


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        (10, 5, "A phase cannot end before it starts."),
        (-400, 5, "A phase lies within the pathway&#x27;s dates."),
    ],
)
def test_a_phase_with_bad_dates_is_refused_on_the_form(client_lead, pathway, starts, ends, message):
    today = timezone.localdate()
    response = client_lead.post(
        reverse("research:phase_add", args=[pathway.pk]),
        {
            "title": "Bad",
            "starts_on": str(today + dt.timedelta(days=starts)),
            "ends_on": str(today + dt.timedelta(days=ends)),
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Phase.objects.exists()


def test_a_phase_of_another_pathway_is_not_found(client_lead, pathway, lead):
    other = services.pathway_create(by=lead, title="Other")
    phase = services.phase_add(
        pathway=other, by=lead, title="X", starts_on=D(2026, 1, 1), ends_on=D(2026, 1, 2)
    )
    url = reverse("research:phase_edit", args=[pathway.pk, phase.pk])
    assert client_lead.get(url).status_code == 404


# --- Workshops -------------------------------------------------------------------------------


def test_the_lead_plans_a_workshop(client_lead, pathway, lead):
    form = client_lead.get(reverse("research:workshop_create", args=[pathway.pk]))
    assert form.status_code == 200
    response = client_lead.post(
        reverse("research:workshop_create", args=[pathway.pk]), workshop_data()
    )
    assert response.status_code == 302 and response.url == detail(pathway)
    workshop = Workshop.objects.select_related("meeting__lab").get(pathway=pathway)
    assert workshop.kind == WorkshopKind.TRAINING
    assert workshop.meeting.title == "Listening to isolation"
    assert workshop.meeting.capacity == 20
    assert workshop.meeting.lab.facilitators.filter(pk=lead.pk).exists()
    page = client_lead.get(detail(pathway)).content.decode()
    assert "Listening to isolation is planned" in page
    assert "20" in page  # seats left


def test_a_workshop_without_host_ambito_is_refused_on_the_form(client_lead, lead):
    pathway = services.pathway_create(by=lead, title="Nowhere")
    response = client_lead.post(
        reverse("research:workshop_create", args=[pathway.pk]), workshop_data()
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose the pathway&#x27;s host ambito before planning its workshops." in page
    assert not Workshop.objects.exists()
    pathway.refresh_from_db()
    assert pathway.lab is None


def test_a_bad_workshop_is_refused_on_the_form(client_lead, pathway):
    response = client_lead.post(
        reverse("research:workshop_create", args=[pathway.pk]),
        workshop_data(ends_at=local(47), place=""),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The meeting ends after it starts." in page
    assert "Give a place, an online link, or both." in page
    assert not Workshop.objects.exists()
