"""What facilitators do: labs and their meetings, cancelling a meeting, attendance at the
door, and closing a meeting with its minutes (verbale) and the needs raised in it.

Every service asks the access policy first (the lab's runners: its facilitators, the
administrators of its ambito, the network administrators), checks its input and raises
a translated ``ValidationError`` that changes nothing, then writes in one transaction
and records the change in the audit trail.

Times are entered in Europe/Rome: an aware datetime is taken as it is, a naive one as
Rome's local time; the database stores UTC. Seats go through
``labs.services.registration.meeting_set_capacity``, which serves the waiting list
when seats are added.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from labs.models import (
    ACTIVE_STATUSES,
    Lab,
    LabContext,
    LabStatus,
    Meeting,
    MeetingStatus,
    Need,
    NeedCategory,
    Registration,
    RegistrationStatus,
)
from labs.services.registration import meeting_set_capacity
from legami.audit import audit_bulk_change, audit_change, diff, snapshot
from legami.models import Ambito, Comune
from legami.policy import Action, require, subject_for
from legami.roles import Role
from partners.models import Membership, Organisation

ROME = ZoneInfo("Europe/Rome")
R = RegistrationStatus

LAB_FIELDS = ("title", "slug", "context", "ambito", "description", "status")
LAB_RELATIONS = ("comuni", "facilitators", "organisations")
MEETING_FIELDS = (
    "title",
    "starts_at",
    "ends_at",
    "place",
    "address",
    "comune",
    "accessibility",
    "online_url",
    "registration_opens_at",
    "registration_closes_at",
    "agenda",
)
SEAT_FIELDS = ("capacity", "reserved_seats")
# First segments of the fixed addresses under /labs/: a lab with one of these short
# names would have its page hidden behind them.
RESERVED_SLUGS = frozenset({"manage", "mine", "referred-needs", "interventions", "registrations"})
# Attendance can be taken from this long before the meeting starts (people arrive early).
ATTENDANCE_OPENS_BEFORE = dt.timedelta(hours=2)
NEED_TITLE_MAX = 200


def in_rome(value: dt.datetime | None) -> dt.datetime | None:
    """An aware datetime: a naive one is Rome's local time."""
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value, ROME)


def _pks(values: Iterable[Any]) -> list[int]:
    return sorted({getattr(v, "pk", v) for v in values})


def _snapshot_lab(lab: Lab) -> dict[str, Any]:
    values = snapshot(lab, [f"{n}_id" if n == "ambito" else n for n in LAB_FIELDS])
    for name in LAB_RELATIONS:
        values[name] = sorted(getattr(lab, name).values_list("pk", flat=True))
    return values


# --- Labs ---------------------------------------------------------------------------------


def _check_lab(values: dict[str, Any], *, lab: Lab | None = None) -> None:
    """Refuse a lab's values with errors under the fields they concern."""
    errors: dict[str, str] = {}
    if not str(values.get("title", "")).strip():
        errors["title"] = _("Give the lab a title.")
    slug = str(values.get("slug", ""))
    try:
        validate_slug(slug)
    except ValidationError:
        errors["slug"] = _("Use only lower-case letters, digits and hyphens.")
    else:
        if slug in RESERVED_SLUGS:
            errors["slug"] = _("This short name is reserved: choose another.")
        others = Lab.objects.filter(slug=slug)
        if lab is not None:
            others = others.exclude(pk=lab.pk)
        if "slug" not in errors and others.exists():
            errors["slug"] = _("Another lab already uses this short name.")
    if values.get("context") not in LabContext.values:
        errors["context"] = _("Choose the context of the lab.")
    if values.get("status") not in LabStatus.values:
        errors["status"] = _("Choose a valid status.")
    ambito = values.get("ambito")
    if not isinstance(ambito, Ambito):
        errors["ambito"] = _("Choose the ambito of the lab.")
    comuni = list(values.get("comuni", []))
    if not comuni:
        errors["comuni"] = _("Choose at least one comune.")
    elif isinstance(ambito, Ambito):
        outside = [c.name for c in comuni if c.ambito_id not in (None, ambito.pk)]
        if outside:
            errors["comuni"] = _("Not in the ambito of the lab: %(names)s.") % {
                "names": ", ".join(sorted(outside))
            }
    facilitators = _pks(values.get("facilitators", []))
    if not facilitators:
        errors["facilitators"] = _("Name at least one facilitator.")
    else:
        today = timezone.localdate()
        # A research pathway's workshops are run by its researchers.
        runner_roles = [Role.FACILITATOR]
        if values.get("context") == LabContext.PRACTITIONERS:
            runner_roles.append(Role.RESEARCHER)
        holders = set(
            Membership.objects.filter(
                user__in=facilitators,
                role__in=runner_roles,
                start_date__lte=today,
                organisation__is_active=True,
            )
            .exclude(end_date__lt=today)
            .values_list("user_id", flat=True)
        )
        if set(facilitators) - holders:
            errors["facilitators"] = _("Facilitators must hold the lab facilitator role.")
    organisations = _pks(values.get("organisations", []))
    if organisations and Organisation.objects.filter(
        pk__in=organisations, is_active=True
    ).count() != len(organisations):
        errors["organisations"] = _("Choose active organisations of the network.")
    if errors:
        raise ValidationError(errors)


