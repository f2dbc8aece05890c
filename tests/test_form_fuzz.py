"""Hostile input on the forms people type into: property-based (hypothesis).

Every field of a form gets, or misses, a hostile value: any text (control characters and
NUL included), very long text, unicode, and strings that look like SQL, HTML, template
or spreadsheet formulas, numbers written as text, empty and blank values. The forms:

- the guest sign-up on a lab meeting's page (name, e-mail, privacy consent);
- the donation form of a published campaign;
- the report choice form (``GET /reports/?ambito=&period=&comune=``) of an ambito
  administrator;
- the new case file (a person and their case) of a coordinator, whose refusals come back
  as a 200 re-rendering the form (the view's choice);
- every other form a person types into through a page, one row each in ``FORM_ROWS``
  (the view, a builder of its world: a client allowed to use the form, its URL and a
  valid submission, and the apps whose rows must not change): the valid submission with
  some fields made hostile or left out, the empty POST (it binds the form: its errors,
  never a blank form without a word), and the valid submission itself (accepted). The
  last test lists the views whose code builds a form: each is fuzzed or says why not.

For every request: never a server error (the test client raises it); a refusal is a 400
that re-renders the form with its errors, each error shown on the page, in the language
of the person (Italian by default, English when chosen), and nothing written (the rows of
the models the form feeds do not change); an acceptance is a redirect that writes only
what it should. No markup typed in comes back unescaped. Each example runs in a
transaction rolled back at its end, so examples do not see each other's rows; the world
is made once per test.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.messages import ERROR
from django.db import models, transaction
from django.forms import BaseForm
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from django.utils.html import escape
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from beneficiaries.models import Case, Tie
from beneficiaries.services.persons import PERSON_FIELDS
from fundraising.models import ConsentChange, Donation, Donor, Method, RecurringGift
from fundraising.services.receipts import receipt_issue
from labs.models import Intervention, LabStatus, Need, NeedCategory, Registration
from legami.models import AccessEvent
from pacts.services import follow as follow_services
from pacts.services import ledger as ledger_services
from research.models import Finding, Phase
from tests.beneficiaries.factories import assign
from tests.civic_center.factories import OfferFactory, ServiceCategoryFactory
from tests.fundraising.factories import CampaignFactory, DonationFactory, collector, fundraiser
from tests.labs.factories import LabFactory, MeetingFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.pacts.factories import pact_in
from tests.partners.factories import MembershipFactory, OrganisationFactory
from tests.permissions import client_for, make_role_user
from tests.research.factories import PathwayFactory, build_survey

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


def bound_form(found: Any) -> Any:
    """The form sent, from the page's context: a form, or the one bound among several
    (a dict or a list of forms of the page, one per case or per scale)."""
    if isinstance(found, dict):
        found = list(found.values())
    if isinstance(found, list):
        # A form per row of a list: the rows are forms, or dicts holding one.
        forms = [v for item in found for v in (item.values() if isinstance(item, dict) else [item])]
        sent = [form for form in forms if isinstance(form, BaseForm) and form.is_bound]
        assert len(sent) == 1, found
        return sent[0]
    return found


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
        elif data and response.context["duplicates"]:
            # People who may be the same shown first: nothing written either.
            assert response.status_code == 200
            assert after == before
        else:
            assert_refused(response, "form", language, status=200)
            assert after == before


# --- Every other form a person types into: one row each ------------------------------------
#
# A row names the view (for the coverage test below), builds its world once per test (a
# client of a person allowed to use the form, the form's URL and a valid submission), and
# names the apps whose rows must not change when the form is refused. Each example sends
# the valid submission with some fields made hostile or left out; the empty POST is sent
# by its own test. Adding a form is adding a row.

BAD_DATES = (
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "31/12/2026",
    "2026-01-01T25:61",
    "-2026-01-01",
)
BAD_NUMBERS = ("-0", "1.5", "1,5", "0.001", "-99999999", "2147483648", "9" * 40, "1e3", "١٢")
FIELD_VALUE = st.one_of(st.none(), HOSTILE, st.sampled_from(BAD_DATES + BAD_NUMBERS))
FORM_FUZZ = settings(FUZZ, max_examples=15, derandomize=True)


class World:
    """What a row's builder needs: users holding roles, and a language cookie."""

    def __init__(self, make_user: Any, enable_totp: Any) -> None:
        self.make_user = make_user
        self.enable_totp = enable_totp

    def user(self, role: str) -> Any:
        return make_role_user(self.make_user, self.enable_totp, role)

    def client(self, role: str) -> tuple[Client, Any]:
        user = self.user(role)
        return client_for(user), user


Built = tuple[Client, str, dict[str, Any]]


@dataclass(frozen=True)
class FormRow:
    view: str  # the view's dotted name, as the URL resolver gives it
    build: Callable[[World], Built]
    apps: tuple[str, ...]  # the apps whose rows a refusal must not change
    context: str = "form"  # the form's name in the page's context (names, space-separated)
    hidden: tuple[tuple[str, str], ...] = ()  # sent always, never fuzzed (no one types them)
    fuzzed: tuple[str, ...] = ()  # fields to make hostile besides the valid ones
    empty_is_valid: bool = False  # every field optional: an empty POST is accepted
    by_message: bool = False  # refuses with a redirect and an error message, not a form

    @property
    def id(self) -> str:
        return self.view.split(".")[0] + "." + self.view.rsplit(".", 1)[-1]


def app_models(labels: Iterable[str]) -> list[type[models.Model]]:
    return [model for label in labels for model in apps.get_app_config(label).get_models()]


def error_messages(response: Any) -> list[str]:
    """The error messages a redirect carries to the next page."""
    stored = getattr(response.wsgi_request, "_messages", [])
    return [str(message) for message in stored if message.level >= ERROR]


def assert_refused_quietly(response: Any, row: FormRow, language: str) -> None:
    """A refusal: the form again (200 or 400), with its errors shown, translated; or,
    for the forms that say it so, a redirect carrying a translated error message."""
    if row.by_message and response.status_code == 302:
        said = error_messages(response)
        assert said, "refused without saying why"
        if language == "it":
            assert not [phrase for phrase in ENGLISH if any(phrase in text for text in said)]
        return
    assert response.status_code in (200, 400, 422), response.status_code
    assert response["Content-Language"] == language
    with translation.override(language):
        said = [
            text for name in row.context.split() for text in form_errors(response.context[name])
        ]
    assert said, "refused without saying why"
    body = response.content.decode()
    for text in said:
        assert escape(text) in body, text
    if language == "it":
        assert not [phrase for phrase in ENGLISH if phrase in body]


