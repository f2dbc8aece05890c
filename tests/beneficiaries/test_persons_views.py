"""The case list, the new-file page, the person page and its summary: filters, search
by POST only, logged reads, bounded queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from beneficiaries.models import (
    CaseStage,
    Consent,
    HouseholdMember,
    Person,
    Referral,
    VulnerabilityArea,
)
from legami.models import AccessEvent
from tests.beneficiaries.factories import (
    AssessmentFactory,
    ConsentFactory,
    DiaryNoteFactory,
    HouseholdMemberFactory,
    PersonAreaFactory,
    PersonFactory,
    assign,
)
from tests.legami.factories import AmbitoFactory, ComuneFactory

pytestmark = pytest.mark.django_db

LIST = "/cases/"


def _names(response) -> set[str]:
    return {p.last_name for p in response.context["page"].object_list}


def test_a_worker_lists_only_the_files_of_their_cases(
    social_worker, social_worker_client, make_user
):
    mine = assign(social_worker)
    other = assign(make_user("other@example.org", role="coordinator"))
    response = social_worker_client.get(LIST)
    assert response.status_code == 200
    assert _names(response) == {mine.person.last_name}
    assert other.person.last_name not in response.content.decode()


def test_the_list_filters_by_ambito_comune_area_stage_and_risk(social_worker, social_worker_client):
    ambito = AmbitoFactory()
    comune = ComuneFactory()
    a = assign(social_worker, ambito=ambito, stage=CaseStage.PACT)
    b = assign(social_worker, person=PersonFactory(residence_comune=comune))
    c = assign(social_worker)
    PersonAreaFactory(person=c.person, area=VulnerabilityArea.POVERTY)
    AssessmentFactory(person=b.person, at_risk=True, date=dt.date(2024, 1, 1))
    AssessmentFactory(person=a.person, at_risk=True, date=dt.date(2024, 1, 1))
    AssessmentFactory(person=a.person, at_risk=False, total=20, date=dt.date(2025, 1, 1))
    cases = {
        f"ambito={ambito.pk}": a,
        f"comune={comune.pk}": b,
        "area=poverta": c,
        "stage=pact": a,
        "at_risk=on": b,  # a's latest assessment is no longer at risk
        f"worker={social_worker.pk}": None,
    }
    for query, expected in cases.items():
        response = social_worker_client.get(f"{LIST}?{query}")
        want = (
            {x.person.last_name for x in (a, b, c)}
            if expected is None
            else {expected.person.last_name}
        )
        assert _names(response) == want, query


def test_search_is_posted_and_never_in_an_address(social_worker, social_worker_client):
    wanted = assign(social_worker, person=PersonFactory(first_name="Zaira", last_name="Quaglia"))
    assign(social_worker)
    response = social_worker_client.post(
        LIST + "?stage=assessment", {"q": "quaglia zaira"}, follow=True
    )
    assert response.status_code == 200
    assert _names(response) == {wanted.person.last_name}
    for url, _status in response.redirect_chain:
        assert "quaglia" not in url.lower() and "zaira" not in url.lower()
    assert "stage=assessment" in response.redirect_chain[-1][0]
    assert "quaglia" not in response.request["PATH_INFO"].lower()
    assert "quaglia" not in response.request.get("QUERY_STRING", "").lower()
    # Every link on the page (pagination, filters) is free of the term too.
    assert "q=quaglia" not in response.content.decode().lower()
    # Clearing the search shows everything again.
    response = social_worker_client.post(LIST, {"q": "", "clear": "1"}, follow=True)
    assert len(_names(response)) == 2


def test_search_by_codice_fiscale(social_worker, social_worker_client):
    cf = "RSSMRA50B41D150G"
    wanted = assign(
        social_worker, person=PersonFactory(codice_fiscale=cf, no_codice_fiscale_reason="")
    )
    assign(social_worker)
    response = social_worker_client.post(LIST, {"q": cf.lower()}, follow=True)
    assert _names(response) == {wanted.person.last_name}


def test_each_person_listed_is_logged(social_worker, social_worker_client):
    cases = [assign(social_worker) for _ in range(3)]
    social_worker_client.get(LIST)
    events = AccessEvent.objects.filter(action="list", target_type="beneficiaries.person")
    assert sorted(int(e.target_id) for e in events) == sorted(c.person.pk for c in cases)
    assert {e.actor_id for e in events} == {social_worker.pk}


def _populate(worker, n):
    for _ in range(n):
        case = assign(worker)
        PersonAreaFactory(person=case.person)
        AssessmentFactory(person=case.person)


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_runs_a_bounded_number_of_queries(
    social_worker, social_worker_client, django_assert_max_num_queries, n
):
    _populate(social_worker, n)
    social_worker_client.get(LIST)  # warm the session
    with django_assert_max_num_queries(14):
        response = social_worker_client.get(LIST)
    assert response.status_code == 200


def _file(worker, n=3):
    case = assign(worker)
    for _ in range(n):
        DiaryNoteFactory(case=case, author=worker)
        HouseholdMemberFactory(person=case.person)
        ConsentFactory(person=case.person, kind="share_partners") if _ == 0 else None
        PersonAreaFactory(person=case.person, area=VulnerabilityArea.values[_])
    return case


@pytest.mark.parametrize("n", [1, 6])
def test_the_person_page_runs_a_bounded_number_of_queries(
    social_worker, social_worker_client, django_assert_max_num_queries, n
):
    case = _file(social_worker, n)
    url = f"/cases/p/{case.person.public_id}/"
    social_worker_client.get(url)
    # 24 for the file, 3 for the pacts tab (the person's pacts, their balance, the cases
    # on which the user may draft one).
    with django_assert_max_num_queries(27):
        response = social_worker_client.get(url)
    assert response.status_code == 200
    with django_assert_max_num_queries(16):
        assert social_worker_client.get(url + "summary/").status_code == 200


def test_the_person_page_and_summary_are_logged(social_worker, social_worker_client):
    case = _file(social_worker)
    social_worker_client.get(f"/cases/p/{case.person.public_id}/")
    social_worker_client.get(f"/cases/p/{case.person.public_id}/summary/")
    events = AccessEvent.objects.filter(action="view", target_id=str(case.person.pk))
    assert events.count() == 2
    assert all(e.subject_user_id is None for e in events)


def test_a_file_of_another_worker_is_not_found(social_worker_client, make_user):
    other = assign(make_user("other@example.org", role="coordinator"))
    response = social_worker_client.get(f"/cases/p/{other.person.public_id}/")
    assert response.status_code == 404
    assert not AccessEvent.objects.filter(action="view").exists()


def _new_person(**extra):
    ambito = AmbitoFactory()
    return {
        "first_name": "Maria",
        "last_name": "Rossi",
        "birth_date": "1950-02-01",
        "no_codice_fiscale_reason": "not_known",
        "ambito": ambito.pk,
        **extra,
    }


def test_a_new_file_with_a_possible_duplicate_shows_it_in_outline_and_asks(
    social_worker, social_worker_client, make_user
):
    organisation = social_worker.memberships.get().organisation
    hidden = assign(
        make_user("other@example.org", role="coordinator"),
        person=PersonFactory(first_name="Maria", last_name="Rossi", birth_date=dt.date(1950, 2, 1)),
    )
    data = _new_person(organisation=organisation.pk)
    response = social_worker_client.post("/cases/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "M. R." in page
    assert hidden.organisation.name in page
    assert str(hidden.person.public_id) not in page  # no link to a file they may not read
    assert Person.objects.count() == 1
    response = social_worker_client.post("/cases/new/", {**data, "confirm_different": "1"})
    assert response.status_code == 302
    created = Person.objects.exclude(pk=hidden.person.pk).get()
    assert response["Location"] == f"/cases/p/{created.public_id}/"
    assert created.cases.get().assignments.get().worker == social_worker


def test_a_new_file_with_a_wrong_codice_fiscale_shows_the_error(
    social_worker, social_worker_client
):
    organisation = social_worker.memberships.get().organisation
    response = social_worker_client.post(
        "/cases/new/",
        _new_person(organisation=organisation.pk, codice_fiscale="RSSMRA50B41D150A"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["codice_fiscale"]
    assert not Person.objects.exists()


def test_consent_withdrawal_from_the_page(social_worker, social_worker_client):
    case = assign(social_worker)
    consent = ConsentFactory(person=case.person)
    url = reverse("beneficiaries:consent_withdraw", args=[case.person.public_id, consent.pk])
    response = social_worker_client.post(url)
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on is not None
    assert Consent.objects.filter(person=case.person, withdrawn_on__isnull=True).count() == 0


def test_an_invalid_stage_change_from_the_page_changes_nothing(social_worker, social_worker_client):
    """The service's refusal comes back in the stage form of that case, tab open."""
    case = assign(social_worker, stage=CaseStage.INTAKE)
    url = reverse("beneficiaries:case_stage", args=[case.person.public_id, case.pk])
    response = social_worker_client.post(url, {"to_stage": "monitoring"})
    case.refresh_from_db()
    assert case.stage == CaseStage.INTAKE
    assert response.status_code == 400
    assert response.context["active_tab"] == "anagrafica"
    refusal = response.context["stage_forms"][case.pk].non_field_errors()
    assert any("cannot move" in str(m) for m in refusal)
    summary = _error_summary(response.content.decode())
    assert "cannot move" in summary


