"""``manage.py seed_demo``: the demo network, contributed app by app, safe to run twice."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from legami.demo import DEMO_PASSWORD_DEFAULT, DEMO_TOTP_SECRET_DEFAULT, demo_steps
from legami.management.commands.demo_totp import totp_now
from legami.models import Ambito, Comune, User
from legami.roles import Role, active_roles, requires_mfa
from partners.models import Membership, Organisation

pytestmark = pytest.mark.django_db

DEMO_LOGINS = {
    "operatore@demo.legami.it": (Role.OPERATOR, "Azienda Sociale Cremonese"),
    "coordinatore@demo.legami.it": (Role.COORDINATOR, "Azienda Sociale Cremonese"),
    "partner@demo.legami.it": (Role.PARTNER_STAFF, "Consorzio Sol.Co Cremona"),
    "facilitatore@demo.legami.it": (Role.FACILITATOR, "Cisvol Cremona"),
    "ricercatore@demo.legami.it": (Role.RESEARCHER, "Comunità Sociale Cremasca"),
    "fundraiser@demo.legami.it": (
        Role.FUNDRAISER,
        "Fondazione Comunitaria della Provincia di Cremona",
    ),
    "admin.ambito@demo.legami.it": (Role.AMBITO_ADMIN, "Azienda Sociale Cremonese"),
    "admin.rete@demo.legami.it": (Role.NETWORK_ADMIN, "Provincia di Cremona"),
    "dpo@demo.legami.it": (Role.DPO, "Provincia di Cremona"),
    # Added by the case files' demo step (beneficiaries/demo.py), one per ambito's service.
    "operatore.crema@demo.legami.it": (Role.OPERATOR, "Comunità Sociale Cremasca"),
    "operatore.casalasco@demo.legami.it": (Role.OPERATOR, "Consorzio Casalasco Servizi Sociali"),
    # Added by the Civic Center's demo step (civic_center/demo.py): staff of two more
    # cooperatives that publish offers.
    "partner.arcobaleno@demo.legami.it": (Role.PARTNER_STAFF, "Consorzio Arcobaleno"),
    "partner.casalasco@demo.legami.it": (
        Role.PARTNER_STAFF,
        "Consorzio Casalasco Servizi Sociali",
    ),
    "cittadino@demo.legami.it": (None, None),
}


def seed(**options) -> str:
    """Run seed_demo and return its output, in English (the assertions below read it)."""
    out = io.StringIO()
    with translation.override("en"):
        call_command("seed_demo", force=True, stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "addresses": EmailAddress.objects.count(),
        "organisations": Organisation.objects.count(),
        "organisation ambiti": Organisation.ambiti.through.objects.count(),
        "memberships": Membership.objects.count(),
        "ambiti": Ambito.objects.count(),
        "comuni": Comune.objects.count(),
        "assigned comuni": Comune.objects.filter(ambito__isnull=False).count(),
        "authenticator apps": Authenticator.objects.filter(type="totp").count(),
    }


def test_every_app_contributes_its_step_in_installed_apps_order():
    """The core's step (territory) runs before the partners' step (organisations)."""
    labels = [label for label, _seed in demo_steps()]
    assert labels[:2] == ["legami", "partners"]


def test_seed_demo_refuses_to_run_without_debug(settings):
    """With DEBUG off the known password would reach a real database: refused."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.exists()
    assert not Comune.objects.exists()


def test_seed_demo_runs_with_debug(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert User.objects.count() == len(DEMO_LOGINS)


def test_seeding_twice_gives_the_same_database():
    """A second run creates nothing and reports every step unchanged."""
    seed()
    first = counts()
    logins = dict(User.objects.values_list("email", "password"))
    output = seed()

    assert counts() == first
    assert first == {
        "users": 14,
        "addresses": 14,
        "organisations": 15,
        "organisation ambiti": 33,
        "memberships": 13,
        "ambiti": 3,
        "comuni": 113,
        "assigned comuni": 113,
        "authenticator apps": 11,
    }
    # Not even the password hashes are rewritten.
    assert dict(User.objects.values_list("email", "password")) == logins
    assert "organisations: 0 created, 0 updated, 0 deactivated, 15 unchanged" in output
    assert "demo logins: 0 created or updated, 9 unchanged" in output
    assert "citizen cittadino@demo.legami.it: unchanged" in output
    assert "authenticator app of the demo logins: 0 set, 11 unchanged" in output


def test_the_territory_is_loaded():
    """The demo territory is the default one: every comune of CR in its ambito."""
    seed()
    by_ambito = Counter(Comune.objects.values_list("ambito__code", flat=True))
    assert by_ambito == {"crema": 48, "cremona": 48, "casalmaggiore": 17}


def test_one_login_per_role_at_a_fitting_organisation():
    """Each role has one demo person holding it today at the organisation it fits; the
    citizen holds none; only the network administrator is a superuser."""
    seed()
    for email, (role, organisation) in DEMO_LOGINS.items():
        user = User.objects.get(email=email)
        assert user.first_name and user.last_name, email
        if role is None:
            assert active_roles(user) == frozenset(), email
            assert not user.memberships.exists()
            continue
        assert active_roles(user) == {role}, email
        assert user.memberships.get().organisation.name == organisation
        assert user.is_superuser == (role == Role.NETWORK_ADMIN), email
    admin = User.objects.get(email="admin.rete@demo.legami.it")
    assert admin.is_staff and admin.is_superuser
    ambito_admin = User.objects.get(email="admin.ambito@demo.legami.it")
    assert ambito_admin.is_staff
    assert ambito_admin.has_perm("legami.change_comune")
    assert not ambito_admin.has_perm("legami.delete_comune")


def test_organisations_of_the_network():
    """The programme's organisations, with their kind and ambiti; Cariplo is the funder."""
    seed()
    organisations = {o.name: o for o in Organisation.objects.prefetch_related("ambiti")}
    assert list(Organisation.objects.filter(is_funder=True).values_list("name", flat=True)) == [
        "Fondazione Cariplo"
    ]
    assert organisations["Comune di Crema"].kind == "comune"
    assert [a.code for a in organisations["Comune di Crema"].ambiti.all()] == ["crema"]
    assert organisations["Provincia di Cremona"].kind == "ente_pubblico"
    assert organisations["Provincia di Cremona"].ambiti.count() == 3
    assert organisations["Azienda Sociale Cremonese"].kind == "azienda_consortile"


def test_the_output_lists_every_login_and_the_password():
    output = seed()
    for email in DEMO_LOGINS:
        assert email in output
    assert "Consorzio Sol.Co Cremona" in output
    assert DEMO_PASSWORD_DEFAULT in output


@pytest.mark.parametrize("email", list(DEMO_LOGINS))
def test_every_demo_login_authenticates(email):
    """Each demo person logs in with the demo password: by the auth backends, and through
    allauth's login page (which insists on a verified e-mail address); those whose role
    needs a second factor then give the code of the demo authenticator app."""
    seed()
    assert authenticate(email=email, password=DEMO_PASSWORD_DEFAULT) is not None
    assert authenticate(email=email, password="wrong-password-1") is None
    assert EmailAddress.objects.get(email=email).verified
    user = User.objects.get(email=email)

    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD_DEFAULT})

    assert response.status_code == 302
    if requires_mfa(user):
        assert response["Location"] == "/accounts/2fa/authenticate/"
        code, _left = totp_now(DEMO_TOTP_SECRET_DEFAULT)
        response = client.post("/accounts/2fa/authenticate/", {"code": code})
        assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/dashboard/").status_code == 200


