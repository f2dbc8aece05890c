"""The Wel(l)fare LAB's demo step (see ``legami/demo.py``): one action-research pathway,
"Nuove vulnerabilità e culture professionali", led by the demo researcher with the
social services of the three ambiti taking part, and one anonymous survey in it, open,
with two sections and eight questions of every kind (single and multiple choice, a 1–5
scale, a number, a short and a long text), one of them shown only for some answers to
an earlier one. The network's practitioners are invited: the operators and the
coordinator of the ambiti's social services, and the partner staff of the cooperatives
(the logins the earlier steps made; this step makes none). All of them but the demo
operator answer; her invitation stays open, so its mail (sent after commit by the
task, like every invitation's) carries a link to answer with. A full seeding invites
seven and gets six responses: enough for the totals, while any breakdown by role or
organisation falls under five and the results page shows its small-cell suppression
("<5") — which the demo shows on purpose.

The pathway has three phases (exploration, fieldwork, restitution), practitioners taking
part, and its workshops through labs' machinery: a training session held two weeks ago
(sign-ups, attendance, minutes, a handout in the library) and a workshop ahead with seats
taken. The findings library holds the pathway's programme (a document), a field note,
a report and the training's handout, tagged by theme.

Everything goes through the services. Answering needs an invitation link's token, which
``invitation_mail_send`` makes and puts only into the mail (its hash is stored): the
step sends the mails of the invitations it answers itself, at once, into a mailbox of
its own (Django's in-memory backend, for that call only) and reads the token from the
link — nothing is written that the service would not write, and the task each
invitation sends on commit finds its mail sent and sends nothing again. The pathway
and the survey are found again by their titles; somebody invited is not invited twice,
and an invitation answered or already e-mailed is left alone: seeding twice adds
nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from labs.models import Meeting
from labs.services import registration_create
from labs.services.meetings import attendance_mark, meeting_close
from legami.demo import DEMO_EMAIL_DOMAIN, DemoStep
from legami.models import Ambito, User
from legami.roles import Role
from partners.models import Organisation
from research.mails import answer_link
from research.models import (
    Finding,
    FindingKind,
    Invitation,
    InvitationMailKind,
    Pathway,
    Question,
    QuestionKind,
    Section,
    Survey,
    SurveyStatus,
    WorkshopKind,
)
from research.services import (
    finding_create,
    invitation_mail_send,
    invitations_send,
    option_add,
    pathway_create,
    phase_add,
    question_add,
    response_submit,
    section_add,
    section_change,
    survey_create,
    survey_open,
    themes_from_text,
    workshop_create,
)
from research.services.tokens import new_token

RESEARCHER = "ricercatore"
# The one practitioner who does not answer: her link is in the mail the task sends.
UNANSWERED = "operatore"
# The social services of the three ambiti, which take part in the pathway.
SOCIAL_SERVICES = (
    "azienda-sociale-cremonese",
    "comunita-sociale-cremasca",
    "consorzio-casalasco-servizi-sociali",
)
PATHWAY_TITLE = "Nuove vulnerabilità e culture professionali"
PATHWAY_THEME = "Come cambiano i bisogni delle persone e il lavoro di chi le accompagna"
SURVEY_TITLE = "Nuove vulnerabilità: lo sguardo di chi lavora nei servizi"
PATHWAY_DESCRIPTION = (
    "Un percorso di ricerca-azione con i servizi sociali dei tre ambiti: quali fragilità "
    "nuove arrivano ai servizi (solitudine, lavoro povero, giovani fuori da tutto) e come "
    "cambia il modo di lavorare di chi le accoglie."
)
# Phases: title, start and end (days from today), description.
PHASES = (
    ("Esplorazione", -60, -15, "Interviste ai servizi e lettura dei dati delle prese in carico."),
    ("Lavoro sul campo", -14, 120, "Questionario, formazione e laboratori tra servizi."),
    ("Restituzione", 121, 240, "Rapporto finale e incontri pubblici nei tre ambiti."),
)
HANDOUT = (
    "La scala LSNS-6 misura la rete sociale con sei domande su familiari e amici: quante "
    "persone si vedono o si sentono almeno una volta al mese, a quante si può parlare di "
    "cose personali, a quante si può chiedere aiuto. Un punteggio sotto 12 indica rischio "
    "di isolamento. Nei colloqui conviene porla dopo avere conosciuto la persona."
)
# The library: kind, title, summary, text, themes.
LIBRARY = (
    (
        FindingKind.DOCUMENT,
        "Programma del percorso",
        "Obiettivi, fasi, servizi coinvolti e metodo della ricerca-azione.",
        "Il percorso coinvolge i servizi sociali degli ambiti di Cremona, Crema e "
        "Casalmaggiore. Obiettivo: riconoscere le nuove vulnerabilità delle famiglie e "
        "ripensare insieme le pratiche professionali.",
        "metodo, culture professionali",
    ),
    (
        FindingKind.NOTE,
        "Nota di campo: lo sportello del lunedì",
        "Chi arriva allo sportello sociale e che cosa chiede, in quattro settimane.",
        "Molte richieste arrivano da famiglie con lavoro ma reddito insufficiente; cresce "
        "il numero di anziani soli che chiedono compagnia più che servizi.",
        "lavoro povero, solitudine",
    ),
    (
        FindingKind.REPORT,
        "Rapporto intermedio: le vulnerabilità viste dai servizi",
        "Prime evidenze dalle interviste e dal questionario agli operatori.",
        "Gli operatori descrivono vulnerabilità meno visibili: giovani che non studiano "
        "né lavorano, famiglie monoreddito, persone sole dopo un lutto. Emergono la "
        "necessità di lavorare in rete e di tempi per il lavoro di comunità.",
        "giovani, solitudine, culture professionali",
    ),
)
SURVEY_DESCRIPTION = (
    "Un questionario breve (circa dieci minuti) per chi lavora nei servizi sociali e nelle "
    "cooperative della rete: quali fragilità incontrate, quanto vi sentite preparati, come "
    "collaborate. Le risposte alimentano il primo laboratorio del percorso."
)
OPEN_DAYS = 30


@dataclass(frozen=True)
class DemoQuestion:
    section: int  # 0 or 1
    code: str
    text: str
    kind: str
    required: bool = True
    help: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (code, label)
    show_if: tuple[str, tuple[str, ...]] | None = None  # (earlier code, values)


SECTIONS = ("Il tuo lavoro", "Le nuove vulnerabilità")
QUESTIONS: tuple[DemoQuestion, ...] = (
    DemoQuestion(
        0,
        "area",
        "In quale area lavori prevalentemente?",
        QuestionKind.SINGLE,
        options=(
            ("minori-famiglie", "Minori e famiglie"),
            ("anziani", "Anziani"),
            ("disabilita", "Disabilità"),
            ("adulti-fragili", "Adulti in difficoltà"),
        ),
    ),
    DemoQuestion(
        0,
        "anni_servizio",
        "Da quanti anni lavori nei servizi sociali o nel terzo settore?",
        QuestionKind.NUMBER,
        help="Un numero intero: gli anni compiuti.",
    ),
    DemoQuestion(
        0,
        "preparazione",
        "Quanto ti senti preparato/a ad affrontare le nuove forme di vulnerabilità?",
        QuestionKind.LIKERT,
        help="1 = per niente, 5 = del tutto.",
    ),
    DemoQuestion(
        0,
        "formazione",
        "Quale formazione ti servirebbe di più?",
        QuestionKind.SHORT_TEXT,
        required=False,
    ),
    DemoQuestion(
        1,
        "vulnerabilita",
        "Quali nuove vulnerabilità incontri più spesso nel tuo lavoro?",
        QuestionKind.MULTIPLE,
        help="Puoi sceglierne più d'una.",
        options=(
            ("solitudine", "Solitudine delle persone anziane"),
            ("lavoro-povero", "Lavoratori poveri"),
            ("caregiver", "Caregiver familiari sovraccarichi"),
            ("giovani", "Giovani che non studiano né lavorano"),
            ("casa", "Disagio abitativo"),
        ),
    ),
    DemoQuestion(
        1,
        "collaborazione",
        "Nell'ultimo anno hai seguito un caso insieme a un ente del terzo settore?",
        QuestionKind.SINGLE,
        options=(("si", "Sì"), ("no", "No")),
    ),
    DemoQuestion(
        1,
        "collaborazione_racconto",
        "Racconta in breve com'è andata la collaborazione.",
        QuestionKind.LONG_TEXT,
        required=False,
        show_if=("collaborazione", ("si",)),
    ),
    DemoQuestion(
        1,
        "proposte",
        "Che cosa cambieresti nel modo di lavorare del tuo servizio?",
        QuestionKind.LONG_TEXT,
        required=False,
    ),
)
# The answers, one set per respondent in turn (by invitation).
ANSWERS: tuple[dict[str, Any], ...] = (
    {
        "area": "anziani",
        "anni_servizio": "12",
        "preparazione": 3,
        "formazione": "Lavoro di comunità",
        "vulnerabilita": ["solitudine", "caregiver"],
        "collaborazione": "si",
        "collaborazione_racconto": (
            "Con la cooperativa abbiamo organizzato visite a domicilio per un anziano solo: "
            "ci siamo divisi i compiti e ci sentivamo ogni settimana."
        ),
        "proposte": "Più tempo per stare sul territorio e meno pratiche.",
    },
    {
        "area": "minori-famiglie",
        "anni_servizio": "6",
        "preparazione": 2,
        "formazione": "Povertà educativa",
        "vulnerabilita": ["lavoro-povero", "giovani", "casa"],
        "collaborazione": "no",
        "proposte": "Un tavolo stabile con le scuole e le associazioni sportive.",
    },
    {
        "area": "adulti-fragili",
        "anni_servizio": "20",
        "preparazione": 4,
        "vulnerabilita": ["lavoro-povero", "casa"],
        "collaborazione": "si",
        "collaborazione_racconto": "Un percorso di inserimento lavorativo con un tirocinio.",
    },
    {
        "area": "disabilita",
        "anni_servizio": "3",
        "preparazione": 2,
        "formazione": "Progettazione personalizzata",
        "vulnerabilita": ["caregiver"],
        "collaborazione": "si",
    },
    {
        "area": "anziani",
        "anni_servizio": "9",
        "preparazione": 3,
        "vulnerabilita": ["solitudine", "casa"],
        "collaborazione": "no",
        "proposte": "Strumenti comuni tra comuni dello stesso ambito.",
    },
    {
        "area": "minori-famiglie",
        "anni_servizio": "15",
        "preparazione": 5,
        "formazione": "Supervisione di gruppo",
        "vulnerabilita": ["giovani", "solitudine"],
        "collaborazione": "si",
        "collaborazione_racconto": "Doposcuola condiviso con l'oratorio e due cooperative.",
    },
)


def _user(local_part: str) -> User:
    return User.objects.get(email=f"{local_part}@{DEMO_EMAIL_DOMAIN}")


def _pathway_ensure(researcher: User) -> tuple[Pathway, bool]:
    pathway = Pathway.objects.filter(title=PATHWAY_TITLE).first()
    if pathway is not None:
        return pathway, False
    services = Organisation.objects.filter(slug__in=SOCIAL_SERVICES)
    if services.count() != len(SOCIAL_SERVICES):
        raise LookupError("The ambiti's social services are missing (the partners step).")
    today = timezone.localdate()
    pathway = pathway_create(
        by=researcher,
        title=PATHWAY_TITLE,
        theme=PATHWAY_THEME,
        description=PATHWAY_DESCRIPTION,
        ambito=Ambito.objects.get(code="cremona"),
        organisations=services,
        practitioners=_practitioners(),
        starts_on=today - dt.timedelta(days=60),
        ends_on=today + dt.timedelta(days=240),
    )
    for title, start, end, description in PHASES:
        phase_add(
            pathway=pathway,
            by=researcher,
            title=title,
            starts_on=today + dt.timedelta(days=start),
            ends_on=today + dt.timedelta(days=end),
            description=description,
        )
    return pathway, True


def _practitioners() -> list[User]:
    """The ambiti's operators and coordinators who take part (the earlier steps' logins)."""
    return list(
        User.objects.filter(
            memberships__organisation__slug__in=SOCIAL_SERVICES,
            memberships__role__in=[Role.OPERATOR, Role.COORDINATOR],
        ).distinct()
    )


def _at(days: int, hour: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _workshops_ensure(pathway: Pathway, researcher: User) -> int:
    """A training session held two weeks ago (attendance, minutes, its handout) and a
    workshop ahead, with the pathway's practitioners signed up; returns how many were
    made (none when the pathway has workshops already)."""
    if pathway.workshops.exists():
        return 0
    place = {
        "place": "Sala conferenze di Azienda Sociale Cremonese",
        "address": "Via Belgiardino 2",
        "accessibility": "Accesso senza gradini, ascensore, anello a induzione.",
    }
    people = _practitioners()
    training = workshop_create(
        pathway=pathway,
        by=researcher,
        kind=WorkshopKind.TRAINING,
        title="Formazione: leggere la solitudine con la scala LSNS-6",
        starts_at=_at(7, 9),
        ends_at=_at(7, 13),
        capacity=25,
        agenda="La rete sociale e la solitudine; la scala LSNS-6 passo per passo; casi.",
        **place,
    )
    registrations = [
        registration_create(meeting=training.meeting, user=person) for person in people
    ]
    # Held two weeks ago (a new meeting must start in the future: see labs' demo step).
    Meeting.objects.filter(pk=training.meeting.pk).update(
        starts_at=_at(-14, 9), ends_at=_at(-14, 13)
    )
    training.meeting.refresh_from_db()
    for index, registration in enumerate(registrations):
        attendance_mark(registration=registration, attended=index != 1, actor=researcher)
    meeting_close(
        meeting=training.meeting,
        actor=researcher,
        summary="Mattinata di formazione: la scala LSNS-6 provata su tre casi anonimi.",
    )
    finding_create(
        by=researcher,
        kind=FindingKind.MATERIAL,
        title="Dispensa: la scala LSNS-6 nei colloqui",
        summary="Le sei domande, come porle, come leggere il punteggio (sotto 12: rischio).",
        body=HANDOUT,
        themes=themes_from_text("solitudine, strumenti di valutazione"),
        workshop=training,
    )
    workshop = workshop_create(
        pathway=pathway,
        by=researcher,
        kind=WorkshopKind.WORKSHOP,
        title="Laboratorio: che cosa ci dicono le risposte al questionario",
        starts_at=_at(21, 14),
        ends_at=_at(21, 17),
        capacity=20,
        agenda="I primi risultati del questionario; gruppi misti tra servizi; proposte.",
        **place,
    )
    for person in people[:3]:
        registration_create(meeting=workshop.meeting, user=person)
    return 2


def _library_ensure(pathway: Pathway, researcher: User) -> int:
    """The pathway's programme, a field note and a report (none when already there)."""
    if Finding.objects.filter(pathway=pathway, kind=FindingKind.DOCUMENT).exists():
        return 0
    for kind, title, summary, body, themes in LIBRARY:
        finding_create(
            by=researcher,
            kind=kind,
            title=title,
            summary=summary,
            body=body,
            themes=themes_from_text(themes),
            pathway=pathway,
        )
    return len(LIBRARY)


