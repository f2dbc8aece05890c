"""Panels that apps add to the core's pages: the registry renders those with something to
show, in order; the pacts app puts the user's review reminders on the dashboard (their
own only, each dismissable) and an organisation's hours balance on its page (for its
staff only)."""

from __future__ import annotations

import copy
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from legami import dashboard
from pacts.models import CommitmentDirection, Pact, PactStatus, Reminder, ReminderKind
from pacts.services import follow
from pacts.services.ledger import hours_record
from tests.pacts.factories import pact_in

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("legami:dashboard")


# --- The registry ------------------------------------------------------------------------------


@pytest.fixture
def registry(monkeypatch, settings, tmp_path):
    """An empty registry, and templates ``panels/<name>.html`` that print their context."""
    monkeypatch.setattr(dashboard, "_registry", {})
    (tmp_path / "panels").mkdir()
    for name in ("first", "second", "silent", "other"):
        (tmp_path / "panels" / f"{name}.html").write_text(
            f'<div data-panel="{name}">{{{{ word }}}}</div>'
        )
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path, *templates[0].get("DIRS", [])]
    settings.TEMPLATES = templates
    return dashboard


def request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_panels_are_rendered_in_their_order_and_a_panel_with_nothing_to_show_is_left_out(
    registry, social_worker
):
    calls = []

    def context(word):
        def func(request, **kwargs):
            calls.append((word, request.user, kwargs))
            return {"word": word} if word != "nothing" else None

        return func

    registry.register_panel("panels/second.html", context("two"), order=200)
    registry.register_panel("panels/silent.html", context("nothing"), order=50)
    registry.register_panel("panels/first.html", context("one"), order=100)

    html = registry.render_panels(request_for(social_worker))

    assert [str(h) for h in html] == [
        '<div data-panel="first">one</div>',
        '<div data-panel="second">two</div>',
    ]
    assert {word for word, _user, _kwargs in calls} == {"one", "two", "nothing"}
    assert all(user == social_worker for _word, user, _kwargs in calls)


def test_each_slot_renders_its_own_panels_with_the_pages_arguments(registry, social_worker):
    seen = {}

    def organisation_context(request, organisation):
        seen["organisation"] = organisation
        return {"word": organisation}

    registry.register_panel("panels/first.html", lambda request: {"word": "dash"})
    registry.register_panel("panels/other.html", organisation_context, slot=dashboard.ORGANISATION)

    on_dashboard = registry.render_panels(request_for(social_worker))
    on_organisation = registry.render_panels(
        request_for(social_worker), dashboard.ORGANISATION, organisation="Caritas"
    )

    assert [str(h) for h in on_dashboard] == ['<div data-panel="first">dash</div>']
    assert [str(h) for h in on_organisation] == ['<div data-panel="other">Caritas</div>']
    assert seen == {"organisation": "Caritas"}


def test_registering_a_template_again_replaces_it(registry, social_worker):
    registry.register_panel("panels/first.html", lambda request: {"word": "old"})
    registry.register_panel("panels/first.html", lambda request: {"word": "new"})

    assert len(registry.registered()) == 1
    assert [str(h) for h in registry.render_panels(request_for(social_worker))] == [
        '<div data-panel="first">new</div>'
    ]


def test_the_dashboard_page_shows_the_registered_panels_in_order(registry, social_worker_client):
    registry.register_panel("panels/second.html", lambda request: {"word": "B"}, order=2)
    registry.register_panel("panels/first.html", lambda request: {"word": "A"}, order=1)
    registry.register_panel("panels/silent.html", lambda request: None, order=0)

    html = social_worker_client.get(DASHBOARD).content.decode()

    assert '<div data-panel="first">A</div>' in html
    assert html.index('data-panel="first"') < html.index('data-panel="second"')
    assert 'data-panel="silent"' not in html


def test_the_pacts_app_registers_its_panels():
    dashboard_templates = [p.template_name for p in dashboard.registered(dashboard.DASHBOARD)]
    organisation_templates = [p.template_name for p in dashboard.registered(dashboard.ORGANISATION)]

    assert "pacts/partials/follow_dashboard_panel.html" in dashboard_templates
    assert "pacts/partials/follow_organisation_hours.html" in organisation_templates


# --- Review reminders on the dashboard ---------------------------------------------------------


def overdue(pact: Pact, title: str, days: int = 3) -> Pact:
    Pact.objects.filter(pk=pact.pk).update(
        title=title, next_review_on=timezone.localdate() - dt.timedelta(days=days)
    )
    pact.refresh_from_db()
    return pact


@pytest.fixture
def mine(social_worker, partner_user):
    pact = pact_in(PactStatus.ACTIVE, worker=social_worker, partner_signer=partner_user)
    return overdue(pact, "Patto di Settimio")


@pytest.fixture
def colleague(make_user, enable_totp):
    """Another social worker, at another organisation."""
    user = make_user("colleague@example.org", role="coordinator")
    enable_totp(user)
    return user


@pytest.fixture
def theirs(colleague, partner_user):
    pact = pact_in(PactStatus.ACTIVE, worker=colleague, partner_signer=partner_user)
    return overdue(pact, "Patto di Ottavia", days=5)


def reminder_of(user, pact) -> Reminder:
    return Reminder.objects.get(recipient=user, pact=pact)


