"""Reads of the labs app (see ../shared/ARCHITECTURE.md): each starts from the access
policy's ``visible_to(user)`` and fetches what its page shows in a bounded number of
queries, whatever the number of rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from labs.models import (
    ACTIVE_STATUSES,
    Intervention,
    Lab,
    Meeting,
    MeetingStatus,
    Need,
    NeedStatus,
    Registration,
)
from legami.models import Comune
from legami.policy import Action, visible_to

TOP_NEEDS = 5
PAST_MEETINGS = 10


# --- Labs and meetings ------------------------------------------------------------------------


def lab_list(*, user: Any) -> QuerySet[Lab]:
    """The labs ``user`` may see, by title."""
    return visible_to(user, Lab, Action.LIST).order_by("title")


def lab_comuni(*, user: Any) -> QuerySet[Comune]:
    """The comuni where the labs ``user`` may see work or meet (the list's filter)."""
    labs = visible_to(user, Lab, Action.LIST).values("pk")
    meetings = visible_to(user, Meeting, Action.LIST).filter(comune__isnull=False)
    return (
        Comune.objects.filter(Q(labs__in=labs) | Q(pk__in=meetings.values("comune_id")))
        .distinct()
        .order_by("name")
    )


def meeting_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Meeting]:
    """The upcoming meetings (scheduled and not over) of the labs ``user`` may see,
    soonest first. ``filters``: ``comune`` (a Comune: the meeting's, or one of its
    lab's comuni) and ``lab`` (a Lab)."""
    filters = filters or {}
    meetings = visible_to(user, Meeting, Action.LIST).filter(
        status=MeetingStatus.SCHEDULED, ends_at__gt=timezone.now()
    )
    if filters.get("comune") is not None:
        comune = filters["comune"]
        meetings = meetings.filter(
            Q(comune=comune) | Q(lab__in=Lab.objects.filter(comuni=comune).values("pk"))
        )
    if filters.get("lab") is not None:
        meetings = meetings.filter(lab=filters["lab"])
    return (
        meetings.select_related("lab", "comune")
        .prefetch_related(Prefetch("lab__comuni", queryset=Comune.objects.order_by("name")))
        .order_by("starts_at", "id")
    )


def lab_detail(*, user: Any, slug: str) -> Lab | None:
    """The lab page's lab, with its comuni, facilitators and partners (None when
    ``user`` may not see it)."""
    return (
        visible_to(user, Lab, Action.READ)
        .select_related("ambito")
        .prefetch_related(
            Prefetch("comuni", queryset=Comune.objects.order_by("name")),
            "facilitators",
            "organisations",
        )
        .filter(slug=slug)
        .first()
    )


def lab_meetings(*, user: Any, lab: Lab) -> tuple[list[Meeting], list[Meeting]]:
    """A lab's upcoming meetings (scheduled, not over; soonest first) and the latest
    past ones (held or closed; newest first)."""
    now = timezone.now()
    meetings = visible_to(user, Meeting, Action.LIST).filter(lab=lab).select_related("comune")
    upcoming = list(
        meetings.filter(status=MeetingStatus.SCHEDULED, ends_at__gt=now).order_by("starts_at")
    )
    past = list(
        meetings.filter(ends_at__lte=now)
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by("-starts_at")[:PAST_MEETINGS]
    )
    for meeting in (*upcoming, *past):
        meeting.lab = lab  # the page names the lab's slug in every link: no query each
    return upcoming, past


def lab_top_needs(*, user: Any, lab: Lab, limit: int = TOP_NEEDS) -> list[Need]:
    """The lab's open needs with the most supporters (merged ones left out)."""
    return list(
        visible_to(user, Need, Action.LIST)
        .filter(lab=lab)
        .exclude(status__in=[NeedStatus.MERGED, NeedStatus.ADDRESSED])
        .order_by("-votes_count", "-created_at", "-id")[:limit]
    )


def lab_interventions(*, user: Any, lab: Lab) -> list[Intervention]:
    """The interventions the lab designed, newest first, with their owner."""
    return list(visible_to(user, Intervention, Action.LIST).filter(lab=lab).select_related("owner"))


def lab_feed_meetings(*, user: Any, lab: Lab) -> QuerySet[Meeting]:
    """The meetings of a lab's calendar feed: all but the cancelled ones."""
    return (
        visible_to(user, Meeting, Action.LIST)
        .filter(lab=lab)
        .exclude(status=MeetingStatus.CANCELLED)
        .select_related("lab")
        .order_by("starts_at")
    )


def meeting_detail(*, user: Any, slug: str, pk: int) -> Meeting | None:
    """The meeting page's meeting (None when ``user`` may not see it)."""
    return (
        visible_to(user, Meeting, Action.READ)
        .select_related("lab", "comune")
        .filter(lab__slug=slug, pk=pk)
        .first()
    )


