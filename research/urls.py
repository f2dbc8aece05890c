"""URLs of the Wel(l)fare LAB under /research/: the ``urlpatterns`` of each page module
of ``research.views``."""

import importlib

from django.urls import URLPattern, URLResolver

app_name = "research"

PAGE_MODULES = ("builder", "answer", "results", "observatory", "pathways", "library")

urlpatterns: list[URLPattern | URLResolver] = [
    pattern
    for name in PAGE_MODULES
    for pattern in importlib.import_module(f"research.views.{name}").urlpatterns
]
