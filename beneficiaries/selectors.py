"""Reads of the case file with rules: each starts from the access policy's
``visible_to`` and fetches what its page needs in a number of queries that does not
grow with the rows."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, ExtractYear, TruncMonth
from django.utils.translation import gettext_lazy as _

from beneficiaries.models import (
    Assessment,
    AssessmentKind,
    Case,
    CaseAssignment,
    CaseStage,
    Consent,
    DiaryNote,
    HouseholdMember,
    Intake,
    IntakeChannel,
    Person,
    Referral,
    Sex,
    VulnerabilityArea,
)
from legami.models import ChangeEvent
from legami.policy import Action, visible_to
from legami.templatetags.legami_audit import history_visible


def latest_lsns6_at_risk() -> Subquery:
    return Subquery(
        Assessment.objects.filter(person=OuterRef("pk"), kind=AssessmentKind.LSNS6)
        .order_by("-date", "-id")
        .values("at_risk")[:1]
    )


def _visible_cases(user: Any) -> QuerySet[Case]:
    return visible_to(user, Case, Action.READ).select_related("organisation", "ambito")


def person_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Person]:
    """The people whose file ``user`` may see, filtered by ``filters``: ``ambito``,
    ``comune`` (of residence or domicile), ``area``, ``stage`` and ``worker`` (currently
    assigned) of one of their cases, ``at_risk`` (the latest LSNS-6 assessment says
    isolated) and ``search`` (name, surname or codice fiscale, any order). Each person
    comes with ``at_risk`` annotated, their areas, and the cases the user may see with
    the current assignments."""
    filters = filters or {}
    qs = visible_to(user, Person, Action.LIST).filter(anonymised_at__isnull=True)
    cases = Case.objects.all()
    if filters.get("ambito"):
        cases = cases.filter(ambito=filters["ambito"])
    if filters.get("stage"):
        cases = cases.filter(stage=filters["stage"])
    if filters.get("worker"):
        cases = cases.filter(assignments__worker=filters["worker"], assignments__end__isnull=True)
    if cases.query.where:
        qs = qs.filter(pk__in=cases.values("person"))
    if filters.get("comune"):
        qs = qs.filter(Q(residence_comune=filters["comune"]) | Q(domicile_comune=filters["comune"]))
    if filters.get("area"):
        qs = qs.filter(areas__area=filters["area"])
    qs = qs.annotate(at_risk=latest_lsns6_at_risk())
    if filters.get("at_risk"):
        qs = qs.filter(at_risk=True)
    search = (filters.get("search") or "").strip()
    if search:
        words = search.split()
        condition = Q(codice_fiscale__iexact=search.replace(" ", ""))
        name_match = Q()
        for word in words:
            name_match &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        qs = qs.filter(condition | name_match)
    current = CaseAssignment.objects.filter(end__isnull=True).select_related("worker")
    return qs.select_related("residence_comune").prefetch_related(
        "areas",
        Prefetch(
            "cases",
            queryset=_visible_cases(user)
            .exclude(stage=CaseStage.CLOSED)
            .prefetch_related(Prefetch("assignments", queryset=current, to_attr="current")),
            to_attr="open_cases",
        ),
    )


def person_detail(*, user: Any, public_id: UUID | str) -> Person | None:
    """The person with this public id, if ``user`` may read their file."""
    return (
        visible_to(user, Person, Action.READ)
        .filter(public_id=public_id, anonymised_at__isnull=True)
        .annotate(at_risk=latest_lsns6_at_risk())
        .select_related("birth_comune", "residence_comune", "domicile_comune", "created_by")
        .prefetch_related("areas", "need_tags")
        .first()
    )


def person_file(*, user: Any, person: Person) -> dict[str, Any]:
    """The parts of a person's file that ``user`` may see, for the person page: cases
    with their assignment history, household, diary notes (confidential ones only for
    those allowed), referrals and consents."""
    cases = list(
        _visible_cases(user)
        .filter(person=person)
        .select_related("intake")
        .prefetch_related(
            Prefetch("assignments", queryset=CaseAssignment.objects.select_related("worker"))
        )
    )
    notes = list(
        visible_to(user, DiaryNote, Action.LIST)
        .filter(case__person=person)
        .select_related("author", "case__organisation")
    )
    referrals = list(
        visible_to(user, Referral, Action.LIST)
        .filter(case__person=person)
        .select_related("to_organisation", "case__organisation", "receiving_worker")
    )
    consents = list(visible_to(user, Consent, Action.LIST).filter(person=person))
    household = list(
        visible_to(user, HouseholdMember, Action.LIST)
        .filter(person=person)
        .select_related("member")
    )
    return {
        "cases": cases,
        "open_cases": [c for c in cases if c.stage != CaseStage.CLOSED],
        "notes": notes,
        "referrals": referrals,
        "consents": consents,
        "household": household,
    }


def file_history(*, user: Any, person: Person, cases: list[Case], limit: int = 100) -> list[Any]:
    """The change history of a person's file (the person, their cases, assignments,
    referrals, consents, household, intakes, ties and assessments) in one query, newest
    first, for those who may see it (``legami.templatetags.legami_audit.history_visible``);
    empty for others."""
    if not history_visible(user, person):
        return []
    case_ids = [c.pk for c in cases]
    parts = {
        "beneficiaries.person": [person.pk],
        "beneficiaries.case": case_ids,
        "beneficiaries.caseassignment": CaseAssignment.objects.filter(case__in=case_ids),
        "beneficiaries.referral": Referral.objects.filter(case__in=case_ids),
        "beneficiaries.consent": Consent.objects.filter(person=person),
        "beneficiaries.householdmember": HouseholdMember.objects.filter(person=person),
        "beneficiaries.intake": person.intakes.all(),
        "beneficiaries.tie": person.ties.all(),
        "beneficiaries.assessment": person.assessments.all(),
    }
    condition = Q()
    for target_type, ids in parts.items():
        values = (
            ids.annotate(text_pk=Cast("pk", CharField())).values("text_pk")
            if isinstance(ids, QuerySet)
            else [str(pk) for pk in ids]
        )
        condition |= Q(target_type=target_type, target_id__in=values)
    return list(ChangeEvent.objects.filter(condition).order_by("-at", "-id")[:limit])


def person_is_visible(*, user: Any, person: Person) -> bool:
    """Whether ``user`` may read ``person``'s file (for outlines of duplicates)."""
    return visible_to(user, Person, Action.READ).filter(pk=person.pk).exists()


