"""Surveys and their builder: create and change a draft (sections, questions, options,
skip logic, order), open it, close it.

Every change of what a survey asks happens while it is a draft, under a lock on the
survey's row; once open, the questions (and the anonymous flag) are fixed, so the
answers of every respondent read against the same questionnaire.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legami.audit import audit_change, diff, snapshot
from legami.models import User
from legami.policy import Action, require
from research.models import (
    CHOICE_KINDS,
    CONDITION_KINDS,
    LIKERT_MAX,
    LIKERT_MIN,
    Option,
    Pathway,
    Question,
    QuestionKind,
    Section,
    Survey,
    SurveyStatus,
)

SURVEY_FIELDS = ("title", "description", "anonymous", "pathway_id", "closes_at")
QUESTION_FIELDS = (
    "section_id",
    "code",
    "text",
    "help",
    "kind",
    "required",
    "show_if_question_id",
    "show_if_values",
)
# Choice questions need at least this many options to open.
MIN_OPTIONS = 2


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET = _Unset.UNSET


def _not_draft() -> ValidationError:
    return ValidationError(
        _("Only a draft survey can be changed; this one is already open or closed."),
        code="not_draft",
    )


def _lock_draft(survey: Survey, by: User) -> Survey:
    """The survey's row, locked, if ``by`` may change it and it is still a draft."""
    current = Survey.objects.select_for_update().get(pk=survey.pk)
    require(by, Action.CHANGE, current)
    if current.status != SurveyStatus.DRAFT:
        raise _not_draft()
    return current


def survey_questions(survey: Survey) -> list[Question]:
    """The questions of ``survey`` in the order they are asked (by section, then within
    the section), with their options."""
    return list(
        Question.objects.filter(survey=survey)
        .select_related("section")
        .prefetch_related("options")
        .order_by("section__order", "section_id", "order", "pk")
    )


# --- Surveys ------------------------------------------------------------------------------


def survey_create(
    *,
    by: User,
    title: str,
    description: str = "",
    anonymous: bool = True,
    pathway: Pathway | None = None,
) -> Survey:
    """A draft survey owned by ``by`` (a researcher), with a first, untitled section."""
    require(by, Action.CREATE, Survey)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": ValidationError(_("Give the survey a title."))})
    with transaction.atomic():
        survey = Survey.objects.create(
            title=title,
            description=description.strip(),
            anonymous=anonymous,
            pathway=pathway,
            owner=by,
        )
        Section.objects.create(survey=survey, order=1)
        audit_change(
            obj=survey,
            action="create",
            changes=diff({}, snapshot(survey, SURVEY_FIELDS)),
            actor=by,
        )
    return survey


def survey_update(
    *,
    survey: Survey,
    by: User,
    title: str | None = None,
    description: str | None = None,
    anonymous: bool | None = None,
    pathway: Pathway | None | _Unset = UNSET,
    closes_at: dt.datetime | None | _Unset = UNSET,
) -> Survey:
    """Change a draft survey's title, description, anonymity, pathway or closing time
    (only the arguments given)."""
    with transaction.atomic():
        current = _lock_draft(survey, by)
        before = snapshot(current, SURVEY_FIELDS)
        if title is not None:
            if not title.strip():
                raise ValidationError({"title": ValidationError(_("Give the survey a title."))})
            current.title = title.strip()
        if description is not None:
            current.description = description.strip()
        if anonymous is not None:
            current.anonymous = anonymous
        if not isinstance(pathway, _Unset):
            current.pathway = pathway
        if not isinstance(closes_at, _Unset):
            current.closes_at = closes_at
        current.save()
        changes = diff(before, snapshot(current, SURVEY_FIELDS))
        if changes:
            audit_change(obj=current, action="update", changes=changes, actor=by)
    return current


