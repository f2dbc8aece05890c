"""Answering a survey through an invitation's link, and what keeps anonymous responses
anonymous.

``response_submit`` takes the link's token and the answers by question code, checks
them against the questionnaire (kind, required, skip logic), writes the response and
marks the invitation answered, in one transaction under a lock on the invitation: a
link answers once.

Skip logic: a question whose condition is not met is *not shown*. Answers given to a
question that is not shown are **ignored** (dropped, not stored): a page that renders
every question and hides some with a script, or a person who changes an earlier answer
after filling a later question, sends them in good faith, and refusing the whole
response for it would lose the rest. ``required`` applies only to shown questions. An
answer to a code the survey does not have is refused.

Anonymity: in an anonymous survey the response row holds its random UUID and its survey,
nothing else (see ``research.models.response``); no attribution row is written, nothing
about the response goes to the audit trail, and the invitation records only that it was
answered and the day. ``responses_shuffle`` rewrites a survey's responses in random
order when it closes, so that neither the storage order nor the row versions of the
database tell which response came with which invitation.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research.models import (
    LIKERT_MAX,
    LIKERT_MIN,
    Answer,
    Invitation,
    InvitationMail,
    Question,
    QuestionKind,
    Response,
    ResponseAttribution,
    Survey,
)
from research.services.surveys import survey_questions
from research.services.tokens import token_hash

SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 5000
# Answer.number: 18 digits, 4 after the point.
NUMBER_DECIMALS = 4
NUMBER_LIMIT = Decimal(10) ** (18 - NUMBER_DECIMALS)


@dataclass(frozen=True)
class Cleaned:
    """A valid answer: the question and the column it goes in."""

    question: Question
    column: str
    value: Any


def invitation_from_token(token: str) -> Invitation | None:
    """The invitation whose link carries ``token`` (any of its mails' links), or None."""
    if not token:
        return None
    mail = (
        InvitationMail.objects.select_related("invitation__survey")
        .filter(token_hash=token_hash(token))
        .first()
    )
    return mail.invitation if mail is not None else None


def _empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple | set | frozenset):
        return all(_empty(item) for item in raw)
    return False


def _invalid(message: Any, code: str, **params: Any) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def _as_list(raw: Any) -> list[Any]:
    if isinstance(raw, list | tuple | set | frozenset):
        return [item for item in raw if not _empty(item)]
    return [raw]


def _parse(question: Question, raw: Any) -> Cleaned:
    """The stored form of a non-empty raw answer to ``question``; ValidationError if it
    does not fit the question's kind."""
    kind = question.kind
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        codes = [o.code for o in question.options.all()]
        chosen = _as_list(raw)
        if any(not isinstance(c, str) or c.strip() not in codes for c in chosen):
            raise _invalid(_("Choose among the options given."), "invalid_choice")
        picked = {c.strip() for c in chosen}
        if kind == QuestionKind.SINGLE and len(picked) != 1:
            raise _invalid(_("Choose one option."), "one_choice")
        return Cleaned(question, "choices", [c for c in codes if c in picked])
    if kind == QuestionKind.LIKERT:
        value = raw.strip() if isinstance(raw, str) else raw
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and value.isdigit())
        ):
            raise _invalid(_("Choose a point of the scale."), "invalid_scale")
        number = int(value)
        if not LIKERT_MIN <= number <= LIKERT_MAX:
            raise _invalid(
                _("Choose a point from %(min)s to %(max)s."),
                "invalid_scale",
                min=LIKERT_MIN,
                max=LIKERT_MAX,
            )
        return Cleaned(question, "integer", number)
    if kind == QuestionKind.NUMBER:
        if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal):
            raise _invalid(_("Write a number."), "invalid_number")
        text = str(raw).strip().replace(" ", "").replace(",", ".")
        try:
            decimal = Decimal(text)
        except InvalidOperation:
            raise _invalid(_("Write a number."), "invalid_number") from None
        if not decimal.is_finite() or abs(decimal) >= NUMBER_LIMIT:
            raise _invalid(_("Write a number."), "invalid_number")
        exponent = decimal.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -NUMBER_DECIMALS:
            raise _invalid(
                _("Write at most %(places)s decimal places."),
                "too_many_decimals",
                places=NUMBER_DECIMALS,
            )
        return Cleaned(question, "number", decimal)
    if not isinstance(raw, str):
        raise _invalid(_("Write a text."), "invalid_text")
    text = raw.strip()
    limit = SHORT_TEXT_MAX if kind == QuestionKind.SHORT_TEXT else LONG_TEXT_MAX
    if len(text) > limit:
        raise _invalid(_("Write at most %(limit)s characters."), "text_too_long", limit=limit)
    return Cleaned(question, "text", text)


