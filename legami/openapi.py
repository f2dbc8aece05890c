"""The error answers of the API, declared in the OpenAPI schema for every operation.

drf-spectacular documents the answer of an operation that succeeds; a client (and the
fuzzing in tests/test_api_fuzz.py) also needs to know the refusals it may get. One
post-processing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``) adds them where
they can happen:

* 401 and 403 to every operation that declares authentication (no or a bad credential;
  no right, or a role that needs a second factor without one), ``{"detail": "..."}``;
* 404 to every operation with a path parameter (a record that is not there, or that the
  user may not see), ``{"detail": "..."}``;
* 400 to every operation that changes something (a service may refuse it: "a pact
  cannot go from draft to draft") or takes a request body or query parameters: DRF's
  validation errors, an object of field → messages, or a list of messages.

A second hook closes the alternatives of a ``oneOf`` (drf-spectacular's
``PolymorphicProxySerializer`` without a type field: "the whole pact, or the partner's
part"): the part has a subset of the whole's fields, so an open schema of the part also
matches the whole and an answer would match both, which ``oneOf`` forbids. Closed
(``additionalProperties: false``), each describes its answer exactly; that the partner's
part carries no field beyond its own is also the privacy promise it documents.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

ERROR = "ErrorDetail"
VALIDATION_ERROR = "ValidationErrors"

SCHEMAS: dict[str, dict[str, Any]] = {
    ERROR: {
        "type": "object",
        "description": "A refusal: why the request was not carried out.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    VALIDATION_ERROR: {
        "description": "Invalid input: for each field (or ``non_field_errors``) its "
        "messages, or a list of messages about the whole request.",
        "oneOf": [
            {"type": "object", "additionalProperties": {}},
            {"type": "array", "items": {"type": "string"}},
        ],
    },
}

_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
_UNSAFE = {"put", "post", "patch", "delete"}


def _response(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


ERROR_RESPONSES: dict[str, tuple[str, str]] = {
    "400": ("Invalid input", VALIDATION_ERROR),
    "401": ("Not authenticated", ERROR),
    "403": ("Not allowed", ERROR),
    "404": ("Not found", ERROR),
}


def _errors_of(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    codes = []
    parameters = operation.get("parameters", [])
    if (
        method in _UNSAFE
        or operation.get("requestBody")
        or any(p.get("in") == "query" for p in parameters)
    ):
        codes.append("400")
    security = operation.get("security")
    if security and {} not in security:
        codes += ["401", "403"]
    if "{" in path:
        codes.append("404")
    return codes


def add_error_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Declare the error answers (see the module's docstring) an operation does not
    declare itself."""
    used: set[str] = set()
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code in _errors_of(path, method, operation):
                if code not in responses:
                    description, schema = ERROR_RESPONSES[code]
                    responses[code] = _response(description, schema)
                    used.add(schema)
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name in sorted(used):
        if schemas.get(name, SCHEMAS[name]) != SCHEMAS[name]:
            raise ImproperlyConfigured(f"{name}: a serializer's component has this name")
        schemas[name] = SCHEMAS[name]
    return result


def close_alternatives(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Close the object schemas that are alternatives of a ``oneOf`` without a
    discriminator (see the module's docstring)."""
    schemas = result.get("components", {}).get("schemas", {})
    prefix = "#/components/schemas/"
    for schema in list(schemas.values()):
        alternatives = schema.get("oneOf")
        if not alternatives or "discriminator" in schema:
            continue
        refs = [alt.get("$ref", "") for alt in alternatives]
        if not all(ref.startswith(prefix) for ref in refs):
            continue
        for ref in refs:
            member = schemas[ref.removeprefix(prefix)]
            if member.get("type") == "object" and "properties" in member:
                member.setdefault("additionalProperties", False)
    return result
