"""Reads of pacts, each starting from the access policy.

A case worker or coordinator reads the whole pact. Partner staff read the pacts their
organisation signs, and of them only what concerns the organisation: ``partner_view``
says exactly which fields and which goals and commitments (the API and the pages use
it, and a test pins the set of keys).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate, TruncQuarter
from django.utils import timezone

from beneficiaries.models import Assessment, AssessmentKind, Person
from legami.policy import Action, allowed, scope, subject_for, visible_to
from legami.roles import Role
from pacts.models import (
    Commitment,
    Goal,
    GoalOutcome,
    LedgerEntry,
    LedgerTransaction,
    Pact,
    PactStatus,
    Reminder,
    Review,
    ReviewGoalOutcome,
    Signatory,
)
from partners.models import Organisation


def pact_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Pact]:
    """The pacts ``user`` may see, with what a list row shows. Filters: ``status``,
    ``due`` ("overdue" or "soon": next review past, or within the reminder window),
    ``mine`` (pacts of cases the user is assigned to), ``person`` (a Person)."""
    filters = filters or {}
    qs = visible_to(user, Pact).select_related("person", "case", "case__organisation")
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    today = timezone.localdate()
    if filters.get("due") == "overdue":
        qs = qs.filter(
            status__in=[PactStatus.ACTIVE, PactStatus.IN_REVIEW], next_review_on__lt=today
        )
    elif filters.get("due") == "soon":
        from django.conf import settings

        qs = qs.filter(
            status__in=[PactStatus.ACTIVE, PactStatus.IN_REVIEW],
            next_review_on__gte=today,
            next_review_on__lte=today + dt.timedelta(days=settings.PACT_REMINDER_DAYS_BEFORE),
        )
    if filters.get("mine"):
        qs = qs.filter(
            case__assignments__worker=user, case__assignments__end__isnull=True
        ).distinct()
    if filters.get("person") is not None:
        qs = qs.filter(person=filters["person"])
    return qs.annotate(goal_count=Count("goals", distinct=True)).order_by(
        "next_review_on", "-created_at", "-id"
    )


def is_full_reader(user: Any, pact: Pact) -> bool:
    """Whether ``user`` reads the whole pact (case scope), not only a partner's part."""
    rule_scope = scope(user, Action.READ, "beneficiaries.case")
    if rule_scope is True:
        return True
    if rule_scope is False:
        return False
    from beneficiaries.models import Case

    return Case.objects.filter(rule_scope, pk=pact.case_id).exists()


def full_reader_case_ids(user: Any, case_ids: set[int]) -> set[int]:
    """Of ``case_ids``, the cases whose pacts ``user`` reads whole (one query for a page
    of pacts; the same rule as ``is_full_reader``). For the others, only
    ``partner_view`` may be shown."""
    rule_scope = scope(user, Action.READ, "beneficiaries.case")
    if rule_scope is True:
        return set(case_ids)
    if rule_scope is False or not case_ids:
        return set()
    from beneficiaries.models import Case

    return set(Case.objects.filter(rule_scope, pk__in=case_ids).values_list("pk", flat=True))


def partner_organisations(user: Any, pact: Pact) -> frozenset[int]:
    """The organisations of ``user``'s partner staff memberships that sign ``pact``."""
    orgs = subject_for(user).orgs(Role.PARTNER_STAFF)
    return frozenset(
        org_id
        for org_id in pact.signatories.values_list("organisation_id", flat=True)
        if org_id in orgs
    )


def pact_detail(*, user: Any, public_id: UUID) -> Pact | None:
    """The pact, with all it shows, or None when the user may not read it."""
    return (
        visible_to(user, Pact, Action.READ)
        .select_related("person", "case", "case__organisation", "case__ambito", "renewal_of")
        .prefetch_related(
            Prefetch("goals", queryset=Goal.objects.select_related("organisation")),
            Prefetch("commitments", queryset=Commitment.objects.select_related("organisation")),
            Prefetch(
                "signatories",
                queryset=Signatory.objects.select_related("organisation", "user", "signed_by"),
            ),
            Prefetch(
                "reviews",
                queryset=Review.objects.select_related("assessment", "held_by").prefetch_related(
                    Prefetch("outcomes", queryset=ReviewGoalOutcome.objects.select_related("goal"))
                ),
            ),
            "placements__host_organisation",
        )
        .filter(public_id=public_id)
        .first()
    )


# --- What a partner organisation sees ------------------------------------------------------