def form_errors(found: Any) -> list[str]:
    """The error messages of the form sent (or of a formset: its forms' and its own)."""
    if hasattr(found, "forms") and hasattr(found, "non_form_errors"):
        return [
            *(str(e) for form in found.forms for errors in form.errors.values() for e in errors),
            *(str(e) for e in found.non_form_errors()),
        ]
    form = bound_form(found)
    return [str(message) for errors in form.errors.values() for message in errors]


FORM_ROWS: list[FormRow] = []


def form_row(view: str, apps: tuple[str, ...], **kwargs: Any) -> Callable[[Any], Any]:
    def register(build: Callable[[World], Built]) -> Callable[[World], Built]:
        FORM_ROWS.append(FormRow(view, build, apps, **kwargs))
        return build

    return register


# --- partners


@form_row("partners.views.organisation_create", ("partners",))
def _organisation_create(world: World) -> Built:
    client, _user = world.client("network_admin")
    valid = {"name": "Cooperativa Sole", "kind": "cooperativa_sociale"}
    return client, "/partners/new/", valid


@form_row(
    "partners.views.organisation_edit",
    ("partners",),
    fuzzed=("tax_code", "email", "phone", "website", "member_since", "ambiti", "address"),
)
def _organisation_edit(world: World) -> Built:
    client, _user = world.client("network_admin")
    organisation = OrganisationFactory(name="Cooperativa Luna", slug="cooperativa-luna")
    valid = {"name": "Cooperativa Luna", "slug": "cooperativa-luna", "kind": organisation.kind}
    return client, f"/partners/{organisation.slug}/edit/", valid


@form_row("partners.views.invitation_create", ("partners",), context="invite_form")
def _invitation_create(world: World) -> Built:
    client, user = world.client("network_admin")
    organisation = user.memberships.get().organisation
    valid = {"email": "nuovo@example.org", "role": "operator", "is_referent": ""}
    return client, f"/partners/{organisation.slug}/members/invite/", valid


# --- labs

MEETING = {
    "title": "Incontro di quartiere",
    "starts_at": "2030-03-02T18:00",
    "ends_at": "2030-03-02T20:00",
    "place": "Casa del quartiere",
    "address": "Via Roma 1",
    "capacity": "20",
    "reserved_seats": "2",
    "accessibility": "",
    "agenda": "",
}


def facilitated_lab(world: World) -> tuple[Client, Any, Any]:
    client, user = world.client("facilitator")
    lab = LabFactory(status=LabStatus.ACTIVE)
    lab.facilitators.add(user)
    lab.comuni.add(ComuneFactory(ambito=lab.ambito))
    return client, user, lab


@form_row("labs.views.facilitate.lab_create", ("labs",))
def _lab_create(world: World) -> Built:
    client, user = world.client("facilitator")
    ambito = AmbitoFactory()
    valid = {
        "title": "Laboratorio del Borgo",
        "slug": "borgo",
        "context": "town",
        "status": "planned",
        "ambito": ambito.pk,
        "comuni": ComuneFactory(ambito=ambito).pk,
        "facilitators": user.pk,
        "description": "",
    }
    return client, "/labs/manage/new/", valid


@form_row("labs.views.facilitate.lab_edit", ("labs",), fuzzed=("organisations",))
def _lab_edit(world: World) -> Built:
    client, user, lab = facilitated_lab(world)
    valid = {
        "title": "Laboratorio del Borgo",
        "slug": lab.slug,
        "context": lab.context,
        "status": lab.status,
        "ambito": lab.ambito_id,
        "comuni": lab.comuni.get().pk,
        "facilitators": user.pk,
        "description": "",
    }
    return client, f"/labs/manage/{lab.slug}/edit/", valid


@form_row(
    "labs.views.facilitate.meeting_create",
    ("labs",),
    fuzzed=("comune", "online_url", "registration_opens_at", "registration_closes_at"),
)
def _meeting_create(world: World) -> Built:
    client, _user, lab = facilitated_lab(world)
    return client, f"/labs/manage/{lab.slug}/meetings/new/", dict(MEETING)


@form_row("labs.views.facilitate.meeting_edit", ("labs",), fuzzed=("online_url",))
def _meeting_edit(world: World) -> Built:
    client, _user, lab = facilitated_lab(world)
    meeting = MeetingFactory(lab=lab)
    return client, f"/labs/manage/meetings/{meeting.pk}/edit/", dict(MEETING)


@form_row(
    "labs.views.facilitate.meeting_close",
    ("labs",),
    context="form needs",
    fuzzed=("organisations_present", "needs-0-title", "needs-0-category", "needs-TOTAL_FORMS"),
)
def _meeting_close(world: World) -> Built:
    client, _user, lab = facilitated_lab(world)
    past = timezone.now() - dt.timedelta(days=1)
    meeting = MeetingFactory(lab=lab, starts_at=past, ends_at=past + dt.timedelta(hours=2))
    valid = {
        "summary": "Abbiamo parlato del parco.",
        "needs-TOTAL_FORMS": "1",
        "needs-INITIAL_FORMS": "0",
        "needs-0-title": "Panchine al parco",
        "needs-0-category": "loneliness",
    }
    return client, f"/labs/manage/meetings/{meeting.pk}/close/", valid


@form_row("labs.views.needs.need_board", ("labs",), fuzzed=("comune",))
def _need_post(world: World) -> Built:
    client, _user = world.client("citizen")
    lab = LabFactory(status=LabStatus.ACTIVE)
    valid = {"title": "Un posto per studiare", "category": "loneliness", "place": ""}
    return client, f"/labs/{lab.slug}/needs/", valid


def lab_need(lab: Any, title: str = "Panchine al parco") -> Any:
    return Need.objects.create(lab=lab, title=title, category=NeedCategory.LONELINESS)


@form_row("labs.views.needs.need_merge", ("labs",), context="merge_form")
def _need_merge(world: World) -> Built:
    client, _user, lab = facilitated_lab(world)
    need, into = lab_need(lab), lab_need(lab, "Panchine nel parco")
    return client, f"/labs/{lab.slug}/needs/{need.pk}/merge/", {"into": into.pk}


