"""The admin of the core and of the network: users by e-mail, ambiti, comuni, organisations."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from legami.models import Comune, User
from legami.roles import Role
from tests.legami.factories import AmbitoFactory, ComuneFactory, UserFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

# Queries of a list page, whatever the number of rows: session, user, the second-factor
# check, count, rows, ambiti for the filter, the editable column and the actions…
MAX_QUERIES = 16


@pytest.fixture
def superuser() -> User:
    return UserFactory(
        email="root@example.org",
        first_name="Root",
        last_name="Admin",
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def admin_client(superuser, enable_totp) -> Client:
    """A superuser's browser (with the second factor that staff need), switched to English
    so that messages read as below."""
    enable_totp(superuser)
    client = Client()
    client.force_login(superuser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def ambiti():
    return (
        AmbitoFactory(code="cremona", name="Ambito di Cremona"),
        AmbitoFactory(code="crema", name="Ambito di Crema"),
    )


def make_comuni(n: int, ambiti) -> None:
    start = Comune.objects.count()
    for i in range(start, start + n):
        ComuneFactory(ambito=ambiti[i % 2], istat_code=f"019{i:03d}")


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_comune_list_queries_do_not_grow_with_rows(
    admin_client, ambiti, django_assert_max_num_queries
):
    """The comuni list, editable ambito column included, costs the same few queries for
    3 comuni as for 60."""
    url = reverse("admin:legami_comune_changelist")
    make_comuni(3, ambiti)
    few = queries_for(admin_client, url)
    make_comuni(57, ambiti)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert response.content.count(b'name="form-') > 60  # the editable rows are there
    assert queries_for(admin_client, url) == few


def test_superuser_changes_the_ambito_of_a_comune_in_the_list(admin_client, ambiti):
    """The ambito column is editable in the list: saving moves the comune."""
    cremona, crema = ambiti
    comune = ComuneFactory(name="Pianengo", belfiore_code="G558", ambito=cremona)
    other = ComuneFactory(name="Cremona", belfiore_code="D150", ambito=cremona)
    url = reverse("admin:legami_comune_changelist")

    response = admin_client.post(
        url,
        {
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "2",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(other.pk),
            "form-0-ambito": str(cremona.pk),
            "form-1-id": str(comune.pk),
            "form-1-ambito": str(crema.pk),
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    comune.refresh_from_db()
    other.refresh_from_db()
    assert comune.ambito == crema
    assert other.ambito == cremona


def test_superuser_changes_the_ambito_in_the_comune_form(admin_client, ambiti):
    cremona, crema = ambiti
    comune = ComuneFactory(name="Pianengo", belfiore_code="G558", ambito=cremona)
    url = reverse("admin:legami_comune_change", args=[comune.pk])
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(
        url,
        {
            "istat_code": "019071",
            "belfiore_code": "G558",
            "name": "Pianengo",
            "province": "CR",
            "ambito": str(crema.pk),
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    comune.refresh_from_db()
    assert (comune.ambito, comune.istat_code) == (crema, "019071")


def test_an_action_moves_the_selected_comuni_to_an_ambito(admin_client, ambiti):
    """One action per active ambito moves every selected comune at once."""
    cremona, crema = ambiti
    moved = [ComuneFactory(ambito=cremona), ComuneFactory(ambito=None)]
    stays = ComuneFactory(ambito=cremona)

    response = admin_client.post(
        reverse("admin:legami_comune_changelist"),
        {
            "action": "move_to_ambito_crema",
            "_selected_action": [str(c.pk) for c in moved],
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "2 comuni moved to Ambito di Crema." in response.content.decode()
    assert set(Comune.objects.filter(ambito=crema)) == set(moved)
    stays.refresh_from_db()
    assert stays.ambito == cremona


def test_ambito_list_counts_its_comuni(admin_client, ambiti, django_assert_max_num_queries):
    make_comuni(5, ambiti)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = admin_client.get(reverse("admin:legami_ambito_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_list.get(code="cremona")._comuni_count == 3


def test_user_admin_works_by_email(admin_client, django_assert_max_num_queries):
    """Users are listed, searched and created by e-mail, without a username."""
    UserFactory(email="giulia.ferrari@example.org", first_name="Giulia", last_name="Ferrari")
    UserFactory(email="marco@example.org", first_name="Marco", last_name="Bodini")
    changelist = reverse("admin:legami_user_changelist")

    with django_assert_max_num_queries(MAX_QUERIES):
        response = admin_client.get(changelist, {"q": "giulia"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [
        User.objects.get(email="giulia.ferrari@example.org")
    ]

    add = reverse("admin:legami_user_add")
    assert admin_client.get(add).status_code == 200
    response = admin_client.post(
        add,
        {
            "email": "New.Person@Example.org",
            "usable_password": "true",
            "password1": "a-long-new-password-7",
            "password2": "a-long-new-password-7",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.org")
    assert user.check_password("a-long-new-password-7")
    assert admin_client.get(reverse("admin:legami_user_change", args=[user.pk])).status_code == 200

    response = admin_client.post(
        add,
        {
            "email": "NEW.person@example.org",
            "usable_password": "true",
            "password1": "a-long-new-password-7",
            "password2": "a-long-new-password-7",
        },
    )
    assert response.status_code == 200  # the form again: the address is taken
    assert User.objects.filter(email__iexact="new.person@example.org").count() == 1


def test_organisation_and_membership_admin(admin_client, ambiti, django_assert_max_num_queries):
    """Organisations list their ambiti and show their members inline; the lists cost a
    bounded number of queries."""
    for _ in range(12):
        organisation = OrganisationFactory(ambiti=list(ambiti))
        MembershipFactory(organisation=organisation, role=Role.PARTNER_STAFF)
        MembershipFactory(organisation=organisation, role=Role.OPERATOR)

    for name in ("organisation", "membership"):
        with django_assert_max_num_queries(MAX_QUERIES):
            response = admin_client.get(reverse(f"admin:partners_{name}_changelist"))
        assert response.status_code == 200, name

    response = admin_client.get(
        reverse("admin:partners_organisation_changelist"), {"ambiti__id__exact": ambiti[1].pk}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 12
    change = reverse("admin:partners_organisation_change", args=[organisation.pk])
    response = admin_client.get(change)
    assert response.status_code == 200
    assert b"memberships-TOTAL_FORMS" in response.content
