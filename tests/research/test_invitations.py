"""Invitations by organisation and role, one per person and one mail each however often
they are sent; reminders only to those who have not answered, once per round; the
response rate per organisation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from legami.roles import Role
from research import tasks
from research.models import Invitation, InvitationMail, QuestionKind
from research.selectors import response_rate
from research.services import invitations_send, reminders_send, response_submit, survey_close
from tests.partners.factories import MembershipFactory
from tests.research.factories import (
    build_survey,
    last_token,
    organisation,
    practitioner,
    researcher,
    token_for,
)

pytestmark = pytest.mark.django_db

ONE_QUESTION = [{"code": "fiducia", "text": "Trust", "kind": QuestionKind.LIKERT}]


@pytest.fixture
def owner():
    return researcher()


@pytest.fixture
def survey(owner):
    return build_survey(owner, ONE_QUESTION)


@pytest.fixture
def network():
    """Two organisations: at the first two social workers and a coordinator, at the
    second a social worker, plus a former social worker and one who starts next month."""
    coop, comune = organisation(name="Cooperativa Alfa"), organisation(name="Comune Beta")
    today = timezone.localdate()
    people = {
        "ada": practitioner(coop),
        "bruno": practitioner(coop),
        "carla": practitioner(coop, Role.COORDINATOR),
        "dario": practitioner(comune),
        "ex": practitioner(comune, end_date=today - dt.timedelta(days=1)),
        "future": practitioner(comune, start_date=today + dt.timedelta(days=30)),
    }
    return coop, comune, people


def sent_to(*, since: int = 0) -> list[str]:
    return sorted(m.to[0] for m in mail.outbox[since:])


def test_practitioners_are_chosen_by_organisation_and_role(owner, survey, network):
    """Current memberships only; organisation and role together narrow the choice."""
    coop, comune, p = network

    invited = invitations_send(survey=survey, by=owner, organisations=[coop], roles=[Role.OPERATOR])
    assert {i.user for i in invited} == {p["ada"], p["bruno"]}
    assert {(i.organisation, i.role) for i in invited} == {(coop, Role.OPERATOR)}

    invited = invitations_send(survey=survey, by=owner, organisations=[comune])
    assert {i.user for i in invited} == {p["dario"]}

    invited = invitations_send(survey=survey, by=owner, roles=[Role.COORDINATOR])
    assert {i.user for i in invited} == {p["carla"]}


def test_sending_twice_invites_and_mails_each_person_once(
    owner, survey, network, eager_tasks, django_capture_on_commit_callbacks
):
    """The second run finds everybody invited: no new invitation, no new mail. Each
    person's mail carries a link of their own."""
    coop, comune, p = network
    with django_capture_on_commit_callbacks(execute=True):
        first = invitations_send(survey=survey, by=owner, organisations=[coop, comune])
    with django_capture_on_commit_callbacks(execute=True):
        second = invitations_send(
            survey=survey, by=owner, organisations=[coop, comune], users=[p["ada"]]
        )

    assert len(first) == 4 and second == []
    assert Invitation.objects.filter(survey=survey).count() == 4
    assert sent_to() == sorted(p[n].email for n in ("ada", "bruno", "carla", "dario"))
    tokens = {last_token(i) for i in first}
    assert len(tokens) == 4
    assert all(i.sent_at is not None for i in Invitation.objects.all())


def test_a_redelivered_task_sends_nothing(owner, survey, network):
    """The mail's key is recorded with its sending: the same task again is a no-op."""
    coop, _, _ = network
    [invitation, *_] = invitations_send(survey=survey, by=owner, organisations=[coop])

    assert tasks.send_invitation_mail.run(invitation.pk, "invitation", 0) is True
    assert tasks.send_invitation_mail.run(invitation.pk, "invitation", 0) is False
    assert tasks.send_invitation_mail.run(987654, "invitation", 0) is False
    assert len(mail.outbox) == 1
    assert InvitationMail.objects.filter(invitation=invitation).count() == 1


def test_the_link_is_stored_only_as_a_hash(owner, survey, network):
    coop, _, _ = network
    [invitation, *_] = invitations_send(survey=survey, by=owner, organisations=[coop])
    token = token_for(invitation)

    record = InvitationMail.objects.get(invitation=invitation)
    assert token not in record.token_hash and len(record.token_hash) == 64
    stored = [str(v) for v in Invitation.objects.filter(pk=invitation.pk).values().get().values()]
    assert token not in stored


def test_invitations_need_an_open_survey_and_somebody_chosen(owner, network):
    coop, _, _ = network
    draft = build_survey(owner, ONE_QUESTION, open_it=False)
    with pytest.raises(ValidationError) as caught:
        invitations_send(survey=draft, by=owner, organisations=[coop])
    assert caught.value.code == "not_open"

    survey = build_survey(owner, ONE_QUESTION)
    with pytest.raises(ValidationError) as caught:
        invitations_send(survey=survey, by=owner)
    assert caught.value.code == "nobody_chosen"


