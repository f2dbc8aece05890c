"""The coordinators' pages of the Civic Center, and the market figures everyone reads.

- ``board``: the coopetition board of an ambito and a service, for providers,
  coordinators and administrators: a heat map of open demand by comune and weekly window
  (small cells suppressed), who covers which comune (organisations, no prices), the
  gaps where demand meets no published capacity, and the market figures of every
  service (see ``civic_center.board``).
- ``market``: the market figures of every service, public (anonymous visitors too).
- Matching (coordinators, ambito and network administrators): ``run_list`` starts a run
  of an ambito (one at a time: asking again shows the run under way) and lists past
  runs; ``run_detail`` follows a run with a progress bar that polls ``run_status``
  every second while the run is queued or running (its stage in words), then shows
  its figures and the groups it proposed with why. A failed run says so, and that
  another can be started; the technical error stays in the server log.

Anonymous visitors are sent to log in (but for ``market``); a role that may not see
pseudonymised demand or runs is refused (403); a run of another ambito does not exist
(404).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from civic_center import board as selectors_board
from civic_center import services, windows
from civic_center.models import MatchingRun, RunStatus, ServiceCategory
from legami.models import Ambito
from legami.policy import Action, allowed, require, scope, visible_to
from partners.forms import Styled

RUN = "civic_center.matchingrun"
RUNS_SHOWN = 30
ACTIVE_RUN = (RunStatus.QUEUED, RunStatus.RUNNING)
# What a run is doing (``MatchingRun.stage``, written by ``services.run_execute``), in words.
STAGES = {
    "loading": _("reading the open demand and the offers"),
    "pools": _("finding the families each offer can serve"),
    "matching": _("forming the groups"),
    "saving": _("saving the proposed groups"),
    "done": _("finished"),
}


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- The coopetition board ----------------------------------------------------------------


class BoardForm(Styled):
    ambito = forms.ModelChoiceField(label=_("Ambito"), queryset=Ambito.objects.none())
    category = forms.ModelChoiceField(
        label=_("Service"), queryset=ServiceCategory.objects.filter(is_active=True)
    )

    def __init__(self, *args: Any, ambiti: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ambito"].queryset = ambiti  # type: ignore[attr-defined]
        self.fields["ambito"].empty_label = None  # type: ignore[attr-defined]
        self.fields["category"].empty_label = None  # type: ignore[attr-defined]


def day_headers() -> list[dict[str, Any]]:
    return [{"day": day, "short": windows.DAYS_SHORT[d]} for d, day in enumerate(windows.DAYS)]


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The board of the chosen ambito and service (the first of each by default)."""
    if scope(request.user, Action.LIST, selectors_board.DEMAND_MARKET) is False:
        raise PermissionDenied
    ambiti = selectors_board.board_ambiti(request.user)
    ambito_list = list(ambiti)
    categories = list(ServiceCategory.objects.filter(is_active=True))
    data = {
        "ambito": request.GET.get("ambito") or (ambito_list[0].pk if ambito_list else ""),
        "category": request.GET.get("category") or (categories[0].pk if categories else ""),
    }
    form = BoardForm(data, ambiti=ambiti)
    context: dict[str, Any] = {
        "form": form,
        "days": day_headers(),
        "bands": windows.BANDS_SHORT,
        "small": selectors_board.SMALL_CELL,
        "min_providers": selectors_board.MIN_PROVIDERS_FOR_PRICES,
        "min_demands": selectors_board.MIN_DEMANDS_FOR_CEILING,
        "figures": selectors_board.board_market_figures(request.user),
        "ambito_list": ambito_list,
    }
    if form.is_valid():
        ambito, category = form.cleaned_data["ambito"], form.cleaned_data["category"]
        heat = selectors_board.heat_map(request.user, ambito=ambito, category=category)
        covered = selectors_board.covered_cells(request.user, ambito=ambito, category=category)
        who = selectors_board.coverage(request.user, ambito=ambito, category=category)
        context.update(
            ambito=ambito,
            category=category,
            heat=heat,
            coverage=[(row.comune, who.get(row.comune_id, [])) for row in heat],
            gaps=selectors_board.gaps(heat, covered),
        )
    # A filter value that is not one of the choices (an edited address) is a bad request,
    # answered with the form's error rather than a board for something else.
    status = 400 if form.errors and request.GET else 200
    return render(request, "civic_center/coord_board.html", context, status=status)


