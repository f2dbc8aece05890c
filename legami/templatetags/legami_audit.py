"""``{% record_history obj %}``: the change history of a record, on its own page.

Shown to those who may change the record (its editors) and to the data-protection
officer; nobody else sees it, whatever the page.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Model

from legami import policy
from legami.audit import audit_history
from legami.roles import Role

register = template.Library()

HISTORY_LIMIT = 50


def history_visible(user: Any, obj: Model) -> bool:
    return (
        policy.allowed(user, policy.Action.CHANGE, obj)
        or Role.DPO in policy.subject_for(user).roles
    )


@register.inclusion_tag("legami/partials/record_history.html", takes_context=True)
def record_history(context: dict[str, Any], obj: Model) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not history_visible(user, obj):
        return {"visible": False}
    events = list(audit_history(obj)[: HISTORY_LIMIT + 1])
    return {
        "visible": True,
        "events": events[:HISTORY_LIMIT],
        "truncated": len(events) > HISTORY_LIMIT,
    }
