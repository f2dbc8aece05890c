"""/health/ reports database, cache and broker as JSON: 200 when all answer, else 503."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from legami import health

pytestmark = pytest.mark.django_db


def test_all_parts_answer(client):
    """With the configured database, cache and broker up, the probe says ok."""
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
    }
    assert "no-cache" in response["Cache-Control"]


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_BROKER_TRANSPORT_OPTIONS={})
def test_a_broker_that_does_not_answer_gives_503(client):
    """A broker nobody listens on makes the probe fail, naming the broker only."""
    response = client.get("/health/")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["status"] == "error"
    assert checks["database"]["status"] == "ok"
    assert checks["cache"]["status"] == "ok"


def test_a_cache_that_loses_values_gives_503(client, monkeypatch):
    """A cache that accepts writes but reads nothing back counts as down."""
    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {
        "status": "error",
        "error": "RuntimeError",
        "ms": pytest.approx(response.json()["checks"]["cache"]["ms"]),
    }


def test_a_database_error_gives_503(client, monkeypatch):
    """A failing database query is reported without its message (no internals leak)."""

    def broken() -> None:
        raise OSError("connection refused to db.internal:5432")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["error"] == "OSError"
    assert b"db.internal" not in response.content


def test_the_probe_needs_no_login_and_only_answers_get(client):
    assert client.post("/health/").status_code == 405
