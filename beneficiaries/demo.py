"""The beneficiaries app's demo step (see ``legami/demo.py``): ten clearly fictitious
people followed by the services of the three ambiti, with their ties, ecomap snapshots
over time, isolation assessments every three months (some improving, some worsening),
diary notes and consents.

Names come from a made-up pool; codici fiscali are computed (valid) from those names and
dates, so they look real but belong to nobody on file. Every date is fixed, so that
seeding again leaves the same database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from codicefiscale import codicefiscale
from django.db import transaction
from django.utils.translation import gettext

from beneficiaries.models import (
    Assessment,
    AssessmentKind,
    Case,
    CaseAssignment,
    CaseStage,
    Consent,
    ConsentKind,
    DiaryCategory,
    DiaryNote,
    EcomapSnapshot,
    Person,
    PersonArea,
    Tie,
    TieDirection,
    TieFrequency,
    TieKind,
    TieQuality,
    TieStrength,
    VulnerabilityArea,
)
from beneficiaries.scoring import score_lsns6, score_ucla3
from legami.demo import DEMO_EMAIL_DOMAIN, DemoLogin, DemoStep, demo_user_ensure
from legami.models import Ambito, Comune, User
from legami.roles import Role
from partners.demo import DEMO_MEMBERSHIP_START
from partners.models import Membership, Organisation

# The service of each ambito, and its demo social worker (the Cremona one exists already).
SERVICES = {
    "cremona": ("azienda-sociale-cremonese", "operatore"),
    "crema": ("comunita-sociale-cremasca", "operatore.crema"),
    "casalmaggiore": ("consorzio-casalasco-servizi-sociali", "operatore.casalasco"),
}
EXTRA_WORKERS = {
    "operatore.crema": ("Silvia", "Donzelli", "comunita-sociale-cremasca"),
    "operatore.casalasco": ("Matteo", "Porcari", "consorzio-casalasco-servizi-sociali"),
}
ASSESSMENT_DATES = tuple(dt.date(y, m, 1) for y, m in ((2025, 9), (2025, 12), (2026, 3), (2026, 6)))
SNAPSHOT_DATES = (dt.date(2025, 9, 15), dt.date(2026, 2, 15), dt.date(2026, 6, 15))

DIARY = (
    "Primo colloquio: raccolta della storia e dei bisogni.",
    "Visita a domicilio, casa in ordine; disponibilità a partecipare alle attività del quartiere.",
    "Telefonata di verifica: riferisce che la solitudine pesa di più nei fine settimana.",
)

T = TieKind
S = TieStrength
Q = TieQuality


@dataclass(frozen=True)
class DemoCaseFile:
    first_name: str
    last_name: str
    sex: str
    birth_date: dt.date
    birth_comune: str
    residence_comune: str
    ambito: str
    area: str
    opened_on: dt.date
    stage: str
    trend: int  # +1 improving, -1 worsening, 0 steady
    ties: tuple[tuple[str, str, str, str], ...]  # label, kind, strength, quality


# fmt: off
PEOPLE: tuple[DemoCaseFile, ...] = (
    DemoCaseFile(
        "Adelmina", "Pradelloni", "F", dt.date(1938, 3, 14), "Cremona", "Cremona", "cremona",
        VulnerabilityArea.ELDERLY, dt.date(2025, 6, 3), CaseStage.PACT, +1,
        (("Nadia, figlia", T.FAMILY, S.STRONG, Q.SUPPORTIVE),
         ("Vicina del secondo piano", T.NEIGHBOUR, S.WEAK, Q.SUPPORTIVE),
         ("Centro anziani di quartiere", T.COMMUNITY_GROUP, S.ORDINARY, Q.SUPPORTIVE),
         ("Medico di base", T.SERVICE, S.ORDINARY, Q.SUPPORTIVE),
         ("Volontaria Auser", T.VOLUNTEER, S.ORDINARY, Q.SUPPORTIVE)),
    ),
    DemoCaseFile(
        "Ermanno", "Caprioletti", "M", dt.date(1946, 11, 2), "Sospiro", "Cremona", "cremona",
        VulnerabilityArea.ELDERLY, dt.date(2025, 7, 21), CaseStage.MONITORING, -1,
        (("Figlio a Milano", T.FAMILY, S.WEAK, Q.AMBIVALENT),
         ("Compagni di bocce", T.FRIEND, S.ORDINARY, Q.SUPPORTIVE),
         ("Parroco", T.COMMUNITY_GROUP, S.WEAK, Q.SUPPORTIVE),
         ("Assistente domiciliare", T.SERVICE, S.ORDINARY, Q.SUPPORTIVE)),
    ),
    DemoCaseFile(
        "Loredana", "Bertazzolini", "F", dt.date(1979, 5, 28), "Cremona", "Cremona", "cremona",
        VulnerabilityArea.POVERTY, dt.date(2025, 8, 11), CaseStage.ASSESSMENT, +1,
        (("Sorella Marta", T.FAMILY, S.STRONG, Q.SUPPORTIVE),
         ("Ex marito", T.FAMILY, S.ORDINARY, Q.STRESSFUL),
         ("Emporio solidale", T.ORGANISATION, S.ORDINARY, Q.SUPPORTIVE),
         ("Colleghe del turno", T.COLLEAGUE, S.WEAK, Q.SUPPORTIVE),
         ("Centro per l'impiego", T.SERVICE, S.WEAK, Q.AMBIVALENT),
         ("Mamme della scuola", T.FRIEND, S.WEAK, Q.SUPPORTIVE)),
    ),
    DemoCaseFile(
        "Samir", "Oudghiri-Finzi", "M", dt.date(1990, 9, 9), "Vescovato", "Vescovato", "cremona",
        VulnerabilityArea.IMMIGRANTS, dt.date(2025, 9, 1), CaseStage.PACT, +1,
        (("Cugino Youssef", T.FAMILY, S.STRONG, Q.SUPPORTIVE),
         ("Corso di italiano", T.COMMUNITY_GROUP, S.ORDINARY, Q.SUPPORTIVE),
         ("Datore di lavoro", T.COLLEAGUE, S.ORDINARY, Q.AMBIVALENT),
         ("Squadra di calcio amatoriale", T.COMMUNITY_GROUP, S.WEAK, Q.SUPPORTIVE)),
    ),
    DemoCaseFile(
        "Gianpiera", "Vailatini", "F", dt.date(1942, 1, 19), "Crema", "Crema", "crema",
        VulnerabilityArea.ELDERLY, dt.date(2025, 6, 16), CaseStage.MONITORING, 0,
        (("Nipote Davide", T.FAMILY, S.ORDINARY, Q.SUPPORTIVE),
         ("Amica di una vita", T.FRIEND, S.STRONG, Q.SUPPORTIVE),
         ("Farmacista", T.SERVICE, S.WEAK, Q.SUPPORTIVE),
         ("Gruppo di cammino", T.COMMUNITY_GROUP, S.ORDINARY, Q.SUPPORTIVE),
         ("Vicino rumoroso", T.NEIGHBOUR, S.WEAK, Q.STRESSFUL)),
    ),
    DemoCaseFile(
        "Ottavio", "Marzollini", "M", dt.date(1968, 12, 5), "Castelleone", "Castelleone", "crema",
        VulnerabilityArea.ADDICTION, dt.date(2025, 7, 7), CaseStage.ASSESSMENT, -1,
        (("Fratello", T.FAMILY, S.WEAK, Q.STRESSFUL),
         ("SerD", T.SERVICE, S.ORDINARY, Q.SUPPORTIVE),
         ("Gruppo di auto-aiuto", T.COMMUNITY_GROUP, S.ORDINARY, Q.SUPPORTIVE),
         ("Amico del bar", T.FRIEND, S.ORDINARY, Q.AMBIVALENT)),
    ),
    DemoCaseFile(
        "Noemi", "Guerrinelli", "F", dt.date(2009, 4, 23), "Crema", "Offanengo", "crema",
        VulnerabilityArea.FAMILY_MINORS, dt.date(2025, 9, 22), CaseStage.PACT, +1,
        (("Madre", T.FAMILY, S.STRONG, Q.AMBIVALENT),
         ("Nonna materna", T.FAMILY, S.STRONG, Q.SUPPORTIVE),
         ("Professoressa di lettere", T.SERVICE, S.ORDINARY, Q.SUPPORTIVE),
         ("Oratorio", T.COMMUNITY_GROUP, S.ORDINARY, Q.SUPPORTIVE),
         ("Compagna di banco", T.FRIEND, S.STRONG, Q.SUPPORTIVE),
         ("Educatore domiciliare", T.SERVICE, S.ORDINARY, Q.SUPPORTIVE)),
    ),
    DemoCaseFile(
        "Aurelio", "Scaravonati", "M", dt.date(1951, 8, 30), "Casalmaggiore", "Casalmaggiore",
        "casalmaggiore", VulnerabilityArea.DISABILITY, dt.date(2025, 6, 9), CaseStage.PACT, +1,
        (("Moglie Rina", T.FAMILY, S.STRONG, Q.SUPPORTIVE),
         ("Associazione di volontariato", T.VOLUNTEER, S.ORDINARY, Q.SUPPORTIVE),
         ("Fisioterapista", T.SERVICE, S.ORDINARY, Q.SUPPORTIVE),
         ("Ex colleghi della cartiera", T.COLLEAGUE, S.WEAK, Q.SUPPORTIVE)),
    ),
    DemoCaseFile(
        "Marisa", "Fontanellini", "F", dt.date(1957, 2, 11), "Casalmaggiore", "Gussola",
        "casalmaggiore", VulnerabilityArea.POVERTY, dt.date(2025, 8, 25), CaseStage.MONITORING,
        -1,
        (("Figlia a Parma", T.FAMILY, S.ORDINARY, Q.SUPPORTIVE),
         ("Vicina di casa", T.NEIGHBOUR, S.ORDINARY, Q.SUPPORTIVE),
         ("Banco alimentare", T.ORGANISATION, S.WEAK, Q.SUPPORTIVE),
         ("Proprietario di casa", T.NEIGHBOUR, S.WEAK, Q.STRESSFUL)),
    ),
    DemoCaseFile(
        "Cesarino", "Bonfantelli", "M", dt.date(1944, 10, 17), "Casalmaggiore", "Casalmaggiore",
        "casalmaggiore", VulnerabilityArea.ELDERLY, dt.date(2025, 7, 14), CaseStage.ASSESSMENT,
        0,
        (("Nipote Giorgia", T.FAMILY, S.ORDINARY, Q.SUPPORTIVE),
         ("Circolo ARCI", T.COMMUNITY_GROUP, S.ORDINARY, Q.SUPPORTIVE),
         ("Badante", T.SERVICE, S.STRONG, Q.AMBIVALENT),
         ("Amico pescatore", T.FRIEND, S.WEAK, Q.SUPPORTIVE)),
    ),
)
# fmt: on


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _lsns_answers(index: int, step: int, trend: int) -> list[int]:
    base = 1 + index % 3
    return [_clamp(base + trend * step + (i % 2), 0, 5) for i in range(6)]


def _ucla_answers(index: int, step: int, trend: int) -> list[int]:
    base = 2 + index % 2
    return [_clamp(base - trend * (step // 2) - (i == 2), 1, 3) for i in range(3)]


def _workers(password: str, step: DemoStep) -> dict[str, User]:
    organisations = Organisation.objects.in_bulk(
        [slug for slug, _ in SERVICES.values()], field_name="slug"
    )
    workers: dict[str, User] = {}
    for local_part, (first, last, slug) in EXTRA_WORKERS.items():
        user, _changed = demo_user_ensure(
            email=f"{local_part}@{DEMO_EMAIL_DOMAIN}",
            first_name=first,
            last_name=last,
            password=password,
        )
        Membership.objects.get_or_create(
            user=user,
            organisation=organisations[slug],
            role=Role.OPERATOR,
            start_date=DEMO_MEMBERSHIP_START,
        )
        step.logins.append(
            DemoLogin(email=user.email, role=Role.OPERATOR, organisation=organisations[slug].name)
        )
    for _slug, local_part in SERVICES.values():
        workers[local_part] = User.objects.get(email=f"{local_part}@{DEMO_EMAIL_DOMAIN}")
    return workers


def _comune(name: str) -> Comune | None:
    return Comune.objects.filter(name__iexact=name, province="CR").first()


def _person_ensure(index: int, demo: DemoCaseFile, workers: dict[str, User]) -> bool:
    """One demo person and all of their file; returns whether the person was created."""
    birth_comune = _comune(demo.birth_comune) or _comune("Cremona")
    code = codicefiscale.encode(
        lastname=demo.last_name,
        firstname=demo.first_name,
        gender=demo.sex,  # type: ignore[arg-type]
        birthdate=demo.birth_date.isoformat(),
        birthplace=birth_comune.belfiore_code if birth_comune else "D150",
    )
    slug, worker_key = SERVICES[demo.ambito]
    worker = workers[worker_key]
    person, created = Person.objects.get_or_create(
        codice_fiscale=code,
        defaults={
            "first_name": demo.first_name,
            "last_name": demo.last_name,
            "sex": demo.sex,
            "birth_date": demo.birth_date,
            "birth_comune": birth_comune,
            "residence_comune": _comune(demo.residence_comune),
            "citizenship": "Marocco" if demo.area == VulnerabilityArea.IMMIGRANTS else "Italia",
            "created_by": worker,
        },
    )
    PersonArea.objects.get_or_create(person=person, area=demo.area)
    case, _ = Case.objects.get_or_create(
        person=person,
        organisation=Organisation.objects.get(slug=slug),
        ambito=Ambito.objects.get(code=demo.ambito),
        defaults={"opened_on": demo.opened_on, "stage": demo.stage},
    )
    CaseAssignment.objects.get_or_create(
        case=case, worker=worker, end=None, defaults={"start": demo.opened_on}
    )
    for label, kind, strength, quality in demo.ties:
        Tie.objects.get_or_create(
            person=person,
            label=label,
            defaults={
                "kind": kind,
                "strength": strength,
                "quality": quality,
                "direction": (
                    TieDirection.TO_PERSON if kind == TieKind.SERVICE else TieDirection.MUTUAL
                ),
                "frequency": TieFrequency.WEEKLY if strength != S.WEAK else TieFrequency.MONTHLY,
            },
        )
    for n, taken_on in enumerate(SNAPSHOT_DATES):
        # Over time an improving file gains ties and a worsening one loses them.
        visible = demo.ties if demo.trend >= 0 else demo.ties[: max(2, len(demo.ties) - n)]
        if demo.trend > 0:
            visible = demo.ties[: max(2, len(demo.ties) - (len(SNAPSHOT_DATES) - 1 - n))]
        EcomapSnapshot.objects.get_or_create(
            person=person,
            taken_on=taken_on,
            defaults={
                "ties": [
                    {"label": label, "kind": kind, "strength": strength, "quality": quality}
                    for label, kind, strength, quality in visible
                ],
                "taken_by": worker,
            },
        )
    for step_n, date in enumerate(ASSESSMENT_DATES):
        lsns = score_lsns6(_lsns_answers(index, step_n, demo.trend))
        Assessment.objects.get_or_create(
            person=person,
            kind=AssessmentKind.LSNS6,
            date=date,
            defaults={
                "answers": _lsns_answers(index, step_n, demo.trend),
                "total": lsns.total,
                "family_score": lsns.family,
                "friends_score": lsns.friends,
                "at_risk": lsns.at_risk,
                "assessor": worker,
            },
        )
        ucla = score_ucla3(_ucla_answers(index, step_n, demo.trend))
        Assessment.objects.get_or_create(
            person=person,
            kind=AssessmentKind.UCLA3,
            date=date,
            defaults={
                "answers": _ucla_answers(index, step_n, demo.trend),
                "total": ucla.total,
                "at_risk": ucla.at_risk,
                "assessor": worker,
            },
        )
    notes = (
        (0, DiaryCategory.INTERVIEW, DIARY[0], False),
        (20, DiaryCategory.HOME_VISIT, DIARY[1], False),
        (75, DiaryCategory.PHONE, DIARY[2], True),
    )
    for days, category, text, confidential in notes:
        DiaryNote.objects.get_or_create(
            case=case,
            date=demo.opened_on + dt.timedelta(days=days),
            category=category,
            defaults={"text": text, "confidential": confidential, "author": worker},
        )
    Consent.objects.get_or_create(
        person=person,
        kind=ConsentKind.PRIVACY_NOTICE,
        withdrawn_on=None,
        defaults={"given_on": demo.opened_on, "notice_version": "2025-01", "recorded_by": worker},
    )
    if index % 3 != 2:
        Consent.objects.get_or_create(
            person=person,
            kind=ConsentKind.SHARE_WITH_PARTNERS,
            withdrawn_on=None,
            defaults={"given_on": demo.opened_on, "recorded_by": worker},
        )
    return created


def seed(*, password: str) -> DemoStep:
    """The beneficiaries app's demo step: the social workers of Crema and Casalmaggiore,
    and ten fictitious case files across the three ambiti. Safe to run again."""
    step = DemoStep(app="beneficiaries")
    with transaction.atomic():
        workers = _workers(password, step)
        created = sum(_person_ensure(i, demo, workers) for i, demo in enumerate(PEOPLE))
    step.summary.append(
        gettext("case files: %(created)d created, %(unchanged)d unchanged")
        % {"created": created, "unchanged": len(PEOPLE) - created}
    )
    return step
