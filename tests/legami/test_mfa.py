"""The second factor: whoever holds a role that reaches personal data (or is Django staff)
logs in with an authenticator app (TOTP), and until they have set one up they can only
set it up. Citizens may turn it on, and are never forced to."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.conf import settings
from django.test import Client
from django.utils import translation
from rest_framework.authtoken.models import Token

from legami.api_permissions import SecondFactorEnabled
from legami.models import User
from legami.security import SECOND_FACTOR_API_MESSAGE, SECOND_FACTOR_PAGE_MESSAGE
from tests.legami.factories import PASSWORD

pytestmark = pytest.mark.django_db

SETUP_URL = "/accounts/2fa/totp/activate/"


def browser_of(user: User, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def verified(user: User) -> User:
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def reauthenticate(client: Client) -> None:
    """allauth asks for the password again before any change to the second factor."""
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response.content


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Without an authenticator app: only the set-up ---------------------------------------------


def test_a_social_worker_without_an_authenticator_app_is_sent_to_set_one_up(social_worker):
    """The dashboard redirects to allauth's TOTP activation, saying why."""
    client = browser_of(social_worker)

    response = client.get("/dashboard/")

    assert response.status_code == 302
    assert response["Location"] == SETUP_URL
    followed = client.get("/dashboard/", follow=True)
    assert str(SECOND_FACTOR_PAGE_MESSAGE) in messages_of(followed)
    assert "personal data about people" in followed.content.decode()


def test_the_reason_is_given_in_the_persons_language(social_worker):
    """Italian by default (the interface's language), as every message of Legami."""
    client = browser_of(social_worker, language="it")
    followed = client.get("/dashboard/", follow=True)
    with translation.override("it"):
        assert messages_of(followed) == [str(SECOND_FACTOR_PAGE_MESSAGE)]


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/legami/comune/", "/accounts/password/change/", "/"]
)
def test_every_other_page_leads_to_the_set_up_too(social_worker, url):
    """Admin pages, the public home and allauth's other account pages count as pages:
    only the set-up pages are open."""
    response = browser_of(social_worker).get(url)
    assert response.status_code == 302
    assert response["Location"] == SETUP_URL


def test_django_staff_without_an_authenticator_app_cannot_use_the_admin(make_user):
    """Staff need a second factor even without a role; the admin leads to the set-up."""
    root = make_user("root@example.org", is_staff=True, is_superuser=True)
    response = browser_of(root).get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == SETUP_URL