def _error_summary(html: str) -> str:
    found = re.search(r"<div[^>]*data-error-summary[^>]*>.*?</div>", html, re.S)
    assert found, "no error summary in the page"
    return found.group(0)


def _field_and_error(html: str, field_id: str) -> tuple[str, str]:
    """The tag of the field with ``field_id`` and the error block right after it."""
    found = re.search(
        rf'(<(?:input|select|textarea)[^>]*\bid="{field_id}"[^>]*>(?:.*?</(?:select|textarea)>)?)'
        rf'\s*(<div class="invalid-feedback[^"]*" id="{field_id}_error">.*?</div>)',
        html,
        re.S,
    )
    assert found, f"no error right after the field {field_id}"
    return found.group(1), found.group(2)


def test_an_incomplete_form_comes_back_in_its_tab_with_the_errors_under_the_fields(
    social_worker, social_worker_client, django_assert_max_num_queries
):
    """A member without a first name and born in 1850 is not added: the household tab
    comes back open with what was typed, each error under its field and in a summary."""
    case = assign(social_worker)
    url = reverse("beneficiaries:household_add", args=[case.person.public_id])
    typed = {"relation": "child", "last_name": "Bianchi", "birth_year": "1850"}

    # When the worker sends the incomplete form
    with django_assert_max_num_queries(60):
        response = social_worker_client.post(url, typed)

    # Then nothing is saved and the page comes back, with the household tab open
    assert response.status_code == 400
    assert not HouseholdMember.objects.exists()
    assert response.context["active_tab"] == "household"
    assert not list(response.context["messages"])
    html = response.content.decode()
    assert 'aria-controls="household" aria-selected="true"' in html
    # and each error under its field, which says it is in error
    form = response.context["household_form"]
    for name in ("first_name", "birth_year"):
        field, error = _field_and_error(html, f"household-{name}")
        assert 'aria-invalid="true"' in field
        assert "is-invalid" in field
        assert f'aria-describedby="household-{name}_error"' in field
        assert str(form.errors[name][0]) in error
    # and what was typed is still there
    assert re.search(r'<input[^>]*value="Bianchi"[^>]*id="household-last_name"', html) or re.search(
        r'<input[^>]*id="household-last_name"[^>]*value="Bianchi"', html
    )
    assert re.search(r'<input[^>]*value="1850"[^>]*id="household-birth_year"', html) or re.search(
        r'<input[^>]*id="household-birth_year"[^>]*value="1850"', html
    )
    # and the summary at the top of the form links to the fields
    summary = _error_summary(html)
    assert 'href="#household-first_name"' in summary
    assert 'href="#household-birth_year"' in summary
    # and no id is repeated in the page
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_a_refusal_of_the_service_shows_under_the_field_it_names(
    social_worker, social_worker_client
):
    """A referral whose consent date is in the future is refused by the service: the
    error is under the consent date of that case's referral form."""
    from tests.partners.factories import OrganisationFactory

    case = assign(social_worker)
    url = reverse("beneficiaries:referral_request", args=[case.person.public_id, case.pk])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = social_worker_client.post(
        url,
        {
            "to_organisation": OrganisationFactory().pk,
            "reason": "Serve un alloggio.",
            "consent_given_on": tomorrow.isoformat(),
        },
    )
    assert response.status_code == 400
    assert not Referral.objects.exists()
    assert response.context["active_tab"] == "referrals"
    html = response.content.decode()
    field, error = _field_and_error(html, f"referral-c{case.pk}-consent_given_on")
    assert "is-invalid" in field and 'aria-invalid="true"' in field
    assert "in the future" in error
    assert "Serve un alloggio." in html
    assert f'href="#referral-c{case.pk}-consent_given_on"' in _error_summary(html)


