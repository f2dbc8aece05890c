"""The facilitators' pages, under /labs/manage/: the labs a person runs, a lab's details,
its meetings (plan, change, cancel), who signed up, attendance at the door on a phone,
and the minutes that close a meeting.

Who: the lab's runners as the access policy says (its facilitators, the administrators
of its ambito, the network administrators). A role that runs no lab at all is refused
(403); a lab or meeting the person does not run is not revealed (404); anonymous
visitors are sent to log in. Every page that lists registrations records the read in
the access log (the meeting, purpose "registrations list").

A refused form comes back with its errors under the fields, status 400, nothing
changed. The attendance toggle is a small form per person: htmx posts it and swaps the
row it gets back; without JavaScript the same form posts and the page comes back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from labs.forms_facilitate import (
    AttendanceCodeForm,
    AttendanceToggleForm,
    CancelForm,
    CloseForm,
    LabForm,
    MeetingForm,
    NeedRowFormSet,
    active_organisations,
)
from labs.models import ACTIVE_STATUSES, Lab, LabContext, Meeting, MeetingStatus, Registration
from labs.models import RegistrationStatus as R
from labs.services import meetings as services
from legami.audit import audit_read
from legami.forms import add_service_errors
from legami.models import Ambito
from legami.policy import Action, allowed, scope, subject_for, visible_to
from legami.roles import Role

REGISTRATIONS_PURPOSE = "registrations list"

# --- Helpers ------------------------------------------------------------------------------


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def require_runner(request: HttpRequest) -> None:
    """403 for a role that runs no lab at all."""
    if scope(request.user, Action.CHANGE, Lab) is False:
        raise PermissionDenied


def lab_or_404(request: HttpRequest, slug: str) -> Lab:
    require_runner(request)
    lab = (
        visible_to(request.user, Lab, Action.CHANGE)
        .select_related("ambito")
        .filter(slug=slug)
        .first()
    )
    if lab is None:
        raise Http404(gettext("No such lab, or you do not run it."))
    return lab


def meeting_or_404(request: HttpRequest, pk: int) -> Meeting:
    require_runner(request)
    meeting = (
        visible_to(request.user, Meeting, Action.CHANGE)
        .select_related("lab", "comune")
        .filter(pk=pk)
        .first()
    )
    if meeting is None:
        raise Http404(gettext("No such meeting, or you do not run its lab."))
    return meeting


def ambiti_for(user: Any, lab: Lab | None = None) -> QuerySet[Ambito]:
    """The ambiti ``user`` may start (or move) a lab in: all, for network administrators
    and facilitators; their own, for ambito administrators."""
    subject = subject_for(user)
    ambiti = Ambito.objects.filter(is_active=True)
    if not subject.has(Role.NETWORK_ADMIN, Role.FACILITATOR):
        ambiti = ambiti.filter(pk__in=subject.ambiti(Role.AMBITO_ADMIN))
    if lab is not None:
        ambiti = Ambito.objects.filter(Q(pk__in=ambiti.values("pk")) | Q(pk=lab.ambito_id))
    return ambiti.order_by("name")


def may_start_lab(user: Any, ambiti: Iterable[Ambito] | None = None) -> bool:
    """Whether ``user`` may start a community lab (practitioners' labs are made by
    research pathways): the policy is asked about such a lab in each ambito the person
    could choose."""
    return any(
        allowed(user, Action.CREATE, Lab(context=LabContext.TOWN, ambito=ambito))
        for ambito in (ambiti_for(user) if ambiti is None else ambiti)
    )


def log_registrations_read(meeting: Meeting) -> None:
    audit_read(objs=[meeting], action="view", purpose=REGISTRATIONS_PURPOSE)


def to_manage() -> HttpResponse:
    return redirect("labs:manage")


def to_pathway(lab: Lab) -> HttpResponse:
    """A practitioners' lab belongs to a research pathway (``Lab.pathway``, the reverse
    of research's link): it is changed, and its workshops planned, from the pathway's
    page, which makes each meeting a workshop of the pathway."""
    pathway = getattr(lab, "pathway", None)
    if pathway is None:
        raise Http404(gettext("No such lab, or you do not run it."))
    return redirect(pathway.get_absolute_url())


# --- The labs I run -----------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET"])
def manage(request: HttpRequest) -> HttpResponse:
    """The labs the person runs, each with its meetings to come and those waiting for
    their minutes."""
    require_runner(request)
    now = timezone.now()
    open_meetings = Meeting.objects.filter(status=MeetingStatus.SCHEDULED).order_by(
        "starts_at", "pk"
    )
    labs = (
        visible_to(request.user, Lab, Action.CHANGE)
        # "pathway": the research pathway of a practitioners' lab (research's reverse link).
        .select_related("ambito", "pathway")
        .prefetch_related(Prefetch("meetings", queryset=open_meetings, to_attr="open_meetings"))
        .order_by("title")
    )
    return render(
        request,
        "labs/facilitate_manage.html",
        {
            "labs": labs,
            "now": now,
            "can_create": may_start_lab(request.user),
        },
    )


def _lab_values(form: LabForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "slug": data["slug"],
        "context": data["context"],
        "ambito": data["ambito"],
        "comuni": list(data["comuni"]),
        "facilitators": list(data["facilitators"]),
        "organisations": list(data["organisations"]),
        "description": data["description"],
        "status": data["status"],
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def lab_create(request: HttpRequest) -> HttpResponse:
    ambiti = ambiti_for(request.user)
    if not may_start_lab(request.user, ambiti):
        raise PermissionDenied
    initial: dict[str, Any] = {"status": "planned"}
    if subject_for(request.user).has(Role.FACILITATOR):
        initial["facilitators"] = [request.user.pk]
    form = LabForm(
        request.POST if request.method == "POST" else None, ambiti=ambiti, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            lab = services.lab_create(actor=request.user, **_lab_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The lab “%(lab)s” is created.") % {"lab": lab})
            return to_manage()
    return render(
        request,
        "labs/facilitate_lab_form.html",
        {"form": form, "lab": None},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def lab_edit(request: HttpRequest, slug: str) -> HttpResponse:
    lab = lab_or_404(request, slug)
    if lab.context == LabContext.PRACTITIONERS:
        return to_pathway(lab)
    initial = {
        "title": lab.title,
        "slug": lab.slug,
        "context": lab.context,
        "status": lab.status,
        "ambito": lab.ambito_id,
        "comuni": list(lab.comuni.values_list("pk", flat=True)),
        "facilitators": list(lab.facilitators.values_list("pk", flat=True)),
        "organisations": list(lab.organisations.values_list("pk", flat=True)),
        "description": lab.description,
    }
    form = LabForm(
        request.POST if request.method == "POST" else None,
        ambiti=ambiti_for(request.user, lab),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            lab = services.lab_update(lab=lab, actor=request.user, **_lab_values(form))
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                exc = ValidationError({"ambito": gettext("You may not move the lab there.")})
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The lab “%(lab)s” is saved.") % {"lab": lab})
            return to_manage()
    return render(
        request,
        "labs/facilitate_lab_form.html",
        {"form": form, "lab": lab},
        status=400 if form.errors else 200,
    )


# --- Meetings -----------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest, slug: str) -> HttpResponse:
    lab = lab_or_404(request, slug)
    if lab.context == LabContext.PRACTITIONERS:
        return to_pathway(lab)
    form = MeetingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(lab=lab, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, gettext("The meeting “%(title)s” is planned.") % {"title": meeting.title}
            )
            return to_manage()
    return render(
        request,
        "labs/facilitate_meeting_form.html",
        {"form": form, "lab": lab, "meeting": None},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_or_404(request, pk)
    initial = {name: getattr(meeting, name) for name in MeetingForm.base_fields}
    form = MeetingForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(meeting=meeting, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, gettext("The meeting “%(title)s” is saved.") % {"title": meeting.title}
            )
            return to_manage()
    return render(
        request,
        "labs/facilitate_meeting_form.html",
        {
            "form": form,
            "lab": meeting.lab,
            "meeting": meeting,
            "cancel_form": CancelForm(),
            "editable": meeting.status == MeetingStatus.SCHEDULED,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_or_404(request, pk)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.meeting_cancel(meeting=meeting, actor=request.user, reason=reason)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("labs:meeting_edit", pk=meeting.pk)
    messages.success(
        request, gettext("The meeting “%(title)s” is cancelled.") % {"title": meeting.title}
    )
    return to_manage()


# --- Who signed up ------------------------------------------------------------------------


def active_registrations(meeting: Meeting) -> list[Registration]:
    return list(
        Registration.objects.filter(meeting=meeting, status__in=ACTIVE_STATUSES).order_by(
            "created_at", "pk"
        )
    )


@never_cache
@login_required
@require_http_methods(["GET"])
def meeting_registrations(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmed seats, the waiting list in its order, and the guests who have not
    confirmed their address yet, with the seat counts."""
    meeting = meeting_or_404(request, pk)
    registrations = active_registrations(meeting)
    confirmed = sorted(
        (r for r in registrations if r.status == R.CONFIRMED), key=lambda r: r.name.lower()
    )
    waiting = sorted(
        (r for r in registrations if r.status == R.WAITING),
        key=lambda r: (r.waiting_since, r.pk),
    )
    unconfirmed = [r for r in registrations if r.status == R.UNCONFIRMED]
    log_registrations_read(meeting)
    return render(
        request,
        "labs/facilitate_registrations.html",
        {
            "meeting": meeting,
            "lab": meeting.lab,
            "confirmed": confirmed,
            "waiting": waiting,
            "unconfirmed": unconfirmed,
        },
    )


