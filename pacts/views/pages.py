"""Pages of the pacts app (see pacts/views/__init__.py)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
