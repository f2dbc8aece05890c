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


# --- Coordination dashboard (read by reports.dashboards) ---


def coordination_open_cases(*, user: Any, ambito_ids: list[int]) -> QuerySet[Case]:
    """The open cases of ``ambito_ids`` that ``user`` may read (the case rule: for a
    coordinator, every case of the ambiti they coordinate)."""
    return (
        visible_to(user, Case, Action.READ)
        .filter(ambito_id__in=ambito_ids)
        .exclude(stage=CaseStage.CLOSED)
    )


def coordination_caseload(*, user: Any, ambito_ids: list[int]) -> list[dict[str, Any]]:
    """Open cases assigned now, per worker (an assignment with no end), among the open
    cases of ``ambito_ids`` that ``user`` may read, most loaded first: one row per worker
    with ``worker_id``, ``name`` and ``cases``. One query."""
    rows = (
        CaseAssignment.objects.filter(
            case__in=coordination_open_cases(user=user, ambito_ids=ambito_ids).values("pk"),
            end__isnull=True,
        )
        .order_by()
        .values("worker_id", "worker__first_name", "worker__last_name", "worker__email")
        .annotate(_cases=Count("case", distinct=True))
    )
    load = [
        {
            "worker_id": row["worker_id"],
            "name": " ".join(
                part for part in (row["worker__first_name"], row["worker__last_name"]) if part
            )
            or row["worker__email"],
            "cases": int(row["_cases"]),
        }
        for row in rows
    ]
    return sorted(load, key=lambda row: (-row["cases"], row["name"].casefold(), row["worker_id"]))


def coordination_case_counts(*, user: Any, ambito_ids: list[int]) -> dict[str, int]:
    """How many open cases of ``ambito_ids`` ``user`` may read (``open``), and how many of
    them nobody is assigned to now (``unassigned``). One query."""
    current = CaseAssignment.objects.filter(case=OuterRef("pk"), end__isnull=True)
    counts = coordination_open_cases(user=user, ambito_ids=ambito_ids).aggregate(
        open=Count("pk"), unassigned=Count("pk", filter=~Exists(current))
    )
    return {"open": int(counts["open"]), "unassigned": int(counts["unassigned"])}


def _coordination_intakes(
    user: Any, ambito_ids: list[int], since: dt.date, until: dt.date
) -> QuerySet[Intake]:
    return visible_to(user, Intake, Action.LIST).filter(
        ambito_id__in=ambito_ids, date__gte=since, date__lte=until
    )


def coordination_intakes(
    *, user: Any, ambito_ids: list[int], since: dt.date, until: dt.date
) -> QuerySet[Intake]:
    """Intakes of ``ambito_ids`` dated ``since``..``until`` that ``user`` may see (the
    intake rule: those of the people whose cases they read), newest first, with the
    person, the service and the cases the intake led to that ``user`` reads."""
    return (
        _coordination_intakes(user, ambito_ids, since, until)
        .select_related("person", "organisation", "ambito")
        .prefetch_related(
            Prefetch(
                "cases",
                queryset=visible_to(user, Case, Action.READ).order_by("-opened_on", "-id"),
                to_attr="visible_cases",
            )
        )
        .order_by("-date", "-id")
    )


def coordination_intakes_by_channel(
    *, user: Any, ambito_ids: list[int], since: dt.date, until: dt.date
) -> list[tuple[str, str, int]]:
    """The intakes of ``coordination_intakes`` counted per channel: (channel, label,
    count) in the order of the channels, channels with none left out. One query."""
    rows = (
        _coordination_intakes(user, ambito_ids, since, until)
        .order_by()
        .values("channel")
        .annotate(_n=Count("pk"))
    )
    found = {row["channel"]: int(row["_n"]) for row in rows}
    return [
        (str(value), str(label), found[value])
        for value, label in IntakeChannel.choices
        if value in found
    ]


# --- Piano di zona reports (read by reports.indicators) ---
#
# The records of a report's scope (an ambito, or one comune of it), for the indicators
# to aggregate: ``reports`` reads no model of this app, only these. Where a record
# belongs:
#
# - a case belongs to the ambito in its own ``Case.ambito`` field, whichever comune the
#   person lives in; a comune's scope keeps, of those, the cases whose person is
#   resident in the comune (``Person.residence_comune``; the domicile is not used). A
#   person with no comune of residence, or resident outside the ambito, counts for the
#   ambito and for none of its comuni.
# - an intake belongs to the ambito in its ``Intake.ambito`` field and, for a comune,
#   to the comune of residence of its person, as a case.
# - a person belongs to an ambito when they have a case there (open or closed, any
#   service: the access policy's rule for reading a person, ``cases__ambito``), so a
#   person with cases in two ambiti belongs to both; and to the comune they reside in.
#
# The enums and constants the indicators key and label their figures by are
# re-exported here too.

from beneficiaries.models import AssessmentKind as AssessmentKind  # noqa: E402, F811
from beneficiaries.models import IntakeChannel as IntakeChannel  # noqa: E402, F811
from beneficiaries.models import Sex as Sex  # noqa: E402, F811
from beneficiaries.models import VulnerabilityArea as VulnerabilityArea  # noqa: E402, F811
from beneficiaries.models.case import COMMUNITY_CHANNELS as COMMUNITY_CHANNELS  # noqa: E402
from beneficiaries.scoring import LSNS6_RISK_BELOW as LSNS6_RISK_BELOW  # noqa: E402


def report_cases(*, ambito_id: int, comune_id: int | None = None) -> QuerySet[Case]:
    """The cases of a report's scope: of the ambito (``Case.ambito``) and, with a
    ``comune_id``, whose person is resident in that comune."""
    cases = Case.objects.filter(ambito_id=ambito_id)
    if comune_id is not None:
        cases = cases.filter(person__residence_comune_id=comune_id)
    return cases


def report_people(
    *, ambito_id: int, comune_id: int | None = None, cases: QuerySet[Case] | None = None
) -> QuerySet[Person]:
    """The people of a report's scope: with a case in the ambito — one of ``cases``
    when given (e.g. the cases open in a period), any case otherwise — and, with a
    ``comune_id``, resident in that comune. Each person once (a subquery, no join)."""
    among = Case.objects.all() if cases is None else cases
    people = Person.objects.filter(Exists(among.filter(person=OuterRef("pk"), ambito_id=ambito_id)))
    if comune_id is not None:
        people = people.filter(residence_comune_id=comune_id)
    return people


def report_intakes(*, ambito_id: int, comune_id: int | None = None) -> QuerySet[Intake]:
    """The intakes of a report's scope: of the ambito (``Intake.ambito``) and, with a
    ``comune_id``, whose person is resident in that comune."""
    intakes = Intake.objects.filter(ambito_id=ambito_id)
    if comune_id is not None:
        intakes = intakes.filter(person__residence_comune_id=comune_id)
    return intakes


def report_lsns6_assessments(
    *, ambito_id: int, comune_id: int | None = None
) -> QuerySet[Assessment]:
    """The LSNS-6 assessments of the people of a report's scope (``report_people``: with
    a case in the ambito and, with a ``comune_id``, resident in that comune), all of
    them whatever their date. An assessment belongs to its person's scope."""
    assessments = Assessment.objects.filter(
        Exists(Case.objects.filter(person=OuterRef("person_id"), ambito_id=ambito_id)),
        kind=AssessmentKind.LSNS6,
    )
    if comune_id is not None:
        assessments = assessments.filter(person__residence_comune_id=comune_id)
    return assessments
