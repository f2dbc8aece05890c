"""The pacts' part of a person's file, for the data-protection rights of
``beneficiaries.services.gdpr``: the export holds every pact of the person with its
goals, commitments, signatories, reviews, placements and hours; anonymisation scrubs the
words that tell the person's story (context, strengths, reasons, notes, the tutor's name,
the scan of the signed copy) and keeps what counts in aggregates — statuses, dates,
goals and their outcomes, commitments, hours.

The ledger is append-only (on PostgreSQL a trigger refuses any change): anonymisation is
the one exception, and may only empty the free-text description of the person's
transactions, through the door the trigger opens for its own transaction
(``pacts.ledger_anonymise``); hours, dates and accounts stay.

``register()`` is called from ``PactsConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from beneficiaries.models import Person
from beneficiaries.services import gdpr
from beneficiaries.services.gdpr import ANONYMISED_TEXT, _record
from pacts.models import (
    Commitment,
    Goal,
    LedgerTransaction,
    Pact,
    Placement,
    Review,
    ReviewGoalOutcome,
    Signatory,
)

SECTIONS: dict[str, tuple[Any, type[models.Model]]] = {
    "pacts": (_("Generative pacts"), Pact),
    "pact_goals": (_("Goals of the pacts"), Goal),
    "pact_commitments": (_("Commitments of the pacts"), Commitment),
    "pact_signatories": (_("Signatories of the pacts"), Signatory),
    "pact_reviews": (_("Reviews of the pacts"), Review),
    "pact_review_outcomes": (_("Outcomes of the goals at each review"), ReviewGoalOutcome),
    "pact_placements": (_("Work placements"), Placement),
    "pact_hours": (_("Hours given and received"), LedgerTransaction),
}


def _pact_row(pact: Pact) -> dict[str, Any]:
    row = _record(pact, skip=("person", "scan"))
    row["scan"] = pact.scan.name if pact.scan else ""
    return row


def pacts_export(person: Person) -> dict[str, list[dict[str, Any]]]:
    """The person's pacts and everything in them, one flat section per kind of record
    (each row names its pact by id), as the export's other sections are."""
    pacts = list(
        Pact.objects.filter(person=person)
        .select_related("case", "created_by", "renewal_of")
        .order_by("created_at", "id")
    )
    if not pacts:  # most files have none: one query, not one per kind of record
        return {name: [] for name in SECTIONS}
    of_person = Q(pact__person=person)
    return {
        "pacts": [_pact_row(p) for p in pacts],
        "pact_goals": [
            _record(g)
            for g in Goal.objects.filter(of_person)
            .select_related("pact", "organisation")
            .order_by("pact_id", "position", "id")
        ],
        "pact_commitments": [
            _record(c)
            for c in Commitment.objects.filter(of_person)
            .select_related("pact", "organisation")
            .order_by("pact_id", "direction", "position", "id")
        ],
        "pact_signatories": [
            _record(s)
            for s in Signatory.objects.filter(of_person)
            .select_related("pact", "organisation", "user", "signed_by")
            .order_by("pact_id", "id")
        ],
        "pact_reviews": [
            _record(r)
            for r in Review.objects.filter(of_person)
            .select_related("pact", "assessment", "held_by")
            .order_by("pact_id", "date", "id")
        ],
        "pact_review_outcomes": [
            _record(o)
            for o in ReviewGoalOutcome.objects.filter(review__pact__person=person)
            .select_related("review", "goal")
            .order_by("review_id", "goal_id")
        ],
        "pact_placements": [
            _record(p)
            for p in Placement.objects.filter(of_person)
            .select_related("pact", "host_organisation")
            .order_by("pact_id", "start_date", "id")
        ],
        "pact_hours": [
            _record(t)
            for t in LedgerTransaction.objects.filter(of_person)
            .select_related(
                "pact",
                "commitment",
                "giver__person",
                "giver__organisation",
                "receiver__person",
                "receiver__organisation",
                "recorded_by",
            )
            .order_by("date", "id")
        ],
    }


def pacts_records(person: Person) -> list[models.Model]:
    """Every record of the person's pacts, whose change history belongs to the file."""
    pacts = list(Pact.objects.filter(person=person))
    if not pacts:
        return []
    of_person = Q(pact__person=person)
    return [
        *pacts,
        *Goal.objects.filter(of_person),
        *Commitment.objects.filter(of_person),
        *Signatory.objects.filter(of_person),
        *Review.objects.filter(of_person),
        *Placement.objects.filter(of_person),
        *LedgerTransaction.objects.filter(of_person),
    ]


def pacts_anonymise(person: Person) -> None:
    """Scrub the words about the person from their pacts; delete the scans of the signed
    copies (they bear names and signatures). Statuses, dates, goals, commitments,
    outcomes and hours stay for the aggregates."""
    pacts = Pact.objects.filter(person=person)
    for pact in pacts.exclude(scan=""):
        pact.scan.delete(save=False)
    # A title may name the person: it goes too (the status and dates say what counts).
    pacts.update(context="", strengths="", scan="", title=ANONYMISED_TEXT)
    # An interrupted pact keeps a reason (a database constraint): the placeholder.
    pacts.exclude(interruption_reason="").update(interruption_reason=ANONYMISED_TEXT)
    Signatory.objects.filter(pact__person=person, kind="beneficiary").update(name="")
    # Community actors (neighbours, volunteers) are named only in relation to the person.
    Signatory.objects.filter(pact__person=person, kind="community").update(name=ANONYMISED_TEXT)
    Review.objects.filter(pact__person=person).update(notes="")
    ReviewGoalOutcome.objects.filter(review__pact__person=person).update(note="")
    Placement.objects.filter(pact__person=person).update(tutor=ANONYMISED_TEXT, notes="")
    _scrub_ledger_descriptions(person)


def _scrub_ledger_descriptions(person: Person) -> None:
    """Empty the descriptions of the person's ledger transactions, through the
    append-only trigger's anonymisation door (open only inside this transaction)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL pacts.ledger_anonymise = 'on'")
        LedgerTransaction.objects.filter(pact__person=person).exclude(description="").update(
            description=""
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL pacts.ledger_anonymise = 'off'")


def _add(registry: list[Any], part: Any) -> None:
    if part not in registry:
        registry.append(part)


def register() -> None:
    """Take part in the export and anonymisation of a person's file (idempotent)."""
    _add(gdpr.EXPORT_PARTS, pacts_export)
    _add(gdpr.RECORD_PARTS, pacts_records)
    _add(gdpr.ANONYMISE_PARTS, pacts_anonymise)
    gdpr.EXPORT_LABELS.update(SECTIONS)
