"""The admin of the core and of the network: users by e-mail, ambiti, comuni, organisations."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from legami.models import AccessEvent, ChangeEvent, Comune, User
from legami.roles import Role
from tests.legami.factories import AmbitoFactory, ComuneFactory, UserFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

# Queries of a list page, whatever the number of rows: session, user, the second-factor
# check, count, rows, ambiti for the filter, the editable column and the actions…
MAX_QUERIES = 16


@pytest.fixture
def superuser() -> User:
    """A Django superuser who is also a network administrator: in the admin, as on every
    page, rights come from the role (the superuser flag alone gives none)."""
    user = UserFactory(
        email="root@example.org",
        first_name="Root",
        last_name="Admin",
        is_staff=True,
        is_superuser=True,
    )
    MembershipFactory(user=user, role=Role.NETWORK_ADMIN)
    return user


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
    """Only the ambito is corrected here: names and codes come from the imports."""
    cremona, crema = ambiti
    comune = ComuneFactory(
        name="Pianengo", belfiore_code="G558", istat_code="019071", ambito=cremona
    )
    url = reverse("admin:legami_comune_change", args=[comune.pk])
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(
        url,
        {
            "istat_code": "999999",
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

    # Accounts are not made here: people sign up, or accept an invitation.
    assert admin_client.get(reverse("admin:legami_user_add")).status_code == 403
    giulia = User.objects.get(email="giulia.ferrari@example.org")
    assert (
        admin_client.get(reverse("admin:legami_user_change", args=[giulia.pk])).status_code == 200
    )


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


def _staff_client(user: User, enable_totp) -> Client:
    enable_totp(user)
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_superuser_without_a_role_sees_no_data_in_the_admin(enable_totp, ambiti):
    """Deny by default reaches the admin too: the superuser flag opens only what the
    policy gives everyone (the territory, read-only)."""
    root = UserFactory(email="tech@example.org", is_staff=True, is_superuser=True)
    client = _staff_client(root, enable_totp)
    UserFactory(email="someone@example.org")
    users = client.get(reverse("admin:legami_user_changelist"))
    # They may change their own account, so the page opens, but lists nobody else.
    assert list(users.context["cl"].result_list) == []
    MembershipFactory(role=Role.OPERATOR)
    memberships = client.get(reverse("admin:partners_membership_changelist"))
    assert list(memberships.context["cl"].result_list) == []
    comune = ComuneFactory(ambito=ambiti[0])
    response = client.post(
        reverse("admin:legami_comune_change", args=[comune.pk]), {"ambito": ambiti[1].pk}
    )
    assert response.status_code == 403
    comune.refresh_from_db()
    assert comune.ambito == ambiti[0]


def test_an_ambito_admin_corrects_only_the_comuni_of_their_ambito(enable_totp, ambiti):
    """The editable list and the actions change only what the policy allows; the rest
    stays as it was, and each change is in the history."""
    cremona, crema = ambiti
    admin_user = UserFactory(email="ufficio@example.org", is_staff=True)
    MembershipFactory(
        user=admin_user,
        organisation=OrganisationFactory(ambiti=[cremona]),
        role=Role.AMBITO_ADMIN,
    )
    client = _staff_client(admin_user, enable_totp)
    mine = ComuneFactory(ambito=cremona, name="Mio")
    theirs = ComuneFactory(ambito=crema, name="Loro")

    # The change form of a comune of another ambito is read-only for them.
    response = client.post(reverse("admin:legami_comune_change", args=[theirs.pk]), {"ambito": ""})
    assert response.status_code == 403
    # An action over both moves only their own.
    response = client.post(
        reverse("admin:legami_comune_changelist"),
        {"action": "move_to_no_ambito", "_selected_action": [mine.pk, theirs.pk]},
        follow=True,
    )
    assert response.status_code == 200
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.ambito is None and theirs.ambito == crema
    event = ChangeEvent.objects.get(target_type="legami.comune", target_id=str(mine.pk))
    assert event.actor == admin_user and event.changes == {"ambito_id": [cremona.pk, None]}
    assert not ChangeEvent.objects.filter(target_id=str(theirs.pk)).exists()


def test_opening_a_user_in_the_admin_is_logged_as_a_read(admin_client, superuser):
    person = UserFactory(email="persona@example.org")
    response = admin_client.get(reverse("admin:legami_user_change", args=[person.pk]))
    assert response.status_code == 200
    event = AccessEvent.objects.get(target_type="legami.user", target_id=str(person.pk))
    assert event.actor == superuser and event.subject_user_id == person.pk
    assert event.action == "view"


def test_profile_changes_are_audited_and_privileges_need_a_superuser(
    admin_client, superuser, enable_totp
):
    person = UserFactory(email="persona@example.org", first_name="Ada", last_name="")
    url = reverse("admin:legami_user_change", args=[person.pk])
    form = {
        "email": person.email,
        "first_name": "Adele",
        "last_name": "",
        "language": "it",
        "is_active": "on",
        "is_staff": "on",
    }
    assert admin_client.post(url, form).status_code == 302
    person.refresh_from_db()
    assert person.first_name == "Adele" and person.is_staff
    event = ChangeEvent.objects.get(target_type="legami.user", target_id=str(person.pk))
    assert event.changes == {"first_name": ["Ada", "Adele"], "is_staff": [False, True]}

    # A network administrator who is not a superuser cannot hand out staff rights,
    # not even to themselves.
    network_admin = UserFactory(email="rete@example.org", is_staff=True)
    MembershipFactory(user=network_admin, role=Role.NETWORK_ADMIN)
    client = _staff_client(network_admin, enable_totp)
    own = reverse("admin:legami_user_change", args=[network_admin.pk])
    client.post(own, {**form, "email": network_admin.email, "is_superuser": "on"})
    network_admin.refresh_from_db()
    assert not network_admin.is_superuser


def test_unsafe_models_are_not_in_the_admin(admin_client):
    """No admin page hands out API tokens, removes a second factor or changes an e-mail."""
    index = admin_client.get(reverse("admin:index")).content.decode()
    for name in ("authtoken", "mfa", "account/emailaddress", "auth/group"):
        assert f"/admin/{name}" not in index
