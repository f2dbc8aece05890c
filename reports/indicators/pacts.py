"""Indicators of the generative pacts (area "pacts"), of isolation (area "isolation")
and of work inclusion (area "work").

Where. The rules live with the records, in ``pacts.selectors`` (``report_pacts``,
``report_goal_outcomes``, ``report_ledger_transactions``, ``report_placements``) and
``beneficiaries.selectors`` (``report_lsns6_assessments``), the only way this module
reads them. In short: a pact belongs to the ambito of its case (``Case.ambito``): the
same rule by which the access policy lets a coordinator of the ambito see the case and
its pacts (``legami.policy``, ``case__ambito``). A comune scope keeps, of those, the
pacts whose person is resident in the comune (``Person.residence_comune``); a person
with no comune of residence is counted in the ambito only. Goals, reviews, ledger
transactions and placements follow their pact. A person (isolation) belongs to an
ambito when they have a case there — open or closed, any service — as the policy's rule
for reading a person (``cases__ambito``); a person with cases in two ambiti counts in
both. The comune is, again, the comune of residence.

When. Each indicator names the date that counts, within ``period.start``..``period.end``
inclusive:

* ``pacts_by_status``: *signed* — the day the last signatory signed (local time, as
  ``pacts.selectors.intake_to_pact``), for a pact that went past signature (every
  signatory signed and the status is not draft or proposed: the last signature moves a
  pact to signed, and going back to draft clears the signatures); *active* — the pact
  ran on at least one day of the period: it started (``start_date``) on or before the
  period's end and had not ended (``ended_on``) before its start, and it did run: it is
  active, in review or completed, or was interrupted after being signed and not before
  its start date; *completed* and *interrupted* — the status, with ``ended_on`` in the
  period (an interruption counts whether it came before or after signature).
* ``pact_goals_achieved``: the goal outcomes recorded at reviews dated in the period;
  each goal counts once, with its outcome at the latest review of the period.
* ``hours_given_back``: the date of the ledger transaction.
* isolation: the date of the LSNS-6 assessment.
* ``placements_started``: the placement's ``start_date``.

Figures are computed in the database, one query per indicator whatever the rows; within
one report, the indicators that read the same figures (the two of goals, the three of
isolation) share one query (``reports.indicators.base.once``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    F,
    Max,
    Q,
    Sum,
    Window,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import FirstValue, TruncDate
from django.utils.translation import gettext_lazy as _

from beneficiaries.selectors import LSNS6_RISK_BELOW, report_lsns6_assessments
from pacts.selectors import (
    CommitmentKind,
    GoalOutcome,
    PactStatus,
    PlacementOutcome,
    report_goal_outcomes,
    report_ledger_transactions,
    report_pacts,
    report_placements,
)
from reports.indicators.base import Breakdown, Period, Result, Scope, Unit, indicator, once, share

UNKNOWN = "unknown"
ZERO_HOURS = Decimal("0.00")


def _in(period: Period, field: str) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lte": period.end})


# --- Pacts ---------------------------------------------------------------------------------

PACT_STATUS_KEYS = ("signed", "active", "completed", "interrupted")


@indicator(
    "pacts_by_status",
    area="pacts",
    title=_("Pacts signed, active, completed and interrupted"),
    unit=Unit.COUNT,
)
def pacts_by_status(scope: Scope, period: Period) -> Result:
    """Pacts signed in the period (the headline), active during it, completed and
    interrupted in it (breakdown "status"; a pact may count under several keys)."""
    # Per pact, from its signatories (joined, one group per pact): the day of the last
    # signature and how many have not signed.
    went_past_signature = ~Q(status__in=[PactStatus.DRAFT, PactStatus.PROPOSED]) & Q(
        _unsigned=0, _signed_on__isnull=False
    )
    ran = Q(status__in=[PactStatus.ACTIVE, PactStatus.IN_REVIEW, PactStatus.COMPLETED]) | (
        Q(status=PactStatus.INTERRUPTED)
        & went_past_signature
        & Q(start_date__isnull=False, start_date__lte=F("ended_on"))
    )
    overlaps = Q(start_date__lte=period.end) & (
        Q(ended_on__isnull=True) | Q(ended_on__gte=period.start)
    )
    counts = (
        report_pacts(ambito_id=scope.ambito_id, comune_id=scope.comune_id)
        .order_by()
        .annotate(
            _signed_on=TruncDate(Max("signatories__signed_at")),
            _unsigned=Count("signatories", filter=Q(signatories__signed_at__isnull=True)),
        )
        .aggregate(
            signed=Count("pk", filter=went_past_signature & _in(period, "_signed_on")),
            active=Count("pk", filter=ran & overlaps),
            completed=Count("pk", filter=Q(status=PactStatus.COMPLETED) & _in(period, "ended_on")),
            interrupted=Count(
                "pk", filter=Q(status=PactStatus.INTERRUPTED) & _in(period, "ended_on")
            ),
        )
    )
    labels = {
        "signed": str(_("signed")),
        "active": str(_("active")),
        "completed": str(_("completed")),
        "interrupted": str(_("interrupted")),
    }
    values: dict[str, int | Decimal] = {key: int(counts[key]) for key in PACT_STATUS_KEYS}
    return Result(
        code="pacts_by_status",
        unit=Unit.COUNT,
        value=values["signed"],
        breakdowns=(Breakdown("status", values, labels, additive=False),),
    )


@once
def _goal_outcomes(scope: Scope, period: Period) -> dict[str, int]:
    """Goals assessed at reviews dated in the period, by their outcome at the latest of
    those reviews (by date, then order of recording). One query, once per report
    (``once``): each outcome of the period carries its goal's latest one (a window over
    the goal's outcomes of the period), one row per goal, then plain counts."""
    latest = Window(
        FirstValue("outcome"),
        partition_by=[F("goal_id")],
        order_by=[F("review__date").desc(), F("review_id").desc()],
    )
    per_goal = (
        report_goal_outcomes(ambito_id=scope.ambito_id, comune_id=scope.comune_id)
        .filter(_in(period, "review__date"))
        .order_by()
        .annotate(_latest=latest)
        .values("goal_id", "_latest")
        .distinct()
    )
    row = per_goal.aggregate(
        assessed=Count("goal_id"),
        **{outcome: Count("goal_id", filter=Q(_latest=outcome)) for outcome in GoalOutcome.values},
    )
    return {key: int(value or 0) for key, value in row.items()}