def lab_create(
    *,
    actor: Any,
    title: str,
    slug: str,
    context: str,
    ambito: Ambito,
    comuni: Iterable[Comune],
    facilitators: Iterable[Any],
    organisations: Iterable[Organisation] = (),
    description: str = "",
    status: str = LabStatus.PLANNED,
) -> Lab:
    """Start a lab in an ambito (a facilitator anywhere, an ambito administrator in
    their ambiti, a network administrator anywhere). A facilitator who creates a lab is
    one of its facilitators, so that they can run it."""
    require(
        actor,
        Action.CREATE,
        Lab(ambito=ambito, context=context) if isinstance(ambito, Ambito) else Lab,
    )
    facilitators = list(facilitators)
    subject = subject_for(actor)
    runs_as_admin = subject.has(Role.NETWORK_ADMIN) or (
        isinstance(ambito, Ambito) and ambito.pk in subject.ambiti(Role.AMBITO_ADMIN)
    )
    if not runs_as_admin and actor.pk not in _pks(facilitators):
        # Only their being a facilitator lets them run it: they are one.
        facilitators.append(actor)
    values: dict[str, Any] = {
        "title": title.strip(),
        "slug": slug.strip(),
        "context": context,
        "ambito": ambito,
        "comuni": list(comuni),
        "facilitators": facilitators,
        "organisations": list(organisations),
        "description": description,
        "status": status,
    }
    _check_lab(values)
    with transaction.atomic():
        lab = Lab.objects.create(**{name: values[name] for name in LAB_FIELDS})
        lab.comuni.set(values["comuni"])
        lab.facilitators.set(_pks(values["facilitators"]))
        lab.organisations.set(values["organisations"])
        audit_change(
            obj=lab,
            action="create",
            changes={
                k: [None, v] for k, v in _snapshot_lab(lab).items() if v not in ("", None, [])
            },
            actor=actor,
        )
    return lab


def lab_update(*, lab: Lab, actor: Any, **values: Any) -> Lab:
    """Change a lab's title, short name, context, ambito, comuni, facilitators, partner
    organisations, description or status. An ambito administrator moves a lab only
    into one of their own ambiti."""
    require(actor, Action.CHANGE, lab)
    unknown = set(values) - {*LAB_FIELDS, *LAB_RELATIONS}
    if unknown:
        raise ValueError(f"lab_update cannot change {sorted(unknown)}")
    if "ambito" in values and values["ambito"] != lab.ambito:
        require(actor, Action.CREATE, Lab(ambito=values["ambito"], context=lab.context))
    with transaction.atomic():
        lab = Lab.objects.select_for_update().get(pk=lab.pk)
        current: dict[str, Any] = {name: getattr(lab, name) for name in LAB_FIELDS}
        current.update({name: list(getattr(lab, name).all()) for name in LAB_RELATIONS})
        merged = {**current, **values}
        for name in ("title", "slug"):
            merged[name] = str(merged[name]).strip()
        _check_lab(merged, lab=lab)
        before = _snapshot_lab(lab)
        for name in LAB_FIELDS:
            setattr(lab, name, merged[name])
        lab.save(update_fields=list(LAB_FIELDS))
        for name in LAB_RELATIONS:
            if name in values:
                getattr(lab, name).set(_pks(merged[name]))
        changes = diff(before, _snapshot_lab(lab))
        if changes:
            audit_change(obj=lab, action="update", changes=changes, actor=actor)
    return lab


