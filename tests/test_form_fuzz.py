"""Hostile input on the forms people type into: property-based (hypothesis).

Every field of a form gets, or misses, a hostile value: any text (control characters and
NUL included), very long text, unicode, and strings that look like SQL, HTML, template
or spreadsheet formulas, numbers written as text, empty and blank values. The forms:

- the guest sign-up on a lab meeting's page (name, e-mail, privacy consent);
- the donation form of a published campaign;
- the report choice form (``GET /reports/?ambito=&period=&comune=``) of an ambito
  administrator;
- the new case file (a person and their case) of a coordinator, whose refusals come back
  as a 200 re-rendering the form (the view's choice).

For every request: never a server error (the test client raises it); a refusal is a 400
that re-renders the form with its errors, each error shown on the page, in the language
of the person (Italian by default, English when chosen), and nothing written (the rows of
the models the form feeds do not change); an acceptance is a redirect that writes only
what it should. No markup typed in comes back unescaped. Each example runs in a
transaction rolled back at its end, so examples do not see each other's rows; the world
is made once per test.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import models, transaction
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from beneficiaries.services.persons import PERSON_FIELDS
from fundraising.models import ConsentChange, Donation, Donor, Method, RecurringGift
from labs.models import LabStatus, Registration
from legami.models import AccessEvent
from tests.fundraising.factories import CampaignFactory
from tests.labs.factories import LabFactory, MeetingFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.permissions import client_for, make_role_user

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Markup that must never come back as typed: if it is in a page, it was not escaped.
MARKUP = (
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    '"><script>alert(2)</script>',
)
NASTY = (
    "",
    " ",
    " \t\r\n ",
    "\x00",
    "a\x00b",
    "\x1b[31m\x7f\u200b\ufeff",
    "=1+1",
    '=HYPERLINK("http://example.org")',
    "+SUM(A1:A9)",
    "-2+3",
    "@cmd",
    "'; DROP TABLE legami_user; --",
    '" OR 1=1 --',
    "1; SELECT pg_sleep(10)",
    "{{ 7*7 }}",
    "{% debug %}",
    "${7*7}",
    "%s%s%n",
    "../../etc/passwd",
    "0",
    "-1",
    "1e309",
    "NaN",
    "Infinity",
    "99999999999999999999999999999999",
    "0x1F",
    "25,50",
    "ℌ𝔢𝔩𝔩𝔬 ☃ 你好 مرحبا",
    "\u202eevil",
    "a@b",
    "@example.org",
    "x" * 10_000,
    *MARKUP,
)
LONG = st.builds(
    lambda piece, times: piece * times, st.text(min_size=1, max_size=4), st.integers(60, 1500)
)
WITH_MARKUP = st.builds(
    lambda before, markup, after: before + markup + after,
    st.text(max_size=10),
    st.sampled_from(MARKUP),
    st.text(max_size=10),
)
HOSTILE = st.one_of(st.sampled_from(NASTY), st.text(max_size=60), LONG, WITH_MARKUP)
# A field's value: hostile, or the field left out of the request.
MAYBE = st.one_of(st.none(), HOSTILE)
LANGUAGE = st.sampled_from(["it", "en"])

# The English of Django's and Legami's error messages: none is on an Italian page.
ENGLISH = (
    "This field is required",
    "Enter a valid",
    "Ensure this value",
    "Select a valid choice",
    "Null characters are not allowed",
    "Please agree to the privacy notice",
    "Too many sign-ups",
    "Nothing was saved",
    "Write the period",
    "is not a period",
)


def drop_missing(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


def counts(model_list: Iterable[type[models.Model]]) -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in model_list}


@contextmanager
def rolled_back() -> Iterator[None]:
    """One example: whatever it writes is gone at its end."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def speaking(client: Client, language: str) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def assert_safe(response: Any) -> None:
    """Never a server error, and no markup typed in comes back as it was typed."""
    assert response.status_code < 500
    body = response.content.decode()
    for markup in MARKUP:
        assert markup not in body


def assert_refused(response: Any, form_name: str, language: str, status: int = 400) -> None:
    """A ``status`` (400 unless the view says otherwise) re-rendering the form with its
    errors, every one on the page, in the person's language."""
    assert response.status_code == status, response.status_code
    assert response["Content-Language"] == language
    form = response.context[form_name]
    assert form.errors, "refused without saying why"
    body = response.content.decode()
    with translation.override(language):
        messages = [str(message) for errors in form.errors.values() for message in errors]
    for message in messages:
        assert escape(message) in body, message
    if language == "it":
        assert not [phrase for phrase in ENGLISH if phrase in body]


# --- The guest sign-up on a meeting's page ------------------------------------------------


@pytest.fixture
def meeting_url() -> str:
    meeting = MeetingFactory(lab=LabFactory(status=LabStatus.ACTIVE), capacity=100)
    return str(meeting.get_absolute_url())


@FUZZ
@given(
    name=st.one_of(MAYBE, st.just("Giulia Bianchi")),
    email=st.one_of(MAYBE, st.emails()),
    consent=st.one_of(MAYBE, st.just("on")),
    language=LANGUAGE,
)
def test_the_guest_sign_up_refuses_hostile_input_clearly_and_writes_nothing(
    meeting_url, name, email, consent, language
):
    data = drop_missing({"name": name, "email": email, "consent": consent})
    client = speaking(Client(), language)
    with rolled_back():
        before = counts([Registration])

        response = client.post(meeting_url, data)

        assert_safe(response)
        event(f"status {response.status_code}")
        if response.status_code == 302:  # a valid guest: one registration, to confirm
            assert response["Location"] == meeting_url
            assert counts([Registration]) == {"Registration": before["Registration"] + 1}
        else:
            assert_refused(response, "guest_form", language)
            assert counts([Registration]) == before


