"""What the browser tests share: logging in as a person does."""

from __future__ import annotations

import re
from typing import Any

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
