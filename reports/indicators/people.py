"""People taken in charge and intakes (areas "people" and "intakes").

Where a record belongs (``Scope``): the rules live with the records, in
``beneficiaries.selectors`` (``report_cases``, ``report_intakes``),
the only way this module reads them. In short:

- a case belongs to the ambito in its own ``Case.ambito`` field, whichever comune the
  person lives in; with a ``comune_id`` the scope keeps only the cases of that ambito
  whose person's comune of residence (``Person.residence_comune``) is that comune. The
  comune of domicile is not used. A person with no comune of residence, or resident
  outside the ambito, counts for the ambito and for none of its comuni.
- an intake belongs to the ambito in its ``Intake.ambito`` field; with a
  ``comune_id``, to the comune of residence of its person, as for cases.

When (``Period``, ``start``..``end`` both included):

- a person is *in charge* in the period when at least one of their cases in the scope
  was open on at least one day of it: ``Case.opened_on <= end`` and either no
  ``Case.closed_on`` or ``closed_on >= start`` (a case closed on the first day counts).
  Each person counts once, however many cases they have.
- of them, a person is *continuing* when they were already in charge in the scope the
  day before the period started: one of their cases in the scope was opened before
  ``start`` and not closed before ``start``. Every other person in charge is *new*: all
  their cases in the scope that were open in the period were opened within it. So a
  person whose earlier case had closed before the period and who is taken in charge
  again in it counts as new (a new taking in charge, not a first one ever), and a
  person already followed by one service of the ambito who opens a case with another
  one is continuing. New plus continuing is the total.
- an intake counts when its ``Intake.date`` falls in the period.

Files under GDPR restriction and anonymised files are counted like the others:
anonymisation keeps the sex, the comune of residence and the year of birth (the age is
then reckoned from 1 July of that year).

Every indicator runs one query, whatever the number of rows; within one report the two
indicators of people in charge share theirs, and so do the two intake indicators
(``reports.indicators.base.once``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Max, Q, Value, When
from django.utils.translation import gettext_lazy as _

from beneficiaries.selectors import (
    COMMUNITY_CHANNELS,
    IntakeChannel,
    Sex,
    VulnerabilityArea,
    report_cases,
    report_intakes,
)
from reports.indicators.base import (
    Breakdown,
    Number,
    Period,
    Result,
    Scope,
    Unit,
    indicator,
    once,
    share,
)

UNKNOWN = "unknown"
NEW = "new"
CONTINUING = "continuing"

# Age at the last day of the period: (key, lowest age, highest age or None, label).
AGE_BANDS: tuple[tuple[str, int, int | None, Any], ...] = (
    ("0-17", 0, 17, _("0–17 years")),
    ("18-34", 18, 34, _("18–34 years")),
    ("35-64", 35, 64, _("35–64 years")),
    ("65-74", 65, 74, _("65–74 years")),
    ("75+", 75, None, _("75 years and over")),
)

STATUS_LABELS = {NEW: _("new"), CONTINUING: _("continuing")}
NO_AREA_LABEL = _("no area recorded")
NO_AGE_LABEL = _("age not known")
NO_SEX_LABEL = _("sex not recorded")


# --- People taken in charge ----------------------------------------------------------


def _years_before(day: dt.date, years: int) -> dt.date:
    """The day ``years`` before ``day`` (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _age_band_conditions(on: dt.date, field: str = "birth_date") -> dict[str, Q]:
    """For each age band, the condition on ``field`` (a birth date) of being in it on
    ``on`` (a person is N years old from their N-th birthday), ``unknown`` with no birth
    date."""
    conditions: dict[str, Q] = {}
    for key, low, high, _label in AGE_BANDS:
        condition = Q(**{f"{field}__isnull": False})
        if low:
            condition &= Q(**{f"{field}__lte": _years_before(on, low)})
        if high is not None:
            condition &= Q(**{f"{field}__gt": _years_before(on, high + 1)})
        conditions[key] = condition
    conditions[UNKNOWN] = Q(**{f"{field}__isnull": True})
    return conditions


def _flag(condition: Q) -> Max:
    """Over a person's rows: 1 when ``condition`` holds on at least one, else 0."""
    return Max(
        SqlCase(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())
    )


@once
def _people_counts(scope: Scope, period: Period) -> dict[str, int]:
    """The people in charge in the scope during the period (see the module), counted by
    area, age band and sex: ``<dimension>`` for all of them and ``new_<dimension>`` for
    the new ones (not continuing). One query, once per report (``once``): one row per
    person from their cases open in the period, then plain counts of those rows."""
    areas = [str(code) for code in VulnerabilityArea.values]
    sexes = [str(code) for code in Sex.values]
    open_in_period = (
        report_cases(ambito_id=scope.ambito_id, comune_id=scope.comune_id)
        .filter(opened_on__lte=period.end)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=period.start))
    )
    # Continuing: one of the cases open in the period was already open the day before it
    # started (opened before its start; being open in it, not closed before its start).
    per_person = (
        open_in_period.order_by()
        .values("person_id")
        .annotate(
            _continuing=_flag(Q(opened_on__lt=period.start)),
            _sex=Max("person__sex"),
            _birth=Max("person__birth_date"),
            _any_area=_flag(Q(person__areas__isnull=False)),
            **{
                f"_area_{index}": _flag(Q(person__areas__area=code))
                for index, code in enumerate(areas)
            },
        )
    )
    dimensions: dict[str, Q] = {}
    for index, _code in enumerate(areas):
        dimensions[f"area_{index}"] = Q(**{f"_area_{index}": 1})
    dimensions["area_unknown"] = Q(_any_area=0)
    for index, condition in enumerate(_age_band_conditions(period.end, "_birth").values()):
        dimensions[f"age_{index}"] = condition
    for index, code in enumerate(sexes):
        dimensions[f"sex_{index}"] = Q(_sex=code)
    dimensions["sex_unknown"] = Q(_sex="")
    new = Q(_continuing=0)
    aggregates: dict[str, Count] = {
        "total": Count("person_id"),
        "new_total": Count("person_id", filter=new),
    }
    for key, condition in dimensions.items():
        aggregates[key] = Count("person_id", filter=condition)
        aggregates[f"new_{key}"] = Count("person_id", filter=condition & new)
    row = per_person.aggregate(**aggregates)
    return {key: int(value or 0) for key, value in row.items()}