# The fields of a pact that partner staff read: enough to know with whom and on what they
# work, nothing of the person's context, strengths or reviews.
PARTNER_PACT_FIELDS = (
    "public_id",
    "title",
    "status",
    "start_date",
    "end_date",
    "person_name",
    "goals",
    "commitments",
    "signatories",
)
PARTNER_GOAL_FIELDS = ("id", "description", "indicator", "target", "target_date", "organisation")
PARTNER_COMMITMENT_FIELDS = (
    "id",
    "direction",
    "kind",
    "description",
    "organisation",
    "quantity",
    "unit",
    "period",
)
PARTNER_SIGNATORY_FIELDS = ("id", "kind", "label", "signed_at", "organisation")


def concerns(obj: Goal | Commitment | Signatory, organisations: frozenset[int]) -> bool:
    return obj.organisation_id in organisations


def partner_view(pact: Pact, organisations: frozenset[int]) -> dict[str, Any]:
    """The part of ``pact`` that concerns ``organisations``: its identity, the goals
    and commitments naming one of them, and the signatures (who signed, not how)."""
    return {
        "public_id": str(pact.public_id),
        "title": pact.title,
        "status": pact.status,
        "start_date": pact.start_date,
        "end_date": pact.end_date,
        "person_name": str(pact.person),
        "goals": [
            {name: _value(goal, name) for name in PARTNER_GOAL_FIELDS}
            for goal in pact.goals.all()
            if concerns(goal, organisations)
        ],
        "commitments": [
            {name: _value(c, name) for name in PARTNER_COMMITMENT_FIELDS}
            for c in pact.commitments.all()
            if concerns(c, organisations)
        ],
        "signatories": [
            {name: _value(s, name) for name in PARTNER_SIGNATORY_FIELDS}
            for s in pact.signatories.all()
        ],
    }


def _value(obj: Any, name: str) -> Any:
    if name == "organisation":
        return obj.organisation_id
    return getattr(obj, name)


# --- Outcomes and balances -----------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    given: Decimal
    received: Decimal

    @property
    def net(self) -> Decimal:
        return self.given - self.received


ZERO = Decimal("0.00")


def _balance(entries: QuerySet[LedgerEntry]) -> Balance:
    """Hours given and received by the accounts of ``entries``. A reversal cancels the
    hours of the transaction it reverses, on the same side: reversing hours given takes
    them off "given" (its entry is negative, but it is not hours received)."""
    original = Q(transaction__reverses__isnull=True)
    reversal = Q(transaction__reverses__isnull=False)
    sums = entries.aggregate(
        given=Sum("amount", filter=original & Q(amount__gt=0)),
        given_reversed=Sum("amount", filter=reversal & Q(amount__lt=0)),
        received=Sum("amount", filter=original & Q(amount__lt=0)),
        received_reversed=Sum("amount", filter=reversal & Q(amount__gt=0)),
    )
    given = (sums["given"] or ZERO) + (sums["given_reversed"] or ZERO)
    received = -(sums["received"] or ZERO) - (sums["received_reversed"] or ZERO)
    return Balance(given=given, received=received)


def pact_balance(pact: Pact) -> Balance:
    """Hours the person gave back and received within ``pact`` (reversals net out)."""
    return _balance(
        LedgerEntry.objects.filter(transaction__pact=pact, account__person=pact.person_id)
    )


def person_balance(person: Person) -> Balance:
    """Hours the person gave back and received, over all their pacts."""
    return _balance(LedgerEntry.objects.filter(account__person=person))


def organisation_balance(*, user: Any, organisation: Organisation) -> Balance | None:
    """Hours an organisation gave and received across pacts, for who may see it."""
    if not allowed(user, Action.READ, "partners.organisation_hours", organisation):
        return None
    return _balance(LedgerEntry.objects.filter(account__organisation=organisation))


def pact_ledger(*, user: Any, pact: Pact) -> QuerySet[LedgerTransaction]:
    """The transactions of ``pact`` that ``user`` may read, newest first."""
    return (
        visible_to(user, LedgerTransaction, Action.READ)
        .filter(pact=pact)
        .select_related(
            "giver__person",
            "giver__organisation",
            "receiver__person",
            "receiver__organisation",
            "commitment",
            "recorded_by",
            "reversal",
        )
        .order_by("-date", "-id")
    )


@dataclass(frozen=True)
class Outcomes:
    goals: int
    achieved: int
    partly: int
    hours_given_back: Decimal
    lsns_start: int | None
    lsns_end: int | None

    @property
    def achieved_share(self) -> float | None:
        return self.achieved / self.goals if self.goals else None

    @property
    def lsns_change(self) -> int | None:
        if self.lsns_start is None or self.lsns_end is None:
            return None
        return self.lsns_end - self.lsns_start