# --- Meetings -----------------------------------------------------------------------------


def _check_meeting(values: dict[str, Any], *, new: bool, now: dt.datetime) -> None:
    errors: dict[str, str] = {}
    if not str(values.get("title", "")).strip():
        errors["title"] = _("Give the meeting a title.")
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if starts is None:
        errors["starts_at"] = _("Give the start of the meeting.")
    elif new and starts <= now:
        errors["starts_at"] = _("A new meeting starts in the future.")
    if ends is None:
        errors["ends_at"] = _("Give the end of the meeting.")
    elif starts is not None and ends <= starts:
        errors["ends_at"] = _("The meeting ends after it starts.")
    online_url = str(values.get("online_url", "")).strip()
    if online_url:
        try:
            URLValidator(schemes=["https", "http"])(online_url)
        except ValidationError:
            errors["online_url"] = _("Give a valid link, starting with https://.")
    if not str(values.get("place", "")).strip() and not online_url:
        errors["place"] = _("Give a place, an online link, or both.")
    opens, closes = values.get("registration_opens_at"), values.get("registration_closes_at")
    if opens and closes and closes <= opens:
        errors["registration_closes_at"] = _("Sign-ups close after they open.")
    elif closes and starts and closes > starts:
        errors["registration_closes_at"] = _("Sign-ups close by the start of the meeting.")
    elif opens and starts and opens >= starts:
        errors["registration_opens_at"] = _("Sign-ups open before the meeting starts.")
    capacity, reserved = values.get("capacity", 0), values.get("reserved_seats", 0)
    if capacity is None or capacity < 0:
        errors["capacity"] = _("Seats cannot be negative.")
    elif reserved is None or reserved < 0:
        errors["reserved_seats"] = _("Seats cannot be negative.")
    elif capacity and reserved > capacity:
        errors["reserved_seats"] = _("More seats reserved than the capacity.")
    if errors:
        raise ValidationError(errors)


