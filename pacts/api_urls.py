"""API routes of the pacts app: the pacts, their goals, commitments, signatories, reviews,
ledger hours and work placements, and the user's review reminders. The root URLconf
includes this module by name inside /api/v1/ (as beneficiaries.api_urls)."""

from rest_framework.routers import SimpleRouter

from pacts import api

PACT = r"pacts/(?P<public_id>[0-9a-fA-F-]{36})"

router = SimpleRouter()
router.register("pacts", api.PactViewSet, basename="pact")
router.register(PACT + "/goals", api.GoalViewSet, basename="pact-goal")
router.register(PACT + "/commitments", api.CommitmentViewSet, basename="pact-commitment")
router.register(PACT + "/signatories", api.SignatoryViewSet, basename="pact-signatory")
router.register(PACT + "/reviews", api.ReviewViewSet, basename="pact-review")
router.register(PACT + "/transactions", api.TransactionViewSet, basename="pact-transaction")
router.register(PACT + "/placements", api.PlacementViewSet, basename="pact-placement")
router.register("pact-reminders", api.ReminderViewSet, basename="pact-reminder")

urlpatterns = router.urls
