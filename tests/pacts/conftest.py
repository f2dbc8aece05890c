"""The pact tests read the interface in English (Italian is the default and has its
own tests in tests/legami/test_i18n.py): pages and messages are asserted in English."""

from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english(settings):
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
