"""The data-protection rights on a case file: the export of everything held about a
person (GDPR art. 15 and 20) and anonymisation at the end of the retention period.

Anonymisation keeps the record counting in aggregates (sex, year of birth, comune of
residence, citizenship, areas, cases and their stages and dates, consents, assessment
scores, the kinds/strength/quality of ties) and scrubs whatever identifies the person or
tells their story in words. A restricted file (GDPR art. 18, "store only") is anonymised
at the end of the retention like any other: anonymising is not a use of the data, and the
restriction does not extend the retention.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext

from beneficiaries.models import (
    Assessment,
    Case,
    CaseAssignment,
    Consent,
    DiaryNote,
    EcomapSnapshot,
    HouseholdMember,
    Intake,
    NoCodiceFiscaleReason,
    Person,
    PersonArea,
    Referral,
    Tie,
)
from legami.audit import audit_change, audit_forget
from legami.models import AccessEvent, ChangeEvent
from legami.pdf import pdf_fonts

logger = logging.getLogger(__name__)

ANONYMISED_TEXT = "[anonymised]"
ANONYMISED_FIRST_NAME = "—"

# --- Parts of the file kept by other apps -----------------------------------------------------
# Apps that hold more of a person's file (the pacts, say) take part in the export and in
# the anonymisation by registering here from their ``AppConfig.ready()``; this app imports
# none of them.
#
# EXPORT_PARTS: ``(person) -> {section: rows}``, sections added to ``person_export_data``.
# EXPORT_LABELS: ``{section: (heading, model)}``, how the PDF titles a section and labels
#   its fields.
# RECORD_PARTS: ``(person) -> records`` of the file: their change history is exported
#   with the file's, and forgotten when the file is anonymised.
# ANONYMISE_PARTS: ``(person) -> None``, scrubbing the app's text about the person; run
#   inside the anonymising transaction, before the history is forgotten.
ExportPart = Callable[[Person], dict[str, list[dict[str, Any]]]]
RecordPart = Callable[[Person], Iterable[models.Model]]
AnonymisePart = Callable[[Person], None]
EXPORT_PARTS: list[ExportPart] = []
EXPORT_LABELS: dict[str, tuple[Any, type[models.Model] | None]] = {}
RECORD_PARTS: list[RecordPart] = []
ANONYMISE_PARTS: list[AnonymisePart] = []


def _part_records(person: Person) -> list[models.Model]:
    return [record for part in RECORD_PARTS for record in part(person)]


# --- Export -----------------------------------------------------------------------------------


# Relations shown by their id: the case of a note or referral (the cases are exported
# with the same ids), and the intake of a case.
BY_ID = frozenset({"case", "intake"})


def _value(obj: models.Model, field: models.Field[Any, Any]) -> Any:
    if field.is_relation and field.many_to_one and field.name in BY_ID:
        return getattr(obj, field.attname)
    if field.is_relation and field.many_to_one:
        related = getattr(obj, field.name)
        if related is None:
            return None
        email = getattr(related, "email", None)
        return email if isinstance(email, str) and email else str(related)
    value = getattr(obj, field.attname)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _record(obj: models.Model, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every concrete field of ``obj`` (relations by their label, users by e-mail), and
    the readable label of each field with choices as ``<name>_display``."""
    row: dict[str, Any] = {"id": obj.pk}
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.name in skip:
            continue
        row[field.name] = _value(obj, field)
        if field.choices and getattr(obj, field.attname):
            row[f"{field.name}_display"] = str(getattr(obj, f"get_{field.name}_display")())
    return row


