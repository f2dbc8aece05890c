"""A generative pact from draft to end in a real Chromium, under the real CSP: a social
worker drafts it in the editor during the meeting, proposes it, records the person's
signature and signs; partner staff log in and sign for their organisation; the worker
starts the pact, records the hours the person gives back on its ledger, records the
final review with an outcome for each goal (the pact is completed) and downloads the
pact as a PDF.

The helpers (logging in with the authenticator code, filling the editor's, the ledger's
and the review's forms) are meant to be reused by the tests of the other pact pages.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from playwright.sync_api import Page, expect

from legami.roles import Role
from pacts.models import LedgerTransaction, Pact, PactStatus, SignatoryKind
from tests.beneficiaries.factories import assign
from tests.browser.helpers import in_english, log_in, watch_csp
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# --- Reusable helpers ------------------------------------------------------------------------


def mfa_user(make_user: Any, enable_totp: Any, email: str, **kwargs: Any) -> tuple[Any, str]:
    """A user with a verified address and an authenticator app; returns it and the secret."""
    user = make_user(email, **kwargs)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user, enable_totp(user)


def listed(page: Page, section: str, text: str) -> Any:
    """The item of the editor's ``section`` (a region by its heading) showing ``text``."""
    return page.get_by_role("region", name=section).get_by_role("listitem").filter(has_text=text)


def add_goal(page: Page, description: str, indicator: str, target_date: dt.date) -> None:
    form = page.get_by_role("form", name="Add a goal")
    form.get_by_label(re.compile("^Goal")).fill(description)
    form.get_by_label(re.compile("^Indicator")).fill(indicator)
    form.get_by_label(re.compile("^Target date")).fill(target_date.isoformat())
    form.get_by_role("button", name="Add the goal").click()
    expect(listed(page, "Goals", description)).to_be_visible()


def add_commitment(
    page: Page,
    *,
    direction: str,
    kind: str,
    description: str,
    quantity: str,
    unit: str,
    period: str,
    organisation: str = "",
    owner: str = "",
) -> None:
    """Fill the commitment form by its labels; ``direction``, ``kind``, ``unit``,
    ``period`` and ``organisation`` are the options' visible text."""
    form = page.get_by_role("form", name="Add a commitment")
    form.get_by_label(re.compile("^Direction")).select_option(label=direction)
    form.get_by_label(re.compile("^Kind")).select_option(label=kind)
    form.get_by_label(re.compile("^Description")).fill(description)
    form.get_by_label(re.compile("^Quantity")).fill(quantity)
    form.get_by_label(re.compile("^Unit")).select_option(label=unit)
    form.get_by_label(re.compile("^Period")).select_option(label=period)
    if organisation:
        form.get_by_label("Organisation", exact=True).select_option(label=organisation)
    if owner:
        form.get_by_label("Owner", exact=True).fill(owner)
    form.get_by_role("button", name="Add the commitment").click()
    expect(listed(page, "Commitments", description)).to_be_visible()


def add_partner_signatory(page: Page, organisation: str) -> None:
    form = page.get_by_role("form", name="Add a signatory")
    form.get_by_label(re.compile("^Who signs")).select_option(label="partner organisation")
    form.get_by_label("Organisation", exact=True).select_option(label=organisation)
    form.get_by_role("button", name="Add the signatory").click()
    expect(listed(page, "Signatories", organisation)).to_be_visible()


def tick(within: Any, label: str) -> None:
    """Tick a radio button or checkbox by its label as a person does, clicking the label:
    Bootstrap Italia draws the control on the label, over the (hidden) input."""
    within.get_by_text(label, exact=True).check()
    expect(within.get_by_label(label, exact=True)).to_be_checked()


def record_hours(
    page: Page,
    *,
    hours: str,
    direction: str,
    organisation: str,
    commitment: str = "",
    description: str = "",
) -> None:
    """Fill the ledger's "Record hours" form by its labels (the date is today's);
    ``organisation`` and ``commitment`` are the options' visible text."""
    form = page.get_by_role("region", name="Record hours")
    form.get_by_label(re.compile("^Hours")).fill(hours)
    tick(form.get_by_role("group", name="The hours were"), direction)
    form.get_by_label(re.compile("^Organisation")).select_option(label=organisation)
    if commitment:
        form.get_by_label(re.compile("^Commitment")).select_option(label=commitment)
    if description:
        form.get_by_label(re.compile("^Description")).fill(description)
    form.get_by_role("button", name="Record the hours").click()
    expect(
        page.get_by_role("status").filter(has_text="The hours have been recorded")
    ).to_be_visible()


