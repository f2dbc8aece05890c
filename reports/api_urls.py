"""API routes of the piano di zona reports. The root URLconf includes this module by name
inside its /api/v1/ list (``path("", include("reports.api_urls"))``), as the other apps'
api_urls, so that ``legami`` imports no app and the routes share the "v1" namespace."""

from django.urls import path

from reports import api

urlpatterns = [
    path("reports/", api.ReportViewSet.as_view({"get": "list"}), name="report-list"),
    path(
        "reports/<str:ambito_code>/<str:period_code>/",
        api.ReportViewSet.as_view({"get": "retrieve"}),
        name="report-detail",
    ),
]
