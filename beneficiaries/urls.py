"""URLs of the case file under /cases/. Persons are addressed by their opaque
``public_id`` only: never a name or a codice fiscale in a URL or a query string."""

from django.urls import URLPattern, URLResolver

from beneficiaries.views import cases, ecomap, gdpr, imports, persons

app_name = "beneficiaries"

urlpatterns: list[URLPattern | URLResolver] = [
    *persons.urlpatterns,
    *cases.urlpatterns,
    *ecomap.urlpatterns,
    *gdpr.urlpatterns,
    *imports.urlpatterns,
]
