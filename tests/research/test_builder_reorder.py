"""Reordering a draft survey on the builder page: sections and questions move one place
up or down with form buttons (no JavaScript needed); a move that cannot be made, an
unknown direction or an open survey is refused (400) and changes nothing; a condition
left pointing at a later question keeps the survey from opening."""

from __future__ import annotations

import pytest
from django.urls import reverse

from research.models import Question, Section
from tests.research.factories import build_survey, researcher

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"code": "a", "text": "A?", "kind": "single", "options": ["si", "no"]},
    {"code": "b", "text": "B?", "kind": "number", "show_if": "a", "show_if_values": ["si"]},
    {"code": "c", "text": "C?", "kind": "short_text"},
]


@pytest.fixture
def owner():
    return researcher()


@pytest.fixture
def draft(owner):
    survey = build_survey(owner, QUESTIONS, open_it=False)
    Section.objects.create(survey=survey, order=5, title="Seconda")
    return survey


def codes(survey):
    section = survey.sections.order_by("order", "pk").first()
    return list(section.questions.order_by("order", "pk").values_list("code", flat=True))


def titles(survey):
    return list(survey.sections.order_by("order", "pk").values_list("title", flat=True))


def move_question(client, survey, code, direction):
    question = Question.objects.get(survey=survey, code=code)
    url = reverse("research:question_move", args=[survey.pk, question.pk])
    return client.post(url, {"direction": direction})


def test_a_question_moves_down_and_up(client, owner, draft):
    client.force_login(owner)
    response = move_question(client, draft, "c", "up")
    assert response.status_code == 302
    assert codes(draft) == ["a", "c", "b"]
    assert move_question(client, draft, "a", "down").status_code == 302
    assert codes(draft) == ["c", "a", "b"]


@pytest.mark.parametrize(("code", "direction"), [("a", "up"), ("c", "down"), ("b", "sideways")])
def test_impossible_moves_are_refused_and_change_nothing(client, owner, draft, code, direction):
    client.force_login(owner)
    response = move_question(client, draft, code, direction)
    assert response.status_code == 400
    assert "cannot move that way" in response.content.decode()
    assert codes(draft) == ["a", "b", "c"]


def test_a_condition_moved_above_its_question_blocks_opening(client, owner, draft):
    client.force_login(owner)
    assert move_question(client, draft, "b", "up").status_code == 302
    assert codes(draft) == ["b", "a", "c"]
    page = client.get(reverse("research:survey_detail", args=[draft.pk])).content.decode()
    assert "The survey cannot open yet" in page
    assert "Question b can only depend on an earlier question." in page
    response = client.post(reverse("research:survey_open", args=[draft.pk]), {"closes_at": ""})
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_sections_move(client, owner, draft):
    client.force_login(owner)
    first, second = draft.sections.order_by("order", "pk")
    url = reverse("research:section_move", args=[draft.pk, second.pk])
    assert client.post(url, {"direction": "up"}).status_code == 302
    assert titles(draft) == ["Seconda", first.title]
    # The page offers "Move down" on the first section and "Move up" on the last only.
    page = client.get(reverse("research:survey_detail", args=[draft.pk])).content.decode()
    assert page.count(f"/sezioni/{second.pk}/sposta/") == 1
    assert client.post(url, {"direction": "up"}).status_code == 400
    assert titles(draft) == ["Seconda", first.title]


def test_an_open_survey_cannot_be_reordered(client, owner):
    survey = build_survey(
        owner,
        [
            {"code": "x", "text": "X?", "kind": "number"},
            {"code": "y", "text": "Y?", "kind": "number"},
        ],
    )
    client.force_login(owner)
    assert move_question(client, survey, "y", "up").status_code == 400
    assert codes(survey) == ["x", "y"]
