"""Pages of the needs board and of interventions (services: ``labs.services.needs``).

- The board of a lab (``need_board``) is public while the lab is under way: its needs,
  the most supported first, filtered by category and status; people with an account
  post needs there and support them. Supporting and withdrawing support are POSTs that
  answer with the need's card when htmx asks (the page works without JavaScript: a
  redirect back to the board). The lab's runners also move needs along the board from
  the cards, and merge, pass on and answer them from the need's page.
- A need's page (``need_detail``): the need, where it stands, the interventions that
  answer it; for the runners, the controls to merge it and to pass it to a social
  service with the person's consent.
- Interventions are designed and changed by the lab's runners.
- ``referred_needs``: for service coordinators, the needs passed to their
  organisations, with the "taken in" button (the intake itself is opened in the case
  file, with the channel "community lab").

A refused action changes nothing and says why: inline in the card for htmx (status 200,
as htmx swaps only successful answers), else on the need's page with status 400. Who
may not see a lab or a need is told it does not exist (404); who sees it but may not do
the action is refused (403); a visitor who must log in is sent to log in.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from labs.forms_needs import (
    InterventionForm,
    NeedFilterForm,
    NeedMergeForm,
    NeedPostForm,
    NeedReferForm,
    NeedStatusForm,
)
from labs.models import Intervention, Lab, LabStatus, Need, NeedStatus
from labs.services import needs as services
from legami.forms import add_service_errors
from legami.policy import Action, allowed, scope, visible_to

PAGE_SIZE = 30

# --- Helpers ------------------------------------------------------------------------------


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def url_if_any(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def lab_or_404(request: HttpRequest, slug: str) -> Lab:
    """The lab, if the user may see it (a planned lab only for its runners)."""
    lab = visible_to(request.user, Lab, Action.READ).filter(slug=slug).first()
    if lab is None:
        raise Http404(gettext("No such lab."))
    return lab


def need_or_404(request: HttpRequest, lab: Lab, pk: int) -> Need:
    need = (
        visible_to(request.user, Need, Action.READ)
        .filter(lab=lab, pk=pk)
        .select_related("lab", "comune", "merged_into", "referred_to")
        .first()
    )
    if need is None:
        raise Http404(gettext("No such need on this board."))
    return need


def runner_lab_or_404(request: HttpRequest, slug: str) -> Lab:
    lab = lab_or_404(request, slug)
    if not services.can_run(request.user, lab):
        raise PermissionDenied
    return lab


def card_context(
    request: HttpRequest, lab: Lab, need: Need, *, runs: bool, supported: set[int]
) -> dict[str, Any]:
    return {
        "lab": lab,
        "need": need,
        "runs": runs,
        "supported": need.pk in supported,
        "open": lab.status != LabStatus.CLOSED,
        "moves": [(s, NeedStatus(s).label) for s in services.allowed_moves(need)] if runs else [],
    }


def card_response(
    request: HttpRequest, lab: Lab, need: Need, *, error: str = "", done: str = ""
) -> HttpResponse:
    """The need's card for htmx (always 200), with what happened or why not."""
    need = need_or_404(request, lab, need.pk)
    context = card_context(
        request,
        lab,
        need,
        runs=services.can_run(request.user, lab),
        supported=services.supported_by(request.user, [need]),
    )
    context.update(
        card_error=error, card_done=done, from_detail=request.POST.get("from") == "detail"
    )
    return render(request, "labs/partials/needs_card.html", context)


def _after_card_action(
    request: HttpRequest, lab: Lab, need: Need, call: Any, done: str
) -> HttpResponse:
    """Run ``call()`` for a card button. htmx: the card again. Otherwise back to where
    the button was (the board, or the need's page), or the need's page with the refusal
    and status 400."""
    try:
        call()
    except ValidationError as exc:
        if is_htmx(request):
            return card_response(request, lab, need, error=error_text(exc))
        return detail_response(request, lab, need, card_error=error_text(exc), status=400)
    if is_htmx(request):
        return card_response(request, lab, need, done=done)
    messages.success(request, done)
    if request.POST.get("from") == "detail":
        return redirect("labs:need_detail", slug=lab.slug, pk=need.pk)
    return redirect(reverse("labs:need_board", args=[lab.slug]) + f"#need-{need.pk}")


# --- The board ------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def need_board(request: HttpRequest, slug: str) -> HttpResponse:
    """The lab's needs, the most supported first; a person with an account posts one
    (POST), and is taken to it."""
    lab = lab_or_404(request, slug)
    form: NeedPostForm | None = None
    status = 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if scope(request.user, Action.CREATE, Need) is False:
            raise PermissionDenied
        form = NeedPostForm(request.POST, lab=lab, auto_id="need-%s")
        if form.is_valid():
            try:
                need = services.need_post(lab=lab, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, gettext("Your need is on the board."))
                return redirect("labs:need_detail", slug=lab.slug, pk=need.pk)
        status = 400
    return board_response(request, lab, form=form, status=status)