def test_a_valid_form_still_goes_back_to_its_tab_by_a_redirect(social_worker, social_worker_client):
    case = assign(social_worker)
    url = reverse("beneficiaries:household_add", args=[case.person.public_id])
    response = social_worker_client.post(url, {"relation": "child", "first_name": "Luca"})
    assert response.status_code == 302
    assert response["Location"] == f"/cases/p/{case.person.public_id}/?tab=household#household"
    assert HouseholdMember.objects.get().first_name == "Luca"


def test_a_refused_form_costs_the_same_for_one_case_or_four(
    make_user, coordinator, coordinator_client, django_assert_max_num_queries
):
    """The page that comes back with a refused form reads the file in a bounded number
    of queries, whatever the number of cases."""
    from tests.beneficiaries.factories import CaseAssignmentFactory, CaseFactory
    from tests.partners.factories import OrganisationFactory

    ambito = AmbitoFactory()
    coordinator.memberships.get().organisation.ambiti.add(ambito)
    person = PersonFactory()

    def add_case():
        service = OrganisationFactory()
        worker = make_user(role=None)
        worker.memberships.create(organisation=service, role="operator", start_date="2024-01-01")
        case = CaseFactory(person=person, organisation=service, ambito=ambito, stage="intake")
        CaseAssignmentFactory(case=case, worker=worker)
        return case

    first = add_case()
    url = reverse("beneficiaries:case_stage", args=[person.public_id, first.pk])
    with django_assert_max_num_queries(60) as one:
        assert coordinator_client.post(url, {"to_stage": "monitoring"}).status_code == 400
    for _ in range(3):
        add_case()
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = coordinator_client.post(url, {"to_stage": "monitoring"})
    assert response.status_code == 400
    assert len(response.context["stage_forms"]) == 4
    first.refresh_from_db()
    assert first.stage == CaseStage.INTAKE


