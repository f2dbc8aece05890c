"""Signing up for a community-lab meeting in a real Chromium, under the real CSP: a guest
finds a full meeting in the list, signs up with name, address and the privacy notice,
confirms from the link in the mail, lands on the waiting list; the person holding the
only seat logs in (a second browser) and cancels from their registrations; the guest is
promoted, gets the mail that says so, and their page shows the seat confirmed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from labs.models import LabStatus, Registration, RegistrationStatus
from labs.services import registration_create
from tests.browser.helpers import PASSWORD, in_english, watch_csp
from tests.fixtures import eager_tasks  # noqa: F401  (the fixture, used by name)
from tests.labs.factories import LabFactory, MeetingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def link_in_mail(to: str, kind: str) -> str:
    """The path of the ``kind`` link (confirm, cancel) in the last mail to ``to``."""
    body = [m for m in mail.outbox if to in m.to][-1].body
    url = re.search(rf"https?://\S+/labs/registrations/\S+/{kind}/", body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_guest_on_the_waiting_list_is_promoted_when_the_seat_holder_cancels(
    page,
    chromium,
    live_server,
    make_user,
    eager_tasks,  # noqa: F811  (the mails go at once, in the live server's thread)
):
    # Given a meeting with one seat, held by a person with an account.
    lab = LabFactory(status=LabStatus.ACTIVE, title="Laboratorio del Cambonino")
    starts_at = timezone.now() + dt.timedelta(days=5)
    meeting = MeetingFactory(
        lab=lab,
        title="Piazza bene comune",
        capacity=1,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        accessibility="Ingresso senza gradini",
    )
    holder = make_user("seat.holder@example.org", first_name="Marta", language="en")
    EmailAddress.objects.create(user=holder, email=holder.email, verified=True, primary=True)
    registration_create(meeting=meeting, user=holder)
    watch_csp(page)
    in_english(page, live_server)

    # When a guest finds the meeting in the list: it is full.
    page.goto("/labs/")
    expect(page.get_by_role("heading", name="Community labs", level=1)).to_be_visible()
    item = page.get_by_role("listitem").filter(has_text="Piazza bene comune")
    expect(item.get_by_text("full — waiting list")).to_be_visible()
    item.get_by_role("link", name="Piazza bene comune").click()
    expect(page.get_by_role("heading", name="Piazza bene comune", level=1)).to_be_visible()
    expect(page.get_by_text("Ingresso senza gradini")).to_be_visible()

    # …and signs up as a guest, agreeing to the privacy notice.
    form = page.get_by_role("form", name="Sign up")
    form.get_by_label("Your name").fill("Giulia Bianchi")
    form.get_by_label("Your e-mail address").fill("giulia@example.org")
    # Bootstrap Italia draws the box on the label: a person clicks the label.
    form.get_by_text(re.compile("^I have read the privacy notice")).click()
    expect(form.get_by_label(re.compile("^I have read the privacy notice"))).to_be_checked()
    form.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status").filter(has_text="we have sent a link")).to_be_visible()
    guest = Registration.objects.get(meeting=meeting, email="giulia@example.org")
    assert guest.status == RegistrationStatus.UNCONFIRMED

    # Then the link in the mail confirms them onto the waiting list.
    page.goto(link_in_mail("giulia@example.org", "confirm"))
    page.get_by_role("button", name="Confirm my sign-up").click()
    expect(page.get_by_text("you are on the waiting list")).to_be_visible()
    guest.refresh_from_db()
    assert guest.status == RegistrationStatus.WAITING

    # When the seat holder logs in in another browser and cancels from their page.
    other = chromium.new_context(base_url=live_server.url, locale="en-US")
    holder_page = other.new_page()
    in_english(holder_page, live_server)
    holder_page.goto("/accounts/login/")
    holder_page.get_by_label(re.compile("^e-?mail", re.I)).fill(holder.email)
    holder_page.get_by_label("Password").fill(PASSWORD)
    holder_page.get_by_role("button", name=re.compile("^(sign in|log in)", re.I)).click()
    expect(holder_page).not_to_have_url(re.compile(r"/accounts/login/"))
    holder_page.goto("/labs/mine/")
    seat = holder_page.get_by_role("listitem").filter(has_text="Piazza bene comune")
    expect(seat.get_by_text("confirmed")).to_be_visible()
    seat.get_by_role("button", name=re.compile("^Cancel my registration")).click()
    expect(holder_page.get_by_text("Your registration is cancelled.")).to_be_visible()
    other.close()

    # Then the guest has the seat, the mail that says so, and their page shows it.
    guest.refresh_from_db()
    assert guest.status == RegistrationStatus.CONFIRMED
    promoted = [m for m in mail.outbox if m.to == ["giulia@example.org"]][-1]
    assert "A seat has freed up for you" in promoted.subject
    page.reload()
    expect(page.get_by_text("Your seat is confirmed")).to_be_visible()
    assert page.console_errors == []


def test_the_meetings_are_filtered_in_place_and_fit_a_phone(chromium, live_server):
    """At phone width the list does not scroll sideways; choosing a lab and showing the
    meetings updates the results (htmx) and the address, with no CSP violation."""
    one = LabFactory(status=LabStatus.ACTIVE, title="Laboratorio di Crema")
    other = LabFactory(status=LabStatus.ACTIVE, title="Laboratorio di Casalmaggiore")
    MeetingFactory(lab=one, title="Incontro a Crema", online_url="https://meet.example.org/a")
    MeetingFactory(lab=other, title="Incontro a Casalmaggiore")
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    watch_csp(page)
    in_english(page, live_server)

    page.goto("/labs/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide: it scrolls sideways on a phone"
    expect(page.get_by_role("status").filter(has_text="2 upcoming meetings")).to_be_visible()
    page.evaluate("window.legamiSamePage = true")  # gone if the whole page reloads
    page.get_by_label("Lab", exact=True).select_option(label="Laboratorio di Crema")
    page.get_by_role("button", name="Show the meetings").click()

    expect(page.get_by_role("status").filter(has_text="1 upcoming meeting")).to_be_visible()
    expect(page.get_by_role("link", name="Incontro a Crema")).to_be_visible()
    expect(page.get_by_role("link", name="Incontro a Casalmaggiore")).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"lab={one.slug}"))
    assert page.evaluate("window.legamiSamePage === true"), "the results were not swapped in place"
    assert errors == []
    context.close()
