from django.urls import URLPattern, URLResolver, path

from reports import dashboards, views, views_exports

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.report_list, name="report_list"),
    path("coordinamento/", dashboards.coordination, name="coordination"),
    path("numeri/", dashboards.public_figures, name="public_figures"),
    path("file/", views_exports.export_list_page, name="export_list"),
    path("file/<uuid:token>/", views_exports.export_page, name="export"),
    path("file/<uuid:token>/stato/", views_exports.export_progress, name="export_progress"),
    path("file/<uuid:token>/scarica/", views_exports.export_download, name="export_download"),
    path(
        "<slug:ambito_code>/<str:period_code>/esporta/",
        views_exports.export_start,
        name="export_start",
    ),
    path("<slug:ambito_code>/<str:period_code>/", views.report_page, name="report"),
]
