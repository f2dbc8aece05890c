"""``reports`` reads other apps only through their ``selectors.py``
(../shared/ARCHITECTURE.md): no module under reports/ imports another app's models —
neither ``<app>.models`` nor ``<app>.models.<sub>`` nor ``from <app> import models``.
``legami`` (the core: Ambito, Comune, users) and ``reports`` itself are allowed."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

REPORTS = Path(settings.BASE_DIR) / "reports"
ALLOWED = {"legami", "reports"}


def project_apps() -> set[str]:
    """The project's own apps (top-level packages next to reports/), by label."""
    base = Path(settings.BASE_DIR).resolve()
    return {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == base
    }


def imported(source: str) -> list[tuple[int, str]]:
    """The (line, dotted name) of everything ``source`` imports, at any depth
    (``from a import b`` imports ``a.b``, which may be a module)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def offending(source: str, others: set[str]) -> list[tuple[int, str]]:
    """The imports in ``source`` of ``<app>.models`` (or below it) for an app of
    ``others``."""
    found = []
    for line, name in imported(source):
        parts = name.split(".")
        if len(parts) >= 2 and parts[0] in others and parts[1] == "models":
            found.append((line, name))
    return found


def test_the_project_apps_are_found():
    assert {"beneficiaries", "pacts", "labs", "civic_center", "fundraising", "research"} <= (
        project_apps()
    )


def test_the_check_catches_every_form_of_import():
    others = {"beneficiaries"}
    source = "\n".join(
        [
            "import beneficiaries.models",
            "from beneficiaries.models import Case",
            "from beneficiaries.models.case import COMMUNITY_CHANNELS",
            "from beneficiaries import models",
            "from beneficiaries import models as m",
            "def f():",
            "    from beneficiaries.models import Person",
            "from beneficiaries.selectors import report_cases",
            "from legami.models import Ambito",
            "from django.db.models import Q",
        ]
    )
    assert [line for line, _name in offending(source, others)] == [1, 2, 3, 4, 5, 7]


def test_reports_imports_no_models_of_other_apps():
    others = project_apps() - ALLOWED
    modules = sorted(REPORTS.rglob("*.py"))
    assert len(modules) > 5
    found = [
        f"{path.relative_to(REPORTS.parent)}:{line}: {name}"
        for path in modules
        for line, name in offending(path.read_text(encoding="utf-8"), others)
    ]
    assert found == []
