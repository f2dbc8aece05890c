"""Answers and invitations racing each other on PostgreSQL: the same link submitted
many times at once makes one response; the same people invited by several requests at
once get one invitation each."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from research.models import Invitation, QuestionKind, Response
from research.services import invitations_send, response_submit
from tests.concurrency import race
from tests.research.factories import build_survey, organisation, practitioner, researcher, token_for

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
]

ONE = [{"code": "q", "text": "Trust", "kind": QuestionKind.LIKERT}]


def test_one_link_submitted_eight_times_at_once_answers_once():
    owner = researcher()
    survey = build_survey(owner, ONE)
    [invitation] = invitations_send(survey=survey, by=owner, users=[practitioner(organisation())])
    token = token_for(invitation)

    results = race(
        [lambda v=v: response_submit(token=token, answers={"q": 1 + v % 5}) for v in range(8)]
    )

    responses = [r for r in results if isinstance(r, Response)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(responses) == 1 and len(refused) == 7, results
    assert {e.code for e in refused} == {"already_answered"}
    assert Response.objects.count() == 1


def test_the_same_people_invited_by_concurrent_requests_get_one_invitation_each():
    owner = researcher()
    survey = build_survey(owner, ONE)
    coop = organisation()
    people = [practitioner(coop) for _ in range(5)]

    results = race(
        [lambda: invitations_send(survey=survey, by=owner, organisations=[coop]) for _ in range(4)]
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(len(r) for r in results) == 5
    assert Invitation.objects.filter(survey=survey).count() == 5
    assert {i.user_id for i in Invitation.objects.all()} == {p.pk for p in people}