def latest_outcomes(pact: Pact) -> dict[int, str]:
    """Each goal's outcome at its most recent review."""
    latest: dict[int, str] = {}
    rows = (
        ReviewGoalOutcome.objects.filter(review__pact=pact)
        .order_by("review__date", "review_id")
        .values_list("goal_id", "outcome")
    )
    for goal_id, outcome in rows:
        latest[goal_id] = outcome
    return latest


def pact_outcomes(pact: Pact) -> Outcomes:
    """Share of goals achieved (at their latest review), hours given back, and the
    LSNS-6 change between the pact's start and its end (or today): the last assessment
    on or before the start (else the first within the pact), and the last one up to
    the end."""
    latest = latest_outcomes(pact)
    goals = pact.goals.count()
    start = pact.start_date
    end = pact.ended_on or timezone.localdate()
    lsns = Assessment.objects.filter(person=pact.person_id, kind=AssessmentKind.LSNS6)
    first = last = None
    if start is not None:
        before = lsns.filter(date__lte=start).order_by("-date", "-id").first()
        first = before or lsns.filter(date__gt=start, date__lte=end).order_by("date", "id").first()
        last = lsns.filter(date__gt=start, date__lte=end).order_by("-date", "-id").first()
    return Outcomes(
        goals=goals,
        achieved=sum(1 for v in latest.values() if v == GoalOutcome.ACHIEVED),
        partly=sum(1 for v in latest.values() if v == GoalOutcome.PARTLY),
        hours_given_back=pact_balance(pact).given,
        lsns_start=first.total if first else None,
        lsns_end=last.total if last and first and last.pk != first.pk else None,
    )


def reminders_for(*, user: Any) -> QuerySet[Reminder]:
    """The user's review reminders still on their dashboard, for the pacts they may
    still read (a reminder names the pact)."""
    return (
        visible_to(user, Reminder)
        .filter(
            dismissed_at__isnull=True,
            pact__status__in=[PactStatus.ACTIVE, PactStatus.IN_REVIEW],
            pact__in=visible_to(user, Pact, Action.READ).values("pk"),
        )
        .select_related("pact")
        .order_by("due_on", "id")
    )


def pacts_of_person(*, user: Any, person: Person) -> QuerySet[Pact]:
    """The pacts of a person's file, for the pacts tab of the person page."""
    return pact_list(user=user, filters={"person": person}).order_by("-created_at", "-id")


# --- The vulnerability observatory (research) -------------------------------------------

# Days from the intake of the pact's case to the pact's signature: (key, up to days or None).
INTAKE_TO_PACT_BANDS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30),
    ("31-90", 90),
    ("91-180", 180),
    ("181+", None),
)
_SIGNED_STATUSES = (
    PactStatus.SIGNED,
    PactStatus.ACTIVE,
    PactStatus.IN_REVIEW,
    PactStatus.COMPLETED,
)


def intake_to_pact(*, since: dt.date, until: dt.date) -> dict[tuple[str, str], int]:
    """Pacts signed ``since``..``until`` (the day the last signatory signed, in local
    time) whose case came from an intake, counted per quarter of signature
    (``"YYYY-Qn"``) and per band of days from the intake to the signature
    (``INTAKE_TO_PACT_BANDS``). One query; counts only: no pact, case or person leaves
    this function."""
    last_signature = Subquery(
        Signatory.objects.filter(pact=OuterRef("pk"), signed_at__isnull=False)
        .order_by("-signed_at")
        .values("signed_at")[:1]
    )
    whens = [
        When(_wait__lte=dt.timedelta(days=days), then=Value(key))
        for key, days in INTAKE_TO_PACT_BANDS
        if days is not None
    ]
    rows = (
        Pact.objects.filter(status__in=_SIGNED_STATUSES, case__intake__isnull=False)
        .annotate(_signed_on=TruncDate(last_signature))
        .filter(_signed_on__gte=since, _signed_on__lte=until)
        .annotate(
            _wait=ExpressionWrapper(
                F("_signed_on") - F("case__intake__date"), output_field=DurationField()
            ),
            _quarter=TruncQuarter("_signed_on"),
        )
        .annotate(
            _band=SqlCase(
                *whens, default=Value(INTAKE_TO_PACT_BANDS[-1][0]), output_field=CharField()
            )
        )
        .order_by()
        .values("_quarter", "_band")
        .annotate(_n=Count("id"))
    )
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        quarter = row["_quarter"]
        label = f"{quarter.year}-Q{(quarter.month - 1) // 3 + 1}"
        counts[(label, row["_band"])] = counts.get((label, row["_band"]), 0) + int(row["_n"])
    return counts


# --- Coordination dashboard (read by reports.dashboards) ---

COORDINATION_REVIEW_STATUSES = (PactStatus.ACTIVE, PactStatus.IN_REVIEW)