def test_the_logins_that_need_a_second_factor_get_the_demo_secret():
    """Exactly the demo logins whose role requires a second factor have an authenticator
    app, with the documented secret; the output says so and how to get a code."""
    output = seed()
    with_app = set(Authenticator.objects.filter(type="totp").values_list("user__email", flat=True))
    assert with_app == {
        "operatore@demo.legami.it",
        "coordinatore@demo.legami.it",
        "partner@demo.legami.it",
        "fundraiser@demo.legami.it",
        "admin.ambito@demo.legami.it",
        "admin.rete@demo.legami.it",
        "dpo@demo.legami.it",
        "operatore.crema@demo.legami.it",
        "operatore.casalasco@demo.legami.it",
        "partner.arcobaleno@demo.legami.it",
        "partner.casalasco@demo.legami.it",
    }
    assert with_app == {u.email for u in User.objects.all() if requires_mfa(u)}
    for authenticator in Authenticator.objects.filter(type="totp"):
        assert decrypt(authenticator.data["secret"]) == DEMO_TOTP_SECRET_DEFAULT
    assert DEMO_TOTP_SECRET_DEFAULT in output
    assert "manage.py demo_totp" in output
    operator_row = next(line for line in output.splitlines() if "operatore@" in line)
    assert operator_row.rstrip().endswith("TOTP")
    citizen_row = next(line for line in output.splitlines() if "cittadino@" in line)
    assert not citizen_row.rstrip().endswith("TOTP")


def test_the_totp_secret_comes_from_the_environment(monkeypatch):
    """DEMO_TOTP_SECRET replaces the default, also for logins seeded before."""
    seed()
    monkeypatch.setenv("DEMO_TOTP_SECRET", "jbsw y3dp ehpk 3pxp")
    output = seed()

    assert "JBSWY3DPEHPK3PXP" in output
    assert "authenticator app of the demo logins: 11 set, 0 unchanged" in output
    operator = Authenticator.objects.get(user__email="operatore@demo.legami.it")
    assert decrypt(operator.data["secret"]) == "JBSWY3DPEHPK3PXP"


def test_a_bad_totp_secret_stops_the_seed(monkeypatch):
    monkeypatch.setenv("DEMO_TOTP_SECRET", "not-base32!")
    with pytest.raises(CommandError, match="DEMO_TOTP_SECRET"):
        seed()
    assert not User.objects.exists()


def test_demo_totp_prints_the_code_the_login_expects():
    """The code printed by ``manage.py demo_totp`` is the current one for the secret: the
    one allauth accepts (RFC 6238's test secret gives its published value)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("demo_totp", stdout=out, stderr=err)
    assert out.getvalue().strip() == totp_now(DEMO_TOTP_SECRET_DEFAULT)[0]
    assert len(out.getvalue().strip()) == 6
    assert "seconds" in err.getvalue() or "secondi" in err.getvalue()
    # RFC 6238, appendix B: the ASCII secret "12345678901234567890", T = 59 s → 94287082,
    # of which the last six digits.
    rfc_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp_now(rfc_secret, at=59) == ("287082", 1)


def test_the_password_comes_from_the_environment(monkeypatch):
    """DEMO_PASSWORD replaces the default, also for logins seeded before."""
    seed()
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-password-9")
    output = seed()

    assert "another-demo-password-9" in output
    assert authenticate(email="operatore@demo.legami.it", password="another-demo-password-9")
    assert not authenticate(email="operatore@demo.legami.it", password=DEMO_PASSWORD_DEFAULT)