@form_row("labs.views.needs.need_refer", ("labs",), context="refer_form")
def _need_refer(world: World) -> Built:
    client, _user, lab = facilitated_lab(world)
    service = OrganisationFactory(ambiti=[lab.ambito])
    valid = {"organisation": service.pk, "consent_given_on": "2026-01-10"}
    return client, f"/labs/{lab.slug}/needs/{lab_need(lab).pk}/refer/", valid


INTERVENTION = {"title": "Panchine", "plan": "Chiedere al comune.", "status": "designed"}


@form_row(
    "labs.views.needs.intervention_create",
    ("labs",),
    fuzzed=("start_date", "end_date", "needs"),
)
def _intervention_create(world: World) -> Built:
    client, _user, lab = facilitated_lab(world)
    valid = {**INTERVENTION, "owner": OrganisationFactory().pk, "needs": lab_need(lab).pk}
    return client, f"/labs/{lab.slug}/interventions/new/", valid


@form_row("labs.views.needs.intervention_edit", ("labs",), fuzzed=("start_date", "end_date"))
def _intervention_edit(world: World) -> Built:
    client, user, lab = facilitated_lab(world)
    owner = OrganisationFactory()
    intervention = Intervention.objects.create(lab=lab, owner=owner, **INTERVENTION)
    valid = {**INTERVENTION, "owner": owner.pk}
    return client, f"/labs/interventions/{intervention.pk}/edit/", valid


# --- pacts

PACT = {"title": "Patto di comunità", "context": "", "strengths": "", "review_every_weeks": "8"}


def worker_pact(world: World, status: str = "draft") -> tuple[Client, Any]:
    client, worker = world.client("operator")
    pact = pact_in(status, worker=worker, partner_signer=world.user("partner_staff"))
    return client, pact


@form_row(
    "pacts.views.pages.pact_create",
    ("pacts",),
    fuzzed=("start_date", "end_date", "covers_household"),
)
def _pact_create(world: World) -> Built:
    client, worker = world.client("operator")
    return client, f"/pacts/new/{assign(worker).pk}/", dict(PACT)


@form_row("pacts.views.pages.pact_edit", ("pacts",), context="pact_form", fuzzed=("end_date",))
def _pact_edit(world: World) -> Built:
    client, pact = worker_pact(world)
    return client, f"/pacts/{pact.public_id}/edit/", {**PACT, "start_date": ""}


@form_row("pacts.views.pages.goal_add", ("pacts",), context="goal_form", fuzzed=("organisation",))
def _goal_add(world: World) -> Built:
    client, pact = worker_pact(world)
    valid = {"description": "Uscire di casa", "indicator": "Due volte", "target_date": "2030-01-01"}
    return client, f"/pacts/{pact.public_id}/goals/add/", valid


@form_row("pacts.views.pages.commitment_add", ("pacts",), context="commitment_form")
def _commitment_add(world: World) -> Built:
    client, pact = worker_pact(world)
    valid = {
        "direction": "provides",
        "kind": "mentoring",
        "description": "Tutoraggio",
        "quantity": "2",
        "unit": "hours",
        "period": "week",
        "owner": "Pro Loco",
    }
    return client, f"/pacts/{pact.public_id}/commitments/add/", valid


@form_row("pacts.views.pages.signatory_add", ("pacts",), context="signatory_form")
def _signatory_add(world: World) -> Built:
    client, pact = worker_pact(world)
    return (
        client,
        f"/pacts/{pact.public_id}/signatories/add/",
        {"kind": "community", "name": "Pro Loco"},
    )


@form_row("pacts.views.pages.pact_interrupt", ("pacts",), by_message=True)
def _pact_interrupt(world: World) -> Built:
    client, pact = worker_pact(world, "active")
    return client, f"/pacts/{pact.public_id}/interrupt/", {"reason": "Si è trasferita."}


@form_row("pacts.views.follow.review_new", ("pacts",), fuzzed=("assessment", "final"))
def _review_new(world: World) -> Built:
    client, pact = worker_pact(world, "in_review")
    goals = {f"goal_{goal.pk}": "achieved" for goal in pact.goals.all()}
    valid = {**goals, "notes": "Bene.", "next_review_on": "2030-01-01"}
    return client, f"/pacts/{pact.public_id}/reviews/new/", valid


@form_row(
    "pacts.views.follow.hours_record", ("pacts",), context="hours_form", fuzzed=("commitment",)
)
def _hours_record(world: World) -> Built:
    client, pact = worker_pact(world, "active")
    organisation = pact.signatories.exclude(organisation=None).first().organisation
    valid = {
        "date": timezone.localdate().isoformat(),
        "hours": "2",
        "direction": "gives_back",
        "organisation": organisation.pk,
        "description": "Laboratorio",
    }
    return client, f"/pacts/{pact.public_id}/ledger/record/", valid


# --- beneficiaries (the case file)


def worker_case(world: World, role: str = "operator") -> tuple[Client, Any, Any]:
    client, worker = world.client(role)
    case = assign(worker)
    return client, case, case.person


@form_row(
    "beneficiaries.views.persons.person_edit", ("beneficiaries",), fuzzed=(*PERSON_TYPED[:-3],)
)
def _person_edit(world: World) -> Built:
    client, _case, person = worker_case(world)
    valid = {
        "first_name": "Maria",
        "last_name": "Rossi",
        "birth_date": "1950-02-01",
        "no_codice_fiscale_reason": "not_known",
    }
    return client, f"/cases/p/{person.public_id}/edit/", valid


@form_row("beneficiaries.views.persons.household_add", ("beneficiaries",), context="household_form")
def _household_add(world: World) -> Built:
    client, _case, person = worker_case(world)
    valid = {"relation": "child", "first_name": "Luca", "birth_year": "1990", "cohabiting": "on"}
    return client, f"/cases/p/{person.public_id}/household/add/", valid


@form_row(
    "beneficiaries.views.persons.consent_give",
    ("beneficiaries",),
    context="consent_form",
    fuzzed=("given_on",),
)
def _consent_give(world: World) -> Built:
    client, _case, person = worker_case(world)
    valid = {"kind": "privacy_notice", "notice_version": "v1"}
    return client, f"/cases/p/{person.public_id}/consents/give/", valid


