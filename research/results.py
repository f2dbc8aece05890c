"""Results of a survey, read with rules: counts per option, statistics of numbers, the
open answers, a cross-tabulation by the respondents' role or organisation kind, and the
rows of the exports. Each function starts from the access policy (``legami.policy``).

Published counts go through ``legami.aggregates``: a count from 1 to 4 is never shown
(``<5``), nor any count or total that would let a reader work one out again.

Queries per survey, not per question or per response: the questions with their options
(2), the single-choice and Likert counts grouped by question and value (1), the
multiple-choice answers streamed with ``iterator()`` and counted in Python (1; memory
bounded by the number of options, not of answers), the number statistics (1) and their
medians (1, streamed in order: only the middle values are kept), the open answers capped
at ``TEXTS_PER_QUESTION`` per question with their count (1).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Max, Min, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext

from legami.aggregates import (
    Cell,
    SuppressedSeries,
    SuppressedTable,
    suppress_series,
    suppress_table,
)
from legami.exports import safe_text
from legami.policy import Action, require, visible_to
from legami.roles import Role
from partners.models import OrganisationKind
from research.models import Answer, Question, Response, Survey
from research.models.survey import CHOICE_KINDS, LIKERT_MAX, LIKERT_MIN, QuestionKind

__all__ = [
    "BY_CHOICES",
    "CROSSTAB_KINDS",
    "TEXTS_PER_QUESTION",
    "CrossTab",
    "ExportTable",
    "QuestionResult",
    "SurveyResults",
    "cross_tab",
    "export_table",
    "survey_for_export",
    "survey_results",
]

# Open answers listed per question on the results page (the count says how many more).
TEXTS_PER_QUESTION = 50
# Below this many answers the statistics of a number question are not shown: the
# minimum and maximum of a handful of answers are somebody's answer.
MIN_FOR_STATISTICS = 5
# Cross-tabulation: by the role the respondent was invited in, or their organisation's kind.
BY_CHOICES = ("role", "organisation_kind")
CROSSTAB_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.LIKERT})
_BY_FIELD = {
    "role": "response__attribution__invitation__role",
    "organisation_kind": "response__attribution__invitation__organisation__kind",
}


@dataclass(frozen=True)
class OptionCount:
    code: str
    label: str
    cell: Cell


@dataclass
class NumberStats:
    n: int
    mean: Decimal | None = None
    median: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    @property
    def shown(self) -> bool:
        """Whether there are enough answers to publish the statistics."""
        return self.n >= MIN_FOR_STATISTICS


@dataclass
class QuestionResult:
    """What the results page shows for one question."""

    question: Question
    answered: int = 0
    options: list[OptionCount] = field(default_factory=list)
    total: Cell | None = None
    stats: NumberStats | None = None
    texts: list[str] = field(default_factory=list)
    text_count: int = 0

    @property
    def is_counted(self) -> bool:
        return self.question.kind in CROSSTAB_KINDS

    @property
    def is_text(self) -> bool:
        return self.question.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT)

    @property
    def more_texts(self) -> int:
        return max(self.text_count - len(self.texts), 0)

    def chart(self) -> dict[str, Any]:
        """The data of the bar chart: labels and counts, ``null`` for a hidden count."""
        return {
            "id": self.question.pk,
            "label": gettext("Answers"),
            "labels": [o.label for o in self.options],
            "values": [o.cell.value for o in self.options],
        }


@dataclass
class SurveyResults:
    survey: Survey
    responses: int
    questions: list[QuestionResult]

    def charts(self) -> list[dict[str, Any]]:
        return [r.chart() for r in self.questions if r.is_counted and r.options]

    def crosstab_questions(self) -> list[Question]:
        return [r.question for r in self.questions if r.is_counted]


def _readable(*, user: Any, survey: Survey) -> None:
    require(user, Action.READ, survey)
    require(user, Action.LIST, Response)


def _option_rows(question: Question) -> list[tuple[str, str]]:
    """(code, label) of the values of a choice or Likert question, in order."""
    if question.kind == QuestionKind.LIKERT:
        return [(str(v), str(v)) for v in range(LIKERT_MIN, LIKERT_MAX + 1)]
    return [(o.code, o.label) for o in question.options.all()]


def _answers(user: Any, survey: Survey) -> Any:
    """The answers of ``survey`` in the responses ``user`` may read."""
    responses = visible_to(user, Response, Action.LIST).filter(survey=survey)
    return Answer.objects.filter(question__survey=survey, response__in=responses)


def survey_results(*, user: Any, survey: Survey) -> SurveyResults:
    """The results of ``survey`` per question (PermissionDenied unless ``user`` may read
    it and its responses)."""
    _readable(user=user, survey=survey)
    questions = list(
        Question.objects.filter(survey=survey)
        .select_related("section")
        .prefetch_related("options")
        .order_by("section__order", "section_id", "order", "pk")
    )
    answers = _answers(user, survey)
    by_kind: dict[str, set[int]] = defaultdict(set)
    for q in questions:
        by_kind[q.kind].add(q.pk)

    counts: dict[int, Counter[str]] = defaultdict(Counter)
    answered: Counter[int] = Counter()
    # Single choice and Likert: grouped in the database by question and value.
    grouped_ids = by_kind[QuestionKind.SINGLE] | by_kind[QuestionKind.LIKERT]
    if grouped_ids:
        rows = (
            answers.filter(question_id__in=grouped_ids)
            .order_by()
            .values("question_id", "choices", "integer")
            .annotate(n=Count("id"))
        )
        for row in rows:
            value = row["choices"] if row["choices"] is not None else row["integer"]
            codes = value if isinstance(value, list) else [value]
            for code in codes:
                counts[row["question_id"]][str(code)] += row["n"]
            answered[row["question_id"]] += row["n"]
    # Multiple choice: the JSON lists streamed and counted here.
    if by_kind[QuestionKind.MULTIPLE]:
        stream = (
            answers.filter(question_id__in=by_kind[QuestionKind.MULTIPLE])
            .order_by()
            .values_list("question_id", "choices")
            .iterator(chunk_size=2000)
        )
        for question_id, choices in stream:
            answered[question_id] += 1
            for code in choices or ():
                counts[question_id][str(code)] += 1

    stats = _number_stats(answers, by_kind[QuestionKind.NUMBER])
    texts, text_counts = _texts(
        answers, by_kind[QuestionKind.SHORT_TEXT] | by_kind[QuestionKind.LONG_TEXT]
    )

    results = []
    for q in questions:
        result = QuestionResult(question=q)
        if q.kind in CROSSTAB_KINDS:
            values = _option_rows(q)
            result.answered = answered[q.pk]
            if values:
                raw = [counts[q.pk][code] for code, _label in values]
                # A multiple choice question's options add up to more than its answers:
                # its total is the number of answers, not an equation of the counts.
                series: SuppressedSeries = suppress_series(
                    raw, total=q.kind != QuestionKind.MULTIPLE
                )
                result.options = [
                    OptionCount(code, label, cell)
                    for (code, label), cell in zip(values, series, strict=True)
                ]
                if series.total is not None:
                    result.total = series.total
                else:
                    result.total = suppress_series([result.answered], total=False)[0]
        elif q.kind == QuestionKind.NUMBER:
            result.stats = stats.get(q.pk, NumberStats(n=0))
            result.answered = result.stats.n
        else:
            result.texts = texts.get(q.pk, [])
            result.text_count = text_counts.get(q.pk, 0)
            result.answered = result.text_count
        results.append(result)
    responses = visible_to(user, Response, Action.LIST).filter(survey=survey).count()
    return SurveyResults(survey=survey, responses=responses, questions=results)


def _number_stats(answers: Any, ids: set[int]) -> dict[int, NumberStats]:
    """n, mean, min and max per number question in one query, the median in another
    (values streamed in order; only the one or two middle values are kept)."""
    if not ids:
        return {}
    numbers = answers.filter(question_id__in=ids, number__isnull=False).order_by()
    stats: dict[int, NumberStats] = {}
    for row in numbers.values("question_id").annotate(
        n=Count("id"), mean=Avg("number"), lo=Min("number"), hi=Max("number")
    ):
        stats[row["question_id"]] = NumberStats(
            n=row["n"],
            mean=Decimal(str(row["mean"])).quantize(Decimal("0.01"))
            if row["mean"] is not None
            else None,
            minimum=row["lo"],
            maximum=row["hi"],
        )
    middle: dict[int, list[Decimal]] = defaultdict(list)
    position: Counter[int] = Counter()
    stream = numbers.order_by("question_id", "number").values_list("question_id", "number")
    for question_id, number in stream.iterator(chunk_size=2000):
        n = stats[question_id].n
        index = position[question_id]
        position[question_id] += 1
        if index in {(n - 1) // 2, n // 2}:
            middle[question_id].append(number)
    for question_id, values in middle.items():
        median = sum(values, Decimal(0)) / len(values)
        stats[question_id].median = median.quantize(Decimal("0.01"))
    return stats


def _texts(answers: Any, ids: set[int]) -> tuple[dict[int, list[str]], dict[int, int]]:
    """The first ``TEXTS_PER_QUESTION`` open answers of each question (in the order of
    their random keys, which tells nothing) and how many there are, in one query."""
    if not ids:
        return {}, {}
    rows = (
        answers.filter(question_id__in=ids, text__isnull=False)
        .exclude(text="")
        .annotate(
            position=Window(RowNumber(), partition_by=[F("question_id")], order_by=F("id").asc()),
            of=Window(Count("id"), partition_by=[F("question_id")]),
        )
        .filter(position__lte=TEXTS_PER_QUESTION)
        .order_by("question_id", "position")
        .values_list("question_id", "text", "of")
    )
    texts: dict[int, list[str]] = defaultdict(list)
    totals: dict[int, int] = {}
    for question_id, text, of in rows:
        texts[question_id].append(text)
        totals[question_id] = of
    return texts, totals


# --- Cross-tabulation -------------------------------------------------------------------


@dataclass(frozen=True)
class CrossTab:
    """Counts of one question's values (columns) by role or organisation kind (rows)."""

    question: Question
    by: str
    row_labels: list[str]
    col_labels: list[str]
    table: SuppressedTable

    def rows(self) -> list[tuple[str, tuple[Cell, ...], Cell | None]]:
        totals = self.table.row_totals or (None,) * len(self.row_labels)
        return list(zip(self.row_labels, self.table.cells, totals, strict=True))


