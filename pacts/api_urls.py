"""API routes of the pacts app, included by name inside /api/v1/ (as
beneficiaries.api_urls)."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = router.urls
