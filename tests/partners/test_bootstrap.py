"""``manage.py grant_role``: whoever runs the server gives a person a role at an
organisation, creating the account and the organisation when they are missing; all or
nothing, audited as the system, and safe to run again."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone, translation

from legami.models import ChangeEvent, User
from legami.policy import Action, allowed
from legami.roles import Role
from partners import services
from partners.models import Membership, Organisation, OrganisationKind
from partners.services import bootstrap
from tests.legami.factories import PASSWORD, UserFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

NOTE = "granted from the command line"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def grant(*args: str) -> str:
    """Run ``grant_role`` with ``args``; what it printed."""
    out = StringIO()
    call_command("grant_role", *args, stdout=out)
    return out.getvalue()


def state() -> tuple[int, ...]:
    """How many rows there are of everything the command may write."""
    return (
        User.objects.count(),
        EmailAddress.objects.count(),
        Organisation.objects.count(),
        Membership.objects.count(),
        ChangeEvent.objects.count(),
    )


def test_a_fresh_installation_gets_its_first_network_administrator():
    """With nothing in the database, one command makes the account, the organisation and
    the membership, and the person may then add organisations through the policy."""
    output = grant(
        "  Admin@Legami.Example.org ",
        "network_admin",
        "--organisation",
        "rete-legami",
        "--create-organisation",
        "Rete Well-fare Legami",
        "--kind",
        "consorzio",
    )

    user = User.objects.get()
    assert user.email == "admin@legami.example.org"
    assert not user.has_usable_password()
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (user.email, True, True)
    organisation = Organisation.objects.get()
    assert (organisation.slug, organisation.name, organisation.kind, organisation.is_active) == (
        "rete-legami",
        "Rete Well-fare Legami",
        OrganisationKind.CONSORZIO,
        True,
    )
    membership = Membership.objects.get()
    assert (membership.user, membership.organisation, membership.role) == (
        user,
        organisation,
        Role.NETWORK_ADMIN,
    )
    assert (membership.start_date, membership.end_date, membership.is_referent) == (
        timezone.localdate(),
        None,
        False,
    )
    assert allowed(User.objects.get(pk=user.pk), Action.CREATE, Organisation)
    assert "Created the organisation Rete Well-fare Legami (rete-legami)." in output
    assert (
        "Created the account admin@legami.example.org with no password: they set one with "
        f'"Forgot your password?" on the login page, or at {settings.SITE_URL}'
        "/accounts/password/reset/." in output
    )
    assert "admin@legami.example.org acts for Rete Well-fare Legami as Network administrator" in (
        output
    )


def test_every_change_is_audited_as_the_system():
    grant(
        "admin@legami.example.org",
        "network_admin",
        "--organisation",
        "rete-legami",
        "--create-organisation",
        "Rete Well-fare Legami",
        "--kind",
        "consorzio",
    )

    events = list(ChangeEvent.objects.order_by("pk"))
    assert [(e.target_type, e.action) for e in events] == [
        ("partners.organisation", "create"),
        ("legami.user", "create"),
        ("partners.membership", "create"),
    ]
    assert {(e.actor_id, e.actor_label, e.actor_roles, e.note) for e in events} == {
        (None, "system", "", NOTE)
    }
    assert {e.path for e in events} == {""}
    user_event, membership_event = events[1], events[2]
    assert user_event.changes["email"] == [None, "admin@legami.example.org"]
    assert membership_event.changes["role"] == [None, "network_admin"]
    assert events[0].changes["slug"] == [None, "rete-legami"]


def test_the_new_account_sets_its_password_with_forgot_password(client, mailoutbox):
    """What the command prints works: the reset mail reaches the person, who then logs in."""
    grant(
        "ricercatrice@example.org",
        "researcher",
        "--organisation",
        "universita",
        "--create-organisation",
        "Università degli Studi",
        "--kind",
        "ente_pubblico",
    )

    assert client.post("/accounts/password/reset/", {"email": "ricercatrice@example.org"})
    assert len(mailoutbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mailoutbox[0].body)
    assert link, mailoutbox[0].body
    form_url = client.get(link.group(1))["Location"]
    client.post(form_url, {"password1": PASSWORD, "password2": PASSWORD})

    browser = Client()
    response = browser.post(
        "/accounts/login/", {"login": "ricercatrice@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(User.objects.get().pk)


def test_an_existing_account_is_given_the_role_as_it_is(verified):
    """The person keeps their password and addresses; only the membership is new."""
    organisation = OrganisationFactory(slug="comune-di-crema", name="Comune di Crema")
    person = UserFactory(email="mario.bianchi@example.org")
    before = EmailAddress.objects.count()

    output = grant("Mario.Bianchi@example.org", "coordinator", "--organisation", "comune-di-crema")

    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert EmailAddress.objects.count() == before
    membership = Membership.objects.get(user=person)
    assert (membership.organisation, membership.role) == (organisation, Role.COORDINATOR)
    assert "Created" not in output
    assert [e.target_type for e in ChangeEvent.objects.all()] == ["partners.membership"]


def test_referent_and_start_date():
    organisation = OrganisationFactory(slug="coop-il-ponte")

    output = grant(
        "anna.rossi@example.org",
        "partner_staff",
        "--organisation",
        "coop-il-ponte",
        "--referent",
        "--start-date",
        "2024-09-01",
    )

    membership = Membership.objects.get(organisation=organisation)
    assert membership.is_referent
    assert membership.start_date == dt.date(2024, 9, 1)
    assert "and as its referent" in output


def test_granting_the_same_role_again_changes_nothing():
    """The same command twice (organisation included) does its work once and says so."""
    args = (
        "admin@legami.example.org",
        "network_admin",
        "--organisation",
        "rete-legami",
        "--create-organisation",
        "Rete Well-fare Legami",
        "--kind",
        "consorzio",
    )
    grant(*args)
    after_first = state()

    output = grant(*args)

    assert state() == after_first
    today = timezone.localdate()
    assert (
        "admin@legami.example.org already acts for Rete Well-fare Legami as Network "
        "administrator since" in output
    )
    assert "nothing changed" in output
    assert "Created" not in output
    assert Membership.objects.get().start_date == today


def test_the_service_says_what_it_did():
    organisation = OrganisationFactory(slug="coop-il-ponte")

    first = services.role_grant_from_console(
        email="anna.rossi@example.org", role=Role.OPERATOR, organisation_slug="coop-il-ponte"
    )
    again = services.role_grant_from_console(
        email="anna.rossi@example.org", role=Role.OPERATOR, organisation_slug="coop-il-ponte"
    )

    assert (first.user_created, first.organisation_created, first.membership_created) == (
        True,
        False,
        True,
    )
    assert first.membership.organisation == organisation
    assert (again.user_created, again.organisation_created, again.membership_created) == (
        False,
        False,
        False,
    )
    assert again.membership == first.membership


def _existing_membership() -> None:
    MembershipFactory(
        user__email="anna.rossi@example.org",
        organisation=OrganisationFactory(slug="coop-il-ponte", name="Cooperativa Il Ponte"),
        role=Role.OPERATOR,
        start_date=dt.date(2025, 1, 1),
    )


ERRORS = [
    pytest.param(
        ("anna.rossi@example.org", "boss", "--organisation", "coop-il-ponte"),
        "Unknown role boss: choose one of operator, coordinator,",
        id="unknown role",
    ),
    pytest.param(
        ("anna.rossi@example.org", "operator", "--organisation", "nessuna"),
        "There is no organisation with the short name nessuna. To create it, add "
        '--create-organisation "Name" --kind KIND.',
        id="unknown organisation",
    ),
    pytest.param(
        ("not-an-address", "operator", "--organisation", "coop-il-ponte"),
        "Enter a valid email address.",
        id="invalid e-mail",
    ),
    pytest.param(
        ("anna.rossi@example.org", "operator", "--organisation", "coop-il-ponte", "--referent"),
        "anna.rossi@example.org already acts for Cooperativa Il Ponte in this role in that period.",
        id="active membership with another referent flag",
    ),
    pytest.param(
        (
            "anna.rossi@example.org",
            "operator",
            "--organisation",
            "coop-il-ponte",
            "--start-date",
            "2025-06-01",
        ),
        "anna.rossi@example.org already acts for Cooperativa Il Ponte in this role in that period.",
        id="active membership from another day",
    ),
    pytest.param(
        (
            "anna.rossi@example.org",
            "operator",
            "--organisation",
            "coop-il-ponte",
            "--kind",
            "scuola",
        ),
        "A kind is given only with a new organisation's name.",
        id="kind without a new organisation",
    ),
    pytest.param(
        (
            "nuovo@example.org",
            "operator",
            "--organisation",
            "nuova",
            "--create-organisation",
            "Nuova",
        ),
        "Choose the kind of the new organisation: comune, azienda_consortile,",
        id="new organisation without a kind",
    ),
    pytest.param(
        (
            "nuovo@example.org",
            "operator",
            "--organisation",
            "coop-il-ponte",
            "--create-organisation",
            "Altro Nome",
            "--kind",
            "cooperativa_sociale",
        ),
        "The short name coop-il-ponte is taken by Cooperativa Il Ponte (Social cooperative)",
        id="short name taken by another organisation",
    ),
    pytest.param(
        (
            "nuovo@example.org",
            "operator",
            "--organisation",
            "Not A Slug!",
            "--create-organisation",
            "Nuova",
            "--kind",
            "scuola",
        ),
        "Enter a valid “slug”",
        id="invalid short name",
    ),
    pytest.param(
        (
            "nuovo@example.org",
            "operator",
            "--organisation",
            "coop-il-ponte",
            "--start-date",
            "1 September",
        ),
        "1 September is not a date: write it as YYYY-MM-DD.",
        id="invalid start date",
    ),
]


@pytest.mark.parametrize(("args", "message"), ERRORS)
def test_an_error_says_why_and_changes_nothing(args, message):
    _existing_membership()
    before = state()

    with pytest.raises(CommandError) as raised:
        grant(*args)

    assert message.lower() in str(raised.value).lower()
    assert state() == before


def test_an_inactive_organisation_takes_no_one_in():
    """Not even someone who already holds the role there: it gives nothing now."""
    _existing_membership()
    Organisation.objects.filter(slug="coop-il-ponte").update(is_active=False)
    before = state()

    for email in ("anna.rossi@example.org", "nuovo@example.org"):
        with pytest.raises(CommandError, match="is not active in the network"):
            grant(email, "operator", "--organisation", "coop-il-ponte")

    assert state() == before


def test_an_address_of_another_account_is_refused():
    owner = UserFactory(email="anna.rossi@example.org")
    EmailAddress.objects.create(user=owner, email="anna@altro.example.org", verified=True)
    OrganisationFactory(slug="coop-il-ponte")
    before = state()

    with pytest.raises(CommandError, match="verified address of the account anna.rossi@"):
        grant("anna@altro.example.org", "operator", "--organisation", "coop-il-ponte")

    assert state() == before


def test_a_failure_after_creating_the_account_and_organisation_undoes_them(monkeypatch):
    """One transaction: the membership failing takes the new account and organisation
    with it."""

    def refuse(**kwargs):
        raise ValidationError("refused", code="refused")

    monkeypatch.setattr(bootstrap, "membership_insert", refuse)
    before = state()

    with pytest.raises(CommandError, match="refused"):
        grant(
            "nuovo@example.org",
            "operator",
            "--organisation",
            "nuova",
            "--create-organisation",
            "Nuova",
            "--kind",
            "scuola",
        )

    assert state() == before


def test_a_deactivated_account_is_given_the_role_with_a_warning():
    UserFactory(email="anna.rossi@example.org", is_active=False)
    OrganisationFactory(slug="coop-il-ponte")

    output = grant("anna.rossi@example.org", "operator", "--organisation", "coop-il-ponte")

    assert Membership.objects.filter(user__email="anna.rossi@example.org").exists()
    assert "is deactivated: they cannot log in until it is reactivated" in output
