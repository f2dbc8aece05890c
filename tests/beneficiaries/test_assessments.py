"""Isolation assessments: the service scores them, the page lists them, charts their
trend and records new ones."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from beneficiaries.models import Assessment
from beneficiaries.services.ecomap import assessment_record
from legami.models import AccessEvent, ChangeEvent
from tests.beneficiaries.factories import assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(social_worker):
    return assign(social_worker).person


def test_an_lsns6_assessment_is_scored_and_audited(person, social_worker):
    a = assessment_record(
        person=person, kind="lsns6", answers=[2, 2, 2, 2, 2, 1], date=None, actor=social_worker
    )
    assert (a.total, a.family_score, a.friends_score, a.at_risk) == (11, 6, 5, True)
    assert (a.assessor, a.date) == (social_worker, timezone.localdate())
    event = ChangeEvent.objects.get(target_type="beneficiaries.assessment")
    assert event.changes == {"kind": "lsns6", "total": 11, "at_risk": True}


def test_a_ucla3_assessment_has_no_subscales(person, social_worker):
    a = assessment_record(
        person=person,
        kind="ucla3",
        answers=[2, 2, 2],
        date=dt.date(2025, 3, 1),
        actor=social_worker,
    )
    assert (a.total, a.family_score, a.friends_score, a.at_risk) == (6, None, None, True)


@pytest.mark.parametrize(
    ("kind", "answers"),
    [("lsns6", [1, 1, 1]), ("ucla3", [0, 1, 1]), ("gds", [1, 1, 1]), ("ucla3", "123")],
)
def test_bad_answers_record_nothing(person, social_worker, kind, answers):
    with pytest.raises(ValidationError):
        assessment_record(person=person, kind=kind, answers=answers, actor=social_worker)
    assert not Assessment.objects.exists()


def test_an_assessment_cannot_be_in_the_future(person, social_worker):
    with pytest.raises(ValidationError):
        assessment_record(
            person=person,
            kind="ucla3",
            answers=[1, 1, 1],
            date=timezone.localdate() + dt.timedelta(days=1),
            actor=social_worker,
        )
    assert not Assessment.objects.exists()


def test_an_unassigned_worker_cannot_record(person, make_user):
    stranger = make_user("stranger@example.org", role="operator")
    with pytest.raises(PermissionDenied):
        assessment_record(person=person, kind="ucla3", answers=[1, 1, 1], actor=stranger)
    assert not Assessment.objects.exists()


def test_the_page_lists_and_charts_the_assessments_with_bounded_queries(
    person, social_worker, social_worker_client, django_assert_max_num_queries
):
    for day in range(1, 6):
        assessment_record(
            person=person,
            kind="lsns6",
            answers=[day - 1, 2, 2, 2, 2, 2],
            date=dt.date(2025, 1, day),
            actor=social_worker,
        )
    assessment_record(person=person, kind="ucla3", answers=[3, 3, 3], actor=social_worker)
    url = reverse("beneficiaries:assessments", args=[person.public_id])
    with django_assert_max_num_queries(20):
        response = social_worker_client.get(url, headers={"HX-Request": "true"})
    body = response.content.decode()
    data = json.loads(
        body.split('id="assessment-data" type="application/json">')[1].split("</script>")[0]
    )
    assert [p["total"] for p in data["lsns6"]["points"]] == [10, 11, 12, 13, 14]
    assert data["lsns6"]["threshold"] == 12 and data["ucla3"]["threshold"] == 6
    assert [p["total"] for p in data["ucla3"]["points"]] == [9]
    assert 'data-assessment-chart="lsns6"' in body
    assert "How often do you feel isolated from others?" in body
    assert AccessEvent.objects.filter(purpose="assessments", target_id=str(person.pk)).exists()


def test_recording_through_the_form(person, social_worker_client):
    url = reverse("beneficiaries:assessment_record", args=[person.public_id])
    data = {"kind": "lsns6", "lsns6-date": "2025-02-01"}
    data |= {f"lsns6-q{n}": "3" for n in range(1, 7)}
    response = social_worker_client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    a = Assessment.objects.get()
    assert (a.kind, a.total, a.at_risk, a.answers) == ("lsns6", 18, False, [3] * 6)


def test_a_form_with_an_unanswered_question_records_nothing(person, social_worker_client):
    url = reverse("beneficiaries:assessment_record", args=[person.public_id])
    data = {"kind": "ucla3", "ucla3-date": "2025-02-01", "ucla3-q1": "1", "ucla3-q2": "2"}
    assert social_worker_client.post(url, data).status_code == 422
    assert social_worker_client.post(url, {**data, "ucla3-q3": "7"}).status_code == 422
    assert not Assessment.objects.exists()
