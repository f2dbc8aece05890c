"""URLs of the labs app under /labs/: the ``urlpatterns`` of each page module of
``labs.views`` that exists. Fixed addresses (``mine/``, ``registrations/…``,
``referred-needs/``…) come before the ones that start with a lab's slug, whatever module
they are in: a slug would otherwise take them."""

import importlib
import importlib.util

from django.urls import URLPattern, URLResolver

app_name = "labs"

PAGE_MODULES = ("registration", "public", "facilitate", "needs")


def _patterns() -> list[URLPattern | URLResolver]:
    found: list[URLPattern | URLResolver] = []
    for name in PAGE_MODULES:
        # A module not written yet is skipped; an error inside an existing one is raised.
        if importlib.util.find_spec(f"labs.views.{name}") is not None:
            found += importlib.import_module(f"labs.views.{name}").urlpatterns
    fixed = [p for p in found if not str(p.pattern).startswith("<")]
    return fixed + [p for p in found if str(p.pattern).startswith("<")]


urlpatterns: list[URLPattern | URLResolver] = _patterns()
