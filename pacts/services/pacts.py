"""The pact's lifecycle and contents.

The lifecycle is a state machine: draft → proposed → signed → active → in review →
completed | interrupted, with renewal as a new pact linked to the old one. Every move
goes through ``pact_transition`` (or a service that calls it), which refuses an invalid
move with a ValidationError and changes nothing. Goals, commitments and signatories
change only while the pact is a draft; taking a proposed pact back to draft clears the
signatures collected so far.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beneficiaries.models import Case, CaseStage
from beneficiaries.services.cases import require_not_restricted
from legami.audit import audit_change, diff, snapshot
from legami.policy import Action, allowed, require, subject_for
from legami.roles import Role
from pacts.models import (
    Commitment,
    CommitmentDirection,
    Goal,
    GoalOutcome,
    Pact,
    PactStatus,
    Signatory,
    SignatoryKind,
)
from pacts.models.pact import FINAL_STATUSES, GIVE_BACK_KINDS, PROVIDE_KINDS
from partners.models import Organisation

S = PactStatus

# The moves of the state machine. Some have guards (see ``_guard``); signing, starting,
# reviewing and renewing are services of their own that end in one of these moves.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.PROPOSED}),
    S.PROPOSED: frozenset({S.DRAFT, S.SIGNED, S.INTERRUPTED}),
    S.SIGNED: frozenset({S.ACTIVE, S.INTERRUPTED}),
    S.ACTIVE: frozenset({S.IN_REVIEW, S.INTERRUPTED}),
    S.IN_REVIEW: frozenset({S.ACTIVE, S.COMPLETED, S.INTERRUPTED}),
    S.COMPLETED: frozenset(),
    S.INTERRUPTED: frozenset(),
}

SCAN_MAX_BYTES = 10 * 1024 * 1024
SCAN_TYPES = {
    b"%PDF": "application/pdf",
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}

SCAN_EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}

_CONTENT_FIELDS = (
    "title",
    "context",
    "strengths",
    "covers_household",
    "start_date",
    "end_date",
    "review_every_weeks",
)


def _created(obj: Any, actor: Any, note: str = "") -> None:
    audit_change(
        obj=obj,
        action="create",
        changes={k: [None, v] for k, v in snapshot(obj).items() if v not in ("", None)},
        note=note,
        actor=actor,
    )


def _deleted(obj: Any, actor: Any) -> None:
    audit_change(obj=obj, action="delete", changes={}, actor=actor)


def _locked(pact: Pact) -> Pact:
    """The pact re-read under a row lock: two users moving the same pact at once are
    serialised, and the second sees the first one's state."""
    return Pact.objects.select_for_update().get(pk=pact.pk)


def _require_editable(pact: Pact) -> None:
    if pact.status != S.DRAFT:
        raise ValidationError(
            _("Only a draft can be changed: take the pact back to draft first."),
            code="not_draft",
        )


def _label(status: str) -> str:
    return str(S(status).label) if status in S.values else status


# --- Creating and editing ----------------------------------------------------------------


def pact_create(
    *,
    case: Case,
    actor: Any,
    title: str,
    context: str = "",
    strengths: str = "",
    covers_household: bool = False,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    review_every_weeks: int = 8,
    renewal_of: Pact | None = None,
) -> Pact:
    """Draft a pact for an open case the actor works on. The person and the actor are
    added as signatories (the actor as case worker)."""
    require(actor, Action.CHANGE, case)
    require_not_restricted(case.person)
    if case.stage == CaseStage.CLOSED:
        raise ValidationError(_("A pact needs an open case: this case is closed."), code="closed")
    if not title.strip():
        raise ValidationError({"title": _("Give the pact a title.")})
    _check_dates(start_date, end_date, review_every_weeks)
    with transaction.atomic():
        pact = Pact.objects.create(
            case=case,
            person=case.person,
            title=title.strip(),
            context=context,
            strengths=strengths,
            covers_household=covers_household,
            start_date=start_date,
            end_date=end_date,
            review_every_weeks=review_every_weeks,
            renewal_of=renewal_of,
            created_by=actor,
        )
        _created(pact, actor)
        for signatory in (
            Signatory(pact=pact, kind=SignatoryKind.BENEFICIARY),
            Signatory(pact=pact, kind=SignatoryKind.CASE_WORKER, user=actor),
        ):
            signatory.save()
            _created(signatory, actor)
    return pact


