"""The starting catalogue of services named by the programme. The first migration loads
it and the demo makes sure it is there (a test database emptied between tests has lost
it); network administrators edit the catalogue afterwards in the admin."""

from __future__ import annotations

from typing import Any

# code, Italian name, English name, unit
DEFAULT_CATALOGUE: tuple[tuple[str, str, str, str], ...] = (
    ("doposcuola", "Doposcuola", "After-school support", "hour"),
    ("babysitting", "Babysitting", "Babysitting", "hour"),
    ("centro-estivo", "Centro estivo", "Summer camp", "week"),
    (
        "assistenza-domiciliare",
        "Assistenza domiciliare anziani",
        "Home care for older people",
        "hour",
    ),
    ("badante-condivisa", "Badante condivisa", "Shared live-in carer", "month"),
    ("trasporto-sociale", "Trasporto sociale", "Social transport", "session"),
    ("pasti-a-domicilio", "Pasti a domicilio", "Meals at home", "session"),
    ("pulizie", "Pulizie", "Cleaning", "hour"),
    ("piccole-manutenzioni", "Piccole manutenzioni", "Small repairs", "hour"),
)


def catalogue_ensure(model: Any) -> int:
    """Add the categories of the default catalogue that ``model`` (the ServiceCategory
    model, or its historical version in a migration) lacks; existing ones are left as
    the administrators made them. Returns how many were added."""
    added = 0
    for position, (code, name, name_en, unit) in enumerate(DEFAULT_CATALOGUE):
        _obj, created = model.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "unit": unit, "position": position},
        )
        added += created
    return added
