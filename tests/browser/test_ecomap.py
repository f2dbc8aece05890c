"""A social worker draws a person's ecomap and records an isolation assessment in a
real Chromium, under the real CSP: no console errors."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from beneficiaries.models import Assessment, Person, Tie
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
    expect(page.get_by_role("group", name=re.compile("Ecomap with 3 ties"))).to_be_visible()
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


def test_a_worker_places_a_tie_with_the_keyboard(worker_page):
    """A tie of the drawing is reached with Tab and moved with the arrow keys (Shift for
    a bigger step): its place is saved as a drag saves it, and the page says so."""
    page, person = worker_page
    # Given a tie right of the centre, at (120, 0) on the drawing
    tie = Tie.objects.create(
        person=person, label="Anna, sister", kind="family", angle=0, distance=0.5
    )
    page.goto(f"/cases/p/{person.public_id}/ecomap/")
    node = page.get_by_role("button", name="Anna, sister, family: the arrow keys move it")
    expect(node).to_be_visible()

    # When the worker reaches it with Tab from the element before it
    node.focus()
    page.keyboard.press("Shift+Tab")
    expect(node).not_to_be_focused()
    page.keyboard.press("Tab")
    expect(node).to_be_focused()

    # When the worker presses Shift+Up twice and Right once: 80 up and 10 right
    def final_place(response):
        return "/move/" in response.url and "angle=31.61" in (response.request.post_data or "")

    with page.expect_response(final_place) as moved:
        page.keyboard.press("Shift+ArrowUp")
        page.keyboard.press("Shift+ArrowUp")
        page.keyboard.press("ArrowRight")
    assert moved.value.status == 200

    # Then the new place is announced and kept on the server
    expect(page.locator("[data-ecomap-status]")).to_have_text(
        "The new place of Anna, sister has been saved."
    )
    tie.refresh_from_db()
    assert tie.angle == pytest.approx(31.61, abs=0.01)
    assert tie.distance == pytest.approx(0.636, abs=0.001)  # √(130² + 80²) / 240

    # And the drawing puts it there again once the page is loaded anew
    page.reload()
    node = page.get_by_role("button", name="Anna, sister, family: the arrow keys move it")
    transform = node.get_attribute("transform") or ""
    x, y = (float(n) for n in re.findall(r"-?[\d.]+", transform))
    assert (round(x), round(y)) == (130, -80)
    assert page.console_errors == []


def test_a_worker_opens_a_new_file_then_draws_ties_and_assesses(
    page, live_server, make_user, enable_totp
):
    """From the new-file form to the chart: the social worker creates the person (with a
    real codice fiscale, whose birth date and sex Legami derives), adds three ties on the
    ecomap and an LSNS-6 assessment, and sees the trend chart."""
    from legami.models import Ambito, Comune

    ambito = Ambito.objects.create(code="cremona", name="Ambito di Cremona", managing_body="ASC")
    Comune.objects.create(belfiore_code="D150", name="Cremona", province="CR", ambito=ambito)
    worker = make_user("operatrice@example.org", role=Role.OPERATOR)
    worker.memberships.get().organisation.ambiti.add(ambito)
    enable_totp(worker)
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

    # Given the new-file form
    page.goto("/cases/new/")
    page.get_by_label("first name").fill("Mario")
    page.get_by_label("last name").fill("Rossi")
    page.get_by_role("textbox", name="Codice fiscale").fill("RSSMRA80A01D150J")
    page.get_by_label("Service taking charge").select_option(index=1)
    page.get_by_label("Ambito").select_option(label="Ambito di Cremona")
    page.get_by_role("button", name="Open the file").click()

    # Then the person's page opens, with the data derived from the codice fiscale
    expect(page).to_have_url(re.compile(r"/cases/p/[0-9a-f-]{36}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rossi")
    public_id = page.url.split("/cases/p/")[1].split("/")[0]
    person = Person.objects.get(public_id=public_id)
    assert str(person.birth_date) == "1980-01-01" and person.sex == "M"

    # When the worker adds three ties on the ecomap
    page.goto(f"/cases/p/{public_id}/ecomap/")
    for label, kind in [("Anna, sister", "family"), ("Marco", "friend"), ("Caritas", "service")]:
        form = page.get_by_role("form", name="Add a tie")
        form.get_by_label("who").fill(label)
        form.get_by_label("kind").select_option(kind)
        form.get_by_role("button", name="Add the tie").click()
        expect(page.get_by_role("row", name=re.compile(re.escape(label)))).to_be_visible()
    expect(page.locator("svg.ecomap-svg .ecomap-tie")).to_have_count(3)

    # And records an LSNS-6 assessment
    page.goto(f"/cases/p/{public_id}/assessments/")
    form = page.get_by_role("form", name="Record an LSNS-6 assessment")
    for n in range(6):
        group = form.get_by_role("group").nth(n)
        group.get_by_text("two", exact=True).click()
    form.get_by_role("button", name="Record the assessment").click()

    # Then the chart is drawn by Chart.js and the assessment is stored with its score
    chart = page.locator('canvas[data-assessment-chart="lsns6"]')
    expect(chart).to_have_attribute("data-drawn", "true")
    assert Assessment.objects.get(person=person).total == 12
    assert page.console_errors == []
