"""The desk's campaign pages, under /fundraising/gestione/campagne/: the list, a
campaign's page (progress, totals, matching pledges and their conditions, images, news,
costs), writing and changing it, publishing and closing it, its images, news, pledges
and costs, and its account (rendiconto) with the XLSX download; and, public, the
account of each closed campaign at /fundraising/campagne/<slug>/rendiconto/.

Who: the fundraisers of the collecting organisation change its campaigns; network
administrators read every campaign and change nothing; anybody else is refused (403).
A campaign of another organisation is not on one's desk (404), even when its public
page is everybody's. Every change goes through fundraising.services.campaigns: a refused
change comes back on its form with status 400 and changes nothing.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fundraising import matching
from fundraising.forms_campaigns import (
    CampaignFilterForm,
    CampaignForm,
    CostForm,
    ImageForm,
    PledgeForm,
    UpdateForm,
)
from fundraising.models import (
    Campaign,
    CampaignCost,
    CampaignImage,
    CampaignStatus,
    MatchingPledge,
)
from fundraising.receipt_pdf import euro as money
from fundraising.selectors import (
    campaign_account,
    campaign_gifts_by_method,
    campaign_pledged_total,
    campaign_progress,
    campaign_totals,
    campaigns_progress,
    desk_campaigns,
    donor_wall,
    updates_mailed,
)
from fundraising.services import campaigns as services
from fundraising.views.manage import desk_orgs, may_change_any, me, require_desk
from fundraising.views.public import bar, condition_text, days_left_text, ratio_text
from legami.audit import audit_export
from legami.exports import safe_text
from legami.forms import add_service_errors
from legami.policy import Action, allowed, visible_to

PER_PAGE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --- Helpers ------------------------------------------------------------------------------


def campaign_or_404(request: HttpRequest, slug: str) -> Campaign:
    """A campaign on the person's desk (403 for who has no desk, 404 for a campaign of
    another organisation)."""
    require_desk(request)
    campaign = (
        desk_campaigns(request.user)
        .select_related("organisation", "intervention__lab", "ambito")
        .filter(slug=slug)
        .first()
    )
    if campaign is None:
        raise Http404(gettext("No such campaign on your desk."))
    return campaign


def may_change(request: HttpRequest, campaign: Campaign) -> bool:
    return allowed(request.user, Action.CHANGE, campaign)


def require_change(request: HttpRequest, campaign: Campaign) -> None:
    """Network administrators read the desk; its forms are the fundraisers' (403)."""
    if not may_change(request, campaign):
        raise PermissionDenied


def to_campaign(campaign: Campaign) -> HttpResponse:
    return redirect("fundraising:manage_campaign", slug=campaign.slug)


def _form_page(
    request: HttpRequest,
    campaign: Campaign | None,
    form: BaseForm,
    *,
    title: str,
    submit: str,
    multipart: bool = False,
    intro: str = "",
) -> HttpResponse:
    """A desk form on its own page: 200 when shown, 400 when it comes back refused."""
    return render(
        request,
        "fundraising/manage/campaign_form.html",
        {
            "campaign": campaign,
            "form": form,
            "title": title,
            "submit": submit,
            "multipart": multipart,
            "intro": intro,
        },
        status=400 if form.is_bound else 200,
    )


# --- The list -----------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The campaigns on the desk, the latest first, with a status filter and each
    campaign's progress (a page costs the same queries whatever its length)."""
    require_desk(request)
    filters = CampaignFilterForm(request.GET or None)
    if filters.is_bound and not filters.is_valid():
        return render(
            request,
            "fundraising/manage/campaign_list.html",
            {"filters": filters, "rows": [], "page": None},
            status=400,
        )
    qs = desk_campaigns(request.user).select_related("organisation")
    status = filters.cleaned_data.get("status") if filters.is_bound else ""
    if status:
        qs = qs.filter(status=status)
    qs = campaign_totals(
        qs.prefetch_related(
            Prefetch("matching_pledges", MatchingPledge.objects.order_by("created_at", "pk"))
        ).order_by("-starts_on", "-pk")
    )
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    campaigns = list(page.object_list)
    today = timezone.localdate()
    progress = campaigns_progress(campaigns, today=today)
    rows = [
        {"campaign": c, "bar": bar(progress[c.pk]), "when": days_left_text(c, today)}
        for c in campaigns
    ]
    orgs = desk_orgs(request.user)
    first = orgs.first()
    return render(
        request,
        "fundraising/manage/campaign_list.html",
        {
            "filters": filters,
            "rows": rows,
            "page": page,
            "status": status or "",
            "can_create": first is not None
            and allowed(request.user, Action.CREATE, Campaign(organisation=first)),
        },
    )