def test_a_form_goes_back_to_its_tab_and_the_page_loads_the_ecomap(
    social_worker, social_worker_client
):
    case = assign(social_worker)
    url = reverse("beneficiaries:diary_add", args=[case.person.public_id, case.pk])
    response = social_worker_client.post(
        url, {"category": "phone", "text": "Telefonata con la figlia.", "confidential": "on"}
    )
    assert response["Location"] == f"/cases/p/{case.person.public_id}/?tab=diary#diary"
    note = case.notes.get()
    assert note.confidential and note.author == social_worker
    page = social_worker_client.get(response["Location"])
    assert page.context["active_tab"] == "diary"
    html = page.content.decode()
    assert 'aria-controls="diary" aria-selected="true"' in html
    assert f'hx-get="/cases/p/{case.person.public_id}/ecomap/"' in html
    assert f'hx-get="/cases/p/{case.person.public_id}/assessments/"' in html


def test_the_person_page_costs_the_same_for_one_case_or_four(
    make_user, coordinator, coordinator_client, django_assert_max_num_queries
):
    """Cases of the person (each with its assignment form and its history) do not add
    queries: the workers of every service and the whole file's history are read once."""
    from legami.audit import audit_change
    from tests.beneficiaries.factories import CaseAssignmentFactory, CaseFactory
    from tests.legami.factories import AmbitoFactory
    from tests.partners.factories import OrganisationFactory

    ambito = AmbitoFactory()
    coordinator.memberships.get().organisation.ambiti.add(ambito)
    person = PersonFactory()

    def add_case():
        service = OrganisationFactory()
        worker = make_user(role=None)
        worker.memberships.create(organisation=service, role="operator", start_date="2024-01-01")
        case = CaseFactory(person=person, organisation=service, ambito=ambito)
        CaseAssignmentFactory(case=case, worker=worker)
        audit_change(obj=case, action="create", actor=coordinator)

    add_case()
    url = f"/cases/p/{person.public_id}/"
    with django_assert_max_num_queries(60) as one:
        assert coordinator_client.get(url).status_code == 200
    for _ in range(3):
        add_case()
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = coordinator_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('name="c') >= 4  # an assign form per case
    assert len(response.context["history_events"]) == 4


def test_a_refusal_for_a_form_the_page_does_not_show_is_a_message(
    social_worker, social_worker_client, make_user
):
    """An assignment sent for a case closed meanwhile: the page has no assignment form
    for a closed case, so the refusal is told in a message."""
    case = assign(
        social_worker,
        stage=CaseStage.CLOSED,
        closed_on=dt.date(2025, 2, 1),
        closure_reason="goals_reached",
    )
    colleague = make_user(role=None)
    colleague.memberships.create(
        organisation=case.organisation, role="operator", start_date="2024-01-01"
    )
    url = reverse("beneficiaries:case_assign", args=[case.person.public_id, case.pk])
    response = social_worker_client.post(
        url, {f"c{case.pk}-worker": colleague.pk, f"c{case.pk}-kind": "support"}
    )
    assert response.status_code == 400
    assert not case.assignments.filter(worker=colleague).exists()
    assert [str(m) for m in response.context["messages"]] == ["A closed case cannot be assigned."]
