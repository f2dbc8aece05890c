"""Reads of the Wel(l)fare LAB with rules: each starts from the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from legami.policy import Action, require, visible_to
from research.models import Invitation, Survey


def survey_list(*, user: Any) -> QuerySet[Survey]:
    """The surveys ``user`` may see, newest first, with owner and pathway."""
    return (
        visible_to(user, Survey, Action.LIST)
        .select_related("owner", "pathway")
        .annotate(
            invited=Count("invitations", distinct=True),
            answered=Count("invitations", filter=Q(invitations__answered=True), distinct=True),
        )
        .order_by("-created_at", "title")
    )


def survey_detail(*, user: Any, pk: int) -> Survey:
    """One survey ``user`` may read (Survey.DoesNotExist otherwise)."""
    return visible_to(user, Survey, Action.READ).select_related("owner", "pathway").get(pk=pk)


@dataclass(frozen=True)
class OrganisationRate:
    """Invited and answered people of one organisation (None: invited by name, without
    a membership)."""

    organisation_id: int | None
    organisation: str
    invited: int
    answered: int

    @property
    def rate(self) -> float:
        return self.answered / self.invited if self.invited else 0.0


def response_rate(*, user: Any, survey: Survey) -> list[OrganisationRate]:
    """The response rate of ``survey`` per organisation, by organisation name (people
    invited without an organisation last). Counts of invitations, which hold no answer:
    the same in an anonymous survey."""
    require(user, Action.READ, survey)
    rows = (
        Invitation.objects.filter(survey=survey)
        .values("organisation_id", "organisation__name")
        .annotate(invited=Count("pk"), answered=Count("pk", filter=Q(answered=True)))
        .order_by("organisation__name")
    )
    rates = [
        OrganisationRate(
            organisation_id=row["organisation_id"],
            organisation=row["organisation__name"] or "",
            invited=row["invited"],
            answered=row["answered"],
        )
        for row in rows
    ]
    return sorted(rates, key=lambda r: (r.organisation_id is None, r.organisation))
