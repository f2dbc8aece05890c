"""The permission matrix harness (after pretix's ``tests/api/test_permissions.py``).

Each app's ``tests/<app>/test_permissions.py`` declares ``ROWS``: one ``Row`` per
(role, method, URL) with the expected status and, for lists, the expected set of ids
returned. A ``world`` fixture in that module creates the records the URLs name and
returns a dict; URLs are format strings filled from it (``"/partners/{org.slug}/"``).
``tests/test_permission_matrix.py`` fails when a URL pattern or an API operation exists
that no row of any app covers.

Roles are the keys of ``ROLES``: ``anonymous``, ``citizen``, each ``legami.roles.Role``
value, ``staff_without_mfa``-style keys an app defines itself in ``world["users"]``.
A user holding a role that requires MFA gets a TOTP authenticator, as in real life.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from legami.roles import Role, requires_mfa

ROLES: tuple[str, ...] = ("anonymous", "citizen", *Role.values)
STAFF_ROLES: tuple[str, ...] = tuple(Role.values)


@dataclass(frozen=True)
class Row:
    role: str
    method: str
    url: str
    status: int | tuple[int, ...]
    ids: str | None = None  # key of ``world`` holding the expected set of ids
    data: dict[str, Any] = field(default_factory=dict)
    id_field: str = "id"

    def __str__(self) -> str:
        return f"{self.role} {self.method} {self.url} -> {self.status}"


def rows(
    method: str,
    url: str,
    expected: dict[str, int | tuple[int, ...]],
    *,
    default: int | tuple[int, ...] | None = None,
    roles: Iterable[str] = ROLES,
    ids: dict[str, str] | None = None,
    data: dict[str, Any] | None = None,
    id_field: str = "id",
) -> list[Row]:
    """Rows of one (method, URL) for every role: ``expected[role]``, else ``default``."""
    result = []
    for role in roles:
        status = expected.get(role, default)
        if status is None:
            raise ValueError(f"no expected status for {role} on {method} {url}")
        result.append(Row(role, method, url, status, (ids or {}).get(role), data or {}, id_field))
    return result


def make_role_user(make_user: Callable[..., Any], enable_totp: Callable[[Any], Any], role: str):
    """A user holding ``role`` (None for anonymous), with MFA where the role needs it."""
    if role == "anonymous":
        return None
    user = make_user(f"{role}@matrix.example.org", role=None if role == "citizen" else role)
    if requires_mfa(user):
        enable_totp(user)
    return user


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def check(row: Row, client: Client, world: dict[str, Any]) -> None:
    """Send the row's request and compare the answer with what the row expects."""
    url = row.url.format(**world)
    data = {k: (v.format(**world) if isinstance(v, str) else v) for k, v in row.data.items()}
    method = row.method.lower()
    if method == "get":
        response = client.get(url, data)
    elif method in {"post", "put", "patch"} and url.startswith("/api/"):
        response = getattr(client, method)(url, json.dumps(data), content_type="application/json")
    else:
        response = getattr(client, method)(url, data)
    expected = row.status if isinstance(row.status, tuple) else (row.status,)
    assert response.status_code in expected, (
        f"{row}: got {response.status_code} {getattr(response, 'url', '')}"
    )
    if row.ids is not None:
        body = response.json()
        items = body["results"] if isinstance(body, dict) and "results" in body else body
        got = {str(item[row.id_field]) for item in items}
        want = {str(i) for i in world[row.ids]}
        assert got == want, f"{row}: returned {sorted(got)}, expected {sorted(want)}"
