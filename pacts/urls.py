"""URLs of the pacts app under /pacts/. Pacts are addressed by their opaque
``public_id``."""

from django.urls import URLPattern, URLResolver

from pacts.views import documents, follow, pages

app_name = "pacts"

urlpatterns: list[URLPattern | URLResolver] = [
    *pages.urlpatterns,
    *follow.urlpatterns,
    *documents.urlpatterns,
]
