"""The providers' pages of the Civic Center.

- Offers (partner staff): the offers of the organisations where the person is partner
  staff (``offer_list``), one form to create and change an offer with its comuni, price
  tiers, weekly capacity and joint partners (``offer_create``, ``offer_edit``), the
  offer's page with its prices and a worked example of its tiers (``offer_detail``), and
  publishing and withdrawing it (POST). A competitor's offer does not exist for them
  (404): its prices are read only by its own staff and the coordinators of its ambiti.
- ``market_demand``: the open demand of the ambiti the person's organisations serve,
  pseudonymised (a reference, service, comune, windows, period, quantity and price
  ceiling; never a name, an e-mail, a phone or an address), filtered by service and
  comune; htmx swaps the results.
- Agreements: those of the person's offers (and, for coordinators, of their ambiti) with
  the win-win figures of the list; an agreement's page with its schedule, members as
  pseudonyms, its own win-win figures once confirmed, the history, why the matching
  made it, and the families' contacts only once the group is confirmed and the family
  accepted. The lead organisation's staff
  confirm or cancel a proposed group.

A refused form comes back with its errors (summary on top, each under its field),
status 400, nothing saved; a refused action comes back on its page with the reason,
status 400. Anonymous visitors are sent to log in; roles without any of these records
are refused (403).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_http_methods, require_POST

from civic_center import pricing, selectors, services, windows
from civic_center.board import board_comuni
from civic_center.forms_offer import (
    MarketFilterForm,
    OfferForm,
    PartnerFormSet,
    TierFormSet,
    offer_initial,
    rows_initial,
)
from civic_center.models import (
    ACTIVE_MEMBER,
    Agreement,
    AgreementStatus,
    Offer,
    OfferStatus,
    Unit,
)
from legami.policy import Action, allowed, scope, subject_for, visible_to
from legami.roles import Role
from partners.models import Organisation

OFFER = "civic_center.offer"
AGREEMENT = "civic_center.agreement"
PAGE_SIZE = 30
NON_FIELD = "__all__"
MARKET_PAGE_SIZE = 50

# --- Helpers ------------------------------------------------------------------------------


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def staff_orgs(user: Any) -> frozenset[int]:
    return subject_for(user).orgs(Role.PARTNER_STAFF)


def require_partner_staff(request: HttpRequest) -> frozenset[int]:
    """The organisations where the user is partner staff; 403 if none."""
    orgs = staff_orgs(request.user)
    if not orgs:
        raise PermissionDenied
    return orgs


def offer_or_404(request: HttpRequest, public_id: Any, action: str = Action.READ) -> Offer:
    """The offer if the policy lets the user ``action`` it (prices included), else 404."""
    offer = (
        visible_to(request.user, OFFER, action)
        .select_related("organisation", "category")
        .prefetch_related("tiers", "capacity", "partners__organisation")
        .filter(public_id=public_id)
        .first()
    )
    if offer is None:
        raise Http404(gettext("No such offer, or it is not one of yours."))
    return offer


def creatable_organisations(user: Any) -> QuerySet[Organisation]:
    """The organisations ``user`` may create offers for (partner staff there)."""
    return Organisation.objects.filter(pk__in=staff_orgs(user), is_active=True).order_by("name")


# --- Offers -------------------------------------------------------------------------------


@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    """The offers of the user's organisations (as lead or joint partner), newest first."""
    orgs = require_partner_staff(request)
    offers = (
        visible_to(request.user, OFFER)
        .filter(Q(organisation__in=orgs) | Q(partners__organisation__in=orgs))
        .distinct()
        .select_related("organisation", "category")
        .order_by("-created_at")
    )
    page = Paginator(offers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "civic_center/provider_offer_list.html",
        {"page": page, "offers": page.object_list, "may_create": True},
    )


def _tiers_of(offer: Offer) -> tuple[pricing.Tier, ...]:
    return tuple(pricing.Tier(t.min_families, t.unit_price) for t in offer.tiers.all())


def worked_examples(offer: Offer) -> list[dict[str, Any]]:
    """What each family pays at the group sizes where a tier starts, and one more."""
    tiers = _tiers_of(offer)
    if not tiers or tiers[0].min_families != 1:
        return []
    sizes = sorted({t.min_families for t in tiers} | {tiers[-1].min_families + 1})
    if offer.max_group_size:
        sizes = [n for n in sizes if n <= offer.max_group_size]
    mode = pricing.Mode(offer.pricing_mode)
    single = tiers[0].unit_price
    rows = []
    for n in sizes:
        price = pricing.unit_price(tiers, mode, n)
        rows.append({"families": n, "price": price, "saving": single - price})
    return rows


