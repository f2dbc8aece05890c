"""Buying a care service together in a real Chromium, under the real CSP: two families
ask for the same service in the same comune on weekday afternoons (sharing accepted, at
most 12 € an hour) with the demand form; partner staff of a cooperative serving the
ambito create a tiered offer (alone 15 €, from 2 families 11 €, groups of at least 2)
and publish it; the ambito's coordinator starts a matching run and follows its progress
until it is done; each family sees the proposed group at 11.00 € and accepts it; the
provider confirms the group, and only then reads the families' names; a family's page
shows the group confirmed at the group price. A second check: the demand form does not
scroll sideways on a 375 px phone."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from civic_center.models import Agreement, AgreementStatus, Demand, DemandStatus, Offer
from legami.roles import Role
from tests.browser.helpers import log_in, open_browser, verified
from tests.civic_center.factories import ServiceCategoryFactory
from tests.fixtures import eager_tasks  # noqa: F401  (the fixture, used by name)
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERVICE = "Home help for the elderly"
COMUNE = "Pieve San Giacomo"
OFFER_TITLE = "Assistenza pomeridiana condivisa"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
GROUP_PRICE = re.compile(r"11[.,]00 € / hour")


# --- Helpers -------------------------------------------------------------------------------


def tick(within: Any, label: str) -> None:
    """Tick a Bootstrap Italia checkbox the way a person does: on its (drawn) label."""
    within.get_by_text(label, exact=True).click()
    expect(within.get_by_label(label, exact=True)).to_be_checked()


def ask_for_the_service(page: Page, *, start: dt.date, end: dt.date, hours: str) -> None:
    """Fill and send the demand form: the service, the comune, the five weekday
    afternoons, the period, the hours a week and a ceiling of 12 €, sharing accepted."""
    page.goto("/civic-center/domande/nuova/")
    expect(page.get_by_role("heading", name="Ask for a service", level=1)).to_be_visible()
    page.get_by_label(re.compile("^Service")).select_option(label=f"{SERVICE} (hour)")
    expect(page.locator("#quantity-unit")).to_contain_text("hour")
    page.get_by_label(re.compile("^Municipality")).select_option(label=COMUNE)
    windows = page.get_by_role("group", name="When do you need it?")
    for day in WEEKDAYS:
        windows.get_by_label(f"{day}, afternoon", exact=True).check()
    page.get_by_label(re.compile("^From")).fill(start.isoformat())
    page.get_by_label(re.compile("^Until")).fill(end.isoformat())
    page.get_by_label(re.compile("^How much per week")).fill(hours)
    page.get_by_label(re.compile(r"^Highest price you can pay")).fill("12")
    expect(page.get_by_label("I accept to share the service with other families")).to_be_checked()
    page.get_by_role("button", name="Send the demand").click()
    expect(page.get_by_role("status").filter(has_text="The demand is saved")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{SERVICE} · {COMUNE}")


# --- The story -------------------------------------------------------------------------------


@pytest.fixture
def network(make_user, enable_totp):
    """An ambito with a comune, a service, a cooperative serving the ambito with one of
    its staff, a coordinator of the ambito (both with an authenticator app) and two
    families (citizens with an account)."""
    ambito = AmbitoFactory(name="Ambito di Casalmaggiore")
    ComuneFactory(name=COMUNE, ambito=ambito)
    ServiceCategoryFactory(code="assistenza-anziani", name="Assistenza anziani", name_en=SERVICE)
    cooperative = OrganisationFactory(name="Cooperativa Il Girasole", ambiti=[ambito])
    partner = verified(make_user("girasole@example.org", language="en"))
    MembershipFactory(user=partner, organisation=cooperative, role=Role.PARTNER_STAFF)
    office = OrganisationFactory(name="Ufficio di Piano Casalmaggiore", ambiti=[ambito])
    coordinator = verified(make_user("piano@example.org", language="en"))
    MembershipFactory(user=coordinator, organisation=office, role=Role.COORDINATOR)
    return {
        "partner": (partner, enable_totp(partner)),
        "coordinator": (coordinator, enable_totp(coordinator)),
        "anna": verified(
            make_user("anna@example.org", first_name="Anna", last_name="Ferrari", language="en")
        ),
        "bruno": verified(
            make_user("bruno@example.org", first_name="Bruno", last_name="Galli", language="en")
        ),
    }


def test_two_families_are_matched_into_a_tiered_group_and_the_provider_confirms_it(
    chromium,
    live_server,
    network,
    totp_code,
    eager_tasks,  # noqa: F811  (the matching runs at once, in the live server's thread)
):
    today = timezone.localdate()
    pages: list[Page] = []

    # Given two families ask for the same service, in the same comune, on weekday
    # afternoons, for overlapping periods, sharing accepted, at most 12 € an hour.
    anna = open_browser(chromium, live_server)
    bruno = open_browser(chromium, live_server)
    pages += [anna, bruno]
    log_in(anna, "anna@example.org")
    ask_for_the_service(
        anna, start=today + dt.timedelta(days=7), end=today + dt.timedelta(days=97), hours="2"
    )
    anna_url = anna.url
    log_in(bruno, "bruno@example.org")
    ask_for_the_service(
        bruno, start=today + dt.timedelta(days=14), end=today + dt.timedelta(days=120), hours="2"
    )
    bruno_url = bruno.url
    assert Demand.objects.filter(status=DemandStatus.OPEN).count() == 2

    # When the cooperative's staff create a tiered offer for the comune and publish it.
    partner_user, partner_secret = network["partner"]
    partner = open_browser(chromium, live_server)
    pages.append(partner)
    log_in(partner, partner_user.email, partner_secret, totp_code)
    partner.goto("/civic-center/offerte/")
    partner.get_by_role("link", name="New offer").click()
    expect(partner.get_by_role("heading", name="New offer", level=1)).to_be_visible()
    partner.get_by_label(re.compile("^Title")).fill(OFFER_TITLE)
    partner.get_by_label(re.compile("^Description")).fill("Operatrici OSS a domicilio.")
    partner.get_by_label(re.compile("^Service")).select_option(label=SERVICE)
    partner.get_by_label(re.compile(r"^Smallest group")).fill("2")
    partner.get_by_label(re.compile("^Valid from")).fill(today.isoformat())
    partner.get_by_label(re.compile("^Valid until")).fill(
        (today + dt.timedelta(days=365)).isoformat()
    )
    expect(
        partner.get_by_role("group", name="How the price tiers apply").get_by_label(
            re.compile("^volume")
        )
    ).to_be_checked()
    tick(partner.get_by_role("group", name="Comuni served"), f"{COMUNE} (CR)")
    tiers = partner.get_by_role("region", name="Price tiers")
    expect(tiers.get_by_label(re.compile("^From families")).first).to_have_value("1")
    tiers.get_by_label(re.compile(r"^Unit price")).nth(0).fill("15")
    tiers.get_by_label(re.compile("^From families")).nth(1).fill("2")
    tiers.get_by_label(re.compile(r"^Unit price")).nth(1).fill("11")
    capacity = partner.get_by_role("region", name="Capacity")
    for day in WEEKDAYS:
        capacity.get_by_label(f"{day}, afternoon", exact=True).fill("6")
    partner.get_by_role("button", name="Save the offer").click()
    expect(partner.get_by_role("status").filter(has_text="The offer is saved")).to_be_visible()
    expect(partner.get_by_role("heading", name=OFFER_TITLE, level=1)).to_be_visible()
    expect(partner.get_by_text("With 2 families everyone pays € 11")).to_be_visible()
    partner.get_by_role("button", name="Publish").click()
    expect(partner.get_by_role("status").filter(has_text="The offer is published")).to_be_visible()
    offer = Offer.objects.get(title=OFFER_TITLE)
    assert offer.status == "published"
    assert [(t.min_families, str(t.unit_price)) for t in offer.tiers.order_by("min_families")] == [
        (1, "15.00"),
        (2, "11.00"),
    ]

    # When the ambito's coordinator starts a matching run and follows it to the end.
    coordinator_user, coordinator_secret = network["coordinator"]
    coordinator = open_browser(chromium, live_server)
    pages.append(coordinator)
    log_in(coordinator, coordinator_user.email, coordinator_secret, totp_code)
    coordinator.goto("/civic-center/abbinamenti/")
    expect(coordinator.get_by_role("heading", name="Matching", level=1)).to_be_visible()
    start = coordinator.get_by_role("form", name="Start a run")
    start.get_by_label(re.compile("^Ambito")).select_option(label="Ambito di Casalmaggiore")
    start.get_by_role("button", name="Start the matching").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(
        "Matching run: Ambito di Casalmaggiore"
    )
    progress = coordinator.get_by_role("progressbar")
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=20_000)
    expect(coordinator.get_by_role("heading", name="Results")).to_be_visible()
    group = coordinator.get_by_role("article").filter(has_text=OFFER_TITLE)
    expect(group).to_contain_text(re.compile(r"2 families at € 11[.,]00 each"))
    agreement = Agreement.objects.get()
    assert agreement.group_size == 2
    assert str(agreement.unit_price) == "11.00"

    # Then each family sees the group proposed at 11.00 € an hour, and accepts it.
    for family, url in ((anna, anna_url), (bruno, bruno_url)):
        family.goto(url)
        proposal = family.get_by_role("region", name="A group is proposed to you")
        expect(proposal).to_contain_text(OFFER_TITLE)
        expect(proposal).to_contain_text("Cooperativa Il Girasole")
        expect(proposal).to_contain_text(GROUP_PRICE)
        expect(proposal).to_contain_text(re.compile(r"alone: 15[.,]00 €"))
        proposal.get_by_role("button", name="Accept the group").click()
        expect(
            family.get_by_role("status").filter(has_text="You accepted the group")
        ).to_be_visible()
        expect(
            family.get_by_role("status").filter(has_text="waiting for the provider to confirm")
        ).to_be_visible()

    # The provider reads the group by references only until it is confirmed.
    partner.goto("/civic-center/accordi/")
    partner.get_by_role("link", name=OFFER_TITLE).click()
    expect(partner.get_by_role("heading", level=1)).to_have_text(f"Group agreement: {OFFER_TITLE}")
    members = partner.get_by_role("region", name="Families", exact=True)
    expect(members.get_by_role("row")).to_have_count(3)  # the header and two families
    expect(partner.get_by_role("region", name="Contacts of the families")).to_have_count(0)
    expect(partner.get_by_text("Anna Ferrari")).to_have_count(0)
    expect(partner.get_by_text("Bruno Galli")).to_have_count(0)

    # When the provider confirms the group, it reads the families' names.
    partner.get_by_role("button", name="Confirm the group").click()
    expect(partner.get_by_role("status").filter(has_text="The group is confirmed")).to_be_visible()
    contacts = partner.get_by_role("region", name="Contacts of the families")
    expect(contacts).to_contain_text("Anna Ferrari")
    expect(contacts).to_contain_text("Bruno Galli")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.CONFIRMED

    # Then a family's page shows the group confirmed at the group price.
    anna.reload()
    confirmed = anna.get_by_role("region", name="Your group agreement")
    expect(confirmed).to_contain_text(GROUP_PRICE)
    expect(confirmed.get_by_role("status")).to_contain_text("Confirmed")

    for page in pages:
        assert page.console_errors == [], page.console_errors  # type: ignore[attr-defined]
        page.context.close()


def test_the_demand_form_fits_a_phone(chromium, live_server, make_user):
    """At 375 px the demand form (with its weekly grid) does not scroll sideways."""
    ServiceCategoryFactory(code="assistenza-anziani", name="Assistenza anziani", name_en=SERVICE)
    client = Client()
    client.force_login(make_user("carla@example.org", language="en"))
    phone = open_browser(
        chromium, live_server, viewport={"width": 375, "height": 812}, is_mobile=True
    )
    phone.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    phone.goto("/civic-center/domande/nuova/")
    expect(phone.get_by_role("heading", name="Ask for a service", level=1)).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the demand form is {width}px wide: it scrolls sideways on a phone"
    assert phone.console_errors == []  # type: ignore[attr-defined]
    phone.context.close()