# --- Writing a campaign -------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    """A new campaign, as a draft, for one of the organisations the person raises funds
    for."""
    require_desk(request)
    orgs = desk_orgs(request.user)
    if not may_change_any(request.user) or not orgs.exists():
        raise PermissionDenied
    form = CampaignForm(
        request.POST if request.method == "POST" else None, user=request.user, organisations=orgs
    )
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                by=me(request), organisation=form.cleaned_data["organisation"], **form.values()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("The campaign “%(title)s” is saved as a draft.") % {"title": campaign},
            )
            return to_campaign(campaign)
    return _form_page(
        request,
        None,
        form,
        title=gettext("New campaign"),
        submit=gettext("Save the draft"),
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Change a campaign's words, goal, dates and what it funds (not once closed)."""
    campaign = campaign_or_404(request, slug)
    require_change(request, campaign)
    initial = {
        name: getattr(campaign, name)
        for name in ("slug", "title", "summary", "story", "goal", "starts_on", "ends_on")
    }
    initial.update({"intervention": campaign.intervention_id, "ambito": campaign.ambito_id})
    form = CampaignForm(
        request.POST if request.method == "POST" else None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_update(campaign=campaign, by=me(request), **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The campaign is saved."))
            return to_campaign(campaign)
    return _form_page(
        request,
        campaign,
        form,
        title=gettext("Change the campaign “%(title)s”") % {"title": campaign.title},
        submit=gettext("Save the campaign"),
    )


def _state_change(request: HttpRequest, slug: str, change: Any, done: str) -> HttpResponse:
    campaign = campaign_or_404(request, slug)
    require_change(request, campaign)
    try:
        change(campaign=campaign, by=me(request))
    except ValidationError as exc:
        return _detail(request, campaign, refusal=exc, status=400)
    messages.success(request, done)
    return to_campaign(campaign)


@never_cache
@login_required
@require_POST
def campaign_publish(request: HttpRequest, slug: str) -> HttpResponse:
    """draft → published: the page becomes public and collects gifts."""
    return _state_change(
        request, slug, services.campaign_publish, gettext("The campaign is published.")
    )


@never_cache
@login_required
@require_POST
def campaign_close(request: HttpRequest, slug: str) -> HttpResponse:
    """published → closed: no more gifts; its public account is shown."""
    return _state_change(request, slug, services.campaign_close, gettext("The campaign is closed."))


# --- A campaign's page --------------------------------------------------------------------


def _pledge_rows(campaign: Campaign, progress: matching.Matching) -> list[dict[str, Any]]:
    pledges = list(
        campaign.matching_pledges.select_related("funder", "campaign").order_by("created_at", "pk")
    )
    return [
        {
            "funder": pledge.funder,
            "ratio": ratio_text(pledge.ratio),
            "cap": money(pledge.cap),
            "matched": money(result.matched),
            "condition": condition_text(pledge, result),
            "state": result.state.value,
        }
        for pledge, result in zip(pledges, progress.pledges, strict=True)
    ]


def _refusal_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for errors in exc.error_dict.values() for e in errors for m in e.messages]
    return [str(m) for m in exc.messages]


def _detail(
    request: HttpRequest,
    campaign: Campaign,
    *,
    refusal: ValidationError | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    progress = campaign_progress(campaign, today=today)
    totals = campaign_totals(campaign)
    updates = list(campaign.updates.order_by("-published_at", "-pk"))
    mailed = updates_mailed([u.pk for u in updates])
    costs = list(campaign.costs.order_by("date", "pk"))
    can_change = may_change(request, campaign)
    return render(
        request,
        "fundraising/manage/campaign_detail.html",
        {
            "campaign": campaign,
            "bar": bar(progress),
            "when": days_left_text(campaign, today),
            "goal": money(campaign.goal),
            "raised": money(progress.raised),
            "matched_due": money(progress.due),
            "matched_counting": money(progress.counting),
            "pledged": money(campaign_pledged_total(campaign)),
            "totals": totals,
            "pledges": _pledge_rows(campaign, progress),
            "images": list(campaign.images.all()),
            "updates": [{"update": u, "mailed": mailed.get(u.pk)} for u in updates],
            "costs": [{"cost": c, "amount": money(c.amount)} for c in costs],
            "costs_total": money(sum((c.amount for c in costs), Decimal("0.00"))),
            "can_change": can_change,
            "open": can_change and campaign.status != CampaignStatus.CLOSED,
            "refusal": _refusal_messages(refusal) if refusal is not None else [],
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A campaign on the desk: where it stands and everything that makes it."""
    return _detail(request, campaign_or_404(request, slug))


# --- Images, news, pledges, costs ---------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def image_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Add an image to the public page (PNG, JPEG or WebP, with its text alternative)."""
    campaign = campaign_or_404(request, slug)
    require_change(request, campaign)
    form = ImageForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.image_add(
                campaign=campaign,
                by=me(request),
                image=form.cleaned_data["image"],
                alt_text=form.cleaned_data["alt_text"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The image is added."))
            return to_campaign(campaign)
    return _form_page(
        request,
        campaign,
        form,
        title=gettext("Add an image"),
        submit=gettext("Add the image"),
        multipart=True,
    )


def _image_or_404(campaign: Campaign, pk: int) -> CampaignImage:
    image = campaign.images.filter(pk=pk).first()
    if image is None:
        raise Http404(gettext("No such image."))
    image.campaign = campaign
    return image


@never_cache
@login_required
@require_POST
def image_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Take an image off the public page (its file is deleted)."""
    campaign = campaign_or_404(request, slug)
    image = _image_or_404(campaign, pk)
    require_change(request, campaign)
    services.image_remove(image=image, by=me(request))
    messages.success(request, gettext("The image is removed."))
    return to_campaign(campaign)


@never_cache
@login_required
@require_POST
def image_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Move an image one place earlier (``direction=up``) or later (``down``)."""
    campaign = campaign_or_404(request, slug)
    image = _image_or_404(campaign, pk)
    require_change(request, campaign)
    direction = request.POST.get("direction")
    if direction not in {"up", "down"}:
        refusal = ValidationError(gettext("Say where to move the image: up or down."))
        return _detail(request, campaign, refusal=refusal, status=400)
    services.image_move(image=image, by=me(request), up=direction == "up")
    messages.success(request, gettext("The images are in their new order."))
    return to_campaign(campaign)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def update_post(request: HttpRequest, slug: str) -> HttpResponse:
    """Post news on the campaign's page; also by e-mail to the donors who consented."""
    campaign = campaign_or_404(request, slug)
    require_change(request, campaign)
    form = UpdateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            update = services.update_post(campaign=campaign, by=me(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if update.send_by_email:
                done = gettext(
                    "The news is posted; the e-mail to the donors who agreed is on its way."
                )
            else:
                done = gettext("The news is posted.")
            messages.success(request, done)
            return to_campaign(campaign)
    return _form_page(
        request,
        campaign,
        form,
        title=gettext("Post news"),
        submit=gettext("Post the news"),
        intro=gettext(
            "The e-mail goes once, to the donors of %(organisation)s who agreed to hear "
            "from it and have an e-mail address, each in their language."
        )
        % {"organisation": campaign.organisation.name},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def pledge_add(request: HttpRequest, slug: str) -> HttpResponse:
    """A funder's matching pledge (not once the campaign is closed)."""
    campaign = campaign_or_404(request, slug)
    require_change(request, campaign)
    form = PledgeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pledge_add(campaign=campaign, by=me(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The matching pledge is added."))
            return to_campaign(campaign)
    return _form_page(
        request,
        campaign,
        form,
        title=gettext("Add a matching pledge"),
        submit=gettext("Add the pledge"),
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def cost_add(request: HttpRequest, slug: str) -> HttpResponse:
    """A cost of the campaign, for its account (also once closed: invoices come late)."""
    campaign = campaign_or_404(request, slug)
    require_change(request, campaign)
    form = CostForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cost_add(campaign=campaign, by=me(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The cost is added to the account."))
            return to_campaign(campaign)
    return _form_page(
        request, campaign, form, title=gettext("Add a cost"), submit=gettext("Add the cost")
    )


@never_cache
@login_required
@require_POST
def cost_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Take a cost entered by mistake off the account."""
    campaign = campaign_or_404(request, slug)
    cost = CampaignCost.objects.filter(campaign=campaign, pk=pk).first()
    if cost is None:
        raise Http404(gettext("No such cost."))
    require_change(request, campaign)
    cost.campaign = campaign
    services.cost_remove(cost=cost, by=me(request))
    messages.success(request, gettext("The cost is removed from the account."))
    return to_campaign(campaign)


# --- The account (rendiconto) -------------------------------------------------------------


def _account_context(campaign: Campaign) -> dict[str, Any]:
    """The figures of a campaign's account, each also as Italians write euro."""
    today = timezone.localdate()
    account = campaign_account(campaign, today=today)
    progress = campaign_progress(campaign, today=today)
    totals = campaign_totals(campaign)
    pledges = list(
        campaign.matching_pledges.select_related("funder", "campaign").order_by("created_at", "pk")
    )
    return {
        "campaign": campaign,
        "account": account,
        "gifts": money(account.gifts),
        "matched_due": money(account.matched_due),
        "income": money(account.income),
        "costs_total": money(account.costs_total),
        "net": money(account.net),
        "methods": [
            {"label": m.label, "gifts": m.gifts, "amount": money(m.amount)}
            for m in campaign_gifts_by_method(campaign)
        ],
        "funders": [
            {
                "funder": pledge.funder,
                "condition": condition_text(pledge, result),
                "amount": money(result.matched),
                "due": result.state is matching.PledgeState.DUE,
            }
            for pledge, result in zip(pledges, progress.pledges, strict=True)
        ],
        "costs": [{"cost": c, "amount": money(c.amount)} for c in account.costs],
        "donors": totals.donors,
        "gifts_count": totals.gifts,
    }


@never_cache
@login_required
@require_GET
def campaign_account_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaign's account on the desk: income by method, the funders' matched funds,
    the costs, the balance; and what is still pledged."""
    campaign = campaign_or_404(request, slug)
    context = _account_context(campaign)
    context["pledged"] = money(campaign_pledged_total(campaign))
    context["can_export"] = allowed(request.user, Action.EXPORT, campaign)
    return render(request, "fundraising/manage/campaign_account.html", context)


def account_workbook(campaign: Campaign) -> bytes:
    """The account as an XLSX workbook: one sheet, amounts in euro as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    account = campaign_account(campaign)
    euro_format = "#,##0.00 €"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Account")[:31]
    bold = Font(bold=True)
    sheet.append(
        [safe_text(gettext("Account of the campaign “%(title)s”") % {"title": campaign.title})]
    )
    sheet["A1"].font = bold
    sheet.append([gettext("Collected by"), safe_text(campaign.organisation.name)])
    sheet.append([gettext("Status"), campaign.get_status_display()])
    sheet.append([])
    sheet.append([gettext("Income"), gettext("Amount (€)")])
    sheet.append([gettext("Gifts received"), account.gifts])
    for row in campaign_gifts_by_method(campaign):
        sheet.append([f"  {row.label} ({row.gifts})", row.amount])
    sheet.append([gettext("Matched funds due from funders"), account.matched_due])
    sheet.append([gettext("Total income"), account.income])
    sheet.append([])
    sheet.append([gettext("Costs"), gettext("Amount (€)"), gettext("Date")])
    for cost in account.costs:
        sheet.append([safe_text(cost.description), cost.amount, cost.date])
    sheet.append([gettext("Total costs"), account.costs_total])
    sheet.append([])
    sheet.append([gettext("Balance"), account.net])
    for row in sheet.iter_rows(min_col=2, max_col=2):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = euro_format
    for row in sheet.iter_rows(min_col=3, max_col=3):
        for cell in row:
            if cell.value is not None and not isinstance(cell.value, str):
                cell.number_format = "DD/MM/YYYY"
    sheet.column_dimensions["A"].width = 50
    sheet.column_dimensions["B"].width = 18
    sheet.column_dimensions["C"].width = 14
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@never_cache
@login_required
@require_GET
def campaign_account_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    """The account as XLSX (the policy's export right; written to the access log)."""
    campaign = campaign_or_404(request, slug)
    if not allowed(request.user, Action.EXPORT, campaign):
        raise PermissionDenied
    content = account_workbook(campaign)
    audit_export(
        resource="fundraising.campaign",
        count=1,
        purpose=f"campaign {campaign.pk} account (xlsx)",
        actor=request.user,
    )
    response = HttpResponse(content, content_type=XLSX)
    name = slugify(f"rendiconto-{campaign.slug}") or "rendiconto"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@never_cache
@require_GET
def campaign_account_public(request: HttpRequest, slug: str) -> HttpResponse:
    """The public account of a closed campaign: its income, the funders' matched funds,
    its costs, the balance and how many gave; the names of the donor wall only."""
    campaign = (
        visible_to(request.user, Campaign, Action.READ)
        .select_related("organisation")
        .filter(slug=slug, status=CampaignStatus.CLOSED)
        .first()
    )
    if campaign is None:
        raise Http404(gettext("No account: the campaign is not closed, or does not exist."))
    context = _account_context(campaign)
    context["wall"] = donor_wall(campaign)
    return render(request, "fundraising/public_campaign_account.html", context)


urlpatterns: list[URLPattern] = [
    path("gestione/campagne/", campaign_list, name="manage_campaigns"),
    path("gestione/campagne/nuova/", campaign_create, name="manage_campaign_create"),
    path("gestione/campagne/<slug:slug>/", campaign_detail, name="manage_campaign"),
    path("gestione/campagne/<slug:slug>/modifica/", campaign_edit, name="manage_campaign_edit"),
    path(
        "gestione/campagne/<slug:slug>/pubblica/",
        campaign_publish,
        name="manage_campaign_publish",
    ),
    path("gestione/campagne/<slug:slug>/chiudi/", campaign_close, name="manage_campaign_close"),
    path("gestione/campagne/<slug:slug>/immagini/", image_add, name="manage_campaign_image_add"),
    path(
        "gestione/campagne/<slug:slug>/immagini/<int:pk>/rimuovi/",
        image_remove,
        name="manage_campaign_image_remove",
    ),
    path(
        "gestione/campagne/<slug:slug>/immagini/<int:pk>/sposta/",
        image_move,
        name="manage_campaign_image_move",
    ),
    path("gestione/campagne/<slug:slug>/notizie/", update_post, name="manage_campaign_update"),
    path("gestione/campagne/<slug:slug>/impegni/", pledge_add, name="manage_campaign_pledge"),
    path("gestione/campagne/<slug:slug>/costi/", cost_add, name="manage_campaign_cost"),
    path(
        "gestione/campagne/<slug:slug>/costi/<int:pk>/rimuovi/",
        cost_remove,
        name="manage_campaign_cost_remove",
    ),
    path(
        "gestione/campagne/<slug:slug>/rendiconto/",
        campaign_account_page,
        name="manage_campaign_account",
    ),
    path(
        "gestione/campagne/<slug:slug>/rendiconto/xlsx/",
        campaign_account_xlsx,
        name="manage_campaign_account_xlsx",
    ),
    path(
        "campagne/<slug:slug>/rendiconto/",
        campaign_account_public,
        name="campaign_account_public",
    ),
]
