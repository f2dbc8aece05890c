"""The fundraisers' desk under /fundraising/gestione/: its home page, and what the
desk's pages share (who may use it, the organisations one raises funds for).

Who: the desk is for the people who see an organisation's bank entries — its
fundraisers, and network administrators, who read everything and change nothing (the
policy's ``_fundraisers`` rules). Anybody else is refused (403). Every page asks the
policy for its records (``visible_to``) and every change goes through
fundraising.services; a record the person may not see is not revealed (404).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fundraising.models import (
    BankEntry,
    Campaign,
    CampaignStatus,
    Donation,
    DonationStatus,
    EntryStatus,
    MatchingPledge,
    Receipt,
)
from fundraising.selectors import campaign_totals, campaigns_progress, desk_campaigns
from fundraising.views.public import bar
from legami.models import User
from legami.policy import Action, allowed, scope, subject_for, visible_to
from legami.roles import Role
from partners.models import Organisation


def me(request: HttpRequest) -> User:
    """The person logged in (the desk's views require a login)."""
    return cast(User, request.user)


def require_desk(request: HttpRequest) -> None:
    """403 for anybody who sees no organisation's bank entries (citizens, social
    workers, partners' staff...): the desk is not theirs."""
    if scope(request.user, Action.LIST, BankEntry) is False:
        raise PermissionDenied


def desk_orgs(user: Any) -> QuerySet[Organisation]:
    """The organisations ``user`` raises funds for today (what the desk's forms offer as
    the collecting organisation); none for a network administrator, who only reads."""
    return Organisation.objects.filter(pk__in=subject_for(user).orgs(Role.FUNDRAISER)).order_by(
        "name"
    )


def may_change_any(user: Any) -> bool:
    """Whether ``user`` changes anything on the desk (a fundraiser) or only reads."""
    return bool(subject_for(user).orgs(Role.FUNDRAISER))


@never_cache
@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The desk: the campaigns with their progress (live ones first), what waits for
    the fundraiser (bank entries to review, pledges not yet paid), the latest receipts."""
    require_desk(request)
    user = request.user
    today = timezone.localdate()
    campaigns_qs = (
        desk_campaigns(user)
        .filter(
            Q(status__in=(CampaignStatus.DRAFT, CampaignStatus.PUBLISHED))
            | Q(status=CampaignStatus.CLOSED, ends_on__gte=today.replace(year=today.year - 1))
        )
        .select_related("organisation")
        .prefetch_related(
            Prefetch("matching_pledges", MatchingPledge.objects.order_by("created_at", "pk"))
        )
        .annotate(
            rank=Case(
                When(status=CampaignStatus.PUBLISHED, then=Value(0)),
                When(status=CampaignStatus.DRAFT, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "ends_on", "pk")
    )
    campaigns = list(campaign_totals(campaigns_qs)[:50])
    progress = campaigns_progress(campaigns, today=today)
    waiting = visible_to(user, Donation, Action.LIST).aggregate(
        pledged=Count("pk", filter=Q(status=DonationStatus.PLEDGED)),
    )
    to_review = (
        visible_to(user, BankEntry, Action.LIST).filter(status=EntryStatus.UNMATCHED).count()
    )
    receipts = (
        visible_to(user, Receipt, Action.LIST)
        .select_related("organisation", "donation__donor")
        .order_by("-issued_at", "-pk")[:10]
    )
    return render(
        request,
        "fundraising/manage/home.html",
        {
            "rows": [{"campaign": c, "bar": bar(progress[c.pk])} for c in campaigns],
            "pledged": waiting["pledged"],
            "to_review": to_review,
            "receipts": receipts,
            "can_change": may_change_any(user),
            "can_create": may_change_any(user)
            and allowed(user, Action.CREATE, Campaign(organisation=desk_orgs(user).first())),
        },
    )


urlpatterns: list[URLPattern] = [
    path("gestione/", home, name="desk"),
]
