"""Fixtures that several apps' tests share, imported by name into their conftest.py:
``english`` (the interface in English: Italian is the default and has its own tests in
tests/legami/test_i18n.py), ``make_user`` for users who chose English, and
``eager_tasks`` (Celery tasks run where they are sent)."""

from __future__ import annotations

import pytest
from celery._state import _set_task_join_will_block  # type: ignore[attr-defined]
from django.utils import translation

from legami.celery import app as celery_app


@pytest.fixture(autouse=True)
def english(settings):
    """Autouse in every conftest.py that imports it."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def make_user(make_user):
    """Users who chose English (their saved language wins over the default)."""

    def _make(email=None, **extra):
        extra.setdefault("language", "en")
        return make_user(email, **extra)

    return _make


@pytest.fixture
def eager_tasks():
    """Tasks run in the thread that sends them, as soon as they are sent (after commit),
    and their errors surface in the test instead of going to a broker."""
    names = ("task_always_eager", "task_eager_propagates")
    before = {name: celery_app.conf[name] for name in names}
    celery_app.conf.update(dict.fromkeys(names, True))
    yield
    celery_app.conf.update(before)
    # An eager task runs inside Celery's process-wide "joining would block" flag, which
    # it saves and restores: eager tasks in parallel threads (the concurrency tests) can
    # restore it in the wrong order and leave it set, which then breaks every later
    # result.get() in this process (tests/legami/test_celery.py). Put it back.
    _set_task_join_will_block(False)
