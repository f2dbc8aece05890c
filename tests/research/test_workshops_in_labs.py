"""A pathway's workshops are meetings of labs, run from the labs pages: the lead finds
the pathway's lab among the labs they run, with a way to the pathway instead of the
community-lab buttons; the labs pages that would make a meeting that is not a workshop,
or change the lab as if it were a community lab, send the lead to the pathway; a
researcher cannot start a community lab; the workshop's registrations and attendance
pages are the labs ones, and open for the lead only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from labs.models import Meeting
from labs.services.registration import registration_create
from research.services import pathways as services
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.research.factories import organisation, practitioner, researcher

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    return researcher()


@pytest.fixture
def workshop(lead):
    ambito = AmbitoFactory()
    ComuneFactory(ambito=ambito)
    pathway = services.pathway_create(by=lead, title="Culture professionali", ambito=ambito)
    start = timezone.now() + dt.timedelta(days=3)
    return services.workshop_create(
        pathway=pathway,
        by=lead,
        title="Laboratorio sui casi",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        place="Sala riunioni",
        capacity=10,
    )


def test_the_lead_runs_the_pathway_lab_from_the_labs_list(client, lead, workshop):
    client.force_login(lead)
    page = client.get(reverse("labs:manage")).content.decode()
    pathway_url = workshop.pathway.get_absolute_url()
    assert "Culture professionali" in page and workshop.meeting.title in page
    assert f'href="{pathway_url}"' in page
    # No community-lab buttons: not "start a lab", not "edit the lab" nor "plan a meeting".
    assert reverse("labs:lab_create") not in page
    assert reverse("labs:lab_edit", args=[workshop.meeting.lab.slug]) not in page
    assert reverse("labs:meeting_create", args=[workshop.meeting.lab.slug]) not in page
    assert client.get(reverse("labs:lab_create")).status_code == 403


@pytest.mark.parametrize("name", ["labs:lab_edit", "labs:meeting_create"])
def test_community_lab_pages_send_the_lead_to_the_pathway(client, lead, workshop, name):
    client.force_login(lead)
    meetings = Meeting.objects.count()
    url = reverse(name, args=[workshop.meeting.lab.slug])
    for response in (client.get(url), client.post(url, {"title": "Altro incontro"})):
        assert response.status_code == 302
        assert response.url == workshop.pathway.get_absolute_url()
    assert Meeting.objects.count() == meetings


def test_the_lead_sees_the_registrations_on_the_labs_pages(client, lead, workshop):
    person = practitioner(organisation())
    registration = registration_create(meeting=workshop.meeting, user=person)
    client.force_login(lead)
    page = client.get(reverse("labs:meeting_registrations", args=[workshop.meeting.pk]))
    assert page.status_code == 200
    assert person.email in page.content.decode()
    # Another researcher does not run this lab.
    client.force_login(researcher())
    url = reverse("labs:meeting_registrations", args=[workshop.meeting.pk])
    assert client.get(url).status_code == 404
    registration.refresh_from_db()
    assert registration.status == "confirmed"
