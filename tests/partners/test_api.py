"""The partners API under /api/v1/: organisations, memberships and invitations, scoped
by the access policy, written through the services, reads of people logged."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from legami.audit import audit_history
from legami.models import AccessEvent
from legami.roles import Role
from partners.models import Invitation, Membership, Organisation, OrganisationKind
from tests.legami.factories import UserFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15


@pytest.fixture
def org(ambiti):
    return OrganisationFactory(
        slug="coop-il-ponte", name="Cooperativa Il Ponte", ambiti=[ambiti[0]]
    )


@pytest.fixture
def referent(org):
    return MembershipFactory(organisation=org, role=Role.PARTNER_STAFF, is_referent=True).user


@pytest.fixture
def member(org):
    """A social worker of the organisation."""
    return MembershipFactory(organisation=org, role=Role.OPERATOR)


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def ids(response) -> set:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- Organisations ------------------------------------------------------------------------


def test_the_api_needs_a_login(client, org):
    for url in ("/api/v1/organisations/", "/api/v1/memberships/", "/api/v1/invitations/"):
        assert client.get(url).status_code == 401, url


def test_everybody_logged_in_reads_the_active_organisations(login, citizen, org):
    OrganisationFactory(slug="chiusa", is_active=False)
    rows = login(citizen).get("/api/v1/organisations/").json()["results"]
    assert [(r["slug"], r["ambiti"]) for r in rows] == [("coop-il-ponte", ["cremona"])]
    assert login(citizen).get("/api/v1/organisations/chiusa/").status_code == 404


def test_network_admins_also_read_the_inactive_ones(login, network_admin, org):
    OrganisationFactory(slug="chiusa", is_active=False)
    rows = login(network_admin).get("/api/v1/organisations/").json()["results"]
    assert {r["slug"] for r in rows} >= {"coop-il-ponte", "chiusa"}


def test_organisations_filter_by_kind_and_ambito(login, citizen, org, ambiti):
    OrganisationFactory(slug="comune-di-crema", kind=OrganisationKind.COMUNE, ambiti=[ambiti[1]])
    client = login(citizen)

    def slugs(query):
        return {r["slug"] for r in client.get(f"/api/v1/organisations/?{query}").json()["results"]}

    assert slugs("kind=comune") == {"comune-di-crema"}
    assert slugs("ambito=cremona") == {"coop-il-ponte"}
    assert slugs("ambito=atlantis") == set()


def test_listing_organisations_costs_the_same_for_3_or_30(
    login, citizen, ambiti, django_assert_max_num_queries
):
    client = login(citizen)
    for _ in range(3):
        OrganisationFactory(ambiti=list(ambiti))
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/organisations/")
    for _ in range(27):
        OrganisationFactory(ambiti=list(ambiti))
    with django_assert_max_num_queries(MAX_QUERIES) as many:
        assert client.get("/api/v1/organisations/").json()["count"] == 30
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_network_admin_adds_an_organisation(login, network_admin, ambiti):
    response = post(
        login(network_admin),
        "/api/v1/organisations/",
        {
            "name": "Comune di Cremona",
            "kind": "comune",
            "tax_code": "it00297960197",
            "ambiti": ["cremona"],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "comune-di-cremona"
    organisation = Organisation.objects.get(slug="comune-di-cremona")
    assert organisation.tax_code == "00297960197"
    assert audit_history(organisation).get().action == "create"


def test_an_invalid_tax_code_is_a_400_naming_the_field(login, network_admin):
    response = post(
        login(network_admin),
        "/api/v1/organisations/",
        {"name": "Comune di Cremona", "kind": "comune", "tax_code": "00297960196"},
    )
    assert response.status_code == 400
    assert "tax_code" in response.json()
    assert not Organisation.objects.filter(name="Comune di Cremona").exists()


@pytest.mark.parametrize("who", ["referent", "citizen", "ambito_admin"])
def test_only_network_admins_add_or_change_organisations(request, login, org, who):
    client = login(request.getfixturevalue(who))
    assert (
        post(client, "/api/v1/organisations/", {"name": "X", "kind": "impresa"}).status_code == 403
    )
    assert patch(client, "/api/v1/organisations/coop-il-ponte/", {"phone": "1"}).status_code == 403
    assert post(client, "/api/v1/organisations/coop-il-ponte/deactivate/").status_code == 403
    org.refresh_from_db()
    assert (org.phone, org.is_active) == ("", True)


def test_a_network_admin_changes_and_deactivates(login, network_admin, org):
    client = login(network_admin)
    response = patch(client, "/api/v1/organisations/coop-il-ponte/", {"phone": "0372 1"})
    assert response.status_code == 200
    assert response.json()["phone"] == "0372 1"

    response = post(client, "/api/v1/organisations/coop-il-ponte/deactivate/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert [e.action for e in audit_history(org)] == ["state", "update"]
    again = post(client, "/api/v1/organisations/coop-il-ponte/deactivate/")
    assert again.status_code == 400


def test_replacing_an_organisation_whole_is_not_offered(login, network_admin, org):
    response = login(network_admin).put(
        "/api/v1/organisations/coop-il-ponte/", "{}", content_type="application/json"
    )
    assert response.status_code == 405


# --- Memberships --------------------------------------------------------------------------


def test_memberships_are_scoped_by_the_policy(login, make_user, org, referent, member, ambiti):
    """Own memberships for everybody; the organisation's for its referent; those of the
    ambito's organisations for an ambito administrator; all for a network administrator."""
    elsewhere = MembershipFactory(role=Role.OPERATOR)
    own = set(member.user.memberships.values_list("pk", flat=True))
    at_org = set(org.memberships.values_list("pk", flat=True))
    ambito_admin = make_user(role=Role.AMBITO_ADMIN)
    ambito_admin.memberships.get().organisation.ambiti.set([ambiti[0]])
    network_admin = make_user(role=Role.NETWORK_ADMIN)

    assert ids(login(member.user).get("/api/v1/memberships/")) == own
    assert ids(login(referent).get("/api/v1/memberships/")) == at_org
    assert ids(login(ambito_admin).get("/api/v1/memberships/")) == at_org | {
        ambito_admin.memberships.get().pk
    }
    everything = ids(login(network_admin).get("/api/v1/memberships/?limit=100"))
    assert everything == set(Membership.objects.values_list("pk", flat=True))
    assert elsewhere.pk in everything
    assert ids(login(UserFactory()).get("/api/v1/memberships/")) == set()