def board_response(
    request: HttpRequest, lab: Lab, *, form: NeedPostForm | None = None, status: int = 200
) -> HttpResponse:
    filters = NeedFilterForm(request.GET or None, auto_id="filter-%s")
    chosen: dict[str, str] = {}
    if filters.is_bound and filters.is_valid():
        chosen = {k: v for k, v in filters.cleaned_data.items() if v}
    needs = services.needs_filter(
        visible_to(request.user, Need, Action.LIST).filter(lab=lab).select_related("comune"),
        **chosen,
    ).order_by("-votes_count", "-created_at", "-id")
    page = Paginator(needs, PAGE_SIZE).get_page(request.GET.get("page"))
    runs = services.can_run(request.user, lab)
    supported = services.supported_by(request.user, page.object_list)
    cards = [
        card_context(request, lab, need, runs=runs, supported=supported)
        for need in page.object_list
    ]
    open_ = lab.status != LabStatus.CLOSED
    if form is None and open_ and request.user.is_authenticated:
        form = NeedPostForm(lab=lab, auto_id="need-%s")
    interventions = (
        visible_to(request.user, Intervention, Action.LIST)
        .filter(lab=lab)
        .select_related("owner")
        .prefetch_related(Prefetch("needs", queryset=Need.objects.only("pk", "title", "lab_id")))
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "labs/needs_board.html",
        {
            "lab": lab,
            "cards": cards,
            "page": page,
            "filters": filters,
            "filtered": bool(chosen),
            "query": query.urlencode(),
            "form": form,
            "open": open_,
            "runs": runs,
            "interventions": interventions,
        },
        status=status,
    )


# --- A need's page --------------------------------------------------------------------------


def detail_response(
    request: HttpRequest,
    lab: Lab,
    need: Need,
    *,
    merge_form: NeedMergeForm | None = None,
    refer_form: NeedReferForm | None = None,
    card_error: str = "",
    status: int = 200,
) -> HttpResponse:
    need = need_or_404(request, lab, need.pk)
    runs = services.can_run(request.user, lab)
    context: dict[str, Any] = {
        **card_context(
            request, lab, need, runs=runs, supported=services.supported_by(request.user, [need])
        ),
        "card_error": card_error,
        "from_detail": True,
        "interventions": visible_to(request.user, Intervention, Action.LIST)
        .filter(needs=need)
        .select_related("owner"),
        "merged": need.merged.only("pk", "title", "lab_id"),
    }
    if runs and need.status != NeedStatus.MERGED:
        context["merge_form"] = merge_form or NeedMergeForm(need=need, auto_id="merge-%s")
        if need.referred_to_id is None:
            context["refer_form"] = refer_form or NeedReferForm(lab=lab, auto_id="refer-%s")
    return render(request, "labs/needs_detail.html", context, status=status)


@never_cache
@require_http_methods(["GET"])
def need_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    lab = lab_or_404(request, slug)
    return detail_response(request, lab, need_or_404(request, lab, pk))


