"""Services of the ecomap and of the isolation assessments.

Every change asks the access policy first (the parts of a file follow the file: a worker
assigned to a case of the person, a coordinator of its ambito), runs in one transaction
and is written to the audit trail. Bad input raises ``ValidationError`` with a translated
message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from beneficiaries.models import Assessment, EcomapSnapshot, Person, Tie
from beneficiaries.models.ecomap import (
    AssessmentKind,
    TieDirection,
    TieFrequency,
    TieKind,
    TieQuality,
    TieStrength,
)
from beneficiaries.scoring import SCORERS
from legami.audit import audit_change, diff, snapshot
from legami.policy import Action, require, scope

TIE_FIELDS = ("label", "kind", "strength", "quality", "direction", "frequency", "note")
SNAPSHOT_FIELDS = (*TIE_FIELDS, "angle", "distance")
_CHOICES = {
    "kind": TieKind,
    "strength": TieStrength,
    "quality": TieQuality,
    "direction": TieDirection,
    "frequency": TieFrequency,
}


def _strip_prefix(q: Q, prefix: str) -> Q:
    """``q`` with ``prefix`` removed from each lookup (a tie's rule seen from its person)."""
    clone = Q()
    clone.connector, clone.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            clone.children.append(_strip_prefix(child, prefix))
        else:
            lookup, value = child  # type: ignore[misc]
            clone.children.append((lookup.removeprefix(prefix), value))
    return clone


def require_on_person(
    actor: Any, action: Action, resource: type[models.Model], person: Person
) -> None:
    """Raise PermissionDenied unless ``actor`` may ``action`` a ``resource`` (a part of the
    file reached through ``person__``) of ``person``: the question for a new tie, snapshot
    or assessment, which has no row yet to check."""
    allowed_scope = scope(actor, action, resource)
    if allowed_scope is True:
        return
    if allowed_scope is False:
        raise PermissionDenied
    if not Person.objects.filter(_strip_prefix(allowed_scope, "person__"), pk=person.pk).exists():
        raise PermissionDenied


def _field_label(name: str) -> str:
    field = Tie._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def _clean_tie_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name not in TIE_FIELDS:
            raise ValidationError(
                _("%(name)s is not a field of a tie.") % {"name": name}, code="unknown_field"
            )
        value = "" if value is None else str(value).strip()
        if name in _CHOICES and value not in _CHOICES[name].values:
            raise ValidationError(
                _("%(value)s is not a valid choice for %(field)s.")
                % {"value": value, "field": _field_label(name)},
                code="invalid_choice",
            )
        cleaned[name] = value
    return cleaned


def _full_clean(tie: Tie) -> None:
    tie.full_clean(exclude=["person", "linked_person", "linked_organisation"])


def tie_add(
    *,
    person: Person,
    actor: Any,
    label: str,
    kind: str,
    strength: str = TieStrength.ORDINARY,
    quality: str = TieQuality.SUPPORTIVE,
    direction: str = TieDirection.MUTUAL,
    frequency: str = TieFrequency.WEEKLY,
    note: str = "",
) -> Tie:
    """Add a tie to the person's ecomap, placed automatically on the drawing."""
    require_on_person(actor, Action.CREATE, Tie, person)
    values = _clean_tie_values(
        {
            "label": label,
            "kind": kind,
            "strength": strength,
            "quality": quality,
            "direction": direction,
            "frequency": frequency,
            "note": note,
        }
    )
    if not values["label"]:
        raise ValidationError(_("Say who the tie is with."), code="label_required")
    with transaction.atomic():
        tie = Tie(person=person, **values)
        _full_clean(tie)
        tie.save()
        audit_change(obj=tie, action="create", changes=snapshot(tie, TIE_FIELDS), actor=actor)
    return tie


def tie_update(*, tie: Tie, actor: Any, **values: Any) -> Tie:
    """Change what is known of a tie (who, kind, strength, quality, support, frequency,
    note); its place on the drawing is changed by ``tie_move``."""
    require(actor, Action.CHANGE, tie)
    cleaned = _clean_tie_values(values)
    if "label" in cleaned and not cleaned["label"]:
        raise ValidationError(_("Say who the tie is with."), code="label_required")
    with transaction.atomic():
        before = snapshot(tie, TIE_FIELDS)
        for name, value in cleaned.items():
            setattr(tie, name, value)
        tie.updated_at = timezone.now()
        _full_clean(tie)
        tie.save()
        changes = diff(before, snapshot(tie, TIE_FIELDS))
        audit_change(obj=tie, action="update", changes=changes, actor=actor)
    return tie


def tie_remove(*, tie: Tie, actor: Any) -> None:
    """Remove a tie from the ecomap (snapshots already taken keep it)."""
    require(actor, Action.DELETE, tie)
    with transaction.atomic():
        audit_change(obj=tie, action="delete", changes=snapshot(tie, TIE_FIELDS), actor=actor)
        tie.delete()


def tie_move(*, tie: Tie, actor: Any, angle: float, distance: float) -> Tie:
    """Place a tie on the drawing: ``angle`` in degrees (0 = right, counter-clockwise,
    normalised to 0–360) and ``distance`` from the centre, 0 to 1."""
    require(actor, Action.CHANGE, tie)
    try:
        angle, distance = float(angle), float(distance)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("The position of a tie is two numbers."), code="position") from exc
    if angle != angle or distance != distance or abs(angle) == float("inf"):  # NaN, inf
        raise ValidationError(_("The position of a tie is two numbers."), code="position")
    if not 0 <= distance <= 1:
        raise ValidationError(
            _("The distance from the centre goes from 0 to 1."), code="distance_range"
        )
    with transaction.atomic():
        before = snapshot(tie, ["angle", "distance"])
        tie.angle, tie.distance = angle % 360, distance
        tie.updated_at = timezone.now()
        tie.save(update_fields=["angle", "distance", "updated_at"])
        audit_change(
            obj=tie,
            action="update",
            note="moved on the drawing",
            changes=diff(before, snapshot(tie, ["angle", "distance"])),
            actor=actor,
        )
    return tie


