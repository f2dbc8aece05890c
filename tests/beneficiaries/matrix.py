"""What the case-file permission matrices share: the roles they test, and the world in
which a social worker follows one person's case in an ambito that a coordinator serves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from legami.roles import Role
from tests.beneficiaries.factories import assign
from tests.legami.factories import AmbitoFactory
from tests.permissions import ROLES, make_role_user

EXTRA = ("assigned_worker",)
EVERYONE = (*ROLES, *EXTRA)
CASE_READERS = ("assigned_worker", Role.COORDINATOR)


def case_file_world(
    make_user: Callable[..., Any], enable_totp: Callable[[Any], Any]
) -> dict[str, Any]:
    """A user per role (with TOTP where needed), an ``assigned_worker`` following a case
    of ``person`` in the Cremona ambito, and the coordinator's organisation serving it."""
    cremona = AmbitoFactory(code="cremona", name="Ambito di Cremona")
    users = {role: make_role_user(make_user, enable_totp, role) for role in ROLES}
    users.pop("anonymous")
    users["assigned_worker"] = make_user("assigned@matrix.example.org", role=Role.OPERATOR)
    enable_totp(users["assigned_worker"])
    coordinator_org = users[Role.COORDINATOR].memberships.get().organisation
    coordinator_org.ambiti.set([cremona])
    case = assign(users["assigned_worker"], ambito=cremona)
    return {
        "users": users,
        "ambito": cremona,
        "coordinator_org": coordinator_org,
        "case": case,
        "person": case.person,
    }
