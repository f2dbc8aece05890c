"""The Wel(l)fare LAB's demo step: the pathway led by the demo researcher with the ambiti's
social services, its open anonymous survey (two sections, every kind of question, one
shown by skip logic), the practitioners invited by role and most of them answered through
their links — anonymously — and nothing added by a second seeding.

The prerequisite steps (the territory, the organisations and the demo logins) are run
directly rather than through ``seed_demo``, to keep the tests fast; without the
beneficiaries and Civic Center steps the practitioners are the partners app's operator,
coordinator and partner staff."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone, translation

from labs.models import LabContext, MeetingStatus, Registration
from legami import demo as legami_demo
from legami.demo import DEMO_EMAIL_DOMAIN, demo_steps
from legami.models import User
from legami.roles import Role
from partners import demo as partners_demo
from research import demo as research_demo
from research.models import (
    Answer,
    Finding,
    FindingKind,
    Invitation,
    InvitationMail,
    Option,
    Pathway,
    Phase,
    Question,
    QuestionKind,
    Response,
    ResponseAttribution,
    Section,
    Survey,
    SurveyStatus,
    Workshop,
    WorkshopKind,
)
from research.services import current_phase, invitation_mail_send

pytestmark = pytest.mark.django_db

PASSWORD = "demo-test-password"  # noqa: S105 - a test value
MODELS = (
    User,
    Pathway,
    Survey,
    Section,
    Question,
    Option,
    Invitation,
    InvitationMail,
    Response,
    Answer,
    ResponseAttribution,
    Phase,
    Workshop,
    Finding,
    Registration,
)


def seed() -> list[str]:
    """The legami, partners and research steps, in that order; the research summary."""
    with translation.override("en"):
        legami_demo.seed(password=PASSWORD)
        partners_demo.seed(password=PASSWORD)
        return research_demo.seed(password=PASSWORD).summary


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def survey_mails() -> list:
    """The mails with a link to answer the survey (the workshops' sign-ups send theirs)."""
    return [m for m in mail.outbox if "/research/questionari/rispondi/" in m.body]


def _user(local_part: str) -> User:
    return User.objects.get(email=f"{local_part}@{DEMO_EMAIL_DOMAIN}")


def test_seed_demo_runs_the_step_after_the_steps_it_relies_on():
    labels = [label for label, _seed in demo_steps()]
    assert dict(demo_steps())["research"] is research_demo.seed
    assert labels.index("partners") < labels.index("research")
    assert labels.index("beneficiaries") < labels.index("research")


def test_the_pathway_and_its_open_survey_with_every_kind_of_question():
    seed()
    researcher = _user("ricercatore")
    pathway = Pathway.objects.get(title=research_demo.PATHWAY_TITLE)
    assert pathway.lead == researcher and pathway.theme
    assert set(pathway.organisations.values_list("slug", flat=True)) == set(
        research_demo.SOCIAL_SERVICES
    )
    survey = Survey.objects.get()
    assert survey.pathway == pathway and survey.owner == researcher
    assert survey.anonymous and survey.status == SurveyStatus.OPEN and survey.accepts_answers()
    assert survey.closes_at is not None
    assert [s.title for s in survey.sections.order_by("order")] == list(research_demo.SECTIONS)
    questions = list(survey.questions.all())
    assert 6 <= len(questions) <= 8
    assert {q.kind for q in questions} == set(QuestionKind.values)
    conditional = [q for q in questions if q.show_if_question_id is not None]
    assert len(conditional) == 1
    assert conditional[0].show_if_values == ["si"]
    assert all(q.options.count() >= 2 for q in questions if q.kind in ("single", "multiple"))


def test_the_pathway_has_phases_practitioners_workshops_and_a_library():
    seed()
    pathway = Pathway.objects.get(title=research_demo.PATHWAY_TITLE)
    assert pathway.ambito.code == "cremona" and pathway.description
    assert {"operatore", "coordinatore"} <= {
        u.email.split("@")[0] for u in pathway.practitioners.all()
    }
    phases = list(Phase.objects.filter(pathway=pathway))
    assert [p.title for p in phases] == ["Esplorazione", "Lavoro sul campo", "Restituzione"]
    assert current_phase(phases, timezone.localdate()).title == "Lavoro sul campo"
    # The workshops are meetings of the pathway's practitioners' lab (labs' machinery).
    assert pathway.lab.context == LabContext.PRACTITIONERS
    training = Workshop.objects.get(pathway=pathway, kind=WorkshopKind.TRAINING)
    ahead = Workshop.objects.get(pathway=pathway, kind=WorkshopKind.WORKSHOP)
    assert training.meeting.lab == ahead.meeting.lab == pathway.lab
    assert training.meeting.starts_at < timezone.now() < ahead.meeting.starts_at
    assert training.meeting.status == MeetingStatus.CLOSED
    attended = Registration.objects.filter(meeting=training.meeting)
    assert attended.filter(attended=True).count() >= 1
    assert attended.filter(attended=False).count() == 1
    assert Registration.objects.filter(meeting=ahead.meeting, status="confirmed").count() >= 1
    # The library: the programme, a note, a report, and the training's handout.
    kinds = sorted(Finding.objects.filter(pathway=pathway).values_list("kind", flat=True))
    assert kinds == sorted(
        [FindingKind.DOCUMENT, FindingKind.NOTE, FindingKind.REPORT, FindingKind.MATERIAL]
    )
    handout = Finding.objects.get(kind=FindingKind.MATERIAL)
    assert handout.workshop == training
    assert "solitudine" in {t.name for t in handout.themes.all()}


def test_the_step_makes_no_logins():
    with translation.override("en"):
        legami_demo.seed(password=PASSWORD)
        partners_demo.seed(password=PASSWORD)
        users = User.objects.count()
        step = research_demo.seed(password=PASSWORD)
    assert User.objects.count() == users
    assert step.logins == []


def test_practitioners_are_invited_and_most_answer_anonymously():
    summary = seed()
    survey = Survey.objects.get()
    invitations = Invitation.objects.filter(survey=survey)
    invited = {i.email.split("@")[0]: i for i in invitations}
    assert set(invited) == {"operatore", "coordinatore", "partner"}
    assert invited["operatore"].role == Role.OPERATOR
    assert invited["coordinatore"].role == Role.COORDINATOR
    assert invited["partner"].role == Role.PARTNER_STAFF
    assert {i.invited_by for i in invitations} == {_user("ricercatore")}
    # All but the demo operator answered, each once, through the link of a mail sent.
    assert not invited["operatore"].answered and not invited["operatore"].mails.exists()
    for local_part in ("coordinatore", "partner"):
        assert invited[local_part].answered and invited[local_part].sent_at is not None
        assert invited[local_part].mails.count() == 1
    assert Response.objects.filter(survey=survey).count() == 2
    assert not ResponseAttribution.objects.exists()
    assert Answer.objects.filter(response__survey=survey).count() > 2 * 4
    # The skip-logic question is answered only where it is shown.
    racconto = Answer.objects.filter(question__code="collaborazione_racconto")
    assert all(
        Answer.objects.get(response=a.response, question__code="collaborazione").choices == ["si"]
        for a in racconto
    )
    # The captured mails stay out of the outbox; nothing went to the practitioners yet.
    assert mail.outbox == []
    assert summary == [
        "pathways: 1 created, 0 unchanged",
        "surveys: 1 created, 0 unchanged",
        "workshops: 2 created; library items: 3 created",
        "survey invitations: 3 sent, 2 answered now",
    ]


def test_seeding_twice_adds_nothing():
    seed()
    before = _counts()
    summary = seed()
    assert _counts() == before
    assert summary == [
        "pathways: 0 created, 1 unchanged",
        "surveys: 0 created, 1 unchanged",
        "workshops: 0 created; library items: 0 created",
        "survey invitations: 0 sent, 0 answered now",
    ]


@pytest.mark.usefixtures("eager_tasks")
def test_the_tasks_sent_on_commit_mail_only_the_unanswered_invitation(
    django_capture_on_commit_callbacks,
):
    """Each invitation's task runs after commit: the answered ones find their mail sent
    and send nothing; the demo operator gets her link."""
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    assert [m.to for m in survey_mails()] == [[f"operatore@{DEMO_EMAIL_DOMAIN}"]]
    after = _counts()
    for invitation in Invitation.objects.all():
        invitation_mail_send(invitation_id=invitation.pk, kind="invitation")
    assert _counts() == after
    assert len(survey_mails()) == 1
    # A second seeding leaves her invitation (mailed, not answered) alone.
    seed()
    assert _counts() == after
