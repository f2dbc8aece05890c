"""The families' side of the Civic Center: what it is and its services (public), a
family's demand (asking for a service, its page with the group it is pooled in, the
answer to a group proposal, withdrawing it), an operator entering a demand for a family,
and the landing page of the link a family shares with its neighbours.

A demand the person may not see does not exist (404). Who may do what is the access
policy's business (``legami.policy``) and the services' (``civic_center.services``): the
pages only ask. A refused form comes back with the reasons under its fields, status 400,
and changes nothing; a refused button comes back as a message on the demand's page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civic_center import selectors, services, windows
from civic_center.forms import DemandForm, OnBehalfDemandForm, unit_label
from civic_center.models import (
    AgreementMember,
    AgreementStatus,
    Demand,
    DemandStatus,
    MemberStatus,
    ServiceCategory,
)
from legami.policy import Action, allowed, scope, visible_to

# A demand still alive: it can be shared with neighbours and withdrawn.
LIVE_DEMAND = (DemandStatus.OPEN, DemandStatus.PROPOSED, DemandStatus.AGREED)


# --- Helpers ------------------------------------------------------------------------------


def _money(amount: Any) -> str:
    return number_format(amount, 2)


def _add_service_errors(form: DemandForm, exc: ValidationError) -> None:
    """Show a service's refusal on the form, under the field it names if there is one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


DEMANDS_PER_PAGE = 30


def _may_enter_on_behalf(user: Any) -> bool:
    return allowed(user, "create", "civic_center.demand_on_behalf")


def pool_sentences(pool: Any) -> list[str]:
    """The pool status in words: how many families are in, the price now (or from how
    many families the group starts) and how many more families lower it, and to what.
    "You are 2 of the 5 families needed: 3 more families and the price falls to 9.00 €
    per hour." """
    if pool is None:
        return []
    unit = unit_label(str(pool.unit))
    sentences = []
    if pool.unit_price is not None:
        sentences.append(
            gettext(
                "Families asking for this service together: %(size)s. The price now is "
                "%(price)s € per %(unit)s."
            )
            % {"size": pool.size, "price": _money(pool.unit_price), "unit": unit}
        )
    else:
        sentences.append(
            ngettext(
                "The group starts from %(min)s family.",
                "The group starts from %(min)s families.",
                pool.min_group_size,
            )
            % {"min": pool.min_group_size}
        )
    if pool.next_missing and pool.next_price is not None:
        sentences.append(
            ngettext(
                "You are %(size)s of the %(target)s families needed: %(missing)s more family "
                "and the price falls to %(price)s € per %(unit)s.",
                "You are %(size)s of the %(target)s families needed: %(missing)s more families "
                "and the price falls to %(price)s € per %(unit)s.",
                pool.next_missing,
            )
            % {
                "size": pool.size,
                "target": pool.size + pool.next_missing,
                "missing": pool.next_missing,
                "price": _money(pool.next_price),
                "unit": unit,
            }
        )
    elif pool.next_missing:
        sentences.append(
            ngettext(
                "You are %(size)s of the %(target)s families needed: %(missing)s more family "
                "and the group can start.",
                "You are %(size)s of the %(target)s families needed: %(missing)s more families "
                "and the group can start.",
                pool.next_missing,
            )
            % {
                "size": pool.size,
                "target": pool.size + pool.next_missing,
                "missing": pool.next_missing,
            }
        )
    return sentences


def _schedule(member: AgreementMember, unit: str) -> list[str]:
    """The member's weekly split: "Monday, afternoon: 2 hour(s)" per window."""
    rows = []
    for key, units in sorted((member.split or {}).items(), key=lambda kv: int(kv[0])):
        rows.append(
            gettext("%(window)s: %(units)s × %(unit)s")
            % {"window": windows.label(int(key)), "units": number_format(units), "unit": unit}
        )
    return rows


def _prefill(inviting: Demand) -> dict[str, Any]:
    """What a neighbour's invitation fills in: the same service, comune and windows."""
    initial: dict[str, Any] = {
        "comune": inviting.comune_id,
        "windows": windows.indices_of(inviting.windows),
    }
    if inviting.category.is_active:
        initial["category"] = inviting.category.code
    return initial


