"""Review reminders: the daily scan makes one reminder per recipient and review date
(due soon, then overdue) for the pact's workers and signers, the task mails each one once
in the recipient's language, a failed mail records nothing so that the retry sends it,
and recording the review dismisses them."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone, translation

from beneficiaries.models import Person
from pacts import tasks
from pacts.models import Pact, PactStatus, Reminder, ReminderKind
from pacts.selectors import reminders_for
from pacts.services import follow
from pacts.services import pacts as pact_services
from tests.beneficiaries.factories import CaseAssignmentFactory
from tests.pacts.factories import pact_in

pytestmark = pytest.mark.django_db

S = PactStatus


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def active(social_worker, partner_user):
    return pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)


def review_on(pact: Pact, day: dt.date) -> Pact:
    Pact.objects.filter(pk=pact.pk).update(next_review_on=day)
    pact.refresh_from_db()
    return pact


@pytest.fixture
def queued(monkeypatch):
    """The reminder ids sent to the broker after commit; each one is then run by the
    test itself, as a worker would."""
    sent: list[int] = []
    monkeypatch.setattr(tasks.send_review_reminder, "delay", lambda pk: sent.append(pk))
    return sent


# --- The scan ------------------------------------------------------------------------------


def test_the_scan_reminds_the_workers_the_case_worker_and_the_partner_signers(
    active, social_worker, partner_user, make_user
):
    colleague = make_user(role="operator")
    CaseAssignmentFactory(case=active.case, worker=colleague)
    gone = make_user(role="operator", is_active=False)
    CaseAssignmentFactory(case=active.case, worker=gone)
    past = make_user(role="operator")
    CaseAssignmentFactory(
        case=active.case, worker=past, start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 1)
    )
    review_on(active, today() + dt.timedelta(days=3))

    made = follow.reminders_scan()

    reminders = Reminder.objects.filter(pk__in=made)
    assert {r.recipient for r in reminders} == {social_worker, colleague, partner_user}
    assert {(r.kind, r.due_on, r.pact_id) for r in reminders} == {
        (ReminderKind.DUE_SOON, active.next_review_on, active.pk)
    }
    assert follow.reminders_scan() == []
    assert Reminder.objects.count() == 3


def test_an_overdue_review_makes_overdue_reminders_once(active, social_worker, partner_user):
    review_on(active, today() + dt.timedelta(days=2))
    follow.reminders_scan()
    review_on(active, today() - dt.timedelta(days=1))

    made = follow.reminders_scan()

    assert {Reminder.objects.get(pk=pk).kind for pk in made} == {ReminderKind.OVERDUE}
    assert len(made) == 2
    assert follow.reminders_scan() == []
    assert Reminder.objects.filter(kind=ReminderKind.DUE_SOON).count() == 2


def test_no_reminder_for_a_review_beyond_the_window(active, settings):
    settings.PACT_REMINDER_DAYS_BEFORE = 7
    review_on(active, today() + dt.timedelta(days=8))
    assert follow.reminders_scan() == []
    assert len(follow.reminders_scan(today=today() + dt.timedelta(days=1))) == 2


def test_the_window_follows_the_setting(active, settings):
    review_on(active, today() + dt.timedelta(days=14))
    settings.PACT_REMINDER_DAYS_BEFORE = 13
    assert follow.reminders_scan() == []
    settings.PACT_REMINDER_DAYS_BEFORE = 14
    assert len(follow.reminders_scan()) == 2


@pytest.mark.parametrize("status", [S.SIGNED, S.COMPLETED, S.INTERRUPTED, S.PROPOSED])
def test_only_running_pacts_are_reminded(status, social_worker, partner_user):
    pact = pact_in(status, worker=social_worker, partner_signer=partner_user)
    Pact.objects.filter(pk=pact.pk).update(next_review_on=None)
    assert follow.reminders_scan() == []


def test_the_unsigned_partner_staff_are_not_reminded(active, partner_user, make_user):
    """Only the staff member who signed for the organisation is reminded, not its whole
    staff; an inactive signer is not reminded."""
    partner_user.is_active = False
    partner_user.save()
    review_on(active, today())
    made = follow.reminders_scan()
    assert partner_user.pk not in {Reminder.objects.get(pk=pk).recipient_id for pk in made}
    assert len(made) == 1


# --- The mails ------------------------------------------------------------------------------


def test_the_task_run_twice_mails_each_recipient_once(
    active, social_worker, partner_user, queued, django_capture_on_commit_callbacks
):
    review_on(active, today() + dt.timedelta(days=5))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.scan_review_reminders() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.scan_review_reminders() == 0
    assert len(queued) == 2
    for pk in queued:
        assert tasks.send_review_reminder(pk) is True
    # A re-delivered task finds its reminder sent.
    for pk in queued:
        assert tasks.send_review_reminder(pk) is False

    assert sorted(m.to[0] for m in mail.outbox) == sorted([social_worker.email, partner_user.email])
    assert all(r.sent_at is not None for r in Reminder.objects.all())


def test_the_mail_names_the_pact_and_nothing_that_identifies_the_person(active, social_worker):
    Person.objects.filter(pk=active.person_id).update(
        codice_fiscale="RSSMRA80A01D150U", no_codice_fiscale_reason=""
    )
    review_on(active, today() - dt.timedelta(days=2))
    (pk, *_) = follow.reminders_scan()

    assert follow.reminder_send(reminder_id=pk)

    (message,) = mail.outbox
    assert "overdue" in message.subject
    assert active.next_review_on.strftime("%d/%m/%Y") in message.subject
    assert "Patto di prova" in message.body
    assert str(active.public_id) in message.body
    person = Person.objects.get(pk=active.person_id)
    text = message.subject + message.body
    assert person.codice_fiscale
    assert person.codice_fiscale not in text
    assert person.last_name not in text


def test_the_mail_speaks_the_recipients_language(active, social_worker, partner_user, monkeypatch):
    partner_user.language = "it"
    partner_user.save()
    review_on(active, today() + dt.timedelta(days=1))
    made = follow.reminders_scan()
    languages: dict[str, str] = {}
    render = follow.render_to_string

    def spy(template, context):
        languages[context["reminder"].recipient.email] = translation.get_language()
        return render(template, context)

    monkeypatch.setattr(follow, "render_to_string", spy)
    for pk in made:
        follow.reminder_send(reminder_id=pk)

    assert languages == {social_worker.email: "en", partner_user.email: "it"}
    english = next(m for m in mail.outbox if m.to == [social_worker.email])
    assert english.subject.startswith("[Legami] Pact review due on")


def test_a_failed_sending_records_nothing_so_a_retry_sends(active, monkeypatch):
    review_on(active, today())
    pk = follow.reminders_scan()[0]

    def fail(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("gone")

    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", fail)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            tasks.send_review_reminder(pk)

    assert Reminder.objects.get(pk=pk).sent_at is None
    assert tasks.send_review_reminder(pk) is True
    assert tasks.send_review_reminder(pk) is False
    assert len(mail.outbox) == 1


def test_the_send_task_retries_only_transient_errors():
    assert set(tasks.send_review_reminder.autoretry_for) == set(follow.SEND_ERRORS)
    assert tasks.send_review_reminder.max_retries == 5
    assert tasks.send_review_reminder.name == "pacts.send_review_reminder"
    assert tasks.scan_review_reminders.name == "pacts.scan_review_reminders"


def test_nothing_is_sent_for_a_gone_dismissed_or_inactive_reminder(
    active, social_worker, partner_user
):
    review_on(active, today())
    made = follow.reminders_scan()
    mine = Reminder.objects.get(pk__in=made, recipient=social_worker)
    theirs = Reminder.objects.get(pk__in=made, recipient=partner_user)
    follow.reminder_dismiss(reminder=mine, actor=social_worker)
    partner_user.is_active = False
    partner_user.save()

    assert tasks.send_review_reminder(mine.pk) is False
    assert tasks.send_review_reminder(theirs.pk) is False
    assert tasks.send_review_reminder(987654) is False
    assert mail.outbox == []


def test_nothing_is_sent_once_the_pact_is_interrupted(active, social_worker):
    review_on(active, today())
    made = follow.reminders_scan()
    pact_services.pact_interrupt(pact=active, actor=social_worker, reason="Trasferito")

    assert [follow.reminder_send(reminder_id=pk) for pk in made] == [False, False]
    assert mail.outbox == []


# --- The dashboard ---------------------------------------------------------------------------


def test_recording_the_review_dismisses_the_pacts_reminders(active, social_worker, partner_user):
    review_on(active, today() - dt.timedelta(days=1))
    follow.reminders_scan()
    assert reminders_for(user=social_worker).count() == 1
    assert reminders_for(user=partner_user).count() == 1

    follow.review_record(
        pact=active,
        actor=social_worker,
        outcomes={g.pk: ("partly", "") for g in active.goals.all()},
        next_review_on=today() + dt.timedelta(days=40),
    )

    assert not Reminder.objects.filter(dismissed_at__isnull=True).exists()
    assert reminders_for(user=social_worker).count() == 0
    # The next review is far: nothing new until it comes near.
    assert follow.reminders_scan() == []


def test_a_user_dismisses_only_their_own_reminders(active, social_worker, partner_user):
    from django.core.exceptions import PermissionDenied

    review_on(active, today())
    follow.reminders_scan()
    theirs = Reminder.objects.get(recipient=partner_user)
    with pytest.raises(PermissionDenied):
        follow.reminder_dismiss(reminder=theirs, actor=social_worker)
    follow.reminder_dismiss(reminder=theirs, actor=partner_user)
    assert reminders_for(user=partner_user).count() == 0
    assert reminders_for(user=social_worker).count() == 1


# --- A task lost on its way ----------------------------------------------------------------


def test_a_reminder_whose_task_was_lost_is_sent_by_the_hourly_resend_once(
    active, social_worker, partner_user, queued, django_capture_on_commit_callbacks
):
    """A worker that dies between taking a task from Redis and recording it loses the
    task: the hourly job queues again what is still unsent half an hour after it was
    made, and the reminder is still mailed once."""
    review_on(active, today() + dt.timedelta(days=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.scan_review_reminders() == 2
    lost, delivered = sorted(queued)
    assert tasks.send_review_reminder(delivered) is True
    queued.clear()

    # Fresh: its task may still be on its way.
    assert tasks.resend_unsent_reminders() == 0
    Reminder.objects.update(created_at=timezone.now() - dt.timedelta(minutes=31))
    assert tasks.resend_unsent_reminders() == 1
    assert queued == [lost]
    assert tasks.send_review_reminder(lost) is True
    assert tasks.send_review_reminder(lost) is False
    assert tasks.resend_unsent_reminders() == 0
    assert len(mail.outbox) == 2


def test_the_resend_leaves_sent_dismissed_old_and_unreachable_reminders_alone(
    active, social_worker, partner_user, queued, django_capture_on_commit_callbacks
):
    review_on(active, today() + dt.timedelta(days=5))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.scan_review_reminders()
    queued.clear()
    now = timezone.now()
    first, second = Reminder.objects.order_by("pk")
    Reminder.objects.update(created_at=now - dt.timedelta(hours=2))
    Reminder.objects.filter(pk=first.pk).update(sent_at=now)
    Reminder.objects.filter(pk=second.pk).update(dismissed_at=now)
    assert follow.reminders_unsent() == []

    Reminder.objects.update(sent_at=None, dismissed_at=None)
    assert sorted(follow.reminders_unsent()) == [first.pk, second.pk]
    Reminder.objects.filter(pk=first.pk).update(created_at=now - dt.timedelta(days=4))
    second.recipient.email = ""
    second.recipient.save(update_fields=["email"])
    assert follow.reminders_unsent() == []
    Reminder.objects.filter(pk=first.pk).update(created_at=now - dt.timedelta(hours=2))
    Pact.objects.filter(pk=active.pk).update(status=S.SIGNED)  # not running
    assert follow.reminders_unsent() == []
