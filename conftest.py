"""Fixtures shared by every test: users and logged-in clients by role.

Each role fixture gives a user holding that role through a membership at an
organisation of the network; later issues add the objects that roles act on.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from legami.models import User
from legami.roles import Role

PASSWORD = "a-long-test-password-1"


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
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def citizen(make_user) -> User:
    return make_user("citizen@example.org")


@pytest.fixture
def citizen_client(citizen) -> Client:
    return _client_for(citizen)


@pytest.fixture
def social_worker(make_user) -> User:
    return make_user("operator@example.org", role=Role.OPERATOR)


@pytest.fixture
def social_worker_client(social_worker) -> Client:
    return _client_for(social_worker)


@pytest.fixture
def coordinator(make_user) -> User:
    return make_user("coordinator@example.org", role=Role.COORDINATOR)


@pytest.fixture
def coordinator_client(coordinator) -> Client:
    return _client_for(coordinator)


@pytest.fixture
def partner_user(make_user) -> User:
    return make_user("partner@example.org", role=Role.PARTNER_STAFF)


@pytest.fixture
def partner_client(partner_user) -> Client:
    return _client_for(partner_user)


@pytest.fixture
def superuser(make_user) -> User:
    return make_user("root@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(superuser) -> Client:
    return _client_for(superuser)
