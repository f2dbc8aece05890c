"""The OpenAPI schema documents the pacts API without a warning from drf-spectacular."""

from __future__ import annotations

import yaml
from django.core.management import call_command


def test_the_schema_builds_without_warnings_and_lists_the_pacts_api(tmp_path):
    out = tmp_path / "schema.yml"
    # --fail-on-warn raises SchemaGenerationError on any warning (an under-specified
    # field, an enum name collision, a schema override on a missing action…)
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    pacts = {path: set(ops) for path, ops in paths.items() if "/pact" in path}
    assert pacts["/api/v1/pacts/"] >= {"get", "post"}
    assert pacts["/api/v1/pacts/{public_id}/"] >= {"get", "patch"}
    assert pacts["/api/v1/pacts/{public_id}/goals/{id}/"] >= {"patch", "delete"}
    assert "put" not in set().union(*pacts.values())
    assert "/api/v1/pact-reminders/{id}/dismiss/" in pacts
