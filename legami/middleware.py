"""Middleware of the core."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ItalianFirstLocaleMiddleware:
    """Speak Italian unless the person chose otherwise.

    Legami is a service of Italian public bodies: an operator whose browser is set to
    English still gets the Italian interface, as the rest of their office does, so the
    browser's Accept-Language is not consulted. The language changes only by an explicit
    choice: the language switch (Django's ``set_language`` cookie), or else the language
    saved on the logged-in user's profile. Must come after AuthenticationMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        available = dict(settings.LANGUAGES)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in available:
            user = getattr(request, "user", None)
            language = getattr(user, "language", "") if user and user.is_authenticated else ""
        if language not in available:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


# SQLSTATEs of a PostgreSQL server that is going away or not back yet: admin shutdown,
# crash shutdown, cannot connect now (starting up); class 08 is "connection exception".
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def database_unavailable_error(exception: BaseException) -> bool:
    """Whether ``exception`` says the database does not answer (down, restarting,
    unreachable, the connection lost) rather than that a query is wrong: only those are a
    503; a bad query, a deadlock or a timeout stay a 500."""
    if isinstance(exception, InterfaceError):
        return True  # the connection is closed or broken
    if not isinstance(exception, OperationalError):
        return False
    cause = exception.__cause__
    if cause is not None and hasattr(cause, "pgcode"):  # psycopg2 (psycopg: sqlstate)
        code = cause.pgcode
    elif cause is not None and hasattr(cause, "sqlstate"):
        code = cause.sqlstate
    else:
        # SQLite: the file is locked by another process longer than its timeout.
        return "database is locked" in str(exception) or "unable to open" in str(exception)
    # No SQLSTATE: the client could not reach the server or lost it (refused, timed out,
    # "server closed the connection unexpectedly").
    return code is None or str(code).startswith("08") or code in UNAVAILABLE_SQLSTATES


class DatabaseUnavailableMiddleware:
    """A view that meets a database that does not answer (PostgreSQL restarting, the
    network to it down) answers 503 with ``Retry-After`` — the "temporarily
    unavailable" page, or the JSON error under /api/ — instead of a 500 with a traceback
    in the log; a warning line is logged. Django reconnects by itself at the next request
    (``CONN_HEALTH_CHECKS``). The same error raised by a middleware (e.g. loading the
    session) reaches ``handler500``, which answers the same way
    (``legami.views.server_error``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if database_unavailable_error(exception):
            from legami.views import database_unavailable

            return database_unavailable(request, exception)
        return None
