"""Demo data, contributed app by app.

``manage.py seed_demo`` fills a development or demo database with a believable network.
The core cannot know every app's data (and imports no app), so each app contributes its
own step: an app takes part by having a module ``<app>/demo.py`` with a function

    def seed(*, password: str) -> DemoStep: ...

``demo_seed`` finds these modules among the project's installed apps (the packages beside
``legami``; third-party apps are never searched) and runs them in ``INSTALLED_APPS``
order, in one transaction, so a step may rely on the data of the apps it depends on:
``legami`` loads the territory and the citizen, ``partners`` the organisations and one
login per role, and the strategy apps (added by later issues) their own objects. Every
step must be idempotent: seeding twice leaves the same database, without duplicates or
errors. A step returns a ``DemoStep`` (summary lines and the logins it made); the command
prints them, so steps never write to the console themselves.

This module's own ``seed`` is the core's step. After every step, each demo login whose
role requires a second factor gets an authenticator app (TOTP) with one known secret,
``DEMO_TOTP_SECRET`` (``manage.py demo_totp`` prints its current code).
"""

from __future__ import annotations

import base64
import binascii
import importlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt
from django.apps import apps
from django.db import transaction
from django.utils.translation import gettext

from legami.models import User
from legami.roles import Role, requires_mfa
from legami.services import territory_load_default

# The password of every demo login, unless the environment variable DEMO_PASSWORD sets
# another. It is public (README), which is why seed_demo refuses to run without DEBUG.
DEMO_PASSWORD_DEFAULT = "legami-demo-2026"  # noqa: S105 - public by design
DEMO_EMAIL_DOMAIN = "demo.legami.it"
# The authenticator-app secret (base32) of every demo login whose role needs a second
# factor, unless DEMO_TOTP_SECRET sets another. Public (README) for the same reason.
DEMO_TOTP_SECRET_DEFAULT = "LEGAMIDEMOCREMONACASALMAGGIORE22"  # noqa: S105 - public by design


@dataclass(frozen=True)
class DemoLogin:
    """A demo account, for the table that seed_demo prints. ``role`` is "" for a citizen."""

    email: str
    role: str
    organisation: str = ""

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role else gettext("Citizen")

    @property
    def sort_key(self) -> tuple[int, str]:
        order = list(Role.values)
        return (order.index(self.role) if self.role in order else len(order), self.email)


@dataclass
class DemoStep:
    """What one app's demo step did: summary lines, and the logins it made."""

    app: str
    summary: list[str] = field(default_factory=list)
    logins: list[DemoLogin] = field(default_factory=list)
    # E-mail addresses of the logins that log in with the demo authenticator-app secret.
    second_factor: set[str] = field(default_factory=set)


DemoSeed = Callable[..., DemoStep]


def demo_password() -> str:
    """The demo password: ``DEMO_PASSWORD`` from the environment, else the documented default."""
    return os.environ.get("DEMO_PASSWORD", "").strip() or DEMO_PASSWORD_DEFAULT


def demo_totp_secret() -> str:
    """The demo authenticator-app secret: ``DEMO_TOTP_SECRET`` from the environment (base32,
    spaces ignored), else the documented default. A value that is not base32 raises
    ``ValueError``."""
    secret = "".join(os.environ.get("DEMO_TOTP_SECRET", "").split()).upper()
    if not secret:
        return DEMO_TOTP_SECRET_DEFAULT
    try:
        if len(secret) % 8 or len(base64.b32decode(secret)) < 10:
            raise ValueError
    except (binascii.Error, ValueError):
        raise ValueError(
            f"DEMO_TOTP_SECRET={secret!r} is not a base32 secret of at least 16 characters "
            "(a multiple of 8, letters A-Z and digits 2-7)."
        ) from None
    return secret


def _is_project_app(path: str) -> bool:
    """Whether an app is one of the project's own: a package beside ``legami``.

    Third-party apps normally live elsewhere (site-packages); and even beside it, only an
    app whose ``demo`` module defines ``seed`` takes part.
    """
    return Path(path).resolve().parent == Path(__file__).resolve().parent.parent