def test_htmx_requests_are_redirected_with_hx_redirect(social_worker):
    response = browser_of(social_worker).get("/dashboard/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == SETUP_URL


@pytest.mark.parametrize(
    "url",
    [
        SETUP_URL,
        "/accounts/2fa/",
        "/accounts/logout/",
        "/accounts/email/",
        "/accounts/reauthenticate/",
        "/health/",
        "/static/legami/css/legami.css",
    ],
)
def test_the_set_up_pages_logout_and_health_stay_open(social_worker, url):
    """What a person needs to set up the second factor (or to leave) is not redirected
    to the set-up page (the set-up itself first asks for the password again)."""
    response = browser_of(social_worker).get(url)
    response.close()
    assert response.status_code in (200, 302)
    assert response.get("Location") != SETUP_URL


def test_the_language_switch_stays_open(social_worker):
    client = browser_of(social_worker)
    response = client.post("/i18n/setlang/", {"language": "it", "next": SETUP_URL})
    assert response.status_code == 302
    assert response["Location"] == SETUP_URL


def test_logging_out_works_without_a_second_factor(social_worker):
    client = browser_of(social_worker)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_api_refuses_a_browser_session_with_a_clear_json_error(social_worker):
    response = browser_of(social_worker).get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json() == {"detail": str(SECOND_FACTOR_API_MESSAGE)}


def test_the_api_refuses_a_token_with_a_clear_json_error(client, social_worker):
    """Token calls never pass the page middleware's session check: the DRF permission
    refuses them."""
    token = Token.objects.create(user=social_worker)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 403
    with translation.override(settings.LANGUAGE_CODE):
        assert response.json() == {"detail": str(SECOND_FACTOR_API_MESSAGE)}


def test_the_drf_permission_alone_refuses_such_a_user(rf, social_worker, enable_totp):
    """The permission class by itself (whatever the middleware does) refuses a person
    whose role needs a second factor until they have one."""
    request = rf.get("/api/v1/me/")
    request.user = social_worker
    assert SecondFactorEnabled().has_permission(request, None) is False
    enable_totp(User.objects.get(pk=social_worker.pk))
    request.user = User.objects.get(pk=social_worker.pk)
    assert SecondFactorEnabled().has_permission(request, None) is True


# --- With an authenticator app: everything -----------------------------------------------------


def test_with_an_authenticator_app_the_pages_and_the_api_open(client, social_worker, enable_totp):
    enable_totp(social_worker)
    browser = browser_of(social_worker)
    assert browser.get("/dashboard/").status_code == 200
    assert browser.get("/api/v1/me/").status_code == 200
    token = Token.objects.create(user=social_worker)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["email"] == social_worker.email


def test_with_an_authenticator_app_staff_reach_the_admin(make_user, enable_totp):
    root = make_user("root@example.org", is_staff=True, is_superuser=True)
    enable_totp(root)
    assert browser_of(root).get("/admin/").status_code == 200


def test_the_role_clients_of_conftest_have_their_second_factor(
    social_worker_client,
    coordinator_client,
    partner_client,
    admin_client,
    ambito_admin_client,
    network_admin_client,
    dpo_client,
    facilitator_client,
    researcher_client,
    fundraiser_client,
):
    for client in (
        social_worker_client,
        coordinator_client,
        partner_client,
        admin_client,
        ambito_admin_client,
        network_admin_client,
        dpo_client,
        facilitator_client,
        researcher_client,
        fundraiser_client,
    ):
        assert client.get("/dashboard/").status_code == 200
        assert client.get("/api/v1/me/").status_code == 200
    assert Authenticator.objects.filter(type=Authenticator.Type.TOTP).count() == 8


def test_such_a_person_cannot_turn_the_authenticator_app_off(social_worker, enable_totp, totp_code):
    """allauth's deactivation page refuses, through Legami's MFA adapter; a citizen's
    authenticator app can be turned off."""
    secret = enable_totp(verified(social_worker))
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post("/accounts/login/", {"login": social_worker.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert client.session["_auth_user_id"] == str(social_worker.pk)
    reauthenticate(client)

    response = client.post("/accounts/2fa/totp/deactivate/")

    assert response.status_code == 200
    assert "You cannot deactivate two-factor authentication." in response.content.decode()
    assert Authenticator.objects.filter(user=social_worker, type="totp").exists()


def test_a_citizen_can_turn_the_authenticator_app_off(citizen, enable_totp, totp_code):
    secret = enable_totp(verified(citizen))
    client = Client()
    client.post("/accounts/login/", {"login": citizen.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    reauthenticate(client)

    response = client.post("/accounts/2fa/totp/deactivate/")

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=citizen, type="totp").exists()


# --- Citizens ----------------------------------------------------------------------------------


def test_a_citizen_is_never_forced(citizen_client):
    assert citizen_client.get("/dashboard/").status_code == 200
    assert citizen_client.get("/api/v1/me/").status_code == 200


def test_a_citizen_may_turn_the_second_factor_on(citizen, totp_code):
    """The set-up page is open to citizens: they activate an authenticator app there."""
    verified(citizen)
    client = Client()
    client.post("/accounts/login/", {"login": citizen.email, "password": PASSWORD})
    reauthenticate(client)
    response = client.get(SETUP_URL)
    assert response.status_code == 200

    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(SETUP_URL, {"code": totp_code(secret)})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=citizen, type="totp").exists()


# --- Logging in --------------------------------------------------------------------------------


def test_logging_in_asks_for_the_authenticator_code(social_worker, enable_totp, totp_code):
    """Through allauth's real pages: the password leads to the code step, and only a right
    code logs the person in."""
    verified(social_worker)
    secret = enable_totp(social_worker)
    client = Client()

    # Given the right e-mail and password
    response = client.post("/accounts/login/", {"login": social_worker.email, "password": PASSWORD})

    # Then the code is asked before anything else
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    assert client.get("/dashboard/").status_code == 302

    # A wrong code is refused
    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session

    # The right code logs in
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.session["_auth_user_id"] == str(social_worker.pk)
    assert client.get("/dashboard/").status_code == 200


def test_a_first_login_without_an_authenticator_app_ends_on_the_set_up(social_worker, totp_code):
    """A person who needs a second factor and has none logs in with the password, is led
    to the set-up (allauth first asks to confirm the password), activates the app with a
    code, and then uses Legami."""
    verified(social_worker)
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": social_worker.email, "password": PASSWORD}, follow=True
    )
    assert [url for url, _status in response.redirect_chain] == [
        "/dashboard/",
        SETUP_URL,
        "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F",
    ]
    assert response.status_code == 200
    response = client.post(
        "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F",
        {"password": PASSWORD},
    )
    assert response["Location"] == SETUP_URL
    assert client.get(SETUP_URL).status_code == 200

    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(SETUP_URL, {"code": totp_code(secret)})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=social_worker, type="totp").exists()
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
