"""Answers and invitations racing each other on PostgreSQL: the same link submitted
many times at once makes one response; the same people invited by several requests at
once get one invitation each."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from research.models import Invitation, QuestionKind, Response
from research.services import invitations_send, response_submit
from tests.research.factories import build_survey, organisation, practitioner, researcher, token_for

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
]

ONE = [{"code": "q", "text": "Trust", "kind": QuestionKind.LIKERT}]


def race(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in parallel threads released together, each on its own connection;
    each job's result or the exception it raised."""
    results: list[Any] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


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