def persons_holding_services(persons: list[Person]) -> dict[int, list[Case]]:
    """For each person, their open cases with service and ambito: the outline shown of
    a possible duplicate the user may not read ("a file exists at ...")."""
    result: dict[int, list[Case]] = {p.pk: [] for p in persons}
    for case in (
        Case.objects.filter(person__in=persons)
        .exclude(stage=CaseStage.CLOSED)
        .select_related("organisation", "ambito")
    ):
        result[case.person_id].append(case)
    return result


def referrals_to_decide(*, user: Any) -> QuerySet[Referral]:
    """Requested referrals to an organisation ``user`` coordinates."""
    return (
        visible_to(user, Referral, Action.CHANGE)
        .filter(status="requested")
        .select_related("case__organisation", "to_organisation")
    )


__all__ = [
    "person_detail",
    "person_file",
    "person_is_visible",
    "person_list",
    "persons_holding_services",
    "referrals_to_decide",
]


# --- The vulnerability observatory (research) -------------------------------------------
#
# Counts only: each function groups and counts in the database and returns plain keys
# (strings) mapped to integers; no row, id or model instance of a person leaves it. The
# small-cell suppression is the publisher's job (research.observatory).

OBSERVATORY_DIMENSIONS = ("area", "age_band", "sex", "ambito", "channel")
UNKNOWN = "unknown"
NO_AREA = "none"
# Age at intake, from the year of birth: (key, lowest age, highest age or None).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-17", 0, 17),
    ("18-34", 18, 34),
    ("35-64", 35, 64),
    ("65-79", 65, 79),
    ("80+", 80, None),
)
LSNS6_ISOLATION_BELOW = 12
AT_RISK = "at_risk"
NOT_AT_RISK = "not_at_risk"


def observatory_categories(dimension: str) -> list[tuple[str, str]]:
    """The categories of ``dimension`` in the order tables show them: (key, label). For
    ``ambito`` the keys are the names counted, so the list is empty."""
    choices: dict[str, list[tuple[str, Any]]] = {
        "area": [*VulnerabilityArea.choices, (NO_AREA, _("no area recorded"))],
        "age_band": [(key, key) for key, _low, _high in AGE_BANDS],
        "sex": list(Sex.choices),
        "ambito": [],
        "channel": list(IntakeChannel.choices),
    }
    if dimension not in choices:
        raise ValueError(f"Unknown dimension {dimension!r}.")
    return [(str(key), str(label)) for key, label in choices[dimension]]