def market(request: HttpRequest) -> HttpResponse:
    """The market figures of every service, for everyone (aggregates, small cells
    suppressed, families' ceilings only as a median of at least five demands, prices
    only as a median of at least five organisations)."""
    require(request.user, Action.READ, "civic_center.market")
    return render(
        request,
        "civic_center/coord_market.html",
        {
            "figures": selectors_board.market_figures(),
            "small": selectors_board.SMALL_CELL,
            "min_providers": selectors_board.MIN_PROVIDERS_FOR_PRICES,
            "min_demands": selectors_board.MIN_DEMANDS_FOR_CEILING,
        },
    )


# --- Matching runs ------------------------------------------------------------------------


def runnable_ambiti(user: Any) -> list[Ambito]:
    """The ambiti where the policy lets ``user`` start a matching run."""
    return [
        ambito
        for ambito in Ambito.objects.filter(is_active=True).order_by("name")
        if allowed(user, Action.CREATE, RUN, MatchingRun(ambito=ambito))
    ]


class RunForm(Styled):
    ambito = forms.ModelChoiceField(label=_("Ambito"), queryset=Ambito.objects.none())
    category = forms.ModelChoiceField(
        label=_("Service"),
        queryset=ServiceCategory.objects.filter(is_active=True),
        required=False,
        empty_label=_("All services"),
    )

    def __init__(self, *args: Any, ambiti: list[Ambito], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ambito"].queryset = Ambito.objects.filter(pk__in=[a.pk for a in ambiti])  # type: ignore[attr-defined]


def require_run_reader(request: HttpRequest) -> None:
    if scope(request.user, Action.LIST, RUN) is False:
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def run_list(request: HttpRequest) -> HttpResponse:
    """Start a run (POST) and the past runs of the ambiti the user runs the matching in."""
    require_run_reader(request)
    ambiti = runnable_ambiti(request.user)
    form = RunForm(request.POST if request.method == "POST" else None, ambiti=ambiti)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                run = services.run_request(
                    by=request.user,
                    ambito=form.cleaned_data["ambito"],
                    category=form.cleaned_data["category"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect(run.get_absolute_url())
        status = 400
    runs = (
        visible_to(request.user, RUN)
        .select_related("ambito", "category", "started_by")
        .order_by("-created_at")[:RUNS_SHOWN]
    )
    return render(
        request,
        "civic_center/coord_run_list.html",
        {"form": form, "runs": runs, "may_start": bool(ambiti)},
        status=status,
    )


def run_or_404(request: HttpRequest, pk: int) -> MatchingRun:
    require_run_reader(request)
    run = (
        visible_to(request.user, RUN, Action.READ)
        .select_related("ambito", "category", "started_by")
        .filter(pk=pk)
        .first()
    )
    if run is None:
        raise Http404(gettext("No such matching run."))
    return run


def run_context(request: HttpRequest, run: MatchingRun) -> dict[str, Any]:
    agreements: list[Any] = []
    if run.status == RunStatus.DONE:
        agreements = list(
            visible_to(request.user, "civic_center.agreement")
            .filter(run=run)
            .select_related("offer__organisation", "offer__category")
            .order_by("pk")
        )
    return {
        "run": run,
        "active": run.status in ACTIVE_RUN,
        # An unknown stage code is not shown (codes are not for people to read).
        "stage": STAGES.get(run.stage, ""),
        # The bar's width comes from a class (the CSP forbids style attributes), in steps of 5.
        "width": 5 * round(run.progress / 5),
        "agreements": [{"agreement": a, "why": a.explanation} for a in agreements],
    }


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = run_or_404(request, pk)
    return render(request, "civic_center/coord_run_detail.html", run_context(request, run))


@login_required
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress (and, once done, the results) of a run: the fragment htmx polls."""
    run = run_or_404(request, pk)
    return render(request, "civic_center/coord_run_detail.html#progress", run_context(request, run))


urlpatterns: list[URLPattern | URLResolver] = [
    path("bacheca/", board, name="board"),
    path("mercato/", market, name="market"),
    path("abbinamenti/", run_list, name="run_list"),
    path("abbinamenti/<int:pk>/", run_detail, name="run_detail"),
    path("abbinamenti/<int:pk>/stato/", run_status, name="run_status"),
]
