"""Community labs: the lab and its meetings (``lab``), sign-ups with the waiting list,
attendance and reminders (``registration``), the needs board and the interventions
designed in response (``needs``)."""

from labs.models.lab import Lab, LabContext, LabStatus, Meeting, MeetingStatus
from labs.models.needs import (
    Intervention,
    InterventionStatus,
    Need,
    NeedCategory,
    NeedStatus,
    NeedVote,
)
from labs.models.registration import (
    ACTIVE_STATUSES,
    MailKind,
    Registration,
    RegistrationMail,
    RegistrationStatus,
)

__all__ = [
    "ACTIVE_STATUSES",
    "Intervention",
    "InterventionStatus",
    "Lab",
    "LabContext",
    "LabStatus",
    "Meeting",
    "MeetingStatus",
    "Need",
    "NeedCategory",
    "NeedStatus",
    "NeedVote",
    "MailKind",
    "Registration",
    "RegistrationMail",
    "RegistrationStatus",
]
