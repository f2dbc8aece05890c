"""Research pathways: the pathway itself, its phases, and its workshops and training
sessions.

A workshop is a meeting of labs/ (``labs.services.meeting_create``): registrations,
the waiting list, attendance, reminders, minutes and the calendar file are labs'. The
pathway's lab (context "practitioners", run by the pathway's lead, in its host ambito)
is made with its first workshop and kept in step with the pathway (title, ambito,
organisations, lead)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from labs.models import Lab, LabContext, LabStatus, Meeting
from labs.services.meetings import lab_create, lab_update, meeting_create
from legami.audit import audit_change, diff, snapshot
from legami.models import Ambito, Comune, User
from legami.policy import Action, require
from partners.models import Organisation
from research.models import Pathway, Phase, Workshop, WorkshopKind

PATHWAY_FIELDS = ("title", "theme", "description", "ambito_id", "starts_on", "ends_on")
PHASE_FIELDS = ("title", "description", "starts_on", "ends_on")


def _check_dates(starts_on: dt.date | None, ends_on: dt.date | None, message: Any) -> None:
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": ValidationError(message, code="ends_before_start")})


def _clean_pathway(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    for name in ("title", "theme", "description"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if "title" in values and not values["title"]:
        raise ValidationError({"title": ValidationError(_("Give the pathway a title."))})
    return values


def pathway_create(
    *,
    by: User,
    title: str,
    theme: str = "",
    description: str = "",
    ambito: Ambito | None = None,
    organisations: Iterable[Organisation] = (),
    practitioners: Iterable[User] = (),
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Pathway:
    """A pathway led by ``by`` (a researcher)."""
    require(by, Action.CREATE, Pathway)
    values = _clean_pathway({"title": title, "theme": theme, "description": description})
    _check_dates(starts_on, ends_on, _("A pathway cannot end before it starts."))
    with transaction.atomic():
        pathway = Pathway.objects.create(
            **values, ambito=ambito, lead=by, starts_on=starts_on, ends_on=ends_on
        )
        pathway.organisations.set(list(organisations))
        pathway.practitioners.set(list(practitioners))
        audit_change(
            obj=pathway,
            action="create",
            changes=diff({}, snapshot(pathway, (*PATHWAY_FIELDS, "lead_id"))),
            actor=by,
        )
    return pathway


def pathway_update(
    *,
    pathway: Pathway,
    by: User,
    organisations: Iterable[Organisation] | None = None,
    practitioners: Iterable[User] | None = None,
    **values: Any,
) -> Pathway:
    """Change a pathway (its lead only). Its workshop lab, if it has one, follows the
    title, the host ambito and the organisations."""
    require(by, Action.CHANGE, pathway)
    names = {name.removesuffix("_id") for name in PATHWAY_FIELDS}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"pathway_update cannot change {sorted(unknown)}")
    values = _clean_pathway(values)
    with transaction.atomic():
        locked = Pathway.objects.select_for_update().get(pk=pathway.pk)
        _check_dates(
            values.get("starts_on", locked.starts_on),
            values.get("ends_on", locked.ends_on),
            _("A pathway cannot end before it starts."),
        )
        if locked.lab_id and "ambito" in values and values["ambito"] is None:
            raise ValidationError(
                {"ambito": ValidationError(_("A pathway with workshops keeps its host ambito."))}
            )
        before = snapshot(locked, PATHWAY_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save()
        changes = diff(before, snapshot(locked, PATHWAY_FIELDS))
        if organisations is not None:
            old = sorted(locked.organisations.values_list("pk", flat=True))
            locked.organisations.set(list(organisations))
            new = sorted(locked.organisations.values_list("pk", flat=True))
            if old != new:
                changes["organisations"] = [old, new]
        if practitioners is not None:
            old = sorted(locked.practitioners.values_list("pk", flat=True))
            locked.practitioners.set(list(practitioners))
            new = sorted(locked.practitioners.values_list("pk", flat=True))
            if old != new:
                changes["practitioners"] = [old, new]
        if changes:
            audit_change(obj=locked, action="update", changes=changes, actor=by)
        if locked.lab_id:
            _sync_lab(locked, by)
    pathway.refresh_from_db()
    return pathway


# --- Phases ---------------------------------------------------------------------------------


def _clean_phase(pathway: Pathway, values: dict[str, Any]) -> dict[str, Any]:
    values = {name: values[name] for name in PHASE_FIELDS if name in values}
    for name in ("title", "description"):
        if name in values:
            values[name] = (values[name] or "").strip()
    errors: dict[str, Any] = {}
    if "title" in values and not values["title"]:
        errors["title"] = _("Give the phase a title.")
    for name in ("starts_on", "ends_on"):
        if name in values and values[name] is None:
            errors[name] = _("Give the phase its dates.")
    if errors:
        raise ValidationError(errors)
    return values


def _check_phase(pathway: Pathway, starts_on: dt.date, ends_on: dt.date) -> None:
    _check_dates(starts_on, ends_on, _("A phase cannot end before it starts."))
    message = _("A phase lies within the pathway's dates.")
    if pathway.starts_on and starts_on < pathway.starts_on:
        raise ValidationError({"starts_on": ValidationError(message, code="outside_pathway")})
    if pathway.ends_on and ends_on > pathway.ends_on:
        raise ValidationError({"ends_on": ValidationError(message, code="outside_pathway")})


def phase_add(
    *,
    pathway: Pathway,
    by: User,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date,
    description: str = "",
) -> Phase:
    require(by, Action.CHANGE, pathway)
    values = _clean_phase(
        pathway,
        {"title": title, "description": description, "starts_on": starts_on, "ends_on": ends_on},
    )
    _check_phase(pathway, values["starts_on"], values["ends_on"])
    with transaction.atomic():
        phase = Phase.objects.create(pathway=pathway, **values)
        audit_change(
            obj=pathway,
            action="update",
            changes={"phase": [None, snapshot(phase, PHASE_FIELDS)]},
            actor=by,
        )
    return phase


def phase_change(*, phase: Phase, by: User, **values: Any) -> Phase:
    pathway = phase.pathway
    require(by, Action.CHANGE, pathway)
    unknown = set(values) - set(PHASE_FIELDS)
    if unknown:
        raise ValueError(f"phase_change cannot change {sorted(unknown)}")
    values = _clean_phase(pathway, values)
    _check_phase(
        pathway, values.get("starts_on", phase.starts_on), values.get("ends_on", phase.ends_on)
    )
    with transaction.atomic():
        before = snapshot(phase, PHASE_FIELDS)
        for name, value in values.items():
            setattr(phase, name, value)
        phase.save()
        changes = diff(before, snapshot(phase, PHASE_FIELDS))
        if changes:
            audit_change(obj=pathway, action="update", changes={"phase": changes}, actor=by)
    return phase


def phase_delete(*, phase: Phase, by: User) -> None:
    require(by, Action.CHANGE, phase.pathway)
    with transaction.atomic():
        audit_change(
            obj=phase.pathway,
            action="update",
            changes={"phase": [snapshot(phase, PHASE_FIELDS), None]},
            actor=by,
        )
        phase.delete()


def current_phase(phases: Iterable[Phase], today: dt.date) -> Phase | None:
    """The phase under way on ``today`` (the latest started if they overlap)."""
    running = [p for p in phases if p.starts_on <= today <= p.ends_on]
    return max(running, key=lambda p: (p.starts_on, p.pk)) if running else None


# --- Workshops (meetings of labs) ----------------------------------------------------------


def _lab_values(pathway: Pathway) -> dict[str, Any]:
    """The lab's values taken from its pathway (which has a host ambito)."""
    return {
        "title": pathway.title[:200],
        "ambito": pathway.ambito,
        "comuni": list(Comune.objects.filter(ambito=pathway.ambito)),
        "organisations": list(pathway.organisations.filter(is_active=True)),
        "description": pathway.theme or pathway.description[:500],
    }


