"""Every change of the Civic Center's state (see ARCHITECTURE.md, "Inside an app")."""

from civic_center.services.agreement import (
    agreement_cancel,
    agreement_confirm,
    member_accept,
    member_decline,
    member_withdraw,
)
from civic_center.services.demand import (
    demand_create,
    demand_withdraw,
    invitation_read,
    invitation_token,
)
from civic_center.services.offer import offer_publish, offer_save, offer_withdraw
from civic_center.services.run import run_execute, run_request

__all__ = [
    "agreement_cancel",
    "agreement_confirm",
    "demand_create",
    "demand_withdraw",
    "invitation_read",
    "invitation_token",
    "member_accept",
    "member_decline",
    "member_withdraw",
    "offer_publish",
    "offer_save",
    "offer_withdraw",
    "run_execute",
    "run_request",
]
