"""Fixtures shared by every test: users and logged-in clients by role.

Each role fixture gives a user holding that role through a membership at an
organisation of the network; later issues add the objects that roles act on. A role's
client logs in a user who has set up an authenticator app (TOTP) when the role requires
a second factor, as a real login would; the bare user fixtures have none, for the tests
of the second factor itself (``enable_totp`` and ``totp_code`` help those).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client

from legami.models import User
from legami.roles import Role, requires_mfa

PASSWORD = "a-long-test-password-1"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: allauth keeps its rate limits and the TOTP
    codes already used there, and they must not carry over between tests. On Redis only
    this run's keys go (the test settings give each run its own key prefix)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=True)  # type: ignore[attr-defined]
        keys = list(client.scan_iter(match=backend.make_key("*"), count=1000))
        if keys:
            client.delete(*keys)
    else:
        backend.clear()


def activate_totp(user: User, secret: str | None = None) -> str:
    """Give ``user`` an authenticator app as allauth's activation page does (an encrypted
    secret in an ``Authenticator``); returns the base32 secret."""
    secret = secret or generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def current_totp_code(secret: str) -> str:
    """The code an authenticator app with ``secret`` shows now, by allauth's own function."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


@pytest.fixture
def enable_totp(db):
    """``enable_totp(user) -> secret``: the user has set up an authenticator app."""
    return activate_totp


@pytest.fixture
def totp_code():
    """``totp_code(secret) -> "123456"``: the current code for ``secret``."""
    return current_totp_code


@pytest.fixture
def make_user(db):
    """Create a user (optionally holding ``role`` at a fresh organisation)."""
    from partners.models import Membership, Organisation, OrganisationKind

    counter = {"n": 0}

    def _make(email: str | None = None, *, role: str | None = None, **extra) -> User:
        counter["n"] += 1
        n = counter["n"]
        user = User.objects.create_user(
            email=email or f"user{n}@example.org", password=PASSWORD, **extra
        )
        if role:
            org, _ = Organisation.objects.get_or_create(
                slug=f"org-{role}",
                defaults={"name": f"Organisation {role}", "kind": OrganisationKind.CONSORZIO},
            )
            Membership.objects.create(
                user=user, organisation=org, role=role, start_date=dt.date(2024, 1, 1)
            )
        return user

    return _make


def _client_for(user: User) -> Client:
    """A browser logged in as ``user``, who has an authenticator app if their role needs one."""
    if (
        requires_mfa(user)
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    ):
        activate_totp(user)
    client = Client()
    client.force_login(user)
    return client


# --- One user fixture and one client fixture per role ------------------------------------------

ROLE_FIXTURES: dict[str, tuple[str, str | None]] = {
    # fixture name: (e-mail, role)
    "citizen": ("citizen@example.org", None),
    "social_worker": ("operator@example.org", Role.OPERATOR),
    "coordinator": ("coordinator@example.org", Role.COORDINATOR),
    "partner_user": ("partner@example.org", Role.PARTNER_STAFF),
    "ambito_admin": ("ambito.admin@example.org", Role.AMBITO_ADMIN),
    "network_admin": ("network.admin@example.org", Role.NETWORK_ADMIN),
    "dpo": ("dpo@example.org", Role.DPO),
    "facilitator": ("facilitator@example.org", Role.FACILITATOR),
    "researcher": ("researcher@example.org", Role.RESEARCHER),
    "fundraiser": ("fundraiser@example.org", Role.FUNDRAISER),
}
CLIENT_NAMES = {"partner_user": "partner_client"}


def _role_fixtures(name: str, email: str, role: str | None) -> None:
    @pytest.fixture(name=name)
    def user_fixture(make_user) -> User:
        return make_user(email, role=role)

    @pytest.fixture(name=CLIENT_NAMES.get(name, f"{name}_client"))
    def client_fixture(request) -> Client:
        return _client_for(request.getfixturevalue(name))

    globals()[f"_fixture_{name}"] = user_fixture
    globals()[f"_fixture_{name}_client"] = client_fixture


for _name, (_email, _role) in ROLE_FIXTURES.items():
    _role_fixtures(_name, _email, _role)


@pytest.fixture
def superuser(make_user) -> User:
    """A Django superuser who is also a network administrator: rights in Legami, the admin
    included, come from roles; the superuser flag alone gives none."""
    return make_user("root@example.org", role=Role.NETWORK_ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(superuser) -> Client:
    return _client_for(superuser)
