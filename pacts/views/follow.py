"""Pages that follow a running pact: the review form (verifica), the reciprocity ledger
of hours with its reversals and monthly chart, the work placements, and the review
reminders of the dashboard (with the panels the app adds to the dashboard and to an
organisation's page, registered in ``pacts.apps``).

Who sees what comes from the access policy: a role that reads no pact at all is
refused (403), a pact the user may not read is not found (404), the pages of the whole
pact (reviews, placements) are for its full readers, and partner staff read in the
ledger only the hours exchanged with their own organisation. A form that is refused
comes back with what was typed and its errors under the fields (status 400), and
nothing is changed.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from decimal import Decimal
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beneficiaries.forms import Styled
from beneficiaries.models import Assessment, AssessmentKind
from legami.audit import audit_read
from legami.forms import add_service_errors
from legami.policy import Action, allowed, may_record_hours, scope, visible_to
from pacts import selectors
from pacts.models import (
    Commitment,
    CommitmentDirection,
    GoalOutcome,
    LedgerTransaction,
    Pact,
    PactStatus,
    Placement,
    PlacementOutcome,
    Reminder,
    SignatoryKind,
)
from pacts.models.pact import FINAL_STATUSES
from pacts.services import follow as follow_services
from pacts.services import ledger as ledger_services
from partners.forms import DATE_WIDGET
from partners.models import Organisation
from partners.selectors import organisation_list

# Statuses in which hours may be recorded (pacts.services.ledger.hours_record).
RECORDING_STATUSES = frozenset({PactStatus.SIGNED, PactStatus.ACTIVE, PactStatus.IN_REVIEW})
# How far back an LSNS-6 assessment may be attached to a review.
ASSESSMENT_DAYS = 30
DASHBOARD_PACTS = 10
DASHBOARD_REMINDERS = 20


# --- Finding the pact ----------------------------------------------------------------------


def pact_or_404(request: HttpRequest, public_id: UUID) -> Pact:
    """The pact if the user may read it (whole or in part): 403 for a role that reads
    no pact at all, 404 for one the user may not read (its existence is not revealed)."""
    if scope(request.user, Action.READ, Pact) is False:
        raise PermissionDenied
    pact = selectors.pact_detail(user=request.user, public_id=public_id)
    if pact is None:
        raise Http404(gettext("No such pact, or you may not read it."))
    return pact


def full_pact_or_404(request: HttpRequest, public_id: UUID) -> Pact:
    """The pact if the user reads the whole of it (case workers, coordinators); partner
    staff, who read only their part, are refused (403)."""
    pact = pact_or_404(request, public_id)
    if not selectors.is_full_reader(request.user, pact):
        raise PermissionDenied
    return pact


def pact_page_url(pact: Pact) -> str:
    """The pact's own page (pacts/views/pages.py)."""
    return pact.get_absolute_url()


def log_read(pact: Pact, purpose: str) -> None:
    """A page showing the pact shows the person's data: the read is logged."""
    audit_read(objs=[pact.person, pact], action="view", purpose=purpose)


def follow_context(request: HttpRequest, pact: Pact, current: str) -> dict[str, Any]:
    """What the pages of a pact share: the pact, the address of its page, the sub-menu."""
    full = selectors.is_full_reader(request.user, pact)
    return {
        "pact": pact,
        "pact_url": pact_page_url(pact),
        "full_reader": full,
        "can_change": allowed(request.user, Action.CHANGE, pact),
        "can_export": allowed(request.user, Action.EXPORT, pact),
        "current": current,
    }


# --- Reviews -------------------------------------------------------------------------------


class AssessmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return gettext("%(date)s: total %(total)s of 30") % {
            "date": obj.date.strftime("%d/%m/%Y"),
            "total": obj.total,
        }