def test_reading_memberships_through_the_api_is_logged(login, referent, org, member):
    response = login(referent).get("/api/v1/memberships/")
    returned = ids(response)

    rows = AccessEvent.objects.filter(action="api", target_type="partners.membership")
    assert {int(r.target_id) for r in rows} == returned
    assert {r.subject_user_id for r in rows} == set(
        Membership.objects.filter(pk__in=returned).values_list("user_id", flat=True)
    )
    assert {r.purpose for r in rows} == {"memberships API"}

    login(referent).get(f"/api/v1/memberships/{member.pk}/")
    assert AccessEvent.objects.filter(target_id=str(member.pk), action="api").count() == 2


def test_a_membership_out_of_scope_is_not_found(login, member):
    stranger = MembershipFactory(role=Role.OPERATOR).user
    assert login(stranger).get(f"/api/v1/memberships/{member.pk}/").status_code == 404
    assert not AccessEvent.objects.filter(actor=stranger).exists()


def test_listing_memberships_costs_the_same_for_3_or_30(
    login, referent, org, django_assert_max_num_queries
):
    client = login(referent)
    for _ in range(2):
        MembershipFactory(organisation=org)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/memberships/")
    for _ in range(27):
        MembershipFactory(organisation=org)
    with django_assert_max_num_queries(MAX_QUERIES) as many:
        assert client.get("/api/v1/memberships/").json()["count"] == 30
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_referent_adds_a_member_by_e_mail(login, referent, org):
    person = UserFactory(email="nuova@example.org")
    response = post(
        login(referent),
        "/api/v1/memberships/",
        {"user": "Nuova@Example.org", "organisation": "coop-il-ponte", "role": "operator"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["user"], body["start_date"], body["is_current"]) == (
        "nuova@example.org",
        timezone.localdate().isoformat(),
        True,
    )
    assert person.memberships.get().organisation == org


def test_a_referent_cannot_grant_an_administrative_role(login, referent, org):
    UserFactory(email="nuova@example.org")
    response = post(
        login(referent),
        "/api/v1/memberships/",
        {"user": "nuova@example.org", "organisation": "coop-il-ponte", "role": "network_admin"},
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(role=Role.NETWORK_ADMIN).exists()


def test_an_overlapping_membership_is_a_400(login, referent, member):
    response = post(
        login(referent),
        "/api/v1/memberships/",
        {"user": member.user.email, "organisation": "coop-il-ponte", "role": "operator"},
    )
    assert response.status_code == 400
    assert "user" in response.json()


def test_a_referent_ends_a_membership(login, referent, member):
    last_day = timezone.localdate() + dt.timedelta(days=30)
    response = post(
        login(referent), f"/api/v1/memberships/{member.pk}/end/", {"end_date": last_day.isoformat()}
    )
    assert response.status_code == 200
    assert response.json()["end_date"] == last_day.isoformat()
    member.refresh_from_db()
    assert member.end_date == last_day


def test_ending_without_a_date_ends_today(login, referent, member):
    assert post(login(referent), f"/api/v1/memberships/{member.pk}/end/").status_code == 200
    member.refresh_from_db()
    assert member.end_date == timezone.localdate()


def test_an_ambito_admin_may_read_but_not_end(login, make_user, member, ambiti):
    admin = make_user(role=Role.AMBITO_ADMIN)
    admin.memberships.get().organisation.ambiti.set([ambiti[0]])
    client = login(admin)
    assert client.get(f"/api/v1/memberships/{member.pk}/").status_code == 200
    assert post(client, f"/api/v1/memberships/{member.pk}/end/").status_code == 403
    member.refresh_from_db()
    assert member.end_date is None


# --- Invitations --------------------------------------------------------------------------


def test_a_referent_invites_lists_and_revokes(login, referent, org, queued_invitations):
    client = login(referent)
    OrganisationFactory(slug="altra")
    Invitation.objects.create(
        organisation=Organisation.objects.get(slug="altra"),
        email="x@example.org",
        role=Role.OPERATOR,
        expires_at=timezone.now() + dt.timedelta(days=3),
    )

    created = post(
        client,
        "/api/v1/invitations/",
        {"organisation": "coop-il-ponte", "email": "nuova@example.org", "role": "operator"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending"
    assert "token" not in json.dumps(body)

    assert ids(client.get("/api/v1/invitations/")) == {body["id"]}

    revoked = post(client, f"/api/v1/invitations/{body['id']}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert post(client, f"/api/v1/invitations/{body['id']}/revoke/").status_code == 400
    assert AccessEvent.objects.filter(target_type="partners.invitation", action="api").exists()


def test_a_second_pending_invitation_is_a_400(login, referent, org, queued_invitations):
    client = login(referent)
    data = {"organisation": "coop-il-ponte", "email": "nuova@example.org", "role": "operator"}
    assert post(client, "/api/v1/invitations/", data).status_code == 201
    again = post(client, "/api/v1/invitations/", data)
    assert again.status_code == 400
    assert "email" in again.json()


@pytest.mark.parametrize("who", ["citizen", "ambito_admin", "partner_user"])
def test_invitations_are_for_referents_and_network_admins(request, login, org, who):
    client = login(request.getfixturevalue(who))
    assert client.get("/api/v1/invitations/").status_code == 403
    response = post(
        client,
        "/api/v1/invitations/",
        {"organisation": "coop-il-ponte", "email": "n@example.org", "role": "operator"},
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()
