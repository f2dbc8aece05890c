"""The pact pages: the list, drafting, the pact page for its case workers and for partner
staff, the editor (in place with htmx, and without JavaScript) and the lifecycle
actions."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from legami.models import AccessEvent
from pacts.models import CommitmentDirection, Goal, Pact, PactStatus, Signatory, SignatoryKind
from pacts.services import ledger as services_ledger
from pacts.services import pacts as services
from pacts.views.pages import url_if_any
from tests.beneficiaries.factories import assign
from tests.pacts.factories import draft_pact, pact_in
from tests.partners.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

S = PactStatus
HTMX = {"HTTP_HX_REQUEST": "true"}


def detail(pact: Pact) -> str:
    return reverse("pacts:pact_detail", args=[pact.public_id])


def edit(pact: Pact, tail: str = "edit/") -> str:
    return f"/pacts/{pact.public_id}/{tail}"


def goal_data(**extra: str) -> dict[str, str]:
    target = timezone.localdate() + dt.timedelta(days=90)
    return {
        "description": "Frequenta il laboratorio",
        "indicator": "Due incontri al mese",
        "target": "2",
        "target_date": target.isoformat(),
        **extra,
    }


@pytest.fixture
def proposed(social_worker, partner_user):
    """A proposed pact whose partner is ``partner_user``'s organisation, with one more
    goal that concerns another organisation."""
    partner = partner_user.memberships.get().organisation
    pact = draft_pact(social_worker, partner=partner)
    services.goal_add(
        pact=pact,
        actor=social_worker,
        description="Obiettivo di un altro ente",
        indicator="Indicatore riservato",
        target_date=timezone.localdate() + dt.timedelta(days=60),
        organisation=OrganisationFactory(name="Altro ente"),
    )
    return services.pact_propose(pact=pact, actor=social_worker)


# --- The pact page -------------------------------------------------------------------------


def test_the_case_worker_reads_the_whole_pact(social_worker_client, proposed):
    response = social_worker_client.get(detail(proposed))
    assert response.status_code == 200
    text = response.content.decode()
    for shown in (
        "Vive solo dopo la vedovanza.",
        "Ex falegname, disponibile ad insegnare.",
        "Obiettivo 1",
        "Obiettivo 2",
        "Obiettivo di un altro ente",
        "Support to the person",
        "Given back by the person",
        "Tutoraggio settimanale",
        "Laboratorio di falegnameria per ragazzi",
        "Timeline",
        "Goals achieved",
        "Sign as case worker",
        "Back to draft",
        "Interrupt the pact",
    ):
        assert shown in text, shown
    # The pages of the pact that exist are linked.
    for name in ("ledger", "placements", "pact_pdf"):
        url = url_if_any(f"pacts:{name}", proposed.public_id)
        if url is not None:
            assert f'href="{url}"' in text, name
    # The move a proposed pact cannot make is not offered.
    assert "Propose the pact for signature" not in text
    assert "Start the pact" not in text


def test_partner_staff_read_only_what_concerns_their_organisation(partner_client, proposed):
    response = partner_client.get(detail(proposed))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Obiettivo 1" in text  # the goal that names the partner
    assert "Tutoraggio settimanale" in text
    for hidden in (
        "Vive solo dopo la vedovanza.",
        "Ex falegname",
        "Obiettivo 2",
        "Obiettivo di un altro ente",
        "Indicatore riservato",
        "Timeline",
        "Hours balance",
        "Sign as case worker",
    ):
        assert hidden not in text, hidden
    assert "Sign for" in text
    assert 'action="/pacts/' in text and "/sign/" in text


def test_partner_staff_sign_for_their_organisation(partner_client, partner_user, proposed):
    signatory = proposed.signatories.get(kind=SignatoryKind.ORGANISATION)
    response = partner_client.post(edit(proposed, f"sign/{signatory.pk}/"))
    assert response.status_code == 302
    assert response.url == detail(proposed)
    signatory.refresh_from_db()
    assert signatory.signed_by == partner_user


def test_partner_staff_may_not_sign_for_the_person(partner_client, proposed):
    signatory = proposed.signatories.get(kind=SignatoryKind.BENEFICIARY)
    response = partner_client.post(edit(proposed, f"sign/{signatory.pk}/"))
    assert response.status_code == 403
    signatory.refresh_from_db()
    assert signatory.signed_at is None


def test_the_worker_records_the_persons_signature_and_signs(social_worker_client, proposed):
    person = proposed.signatories.get(kind=SignatoryKind.BENEFICIARY)
    worker = proposed.signatories.get(kind=SignatoryKind.CASE_WORKER)
    page = social_worker_client.get(detail(proposed)).content.decode()
    assert "Record the signature of" in page
    social_worker_client.post(edit(proposed, f"sign/{person.pk}/"))
    social_worker_client.post(edit(proposed, f"sign/{worker.pk}/"))
    person.refresh_from_db()
    worker.refresh_from_db()
    assert person.signed and person.on_paper
    assert worker.signed and not worker.on_paper


def test_a_page_of_a_pact_writes_the_read_of_the_persons_file(social_worker_client, proposed):
    social_worker_client.get(detail(proposed))
    event = AccessEvent.objects.get(purpose="pact page")
    assert event.target_type == "beneficiaries.person"
    assert event.target_id == str(proposed.person_id)


def test_partner_staff_reading_the_pact_is_logged_too(partner_client, partner_user, proposed):
    partner_client.get(detail(proposed))
    assert AccessEvent.objects.filter(purpose="pact page", actor=partner_user).count() == 1


def test_the_timeline_shows_the_history_newest_first(social_worker, social_worker_client):
    pact = draft_pact(social_worker)
    goal = pact.goals.first()
    services.goal_remove(goal=goal, actor=social_worker)
    services.pact_propose(pact=pact, actor=social_worker)
    text = social_worker_client.get(detail(pact)).content.decode()
    timeline = text[text.index('id="timeline-title"') :]
    moved = timeline.index("status changed to proposed")
    removed = timeline.index("goal removed")
    drafted = timeline.index("pact drafted")
    assert moved < removed < drafted
    assert social_worker.email in timeline
    # A removed goal keeps its history: added, then removed.
    assert timeline.count("«Obiettivo 1»") == 2


def test_links_to_pages_not_there_yet_are_left_out():
    assert url_if_any("pacts:no_such_page", "x") is None
    assert url_if_any("pacts:pact_list") == "/pacts/"


def test_an_unassigned_social_worker_is_told_the_pact_does_not_exist(
    make_user, enable_totp, proposed
):
    from legami.roles import Role
    from tests.permissions import client_for

    other = make_user("altro@example.org", role=Role.OPERATOR)
    enable_totp(other)
    response = client_for(other).get(detail(proposed))
    assert response.status_code == 404


# --- The list ------------------------------------------------------------------------------


def test_the_list_shows_the_next_review_with_its_badge(
    social_worker, social_worker_client, partner_user
):
    overdue = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    Pact.objects.filter(pk=overdue.pk).update(
        next_review_on=timezone.localdate() - dt.timedelta(days=3), title="In ritardo"
    )
    soon = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    Pact.objects.filter(pk=soon.pk).update(
        next_review_on=timezone.localdate() + dt.timedelta(days=2), title="A breve"
    )
    client = social_worker_client

    text = client.get("/pacts/").content.decode()
    assert "In ritardo" in text and "A breve" in text
    assert text.count(">overdue<") == 1
    assert text.count(">due soon<") == 1

    text = client.get("/pacts/?due=overdue").content.decode()
    assert "In ritardo" in text and "A breve" not in text
    text = client.get("/pacts/?status=draft").content.decode()
    assert "In ritardo" not in text and "0 pacts" in text


def test_the_list_writes_the_persons_listed_to_the_access_log(social_worker, social_worker_client):
    pact = draft_pact(social_worker)
    social_worker_client.get("/pacts/")
    event = AccessEvent.objects.get(purpose="pact list")
    assert event.action == "list" and event.target_id == str(pact.person_id)


@pytest.mark.parametrize("count", [1, 8])
def test_the_list_needs_the_same_queries_for_one_or_many_pacts(
    count, social_worker, social_worker_client, django_assert_max_num_queries
):
    for _ in range(count):
        draft_pact(social_worker)
    with django_assert_max_num_queries(10):
        response = social_worker_client.get("/pacts/?mine=on")
    assert response.status_code == 200
    assert response.content.decode().count("Patto di prova") == count


@pytest.mark.parametrize("goals", [1, 12])
def test_the_pact_page_needs_the_same_queries_for_few_or_many_goals(
    goals, social_worker, social_worker_client, django_assert_max_num_queries
):
    pact = draft_pact(social_worker, goals=goals)
    for n in range(goals):
        services.commitment_add(
            pact=pact,
            actor=social_worker,
            direction=CommitmentDirection.PROVIDES,
            kind="service",
            description=f"Servizio {n}",
            quantity=Decimal(1),
            unit="hours",
            period="week",
            owner="Vicina di casa",
        )
    pact = services.pact_propose(pact=pact, actor=social_worker)
    with django_assert_max_num_queries(25):
        response = social_worker_client.get(detail(pact))
    assert response.status_code == 200
    assert response.content.decode().count("Obiettivo ") >= goals
    with django_assert_max_num_queries(15):
        assert social_worker_client.get(edit(pact)).status_code == 200


def test_the_partner_page_needs_a_bounded_number_of_queries(
    partner_client, proposed, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        assert partner_client.get(detail(proposed)).status_code == 200


# --- Drafting ------------------------------------------------------------------------------


def test_a_worker_drafts_a_pact_for_their_case(social_worker, social_worker_client):
    case = assign(social_worker)
    assert social_worker_client.get(f"/pacts/new/{case.pk}/").status_code == 200
    response = social_worker_client.post(
        f"/pacts/new/{case.pk}/", {"title": "Ripartire", "review_every_weeks": "6"}
    )
    pact = Pact.objects.get(case=case)
    assert response.status_code == 302
    assert response.url == edit(pact)
    assert (pact.title, pact.status, pact.review_every_weeks) == ("Ripartire", S.DRAFT, 6)


def test_a_draft_without_a_title_is_refused(social_worker, social_worker_client):
    case = assign(social_worker)
    response = social_worker_client.post(f"/pacts/new/{case.pk}/", {"review_every_weeks": "8"})
    assert response.status_code == 400
    assert 'id="pact-title_error"' in response.content.decode()
    assert not Pact.objects.filter(case=case).exists()


def test_a_case_the_worker_does_not_follow_is_not_found(social_worker_client, make_user):
    from legami.roles import Role

    case = assign(make_user("altra@example.org", role=Role.OPERATOR))
    assert social_worker_client.get(f"/pacts/new/{case.pk}/").status_code == 404


# --- The editor ----------------------------------------------------------------------------


def test_the_editor_shows_the_pact_and_its_sections(social_worker, social_worker_client):
    pact = draft_pact(social_worker)
    response = social_worker_client.get(edit(pact))
    text = response.content.decode()
    assert response.status_code == 200
    for shown in (
        'id="goals"',
        'id="commitments"',
        'id="signatories"',
        "Add a goal",
        "Obiettivo 1",
    ):
        assert shown in text
    assert 'hx-post="/pacts/' in text
    assert AccessEvent.objects.filter(purpose="pact editor").count() == 1


def test_a_goal_added_with_htmx_comes_back_as_the_goals_section(
    social_worker, social_worker_client
):
    pact = draft_pact(social_worker)
    response = social_worker_client.post(edit(pact, "goals/add/"), goal_data(), **HTMX)
    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith('<section id="goals"')
    assert "<html" not in text
    assert "Frequenta il laboratorio" in text
    assert "The goal has been added." in text
    assert pact.goals.count() == 3


def test_a_goal_removed_with_htmx_comes_back_as_the_goals_section(
    social_worker, social_worker_client
):
    pact = draft_pact(social_worker)
    goal = pact.goals.get(description="Obiettivo 2")
    response = social_worker_client.post(edit(pact, f"goals/{goal.pk}/remove/"), **HTMX)
    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith('<section id="goals"')
    assert "Obiettivo 2" not in text
    assert not Goal.objects.filter(pk=goal.pk).exists()


def test_without_javascript_a_goal_is_added_and_the_editor_comes_back(
    social_worker, social_worker_client
):
    pact = draft_pact(social_worker)
    response = social_worker_client.post(edit(pact, "goals/add/"), goal_data())
    assert response.status_code == 302
    assert response.url == edit(pact) + "#goals"
    assert pact.goals.count() == 3


def test_an_incomplete_goal_shows_its_error_inline_and_changes_nothing(
    social_worker, social_worker_client
):
    pact = draft_pact(social_worker)
    response = social_worker_client.post(edit(pact, "goals/add/"), goal_data(indicator=""))
    text = response.content.decode()
    assert response.status_code == 400
    field = re.search(r'<input[^>]*id="goal-indicator"[^>]*>', text)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert "is-invalid" in field.group(0)
    assert "goal-indicator_error" in field.group(0)  # aria-describedby
    assert '<div class="invalid-feedback d-block" id="goal-indicator_error">' in text
    assert "data-error-summary" in text
    # What was typed is kept.
    assert 'value="Frequenta il laboratorio"' in text
    assert pact.goals.count() == 2


def test_an_incomplete_goal_sent_with_htmx_comes_back_in_its_section(
    social_worker, social_worker_client
):
    pact = draft_pact(social_worker)
    response = social_worker_client.post(
        edit(pact, "goals/add/"), goal_data(target_date=""), **HTMX
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith('<section id="goals"')
    assert 'id="goal-target_date_error"' in text
    assert pact.goals.count() == 2


def test_the_services_refusal_goes_under_the_field_it_names(social_worker, social_worker_client):
    pact = draft_pact(social_worker)
    services.pact_update(
        pact=pact, actor=social_worker, start_date=timezone.localdate() + dt.timedelta(days=30)
    )
    early = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = social_worker_client.post(edit(pact, "goals/add/"), goal_data(target_date=early))
    text = response.content.decode()
    assert response.status_code == 400
    error = text[text.index('id="goal-target_date_error"') :][:300]
    assert "The target date comes before the pact starts." in error
    assert pact.goals.count() == 2


def test_commitments_and_signatories_are_added_and_removed(social_worker, social_worker_client):
    pact = draft_pact(social_worker)
    response = social_worker_client.post(
        edit(pact, "commitments/add/"),
        {
            "direction": "gives_back",
            "kind": "peer_support",
            "description": "Aiuta un vicino con la spesa",
            "quantity": "1",
            "unit": "hours",
            "period": "week",
            "owner": "Condominio di via Verdi",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "Aiuta un vicino con la spesa" in response.content.decode()
    commitment = pact.commitments.get(description="Aiuta un vicino con la spesa")
    response = social_worker_client.post(
        edit(pact, "signatories/add/"), {"kind": "community", "name": "Parrocchia San Luca"}, **HTMX
    )
    assert "Parrocchia San Luca" in response.content.decode()
    signatory = pact.signatories.get(name="Parrocchia San Luca")

    social_worker_client.post(edit(pact, f"commitments/{commitment.pk}/remove/"), **HTMX)
    social_worker_client.post(edit(pact, f"signatories/{signatory.pk}/remove/"))
    assert not pact.commitments.filter(pk=commitment.pk).exists()
    assert not pact.signatories.filter(pk=signatory.pk).exists()


def test_a_commitment_whose_kind_does_not_fit_is_refused_under_the_kind(
    social_worker, social_worker_client
):
    pact = draft_pact(social_worker)
    response = social_worker_client.post(
        edit(pact, "commitments/add/"),
        {
            "direction": "gives_back",
            "kind": "economic",
            "description": "Contributo",
            "quantity": "1",
            "unit": "euros",
            "period": "once",
            "owner": "Comune",
        },
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "This kind of commitment does not fit its direction." in text
    assert 'id="commitment-kind_error"' in text
    assert pact.commitments.count() == 2


def test_the_person_and_the_case_worker_cannot_be_removed(social_worker, social_worker_client):
    pact = draft_pact(social_worker)
    person = pact.signatories.get(kind=SignatoryKind.BENEFICIARY)
    response = social_worker_client.post(edit(pact, f"signatories/{person.pk}/remove/"), **HTMX)
    assert response.status_code == 200
    assert "The person and the case worker sign every pact." in response.content.decode()
    assert Signatory.objects.filter(pk=person.pk).exists()


def test_a_proposed_pact_cannot_be_changed_and_says_so(social_worker_client, proposed):
    page = social_worker_client.get(edit(proposed)).content.decode()
    assert "only a draft can be changed" in page
    assert "Add a goal" not in page
    response = social_worker_client.post(edit(proposed, "goals/add/"), goal_data())
    assert response.status_code == 400
    assert "Only a draft can be changed" in response.content.decode()
    assert proposed.goals.count() == 3


def test_the_pact_itself_is_saved_from_the_editor(social_worker, social_worker_client):
    pact = draft_pact(social_worker)
    response = social_worker_client.post(
        edit(pact),
        {"title": "Nuovo titolo", "context": "Altro contesto", "review_every_weeks": "4"},
    )
    assert response.status_code == 302
    pact.refresh_from_db()
    assert (pact.title, pact.context, pact.review_every_weeks) == (
        "Nuovo titolo",
        "Altro contesto",
        4,
    )


def test_an_end_before_the_start_is_refused_under_the_end(social_worker, social_worker_client):
    pact = draft_pact(social_worker)
    response = social_worker_client.post(
        edit(pact),
        {
            "title": "Patto",
            "start_date": "2026-05-01",
            "end_date": "2026-04-01",
            "review_every_weeks": "8",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert (
        "The planned end comes before the start." in text[text.index('id="pact-end_date_error"') :]
    )
    pact.refresh_from_db()
    assert pact.title == "Patto di prova"


def test_a_running_pact_may_change_its_review_schedule(
    social_worker, social_worker_client, partner_user
):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    data = {
        "title": pact.title,
        "context": pact.context,
        "strengths": pact.strengths,
        "start_date": pact.start_date.isoformat(),
        "review_every_weeks": "4",
    }
    response = social_worker_client.post(edit(pact), data)
    assert response.status_code == 302
    pact.refresh_from_db()
    assert pact.review_every_weeks == 4


def test_partner_staff_do_not_reach_the_editor(partner_client, proposed):
    assert partner_client.get(edit(proposed)).status_code == 403


# --- Actions -------------------------------------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def test_an_incomplete_draft_is_not_proposed_and_the_page_says_why(
    social_worker, social_worker_client
):
    case = assign(social_worker)
    pact = services.pact_create(case=case, actor=social_worker, title="Vuoto")
    response = social_worker_client.post(edit(pact, "propose/"), follow=True)
    assert "Add at least one goal." in response.content.decode()
    pact.refresh_from_db()
    assert pact.status == S.DRAFT


def test_a_complete_draft_is_proposed(social_worker, social_worker_client):
    pact = draft_pact(social_worker)
    response = social_worker_client.post(edit(pact, "propose/"))
    assert response.status_code == 302 and response.url == detail(pact)
    pact.refresh_from_db()
    assert pact.status == S.PROPOSED


def test_back_to_draft_clears_the_signatures(social_worker_client, proposed):
    worker = proposed.signatories.get(kind=SignatoryKind.CASE_WORKER)
    social_worker_client.post(edit(proposed, f"sign/{worker.pk}/"))
    social_worker_client.post(edit(proposed, "back-to-draft/"))
    proposed.refresh_from_db()
    worker.refresh_from_db()
    assert proposed.status == S.DRAFT and worker.signed_at is None


def test_interrupting_needs_a_reason(social_worker_client, proposed):
    response = social_worker_client.post(edit(proposed, "interrupt/"), {"reason": ""})
    assert response.status_code == 302
    assert messages_of(response) == ["Give the reason for interrupting the pact."]
    proposed.refresh_from_db()
    assert proposed.status == S.PROPOSED
    social_worker_client.post(edit(proposed, "interrupt/"), {"reason": "Trasferita a Milano"})
    proposed.refresh_from_db()
    assert (proposed.status, proposed.interruption_reason) == (S.INTERRUPTED, "Trasferita a Milano")


def test_a_signed_pact_starts(social_worker, social_worker_client, partner_user):
    pact = pact_in(S.SIGNED, worker=social_worker, partner_signer=partner_user)
    social_worker_client.post(edit(pact, "start/"))
    pact.refresh_from_db()
    assert pact.status == S.ACTIVE and pact.next_review_on is not None


def test_a_move_the_state_machine_refuses_changes_nothing(social_worker, social_worker_client):
    pact = draft_pact(social_worker)
    response = social_worker_client.post(edit(pact, "start/"))
    assert response.status_code == 302
    assert messages_of(response) == ["A pact cannot move from draft to active."]
    pact.refresh_from_db()
    assert pact.status == S.DRAFT


def test_a_completed_pact_is_renewed_into_a_new_draft(
    social_worker, social_worker_client, partner_user
):
    pact = pact_in(S.COMPLETED, worker=social_worker, partner_signer=partner_user)
    assert "Renew the pact" in social_worker_client.get(detail(pact)).content.decode()
    response = social_worker_client.post(edit(pact, "renew/"))
    new = Pact.objects.get(renewal_of=pact)
    assert response.status_code == 302 and response.url == edit(new)
    assert new.status == S.DRAFT
    assert "Renew the pact" not in social_worker_client.get(detail(pact)).content.decode()
    response = social_worker_client.post(edit(pact, "renew/"))
    assert messages_of(response) == ["This pact has already been renewed."]


def test_signing_twice_is_refused_with_a_message(social_worker_client, proposed):
    worker = proposed.signatories.get(kind=SignatoryKind.CASE_WORKER)
    social_worker_client.post(edit(proposed, f"sign/{worker.pk}/"))
    signed_at = proposed.signatories.get(pk=worker.pk).signed_at
    response = social_worker_client.post(edit(proposed, f"sign/{worker.pk}/"))
    assert response.status_code == 302
    assert messages_of(response)[-1] == "This signature has already been given."
    worker.refresh_from_db()
    assert worker.signed_at == signed_at


# --- The pacts tab of the person page ------------------------------------------------------


def test_the_person_pacts_fragment_lists_pacts_and_offers_a_new_one(rf, social_worker):
    from django.template.loader import render_to_string

    from pacts import selectors

    pact = draft_pact(social_worker)
    html = render_to_string(
        "pacts/partials/person_pacts.html",
        {
            "person": pact.person,
            "person_pacts": selectors.pacts_of_person(user=social_worker, person=pact.person),
            "open_cases": [pact.case],
        },
    )
    assert "Patto di prova" in html
    assert detail(pact) in html
    assert f"/pacts/new/{pact.case_id}/" in html


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (PactStatus.PROPOSED, True),
        (PactStatus.SIGNED, True),
        (PactStatus.COMPLETED, True),  # renewal
        (PactStatus.INTERRUPTED, False),
    ],
)
def test_the_move_on_box_appears_only_with_a_move_to_offer(
    social_worker, partner_user, social_worker_client, status, offered
):
    """A pact that is over and cannot be renewed shows no empty "move the pact on" box."""
    pact = pact_in(status, worker=social_worker, partner_signer=partner_user)
    page = social_worker_client.get(detail(pact)).content.decode()
    assert ('id="actions-title"' in page) is offered


def test_partner_staff_reach_the_hours_of_a_running_pact(
    partner_client, social_worker, partner_user
):
    """The partner page links to the ledger, where partner staff record their hours."""
    pact = pact_in(PactStatus.ACTIVE, worker=social_worker, partner_signer=partner_user)
    page = partner_client.get(detail(pact)).content.decode()
    assert reverse("pacts:ledger", args=[pact.public_id]) in page
    assert partner_client.get(reverse("pacts:ledger", args=[pact.public_id])).status_code == 200


def test_the_person_page_has_a_pacts_tab(social_worker, partner_user, social_worker_client):
    """The case file's pacts tab lists the person's pacts with their status, the hours
    they gave back, and offers a new pact on the open case the worker follows."""
    pact = pact_in(PactStatus.ACTIVE, worker=social_worker, partner_signer=partner_user)
    services_ledger.hours_record(
        pact=pact,
        actor=social_worker,
        hours="4",
        date=timezone.localdate(),
        direction=CommitmentDirection.GIVES_BACK,
        organisation=pact.signatories.get(kind=SignatoryKind.ORGANISATION).organisation,
    )
    page = social_worker_client.get(f"/cases/p/{pact.person.public_id}/?tab=pacts").content.decode()
    assert 'id="pacts-tab"' in page
    assert pact.title in page
    assert reverse("pacts:pact_detail", args=[pact.public_id]) in page
    assert reverse("pacts:pact_create", args=[pact.case_id]) in page
    assert "4.00" in page
