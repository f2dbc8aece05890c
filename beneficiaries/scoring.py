"""Scoring of the isolation scales, as published.

* LSNS-6 (Lubben et al., 2006): six items scored 0–5; total 0–30; family subscale
  (items 1–3) and friends subscale (items 4–6) 0–15 each; a total below 12 indicates
  risk of social isolation.
* UCLA-3 (Hughes et al., 2004): three items scored 1 (hardly ever) to 3 (often); total
  3–9; 6 or more is commonly taken as lonely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LSNS6_ITEMS = 6
LSNS6_RISK_BELOW = 12
UCLA3_ITEMS = 3
UCLA3_LONELY_FROM = 6


@dataclass(frozen=True)
class Score:
    total: int
    at_risk: bool
    family: int | None = None
    friends: int | None = None


def _check(answers: Sequence[object], count: int, low: int, high: int, scale: str) -> list[int]:
    if len(answers) != count:
        raise ValidationError(
            _("%(scale)s has %(count)d questions: answer each of them.")
            % {"scale": scale, "count": count},
            code="answers_count",
        )
    values = []
    for number, answer in enumerate(answers, start=1):
        if isinstance(answer, bool) or not isinstance(answer, int) or not low <= answer <= high:
            raise ValidationError(
                _("Question %(number)d of %(scale)s takes a score from %(low)d to %(high)d.")
                % {"number": number, "scale": scale, "low": low, "high": high},
                code="answer_range",
            )
        values.append(answer)
    return values


def score_lsns6(answers: Sequence[object]) -> Score:
    values = _check(answers, LSNS6_ITEMS, 0, 5, "LSNS-6")
    family, friends = sum(values[:3]), sum(values[3:])
    total = family + friends
    return Score(total=total, at_risk=total < LSNS6_RISK_BELOW, family=family, friends=friends)


def score_ucla3(answers: Sequence[object]) -> Score:
    values = _check(answers, UCLA3_ITEMS, 1, 3, "UCLA-3")
    total = sum(values)
    return Score(total=total, at_risk=total >= UCLA3_LONELY_FROM)


SCORERS = {"lsns6": score_lsns6, "ucla3": score_ucla3}
