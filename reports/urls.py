from django.urls import URLPattern, URLResolver, path

from reports import views

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.report_list, name="report_list"),
    path("<slug:ambito_code>/<str:period_code>/", views.report_page, name="report"),
]