def _clean_meeting_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        if name in cleaned:
            cleaned[name] = in_rome(cleaned[name])
    for name in ("title", "place", "address", "online_url"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip()
    for name in ("accessibility", "agenda"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "")
    return cleaned


def _require_runs(actor: Any, lab: Lab) -> None:
    """Meetings are parts of their lab: whoever runs the lab creates and changes them
    (the policy cannot test a lab's facilitators on a meeting not saved yet)."""
    require(actor, Action.CHANGE, lab)


def meeting_create(
    *,
    lab: Lab,
    actor: Any,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str = "",
    address: str = "",
    comune: Comune | None = None,
    accessibility: str = "",
    online_url: str = "",
    capacity: int = 0,
    reserved_seats: int = 0,
    registration_opens_at: dt.datetime | None = None,
    registration_closes_at: dt.datetime | None = None,
    agenda: str = "",
) -> Meeting:
    """Plan a meeting of a lab that is not closed: in a place, online or both, with a
    capacity (0 = no limit), seats reserved by the facilitators and an optional
    registration window."""
    _require_runs(actor, lab)
    if lab.status == LabStatus.CLOSED:
        raise ValidationError(_("This lab is closed: it holds no more meetings."), code="closed")
    values = _clean_meeting_values(
        {
            "title": title,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "place": place,
            "address": address,
            "comune": comune,
            "accessibility": accessibility,
            "online_url": online_url,
            "registration_opens_at": registration_opens_at,
            "registration_closes_at": registration_closes_at,
            "agenda": agenda,
        }
    )
    _check_meeting(
        {**values, "capacity": capacity, "reserved_seats": reserved_seats},
        new=True,
        now=timezone.now(),
    )
    with transaction.atomic():
        meeting = Meeting.objects.create(
            lab=lab, capacity=capacity, reserved_seats=reserved_seats, **values
        )
        audit_change(
            obj=meeting,
            action="create",
            changes={k: [None, v] for k, v in snapshot(meeting).items() if v not in ("", None)},
            actor=actor,
        )
    return meeting


def meeting_update(*, meeting: Meeting, actor: Any, **values: Any) -> Meeting:
    """Change a scheduled meeting: title, times, place and link, accessibility, the
    registration window, the agenda, and the seats (through ``meeting_set_capacity``:
    more seats serve the waiting list; fewer than those already taken are refused)."""
    _require_runs(actor, meeting.lab)
    unknown = set(values) - {*MEETING_FIELDS, *SEAT_FIELDS}
    if unknown:
        raise ValueError(f"meeting_update cannot change {sorted(unknown)}")
    values = _clean_meeting_values(values)
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.status != MeetingStatus.SCHEDULED:
            raise ValidationError(
                _("This meeting is %(status)s: it can no longer be changed.")
                % {"status": locked.get_status_display()},
                code="not_scheduled",
            )
        merged = {name: getattr(locked, name) for name in (*MEETING_FIELDS, *SEAT_FIELDS)}
        merged.update(values)
        _check_meeting(merged, new=False, now=timezone.now())
        fields = [name for name in MEETING_FIELDS if name in values]
        before = snapshot(locked, [f"{n}_id" if n == "comune" else n for n in fields])
        for name in fields:
            setattr(locked, name, merged[name])
        if fields:
            locked.save(update_fields=fields)
            changes = diff(before, snapshot(locked, before.keys()))
            if changes:
                audit_change(obj=locked, action="update", changes=changes, actor=actor)
        if (merged["capacity"], merged["reserved_seats"]) != (
            locked.capacity,
            locked.reserved_seats,
        ):
            meeting_set_capacity(
                meeting=locked,
                capacity=merged["capacity"],
                reserved_seats=merged["reserved_seats"],
                actor=actor,
            )
    meeting.refresh_from_db()
    return meeting


def meeting_cancel(*, meeting: Meeting, actor: Any, reason: str = "") -> Meeting:
    """Cancel a scheduled meeting that has not ended. Its active registrations (seats,
    waiting list, guests not yet confirmed) are cancelled with it and the seat count
    goes back to zero, so that nobody is promoted into a cancelled meeting.

    No mail is sent yet: there is no kind of registration mail for a cancelled meeting
    (``labs.models.MailKind``)."""
    _require_runs(actor, meeting.lab)
    now = timezone.now()
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.status != MeetingStatus.SCHEDULED:
            raise ValidationError(
                _("This meeting is %(status)s: it cannot be cancelled.")
                % {"status": locked.get_status_display()},
                code="not_scheduled",
            )
        if locked.ends_at <= now:
            raise ValidationError(
                _("This meeting has already taken place: close it with its minutes instead."),
                code="ended",
            )
        registrations = list(
            Registration.objects.select_for_update()
            .filter(meeting=locked, status__in=ACTIVE_STATUSES)
            .only("pk", "status", "code", "meeting_id")
        )
        previous = {r.pk: r.status for r in registrations}
        Registration.objects.filter(pk__in=previous).update(status=R.CANCELLED, cancelled_at=now)
        locked.status = MeetingStatus.CANCELLED
        locked.seats_taken = 0
        locked.save(update_fields=["status", "seats_taken"])
        audit_change(
            obj=locked,
            action="state",
            changes={"status": [MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED]},
            note=reason.strip()[:500],
            actor=actor,
        )
        if registrations:
            audit_bulk_change(
                objs=registrations,
                action="state",
                changes=lambda r: {"status": [previous[r.pk], R.CANCELLED]},
                note=_("Meeting cancelled"),
                actor=actor,
            )
            # Everyone who had a seat or was waiting is told, once each, after commit.
            from labs.tasks import send_registration_mail

            for registration_id, status in previous.items():
                if status in (R.CONFIRMED, R.WAITING):
                    transaction.on_commit(
                        partial(send_registration_mail.delay, registration_id, "meeting_cancelled")
                    )
    meeting.refresh_from_db()
    return meeting


# --- Attendance ---------------------------------------------------------------------------


def _check_attendance_open(meeting: Meeting, now: dt.datetime) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting was cancelled."), code="cancelled")
    if meeting.status == MeetingStatus.CLOSED:
        raise ValidationError(
            _("The minutes of this meeting are written: attendance can no longer change."),
            code="closed",
        )
    if now < meeting.starts_at - ATTENDANCE_OPENS_BEFORE:
        raise ValidationError(
            _("Attendance is taken on the day of the meeting, from two hours before it."),
            code="too_early",
        )


def attendance_mark(*, registration: Registration, attended: bool, actor: Any) -> Registration:
    """Mark a person with a seat present (or not) at the meeting: from two hours before
    it starts until its minutes are written."""
    require(actor, Action.CHANGE, registration)
    with transaction.atomic():
        locked = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("meeting")
            .get(pk=registration.pk)
        )
        _check_attendance_open(locked.meeting, timezone.now())
        if locked.status != R.CONFIRMED:
            raise ValidationError(
                _("%(name)s has no confirmed seat (%(status)s).")
                % {"name": locked.name, "status": locked.get_status_display()},
                code="not_confirmed",
            )
        before = locked.attended
        if before != attended:
            locked.attended = attended
            locked.save(update_fields=["attended"])
            audit_change(
                obj=locked, action="update", changes={"attended": [before, attended]}, actor=actor
            )
    return locked