def _survey_build(survey: Survey, researcher: User) -> None:
    """The sections and questions of a new draft survey (it has its first section)."""
    first = Section.objects.filter(survey=survey).order_by("order")[0]  # survey_create's
    sections = [section_change(section=first, by=researcher, title=SECTIONS[0])]
    sections += [section_add(survey=survey, by=researcher, title=t) for t in SECTIONS[1:]]
    made: dict[str, Question] = {}
    for demo in QUESTIONS:
        depends = made[demo.show_if[0]] if demo.show_if else None
        question = question_add(
            section=sections[demo.section],
            by=researcher,
            code=demo.code,
            text=demo.text,
            kind=demo.kind,
            required=demo.required,
            help=demo.help,
            show_if_question=depends,
            show_if_values=demo.show_if[1] if demo.show_if else (),
        )
        for code, label in demo.options:
            option_add(question=question, by=researcher, code=code, label=label)
        made[demo.code] = question


def _survey_ensure(pathway: Pathway, researcher: User) -> tuple[Survey, bool]:
    """The survey, found by its title, created and built if missing, opened if still a
    draft; returns it and whether it was created."""
    survey = Survey.objects.filter(title=SURVEY_TITLE).first()
    created = survey is None
    if survey is None:
        survey = survey_create(
            by=researcher,
            title=SURVEY_TITLE,
            description=SURVEY_DESCRIPTION,
            anonymous=True,
            pathway=pathway,
        )
        _survey_build(survey, researcher)
    if survey.status == SurveyStatus.DRAFT:
        closes = dt.datetime.combine(
            timezone.localdate() + dt.timedelta(days=OPEN_DAYS), dt.time(18, 0)
        )
        survey = survey_open(survey=survey, by=researcher, closes_at=timezone.make_aware(closes))
    return survey, created


