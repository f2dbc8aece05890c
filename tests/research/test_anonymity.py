"""Anonymous surveys: a response leads back to nobody, not from its row, not from its
key, not from the order it was stored in; a named survey links each response to its
invitation."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, models

from legami.audit import ChangeEvent
from research.models import Answer, Invitation, QuestionKind, Response, ResponseAttribution
from research.services import invitations_send, response_submit, survey_close
from tests.research.factories import build_survey, organisation, practitioner, researcher, token_for

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"code": "fiducia", "text": "Trust", "kind": QuestionKind.LIKERT, "required": True},
    {"code": "note", "text": "Notes", "kind": QuestionKind.LONG_TEXT},
]


def answer(survey, owner, value: int) -> tuple[Invitation, Response]:
    person = practitioner(organisation())
    [invitation] = invitations_send(survey=survey, by=owner, users=[person])
    response = response_submit(
        token=token_for(invitation), answers={"fiducia": value, "note": f"nota {value}"}
    )
    return invitation, response


def test_a_response_row_has_no_column_that_leads_to_a_person_or_a_time():
    """Structure: the response table holds its random key and its survey, nothing else:
    no user, no invitation, no organisation, no date or time. Its answers hold the
    response, the question and the value."""
    concrete = {f.name: f for f in Response._meta.concrete_fields}
    assert set(concrete) == {"id", "survey"}
    assert isinstance(concrete["id"], models.UUIDField)
    assert concrete["survey"].related_model.__name__ == "Survey"
    forward = [
        f for f in Response._meta.get_fields() if f.concrete and (f.many_to_one or f.one_to_one)
    ]
    assert [f.name for f in forward] == ["survey"]
    assert not any(
        isinstance(f, models.DateField | models.DateTimeField) for f in concrete.values()
    )
    answer_fields = {f.name for f in Answer._meta.concrete_fields}
    assert answer_fields == {"id", "response", "question", "choices", "integer", "number", "text"}
    assert isinstance(Answer._meta.pk, models.UUIDField)


def test_an_anonymous_submission_stores_nothing_that_links_it():
    """Content: the stored row of an anonymous response has its survey and a random
    version-4 UUID; no attribution row exists; the invitation knows only the day it was
    answered; the audit trail says nothing about the response."""
    owner = researcher()
    survey = build_survey(owner, QUESTIONS, anonymous=True)
    invitation, response = answer(survey, owner, 4)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Response._meta.db_table}")  # noqa: S608
        columns = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
    assert columns == ["id", "survey_id"]
    assert len(rows) == 1
    key = uuid.UUID(str(rows[0][0]))
    assert key.version == 4 and key == response.pk
    assert ResponseAttribution.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.answered is True
    assert (
        not hasattr(invitation, "attribution")
        or not ResponseAttribution.objects.filter(invitation=invitation).exists()
    )
    assert not ChangeEvent.objects.filter(target_id=str(response.pk)).exists()
    assert not ChangeEvent.objects.filter(target_type__icontains="response").exists()


def test_the_order_of_anonymous_responses_cannot_be_read_from_their_keys():
    """Random keys: twenty responses in a row, sorted by key, are not in the order they
    were given (the chance of that by luck is 1 in 20!)."""
    owner = researcher()
    survey = build_survey(owner, QUESTIONS, anonymous=True)
    given = [answer(survey, owner, 1 + n % 5)[1].pk for n in range(20)]

    assert sorted(given) != given
    assert sorted(given, reverse=True) != given
    assert list(Response.objects.filter(survey=survey).values_list("pk", flat=True)) != given


def test_closing_an_anonymous_survey_stores_its_responses_again_in_random_order():
    """After closing, the storage order (the database's own row numbers) no longer
    follows the order of submission; the answers are all still there."""
    owner = researcher()
    survey = build_survey(owner, QUESTIONS, anonymous=True)
    given = [answer(survey, owner, 1 + n % 5)[1].pk for n in range(20)]
    values_before = sorted(Answer.objects.values_list("response_id", "integer", "text"), key=str)

    def storage_order() -> list[uuid.UUID]:
        if connection.vendor == "postgresql":
            sql = f"SELECT id FROM {Response._meta.db_table} ORDER BY ctid"  # noqa: S608
        else:
            sql = f"SELECT id FROM {Response._meta.db_table} ORDER BY rowid"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return [uuid.UUID(str(row[0])) for row in cursor.fetchall()]

    assert storage_order() == given  # what the database alone would tell before closing

    survey_close(survey=survey, by=owner)

    assert storage_order() != given
    assert sorted(storage_order()) == sorted(given)
    assert (
        sorted(Answer.objects.values_list("response_id", "integer", "text"), key=str)
        == values_before
    )


def test_a_named_survey_links_each_response_to_its_invitation():
    """Not anonymous: the attribution row names the invitation and the moment."""
    owner = researcher()
    survey = build_survey(owner, QUESTIONS, anonymous=False)
    invitation, response = answer(survey, owner, 3)

    attribution = ResponseAttribution.objects.get(response=response)
    assert attribution.invitation == invitation
    assert attribution.submitted_at is not None
    survey_close(survey=survey, by=owner)
    assert Response.objects.get().pk == response.pk  # named responses are not rewritten


@pytest.mark.skipif(connection.vendor != "postgresql", reason="xmin is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_after_closing_no_response_shares_a_transaction_with_its_invitation():
    """PostgreSQL stamps each row with the transaction that wrote it (xmin): a response
    and the invitation it marked answered carry the same one until the survey closes and
    its responses and answers are written again together."""
    owner = researcher()
    survey = build_survey(owner, QUESTIONS, anonymous=True)
    for value in (1, 3, 5):
        answer(survey, owner, value)

    def xmins(model) -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT xmin::text FROM {model._meta.db_table}")  # noqa: S608
            return {row[0] for row in cursor.fetchall()}

    answered = xmins(Invitation)
    assert xmins(Response) == answered  # the link the database would give away

    survey_close(survey=survey, by=owner)

    assert len(xmins(Response)) == 1
    assert xmins(Response) == xmins(Answer)
    assert not xmins(Response) & xmins(Invitation)