# --- The donation form of a campaign --------------------------------------------------------

GIFT_MODELS = (Donor, Donation, ConsentChange, RecurringGift, AccessEvent)
GIFT = {
    "amount": "25",
    "other_amount": "",
    "method": Method.BANK_TRANSFER,
    "frequency": "once",
    "kind": "person",
    "first_name": "Anna",
    "last_name": "Bianchi",
    "company_name": "",
    "email": "anna.bianchi@example.org",
    "tax_code": "",
    "address": "",
    "postcode": "",
    "city": "",
    "on_wall": "",
    "anonymous": "",
    "consent": "",
}


@pytest.fixture
def give_url() -> str:
    return f"/fundraising/campagne/{CampaignFactory().slug}/dona/"


@FUZZ
@given(
    hostile=st.dictionaries(st.sampled_from(sorted(GIFT)), MAYBE, min_size=1, max_size=6),
    language=LANGUAGE,
)
def test_the_donation_form_refuses_hostile_input_clearly_and_writes_nothing(
    give_url, hostile, language
):
    """A valid gift with some of its fields made hostile or left out."""
    data = drop_missing({**GIFT, **hostile})
    client = speaking(Client(), language)
    with rolled_back():
        before = counts(GIFT_MODELS)

        response = client.post(give_url, data)

        assert_safe(response)
        event(f"status {response.status_code}")
        after = counts(GIFT_MODELS)
        if response.status_code == 302:  # still a valid gift: one pledge, to its thanks
            assert response["Location"].startswith("/fundraising/dono/")
            assert after["Donation"] == before["Donation"] + 1
        else:
            assert_refused(response, "form", language)
            assert after == before


# --- The report choice form -------------------------------------------------------------------


@pytest.fixture
def ambito_admin_client(make_user, enable_totp) -> Client:
    user = make_role_user(make_user, enable_totp, "ambito_admin")
    ambito = AmbitoFactory(code="ambito-a", name="Ambito Alfa")
    user.memberships.get().organisation.ambiti.add(ambito)
    ComuneFactory(ambito=ambito, name="Comune Uno")
    ComuneFactory(ambito=AmbitoFactory(code="ambito-b"), name="Comune Tre")
    return client_for(user)


@FUZZ
@given(
    ambito=st.one_of(MAYBE, st.sampled_from(["ambito-a", "ambito-b"])),
    period=st.one_of(MAYBE, st.sampled_from(["2026", "2026-Q1", "2026-03", "2025-2027"])),
    comune=st.one_of(MAYBE, st.integers(-(2**70), 2**70).map(str)),
    language=LANGUAGE,
)
def test_the_report_choice_refuses_hostile_input_clearly_and_writes_nothing(
    ambito_admin_client, ambito, period, comune, language
):
    query = drop_missing({"ambito": ambito, "period": period, "comune": comune})
    client = speaking(ambito_admin_client, language)
    with rolled_back():
        before = counts([AccessEvent])

        response = client.get("/reports/", query)

        assert_safe(response)
        event(f"status {response.status_code}")
        assert counts([AccessEvent]) == before
        if not query:  # nothing asked: the list, with an empty form
            assert response.status_code == 200
        elif response.status_code == 302:  # a report of the ambito: opened
            assert response["Location"].startswith("/reports/ambito-a/")
        else:
            assert_refused(response, "form", language)


# --- A coordinator's new case file ----------------------------------------------------------

FILE_MODELS = (*apps.get_app_config("beneficiaries").get_models(), AccessEvent)
# The anagrafica fields (the service's own list) and the rest of the new-file form.
PERSON_TYPED = (
    *PERSON_FIELDS,
    "areas",
    "need_tags",
    "organisation",
    "ambito",
    "confirm_different",
)


@pytest.fixture
def new_file(make_user, enable_totp) -> tuple[Client, dict[str, Any]]:
    """A coordinator's client and a valid new file for them."""
    user = make_role_user(make_user, enable_totp, "coordinator")
    valid = {
        "first_name": "Maria",
        "last_name": "Rossi",
        "birth_date": "1950-02-01",
        "no_codice_fiscale_reason": "not_known",
        "ambito": AmbitoFactory().pk,
        "organisation": user.memberships.get().organisation.pk,
    }
    return client_for(user), valid


@FUZZ
@given(
    hostile=st.dictionaries(st.sampled_from(PERSON_TYPED), MAYBE, min_size=1, max_size=6),
    language=LANGUAGE,
)
def test_a_new_case_file_refuses_hostile_input_clearly_and_writes_nothing(
    new_file, hostile, language
):
    """A valid new file with some of its fields made hostile or left out."""
    client, valid = new_file
    data = drop_missing({**valid, **hostile})
    speaking(client, language)
    with rolled_back():
        before = counts(FILE_MODELS)

        response = client.post("/cases/new/", data)

        assert_safe(response)
        event(f"status {response.status_code}")
        after = counts(FILE_MODELS)
        if response.status_code == 302:  # still a valid file: one person, one case
            assert response["Location"].startswith("/cases/p/")
            assert after["Person"] == before["Person"] + 1
        elif not data or response.context["duplicates"]:
            # Nothing sent at all (an empty POST gets the blank form back, without an
            # error), or people who may be the same shown first: nothing written either.
            assert response.status_code == 200
            assert after == before
        else:
            assert_refused(response, "form", language, status=200)
            assert after == before