def _targets(person: Person) -> Q:
    """The audit rows about the person and every record of their file."""
    groups: dict[str, list[Any]] = {
        "beneficiaries.person": [person.pk],
        "beneficiaries.personarea": list(person.areas.values_list("pk", flat=True)),
        "beneficiaries.householdmember": list(person.household.values_list("pk", flat=True)),
        "beneficiaries.intake": list(person.intakes.values_list("pk", flat=True)),
        "beneficiaries.case": list(person.cases.values_list("pk", flat=True)),
        "beneficiaries.caseassignment": list(
            CaseAssignment.objects.filter(case__person=person).values_list("pk", flat=True)
        ),
        "beneficiaries.diarynote": list(
            DiaryNote.objects.filter(case__person=person).values_list("pk", flat=True)
        ),
        "beneficiaries.referral": list(
            Referral.objects.filter(case__person=person).values_list("pk", flat=True)
        ),
        "beneficiaries.consent": list(person.consents.values_list("pk", flat=True)),
        "beneficiaries.tie": list(person.ties.values_list("pk", flat=True)),
        "beneficiaries.ecomapsnapshot": list(person.ecomap_snapshots.values_list("pk", flat=True)),
        "beneficiaries.assessment": list(person.assessments.values_list("pk", flat=True)),
    }
    for record in _part_records(person):
        label = f"{record._meta.app_label}.{record._meta.model_name}"
        groups.setdefault(label, []).append(record.pk)
    q = Q(pk__in=[])
    for label, pks in groups.items():
        if pks:
            q |= Q(target_type=label, target_id__in=[str(pk) for pk in pks])
    return q


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def person_export_data(*, person: Person, actor: Any) -> dict[str, Any]:
    """Everything held about ``person``: the file's fields, areas, need tags, household,
    intakes, cases with their assignments, diary notes (confidential ones included: they
    are the person's own data), referrals, consents, ties, ecomap snapshots, assessments,
    and the change history and access log of the person and of every record of the file.

    The caller checks the EXPORT right and records the export (``audit_read``); this
    function only reads. ``actor`` is named in the export's header."""
    person = Person.objects.select_related(
        "birth_comune", "residence_comune", "domicile_comune", "created_by"
    ).get(pk=person.pk)
    cases = list(
        Case.objects.filter(person=person)
        .select_related("organisation", "ambito")
        .prefetch_related("assignments__worker", "assignments__assigned_by")
        .order_by("opened_on", "id")
    )
    case_rows = []
    for case in cases:
        row = _record(case)
        row["assignments"] = [
            _record(a, skip=("case",)) for a in sorted(case.assignments.all(), key=lambda a: a.pk)
        ]
        case_rows.append(row)
    targets = _targets(person)
    history = [
        {k: _iso(v) for k, v in row.items()}
        for row in ChangeEvent.objects.filter(targets)
        .order_by("at", "id")
        .values(
            "at",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "changes",
            "note",
        )
    ]
    access_log = [
        {k: _iso(v) for k, v in row.items()}
        for row in AccessEvent.objects.filter(targets)
        .order_by("at", "id")
        .values("at", "actor_label", "actor_roles", "action", "target_type", "target_id", "purpose")
    ]
    data: dict[str, Any] = {
        "format": "legami.person-export/1",
        "generated_at": timezone.now().isoformat(),
        "generated_by": str(getattr(actor, "email", "") or actor or ""),
        "person": _record(person),
        "areas": [_record(a, skip=("person",)) for a in PersonArea.objects.filter(person=person)],
        "need_tags": sorted(person.need_tags.values_list("name", flat=True)),
        "household": [
            _record(m, skip=("person",))
            for m in HouseholdMember.objects.filter(person=person).select_related("member")
        ],
        "intakes": [
            _record(i, skip=("person",))
            for i in Intake.objects.filter(person=person).select_related(
                "organisation",
                "ambito",
                "reporting_organisation",
                "triaged_to",
                "created_by",
            )
        ],
        "cases": case_rows,
        "diary": [
            _record(n)
            for n in DiaryNote.objects.filter(case__person=person)
            .select_related("author")
            .order_by("date", "id")
        ],
        "referrals": [
            _record(r)
            for r in Referral.objects.filter(case__person=person)
            .select_related("to_organisation", "requested_by", "decided_by", "receiving_worker")
            .order_by("requested_at", "id")
        ],
        "consents": [
            _record(c, skip=("person",))
            for c in Consent.objects.filter(person=person).select_related("recorded_by")
        ],
        "ties": [
            _record(t, skip=("person",))
            for t in Tie.objects.filter(person=person).select_related(
                "linked_person", "linked_organisation"
            )
        ],
        "ecomap_snapshots": [
            _record(s, skip=("person",))
            for s in EcomapSnapshot.objects.filter(person=person)
            .select_related("taken_by")
            .order_by("taken_on", "id")
        ],
        "assessments": [
            _record(a, skip=("person",))
            for a in Assessment.objects.filter(person=person)
            .select_related("assessor")
            .order_by("date", "id")
        ],
    }
    for part in EXPORT_PARTS:
        data.update(part(person))
    data["change_history"] = history
    data["access_log"] = access_log
    return data


# --- Anonymisation ----------------------------------------------------------------------------


def _anonymous_last_name(person: Person) -> str:
    digest = hashlib.sha256(f"legami-person-{person.pk}".encode()).hexdigest()[:8].upper()
    return f"ANON-{digest}"


