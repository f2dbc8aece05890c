"""Pages of the core: the public home, the dashboard and the health probe."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found as django_page_not_found
from rest_framework.exceptions import NotFound

from legami import health
from legami.dashboard import render_panels
from legami.roles import active_roles
from legami.selectors import ambito_list


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
