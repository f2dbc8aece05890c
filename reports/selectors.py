"""Reading the piano di zona indicators (see ../shared/ARCHITECTURE.md): every figure of
a report comes from the registered indicator functions (``reports.indicators``), the
same ones pages, exports and the API use."""

from __future__ import annotations

from collections.abc import Iterable

from reports.indicators import AREAS, INDICATORS, Indicator, Period, Result, Scope


def report(
    scope: Scope, period: Period, *, areas: Iterable[str] | None = None
) -> list[tuple[str, list[tuple[Indicator, Result]]]]:
    """The indicators of ``areas`` (all by default) for ``scope`` and ``period``,
    grouped by area in the order of ``AREAS`` and registered order within an area."""
    wanted = list(AREAS) if areas is None else [a for a in AREAS if a in set(areas)]
    grouped: list[tuple[str, list[tuple[Indicator, Result]]]] = []
    for area in wanted:
        items = [i for i in INDICATORS.values() if i.area == area]
        if items:
            grouped.append((area, [(i, i.compute(scope, period)) for i in items]))
    return grouped