def person_anonymise(*, person: Person, actor: Any = None) -> Person:
    """Scrub what identifies ``person`` and what tells their story, keeping what counts
    in aggregates; record it in the change history. Does nothing to a person already
    anonymised.

    The person: name → "—" / "ANON-<hash>", codice fiscale removed (reason "other"),
    date of birth → 1 July of the year of birth, comune and country of birth, domicile,
    languages, contacts and address cleared (sex, citizenship and comune of residence
    kept). Household members named only by relation; intakes lose who reported and the
    first needs; diary notes and referral reasons become "[anonymised]"; ties are named
    by their kind and lose their notes, in the ecomap snapshots too; assessment notes
    are cleared (answers and scores kept)."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.anonymised_at is not None:
            return person
        now = timezone.now()
        person.first_name = ANONYMISED_FIRST_NAME
        person.last_name = _anonymous_last_name(person)
        person.codice_fiscale = ""
        person.no_codice_fiscale_reason = NoCodiceFiscaleReason.OTHER
        if person.birth_date is not None:
            person.birth_date = dt.date(person.birth_date.year, 7, 1)
        person.birth_comune = None
        person.birth_country = ""
        person.languages = ""
        person.phone = ""
        person.email = ""
        person.address = ""
        person.domicile_comune = None
        person.anonymised_at = now
        person.save()
        person.household.update(first_name=ANONYMISED_FIRST_NAME, last_name="")
        person.intakes.update(reported_by="", first_needs="")
        DiaryNote.objects.filter(case__person=person).update(text=ANONYMISED_TEXT)
        Referral.objects.filter(case__person=person).update(
            reason=ANONYMISED_TEXT, decline_reason=""
        )
        ties = list(person.ties.all())
        for tie in ties:
            tie.label = tie.kind
            tie.note = ""
        Tie.objects.bulk_update(ties, ["label", "note"])
        snapshots = list(person.ecomap_snapshots.all())
        for snapshot in snapshots:
            snapshot.ties = [_scrub_snapshot_tie(t) for t in snapshot.ties or []]
            snapshot.note = ""
        EcomapSnapshot.objects.bulk_update(snapshots, ["ties", "note"])
        person.assessments.update(note="")
        for part in ANONYMISE_PARTS:
            part(person)
        # The change history of the file holds the values just erased: it goes too, and
        # a single event records that the file was anonymised.
        audit_forget(records=_file_records(person))
        audit_change(
            obj=person,
            action=ChangeEvent.Action.STATE,
            changes={"anonymised_at": [None, now.isoformat()]},
            note="anonymised",
            actor=actor,
        )
    return person


def _file_records(person: Person) -> list[models.Model]:
    """The person and every record of their file, for forgetting their history."""
    cases = list(person.cases.all())
    return [
        person,
        *cases,
        *DiaryNote.objects.filter(case__person=person),
        *Referral.objects.filter(case__person=person),
        *CaseAssignment.objects.filter(case__person=person),
        *person.intakes.all(),
        *person.household.all(),
        *person.consents.all(),
        *person.ties.all(),
        *person.ecomap_snapshots.all(),
        *person.assessments.all(),
        *person.areas.all(),
        *_part_records(person),
    ]


def _scrub_snapshot_tie(tie: Any) -> Any:
    if not isinstance(tie, dict):
        return tie
    scrubbed = dict(tie)
    if "label" in scrubbed:
        scrubbed["label"] = scrubbed.get("kind", "")
    if "note" in scrubbed:
        scrubbed["note"] = ""
    return scrubbed


def _months_before(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    for candidate in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - unreachable


def retention_cutoff(today: dt.date | None = None) -> dt.date:
    """Files whose last case closed before this day are due for anonymisation."""
    today = today or timezone.localdate()
    return _months_before(today, settings.CASE_FILE_RETENTION_MONTHS)


def persons_due_for_anonymisation(*, today: dt.date | None = None) -> models.QuerySet[Person]:
    """Persons not yet anonymised who have cases, all of them closed, the last one
    closed before the retention cut-off (``CASE_FILE_RETENTION_MONTHS``). A person with
    no case at all is not due (nothing dates their file)."""
    cutoff = retention_cutoff(today)
    return (
        Person.objects.filter(anonymised_at__isnull=True, cases__isnull=False)
        .exclude(cases__closed_on__isnull=True)
        .annotate(last_closed=Max("cases__closed_on"))
        .filter(last_closed__lt=cutoff)
        .order_by("pk")
    )


def persons_anonymise_due(*, today: dt.date | None = None, batch_size: int = 200) -> int:
    """Anonymise every person due (see ``persons_due_for_anonymisation``), in batches of
    ``batch_size``, one transaction per person; returns how many were anonymised. Running
    it again anonymises nobody twice."""
    done = 0
    last_pk = 0
    while True:
        batch = list(
            persons_due_for_anonymisation(today=today)
            .filter(pk__gt=last_pk)
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            break
        for person in Person.objects.filter(pk__in=batch).order_by("pk"):
            person_anonymise(person=person)
            done += 1
        last_pk = batch[-1]
    if done:
        logger.info("Anonymised %d case files at the end of their retention.", done)
    return done


# --- The export as a PDF ----------------------------------------------------------------------

_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?)?$")


def _cell(value: Any) -> str:
    """A value of the export as a person reads it: dates and times in Italian form and in
    Europe/Rome (the JSON keeps ISO 8601 in UTC)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        moment = parse_datetime(value)
        if moment is not None and "T" in value:
            return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
        day = parse_date(value)
        if day is not None:
            return date_format(day, "SHORT_DATE_FORMAT")
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _field_label(model: type[models.Model] | None, name: str) -> str:
    """The field's verbose name ("Date of birth"), or the name itself."""
    if name == "id":
        return gettext("identifier")
    try:
        field = model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        field = None
    label = str(getattr(field, "verbose_name", "") or name.replace("_", " "))
    return label[:1].upper() + label[1:]