def _group_label(by: str, value: str | None) -> str:
    if not value:
        return gettext("No role") if by == "role" else gettext("No organisation")
    choices = Role if by == "role" else OrganisationKind
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def cross_tab(*, user: Any, survey: Survey, question_id: int, by: str) -> CrossTab | None:
    """The cross-tabulation of a choice or Likert question of a NAMED survey by the
    respondents' role or organisation kind, suppressed (``suppress_table`` with row and
    column totals). None for an anonymous survey (its responses lead to nobody), an
    unknown ``by`` or a question that is not counted. One query for the questions'
    options, one for the counts (grouped in the database; streamed for multiple choice)."""
    _readable(user=user, survey=survey)
    if survey.anonymous or by not in BY_CHOICES:
        return None
    question = (
        Question.objects.filter(survey=survey, pk=question_id, kind__in=CROSSTAB_KINDS)
        .prefetch_related("options")
        .first()
    )
    if question is None:
        return None
    values = _option_rows(question)
    if not values:
        return None
    group_field = _BY_FIELD[by]
    answers = _answers(user, survey).filter(question=question).order_by()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    if question.kind == QuestionKind.MULTIPLE:
        stream = answers.values_list(group_field, "choices").iterator(chunk_size=2000)
        for group, choices in stream:
            for code in choices or ():
                counts[group or ""][str(code)] += 1
    else:
        for row in answers.values(group_field, "choices", "integer").annotate(n=Count("id")):
            value = row["choices"] if row["choices"] is not None else row["integer"]
            for code in value if isinstance(value, list) else [value]:
                counts[row[group_field] or ""][str(code)] += row["n"]
    if not counts:
        return None
    groups = sorted(counts, key=lambda g: (g == "", _group_label(by, g)))
    matrix = [[counts[g][code] for code, _label in values] for g in groups]
    # Multiple choice: a row's cells add up to more than its respondents, but the totals
    # printed are the sums of the cells, so the equations hold as suppress_table assumes.
    table = suppress_table(matrix)
    return CrossTab(
        question=question,
        by=by,
        row_labels=[_group_label(by, g) for g in groups],
        col_labels=[label for _code, label in values],
        table=table,
    )