def survey_problems(survey: Survey) -> list[ValidationError]:
    """What stops ``survey`` from opening: no questions, a choice question with fewer
    than two options, a condition on a question that is not earlier or cannot decide
    (text, number), a condition value that is not an option code or a point of the scale.
    Empty when it can open."""
    questions = survey_questions(survey)
    problems: list[ValidationError] = []
    if not questions:
        problems.append(ValidationError(_("Add at least one question."), code="no_questions"))
    position = {q.pk: index for index, q in enumerate(questions)}
    by_pk = {q.pk: q for q in questions}
    for index, question in enumerate(questions):
        codes = [o.code for o in question.options.all()]
        if question.kind in CHOICE_KINDS and len(codes) < MIN_OPTIONS:
            problems.append(
                ValidationError(
                    _("Question %(code)s needs at least two options."),
                    code="too_few_options",
                    params={"code": question.code},
                )
            )
        if question.show_if_question_id is None:
            if question.show_if_values:
                problems.append(
                    ValidationError(
                        _("Question %(code)s has condition values but no question to test."),
                        code="condition_without_question",
                        params={"code": question.code},
                    )
                )
            continue
        earlier = by_pk.get(question.show_if_question_id)
        if earlier is None or position[earlier.pk] >= index:
            problems.append(
                ValidationError(
                    _("Question %(code)s can only depend on an earlier question."),
                    code="condition_not_earlier",
                    params={"code": question.code},
                )
            )
            continue
        if earlier.kind not in CONDITION_KINDS:
            problems.append(
                ValidationError(
                    _("Question %(code)s depends on %(earlier)s, whose answer cannot decide."),
                    code="condition_kind",
                    params={"code": question.code, "earlier": earlier.code},
                )
            )
            continue
        allowed = (
            {str(v) for v in range(LIKERT_MIN, LIKERT_MAX + 1)}
            if earlier.kind == QuestionKind.LIKERT
            else {o.code for o in earlier.options.all()}
        )
        values = question.show_if_values
        if (
            not isinstance(values, list)
            or not values
            or any(not isinstance(v, str) or v not in allowed for v in values)
        ):
            problems.append(
                ValidationError(
                    _(
                        "Question %(code)s is shown for answers to %(earlier)s that it "
                        "does not have."
                    ),
                    code="condition_values",
                    params={"code": question.code, "earlier": earlier.code},
                )
            )
    return problems


def survey_open(*, survey: Survey, by: User, closes_at: dt.datetime | None = None) -> Survey:
    """Open a draft survey for answers (its questions and anonymity are fixed from now),
    if nothing stops it (``survey_problems``)."""
    with transaction.atomic():
        current = _lock_draft(survey, by)
        problems = survey_problems(current)
        if problems:
            raise ValidationError(problems)
        now = timezone.now()
        deadline = closes_at if closes_at is not None else current.closes_at
        if deadline is not None and deadline <= now:
            raise ValidationError(
                {"closes_at": ValidationError(_("The closing time is already past."))},
            )
        current.status = SurveyStatus.OPEN
        current.opens_at = now
        current.closes_at = deadline
        current.save(update_fields=["status", "opens_at", "closes_at"])
        audit_change(
            obj=current,
            action="state",
            changes={"status": [SurveyStatus.DRAFT, SurveyStatus.OPEN]},
            note="opened",
            actor=by,
        )
    return current


def survey_close(*, survey: Survey, by: User | None = None) -> Survey:
    """Close an open survey: no more answers. ``by`` None is the system closing it at
    its closing time. An anonymous survey's responses are rewritten in random order
    (``responses_shuffle``)."""
    from research.services.responses import responses_shuffle

    with transaction.atomic():
        current = Survey.objects.select_for_update().get(pk=survey.pk)
        if by is not None:
            require(by, Action.CHANGE, current)
        if current.status != SurveyStatus.OPEN:
            raise ValidationError(_("Only an open survey can be closed."), code="not_open")
        current.status = SurveyStatus.CLOSED
        current.closed_at = timezone.now()
        current.save(update_fields=["status", "closed_at"])
        audit_change(
            obj=current,
            action="state",
            changes={"status": [SurveyStatus.OPEN, SurveyStatus.CLOSED]},
            note="closed",
            actor=by,
        )
        if current.anonymous:
            responses_shuffle(survey=current)
    return current


def surveys_close_due(*, now: dt.datetime | None = None) -> int:
    """Close the open surveys whose closing time has passed; returns how many."""
    due = Survey.objects.filter(
        status=SurveyStatus.OPEN, closes_at__lte=now or timezone.now()
    ).values_list("pk", flat=True)
    closed = 0
    for pk in due:
        try:
            survey_close(survey=Survey(pk=pk))
        except ValidationError:
            continue  # closed by someone else meanwhile
        closed += 1
    return closed


# --- Sections ---------------------------------------------------------------------------


def section_add(*, survey: Survey, by: User, title: str = "") -> Section:
    """A new section at the end of a draft survey."""
    with transaction.atomic():
        current = _lock_draft(survey, by)
        last = current.sections.aggregate(m=Max("order"))["m"] or 0
        return Section.objects.create(survey=current, order=last + 1, title=title.strip())


def section_change(*, section: Section, by: User, title: str) -> Section:
    with transaction.atomic():
        _lock_draft(section.survey, by)
        section.title = title.strip()
        section.save(update_fields=["title"])
    return section


