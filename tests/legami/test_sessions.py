"""Sessions: every login is recorded and every logout forgets it; staff sessions end when
idle or too old; disabling a person ends their sessions and revokes their API tokens."""

from __future__ import annotations

import datetime as dt
from importlib import import_module

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from legami.models import ChangeEvent, User, UserSession
from legami.security import SESSION_SEEN, SESSION_STARTED
from legami.services import (
    user_deactivate,
    user_reactivate,
    user_sessions_end_all,
    user_sessions_prune,
)
from legami.tasks import clear_expired_sessions
from tests.legami.factories import PASSWORD

pytestmark = pytest.mark.django_db

MINUTE = 60
NEW_PASSWORD = "new-password-2026"
HOUR = 3600


def store(session_key: str | None = None) -> SessionBase:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def session_key_of(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def age_session(client: Client, *, idle: float = 0, since_login: float = 0) -> None:
    """Move the session's clock back: last request ``idle`` seconds ago, login
    ``since_login`` seconds ago."""
    session = client.session
    session[SESSION_SEEN] -= idle
    session[SESSION_STARTED] -= since_login
    session.save()


def is_logged_in(client: Client) -> bool:
    return client.get("/api/v1/me/").status_code == 200


# --- The record of sessions ----------------------------------------------------------------


def test_a_login_is_recorded_and_a_logout_forgets_it(citizen):
    """Logging in through allauth records the session with address and browser; logging
    out deletes the session from the store, so the old cookie no longer logs anyone in."""
    EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
    client = Client(REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Firefox/140")
    client.post("/accounts/login/", {"login": citizen.email, "password": PASSWORD})
    key = session_key_of(client)

    recorded = UserSession.objects.get(user=citizen)
    assert recorded.session_key == key
    assert recorded.ip == "192.0.2.7"
    assert recorded.user_agent == "Firefox/140"

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert not UserSession.objects.filter(user=citizen).exists()
    assert not store().exists(key)
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get("/api/v1/me/").status_code in (401, 403)
    assert replay.get("/dashboard/").status_code == 302


def test_a_password_change_keeps_the_record_on_the_new_session_key(citizen_client, citizen):
    """Django gives the session a new key when the password changes; the record follows,
    so that disabling the person still ends this session."""
    old_key = session_key_of(citizen_client)
    response = citizen_client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "new-password-2026",
            "password2": "new-password-2026",
        },
    )
    assert response.status_code == 302
    new_key = session_key_of(citizen_client)
    assert new_key != old_key

    assert list(UserSession.objects.values_list("session_key", flat=True)) == [new_key]
    user_deactivate(user=citizen)
    assert not store().exists(new_key)


def test_records_of_sessions_gone_from_the_store_are_pruned(citizen_client, citizen, make_user):
    other = make_user()
    UserSession.objects.create(user=other, session_key="gone-long-ago-0000000000000000")
    live = session_key_of(citizen_client)

    assert user_sessions_prune() == 1

    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live]


def test_the_nightly_session_cleanup_prunes_the_records_too(citizen_client, citizen):
    """The beat job that deletes expired sessions forgets their records as well."""
    key = session_key_of(citizen_client)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(1))

    assert clear_expired_sessions() == 1

    assert not UserSession.objects.filter(user=citizen).exists()


# --- Staff sessions end ----------------------------------------------------------------------


def test_a_staff_session_idle_for_too_long_ends(social_worker_client, social_worker):
    """After STAFF_SESSION_IDLE_MINUTES without a request the person is logged out (the
    session leaves the store) and sent to log in again, with a message and ``next``."""
    key = session_key_of(social_worker_client)
    social_worker_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    age_session(social_worker_client, idle=settings.STAFF_SESSION_IDLE_MINUTES * MINUTE + 5)

    response = social_worker_client.get("/dashboard/?tab=1")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/%3Ftab%3D1"
    assert not store().exists(key)
    assert not UserSession.objects.filter(user=social_worker).exists()
    page = social_worker_client.get(response["Location"])
    assert "Your session expired" in page.content.decode()
    assert not is_logged_in(social_worker_client)


def test_a_staff_session_in_use_goes_on(social_worker_client):
    """A request within the idle time keeps the session, and counts as activity."""
    age_session(social_worker_client, idle=settings.STAFF_SESSION_IDLE_MINUTES * MINUTE - 60)
    before = social_worker_client.session[SESSION_SEEN]

    assert social_worker_client.get("/dashboard/").status_code == 200

    assert social_worker_client.session[SESSION_SEEN] > before
    assert social_worker_client.get("/dashboard/").status_code == 200


