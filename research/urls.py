from django.urls import URLPattern, URLResolver

from research.views import answer, builder, observatory, results

app_name = "research"

urlpatterns: list[URLPattern | URLResolver] = [
    *builder.urlpatterns,
    *answer.urlpatterns,
    *results.urlpatterns,
    *observatory.urlpatterns,
]
