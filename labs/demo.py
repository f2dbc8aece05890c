"""The labs app's demo step (see ``legami/demo.py``): one community lab in each ambito,
run by the demo facilitator, each with a past meeting (attendance and minutes, with the
needs raised posted on the board), upcoming meetings — one almost full, one full with a
waiting list — needs supported by the demo citizen and others, and an intervention
answering some of them.

Labs, meetings, sign-ups, attendance, minutes, needs and interventions go through the
services. A past meeting cannot be created (the service wants a future start): the demo
creates it next week, signs people up, then moves its dates back — the one shortcut,
for history only. A lab is found again by its short name: seeding twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from labs.models import Lab, LabContext, LabStatus, Meeting, NeedCategory
from labs.services import meetings as meeting_services
from labs.services import needs as need_services
from labs.services import registration_cancel, registration_create
from legami.demo import DEMO_EMAIL_DOMAIN, DemoStep
from legami.models import Ambito, Comune, User
from partners.models import Organisation

FACILITATOR = "facilitatore"
CITIZEN = "cittadino"
# Residents who sign up (without logins: guests who confirmed their address).
RESIDENTS = (
    ("Marta Bellini", "marta.bellini"),
    ("Giorgio Ferrari", "giorgio.ferrari"),
    ("Anna Zanoni", "anna.zanoni"),
    ("Pietro Lodi", "pietro.lodi"),
    ("Elena Vailati", "elena.vailati"),
    ("Franco Cirelli", "franco.cirelli"),
)


@dataclass(frozen=True)
class DemoLab:
    slug: str
    title: str
    context: str
    ambito: str
    comuni: tuple[str, ...]
    organisations: tuple[str, ...]
    description: str
    place: str
    address: str
    accessibility: str
    needs: tuple[tuple[str, str, str], ...]  # title, category, place
    intervention: tuple[str, str, str]  # title, owner slug, plan


LABS = (
    DemoLab(
        "quartiere-po-cremona",
        "Quartiere Po: vicini che si aiutano",
        LabContext.NEIGHBOURHOOD,
        "cremona",
        ("Cremona",),
        ("comune-di-cremona", "azienda-sociale-cremonese", "cisvol-cremona"),
        "Residenti, parrocchia, bocciofila e servizi del quartiere Po si incontrano per "
        "capire chi resta solo e costruire insieme una rete di vicinato.",
        "Sala civica del quartiere Po",
        "Via del Sale 60, Cremona",
        "Sala al piano terra senza gradini; bagno accessibile; parcheggio in via del Sale.",
        (
            ("Anziani soli nei condomini di via Flaminia", NeedCategory.LONELINESS, "Via Flaminia"),
            ("Nessun passaggio per le visite in ospedale", NeedCategory.MOBILITY, "Quartiere Po"),
            ("Il cortile della scuola è chiuso d'estate", NeedCategory.YOUTH, "Scuola Stradivari"),
        ),
        (
            "Portierato sociale di quartiere",
            "azienda-sociale-cremonese",
            "Un punto di ascolto due mattine a settimana nella sala civica, con volontari "
            "che conoscono i condomini e segnalano chi è solo.",
        ),
    ),
    DemoLab(
        "crema-tempo-per-chi-cura",
        "Crema: tempo per chi cura",
        LabContext.TOWN,
        "crema",
        ("Crema",),
        ("comune-di-crema", "comunita-sociale-cremasca", "consorzio-arcobaleno"),
        "Caregiver familiari, cooperative e associazioni di Crema cercano insieme modi per "
        "dare respiro a chi assiste un familiare a casa.",
        "Biblioteca civica Clara Gallini",
        "Via Civerchi 9, Crema",
        "Ingresso con rampa; sala con anello magnetico per chi usa l'apparecchio acustico.",
        (
            ("Nessuno a cui lasciare la mamma per un'ora", NeedCategory.CARE, "Crema"),
            ("Pratiche per l'invalidità incomprensibili", NeedCategory.OTHER, "Crema"),
        ),
        (
            "Ore di sollievo a rotazione",
            "consorzio-arcobaleno",
            "Un gruppo di volontari formati dalla cooperativa offre due ore a settimana di "
            "compagnia, così il caregiver può uscire.",
        ),
    ),
    DemoLab(
        "casalasco-al-lavoro",
        "Casalasco al lavoro",
        LabContext.WORKPLACE,
        "casalmaggiore",
        ("Casalmaggiore",),
        (
            "comune-di-casalmaggiore",
            "consorzio-casalasco-servizi-sociali",
            "consorzio-solco-cremona",
        ),
        "Imprese, sindacati e servizi del Casalasco leggono insieme le fragilità di chi "
        "lavora: turni, figli piccoli, genitori anziani.",
        "Sala consiliare",
        "Piazza Garibaldi 26, Casalmaggiore",
        "Ascensore dal cortile interno; posti auto riservati in piazza.",
        (
            ("Turni e orari del nido non combaciano", NeedCategory.YOUTH, "Casalmaggiore"),
            ("Colleghi stranieri isolati dopo il lavoro", NeedCategory.LONELINESS, ""),
        ),
        (
            "Nido aziendale condiviso",
            "consorzio-casalasco-servizi-sociali",
            "Tre imprese della zona industriale condividono dieci posti in un nido con "
            "orario esteso, gestito da una cooperativa del consorzio.",
        ),
    ),
)


def _at(days: int, hour: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _sign_up(meeting: Meeting, user: Any = None, name: str = "", email: str = "") -> Any:
    registration = registration_create(meeting=meeting, user=user, name=name, email=email)
    if user is None:
        from labs.services import registration_confirm

        registration = registration_confirm(registration=registration)
    return registration


def _lab_ensure(demo: DemoLab, facilitator: User, citizen: User | None) -> bool:
    if Lab.objects.filter(slug=demo.slug).exists():
        return False
    organisations = list(Organisation.objects.filter(slug__in=demo.organisations))
    lab = meeting_services.lab_create(
        actor=facilitator,
        title=demo.title,
        slug=demo.slug,
        context=demo.context,
        ambito=Ambito.objects.get(code=demo.ambito),
        comuni=list(Comune.objects.filter(name__in=demo.comuni)),
        facilitators=[facilitator],
        organisations=organisations,
        description=demo.description,
        status=LabStatus.ACTIVE,
    )
    comune = Comune.objects.filter(name=demo.comuni[0]).first()
    place: dict[str, Any] = {
        "place": demo.place,
        "address": demo.address,
        "comune": comune,
        "accessibility": demo.accessibility,
    }
    # The first meeting, held three weeks ago (see the module's note).
    past = meeting_services.meeting_create(
        lab=lab,
        actor=facilitator,
        title="Primo incontro: che cosa vediamo intorno a noi?",
        starts_at=_at(7, 18),
        ends_at=_at(7, 20),
        capacity=30,
        agenda="Presentazioni; la mappa dei luoghi e delle persone della zona; i bisogni.",
        **place,
    )
    registrations = [
        _sign_up(past, name=name, email=f"{local}@example.org") for name, local in RESIDENTS
    ]
    Meeting.objects.filter(pk=past.pk).update(starts_at=_at(-21, 18), ends_at=_at(-21, 20))
    past.refresh_from_db()
    for index, registration in enumerate(registrations):
        meeting_services.attendance_mark(
            registration=registration, attended=index != 2, actor=facilitator
        )
    meeting_services.meeting_close(
        meeting=past,
        actor=facilitator,
        summary=(
            "Diciotto persone e tre organizzazioni. Abbiamo disegnato la mappa della zona "
            "ed elencato ciò che preoccupa di più; i bisogni sono in bacheca."
        ),
        organisations_present=organisations[:2],
        needs_raised=[(title, category) for title, category, _place in demo.needs[:2]],
    )
    # Two meetings ahead: one with seats, one small and full with a waiting list.
    meeting_services.meeting_create(
        lab=lab,
        actor=facilitator,
        title="Secondo incontro: dai bisogni alle idee",
        starts_at=_at(10, 18),
        ends_at=_at(10, 20),
        capacity=25,
        reserved_seats=3,
        agenda="I bisogni più sostenuti; gruppi di lavoro; prime idee.",
        **place,
    )
    small = meeting_services.meeting_create(
        lab=lab,
        actor=facilitator,
        title="Passeggiata nella zona con i facilitatori",
        starts_at=_at(17, 10),
        ends_at=_at(17, 12),
        capacity=4,
        agenda="Una camminata per vedere i luoghi citati nei bisogni. Scarpe comode.",
        **place,
    )
    for name, local in RESIDENTS[:5]:
        _sign_up(small, name=name, email=f"{local}@example.org")
    if citizen is not None:
        _sign_up(small, user=citizen)
    # One cancellation: the first on the waiting list takes the seat.
    first = small.registrations.filter(status="confirmed").order_by("id").first()
    if first is not None:
        registration_cancel(registration=first)
    # The board: the needs raised at the meeting, one more, and supporters.
    title, category, where = demo.needs[-1]
    need_services.need_post(
        lab=lab,
        actor=citizen or facilitator,
        title=title,
        description="",
        category=category,
        place=where,
        comune=comune,
    )
    needs = list(lab.needs.all())
    for need in needs:
        for voter in (citizen, facilitator):
            if voter is not None:
                need_services.need_vote(need=need, actor=voter)
    first_need = needs[0]
    need_services.need_set_status(need=first_need, to="discussed", actor=facilitator)
    intervention_title, owner, plan = demo.intervention
    need_services.intervention_create(
        lab=lab,
        actor=facilitator,
        title=intervention_title,
        owner=Organisation.objects.get(slug=owner),
        plan=plan,
        start_date=timezone.localdate() + dt.timedelta(days=30),
        needs=[first_need],
    )
    return True


def seed(*, password: str) -> DemoStep:
    """One lab per ambito with meetings past and ahead, sign-ups and a waiting list,
    needs and an intervention. Safe to run again."""
    step = DemoStep(app="labs")
    facilitator = User.objects.get(email=f"{FACILITATOR}@{DEMO_EMAIL_DOMAIN}")
    citizen = User.objects.filter(email=f"{CITIZEN}@{DEMO_EMAIL_DOMAIN}").first()
    with transaction.atomic():
        created = sum(_lab_ensure(demo, facilitator, citizen) for demo in LABS)
    step.summary.append(
        gettext("community labs: %(created)d created, %(unchanged)d unchanged")
        % {"created": created, "unchanged": len(LABS) - created}
    )
    return step
