"""Indicators of the community network: community labs, the Civic Center, fundraising
and the Wel(l)fare LAB.

Where a record belongs (``Scope``): the rules live with the records, in the
``report_*`` reads of ``labs.selectors``, ``civic_center.selectors``,
``fundraising.selectors`` and ``research.selectors``, the only way this module reads
them. In short:

* **Labs** (area ``labs``): a lab belongs to its ``Lab.ambito``. The labs of context
  "practitioners" are the workshops of Wel(l)fare LAB pathways, not community labs: they
  are left out of every labs indicator. For a comune: a meeting (and its attendance) or
  a need belongs to its own ``comune`` when it has one, otherwise to every comune of its
  lab (``Lab.comuni``: an online meeting of a lab of two comuni counts in both); an
  intervention has no comune and belongs to every comune of its lab.
* **Civic Center** (area ``civic``): a family served belongs where its demand is
  (``Demand.comune``, and that comune's ambito).
* **Fundraising** (area ``fundraising``): a gift belongs to the ambito of its campaign:
  ``Campaign.ambito`` (a fund of the ambito) or, when empty, the ambito of the lab of the
  intervention it funds (``Campaign.intervention.lab.ambito``). Campaigns with neither,
  and gifts to no campaign, belong to no ambito and are counted nowhere here (the
  organisation that collects a gift may work in several ambiti: its gifts cannot be
  placed in one). Campaigns have no comune: for a comune scope these indicators return
  ``None`` (no figure), never the ambito's figure under a comune's name.
* **Wel(l)fare LAB** (area ``research``): a pathway belongs to its host ambito
  (``Pathway.ambito``), a survey to its pathway's, an answer to its survey's; surveys
  with no pathway, and pathways with no host ambito, belong to no ambito. None of these
  has a comune: for a comune scope these indicators return ``None``.

When (``Period``, start and end inclusive, days in Europe/Rome — the project's
``TIME_ZONE``): each indicator's docstring names the date that counts.

Every figure is one query (``fundraising_matched``: at most four, whatever the number
of rows); none reads a row into Python. Within one report the four Civic Center
indicators share one query, and the funds raised and the donors another (``once``).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case as CaseWhen
from django.db.models import (
    CharField,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Greatest, Least, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic_center.selectors import AgreementStatus, MemberStatus, report_agreement_members
from civic_center.selectors import Unit as CivicUnit
from fundraising import selectors as fundraising_selectors
from fundraising.selectors import DonationStatus, report_gifts, report_matched_campaigns
from labs.selectors import (
    InterventionStatus,
    MeetingStatus,
    NeedStatus,
    report_interventions,
    report_meetings,
    report_needs,
    report_registrations,
)
from reports.indicators.base import Breakdown, Period, Result, Scope, Unit, indicator, once
from research.selectors import (
    SurveyStatus,
    report_invitations,
    report_pathways,
    report_surveys,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=4)


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period as aware datetimes: its first moment, and the first moment after it
    (midnight in the project's time zone)."""
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=zone)
    after = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, after


def _cents(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(CENT, ROUND_HALF_UP)


def _no_comune_figure(code: str, unit: Unit) -> Result:
    """The figure of records that have no comune, asked for one comune: none."""
    return Result(code=code, unit=unit, value=None)


# --- Labs ---------------------------------------------------------------------------------


def _held_meetings_q(period: Period, prefix: str = "") -> Q:
    """Of the meetings of the scope (``labs.selectors.report_meetings``), those held in
    the period: not cancelled, starting within the period and already over."""
    start, after = _bounds(period)
    return (
        ~Q(**{f"{prefix}status": MeetingStatus.CANCELLED})
        & Q(**{f"{prefix}starts_at__gte": start, f"{prefix}starts_at__lt": after})
        & Q(**{f"{prefix}ends_at__lte": timezone.now()})
    )


@indicator("lab_meetings", area="labs", title=_("Lab meetings held"), unit=Unit.COUNT)
def lab_meetings(scope: Scope, period: Period) -> Result:
    """Meetings of community labs that started in the period (``Meeting.starts_at``) and
    are over, cancelled ones left out; split by whether their minutes are written
    ("closed") or not yet ("scheduled")."""
    meetings = report_meetings(ambito_id=scope.ambito_id, comune_id=scope.comune_id)
    figures = meetings.filter(_held_meetings_q(period)).aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=Q(status=MeetingStatus.CLOSED)),
        scheduled=Count("pk", filter=Q(status=MeetingStatus.SCHEDULED)),
    )
    return Result(
        code="lab_meetings",
        unit=Unit.COUNT,
        value=figures["total"],
        breakdowns=(
            Breakdown(
                dimension="minutes",
                values={"closed": figures["closed"], "scheduled": figures["scheduled"]},
                labels={
                    "closed": str(_("minutes written")),
                    "scheduled": str(_("minutes not written yet")),
                },
            ),
        ),
    )