def section_delete(*, section: Section, by: User) -> None:
    """Remove a section and its questions (refused while a question elsewhere depends
    on one of them)."""
    with transaction.atomic():
        _lock_draft(section.survey, by)
        _refuse_if_depended_on(section.questions.all())
        try:
            with transaction.atomic():
                section.delete()
        except ProtectedError:
            raise _depended_on() from None


def section_reorder(*, survey: Survey, by: User, section_ids: Sequence[int]) -> None:
    """Put the sections of a draft survey in the order of ``section_ids`` (all of them)."""
    with transaction.atomic():
        current = _lock_draft(survey, by)
        _reorder(Section.objects.filter(survey=current), section_ids)


# --- Questions --------------------------------------------------------------------------


def _validate_code(code: str, field: str = "code") -> str:
    code = (code or "").strip()
    try:
        validate_slug(code)
    except ValidationError:
        raise ValidationError(
            {
                field: ValidationError(
                    _("Use letters, digits, hyphens and underscores only."), code="invalid_code"
                )
            }
        ) from None
    return code


def _check_condition(
    *, survey: Survey, question: Question | None, show_if_question: Question | None
) -> None:
    """A condition tests a question of the same survey that can decide (choice or
    scale). Whether it comes earlier is checked when the survey opens (questions may
    still be moved)."""
    if show_if_question is None:
        return
    if show_if_question.survey_id != survey.pk or (
        question is not None and show_if_question.pk == question.pk
    ):
        raise ValidationError(
            {"show_if_question": ValidationError(_("Choose an earlier question of this survey."))}
        )
    if show_if_question.kind not in CONDITION_KINDS:
        raise ValidationError(
            {
                "show_if_question": ValidationError(
                    _("Only a choice or scale question can decide whether another is shown.")
                )
            }
        )


def question_add(
    *,
    section: Section,
    by: User,
    code: str,
    text: str,
    kind: str,
    required: bool = False,
    help: str = "",
    show_if_question: Question | None = None,
    show_if_values: Iterable[str | int] = (),
) -> Question:
    """A new question at the end of ``section`` of a draft survey."""
    code = _validate_code(code)
    if kind not in QuestionKind.values:
        raise ValidationError({"kind": ValidationError(_("Choose a kind of question."))})
    if not (text or "").strip():
        raise ValidationError({"text": ValidationError(_("Write the question."))})
    with transaction.atomic():
        survey = _lock_draft(section.survey, by)
        _check_condition(survey=survey, question=None, show_if_question=show_if_question)
        last = section.questions.aggregate(m=Max("order"))["m"] or 0
        try:
            with transaction.atomic():
                question = Question.objects.create(
                    survey=survey,
                    section=section,
                    order=last + 1,
                    code=code,
                    text=text.strip(),
                    help=help.strip(),
                    kind=kind,
                    required=required,
                    show_if_question=show_if_question,
                    show_if_values=[str(v) for v in show_if_values] if show_if_question else [],
                )
        except IntegrityError:
            raise _code_taken() from None
    return question


def _code_taken() -> ValidationError:
    return ValidationError(
        {"code": ValidationError(_("Another question of this survey has this code."))}
    )


def question_change(
    *,
    question: Question,
    by: User,
    section: Section | None = None,
    code: str | None = None,
    text: str | None = None,
    kind: str | None = None,
    required: bool | None = None,
    help: str | None = None,
    show_if_question: Question | None | _Unset = UNSET,
    show_if_values: Iterable[str | int] | None = None,
) -> Question:
    """Change a question of a draft survey (only the arguments given). Moving it to
    another ``section`` puts it at that section's end. Changing its kind away from a
    choice removes its options."""
    with transaction.atomic():
        survey = _lock_draft(question.survey, by)
        current = Question.objects.select_for_update().get(pk=question.pk)
        before = snapshot(current, QUESTION_FIELDS)
        if section is not None and section.pk != current.section_id:
            if section.survey_id != survey.pk:
                raise ValidationError({"section": ValidationError(_("Not of this survey."))})
            last = section.questions.aggregate(m=Max("order"))["m"] or 0
            current.section = section
            current.order = last + 1
        if code is not None:
            current.code = _validate_code(code)
        if text is not None:
            if not text.strip():
                raise ValidationError({"text": ValidationError(_("Write the question."))})
            current.text = text.strip()
        if help is not None:
            current.help = help.strip()
        if required is not None:
            current.required = required
        if kind is not None:
            if kind not in QuestionKind.values:
                raise ValidationError({"kind": ValidationError(_("Choose a kind of question."))})
            current.kind = kind
        if not isinstance(show_if_question, _Unset):
            _check_condition(survey=survey, question=current, show_if_question=show_if_question)
            current.show_if_question = show_if_question
            if show_if_question is None:
                current.show_if_values = []
        if show_if_values is not None and current.show_if_question_id is not None:
            current.show_if_values = [str(v) for v in show_if_values]
        if current.kind not in CONDITION_KINDS and current.dependent_questions.exists():
            raise _depended_on()
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError:
            raise _code_taken() from None
        if current.kind not in CHOICE_KINDS:
            current.options.all().delete()
        changes = diff(before, snapshot(current, QUESTION_FIELDS))
        if changes:
            audit_change(obj=current, action="update", changes=changes, actor=by)
    return current