def coordination_reviews(*, user: Any, ambito_ids: list[int], until: dt.date) -> QuerySet[Pact]:
    """Running pacts (active or in review) of cases of ``ambito_ids`` whose next review
    falls on or before ``until`` (overdue ones included), among the pacts ``user`` reads
    whole (the case rule: a coordinator, every pact of the ambiti they coordinate);
    soonest first, with the person and the case's service and ambito."""
    return (
        visible_to(user, Pact, Action.READ)
        .filter(
            case__in=visible_to(user, "beneficiaries.case", Action.READ).values("pk"),
            case__ambito_id__in=ambito_ids,
            status__in=COORDINATION_REVIEW_STATUSES,
            next_review_on__isnull=False,
            next_review_on__lte=until,
        )
        .select_related("person", "case__organisation", "case__ambito")
        .order_by("next_review_on", "id")
    )


def coordination_review_counts(
    *, user: Any, ambito_ids: list[int], today: dt.date, until: dt.date
) -> dict[str, int]:
    """Of ``coordination_reviews``: how many are overdue (next review before ``today``)
    and how many due ``today``..``until``. One query."""
    counts = (
        coordination_reviews(user=user, ambito_ids=ambito_ids, until=until)
        .order_by()
        .aggregate(
            overdue=Count("pk", filter=Q(next_review_on__lt=today)),
            due=Count("pk", filter=Q(next_review_on__gte=today)),
        )
    )
    return {"overdue": int(counts["overdue"]), "due": int(counts["due"])}


# --- Piano di zona reports (read by reports.indicators) ---
#
# The records of a report's scope (an ambito, or one comune of it), for the indicators
# to aggregate: ``reports`` reads no model of this app, only these. A pact belongs to
# the ambito of its case (``Case.ambito``): the rule by which the access policy lets a
# coordinator of the ambito see the case and its pacts (``legami.policy``,
# ``case__ambito``). A comune's scope keeps, of those, the pacts whose person is
# resident in the comune (``Person.residence_comune``); a person with no comune of
# residence is counted in the ambito only. Goals and their outcomes at reviews, ledger
# transactions and placements follow their pact.
#
# The enums the indicators key and label their figures by are re-exported here too.

from pacts.models import CommitmentKind as CommitmentKind  # noqa: E402
from pacts.models import GoalOutcome as GoalOutcome  # noqa: E402, F811
from pacts.models import PactStatus as PactStatus  # noqa: E402, F811
from pacts.models import Placement  # noqa: E402
from pacts.models import PlacementOutcome as PlacementOutcome  # noqa: E402


def _report_pact_q(ambito_id: int, comune_id: int | None, prefix: str = "") -> Q:
    """The pacts of a report's scope (``prefix`` leads from the queried model to the
    pact)."""
    q = Q(**{f"{prefix}case__ambito_id": ambito_id})
    if comune_id is not None:
        q &= Q(**{f"{prefix}person__residence_comune_id": comune_id})
    return q


def report_pacts(*, ambito_id: int, comune_id: int | None = None) -> QuerySet[Pact]:
    """The pacts of a report's scope (see above)."""
    return Pact.objects.filter(_report_pact_q(ambito_id, comune_id))


def report_goal_outcomes(
    *, ambito_id: int, comune_id: int | None = None
) -> QuerySet[ReviewGoalOutcome]:
    """The outcomes of goals recorded at reviews, of the pacts of a report's scope."""
    return ReviewGoalOutcome.objects.filter(_report_pact_q(ambito_id, comune_id, "goal__pact__"))


def report_ledger_transactions(
    *, ambito_id: int, comune_id: int | None = None, net_of_reversals: bool = False
) -> QuerySet[LedgerTransaction]:
    """The reciprocity ledger's transactions of the pacts of a report's scope (every
    kind: the indicators choose givers and receivers). With ``net_of_reversals``, only
    those that are neither a reversal nor reversed (whenever the reversal was recorded);
    "not reversed" is a ``NOT EXISTS``, which the database runs as an anti-join."""
    transactions = LedgerTransaction.objects.filter(_report_pact_q(ambito_id, comune_id, "pact__"))
    if net_of_reversals:
        reversal = LedgerTransaction.objects.filter(reverses=OuterRef("pk"))
        transactions = transactions.filter(~Exists(reversal), reverses__isnull=True)
    return transactions


def report_placements(*, ambito_id: int, comune_id: int | None = None) -> QuerySet[Placement]:
    """The work-inclusion placements (tirocini) of the pacts of a report's scope."""
    return Placement.objects.filter(_report_pact_q(ambito_id, comune_id, "pact__"))