@indicator("lab_participants", area="labs", title=_("Lab participants"), unit=Unit.PEOPLE)
def lab_participants(scope: Scope, period: Period) -> Result:
    """Distinct people marked present (``Registration.attended``) at the meetings that
    ``lab_meetings`` counts. A person is a registration's e-mail address (stored
    lower-cased; people with an account sign up with their account's address), so who
    came to three meetings counts once."""
    registrations = report_registrations(ambito_id=scope.ambito_id, comune_id=scope.comune_id)
    figures = registrations.filter(_held_meetings_q(period, "meeting__"), attended=True).aggregate(
        people=Count("email", distinct=True)
    )
    return Result(code="lab_participants", unit=Unit.PEOPLE, value=figures["people"])


@indicator("lab_needs", area="labs", title=_("Needs raised and addressed"), unit=Unit.COUNT)
def lab_needs(scope: Scope, period: Period) -> Result:
    """Needs posted on the boards of community labs in the period (``Need.created_at``),
    duplicates merged into another need left out (the need they were merged into counts
    once); "addressed": those of them whose status is now "addressed". The board keeps no
    date for a move, so "addressed" follows the needs raised in the period (a cohort) and
    can grow after the period ends. The headline value is the needs raised."""
    start, after = _bounds(period)
    figures = (
        report_needs(ambito_id=scope.ambito_id, comune_id=scope.comune_id)
        .filter(created_at__gte=start, created_at__lt=after)
        .exclude(status=NeedStatus.MERGED)
        .aggregate(
            raised=Count("pk"),
            addressed=Count("pk", filter=Q(status=NeedStatus.ADDRESSED)),
        )
    )
    return Result(
        code="lab_needs",
        unit=Unit.COUNT,
        value=figures["raised"],
        breakdowns=(
            Breakdown(
                dimension="status",
                values={"raised": figures["raised"], "addressed": figures["addressed"]},
                labels={"raised": str(_("raised")), "addressed": str(_("addressed"))},
            ),
        ),
    )


@indicator(
    "lab_interventions_started",
    area="labs",
    title=_("Lab interventions started"),
    unit=Unit.COUNT,
)
def lab_interventions_started(scope: Scope, period: Period) -> Result:
    """Interventions of community labs whose start date (``Intervention.start_date``)
    falls in the period and that are running or done: one still "designed" has not
    started, whatever its planned date; a dropped one is left out (nothing tells whether
    it began)."""
    interventions = report_interventions(
        ambito_id=scope.ambito_id, comune_id=scope.comune_id
    ).filter(
        start_date__gte=period.start,
        start_date__lte=period.end,
        status__in=[InterventionStatus.RUNNING, InterventionStatus.DONE],
    )
    figures = interventions.aggregate(total=Count("pk"))
    return Result(code="lab_interventions_started", unit=Unit.COUNT, value=figures["total"])


# --- Civic Center -------------------------------------------------------------------------


