"""When Redis does not answer, the cache fails open: reads miss, writes do nothing, and
the pages that use the cache keep working."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import override_settings

DOWN = {
    "default": {
        "BACKEND": "legami.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:6390/0",  # nobody listens there
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@override_settings(CACHES=DOWN)
def test_reads_miss_and_writes_do_nothing_quickly():
    started = time.monotonic()
    assert cache.get("k", "fallback") == "fallback"
    cache.set("k", 1)
    assert cache.add("k", 1) is True  # as if stored: a lock is taken, not waited for
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.delete("k") is False
    with pytest.raises(ValueError):
        cache.incr("k")
    assert time.monotonic() - started < 10


@pytest.mark.django_db
@override_settings(CACHES=DOWN)
def test_the_pages_that_use_the_cache_still_answer(client):
    from tests.legami.factories import AmbitoFactory

    AmbitoFactory(code="cremona", name="Ambito di Cremona")
    assert client.get("/reports/numeri/").status_code == 200
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"login": "x@example.org", "password": "wrong"})
    assert response.status_code == 200  # a clear "wrong e-mail or password", not a 500


@pytest.mark.django_db
@override_settings(CACHES=DOWN)
def test_with_redis_down_a_guest_still_signs_up_and_the_mail_waits_in_the_outbox(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    """Cache and broker both down (Redis is both): the sign-up is saved, the page says
    a mail is coming, and the mail's task is kept until the broker is back."""
    from kombu.exceptions import OperationalError

    from labs.models import Registration
    from legami.models import OutboxMessage
    from tests.labs.factories import MeetingFactory
    from tests.labs.test_public import active_lab, meeting_url

    def refuse(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("celery.app.task.Task.apply_async", refuse)
    meeting = MeetingFactory(lab=active_lab(), capacity=2)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            meeting_url(meeting),
            {"name": "Giulia Bianchi", "email": "giulia@example.org", "consent": "on"},
        )
    assert response.status_code == 302
    assert Registration.objects.filter(meeting=meeting, email="giulia@example.org").exists()
    assert OutboxMessage.objects.filter(task__startswith="labs.").exists()
