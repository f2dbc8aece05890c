"""The service catalogue is edited in the admin by network administrators, and by nobody
else; offers, demand and agreements are read-only there, and a demand (a family's
identity) is shown only to whom the policy lets read it, each opening logged."""

from __future__ import annotations

import pytest

from civic_center.models import ServiceCategory
from legami.models import AccessEvent
from legami.roles import Role
from tests.civic_center.factories import DemandFactory, OfferFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/civic_center/servicecategory/add/"


@pytest.fixture
def staff_partner(make_user, enable_totp):
    user = make_user("staff.partner@example.org", role=Role.PARTNER_STAFF, is_staff=True)
    enable_totp(user)
    return user


def test_a_network_administrator_adds_a_service_to_the_catalogue(admin_client):
    response = admin_client.post(
        ADD,
        {
            "code": "lavanderia",
            "name": "Lavanderia",
            "name_en": "Laundry",
            "unit": "week",
            "position": "20",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ServiceCategory.objects.get(code="lavanderia").unit == "week"


def test_other_staff_cannot_edit_the_catalogue(client, staff_partner):
    client.force_login(staff_partner)
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, {"code": "x", "name": "X", "unit": "hour"}).status_code == 403
    assert not ServiceCategory.objects.filter(code="x").exists()


def test_offers_are_read_only_in_the_admin(admin_client):
    offer = OfferFactory()
    page = admin_client.get(f"/admin/civic_center/offer/{offer.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get("/admin/civic_center/offer/add/").status_code == 403


def test_a_familys_demand_is_not_shown_to_administrators_who_may_not_read_it(admin_client):
    demand = DemandFactory(contact_name="Giovanna Rizzi")
    response = admin_client.get(f"/admin/civic_center/demand/{demand.pk}/change/")
    assert response.status_code in (302, 404)
    assert "Giovanna Rizzi" not in admin_client.get("/admin/civic_center/demand/").content.decode()
    assert not AccessEvent.objects.filter(target_type="civic_center.demand").exists()
