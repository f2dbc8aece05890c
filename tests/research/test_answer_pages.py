"""The practitioners' answering page: each kind renders with its input, skip conditions
travel in data attributes, a valid answer is stored once (the link then says so), an
invalid one comes back with errors and stores nothing; unknown and closed links get a
page of their own."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from research.models import Answer, Invitation, QuestionKind, Response
from research.services import invitations_send, survey_close
from tests.research.factories import build_survey, organisation, practitioner, researcher, token_for

pytestmark = pytest.mark.django_db

K = QuestionKind
QUESTIONS: list[dict[str, Any]] = [
    {
        "code": "servizio",
        "text": "Your service?",
        "kind": K.SINGLE,
        "required": True,
        "options": ["sociale", "lavoro"],
    },
    {
        "code": "perche",
        "text": "Why social work?",
        "kind": K.SHORT_TEXT,
        "required": True,
        "show_if": "servizio",
        "show_if_values": ["sociale"],
    },
    {"code": "temi", "text": "Themes?", "kind": K.MULTIPLE, "options": ["casa", "reddito"]},
    {"code": "fiducia", "text": "Trust in the network", "kind": K.LIKERT},
    {"code": "anni", "text": "Years of service", "kind": K.NUMBER},
    {"code": "note", "text": "Anything else?", "kind": K.LONG_TEXT},
]


@pytest.fixture
def owner():
    return researcher()


def invited(survey, owner) -> tuple[Invitation, str]:
    [invitation] = invitations_send(survey=survey, by=owner, users=[practitioner(organisation())])
    return invitation, token_for(invitation)


def url(token: str) -> str:
    return reverse("research:answer", kwargs={"token": token})


def test_the_page_renders_every_kind_without_login(client, owner):
    survey = build_survey(owner, QUESTIONS)
    _invitation, token = invited(survey, owner)
    page = client.get(url(token))
    assert page.status_code == 200
    html = page.content.decode()
    assert "your answers cannot be linked to you" in html
    assert 'type="radio" name="q-servizio"' in html
    assert 'type="checkbox" name="q-temi"' in html
    assert html.count('name="q-fiducia"') == 5 and "not at all" in html
    assert 'inputmode="decimal"' in html and 'name="q-anni"' in html
    assert "<textarea" in html and 'name="q-note"' in html
    assert 'data-show-if="q-servizio" data-show-values="sociale"' in html
    assert "research/answer.js" in html and "<script>" not in html


def test_a_valid_answer_is_stored_then_the_link_is_used(client, owner):
    survey = build_survey(owner, QUESTIONS)
    invitation, token = invited(survey, owner)
    response = client.post(
        url(token),
        {
            "q-servizio": "lavoro",
            "q-perche": "hidden, ignored",
            "q-temi": ["casa", "reddito"],
            "q-fiducia": "4",
            "q-anni": "12",
            "q-note": "",
        },
    )
    assert response.status_code == 200 and b"Thank you" in response.content
    stored = Response.objects.get(survey=survey)
    codes = set(Answer.objects.filter(response=stored).values_list("question__code", flat=True))
    assert codes == {"servizio", "temi", "fiducia", "anni"}
    invitation.refresh_from_db()
    assert invitation.answered
    again = client.get(url(token))
    assert again.status_code == 410 and b"already been answered" in again.content
    again = client.post(url(token), {"q-servizio": "lavoro"})
    assert again.status_code == 410 and Response.objects.count() == 1


def test_an_invalid_answer_is_400_with_errors_and_nothing_stored(client, owner):
    survey = build_survey(owner, QUESTIONS)
    invitation, token = invited(survey, owner)
    response = client.post(url(token), {"q-servizio": "sociale", "q-fiducia": "9", "q-anni": "x"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "data-error-summary" in html and 'href="#q-perche"' in html
    assert "This question is required." in html and "Write a number." in html
    assert 'id="q-anni-error"' in html
    assert 'value="sociale" checked' in html  # what was given stays
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert not invitation.answered


def test_unknown_and_closed_links(client, owner):
    assert client.get(url("no-such-token")).status_code == 404
    assert b"not valid" in client.get(url("no-such-token")).content
    survey = build_survey(owner, QUESTIONS)
    _invitation, token = invited(survey, owner)
    survey_close(survey=survey, by=owner)
    page = client.get(url(token))
    assert page.status_code == 410 and b"closed" in page.content


def test_named_survey_says_so(client, owner):
    survey = build_survey(owner, QUESTIONS, anonymous=False)
    _invitation, token = invited(survey, owner)
    assert b"not anonymous" in client.get(url(token)).content