def _people_breakdowns(
    counts: dict[str, int], period: Period, *, prefix: str, with_status: bool
) -> tuple[int, tuple[Breakdown, ...]]:
    """The headline and the breakdowns by area, age band and sex of ``counts`` (of
    ``_people_counts``: all the people in charge with ``prefix`` "", the new ones with
    "new_"), and by status (new or continuing) when ``with_status``."""
    areas = [str(code) for code in VulnerabilityArea.values]
    ages = _age_band_conditions(period.end)
    sexes = [str(code) for code in Sex.values]

    def count(key: str) -> int:
        return counts[prefix + key]

    breakdowns: list[Breakdown] = []
    if with_status:
        new = counts["new_total"]
        breakdowns.append(
            Breakdown(
                "status",
                {NEW: new, CONTINUING: counts["total"] - new},
                {key: str(label) for key, label in STATUS_LABELS.items()},
            )
        )
    area_values: dict[str, Number] = {
        code: count(f"area_{index}") for index, code in enumerate(areas)
    }
    area_values[UNKNOWN] = count("area_unknown")
    area_labels = {str(code): str(label) for code, label in VulnerabilityArea.choices}
    area_labels[UNKNOWN] = str(NO_AREA_LABEL)
    # A person with several areas counts in each: the areas do not add up to the total.
    breakdowns.append(Breakdown("area", area_values, area_labels, additive=False))

    age_values: dict[str, Number] = {key: count(f"age_{index}") for index, key in enumerate(ages)}
    age_labels = {key: str(label) for key, _low, _high, label in AGE_BANDS}
    age_labels[UNKNOWN] = str(NO_AGE_LABEL)
    breakdowns.append(Breakdown("age_band", age_values, age_labels))

    sex_values: dict[str, Number] = {
        code: count(f"sex_{index}") for index, code in enumerate(sexes)
    }
    sex_values[UNKNOWN] = count("sex_unknown")
    sex_labels = {str(code): str(label) for code, label in Sex.choices}
    sex_labels[UNKNOWN] = str(NO_SEX_LABEL)
    breakdowns.append(Breakdown("sex", sex_values, sex_labels))
    return count("total"), tuple(breakdowns)


