"""Panels that other apps add to pages of the core and of the apps they build on: the
dashboard, the page of an organisation of the network, and a person's case file.

``legami`` imports no app, so the arrows point the right way round: an app registers its
panels in its ``AppConfig.ready()`` with ``register_panel(template_name, context_func)``,
and the page renders what is registered for its slot. ``context_func(request, **kwargs)``
returns the panel's context, or None when the panel has nothing to show to this user
(it is then left out). Panels are rendered in the order of ``order``, then of
registration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

ContextFunc = Callable[..., dict[str, Any] | None]

DASHBOARD = "dashboard"
ORGANISATION = "organisation"
# The person page of a case file (``person=`` and ``open_cases=``): e.g. the pacts tab.
PERSON = "person"


@dataclass(frozen=True)
class Panel:
    template_name: str
    context_func: ContextFunc
    slot: str
    order: int


_registry: dict[str, list[Panel]] = {}


def register_panel(
    template_name: str, context_func: ContextFunc, *, slot: str = DASHBOARD, order: int = 100
) -> None:
    """Add a panel to ``slot`` ("dashboard", "organisation" or "person"). Registering the same
    template in the same slot again replaces it (``ready()`` may run more than once)."""
    panels = [p for p in _registry.get(slot, []) if p.template_name != template_name]
    panels.append(Panel(template_name, context_func, slot, order))
    _registry[slot] = sorted(panels, key=lambda p: p.order)


def registered(slot: str = DASHBOARD) -> list[Panel]:
    return list(_registry.get(slot, []))


def render_panels(request: HttpRequest, slot: str = DASHBOARD, **kwargs: Any) -> list[SafeString]:
    """The HTML of each panel of ``slot`` that has something to show to the user."""
    rendered = []
    for panel in registered(slot):
        context = panel.context_func(request, **kwargs)
        if context is None:
            continue
        rendered.append(render_to_string(panel.template_name, context, request=request))
    return rendered
