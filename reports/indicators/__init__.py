"""The piano di zona indicators, one module per area; importing this package registers
them all in ``INDICATORS`` (see ``base``)."""

from reports.indicators.base import (
    AREAS,
    INDICATORS,
    Breakdown,
    Indicator,
    Period,
    Result,
    Scope,
    Unit,
    computing_once,
    indicator,
    once,
    parse_period,
    period_ending,
    share,
)

__all__ = [
    "AREAS",
    "INDICATORS",
    "Breakdown",
    "Indicator",
    "Period",
    "Result",
    "Scope",
    "Unit",
    "computing_once",
    "indicator",
    "once",
    "parse_period",
    "period_ending",
    "share",
]

# The areas' modules register their indicators when imported (after ``base``).
from reports.indicators import network, pacts, people  # noqa: E402, F401, I001