# --- Exports ----------------------------------------------------------------------------


def survey_for_export(*, user: Any, pk: int) -> Survey:
    """The survey ``pk`` if ``user`` may read it (Survey.DoesNotExist otherwise);
    PermissionDenied unless they may also export it."""
    survey = visible_to(user, Survey, Action.READ).get(pk=pk)
    require(user, Action.EXPORT, survey)
    return survey


@dataclass(frozen=True)
class ExportTable:
    headers: list[str]
    rows: list[list[Any]]


def _export_value(kind: str, choices: Any, integer: Any, number: Any, text: Any) -> Any:
    if kind in CHOICE_KINDS:
        return ";".join(str(c) for c in choices or ())
    if kind == QuestionKind.LIKERT:
        return integer
    if kind == QuestionKind.NUMBER:
        if isinstance(number, Decimal):  # 10.0000 -> 10, 3.5000 -> 3.5 (no exponent)
            return (
                number.quantize(Decimal(1))
                if number == number.to_integral()
                else number.normalize()
            )
        return number
    return safe_text(text) if isinstance(text, str) else text


def export_table(*, user: Any, survey: Survey, headers: str = "codes") -> ExportTable:
    """One row per response, one column per question (multiple choice: the option codes
    joined by ";"); headed by question codes or texts. A named survey adds the
    respondent's role and organisation kind (codes), never a name; an anonymous one
    nothing about the respondent. Rows in the order of the responses' random keys.
    PermissionDenied unless ``user`` may export the survey and its responses.
    Two queries; the rows are held in memory (one list per response)."""
    require(user, Action.EXPORT, survey)
    require(user, Action.EXPORT, Response)
    questions = list(
        Question.objects.filter(survey=survey).order_by(
            "section__order", "section_id", "order", "pk"
        )
    )
    column = {q.pk: i for i, q in enumerate(questions)}
    kinds = {q.pk: q.kind for q in questions}
    named = not survey.anonymous
    texts = headers == "texts"
    head = [safe_text(q.text) if texts else q.code for q in questions]
    if named:
        head = (
            [gettext("Role"), gettext("Organisation kind")]
            if texts
            else ["role", "organisation_kind"]
        ) + head
    offset = 2 if named else 0
    responses = visible_to(user, Response, Action.EXPORT).filter(survey=survey)
    fields = [
        "id",
        "answers__question_id",
        "answers__choices",
        "answers__integer",
        "answers__number",
        "answers__text",
    ]
    if named:
        fields += ["attribution__invitation__role", "attribution__invitation__organisation__kind"]
    rows: list[list[Any]] = []
    current: Any = None
    row: list[Any] = []
    stream = responses.order_by("id", "answers__question_id").values_list(*fields)
    for values in stream.iterator(chunk_size=2000):
        response_id, question_id, choices, integer, number, text = values[:6]
        if response_id != current:
            current = response_id
            row = [None] * (offset + len(questions))
            if named:
                row[0] = values[6] or ""
                row[1] = values[7] or ""
            rows.append(row)
        if question_id in column:
            row[offset + column[question_id]] = _export_value(
                kinds[question_id], choices, integer, number, text
            )
    return ExportTable(headers=head, rows=rows)


def iter_csv_rows(table: ExportTable) -> Iterator[Sequence[Any]]:
    yield table.headers
    for row in table.rows:
        yield ["" if v is None else v for v in row]
