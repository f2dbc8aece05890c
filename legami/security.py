"""Who may use Legami, and for how long: the second factor and the length of staff sessions.

* ``SecondFactorRequiredMiddleware``: a person whose role reaches people's personal data
  (``legami.roles.requires_mfa``) and has no authenticator app set up is sent to set one
  up, and can use nothing else meanwhile. The API answers such a person 403 (here for
  browser sessions, and in ``legami.api_permissions`` for every DRF call, tokens included).
* ``StaffSessionMiddleware``: sessions of staff end after ``STAFF_SESSION_IDLE_MINUTES``
  without a request, and ``STAFF_SESSION_MAX_HOURS`` after logging in; citizens keep
  Django's session age.
* ``MFAAdapter``: allauth's MFA adapter, refusing to let such a person turn the
  authenticator app off.

Both middleware classes come after authentication, messages, allauth's and htmx's
middleware (see ``MIDDLEWARE`` in settings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django_htmx.http import HttpResponseClientRedirect

from legami.roles import active_roles, requires_mfa
from legami.services.users import user_session_rekey

# --- Second factor ----------------------------------------------------------------------------

# The pages a person who still has to set up a second factor may open: allauth's pages to
# set it up (including re-entering the password, setting one if the account has none, and
# verifying the e-mail address, which allauth wants first), log out, and switch language.
# Static files, media and /health/ are let through by path. Everything else, admin
# included, leads to the set-up page.
SECOND_FACTOR_SETUP_VIEWS: frozenset[str] = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_authenticate",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "account_request_reauthentication_code",
        "account_confirm_reauthentication_code",
        "account_email",
        "account_set_password",
        "account_email_verification_sent",
        "account_confirm_email",
        "account_inactive",
        "account_logout",
        "admin:logout",
        "set_language",
    }
)

SECOND_FACTOR_PAGE_MESSAGE = gettext_lazy(
    "Your role gives you access to personal data about people, so Legami asks you for a "
    "second factor when you log in. Set up an authenticator app on your phone to continue: "
    "until then this is the only page you can use."
)
SECOND_FACTOR_API_MESSAGE = gettext_lazy(
    "Your role gives you access to personal data about people, so the API is open to you "
    "only once you have set up two-factor authentication. Log in to Legami in a browser and "
    "set up an authenticator app (Your account, Two-factor authentication)."
)

_MISSING_ATTR = "_legami_second_factor_missing"


def _passes_by_path(path: str) -> bool:
    prefixes = [settings.STATIC_URL, settings.MEDIA_URL, "/health/"]
    return any(prefix and path.startswith(str(prefix)) for prefix in prefixes)


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


def second_factor_missing(user: Any) -> bool:
    """Whether ``user`` must have a second factor (``requires_mfa``) and has not set up an
    authenticator app yet. Remembered on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, _MISSING_ATTR, None)
    if cached is not None:
        return bool(cached)
    missing = requires_mfa(user) and not (
        Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()
    )
    setattr(user, _MISSING_ATTR, missing)
    return missing


def _client_redirect(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


class SecondFactorRequiredMiddleware:
    """Send a person who needs a second factor and has none to allauth's set-up page.

    Pages redirect there with a message saying why (htmx requests get ``HX-Redirect``);
    /api/ answers 403 with a JSON error, as ``SecondFactorEnabled`` does for DRF views.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        path = request.path_info
        if _passes_by_path(path) or not second_factor_missing(getattr(request, "user", None)):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in SECOND_FACTOR_SETUP_VIEWS:
            return None
        if _is_api(path):
            return JsonResponse({"detail": str(SECOND_FACTOR_API_MESSAGE)}, status=403)
        messages.warning(request, str(SECOND_FACTOR_PAGE_MESSAGE))
        return _client_redirect(request, reverse("mfa_activate_totp"))


class MFAAdapter(DefaultMFAAdapter):
    """allauth's MFA adapter, except that a person whose role requires a second factor
    cannot deactivate their authenticator app. To move it to a new phone, an administrator
    deletes it in the admin, and the person sets up the new one on their next page."""

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type == Authenticator.Type.TOTP and requires_mfa(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)


# --- Staff sessions ---------------------------------------------------------------------------

SESSION_STARTED = "legami.session.started"
SESSION_SEEN = "legami.session.seen"
SESSION_KEY = "legami.session.key"
# The last-seen time is written at most this often (seconds), not on every request: the
# idle limit is therefore kept to within a minute.
SEEN_RESOLUTION = 60


def is_staff_user(user: Any) -> bool:
    """Whether ``user``'s sessions are staff sessions: they hold a role in the network, or
    need a second factor (Django staff)."""
    return requires_mfa(user) or bool(active_roles(user))


def session_mark_login(request: HttpRequest) -> None:
    """Note in the session when its user logged in (called on every login)."""
    now = timezone.now().timestamp()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now
    request.session[SESSION_KEY] = request.session.session_key


def _expiry(request: HttpRequest) -> str | None:
    """Why the staff session of ``request`` has expired ("idle", "max"), or None; notes
    that it was used now."""
    session = request.session
    now = timezone.now().timestamp()
    started = session.get(SESSION_STARTED)
    seen = session.get(SESSION_SEEN)
    if not isinstance(started, int | float) or not isinstance(seen, int | float):
        # A session from before these limits, or of a person who became staff during it.
        session[SESSION_STARTED] = session[SESSION_SEEN] = now
        return None
    if now - seen > settings.STAFF_SESSION_IDLE_MINUTES * 60:
        return "idle"
    if now - started > settings.STAFF_SESSION_MAX_HOURS * 3600:
        return "max"
    if now - seen >= SEEN_RESOLUTION:
        session[SESSION_SEEN] = now
    return None


class StaffSessionMiddleware:
    """End staff sessions that have been idle too long or are too old.

    The person is logged out (the session is deleted from the store) and sent to the login
    page with a message and ``next`` set to where they were; an API call goes on as
    anonymous, and the API answers it as such. Also keeps the record of the session
    (``UserSession``) pointing at the session when its key changes (password change).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and is_staff_user(user):
            reason = _expiry(request)
            if reason is not None:
                return self._expired(request, reason)
        response = self.get_response(request)
        self._follow_key_change(request)
        return response

    def _expired(self, request: HttpRequest, reason: str) -> HttpResponse:
        htmx = getattr(request, "htmx", None)
        next_url = (htmx.current_url_abs_path if htmx else None) or request.get_full_path()
        logout(request)
        if _is_api(request.path_info):
            return self.get_response(request)
        if reason == "idle":
            text = gettext(
                "Your session expired: nothing happened for more than %(minutes)d minutes. "
                "Log in again to continue."
            ) % {"minutes": settings.STAFF_SESSION_IDLE_MINUTES}
        else:
            text = gettext(
                "Your session expired: a session lasts at most %(hours)d hours. "
                "Log in again to continue."
            ) % {"hours": settings.STAFF_SESSION_MAX_HOURS}
        messages.info(request, text)
        response = redirect_to_login(next_url)
        return _client_redirect(request, response["Location"])

    @staticmethod
    def _follow_key_change(request: HttpRequest) -> None:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or not getattr(user, "is_authenticated", False):
            return
        recorded = session.get(SESSION_KEY)
        current = session.session_key
        if recorded and current and recorded != current:
            user_session_rekey(old_key=recorded, new_key=current)
            session[SESSION_KEY] = current