# --- The Civic Center's front page ------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What the Civic Center is (families who buy a service together pay less), the
    services one can ask for with their units, and the way in: ask for a service, see
    one's own demands, enter a demand for a family (operators)."""
    categories = visible_to(request.user, ServiceCategory, "list").filter(is_active=True)
    return render(
        request,
        "civic_center/family_home.html",
        {
            "categories": [(c, unit_label(c.unit)) for c in categories],
            "on_behalf": _may_enter_on_behalf(request.user),
        },
    )


# --- Asking for a service ---------------------------------------------------------------------


def _lab_need(request: HttpRequest) -> Any:
    """The community-lab need named by ``?bisogno=<id>``, if the person may read it."""
    raw = request.GET.get("bisogno", "")
    if not raw.isdigit():
        return None
    return (
        visible_to(request.user, "labs.need", Action.READ)
        .select_related("comune")
        .filter(pk=int(raw))
        .first()
    )


def _demand_form_page(request: HttpRequest, *, on_behalf: bool) -> HttpResponse:
    token = "" if on_behalf else request.GET.get("invito", "")
    inviting = services.invitation_read(token) if token else None
    need = _lab_need(request)
    initial = _prefill(inviting) if inviting else {}
    if need is not None and need.comune_id and "comune" not in initial:
        initial["comune"] = need.comune_id
    form_class = OnBehalfDemandForm if on_behalf else DemandForm
    form = form_class(request.POST if request.method == "POST" else None, initial=initial or None)
    if request.method == "POST" and form.is_valid():
        try:
            demand = services.demand_create(
                by=request.user,
                on_behalf=on_behalf,
                invitation=token if inviting else None,
                lab_need=need,
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(
                request,
                gettext(
                    "The demand is saved. We will look for other families who need the same "
                    "service nearby and write when a group is possible."
                ),
            )
            return redirect(demand.get_absolute_url())
    return render(
        request,
        "civic_center/family_demand_form.html",
        {
            "form": form,
            "on_behalf": on_behalf,
            "inviting": inviting,
            "need": need,
            "bands": windows.BANDS,
        },
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def demand_create(request: HttpRequest) -> HttpResponse:
    """A family asks for a service. With ``?invito=<token>`` (the link a neighbour
    shared) the service, comune and windows are those of the neighbour's demand, and the
    new demand remembers who invited it. Whoever the policy does not let state a demand
    of their own (a provider's work account) is refused (403)."""
    if scope(request.user, Action.CREATE, "civic_center.demand") is False:
        raise PermissionDenied
    return _demand_form_page(request, on_behalf=False)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def demand_create_on_behalf(request: HttpRequest) -> HttpResponse:
    """An operator or coordinator enters a demand for a family, with the family's
    contacts; anybody else is refused (403)."""
    if not _may_enter_on_behalf(request.user):
        raise PermissionDenied
    return _demand_form_page(request, on_behalf=True)


# --- My demands -------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def demand_list(request: HttpRequest) -> HttpResponse:
    """The person's demands (their own, and those they entered for a family), latest
    first, each with its status; 30 a page (an operator may enter many)."""
    page = Paginator(selectors.family_demands(request.user), DEMANDS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "civic_center/family_demand_list.html",
        {
            "demands": page.object_list,
            "page": page,
            "on_behalf": _may_enter_on_behalf(request.user),
        },
    )


@never_cache
@login_required
@require_GET
def demand_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """A demand: what, where, when, how much; the group it is pooled in (how many
    families, the price now, how many more lower it); the link to share with neighbours;
    the group proposal with its answer buttons; the button to withdraw."""
    demand = selectors.demand_for(request.user, public_id)
    unit = unit_label(demand.category.unit)
    member = selectors.live_membership(demand)
    live = demand.status in LIVE_DEMAND
    # The pool says how close a group is; once a group is proposed, the group says it.
    pool = selectors.pool_status(demand) if live and member is None else None
    invitation_url = ""
    if live:
        invitation_url = request.build_absolute_uri(
            reverse("civic_center:invitation", args=[services.invitation_token(demand)])
        )
    agreement = member.agreement if member else None
    return render(
        request,
        "civic_center/family_demand_detail.html",
        {
            "demand": demand,
            "unit": unit,
            "windows_text": windows.describe(demand.windows),
            "pool": pool,
            "pool_sentences": pool_sentences(pool),
            "member": member,
            "agreement": agreement,
            "schedule": _schedule(member, unit) if member else [],
            "to_answer": bool(
                member
                and member.status == MemberStatus.PROPOSED
                and agreement
                and agreement.status == AgreementStatus.PROPOSED
            ),
            "waiting_provider": bool(
                member
                and member.status == MemberStatus.ACCEPTED
                and agreement
                and agreement.status == AgreementStatus.PROPOSED
            ),
            "confirmed": bool(agreement and agreement.status == AgreementStatus.CONFIRMED),
            "can_withdraw": live,
            "invitation_url": invitation_url,
        },
    )


# --- The buttons of a demand's page -----------------------------------------------------------


def _price_version(request: HttpRequest) -> int | None:
    """The agreement's price version the family saw (the accept form's hidden field), or
    None if the form did not send one."""
    raw = request.POST.get("price_version", "").strip()
    return int(raw) if raw.isdigit() else None


def _answer(request: HttpRequest, public_id: UUID, *, accept: bool) -> HttpResponse:
    demand = selectors.demand_for(request.user, public_id, action="change")
    member = selectors.live_membership(demand)
    if member is None or member.status != MemberStatus.PROPOSED:
        messages.error(request, gettext("There is no group proposal waiting for your answer."))
        return redirect(demand.get_absolute_url())
    try:
        if accept:
            services.member_accept(
                member=member, by=request.user, price_version=_price_version(request)
            )
        else:
            services.member_decline(member=member, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(demand.get_absolute_url())
    if accept:
        messages.success(
            request,
            gettext(
                "You accepted the group. The provider will now confirm it; we will write "
                "to you when it does."
            ),
        )
    else:
        messages.success(
            request,
            gettext("You declined the group. Your demand stays open for another group."),
        )
    return redirect(demand.get_absolute_url())


@login_required
@require_POST
def demand_accept(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The family accepts the group proposed to it, at the price it was shown: the form
    sends the agreement's ``price_version``, and if the price changed since the page was
    shown the service refuses; the message says so and nothing changes."""
    return _answer(request, public_id, accept=True)


@login_required
@require_POST
def demand_decline(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The family declines the group proposed to it."""
    return _answer(request, public_id, accept=False)


@login_required
@require_POST
def demand_withdraw(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The family withdraws its demand (and leaves any group it is in)."""
    demand = selectors.demand_for(request.user, public_id, action="change")
    try:
        services.demand_withdraw(demand=demand, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, gettext("Your demand is withdrawn."))
    return redirect(demand.get_absolute_url())


# --- A neighbour's invitation -----------------------------------------------------------------


@require_GET
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The page of the link a family shares: which service, where and when, why buying
    together pays, and the button to ask for the same. A link that is not (any more)
    valid says so, with status 404."""
    inviting = services.invitation_read(token)
    if inviting is None:
        return render(request, "civic_center/family_invitation_invalid.html", status=404)
    return render(
        request,
        "civic_center/family_invitation.html",
        {
            "inviting": inviting,
            "unit": unit_label(inviting.category.unit),
            "windows_text": windows.describe(inviting.windows),
            "create_url": reverse("civic_center:demand_create")
            + "?"
            + urlencode({"invito": token}),
        },
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("", home, name="home"),
    path("domande/", demand_list, name="demand_list"),
    path("domande/nuova/", demand_create, name="demand_create"),
    path("domande/per-una-famiglia/", demand_create_on_behalf, name="demand_create_on_behalf"),
    path("domande/<uuid:public_id>/", demand_detail, name="demand_detail"),
    path("domande/<uuid:public_id>/ritira/", demand_withdraw, name="demand_withdraw"),
    path("domande/<uuid:public_id>/accetta/", demand_accept, name="demand_accept"),
    path("domande/<uuid:public_id>/rifiuta/", demand_decline, name="demand_decline"),
    path("invito/<str:token>/", invitation, name="invitation"),
]
