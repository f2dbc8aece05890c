"""Accounts through allauth: citizens sign up and verify their e-mail address, anyone can
reset a forgotten password, failed logins are rate-limited, and the admin logs in
through the same login page."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from legami.models import User
from tests.legami.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "una-password-nuova-2026"


def verified(user: User) -> User:
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def link_in(message, path: str) -> str:
    """The first link of ``message`` whose path starts with ``path``, as a local path."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}\S+)", message.body)
    assert match, message.body
    return match.group(1)


def logged_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_a_citizen_signs_up_verifies_the_address_and_logs_in(client, mailoutbox):
    """Sign-up sends a verification link; until it is followed the person cannot log in;
    after confirming, they log in with their password and reach the dashboard."""
    # Given a visitor who signs up
    response = client.post(
        "/accounts/signup/",
        {"email": "Nuova.Cittadina@Example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="nuova.cittadina@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    assert logged_in_as(client) is None
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["nuova.cittadina@example.org"]

    # When they try to log in before verifying, they are only reminded to verify
    browser = Client()
    response = browser.post(
        "/accounts/login/", {"login": "nuova.cittadina@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert logged_in_as(browser) is None

    # When they follow the link and confirm
    confirm = link_in(mailoutbox[0], "/accounts/confirm-email/")
    assert browser.get(confirm).status_code == 200
    assert browser.post(confirm).status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    # Then they log in, as a citizen: no second factor is asked
    response = browser.post(
        "/accounts/login/", {"login": "nuova.cittadina@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert logged_in_as(browser) == str(user.pk)
    assert browser.get("/dashboard/").status_code == 200


def test_a_forgotten_password_is_reset_through_the_mailed_link(client, citizen, mailoutbox):
    """The reset mail's link lets the person choose a new password; the old one stops
    working and the new one logs in."""
    verified(citizen)
    response = client.post("/accounts/password/reset/", {"email": citizen.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1

    link = link_in(mailoutbox[0], "/accounts/password/reset/key/")
    response = client.get(link)
    assert response.status_code == 302  # allauth moves the key out of the URL
    form_url = response["Location"]
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)
    old = Client().post("/accounts/login/", {"login": citizen.email, "password": PASSWORD})
    assert old.status_code == 200  # the form again, with an error
    browser = Client()
    new = browser.post("/accounts/login/", {"login": citizen.email, "password": NEW_PASSWORD})
    assert new.status_code == 302
    assert logged_in_as(browser) == str(citizen.pk)


def test_after_five_failed_logins_the_account_is_locked_even_with_the_right_password(citizen):
    """allauth's limit on failed logins per account (ACCOUNT_RATE_LIMITS "login_failed":
    5 per 5 minutes per address and per account) refuses the sixth attempt with its
    "too many failed login attempts" error, even from another address and with the right
    password; a second account is not affected."""
    verified(citizen)
    other = verified(User.objects.create_user(email="other@example.org", password=PASSWORD))
    client = Client()
    for n in range(5):
        response = client.post(
            "/accounts/login/",
            {"login": citizen.email, "password": f"wrong-password-{n}"},
            REMOTE_ADDR=f"10.0.0.{n + 1}",
        )
        assert response.status_code == 200
        assert "too_many" not in str(response.context["form"].errors.as_data())

    response = client.post(
        "/accounts/login/",
        {"login": citizen.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.1.1",
        HTTP_COOKIE="django_language=en",
    )

    assert response.status_code == 200
    assert logged_in_as(client) is None
    assert "Too many failed login attempts" in response.content.decode()
    ok = client.post(
        "/accounts/login/", {"login": other.email, "password": PASSWORD}, REMOTE_ADDR="10.0.1.1"
    )
    assert ok.status_code == 302
    assert logged_in_as(client) == str(other.pk)


def test_failed_logins_from_one_address_are_limited_across_accounts(make_user):
    """Five failed logins from one address, each for a different account, lock that
    address out: a password-guessing sweep across accounts is refused too."""
    users = [verified(make_user()) for _ in range(6)]
    client = Client(REMOTE_ADDR="10.9.9.9")
    for user in users[:5]:
        client.post("/accounts/login/", {"login": user.email, "password": "wrong-password-1"})

    response = client.post("/accounts/login/", {"login": users[5].email, "password": PASSWORD})

    assert response.status_code == 200
    assert logged_in_as(client) is None
    assert (
        Client(REMOTE_ADDR="10.9.9.10")
        .post("/accounts/login/", {"login": users[5].email, "password": PASSWORD})
        .status_code
        == 302
    )


def test_the_admin_login_is_allauths_login_page(client):
    """The admin's own login form is not used: /admin/ sends an anonymous visitor to
    allauth's login page (rate limits and second factor included), coming back after."""
    response = client.get("/admin/login/?next=/admin/legami/comune/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Flegami%2Fcomune%2F"

    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert response.status_code == 200


def test_the_admin_refuses_a_logged_in_person_who_is_not_staff(citizen_client):
    """allauth's guard of the admin login answers 403 to a logged-in non-staff person."""
    response = citizen_client.get("/admin/login/")
    assert response.status_code == 403


def test_a_deactivated_account_cannot_log_in(citizen):
    """The right password of a deactivated account leads to allauth's "inactive" page."""
    verified(citizen)
    citizen.is_active = False
    citizen.save()
    client = Client()
    response = client.post("/accounts/login/", {"login": citizen.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/inactive/"
    assert logged_in_as(client) is None