def person_export_pdf(*, data: dict[str, Any]) -> bytes:
    """The export of ``person_export_data`` as a readable PDF, in the active language: a
    title, then one section per part of the file, each with a heading and a table."""
    from io import BytesIO
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font, bold = pdf_fonts()
    styles = getSampleStyleSheet()
    title = ParagraphStyle("title", parent=styles["Title"], fontName=bold)
    heading = ParagraphStyle("h2", parent=styles["Heading2"], fontName=bold)
    body = ParagraphStyle("body", parent=styles["BodyText"], fontName=font, fontSize=8, leading=10)
    key = ParagraphStyle("key", parent=body, fontName=bold)

    def para(value: Any, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(_cell(value)).replace("\n", "<br/>"), style)

    def key_values(row: dict[str, Any], model: type[models.Model] | None) -> Table:
        cells = []
        for name, value in row.items():
            if isinstance(value, list) or name.endswith("_display"):
                continue
            cells.append(
                [para(_field_label(model, name), key), para(row.get(f"{name}_display", value))]
            )
        table = Table(cells, colWidths=[5 * cm, 12 * cm])
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                ]
            )
        )
        return table

    sections: list[tuple[str, str, type[models.Model] | None]] = [
        ("areas", gettext("Vulnerability areas"), PersonArea),
        ("household", gettext("Household"), HouseholdMember),
        ("intakes", gettext("Intakes"), Intake),
        ("cases", gettext("Cases"), Case),
        ("diary", gettext("Diary"), DiaryNote),
        ("referrals", gettext("Referrals"), Referral),
        ("consents", gettext("Consents"), Consent),
        ("ties", gettext("Ties"), Tie),
        ("ecomap_snapshots", gettext("Ecomap snapshots"), EcomapSnapshot),
        ("assessments", gettext("Assessments"), Assessment),
        *(
            (name, str(label), model)
            for name, (label, model) in EXPORT_LABELS.items()
            if name in data
        ),
        ("change_history", gettext("Change history"), ChangeEvent),
        ("access_log", gettext("Access log"), AccessEvent),
    ]
    story: list[Any] = [
        Paragraph(escape(gettext("Data held about a person")), title),
        para(
            gettext("Record %(public_id)s, exported on %(at)s by %(by)s.")
            % {
                "public_id": data["person"].get("public_id", ""),
                "at": _cell(data["generated_at"]),
                "by": data["generated_by"],
            }
        ),
        Spacer(1, 0.4 * cm),
        Paragraph(escape(gettext("Person")), heading),
        key_values(data["person"], Person),
        para(gettext("Needs: %(tags)s") % {"tags": ", ".join(data["need_tags"]) or "—"}),
    ]
    for name, label, model in sections:
        story.append(Paragraph(escape(label), heading))
        rows = data.get(name) or []
        if not rows:
            story.append(para(gettext("Nothing on file.")))
            continue
        for row in rows:
            story.append(key_values(row, model))
            for item in row.get("assignments", []) if name == "cases" else []:
                story.append(key_values(item, CaseAssignment))
            story.append(Spacer(1, 0.2 * cm))
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=gettext("Data held about a person"),
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )
    document.build(story)
    return buffer.getvalue()