class ReviewForm(Styled):
    """A review: an outcome and a note per goal, notes, and the next review date or
    "final review"; an LSNS-6 assessment of the last days may be attached."""

    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    next_review_on = forms.DateField(label=_("Next review"), widget=DATE_WIDGET, required=False)
    final = forms.BooleanField(
        label=_("Final review: the pact is completed"),
        required=False,
        help_text=_("No next review: the pact ends with this review."),
    )
    assessment = AssessmentChoiceField(
        label=_("LSNS-6 assessment taken at the review"),
        queryset=Assessment.objects.none(),
        required=False,
        empty_label=_("none"),
        help_text=_("An LSNS-6 assessment of the person from the last 30 days."),
    )

    def __init__(
        self, *args: Any, goals: list[Any], assessments: QuerySet[Assessment], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.goals = goals
        goal_fields: dict[str, forms.Field] = {}
        for goal in goals:
            goal_fields[f"goal_{goal.pk}"] = forms.ChoiceField(
                label=goal.description,
                choices=GoalOutcome.choices,
                widget=forms.RadioSelect,
                help_text=gettext("Indicator: %(indicator)s") % {"indicator": goal.indicator},
            )
            goal_fields[f"goal_{goal.pk}_note"] = forms.CharField(
                label=gettext("Note on the goal “%(goal)s”") % {"goal": goal.description},
                max_length=300,
                required=False,
            )
        self.fields = {**goal_fields, **self.fields}
        self.fields["assessment"].queryset = assessments  # type: ignore[attr-defined]
        self._style()

    def goal_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"goal_{g.pk}"], self[f"goal_{g.pk}_note"]) for g in self.goals]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("notes", "next_review_on", "final", "assessment")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            not data.get("final")
            and not data.get("next_review_on")
            and "next_review_on" not in self.errors
        ):
            self.add_error(
                "next_review_on",
                gettext("Give the date of the next review, or mark this review final."),
            )
        return data

    def outcomes(self) -> dict[int, tuple[str, str]]:
        return {
            g.pk: (self.cleaned_data[f"goal_{g.pk}"], self.cleaned_data[f"goal_{g.pk}_note"])
            for g in self.goals
        }


def recent_lsns6(user: Any, pact: Pact) -> QuerySet[Assessment]:
    """The person's LSNS-6 assessments of the last 30 days that the user may read."""
    since = timezone.localdate() - dt.timedelta(days=ASSESSMENT_DAYS)
    return (
        visible_to(user, Assessment, Action.READ)
        .filter(person=pact.person_id, kind=AssessmentKind.LSNS6, date__gte=since)
        .order_by("-date", "-id")
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def review_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Record the review of a running pact."""
    pact = full_pact_or_404(request, public_id)
    if not allowed(request.user, Action.CHANGE, pact):
        raise PermissionDenied
    next_date = timezone.localdate() + dt.timedelta(weeks=pact.review_every_weeks)
    form = ReviewForm(
        request.POST if request.method == "POST" else None,
        goals=list(pact.goals.all()),
        assessments=recent_lsns6(request.user, pact),
        initial={"next_review_on": next_date},
        auto_id="review-%s",
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                follow_services.review_record(
                    pact=pact,
                    actor=request.user,
                    outcomes=form.outcomes(),
                    notes=form.cleaned_data["notes"],
                    next_review_on=form.cleaned_data["next_review_on"],
                    final=form.cleaned_data["final"],
                    assessment=form.cleaned_data["assessment"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    gettext("The final review has been recorded: the pact is completed.")
                    if form.cleaned_data["final"]
                    else gettext("The review has been recorded."),
                )
                return redirect(pact_page_url(pact))
        status = 400
    # The refused form shows the pact again: a read, as the GET.
    log_read(pact, "pact review")
    return render(
        request,
        "pacts/follow_review.html",
        {**follow_context(request, pact, "review"), "form": form},
        status=status,
    )


@login_required
@require_POST
def review_start(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Open the review of an active pact (active → in review)."""
    pact = full_pact_or_404(request, public_id)
    try:
        follow_services.review_start(pact=pact, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(str(m) for m in exc.messages))
        return redirect(pact_page_url(pact))
    messages.success(request, gettext("The pact is in review: record the review below."))
    return redirect("pacts:review_new", public_id=pact.public_id)


# --- The ledger ----------------------------------------------------------------------------


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class CommitmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.description} ({obj.get_direction_display()})"