class _WeeksServed(Func):
    """The weeks from ``first`` to ``last``, both days included: (days + 1) / 7, rounded
    to two decimals as ``civic_center.selectors`` does (no tie can occur: a number of
    days over 7 never ends in exactly 5 at the third decimal). PostgreSQL subtracts
    dates to an integer; SQLite through ``julianday``."""

    arity = 2
    output_field = DecimalField(max_digits=10, decimal_places=2)

    def _sides(self, compiler: Any) -> tuple[str, str, tuple[Any, ...]]:
        last, last_params = compiler.compile(self.source_expressions[0])
        first, first_params = compiler.compile(self.source_expressions[1])
        return last, first, (*last_params, *first_params)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:  # type: ignore[override]
        last, first, params = self._sides(compiler)
        return f"ROUND((({last} - {first}) + 1) / 7.0, 2)", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        last, first, params = self._sides(compiler)
        return f"ROUND((julianday({last}) - julianday({first}) + 1) / 7.0, 2)", params


@once
def _civic_figures(scope: Scope, period: Period) -> dict[str, Any]:
    """The win-win figures of ``civic_center.selectors.figures``, restricted to the
    scope and the period, in one query (once per report, for the four indicators of
    the area: ``once``): the accepted families of confirmed agreements,
    each over the days of the period that both its demand and its agreement cover.

    Units purchased = units per week × weeks served (days + 1, over 7, rounded to the
    cent, as ``figures`` does); hours = the units of services sold by the hour; saving =
    (single-family price − group price) × units; the providers' guaranteed hours = the
    hours purchased. A family is its account, else its contact address, else its demand
    (as ``civic_center.services.agreement`` tells a new family)."""
    day: DateField[dt.date, dt.date] = DateField()
    served_from = Greatest(
        "demand__start_date",
        "agreement__start_date",
        Value(period.start, output_field=day),
        output_field=day,
    )
    served_to = Least(
        "demand__end_date",
        "agreement__end_date",
        Value(period.end, output_field=day),
        output_field=day,
    )
    members = report_agreement_members(ambito_id=scope.ambito_id, comune_id=scope.comune_id).filter(
        status=MemberStatus.ACCEPTED, agreement__status=AgreementStatus.CONFIRMED
    )
    weeks = _WeeksServed(F("served_to"), F("served_from"))
    text: CharField[str, str] = CharField()
    family = CaseWhen(
        When(
            demand__family_id__isnull=False,
            then=Concat(Value("u"), Cast("demand__family_id", text), output_field=text),
        ),
        When(
            ~Q(demand__contact_email=""),
            then=Concat(Value("e"), Lower("demand__contact_email"), output_field=text),
        ),
        default=Concat(Value("d"), Cast("demand_id", text), output_field=text),
        output_field=text,
    )
    return (
        members.annotate(served_from=served_from, served_to=served_to)
        .filter(served_to__gte=F("served_from"))
        .annotate(
            units=ExpressionWrapper(F("units_per_week") * weeks, output_field=_MONEY),
            family_key=family,
        )
        .aggregate(
            families=Count("family_key", distinct=True),
            hours=Sum(
                "units",
                filter=Q(agreement__offer__category__unit=CivicUnit.HOUR),
                output_field=_MONEY,
            ),
            saving=Sum(
                ExpressionWrapper(
                    (F("agreement__single_family_price") - F("agreement__unit_price")) * F("units"),
                    output_field=_MONEY,
                ),
                output_field=_MONEY,
            ),
        )
    )


@indicator("civic_families_served", area="civic", title=_("Families served"), unit=Unit.PEOPLE)
def civic_families_served(scope: Scope, period: Period) -> Result:
    """Distinct families who accepted a confirmed group agreement that serves them on
    at least one day of the period (the overlap of their demand's and the agreement's
    dates)."""
    figures = _civic_figures(scope, period)
    return Result(code="civic_families_served", unit=Unit.PEOPLE, value=figures["families"])


@indicator(
    "civic_hours_purchased", area="civic", title=_("Hours of service purchased"), unit=Unit.HOURS
)
def civic_hours_purchased(scope: Scope, period: Period) -> Result:
    """Hours of services sold by the hour that families bought through confirmed
    agreements, for the days of the period they are served (in cents of an hour)."""
    figures = _civic_figures(scope, period)
    return Result(code="civic_hours_purchased", unit=Unit.HOURS, value=_cents(figures["hours"]))