def demo_steps() -> list[tuple[str, DemoSeed]]:
    """The demo steps of the project's installed apps, in ``INSTALLED_APPS`` order."""
    steps: list[tuple[str, DemoSeed]] = []
    for config in apps.get_app_configs():
        if not _is_project_app(config.path):
            continue
        module_name = f"{config.name}.demo"
        if importlib.util.find_spec(module_name) is None:
            continue
        seed = getattr(importlib.import_module(module_name), "seed", None)
        if callable(seed):
            steps.append((config.label, seed))
    return steps


def demo_seed(*, password: str, totp_secret: str | None = None) -> list[DemoStep]:
    """Run every app's demo step, then give the logins that need a second factor the demo
    authenticator-app secret (``totp_secret``, default ``demo_totp_secret()``); in one
    transaction, safe to run again."""
    totp_secret = totp_secret or demo_totp_secret()
    with transaction.atomic():
        steps = [seed(password=password) for _label, seed in demo_steps()]
        steps.append(_second_factor_step(steps, totp_secret))
    return steps


def demo_totp_ensure(*, user: User, secret: str) -> bool:
    """Give ``user`` an authenticator app (TOTP) with ``secret``, as allauth stores one,
    replacing one with another secret. Returns whether anything changed."""
    with transaction.atomic():
        existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if existing is not None:
            if decrypt(existing.data["secret"]) == secret:
                return False
            existing.delete()
        TOTP.activate(user, secret)
    return True


def _second_factor_step(steps: list[DemoStep], secret: str) -> DemoStep:
    step = DemoStep(app="legami")
    emails = sorted({login.email for s in steps for login in s.logins})
    changed = unchanged = 0
    for user in User.objects.filter(email__in=emails).order_by("email"):
        if not requires_mfa(user):
            continue
        if demo_totp_ensure(user=user, secret=secret):
            changed += 1
        else:
            unchanged += 1
        step.second_factor.add(user.email)
    step.summary.append(
        gettext("authenticator app of the demo logins: %(changed)d set, %(unchanged)d unchanged")
        % {"changed": changed, "unchanged": unchanged}
    )
    return step


def demo_user_ensure(
    *,
    email: str,
    first_name: str,
    last_name: str,
    password: str,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> tuple[User, bool]:
    """A demo user who can log in at once: active, with ``password`` and a verified primary
    e-mail address (allauth requires one). Returns the user and whether anything changed."""
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        changed = user is None
        if user is None:
            user = User(email=email)
        wanted = {
            "first_name": first_name,
            "last_name": last_name,
            "is_active": True,
            "is_staff": is_staff or is_superuser,
            "is_superuser": is_superuser,
        }
        for name, value in wanted.items():
            if getattr(user, name) != value:
                setattr(user, name, value)
                changed = True
        # A new salt would rewrite the hash on every run; set it only when it is wrong.
        if user.pk is None or not user.check_password(password):
            user.set_password(password)
            changed = True
        if changed:
            user.save()
        address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
        if address is None:
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            changed = True
        elif not (address.verified and address.primary):
            address.verified = address.primary = True
            address.save(update_fields=["verified", "primary"])
            changed = True
    return user, changed


def seed(*, password: str) -> DemoStep:
    """The core's demo step: the territory of the province of Cremona and a citizen."""
    step = DemoStep(app="legami")
    results = territory_load_default()
    step.summary += [
        gettext("ambiti: %(summary)s") % {"summary": results["ambiti"].summary()},
        gettext("comuni of CR: %(summary)s") % {"summary": results["comuni"].summary()},
        gettext("ambito of each comune: %(summary)s")
        % {"summary": results["assignments"].summary()},
    ]
    citizen, changed = demo_user_ensure(
        email=f"cittadino@{DEMO_EMAIL_DOMAIN}",
        first_name="Anna",
        last_name="Bertolotti",
        password=password,
    )
    step.summary.append(
        (
            gettext("citizen %(email)s: created or updated")
            if changed
            else gettext("citizen %(email)s: unchanged")
        )
        % {"email": citizen.email}
    )
    step.logins.append(DemoLogin(email=citizen.email, role=""))
    return step
