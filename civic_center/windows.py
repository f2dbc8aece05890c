"""Weekly time windows: seven days × three parts of the day, 21 slots.

A family says when it needs a service and a provider says when it has capacity in the
same grid, so that "at least one common window" is one bitwise AND. A set of windows is
stored as an integer bit mask: bit ``day * 3 + band``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)
DAYS_SHORT = (
    pgettext_lazy("weekday", "Mon"),
    pgettext_lazy("weekday", "Tue"),
    pgettext_lazy("weekday", "Wed"),
    pgettext_lazy("weekday", "Thu"),
    pgettext_lazy("weekday", "Fri"),
    pgettext_lazy("weekday", "Sat"),
    pgettext_lazy("weekday", "Sun"),
)
BANDS = (
    _("morning (8–13)"),
    _("afternoon (13–18)"),
    _("evening (18–22)"),
)
BANDS_SHORT = (
    pgettext_lazy("part of day", "morning"),
    pgettext_lazy("part of day", "afternoon"),
    pgettext_lazy("part of day", "evening"),
)
COUNT = len(DAYS) * len(BANDS)
ALL = (1 << COUNT) - 1


def index(day: int, band: int) -> int:
    if not (0 <= day < len(DAYS) and 0 <= band < len(BANDS)):
        raise ValueError(f"no window for day {day}, band {band}")
    return day * len(BANDS) + band


def mask_of(indices: Iterable[int]) -> int:
    mask = 0
    for i in indices:
        if not 0 <= int(i) < COUNT:
            raise ValueError(f"no window {i}")
        mask |= 1 << int(i)
    return mask


def indices_of(mask: int) -> list[int]:
    return [i for i in range(COUNT) if mask >> i & 1]


def label(i: int) -> str:
    day, band = divmod(i, len(BANDS))
    return f"{DAYS[day]}, {BANDS_SHORT[band]}"


def short_label(i: int) -> str:
    day, band = divmod(i, len(BANDS))
    return f"{DAYS_SHORT[day]} {BANDS_SHORT[band]}"


def choices() -> list[tuple[int, str]]:
    return [(i, label(i)) for i in range(COUNT)]


def describe(mask: int) -> str:
    return ", ".join(short_label(i) for i in indices_of(mask))
