"""The public face of fundraising: the campaigns, a campaign's page with its progress,
its funders' matching pledges, the donor wall, its news and the donation form, and the
thank-you page of a pledge with the bank-transfer instructions.

Published and closed campaigns are everybody's to read (no login); a draft only its
fundraisers', with a "draft" banner — to anybody else it does not exist (404). A gift
is a pledge (``donation_pledge``): a bank transfer is confirmed when the transfer
arrives, a card gift goes on to the payment provider's page. A refused gift comes back
on the page with its errors, status 400, and creates nothing.

The thank-you page is reached only by the pledge's unguessable public id and shows the
pledge's own data only: amount, causale, where to send the money.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.numberformat import format as number_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fundraising import matching
from fundraising.forms import MONTHLY, OTHER, GiveForm
from fundraising.models import (
    Campaign,
    CampaignStatus,
    Donation,
    DonationStatus,
    MatchingPledge,
    Method,
)
from fundraising.payments import provider
from fundraising.selectors import (
    campaign_progress,
    campaign_totals,
    campaigns_progress,
    donor_wall,
)
from fundraising.services.donations import (
    campaign_open_for_gifts,
    donation_pledge,
    recurring_start,
)
from fundraising.services.donors import consent_set, donor_create
from fundraising.services.payments import card_checkout
from legami.forms import add_service_errors
from legami.policy import Action, visible_to

ZERO = Decimal("0.00")
PUBLIC_STATUSES = (CampaignStatus.PUBLISHED, CampaignStatus.CLOSED)


# --- Words and numbers --------------------------------------------------------------------


def euro(value: Decimal) -> str:
    """``€ 3.450`` for whole euro, ``€ 3.450,50`` with cents (as Italians write it)."""
    whole = value == value.to_integral_value()
    amount = number_format(
        value,
        decimal_sep=",",
        decimal_pos=0 if whole else 2,
        grouping=3,
        thousand_sep=".",
        force_grouping=True,
    )
    return f"€ {amount}"


def iban_groups(iban: str) -> str:
    """``IT60 X054 2811 1010 0000 0123 456``: the IBAN in groups of four."""
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _long_date(day: dt.date) -> str:
    return date_format(day, "j F Y")


@dataclass(frozen=True)
class Bar:
    """A progress bar: the share of the goal in words and as a width class (steps of 5,
    see static/fundraising/fundraising.css)."""

    percent: int
    width_class: str
    text: str


def bar(progress: matching.Matching) -> Bar:
    """Gifts and the matched funds due, toward the goal."""
    percent = int((progress.progress * 100).to_integral_value(rounding=ROUND_FLOOR))
    step = min(100, max(0, percent) // 5 * 5)
    text = gettext("%(raised)s raised of %(goal)s, %(percent)s%%") % {
        "raised": euro(progress.raised + progress.due),
        "goal": euro(progress.goal),
        "percent": percent,
    }
    return Bar(percent=percent, width_class=f"legami-progress-{step}", text=text)


def days_left_text(campaign: Campaign, today: dt.date) -> str:
    if campaign.status == CampaignStatus.CLOSED:
        return gettext("closed")
    if campaign.status == CampaignStatus.DRAFT:
        return gettext("draft")
    days = (campaign.ends_on - today).days
    if days < 0:
        return gettext("ended on %(date)s") % {"date": _long_date(campaign.ends_on)}
    if days == 0:
        return gettext("last day")
    return ngettext("%(days)s day left", "%(days)s days left", days) % {"days": days}


def ratio_text(ratio: Decimal) -> str:
    if ratio == 1:
        return gettext("every euro doubled")
    return gettext("%(amount)s added for every euro given") % {"amount": euro(ratio)}


def condition_text(pledge: MatchingPledge, result: matching.PledgeResult) -> str:
    """The condition of a pledge and where it stands, in plain words."""
    if not pledge.only_if_target_reached:
        return gettext("paid whatever the campaign raises: due")
    deadline = _long_date(result.pledge.deadline or pledge.campaign.ends_on)
    if result.state is matching.PledgeState.DUE:
        return gettext("goal reached: due")
    if result.state is matching.PledgeState.LAPSED:
        return gettext("the goal was not reached by %(date)s: lapsed") % {"date": deadline}
    return gettext("paid only if the goal is reached by %(date)s: not yet") % {"date": deadline}


# --- The campaigns ------------------------------------------------------------------------


def _public_campaigns(request: HttpRequest, action: Action) -> QuerySet[Campaign]:
    return visible_to(request.user, Campaign, action).select_related("organisation")


@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The published campaigns, those still collecting first, then the closed ones, each
    with its progress toward the goal and the days left."""
    today = timezone.localdate()
    qs = (
        _public_campaigns(request, Action.LIST)
        .filter(status__in=PUBLIC_STATUSES)
        .annotate(
            collecting=Case(
                When(status=CampaignStatus.PUBLISHED, ends_on__gte=today, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .prefetch_related(
            Prefetch("matching_pledges", MatchingPledge.objects.order_by("created_at", "pk"))
        )
        .order_by("collecting", "ends_on", "-starts_on", "pk")
    )
    campaigns = list(campaign_totals(qs))
    progress = campaigns_progress(campaigns, today=today)
    rows = [
        {
            "campaign": c,
            "bar": bar(progress[c.pk]),
            "when": days_left_text(c, today),
            "collecting": getattr(c, "collecting", 1) == 0,
        }
        for c in campaigns
    ]
    return render(request, "fundraising/public_campaign_list.html", {"rows": rows})


def _campaign_or_404(request: HttpRequest, slug: str) -> Campaign:
    campaign = (
        _public_campaigns(request, Action.READ)
        .select_related("organisation__fundraising_profile", "intervention", "ambito")
        .filter(slug=slug)
        .first()
    )
    if campaign is None:
        raise Http404(gettext("No such campaign."))
    return campaign


def _give_form(request: HttpRequest, campaign: Campaign, data: Any = None) -> GiveForm:
    return GiveForm(data, organisation=campaign.organisation, card=provider() is not None)


def _campaign_page(
    request: HttpRequest,
    campaign: Campaign,
    *,
    form: GiveForm | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    progress = campaign_progress(campaign, today=today)
    totals = campaign_totals(campaign)
    pledges = list(campaign.matching_pledges.select_related("funder").order_by("created_at", "pk"))
    collecting = campaign_open_for_gifts(campaign, today)
    if collecting and form is None:
        form = _give_form(request, campaign)
    return render(
        request,
        "fundraising/public_campaign_detail.html",
        {
            "campaign": campaign,
            "draft": campaign.status == CampaignStatus.DRAFT,
            "progress": progress,
            "bar": bar(progress),
            "goal": euro(campaign.goal),
            "raised": euro(progress.raised),
            "matched": euro(progress.matched),
            "donors": totals.donors,
            "when": days_left_text(campaign, today),
            "pledges": [
                {
                    "funder": pledge.funder,
                    "ratio": ratio_text(pledge.ratio),
                    "cap": euro(pledge.cap),
                    "matched": euro(result.matched),
                    "condition": condition_text(pledge, result),
                    "state": result.state.value,
                }
                for pledge, result in zip(pledges, progress.pledges, strict=True)
            ],
            "wall": donor_wall(campaign),
            "images": list(campaign.images.all()),
            "updates": list(campaign.updates.filter(published_at__lte=timezone.now())),
            "collecting": collecting,
            "form": form if collecting else None,
            "refusal": refusal,
        },
        status=status,
    )


@never_cache
@require_GET
def campaign_public(request: HttpRequest, slug: str) -> HttpResponse:
    """A campaign's page: its story, progress, funders, donors and news, and the form to
    give while it collects."""
    return _campaign_page(request, _campaign_or_404(request, slug))


def give_form_errors(form: BaseForm, exc: ValidationError) -> None:
    """A refusal on the give form: the tax codes under its one field for them, the
    amount under "other" when another amount was typed."""
    rename = {"codice_fiscale": "tax_code", "partita_iva": "tax_code"}
    if form.cleaned_data.get("amount") == OTHER:
        rename["amount"] = "other_amount"
    add_service_errors(form, exc, rename)


def _absolute(request: HttpRequest, name: str, *args: Any) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


@never_cache
@require_POST
def campaign_give(request: HttpRequest, slug: str) -> HttpResponse:
    """A gift to the campaign: the donor (the existing one for a known tax code, left
    unchanged), their consent when ticked, and the pledge. A bank transfer goes to the
    instructions; a card gift to the provider's payment page."""
    campaign = _campaign_or_404(request, slug)
    if not campaign_open_for_gifts(campaign):
        refusal = gettext("This campaign is not collecting gifts: nothing was given.")
        return _campaign_page(request, campaign, refusal=refusal, status=400)
    form = _give_form(request, campaign, request.POST)
    if not form.is_valid():
        return _campaign_page(request, campaign, form=form, status=400)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            donor = donor_create(by=None, **form.donor_fields())
            if data["consent"]:
                consent_set(
                    donor=donor,
                    organisation=campaign.organisation,
                    given=True,
                    source="donation form",
                )
            if data["frequency"] == MONTHLY:
                gift = recurring_start(
                    donor=donor,
                    amount=form.chosen_amount(),
                    method=Method.BANK_TRANSFER,
                    campaign=campaign,
                    day_of_month=min(timezone.localdate().day, 28),
                )
                donation = gift.donations.get()  # this month's
            else:
                donation = donation_pledge(
                    donor=donor,
                    amount=form.chosen_amount(),
                    method=data["method"],
                    campaign=campaign,
                    anonymous=data["anonymous"],
                    on_wall=data["on_wall"] and not data["anonymous"],
                )
            thanks = _absolute(request, "fundraising:pledge_thanks", donation.public_id)
            if donation.method == Method.CARD:
                url = card_checkout(
                    donation=donation,
                    success_url=thanks,
                    cancel_url=request.build_absolute_uri(campaign.get_absolute_url()),
                )
                return HttpResponseRedirect(url)
    except ValidationError as exc:
        give_form_errors(form, exc)
        return _campaign_page(request, campaign, form=form, status=400)
    return redirect("fundraising:pledge_thanks", public_id=donation.public_id)


# --- After the gift -----------------------------------------------------------------------


@never_cache
@require_GET
def pledge_thanks(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Thanks, and for a bank transfer where to send the money: the beneficiary, its
    IBAN, the amount and the causale that identifies this gift."""
    donation = (
        Donation.objects.select_related(
            "organisation__fundraising_profile", "campaign", "recurring"
        )
        .filter(public_id=public_id)
        .first()
    )
    if donation is None:
        raise Http404(gettext("No such gift."))
    profile = getattr(donation.organisation, "fundraising_profile", None)
    response = render(
        request,
        "fundraising/public_pledge_thanks.html",
        {
            "donation": donation,
            "campaign": donation.campaign,
            "amount": euro(donation.amount),
            "profile": profile,
            "iban": iban_groups(profile.iban) if profile else "",
            "bank_transfer": donation.method == Method.BANK_TRANSFER,
            "monthly": donation.recurring,
            "causale": (
                donation.recurring.causale
                if donation.recurring and donation.recurring.causale
                else donation.causale
            ),
            "pledged": donation.status == DonationStatus.PLEDGED,
            "received": donation.status == DonationStatus.RECEIVED,
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


urlpatterns: list[URLPattern] = [
    path("campagne/", campaign_list, name="campaign_list"),
    path("campagne/<slug:slug>/", campaign_public, name="campaign_public"),
    path("campagne/<slug:slug>/dona/", campaign_give, name="campaign_give"),
    path("dono/<uuid:public_id>/", pledge_thanks, name="pledge_thanks"),
]