@form_row(
    "beneficiaries.views.cases.case_open",
    ("beneficiaries",),
    context="case_open_form",
    fuzzed=("reported_by", "first_needs"),
)
def _case_open(world: World) -> Built:
    client, case, person = worker_case(world)
    valid = {"organisation": case.organisation_id, "ambito": case.ambito_id, "channel": "self"}
    Case.objects.filter(pk=case.pk).update(
        stage="closed", closed_on=timezone.localdate(), closure_reason="goals_reached"
    )
    return client, f"/cases/p/{person.public_id}/cases/open/", valid


@form_row(
    "beneficiaries.views.cases.diary_add",
    ("beneficiaries",),
    context="diary_forms",
    fuzzed=("date", "confidential"),
)
def _diary_add(world: World) -> Built:
    client, case, person = worker_case(world)
    valid = {"category": "interview", "text": "Colloquio sereno."}
    return client, f"/cases/p/{person.public_id}/cases/{case.pk}/diary/", valid


@form_row(
    "beneficiaries.views.cases.referral_request", ("beneficiaries",), context="referral_forms"
)
def _referral_request(world: World) -> Built:
    client, case, person = worker_case(world)
    valid = {
        "to_organisation": OrganisationFactory().pk,
        "reason": "Serve un alloggio.",
        "consent_given_on": timezone.localdate().isoformat(),
    }
    return client, f"/cases/p/{person.public_id}/cases/{case.pk}/referrals/", valid


TIE = {
    "label": "Anna, sorella",
    "kind": "family",
    "strength": "ordinary",
    "quality": "supportive",
    "direction": "mutual",
    "frequency": "weekly",
    "note": "",
}


@form_row("beneficiaries.views.ecomap.tie_add", ("beneficiaries",))
def _tie_add(world: World) -> Built:
    client, _case, person = worker_case(world)
    return client, f"/cases/p/{person.public_id}/ecomap/ties/", dict(TIE)


@form_row("beneficiaries.views.ecomap.tie_update", ("beneficiaries",))
def _tie_update(world: World) -> Built:
    client, _case, person = worker_case(world)
    tie = Tie.objects.create(person=person, label="Anna", kind="family")
    return client, f"/cases/p/{person.public_id}/ecomap/ties/{tie.pk}/", dict(TIE)


@form_row(
    "beneficiaries.views.ecomap.assessment_record",
    ("beneficiaries",),
    context="forms",
    hidden=(("kind", "ucla3"),),
)
def _assessment_record(world: World) -> Built:
    client, _case, person = worker_case(world)
    answers = {f"ucla3-q{n}": "1" for n in (1, 2, 3)}
    valid = {"ucla3-date": timezone.localdate().isoformat(), **answers}
    return client, f"/cases/p/{person.public_id}/assessments/new/", valid


# --- fundraising (the desk)


def desk(world: World) -> tuple[Client, Any, Any]:
    """A fundraiser's client, their collecting organisation and one of its campaigns."""
    organisation = collector()
    user = fundraiser(organisation, user__language="")
    campaign = CampaignFactory(organisation=organisation)
    return client_for(user), organisation, campaign


CAMPAIGN = {
    "title": "Un inverno al caldo",
    "slug": "inverno-al-caldo",
    "summary": "",
    "story": "",
    "goal": "5000",
    "starts_on": "2030-01-01",
    "ends_on": "2030-03-01",
}


@form_row(
    "fundraising.views.manage_campaigns.campaign_create",
    ("fundraising",),
    fuzzed=("intervention", "ambito"),
)
def _campaign_create(world: World) -> Built:
    client, organisation, _campaign = desk(world)
    return (
        client,
        "/fundraising/gestione/campagne/nuova/",
        {**CAMPAIGN, "organisation": organisation.pk},
    )


@form_row("fundraising.views.manage_campaigns.campaign_edit", ("fundraising",))
def _campaign_edit(world: World) -> Built:
    client, _organisation, campaign = desk(world)
    campaign.status = "draft"
    campaign.save()
    url = f"/fundraising/gestione/campagne/{campaign.slug}/modifica/"
    return client, url, {**CAMPAIGN, "slug": campaign.slug}


@form_row("fundraising.views.manage_campaigns.update_post", ("fundraising",))
def _update_post(world: World) -> Built:
    client, _organisation, campaign = desk(world)
    valid = {"title": "Grazie!", "body": "Abbiamo raggiunto metà.", "send_by_email": ""}
    return client, f"/fundraising/gestione/campagne/{campaign.slug}/notizie/", valid


@form_row("fundraising.views.manage_campaigns.pledge_add", ("fundraising",), fuzzed=("deadline",))
def _pledge_add(world: World) -> Built:
    client, _organisation, campaign = desk(world)
    valid = {"funder": OrganisationFactory().pk, "ratio": "1.00", "cap": "1000"}
    return client, f"/fundraising/gestione/campagne/{campaign.slug}/impegni/", valid


@form_row("fundraising.views.manage_campaigns.cost_add", ("fundraising",))
def _cost_add(world: World) -> Built:
    client, _organisation, campaign = desk(world)
    valid = {"date": timezone.localdate().isoformat(), "description": "Volantini", "amount": "40"}
    return client, f"/fundraising/gestione/campagne/{campaign.slug}/costi/", valid


DONOR = {
    "kind": "person",
    "first_name": "Anna",
    "last_name": "Bianchi",
    "email": "anna.b@example.org",
}


@form_row(
    "fundraising.views.manage_gifts.donor_create",
    ("fundraising",),
    fuzzed=("company_name", "codice_fiscale", "partita_iva", "phone", "postcode", "wall_name"),
)
def _donor_create(world: World) -> Built:
    client, _organisation, _campaign = desk(world)
    return client, "/fundraising/gestione/donatori/nuovo/", dict(DONOR)


@form_row(
    "fundraising.views.manage_gifts.donor_edit",
    ("fundraising",),
    fuzzed=("codice_fiscale", "partita_iva", "address", "city"),
)
def _donor_edit(world: World) -> Built:
    client, _organisation, campaign = desk(world)
    donor = DonationFactory(campaign=campaign).donor
    return client, f"/fundraising/gestione/donatori/{donor.public_id}/modifica/", dict(DONOR)


