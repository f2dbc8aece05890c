"""What the services of the partners app share."""

from __future__ import annotations

from partners.models import Organisation


def is_active(organisation: Organisation) -> bool:
    """Whether the organisation is active as stored (the object may be out of date)."""
    return Organisation.objects.filter(pk=organisation.pk, is_active=True).exists()
