"""Reads of the core that carry rules."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from legami.models import Ambito, Comune


def ambito_list(*, active_only: bool = True) -> QuerySet[Ambito]:
    """The ambiti, each with the number of its active comuni."""
    qs = Ambito.objects.annotate(comuni_count=Count("comuni", filter=Q(comuni__is_active=True)))
    return qs.filter(is_active=True) if active_only else qs


def comune_list(
    *, ambito: str | None = None, province: str | None = None, search: str | None = None
) -> QuerySet[Comune]:
    """Active comuni, optionally of one ambito (by code) or province, or matching a name."""
    qs = Comune.objects.filter(is_active=True).select_related("ambito")
    if ambito:
        qs = qs.filter(ambito__code=ambito)
    if province:
        qs = qs.filter(province=province.upper())
    if search:
        qs = qs.filter(name__icontains=search.strip())
    return qs.order_by("name")