@indicator("civic_families_saving", area="civic", title=_("Families' saving"), unit=Unit.EURO)
def civic_families_saving(scope: Scope, period: Period) -> Result:
    """What families save by buying in a group, for the days of the period they are
    served: (single-family price − group price) × units purchased, in euro."""
    figures = _civic_figures(scope, period)
    return Result(code="civic_families_saving", unit=Unit.EURO, value=_cents(figures["saving"]))


@indicator(
    "civic_provider_hours", area="civic", title=_("Hours of work for providers"), unit=Unit.HOURS
)
def civic_provider_hours(scope: Scope, period: Period) -> Result:
    """Hours of work that confirmed agreements guarantee to providers in the period: as
    in ``civic_center.selectors.figures``, the hours purchased of services sold by the
    hour (so the same figure as ``civic_hours_purchased``)."""
    figures = _civic_figures(scope, period)
    return Result(code="civic_provider_hours", unit=Unit.HOURS, value=_cents(figures["hours"]))


# --- Fundraising --------------------------------------------------------------------------


def _gifts(scope: Scope, period: Period) -> QuerySet[Any]:
    """Received gifts (refunded, cancelled and pledged ones left out) dated in the
    period, to campaigns of the scope's ambito."""
    return report_gifts(ambito_id=scope.ambito_id).filter(
        status=DonationStatus.RECEIVED,
        date__gte=period.start,
        date__lte=period.end,
    )


@once
def _gift_figures(scope: Scope, period: Period) -> dict[str, Any]:
    """Of the gifts of ``_gifts``: the amount ``raised``, the distinct ``named`` donors
    and the gifts recorded with no donor (``unnamed``). One query, once per report
    (``once``)."""
    return _gifts(scope, period).aggregate(
        raised=Sum("amount"),
        named=Count("donor_id", distinct=True),
        unnamed=Count("pk", filter=Q(donor__isnull=True)),
    )


@indicator("fundraising_raised", area="fundraising", title=_("Funds raised"), unit=Unit.EURO)
def fundraising_raised(scope: Scope, period: Period) -> Result:
    """Received gifts dated in the period (``Donation.date``, the date the fundraisers'
    yearly totals use), refunded ones left out, in euro."""
    if scope.comune_id is not None:
        return _no_comune_figure("fundraising_raised", Unit.EURO)
    figures = _gift_figures(scope, period)
    return Result(code="fundraising_raised", unit=Unit.EURO, value=_cents(figures["raised"]))


@indicator("fundraising_donors", area="fundraising", title=_("Donors"), unit=Unit.PEOPLE)
def fundraising_donors(scope: Scope, period: Period) -> Result:
    """Distinct donors of the gifts ``fundraising_raised`` counts (an anonymous gift's
    donor is known to the organisation and counted once like any other); each gift
    recorded without a donor counts as one donor."""
    if scope.comune_id is not None:
        return _no_comune_figure("fundraising_donors", Unit.PEOPLE)
    figures = _gift_figures(scope, period)
    return Result(
        code="fundraising_donors", unit=Unit.PEOPLE, value=figures["named"] + figures["unnamed"]
    )


def _matched_due_by(campaigns: QuerySet[Any], days: tuple[dt.date, ...]) -> list[Decimal]:
    """For each of ``days``, the matched funds due on ``campaigns`` counting the gifts
    received and dated up to that day, with the conditional pledges decided as they
    stood at its end (or today, if sooner): ``fundraising.selectors.campaigns_progress``
    and its arithmetic (``fundraising.matching``). The campaigns, their gifts up to each
    day and their pledges are read once for all the days: two queries, and one more for
    each day when a conditional pledge's deadline has passed by then."""
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)
    raised = {
        f"_raised_{index}": Coalesce(
            Sum(
                "donations__amount",
                filter=Q(donations__status=DonationStatus.RECEIVED, donations__date__lte=day),
            ),
            Value(ZERO),
            output_field=money,
        )
        for index, day in enumerate(days)
    }
    annotated: list[Any] = list(
        campaigns.annotate(
            **raised,
            # Read by ``totals_of`` but not by the matching.
            total_gifts=Value(0),
            total_named_donors=Value(0),
            total_anonymous_gifts=Value(0),
        ).prefetch_related("matching_pledges")
    )
    if not annotated:
        return [ZERO for _day in days]
    due: list[Decimal] = []
    for index, day in enumerate(days):
        for campaign in annotated:  # ``campaigns_progress`` reads ``total_raised``
            campaign.total_raised = getattr(campaign, f"_raised_{index}")
        today = min(day + dt.timedelta(days=1), timezone.localdate())
        progress = fundraising_selectors.campaigns_progress(annotated, today=today)
        due.append(sum((m.due for m in progress.values()), ZERO))
    return due