def normalise_code(code: str) -> str:
    """A door code as typed: spaces and hyphens dropped, upper case."""
    return re.sub(r"[\s-]+", "", code or "").upper()


def attendance_by_code(*, meeting: Meeting, code: str, actor: Any) -> Registration:
    """Mark present the person who shows their code at the door."""
    _require_runs(actor, meeting.lab)
    value = normalise_code(code)
    if not value:
        raise ValidationError({"code": _("Type the code of the registration.")})
    registration = Registration.objects.filter(meeting=meeting, code=value).first()
    if registration is None:
        raise ValidationError(
            {
                "code": _("No registration with the code %(code)s for this meeting.")
                % {"code": value}
            }
        )
    if registration.status != R.CONFIRMED:
        raise ValidationError(
            {
                "code": _("The registration %(code)s of %(name)s is not confirmed (%(status)s).")
                % {
                    "code": value,
                    "name": registration.name,
                    "status": registration.get_status_display(),
                }
            }
        )
    return attendance_mark(registration=registration, attended=True, actor=actor)


# --- Closing with the minutes ---------------------------------------------------------------


def meeting_close(
    *,
    meeting: Meeting,
    actor: Any,
    summary: str,
    organisations_present: Iterable[Organisation] = (),
    needs_raised: Sequence[tuple[str, str]] = (),
) -> Meeting:
    """Write the minutes of a meeting that has ended: the summary, the organisations
    present and the needs raised, which are posted on the lab's board. The attendees
    are those marked present; confirmed people not marked are recorded absent."""
    _require_runs(actor, meeting.lab)
    errors: dict[str, str] = {}
    if not summary.strip():
        errors["summary"] = _("Write a summary of the meeting.")
    needs: list[tuple[str, str]] = []
    for title, category in needs_raised:
        title = (title or "").strip()
        if not title and not category:
            continue
        if not title or len(title) > NEED_TITLE_MAX or category not in NeedCategory.values:
            errors["needs_raised"] = _("Give each need raised a title and a category.")
            break
        needs.append((title, category))
    organisations = _pks(organisations_present)
    if organisations and Organisation.objects.filter(
        pk__in=organisations, is_active=True
    ).count() != len(organisations):
        errors["organisations_present"] = _("Choose active organisations of the network.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Meeting.objects.select_for_update(of=("self",)).select_related("lab").get(pk=meeting.pk)
        )
        if locked.status != MeetingStatus.SCHEDULED:
            raise ValidationError(
                _("This meeting is %(status)s: it cannot be closed.")
                % {"status": locked.get_status_display()},
                code="not_scheduled",
            )
        if locked.ends_at > now:
            raise ValidationError(
                _("A meeting is closed after it ends: its minutes tell what happened."),
                code="not_ended",
            )
        absent = list(
            Registration.objects.select_for_update().filter(
                meeting=locked, status=R.CONFIRMED, attended__isnull=True
            )
        )
        Registration.objects.filter(pk__in=[r.pk for r in absent]).update(attended=False)
        locked.summary = summary.strip()
        locked.status = MeetingStatus.CLOSED
        locked.closed_at = now
        locked.closed_by = actor
        locked.save(update_fields=["summary", "status", "closed_at", "closed_by"])
        locked.organisations_present.set(organisations)
        created = [
            Need.objects.create(
                lab=locked.lab,
                title=title,
                category=category,
                comune=locked.comune,
                posted_by=actor,
                created_at=now,
            )
            for title, category in needs
        ]
        attendees = Registration.objects.filter(meeting=locked, attended=True).count()
        audit_change(
            obj=locked,
            action="state",
            changes={
                "status": [MeetingStatus.SCHEDULED, MeetingStatus.CLOSED],
                "organisations_present": [[], organisations],
                "attendees": [None, attendees],
                "needs_raised": [[], [need.pk for need in created]],
            },
            actor=actor,
        )
        for need in created:
            audit_change(
                obj=need,
                action="create",
                changes={"title": [None, need.title], "category": [None, need.category]},
                note=_("Raised at the meeting %(meeting)s") % {"meeting": locked.pk},
                actor=actor,
            )
        if absent:
            audit_bulk_change(
                objs=absent,
                action="update",
                changes={"attended": [None, False]},
                note=_("Not marked present when the minutes were written"),
                actor=actor,
            )
    meeting.refresh_from_db()
    return meeting