@form_row(
    "fundraising.views.manage_gifts.donation_record",
    ("fundraising",),
    fuzzed=("donor", "donor_code", "organisation", "anonymous", "on_wall"),
)
def _donation_record(world: World) -> Built:
    client, _organisation, campaign = desk(world)
    valid = {
        "campaign": campaign.pk,
        "amount": "20",
        "method": "cash",
        "received_on": timezone.localdate().isoformat(),
        "note": "",
    }
    return client, "/fundraising/gestione/doni/nuovo/", valid


def desk_gift(world: World, status: str) -> tuple[Client, str]:
    client, _organisation, campaign = desk(world)
    received = timezone.now() if status == "received" else None
    donation = DonationFactory(campaign=campaign, status=status, received_at=received)
    return client, f"/fundraising/gestione/doni/{donation.public_id}/"


@form_row(
    "fundraising.views.manage_gifts.donation_receive", ("fundraising",), context="receive_form"
)
def _donation_receive(world: World) -> Built:
    client, url = desk_gift(world, "pledged")
    return client, url + "ricevuto/", {"received_on": timezone.localdate().isoformat()}


@form_row("fundraising.views.manage_gifts.donation_refund", ("fundraising",), context="refund_form")
def _donation_refund(world: World) -> Built:
    client, url = desk_gift(world, "received")
    return client, url + "rimborso/", {"reason": "Doppio bonifico."}


@form_row("fundraising.views.manage_gifts.donation_cancel", ("fundraising",), context="cancel_form")
def _donation_cancel(world: World) -> Built:
    client, url = desk_gift(world, "pledged")
    return client, url + "annulla/", {"reason": "Non arriverà."}


@form_row(
    "fundraising.views.manage_gifts.donation_soft_credit",
    ("fundraising",),
    context="credit_form",
    fuzzed=("donor_code",),
)
def _donation_soft_credit(world: World) -> Built:
    client, url = desk_gift(world, "received")
    return client, url + "credito/", {"kind": "in_memory", "name": "Nonna Lina"}


# --- research


def research_survey(world: World, *, open_it: bool = False) -> tuple[Client, Any]:
    client, user = world.client("researcher")
    questions = [{"code": "q1", "text": "Quanti anni?", "kind": "number"}]
    return client, build_survey(user, questions, open_it=open_it)


@form_row("research.views.builder.survey_create", ("research",), fuzzed=("pathway", "anonymous"))
def _survey_create(world: World) -> Built:
    client, _user = world.client("researcher")
    return client, "/research/questionari/nuovo/", {"title": "Culture", "description": ""}


@form_row("research.views.builder.survey_edit", ("research",), fuzzed=("pathway",))
def _survey_edit(world: World) -> Built:
    client, survey = research_survey(world)
    return client, f"/research/questionari/{survey.pk}/modifica/", {"title": "Culture 2"}


@form_row("research.views.builder.section_edit", ("research",), empty_is_valid=True)
def _section_edit(world: World) -> Built:
    client, survey = research_survey(world)
    section = survey.sections.get()
    return client, f"/research/questionari/{survey.pk}/sezioni/{section.pk}/", {"title": "Prima"}


@form_row(
    "research.views.builder.section_add", ("research",), context="section_form", empty_is_valid=True
)
def _section_add(world: World) -> Built:
    client, survey = research_survey(world)
    return client, f"/research/questionari/{survey.pk}/sezioni/nuova/", {"title": "Seconda"}


@form_row(
    "research.views.builder.survey_open", ("research",), context="open_form", empty_is_valid=True
)
def _survey_open(world: World) -> Built:
    client, survey = research_survey(world)
    return client, f"/research/questionari/{survey.pk}/apri/", {"closes_at": "2030-01-01T10:00"}


QUESTION = {
    "kind": "single",
    "code": "q2",
    "text": "Dove lavori?",
    "help": "",
    "options": "a|Comune\nb|Cooperativa",
}


@form_row(
    "research.views.builder.question_add",
    ("research",),
    fuzzed=("required", "show_if_question", "show_if_values"),
)
def _question_add(world: World) -> Built:
    client, survey = research_survey(world)
    section = survey.sections.get()
    url = f"/research/questionari/{survey.pk}/sezioni/{section.pk}/domande/nuova/"
    return client, url, dict(QUESTION)


@form_row("research.views.builder.question_edit", ("research",), fuzzed=("show_if_question",))
def _question_edit(world: World) -> Built:
    client, survey = research_survey(world)
    question = survey.questions.get()
    url = f"/research/questionari/{survey.pk}/domande/{question.pk}/"
    return client, url, {**QUESTION, "code": "q1"}


@form_row("research.views.builder.invitations", ("research",))
def _invitations(world: World) -> Built:
    client, survey = research_survey(world, open_it=True)
    organisation = OrganisationFactory()
    MembershipFactory(organisation=organisation)
    valid = {"organisations": organisation.pk, "roles": "operator"}
    return client, f"/research/questionari/{survey.pk}/inviti/", valid


def research_pathway(world: World) -> tuple[Client, Any]:
    client, user = world.client("researcher")
    ambito = AmbitoFactory()
    ComuneFactory(ambito=ambito)
    return client, PathwayFactory(lead=user, ambito=ambito)


PATHWAY = {"title": "Nuove solitudini", "theme": "", "description": ""}


@form_row(
    "research.views.pathways.pathway_create",
    ("research",),
    fuzzed=("ambito", "organisations", "practitioners", "starts_on", "ends_on"),
)
def _pathway_create(world: World) -> Built:
    client, _user = world.client("researcher")
    return client, "/research/percorsi/nuovo/", dict(PATHWAY)


@form_row("research.views.pathways.pathway_edit", ("research",), fuzzed=("starts_on", "ends_on"))
def _pathway_edit(world: World) -> Built:
    client, pathway = research_pathway(world)
    return (
        client,
        f"/research/percorsi/{pathway.pk}/modifica/",
        {**PATHWAY, "ambito": pathway.ambito_id},
    )


PHASE = {"title": "Ascolto", "description": "", "starts_on": "2030-01-01", "ends_on": "2030-02-01"}