@indicator("fundraising_matched", area="fundraising", title=_("Matched funds due"), unit=Unit.EURO)
def fundraising_matched(scope: Scope, period: Period) -> Result:
    """Matched funds that became due in the period, on the campaigns of the ambito: the
    funds due counting the gifts up to the period's end, less those due counting the
    gifts before its start (``fundraising.matching``: each pledge matches min(cap, ratio
    × received gifts); a conditional one is due once the gifts alone reach the goal by
    its deadline). So the periods of a plan add up to the plan's figure."""
    if scope.comune_id is not None:
        return _no_comune_figure("fundraising_matched", Unit.EURO)
    campaigns = report_matched_campaigns(ambito_id=scope.ambito_id)
    due_by_end, due_before = _matched_due_by(
        campaigns, (period.end, period.start - dt.timedelta(days=1))
    )
    return Result(code="fundraising_matched", unit=Unit.EURO, value=_cents(due_by_end - due_before))


# --- Wel(l)fare LAB -----------------------------------------------------------------------


@indicator("research_pathways", area="research", title=_("Research pathways"), unit=Unit.COUNT)
def research_pathways(scope: Scope, period: Period) -> Result:
    """Pathways hosted by the ambito that are under way on at least one day of the
    period: started (``Pathway.starts_on``) on or before its end, and not ended
    (``ends_on``, empty while it goes on) before its start. A pathway with no start date
    is not under way yet."""
    if scope.comune_id is not None:
        return _no_comune_figure("research_pathways", Unit.COUNT)
    figures = (
        report_pathways(ambito_id=scope.ambito_id)
        .filter(starts_on__lte=period.end)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period.start))
        .aggregate(total=Count("pk"))
    )
    return Result(code="research_pathways", unit=Unit.COUNT, value=figures["total"])


@indicator("research_surveys", area="research", title=_("Practitioners' surveys"), unit=Unit.COUNT)
def research_surveys(scope: Scope, period: Period) -> Result:
    """Surveys of the ambito's pathways that took answers on at least one day of the
    period: opened (``Survey.opens_at``) before the period's end, and neither closed
    (``closed_at``) nor past their closing time (``closes_at``) before its start. Drafts
    are left out."""
    if scope.comune_id is not None:
        return _no_comune_figure("research_surveys", Unit.COUNT)
    start, after = _bounds(period)
    figures = (
        report_surveys(ambito_id=scope.ambito_id)
        .filter(opens_at__lt=after)
        .exclude(status=SurveyStatus.DRAFT)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=start))
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=start))
        .aggregate(total=Count("pk"))
    )
    return Result(code="research_surveys", unit=Unit.COUNT, value=figures["total"])


@indicator("research_responses", area="research", title=_("Survey responses"), unit=Unit.COUNT)
def research_responses(scope: Scope, period: Period) -> Result:
    """Responses submitted in the period to the surveys of the ambito's pathways. A
    response keeps no date and nothing that leads to who gave it (anonymous surveys);
    the day of an answer is kept on the invitation (``Invitation.answered_on``, a day,
    never a time), one per response: the indicator counts answered invitations by
    that day, and reads neither the responses nor who the invited people are."""
    if scope.comune_id is not None:
        return _no_comune_figure("research_responses", Unit.COUNT)
    figures = (
        report_invitations(ambito_id=scope.ambito_id)
        .filter(
            answered=True,
            answered_on__gte=period.start,
            answered_on__lte=period.end,
        )
        .aggregate(total=Count("pk"))
    )
    return Result(code="research_responses", unit=Unit.COUNT, value=figures["total"])
