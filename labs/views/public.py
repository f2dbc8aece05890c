"""The public face of the labs: the upcoming meetings (filtered by municipality and by
lab), a lab's page, a meeting's page with the sign-up form, the calendar files (a lab's
feed, one meeting) and a person's own registrations with the cancel button.

Everybody may read what the access policy shows them (labs under way: everybody; planned
ones: their runners) — a lab or meeting they may not see does not exist (404). A person
with an account signs up with one button; a visitor without one as a guest, with a name,
an address to confirm and their agreement to the privacy notice. A refused sign-up comes
back on the page with the reason, status 400, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from labs import ical, selectors, services
from labs.forms import GuestSignUpForm, MeetingFilterForm
from labs.models import ACTIVE_STATUSES, Lab, Meeting, Registration, RegistrationStatus
from legami.audit import client_ip
from legami.forms import add_service_errors

CALENDAR_TYPE = "text/calendar; charset=utf-8"


# --- Helpers ------------------------------------------------------------------------------


def _url_if_any(name: str, *args: Any) -> str | None:
    """The address of ``name``, or None while no page of that name exists (the needs
    board is added by another part of the app)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _lab_or_404(request: HttpRequest, slug: str) -> Lab:
    lab = selectors.lab_detail(user=request.user, slug=slug)
    if lab is None:
        raise Http404(gettext("No such lab."))
    return lab


def _meeting_or_404(request: HttpRequest, slug: str, pk: int) -> Meeting:
    meeting = selectors.meeting_detail(user=request.user, slug=slug, pk=pk)
    if meeting is None:
        raise Http404(gettext("No such meeting."))
    return meeting


def _signed_up_message(registration: Registration) -> str:
    if registration.status == RegistrationStatus.WAITING:
        return gettext(
            "The meeting is full: you are on the waiting list. If a seat frees up, it is "
            "yours and we will write to you."
        )
    return gettext("You have a seat. Your code at the door is %(code)s.") % {
        "code": registration.code
    }


def _calendar(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=CALENDAR_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- The upcoming meetings --------------------------------------------------------------------


@vary_on_headers("HX-Request")
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    """The upcoming meetings of the labs the person may see, soonest first, filtered by
    municipality and by lab (in the address). An htmx request gets the results only."""
    form = MeetingFilterForm(
        request.GET or None,
        comuni=selectors.lab_comuni(user=request.user),
        labs=selectors.lab_list(user=request.user),
        auto_id="filter-%s",
    )
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v is not None}
    context = {
        "form": form,
        "meetings": list(selectors.meeting_list(user=request.user, filters=filters)),
        "filtered": bool(filters),
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "labs/partials/public_meeting_results.html", context)
    return render(request, "labs/public_meeting_list.html", context)


# --- A lab ------------------------------------------------------------------------------------


@require_GET
def lab_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A lab: what it is, where, who runs it and with whom; its meetings, the needs with
    the most supporters and the interventions designed in response."""
    lab = _lab_or_404(request, slug)
    upcoming, past = selectors.lab_meetings(user=request.user, lab=lab)
    return render(
        request,
        "labs/public_lab_detail.html",
        {
            "lab": lab,
            "upcoming": upcoming,
            "past": past,
            "top_needs": selectors.lab_top_needs(user=request.user, lab=lab),
            "need_board_url": _url_if_any("labs:need_board", lab.slug),
            "interventions": selectors.lab_interventions(user=request.user, lab=lab),
        },
    )


@require_GET
def lab_feed(request: HttpRequest, slug: str) -> HttpResponse:
    """The lab's meetings as a calendar that calendar apps subscribe to."""
    lab = _lab_or_404(request, slug)
    meetings = selectors.lab_feed_meetings(user=request.user, lab=lab)
    return _calendar(ical.lab_feed(lab, meetings), f"{lab.slug}.ics")


# --- A meeting and signing up -----------------------------------------------------------------

# Guests' sign-ups send mail to an address anyone can type: at most this many per client
# address per hour, and per mailbox (the part before any "+tag") per day.
GUEST_SIGNUPS_PER_IP_HOUR = 5
GUEST_SIGNUPS_PER_MAILBOX_DAY = 3


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        return 1


def _guest_allowed(request: HttpRequest, email: str) -> bool:
    """Whether one more guest sign-up from this client and to this mailbox is allowed."""
    local, _, domain = email.strip().lower().partition("@")
    mailbox = f"{local.split('+', 1)[0]}@{domain}"
    # The client's address, not the proxy's: behind it every guest would share one count.
    ip = client_ip(request) or ""
    by_ip = _count(f"labs:guest-signup:ip:{ip}", 3600)
    by_mailbox = _count(f"labs:guest-signup:mailbox:{mailbox}", 86400)
    return by_ip <= GUEST_SIGNUPS_PER_IP_HOUR and by_mailbox <= GUEST_SIGNUPS_PER_MAILBOX_DAY


