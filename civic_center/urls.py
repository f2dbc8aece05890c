from django.urls import URLPattern, URLResolver

from civic_center.views import coordination, family, provider

app_name = "civic_center"

urlpatterns: list[URLPattern | URLResolver] = [
    *family.urlpatterns,
    *provider.urlpatterns,
    *coordination.urlpatterns,
]