def _check_dates(
    start_date: dt.date | None, end_date: dt.date | None, review_every_weeks: int | None
) -> None:
    errors: dict[str, str] = {}
    if start_date and end_date and end_date < start_date:
        errors["end_date"] = _("The planned end comes before the start.")
    if review_every_weeks is not None and not 1 <= review_every_weeks <= 52:
        errors["review_every_weeks"] = _("Review the pact every 1 to 52 weeks.")
    if errors:
        raise ValidationError(errors)


def pact_update(*, pact: Pact, actor: Any, **values: Any) -> Pact:
    """Change the pact's title, context, strengths, dates or review schedule. The
    contents change only in a draft; the review schedule and the planned end can also be
    changed while the pact runs."""
    require(actor, Action.CHANGE, pact)
    unknown = set(values) - set(_CONTENT_FIELDS)
    if unknown:
        raise ValueError(f"pact_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        pact = _locked(pact)
        # A running pact may be rescheduled; a proposed or signed one is what its
        # signatories are signing or signed, so it changes only back in draft.
        running_change = pact.running and not set(values) - {"review_every_weeks", "end_date"}
        if pact.status != S.DRAFT and not running_change:
            _require_editable(pact)
        if "title" in values:
            if not str(values["title"]).strip():
                raise ValidationError({"title": _("Give the pact a title.")})
            values["title"] = str(values["title"]).strip()
        _check_dates(
            values.get("start_date", pact.start_date),
            values.get("end_date", pact.end_date),
            values.get("review_every_weeks", pact.review_every_weeks),
        )
        before = snapshot(pact, _CONTENT_FIELDS)
        for name, value in values.items():
            setattr(pact, name, value)
        pact.updated_at = timezone.now()
        pact.save(update_fields=[*values, "updated_at"])
        changes = diff(before, snapshot(pact, _CONTENT_FIELDS))
        if changes:
            audit_change(obj=pact, action="update", changes=changes, actor=actor)
    return pact


def goal_add(
    *,
    pact: Pact,
    actor: Any,
    description: str,
    indicator: str,
    target_date: dt.date,
    target: str = "",
    organisation: Organisation | None = None,
) -> Goal:
    """Add a goal with a measurable indicator and a target date to a draft."""
    require(actor, Action.CHANGE, pact)
    with transaction.atomic():
        pact = _locked(pact)
        _require_editable(pact)
        _check_goal(pact, description, indicator, target_date, organisation)
        position = pact.goals.count()
        goal = Goal.objects.create(
            pact=pact,
            position=position,
            description=description.strip(),
            indicator=indicator.strip(),
            target=target,
            target_date=target_date,
            organisation=organisation,
        )
        _created(goal, actor)
    return goal


def _check_goal(
    pact: Pact,
    description: str,
    indicator: str,
    target_date: dt.date | None,
    organisation: Organisation | None,
) -> None:
    errors: dict[str, str] = {}
    if not description.strip():
        errors["description"] = _("Describe the goal.")
    if not indicator.strip():
        errors["indicator"] = _("Say how you will measure it.")
    if target_date is None:
        errors["target_date"] = _("Give a target date.")
    elif pact.start_date and target_date < pact.start_date:
        errors["target_date"] = _("The target date comes before the pact starts.")
    if organisation is not None and not organisation.is_active:
        errors["organisation"] = _("This organisation is no longer active in the network.")
    if errors:
        raise ValidationError(errors)


def goal_update(*, goal: Goal, actor: Any, **values: Any) -> Goal:
    """Change a goal of a draft."""
    require(actor, Action.CHANGE, goal.pact)
    allowed_fields = {"description", "indicator", "target", "target_date", "organisation"}
    if set(values) - allowed_fields:
        raise ValueError(f"goal_update cannot change {sorted(set(values) - allowed_fields)}")
    with transaction.atomic():
        pact = _locked(goal.pact)
        _require_editable(pact)
        merged = {name: values.get(name, getattr(goal, name)) for name in allowed_fields}
        _check_goal(
            pact,
            merged["description"],
            merged["indicator"],
            merged["target_date"],
            merged["organisation"],
        )
        before = snapshot(goal)
        for name, value in values.items():
            setattr(goal, name, value.strip() if isinstance(value, str) else value)
        goal.save()
        changes = diff(before, snapshot(goal))
        if changes:
            audit_change(obj=goal, action="update", changes=changes, actor=actor)
    return goal


def goal_remove(*, goal: Goal, actor: Any) -> None:
    """Remove a goal from a draft."""
    require(actor, Action.CHANGE, goal.pact)
    with transaction.atomic():
        _require_editable(_locked(goal.pact))
        _deleted(goal, actor)
        goal.delete()


def commitment_add(
    *,
    pact: Pact,
    actor: Any,
    direction: str,
    kind: str,
    description: str,
    quantity: Decimal,
    unit: str,
    period: str,
    organisation: Organisation | None = None,
    owner: str = "",
) -> Commitment:
    """Add a commitment to a draft: support to the person (by an organisation or a
    named community actor), or what the person gives back (at an organisation, or
    towards a named community actor)."""
    require(actor, Action.CHANGE, pact)
    with transaction.atomic():
        pact = _locked(pact)
        _require_editable(pact)
        _check_commitment(direction, kind, description, quantity, organisation, owner)
        commitment = Commitment.objects.create(
            pact=pact,
            position=pact.commitments.filter(direction=direction).count(),
            direction=direction,
            kind=kind,
            description=description.strip(),
            quantity=quantity,
            unit=unit,
            period=period,
            organisation=organisation,
            owner=owner.strip(),
        )
        _created(commitment, actor)
    return commitment


def _check_commitment(
    direction: str,
    kind: str,
    description: str,
    quantity: Decimal | None,
    organisation: Organisation | None,
    owner: str,
) -> None:
    errors: dict[str, str] = {}
    kinds = PROVIDE_KINDS if direction == CommitmentDirection.PROVIDES else GIVE_BACK_KINDS
    if direction not in CommitmentDirection.values:
        errors["direction"] = _("Choose whether it is support or something given back.")
    elif kind not in kinds:
        errors["kind"] = _("This kind of commitment does not fit its direction.")
    if not description.strip():
        errors["description"] = _("Describe the commitment.")
    if quantity is None or quantity <= 0:
        errors["quantity"] = _("The quantity must be more than zero.")
    if organisation is None and not owner.strip():
        errors["owner"] = _("Name who is responsible: an organisation or a person.")
    if organisation is not None and not organisation.is_active:
        errors["organisation"] = _("This organisation is no longer active in the network.")
    if errors:
        raise ValidationError(errors)


def commitment_update(*, commitment: Commitment, actor: Any, **values: Any) -> Commitment:
    """Change a commitment of a draft."""
    require(actor, Action.CHANGE, commitment.pact)
    fields = {
        "direction",
        "kind",
        "description",
        "quantity",
        "unit",
        "period",
        "organisation",
        "owner",
    }
    if set(values) - fields:
        raise ValueError(f"commitment_update cannot change {sorted(set(values) - fields)}")
    with transaction.atomic():
        _require_editable(_locked(commitment.pact))
        merged = {name: values.get(name, getattr(commitment, name)) for name in fields}
        _check_commitment(
            merged["direction"],
            merged["kind"],
            merged["description"],
            merged["quantity"],
            merged["organisation"],
            merged["owner"],
        )
        before = snapshot(commitment)
        for name, value in values.items():
            setattr(commitment, name, value.strip() if isinstance(value, str) else value)
        commitment.save()
        changes = diff(before, snapshot(commitment))
        if changes:
            audit_change(obj=commitment, action="update", changes=changes, actor=actor)
    return commitment


def commitment_remove(*, commitment: Commitment, actor: Any) -> None:
    """Remove a commitment from a draft (one with hours recorded cannot be: a draft has
    none)."""
    require(actor, Action.CHANGE, commitment.pact)
    with transaction.atomic():
        _require_editable(_locked(commitment.pact))
        _deleted(commitment, actor)
        commitment.delete()


def signatory_add(
    *,
    pact: Pact,
    actor: Any,
    kind: str,
    organisation: Organisation | None = None,
    user: Any = None,
    name: str = "",
) -> Signatory:
    """Ask one more party to sign a draft: a partner organisation (its staff will sign
    in Legami) or a community actor (signs on paper)."""
    require(actor, Action.CHANGE, pact)
    if kind not in (SignatoryKind.ORGANISATION, SignatoryKind.COMMUNITY):
        raise ValidationError(
            {"kind": _("The person and the case worker are on every pact already.")}
        )
    if kind == SignatoryKind.ORGANISATION and (organisation is None or not organisation.is_active):
        raise ValidationError({"organisation": _("Choose an active organisation of the network.")})
    if kind == SignatoryKind.COMMUNITY and not name.strip():
        raise ValidationError({"name": _("Give the name of the community actor.")})
    with transaction.atomic():
        pact = _locked(pact)
        _require_editable(pact)
        if organisation is not None and pact.signatories.filter(organisation=organisation).exists():
            raise ValidationError(
                {"organisation": _("This organisation is already a signatory of the pact.")}
            )
        signatory = Signatory.objects.create(
            pact=pact,
            kind=kind,
            organisation=organisation if kind == SignatoryKind.ORGANISATION else None,
            name=name.strip(),
        )
        _created(signatory, actor)
    return signatory


def signatory_remove(*, signatory: Signatory, actor: Any) -> None:
    """Take a partner organisation or community actor off a draft."""
    require(actor, Action.CHANGE, signatory.pact)
    if signatory.kind in (SignatoryKind.BENEFICIARY, SignatoryKind.CASE_WORKER):
        raise ValidationError(_("The person and the case worker sign every pact."))
    with transaction.atomic():
        _require_editable(_locked(signatory.pact))
        _deleted(signatory, actor)
        signatory.delete()


# --- The state machine -------------------------------------------------------------------


def _guard(pact: Pact, to: str) -> None:
    """Conditions of a move beyond the arrow itself."""
    if to == S.PROPOSED:
        errors = []
        if not pact.goals.exists():
            errors.append(_("Add at least one goal."))
        if not pact.commitments.filter(direction=CommitmentDirection.GIVES_BACK).exists():
            errors.append(_("Add at least one thing the person gives back (restitution)."))
        if not pact.commitments.filter(direction=CommitmentDirection.PROVIDES).exists():
            errors.append(_("Add at least one form of support to the person."))
        if errors:
            # A list of plain messages would drop the code: give each message its own.
            raise ValidationError([ValidationError(m, code="incomplete") for m in errors])
    elif to == S.SIGNED:
        if pact.signatories.filter(signed_at__isnull=True).exists():
            raise ValidationError(
                _("Every signatory must sign before the pact is signed."), code="unsigned"
            )
    elif to == S.COMPLETED and not pact.reviews.filter(final=True).exists():
        raise ValidationError(_("A pact is completed by its final review."), code="no_final_review")


def pact_transition(
    *,
    pact: Pact,
    to: str,
    actor: Any,
    reason: str = "",
    on: dt.date | None = None,
    _checked: bool = False,
) -> Pact:
    """Move the pact to status ``to``. A move the state machine does not allow, or whose
    conditions are not met, is refused with a ValidationError and changes nothing.

    ``reason`` is required to interrupt; ``on`` is the date the pact starts (to active,
    default today) or ends."""
    if not _checked:
        require(actor, Action.CHANGE, pact)
    with transaction.atomic():
        pact = _locked(pact)
        if to not in TRANSITIONS.get(pact.status, frozenset()):
            raise ValidationError(
                _("A pact cannot move from %(from)s to %(to)s.")
                % {"from": _label(pact.status), "to": _label(to)},
                code="invalid_transition",
            )
        if pact.status == S.DRAFT:
            require_not_restricted(pact.person)
        _guard(pact, to)
        today = timezone.localdate()
        before = snapshot(pact, ["status", "start_date", "next_review_on", "ended_on"])
        fields = ["status", "updated_at"]
        if to == S.INTERRUPTED:
            if not reason.strip():
                raise ValidationError(
                    {"interruption_reason": _("Give the reason for interrupting the pact.")}
                )
            pact.interruption_reason = reason.strip()
            fields.append("interruption_reason")
        if to in FINAL_STATUSES:
            pact.ended_on = on or today
            pact.next_review_on = None
            fields += ["ended_on", "next_review_on"]
        if to == S.ACTIVE and pact.status == S.SIGNED:
            start = on or pact.start_date or today
            if pact.end_date and start > pact.end_date:
                raise ValidationError({"start_date": _("The pact would start after its end.")})
            pact.start_date = start
            pact.next_review_on = start + dt.timedelta(weeks=pact.review_every_weeks)
            fields += ["start_date", "next_review_on"]
        if to == S.DRAFT:
            # Back to draft to change it: the signatures given so far no longer hold.
            signed = list(pact.signatories.filter(signed_at__isnull=False))
            for signatory in signed:
                audit_change(
                    obj=signatory,
                    action="update",
                    changes={"signed_at": [signatory.signed_at.isoformat(), None]},  # type: ignore[union-attr]
                    note=_("signature cleared: pact back to draft"),
                    actor=actor,
                )
            pact.signatories.update(signed_at=None, signed_by=None, on_paper=False)
        pact.status = to
        pact.updated_at = timezone.now()
        pact.save(update_fields=list(dict.fromkeys(fields)))
        after = snapshot(pact, ["status", "start_date", "next_review_on", "ended_on"])
        audit_change(
            obj=pact,
            action="state",
            changes=diff(before, after),
            note=reason.strip(),
            actor=actor,
        )
    return pact


def pact_propose(*, pact: Pact, actor: Any) -> Pact:
    """Put a complete draft to its signatories."""
    return pact_transition(pact=pact, to=S.PROPOSED, actor=actor)


def pact_back_to_draft(*, pact: Pact, actor: Any) -> Pact:
    """Take a proposed pact back to change it (signatures collected are cleared)."""
    return pact_transition(pact=pact, to=S.DRAFT, actor=actor)


def pact_start(*, pact: Pact, actor: Any, on: dt.date | None = None) -> Pact:
    """Start a signed pact: its first review falls ``review_every_weeks`` later."""
    return pact_transition(pact=pact, to=S.ACTIVE, actor=actor, on=on)


def pact_interrupt(*, pact: Pact, actor: Any, reason: str) -> Pact:
    """Interrupt a pact that is proposed, signed or running, with a reason."""
    return pact_transition(pact=pact, to=S.INTERRUPTED, actor=actor, reason=reason)


def can_sign(user: Any, signatory: Signatory) -> bool:
    """Whether ``user`` may sign for ``signatory``: staff of the organisation for an
    organisation; the case worker themselves; for the person and community actors, who
    sign on paper, a worker who may change the pact records it."""
    if signatory.signed_at is not None or signatory.pact.status != S.PROPOSED:
        return False
    if signatory.kind == SignatoryKind.ORGANISATION:
        return allowed(user, Action.CHANGE, signatory)
    if signatory.kind == SignatoryKind.CASE_WORKER:
        return bool(user.is_authenticated and signatory.user_id == user.pk)
    return allowed(user, Action.CHANGE, signatory.pact)


def pact_sign(
    *, pact: Pact, signatory: Signatory, signer: Any, at: dt.datetime | None = None
) -> Pact:
    """Sign a proposed pact for ``signatory``. Organisations sign through their staff,
    the case worker signs for themselves, and the signatures of the person and of
    community actors (given on the paper copy) are recorded by a case worker. When the
    last signature is in, the pact is signed."""
    if signatory.pact_id != pact.pk:
        raise ValueError("the signatory belongs to another pact")
    with transaction.atomic():
        pact = _locked(pact)
        signatory = Signatory.objects.select_for_update().get(pk=signatory.pk)
        signatory.pact = pact
        if pact.status != S.PROPOSED:
            raise ValidationError(
                _("Only a proposed pact can be signed; this one is %(status)s.")
                % {"status": _label(pact.status)},
                code="invalid_transition",
            )
        if signatory.signed_at is not None:
            raise ValidationError(_("This signature has already been given."), code="signed")
        if not can_sign(signer, signatory):
            raise PermissionDenied
        signatory.signed_at = at or timezone.now()
        signatory.signed_by = signer
        signatory.on_paper = signatory.kind in (SignatoryKind.BENEFICIARY, SignatoryKind.COMMUNITY)
        signatory.save(update_fields=["signed_at", "signed_by", "on_paper"])
        audit_change(
            obj=signatory,
            action="sign",
            changes={"signed_at": [None, signatory.signed_at.isoformat()]},
            actor=signer,
        )
        if not pact.signatories.filter(signed_at__isnull=True).exists():
            pact = pact_transition(pact=pact, to=S.SIGNED, actor=signer, _checked=True)
    return pact


def pact_renew(*, pact: Pact, actor: Any, title: str = "") -> Pact:
    """Renew a completed pact: a new draft linked to the old one, carrying over the goals
    not yet achieved, the commitments and the signatories (to sign again). A pact is
    renewed once."""
    require(actor, Action.CHANGE, pact)
    if pact.status != S.COMPLETED:
        raise ValidationError(
            _("Only a completed pact can be renewed (complete it with a final review)."),
            code="invalid_transition",
        )
    if Pact.objects.filter(renewal_of=pact).exists():
        raise ValidationError(_("This pact has already been renewed."), code="renewed")
    latest = _latest_outcomes(pact)
    try:
        with transaction.atomic():
            new = pact_create(
                case=pact.case,
                actor=actor,
                title=title or pact.title,
                context=pact.context,
                strengths=pact.strengths,
                covers_household=pact.covers_household,
                review_every_weeks=pact.review_every_weeks,
                renewal_of=pact,
            )
            for goal in pact.goals.all():
                if latest.get(goal.pk) == GoalOutcome.ACHIEVED:
                    continue
                copied_goal = Goal.objects.create(
                    pact=new,
                    position=goal.position,
                    description=goal.description,
                    indicator=goal.indicator,
                    target=goal.target,
                    target_date=max(goal.target_date, timezone.localdate()),
                    organisation=goal.organisation,
                )
                _created(copied_goal, actor, note=_("carried over from the renewed pact"))
            _copy(pact.commitments.all(), new, actor)
            for signatory in pact.signatories.filter(
                kind__in=[SignatoryKind.ORGANISATION, SignatoryKind.COMMUNITY]
            ):
                copied_signatory = Signatory.objects.create(
                    pact=new,
                    kind=signatory.kind,
                    organisation=signatory.organisation,
                    name=signatory.name,
                )
                _created(copied_signatory, actor, note=_("carried over from the renewed pact"))
            audit_change(
                obj=pact, action="renew", changes={"renewal": [None, str(new.pk)]}, actor=actor
            )
    except IntegrityError as exc:  # a concurrent renewal won the one-to-one link
        raise ValidationError(_("This pact has already been renewed."), code="renewed") from exc
    return new


def _copy(commitments: Iterable[Commitment], new: Pact, actor: Any) -> None:
    for c in commitments:
        copied = Commitment.objects.create(
            pact=new,
            position=c.position,
            direction=c.direction,
            kind=c.kind,
            description=c.description,
            organisation=c.organisation,
            owner=c.owner,
            quantity=c.quantity,
            unit=c.unit,
            period=c.period,
        )
        _created(copied, actor, note=_("carried over from the renewed pact"))


def _latest_outcomes(pact: Pact) -> dict[int, str]:
    """Each goal's outcome at its latest review."""
    from pacts.models import ReviewGoalOutcome

    latest: dict[int, str] = {}
    for goal_id, outcome in (
        ReviewGoalOutcome.objects.filter(review__pact=pact)
        .order_by("review__date", "review_id")
        .values_list("goal_id", "outcome")
    ):
        latest[goal_id] = outcome
    return latest


def pact_attach_scan(*, pact: Pact, actor: Any, file: UploadedFile) -> Pact:
    """Attach the scan of the signed paper copy (PDF, PNG or JPEG, at most 10 MB) to a
    pact that has been signed. A new scan replaces the previous one (which is kept in
    the change history by name)."""
    require(actor, Action.CHANGE, pact)
    if pact.status in (S.DRAFT, S.PROPOSED):
        raise ValidationError(
            {"scan": _("Attach the scan once the pact is signed.")}, code="not_signed"
        )
    if file.size is None or file.size > SCAN_MAX_BYTES:
        raise ValidationError({"scan": _("The scan is larger than 10 MB.")})
    head = file.read(8)
    file.seek(0)
    if not any(head.startswith(magic) for magic in SCAN_TYPES):
        raise ValidationError({"scan": _("The scan must be a PDF, PNG or JPEG file.")})
    with transaction.atomic():
        pact = _locked(pact)
        previous = pact.scan.name if pact.scan else None
        # The stored name is the pact's opaque id only: the uploaded file's own name
        # often carries the person's name or codice fiscale.
        extension = SCAN_EXTENSIONS[SCAN_TYPES[next(m for m in SCAN_TYPES if head.startswith(m))]]
        pact.scan.save(f"pact-{pact.public_id}{extension}", file, save=False)
        pact.updated_at = timezone.now()
        pact.save(update_fields=["scan", "updated_at"])
        audit_change(
            obj=pact, action="update", changes={"scan": [previous, pact.scan.name]}, actor=actor
        )
    return pact


def pact_worker_ids(pact: Pact) -> set[int]:
    """The users following the pact: the workers assigned to its case now."""
    return set(pact.case.assignments.filter(end__isnull=True).values_list("worker_id", flat=True))


def signing_organisations(user: Any) -> frozenset[int]:
    return subject_for(user).orgs(Role.PARTNER_STAFF, Role.COORDINATOR, Role.OPERATOR)
