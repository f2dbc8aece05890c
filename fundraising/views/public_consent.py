"""The unsubscribe page of the news mails: a donor stops hearing from an organisation
(the withdrawal of their consent, GDPR art. 7(3)) in one click, without an account.

Each news mail carries the donor's own signed link (``services.donors.unsubscribe_url``):
the token names the donor and the organisation, and a token that was changed or made
up is refused with a 404 page that changes nothing. Whoever holds the link may
withdraw that consent and nothing else, and sees nothing about the donor: the page
shows only the organisation's name.

A GET only asks (mail scanners and link previews follow links); the withdrawal is a
POST of the page's form (with its CSRF token), recorded by ``consent_set`` with the
source "unsubscribe link". Doing it twice changes nothing more and says so. The POST
answers with the confirmation itself (200) rather than a redirect: the page is public,
the action is idempotent (a reload is harmless) and the confirmation does not need a
session for a visitor who has none.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from fundraising.services.donors import consent_set, donor_from_unsubscribe_token

SOURCE = "unsubscribe link"
TEMPLATE = "fundraising/public_unsubscribe.html"


def _private(response: HttpResponse) -> HttpResponse:
    """The token in the address is not to be indexed nor passed on to other sites."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: "Stop news from <organisation>?" with a button; POST: the consent is
    withdrawn (once) and the page confirms it."""
    found = donor_from_unsubscribe_token(token)
    if found is None:
        return _private(render(request, TEMPLATE, {"invalid": True}, status=404))
    donor, organisation = found
    context: dict[str, object] = {"organisation_name": organisation.name}
    if request.method == "POST":
        change = consent_set(
            donor=donor, organisation=organisation, given=False, source=SOURCE, by=None
        )
        context["done"] = True
        context["already"] = change is None
    return _private(render(request, TEMPLATE, context))


urlpatterns: list[URLPattern] = [
    path("notizie/basta/<str:token>/", unsubscribe, name="unsubscribe"),
]