@login_required
@require_POST
def need_vote(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    lab = lab_or_404(request, slug)
    need = need_or_404(request, lab, pk)
    return _after_card_action(
        request,
        lab,
        need,
        lambda: services.need_vote(need=need, actor=request.user),
        gettext("You support this need."),
    )


@login_required
@require_POST
def need_unvote(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    lab = lab_or_404(request, slug)
    need = need_or_404(request, lab, pk)
    return _after_card_action(
        request,
        lab,
        need,
        lambda: services.need_unvote(need=need, actor=request.user),
        gettext("You no longer support this need."),
    )


@login_required
@require_POST
def need_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    lab = runner_lab_or_404(request, slug)
    need = need_or_404(request, lab, pk)
    form = NeedStatusForm(request.POST)
    to = form.cleaned_data["to"] if form.is_valid() else ""

    def call() -> None:
        if not to:
            raise ValidationError(gettext("Choose a status of the board."))
        services.need_set_status(need=need, to=to, actor=request.user)

    label = NeedStatus(to).label if to else ""
    return _after_card_action(
        request, lab, need, call, gettext("The need is now “%(status)s”.") % {"status": label}
    )


@login_required
@require_POST
def need_merge(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    lab = runner_lab_or_404(request, slug)
    need = need_or_404(request, lab, pk)
    form = NeedMergeForm(request.POST, need=need, auto_id="merge-%s")
    if form.is_valid():
        try:
            into = services.need_merge(
                duplicate=need, into=form.cleaned_data["into"], actor=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("The need has been merged: its supporters now support this one."),
            )
            return redirect("labs:need_detail", slug=lab.slug, pk=into.pk)
    return detail_response(request, lab, need, merge_form=form, status=400)


@login_required
@require_POST
def need_refer(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    lab = runner_lab_or_404(request, slug)
    need = need_or_404(request, lab, pk)
    form = NeedReferForm(request.POST, lab=lab, auto_id="refer-%s")
    if form.is_valid():
        try:
            services.need_refer(need=need, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("The need has been passed to %(organisation)s.")
                % {"organisation": form.cleaned_data["organisation"]},
            )
            return redirect("labs:need_detail", slug=lab.slug, pk=need.pk)
    return detail_response(request, lab, need, refer_form=form, status=400)


# --- Interventions --------------------------------------------------------------------------


def _intervention_page(
    request: HttpRequest, lab: Lab, form: InterventionForm, intervention: Intervention | None
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if intervention is None:
                services.intervention_create(lab=lab, actor=request.user, **data)
            else:
                services.intervention_update(intervention=intervention, actor=request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The intervention has been saved."))
            return redirect(reverse("labs:need_board", args=[lab.slug]) + "#interventions")
    return render(
        request,
        "labs/needs_intervention_form.html",
        {"lab": lab, "form": form, "intervention": intervention},
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def intervention_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Design an intervention of the lab, answering some of its needs: its runners."""
    lab = runner_lab_or_404(request, slug)
    form = InterventionForm(
        request.POST if request.method == "POST" else None, lab=lab, auto_id="intervention-%s"
    )
    return _intervention_page(request, lab, form, None)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def intervention_edit(request: HttpRequest, pk: int) -> HttpResponse:
    intervention = get_object_or_404(
        visible_to(request.user, Intervention, Action.READ).select_related("lab"), pk=pk
    )
    if not allowed(request.user, Action.CHANGE, intervention):
        raise PermissionDenied
    lab = intervention.lab
    form = InterventionForm(
        request.POST if request.method == "POST" else None,
        lab=lab,
        initial=InterventionForm.initial_for(intervention),
        auto_id="intervention-%s",
    )
    return _intervention_page(request, lab, form, intervention)


# --- Needs passed to a social service -------------------------------------------------------


def _require_coordinator(request: HttpRequest) -> None:
    """Those the policy gives needs passed to a service (its coordinators)."""
    if scope(request.user, Action.LIST, "labs.need_referral") is False:
        raise PermissionDenied


def referred_response(
    request: HttpRequest, *, error: str = "", error_pk: int | None = None, status: int = 200
) -> HttpResponse:
    needs = services.referred_needs(user=request.user)
    return render(
        request,
        "labs/needs_referred.html",
        {
            "needs": needs,
            "error": error,
            "error_pk": error_pk,
            "person_create": url_if_any("beneficiaries:person_create"),
        },
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET"])
def referred_needs(request: HttpRequest) -> HttpResponse:
    """The needs passed to the organisations the user coordinates."""
    _require_coordinator(request)
    return referred_response(request)


@login_required
@require_POST
def need_referral_taken(request: HttpRequest, pk: int) -> HttpResponse:
    _require_coordinator(request)
    need = services.referred_needs(user=request.user).filter(pk=pk).first()
    if need is None:
        raise Http404(gettext("No such need was passed to your organisation."))
    try:
        services.need_referral_taken(need=need, actor=request.user)
    except ValidationError as exc:
        return referred_response(request, error=error_text(exc), error_pk=need.pk, status=400)
    messages.success(
        request,
        gettext(
            "The need is taken in. Open the intake in the case file, with the channel "
            "“community lab”."
        ),
    )
    return redirect("labs:referred_needs")


N = "<slug:slug>/needs/<int:pk>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("referred-needs/", referred_needs, name="referred_needs"),
    path("referred-needs/<int:pk>/taken/", need_referral_taken, name="need_referral_taken"),
    path("interventions/<int:pk>/edit/", intervention_edit, name="intervention_edit"),
    path("<slug:slug>/needs/", need_board, name="need_board"),
    path(N, need_detail, name="need_detail"),
    path(N + "support/", need_vote, name="need_vote"),
    path(N + "unsupport/", need_unvote, name="need_unvote"),
    path(N + "status/", need_status, name="need_status"),
    path(N + "merge/", need_merge, name="need_merge"),
    path(N + "refer/", need_refer, name="need_refer"),
    path("<slug:slug>/interventions/new/", intervention_create, name="intervention_create"),
]
