"""API routes of the case file: persons (and their restriction), their cases, household,
intakes, diary, referrals, consents, ecomap and assessments. The root URLconf includes
this module by name inside its /api/v1/ list (``path("", include("beneficiaries.api_urls"))``),
so that ``legami`` imports no app and the routes share the "v1" namespace."""

from rest_framework.routers import SimpleRouter

from beneficiaries import api

PERSON = r"persons/(?P<public_id>[0-9a-fA-F-]{36})"

router = SimpleRouter()
router.register("persons", api.PersonViewSet, basename="person")
router.register(PERSON + "/cases", api.CaseViewSet, basename="person-case")
router.register(PERSON + "/diary", api.DiaryNoteViewSet, basename="person-diary")
router.register(PERSON + "/referrals", api.ReferralViewSet, basename="person-referral")
router.register(PERSON + "/consents", api.ConsentViewSet, basename="person-consent")
router.register(PERSON + "/household", api.HouseholdMemberViewSet, basename="person-household")
router.register(PERSON + "/intakes", api.IntakeViewSet, basename="person-intake")
router.register(PERSON + "/ties", api.TieViewSet, basename="person-tie")
router.register(PERSON + "/assessments", api.AssessmentViewSet, basename="person-assessment")

urlpatterns = router.urls