@indicator(
    "people_in_charge",
    area="people",
    title=_("People taken in charge"),
    unit=Unit.PEOPLE,
)
def people_in_charge(scope: Scope, period: Period) -> Result:
    """People in charge in the period (a case of theirs in the scope open on at least
    one of its days), each once; by ``status`` (``new`` / ``continuing``, see the
    module), ``area`` (a person with several vulnerability areas counts in each, so the
    areas add up to more than the total; ``unknown``: no area recorded), ``age_band``
    (age on the last day of the period) and ``sex`` (``F`` / ``M`` / ``unknown``)."""
    total, breakdowns = _people_breakdowns(
        _people_counts(scope, period), period, prefix="", with_status=True
    )
    return Result("people_in_charge", Unit.PEOPLE, total, breakdowns)


@indicator(
    "people_new",
    area="people",
    title=_("People newly taken in charge"),
    unit=Unit.PEOPLE,
)
def people_new(scope: Scope, period: Period) -> Result:
    """The new among the people in charge in the period (not already in charge in the
    scope the day before it started, see the module), by ``area`` (a person with several
    areas counts in each), ``age_band`` and ``sex`` as ``people_in_charge``."""
    total, breakdowns = _people_breakdowns(
        _people_counts(scope, period), period, prefix="new_", with_status=False
    )
    return Result("people_new", Unit.PEOPLE, total, breakdowns)


# --- Intakes -------------------------------------------------------------------------


@once
def _intake_counts(scope: Scope, period: Period) -> dict[str, int]:
    """Intakes in the scope dated in the period: ``total`` and one count per channel
    (keys: the channel codes), in one query (once per report: ``once``)."""
    intakes = report_intakes(ambito_id=scope.ambito_id, comune_id=scope.comune_id).filter(
        date__gte=period.start, date__lte=period.end
    )
    channels = [str(code) for code in IntakeChannel.values]
    aggregates = {"total": Count("pk")}
    for index, code in enumerate(channels):
        aggregates[f"channel_{index}"] = Count("pk", filter=Q(channel=code))
    row = intakes.aggregate(**aggregates)
    counts = {code: int(row[f"channel_{index}"]) for index, code in enumerate(channels)}
    counts["total"] = int(row["total"])
    return counts


def _channel_labels(codes: list[str]) -> dict[str, str]:
    labels = dict(IntakeChannel.choices)
    return {code: str(labels[code]) for code in codes}


@indicator("intakes_by_channel", area="intakes", title=_("Intakes by channel"), unit=Unit.COUNT)
def intakes_by_channel(scope: Scope, period: Period) -> Result:
    """Intakes (accessi / segnalazioni) dated in the period, by ``channel`` (every
    channel, in the order of ``IntakeChannel``; the channel is required, so the channels
    add up to the total). Intakes, not people: a person with two intakes counts twice."""
    counts = _intake_counts(scope, period)
    channels = [str(code) for code in IntakeChannel.values]
    breakdown = Breakdown(
        "channel", {code: counts[code] for code in channels}, _channel_labels(channels)
    )
    return Result("intakes_by_channel", Unit.COUNT, counts["total"], (breakdown,))


@indicator(
    "intakes_community_share",
    area="intakes",
    title=_("Share of intakes intercepted by the community"),
    unit=Unit.SHARE,
)
def intakes_community_share(scope: Scope, period: Period) -> Result:
    """The share of the intakes dated in the period that came through a community
    channel (``COMMUNITY_CHANNELS``: community labs and partner organisations), None
    with no intake; by ``channel``, the share of all intakes of each community channel
    (each rounded to one decimal, so they may differ from the headline by 0.1)."""
    counts = _intake_counts(scope, period)
    community = [str(code) for code in IntakeChannel.values if code in COMMUNITY_CHANNELS]
    value = share(sum(counts[code] for code in community), counts["total"])
    if value is None:
        return Result("intakes_community_share", Unit.SHARE, None)
    by_channel = {code: share(counts[code], counts["total"]) for code in community}
    breakdown = Breakdown(
        "channel",
        {code: figure for code, figure in by_channel.items() if figure is not None},
        _channel_labels(community),
    )
    return Result("intakes_community_share", Unit.SHARE, value, (breakdown,))