@form_row("research.views.pathways.phase_add", ("research",))
def _phase_add(world: World) -> Built:
    client, pathway = research_pathway(world)
    return client, f"/research/percorsi/{pathway.pk}/fasi/nuova/", dict(PHASE)


@form_row("research.views.pathways.phase_edit", ("research",))
def _phase_edit(world: World) -> Built:
    client, pathway = research_pathway(world)
    phase = Phase.objects.create(
        pathway=pathway, title="Ascolto", starts_on=dt.date(2030, 1, 1), ends_on=dt.date(2030, 2, 1)
    )
    return client, f"/research/percorsi/{pathway.pk}/fasi/{phase.pk}/", dict(PHASE)


@form_row(
    "research.views.pathways.workshop_create",
    ("research", "labs"),
    fuzzed=("online_url", "registration_closes_at"),
)
def _workshop_create(world: World) -> Built:
    client, pathway = research_pathway(world)
    valid = {
        "kind": "workshop",
        "title": "Primo incontro",
        "starts_at": "2030-03-02T18:00",
        "ends_at": "2030-03-02T20:00",
        "place": "Sala civica",
        "address": "",
        "capacity": "20",
        "agenda": "",
    }
    return client, f"/research/percorsi/{pathway.pk}/laboratori/nuovo/", valid


FINDING = {"kind": "note", "title": "Appunti", "summary": "", "body": "Testo.", "themes": ""}


@form_row(
    "research.views.library.finding_create",
    ("research",),
    fuzzed=("pathway", "workshop", "link"),
)
def _finding_create(world: World) -> Built:
    client, _user = world.client("researcher")
    return client, "/research/biblioteca/nuovo/", dict(FINDING)


@form_row("research.views.library.finding_edit", ("research",), fuzzed=("link", "remove_file"))
def _finding_edit(world: World) -> Built:
    client, user = world.client("researcher")
    finding = Finding.objects.create(author=user, kind="note", title="Appunti")
    return client, f"/research/biblioteca/{finding.public_id}/modifica/", dict(FINDING)


# --- civic_center


def demand_valid() -> dict[str, Any]:
    start = timezone.localdate() + dt.timedelta(days=14)
    return {
        "category": ServiceCategoryFactory().code,
        "comune": ComuneFactory(ambito=AmbitoFactory()).pk,
        "windows": ["1", "4"],
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=60)).isoformat(),
        "quantity_per_week": "4",
        "max_unit_price": "12",
        "accepts_sharing": "on",
    }


@form_row("civic_center.views.family.demand_create", ("civic_center",))
def _demand_create(world: World) -> Built:
    client, _user = world.client("citizen")
    return client, "/civic-center/domande/nuova/", demand_valid()


@form_row(
    "civic_center.views.family.demand_create_on_behalf",
    ("civic_center",),
    fuzzed=("contact_email", "contact_phone", "address"),
)
def _demand_create_on_behalf(world: World) -> Built:
    client, _user = world.client("operator")
    valid = {**demand_valid(), "contact_name": "Famiglia Verdi"}
    return client, "/civic-center/domande/per-una-famiglia/", valid


@form_row("civic_center.views.coordination.run_list", ("civic_center",), fuzzed=("category",))
def _run_list(world: World) -> Built:
    client, user = world.client("ambito_admin")
    ambito = AmbitoFactory()
    user.memberships.get().organisation.ambiti.add(ambito)
    return client, "/civic-center/abbinamenti/", {"ambito": ambito.pk}


# --- short forms: a reason, a date


@form_row(
    "beneficiaries.views.persons.restriction",
    ("beneficiaries",),
    context="restriction_form",
    empty_is_valid=True,
)
def _restriction(world: World) -> Built:
    client, _case, person = worker_case(world)
    return (
        client,
        f"/cases/p/{person.public_id}/restriction/",
        {"restricted": "1", "reason": "Art. 18"},
    )


@form_row("partners.views.membership_end", ("partners",), by_message=True)
def _membership_end(world: World) -> Built:
    client, user = world.client("network_admin")
    organisation = user.memberships.get().organisation
    membership = MembershipFactory(organisation=organisation)
    url = f"/partners/{organisation.slug}/members/{membership.pk}/end/"
    return client, url, {"end_date": timezone.localdate().isoformat()}


@form_row("labs.views.facilitate.meeting_cancel", ("labs",), by_message=True, empty_is_valid=True)
def _meeting_cancel(world: World) -> Built:
    client, _user, lab = facilitated_lab(world)
    meeting = MeetingFactory(lab=lab)
    return client, f"/labs/manage/meetings/{meeting.pk}/cancel/", {"reason": "Pioggia."}


@form_row("pacts.views.follow.hours_reverse", ("pacts",), context="rows")
def _hours_reverse(world: World) -> Built:
    client, worker = world.client("operator")
    pact = pact_in("active", worker=worker, partner_signer=world.user("partner_staff"))
    organisation = pact.signatories.exclude(organisation=None).first().organisation
    txn = ledger_services.hours_record(
        pact=pact,
        actor=worker,
        hours=2,
        date=timezone.localdate(),
        direction="gives_back",
        organisation=organisation,
    )
    return client, f"/pacts/{pact.public_id}/ledger/{txn.pk}/reverse/", {"reason": "Errore."}


PLACEMENT = {
    "host_name": "Falegnameria Po",
    "tutor": "Mario Neri",
    "role": "",
    "start_date": "2030-01-01",
    "end_date": "2030-06-30",
    "hours_per_week": "10",
    "outcome": "ongoing",
    "notes": "",
}


@form_row(
    "pacts.views.follow.placement_add",
    ("pacts",),
    context="add_form",
    fuzzed=("host_organisation", "outcome_date"),
)
def _placement_add(world: World) -> Built:
    client, pact = worker_pact(world, "active")
    return client, f"/pacts/{pact.public_id}/placements/add/", dict(PLACEMENT)


@form_row(
    "pacts.views.follow.placement_update", ("pacts",), context="rows", fuzzed=("outcome_date",)
)
def _placement_update(world: World) -> Built:
    client, worker = world.client("operator")
    pact = pact_in("active", worker=worker, partner_signer=world.user("partner_staff"))
    values = {**PLACEMENT, "start_date": dt.date(2030, 1, 1), "end_date": dt.date(2030, 6, 30)}
    values["hours_per_week"] = 10
    placement = follow_services.placement_add(pact=pact, actor=worker, **values)
    return client, f"/pacts/{pact.public_id}/placements/{placement.pk}/", dict(PLACEMENT)


