"""The pages of the partners app: the public list and page of each organisation, the
network administrators' forms, and the members page of an organisation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from legami.audit import audit_history
from legami.models import AccessEvent
from legami.roles import Role
from partners.models import Invitation, Membership, Organisation, OrganisationKind
from tests.legami.factories import AmbitoFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

# Session, user, the policy's subject, organisations, their ambiti, the filter's ambiti…
LIST_MAX_QUERIES = 10
# …plus memberships, invitations, the scopes of the buttons and the access log.
MEMBERS_MAX_QUERIES = 20


@pytest.fixture
def org(ambiti):
    return OrganisationFactory(
        slug="coop-il-ponte",
        name="Cooperativa Il Ponte",
        kind=OrganisationKind.COOPERATIVA_SOCIALE,
        website="https://ilponte.example.org",
        ambiti=[ambiti[0]],
    )


@pytest.fixture
def referent(org):
    return MembershipFactory(organisation=org, role=Role.PARTNER_STAFF, is_referent=True).user


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- The public list ------------------------------------------------------------------------


def test_anyone_sees_the_active_organisations_without_personal_data(client, org, ambiti):
    """Name, kind, ambiti and website of each active organisation; nobody's name or address."""
    member = MembershipFactory(organisation=org, role=Role.OPERATOR).user
    OrganisationFactory(name="Associazione Chiusa", is_active=False)
    client.cookies["django_language"] = "en"

    html = client.get("/partners/").content.decode()

    assert "Cooperativa Il Ponte" in html
    assert "Social cooperative" in html
    assert "Ambito di Cremona" in html
    assert 'href="https://ilponte.example.org"' in html
    assert "Associazione Chiusa" not in html
    assert member.email not in html
    assert member.last_name not in html


def test_the_list_filters_by_kind_and_ambito(client, org, ambiti):
    crema = OrganisationFactory(
        name="Comune di Crema", kind=OrganisationKind.COMUNE, ambiti=[ambiti[1]]
    )
    cremona = OrganisationFactory(
        name="Comune di Cremona", kind=OrganisationKind.COMUNE, ambiti=[ambiti[0]]
    )

    def names(query: str) -> set[str]:
        response = client.get(f"/partners/?{query}")
        assert response.status_code == 200
        return {o.name for o in response.context["organisations"]}

    assert names("kind=comune") == {crema.name, cremona.name}
    assert names("ambito=cremona") == {org.name, cremona.name}
    assert names("kind=comune&ambito=crema") == {crema.name}
    assert names("kind=scuola") == set()
    # A value the form does not know is ignored, not an error page.
    assert names("kind=castle&ambito=atlantis") == {org.name, crema.name, cremona.name}


def test_the_list_costs_the_same_queries_for_3_or_30_organisations(
    client, ambiti, django_assert_max_num_queries
):
    for _n in range(3):
        OrganisationFactory(ambiti=list(ambiti))
    few = queries(client, "/partners/")
    for _n in range(27):
        OrganisationFactory(ambiti=list(ambiti))

    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = client.get("/partners/?ambito=cremona")
    assert len(response.context["organisations"]) == 30
    assert queries(client, "/partners/") == few


def test_the_network_is_in_the_navigation(client):
    assert 'href="/partners/"' in client.get("/").content.decode()


def test_an_organisation_page_is_public(client, org, ambiti):
    html = client.get("/partners/coop-il-ponte/").content.decode()
    assert "Cooperativa Il Ponte" in html
    assert "Ambito di Cremona" in html
    assert "/members/" not in html
    assert "/edit/" not in html


def test_the_organisation_page_costs_a_few_queries(client, org, django_assert_max_num_queries):
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        assert client.get("/partners/coop-il-ponte/").status_code == 200


def test_an_inactive_organisation_is_shown_only_to_network_admins(
    client, login, network_admin, org
):
    Organisation.objects.filter(pk=org.pk).update(is_active=False)
    assert client.get("/partners/coop-il-ponte/").status_code == 404
    html = login(network_admin).get("/partners/coop-il-ponte/").content.decode()
    assert "no longer active" in html
    assert "/partners/coop-il-ponte/reactivate/" in html


def test_pages_carry_no_inline_style_or_script(client, login, network_admin, org, referent):
    """The CSP forbids them: no style= attribute and no inline <script> on these pages."""
    admin = login(network_admin)
    pages = [
        client.get("/partners/"),
        client.get("/partners/coop-il-ponte/"),
        admin.get("/partners/new/"),
        admin.get("/partners/coop-il-ponte/edit/"),
        login(referent).get("/partners/coop-il-ponte/members/"),
    ]
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert " style=" not in html
        assert "<script>" not in html


# --- Network administrators ---------------------------------------------------------------