def tie_as_json(tie: Tie) -> dict[str, Any]:
    """A tie as kept in a snapshot and sent to the drawing."""
    return {"id": tie.pk, **{name: getattr(tie, name) for name in SNAPSHOT_FIELDS}}


def ecomap_snapshot_take(*, person: Person, actor: Any, note: str = "") -> EcomapSnapshot:
    """Freeze the person's ties as they are today, to compare with later ones."""
    require_on_person(actor, Action.CREATE, EcomapSnapshot, person)
    if len(note) > 300:
        raise ValidationError(_("The note is at most 300 characters."), code="note_length")
    with transaction.atomic():
        ties = [tie_as_json(t) for t in Tie.objects.filter(person=person).order_by("id")]
        snap = EcomapSnapshot.objects.create(
            person=person, ties=ties, note=note.strip(), taken_by=actor
        )
        audit_change(
            obj=snap, action="create", changes={"ties": len(ties), "note": snap.note}, actor=actor
        )
    return snap


def ecomap_snapshot_compare(
    *, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> dict[str, list[Any]]:
    """The differences between two frozen ecomaps: ties added, removed, and changed (with
    each changed field as [before, after]). Ties are matched by their id."""
    old = {t["id"]: t for t in before}
    new = {t["id"]: t for t in after}
    changed = []
    for pk in sorted(old.keys() & new.keys()):
        fields = {
            name: [old[pk].get(name), new[pk].get(name)]
            for name in TIE_FIELDS
            if old[pk].get(name) != new[pk].get(name)
        }
        if fields:
            changed.append({"tie": new[pk], "fields": fields})
    return {
        "added": [new[pk] for pk in sorted(new.keys() - old.keys())],
        "removed": [old[pk] for pk in sorted(old.keys() - new.keys())],
        "changed": changed,
    }


def assessment_record(
    *,
    person: Person,
    kind: str,
    answers: list[Any],
    date: dt.date | None = None,
    actor: Any,
    note: str = "",
) -> Assessment:
    """Record an LSNS-6 or UCLA-3 assessment, scored by ``beneficiaries.scoring``."""
    require_on_person(actor, Action.CREATE, Assessment, person)
    if kind not in SCORERS:
        raise ValidationError(
            _("%(kind)s is not a scale Legami knows.") % {"kind": kind}, code="kind"
        )
    if not isinstance(answers, list | tuple):
        raise ValidationError(_("The answers are a list of scores."), code="answers_type")
    score = SCORERS[kind](answers)
    date = date or timezone.localdate()
    if date > timezone.localdate():
        raise ValidationError(_("An assessment cannot be in the future."), code="future")
    with transaction.atomic():
        assessment = Assessment.objects.create(
            person=person,
            kind=AssessmentKind(kind),
            date=date,
            answers=list(answers),
            total=score.total,
            family_score=score.family,
            friends_score=score.friends,
            at_risk=score.at_risk,
            assessor=actor,
            note=note[:300],
        )
        audit_change(
            obj=assessment,
            action="create",
            changes={"kind": kind, "total": score.total, "at_risk": score.at_risk},
            actor=actor,
        )
    return assessment
