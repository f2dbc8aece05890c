"""Permission matrix of the partners app's pages and API (see tests/permissions.py).

Besides the project's roles, two people of this app's own: ``referent`` (partner staff
who is referent of the organisation under test) and ``invitee`` (a citizen holding the
invitation's link, with the invited address verified). The ambito administrator works
for an organisation serving the ambito of the organisation under test; every other role
holder acts for an organisation of their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from legami.roles import Role
from partners.models import Invitation, Membership, Organisation, OrganisationKind
from partners.services import invitation_token_hash
from tests.legami.factories import AmbitoFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory
from tests.permissions import ROLES, STAFF_ROLES, Row, check, make_role_user, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("referent", "invitee")
EVERYONE = (*ROLES, *EXTRA)
SIGNED_IN = tuple(r for r in EVERYONE if r != "anonymous")

PAGE_LOGIN = {"anonymous": 302}
API_LOGIN = {"anonymous": 401}
ADMIN_PAGE = {**PAGE_LOGIN, Role.NETWORK_ADMIN: 200}
ADMIN_FORM_POST = {**PAGE_LOGIN, Role.NETWORK_ADMIN: 302}
MANAGERS_POST = {**PAGE_LOGIN, Role.NETWORK_ADMIN: 302, "referent": 302}
MANAGERS_API = {**API_LOGIN, Role.NETWORK_ADMIN: 200, "referent": 200}
MEMBER_READERS = {Role.NETWORK_ADMIN: 200, "referent": 200, Role.AMBITO_ADMIN: 200}

ORG = "/partners/{org.slug}"
API = "/api/v1"
ACCEPT = "/partners/invitations/accept/"


@dataclass(frozen=True)
class AfterLinkRow(Row):
    """A row of the invitation page whose client has first followed the invitation link,
    which puts the invitation in its session."""

    def __str__(self) -> str:
        return f"{super().__str__()} (after the link)"


def after_the_link(plain: list[Row]) -> list[Row]:
    return [AfterLinkRow(**vars(row)) for row in plain]


ROWS: list[Row] = [
    # --- Public pages -------------------------------------------------------------------
    *rows("GET", "/partners/", {}, default=200, roles=EVERYONE),
    *rows(
        "GET", "/partners/?kind=cooperativa_sociale&ambito=cremona", {}, default=200, roles=EVERYONE
    ),
    *rows("GET", ORG + "/", {}, default=200, roles=EVERYONE),
    *rows(
        "GET", "/partners/{closed.slug}/", {Role.NETWORK_ADMIN: 200}, default=404, roles=EVERYONE
    ),
    # --- Network administrators' pages --------------------------------------------------
    *rows("GET", "/partners/new/", ADMIN_PAGE, default=403, roles=EVERYONE),
    *rows(
        "POST",
        "/partners/new/",
        ADMIN_FORM_POST,
        default=403,
        roles=EVERYONE,
        data={"name": "Cooperativa Nuova", "kind": OrganisationKind.COOPERATIVA_SOCIALE},
    ),
    *rows("GET", ORG + "/edit/", ADMIN_PAGE, default=403, roles=EVERYONE),
    *rows(
        "POST",
        ORG + "/edit/",
        ADMIN_FORM_POST,
        default=403,
        roles=EVERYONE,
        data={"name": "{org.name}", "slug": "{org.slug}", "kind": "{org.kind}"},
    ),
    *rows("POST", ORG + "/deactivate/", ADMIN_FORM_POST, default=403, roles=EVERYONE),
    *rows("GET", ORG + "/deactivate/", {**PAGE_LOGIN}, default=405, roles=EVERYONE),
    # The inactive organisation is not there for anybody but network administrators.
    *rows(
        "POST", "/partners/{closed.slug}/reactivate/", ADMIN_FORM_POST, default=404, roles=EVERYONE
    ),
    # --- Members page and its forms -----------------------------------------------------
    *rows("GET", ORG + "/members/", {**PAGE_LOGIN, **MEMBER_READERS}, default=403, roles=EVERYONE),
    *rows(
        "POST",
        ORG + "/members/invite/",
        MANAGERS_POST,
        default=403,
        roles=EVERYONE,
        data={"email": "nuova.collega@example.org", "role": Role.OPERATOR},
    ),
    *rows(
        "POST",
        ORG + "/members/{member.pk}/end/",
        MANAGERS_POST,
        default=403,
        roles=EVERYONE,
        data={"end_date": "{today}"},
    ),
    *rows(
        "POST",
        ORG + "/invitations/{invitation.pk}/revoke/",
        MANAGERS_POST,
        default=403,
        roles=EVERYONE,
    ),
    # --- The invitation link and its token-free page -----------------------------------
    *rows("GET", "/partners/invitations/{token}/", {}, default=302, roles=EVERYONE),
    *rows("POST", "/partners/invitations/{token}/", {}, default=405, roles=EVERYONE),
    *rows("GET", "/partners/invitations/not-a-token/", {}, default=404, roles=EVERYONE),
    # Without having followed the link there is nothing to show.
    *rows("GET", ACCEPT, {}, default=404, roles=EVERYONE),
    *rows("POST", ACCEPT, {}, default=404, roles=EVERYONE),
    *after_the_link(
        rows("GET", ACCEPT, {"anonymous": 200, "invitee": 200}, default=403, roles=EVERYONE)
    ),
    *after_the_link(
        rows("POST", ACCEPT, {"anonymous": 302, "invitee": 302}, default=403, roles=EVERYONE)
    ),
    # --- API: organisations ---------------------------------------------------------------
    *rows(
        "GET",
        API + "/organisations/",
        API_LOGIN,
        default=200,
        roles=EVERYONE,
        ids={r: "network_slugs" if r == Role.NETWORK_ADMIN else "active_slugs" for r in SIGNED_IN},
        id_field="slug",
    ),
    *rows(
        "POST",
        API + "/organisations/",
        {**API_LOGIN, Role.NETWORK_ADMIN: 201},
        default=403,
        roles=EVERYONE,
        data={"name": "Cooperativa Nuova", "kind": OrganisationKind.COOPERATIVA_SOCIALE},
    ),
    *rows("GET", API + "/organisations/{org.slug}/", API_LOGIN, default=200, roles=EVERYONE),
    *rows(
        "GET",
        API + "/organisations/{closed.slug}/",
        {**API_LOGIN, Role.NETWORK_ADMIN: 200},
        default=404,
        roles=EVERYONE,
    ),
    *rows(
        "PATCH",
        API + "/organisations/{org.slug}/",
        {**API_LOGIN, Role.NETWORK_ADMIN: 200},
        default=403,
        roles=EVERYONE,
        data={"phone": "0372 407111"},
    ),
    *rows(
        "POST",
        API + "/organisations/{org.slug}/deactivate/",
        {**API_LOGIN, Role.NETWORK_ADMIN: 200},
        default=403,
        roles=EVERYONE,
    ),
    # --- API: memberships -----------------------------------------------------------------
    *rows(
        "GET",
        API + "/memberships/?limit=200",
        API_LOGIN,
        default=200,
        roles=EVERYONE,
        ids={r: f"memberships_seen_by_{r}" for r in SIGNED_IN},
    ),
    *rows(
        "GET",
        API + "/memberships/{member.pk}/",
        {**API_LOGIN, **MEMBER_READERS},
        default=404,
        roles=EVERYONE,
    ),
    *rows(
        "POST",
        API + "/memberships/",
        {**API_LOGIN, Role.NETWORK_ADMIN: 201, "referent": 201},
        default=403,
        roles=EVERYONE,
        data={"user": "{newcomer.email}", "organisation": "{org.slug}", "role": "operator"},
    ),
    *rows("POST", API + "/memberships/{member.pk}/end/", MANAGERS_API, default=403, roles=EVERYONE),
    # --- API: invitations -----------------------------------------------------------------
    *rows(
        "GET",
        API + "/invitations/",
        MANAGERS_API,
        default=403,
        roles=EVERYONE,
        ids={Role.NETWORK_ADMIN: "invitations", "referent": "invitations"},
    ),
    *rows(
        "POST",
        API + "/invitations/",
        {**API_LOGIN, Role.NETWORK_ADMIN: 201, "referent": 201},
        default=403,
        roles=EVERYONE,
        data={"organisation": "{org.slug}", "email": "nuova@example.org", "role": "operator"},
    ),
    *rows("GET", API + "/invitations/{invitation.pk}/", MANAGERS_API, default=403, roles=EVERYONE),
    *rows(
        "POST",
        API + "/invitations/{invitation.pk}/revoke/",
        MANAGERS_API,
        default=403,
        roles=EVERYONE,
    ),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    cremona = AmbitoFactory(code="cremona", name="Ambito di Cremona")
    crema = AmbitoFactory(code="crema", name="Ambito di Crema")
    org = OrganisationFactory(slug="coop-il-ponte", name="Cooperativa Il Ponte", ambiti=[cremona])
    closed = OrganisationFactory(slug="coop-chiusa", is_active=False, ambiti=[cremona])

    users = {role: make_role_user(make_user, enable_totp, role) for role in ROLES}
    users.pop("anonymous")
    # The ambito administrator's organisation serves the ambito of the one under test.
    users[Role.AMBITO_ADMIN].memberships.get().organisation.ambiti.set([cremona, crema])
    referent = MembershipFactory(
        organisation=org, role=Role.PARTNER_STAFF, is_referent=True, user__email="ref@example.org"
    ).user
    enable_totp(referent)
    invitee = make_user("invitata@example.org")
    EmailAddress.objects.create(user=invitee, email=invitee.email, verified=True, primary=True)
    users.update(referent=referent, invitee=invitee)

    member = MembershipFactory(organisation=org, role=Role.OPERATOR)
    newcomer = make_user("nuovo.arrivato@example.org")
    token = "a-test-invitation-token-of-forty-three-chars"
    invitation = Invitation.objects.create(
        organisation=org,
        email=invitee.email,
        role=Role.OPERATOR,
        invited_by=referent,
        token_hash=invitation_token_hash(token),
        sent_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(days=7),
    )

    everything = set(Membership.objects.values_list("pk", flat=True))
    at_org = set(org.memberships.values_list("pk", flat=True))
    seen = {
        role: set(user.memberships.values_list("pk", flat=True)) for role, user in users.items()
    }
    seen["referent"] = at_org
    seen[Role.AMBITO_ADMIN] = set(
        Membership.objects.filter(organisation__ambiti__in=[cremona, crema]).values_list(
            "pk", flat=True
        )
    )
    seen[Role.NETWORK_ADMIN] = everything
    return {
        "org": org,
        "closed": closed,
        "users": users,
        "member": member,
        "newcomer": newcomer,
        "invitation": invitation,
        "token": token,
        "today": timezone.localdate().isoformat(),
        "active_slugs": set(
            Organisation.objects.filter(is_active=True).values_list("slug", flat=True)
        ),
        "network_slugs": set(Organisation.objects.values_list("slug", flat=True)),
        "invitations": {invitation.pk},
        **{f"memberships_seen_by_{role}": ids for role, ids in seen.items()},
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_partners_permissions(row, world, matrix_client):
    client = matrix_client(row.role, world)
    if isinstance(row, AfterLinkRow):
        opened = client.get("/partners/invitations/{token}/".format(**world))
        assert opened["Location"] == ACCEPT
    check(row, client, world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(STAFF_ROLES) | {"anonymous", "citizen", *EXTRA}


def test_every_partners_route_has_a_row():
    """Every page of partners/urls.py and every route of partners/api_urls.py, whether or
    not the root URLconf includes the API yet, is named by a row."""
    from partners import api_urls, urls

    routes = [f"partners/{r}" for r in _walk(urls.urlpatterns)] + [
        f"api/v1/{r.lstrip('^')}" for r in _walk(api_urls.urlpatterns) if "(?P<format>" not in r
    ]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []


def test_every_api_method_of_the_partners_routes_has_rows_for_every_role():
    """Each (method, route) the API answers has a row for every role."""
    expected = {
        ("GET", "organisations/"),
        ("POST", "organisations/"),
        ("GET", "organisations/x/"),
        ("PATCH", "organisations/x/"),
        ("POST", "organisations/x/deactivate/"),
        ("GET", "memberships/"),
        ("POST", "memberships/"),
        ("GET", "memberships/x/"),
        ("POST", "memberships/x/end/"),
        ("GET", "invitations/"),
        ("POST", "invitations/"),
        ("GET", "invitations/x/"),
        ("POST", "invitations/x/revoke/"),
    }
    import re

    covered: dict[tuple[str, str], set[str]] = {}
    for row in ROWS:
        if row.url.startswith(API):
            path = re.sub(r"\{[^}]+\}", "x", row.url[len(API) + 1 :]).split("?")[0]
            covered.setdefault((row.method, path), set()).add(row.role)
    assert set(covered) == expected
    assert all(roles >= set(ROLES) for roles in covered.values())
