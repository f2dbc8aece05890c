"""Indicators of the generative pacts (area "pacts"), of isolation (area "isolation")
and of work inclusion (area "work").

Where. A pact belongs to the ambito of its case (``Case.ambito``): the same rule by
which the access policy lets a coordinator of the ambito see the case and its pacts
(``legami.policy``, ``case__ambito``). A comune scope keeps, of those, the pacts whose
person is resident in the comune (``Person.residence_comune``); a person with no comune
of residence is counted in the ambito only. Goals, reviews, ledger transactions and
placements follow their pact. A person (isolation) belongs to an ambito when they have a
case there — open or closed, any service — as the policy's rule for reading a person
(``cases__ambito``); a person with cases in two ambiti counts in both. The comune is,
again, the comune of residence.

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

Figures are computed in the database, one query per indicator whatever the rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from beneficiaries.models import Assessment, AssessmentKind, Case, Person
from beneficiaries.scoring import LSNS6_RISK_BELOW
from pacts.models import (
    CommitmentKind,
    GoalOutcome,
    LedgerTransaction,
    Pact,
    PactStatus,
    Placement,
    PlacementOutcome,
    ReviewGoalOutcome,
    Signatory,
)
from reports.indicators.base import Breakdown, Period, Result, Scope, Unit, indicator, share

UNKNOWN = "unknown"
ZERO_HOURS = Decimal("0.00")


def _pact_scope(scope: Scope, prefix: str = "") -> Q:
    """The pacts of ``scope`` (``prefix`` leads from the queried model to the pact)."""
    q = Q(**{f"{prefix}case__ambito_id": scope.ambito_id})
    if scope.comune_id is not None:
        q &= Q(**{f"{prefix}person__residence_comune_id": scope.comune_id})
    return q


def _person_scope(scope: Scope) -> Q:
    """The people of ``scope``: a case in the ambito, and resident in the comune."""
    q = Q(Exists(Case.objects.filter(person=OuterRef("pk"), ambito_id=scope.ambito_id)))
    if scope.comune_id is not None:
        q &= Q(residence_comune_id=scope.comune_id)
    return q


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
    last_signature = Subquery(
        Signatory.objects.filter(pact=OuterRef("pk"), signed_at__isnull=False)
        .order_by("-signed_at")
        .values("signed_at")[:1],
        output_field=DateTimeField(),
    )
    unsigned = Exists(Signatory.objects.filter(pact=OuterRef("pk"), signed_at__isnull=True))
    went_past_signature = ~Q(status__in=[PactStatus.DRAFT, PactStatus.PROPOSED]) & Q(
        _unsigned=False, _signed_on__isnull=False
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
        Pact.objects.filter(_pact_scope(scope))
        .annotate(_signed_on=TruncDate(last_signature), _unsigned=unsigned)
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


def _goal_outcomes(scope: Scope, period: Period) -> dict[str, int]:
    """Goals assessed at reviews dated in the period, by their outcome at the latest of
    those reviews (by date, then order of recording). One query."""
    in_period = ReviewGoalOutcome.objects.filter(
        _in(period, "review__date"), _pact_scope(scope, "goal__pact__")
    )
    later = ReviewGoalOutcome.objects.filter(
        _in(period, "review__date"), goal=OuterRef("goal")
    ).filter(
        Q(review__date__gt=OuterRef("review__date"))
        | Q(review__date=OuterRef("review__date"), review_id__gt=OuterRef("review_id"))
    )
    return in_period.filter(~Exists(later)).aggregate(
        assessed=Count("goal", distinct=True),
        **{
            outcome: Count("goal", distinct=True, filter=Q(outcome=outcome))
            for outcome in GoalOutcome.values
        },
    )


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
    return Result(
        code="pact_goals_achieved_share",
        unit=Unit.SHARE,
        value=share(int(counts[GoalOutcome.ACHIEVED]), int(counts["assessed"])),
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
    rows = (
        LedgerTransaction.objects.filter(
            _pact_scope(scope, "pact__"),
            _in(period, "date"),
            giver__person__isnull=False,
            receiver__organisation__isnull=False,
            reverses__isnull=True,
            reversal__isnull=True,
        )
        .order_by()
        .values("commitment__kind")
        .annotate(
            _hours=Coalesce(
                Sum("hours"),
                Value(ZERO_HOURS),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
    )
    found: dict[str, Decimal] = {}
    for row in rows:  # one row per commitment kind, never per transaction
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


def _isolation_counts(scope: Scope, period: Period) -> dict[str, Any]:
    """Of the people of ``scope`` with an LSNS-6 assessment dated in the period: how
    many, how many scored below 12 at their first assessment ever and at their latest
    up to the period's end, and how many scored higher at the latest than at the first.
    One query."""
    lsns = Assessment.objects.filter(
        person=OuterRef("pk"), kind=AssessmentKind.LSNS6, date__lte=period.end
    )
    assessed_in_period = Exists(
        Assessment.objects.filter(person=OuterRef("pk"), kind=AssessmentKind.LSNS6).filter(
            _in(period, "date")
        )
    )
    return (
        Person.objects.filter(_person_scope(scope), assessed_in_period)
        .annotate(
            _first=Subquery(lsns.order_by("date", "id").values("total")[:1]),
            _latest=Subquery(lsns.order_by("-date", "-id").values("total")[:1]),
        )
        .aggregate(
            assessed=Count("pk"),
            start=Count("pk", filter=Q(_first__lt=LSNS6_RISK_BELOW)),
            latest=Count("pk", filter=Q(_latest__lt=LSNS6_RISK_BELOW)),
            improved=Count("pk", filter=Q(_latest__gt=F("_first"))),
        )
    )


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
    if start is not None and latest is not None:
        values = {"start": start, "latest": latest}
    labels = {"start": str(_("at first assessment")), "latest": str(_("at latest assessment"))}
    return Result(
        code="isolation_at_risk",
        unit=Unit.SHARE,
        value=latest,
        breakdowns=(Breakdown("moment", values, labels),),
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
    counts = Placement.objects.filter(_pact_scope(scope, "pact__"), _in(period, "start_date"))
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