class HoursForm(Styled):
    """Hours given back by the person to an organisation, or received from it."""

    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=Decimal("0.01"),
        max_value=ledger_services.MAX_HOURS,
        max_digits=7,
        decimal_places=2,
    )
    direction = forms.ChoiceField(
        label=_("The hours were"),
        choices=[
            (CommitmentDirection.GIVES_BACK, _("given back by the person")),
            (CommitmentDirection.PROVIDES, _("received by the person")),
        ],
        widget=forms.RadioSelect,
    )
    organisation = OrganisationChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    commitment = CommitmentChoiceField(
        label=_("Commitment"), queryset=Commitment.objects.none(), required=False, empty_label="—"
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(
        self, *args: Any, pact: Pact, organisations: list[Organisation], **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "hours-%s")
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        ids = [o.pk for o in organisations]
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=ids).order_by(  # type: ignore[attr-defined]
            "name"
        )
        self.fields["commitment"].queryset = Commitment.objects.filter(pact=pact).filter(  # type: ignore[attr-defined]
            organisation__in=ids
        )
        if len(organisations) == 1:
            self.fields["organisation"].initial = organisations[0].pk


class ReverseForm(Styled):
    reason = forms.CharField(
        label=_("Why are these hours being cancelled?"), max_length=300, strip=True
    )


def recordable_organisations(user: Any, pact: Pact) -> list[Organisation]:
    """The signatory organisations of ``pact`` whose hours ``user`` may record (and
    reverse): all of them for the pact's case workers, their own for partner staff."""
    organisations = [
        s.organisation
        for s in pact.signatories.all()
        if s.kind == SignatoryKind.ORGANISATION and s.organisation is not None
    ]
    return [o for o in organisations if may_record_hours(user, pact, o)]


def _organisation_of(txn: LedgerTransaction) -> int | None:
    return txn.giver.organisation_id or txn.receiver.organisation_id


def _reversal_of(txn: LedgerTransaction) -> LedgerTransaction | None:
    try:
        return txn.reversal
    except LedgerTransaction.DoesNotExist:
        return None


def _signed_hours(txn: LedgerTransaction, person_id: int) -> tuple[str, Decimal]:
    """Which way the hours count for the person ("given" back or "received") and by how
    much: a reversal counts against the side of what it cancels."""
    person_gives = txn.giver.person_id == person_id
    if txn.reverses_id is None:
        return ("given" if person_gives else "received"), txn.hours
    return ("received" if person_gives else "given"), -txn.hours


def ledger_summary(
    transactions: list[LedgerTransaction], person_id: int
) -> tuple[selectors.Balance, list[dict[str, Any]]]:
    """The balance of ``transactions`` for the person, and the hours per month (the
    chart's data): reversals net out."""
    given = received = Decimal("0.00")
    months: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for txn in sorted(transactions, key=lambda t: (t.date, t.pk)):
        side, hours = _signed_hours(txn, person_id)
        month = months.setdefault(
            txn.date.strftime("%Y-%m"),
            {"month": txn.date.strftime("%Y-%m"), "given": Decimal(0), "received": Decimal(0)},
        )
        month[side] += hours
        if side == "given":
            given += hours
        else:
            received += hours
    return selectors.Balance(given=given, received=received), list(months.values())


