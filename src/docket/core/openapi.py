"""The OpenAPI document declares the errors too, not only the happy path.

Every refusal is an RFC 9457 problem (`application/problem+json`, see core/http.py). Which
statuses an operation can answer follows from how it is called, so they are added here in one
place instead of on each route: any request can be refused for its parameters (400), its
token (401, or 429 after too many bad ones), a role that does not allow it (403) or for naming
something missing or invisible to the caller (404); a body can be malformed (400), too large
(413), not JSON (415) or invalid (422); a write can conflict (409) or break a domain rule
(422). `GET /issues/{key}` also answers 304 to a matching If-None-Match.
"""

from __future__ import annotations

from typing import Any

from docket.core.http import PROBLEM_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document; `errors` names each bad field.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["about:blank"]},
        "title": {"type": "string", "examples": ["Invalid input"]},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "examples": ["due_date: must be a date like 2026-12-31"]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "location": {"type": "string", "examples": ["body", "query", "path"]},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,  # e.g. `current` on a 409, `position` on a bad query
}

DESCRIPTIONS = {
    400: "Malformed request: bad JSON, bad parameters, a forged cursor, a malformed If-Match",
    401: "Not signed in where it is needed, or a missing, unknown, expired or revoked token",
    403: "Your role does not allow this, a read-only token, or a CSRF failure",
    404: "Missing, or not visible to you (indistinguishable on purpose)",
    409: "Duplicate name or key, a stale update, or a state that still holds issues",
    413: "The body is larger than DOCKET_MAX_REQUEST_BYTES",
    415: "The body is not application/json",
    422: "Well-formed but invalid input; `errors` names the fields",
    429: "Too many attempts (failed tokens, new tokens, sign-ins); see Retry-After",
}
_WRITES = {"post", "put", "patch", "delete"}


def problem_statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses one operation can answer."""
    statuses = {400, 401, 403, 404, 429}
    if method in _WRITES:
        statuses |= {409, 422}
    if "requestBody" in operation:
        statuses |= {413, 415, 422}
    return sorted(statuses)


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare the problem responses of every operation (in place; returns `schema`)."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for status in problem_statuses(method, path, operation):
                responses.setdefault(
                    status, {"description": DESCRIPTIONS[status], "content": problem}
                )
            if method == "get" and path.endswith("/issues/{key}"):
                responses.setdefault(304, {"description": "Not modified (If-None-Match)"})
    return schema
