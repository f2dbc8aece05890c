"""Fixtures for the permission matrix (see tests/permissions.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.permissions import client_for, make_role_user


@pytest.fixture
def matrix_client(make_user, enable_totp) -> Callable[[str, dict[str, Any]], Client]:
    """``matrix_client(role, world)``: a client logged in as ``world["users"][role]`` if
    the module's world defines one, else as a fresh user holding ``role``."""
    made: dict[str, Any] = {}

    def _client(role: str, world: dict[str, Any]) -> Client:
        users = world.get("users", {})
        if role in users:
            return client_for(users[role])
        if role not in made:
            made[role] = make_role_user(make_user, enable_totp, role)
        return client_for(made[role])

    return _client
