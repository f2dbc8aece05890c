"""Template helpers of the case-file pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def item(mapping: dict[Any, Any], key: Any) -> Any:
    """``mapping[key]``, or None: the form of a case in a dict of forms by case."""
    return mapping.get(key) if mapping else None
