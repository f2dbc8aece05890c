"""Reads of the core that carry rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from legami.models import AccessEvent, Ambito, Comune
from legami.policy import visible_to


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


def access_event_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[AccessEvent]:
    """The access log rows ``user`` may browse, filtered, newest first.

    Filters: ``actor`` (part of the e-mail), ``target_type``, ``target_id``,
    ``subject_user`` (id), ``action``, ``since`` and ``until`` (dates, inclusive).
    """
    qs = visible_to(user, AccessEvent)
    filters = filters or {}
    if filters.get("actor"):
        qs = qs.filter(actor_label__icontains=filters["actor"])
    if filters.get("target_type"):
        qs = qs.filter(target_type=filters["target_type"])
    if filters.get("target_id"):
        qs = qs.filter(target_id=str(filters["target_id"]))
    if filters.get("subject_user"):
        qs = qs.filter(subject_user_id=filters["subject_user"])
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("since"):
        qs = qs.filter(at__gte=_day_start(filters["since"]))
    if filters.get("until"):
        qs = qs.filter(at__lt=_day_start(filters["until"]) + dt.timedelta(days=1))
    return qs.order_by("-at", "-id")


def own_access_report(*, user: Any) -> QuerySet[AccessEvent]:
    """Who read ``user``'s own data: their access report ("who looked at my file")."""
    return visible_to(
        user, "legami.own_access_report", queryset=AccessEvent.objects.all()
    ).order_by("-at", "-id")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
