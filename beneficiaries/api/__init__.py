"""The API of the case file under /api/v1/ (routes in ``beneficiaries.api_urls``)."""

from beneficiaries.api.common import PERSON_PARAMETER, PersonPartMixin, service_errors
from beneficiaries.api.ecomap import AssessmentViewSet, TieViewSet
from beneficiaries.api.parts import (
    ConsentViewSet,
    DiaryNoteViewSet,
    HouseholdMemberViewSet,
    IntakeViewSet,
    ReferralViewSet,
)
from beneficiaries.api.persons import CaseViewSet, PersonViewSet

__all__ = [
    "PERSON_PARAMETER",
    "AssessmentViewSet",
    "CaseViewSet",
    "ConsentViewSet",
    "DiaryNoteViewSet",
    "HouseholdMemberViewSet",
    "IntakeViewSet",
    "PersonPartMixin",
    "PersonViewSet",
    "ReferralViewSet",
    "TieViewSet",
    "service_errors",
]
