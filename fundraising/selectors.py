"""Reads of the fundraising app with rules: a campaign's totals, progress with the
funders' matching, the donor wall, the campaign's account and the donors' yearly totals
for the tax declarations.

"Received" means received and not refunded: a refunded gift has status ``refunded``,
so filtering on ``status=received`` leaves refunds out everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from fundraising import matching
from fundraising.models import Campaign, Donation, DonationStatus, Donor, DonorKind
from partners.models import Organisation

ZERO = Decimal("0.00")
RECEIVED = Q(donations__status=DonationStatus.RECEIVED)
_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Totals:
    raised: Decimal
    donors: int  # distinct named donors + each anonymous (or donor-less) gift
    gifts: int


def _annotate_totals(qs: QuerySet[Campaign]) -> QuerySet[Campaign]:
    anonymous = RECEIVED & (Q(donations__anonymous=True) | Q(donations__donor__isnull=True))
    return qs.annotate(
        total_raised=Coalesce(
            Sum("donations__amount", filter=RECEIVED), Value(ZERO), output_field=_MONEY
        ),
        total_gifts=Count("donations", filter=RECEIVED),
        total_named_donors=Count(
            "donations__donor",
            filter=RECEIVED & Q(donations__anonymous=False),
            distinct=True,
        ),
        total_anonymous_gifts=Count("donations", filter=anonymous),
    )


def totals_of(campaign: Campaign) -> Totals:
    """The totals of a campaign annotated by ``campaign_totals(queryset)``."""
    c: Any = campaign
    return Totals(
        raised=c.total_raised,
        donors=c.total_named_donors + c.total_anonymous_gifts,
        gifts=c.total_gifts,
    )


def campaign_totals(campaign_or_qs: Campaign | QuerySet[Campaign]) -> Any:
    """For a queryset: the campaigns annotated (one query for all of them) with
    ``total_raised``, ``total_gifts``, ``total_named_donors``, ``total_anonymous_gifts``
    (read them with ``totals_of``). For one campaign: its ``Totals``."""
    if isinstance(campaign_or_qs, Campaign):
        annotated = _annotate_totals(Campaign.objects.filter(pk=campaign_or_qs.pk)).get()
        return totals_of(annotated)
    return _annotate_totals(campaign_or_qs)


def campaigns_progress(
    campaigns: list[Campaign], *, today: dt.date | None = None
) -> dict[int, matching.Matching]:
    """``campaign_progress`` of many campaigns at once: ``campaigns`` annotated by
    ``campaign_totals`` with their ``matching_pledges`` prefetched. The gifts dated by
    every passed deadline of the conditional pledges are summed in one query for all of
    them, so a page of campaigns costs the same whatever their number."""
    today = today or timezone.localdate()
    passed = sorted(
        {
            (c.pk, p.deadline or c.ends_on)
            for c in campaigns
            for p in c.matching_pledges.all()
            if p.only_if_target_reached and (p.deadline or c.ends_on) < today
        }
    )
    by_deadline: dict[tuple[int, dt.date], Decimal] = {}
    if passed:
        sums = Donation.objects.filter(
            campaign_id__in={pk for pk, _day in passed}, status=DonationStatus.RECEIVED
        ).aggregate(
            **{
                f"d{i}": Coalesce(
                    Sum("amount", filter=Q(campaign_id=pk, date__lte=day)),
                    Value(ZERO),
                    output_field=_MONEY,
                )
                for i, (pk, day) in enumerate(passed)
            }
        )
        by_deadline = {key: sums[f"d{i}"] for i, key in enumerate(passed)}
    result: dict[int, matching.Matching] = {}
    for c in campaigns:
        inputs = []
        for p in sorted(c.matching_pledges.all(), key=lambda p: (p.created_at, p.pk)):
            deadline = p.deadline or c.ends_on
            reached: bool | None = None
            if p.only_if_target_reached and deadline < today:
                reached = by_deadline[(c.pk, deadline)] >= c.goal
            inputs.append(
                matching.Pledge(
                    ratio=p.ratio,
                    cap=p.cap,
                    conditional=p.only_if_target_reached,
                    deadline=deadline,
                    goal_reached=reached,
                )
            )
        result[c.pk] = matching.compute(raised=totals_of(c).raised, goal=c.goal, pledges=inputs)
    return result


def campaign_progress(campaign: Campaign, *, today: dt.date | None = None) -> matching.Matching:
    """Gifts, the funders' matched funds and the share of the goal (``fundraising.matching``).
    A conditional pledge's goal is decided, once its deadline (or the campaign's end) has
    passed, by the gifts dated on or before the deadline."""
    annotated = (
        _annotate_totals(Campaign.objects.filter(pk=campaign.pk))
        .prefetch_related("matching_pledges")
        .get()
    )
    return campaigns_progress([annotated], today=today)[campaign.pk]


@dataclass(frozen=True)
class Wall:
    names: list[str]
    anonymous: int


def wall_name(
    *, kind: str, wall_name: str, first_name: str, last_name: str, company_name: str
) -> str:
    """The donor's chosen wall name; else a company's name, or a person's first name
    and the initial of the last name ("Maria R.")."""
    if wall_name.strip():
        return wall_name.strip()
    if kind == DonorKind.COMPANY:
        return company_name
    initial = f" {last_name.strip()[0]}." if last_name.strip() else ""
    return f"{first_name.strip()}{initial}".strip()


def donor_wall(campaign: Campaign) -> Wall:
    """The names of the campaign's donors who agreed to the wall (received gifts, not
    anonymous; each donor once, first gift first), and how many anonymous gifts."""
    received = Donation.objects.filter(campaign=campaign, status=DonationStatus.RECEIVED)
    rows = (
        received.filter(on_wall=True, anonymous=False, donor__isnull=False)
        .order_by("date", "pk")
        .values_list(
            "donor_id",
            "donor__kind",
            "donor__wall_name",
            "donor__first_name",
            "donor__last_name",
            "donor__company_name",
        )
    )
    seen: set[int] = set()
    names: list[str] = []
    for donor_id, kind, wall, first, last, company in rows:
        if donor_id in seen:
            continue
        seen.add(donor_id)
        name = wall_name(
            kind=kind, wall_name=wall, first_name=first, last_name=last, company_name=company
        )
        if name:
            names.append(name)
    anonymous = received.filter(anonymous=True).count()
    return Wall(names=names, anonymous=anonymous)


@dataclass(frozen=True)
class Account:
    gifts: Decimal
    matched_due: Decimal
    income: Decimal
    costs: list[Any]
    costs_total: Decimal
    net: Decimal


def campaign_account(campaign: Campaign, *, today: dt.date | None = None) -> Account:
    """The campaign's account (rendiconto): received gifts and the matched funds due as
    income, its costs, and the net."""
    progress = campaign_progress(campaign, today=today)
    costs = list(campaign.costs.order_by("date", "pk"))
    costs_total = sum((c.amount for c in costs), ZERO)
    income = progress.raised + progress.due
    return Account(
        gifts=progress.raised,
        matched_due=progress.due,
        income=income,
        costs=costs,
        costs_total=costs_total,
        net=income - costs_total,
    )


def yearly_donor_totals(
    organisation: Organisation, year: int, *, identified_only: bool = True
) -> QuerySet[Donor]:
    """Per donor, the received (not refunded) gifts to ``organisation`` dated in
    ``year``: ``year_total`` and ``year_gifts`` (one query; anonymous gifts count: the
    organisation knows who gave). For the tax declarations only donors with a codice
    fiscale or a partita IVA can be reported: the others are left out unless
    ``identified_only=False``."""
    gifts = Q(
        donations__organisation=organisation,
        donations__status=DonationStatus.RECEIVED,
        donations__date__year=year,
    )
    qs = Donor.objects.annotate(
        year_total=Sum("donations__amount", filter=gifts),
        year_gifts=Count("donations", filter=gifts),
    ).filter(year_gifts__gt=0)
    if identified_only:
        qs = qs.exclude(codice_fiscale="", partita_iva="")
    return qs.order_by("last_name", "first_name", "company_name", "pk")


# --- The fundraisers' desk: campaigns ---------------------------------------------------


def desk_campaigns(user: Any) -> QuerySet[Campaign]:
    """The campaigns on ``user``'s desk: those of the organisations they raise funds for
    (drafts included); every campaign for a network administrator, who reads them. The
    published campaigns of other organisations, public as they are, are not on it."""
    from legami.policy import Action, subject_for, visible_to
    from legami.roles import Role

    qs = visible_to(user, Campaign, Action.READ)
    subject = subject_for(user)
    if subject.has(Role.NETWORK_ADMIN):
        return qs
    return qs.filter(organisation__in=subject.orgs(Role.FUNDRAISER))


@dataclass(frozen=True)
class MethodTotal:
    method: str
    label: str
    gifts: int
    amount: Decimal


def campaign_gifts_by_method(campaign: Campaign) -> list[MethodTotal]:
    """The campaign's received (not refunded) gifts by method, largest first (one query)."""
    from fundraising.models import Method

    labels = dict(Method.choices)
    rows = (
        Donation.objects.filter(campaign=campaign, status=DonationStatus.RECEIVED)
        .values("method")
        .annotate(gifts=Count("pk"), amount=Sum("amount"))
        .order_by("-amount", "method")
    )
    return [
        MethodTotal(
            method=row["method"],
            label=str(labels.get(row["method"], row["method"])),
            gifts=row["gifts"],
            amount=row["amount"] or ZERO,
        )
        for row in rows
    ]