@never_cache
@require_http_methods(["GET", "POST"])
def meeting_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A meeting: when, where, how to get in, and the sign-up: one button for a person
    with an account, a name, an address and the privacy notice for a guest."""
    meeting = _meeting_or_404(request, slug, pk)
    authenticated = request.user.is_authenticated
    # Bound on every POST, even an empty one: a sign-up sent without its fields is told
    # what is missing rather than refused without a word.
    guest_data = request.POST if request.method == "POST" else None
    guest_form = None if authenticated else GuestSignUpForm(guest_data, auto_id="signup-%s")
    error = ""
    if request.method == "POST":
        try:
            if guest_form is None:
                registration = services.registration_create(
                    meeting=meeting, user=request.user, language=get_language()
                )
                messages.success(request, _signed_up_message(registration))
                return redirect(meeting.get_absolute_url())
            if guest_form.is_valid() and not _guest_allowed(
                request, guest_form.cleaned_data["email"]
            ):
                guest_form.add_error(
                    None,
                    gettext("Too many sign-ups from here in a short time: try again later."),
                )
            elif guest_form.is_valid():
                email = guest_form.cleaned_data["email"]
                try:
                    services.registration_create(
                        meeting=meeting,
                        email=email,
                        name=guest_form.cleaned_data["name"],
                        language=get_language(),
                    )
                except ValidationError as exc:
                    # Whether an address is already signed up is nobody else's business:
                    # a guest form answers the same either way (the owner of the address
                    # has their links already).
                    if exc.code != "duplicate":
                        raise
                messages.success(
                    request,
                    gettext(
                        "Almost done: we have sent a link to %(email)s. Open it within "
                        "%(hours)s hours to confirm your sign-up."
                    )
                    % {
                        "email": email.strip().lower(),
                        "hours": settings.LAB_GUEST_CONFIRMATION_HOURS,
                    },
                )
                return redirect(meeting.get_absolute_url())
        except ValidationError as exc:
            if guest_form is None:
                error = " ".join(exc.messages)
            else:
                add_service_errors(guest_form, exc)
    return render(
        request,
        "labs/public_meeting_detail.html",
        {
            "meeting": meeting,
            "lab": meeting.lab,
            "registration": selectors.own_registration(user=request.user, meeting=meeting),
            "problem": selectors.signup_problem(meeting),
            "guest_form": guest_form,
            "error": error,
            "login_url": f"{reverse('account_login')}?next={meeting.get_absolute_url()}",
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def meeting_ics(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One meeting as a calendar file, to add to one's calendar."""
    meeting = _meeting_or_404(request, slug, pk)
    return _calendar(ical.meeting_ics(meeting), "meeting.ics")


# --- My registrations -------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def my_registrations(request: HttpRequest) -> HttpResponse:
    """The person's own registrations, the latest meetings first, each with its status,
    the code at the door and, while the meeting is ahead, a button to cancel."""
    now = timezone.now()
    rows = [
        (r, r.status in ACTIVE_STATUSES and r.meeting.starts_at > now)
        for r in selectors.my_registrations(user=request.user)
    ]
    return render(
        request,
        "labs/public_my_registrations.html",
        {"rows": rows, "list_url": reverse("labs:meeting_list")},
    )


@login_required
@require_POST
def my_registration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel one of the person's own registrations; a seat freed goes to the first on
    the waiting list."""
    registration = selectors.my_registration(user=request.user, pk=pk)
    if registration is None:
        raise Http404(gettext("No such registration."))
    if registration.status not in ACTIVE_STATUSES:
        messages.info(request, gettext("This registration was already cancelled or is over."))
    elif registration.meeting.starts_at <= timezone.now():
        messages.error(request, gettext("This meeting has already started."))
    else:
        services.registration_cancel(registration=registration, actor=request.user)
        messages.success(request, gettext("Your registration is cancelled."))
    return redirect("labs:my_registrations")


# Fixed addresses first: a lab's slug could otherwise take them.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", meeting_list, name="meeting_list"),
    path("mine/", my_registrations, name="my_registrations"),
    path("mine/<int:pk>/cancel/", my_registration_cancel, name="my_registration_cancel"),
    path("<slug:slug>/", lab_detail, name="lab_detail"),
    path("<slug:slug>/calendar.ics", lab_feed, name="lab_feed"),
    path("<slug:slug>/meetings/<int:pk>/", meeting_detail, name="meeting_detail"),
    path("<slug:slug>/meetings/<int:pk>/meeting.ics", meeting_ics, name="meeting_ics"),
]
