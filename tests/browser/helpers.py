"""What the browser tests share: a browser in English that reports CSP violations,
verified addresses, logging in as a person does."""

from __future__ import annotations

import re
from typing import Any

from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

PASSWORD = "a-long-test-password-1"  # noqa: S105 - the password make_user gives (conftest.py)
BUTTON = re.compile("^(sign in|log in|accedi)", re.I)


def log_in(page: Page, email: str, secret: str | None = None, totp_code: Any = None) -> None:
    """E-mail and password, then the authenticator's code for roles that need one."""
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("^e-?mail", re.I)).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name=BUTTON).click()
    if secret is not None:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
        page.get_by_label(re.compile("^(code|codice)", re.I)).fill(totp_code(secret))
        page.get_by_role("button", name=BUTTON).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/"))


CSP_WATCH = (
    "document.addEventListener('securitypolicyviolation', (e) => console.error("
    "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
)


def watch_csp(page: Page) -> None:
    """Report every CSP violation of the page's context as a console error (the page
    fixture collects those in ``page.console_errors``)."""
    page.context.add_init_script(CSP_WATCH)


def in_english(page: Page, live_server: Any) -> None:
    """The person chose English with the language switch (a cookie)."""
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def open_browser(chromium: Any, live_server: Any, **options: Any) -> Page:
    """A new browser (its own cookies) in English, whose console errors (a CSP violation
    is one) are collected in ``page.console_errors``."""
    context = chromium.new_context(base_url=live_server.url, locale="en-US", **options)
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors  # type: ignore[attr-defined]
    return page


def verified(user: Any) -> Any:
    """``user`` with a verified primary e-mail address."""
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
