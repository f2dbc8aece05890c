"""Reading the piano di zona indicators (see ../shared/ARCHITECTURE.md): every figure of
a report comes from the registered indicator functions (``reports.indicators``), the
same ones pages, exports and the API use."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from legami.models import Ambito, Comune
from legami.policy import Action, scope, visible_to
from reports.indicators import (
    AREAS,
    INDICATORS,
    Indicator,
    Period,
    Result,
    Scope,
    computing_once,
)
from reports.models import ExportKind, ReportExport

RESOURCE = "reports.ambito_report"


def reports_allowed(user: Any) -> bool:
    """Whether ``user`` reads the report of any ambito (else their pages answer 403)."""
    return scope(user, Action.READ, RESOURCE) is not False


def report_ambiti(user: Any, action: str = Action.READ) -> QuerySet[Ambito]:
    """The ambiti whose report ``user`` may ``action`` (read, export), by name."""
    return visible_to(user, RESOURCE, action, queryset=Ambito.objects.all()).order_by("name")


def report_scope(
    user: Any, ambito_code: str, comune_id: int | None = None, action: str = Action.READ
) -> Scope | None:
    """The scope of the report of the ambito ``ambito_code`` (and of one of its comuni),
    or None when the user may not ``action`` it or it does not exist (pages: 404)."""
    ambito = report_ambiti(user, action).filter(code=ambito_code).first()
    if ambito is None:
        return None
    if comune_id is not None and report_comune(ambito, comune_id) is None:
        return None
    return Scope(ambito.pk, comune_id)


def report_comune(ambito: Ambito, comune_id: int) -> Comune | None:
    """The comune ``comune_id`` if it is one of ``ambito``'s (a report of a comune is
    always within its ambito's), else None."""
    return Comune.objects.filter(pk=comune_id, ambito=ambito).first()


def report(
    scope: Scope, period: Period, *, areas: Iterable[str] | None = None
) -> list[tuple[str, list[tuple[Indicator, Result]]]]:
    """The indicators of ``areas`` (all by default) for ``scope`` and ``period``,
    grouped by area in the order of ``AREAS`` and registered order within an area.
    Indicators that read the same figures share one computation of them
    (``computing_once``), for this call only: every report is computed afresh."""
    wanted = list(AREAS) if areas is None else [a for a in AREAS if a in set(areas)]
    grouped: list[tuple[str, list[tuple[Indicator, Result]]]] = []
    with computing_once():
        for area in wanted:
            items = [i for i in INDICATORS.values() if i.area == area]
            if items:
                grouped.append((area, [(i, i.compute(scope, period)) for i in items]))
    return grouped


# --- Report files ---------------------------------------------------------------------


def export_list(user: Any) -> QuerySet[ReportExport]:
    """The report files ``user`` may download: those they asked for and the monthly
    reports, of the ambiti whose report they may export now (losing the role loses the
    files too), newest first."""
    ambiti = report_ambiti(user, Action.EXPORT)
    return (
        ReportExport.objects.filter(ambito__in=ambiti)
        .filter(Q(kind=ExportKind.MONTHLY) | Q(requested_by=user, requested_by__isnull=False))
        .select_related("ambito", "comune")
        .order_by("-created_at", "-pk")
    )


def export_for(user: Any, token: str) -> ReportExport | None:
    """The report file ``token`` if ``user`` may download it (see ``export_list``)."""
    try:
        key = uuid.UUID(str(token))
    except ValueError:
        return None
    return export_list(user).filter(token=key).first()
