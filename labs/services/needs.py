"""The needs board of a lab and the interventions designed in response.

* Anyone with an account posts needs on the board of a lab that is not closed, and
  supports them: one support per person and need (a database constraint), with the
  need's ``votes_count`` changed in the same transaction, under the need's row lock,
  with ``F()`` — so the count always equals the supports, even when two requests of
  the same person arrive at once (the second is told they already support it).
* The lab's runners (its facilitators, the administrators of its ambito, the network
  administrators: the policy's CHANGE on ``labs.need``) move a need along the board
  one step at a time — new → discussed → taken up → addressed — or one step back to
  correct a mistake; a need that an intervention still answers does not go back below
  "taken up". "Merged" is reached only by merging a duplicate into another need: its
  supporters move to the target (no one counted twice) and the duplicate stays on
  record, pointing at the target.
* With the consent of the person concerned, a runner passes a need to a social service
  of the network (an active organisation); a coordinator of that organisation marks it
  taken in, and opens the intake in the case file themselves, with the channel
  "community lab" (labs does not import the case file).
* Interventions: an owner organisation, a plan, dates and a status, answering needs of
  the same lab only; linking a need moves it to at least "taken up".

Every service checks the access policy, runs in one transaction, writes the audit
trail, and refuses what it cannot do with a translated ValidationError, changing
nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from labs.models import (
    Intervention,
    InterventionStatus,
    Lab,
    LabStatus,
    Need,
    NeedCategory,
    NeedStatus,
    NeedVote,
)
from legami.audit import audit_change, diff, snapshot
from legami.models import Comune
from legami.policy import Action, allowed, require, scope, visible_to
from partners.models import Organisation

N = NeedStatus

# The moves on the board: one step forward, or one step back (to correct a mistake).
# "merged" is reached only through ``need_merge`` and is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    N.NEW: frozenset({N.DISCUSSED}),
    N.DISCUSSED: frozenset({N.NEW, N.TAKEN_UP}),
    N.TAKEN_UP: frozenset({N.DISCUSSED, N.ADDRESSED}),
    N.ADDRESSED: frozenset({N.TAKEN_UP}),
    N.MERGED: frozenset(),
}
# The order of the board's statuses: linking a need to an intervention moves it up to
# "taken up" unless it is already there or beyond.
ORDER = (N.NEW, N.DISCUSSED, N.TAKEN_UP, N.ADDRESSED)
# Interventions that still answer their needs (a dropped one no longer does).
LIVE_INTERVENTIONS = (
    InterventionStatus.DESIGNED,
    InterventionStatus.RUNNING,
    InterventionStatus.DONE,
)

_NEED_FIELDS = ("title", "description", "category", "place", "comune_id")
_INTERVENTION_FIELDS = ("title", "owner_id", "plan", "start_date", "end_date", "status")


def _status_label(status: str) -> str:
    return str(N(status).label) if status in N.values else status


def _locked(need: Need) -> Need:
    """The need re-read under a row lock: votes, merges and moves of the same need are
    serialised, and each sees the state the one before left."""
    return Need.objects.select_for_update().select_related("lab").get(pk=need.pk)


def _check_open(lab: Lab) -> None:
    if lab.status == LabStatus.CLOSED:
        raise ValidationError(
            _("This lab is closed: its board takes no new needs or supports."), code="lab_closed"
        )


def _check_not_merged(need: Need) -> None:
    if need.status == N.MERGED:
        raise ValidationError(
            _("This need has been merged into another one: support that one instead."),
            code="merged",
        )


# --- Posting and supporting ----------------------------------------------------------------


def need_post(
    *,
    lab: Lab,
    actor: Any,
    title: str,
    description: str = "",
    category: str,
    place: str = "",
    comune: Comune | None = None,
) -> Need:
    """Post a need on the lab's board: anyone with an account, while the lab is not
    closed. The person who posts it does not support it automatically."""
    require(actor, Action.READ, lab)
    if scope(actor, Action.CREATE, Need) is False:
        raise PermissionDenied
    _check_open(lab)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("Say in a few words what the need is.")
    if category not in NeedCategory.values:
        errors["category"] = _("Choose a category.")
    if comune is not None and not lab.comuni.filter(pk=comune.pk).exists():
        errors["comune"] = _("Choose one of the comuni of this lab.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        need = Need.objects.create(
            lab=lab,
            title=title.strip(),
            description=description.strip(),
            category=category,
            place=place.strip(),
            comune=comune,
            posted_by=actor,
        )
        # The rule is the policy's (CREATE on labs.need); asked on the saved row, and a
        # refusal rolls the row back.
        require(actor, Action.CREATE, need)
        audit_change(
            obj=need,
            action="create",
            changes={k: [None, v] for k, v in snapshot(need, _NEED_FIELDS).items() if v},
            actor=actor,
        )
    return need


def _require_participant(actor: Any, need: Need) -> None:
    """Supporting is taking part in the board: whoever may read the need and post on
    its board (the policy's CREATE on labs.need, asked about this need)."""
    require(actor, Action.READ, need)
    _check_open(need.lab)
    require(actor, Action.CREATE, need)


def need_vote(*, need: Need, actor: Any) -> Need:
    """Support a need: one support per person; the count goes up by one."""
    _require_participant(actor, need)
    with transaction.atomic():
        need = _locked(need)
        _check_not_merged(need)
        try:
            with transaction.atomic():
                vote = NeedVote.objects.create(need=need, user=actor)
        except IntegrityError:
            # A second request of the same person (the row lock makes this rare: the
            # constraint is the last word).
            raise ValidationError(
                _("You already support this need."), code="already_supported"
            ) from None
        Need.objects.filter(pk=need.pk).update(votes_count=F("votes_count") + 1)
        audit_change(obj=vote, action="create", changes={"need_id": [None, need.pk]}, actor=actor)
        need.refresh_from_db(fields=["votes_count"])
    return need


def need_unvote(*, need: Need, actor: Any) -> Need:
    """Withdraw one's support; the count goes down by one."""
    _require_participant(actor, need)
    with transaction.atomic():
        need = _locked(need)
        vote = NeedVote.objects.filter(need=need, user=actor).first()
        if vote is None:
            raise ValidationError(_("You do not support this need."), code="not_supported")
        audit_change(obj=vote, action="delete", changes={"need_id": [need.pk, None]}, actor=actor)
        vote.delete()
        Need.objects.filter(pk=need.pk).update(votes_count=F("votes_count") - 1)
        need.refresh_from_db(fields=["votes_count"])
    return need


def supported_by(user: Any, needs: Iterable[Need]) -> set[int]:
    """The ids among ``needs`` that ``user`` supports (one query; none for a visitor)."""
    ids = [n.pk for n in needs]
    if not getattr(user, "is_authenticated", False) or not ids:
        return set()
    return set(
        NeedVote.objects.filter(user=user, need_id__in=ids).values_list("need_id", flat=True)
    )


# --- Moving needs along the board ----------------------------------------------------------


def allowed_moves(need: Need) -> list[str]:
    """The statuses the board offers from the need's current one, in the board's order."""
    moves = TRANSITIONS.get(need.status, frozenset())
    return [s for s in ORDER if s in moves]


def _move(need: Need, to: str, actor: Any, note: str = "") -> None:
    before = need.status
    need.status = to
    need.save(update_fields=["status"])
    audit_change(obj=need, action="state", changes={"status": [before, to]}, note=note, actor=actor)


def need_set_status(*, need: Need, to: str, actor: Any) -> Need:
    """Move a need one step along the board (or one step back): the lab's runners."""
    require(actor, Action.CHANGE, need)
    with transaction.atomic():
        need = _locked(need)
        if to not in TRANSITIONS or to == N.MERGED:
            raise ValidationError(_("Choose a status of the board."), code="invalid_status")
        if to not in TRANSITIONS[need.status]:
            raise ValidationError(
                _("A need cannot go from “%(from)s” to “%(to)s”: move it one step at a time.")
                % {"from": _status_label(need.status), "to": _status_label(to)},
                code="invalid_move",
            )
        if (
            ORDER.index(to) < ORDER.index(N.TAKEN_UP)
            and need.interventions.filter(status__in=LIVE_INTERVENTIONS).exists()
        ):
            raise ValidationError(
                _("An intervention answers this need: it stays at least “taken up”."),
                code="answered",
            )
        _move(need, to, actor)
    return need


def need_merge(*, duplicate: Need, into: Need, actor: Any) -> Need:
    """Merge ``duplicate`` into ``into`` (two needs of the same lab): the supporters of
    the duplicate support the target (whoever supported both counts once), the counts
    are recomputed from the supports, and the duplicate is kept as "merged", pointing at
    the target (needs merged into it before now point at the target too). Returns the
    target."""
    require(actor, Action.CHANGE, duplicate)
    require(actor, Action.CHANGE, into)
    if duplicate.pk == into.pk:
        raise ValidationError(_("A need cannot be merged into itself."), code="same_need")
    if duplicate.lab_id != into.lab_id:
        raise ValidationError(_("Only needs of the same lab can be merged."), code="other_lab")
    with transaction.atomic():
        # Both rows locked, always in the same order: two merges never wait on each other.
        locked = {
            n.pk: n
            for n in Need.objects.select_for_update()
            .filter(pk__in=[duplicate.pk, into.pk])
            .order_by("pk")
        }
        duplicate, into = locked[duplicate.pk], locked[into.pk]
        if duplicate.status == N.MERGED:
            raise ValidationError(_("That need has already been merged."), code="merged")
        if into.status == N.MERGED:
            raise ValidationError(
                _("The target has itself been merged into another need: choose that one."),
                code="target_merged",
            )
        both = NeedVote.objects.filter(need=into).values("user_id")
        moved = NeedVote.objects.filter(need=duplicate).exclude(user_id__in=both).update(need=into)
        NeedVote.objects.filter(need=duplicate).delete()  # those who supported both
        Need.objects.filter(merged_into=duplicate).update(merged_into=into)
        counted_before = into.votes_count
        into.votes_count = NeedVote.objects.filter(need=into).count()
        into.save(update_fields=["votes_count"])
        before = snapshot(duplicate, ("status", "merged_into_id", "votes_count"))
        duplicate.status = N.MERGED
        duplicate.merged_into = into
        duplicate.votes_count = 0
        duplicate.save(update_fields=["status", "merged_into", "votes_count"])
        audit_change(
            obj=duplicate,
            action="state",
            changes=diff(before, snapshot(duplicate, ("status", "merged_into_id", "votes_count"))),
            note=_("merged into “%(title)s”") % {"title": into.title},
            actor=actor,
        )
        audit_change(
            obj=into,
            action="update",
            changes={"votes_count": [counted_before, into.votes_count], "supports_moved": moved},
            note=_("supporters of “%(title)s” moved here") % {"title": duplicate.title},
            actor=actor,
        )
    return into


def merge_targets(need: Need) -> QuerySet[Need]:
    """The needs ``need`` may be merged into: the others of its lab, not merged."""
    return Need.objects.filter(lab_id=need.lab_id).exclude(pk=need.pk).exclude(status=N.MERGED)


# --- Passing a need to a social service ----------------------------------------------------


def need_refer(
    *, need: Need, actor: Any, organisation: Organisation, consent_given_on: dt.date | None
) -> Need:
    """Pass the need to a social service of the network (an active organisation), with
    the consent of the person concerned, given on ``consent_given_on``: the lab's
    runners. A need is passed once."""
    require(actor, Action.CHANGE, need)
    errors: dict[str, str] = {}
    if consent_given_on is None:
        errors["consent_given_on"] = _(
            "A need is passed to a social service only with the consent of the person: "
            "give the date they gave it."
        )
    elif consent_given_on > timezone.localdate():
        errors["consent_given_on"] = _("The consent cannot be given in the future.")
    if not organisation.is_active:
        errors["organisation"] = _("This organisation is no longer active in the network.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        need = _locked(need)
        _check_not_merged(need)
        if need.referred_to_id is not None:
            raise ValidationError(
                _("This need has already been passed to %(organisation)s.")
                % {"organisation": need.referred_to},
                code="already_referred",
            )
        # The organisation re-read under lock: it cannot be switched off meanwhile.
        if (
            not Organisation.objects.select_for_update()
            .filter(pk=organisation.pk, is_active=True)
            .exists()
        ):
            raise ValidationError(
                {"organisation": _("This organisation is no longer active in the network.")}
            )
        before = snapshot(need, ("referred_to_id", "referral_consent_on", "referred_at"))
        need.referred_to = organisation
        need.referral_consent_on = consent_given_on
        need.referred_at = timezone.now()
        need.referred_by = actor
        need.save(
            update_fields=["referred_to", "referral_consent_on", "referred_at", "referred_by"]
        )
        audit_change(
            obj=need,
            action="update",
            changes=diff(
                before, snapshot(need, ("referred_to_id", "referral_consent_on", "referred_at"))
            ),
            note=_("passed to a social service with the person's consent"),
            actor=actor,
        )
    return need


def referred_needs(*, user: Any) -> QuerySet[Need]:
    """The needs passed to the organisations ``user`` coordinates, newest first (none
    for anyone else): the policy's "labs.need_referral"."""
    return (
        visible_to(user, "labs.need_referral", Action.LIST, queryset=Need.objects.all())
        .select_related("lab", "referred_to", "comune")
        .order_by(F("referral_taken_at").desc(nulls_first=True), "-referred_at", "-id")
    )


def need_referral_taken(*, need: Need, actor: Any) -> Need:
    """A coordinator of the receiving organisation marks the need taken in (they open the
    intake in the case file themselves, with the channel "community lab")."""
    if need.referred_to_id is None or not allowed(actor, Action.CHANGE, "labs.need_referral", need):
        raise PermissionDenied
    with transaction.atomic():
        need = _locked(need)
        if need.referral_taken_at is not None:
            raise ValidationError(_("This need has already been taken in."), code="already_taken")
        need.referral_taken_at = timezone.now()
        need.save(update_fields=["referral_taken_at"])
        audit_change(
            obj=need,
            action="update",
            changes={"referral_taken_at": [None, need.referral_taken_at.isoformat()]},
            note=_("taken in by the social service"),
            actor=actor,
        )
    return need


# --- Interventions -------------------------------------------------------------------------


def _clean_intervention(
    *,
    lab: Lab,
    title: str,
    owner: Organisation,
    plan: str,
    start_date: dt.date | None,
    end_date: dt.date | None,
    status: str,
    needs: Iterable[Need],
) -> list[Need]:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("Give the intervention a title.")
    if not plan.strip():
        errors["plan"] = _("Describe the plan: what will be done, by whom, how.")
    if not owner.is_active:
        errors["owner"] = _("This organisation is no longer active in the network.")
    if start_date and end_date and end_date < start_date:
        errors["end_date"] = _("The end comes before the start.")
    if status not in InterventionStatus.values:
        errors["status"] = _("Choose a status.")
    needs = list(needs)
    if any(n.lab_id != lab.pk for n in needs):
        errors["needs"] = _("An intervention answers only needs of its own lab.")
    elif any(n.status == N.MERGED for n in needs):
        errors["needs"] = _("A merged need cannot be answered: choose the one it was merged into.")
    if errors:
        raise ValidationError(errors)
    return needs


def _link_needs(intervention: Intervention, needs: list[Need], actor: Any) -> None:
    """Answer exactly ``needs``. While the intervention is not dropped, each need it
    answers is at least "taken up": those below move up."""
    wanted = {n.pk for n in needs}
    intervention.needs.set(wanted)
    if intervention.status == InterventionStatus.DROPPED or not wanted:
        return
    for need in Need.objects.select_for_update().filter(pk__in=wanted).order_by("pk"):
        if need.status in (N.NEW, N.DISCUSSED):
            _move(
                need,
                N.TAKEN_UP,
                actor,
                note=_("answered by the intervention “%(title)s”") % {"title": intervention.title},
            )


def intervention_create(
    *,
    lab: Lab,
    actor: Any,
    title: str,
    owner: Organisation,
    plan: str,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    status: str = InterventionStatus.DESIGNED,
    needs: Iterable[Need] = (),
) -> Intervention:
    """Design an intervention of the lab: its runners. The needs it answers (of the same
    lab) move to at least "taken up"."""
    require(actor, Action.CHANGE, lab)
    needs = _clean_intervention(
        lab=lab,
        title=title,
        owner=owner,
        plan=plan,
        start_date=start_date,
        end_date=end_date,
        status=status,
        needs=needs,
    )
    with transaction.atomic():
        intervention = Intervention.objects.create(
            lab=lab,
            title=title.strip(),
            owner=owner,
            plan=plan.strip(),
            start_date=start_date,
            end_date=end_date,
            status=status,
        )
        require(actor, Action.CREATE, intervention)
        audit_change(
            obj=intervention,
            action="create",
            changes={
                **{
                    k: [None, v]
                    for k, v in snapshot(intervention, _INTERVENTION_FIELDS).items()
                    if v not in ("", None)
                },
                "needs": [[], sorted(n.pk for n in needs)],
            },
            actor=actor,
        )
        _link_needs(intervention, needs, actor)
    return intervention


def intervention_update(
    *,
    intervention: Intervention,
    actor: Any,
    title: str,
    owner: Organisation,
    plan: str,
    start_date: dt.date | None,
    end_date: dt.date | None,
    status: str,
    needs: Iterable[Need],
) -> Intervention:
    """Change an intervention: its title, owner, plan, dates, status and the needs it
    answers (of the same lab; a newly linked need moves to at least "taken up"). Needs
    no longer linked keep their status: the runners move them if they need to."""
    require(actor, Action.CHANGE, intervention)
    lab = intervention.lab
    needs = _clean_intervention(
        lab=lab,
        title=title,
        owner=owner,
        plan=plan,
        start_date=start_date,
        end_date=end_date,
        status=status,
        needs=needs,
    )
    with transaction.atomic():
        intervention = Intervention.objects.select_for_update().get(pk=intervention.pk)
        before = {
            **snapshot(intervention, _INTERVENTION_FIELDS),
            "needs": sorted(intervention.needs.values_list("pk", flat=True)),
        }
        intervention.title = title.strip()
        intervention.owner = owner
        intervention.plan = plan.strip()
        intervention.start_date = start_date
        intervention.end_date = end_date
        intervention.status = status
        intervention.save(
            update_fields=["title", "owner", "plan", "start_date", "end_date", "status"]
        )
        _link_needs(intervention, needs, actor)
        after = {
            **snapshot(intervention, _INTERVENTION_FIELDS),
            "needs": sorted(n.pk for n in needs),
        }
        changes = diff(before, after)
        if changes:
            audit_change(obj=intervention, action="update", changes=changes, actor=actor)
    return intervention


def can_run(user: Any, lab: Lab) -> bool:
    """Whether ``user`` runs ``lab`` (moves, merges and refers its needs, designs its
    interventions): the policy's CHANGE on the lab."""
    return allowed(user, Action.CHANGE, lab)


def needs_filter(qs: QuerySet[Need], *, category: str = "", status: str = "") -> QuerySet[Need]:
    """The board's filters: by category and by status (merged needs only when asked)."""
    if category:
        qs = qs.filter(category=category)
    qs = qs.filter(status=status) if status else qs.filter(~Q(status=N.MERGED))
    return qs
