"""Logging in with the second factor, in a real browser: the demo social worker gives the
code of an authenticator app after the password; a person who has none is led to set one
up. The pages are in Italian, as a person meets them."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from playwright.sync_api import expect

from legami.demo import DEMO_PASSWORD_DEFAULT, DEMO_TOTP_SECRET_DEFAULT
from legami.models import User
from legami.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "una-password-di-prova-1"


def log_in(page, email: str, password: str) -> None:
    page.goto("/")
    page.get_by_role("link", name=re.compile("^Accedi", re.I)).first.click()
    page.get_by_label(re.compile("^e-?mail", re.I)).fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("^Accedi", re.I)).click()


def test_the_demo_social_worker_logs_in_with_the_authenticator_code(page, totp_code):
    """E-mail and password, then the code of the authenticator app, then the dashboard."""
    call_command("seed_demo", force=True, verbosity=0)
    operator = User.objects.get(email="operatore@demo.legami.it")
    assert Role.OPERATOR in {m.role for m in operator.memberships.all()}

    log_in(page, "operatore@demo.legami.it", DEMO_PASSWORD_DEFAULT)

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("due fattori", re.I))
    page.get_by_label("Codice").fill(totp_code(DEMO_TOTP_SECRET_DEFAULT))
    page.get_by_role("button", name=re.compile("^Accedi", re.I)).click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_text("Azienda Sociale Cremonese").first).to_be_visible()
    assert page.console_errors == []


def test_a_wrong_code_keeps_the_door_shut(page):
    """With a wrong code the person stays on the code step: the dashboard leads back there."""
    call_command("seed_demo", force=True, verbosity=0)
    log_in(page, "coordinatore@demo.legami.it", DEMO_PASSWORD_DEFAULT)
    page.get_by_label("Codice").fill("000000")
    page.get_by_role("button", name=re.compile("^Accedi", re.I)).click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.get_by_text(re.compile("codice errato|incorrect code", re.I))).to_be_visible()
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))


def test_a_social_worker_without_an_authenticator_app_is_led_to_set_one_up(
    page, make_user, totp_code
):
    """Logging in leads to the set-up page (after confirming the password, as allauth asks
    before any change to the second factor); there the person activates the app."""
    user = make_user("nuova.operatrice@example.org", role=Role.OPERATOR)
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    log_in(page, user.email, PASSWORD)

    expect(page.get_by_role("alert").first).to_contain_text(
        re.compile("personal data|dati personali", re.I)
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Conferma", re.I))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^Conferma", re.I)).click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("applicazione di autenticazione", re.I)
    )
    secret = page.get_by_label(re.compile("Segreto", re.I)).input_value()
    page.get_by_label(re.compile("Codice autenticatore", re.I)).fill(totp_code(secret))
    page.get_by_role("button", name=re.compile("^Attiva", re.I)).click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    assert page.console_errors == []
