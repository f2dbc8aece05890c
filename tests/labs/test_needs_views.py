"""The pages of the needs board: the board ordered by supporters with its filters,
posting a need, supporting with and without JavaScript (htmx gets the need's card),
the runners' controls, merging and passing on from the need's page, interventions,
the coordinators' list of needs passed to their service; refusals shown inline with
status 400 and nothing changed; a bounded number of queries on the board."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from labs.models import LabStatus, Need, NeedStatus, NeedVote
from labs.services import needs as services
from legami.roles import Role
from tests.labs.factories_needs import (
    ActiveLabFactory,
    InterventionFactory,
    NeedFactory,
    facilitated_lab,
)
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def runner(make_user):
    return make_user("runner@example.org", role=Role.FACILITATOR)


@pytest.fixture
def lab(runner):
    return facilitated_lab(runner, slug="quartiere-po")


@pytest.fixture
def runner_client(runner, client):
    client.force_login(runner)
    return client


@pytest.fixture
def citizen_client(citizen, client):
    client.force_login(citizen)
    return client


def board(lab) -> str:
    return reverse("labs:need_board", args=[lab.slug])


def need_url(need, name: str = "need_detail") -> str:
    return reverse(f"labs:{name}", args=[need.lab.slug, need.pk])


# --- The board ------------------------------------------------------------------------------


def test_the_board_shows_the_most_supported_first_to_everybody(lab, client, make_user):
    quiet = NeedFactory(lab=lab, title="Panchine rotte")
    popular = NeedFactory(lab=lab, title="Nessun luogo per i ragazzi")
    for _ in range(2):
        services.need_vote(need=popular, actor=make_user())

    response = client.get(board(lab))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.index(popular.title) < body.index(quiet.title)
    assert "2 supporters" in body
    assert "Log in to post a need" in body
    assert reverse("labs:need_status", args=[lab.slug, popular.pk]) not in body


def test_the_board_filters_by_category_and_status_and_hides_merged_needs(lab, client, runner):
    youth = NeedFactory(lab=lab, title="Compiti", category="youth")
    care = NeedFactory(lab=lab, title="Badanti", category="care", status=NeedStatus.DISCUSSED)
    merged = NeedFactory(lab=lab, title="Doppione")
    services.need_merge(duplicate=merged, into=youth, actor=runner)

    def titles(query: str) -> set[str]:
        body = client.get(board(lab) + query).content.decode()
        return {n.title for n in (youth, care, merged) if f">{n.title}</a>" in body}

    assert titles("") == {"Compiti", "Badanti"}
    assert titles("?category=youth") == {"Compiti"}
    assert titles("?status=discussed") == {"Badanti"}
    assert titles("?status=merged") == {"Doppione"}


def test_a_planned_labs_board_does_not_exist_for_the_public(client):
    lab = ActiveLabFactory(status=LabStatus.PLANNED)

    assert client.get(board(lab)).status_code == 404


def test_the_runners_see_the_moves_and_the_intervention_button(lab, runner_client):
    need = NeedFactory(lab=lab)

    body = runner_client.get(board(lab)).content.decode()

    assert need_url(need, "need_status") in body
    assert "Move to “discussed”" in body
    assert reverse("labs:intervention_create", args=[lab.slug]) in body


def test_a_query_count_that_does_not_grow_with_needs_and_supports(lab, runner_client, make_user):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert runner_client.get(board(lab)).status_code == 200
        return len(ctx.captured_queries)

    need = NeedFactory(lab=lab)
    InterventionFactory(lab=lab).needs.add(need)
    one = queries()
    people = [make_user() for _ in range(5)]
    for i in range(12):
        other = NeedFactory(lab=lab)
        for person in people[: i % 5 + 1]:
            services.need_vote(need=other, actor=person)
        InterventionFactory(lab=lab).needs.add(other, need)
    services.need_vote(need=need, actor=people[0])

    assert queries() == one
    assert one <= 15


# --- Posting a need -------------------------------------------------------------------------


def test_posting_a_need_takes_you_to_it(lab, citizen_client):
    response = citizen_client.post(board(lab), {"title": "Parco buio", "category": "public_space"})

    need = Need.objects.get()
    assert response.status_code == 302 and response.url == need_url(need)
    assert citizen_client.get(response.url).status_code == 200


def test_a_refused_need_comes_back_with_its_errors(lab, citizen_client):
    response = citizen_client.post(board(lab), {"title": "", "category": "nope"})

    assert response.status_code == 400
    assert "Nothing has been saved" in response.content.decode()
    assert not Need.objects.exists()


def test_a_closed_lab_offers_no_form_and_refuses_a_post(citizen_client):
    lab = ActiveLabFactory(status=LabStatus.CLOSED)

    assert "its board takes no new needs" in citizen_client.get(board(lab)).content.decode()
    response = citizen_client.post(board(lab), {"title": "X", "category": "other"})
    assert response.status_code == 400
    assert not Need.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in_to_post(lab, client):
    response = client.post(board(lab), {"title": "X", "category": "other"})

    assert response.status_code == 302 and "login" in response.url
    assert not Need.objects.exists()


# --- Supporting -----------------------------------------------------------------------------


def test_supporting_with_htmx_answers_with_the_card(lab, citizen_client, citizen):
    need = NeedFactory(lab=lab)

    response = citizen_client.post(need_url(need, "need_vote"), **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith("<article") and f'id="need-{need.pk}"' in body
    assert "1 supporter" in body and "Withdraw my support" in body
    assert NeedVote.objects.filter(need=need, user=citizen).exists()

    response = citizen_client.post(need_url(need, "need_unvote"), **HTMX)
    assert "0 supporters" in response.content.decode()
    assert "I support this need" in response.content.decode()


def test_supporting_without_javascript_comes_back_to_the_board(lab, citizen_client):
    need = NeedFactory(lab=lab)

    response = citizen_client.post(need_url(need, "need_vote"))

    assert response.status_code == 302
    assert response.url == board(lab) + f"#need-{need.pk}"
    need.refresh_from_db()
    assert need.votes_count == 1


def test_a_second_support_is_refused_inline(lab, citizen_client, citizen):
    need = NeedFactory(lab=lab)
    services.need_vote(need=need, actor=citizen)

    htmx = citizen_client.post(need_url(need, "need_vote"), **HTMX)
    plain = citizen_client.post(need_url(need, "need_vote"))

    assert htmx.status_code == 200 and "You already support this need" in htmx.content.decode()
    assert plain.status_code == 400 and "You already support this need" in plain.content.decode()
    need.refresh_from_db()
    assert need.votes_count == 1


# --- The runners' controls ------------------------------------------------------------------


def test_a_runner_moves_a_need_from_its_card(lab, runner_client):
    need = NeedFactory(lab=lab)

    response = runner_client.post(need_url(need, "need_status"), {"to": "discussed"}, **HTMX)

    assert response.status_code == 200
    assert "The need is now “discussed”" in response.content.decode()
    need.refresh_from_db()
    assert need.status == NeedStatus.DISCUSSED


def test_an_invalid_move_is_refused_inline_and_changes_nothing(lab, runner_client):
    need = NeedFactory(lab=lab)

    response = runner_client.post(need_url(need, "need_status"), {"to": "addressed"})

    assert response.status_code == 400
    assert "move it one step at a time" in response.content.decode()
    need.refresh_from_db()
    assert need.status == NeedStatus.NEW


def test_a_citizen_may_not_move_needs(lab, citizen_client):
    need = NeedFactory(lab=lab)

    response = citizen_client.post(need_url(need, "need_status"), {"to": "discussed"})

    assert response.status_code == 403


def test_merging_from_the_need_page(lab, runner_client, make_user):
    duplicate, target = NeedFactory(lab=lab), NeedFactory(lab=lab)
    services.need_vote(need=duplicate, actor=make_user())

    page = runner_client.get(need_url(duplicate)).content.decode()
    assert 'id="merge"' in page
    response = runner_client.post(need_url(duplicate, "need_merge"), {"into": target.pk})

    assert response.status_code == 302 and response.url == need_url(target)
    target.refresh_from_db()
    assert target.votes_count == 1


def test_merging_into_a_need_of_another_lab_is_refused(lab, runner, runner_client):
    duplicate = NeedFactory(lab=lab)
    foreign = NeedFactory(lab=facilitated_lab(runner))

    response = runner_client.post(need_url(duplicate, "need_merge"), {"into": foreign.pk})

    assert response.status_code == 400
    duplicate.refresh_from_db()
    assert duplicate.status == NeedStatus.NEW


def test_passing_a_need_on_needs_the_consent_date(lab, runner_client):
    need = NeedFactory(lab=lab)
    service = OrganisationFactory(ambiti=[lab.ambito])

    refused = runner_client.post(need_url(need, "need_refer"), {"organisation": service.pk})
    assert refused.status_code == 400
    need.refresh_from_db()
    assert need.referred_to is None

    done = runner_client.post(
        need_url(need, "need_refer"),
        {"organisation": service.pk, "consent_given_on": timezone.localdate().isoformat()},
    )
    assert done.status_code == 302
    need.refresh_from_db()
    assert need.referred_to == service


def test_the_public_does_not_see_where_a_need_was_passed(lab, runner, client):
    service = OrganisationFactory(name="Servizio sociale di base", ambiti=[lab.ambito])
    need = services.need_refer(
        need=NeedFactory(lab=lab),
        actor=runner,
        organisation=service,
        consent_given_on=timezone.localdate(),
    )

    assert service.name not in client.get(need_url(need)).content.decode()


# --- Interventions --------------------------------------------------------------------------


def test_a_runner_designs_an_intervention_for_needs_of_the_lab(lab, runner_client):
    need = NeedFactory(lab=lab)
    owner = OrganisationFactory()

    response = runner_client.post(
        reverse("labs:intervention_create", args=[lab.slug]),
        {
            "title": "Doposcuola",
            "owner": owner.pk,
            "plan": "Martedì",
            "status": "designed",
            "needs": [need.pk],
        },
    )

    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == NeedStatus.TAKEN_UP
    assert lab.interventions.get().needs.get() == need


def test_a_need_of_another_lab_cannot_be_linked(lab, runner, runner_client):
    intervention = InterventionFactory(lab=lab)
    foreign = NeedFactory(lab=facilitated_lab(runner))

    response = runner_client.post(
        reverse("labs:intervention_edit", args=[intervention.pk]),
        {
            "title": "X",
            "owner": intervention.owner_id,
            "plan": "Y",
            "status": "running",
            "needs": [foreign.pk],
        },
    )

    assert response.status_code == 400
    intervention.refresh_from_db()
    assert intervention.status == "designed" and not intervention.needs.exists()


# --- Needs passed to a social service -------------------------------------------------------


def test_the_receiving_coordinator_sees_and_takes_in_the_need(lab, runner, client, enable_totp):
    service = OrganisationFactory(ambiti=[lab.ambito])
    coordinator = MembershipFactory(organisation=service, role=Role.COORDINATOR).user
    coordinator.language = "en"  # these tests read English
    coordinator.save(update_fields=["language"])
    need = services.need_refer(
        need=NeedFactory(lab=lab, title="Anziana sola al terzo piano"),
        actor=runner,
        organisation=service,
        consent_given_on=timezone.localdate(),
    )
    enable_totp(coordinator)
    client.force_login(coordinator)

    response = client.get(reverse("labs:referred_needs"))
    page = response.content.decode()
    assert response.status_code == 200 and need.title in page
    assert reverse("beneficiaries:person_create") in page and "community lab" in page

    response = client.post(reverse("labs:need_referral_taken", args=[need.pk]))
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.referral_taken_at is not None
    again = client.post(reverse("labs:need_referral_taken", args=[need.pk]))
    assert again.status_code == 400 and "already been taken in" in again.content.decode()


def test_a_coordinator_of_another_service_sees_nothing(lab, runner, client, enable_totp):
    need = services.need_refer(
        need=NeedFactory(lab=lab),
        actor=runner,
        organisation=OrganisationFactory(),
        consent_given_on=timezone.localdate(),
    )
    other = MembershipFactory(organisation=OrganisationFactory(), role=Role.COORDINATOR).user
    other.language = "en"  # these tests read English
    other.save(update_fields=["language"])
    enable_totp(other)
    client.force_login(other)

    response = client.get(reverse("labs:referred_needs"))
    assert response.status_code == 200
    assert "No need has been passed to your organisation" in response.content.decode()
    assert need.title not in response.content.decode()
    assert client.post(reverse("labs:need_referral_taken", args=[need.pk])).status_code == 404


# --- Front end ------------------------------------------------------------------------------


def test_the_templates_have_no_inline_script_style_or_handlers():
    """The CSP forbids inline scripts and styles: none in the needs templates."""
    root = Path(settings.BASE_DIR) / "templates" / "labs"
    files = [*root.glob("needs_*.html"), *(root / "partials").glob("needs_*.html")]
    assert files
    for path in files:
        text = path.read_text()
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path
        assert not re.search(r"<script(?![^>]*\ssrc=)", text), path
        assert "<style" not in text, path
