"""The researchers' builder pages: create a survey, add sections and questions (with
options and skip logic), open refused with the problems shown, open, invite, remind,
close; preview saves nothing; the list and the builder page read in a bounded number of
queries."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from research.models import Invitation, Question, Response, Section, Survey, SurveyStatus
from tests.research.factories import build_survey, organisation, practitioner, researcher

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return researcher(user__language="en")


@pytest.fixture
def client_owner(client, owner):
    client.force_login(owner)
    return client


def detail(survey):
    return reverse("research:survey_detail", args=[survey.pk])


def add_question(client, survey, section, **data):
    return client.post(
        reverse("research:question_add", args=[survey.pk, section.pk]),
        {"required": "", "help": "", "options": "", "show_if_values": "", **data},
    )


def test_create_a_survey_and_build_it(client_owner, owner):
    response = client_owner.post(
        reverse("research:survey_create"),
        {"title": "Culture professionali", "description": "Per chi lavora", "anonymous": "on"},
    )
    survey = Survey.objects.get(owner=owner)
    assert response.status_code == 302 and response.url == detail(survey)
    assert survey.anonymous and survey.status == SurveyStatus.DRAFT
    section = survey.sections.get()

    response = add_question(
        client_owner,
        survey,
        section,
        kind="single",
        code="servizio",
        text="Your service?",
        required="on",
        options="sociale|Social services\nlavoro|Employment",
    )
    assert response.status_code == 302
    servizio = Question.objects.get(survey=survey, code="servizio")
    assert [(o.code, o.label) for o in servizio.options.all()] == [
        ("sociale", "Social services"),
        ("lavoro", "Employment"),
    ]
    response = add_question(
        client_owner,
        survey,
        section,
        kind="short_text",
        code="perche",
        text="Why?",
        show_if_question=str(servizio.pk),
        show_if_values="sociale",
    )
    assert response.status_code == 302
    perche = Question.objects.get(survey=survey, code="perche")
    assert perche.show_if_question == servizio and perche.show_if_values == ["sociale"]

    page = client_owner.get(detail(survey))
    assert page.status_code == 200
    assert b"Your service?" in page.content and b"Social services" in page.content
    assert b"Shown only if" in page.content


def test_invalid_survey_and_question_forms_are_400_and_save_nothing(client_owner, owner):
    response = client_owner.post(reverse("research:survey_create"), {"title": ""})
    assert response.status_code == 400 and not Survey.objects.exists()
    assert b"data-error-summary" in response.content

    survey = build_survey(owner, [], open_it=False)
    section = survey.sections.get()
    # A code with spaces: the service refuses it, under the code field.
    response = add_question(client_owner, survey, section, kind="number", code="a b", text="N?")
    assert response.status_code == 400 and b"letters, digits" in response.content
    # Options on a text question: nothing is saved (not even the question).
    response = add_question(
        client_owner, survey, section, kind="short_text", code="t", text="T?", options="a|A"
    )
    assert response.status_code == 400
    # A bad option code rolls the question back too.
    response = add_question(
        client_owner, survey, section, kind="single", code="s", text="S?", options="a b|A\nc|C"
    )
    assert response.status_code == 400
    assert not Question.objects.filter(survey=survey).exists()


def test_edit_a_question_and_its_options(client_owner, owner):
    survey = build_survey(
        owner, [{"code": "s", "text": "S?", "kind": "single", "options": ["a", "b"]}], open_it=False
    )
    question = Question.objects.get(survey=survey)
    url = reverse("research:question_edit", args=[survey.pk, question.pk])
    assert client_owner.get(url).status_code == 200
    response = client_owner.post(
        url,
        {"kind": "single", "code": "s", "text": "New?", "options": "c|Cee\na|Ay", "help": ""},
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.text == "New?"
    assert [(o.code, o.label) for o in question.options.all()] == [("c", "Cee"), ("a", "Ay")]


def test_sections_add_rename_delete(client_owner, owner):
    survey = build_survey(owner, [], open_it=False)
    assert (
        client_owner.post(
            reverse("research:section_add", args=[survey.pk]), {"title": "Second"}
        ).status_code
        == 302
    )
    second = survey.sections.get(title="Second")
    response = client_owner.post(
        reverse("research:section_edit", args=[survey.pk, second.pk]), {"title": "Due"}
    )
    assert response.status_code == 302
    assert Section.objects.get(pk=second.pk).title == "Due"
    response = client_owner.post(reverse("research:section_delete", args=[survey.pk, second.pk]))
    assert response.status_code == 302 and not Section.objects.filter(pk=second.pk).exists()


def test_delete_refused_while_another_question_depends_on_it(client_owner, owner):
    survey = build_survey(
        owner,
        [
            {"code": "s", "text": "S?", "kind": "single", "options": ["a", "b"]},
            {
                "code": "t",
                "text": "T?",
                "kind": "short_text",
                "show_if": "s",
                "show_if_values": ["a"],
            },
        ],
        open_it=False,
    )
    s = Question.objects.get(survey=survey, code="s")
    response = client_owner.post(reverse("research:question_delete", args=[survey.pk, s.pk]))
    assert response.status_code == 400 and b"depending on this one" in response.content
    assert Question.objects.filter(pk=s.pk).exists()


def test_open_refused_shows_the_problems_then_opens(client_owner, owner):
    survey = build_survey(
        owner, [{"code": "s", "text": "S?", "kind": "single", "options": ["a"]}], open_it=False
    )
    page = client_owner.get(detail(survey))
    assert b"needs at least two options" in page.content
    response = client_owner.post(reverse("research:survey_open", args=[survey.pk]), {})
    assert response.status_code == 400
    assert b"needs at least two options" in response.content
    assert b"data-error-summary" in response.content
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.DRAFT

    question = Question.objects.get(survey=survey)
    client_owner.post(
        reverse("research:question_edit", args=[survey.pk, question.pk]),
        {"kind": "single", "code": "s", "text": "S?", "options": "a|A\nb|B"},
    )
    response = client_owner.post(
        reverse("research:survey_open", args=[survey.pk]), {"closes_at": "2000-01-01T10:00"}
    )
    assert response.status_code == 400 and b"already past" in response.content
    response = client_owner.post(reverse("research:survey_open", args=[survey.pk]), {})
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.OPEN


def test_invitations_reminders_and_close_through_the_pages(
    client_owner, owner, eager_tasks, django_capture_on_commit_callbacks
):
    survey = build_survey(owner, [{"code": "n", "text": "N?", "kind": "number"}])
    org = organisation(name="Cooperativa Iris")
    practitioner(org)
    practitioner(org)
    url = reverse("research:invitations", args=[survey.pk])
    assert client_owner.get(url).status_code == 200
    assert client_owner.post(url, {}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client_owner.post(url, {"organisations": [str(org.pk)]}, follow=True)
    assert response.status_code == 200 and b"2 invitations sent" in response.content
    assert Invitation.objects.filter(survey=survey).count() == 2
    assert len(mail.outbox) == 2
    assert "/research/questionari/rispondi/" in mail.outbox[0].body
    assert b"Cooperativa Iris" in response.content  # the response rate per organisation

    response = client_owner.post(reverse("research:reminders", args=[survey.pk]), follow=True)
    assert b"Nobody is due a reminder yet" in response.content

    response = client_owner.post(reverse("research:survey_close", args=[survey.pk]))
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.CLOSED
    response = client_owner.post(reverse("research:survey_close", args=[survey.pk]))
    assert response.status_code == 400


def test_preview_renders_and_saves_nothing(client_owner, owner):
    survey = build_survey(
        owner,
        [
            {
                "code": "s",
                "text": "Which one?",
                "kind": "single",
                "options": ["a", "b"],
                "required": True,
            }
        ],
        open_it=False,
    )
    url = reverse("research:survey_preview", args=[survey.pk])
    page = client_owner.get(url)
    assert page.status_code == 200 and b"Which one?" in page.content and b"Preview" in page.content
    assert client_owner.post(url, {}).status_code == 400
    response = client_owner.post(url, {"q-s": "a"})
    assert response.status_code == 200 and b"would be accepted" in response.content
    assert not Response.objects.exists()


def test_list_shows_status_and_response_rate(client_owner, owner):
    build_survey(owner, [], open_it=False, title="Mine")
    build_survey(researcher(), [], open_it=False, title="Somebody else's")
    page = client_owner.get(reverse("research:survey_list"))
    assert page.status_code == 200
    assert b"Mine" in page.content and b"Somebody else" not in page.content


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_rows(client_owner, owner):
    spec = [{"code": "s0", "text": "S?", "kind": "single", "options": ["a", "b"]}]
    small = build_survey(owner, spec, open_it=False)
    list_few = _count(client_owner, reverse("research:survey_list"))
    detail_few = _count(client_owner, detail(small))
    for n in range(4):
        build_survey(owner, spec, open_it=False, title=f"More {n}")
    big = build_survey(
        owner,
        [
            {"code": f"s{n}", "text": "S?", "kind": "single", "options": ["a", "b", "c"]}
            for n in range(6)
        ]
        + [
            {
                "code": "t",
                "text": "T?",
                "kind": "short_text",
                "show_if": "s0",
                "show_if_values": ["a"],
            }
        ],
        open_it=False,
    )
    Section.objects.create(survey=big, order=2, title="Two")
    assert _count(client_owner, reverse("research:survey_list")) == list_few
    assert _count(client_owner, detail(big)) == detail_few