# --- Attendance at the door ---------------------------------------------------------------


def _attendance_page(
    request: HttpRequest,
    meeting: Meeting,
    code_form: AttendanceCodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    people = sorted(
        (r for r in active_registrations(meeting) if r.status == R.CONFIRMED),
        key=lambda r: r.name.lower(),
    )
    log_registrations_read(meeting)
    return render(
        request,
        "labs/facilitate_attendance.html",
        {
            "meeting": meeting,
            "lab": meeting.lab,
            "people": people,
            "present": sum(1 for r in people if r.attended),
            "code_form": code_form or AttendanceCodeForm(),
        },
        status=status,
    )


def _to_attendance(meeting: Meeting, registration: Registration | None = None) -> HttpResponse:
    url = reverse("labs:meeting_attendance", args=[meeting.pk])
    return redirect(f"{url}#registration-{registration.pk}" if registration else url)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The list of the people with a seat, each with a big toggle (present / not
    marked), and a field for the code people show at the door."""
    meeting = meeting_or_404(request, pk)
    if request.method == "GET":
        return _attendance_page(request, meeting)
    if "code" in request.POST:
        code_form = AttendanceCodeForm(request.POST)
        if code_form.is_valid():
            try:
                registration = services.attendance_by_code(
                    meeting=meeting, code=code_form.cleaned_data["code"], actor=request.user
                )
            except ValidationError as exc:
                add_service_errors(code_form, exc)
            else:
                messages.success(
                    request,
                    gettext("%(name)s is marked present.") % {"name": registration.name},
                )
                return _to_attendance(meeting, registration)
        return _attendance_page(request, meeting, code_form, status=400)
    toggle = AttendanceToggleForm(request.POST)
    if not toggle.is_valid():
        return HttpResponse(status=400)
    found = Registration.objects.filter(
        meeting=meeting, pk=toggle.cleaned_data["registration"]
    ).first()
    if found is None:
        raise Http404(gettext("No such registration for this meeting."))
    registration, error = found, ""
    try:
        registration = services.attendance_mark(
            registration=found,
            attended=toggle.cleaned_data["attended"],
            actor=request.user,
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if is_htmx(request):
        # htmx swaps only successful answers: a refusal comes back as the row, with its
        # reason, status 200.
        return render(
            request,
            "labs/partials/facilitate_attendance_row.html",
            {"meeting": meeting, "registration": registration, "error": error},
        )
    if error:
        messages.error(request, error)
    return _to_attendance(meeting, registration)


# --- The minutes --------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def meeting_close(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes of a meeting that has ended: the summary, the organisations present,
    the needs raised (one row each, posted on the lab's board); the attendees are those
    marked present."""
    meeting = meeting_or_404(request, pk)
    organisations = active_organisations()
    form = CloseForm(
        request.POST if request.method == "POST" else None, organisations=organisations
    )
    needs = NeedRowFormSet(request.POST if request.method == "POST" else None, prefix="needs")
    if request.method == "POST" and form.is_valid() and needs.is_valid():
        try:
            services.meeting_close(
                meeting=meeting,
                actor=request.user,
                summary=form.cleaned_data["summary"],
                organisations_present=form.cleaned_data["organisations_present"],
                needs_raised=[
                    (row["title"], row["category"])
                    for row in needs.cleaned_data
                    if row.get("title") or row.get("category")
                ],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("The minutes of “%(title)s” are saved.") % {"title": meeting.title},
            )
            return to_manage()
    attendees = list(
        Registration.objects.filter(meeting=meeting, status=R.CONFIRMED, attended=True).order_by(
            "name", "pk"
        )
    )
    log_registrations_read(meeting)
    failed = bool(form.errors or needs.total_error_count())
    return render(
        request,
        "labs/facilitate_close.html",
        {
            "meeting": meeting,
            "lab": meeting.lab,
            "form": form,
            "needs": needs,
            "attendees": attendees,
            "ended": meeting.ends_at <= timezone.now(),
            "closable": meeting.status == MeetingStatus.SCHEDULED,
        },
        status=400 if failed else 200,
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("manage/", manage, name="manage"),
    path("manage/new/", lab_create, name="lab_create"),
    path("manage/meetings/<int:pk>/edit/", meeting_edit, name="meeting_edit"),
    path("manage/meetings/<int:pk>/cancel/", meeting_cancel, name="meeting_cancel"),
    path(
        "manage/meetings/<int:pk>/registrations/",
        meeting_registrations,
        name="meeting_registrations",
    ),
    path("manage/meetings/<int:pk>/attendance/", meeting_attendance, name="meeting_attendance"),
    path("manage/meetings/<int:pk>/close/", meeting_close, name="meeting_close"),
    path("manage/<slug:slug>/edit/", lab_edit, name="lab_edit"),
    path("manage/<slug:slug>/meetings/new/", meeting_create, name="meeting_create"),
]
