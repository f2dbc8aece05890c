"""Every URL pattern and every API operation is covered by a row of some app's
permission matrix (``tests/<app>/test_permissions.py``)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from tests.permissions import Row

TESTS = Path(__file__).resolve().parent

# URL prefixes outside the matrix, each with the reason and where it is tested instead.
EXCLUDED_PREFIXES = {
    "admin/": "Django admin: staff with MFA; its pages ask the policy (tests/*/test_admin.py)",
    "accounts/": "allauth's login, sign-up, password and MFA pages (tests/legami/test_accounts.py, "
    "test_mfa.py)",
    "i18n/": "Django's language switch, public by design (tests/legami/test_i18n.py)",
    "static/": "static files",
    "media/": "uploaded files, served by the web server in production",
}


def all_rows() -> list[Row]:
    collected: list[Row] = []
    for path in sorted(TESTS.glob("*/test_permissions*.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.{path.stem}")
        collected.extend(module.ROWS)
    return collected


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def url_patterns() -> set[str]:
    routes = set()
    for route in _walk(get_resolver().url_patterns):
        route = route.lstrip("^")
        if route.startswith(tuple(EXCLUDED_PREFIXES)):
            continue
        if "(?P<format>" in route or route.endswith("<drf_format_suffix:format>"):
            continue  # DRF's format-suffix twins of every API route
        routes.add(route)
    return routes


def _route_regex(route: str) -> re.Pattern[str]:
    """A regex matching concrete paths of a route (``<int:pk>``, ``(?P<x>…)`` or plain).

    Included regex routes keep their anchors inside the joined route (DRF's router gives
    ``api/v1/^ambiti/$``), so anchors are dropped wherever they stand."""
    if "(?P<" in route or "^" in route or "$" in route:
        body = route.replace("^", "").replace("$", "")
        body = re.sub(r"\(\?P<\w+>[^)]*\)", r"[^/]+", body)
    else:
        body = re.escape(route)
        body = re.sub(r"<(?:\w+:)?\w+>", r"[^/]+", body.replace(r"\<", "<").replace(r"\>", ">"))
    return re.compile("^" + body + "$")


def _concrete(url: str) -> str:
    """A row's URL with its placeholders filled with something that matches any segment."""
    return re.sub(r"\{[^}]+\}", "x1", url).split("?")[0].lstrip("/")


def test_every_url_pattern_has_a_row():
    """A new page without permission rows fails here: add rows to its app's matrix."""
    concrete = {_concrete(row.url) for row in all_rows()}
    missing = sorted(
        route
        for route in url_patterns()
        if not any(_route_regex(route).match(url) for url in concrete)
    )
    assert missing == [], f"URL patterns with no permission-matrix row: {missing}"


def test_every_api_operation_has_a_row():
    """Each (method, path) of the OpenAPI schema has a row for every role."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    from tests.permissions import ROLES

    rows = all_rows()
    missing = []
    for path, operations in schema["paths"].items():
        regex = re.compile(
            "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path.lstrip("/"))) + "$"
        )
        for method in operations:
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            covered = {
                row.role
                for row in rows
                if row.method.lower() == method and regex.match(_concrete(row.url))
            }
            if set(ROLES) - covered:
                missing.append(
                    f"{method.upper()} {path}: no row for {sorted(set(ROLES) - covered)}"
                )
    assert missing == [], "\n".join(missing)


@pytest.mark.parametrize("route", ["dashboard/", "api/v1/me/"])
def test_the_meta_test_sees_the_routes_it_checks(route):
    """Guard against a meta-test that checks nothing: known routes are enumerated."""
    assert route in url_patterns()