@form_row(
    "fundraising.views.manage_gifts.receipt_cancel_view",
    ("fundraising",),
    context="receipt_cancel_form",
)
def _receipt_cancel(world: World) -> Built:
    organisation = collector()
    user = fundraiser(organisation, user__language="")
    donation = DonationFactory(
        campaign=CampaignFactory(organisation=organisation),
        status="received",
        received_at=timezone.now(),
    )
    receipt = receipt_issue(donation=donation, by=user)
    return (
        client_for(user),
        f"/fundraising/gestione/ricevute/{receipt.pk}/annulla/",
        {"reason": "Errata."},
    )


OFFER_ROWS = {
    "tiers-TOTAL_FORMS": "1",
    "tiers-INITIAL_FORMS": "0",
    "tiers-0-min_families": "1",
    "tiers-0-unit_price": "15",
    "partners-TOTAL_FORMS": "0",
    "partners-INITIAL_FORMS": "0",
}


def offer_valid(organisation: Any) -> dict[str, Any]:
    return {
        "organisation": organisation.pk,
        "title": "Assistenza a domicilio",
        "description": "",
        "category": ServiceCategoryFactory().pk,
        "comuni": ComuneFactory(ambito=AmbitoFactory()).pk,
        "pricing_mode": "volume",
        "min_group_size": "1",
        "max_group_size": "5",
        "valid_from": timezone.localdate().isoformat(),
        "valid_until": (timezone.localdate() + dt.timedelta(days=365)).isoformat(),
        "capacity_1": "10",
        **OFFER_ROWS,
    }


@form_row(
    "civic_center.views.provider.offer_create",
    ("civic_center",),
    context="form tiers partners",
    fuzzed=("capacity_4", "tiers-1-min_families", "partners-0-organisation"),
)
def _offer_create(world: World) -> Built:
    client, user = world.client("partner_staff")
    return client, "/civic-center/offerte/nuova/", offer_valid(user.memberships.get().organisation)


@form_row(
    "civic_center.views.provider.offer_edit",
    ("civic_center",),
    context="form tiers partners",
    fuzzed=("capacity_4", "partners-0-share_percent"),
)
def _offer_edit(world: World) -> Built:
    client, user = world.client("partner_staff")
    organisation = user.memberships.get().organisation
    offer = OfferFactory(organisation=organisation)
    return client, f"/civic-center/offerte/{offer.public_id}/modifica/", offer_valid(organisation)


@pytest.fixture(params=FORM_ROWS, ids=lambda row: row.id)
def form_world(request, make_user, enable_totp) -> tuple[FormRow, Client, str, dict[str, Any]]:
    row = request.param
    client, url, valid = row.build(World(make_user, enable_totp))
    return row, client, url, valid


@FORM_FUZZ
@given(data=st.data(), language=LANGUAGE)
def test_every_form_refuses_hostile_input_clearly_and_writes_nothing(form_world, data, language):
    row, client, url, valid = form_world
    names = sorted({*valid, *row.fuzzed})
    hostile = data.draw(
        st.dictionaries(st.sampled_from(names), FIELD_VALUE, min_size=1, max_size=6)
    )
    posted = drop_missing({**valid, **hostile, **dict(row.hidden)})
    speaking(client, language)
    watched = app_models(row.apps)
    with rolled_back():
        before = counts(watched)

        response = client.post(url, posted)

        assert_safe(response)
        event(f"status {response.status_code}")
        if response.status_code == 302 and not error_messages(response):  # still valid
            assert "/accounts/login/" not in response["Location"]
        else:
            assert_refused_quietly(response, row, language)
            assert counts(watched) == before


@pytest.mark.parametrize("language", ["it", "en"])
def test_every_form_refuses_an_empty_post_clearly_and_writes_nothing(form_world, language):
    """An empty POST binds the form: its errors, never a blank form without a word."""
    row, client, url, _valid = form_world
    speaking(client, language)
    watched = app_models(row.apps)
    before = counts(watched)

    response = client.post(url, dict(row.hidden))

    assert_safe(response)
    if row.empty_is_valid:
        assert response.status_code == 302
    else:
        assert_refused_quietly(response, row, language)
        assert counts(watched) == before


def test_every_form_answers_its_valid_submission(form_world):
    """The rows' valid submissions are valid: otherwise the fuzz would only test refusals."""
    row, client, url, valid = form_world
    response = client.post(url, {**valid, **dict(row.hidden)})
    assert response.status_code == 302, (
        response.context[row.context].errors if response.context else response.status_code
    )


# --- A survey's answers, through an invitation's link --------------------------------------

SURVEY_QUESTIONS: list[dict[str, Any]] = [
    {
        "code": "servizio",
        "text": "Servizio?",
        "kind": "single",
        "required": True,
        "options": ["sociale", "lavoro"],
    },
    {
        "code": "perche",
        "text": "Perché?",
        "kind": "short_text",
        "required": True,
        "show_if": "servizio",
        "show_if_values": ["sociale"],
    },
    {"code": "temi", "text": "Temi?", "kind": "multiple", "options": ["casa", "reddito"]},
    {"code": "fiducia", "text": "Fiducia", "kind": "likert"},
    {"code": "anni", "text": "Anni", "kind": "number"},
    {"code": "note", "text": "Altro?", "kind": "long_text"},
]
ANSWER_VALUE = st.one_of(
    st.none(),
    HOSTILE,
    st.sampled_from(["sociale", "lavoro", "casa", "reddito", "1", "5", "12", *BAD_NUMBERS]),
    st.lists(st.one_of(HOSTILE, st.sampled_from(["casa", "reddito"])), max_size=4),
)


@pytest.fixture
def answer_link() -> tuple[str, int]:
    from research.services import invitations_send
    from tests.research.factories import organisation, practitioner, researcher, token_for

    owner = researcher()
    survey = build_survey(owner, SURVEY_QUESTIONS)
    [invitation] = invitations_send(survey=survey, by=owner, users=[practitioner(organisation())])
    return reverse("research:answer", kwargs={"token": token_for(invitation)}), invitation.pk


