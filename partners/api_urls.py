"""API routes of the partners app. The root URLconf includes this module by name inside
its /api/v1/ list (``path("", include("partners.api_urls"))``), so that ``legami``
imports no app and the routes share the "v1" namespace that API versioning reads."""

from rest_framework.routers import SimpleRouter

from partners import api

router = SimpleRouter()
router.register("organisations", api.OrganisationViewSet, basename="organisation")
router.register("memberships", api.MembershipViewSet, basename="membership")
router.register("invitations", api.InvitationViewSet, basename="invitation")

urlpatterns = router.urls
