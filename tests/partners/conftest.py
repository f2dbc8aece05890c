"""Fixtures of the partners app's tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings as django_settings
from django.test import Client

from legami.roles import requires_mfa
from partners import tasks
from tests.legami.factories import AmbitoFactory


@pytest.fixture
def login(enable_totp) -> Callable[..., Client]:
    """``login(user, language="en")``: a browser logged in as ``user`` (with an
    authenticator app when their role needs one), speaking ``language``."""

    def _login(user: Any, language: str | None = "en") -> Client:
        has_totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        if requires_mfa(user) and not has_totp:
            enable_totp(user)
        client = Client()
        client.force_login(user)
        if language:
            client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
        return client

    return _login


@pytest.fixture
def verified():
    """``verified(user)``: the user has confirmed their e-mail address (as allauth records it)."""

    def _verified(user: Any) -> Any:
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        return user

    return _verified


@pytest.fixture
def queued_invitations(monkeypatch) -> list[int]:
    """The invitation ids sent to the broker (after commit), instead of sending them."""
    queued: list[int] = []
    monkeypatch.setattr(tasks.send_invitation, "delay", lambda pk: queued.append(pk))
    return queued


@pytest.fixture
def ambiti():
    """The ambiti of Cremona and Crema."""
    return (
        AmbitoFactory(code="cremona", name="Ambito di Cremona"),
        AmbitoFactory(code="crema", name="Ambito di Crema"),
    )