def signup_problem(meeting: Meeting, *, now: dt.datetime | None = None) -> str:
    """Why the meeting takes no sign-up now ("" when it does): the sign-up service's own
    rule, asked without signing anybody up."""
    from labs.services.registration import require_signup_open

    try:
        require_signup_open(meeting, now or timezone.now())
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


# --- Registrations ----------------------------------------------------------------------------


def own_registration(*, user: Any, meeting: Meeting) -> Registration | None:
    """``user``'s active registration for ``meeting``, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        visible_to(user, Registration, Action.READ)
        .filter(meeting=meeting, user=user.pk, status__in=ACTIVE_STATUSES)
        .first()
    )


def my_registrations(*, user: Any) -> QuerySet[Registration]:
    """``user``'s own registrations (as an account), the latest meetings first."""
    return (
        visible_to(user, Registration, Action.LIST)
        .filter(user=user.pk)
        .select_related("meeting__lab")
        .order_by("-meeting__starts_at", "-id")
    )


def my_registration(*, user: Any, pk: int) -> Registration | None:
    """One of ``user``'s own registrations (None for anybody else's)."""
    return my_registrations(user=user).filter(pk=pk).first()


# --- Piano di zona reports (read by reports.indicators) ---
#
# The records of a report's scope (an ambito, or one comune of it), for the indicators
# to aggregate: ``reports`` reads no model of this app, only these. A lab belongs to its
# ``Lab.ambito``. The labs of context "practitioners" are the workshops of Wel(l)fare LAB
# pathways, not community labs: they are left out of every report. For a comune: a
# meeting (and its registrations and attendance) or a need belongs to its own
# ``comune`` when it has one, otherwise to every comune of its lab (``Lab.comuni``: an
# online meeting of a lab of two comuni counts in both); an intervention has no comune
# and belongs to every comune of its lab.
#
# The enums the indicators filter and key their figures by are re-exported here too.

from labs.models import InterventionStatus as InterventionStatus  # noqa: E402
from labs.models import LabContext  # noqa: E402
from labs.models import MeetingStatus as MeetingStatus  # noqa: E402, F811
from labs.models import NeedStatus as NeedStatus  # noqa: E402, F811


def _report_lab_q(ambito_id: int, prefix: str) -> Q:
    """The community labs of the ambito (``prefix``: the path to the lab)."""
    return Q(**{f"{prefix}ambito_id": ambito_id}) & ~Q(
        **{f"{prefix}context": LabContext.PRACTITIONERS}
    )


def _report_labs_of_comune(comune_id: int) -> QuerySet[Any]:
    """The ids of the labs working in a comune (a subquery: no join that repeats rows)."""
    return Lab.comuni.through.objects.filter(comune_id=comune_id).values("lab_id")


def _report_own_comune_q(comune_id: int | None, prefix: str) -> Q:
    """A record with a comune of its own (``prefix``: the path to the record) belongs
    there; one without belongs to every comune of its lab."""
    if comune_id is None:
        return Q()
    of_its_labs = {
        f"{prefix}comune__isnull": True,
        f"{prefix}lab_id__in": _report_labs_of_comune(comune_id),
    }
    return Q(**{f"{prefix}comune_id": comune_id}) | Q(**of_its_labs)


def report_meetings(*, ambito_id: int, comune_id: int | None = None) -> QuerySet[Meeting]:
    """The meetings of the community labs of a report's scope (every status)."""
    return Meeting.objects.filter(
        _report_lab_q(ambito_id, "lab__"), _report_own_comune_q(comune_id, "")
    )


def report_registrations(*, ambito_id: int, comune_id: int | None = None) -> QuerySet[Registration]:
    """The registrations to the meetings of ``report_meetings`` (each follows its
    meeting; every status and attendance)."""
    return Registration.objects.filter(
        _report_lab_q(ambito_id, "meeting__lab__"), _report_own_comune_q(comune_id, "meeting__")
    )


def report_needs(*, ambito_id: int, comune_id: int | None = None) -> QuerySet[Need]:
    """The needs on the boards of the community labs of a report's scope (every
    status, merged ones included)."""
    return Need.objects.filter(
        _report_lab_q(ambito_id, "lab__"), _report_own_comune_q(comune_id, "")
    )


def report_interventions(*, ambito_id: int, comune_id: int | None = None) -> QuerySet[Intervention]:
    """The interventions of the community labs of a report's scope (every status); for
    a comune, those of the labs working in it."""
    interventions = Intervention.objects.filter(_report_lab_q(ambito_id, "lab__"))
    if comune_id is not None:
        interventions = interventions.filter(lab_id__in=_report_labs_of_comune(comune_id))
    return interventions
