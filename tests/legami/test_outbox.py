"""When the broker does not answer, pages still work and the work they queue is kept in
the outbox, then handed over once when the broker is back."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.urls import reverse
from kombu.exceptions import OperationalError

from legami.celery import app
from legami.models import OutboxMessage
from legami.outbox import outbox_drain
from legami.roles import Role
from reports.models import ReportExport
from tests.legami.factories import AmbitoFactory
from tests.permissions import client_for, make_role_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("celery.app.task.Task.apply_async", refuse)


@pytest.fixture
def sent(monkeypatch):
    calls: list[tuple[str, list, dict, dict]] = []

    def send_task(name, args=None, kwargs=None, **options):
        calls.append((name, args, kwargs, options))

    monkeypatch.setattr(app, "send_task", send_task)
    return calls


def test_a_page_that_queues_work_answers_and_keeps_the_work_when_the_broker_is_down(
    broker_down, make_user, enable_totp, django_capture_on_commit_callbacks
):
    ambito = AmbitoFactory(code="cremona")
    admin = make_role_user(make_user, enable_totp, Role.AMBITO_ADMIN)
    admin.memberships.get().organisation.ambiti.set([ambito])

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(
            reverse("reports:export_start", args=["cremona", "2026"]), {"format": "pdf"}
        )

    export = ReportExport.objects.get()
    assert response.status_code == 302 and response.url == export.get_absolute_url()
    kept = OutboxMessage.objects.get()
    assert (kept.task, kept.args, kept.kwargs) == ("reports.build_export", [export.pk], {})
    assert "Connection refused" in kept.last_error


def test_kept_work_is_handed_over_once_when_the_broker_is_back(broker_down, sent):
    from legami.tasks import ping

    ping.delay()
    ping.apply_async(countdown=30)
    assert OutboxMessage.objects.count() == 2

    assert outbox_drain() == 2
    assert outbox_drain() == 0
    assert [(name, args, kwargs) for name, args, kwargs, _ in sent] == [
        ("legami.ping", [], {}),
        ("legami.ping", [], {}),
    ]
    assert sent[1][3] == {"countdown": 30}
    assert not OutboxMessage.objects.exists()


def test_while_the_broker_is_still_down_the_work_stays_kept(monkeypatch):
    message = OutboxMessage.objects.create(task="legami.ping")

    def refuse(*args, **kwargs):
        raise OperationalError("still down")

    monkeypatch.setattr(app, "send_task", refuse)
    assert outbox_drain() == 0
    message.refresh_from_db()
    assert message.attempts == 1 and "still down" in message.last_error


def test_the_drain_stops_at_its_limit_and_keeps_the_order(sent):
    for n in range(5):
        OutboxMessage.objects.create(task="legami.ping", kwargs={"n": n})
    assert outbox_drain(limit=3) == 3
    assert [kwargs["n"] for _name, _args, kwargs, _options in sent] == [0, 1, 2]
    assert outbox_drain() == 2
    assert [kwargs["n"] for _name, _args, kwargs, _options in sent] == [0, 1, 2, 3, 4]


def test_the_command_reports_what_it_did(sent, capsys):
    from django.core.management import call_command

    OutboxMessage.objects.create(task="legami.ping")
    call_command("drain_outbox")
    assert "1" in capsys.readouterr().out and len(sent) == 1


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs the Redis broker")
def test_with_redis_really_unreachable_sending_fails_fast_into_the_outbox():
    """A real broker URL nobody listens on: the send gives up within seconds and the
    task is kept; with the real broker back, the drain hands it over."""
    from legami.tasks import ping

    real = app.conf.broker_url
    try:
        app.conf.broker_url = "redis://127.0.0.1:6390/0"
        app._pool = None
        app.amqp._producer_pool = None
        started = time.monotonic()
        assert ping.delay() is None
        assert time.monotonic() - started < 10
        assert OutboxMessage.objects.filter(task="legami.ping").count() == 1
    finally:
        app.conf.broker_url = real
        app._pool = None
        app.amqp._producer_pool = None
    assert outbox_drain() == 1
    assert not OutboxMessage.objects.exists()
