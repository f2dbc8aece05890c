"""Services of taking charge: intake, opening a case, assignments, the stages of the
case (a state machine), the diary, referrals and consents.

Every change asks the access policy first and is written to the audit trail. The parts
of a file (diary notes, referrals, consents) are created by whoever may change the case
or the person they belong to: the policy's rules for creating them are the same scopes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beneficiaries.models import (
    Case,
    CaseAssignment,
    CaseStage,
    Consent,
    DiaryNote,
    Intake,
    Person,
    Referral,
    ReferralStatus,
)
from legami.audit import audit_change, snapshot
from legami.models import Ambito
from legami.policy import Action, allowed, require, subject_for
from legami.roles import Role
from partners.models import Organisation

# The stages a case may move to from each stage with ``case_advance``; closing and
# reopening have their own services.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStage.INTAKE: frozenset({CaseStage.ASSESSMENT}),
    CaseStage.ASSESSMENT: frozenset({CaseStage.PACT}),
    CaseStage.PACT: frozenset({CaseStage.MONITORING}),
    CaseStage.MONITORING: frozenset(),
    CaseStage.CLOSED: frozenset(),
}


def _created(obj: Any, actor: Any) -> None:
    audit_change(
        obj=obj,
        action="create",
        changes={k: [None, v] for k, v in snapshot(obj).items() if v not in ("", None)},
        actor=actor,
    )


def _works_at(user: Any, organisation: Organisation) -> bool:
    return organisation.pk in subject_for(user).orgs(Role.OPERATOR, Role.COORDINATOR)


def _require_works_at(user: Any, organisation: Organisation) -> None:
    if not _works_at(user, organisation):
        raise PermissionDenied


def require_not_restricted(person: Person) -> None:
    """While processing is restricted (GDPR art. 18) the file is kept, not worked on:
    no new notes, referrals, assignments, stages or anagrafica changes. Closing the case,
    withdrawing a consent and lifting the restriction stay possible."""
    if person.restricted:
        raise ValidationError(
            _("Processing of this file is restricted: lift the restriction first."),
            code="restricted",
        )


def intake_create(
    *,
    person: Person,
    organisation: Organisation,
    ambito: Ambito,
    channel: str,
    actor: Any,
    date: dt.date | None = None,
    reported_by: str = "",
    reporting_organisation: Organisation | None = None,
    first_needs: str = "",
) -> Intake:
    """Record an access or report of ``person`` at a service the actor works for (not
    while the processing of their file is restricted)."""
    require(actor, Action.CREATE, Case)
    _require_works_at(actor, organisation)
    if person.cases.exists():
        require(actor, Action.CHANGE, person)
    require_not_restricted(person)
    with transaction.atomic():
        intake = Intake.objects.create(
            person=person,
            organisation=organisation,
            ambito=ambito,
            channel=channel,
            date=date or timezone.localdate(),
            reported_by=reported_by,
            reporting_organisation=reporting_organisation,
            first_needs=first_needs,
            created_by=actor,
        )
        _created(intake, actor)
    return intake


def case_open(
    *,
    organisation: Organisation,
    ambito: Ambito,
    actor: Any,
    intake: Intake | None = None,
    person: Person | None = None,
    opened_on: dt.date | None = None,
) -> Case:
    """Take charge of a person (given, or the intake's) at a service the actor works
    for, in the intake stage, today or on ``opened_on`` (not in the future: a case list
    brought over from paper). A social worker who opens it becomes its case manager. A
    service has at most one open case per person."""
    if intake is not None:
        person = intake.person
    if person is None:
        raise ValueError("case_open needs an intake or a person")
    require(actor, Action.CREATE, Case)
    _require_works_at(actor, organisation)
    opened_on = opened_on or timezone.localdate()
    if opened_on > timezone.localdate():
        raise ValidationError({"opened_on": _("The date of taking charge is in the future.")})
    if person.cases.exclude(stage=CaseStage.CLOSED).filter(organisation=organisation).exists():
        raise ValidationError(_("This service already has an open case for this person."))
    with transaction.atomic():
        case = Case.objects.create(
            person=person,
            organisation=organisation,
            ambito=ambito,
            intake=intake,
            opened_on=opened_on,
        )
        _created(case, actor)
        if organisation.pk in subject_for(actor).orgs(Role.OPERATOR):
            _assign(
                case=case, worker=actor, kind=CaseAssignment.Kind.LEAD, actor=actor, start=opened_on
            )
    return case


def _assign(
    *, case: Case, worker: Any, kind: str, actor: Any, start: dt.date | None = None
) -> CaseAssignment:
    today = timezone.localdate()
    if kind == CaseAssignment.Kind.LEAD:
        for previous in case.assignments.filter(end__isnull=True, kind=CaseAssignment.Kind.LEAD):
            _end(previous, today, actor)
    assignment = CaseAssignment.objects.create(
        case=case, worker=worker, kind=kind, start=start or today, assigned_by=actor
    )
    _created(assignment, actor)
    return assignment


def _end(assignment: CaseAssignment, today: dt.date, actor: Any) -> None:
    assignment.end = max(today, assignment.start)
    assignment.save(update_fields=["end"])
    audit_change(
        obj=assignment,
        action="update",
        changes={"end": [None, assignment.end.isoformat()]},
        actor=actor,
    )


def case_assign(
    *, case: Case, worker: Any, kind: str, actor: Any, start: dt.date | None = None
) -> CaseAssignment:
    """Assign a social worker or coordinator of the case's service to it, from today or
    from ``start`` (between the case's opening and today). A new case manager ends the
    previous one's assignment (the history is kept)."""
    require(actor, Action.CHANGE, case)
    require_not_restricted(case.person)
    if case.stage == CaseStage.CLOSED:
        raise ValidationError(_("A closed case cannot be assigned."))
    if start is not None and not case.opened_on <= start <= timezone.localdate():
        raise ValidationError(
            {"start": _("The assignment starts between the case's opening and today.")}
        )
    if not _works_at(worker, case.organisation):
        raise ValidationError({"worker": _("This person does not work for the case's service.")})
    if case.assignments.filter(worker=worker, end__isnull=True).exists():
        raise ValidationError({"worker": _("This worker is already assigned to the case.")})
    with transaction.atomic():
        return _assign(case=case, worker=worker, kind=kind, actor=actor, start=start)


def case_unassign(*, assignment: CaseAssignment, actor: Any) -> CaseAssignment:
    """End a current assignment."""
    require(actor, Action.CHANGE, assignment.case)
    if assignment.end is not None:
        raise ValidationError(_("This assignment has already ended."))
    with transaction.atomic():
        _end(assignment, timezone.localdate(), actor)
    return assignment


def _set_stage(case: Case, to_stage: str, actor: Any, note: str = "", **fields: Any) -> Case:
    before = snapshot(case, ["stage", "closed_on", "closure_reason"])
    case.stage = to_stage
    for name, value in fields.items():
        setattr(case, name, value)
    case.save(update_fields=["stage", *fields])
    after = snapshot(case, ["stage", "closed_on", "closure_reason"])
    audit_change(
        obj=case,
        action="state",
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        note=note,
        actor=actor,
    )
    return case


def case_advance(*, case: Case, to_stage: str, actor: Any) -> Case:
    """Move a case forward: intake → assessment → pact → monitoring. Any other move is
    refused with a ValidationError and changes nothing (closing and reopening have their
    own services)."""
    require(actor, Action.CHANGE, case)
    require_not_restricted(case.person)
    if to_stage not in TRANSITIONS.get(case.stage, frozenset()):
        raise ValidationError(
            _("A case cannot move from %(from)s to %(to)s.")
            % {
                "from": CaseStage(case.stage).label,
                "to": CaseStage(to_stage).label if to_stage in CaseStage.values else to_stage,
            },
            code="invalid_transition",
        )
    with transaction.atomic():
        return _set_stage(case, to_stage, actor)


def case_close(*, case: Case, reason: str, actor: Any, note: str = "") -> Case:
    """Close a case from any open stage with a reason; its current assignments end."""
    require(actor, Action.CHANGE, case)
    if case.stage == CaseStage.CLOSED:
        raise ValidationError(_("This case is already closed."), code="invalid_transition")
    if not reason:
        raise ValidationError({"closure_reason": _("Give the reason for closing the case.")})
    today = max(timezone.localdate(), case.opened_on)
    with transaction.atomic():
        _set_stage(case, CaseStage.CLOSED, actor, note, closed_on=today, closure_reason=reason)
        for assignment in case.assignments.filter(end__isnull=True):
            _end(assignment, today, actor)
    return case


def case_reopen(*, case: Case, actor: Any) -> Case:
    """Reopen a closed case, back to the assessment stage (the service must not have
    another open case of the person)."""
    require(actor, Action.CHANGE, case)
    if case.stage != CaseStage.CLOSED:
        raise ValidationError(_("Only a closed case can be reopened."), code="invalid_transition")
    others = Case.objects.filter(person=case.person_id, organisation=case.organisation_id)
    if others.exclude(stage=CaseStage.CLOSED).exclude(pk=case.pk).exists():
        raise ValidationError(_("This service already has an open case for this person."))
    with transaction.atomic():
        return _set_stage(case, CaseStage.ASSESSMENT, actor, closed_on=None, closure_reason="")


def diary_note_add(
    *,
    case: Case,
    category: str,
    text: str,
    actor: Any,
    confidential: bool = False,
    date: dt.date | None = None,
) -> DiaryNote:
    """Write an entry in the case diary. A confidential one is read only by the workers
    assigned to the case and its coordinators."""
    require(actor, Action.CHANGE, case)
    require_not_restricted(case.person)
    if not text.strip():
        raise ValidationError({"text": _("Write the note.")})
    with transaction.atomic():
        note = DiaryNote.objects.create(
            case=case,
            category=category,
            text=text.strip(),
            confidential=confidential,
            date=date or timezone.localdate(),
            author=actor,
        )
        # The text itself stays out of the audit trail: it is in the diary.
        audit_change(
            obj=note,
            action="create",
            changes={"category": [None, category], "confidential": [None, confidential]},
            actor=actor,
        )
    return note


def referral_request(
    *,
    case: Case,
    to_organisation: Organisation,
    reason: str,
    consent_given_on: dt.date | None,
    actor: Any,
) -> Referral:
    """Refer a case to another organisation of the network, with the person's consent
    to share the file (its date is required, and cannot be in the future)."""
    require(actor, Action.CHANGE, case)
    require_not_restricted(case.person)
    if case.stage == CaseStage.CLOSED:
        raise ValidationError(_("A closed case cannot be referred."))
    if consent_given_on is None:
        raise ValidationError(
            {"consent_given_on": _("A referral needs the date of the person's consent.")}
        )
    if consent_given_on > timezone.localdate():
        raise ValidationError({"consent_given_on": _("The consent date is in the future.")})
    if to_organisation.pk == case.organisation_id:
        raise ValidationError(
            {"to_organisation": _("A case cannot be referred to its own service.")}
        )
    if case.referrals.filter(
        to_organisation=to_organisation,
        status__in=[ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED],
    ).exists():
        raise ValidationError(
            {"to_organisation": _("An open referral to this organisation already exists.")}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the referral.")})
    with transaction.atomic():
        referral = Referral.objects.create(
            case=case,
            to_organisation=to_organisation,
            reason=reason.strip(),
            consent_given_on=consent_given_on,
            requested_by=actor,
        )
        _created(referral, actor)
    return referral


def _decide(referral: Referral, actor: Any, status: str, **fields: Any) -> Referral:
    before = referral.status
    referral.status = status
    for name, value in fields.items():
        setattr(referral, name, value)
    referral.save(update_fields=["status", *fields])
    audit_change(
        obj=referral,
        action="state",
        changes={"status": [before, status]}
        | {k: [None, snapshot(referral, [k])[k]] for k in fields if k != "decline_reason"},
        actor=actor,
    )
    return referral


def referral_accept(*, referral: Referral, receiving_worker: Any, actor: Any) -> Referral:
    """Accept a requested referral (a coordinator of the receiving organisation) and
    name the worker who follows it there: while it stays accepted, that worker sees the
    file."""
    require(actor, Action.CHANGE, referral)
    if referral.status != ReferralStatus.REQUESTED:
        raise ValidationError(_("Only a requested referral can be accepted."))
    if not _works_at(receiving_worker, referral.to_organisation):
        raise ValidationError(
            {"receiving_worker": _("This person does not work for the receiving organisation.")}
        )
    with transaction.atomic():
        return _decide(
            referral,
            actor,
            ReferralStatus.ACCEPTED,
            receiving_worker=receiving_worker,
            decided_by=actor,
            decided_at=timezone.now(),
        )


def referral_decline(*, referral: Referral, reason: str, actor: Any) -> Referral:
    """Decline a requested referral, saying why (a coordinator of the receiving
    organisation)."""
    require(actor, Action.CHANGE, referral)
    if referral.status != ReferralStatus.REQUESTED:
        raise ValidationError(_("Only a requested referral can be declined."))
    if not reason.strip():
        raise ValidationError({"decline_reason": _("Say why the referral is declined.")})
    with transaction.atomic():
        return _decide(
            referral,
            actor,
            ReferralStatus.DECLINED,
            decline_reason=reason.strip(),
            decided_by=actor,
            decided_at=timezone.now(),
        )


def referral_close(*, referral: Referral, actor: Any) -> Referral:
    """Close an open referral (the sending side, or the receiving organisation's
    coordinator): the receiving worker no longer sees the file."""
    if not (
        allowed(actor, Action.CHANGE, referral) or allowed(actor, Action.CHANGE, referral.case)
    ):
        raise PermissionDenied
    if referral.status not in (ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED):
        raise ValidationError(_("This referral is not open."))
    with transaction.atomic():
        return _decide(referral, actor, ReferralStatus.CLOSED, closed_at=timezone.now())


def consent_give(
    *,
    person: Person,
    kind: str,
    actor: Any,
    given_on: dt.date | None = None,
    notice_version: str = "",
) -> Consent:
    """Record a consent (or the privacy notice handed over, with its version)."""
    require(actor, Action.CHANGE, person)
    given_on = given_on or timezone.localdate()
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": _("The date is in the future.")})
    if person.consents.filter(kind=kind, withdrawn_on__isnull=True).exists():
        raise ValidationError({"kind": _("This consent is already recorded and in force.")})
    if kind == "privacy_notice" and not notice_version.strip():
        raise ValidationError({"notice_version": _("Give the version of the notice.")})
    with transaction.atomic():
        consent = Consent.objects.create(
            person=person,
            kind=kind,
            given_on=given_on,
            notice_version=notice_version.strip(),
            recorded_by=actor,
        )
        _created(consent, actor)
    return consent


def consent_withdraw(*, consent: Consent, actor: Any, on: dt.date | None = None) -> Consent:
    """Record that a consent was withdrawn (on ``on``, today by default)."""
    require(actor, Action.CHANGE, consent.person)
    if consent.withdrawn_on is not None:
        raise ValidationError(_("This consent has already been withdrawn."))
    on = on or timezone.localdate()
    if on < consent.given_on:
        raise ValidationError({"withdrawn_on": _("A consent is withdrawn after it is given.")})
    with transaction.atomic():
        consent.withdrawn_on = on
        consent.save(update_fields=["withdrawn_on"])
        audit_change(
            obj=consent,
            action="state",
            changes={"withdrawn_on": [None, on.isoformat()]},
            actor=actor,
        )
    return consent