# --- Reminding facilitators to write the minutes --------------------------------------------


def meetings_to_close(*, now: dt.datetime | None = None) -> list[Meeting]:
    """Scheduled meetings that ended more than a day ago and have no minutes yet, with
    their lab and its facilitators."""
    now = now or timezone.now()
    return list(
        Meeting.objects.filter(
            status=MeetingStatus.SCHEDULED,
            ends_at__lte=now - dt.timedelta(days=1),
            close_reminded_at__isnull=True,
        )
        .select_related("lab")
        .prefetch_related("lab__facilitators")
        .order_by("ends_at", "pk")
    )


def meeting_close_reminder_send(*, meeting: Meeting) -> bool:
    """E-mail the lab's facilitators, each in their language, that the meeting waits for
    its minutes; once per meeting. Returns whether a mail left.

    Once-only: ``close_reminded_at`` is written under the meeting's row lock in the same
    transaction as the sending — a second scan, or a re-delivered task, finds it set and
    sends nothing; a failed send records nothing (the next scan tries again)."""
    recipients = [user for user in meeting.lab.facilitators.all() if user.is_active and user.email]
    if not recipients:
        return False
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.status != MeetingStatus.SCHEDULED or locked.close_reminded_at is not None:
            return False
        Meeting.objects.filter(pk=locked.pk).update(close_reminded_at=timezone.now())
        _close_reminder_mails(meeting, recipients)
    return True


def _close_reminder_mails(meeting: Meeting, recipients: list[Any]) -> None:
    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.urls import reverse
    from django.utils import translation

    link = settings.SITE_URL + reverse("labs:meeting_close", args=[meeting.pk])
    for user in recipients:
        with translation.override(getattr(user, "language", "") or "it"):
            when = timezone.localtime(meeting.starts_at, ROME).strftime("%d/%m/%Y %H:%M")
            subject = _("Write the minutes: %(meeting)s") % {"meeting": meeting.title}
            body = "\n\n".join(
                [
                    _(
                        "The meeting “%(meeting)s” of the lab “%(lab)s”, on %(when)s, "
                        "has ended and has no minutes yet."
                    )
                    % {"meeting": meeting.title, "lab": meeting.lab.title, "when": when},
                    _(
                        "Write the summary, the organisations present and the needs "
                        "raised, and check the attendance: %(link)s"
                    )
                    % {"link": link},
                ]
            )
        EmailMessage(subject=f"[Legami] {subject}", body=body, to=[user.email]).send()
