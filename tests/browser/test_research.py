"""A survey of the Wel(l)fare LAB in a real Chromium, under the real CSP: a researcher
builds a three-question survey with the builder (a single choice with two options, a
Likert scale, a short text), opens it and invites an organisation's social workers; the
social worker, not logged in, follows the link of the invitation e-mail and answers; the
researcher reads the results: the chart drawn, and the table where one answer shows as
"<5" (small-cell suppression)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from legami.roles import Role
from research.models import Response, Survey
from tests.browser.helpers import log_in, open_browser, verified
from tests.fixtures import eager_tasks  # noqa: F401  (the fixture, used by name)
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Culture professionali nei servizi"
ORGANISATION = "Consorzio Servizi Oglio Po"
CHOICE = "Do you work in a team?"
SCALE = "How satisfied are you with your workload?"
TEXT = "One word for your job"
ANSWER_LINK = re.compile(r"https?://\S+/rispondi/[A-Za-z0-9_\-]+/")


def choose(within: Any, label: str) -> None:
    """Pick a Bootstrap Italia radio the way a person does: on its (drawn) label."""
    within.get_by_text(label, exact=True).click()
    expect(within.get_by_label(label, exact=True)).to_be_checked()


def status(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def add_question(page: Page, *, kind: str, code: str, text: str, options: str = "") -> None:
    """From the survey's page: the first section's "Add a question" form, sent."""
    page.get_by_role("link", name="Add a question").first.click()
    expect(page.get_by_role("heading", name="New question", level=1)).to_be_visible()
    page.get_by_label(re.compile("^Kind of question")).select_option(label=kind)
    page.get_by_label(re.compile("^Code")).fill(code)
    page.get_by_label(re.compile("^Question")).fill(text)
    if options:
        page.get_by_label(re.compile("^Options")).fill(options)
    page.get_by_role("button", name="Save the question").click()
    status(page, "Question added.")
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()


def test_a_researcher_builds_a_survey_a_social_worker_answers_it_and_results_are_suppressed(
    chromium,
    live_server,
    make_user,
    eager_tasks,  # noqa: F811  (the invitation mails go at once, in the live server's thread)
):
    researcher = verified(make_user("ricerca@example.org", language="en"))
    MembershipFactory(user=researcher, role=Role.RESEARCHER)
    consorzio = OrganisationFactory(name=ORGANISATION)
    worker = verified(make_user("operatrice@example.org", language="en"))
    MembershipFactory(user=worker, organisation=consorzio, role=Role.OPERATOR)
    pages: list[Page] = []

    # Given a researcher who builds a survey with three questions.
    lab = open_browser(chromium, live_server)
    pages.append(lab)
    log_in(lab, researcher.email)
    lab.goto("/research/questionari/")
    expect(lab.get_by_role("heading", name="My surveys", level=1)).to_be_visible()
    lab.get_by_role("link", name="New survey").click()
    expect(lab.get_by_role("heading", name="New survey", level=1)).to_be_visible()
    lab.get_by_label(re.compile("^Title")).fill(TITLE)
    lab.get_by_label(re.compile("^Description")).fill("Un questionario breve.")
    lab.get_by_role("button", name="Save the survey").click()
    status(lab, "Survey created: now add its questions.")
    expect(lab.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    add_question(lab, kind="single choice", code="team", text=CHOICE, options="yes|Yes\nno|No")
    add_question(lab, kind="Likert scale 1–5", code="workload", text=SCALE)
    add_question(lab, kind="short text", code="word", text=TEXT)
    questions = lab.get_by_role("region", name="Sections and questions")
    expect(questions.get_by_role("listitem").filter(has_text=CHOICE)).to_contain_text("Yes")
    expect(questions).to_contain_text(SCALE)
    expect(questions).to_contain_text(TEXT)

    # When the researcher opens it and invites the consortium's social workers.
    lab.get_by_role("button", name="Open the survey").click()
    status(lab, "The survey is open: send the invitations.")
    lab.get_by_role("link", name="Send invitations").click()
    expect(lab.get_by_role("heading", name="Send invitations", level=1)).to_be_visible()
    lab.get_by_text(ORGANISATION, exact=True).click()
    expect(lab.get_by_label(ORGANISATION, exact=True)).to_be_checked()
    lab.get_by_text("Social worker", exact=True).click()
    expect(lab.get_by_label("Social worker", exact=True)).to_be_checked()
    lab.get_by_role("button", name="Send the invitations").click()
    status(lab, "1 invitation sent.")
    survey = Survey.objects.get(title=TITLE)
    assert survey.status == "open"

    # Then the social worker got an e-mail with a link of their own.
    sent = [m for m in mail.outbox if worker.email in m.to]
    assert len(sent) == 1, [m.to for m in mail.outbox]
    found = ANSWER_LINK.search(str(sent[0].body))
    assert found, sent[0].body
    link = urlsplit(found.group(0)).path

    # When the social worker, not logged in, follows the link and answers.
    worker_page = open_browser(chromium, live_server)
    pages.append(worker_page)
    worker_page.goto(link)
    expect(worker_page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(worker_page.get_by_role("note")).to_contain_text("This survey is anonymous")
    choose(worker_page.get_by_role("group", name=CHOICE), "Yes")
    choose(worker_page.get_by_role("group", name=SCALE), "4")
    worker_page.get_by_label(TEXT).fill("Relazione")
    worker_page.get_by_role("button", name="Send my answers").click()
    expect(worker_page.get_by_role("heading", name="Thank you", level=1)).to_be_visible()
    assert Response.objects.filter(survey=survey).count() == 1

    # Then the researcher sees the chart and the table, where one answer reads "<5".
    lab.goto(f"/research/questionari/{survey.pk}/risultati/")
    expect(lab.get_by_role("heading", name=f"Results: {TITLE}", level=1)).to_be_visible()
    expect(lab.get_by_text("1 response", exact=False).first).to_be_visible()
    team = lab.get_by_role("region", name=CHOICE)
    canvas = team.locator("canvas[data-results-chart]")
    expect(canvas).to_be_visible()
    expect(canvas).to_have_attribute("data-drawn", "true")
    table = team.get_by_role("table")
    expect(table.get_by_role("row", name=re.compile("^Yes"))).to_contain_text("<5")
    scale = lab.get_by_role("region", name=SCALE)
    expect(scale.locator("canvas[data-results-chart]")).to_have_attribute("data-drawn", "true")
    expect(scale.get_by_role("table").get_by_role("row", name=re.compile("^4"))).to_contain_text(
        "<5"
    )
    expect(lab.get_by_role("region", name=TEXT)).to_contain_text("Relazione")

    for page in pages:
        assert page.console_errors == [], page.console_errors  # type: ignore[attr-defined]
        page.context.close()
