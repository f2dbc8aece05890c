"""The pacts app's demo step (see ``legami/demo.py``): generative pacts for the demo
people of the case files, one in every state of its life — a draft, one proposed and
half signed, one signed, two running (one with its review overdue, so that the reminder
shows on the dashboard), one in review, one completed with its final review and an
LSNS-6 before and after, its renewal, and one interrupted — with the Consorzio Sol.Co
signing, hours given back and received, and a work placement at a local company.

Every pact is made through the services, as a social worker would, so each one is a
pact the state machine can reach, with its audit trail. A pact is found again by its
case and title: seeding twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from beneficiaries.models import Assessment, AssessmentKind, Case, Person
from legami.demo import DEMO_EMAIL_DOMAIN, DemoStep
from legami.models import User
from pacts.models import (
    CommitmentDirection,
    CommitmentKind,
    Pact,
    PactStatus,
    SignatoryKind,
)
from pacts.services import follow, ledger, pacts
from partners.models import Organisation

S = PactStatus
D = CommitmentDirection
K = CommitmentKind

# Who signs for the partner organisation: the demo partner staff of Sol.Co.
SIGNING_ORGANISATION = "consorzio-solco-cremona"
PARTNER_SIGNER = "partner"


def _day(value: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(value, dt.time(10, 30)))


@dataclass(frozen=True)
class DemoGoal:
    description: str
    indicator: str
    target: str
    organisation: str = ""  # slug


@dataclass(frozen=True)
class DemoCommitment:
    direction: str
    kind: str
    description: str
    quantity: str
    unit: str
    period: str
    organisation: str = ""  # slug
    owner: str = ""


@dataclass(frozen=True)
class DemoPact:
    person: tuple[str, str]  # first and last name of a demo person of the case files
    worker: str  # local part of the demo worker's e-mail
    status: str
    title: str
    context: str
    strengths: str
    goals: tuple[DemoGoal, ...]
    commitments: tuple[DemoCommitment, ...]
    community: str = ""  # a community actor who signs on paper
    # Fixed start for the pacts with a history; otherwise ``days_ago`` before today.
    start: dt.date | None = None
    days_ago: int = 40
    extra: dict[str, Any] = field(default_factory=dict)


VOLUNTEERING = "cisvol-cremona"
SOLCO = "consorzio-solco-cremona"
ARCOBALENO = "consorzio-arcobaleno"

# fmt: off
PACTS: tuple[DemoPact, ...] = (
    DemoPact(
        ("Adelmina", "Pradelloni"), "operatore", S.COMPLETED,
        "Tornare in piazza",
        "Vedova da tre anni, vive sola in centro; la figlia abita a Milano e passa la "
        "domenica. Dopo una caduta esce poco e si sente di peso.",
        "Memoria storica del quartiere, ottima cuoca, affetto dei vicini.",
        (
            DemoGoal("Uscire di casa almeno due volte a settimana",
                     "Uscite registrate dalla volontaria", "2 a settimana", VOLUNTEERING),
            DemoGoal("Partecipare al centro anziani di quartiere",
                     "Presenze al centro", "4 al mese", SOLCO),
        ),
        (
            DemoCommitment(D.PROVIDES, K.MENTORING,
                           "Accompagnamento di una volontaria nelle uscite", "2", "hours",
                           "week", VOLUNTEERING),
            DemoCommitment(D.PROVIDES, K.SERVICE, "Trasporto al centro anziani", "1",
                           "times", "week", SOLCO),
            DemoCommitment(D.GIVES_BACK, K.LAB,
                           "Racconta la storia del quartiere ai ragazzi del doposcuola",
                           "2", "hours", "month", SOLCO),
        ),
        community="Parrocchia di Sant'Agostino",
        start=dt.date(2025, 9, 15),
        extra={
            "hours": ((dt.date(2025, 11, 12), "2", D.GIVES_BACK, SOLCO),
                      (dt.date(2026, 1, 21), "2", D.GIVES_BACK, SOLCO),
                      (dt.date(2026, 3, 18), "2.5", D.GIVES_BACK, SOLCO),
                      (dt.date(2025, 10, 1), "8", D.PROVIDES, VOLUNTEERING)),
            "reviews": ((dt.date(2025, 12, 10), ("partly", "partly"),
                         "Esce con la volontaria il martedì; al centro solo una volta.",
                         dt.date(2026, 3, 10)),
                        (dt.date(2026, 3, 12), ("achieved", "partly"),
                         "Le uscite sono diventate un'abitudine.", dt.date(2026, 6, 10))),
            "final": (dt.date(2026, 6, 10), ("achieved", "partly"),
                      "Patto concluso: rete di quartiere ricostruita, il centro resta da "
                      "consolidare.", dt.date(2026, 6, 1)),
            "renew": "Tornare in piazza — secondo anno",
        },
    ),
    DemoPact(
        ("Samir", "Oudghiri-Finzi"), "operatore", S.ACTIVE,
        "Lavoro e squadra",
        "Arrivato da quattro anni, lavori stagionali nei campi; vive con il cugino. "
        "Vuole un lavoro stabile e migliorare l'italiano scritto.",
        "Affidabile, manualità, allena i ragazzi della squadra di calcio amatoriale.",
        (
            DemoGoal("Concludere il tirocinio in magazzino",
                     "Presenze al tirocinio", "90% delle ore", SOLCO),
            DemoGoal("Ottenere la certificazione di italiano A2",
                     "Esame superato", "Certificato A2"),
        ),
        (
            DemoCommitment(D.PROVIDES, K.MENTORING, "Tutor per il tirocinio e il curriculum",
                           "2", "hours", "week", SOLCO),
            DemoCommitment(D.PROVIDES, K.SERVICE, "Corso serale di italiano", "4", "hours",
                           "week", owner="CPIA di Cremona"),
            DemoCommitment(D.GIVES_BACK, K.VOLUNTEERING,
                           "Allena i ragazzi dell'oratorio il sabato mattina", "3", "hours",
                           "week", ARCOBALENO),
        ),
        days_ago=52,  # review due in a few days: on the demo operator's dashboard
        extra={
            "hours": ((15, "3", D.GIVES_BACK, ARCOBALENO), (8, "3", D.GIVES_BACK, ARCOBALENO),
                      (1, "3", D.GIVES_BACK, ARCOBALENO), (10, "4", D.PROVIDES, SOLCO)),
            "placement": {
                "host_name": "Magazzini Padani Srl, Vescovato",
                "tutor": "Roberto Zanibelli",
                "role": "Aiuto magazziniere",
                "hours_per_week": Decimal(20),
            },
        },
    ),
    DemoPact(
        ("Gianpiera", "Vailatini"), "operatore.crema", S.ACTIVE,
        "Camminare insieme",
        "Vive sola a Crema; l'amica di una vita si è trasferita. I pomeriggi sono lunghi.",
        "Camminatrice instancabile, conosce ogni via della città.",
        (
            DemoGoal("Guidare il gruppo di cammino del giovedì",
                     "Uscite guidate", "1 a settimana", SOLCO),
        ),
        (
            DemoCommitment(D.PROVIDES, K.PLACE, "Sala per il ritrovo del gruppo", "1",
                           "times", "week", SOLCO),
            DemoCommitment(D.GIVES_BACK, K.PEER_SUPPORT,
                           "Guida il gruppo di cammino e chiama chi manca", "2", "hours",
                           "week", SOLCO),
        ),
        start=dt.date(2026, 3, 2),
        extra={"hours": ((dt.date(2026, 3, 19), "2", D.GIVES_BACK, SOLCO),
                         (dt.date(2026, 3, 26), "2", D.GIVES_BACK, SOLCO))},
    ),
    DemoPact(
        ("Noemi", "Guerrinelli"), "operatore.crema", S.IN_REVIEW,
        "Compiti e oratorio",
        "Sedici anni, ripete il secondo anno; la madre lavora su turni.",
        "Brava in matematica, molto legata alla nonna e alla compagna di banco.",
        (
            DemoGoal("Frequentare il doposcuola", "Presenze", "3 pomeriggi a settimana",
                     ARCOBALENO),
            DemoGoal("Recuperare le insufficienze", "Pagella del primo periodo",
                     "Al più una insufficienza"),
        ),
        (
            DemoCommitment(D.PROVIDES, K.SERVICE, "Doposcuola con educatore", "6", "hours",
                           "week", ARCOBALENO),
            DemoCommitment(D.GIVES_BACK, K.PEER_SUPPORT,
                           "Aiuta in matematica due ragazzi delle medie", "2", "hours",
                           "week", ARCOBALENO),
        ),
        days_ago=52,  # the review falls in a few days: a "due soon" reminder
        extra={"hours": ((20, "2", D.GIVES_BACK, ARCOBALENO),)},
    ),
    DemoPact(
        ("Aurelio", "Scaravonati"), "operatore.casalasco", S.SIGNED,
        "La memoria della cartiera",
        "In carrozzina dopo un ictus; la moglie Rina lo assiste ed è stanca.",
        "Trent'anni in cartiera, racconta volentieri, ha ancora i colleghi di un tempo.",
        (
            DemoGoal("Raccogliere le storie della cartiera con gli ex colleghi",
                     "Incontri di racconto", "Un incontro al mese", SOLCO),
        ),
        (
            DemoCommitment(D.PROVIDES, K.SERVICE, "Sollievo alla moglie il mercoledì",
                           "3", "hours", "week", SOLCO),
            DemoCommitment(D.GIVES_BACK, K.LAB, "Racconti per il laboratorio della memoria",
                           "2", "hours", "month", SOLCO),
        ),
        community="Circolo ARCI di Casalmaggiore",
    ),
    DemoPact(
        ("Loredana", "Bertazzolini"), "operatore", S.PROPOSED,
        "Un lavoro e una rete",
        "Separata, due figli alla primaria, lavora a chiamata in un'impresa di pulizie.",
        "Organizzata, generosa con le altre mamme della scuola.",
        (
            DemoGoal("Un contratto stabile entro l'anno", "Contratto firmato",
                     "Tempo indeterminato o 12 mesi", SOLCO),
        ),
        (
            DemoCommitment(D.PROVIDES, K.MENTORING, "Orientamento al lavoro", "1", "hours",
                           "week", SOLCO),
            DemoCommitment(D.GIVES_BACK, K.VOLUNTEERING, "Turni all'emporio solidale", "4",
                           "hours", "month", SOLCO),
        ),
    ),
    DemoPact(
        ("Ottavio", "Marzollini"), "operatore.crema", S.DRAFT,
        "Ripartire dal gruppo",
        "Percorso al SerD da un anno, ha perso il lavoro e la patente.",
        "Elettricista, aggiusta tutto.",
        (
            DemoGoal("Partecipare al gruppo di auto-aiuto", "Presenze", "Ogni settimana"),
        ),
        (
            DemoCommitment(D.PROVIDES, K.SERVICE, "Colloqui con l'educatore", "1", "meetings",
                           "week", SOLCO),
            DemoCommitment(D.GIVES_BACK, K.VOLUNTEERING,
                           "Piccole riparazioni alla sede del gruppo", "2", "hours", "month",
                           owner="Gruppo di auto-aiuto di Castelleone"),
        ),
    ),
    DemoPact(
        ("Ermanno", "Caprioletti"), "operatore", S.INTERRUPTED,
        "Bocce e compagnia",
        "Vive solo a Cremona, il figlio è a Milano; rifiuta l'assistenza a domicilio.",
        "Campione di bocce del quartiere, molto amato al circolo.",
        (
            DemoGoal("Tornare al circolo delle bocce", "Presenze", "2 volte a settimana"),
        ),
        (
            DemoCommitment(D.PROVIDES, K.SERVICE, "Accompagnamento al circolo", "2", "times",
                           "week", SOLCO),
            DemoCommitment(D.GIVES_BACK, K.VOLUNTEERING, "Insegna le bocce ai ragazzi", "2",
                           "hours", "month", SOLCO),
        ),
        start=dt.date(2025, 10, 6),
        extra={"interrupted": (dt.date(2026, 2, 20),
                               "Ricovero ospedaliero prolungato, poi trasferimento dal figlio.")},
    ),
)
# fmt: on


class _World:
    def __init__(self) -> None:
        self.organisations = Organisation.objects.in_bulk(
            [SOLCO, VOLUNTEERING, ARCOBALENO], field_name="slug"
        )
        self.signer = User.objects.get(email=f"{PARTNER_SIGNER}@{DEMO_EMAIL_DOMAIN}")

    def org(self, slug: str) -> Organisation | None:
        return self.organisations[slug] if slug else None

    @staticmethod
    def worker(local_part: str) -> User:
        return User.objects.get(email=f"{local_part}@{DEMO_EMAIL_DOMAIN}")


def _draft(demo: DemoPact, case: Case, worker: User, world: _World) -> Pact:
    pact = pacts.pact_create(
        case=case,
        actor=worker,
        title=demo.title,
        context=demo.context,
        strengths=demo.strengths,
        review_every_weeks=8,
    )
    start = demo.start or timezone.localdate() - dt.timedelta(days=demo.days_ago)
    target = start + dt.timedelta(days=270)
    for goal in demo.goals:
        pacts.goal_add(
            pact=pact,
            actor=worker,
            description=goal.description,
            indicator=goal.indicator,
            target=goal.target,
            target_date=target,
            organisation=world.org(goal.organisation),
        )
    for c in demo.commitments:
        pacts.commitment_add(
            pact=pact,
            actor=worker,
            direction=c.direction,
            kind=c.kind,
            description=c.description,
            quantity=Decimal(c.quantity),
            unit=c.unit,
            period=c.period,
            organisation=world.org(c.organisation),
            owner=c.owner,
        )
    pacts.signatory_add(
        pact=pact,
        actor=worker,
        kind=SignatoryKind.ORGANISATION,
        organisation=world.organisations[SIGNING_ORGANISATION],
    )
    if demo.community:
        pacts.signatory_add(
            pact=pact, actor=worker, kind=SignatoryKind.COMMUNITY, name=demo.community
        )
    return pact


def _sign(pact: Pact, worker: User, world: _World, at: dt.datetime | None, *, all_: bool) -> Pact:
    """The signatures: the person's and community actors' recorded by the worker, the
    worker's own, the organisation's by its staff. Without ``all_``, the organisation's
    is still missing."""
    for signatory in pact.signatories.order_by("kind", "pk"):
        if signatory.kind == SignatoryKind.ORGANISATION:
            if not all_:
                continue
            signer = world.signer
        else:
            signer = worker
        pact = pacts.pact_sign(pact=pact, signatory=signatory, signer=signer, at=at)
    return pact


def _when(value: dt.date | int) -> dt.date:
    """A fixed date, or so many days before today."""
    return value if isinstance(value, dt.date) else timezone.localdate() - dt.timedelta(days=value)


def _lsns(person: Person, on: dt.date) -> Assessment | None:
    return (
        Assessment.objects.filter(person=person, kind=AssessmentKind.LSNS6, date__lte=on)
        .order_by("-date")
        .first()
    )


def _outcomes(pact: Pact, values: tuple[str, ...]) -> dict[int, tuple[str, str]]:
    goals = list(pact.goals.order_by("position"))
    return {g.pk: (v, "") for g, v in zip(goals, values, strict=True)}


def _pact_ensure(demo: DemoPact, world: _World) -> bool:
    """One demo pact, moved through the services to its status; whether it was made."""
    first, last = demo.person
    person = Person.objects.filter(first_name=first, last_name=last).first()
    if person is None:
        return False
    case = person.cases.exclude(stage="closed").order_by("opened_on").first()
    if case is None or Pact.objects.filter(case=case, title=demo.title).exists():
        return False
    worker = world.worker(demo.worker)
    pact = _draft(demo, case, worker, world)
    if demo.status == S.DRAFT:
        return True
    start = demo.start or timezone.localdate() - dt.timedelta(days=demo.days_ago)
    signed_at = _day(start - dt.timedelta(days=5))
    pact = pacts.pact_propose(pact=pact, actor=worker)
    pact = _sign(pact, worker, world, signed_at, all_=demo.status != S.PROPOSED)
    if demo.status in (S.PROPOSED, S.SIGNED):
        return True
    pact = pacts.pact_start(pact=pact, actor=worker, on=start)
    for when, hours, direction, slug in demo.extra.get("hours", ()):
        organisation = world.organisations[slug]
        commitment = pact.commitments.filter(direction=direction, organisation=organisation).first()
        ledger.hours_record(
            pact=pact,
            actor=worker,
            hours=hours,
            date=_when(when),
            direction=direction,
            organisation=organisation,
            commitment=commitment,
            description=commitment.description if commitment else "",
        )
    if "placement" in demo.extra:
        follow.placement_add(
            pact=pact,
            actor=worker,
            start_date=start + dt.timedelta(days=14),
            end_date=start + dt.timedelta(days=14 + 180),
            **demo.extra["placement"],
        )
    if "interrupted" in demo.extra:
        on, reason = demo.extra["interrupted"]
        pacts.pact_transition(pact=pact, to=S.INTERRUPTED, actor=worker, reason=reason, on=on)
        return True
    for date, values, notes, next_review_on in demo.extra.get("reviews", ()):
        follow.review_record(
            pact=pact,
            actor=worker,
            outcomes=_outcomes(pact, values),
            date=date,
            notes=notes,
            next_review_on=next_review_on,
            assessment=_lsns(person, date) if date.month == 12 else None,
        )
    if "final" in demo.extra:
        date, values, notes, assessed_on = demo.extra["final"]
        follow.review_record(
            pact=pact,
            actor=worker,
            outcomes=_outcomes(pact, values),
            date=date,
            notes=notes,
            final=True,
            assessment=_lsns(person, assessed_on),
        )
        pact.refresh_from_db()
        if demo.extra.get("renew"):
            pacts.pact_renew(pact=pact, actor=worker, title=demo.extra["renew"])
    if demo.status == S.IN_REVIEW:
        follow.review_start(pact=pact, actor=worker)
    return True


def seed(*, password: str) -> DemoStep:
    """The pacts app's demo step: pacts in every state for the demo case files, and the
    review reminders due today. Safe to run again."""
    step = DemoStep(app="pacts")
    with transaction.atomic():
        world = _World()
        created = sum(_pact_ensure(demo, world) for demo in PACTS)
        reminders = follow.reminders_scan()
    step.summary.append(
        gettext("pacts: %(created)d created, %(unchanged)d unchanged")
        % {"created": created, "unchanged": len(PACTS) - created}
    )
    step.summary.append(gettext("review reminders: %(count)d made") % {"count": len(reminders)})
    return step