def test_a_network_admin_adds_an_organisation(login, network_admin, ambiti):
    client = login(network_admin)

    response = client.post(
        "/partners/new/",
        {
            "name": "Comune di Cremona",
            "slug": "",
            "kind": OrganisationKind.COMUNE,
            "tax_code": "IT 00297960197",
            "website": "www.comune.cremona.it",
            "ambiti": [ambiti[0].pk],
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/partners/comune-di-cremona/"
    organisation = Organisation.objects.get(slug="comune-di-cremona")
    assert organisation.tax_code == "00297960197"
    assert organisation.website == "https://www.comune.cremona.it"
    assert [a.code for a in organisation.ambiti.all()] == ["cremona"]
    assert audit_history(organisation).get().actor == network_admin


def test_a_wrong_tax_code_is_shown_on_the_form(login, network_admin):
    response = login(network_admin).post(
        "/partners/new/",
        {"name": "Comune di Cremona", "kind": OrganisationKind.COMUNE, "tax_code": "00297960196"},
    )
    assert response.status_code == 200
    assert "is not a valid codice fiscale or partita IVA" in response.content.decode()
    assert not Organisation.objects.filter(name="Comune di Cremona").exists()


def test_a_reserved_short_name_is_refused(login, network_admin):
    response = login(network_admin).post(
        "/partners/new/", {"name": "New", "slug": "new", "kind": OrganisationKind.IMPRESA}
    )
    assert response.status_code == 200
    assert "is reserved" in response.content.decode()


def test_a_network_admin_edits_and_the_change_is_recorded(login, network_admin, org, ambiti):
    client = login(network_admin)
    form = client.get("/partners/coop-il-ponte/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["ambiti"] = [a.pk for a in ambiti]
    data["phone"] = "0372 123456"

    response = client.post("/partners/coop-il-ponte/edit/", data)

    assert response.status_code == 302
    event = audit_history(org).get()
    assert event.changes == {
        "ambiti": [["cremona"], ["crema", "cremona"]],
        "phone": ["", "0372 123456"],
    }


def test_a_network_admin_deactivates_an_organisation(login, network_admin, org):
    client = login(network_admin)
    response = client.post("/partners/coop-il-ponte/deactivate/")
    assert response.status_code == 302
    org.refresh_from_db()
    assert not org.is_active
    assert client.get("/partners/").context["organisations"].filter(pk=org.pk).count() == 0


def test_deactivating_needs_a_post(login, network_admin, org):
    assert login(network_admin).get("/partners/coop-il-ponte/deactivate/").status_code == 405
    org.refresh_from_db()
    assert org.is_active


# --- The members page -----------------------------------------------------------------------


@pytest.fixture
def people(org, referent):
    """Three more people acting for the organisation, one whose membership has ended."""
    return [
        MembershipFactory(organisation=org, role=Role.OPERATOR),
        MembershipFactory(organisation=org, role=Role.FACILITATOR),
        MembershipFactory(
            organisation=org,
            role=Role.OPERATOR,
            start_date=dt.date(2024, 1, 1),
            end_date=dt.date(2024, 12, 31),
        ),
    ]


def test_the_referent_sees_every_membership_and_the_read_is_logged(login, referent, org, people):
    """Reading the members page is a read of personal data: one access-log row per
    membership shown, naming the person it concerns."""
    response = login(referent).get("/partners/coop-il-ponte/members/")

    assert response.status_code == 200
    shown = {m.pk for m in response.context["memberships"]}
    assert shown == set(org.memberships.values_list("pk", flat=True))
    html = response.content.decode()
    for membership in people:
        assert membership.user.email in html
    rows = AccessEvent.objects.filter(target_type="partners.membership")
    assert {(r.target_id, r.subject_user_id) for r in rows} == {
        (str(m.pk), m.user_id) for m in org.memberships.all()
    }
    assert {(r.action, r.purpose, r.actor_id) for r in rows} == {
        ("list", "members page", referent.pk)
    }


def test_the_referent_can_invite_to_the_roles_they_may_grant(login, referent, org):
    form = login(referent).get("/partners/coop-il-ponte/members/").context["invite_form"]
    roles = {value for value, _label in form.fields["role"].choices}
    assert Role.OPERATOR in roles
    assert roles.isdisjoint({Role.NETWORK_ADMIN, Role.AMBITO_ADMIN, Role.DPO})


def test_an_ambito_admin_sees_the_members_of_their_ambito_but_manages_nothing(
    login, make_user, org, people, ambiti
):
    admin = make_user(role=Role.AMBITO_ADMIN)
    admin.memberships.get().organisation.ambiti.set([ambiti[0]])

    response = login(admin).get("/partners/coop-il-ponte/members/")

    assert response.status_code == 200
    assert len(response.context["memberships"]) == 4
    assert response.context["invite_form"] is None
    assert response.context["endable"] == set()
    assert AccessEvent.objects.filter(actor=admin, purpose="members page").count() == 4


def test_an_ambito_admin_of_another_ambito_is_refused(login, make_user, org, people, ambiti):
    admin = make_user(role=Role.AMBITO_ADMIN)
    admin.memberships.get().organisation.ambiti.set([ambiti[1]])
    assert login(admin).get("/partners/coop-il-ponte/members/").status_code == 403
    assert not AccessEvent.objects.exists()


def test_a_staff_member_who_is_not_referent_is_refused(login, org, people):
    """They see their own role on the dashboard; the people of the organisation are not
    theirs to see."""
    member = people[0].user
    assert login(member).get("/partners/coop-il-ponte/members/").status_code == 403


@pytest.mark.parametrize("fixture", ["citizen", "partner_user", "dpo", "researcher"])
def test_others_are_refused(request, login, org, people, fixture):
    user = request.getfixturevalue(fixture)
    assert login(user).get("/partners/coop-il-ponte/members/").status_code == 403


def test_a_visitor_is_sent_to_log_in(client, org):
    response = client.get("/partners/coop-il-ponte/members/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_members_page_costs_the_same_for_3_or_30_members(
    login, referent, org, django_assert_max_num_queries
):
    client = login(referent)
    for _ in range(2):
        MembershipFactory(organisation=org, role=Role.OPERATOR)
    Invitation.objects.create(
        organisation=org,
        email="a@example.org",
        role=Role.OPERATOR,
        invited_by=referent,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    url = "/partners/coop-il-ponte/members/"
    few = queries(client, url)
    for _ in range(27):
        MembershipFactory(organisation=org, role=Role.OPERATOR)

    with django_assert_max_num_queries(MEMBERS_MAX_QUERIES):
        response = client.get(url)
    assert len(response.context["memberships"]) == 30
    assert queries(client, url) == few


def test_an_invalid_invitation_is_shown_on_the_page(login, referent, org, queued_invitations):
    response = login(referent).post(
        "/partners/coop-il-ponte/members/invite/", {"email": "not-an-address", "role": "operator"}
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_pending_invitation_twice_is_explained(login, referent, org, queued_invitations):
    client = login(referent)
    data = {"email": "a@example.org", "role": Role.OPERATOR}
    assert client.post("/partners/coop-il-ponte/members/invite/", data).status_code == 302
    again = client.post("/partners/coop-il-ponte/members/invite/", data)
    assert again.status_code == 400
    assert "already has a pending invitation" in again.content.decode()
    assert Invitation.objects.count() == 1


def test_the_referent_withdraws_an_invitation(login, referent, org, queued_invitations):
    client = login(referent)
    client.post(
        "/partners/coop-il-ponte/members/invite/", {"email": "a@example.org", "role": "operator"}
    )
    invitation = Invitation.objects.get()
    page = client.get("/partners/coop-il-ponte/members/")
    assert invitation.pk in page.context["revocable"]

    response = client.post(f"/partners/coop-il-ponte/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    page = client.get("/partners/coop-il-ponte/members/")
    assert list(page.context["invitations"]) == []


def test_the_referent_ends_a_membership(login, referent, org, people):
    membership = people[0]
    client = login(referent)
    assert membership.pk in client.get("/partners/coop-il-ponte/members/").context["endable"]

    response = client.post(
        f"/partners/coop-il-ponte/members/{membership.pk}/end/",
        {"end_date": timezone.localdate().isoformat()},
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.end_date == timezone.localdate()
    assert audit_history(membership).get().actor == referent


def test_an_end_date_before_the_start_is_explained(login, referent, people):
    membership = people[0]
    client = login(referent)
    response = client.post(
        f"/partners/coop-il-ponte/members/{membership.pk}/end/",
        {"end_date": "2020-01-01"},
        follow=True,
    )
    assert "cannot end before it starts" in response.content.decode()
    membership.refresh_from_db()
    assert membership.end_date is None


def test_a_membership_of_another_organisation_is_not_found(login, referent):
    elsewhere = MembershipFactory(role=Role.OPERATOR)
    response = login(referent).post(
        f"/partners/coop-il-ponte/members/{elsewhere.pk}/end/",
        {"end_date": timezone.localdate().isoformat()},
    )
    assert response.status_code == 404
    assert Membership.objects.get(pk=elsewhere.pk).end_date is None


def test_a_network_admin_manages_any_organisation(login, network_admin, org, people):
    client = login(network_admin)
    response = client.get("/partners/coop-il-ponte/members/")
    assert response.status_code == 200
    roles = {v for v, _ in response.context["invite_form"].fields["role"].choices}
    assert Role.NETWORK_ADMIN in roles
    assert {m.pk for m in people[:2]} <= response.context["endable"]


def test_the_detail_page_leads_referents_to_the_members_page(login, referent, org):
    html = login(referent).get("/partners/coop-il-ponte/").content.decode()
    assert 'href="/partners/coop-il-ponte/members/"' in html
    assert "/edit/" not in html


def test_an_empty_filter_result_says_so(client, org):
    client.cookies["django_language"] = "en"
    AmbitoFactory(code="casalmaggiore", name="Ambito di Casalmaggiore")
    html = client.get("/partners/?ambito=casalmaggiore").content.decode()
    assert "0 organisations" in html
    assert "No organisation matches these filters." in html


def test_inviting_to_an_inactive_organisation_is_explained(login, network_admin, org):
    """Network administrators still see a deactivated organisation, but nobody joins it."""
    Organisation.objects.filter(pk=org.pk).update(is_active=False)
    response = login(network_admin).post(
        "/partners/coop-il-ponte/members/invite/", {"email": "a@example.org", "role": "operator"}
    )
    assert response.status_code == 400
    assert "is not active in the network" in response.content.decode()
    assert not Invitation.objects.exists()
