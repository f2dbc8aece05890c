"""The practitioners' answering page, reached through the link of an invitation mail:
/research/questionari/rispondi/<token>/. No account is needed: the token is the key and
opens its own invitation's survey only (research.services.responses).

The page shows every section and question with the input its kind asks for; a question
with a skip condition carries it in data attributes, and static/research/answer.js hides
it while the condition is not met. Without JavaScript every question shows, and the
service ignores the answers to questions whose condition is not met. A refused answer
comes back with a summary and the errors under each question (400, nothing stored); a
link unknown (404), already used or whose survey is closed (410) gets a page saying so.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from research import services
from research.models import LIKERT_MAX, LIKERT_MIN, Question, QuestionKind, Survey

FIELD_PREFIX = "q-"


def field_name(question: Question) -> str:
    return FIELD_PREFIX + question.code


def answers_from(data: QueryDict, questions: list[Question]) -> dict[str, Any]:
    """The answers by question code, as the service takes them, from a posted form."""
    answers: dict[str, Any] = {}
    for question in questions:
        name = field_name(question)
        if question.kind == QuestionKind.MULTIPLE:
            values = data.getlist(name)
            if values:
                answers[question.code] = values
        elif name in data:
            answers[question.code] = data.get(name, "")
    return answers


def answer_context(
    survey: Survey,
    questions: list[Question],
    answers: dict[str, Any],
    errors: dict[str, list[str]],
) -> dict[str, Any]:
    """Sections with their questions, each with what was given and its errors."""
    sections: list[dict[str, Any]] = []
    by_pk = {q.pk: q for q in questions}
    for question in questions:
        given = answers.get(question.code)
        chosen = given if isinstance(given, list) else ([given] if given else [])
        item = {
            "question": question,
            "name": field_name(question),
            "value": given if isinstance(given, str) else "",
            "chosen": [str(c) for c in chosen],
            "errors": errors.get(question.code, []),
            "depends_on": (
                field_name(by_pk[question.show_if_question_id])
                if question.show_if_question_id in by_pk
                else ""
            ),
            "show_values": " ".join(question.show_if_values or []),
        }
        if not sections or sections[-1]["section"].pk != question.section_id:
            sections.append({"section": question.section, "items": []})
        sections[-1]["items"].append(item)
    summary = [
        {"code": code, "name": FIELD_PREFIX + code, "text": _text(questions, code), "error": e}
        for code, errs in errors.items()
        for e in errs
    ]
    return {
        "survey": survey,
        "sections": sections,
        "summary": summary,
        "likert": [str(n) for n in range(LIKERT_MIN, LIKERT_MAX + 1)],
        "kinds": QuestionKind,
    }


def _text(questions: list[Question], code: str) -> str:
    for question in questions:
        if question.code == code:
            return question.text
    return code


def refused(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render(request, "research/answer_refused.html", {"reason": reason}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_from_token(token)
    if invitation is None:
        return refused(request, "invalid_link", 404)
    survey = invitation.survey
    if invitation.answered:
        return refused(request, "already_answered", 410)
    if not survey.accepts_answers():
        return refused(request, "closed", 410)
    questions = services.survey_questions(survey)
    answers: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        answers = answers_from(request.POST, questions)
        try:
            services.response_submit(token=token, answers=answers)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                code = exc.error_list[0].code if exc.error_list else ""
                if code in {"invalid_link", "already_answered", "closed"}:
                    return refused(request, code, 404 if code == "invalid_link" else 410)
                errors = {"": [str(m) for m in exc.messages]}
            else:
                errors = {
                    k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()
                }
        else:
            return render(request, "research/answer_thanks.html", {"survey": survey})
    context = answer_context(survey, questions, answers, errors)
    context["preview"] = False
    return render(request, "research/answer_form.html", context, status=400 if errors else 200)


urlpatterns: list[URLPattern] = [
    path("questionari/rispondi/<str:token>/", answer, name="answer"),
]
