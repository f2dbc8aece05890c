"""The admin shows people and cases read-only to those the policy lets read them, and
logs each record opened."""

from __future__ import annotations

import pytest

from legami.models import AccessEvent
from legami.roles import Role
from tests.beneficiaries.factories import assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_worker(make_user, enable_totp):
    user = make_user("staff.worker@example.org", role=Role.OPERATOR, is_staff=True)
    enable_totp(user)
    return user


def test_a_worker_sees_only_their_people_and_opening_one_is_logged(staff_worker, make_user, client):
    mine = assign(staff_worker)
    other = assign(make_user("other@example.org", role=Role.COORDINATOR))
    client.force_login(staff_worker)
    response = client.get("/admin/beneficiaries/person/")
    assert response.status_code == 200
    page = response.content.decode()
    assert mine.person.last_name in page
    assert other.person.last_name not in page
    response = client.get(f"/admin/beneficiaries/person/{mine.person.pk}/change/")
    assert response.status_code == 200
    assert AccessEvent.objects.filter(
        action="view", target_type="beneficiaries.person", target_id=str(mine.person.pk)
    ).exists()
    assert client.get(f"/admin/beneficiaries/person/{other.person.pk}/change/").status_code in (
        302,
        404,
    )
    assert client.get(f"/admin/beneficiaries/case/{mine.pk}/change/").status_code == 200
