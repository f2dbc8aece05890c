"""A need raised in a community lab becomes a Civic Center demand: its author is offered
the link on the need's page, the form starts from the need's comune, and the demand
remembers the need."""

from __future__ import annotations

import pytest

from civic_center.models import Demand
from tests.civic_center.factories import ServiceCategoryFactory
from tests.civic_center.test_family_pages import CREATE, _form_data
from tests.labs.factories_needs import NeedFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def comune():
    return ComuneFactory(ambito=AmbitoFactory())


@pytest.fixture
def category():
    return ServiceCategoryFactory()


@pytest.fixture
def need(make_user, comune):
    author = make_user("autrice@example.org")
    return NeedFactory(posted_by=author, comune=comune, title="Nessun doposcuola in paese")


def test_the_author_is_offered_the_civic_center_on_the_needs_page(client, need, make_user):
    url = f"/labs/{need.lab.slug}/needs/{need.pk}/"
    client.force_login(need.posted_by)
    assert "Ask for it in the Civic Center" in client.get(url).content.decode()
    client.force_login(make_user())
    assert "Ask for it in the Civic Center" not in client.get(url).content.decode()


def test_a_demand_from_a_need_starts_from_its_comune_and_remembers_it(
    client, need, category, comune
):
    client.force_login(need.posted_by)
    page = client.get(f"{CREATE}?bisogno={need.pk}").content.decode()
    assert "Nessun doposcuola in paese" in page
    assert f'value="{comune.pk}" selected' in page
    response = client.post(f"{CREATE}?bisogno={need.pk}", _form_data(category, comune))
    assert response.status_code == 302
    assert Demand.objects.get().lab_need == need


def test_nobody_else_turns_someone_elses_need_into_a_demand(
    client, need, category, comune, make_user
):
    client.force_login(make_user())
    response = client.post(f"{CREATE}?bisogno={need.pk}", _form_data(category, comune))
    assert response.status_code == 403
    assert not Demand.objects.exists()
