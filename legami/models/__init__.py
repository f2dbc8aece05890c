"""Models of the core: users and territory (``core``), audit trail (``audit``)."""

from legami.models.audit import AccessEvent, ChangeEvent, UserSession
from legami.models.core import Ambito, Comune, LegamiUserManager, User

__all__ = [
    "AccessEvent",
    "Ambito",
    "ChangeEvent",
    "Comune",
    "LegamiUserManager",
    "User",
    "UserSession",
]