def review_goal(page: Page, goal: str, outcome: str, note: str = "") -> None:
    """Choose a goal's outcome (``outcome`` is the radio's visible text) on the review form."""
    tick(page.get_by_role("group", name=goal), outcome)
    if note:
        page.get_by_label(f"Note on the goal “{goal}”").fill(note)


def press(page: Page, button: str | re.Pattern[str], *, done: str | re.Pattern[str]) -> None:
    """Press a button of the pact page and wait for the message that says it was done."""
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status").filter(has_text=done).first).to_be_visible()


# --- The story ------------------------------------------------------------------------------


@pytest.fixture
def people(make_user, enable_totp):
    """A social worker following a person's case, and partner staff of a cooperative."""
    worker, worker_secret = mfa_user(
        make_user, enable_totp, "operatrice@example.org", role=Role.OPERATOR, language="en"
    )
    case = assign(worker)
    cooperative = OrganisationFactory(name="Cooperativa Il Ponte")
    partner, partner_secret = mfa_user(make_user, enable_totp, "ponte@example.org", language="en")
    MembershipFactory(user=partner, organisation=cooperative, role=Role.PARTNER_STAFF)
    return {
        "worker": (worker, worker_secret),
        "partner": (partner, partner_secret),
        "case": case,
        "cooperative": cooperative,
    }