def _sync_lab(pathway: Pathway, by: User) -> None:
    """Keep the pathway's lab in step with the pathway, and its lead among the lab's
    facilitators."""
    lab = pathway.lab
    if lab is None:
        return
    values = _lab_values(pathway)
    facilitators = list(lab.facilitators.all())
    if pathway.lead_id not in {u.pk for u in facilitators}:
        facilitators.append(pathway.lead)
    lab_update(lab=lab, actor=by, facilitators=facilitators, **values)


def _workshop_lab(pathway: Pathway, by: User) -> Lab:
    """The pathway's lab, made now if this is its first workshop."""
    if pathway.lab_id:
        return Lab.objects.get(pk=pathway.lab_id)
    if pathway.ambito is None:
        raise ValidationError(
            {
                "ambito": ValidationError(
                    _("Choose the pathway's host ambito before planning its workshops.")
                )
            },
            code="no_ambito",
        )
    lab = lab_create(
        actor=by,
        slug=f"welfare-lab-{pathway.pk}",
        context=LabContext.PRACTITIONERS,
        facilitators=[pathway.lead],
        status=LabStatus.ACTIVE,
        **_lab_values(pathway),
    )
    Pathway.objects.filter(pk=pathway.pk).update(lab=lab)
    pathway.lab = lab
    return lab


def workshop_create(
    *, pathway: Pathway, by: User, kind: str = WorkshopKind.WORKSHOP, **meeting: Any
) -> Workshop:
    """Plan a workshop or training session of a pathway: a meeting of the pathway's lab
    (every argument of ``labs.services.meeting_create``), marked with its kind."""
    require(by, Action.CHANGE, pathway)
    if kind not in WorkshopKind.values:
        raise ValidationError({"kind": ValidationError(_("Choose the kind of session."))})
    with transaction.atomic():
        pathway = Pathway.objects.select_for_update().get(pk=pathway.pk)
        lab = _workshop_lab(pathway, by)
        created: Meeting = meeting_create(lab=lab, actor=by, **meeting)
        return Workshop.objects.create(meeting=created, pathway=pathway, kind=kind)


def workshop_set_kind(*, workshop: Workshop, by: User, kind: str) -> Workshop:
    require(by, Action.CHANGE, workshop.pathway)
    if kind not in WorkshopKind.values:
        raise ValidationError({"kind": ValidationError(_("Choose the kind of session."))})
    if kind != workshop.kind:
        with transaction.atomic():
            audit_change(
                obj=workshop.pathway,
                action="update",
                changes={"workshop_kind": [workshop.kind, kind]},
                actor=by,
            )
            workshop.kind = kind
            workshop.save(update_fields=["kind"])
    return workshop
