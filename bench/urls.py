"""The project's URLs plus one bare view, for benchmarks that compare a page with the
least a request costs through the same middleware (session, authentication, MFA, CSP,
locale, …): ``bench/case_list.py`` sets ``ROOT_URLCONF`` to this module."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from legami.urls import urlpatterns as project_urlpatterns


@login_required
def bare(request: HttpRequest) -> HttpResponse:
    """No query of its own, no template: what every page pays before doing anything."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/bare/", bare, name="bench_bare"),
    *project_urlpatterns,
]
