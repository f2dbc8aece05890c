"""The pacts API under /api/v1/ (routes in ``pacts.api_urls``)."""

from pacts.api.follow import PlacementViewSet, ReminderViewSet, ReviewViewSet, TransactionViewSet
from pacts.api.pacts import PactViewSet
from pacts.api.parts import CommitmentViewSet, GoalViewSet, SignatoryViewSet

__all__ = [
    "CommitmentViewSet",
    "GoalViewSet",
    "PactViewSet",
    "PlacementViewSet",
    "ReminderViewSet",
    "ReviewViewSet",
    "SignatoryViewSet",
    "TransactionViewSet",
]
