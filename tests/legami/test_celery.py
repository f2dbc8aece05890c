"""Celery is wired to Django: a real worker consumes the configured broker, beat's
database scheduler knows the periodic jobs, and the core's jobs do their work."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from legami.celery import app as celery_app
from legami.tasks import clear_expired_sessions

ROOT = Path(__file__).resolve().parents[2]


def _broker_and_backend(tmp_path: Path) -> tuple[str, dict[str, str], str]:
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        # A database of its own per run keeps this test off the application's queues.
        return redis_url, {}, redis_url
    queue = tmp_path / "broker" / "queue"
    queue.mkdir(parents=True)
    return (
        "filesystem://",
        {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "control_folder": str(tmp_path / "broker" / "control"),
        },
        f"file://{tmp_path / 'results'}",
    )


@pytest.mark.slow
def test_a_worker_consumes_tasks_from_the_configured_broker(tmp_path):
    """A task sent to the broker (file system here, Redis in CI) is run by a worker."""
    broker, options, backend = _broker_and_backend(tmp_path)
    (tmp_path / "results").mkdir()
    queue_name = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "legami.settings_test",
        "LEGAMI_VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": backend,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "legami",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-Q",
            queue_name,
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        sender = Celery(broker=broker, backend=backend)
        sender.conf.broker_transport_options = options
        sender.conf.task_serializer = "json"
        result = sender.send_task("legami.ping", queue=queue_name)
        assert result.get(timeout=90) == "pong"
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert b"Traceback" not in output, output.decode()


@pytest.mark.django_db(transaction=True)  # the scheduler closes the connection it uses
def test_every_periodic_job_is_known_to_beat_and_to_the_worker():
    """Beat's database scheduler copies the configured jobs into its tables, and each
    names a task the worker has registered."""
    DatabaseScheduler(app=celery_app)
    schedule = celery_app.conf.beat_schedule
    assert "clear-expired-sessions" in schedule
    celery_app.loader.import_default_modules()
    for name, entry in schedule.items():
        row = PeriodicTask.objects.get(name=name)
        assert row.task == entry["task"]
        assert row.enabled
        assert entry["task"] in celery_app.tasks, entry["task"]


def test_clearing_sessions_deletes_only_expired_ones(db):
    """Expired sessions go, live ones stay; a second run deletes nothing."""
    now = timezone.now()
    Session.objects.create(session_key="a" * 32, session_data="", expire_date=now - dt.timedelta(1))
    Session.objects.create(session_key="b" * 32, session_data="", expire_date=now + dt.timedelta(1))
    assert clear_expired_sessions() == 1
    assert clear_expired_sessions() == 0
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]