def test_reminders_go_to_those_who_have_not_answered_once_per_round(owner, survey, network):
    """Ada answered; Bruno and Carla are reminded after a week, once: a second call the
    same day reminds nobody; a week later a second round reaches them again, with a new
    link each time."""
    coop, _, p = network
    invited = {i.user: i for i in invitations_send(survey=survey, by=owner, organisations=[coop])}
    for invitation in invited.values():
        token_for(invitation)
    response_submit(token=last_token(invited[p["ada"]]), answers={"fiducia": 3})
    week_later = timezone.now() + dt.timedelta(days=7, minutes=1)

    assert reminders_send(survey=survey, by=owner, now=timezone.now()) == 0  # too soon
    assert reminders_send(survey=survey, by=owner, now=week_later) == 2
    assert reminders_send(survey=survey, by=owner, now=week_later) == 0
    survey.refresh_from_db()
    assert survey.reminder_round == 1

    reminded = Invitation.objects.filter(reminded_at__isnull=False)
    assert {i.user for i in reminded} == {p["bruno"], p["carla"]}
    before = len(mail.outbox)
    for invitation in reminded:
        # the task of the round, delivered twice
        assert tasks.send_invitation_mail.run(invitation.pk, "reminder", 1) is True
        assert tasks.send_invitation_mail.run(invitation.pk, "reminder", 1) is False
    assert sent_to(since=before) == sorted([p["bruno"].email, p["carla"].email])
    # In each person's language: Italian, the default.
    assert all("Promemoria" in m.subject for m in mail.outbox[before:])

    two_weeks = week_later + dt.timedelta(days=7, minutes=1)
    assert reminders_send(survey=survey, by=owner, now=two_weeks) == 2
    survey.refresh_from_db()
    assert survey.reminder_round == 2


def test_the_reminder_rounds_queue_one_task_per_person(
    owner, survey, network, django_capture_on_commit_callbacks, monkeypatch
):
    """What reminders_send queues after commit: one mail per person due, with the round."""
    coop, _, _ = network
    for invitation in invitations_send(survey=survey, by=owner, organisations=[coop]):
        token_for(invitation)
    queued: list[tuple] = []
    monkeypatch.setattr(
        tasks.send_invitation_mail, "delay", lambda *args: queued.append(args), raising=False
    )
    week_later = timezone.now() + dt.timedelta(days=8)

    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(survey=survey, by=owner, now=week_later)
        reminders_send(survey=survey, by=owner, now=week_later)

    ids = set(Invitation.objects.values_list("pk", flat=True))
    assert sorted(queued) == sorted((pk, "reminder", 1) for pk in ids)


def test_an_answered_invitation_gets_no_reminder_even_if_queued(owner, survey, network):
    coop, _, p = network
    invited = {i.user: i for i in invitations_send(survey=survey, by=owner, organisations=[coop])}
    response_submit(token=token_for(invited[p["ada"]]), answers={})
    assert tasks.send_invitation_mail.run(invited[p["ada"]].pk, "reminder", 1) is False


def test_no_mail_for_a_closed_survey(owner, survey, network):
    coop, _, _ = network
    [invitation, *_] = invitations_send(survey=survey, by=owner, organisations=[coop])
    survey_close(survey=survey, by=owner)
    assert tasks.send_invitation_mail.run(invitation.pk, "invitation", 0) is False
    assert mail.outbox == []
    with pytest.raises(ValidationError):
        reminders_send(survey=survey, by=owner)


def test_the_response_rate_is_counted_per_organisation(owner, survey, network):
    """Alfa: 3 invited, 2 answered; Beta: 1 invited, none answered; a person invited by
    name without a membership counts apart."""
    coop, comune, p = network
    invited = {
        i.user: i for i in invitations_send(survey=survey, by=owner, organisations=[coop, comune])
    }
    loner = MembershipFactory(end_date=dt.date(2025, 6, 1)).user  # no current membership
    invitations_send(survey=survey, by=owner, users=[loner])
    for name in ("ada", "carla"):
        response_submit(token=token_for(invited[p[name]]), answers={"fiducia": 4})

    rates = response_rate(user=owner, survey=survey)

    assert [(r.organisation, r.invited, r.answered) for r in rates] == [
        ("Comune Beta", 1, 0),
        ("Cooperativa Alfa", 3, 2),
        ("", 1, 0),
    ]
    assert rates[1].rate == pytest.approx(2 / 3)
    assert rates[0].rate == 0.0


def test_the_response_rate_is_for_who_may_read_the_survey(owner, survey, network, make_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        response_rate(user=researcher(), survey=survey)
    with pytest.raises(PermissionDenied):
        response_rate(user=make_user(role=Role.OPERATOR), survey=survey)
    assert response_rate(user=make_user(role=Role.NETWORK_ADMIN), survey=survey) == []