@FUZZ
@given(
    answers=st.dictionaries(
        st.sampled_from([f"q-{q['code']}" for q in SURVEY_QUESTIONS]), ANSWER_VALUE, max_size=6
    ),
    language=LANGUAGE,
)
def test_a_survey_answer_refuses_hostile_input_clearly_and_stores_nothing(
    answer_link, answers, language
):
    """The answering page, reached with no account through an invitation's link: hostile
    answers (and an empty POST) are a 400 with the errors in the page's language and
    nothing stored, the link still usable; an acceptable set is stored once."""
    from research.models import Answer, Invitation, Response

    url, invitation_pk = answer_link
    client = speaking(Client(), language)
    with rolled_back():
        response = client.post(url, drop_missing(answers))

        assert_safe(response)
        event(f"status {response.status_code}")
        answered = Invitation.objects.get(pk=invitation_pk).answered
        if response.status_code == 200:
            assert answered and Response.objects.count() == 1
        else:
            assert response.status_code == 400
            assert response["Content-Language"] == language
            body = response.content.decode()
            assert "data-error-summary" in body
            if language == "it":
                assert not [phrase for phrase in ENGLISH if phrase in body]
                assert "This question is required" not in body
            assert not answered
            assert Response.objects.count() == 0 and Answer.objects.count() == 0


# --- Which forms are fuzzed ------------------------------------------------------------------

# The views whose forms the tests above the table fuzz.
FUZZED_ABOVE = {
    "labs.views.public.meeting_detail",
    "fundraising.views.public.campaign_give",
    "reports.views.report_list",
    "beneficiaries.views.persons.person_create",
    "research.views.answer.answer",
}
# Views with a form that no row fuzzes, each with the reason.
NOT_FUZZED = {
    # Filters of a list, read from the query string: nothing is written, and a filter
    # that does not validate shows the list's own error (their apps' tests).
    "beneficiaries.views.persons.person_list": "list filters and a name search (no write)",
    "civic_center.views.coordination.board": "filters of the board (GET)",
    "civic_center.views.provider.market_demand": "filters of the open demand (GET)",
    "fundraising.views.manage_campaigns.campaign_list": "filter of the list (GET)",
    "fundraising.views.manage_exports.export_page": "export choices (GET, a download)",
    "fundraising.views.manage_exports.export_donations": "export choices (GET, a download)",
    "fundraising.views.manage_exports.export_yearly": "export choices (GET, a download)",
    "fundraising.views.manage_gifts.donation_list": "filters of the list (GET)",
    "fundraising.views.manage_gifts.donor_list": "search of the list (GET)",
    "fundraising.views.manage_gifts.receipt_list": "filters of the list (GET)",
    "labs.views.public.meeting_list": "filters of the calendar (GET)",
    "pacts.views.pages.pact_list": "filters of the list (GET)",
    "partners.views.organisation_list": "filters of the list (GET)",
    "research.views.library.finding_list": "filters of the library (GET)",
    "research.views.observatory.observatory": "filters of the observatory (GET)",
    "reports.views.report_page": "the report's filters (GET)",
    # Pages that only show empty forms posted to other views (fuzzed through those).
    "beneficiaries.views.cases.referral_inbox": "shows the decision forms only",
    "pacts.views.pages.pact_detail": "shows the interruption form only",
    # Uploads: the file is the input, checked by tests/<app>/ (type, size, content).
    "beneficiaries.views.imports.case_import": "a CSV upload (tests/beneficiaries)",
    "fundraising.views.manage_bank.bank_import": "a bank statement upload (tests/fundraising)",
    "fundraising.views.manage_campaigns.image_add": "an image upload (tests/fundraising)",
    "pacts.views.documents.scan_upload": "a signed scan upload (tests/pacts)",
    # Choices among the page's own options, no typed text (their apps' tests).
    "beneficiaries.views.cases.case_assign": "a worker and a role, chosen",
    "beneficiaries.views.cases.case_stage": "a stage and a reason, chosen",
    "beneficiaries.views.cases.referral_decide": "accept or decline, chosen (tests/beneficiaries)",
    "labs.views.facilitate.meeting_attendance": "a code at the door, or a tick (tests/labs)",
    "labs.views.needs.need_status": "a status, chosen",
    "fundraising.views.manage_gifts.donor_consent": "an organisation and yes/no, chosen",
    "fundraising.views.manage_bank.bank_entry_confirm": "a gift to match, chosen",
    "fundraising.views.manage_bank.bank_entry_gift": "a bank entry's gift (tests/fundraising)",
    "research.views.pathways.phase_delete": "a confirmation tick",
    "reports.views_exports.export_start": "a format, chosen (tests/reports)",
}
# Legami's own apps (not the installed libraries).
APPS_WITH_PAGES = tuple(
    config.name
    for config in apps.get_app_configs()
    if Path(config.path).is_relative_to(django_settings.BASE_DIR)
    and "site-packages" not in Path(config.path).parts
)


def views_with_forms() -> set[str]:
    """The views of the apps' pages whose code builds a form (found by reading it)."""
    found = set()
    for pattern in url_patterns(get_resolver().url_patterns):
        view = inspect.unwrap(pattern.callback)
        module = getattr(view, "__module__", "")
        if module.split(".")[0] not in APPS_WITH_PAGES or ".api" in module:
            continue
        try:
            source = inspect.getsource(view)
        except (OSError, TypeError):
            continue
        if re.search(r"\w*Form(Set)?\(|_forms?\(|form_class\(", source):
            found.add(f"{module}.{view.__name__}")
    return found


def url_patterns(patterns: Iterable[Any]) -> Iterator[URLPattern]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry.url_patterns)
        else:
            yield entry


def test_every_view_with_a_form_is_fuzzed_or_says_why_not():
    """A new page with a form fails here: add a row (or a reason to NOT_FUZZED)."""
    covered = {row.view for row in FORM_ROWS} | FUZZED_ABOVE
    missing = sorted(views_with_forms() - covered - set(NOT_FUZZED))
    assert not missing, missing
    assert not covered & set(NOT_FUZZED)
    stale = sorted((covered | set(NOT_FUZZED)) - all_views())
    assert not stale, stale


def all_views() -> set[str]:
    return {
        f"{inspect.unwrap(p.callback).__module__}.{inspect.unwrap(p.callback).__name__}"
        for p in url_patterns(get_resolver().url_patterns)
    }
