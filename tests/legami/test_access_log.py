"""The access log pages: the DPO and coordinators browse, filter and export it; everyone
sees who read their own data."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from legami.models import AccessEvent
from legami.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(make_user, coordinator, citizen):
    """Readings by a colleague of the coordinator and by an outsider, about the citizen."""
    colleague = make_user("collega@example.org")
    colleague.memberships.create(
        organisation=coordinator.memberships.get().organisation,
        role=Role.OPERATOR,
        start_date=dt.date(2024, 1, 1),
    )
    outsider = make_user("altro@example.org", role=Role.OPERATOR)
    now = timezone.now()
    return {
        "colleague": AccessEvent.objects.create(
            actor=colleague,
            actor_label=colleague.email,
            actor_roles="operator",
            action="view",
            target_type="legami.user",
            target_id=str(citizen.pk),
            subject_user=citizen,
            purpose="case review",
            at=now - dt.timedelta(days=3),
        ),
        "outsider": AccessEvent.objects.create(
            actor=outsider,
            actor_label=outsider.email,
            actor_roles="operator",
            action="list",
            target_type="partners.membership",
            target_id="9",
            purpose="members page",
            at=now,
        ),
    }


def _ids(response):
    return {e.pk for e in response.context["page"].object_list}


def test_the_dpo_sees_every_reading_and_filters_them(dpo_client, events):
    assert _ids(dpo_client.get("/audit/access/")) == {e.pk for e in events.values()}
    by_actor = dpo_client.get("/audit/access/", {"actor": "collega"})
    assert _ids(by_actor) == {events["colleague"].pk}
    by_type = dpo_client.get("/audit/access/", {"target_type": "partners.membership"})
    assert _ids(by_type) == {events["outsider"].pk}
    today = timezone.localdate()
    recent = dpo_client.get("/audit/access/", {"since": today.isoformat()})
    assert _ids(recent) == {events["outsider"].pk}


def test_bad_filters_get_a_clear_error_and_no_filtering(dpo_client, events):
    response = dpo_client.get("/audit/access/", {"since": "2025-02-10", "until": "2025-01-01"})
    assert response.status_code == 200
    assert "La data di inizio è successiva alla data di fine." in response.content.decode()
    assert dpo_client.get("/audit/access/export.csv", {"since": "not a date"}).status_code == 400


def test_a_coordinator_sees_the_readings_of_their_organisation_only(coordinator_client, events):
    assert _ids(coordinator_client.get("/audit/access/")) == {events["colleague"].pk}


def test_the_export_is_a_csv_for_excel_and_is_itself_logged(dpo_client, dpo, events):
    response = dpo_client.get("/audit/access/export.csv", {"actor": "collega"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # so that Excel reads the accents
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:3] == ["at", "actor_label", "actor_roles"]
    assert [r[1] for r in rows[1:]] == ["collega@example.org"]
    export = AccessEvent.objects.get(actor=dpo, action="export")
    assert export.target_type == "legami.accessevent" and export.target_id == "export:1"


def test_everyone_sees_who_read_their_own_data_without_names(citizen_client, events):
    response = citizen_client.get("/account/access-report/")
    assert _ids(response) == {events["colleague"].pk}
    html = response.content.decode()
    assert "case review" in html and "Operatore sociale" in html
    assert "collega@example.org" not in html  # the role and purpose, not the employee


def test_the_access_log_page_costs_the_same_queries_for_2_or_60_rows(
    dpo_client, events, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12) as few:
        dpo_client.get("/audit/access/")
    AccessEvent.objects.bulk_create(
        AccessEvent(action="view", target_type="t.t", target_id=str(n)) for n in range(60)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = dpo_client.get("/audit/access/")
    assert response.context["page"].paginator.count == 62


def test_the_export_shows_texts_that_look_like_formulas_never_runs_them(dpo_client, events):
    AccessEvent.objects.create(
        actor_label="formula@example.org",
        actor_roles="operator",
        action="view",
        target_type="legami.user",
        target_id="=1+1",
        purpose="@SUM(A1)",
    )
    response = dpo_client.get("/audit/access/export.csv", {"actor": "formula"})
    body = b"".join(response.streaming_content).decode("utf-8")
    header, row = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert row[header.index("target_id")] == "'=1+1"
    assert row[header.index("purpose")] == "'@SUM(A1)"