def offer_context(request: HttpRequest, offer: Offer, **extra: Any) -> dict[str, Any]:
    capacity = {row.window: row.units for row in offer.capacity.all()}
    grid = [
        (
            day,
            [capacity.get(windows.index(d, b)) for b in range(len(windows.BANDS))],
        )
        for d, day in enumerate(windows.DAYS)
    ]
    changeable = allowed(request.user, Action.CHANGE, OFFER, offer)
    return {
        "offer": offer,
        "comuni": offer.comuni.select_related("ambito").order_by("ambito__name", "name"),
        "grid": grid,
        "bands": windows.BANDS_SHORT,
        "examples": worked_examples(offer),
        "changeable": changeable,
        "may_publish": changeable and offer.status != OfferStatus.PUBLISHED,
        "may_withdraw": changeable and offer.status == OfferStatus.PUBLISHED,
        **extra,
    }


@login_required
def offer_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    offer = offer_or_404(request, public_id)
    return render(request, "civic_center/provider_offer_detail.html", offer_context(request, offer))


def _offer_forms(
    request: HttpRequest, offer: Offer | None, organisations: QuerySet[Organisation]
) -> tuple[OfferForm, Any, Any]:
    data = request.POST if request.method == "POST" else None
    if offer is None:
        initial: dict[str, Any] = {}
        tiers_initial: list[dict[str, Any]] = [{"min_families": 1}]
        partners_initial: list[dict[str, Any]] = []
    else:
        initial = offer_initial(offer)
        tiers_initial = rows_initial(offer.tiers.all(), "min_families", "unit_price")
        partners_initial = [
            {"organisation": p.organisation_id, "share_percent": p.share_percent}
            for p in offer.partners.all()
        ]
    form = OfferForm(data, initial=initial, organisations=organisations)
    # Posted rows stand on their own: initial values would make a row left blank look
    # changed (and then required).
    if data is not None:
        tiers_initial = partners_initial = []
    tiers = TierFormSet(data, initial=tiers_initial or None, prefix="tiers")
    partners = PartnerFormSet(data, initial=partners_initial or None, prefix="partners")
    return form, tiers, partners