def _condition_values(cleaned: Cleaned) -> frozenset[str]:
    """What a later question's condition compares with: the option codes chosen, or the
    point of the scale as a string."""
    if cleaned.column == "choices":
        return frozenset(cleaned.value)
    return frozenset({str(cleaned.value)})


def is_shown(question: Question, given: Mapping[int, frozenset[str]]) -> bool:
    """Whether ``question`` is shown, given the condition values of the earlier shown
    and answered questions (by question id). A question that depends on one not shown or
    not answered is not shown."""
    if question.show_if_question_id is None:
        return True
    values = given.get(question.show_if_question_id, frozenset())
    return bool(values & set(question.show_if_values or []))


def answers_clean(*, questions: Sequence[Question], answers: Mapping[str, Any]) -> list[Cleaned]:
    """The answers to store, in the order of ``questions`` (the survey's, in order):
    each shown question's answer parsed by its kind; answers to questions not shown
    dropped; a required shown question left empty, a value that does not fit, or an
    unknown code refused (ValidationError by question code)."""
    known = {q.code for q in questions}
    errors: dict[str, list[ValidationError]] = {}
    for code in answers:
        if code not in known:
            errors[str(code)] = [_invalid(_("This survey has no such question."), "unknown")]
    given: dict[int, frozenset[str]] = {}
    cleaned: list[Cleaned] = []
    for question in questions:
        if not is_shown(question, given):
            continue
        raw = answers.get(question.code)
        if _empty(raw):
            if question.required:
                errors[question.code] = [_invalid(_("This question is required."), "required")]
            continue
        try:
            item = _parse(question, raw)
        except ValidationError as exc:
            errors[question.code] = exc.error_list
            continue
        cleaned.append(item)
        given[question.pk] = _condition_values(item)
    if errors:
        raise ValidationError(errors)
    return cleaned


def shown_questions(*, survey: Survey, answers: Mapping[str, Any]) -> list[Question]:
    """The questions shown to someone who gave ``answers`` so far (for the pages and the
    preview); invalid answers count as not given."""
    shown: list[Question] = []
    given: dict[int, frozenset[str]] = {}
    for question in survey_questions(survey):
        if not is_shown(question, given):
            continue
        shown.append(question)
        raw = answers.get(question.code)
        if _empty(raw):
            continue
        try:
            given[question.pk] = _condition_values(_parse(question, raw))
        except ValidationError:
            continue
    return shown


def response_submit(*, token: str, answers: Mapping[str, Any]) -> Response:
    """Answer the survey of the invitation whose link carries ``token``, once.

    Refused (ValidationError, by code) when the link is unknown (``invalid_link``), the
    invitation already answered (``already_answered``), the survey not open or past its
    closing time (``closed``), or the answers invalid (by question code). The response
    and the invitation's ``answered`` flag are written together, under a lock on the
    invitation's row, so two submissions with one link make one response.
    """
    found = invitation_from_token(token)
    if found is None:
        raise ValidationError(_("This link is not valid."), code="invalid_link")
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("survey")
            .get(pk=found.pk)
        )
        survey = invitation.survey
        if invitation.answered:
            raise ValidationError(
                _("This survey has already been answered with this link."),
                code="already_answered",
            )
        if not survey.accepts_answers():
            raise ValidationError(_("This survey is closed."), code="closed")
        cleaned = answers_clean(questions=survey_questions(survey), answers=answers)
        response = Response.objects.create(survey=survey)
        Answer.objects.bulk_create(
            [
                Answer(response=response, question=item.question, **{item.column: item.value})
                for item in cleaned
            ]
        )
        if not survey.anonymous:
            ResponseAttribution.objects.create(
                response=response, invitation=invitation, submitted_at=timezone.now()
            )
        invitation.answered = True
        invitation.answered_on = timezone.localdate()
        invitation.save(update_fields=["answered", "answered_on"])
    return response


def responses_shuffle(*, survey: Survey) -> int:
    """Rewrite the responses of an anonymous survey, and their answers, in random order
    with the same keys: the rows are stored anew in one transaction, so the storage
    order (SQLite's rowid, PostgreSQL's ctid) is random and every row carries the same
    transaction (PostgreSQL's xmin) instead of the one that also marked its invitation
    answered. Returns how many responses were rewritten. Runs when an anonymous survey
    closes."""
    if not survey.anonymous:
        return 0
    rng = random.Random(secrets.randbits(128))  # noqa: S311 (an order, not a secret)
    with transaction.atomic():
        responses = list(Response.objects.select_for_update().filter(survey=survey))
        answers = list(Answer.objects.filter(response__survey=survey))
        rng.shuffle(responses)
        rng.shuffle(answers)
        Response.objects.filter(survey=survey).delete()
        Response.objects.bulk_create(responses)
        Answer.objects.bulk_create(answers)
    return len(responses)