def _age_band_expression() -> tuple[Any, SqlCase]:
    age = ExtractYear("date") - ExtractYear("person__birth_date")
    whens = []
    for key, low, high in AGE_BANDS:
        condition = Q(_age__gte=low) if high is None else Q(_age__gte=low, _age__lte=high)
        whens.append(When(condition, then=Value(key)))
    return age, SqlCase(*whens, default=Value(UNKNOWN), output_field=CharField())


def intakes_by_month(
    *, since: dt.date, until: dt.date, dimension: str
) -> dict[tuple[str, str], int]:
    """New intakes (accessi / segnalazioni) dated ``since``..``until`` (both included),
    counted per month (``"YYYY-MM"``) and per category of ``dimension``: ``area`` (the
    person's vulnerability areas; a person with two areas counts in both, one with none
    under ``"none"``), ``age_band`` (``AGE_BANDS``, age from the year of birth at the
    intake), ``sex`` (``F``/``M``), ``ambito`` (its name) or ``channel``. A missing value
    is ``"unknown"``. One query; counts only."""
    if dimension not in OBSERVATORY_DIMENSIONS:
        raise ValueError(f"Unknown dimension {dimension!r}.")
    qs = Intake.objects.filter(date__gte=since, date__lte=until).annotate(_month=TruncMonth("date"))
    if dimension == "age_band":
        age, band = _age_band_expression()
        qs = qs.annotate(_age=age).annotate(_key=band)
        key = "_key"
    else:
        key = {
            "area": "person__areas__area",
            "sex": "person__sex",
            "ambito": "ambito__name",
            "channel": "channel",
        }[dimension]
    rows = qs.order_by().values("_month", key).annotate(_n=Count("id", distinct=True))
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        month = row["_month"]
        label = row[key] or (NO_AREA if dimension == "area" and row[key] is None else UNKNOWN)
        cell = (f"{month.year:04d}-{month.month:02d}", str(label))
        counts[cell] = counts.get(cell, 0) + int(row["_n"])
    return counts


def quarters(since: dt.date, until: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The calendar quarters that meet ``since``..``until``: (``"YYYY-Qn"``, first day,
    last day)."""
    result = []
    year, quarter = since.year, (since.month - 1) // 3
    while dt.date(year, quarter * 3 + 1, 1) <= until:
        first = dt.date(year, quarter * 3 + 1, 1)
        next_first = dt.date(year + (quarter == 3), (quarter + 1) % 4 * 3 + 1, 1)
        result.append((f"{year}-Q{quarter + 1}", first, next_first - dt.timedelta(days=1)))
        year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
    return result


def isolation_risk(*, since: dt.date, until: dt.date) -> dict[tuple[str, str], int]:
    """People assessed with the LSNS-6 in each quarter meeting ``since``..``until``,
    counted by their latest LSNS-6 of the quarter: ``"at_risk"`` (total below 12, risk
    of social isolation) or ``"not_at_risk"``. Keys are (``"YYYY-Qn"``, status). One
    query per quarter (the number of quarters, never the number of people); counts only."""
    counts: dict[tuple[str, str], int] = {}
    for label, first, last in quarters(since, until):
        first, last = max(first, since), min(last, until)
        in_quarter = Assessment.objects.filter(
            kind=AssessmentKind.LSNS6, date__gte=first, date__lte=last
        )
        later = in_quarter.filter(person=OuterRef("person")).filter(
            Q(date__gt=OuterRef("date")) | Q(date=OuterRef("date"), id__gt=OuterRef("id"))
        )
        rows = (
            in_quarter.filter(~Exists(later))
            .annotate(
                _status=SqlCase(
                    When(total__lt=LSNS6_ISOLATION_BELOW, then=Value(AT_RISK)),
                    default=Value(NOT_AT_RISK),
                    output_field=CharField(),
                )
            )
            .order_by()
            .values("_status")
            .annotate(_n=Count("person", distinct=True))
        )
        found = {row["_status"]: int(row["_n"]) for row in rows}
        for status in (AT_RISK, NOT_AT_RISK):
            counts[(label, status)] = found.get(status, 0)
    return counts