def _ledger_page(
    request: HttpRequest,
    pact: Pact,
    *,
    hours_form: HoursForm | None = None,
    reverse_form: tuple[int, ReverseForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    context = follow_context(request, pact, "ledger")
    transactions = list(selectors.pact_ledger(user=user, pact=pact))
    visible_balance, months = ledger_summary(transactions, pact.person_id)
    balance = selectors.pact_balance(pact) if context["full_reader"] else visible_balance
    organisations = recordable_organisations(user, pact)
    recordable = {o.pk for o in organisations}
    by_pk = {t.pk: t for t in transactions}
    rows = []
    for txn in transactions:
        reversal = _reversal_of(txn)
        side, _hours = _signed_hours(txn, pact.person_id)
        form = (
            reverse_form[1]
            if reverse_form and reverse_form[0] == txn.pk
            else ReverseForm(auto_id=f"reverse-{txn.pk}-%s")
        )
        rows.append(
            {
                "txn": txn,
                "given_back": txn.giver.person_id == pact.person_id,
                "reversal": reversal,
                "reverses": by_pk.get(txn.reverses_id) if txn.reverses_id else None,
                "can_reverse": reversal is None
                and txn.reverses_id is None
                and _organisation_of(txn) in recordable,
                "reverse_form": form,
            }
        )
    can_record = bool(organisations) and pact.status in RECORDING_STATUSES
    chart = {
        "labels": [m["month"] for m in months],
        "given": [float(m["given"]) for m in months],
        "received": [float(m["received"]) for m in months],
        "given_label": gettext("Hours given back by the person"),
        "received_label": gettext("Hours received by the person"),
    }
    # Every render shows the pact's hours, the re-rendered refused form too.
    log_read(pact, "pact ledger")
    return render(
        request,
        "pacts/follow_ledger.html",
        {
            **context,
            "rows": rows,
            "balance": balance,
            "months": months,
            "chart": chart,
            "can_record": can_record,
            "hours_form": hours_form or HoursForm(pact=pact, organisations=organisations),
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def ledger(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The hours of the pact that the user may read, the balance and the chart, with the
    forms to record and cancel hours for those who may."""
    return _ledger_page(request, pact_or_404(request, public_id))


@never_cache
@login_required
@require_POST
def hours_record(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Record hours given back or received (partner staff: with their organisation)."""
    pact = pact_or_404(request, public_id)
    organisations = recordable_organisations(request.user, pact)
    if not organisations:
        raise PermissionDenied
    form = HoursForm(request.POST, pact=pact, organisations=organisations)
    if form.is_valid():
        try:
            ledger_services.hours_record(pact=pact, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The hours have been recorded."))
            return redirect("pacts:ledger", public_id=pact.public_id)
    return _ledger_page(request, pact, hours_form=form, status=400)


@never_cache
@login_required
@require_POST
def hours_reverse(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    """Cancel recorded hours with a reversal, giving the reason."""
    pact = pact_or_404(request, public_id)
    txn = get_object_or_404(selectors.pact_ledger(user=request.user, pact=pact), pk=pk)
    form = ReverseForm(request.POST, auto_id=f"reverse-{txn.pk}-%s")
    if form.is_valid():
        try:
            ledger_services.transaction_reverse(
                txn=txn, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The hours have been cancelled."))
            return redirect("pacts:ledger", public_id=pact.public_id)
    return _ledger_page(request, pact, reverse_form=(txn.pk, form), status=400)


# --- Work placements -----------------------------------------------------------------------


class PlacementForm(Styled):
    """A work placement: its host (an organisation of the network, or a company named),
    tutor, role, dates, hours a week and outcome."""

    host_organisation = OrganisationChoiceField(
        label=_("Host organisation of the network"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="—",
    )
    host_name = forms.CharField(
        label=_("Host company"),
        max_length=200,
        required=False,
        help_text=_("The company or body hosting the placement, when not in the network."),
    )
    tutor = forms.CharField(label=_("Tutor"), max_length=200)
    role = forms.CharField(label=_("Role or tasks"), max_length=200, required=False)
    start_date = forms.DateField(label=_("Start date"), widget=DATE_WIDGET)
    end_date = forms.DateField(label=_("End date"), widget=DATE_WIDGET)
    hours_per_week = forms.DecimalField(
        label=_("Hours per week"), min_value=Decimal("0.5"), max_value=48, decimal_places=2
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=PlacementOutcome.choices, initial=PlacementOutcome.ONGOING
    )
    outcome_date = forms.DateField(
        label=_("Outcome date"),
        widget=DATE_WIDGET,
        required=False,
        help_text=_("When the placement was hired, extended or ended."),
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["host_organisation"].queryset = organisation_list(user=user)  # type: ignore[attr-defined]


def _placement_initial(placement: Placement) -> dict[str, Any]:
    return {
        name: getattr(placement, name)
        for name in (
            "host_organisation",
            "host_name",
            "tutor",
            "role",
            "start_date",
            "end_date",
            "hours_per_week",
            "outcome",
            "outcome_date",
            "notes",
        )
    }


def _placements_page(
    request: HttpRequest,
    pact: Pact,
    *,
    add_form: PlacementForm | None = None,
    sent: tuple[int, PlacementForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = follow_context(request, pact, "placements")
    placements = list(pact.placements.all())
    rows = [
        {
            "placement": p,
            "form": sent[1]
            if sent and sent[0] == p.pk
            else PlacementForm(
                user=request.user, initial=_placement_initial(p), auto_id=f"placement-{p.pk}-%s"
            ),
            "open": bool(sent and sent[0] == p.pk),
        }
        for p in placements
    ]
    log_read(pact, "pact placements")
    return render(
        request,
        "pacts/follow_placements.html",
        {
            **context,
            "rows": rows,
            "can_add": context["can_change"] and pact.status not in FINAL_STATUSES,
            "add_form": add_form or PlacementForm(user=request.user, auto_id="placement-new-%s"),
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def placements(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The work placements linked to the pact, with their outcome."""
    return _placements_page(request, full_pact_or_404(request, public_id))


@never_cache
@login_required
@require_POST
def placement_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Link a work placement to the pact."""
    pact = full_pact_or_404(request, public_id)
    if not allowed(request.user, Action.CHANGE, pact):
        raise PermissionDenied
    form = PlacementForm(request.POST, user=request.user, auto_id="placement-new-%s")
    if form.is_valid():
        try:
            follow_services.placement_add(pact=pact, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The placement has been added."))
            return redirect("pacts:placements", public_id=pact.public_id)
    return _placements_page(request, pact, add_form=form, status=400)


@never_cache
@login_required
@require_POST
def placement_update(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    """Change a placement, e.g. record its outcome."""
    pact = full_pact_or_404(request, public_id)
    if not allowed(request.user, Action.CHANGE, pact):
        raise PermissionDenied
    placement = get_object_or_404(Placement, pk=pk, pact=pact)
    form = PlacementForm(request.POST, user=request.user, auto_id=f"placement-{pk}-%s")
    if form.is_valid():
        try:
            follow_services.placement_update(
                placement=placement, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The placement has been saved."))
            return redirect("pacts:placements", public_id=pact.public_id)
    return _placements_page(request, pact, sent=(pk, form), status=400)


# --- Reminders and panels ------------------------------------------------------------------


@login_required
@require_POST
def reminder_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """Take one of the user's own reminders off their dashboard (another's is not found)."""
    reminder = get_object_or_404(visible_to(request.user, Reminder, Action.CHANGE), pk=pk)
    follow_services.reminder_dismiss(reminder=reminder, actor=request.user)
    if getattr(request, "htmx", False):
        return HttpResponse("")
    messages.success(request, gettext("The reminder has been dismissed."))
    return redirect("legami:dashboard")


def dashboard_panel(request: HttpRequest) -> dict[str, Any] | None:
    """The dashboard panel: the user's review reminders, and the reviews of their pacts
    that are overdue or due soon. Nothing for a user who follows no pact."""
    user = request.user
    reminders = list(selectors.reminders_for(user=user)[:DASHBOARD_REMINDERS])
    follows_pacts = scope(user, Action.LIST, Pact) is not False
    overdue: list[Pact] = []
    soon: list[Pact] = []
    if follows_pacts:
        overdue = list(
            selectors.pact_list(user=user, filters={"due": "overdue", "mine": True})[
                :DASHBOARD_PACTS
            ]
        )
        if len(overdue) < DASHBOARD_PACTS:
            soon = list(
                selectors.pact_list(user=user, filters={"due": "soon", "mine": True})[
                    : DASHBOARD_PACTS - len(overdue)
                ]
            )
    if not (reminders or follows_pacts):
        return None
    return {
        "reminders": reminders,
        "overdue": overdue,
        "soon": soon,
        "today": timezone.localdate(),
    }


def organisation_hours_panel(
    request: HttpRequest, organisation: Organisation
) -> dict[str, Any] | None:
    """The organisation page's panel: the hours it gave and received across pacts, for
    those who may see them."""
    balance = selectors.organisation_balance(user=request.user, organisation=organisation)
    if balance is None:
        return None
    return {"organisation": organisation, "balance": balance}


urlpatterns: list[URLPattern | URLResolver] = [
    path("<uuid:public_id>/reviews/new/", review_new, name="review_new"),
    path("<uuid:public_id>/reviews/start/", review_start, name="review_start"),
    path("<uuid:public_id>/ledger/", ledger, name="ledger"),
    path("<uuid:public_id>/ledger/record/", hours_record, name="hours_record"),
    path("<uuid:public_id>/ledger/<int:pk>/reverse/", hours_reverse, name="hours_reverse"),
    path("<uuid:public_id>/placements/", placements, name="placements"),
    path("<uuid:public_id>/placements/add/", placement_add, name="placement_add"),
    path("<uuid:public_id>/placements/<int:pk>/", placement_update, name="placement_update"),
    path("reminders/<int:pk>/dismiss/", reminder_dismiss, name="reminder_dismiss"),
]
