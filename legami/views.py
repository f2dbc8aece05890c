"""Pages of the core: the public home, the dashboard and the health probe."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found as django_page_not_found
from django.views.defaults import server_error as django_server_error
from rest_framework.exceptions import NotFound

from legami import health
from legami.dashboard import render_panels
from legami.middleware import database_unavailable_error
from legami.roles import active_roles
from legami.selectors import ambito_list

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before trying again when the database is down.
RETRY_AFTER_SECONDS = 30


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The network and its five strategies, explained to a visitor."""
    return render(request, "legami/home.html", {"ambiti": ambito_list()})


@never_cache
@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The logged-in person's starting point: their roles, and the panels the apps
    register (``legami.dashboard``), e.g. the reminders of pact reviews."""
    memberships = request.user.memberships.select_related("organisation").order_by(  # type: ignore[union-attr]
        "organisation__name", "role"
    )
    return render(
        request,
        "legami/dashboard.html",
        {
            "memberships": memberships,
            "roles": sorted(active_roles(request.user)),
            "panels": render_panels(request),
        },
    )


@never_cache
@require_GET
def health_view(request: HttpRequest) -> JsonResponse:
    """Database, cache and broker status as JSON: 200 when all answer, 503 otherwise."""
    healthy, checks = health.run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 of an address no view answers (``handler404``): under /api/ the JSON error
    every API answer has (``{"detail": ...}``, as the schema declares), else the page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return django_page_not_found(request, exception)


def database_unavailable(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """The 503 of a request the database could not serve (it does not answer): the
    "temporarily unavailable" page, or under /api/ the JSON error (``{"detail": ...}``),
    with ``Retry-After``. Nothing here touches the database: no user, no session, no
    navigation; the language is the one chosen by cookie, else the default."""
    logger.warning(
        "database unavailable: %s %s answered 503 (%s: %s)",
        request.method,
        request.path,
        type(exception).__name__,
        str(exception).strip().splitlines()[0] if str(exception).strip() else "",
    )
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        response: HttpResponse
        if request.path_info.startswith("/api/"):
            response = JsonResponse({"detail": _("Legami is temporarily unavailable")}, status=503)
        else:
            response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response.headers["Content-Language"] = language
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database that does not answer, met before any view (a
    middleware loading the session, for example), is a 503 as in a view
    (``legami.middleware.DatabaseUnavailableMiddleware``); any other error is Django's
    500 page."""
    exception = sys.exc_info()[1]
    if exception is not None and database_unavailable_error(exception):
        return database_unavailable(request, exception)
    return django_server_error(request)