def campaign_pledged_total(campaign: Campaign) -> Decimal:
    """What donors promised to the campaign and has not arrived yet (pledges)."""
    total = Donation.objects.filter(campaign=campaign, status=DonationStatus.PLEDGED).aggregate(
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=_MONEY)
    )["total"]
    return Decimal(total)


@dataclass(frozen=True)
class Mailing:
    at: dt.datetime
    donors: int


def updates_mailed(update_ids: list[int]) -> dict[int, Mailing]:
    """For the updates mailed to the donors, when and to how many (as the mailing
    recorded it in the updates' history; one query)."""
    from legami.models import ChangeEvent

    if not update_ids:
        return {}
    events = ChangeEvent.objects.filter(
        target_type="fundraising.campaignupdate",
        target_id__in=[str(pk) for pk in update_ids],
        action=ChangeEvent.Action.STATE,
    ).order_by("at", "pk")
    result: dict[int, Mailing] = {}
    for event in events:
        change = (event.changes or {}).get("emailed_to")
        if isinstance(change, list) and len(change) == 2 and isinstance(change[1], int):
            result[int(event.target_id)] = Mailing(at=event.at, donors=change[1])
    return result


# --- The fundraisers' desk: donations and receipts --------------------------------------


def desk_gifts_q(user: Any, prefix: str = "") -> Q:
    """The gifts (reached through ``prefix``) whose organisation is on ``user``'s desk:
    the organisations they raise funds for; every gift for a network administrator."""
    from legami.policy import subject_for
    from legami.roles import Role

    subject = subject_for(user)
    if subject.has(Role.NETWORK_ADMIN):
        return Q()
    return Q(**{f"{prefix}organisation__in": subject.orgs(Role.FUNDRAISER)})