def _save_offer(
    request: HttpRequest, form: OfferForm, tiers: Any, partners: Any, offer: Offer | None
) -> Offer | None:
    """Call ``offer_save`` with the parsed input; its refusals go onto the forms."""
    data = form.cleaned_data
    try:
        return services.offer_save(
            by=request.user,
            organisation=offer.organisation if offer is not None else data["organisation"],
            offer=offer,
            title=data["title"],
            description=data["description"],
            category=data["category"],
            comuni=data["comuni"],
            pricing_mode=data["pricing_mode"],
            min_group_size=data["min_group_size"],
            max_group_size=data["max_group_size"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            tiers=[(row["min_families"], row["unit_price"]) for row in tiers.filled()],
            capacity=form.capacity(),
            partners=[(row["organisation"], row["share_percent"]) for row in partners.filled()],
        )
    except ValidationError as exc:
        errors: dict[str, list[ValidationError]] = (
            dict(exc.error_dict) if hasattr(exc, "error_dict") else {NON_FIELD: exc.error_list}
        )
        for name, errs in errors.items():
            messages_ = [m for e in errs for m in e.messages]
            if name == "tiers":
                tiers._non_form_errors = tiers.error_class(
                    [*tiers.non_form_errors(), *messages_], error_class="nonform"
                )
            elif name == "partners":
                partners._non_form_errors = partners.error_class(
                    [*partners.non_form_errors(), *messages_], error_class="nonform"
                )
            elif name == "capacity":
                form.capacity_problems = messages_  # type: ignore[attr-defined]
                form.add_error(None, messages_)
            else:
                form.add_error(name if name in form.fields else None, messages_)
        return None


def _offer_form_page(request: HttpRequest, offer: Offer | None) -> HttpResponse:
    if offer is None:
        organisations = creatable_organisations(request.user)
    else:
        organisations = Organisation.objects.filter(pk=offer.organisation_id)
    form, tiers, partners = _offer_forms(request, offer, organisations)
    status = 200
    if request.method == "POST":
        valid = all([form.is_valid(), tiers.is_valid(), partners.is_valid()])
        if valid:
            saved = _save_offer(request, form, tiers, partners, offer)
            if saved is not None:
                messages.success(request, gettext("The offer is saved."))
                return redirect(saved.get_absolute_url())
        status = 400
    tier_errors = bool(tiers.non_form_errors()) or any(f.errors for f in tiers.forms)
    partner_errors = bool(partners.non_form_errors()) or any(f.errors for f in partners.forms)
    return render(
        request,
        "civic_center/provider_offer_form.html",
        {
            "offer": offer,
            "form": form,
            "tiers": tiers,
            "partners": partners,
            "tier_errors": tier_errors,
            "partner_errors": partner_errors,
            "capacity_problems": getattr(form, "capacity_problems", []),
            "bands": windows.BANDS_SHORT,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def offer_create(request: HttpRequest) -> HttpResponse:
    require_partner_staff(request)
    if scope(request.user, Action.CREATE, OFFER) is False:
        raise PermissionDenied
    return _offer_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    offer = offer_or_404(request, public_id)
    if not allowed(request.user, Action.CHANGE, OFFER, offer):
        raise PermissionDenied
    return _offer_form_page(request, offer)


def _action(
    request: HttpRequest,
    public_id: Any,
    *,
    fetch: Any,
    name: str,
    call: Any,
    template: str,
    context: Any,
    done: str,
) -> HttpResponse:
    """A button on an offer's or a group's page: the service ``call`` on the record
    (``name`` is its keyword); a refusal re-renders the page with the reason (400)."""
    record = fetch(request, public_id)
    try:
        call(**{name: record}, by=request.user)
    except ValidationError as exc:
        record = fetch(request, public_id)
        return render(
            request,
            template,
            context(request, record, action_error=error_text(exc)),
            status=400,
        )
    messages.success(request, done)
    return redirect(record.get_absolute_url())


def _offer_action(request: HttpRequest, public_id: Any, call: Any, done: str) -> HttpResponse:
    return _action(
        request,
        public_id,
        fetch=offer_or_404,
        name="offer",
        call=call,
        template="civic_center/provider_offer_detail.html",
        context=offer_context,
        done=done,
    )


@login_required
@require_POST
def offer_publish(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _offer_action(
        request, public_id, services.offer_publish, gettext("The offer is published.")
    )


@login_required
@require_POST
def offer_withdraw(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _offer_action(
        request, public_id, services.offer_withdraw, gettext("The offer is withdrawn.")
    )


# --- Pseudonymised demand -----------------------------------------------------------------


def demand_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The selector's pseudonymised rows with labels for the table: the service in the
    language being spoken and the windows spelled out."""
    english = (get_language() or "it").startswith("en")
    return [
        {
            **r,
            "service": (r.get("category__name_en") if english else "")
            or r.get("category__name", ""),
            "windows_label": windows.describe(r.get("windows") or 0),
            "unit": Unit(r["category__unit"]).label if r.get("category__unit") else "",
        }
        for r in rows
    ]


@login_required
def market_demand(request: HttpRequest) -> HttpResponse:
    """The pseudonymised open demand the user may see (bounded: one page at a time)."""
    if scope(request.user, Action.LIST, "civic_center.demand_market") is False:
        raise PermissionDenied
    form = MarketFilterForm(request.GET or None, comuni=board_comuni(request.user))
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {
            "category": form.cleaned_data["category"],
            "comune": form.cleaned_data["comune"],
        }
    qs = selectors.market_demand(request.user, **filters)
    page = Paginator(qs, MARKET_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": demand_rows(list(page.object_list)),
        "query": _query_without_page(request),
    }
    template = "civic_center/provider_market_demand.html"
    if is_htmx(request):
        template += "#results"
    # A filter value that is not one of the choices is a bad request (shown on the form).
    return render(request, template, context, status=400 if form.errors else 200)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Agreements ---------------------------------------------------------------------------


def require_provider_role(request: HttpRequest) -> None:
    """The agreements' list is a page of those who work the market (providers and the
    coordinators who run the matching): whoever the policy lets see open demand."""
    if scope(request.user, Action.LIST, "civic_center.demand_market") is False:
        raise PermissionDenied


@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    """Agreements of the user's offers (and of the ambiti they coordinate), with the
    win-win figures of all of them."""
    require_provider_role(request)
    agreements = visible_to(request.user, AGREEMENT).order_by("-created_at")
    status = request.GET.get("status")
    if status in AgreementStatus.values:
        agreements = agreements.filter(status=status)
    page = Paginator(
        agreements.select_related("offer__organisation", "offer__category"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "civic_center/provider_agreement_list.html",
        {
            "page": page,
            "agreements": page.object_list,
            "figures": selectors.figures(agreements),
            "statuses": AgreementStatus.choices,
            "status": status,
            "query": _query_without_page(request),
        },
    )


def agreement_or_404(request: HttpRequest, public_id: Any) -> Agreement:
    return selectors.agreement_for(request.user, public_id)


def schedule_of(members: list[Any]) -> list[dict[str, Any]]:
    """The windows of the group with the units summed over its live members."""
    totals: dict[int, Decimal] = {}
    for member in members:
        if member.status not in ACTIVE_MEMBER:
            continue
        for window, units in (member.split or {}).items():
            totals[int(window)] = totals.get(int(window), Decimal(0)) + Decimal(str(units))
    return [{"window": windows.label(w), "units": u} for w, u in sorted(totals.items())]


def agreement_figures(agreement: Agreement) -> dict[str, Any]:
    """The win-win figures of a confirmed agreement (those of the agreement list, for
    this group alone), with the unit its purchases are counted in when it is not hours;
    nothing for a group not confirmed (one query when confirmed)."""
    if agreement.status != AgreementStatus.CONFIRMED:
        return {}
    unit = agreement.offer.category.unit
    return {
        "figures": selectors.figures(Agreement.objects.filter(pk=agreement.pk)),
        "figures_unit": "" if unit == Unit.HOUR else Unit(unit).label,
    }


def agreement_context(request: HttpRequest, agreement: Agreement, **extra: Any) -> dict[str, Any]:
    members = list(agreement.members.all())
    may_change = agreement.status == AgreementStatus.PROPOSED and allowed(
        request.user, Action.CHANGE, AGREEMENT, agreement
    )
    return {
        **agreement_figures(agreement),
        "agreement": agreement,
        "members": members,
        "schedule": schedule_of(members),
        "events": list(agreement.events.all()),
        "contacts": selectors.agreement_contacts(request.user, agreement),
        "why": agreement.explanation,
        "may_change": may_change,
        "saving": agreement.single_family_price - agreement.unit_price,
        **extra,
    }


@login_required
def agreement_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    agreement = agreement_or_404(request, public_id)
    return render(
        request,
        "civic_center/provider_agreement_detail.html",
        agreement_context(request, agreement),
    )


def _agreement_action(request: HttpRequest, public_id: Any, call: Any, done: str) -> HttpResponse:
    return _action(
        request,
        public_id,
        fetch=agreement_or_404,
        name="agreement",
        call=call,
        template="civic_center/provider_agreement_detail.html",
        context=agreement_context,
        done=done,
    )


@login_required
@require_POST
def agreement_confirm(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _agreement_action(
        request, public_id, services.agreement_confirm, gettext("The group is confirmed.")
    )


@login_required
@require_POST
def agreement_cancel(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _agreement_action(
        request, public_id, services.agreement_cancel, gettext("The group is cancelled.")
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("offerte/", offer_list, name="offer_list"),
    path("offerte/nuova/", offer_create, name="offer_create"),
    path("offerte/<uuid:public_id>/", offer_detail, name="offer_detail"),
    path("offerte/<uuid:public_id>/modifica/", offer_edit, name="offer_edit"),
    path("offerte/<uuid:public_id>/pubblica/", offer_publish, name="offer_publish"),
    path("offerte/<uuid:public_id>/ritira/", offer_withdraw, name="offer_withdraw"),
    path("domanda-aperta/", market_demand, name="market_demand"),
    path("accordi/", agreement_list, name="agreement_list"),
    path("accordi/<uuid:public_id>/", agreement_detail, name="agreement_detail"),
    path("accordi/<uuid:public_id>/conferma/", agreement_confirm, name="agreement_confirm"),
    path("accordi/<uuid:public_id>/annulla/", agreement_cancel, name="agreement_cancel"),
]
