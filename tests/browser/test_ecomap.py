"""A social worker draws a person's ecomap and records an isolation assessment in a
real Chromium, under the real CSP: no console errors."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from beneficiaries.models import Assessment, Tie
from legami.roles import Role
from tests.beneficiaries.factories import assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LSNS6_FIRST = "How many relatives do you see or hear from at least once a month?"


@pytest.fixture
def worker_page(page, live_server, make_user, enable_totp):
    """The page, logged in as a social worker with an authenticator app, in English, and
    the person whose case they follow."""
    worker = make_user("operatrice@example.org", role=Role.OPERATOR)
    enable_totp(worker)
    person = assign(worker).person
    client = Client()
    client.force_login(worker)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            },
            {"name": "django_language", "value": "en", "url": live_server.url},
        ]
    )
    return page, person


def test_a_worker_draws_the_ecomap_and_records_an_assessment(worker_page):
    page, person = worker_page
    page.goto(f"/cases/p/{person.public_id}/ecomap/")
    expect(page.get_by_role("heading", name="Ecomap")).to_be_visible()

    # When the worker adds three ties through the form
    for label, kind, quality in [
        ("Anna, sister", "family", "supportive"),
        ("Marco", "friend", "ambivalent"),
        ("Caritas", "service", "stressful"),
    ]:
        form = page.get_by_role("form", name="Add a tie")
        form.get_by_label("who").fill(label)
        form.get_by_label("kind").select_option(kind)
        form.get_by_label("quality").select_option(quality)
        form.get_by_role("button", name="Add the tie").click()
        expect(page.get_by_role("row", name=re.compile(re.escape(label)))).to_be_visible()

    # Then the drawing and the table both show three ties
    expect(page.get_by_role("img", name=re.compile("Ecomap with 3 ties"))).to_be_visible()
    expect(page.locator("svg.ecomap-svg .ecomap-tie")).to_have_count(3)
    expect(page.locator("svg.ecomap-svg line[stroke-dasharray]")).to_have_count(2)
    expect(page.get_by_role("button", name=re.compile("^Remove"))).to_have_count(3)
    assert Tie.objects.filter(person=person).count() == 3

    # When the worker drags a tie, its new place is saved
    tie = page.locator("svg.ecomap-svg .ecomap-tie").first
    tie.scroll_into_view_if_needed()
    box = tie.bounding_box()
    assert box is not None
    with page.expect_response(re.compile(r"/move/$")) as moved:
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + 40, box["y"] + 60, steps=5)
        page.mouse.up()
    assert moved.value.status == 200
    assert Tie.objects.filter(person=person, angle__isnull=False).count() == 1

    # When the worker records an LSNS-6 assessment
    page.goto(f"/cases/p/{person.public_id}/assessments/")
    form = page.get_by_role("form", name="Record an LSNS-6 assessment")
    for n in range(6):
        # Bootstrap Italia draws the radio button on its label: a person clicks the label.
        group = form.get_by_role("group").nth(n)
        group.get_by_text("two", exact=True).click()
        expect(group.get_by_label("two", exact=True)).to_be_checked()
    expect(form.get_by_role("group", name=LSNS6_FIRST)).to_be_visible()
    form.get_by_role("button", name="Record the assessment").click()

    # Then the table lists it and Chart.js draws the trend
    expect(page.get_by_role("cell", name="12", exact=True)).to_be_visible()
    chart = page.locator('canvas[data-assessment-chart="lsns6"]')
    expect(chart).to_have_attribute("data-drawn", "true")
    assert page.evaluate(
        "Boolean(window.Chart.getChart(document.querySelector("
        "'canvas[data-assessment-chart=\"lsns6\"]')))"
    )
    assert Assessment.objects.get(person=person).total == 12
    assert page.console_errors == []
