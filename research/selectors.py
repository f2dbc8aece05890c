"""Reads of the Wel(l)fare LAB with rules: each starts from the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet

from labs.models import Meeting
from legami.policy import Action, require, visible_to
from research.models import Finding, Invitation, Pathway, Survey, Workshop
from research.search import search


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


# --- Pathways ---------------------------------------------------------------------------------


def pathway_list(*, user: Any) -> QuerySet[Pathway]:
    """The pathways ``user`` may see, with their lead and counts of what they hold."""
    return (
        visible_to(user, Pathway, Action.LIST)
        .select_related("lead", "ambito")
        .annotate(
            n_workshops=Count("workshops", distinct=True),
            n_surveys=Count("surveys", distinct=True),
            n_findings=Count("findings", distinct=True),
        )
        .order_by(F("starts_on").desc(nulls_last=True), "title")
    )


def pathway_detail(*, user: Any, pk: int) -> Pathway:
    """One pathway with everything its page shows, in a fixed number of queries
    (Pathway.DoesNotExist when ``user`` may not read it)."""
    return (
        visible_to(user, Pathway, Action.READ)
        .select_related("lead", "ambito", "lab")
        .prefetch_related(
            "phases",
            "organisations",
            "practitioners",
            Prefetch(
                "workshops",
                queryset=Workshop.objects.select_related("meeting__lab").order_by(
                    "meeting__starts_at"
                ),
            ),
            Prefetch(
                "findings",
                queryset=Finding.objects.select_related("workshop__meeting").prefetch_related(
                    "themes"
                ),
            ),
        )
        .get(pk=pk)
    )


def pathway_surveys(*, user: Any, pathway: Pathway) -> QuerySet[Survey]:
    """The pathway's surveys that ``user`` may see."""
    return survey_list(user=user).filter(pathway=pathway)


def workshop_meetings(*, user: Any, pathway: Pathway) -> QuerySet[Meeting]:
    """The pathway's workshops as labs meetings ``user`` may see (labs' own rule)."""
    return visible_to(user, Meeting, Action.LIST).filter(workshop__pathway=pathway)


# --- The findings library ---------------------------------------------------------------------


def finding_list(
    *,
    user: Any,
    text: str = "",
    theme: int | None = None,
    pathway: int | None = None,
    kind: str = "",
) -> QuerySet[Finding]:
    """The library items ``user`` may read, filtered and searched (best match first
    when searching, newest first otherwise)."""
    items = (
        visible_to(user, Finding, Action.LIST)
        .select_related("pathway", "author", "workshop__meeting")
        .prefetch_related("themes")
    )
    if theme:
        items = items.filter(themes=theme)
    if pathway:
        items = items.filter(pathway=pathway)
    if kind:
        items = items.filter(kind=kind)
    return search(items, text)


def finding_detail(*, user: Any, public_id: Any) -> Finding:
    return (
        visible_to(user, Finding, Action.READ)
        .select_related("pathway", "author", "workshop__meeting")
        .prefetch_related("themes")
        .get(public_id=public_id)
    )


# --- Piano di zona reports (read by reports.indicators) ---
#
# The records of a report's ambito, for the indicators to aggregate: ``reports`` reads
# no model of this app, only these. A pathway belongs to its host ambito
# (``Pathway.ambito``), a survey to its pathway's, an invitation (and its answer) to its
# survey's; surveys with no pathway, and pathways with no host ambito, belong to no
# ambito. None of these has a comune, so these reads take none.
#
# The enums the indicators filter by are re-exported here too.

from research.models import SurveyStatus as SurveyStatus  # noqa: E402


def report_pathways(*, ambito_id: int) -> QuerySet[Pathway]:
    """The pathways hosted by the ambito (every date)."""
    return Pathway.objects.filter(ambito_id=ambito_id)


def report_surveys(*, ambito_id: int) -> QuerySet[Survey]:
    """The surveys of the pathways of the ambito (every status)."""
    return Survey.objects.filter(pathway__ambito_id=ambito_id)


def report_invitations(*, ambito_id: int) -> QuerySet[Invitation]:
    """The invitations to the surveys of the pathways of the ambito (answered or not).
    An invitation keeps the day of its answer, never what was answered."""
    return Invitation.objects.filter(survey__pathway__ambito_id=ambito_id)
