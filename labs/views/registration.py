"""Pages of the labs app. The links of the registration mails: confirming a guest's
address and cancelling a registration. Both show a page with a button (GET changes
nothing: mail scanners open links) and act on POST. The token in the address is signed
(``labs.services.registration_token``); a forged or voided one finds nothing (404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from labs import services
from labs.models import Registration, RegistrationStatus


def _registration(token: str) -> Registration:
    registration = services.registration_from_token(token)
    if registration is None:
        raise Http404(gettext("This link is not valid (any more)."))
    return registration


@never_cache
@require_http_methods(["GET", "POST"])
def registration_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """A guest confirms their address: a seat, or a place on the waiting list."""
    registration = _registration(token)
    if request.method == "POST":
        try:
            registration = services.registration_confirm(registration=registration)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(reverse("labs:registration_confirm", args=[token]))
    return render(
        request,
        "labs/registration_confirm.html",
        {
            "registration": registration,
            "meeting": registration.meeting,
            "to_confirm": registration.status == RegistrationStatus.UNCONFIRMED,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def registration_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """The person cancels their registration; a freed seat goes to the waiting list."""
    registration = _registration(token)
    if request.method == "POST":
        try:
            services.registration_cancel(registration=registration)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, gettext("Your registration is cancelled."))
        return redirect(reverse("labs:registration_cancel", args=[token]))
    return render(
        request,
        "labs/registration_cancel.html",
        {
            "registration": registration,
            "meeting": registration.meeting,
            "can_cancel": registration.status
            in (
                RegistrationStatus.UNCONFIRMED,
                RegistrationStatus.CONFIRMED,
                RegistrationStatus.WAITING,
            ),
        },
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("registrations/<str:token>/confirm/", registration_confirm, name="registration_confirm"),
    path("registrations/<str:token>/cancel/", registration_cancel, name="registration_cancel"),
]
