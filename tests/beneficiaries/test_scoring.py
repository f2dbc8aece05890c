"""Scoring of LSNS-6 and UCLA-3 at the boundaries of the published cut-offs."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from beneficiaries.scoring import score_lsns6, score_ucla3


def test_lsns6_total_11_is_at_risk():
    score = score_lsns6([2, 2, 2, 2, 2, 1])
    assert (score.total, score.at_risk) == (11, True)


def test_lsns6_total_12_is_not_at_risk():
    score = score_lsns6([2, 2, 2, 2, 2, 2])
    assert (score.total, score.at_risk) == (12, False)


def test_lsns6_all_none_scores_zero_at_risk():
    score = score_lsns6([0] * 6)
    assert (score.total, score.family, score.friends, score.at_risk) == (0, 0, 0, True)


def test_lsns6_all_nine_or_more_scores_thirty():
    score = score_lsns6([5] * 6)
    assert (score.total, score.family, score.friends, score.at_risk) == (30, 15, 15, False)


def test_lsns6_subscales_split_family_and_friends():
    """Items 1–3 are the family subscale, items 4–6 the friends subscale."""
    score = score_lsns6([5, 4, 3, 0, 1, 0])
    assert (score.family, score.friends, score.total) == (12, 1, 13)


def test_ucla3_total_5_is_not_lonely():
    score = score_ucla3([2, 2, 1])
    assert (score.total, score.at_risk) == (5, False)


def test_ucla3_total_6_is_lonely():
    score = score_ucla3([2, 2, 2])
    assert (score.total, score.at_risk) == (6, True)


def test_ucla3_extremes():
    assert (score_ucla3([1, 1, 1]).total, score_ucla3([1, 1, 1]).at_risk) == (3, False)
    assert (score_ucla3([3, 3, 3]).total, score_ucla3([3, 3, 3]).at_risk) == (9, True)


def test_ucla3_has_no_subscales():
    score = score_ucla3([1, 2, 3])
    assert (score.family, score.friends) == (None, None)


@pytest.mark.parametrize(
    ("scorer", "answers", "code"),
    [
        (score_lsns6, [1] * 5, "answers_count"),
        (score_lsns6, [1] * 7, "answers_count"),
        (score_lsns6, [], "answers_count"),
        (score_lsns6, [0, 0, 0, 0, 0, 6], "answer_range"),
        (score_lsns6, [-1, 0, 0, 0, 0, 0], "answer_range"),
        (score_lsns6, [True, 0, 0, 0, 0, 0], "answer_range"),
        (score_lsns6, ["3", 0, 0, 0, 0, 0], "answer_range"),
        (score_lsns6, [1.0, 0, 0, 0, 0, 0], "answer_range"),
        (score_ucla3, [1, 1], "answers_count"),
        (score_ucla3, [0, 1, 1], "answer_range"),
        (score_ucla3, [1, 1, 4], "answer_range"),
        (score_ucla3, [1, False, 1], "answer_range"),
        (score_ucla3, [1, "2", 1], "answer_range"),
        (score_ucla3, [1, None, 1], "answer_range"),
    ],
)
def test_invalid_answers_are_refused(scorer, answers, code):
    with pytest.raises(ValidationError) as info:
        scorer(answers)
    assert info.value.code == code
