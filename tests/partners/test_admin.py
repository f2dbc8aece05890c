"""The admin of the partners app asks the access policy and saves through the services,
so admin changes are checked like any other and reach the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from legami.audit import audit_history
from legami.roles import Role
from partners.models import Invitation, Membership, Organisation, OrganisationKind
from tests.legami.factories import UserFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

MAX_QUERIES = 20


@pytest.fixture
def org(ambiti):
    return OrganisationFactory(
        slug="coop-il-ponte", name="Cooperativa Il Ponte", ambiti=[ambiti[0]]
    )


@pytest.fixture
def network_admin_staff(make_user):
    """A network administrator who uses the admin (staff, not superuser)."""
    return make_user("rete@example.org", role=Role.NETWORK_ADMIN, is_staff=True)


@pytest.fixture
def referent_staff(org):
    """The referent of the organisation, given access to the admin."""
    user = UserFactory(email="referente@example.org", is_staff=True)
    MembershipFactory(user=user, organisation=org, role=Role.PARTNER_STAFF, is_referent=True)
    return user


@pytest.fixture
def invitation(org, network_admin_staff):
    return Invitation.objects.create(
        organisation=org,
        email="nuova@example.org",
        role=Role.OPERATOR,
        invited_by=network_admin_staff,
        expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
    )


def test_a_network_admin_adds_an_organisation_through_the_service(
    login, network_admin_staff, ambiti
):
    client = login(network_admin_staff)
    response = client.post(
        "/admin/partners/organisation/add/",
        {
            "name": "Comune di Crema",
            "slug": "comune-di-crema",
            "kind": OrganisationKind.COMUNE,
            "ambiti": [ambiti[1].pk],
            "tax_code": "it 00297960197",
            "address": "",
            "email": "",
            "phone": "",
            "website": "",
            "member_since": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    organisation = Organisation.objects.get(slug="comune-di-crema")
    assert organisation.tax_code == "00297960197"
    assert [a.code for a in organisation.ambiti.all()] == ["crema"]
    event = audit_history(organisation).get()
    assert (event.action, event.actor) == ("create", network_admin_staff)


def test_an_invalid_tax_code_is_refused_on_the_admin_form(login, network_admin_staff):
    response = login(network_admin_staff).post(
        "/admin/partners/organisation/add/",
        {
            "name": "Comune di Crema",
            "slug": "comune-di-crema",
            "kind": OrganisationKind.COMUNE,
            "tax_code": "00297960196",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["tax_code"]
    assert not Organisation.objects.filter(slug="comune-di-crema").exists()


def test_a_superuser_without_a_role_only_reads_organisations(login, make_user, org, invitation):
    """Being a superuser opens the admin, not the network: no changes, no people."""
    client = login(make_user("tech@example.org", is_staff=True, is_superuser=True))
    assert client.get("/admin/partners/organisation/").status_code == 200
    page = client.get(f"/admin/partners/organisation/{org.pk}/change/")
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert client.get("/admin/partners/organisation/add/").status_code == 403
    # Like everybody, they may list their own memberships: they hold none.
    memberships = client.get("/admin/partners/membership/")
    assert memberships.status_code == 200
    assert list(memberships.context["cl"].result_list) == []
    assert client.get("/admin/partners/invitation/").status_code == 403


def test_the_admin_lists_the_memberships_the_policy_shows(login, referent_staff, org):
    mine = MembershipFactory(organisation=org, role=Role.OPERATOR)
    elsewhere = MembershipFactory(role=Role.OPERATOR)

    response = login(referent_staff).get("/admin/partners/membership/")

    assert response.status_code == 200
    shown = {m.pk for m in response.context["cl"].result_list}
    assert mine.pk in shown
    assert elsewhere.pk not in shown
    assert (
        login(referent_staff).get(f"/admin/partners/membership/{elsewhere.pk}/change/").status_code
        == 302  # not in the rows the policy shows: the admin says it does not exist
    )


def test_a_referent_adds_a_member_in_the_admin_and_the_trail_records_it(login, referent_staff, org):
    person = UserFactory(email="nuovo@example.org")
    response = login(referent_staff).post(
        "/admin/partners/membership/add/",
        {
            "user": person.pk,
            "organisation": org.pk,
            "role": Role.OPERATOR,
            "start_date": "2025-03-01",
            "end_date": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = person.memberships.get()
    event = audit_history(membership).get()
    assert (event.action, event.actor) == ("create", referent_staff)


def test_a_referent_cannot_grant_an_admin_role_in_the_admin(login, referent_staff, org):
    person = UserFactory(email="nuovo@example.org")
    response = login(referent_staff, language="en").post(
        "/admin/partners/membership/add/",
        {
            "user": person.pk,
            "organisation": org.pk,
            "role": Role.NETWORK_ADMIN,
            "start_date": "2025-03-01",
        },
    )
    assert response.status_code == 200
    assert "You may not give this role at this organisation." in response.content.decode()
    assert not person.memberships.exists()


def test_an_overlapping_membership_is_refused_on_the_admin_form(login, referent_staff, org):
    existing = MembershipFactory(organisation=org, role=Role.OPERATOR)
    response = login(referent_staff).post(
        "/admin/partners/membership/add/",
        {
            "user": existing.user.pk,
            "organisation": org.pk,
            "role": Role.OPERATOR,
            "start_date": "2025-06-01",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert existing.user.memberships.count() == 1


def test_ending_a_membership_in_the_admin_goes_through_the_service(login, referent_staff, org):
    membership = MembershipFactory(organisation=org, role=Role.OPERATOR)
    url = f"/admin/partners/membership/{membership.pk}/change/"

    response = login(referent_staff).post(url, {"end_date": "2025-12-31", "is_referent": ""})

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.end_date == dt.date(2025, 12, 31)
    event = audit_history(membership).get()
    assert (event.actor, event.changes) == (referent_staff, {"end_date": [None, "2025-12-31"]})


def test_an_end_before_the_start_is_refused_on_the_admin_form(login, referent_staff, org):
    membership = MembershipFactory(organisation=org, role=Role.OPERATOR)
    response = login(referent_staff).post(
        f"/admin/partners/membership/{membership.pk}/change/", {"end_date": "2020-01-01"}
    )
    assert response.status_code == 200
    assert "end_date" in response.context["adminform"].form.errors
    membership.refresh_from_db()
    assert membership.end_date is None
    assert not audit_history(membership).exists()


def test_nothing_is_deleted_in_the_admin(login, network_admin_staff, org):
    membership = MembershipFactory(organisation=org)
    client = login(network_admin_staff)
    assert client.get(f"/admin/partners/membership/{membership.pk}/delete/").status_code == 403
    assert client.get(f"/admin/partners/organisation/{org.pk}/delete/").status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_invitations_are_read_only_and_can_be_revoked(login, referent_staff, invitation):
    client = login(referent_staff)
    assert client.get("/admin/partners/invitation/add/").status_code == 403
    page = client.get(f"/admin/partners/invitation/{invitation.pk}/change/")
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert "token" not in page.content.decode().lower().replace("csrfmiddlewaretoken", "")

    response = client.post(
        "/admin/partners/invitation/",
        {"action": "revoke_selected", "_selected_action": [invitation.pk]},
    )

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_by == referent_staff
    assert audit_history(invitation).get().note == "revoked"


def test_the_admin_deactivates_through_the_service(login, network_admin_staff, org):
    response = login(network_admin_staff).post(
        "/admin/partners/organisation/",
        {"action": "deactivate_selected", "_selected_action": [org.pk]},
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert not org.is_active
    assert audit_history(org).get().note == "deactivated"


@pytest.mark.parametrize(
    "url",
    ["/admin/partners/organisation/", "/admin/partners/membership/", "/admin/partners/invitation/"],
)
def test_admin_lists_cost_the_same_for_few_or_many_rows(
    login, network_admin_staff, org, ambiti, url, django_assert_max_num_queries
):
    client = login(network_admin_staff)

    def add_rows(n):
        for i in range(n):
            other = OrganisationFactory(ambiti=list(ambiti))
            MembershipFactory(organisation=other)
            Invitation.objects.create(
                organisation=other,
                email=f"p{other.pk}-{i}@example.org",
                role=Role.OPERATOR,
                expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
            )

    add_rows(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_rows(27)
    with django_assert_max_num_queries(MAX_QUERIES) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