def test_a_staff_session_ends_after_the_maximum_length_however_busy(social_worker_client):
    age_session(social_worker_client, since_login=settings.STAFF_SESSION_MAX_HOURS * HOUR + 5)
    social_worker_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = social_worker_client.get("/dashboard/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/"
    page = social_worker_client.get(response["Location"])
    assert "Your session expired: a session lasts at most" in page.content.decode()


def test_the_limits_come_from_the_settings(settings, facilitator_client):
    """A role that needs no second factor still has a staff session."""
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    age_session(facilitator_client, idle=6 * MINUTE)
    assert facilitator_client.get("/dashboard/").status_code == 302


def test_an_expired_staff_session_calling_the_api_is_answered_as_anonymous(social_worker_client):
    age_session(social_worker_client, idle=settings.STAFF_SESSION_IDLE_MINUTES * MINUTE + 5)
    response = social_worker_client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert "Location" not in response


def test_an_expired_staff_session_answers_htmx_with_hx_redirect(social_worker_client):
    age_session(social_worker_client, idle=settings.STAFF_SESSION_IDLE_MINUTES * MINUTE + 5)
    response = social_worker_client.get(
        "/dashboard/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/pacts/"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/pacts/"


def test_a_citizen_session_keeps_djangos_session_age(citizen_client):
    """Citizens are not staff: hours idle, days old, their session goes on."""
    age_session(citizen_client, idle=5 * HOUR, since_login=3 * 24 * HOUR)
    assert citizen_client.get("/dashboard/").status_code == 200
    assert is_logged_in(citizen_client)


# --- Disabling a person ----------------------------------------------------------------------


def test_deactivation_ends_every_session_and_revokes_the_tokens(
    social_worker_client, social_worker, superuser
):
    """The person's open browser is logged out at once (its session leaves the store), a
    second one too, their API token stops working, and the change is audited."""
    second = Client()
    second.force_login(social_worker)
    keys = [session_key_of(social_worker_client), session_key_of(second)]
    token = Token.objects.create(user=social_worker)
    assert is_logged_in(social_worker_client)

    user = user_deactivate(user=social_worker, actor=superuser)

    assert user.is_active is False
    assert not any(store().exists(key) for key in keys)
    assert not UserSession.objects.filter(user=social_worker).exists()
    assert not Token.objects.filter(key=token.key).exists()
    assert not is_logged_in(social_worker_client)
    assert social_worker_client.get("/dashboard/").status_code == 302
    assert not is_logged_in(second)
    api = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.status_code == 401
    event = ChangeEvent.objects.get(target_type="legami.user", target_id=str(social_worker.pk))
    assert event.action == "state"
    assert event.actor == superuser
    assert event.changes == {"is_active": [True, False]}


def test_deactivation_works_with_sessions_in_the_cache(settings, citizen):
    """The sessions are ended through the session store, whichever it is."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    client = Client()
    client.force_login(citizen)
    key = session_key_of(client)
    assert store(key).exists(key)

    assert user_sessions_end_all(user=citizen) == 1

    assert not store().exists(key)
    assert not is_logged_in(client)


def test_reactivation_lets_the_person_log_in_again(citizen, superuser):
    user_deactivate(user=citizen, actor=superuser)
    user = user_reactivate(user=citizen, actor=superuser)
    assert user.is_active
    client = Client()
    EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
    client.post("/accounts/login/", {"login": citizen.email, "password": PASSWORD})
    assert is_logged_in(client)
    changes = ChangeEvent.objects.filter(target_id=str(citizen.pk)).order_by("at", "id")
    assert [e.changes for e in changes] == [
        {"is_active": [True, False]},
        {"is_active": [False, True]},
    ]


def test_unticking_active_in_the_user_admin_ends_the_sessions(
    admin_client, superuser, social_worker_client, social_worker
):
    """The admin's user form goes through the service: sessions end, tokens go, audited."""
    Token.objects.create(user=social_worker)
    url = f"/admin/legami/user/{social_worker.pk}/change/"
    joined = timezone.localtime(social_worker.date_joined)
    data = {  # the form as shown, with "active" unticked and the first name changed
        "email": social_worker.email,
        "first_name": "Giulia",
        "last_name": "",
        "language": "it",
        "date_joined_0": joined.strftime("%d/%m/%Y"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    social_worker.refresh_from_db()
    assert social_worker.is_active is False
    assert social_worker.first_name == "Giulia"
    assert not Token.objects.filter(user=social_worker).exists()
    assert not is_logged_in(social_worker_client)
    assert ChangeEvent.objects.filter(
        target_id=str(social_worker.pk), changes={"is_active": [True, False]}
    ).exists()


def test_the_admin_action_deactivates_the_selected_users(
    admin_client, superuser, social_worker_client, social_worker, citizen_client, citizen
):
    response = admin_client.post(
        "/admin/legami/user/",
        {"action": "deactivate_users", "_selected_action": [social_worker.pk, citizen.pk]},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[social_worker.pk, citizen.pk], is_active=True).exists()
    assert not is_logged_in(social_worker_client)
    assert not is_logged_in(citizen_client)
    assert User.objects.get(pk=superuser.pk).is_active
