"""The URLs of Legami: each app's pages, the API under /api/v1/, and the core pages."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from legami import api, views, views_audit
from legami.admin import unregister_unsafe_admins

unregister_unsafe_admins()

router = DefaultRouter()
router.register("ambiti", api.AmbitoViewSet, basename="ambito")
router.register("comuni", api.ComuneViewSet, basename="comune")

api_v1 = [
    path("me/", api.MeView.as_view(), name="me"),
    *router.urls,
    path("", include("partners.api_urls")),
    path("", include("beneficiaries.api_urls")),
    path("", include("pacts.api_urls")),
    path("", include("reports.api_urls")),
]

core = (
    [
        path("", views.home, name="home"),
        path("dashboard/", views.dashboard, name="dashboard"),
        path("audit/access/", views_audit.access_log, name="access_log"),
        path("audit/access/export.csv", views_audit.access_log_export, name="access_log_export"),
        path("account/access-report/", views_audit.my_access_report, name="my_access_report"),
    ],
    "legami",
)

urlpatterns = [
    path("", include(core)),
    path("health/", views.health_view, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "v1"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("partners/", include("partners.urls")),
    path("cases/", include("beneficiaries.urls")),
    path("pacts/", include("pacts.urls")),
    path("labs/", include("labs.urls")),
    path("civic-center/", include("civic_center.urls")),
    path("research/", include("research.urls")),
    path("fundraising/", include("fundraising.urls")),
    path("reports/", include("reports.urls")),
]

# An address under /api/ that no view answers is a JSON 404 there too.
handler404 = "legami.views.page_not_found"
# A database that does not answer is a 503, not a 500 (legami.views.server_error).
handler500 = "legami.views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