@indicator(
    "pact_goals_achieved",
    area="pacts",
    title=_("Pact goals achieved"),
    unit=Unit.COUNT,
)
def pact_goals_achieved(scope: Scope, period: Period) -> Result:
    """Goals achieved in the period: goals whose outcome at their latest review of the
    period is "achieved". Breakdown "outcome": the goals assessed in the period by that
    outcome (they sum to the goals assessed). The share is ``pact_goals_achieved_share``."""
    counts = _goal_outcomes(scope, period)
    values: dict[str, int | Decimal] = {
        str(outcome): int(counts[outcome]) for outcome in GoalOutcome.values
    }
    labels = {str(value): str(label) for value, label in GoalOutcome.choices}
    return Result(
        code="pact_goals_achieved",
        unit=Unit.COUNT,
        value=int(counts[GoalOutcome.ACHIEVED]),
        breakdowns=(Breakdown("outcome", values, labels, additive=False),),
    )


@indicator(
    "pact_goals_achieved_share",
    area="pacts",
    title=_("Share of the goals assessed that were achieved"),
    unit=Unit.SHARE,
)
def pact_goals_achieved_share(scope: Scope, period: Period) -> Result:
    """Of the goals assessed at reviews in the period, the share achieved at their
    latest review of the period (None when no goal was assessed)."""
    counts = _goal_outcomes(scope, period)
    achieved, assessed = int(counts[GoalOutcome.ACHIEVED]), int(counts["assessed"])
    return Result(
        code="pact_goals_achieved_share",
        unit=Unit.SHARE,
        value=share(achieved, assessed),
        basis=(achieved, assessed),
    )


@indicator(
    "hours_given_back",
    area="pacts",
    title=_("Hours given back to organisations"),
    unit=Unit.HOURS,
)
def hours_given_back(scope: Scope, period: Period) -> Result:
    """Hours that people on file gave to organisations of the network within their
    pacts (ledger transactions from a person's account to an organisation's), dated in
    the period. Net of reversals: a transaction that has been reversed counts nothing
    (in the period of the hours it cancels, whenever the reversal was recorded), and
    reversals themselves are not hours given. Breakdown "kind": the kind of the
    commitment the hours fulfil ("unknown" when none is named)."""
    # Who gave and who received is a condition of the sums, not of the rows: as a row
    # filter it leads the database to start from the few organisations' accounts and
    # probe each of their many transactions; this way it hashes the scope's transactions
    # of the period once. A kind with no hours given has no sum (None) and is left out.
    given = Q(giver__person__isnull=False, receiver__organisation__isnull=False)
    rows = (
        report_ledger_transactions(
            ambito_id=scope.ambito_id, comune_id=scope.comune_id, net_of_reversals=True
        )
        .filter(_in(period, "date"))
        .order_by()
        .values("commitment__kind")
        .annotate(
            _hours=Sum(
                "hours", filter=given, output_field=DecimalField(max_digits=12, decimal_places=2)
            )
        )
    )
    found: dict[str, Decimal] = {}
    for row in rows:  # one row per commitment kind, never per transaction
        if row["_hours"] is None:
            continue
        key = row["commitment__kind"] or UNKNOWN
        found[key] = found.get(key, ZERO_HOURS) + Decimal(row["_hours"])
    kinds = [str(kind) for kind in CommitmentKind.values if kind in found]
    labels = {str(value): str(label) for value, label in CommitmentKind.choices}
    labels[UNKNOWN] = str(_("no commitment named"))
    values: dict[str, int | Decimal] = {key: found[key] for key in kinds}
    if UNKNOWN in found:
        values[UNKNOWN] = found[UNKNOWN]
    total = sum(found.values(), ZERO_HOURS)
    return Result(
        code="hours_given_back",
        unit=Unit.HOURS,
        value=total.quantize(Decimal("0.01")),
        breakdowns=(Breakdown("kind", values, {k: labels[k] for k in values}),),
    )


