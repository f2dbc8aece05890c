"""A visitor meets Legami in Italian, can switch to English, and a demo user logs in."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_in_italian_then_english(page):
    """The home page speaks Italian to an English browser; the switch turns it English."""
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile("Vai al contenuto principale", re.I))
    ).to_be_attached()

    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name=re.compile("Skip to main content", re.I))).to_be_attached()
    assert page.console_errors == []


def test_a_demo_user_logs_in_and_reaches_the_dashboard(page):
    """The demo lab facilitator (a role that needs no second factor) logs in with e-mail
    and password and sees the dashboard. Logins with the second factor are in
    test_login_mfa.py."""
    call_command("seed_demo", force=True, verbosity=0)
    page.goto("/")
    page.get_by_role("link", name=re.compile("^Accedi", re.I)).first.click()

    page.get_by_label(re.compile("^e-?mail", re.I)).fill("facilitatore@demo.legami.it")
    page.get_by_label("Password").fill("legami-demo-2026")
    page.get_by_role("button", name=re.compile("^Accedi", re.I)).click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("Cisvol Cremona").first).to_be_visible()
    assert page.console_errors == []


def test_the_home_page_works_on_a_phone(chromium, live_server):
    """At phone width the navigation collapses behind a menu button that opens it."""
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.goto("/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide: it scrolls sideways on a phone"
    context.close()
