"""Supports racing each other on PostgreSQL: the same person clicking many times at
once, many people at once, supports crossing a merge. The need's row lock and the
unique constraint decide: one support per person, the count always equal to the
supports, and every loser told why with a ValidationError (never an IntegrityError)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from labs.models import Need, NeedStatus, NeedVote
from labs.services import needs as services
from legami.models import User
from legami.roles import Role
from tests.concurrency import race
from tests.labs.factories_needs import NeedFactory, facilitated_lab
from tests.partners.factories import MembershipFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
]


def users(n: int, prefix: str) -> list[User]:
    return [
        User.objects.create_user(email=f"{prefix}{i}@example.org", password=None, language="en")
        for i in range(n)
    ]


def assert_count_matches(need: Need) -> Need:
    need.refresh_from_db()
    assert need.votes_count == NeedVote.objects.filter(need=need).count()
    return need


@pytest.mark.parametrize("round_", range(3))
def test_the_same_person_clicking_ten_times_at_once_supports_once(round_):
    """Ten supports of one person at the same instant: one is counted, nine are told
    they already support the need."""
    need = NeedFactory()
    (person,) = users(1, f"same{round_}-")

    results = race([lambda: services.need_vote(need=need, actor=person) for _ in range(10)])

    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 9
    assert all(isinstance(e, ValidationError) for e in errors), errors
    assert assert_count_matches(need).votes_count == 1


def test_thirty_people_at_once_are_all_counted():
    need = NeedFactory()
    people = users(30, "crowd-")

    results = race([lambda p=p: services.need_vote(need=need, actor=p) for p in people])

    assert not [r for r in results if isinstance(r, BaseException)]
    assert assert_count_matches(need).votes_count == 30


def test_supports_and_withdrawals_crossing_keep_the_count():
    need = NeedFactory()
    people = users(20, "cross-")
    for person in people[:10]:
        services.need_vote(need=need, actor=person)

    jobs = [lambda p=p: services.need_unvote(need=need, actor=p) for p in people[:10]]
    jobs += [lambda p=p: services.need_vote(need=need, actor=p) for p in people[10:]]
    results = race(jobs)

    assert not [r for r in results if isinstance(r, BaseException)]
    assert assert_count_matches(need).votes_count == 10


def test_supports_crossing_a_merge_end_up_on_the_target_counted_once():
    facilitator = MembershipFactory(role=Role.FACILITATOR).user
    lab = facilitated_lab(facilitator)
    duplicate, target = NeedFactory(lab=lab), NeedFactory(lab=lab)
    people = users(12, "merge-")
    for person in people[:4]:
        services.need_vote(need=target, actor=person)

    jobs: list[Callable[[], Any]] = [
        lambda p=p: services.need_vote(need=duplicate, actor=p) for p in people
    ]
    jobs.append(lambda: services.need_merge(duplicate=duplicate, into=target, actor=facilitator))
    results = race(jobs)

    errors = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(e, ValidationError) for e in errors), errors
    duplicate = assert_count_matches(duplicate)
    target = assert_count_matches(target)
    assert duplicate.status == NeedStatus.MERGED and duplicate.votes_count == 0
    # The target's supporters before, and everyone whose support was not refused,
    # support the target, once each.
    accepted = {p.pk for p, r in zip(people, results, strict=False) if isinstance(r, Need)}
    expected = accepted | {p.pk for p in people[:4]}
    assert set(NeedVote.objects.filter(need=target).values_list("user", flat=True)) == expected
    assert target.votes_count == len(expected)