def _invite(survey: Survey, researcher: User) -> int:
    """Invite the ambiti's operators and coordinators and the cooperatives' partner
    staff (nobody twice); returns how many were invited now."""
    if not survey.accepts_answers():
        return 0
    services = list(Organisation.objects.filter(slug__in=SOCIAL_SERVICES))
    invited = invitations_send(
        survey=survey,
        by=researcher,
        organisations=services,
        roles=[Role.OPERATOR, Role.COORDINATOR],
    )
    invited += invitations_send(survey=survey, by=researcher, roles=[Role.PARTNER_STAFF])
    return len(invited)


class _Keep(BaseEmailBackend):
    """A mail backend that keeps what it is given: the demo reads the link of the
    invitations it answers itself, and nothing is delivered."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[EmailMessage] = []

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.sent.extend(email_messages)
        return len(email_messages)


def _token_pattern() -> re.Pattern[str]:
    """A link's token in the body of an invitation mail."""
    marker = new_token()  # shaped like a real one, whatever the URL accepts
    before, after = answer_link(marker).split(marker)
    return re.compile(re.escape(before) + r"([A-Za-z0-9_-]+)" + re.escape(after))


def _answer(survey: Survey) -> int:
    """Answer, in turn, the invitations not yet answered nor e-mailed (all but the demo
    operator's): send the invitation's mail into the step's own mailbox, take the token
    from its link and submit the answers with it. Returns how many were answered."""
    pattern = _token_pattern()
    pending = (
        Invitation.objects.filter(survey=survey, answered=False, mails__isnull=True)
        .exclude(email=f"{UNANSWERED}@{DEMO_EMAIL_DOMAIN}")
        .order_by("pk")
    )
    already = Invitation.objects.filter(survey=survey, answered=True).count()
    answered = 0
    for invitation in pending:
        keep = _Keep()
        sent = invitation_mail_send(
            invitation_id=invitation.pk,
            kind=InvitationMailKind.INVITATION.value,
            connection=keep,
        )
        found = pattern.search(str(keep.sent[0].body)) if sent and keep.sent else None
        if found is None:
            continue
        answers = ANSWERS[(already + answered) % len(ANSWERS)]
        response_submit(token=found.group(1), answers=answers)
        answered += 1
    return answered


def seed(*, password: str) -> DemoStep:
    """The pathway, its open survey, the practitioners' invitations and most of their
    answers. Safe to run again."""
    step = DemoStep(app="research")
    researcher = _user(RESEARCHER)
    with transaction.atomic():
        pathway, pathway_created = _pathway_ensure(researcher)
        survey, survey_created = _survey_ensure(pathway, researcher)
        step.summary.append(
            gettext("pathways: %(created)d created, %(unchanged)d unchanged")
            % {"created": int(pathway_created), "unchanged": int(not pathway_created)}
        )
        step.summary.append(
            gettext("surveys: %(created)d created, %(unchanged)d unchanged")
            % {"created": int(survey_created), "unchanged": int(not survey_created)}
        )
        workshops = _workshops_ensure(pathway, researcher)
        items = _library_ensure(pathway, researcher)
        step.summary.append(
            gettext("workshops: %(workshops)d created; library items: %(items)d created")
            % {"workshops": workshops, "items": items}
        )
        invited = _invite(survey, researcher)
        answered = _answer(survey)
        step.summary.append(
            gettext("survey invitations: %(invited)d sent, %(answered)d answered now")
            % {"invited": invited, "answered": answered}
        )
    return step