def _depended_on() -> ValidationError:
    return ValidationError(
        _("Another question is shown depending on this one: change that condition first."),
        code="depended_on",
    )


def _refuse_if_depended_on(questions: Any) -> None:
    ids = {q.pk for q in questions}
    if Question.objects.filter(show_if_question__in=ids).exclude(pk__in=ids).exists():
        raise _depended_on()


def question_delete(*, question: Question, by: User) -> None:
    """Remove a question of a draft survey (refused while another depends on it)."""
    with transaction.atomic():
        _lock_draft(question.survey, by)
        _refuse_if_depended_on([question])
        question.delete()


def question_reorder(*, section: Section, by: User, question_ids: Sequence[int]) -> None:
    """Put the questions of ``section`` in the order of ``question_ids`` (all of them).
    A condition left pointing at a later question stops the survey from opening."""
    with transaction.atomic():
        _lock_draft(section.survey, by)
        _reorder(Question.objects.filter(section=section), question_ids)


# --- Options ----------------------------------------------------------------------------


def option_add(*, question: Question, by: User, code: str, label: str) -> Option:
    """A new option at the end of a choice question of a draft survey."""
    code = _validate_code(code)
    if not (label or "").strip():
        raise ValidationError({"label": ValidationError(_("Write the option."))})
    with transaction.atomic():
        _lock_draft(question.survey, by)
        if question.kind not in CHOICE_KINDS:
            raise ValidationError(
                _("Only choice questions have options."), code="not_choice_question"
            )
        last = question.options.aggregate(m=Max("order"))["m"] or 0
        try:
            with transaction.atomic():
                return Option.objects.create(
                    question=question, order=last + 1, code=code, label=label.strip()
                )
        except IntegrityError:
            raise ValidationError(
                {"code": ValidationError(_("Another option of this question has this code."))}
            ) from None


def option_change(
    *, option: Option, by: User, code: str | None = None, label: str | None = None
) -> Option:
    """Change an option's code or label. A code that a condition uses must stay (change
    the condition first)."""
    with transaction.atomic():
        _lock_draft(option.question.survey, by)
        if code is not None:
            code = _validate_code(code)
            if code != option.code and _code_in_conditions(option):
                raise _depended_on()
            option.code = code
        if label is not None:
            if not label.strip():
                raise ValidationError({"label": ValidationError(_("Write the option."))})
            option.label = label.strip()
        try:
            with transaction.atomic():
                option.save()
        except IntegrityError:
            raise ValidationError(
                {"code": ValidationError(_("Another option of this question has this code."))}
            ) from None
    return option


def _code_in_conditions(option: Option) -> bool:
    return any(
        option.code in (values or [])
        for values in Question.objects.filter(show_if_question=option.question_id).values_list(
            "show_if_values", flat=True
        )
    )


def option_delete(*, option: Option, by: User) -> None:
    """Remove an option (refused while a condition uses its code)."""
    with transaction.atomic():
        _lock_draft(option.question.survey, by)
        if _code_in_conditions(option):
            raise _depended_on()
        option.delete()


def option_reorder(*, question: Question, by: User, option_ids: Sequence[int]) -> None:
    with transaction.atomic():
        _lock_draft(question.survey, by)
        _reorder(Option.objects.filter(question=question), option_ids)


def _reorder(queryset: Any, ids: Sequence[int]) -> None:
    rows = {row.pk: row for row in queryset.select_for_update()}
    if sorted(rows) != sorted(ids) or len(set(ids)) != len(ids):
        raise ValidationError(
            _("The new order must name each item exactly once."), code="bad_order"
        )
    for position, pk in enumerate(ids, start=1):
        rows[pk].order = position
    queryset.model.objects.bulk_update(list(rows.values()), ["order"])
