"""Models of the core: users and territory (``core``), audit trail (``audit``), the
outbox of background work the broker could not take (``outbox``)."""

from legami.models.audit import AccessEvent, ChangeEvent, UserSession
from legami.models.core import Ambito, Comune, LegamiUserManager, User
from legami.models.outbox import OutboxMessage

__all__ = [
    "AccessEvent",
    "Ambito",
    "ChangeEvent",
    "Comune",
    "LegamiUserManager",
    "OutboxMessage",
    "User",
    "UserSession",
]
