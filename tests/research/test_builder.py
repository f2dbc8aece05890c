"""The survey builder: a researcher drafts sections, questions and options; a survey
opens only when it is complete and its skip logic points back; once open, nothing it
asks (nor its anonymity) changes."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from legami.roles import Role
from research.models import Option, Question, QuestionKind, Survey, SurveyStatus
from research.services import (
    option_add,
    option_change,
    option_delete,
    option_reorder,
    question_add,
    question_change,
    question_delete,
    question_reorder,
    section_add,
    section_delete,
    survey_close,
    survey_create,
    survey_open,
    survey_problems,
    survey_update,
)
from tests.research.factories import build_survey, researcher

pytestmark = pytest.mark.django_db

K = QuestionKind


@pytest.fixture
def owner():
    return researcher()


def codes(error: ValidationError) -> list[str]:
    return sorted(e.code for e in error.error_list)


def test_only_a_researcher_creates_a_survey(make_user):
    for role in (Role.OPERATOR, Role.NETWORK_ADMIN, Role.COORDINATOR):
        with pytest.raises(PermissionDenied):
            survey_create(by=make_user(role=role), title="Indagine")
    survey = survey_create(by=researcher(), title="Indagine")
    assert survey.status == SurveyStatus.DRAFT and survey.anonymous is True
    assert survey.sections.count() == 1


def test_an_empty_survey_does_not_open(owner):
    survey = survey_create(by=owner, title="Vuota")
    with pytest.raises(ValidationError) as caught:
        survey_open(survey=survey, by=owner)
    assert codes(caught.value) == ["no_questions"]
    assert Survey.objects.get().status == SurveyStatus.DRAFT


def test_a_choice_question_needs_options_to_open(owner):
    survey = build_survey(
        owner, [{"code": "q1", "text": "Which?", "kind": K.SINGLE, "options": ["a"]}], open_it=False
    )
    with pytest.raises(ValidationError) as caught:
        survey_open(survey=survey, by=owner)
    assert codes(caught.value) == ["too_few_options"]

    option_add(question=Question.objects.get(), by=owner, code="b", label="B")
    assert survey_open(survey=survey, by=owner).status == SurveyStatus.OPEN


def test_skip_logic_must_point_to_an_earlier_question(owner):
    """Moving the deciding question after the one it decides stops the survey from
    opening; moving it back lets it open."""
    survey = build_survey(
        owner,
        [
            {"code": "servizio", "text": "Service?", "kind": K.SINGLE, "options": ["a", "b"]},
            {
                "code": "perche",
                "text": "Why?",
                "kind": K.SHORT_TEXT,
                "show_if": "servizio",
                "show_if_values": ["a"],
            },
        ],
        open_it=False,
    )
    section = survey.sections.get()
    servizio, perche = Question.objects.get(code="servizio"), Question.objects.get(code="perche")

    question_reorder(section=section, by=owner, question_ids=[perche.pk, servizio.pk])
    assert [e.code for e in survey_problems(survey)] == ["condition_not_earlier"]
    with pytest.raises(ValidationError):
        survey_open(survey=survey, by=owner)

    # A later section is later too.
    later = section_add(survey=survey, by=owner, title="Dopo")
    question_change(question=perche, by=owner, section=later)
    assert survey_problems(survey) == []


def test_condition_values_must_be_answers_the_question_has(owner):
    survey = build_survey(
        owner,
        [
            {"code": "fiducia", "text": "Trust", "kind": K.LIKERT},
            {
                "code": "poca",
                "text": "Why low?",
                "kind": K.LONG_TEXT,
                "show_if": "fiducia",
                "show_if_values": ["0", "1"],
            },
        ],
        open_it=False,
    )
    assert [e.code for e in survey_problems(survey)] == ["condition_values"]
    question_change(question=Question.objects.get(code="poca"), by=owner, show_if_values=[1, 2])
    assert survey_problems(survey) == []


def test_a_text_or_number_question_cannot_decide(owner):
    survey = build_survey(
        owner, [{"code": "anni", "text": "Years", "kind": K.NUMBER}], open_it=False
    )
    with pytest.raises(ValidationError) as caught:
        question_add(
            section=survey.sections.get(),
            by=owner,
            code="dopo",
            text="Then?",
            kind=K.SHORT_TEXT,
            show_if_question=Question.objects.get(code="anni"),
            show_if_values=["3"],
        )
    assert "show_if_question" in caught.value.error_dict


def test_question_codes_are_slugs_unique_in_the_survey(owner):
    survey = build_survey(owner, [{"code": "q1", "text": "One", "kind": K.NUMBER}], open_it=False)
    section = survey.sections.get()
    for code in ("q1", "con spazio", "", "è"):
        with pytest.raises(ValidationError) as caught:
            question_add(section=section, by=owner, code=code, text="Two", kind=K.NUMBER)
        assert "code" in caught.value.error_dict
    # Another survey may use the same code.
    other = build_survey(owner, [{"code": "q1", "text": "One", "kind": K.NUMBER}])
    assert other.questions.get().code == "q1"


def test_a_question_or_option_a_condition_uses_cannot_go(owner):
    survey = build_survey(
        owner,
        [
            {"code": "servizio", "text": "Service?", "kind": K.SINGLE, "options": ["a", "b"]},
            {
                "code": "perche",
                "text": "Why?",
                "kind": K.SHORT_TEXT,
                "show_if": "servizio",
                "show_if_values": ["a"],
            },
        ],
        open_it=False,
    )
    servizio = Question.objects.get(code="servizio")
    option_a = Option.objects.get(code="a")
    with pytest.raises(ValidationError):
        question_delete(question=servizio, by=owner)
    with pytest.raises(ValidationError):
        option_delete(option=option_a, by=owner)
    with pytest.raises(ValidationError):
        option_change(option=option_a, by=owner, code="c")
    with pytest.raises(ValidationError):
        question_change(question=servizio, by=owner, kind=K.NUMBER)
    # A section whose question decides one in another section cannot go either.
    later = section_add(survey=survey, by=owner, title="Dopo")
    question_change(question=Question.objects.get(code="perche"), by=owner, section=later)
    with pytest.raises(ValidationError):
        section_delete(section=servizio.section, by=owner)
    # Its label may change; the other option may go.
    option_change(option=option_a, by=owner, label="Servizi sociali")
    option_delete(option=Option.objects.get(code="b"), by=owner)
    assert list(servizio.options.values_list("code", "label")) == [("a", "Servizi sociali")]
    # The dependent section goes with its question; then the first may go too.
    section_delete(section=later, by=owner)
    section_delete(section=servizio.section, by=owner)
    assert not Question.objects.filter(survey=survey).exists()


def test_options_keep_the_order_given(owner):
    survey = build_survey(
        owner,
        [{"code": "q", "text": "Which?", "kind": K.MULTIPLE, "options": ["a", "b", "c"]}],
        open_it=False,
    )
    question = survey.questions.get()
    a, b, c = (Option.objects.get(code=x) for x in "abc")
    option_reorder(question=question, by=owner, option_ids=[c.pk, a.pk, b.pk])
    assert list(question.options.values_list("code", flat=True)) == ["c", "a", "b"]
    with pytest.raises(ValidationError):
        option_reorder(question=question, by=owner, option_ids=[c.pk, a.pk])


def test_an_open_survey_is_fixed(owner):
    """Once open, the questions, options and anonymity stay as they were."""
    survey = build_survey(
        owner, [{"code": "q", "text": "Which?", "kind": K.SINGLE, "options": ["a", "b"]}]
    )
    question = survey.questions.get()
    attempts = [
        lambda: survey_update(survey=survey, by=owner, anonymous=False),
        lambda: survey_update(survey=survey, by=owner, title="Altro"),
        lambda: question_add(section=question.section, by=owner, code="x", text="X", kind=K.NUMBER),
        lambda: question_change(question=question, by=owner, text="Changed"),
        lambda: question_delete(question=question, by=owner),
        lambda: option_add(question=question, by=owner, code="c", label="C"),
        lambda: section_add(survey=survey, by=owner),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as caught:
            attempt()
        assert caught.value.code == "not_draft"
    survey.refresh_from_db()
    assert survey.anonymous is True and survey.title == "Culture professionali"
    assert question.options.count() == 2


def test_only_the_owner_changes_opens_and_closes_a_survey(owner, make_user):
    survey = build_survey(owner, [{"code": "q", "text": "N", "kind": K.NUMBER}], open_it=False)
    for other in (researcher(), make_user(role=Role.NETWORK_ADMIN)):
        with pytest.raises(PermissionDenied):
            survey_update(survey=survey, by=other, title="Mine")
        with pytest.raises(PermissionDenied):
            survey_open(survey=survey, by=other)
    survey_open(survey=survey, by=owner)
    with pytest.raises(PermissionDenied):
        survey_close(survey=survey, by=researcher())
    assert survey_close(survey=survey, by=owner).status == SurveyStatus.CLOSED
    with pytest.raises(ValidationError):
        survey_close(survey=survey, by=owner)


def test_a_survey_past_its_closing_time_closes(owner):
    import datetime as dt

    from django.utils import timezone

    from research.tasks import close_due_surveys

    survey = build_survey(owner, [{"code": "q", "text": "N", "kind": K.NUMBER}])
    now = timezone.now()
    Survey.objects.filter(pk=survey.pk).update(
        opens_at=now - dt.timedelta(days=10), closes_at=now - dt.timedelta(minutes=1)
    )
    still_open = build_survey(owner, [{"code": "q", "text": "N", "kind": K.NUMBER}])

    assert close_due_surveys.run() == 1
    assert close_due_surveys.run() == 0
    assert Survey.objects.get(pk=survey.pk).status == SurveyStatus.CLOSED
    assert Survey.objects.get(pk=still_open.pk).status == SurveyStatus.OPEN