def test_a_pact_is_drafted_signed_started_reviewed_and_printed(
    page, chromium, live_server, people, totp_code
):
    worker, worker_secret = people["worker"]
    partner, partner_secret = people["partner"]
    case, cooperative = people["case"], people["cooperative"]
    watch_csp(page)
    in_english(page, live_server)
    log_in(page, worker.email, worker_secret, totp_code)

    # Given the worker drafts a pact for the case
    page.goto(f"/pacts/new/{case.pk}/")
    page.get_by_label(re.compile("^Title")).fill("Ripartire dal quartiere")
    page.get_by_label(re.compile("^Context")).fill("Vive solo dopo la vedovanza.")
    page.get_by_label(re.compile("^Strengths")).fill("Ex falegname, ama insegnare.")
    page.get_by_role("button", name="Draft the pact").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit the pact")

    # When, in the editor, they add two goals, support, a restitution and the partner
    target = timezone.localdate() + dt.timedelta(days=120)
    add_goal(page, "Partecipa al laboratorio di quartiere", "Due incontri al mese", target)
    add_goal(page, "Ritrova un amico con cui uscire", "Un'uscita a settimana", target)
    expect(page.get_by_role("region", name="Goals").get_by_role("listitem")).to_have_count(2)
    add_commitment(
        page,
        direction="given back by the person",
        kind="volunteering hours",
        description="Laboratorio di falegnameria per ragazzi",
        quantity="3",
        unit="hours",
        period="per month",
        organisation=cooperative.name,
    )
    add_commitment(
        page,
        direction="support to the person",
        kind="mentoring",
        description="Tutoraggio settimanale",
        quantity="2",
        unit="hours",
        period="per week",
        organisation=cooperative.name,
    )
    add_partner_signatory(page, cooperative.name)

    # And proposes it, records the person's signature and signs as case worker
    page.get_by_role("link", name="Done: back to the pact").click()
    press(page, "Propose the pact for signature", done="The pact has been proposed")
    press(page, re.compile("^Record the signature of"), done="has been recorded")
    press(page, "Sign as case worker", done="has been recorded")
    pact = Pact.objects.get(case=case)
    assert pact.status == PactStatus.PROPOSED

    # When the partner staff log in and sign for their organisation
    partner_context = chromium.new_context(base_url=live_server.url, locale="en-US")
    partner_page = partner_context.new_page()
    partner_errors: list[str] = []
    partner_page.on(
        "console", lambda m: partner_errors.append(m.text) if m.type == "error" else None
    )
    partner_page.on("pageerror", lambda exc: partner_errors.append(str(exc)))
    watch_csp(partner_page)
    in_english(partner_page, live_server)
    log_in(partner_page, partner.email, partner_secret, totp_code)
    partner_page.goto("/pacts/")
    partner_page.get_by_role("link", name="Ripartire dal quartiere").click()
    expect(partner_page.get_by_text("Vive solo dopo la vedovanza.")).to_have_count(0)
    expect(partner_page.get_by_text("Partecipa al laboratorio di quartiere")).to_have_count(0)
    press(partner_page, f"Sign for {cooperative.name}", done="has been recorded")
    partner_context.close()
    assert partner_errors == []
    pact.refresh_from_db()
    assert pact.status == PactStatus.SIGNED
    assert pact.signatories.get(kind=SignatoryKind.ORGANISATION).signed_by == partner

    # Then the worker starts the pact
    page.reload()
    press(page, "Start the pact", done="The pact has started")
    expect(page.get_by_text("active", exact=True).first).to_be_visible()
    pact.refresh_from_db()
    assert pact.status == PactStatus.ACTIVE

    # When the worker records 3 hours the person gave back to the cooperative
    page.get_by_role("link", name="Hours (ledger)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hours of the pact")
    record_hours(
        page,
        hours="3",
        direction="given back by the person",
        organisation=cooperative.name,
        commitment="Laboratorio di falegnameria per ragazzi (given back by the person)",
        description="Primo laboratorio con i ragazzi",
    )
    # Then the balance shows them, and the ledger holds one balanced double entry
    balance = page.get_by_role("region", name="Balance")
    expect(balance).to_contain_text(re.compile(r"Hours given back by the person\s*3(\.00)?\b"))
    expect(balance).to_contain_text(re.compile(r"Hours received by the person\s*0(\.00)?\b"))
    expect(
        page.get_by_role("region", name="Recorded hours")
        .get_by_role("row")
        .filter(has_text="Primo laboratorio con i ragazzi")
    ).to_contain_text(cooperative.name)
    txn = LedgerTransaction.objects.get(pact=pact)
    assert txn.hours == Decimal("3")
    assert txn.giver.person_id == pact.person_id
    assert txn.receiver.organisation == cooperative
    assert txn.entries.count() == 2
    assert sum(e.amount for e in txn.entries.all()) == 0

    # When the worker records the final review with an outcome for each goal
    page.get_by_role("link", name="The pact", exact=True).click()
    page.get_by_role("link", name="Record a review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of the pact")
    review_goal(page, "Partecipa al laboratorio di quartiere", "achieved")
    review_goal(page, "Ritrova un amico con cui uscire", "partly achieved", note="Quasi")
    page.get_by_label(re.compile("^Notes")).fill("Il laboratorio continua da solo.")
    tick(page, "Final review: the pact is completed")
    page.get_by_role("button", name="Record the review").click()

    # Then the pact is completed and its page shows the outcomes
    expect(page.get_by_role("status").filter(has_text="the pact is completed")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ripartire dal quartiere")
    expect(page.get_by_text("completed", exact=True).first).to_be_visible()
    expect(page.get_by_role("link", name="Record a review")).to_have_count(0)
    goals = page.get_by_role("region", name="Goals")
    expect(
        goals.get_by_role("listitem").filter(has_text="Partecipa al laboratorio")
    ).to_contain_text("Latest outcome: achieved")
    expect(goals.get_by_role("listitem").filter(has_text="Ritrova un amico")).to_contain_text(
        "Latest outcome: partly achieved"
    )
    outcomes = page.get_by_role("region", name="Outcomes")
    expect(outcomes).to_contain_text(re.compile(r"Goals achieved\s*50% \(1/2, 1 partly\)"))
    expect(outcomes).to_contain_text(re.compile(r"Hours given back\s*3(\.00)?\b"))
    pact.refresh_from_db()
    assert pact.status == PactStatus.COMPLETED
    review = pact.reviews.get()
    assert review.final
    assert sorted(o.outcome for o in review.outcomes.all()) == ["achieved", "partly"]

    # And the pact's PDF downloads
    with page.expect_download() as download_info:
        page.get_by_role("link", name="The pact (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"legami-patto-{pact.public_id}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    # No console errors along the way: a CSP violation would be one
    assert page.console_errors == []


def test_the_pact_pages_fit_a_phone(chromium, live_server, people):
    """At phone width the list, the pact page and the editor do not scroll sideways."""
    from django.test import Client

    from tests.pacts.factories import draft_pact

    worker, _secret = people["worker"]
    pact = draft_pact(worker, case=people["case"], partner=people["cooperative"])
    client = Client()
    client.force_login(worker)
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            },
            {"name": "django_language", "value": "en", "url": live_server.url},
        ]
    )
    phone = context.new_page()
    for url in ("/pacts/", f"/pacts/{pact.public_id}/", f"/pacts/{pact.public_id}/edit/"):
        phone.goto(url)
        expect(phone.get_by_role("heading", level=1)).to_be_visible()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{url} is {width}px wide: it scrolls sideways on a phone"
    context.close()