# --- Isolation -----------------------------------------------------------------------------


@once
def _isolation_counts(scope: Scope, period: Period) -> dict[str, Any]:
    """Of the people of ``scope`` with an LSNS-6 assessment dated in the period: how
    many, how many scored below 12 at their first assessment ever and at their latest
    up to the period's end, and how many scored higher at the latest than at the first.
    One query, once per report (``once``): each of their assessments up to the period's
    end carries the person's first and latest totals (windows over the person's
    assessments), one row per person, then plain counts."""
    lsns = report_lsns6_assessments(ambito_id=scope.ambito_id, comune_id=scope.comune_id)
    assessed_in_period = lsns.filter(_in(period, "date")).order_by().values("person_id")

    def total_at(*order: OrderBy) -> Window:
        return Window(FirstValue("total"), partition_by=[F("person_id")], order_by=list(order))

    per_person = (
        lsns.filter(date__lte=period.end, person_id__in=assessed_in_period)
        .order_by()
        .annotate(
            _first=total_at(F("date").asc(), F("id").asc()),
            _latest=total_at(F("date").desc(), F("id").desc()),
        )
        .values("person_id", "_first", "_latest")
        .distinct()
    )
    row = per_person.aggregate(
        assessed=Count("person_id"),
        start=Count("person_id", filter=Q(_first__lt=LSNS6_RISK_BELOW)),
        latest=Count("person_id", filter=Q(_latest__lt=LSNS6_RISK_BELOW)),
        improved=Count("person_id", filter=Q(_latest__gt=F("_first"))),
    )
    return {key: int(value or 0) for key, value in row.items()}


@indicator(
    "isolation_assessed",
    area="isolation",
    title=_("People assessed for isolation (LSNS-6)"),
    unit=Unit.PEOPLE,
)
def isolation_assessed(scope: Scope, period: Period) -> Result:
    """People with at least one LSNS-6 assessment dated in the period."""
    counts = _isolation_counts(scope, period)
    return Result(code="isolation_assessed", unit=Unit.PEOPLE, value=int(counts["assessed"]))


@indicator(
    "isolation_at_risk",
    area="isolation",
    title=_("Share at risk of isolation (LSNS-6 below 12)"),
    unit=Unit.SHARE,
)
def isolation_at_risk(scope: Scope, period: Period) -> Result:
    """Of the people assessed in the period (``isolation_assessed``), the share with an
    LSNS-6 total below 12 at their first assessment ever ("start") and at their latest
    assessment up to the period's end ("latest", the headline). None of nobody."""
    counts = _isolation_counts(scope, period)
    assessed = int(counts["assessed"])
    start, latest = share(int(counts["start"]), assessed), share(int(counts["latest"]), assessed)
    values: dict[str, int | Decimal] = {}
    bases: dict[str, tuple[int, int]] = {}
    if start is not None and latest is not None:
        values = {"start": start, "latest": latest}
        bases = {
            "start": (int(counts["start"]), assessed),
            "latest": (int(counts["latest"]), assessed),
        }
    labels = {"start": str(_("at first assessment")), "latest": str(_("at latest assessment"))}
    return Result(
        code="isolation_at_risk",
        unit=Unit.SHARE,
        value=latest,
        breakdowns=(Breakdown("moment", values, labels, bases=bases),),
        basis=(int(counts["latest"]), assessed),
    )


@indicator(
    "isolation_improved",
    area="isolation",
    title=_("People whose LSNS-6 score improved"),
    unit=Unit.PEOPLE,
)
def isolation_improved(scope: Scope, period: Period) -> Result:
    """Of the people assessed in the period, those whose latest LSNS-6 total up to the
    period's end is higher than their first (a higher score is a wider network)."""
    counts = _isolation_counts(scope, period)
    return Result(code="isolation_improved", unit=Unit.PEOPLE, value=int(counts["improved"]))


# --- Work inclusion ------------------------------------------------------------------------


@indicator(
    "placements_started",
    area="work",
    title=_("Work placements started"),
    unit=Unit.COUNT,
)
def placements_started(scope: Scope, period: Period) -> Result:
    """Work placements (tirocini) whose start date falls in the period. Breakdown
    "outcome": their outcome as recorded now (ongoing, hired, extended, ended)."""
    counts = report_placements(ambito_id=scope.ambito_id, comune_id=scope.comune_id).filter(
        _in(period, "start_date")
    )
    found = counts.aggregate(
        total=Count("pk"),
        **{outcome: Count("pk", filter=Q(outcome=outcome)) for outcome in PlacementOutcome.values},
    )
    values: dict[str, int | Decimal] = {
        str(outcome): int(found[outcome]) for outcome in PlacementOutcome.values
    }
    labels = {str(value): str(label) for value, label in PlacementOutcome.choices}
    return Result(
        code="placements_started",
        unit=Unit.COUNT,
        value=int(found["total"]),
        breakdowns=(Breakdown("outcome", values, labels),),
    )