def desk_donations(user: Any, action: Any = "list") -> QuerySet[Donation]:
    """The donations on ``user``'s desk that the policy lets them ``action``. A
    fundraiser's own gifts elsewhere, which the policy lets them read as a donor, are
    not on the desk."""
    from legami.policy import visible_to

    return visible_to(user, Donation, action).filter(desk_gifts_q(user))


def desk_receipts(user: Any, action: Any = "list") -> QuerySet[Any]:
    """The receipts of the gifts on ``user``'s desk that the policy lets them ``action``."""
    from fundraising.models import Receipt
    from legami.policy import visible_to

    return visible_to(user, Receipt, action).filter(desk_gifts_q(user))


def donations_filtered(
    qs: QuerySet[Donation],
    *,
    status: str = "",
    campaign: Campaign | None = None,
    method: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[Donation]:
    """``qs`` narrowed by the desk's filters (each optional; dates inclusive)."""
    if status:
        qs = qs.filter(status=status)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if method:
        qs = qs.filter(method=method)
    if since is not None:
        qs = qs.filter(date__gte=since)
    if until is not None:
        qs = qs.filter(date__lte=until)
    return qs


# --- Piano di zona reports (read by reports.indicators) ---
#
# The records of a report's ambito, for the indicators to aggregate: ``reports`` reads
# no model of this app, only these. A gift belongs to the ambito of its campaign, and a
# campaign to its ``Campaign.ambito`` (a fund of the ambito) or, when that is empty, to
# the ambito of the lab of the intervention it funds
# (``Campaign.intervention.lab.ambito``). Campaigns with neither, and gifts to no
# campaign, belong to no ambito (the organisation that collects a gift may work in
# several ambiti: its gifts cannot be placed in one). Campaigns have no comune, so
# these reads take none.
#
# The enums the indicators filter by are re-exported here too.

from fundraising.models import DonationStatus as DonationStatus  # noqa: E402, F811
from fundraising.models import MatchingPledge  # noqa: E402


def _report_campaign_ambito(prefix: str = "") -> Coalesce:
    """The ambito of a campaign (``prefix``: the path to the campaign)."""
    return Coalesce(f"{prefix}ambito_id", f"{prefix}intervention__lab__ambito_id")


def report_gifts(*, ambito_id: int) -> QuerySet[Donation]:
    """The gifts to the campaigns of the ambito (every status and date)."""
    return Donation.objects.annotate(gift_ambito=_report_campaign_ambito("campaign__")).filter(
        gift_ambito=ambito_id
    )


def report_matched_campaigns(*, ambito_id: int) -> QuerySet[Campaign]:
    """The campaigns of the ambito that a funder matches (at least one pledge)."""
    return (
        Campaign.objects.annotate(campaign_ambito=_report_campaign_ambito())
        .filter(campaign_ambito=ambito_id)
        .filter(pk__in=MatchingPledge.objects.values("campaign_id"))
    )
