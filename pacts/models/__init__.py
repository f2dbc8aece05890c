"""The generative pact: the pact with its goals, commitments and signatories (``pact``),
following it with reviews, reminders and work placements (``follow``), and the
reciprocity ledger of hours (``ledger``)."""

from pacts.models.follow import (
    GoalOutcome,
    Placement,
    PlacementOutcome,
    Reminder,
    ReminderKind,
    Review,
    ReviewGoalOutcome,
)
from pacts.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction
from pacts.models.pact import (
    Commitment,
    CommitmentDirection,
    CommitmentKind,
    CommitmentPeriod,
    CommitmentUnit,
    Goal,
    Pact,
    PactStatus,
    Signatory,
    SignatoryKind,
)

__all__ = [
    "Commitment",
    "CommitmentDirection",
    "CommitmentKind",
    "CommitmentPeriod",
    "CommitmentUnit",
    "Goal",
    "GoalOutcome",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Pact",
    "PactStatus",
    "Placement",
    "PlacementOutcome",
    "Reminder",
    "ReminderKind",
    "Review",
    "ReviewGoalOutcome",
    "Signatory",
    "SignatoryKind",
]