def test_a_worker_sees_their_overdue_reminder_with_a_link_to_the_pact(
    mine, theirs, social_worker, colleague, social_worker_client
):
    # Given the daily scan has made the reminders of both pacts
    follow.reminders_scan()
    own = reminder_of(social_worker, mine)
    other = reminder_of(colleague, theirs)
    assert own.kind == ReminderKind.OVERDUE

    # When the worker opens the dashboard
    response = social_worker_client.get(DASHBOARD)

    # Then they see their reminder, with the pact's title and a link to it
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="reminder-{own.pk}"' in html
    item = html[html.index(f'id="reminder-{own.pk}"') :]
    item = item[: item.index("</li>")]
    assert "Patto di Settimio" in item
    assert f'href="{mine.get_absolute_url()}"' in item
    assert reverse("pacts:reminder_dismiss", args=[own.pk]) in item
    # and nothing of the colleague's
    assert f'id="reminder-{other.pk}"' not in html
    assert "Patto di Ottavia" not in html
    assert theirs.get_absolute_url() not in html


def test_dismissing_a_reminder_takes_it_off_the_dashboard(
    mine, social_worker, social_worker_client
):
    follow.reminders_scan()
    own = reminder_of(social_worker, mine)

    response = social_worker_client.post(reverse("pacts:reminder_dismiss", args=[own.pk]))

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    own.refresh_from_db()
    assert own.dismissed_at is not None
    html = social_worker_client.get(DASHBOARD).content.decode()
    assert f'id="reminder-{own.pk}"' not in html
    assert reverse("pacts:reminder_dismiss", args=[own.pk]) not in html


def test_dismissing_with_htmx_returns_an_empty_fragment(mine, social_worker, social_worker_client):
    follow.reminders_scan()
    own = reminder_of(social_worker, mine)

    response = social_worker_client.post(
        reverse("pacts:reminder_dismiss", args=[own.pk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response.content == b""
    own.refresh_from_db()
    assert own.dismissed_at is not None


def test_another_users_reminder_is_not_found(mine, theirs, colleague, social_worker_client):
    follow.reminders_scan()
    other = reminder_of(colleague, theirs)

    response = social_worker_client.post(reverse("pacts:reminder_dismiss", args=[other.pk]))

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.dismissed_at is None


def test_dismissing_needs_a_post(mine, social_worker, social_worker_client):
    follow.reminders_scan()
    own = reminder_of(social_worker, mine)

    response = social_worker_client.get(reverse("pacts:reminder_dismiss", args=[own.pk]))

    assert response.status_code == 405
    own.refresh_from_db()
    assert own.dismissed_at is None


DASHBOARD_QUERIES = 12


def test_the_dashboard_queries_do_not_grow_with_the_reminders(
    mine, social_worker, partner_user, social_worker_client, django_assert_max_num_queries
):
    follow.reminders_scan()
    with django_assert_max_num_queries(DASHBOARD_QUERIES) as one:
        response = social_worker_client.get(DASHBOARD)
    assert response.content.decode().count('id="reminder-') == 1

    for n in range(4):
        pact = pact_in(PactStatus.ACTIVE, worker=social_worker, partner_signer=partner_user)
        overdue(pact, f"Patto numero {n}", days=n + 1)
    follow.reminders_scan()
    with django_assert_max_num_queries(DASHBOARD_QUERIES) as five:
        response = social_worker_client.get(DASHBOARD)
    assert response.content.decode().count('id="reminder-') == 5

    assert len(five.captured_queries) == len(one.captured_queries)


# --- Hours balance on an organisation's page ---------------------------------------------------


def balance(html: str, side: str) -> Decimal | None:
    found = re.search(rf'data-balance="{side}">\s*([^<]+?)\s*<', html)
    if found is None:
        return None
    number = found.group(1).replace("\xa0", "")
    if "," in number:  # "1.234,50" in Italian
        number = number.replace(".", "").replace(",", ".")
    return Decimal(number)


@pytest.fixture
def partner(partner_user):
    return partner_user.memberships.get().organisation


@pytest.fixture
def recorded(social_worker, partner_user, partner):
    """Hours on an active pact: 3 given back by the person to the partner, 2 it gave."""
    pact = pact_in(PactStatus.ACTIVE, worker=social_worker, partner_signer=partner_user)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    for hours, direction in (
        ("3", CommitmentDirection.GIVES_BACK),
        ("2", CommitmentDirection.PROVIDES),
    ):
        hours_record(
            pact=pact,
            actor=social_worker,
            hours=hours,
            date=yesterday,
            direction=direction,
            organisation=partner,
        )
    return pact


def organisation_page(client: Client, organisation) -> str:
    response = client.get(reverse("partners:organisation_detail", args=[organisation.slug]))
    assert response.status_code == 200
    assert organisation.name in response.content.decode()
    return response.content.decode()


def test_the_partners_staff_see_its_hours_balance(recorded, partner, partner_client):
    html = organisation_page(partner_client, partner)

    assert balance(html, "given") == Decimal(2)
    assert balance(html, "received") == Decimal(3)


def test_the_balance_starts_at_zero(partner, partner_client):
    html = organisation_page(partner_client, partner)

    assert balance(html, "given") == 0
    assert balance(html, "received") == 0


@pytest.mark.parametrize("who", ["citizen_client", "client"])
def test_citizens_and_visitors_do_not_see_the_balance(who, recorded, partner, request):
    html = organisation_page(request.getfixturevalue(who), partner)

    assert "data-balance" not in html
