"""Answering through an invitation's link: validation by kind, required questions, skip
logic (a hidden question's answer is dropped, and required applies only when shown), one
response per link."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from research.models import Answer, Invitation, QuestionKind, Response
from research.services import invitations_send, response_submit, shown_questions
from tests.research.factories import build_survey, organisation, practitioner, researcher, token_for

pytestmark = pytest.mark.django_db

K = QuestionKind

EVERY_KIND = [
    {"code": "ruolo", "text": "Your service?", "kind": K.SINGLE, "options": ["sociale", "lavoro"]},
    {"code": "temi", "text": "Themes?", "kind": K.MULTIPLE, "options": ["casa", "reddito", "soli"]},
    {"code": "fiducia", "text": "Trust in the network", "kind": K.LIKERT},
    {"code": "anni", "text": "Years of service", "kind": K.NUMBER},
    {"code": "titolo", "text": "Job title", "kind": K.SHORT_TEXT},
    {"code": "note", "text": "Anything else?", "kind": K.LONG_TEXT},
]

# Skip logic: "perche" is shown only to social services; "lavoro_dettagli" only when the
# employment service is chosen; "isolamento" only for trust 1 or 2, and it is required.
BRANCHING = [
    {
        "code": "servizio",
        "text": "Your service?",
        "kind": K.SINGLE,
        "required": True,
        "options": ["sociale", "lavoro", "scuola"],
    },
    {
        "code": "perche",
        "text": "Why did you choose social work?",
        "kind": K.SHORT_TEXT,
        "required": True,
        "show_if": "servizio",
        "show_if_values": ["sociale"],
    },
    {"code": "fiducia", "text": "Trust", "kind": K.LIKERT, "required": True},
    {
        "code": "isolamento",
        "text": "What isolates you?",
        "kind": K.LONG_TEXT,
        "required": True,
        "show_if": "fiducia",
        "show_if_values": ["1", "2"],
    },
]


def invited_token(survey, owner) -> tuple[Invitation, str]:
    person = practitioner(organisation())
    [invitation] = invitations_send(survey=survey, by=owner, users=[person])
    return invitation, token_for(invitation)


def stored(response: Response) -> dict[str, object]:
    return {a.question.code: a.value for a in response.answers.select_related("question")}


@pytest.fixture
def owner():
    return researcher()


def test_each_kind_is_stored_in_its_column(owner):
    """Choices as option codes (in the options' order), Likert as an integer, numbers as
    decimals (an Italian comma is a decimal point), texts trimmed."""
    survey = build_survey(owner, EVERY_KIND)
    _, token = invited_token(survey, owner)

    response = response_submit(
        token=token,
        answers={
            "ruolo": "lavoro",
            "temi": ["soli", "casa"],
            "fiducia": "4",
            "anni": "12,5",
            "titolo": "  Assistente sociale ",
            "note": "Più formazione comune.",
        },
    )

    assert stored(response) == {
        "ruolo": ["lavoro"],
        "temi": ["casa", "soli"],
        "fiducia": 4,
        "anni": Decimal("12.5"),
        "titolo": "Assistente sociale",
        "note": "Più formazione comune.",
    }
    likert = Answer.objects.get(response=response, question__code="fiducia")
    assert (likert.integer, likert.choices, likert.number, likert.text) == (4, None, None, None)


@pytest.mark.parametrize(
    ("code", "value", "error"),
    [
        ("ruolo", "dirigente", "invalid_choice"),
        ("ruolo", ["sociale", "lavoro"], "one_choice"),
        ("temi", ["casa", "altro"], "invalid_choice"),
        ("fiducia", "6", "invalid_scale"),
        ("fiducia", 0, "invalid_scale"),
        ("fiducia", "tre", "invalid_scale"),
        ("fiducia", True, "invalid_scale"),
        ("anni", "dodici", "invalid_number"),
        ("anni", "NaN", "invalid_number"),
        ("anni", "1.23456", "too_many_decimals"),
        ("anni", "1e20", "invalid_number"),
        ("titolo", "x" * 201, "text_too_long"),
        ("note", "x" * 5001, "text_too_long"),
        ("note", ["a list"], "invalid_text"),
        ("non_esiste", "x", "unknown"),
    ],
)
def test_an_answer_that_does_not_fit_its_kind_is_refused(owner, code, value, error):
    """The whole response is refused, with the error under the question's code, and the
    invitation stays unanswered (the link can be used again)."""
    survey = build_survey(owner, EVERY_KIND)
    invitation, token = invited_token(survey, owner)

    with pytest.raises(ValidationError) as caught:
        response_submit(token=token, answers={code: value})

    assert [e.code for e in caught.value.error_dict[code]] == [error]
    assert Response.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.answered is False


def test_a_required_shown_question_left_empty_is_refused(owner):
    survey = build_survey(owner, BRANCHING)
    _, token = invited_token(survey, owner)

    with pytest.raises(ValidationError) as caught:
        response_submit(token=token, answers={"servizio": "sociale", "fiducia": 4, "perche": " "})

    assert set(caught.value.error_dict) == {"perche"}
    assert caught.value.error_dict["perche"][0].code == "required"


def test_a_required_question_that_is_not_shown_may_be_left_out(owner):
    """Not a social service, trust 4: neither "perche" nor "isolamento" is shown, so
    their being required does not apply."""
    survey = build_survey(owner, BRANCHING)
    _, token = invited_token(survey, owner)

    response = response_submit(token=token, answers={"servizio": "lavoro", "fiducia": 4})

    assert stored(response) == {"servizio": ["lavoro"], "fiducia": 4}


def test_the_condition_shows_a_question_for_the_listed_answers_only(owner):
    """Trust 2 shows "isolamento" (and it is then required); a social service shows
    "perche"."""
    survey = build_survey(owner, BRANCHING)
    _, token = invited_token(survey, owner)

    with pytest.raises(ValidationError) as caught:
        response_submit(
            token=token, answers={"servizio": "sociale", "perche": "Vocazione", "fiducia": 2}
        )
    assert set(caught.value.error_dict) == {"isolamento"}

    response = response_submit(
        token=token,
        answers={
            "servizio": "sociale",
            "perche": "Vocazione",
            "fiducia": 2,
            "isolamento": "Il carico",
        },
    )
    assert stored(response) == {
        "servizio": ["sociale"],
        "perche": "Vocazione",
        "fiducia": 2,
        "isolamento": "Il carico",
    }


def test_answers_to_hidden_questions_are_dropped(owner):
    """A person who first chose the social service, wrote why, then changed to the
    employment service: "perche" is hidden, so its answer is not stored (nor refused)."""
    survey = build_survey(owner, BRANCHING)
    _, token = invited_token(survey, owner)

    response = response_submit(
        token=token,
        answers={"servizio": "lavoro", "perche": "Vocazione", "fiducia": 5, "isolamento": "Nulla"},
    )

    assert stored(response) == {"servizio": ["lavoro"], "fiducia": 5}
    assert not Answer.objects.filter(question__code__in=["perche", "isolamento"]).exists()


def test_a_multiple_choice_shows_the_question_when_any_choice_is_listed(owner):
    survey = build_survey(
        owner,
        [
            {
                "code": "temi",
                "text": "Themes?",
                "kind": K.MULTIPLE,
                "options": ["casa", "reddito", "soli"],
            },
            {
                "code": "casa_come",
                "text": "Housing: how?",
                "kind": K.SHORT_TEXT,
                "required": True,
                "show_if": "temi",
                "show_if_values": ["casa"],
            },
        ],
    )

    def shown(answers):
        return [q.code for q in shown_questions(survey=survey, answers=answers)]

    assert shown({}) == ["temi"]
    assert shown({"temi": ["reddito"]}) == ["temi"]
    assert shown({"temi": ["reddito", "casa"]}) == ["temi", "casa_come"]
    # An invalid earlier answer counts as not given.
    assert shown({"temi": ["nessuno"]}) == ["temi"]


def test_a_question_depending_on_a_hidden_one_is_hidden_too(owner):
    """ "dopo_ancora" depends on "dopo", which is hidden for the employment service: an
    answer given to "dopo" does not show it."""
    survey = build_survey(
        owner,
        [
            BRANCHING[0],
            BRANCHING[1],
            {
                "code": "dopo",
                "text": "And then?",
                "kind": K.SINGLE,
                "required": True,
                "options": ["si", "no"],
                "show_if": "servizio",
                "show_if_values": ["sociale"],
            },
            {
                "code": "dopo_ancora",
                "text": "Tell more",
                "kind": K.SHORT_TEXT,
                "required": True,
                "show_if": "dopo",
                "show_if_values": ["si"],
            },
        ],
    )
    codes = [
        q.code for q in shown_questions(survey=survey, answers={"servizio": "lavoro", "dopo": "si"})
    ]
    assert codes == ["servizio"]
    _, token = invited_token(survey, owner)
    response = response_submit(token=token, answers={"servizio": "lavoro", "dopo": "si"})
    assert stored(response) == {"servizio": ["lavoro"]}


def test_a_link_answers_once(owner):
    """The second submission with the same link is refused and stores nothing."""
    survey = build_survey(owner, EVERY_KIND[:1])
    invitation, token = invited_token(survey, owner)
    response_submit(token=token, answers={"ruolo": "sociale"})

    with pytest.raises(ValidationError) as caught:
        response_submit(token=token, answers={"ruolo": "lavoro"})

    assert caught.value.code == "already_answered"
    assert Response.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.answered is True


def test_a_reminders_link_works_but_answers_the_same_invitation_once(owner):
    """Each mail has its own link; after answering with one, the other is refused."""
    survey = build_survey(owner, EVERY_KIND[:1])
    invitation, first = invited_token(survey, owner)
    second = token_for(invitation, kind="reminder", round=1)
    assert first != second

    response_submit(token=second, answers={"ruolo": "sociale"})
    with pytest.raises(ValidationError) as caught:
        response_submit(token=first, answers={"ruolo": "sociale"})
    assert caught.value.code == "already_answered"


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 43])
def test_an_unknown_link_is_refused(owner, token):
    build_survey(owner, EVERY_KIND[:1])
    with pytest.raises(ValidationError) as caught:
        response_submit(token=token, answers={})
    assert caught.value.code == "invalid_link"


def test_a_closed_survey_takes_no_answers(owner):
    from research.services import survey_close

    survey = build_survey(owner, EVERY_KIND[:1])
    invitation, token = invited_token(survey, owner)
    survey_close(survey=survey, by=owner)

    with pytest.raises(ValidationError) as caught:
        response_submit(token=token, answers={"ruolo": "sociale"})
    assert caught.value.code == "closed"
    invitation.refresh_from_db()
    assert invitation.answered is False
